/*
 * common/clock.h: the cached clock.
 *
 * The event loop reads the clocks once per turn (gw_clock_update) and every
 * timer, timeout and log line of that turn uses the cached values, as
 * nginx's ngx_current_msec. Wall-clock strings are re-rendered only when the
 * second changes.
 */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds, as of the last gw_clock_update(). */
extern uint64_t gw_now_ms;

/* Wall clock in milliseconds since the epoch, as of the last update. */
extern uint64_t gw_wall_ms;

/* Read both clocks; cheap (vDSO), call once per loop turn. */
void gw_clock_update(void);

/* "2026/11/24 11:54:59": the error log's time, local time. */
const char *gw_clock_log_time(void);

/* "24/Nov/2026:11:54:59 +0000": the access log's time, local time. */
const char *gw_clock_access_time(void);

/* "2026-11-24T11:54:59+00:00": the same instant in ISO 8601. */
const char *gw_clock_iso8601(void);

#endif
