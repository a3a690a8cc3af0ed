/*
 * worker/timer.c: the worker's timer heap (see timer.h).
 *
 * Callbacks run in deadline order, ties in the order they were armed. A
 * callback may arm, re-arm or delete any timer, itself included: each is
 * popped before its callback runs, and the run stops at the first deadline
 * still in the future.
 */
#include "common/clock.h"
#include "common/core.h"
#include "common/log.h"
#include "worker/timer.h"

static gw_heap_t timers;

int
gw_timers_init(uint32_t cap)
{
    return gw_heap_init(&timers, cap);
}

void
gw_timer_set_at(gw_timer_t *t, uint64_t deadline_ms)
{
    if (gw_timer_is_armed(t)) {
        gw_heap_del(&timers, &t->node);
    }
    t->node.key = deadline_ms;
    if (gw_heap_add(&timers, &t->node) != 0) {
        /* the heap is sized for every slot; growing past it failed */
        gw_log(GW_LOG_CRIT, 0, "out of memory arming a timer");
    }
}

void
gw_timer_set(gw_timer_t *t, uint64_t delay_ms)
{
    gw_timer_set_at(t, gw_now_ms + delay_ms);
}

int
gw_timer_lazy_expired(gw_timer_t *t, uint64_t deadline_ms)
{
    if (deadline_ms > gw_now_ms) {
        gw_timer_set_at(t, deadline_ms);
        return 0;
    }
    return 1;
}

void
gw_timer_del(gw_timer_t *t)
{
    if (gw_timer_is_armed(t)) {
        gw_heap_del(&timers, &t->node);
    }
}

int
gw_timers_wait_ms(void)
{
    gw_heap_node_t *min = gw_heap_min(&timers);

    if (min == NULL) {
        return -1;
    }
    if (min->key <= gw_now_ms) {
        return 0;
    }
    return min->key - gw_now_ms > 86400000 ? 86400000
                                           : (int) (min->key - gw_now_ms);
}

void
gw_timers_run(void)
{
    gw_heap_node_t *min;

    while ((min = gw_heap_min(&timers)) != NULL && min->key <= gw_now_ms) {
        gw_timer_t *t = gw_container_of(min, gw_timer_t, node);

        gw_heap_del(&timers, min);
        t->fn(t);
    }
}

unsigned
gw_timers_count(void)
{
    return timers.n;
}
