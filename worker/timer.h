/*
 * worker/timer.h: deadlines on the cached clock.
 *
 * Every timeout of SPEC is a timer in one binary min-heap per worker, never
 * a scan of connections. The loop's epoll timeout is the nearest deadline
 * minus now. A timer is embedded in its owner (a connection, a session, the
 * worker); its callback finds the owner with gw_container_of.
 */
#ifndef GW_TIMER_H
#define GW_TIMER_H

#include <stdint.h>

#include "common/core.h"
#include "common/heap.h"

typedef struct gw_timer gw_timer_t;
typedef void gw_timer_fn(gw_timer_t *t);

struct gw_timer {
    gw_heap_node_t  node;       /* key: absolute deadline in ms */
    gw_timer_fn    *fn;
};

/* Room for CAP timers without growing; 0 or -1. */
int gw_timers_init(uint32_t cap);

static inline void
gw_timer_init(gw_timer_t *t, gw_timer_fn *fn)
{
    gw_heap_node_init(&t->node);
    t->fn = fn;
}

static inline int
gw_timer_is_armed(const gw_timer_t *t)
{
    return gw_heap_node_is_linked(&t->node);
}

/* Fire DELAY_MS from the cached now; re-arms a timer already armed. */
void gw_timer_set(gw_timer_t *t, uint64_t delay_ms);

/* Fire at an absolute deadline (ms on the cached monotonic clock). */
void gw_timer_set_at(gw_timer_t *t, uint64_t deadline_ms);

/*
 * For lazy deadlines (STYLE.md 7): activity only moves DEADLINE_MS, and
 * the timer, armed at an older deadline, fires early. Returns 1 when the
 * deadline has really passed; otherwise re-arms T at it and returns 0.
 */
int gw_timer_lazy_expired(gw_timer_t *t, uint64_t deadline_ms);

/* Disarm; harmless on a timer that is not armed. */
void gw_timer_del(gw_timer_t *t);

/* Milliseconds until the nearest deadline, or -1 when none is armed. */
int gw_timers_wait_ms(void);

/* Run the callbacks of every timer whose deadline has passed. */
void gw_timers_run(void);

/* Number of armed timers. */
unsigned gw_timers_count(void);

#endif
