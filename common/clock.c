/*
 * common/clock.c: cached monotonic and wall clocks (see clock.h).
 *
 * The rendered strings are per thread, so resolver threads (a later issue)
 * may log without racing the loop thread.
 */
#include <string.h>
#include <time.h>

#include "common/clock.h"

uint64_t gw_now_ms;
uint64_t gw_wall_ms;

static __thread time_t rendered_sec = -1;
static __thread char   log_time[32];
static __thread char   access_time[40];
static __thread char   iso_time[40];

void
gw_clock_update(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    gw_now_ms = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
    clock_gettime(CLOCK_REALTIME, &ts);
    gw_wall_ms = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void
render(time_t now)
{
    struct tm  tm;

    if (now == rendered_sec) {
        return;
    }
    rendered_sec = now;
    localtime_r(&now, &tm);
    strftime(log_time, sizeof(log_time), "%Y/%m/%d %H:%M:%S", &tm);

    strftime(access_time, sizeof(access_time), "%d/%b/%Y:%H:%M:%S %z", &tm);
    /* ISO 8601 wants the offset as +00:00, strftime gives +0000 */
    strftime(iso_time, sizeof(iso_time) - 1, "%Y-%m-%dT%H:%M:%S%z", &tm);
    {
        size_t n = strlen(iso_time);

        if (n >= 5) {
            memmove(iso_time + n - 1, iso_time + n - 2, 3);
            iso_time[n - 2] = ':';
        }
    }
}

/* The error log reads the wall clock itself: the master logs between
 * loop turns and resolver threads have no loop turn at all. */
const char *
gw_clock_log_time(void)
{
    render(time(NULL));
    return log_time;
}

const char *
gw_clock_access_time(void)
{
    render(gw_wall_ms ? (time_t) (gw_wall_ms / 1000) : time(NULL));
    return access_time;
}

const char *
gw_clock_iso8601(void)
{
    render(gw_wall_ms ? (time_t) (gw_wall_ms / 1000) : time(NULL));
    return iso_time;
}
