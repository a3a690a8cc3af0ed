/*
 * test/unit/test_timer.c: the worker's timers (worker/timer.h) on a clock
 * set by hand: callbacks run in deadline order (ties as armed), re-arming
 * moves a timer, a callback may arm, re-arm or delete any timer, and
 * gw_timers_wait_ms is the distance to the nearest deadline.
 *
 * The timer heap is a process global: gw_timers_init runs once per process
 * and every test starts by disarming whatever a previous one left.
 */
#include <check.h>
#include <stdlib.h>

#include "common/clock.h"
#include "common/core.h"
#include "worker/timer.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

#define N_TIMERS 1000

static gw_timer_t timers[N_TIMERS];
static int        fired[4 * N_TIMERS];     /* ids, in firing order */
static unsigned   n_fired;

static int
id_of(const gw_timer_t *t)
{
    return (int) (t - timers);
}

static void
record(gw_timer_t *t)
{
    ck_assert_uint_lt(n_fired, sizeof(fired) / sizeof(fired[0]));
    fired[n_fired++] = id_of(t);
}

static void
setup(void)
{
    static int ready;

    if (!ready) {
        /* small on purpose: arming 1000 timers must grow the heap */
        ck_assert_int_eq(gw_timers_init(4), 0);
        ready = 1;
    }
    for (int i = 0; i < N_TIMERS; i++) {
        if (timers[i].fn) {
            gw_timer_del(&timers[i]);
        }
        gw_timer_init(&timers[i], record);
    }
    n_fired = 0;
    gw_now_ms = 1000000;
}

static void
expect_fired(const int *ids, unsigned n)
{
    ck_assert_uint_eq(n_fired, n);
    for (unsigned i = 0; i < n; i++) {
        ck_assert_msg(fired[i] == ids[i], "firing %u: timer %d, want %d", i,
                      fired[i], ids[i]);
    }
}

START_TEST(test_timer_wait_ms)
{
    setup();
    ck_assert_int_eq(gw_timers_wait_ms(), -1);
    gw_timer_set(&timers[0], 100);
    ck_assert(gw_timer_is_armed(&timers[0]));
    ck_assert_uint_eq(gw_timers_count(), 1);
    ck_assert_int_eq(gw_timers_wait_ms(), 100);
    gw_timer_set(&timers[1], 40);
    ck_assert_int_eq(gw_timers_wait_ms(), 40);
    gw_now_ms += 25;
    ck_assert_int_eq(gw_timers_wait_ms(), 15);
    gw_now_ms += 15;
    ck_assert_int_eq(gw_timers_wait_ms(), 0);
    gw_now_ms += 500;           /* overdue: still 0, never negative */
    ck_assert_int_eq(gw_timers_wait_ms(), 0);
    gw_timer_del(&timers[0]);
    gw_timer_del(&timers[1]);
    ck_assert_int_eq(gw_timers_wait_ms(), -1);
    /* a far deadline must not wrap into a negative or zero wait */
    gw_timer_set(&timers[2], (uint64_t) 40 * 86400000);
    ck_assert_int_gt(gw_timers_wait_ms(), 0);
    gw_timer_del(&timers[2]);
}
END_TEST

START_TEST(test_timer_run_in_deadline_order)
{
    setup();
    gw_timer_set(&timers[1], 300);
    gw_timer_set(&timers[2], 100);
    gw_timer_set(&timers[3], 200);
    gw_timer_set(&timers[4], 100);          /* tie with 2, armed later */
    gw_timer_set_at(&timers[5], gw_now_ms + 100);
    gw_timers_run();
    ck_assert_uint_eq(n_fired, 0);          /* nothing due yet */
    gw_now_ms += 99;
    gw_timers_run();
    ck_assert_uint_eq(n_fired, 0);
    gw_now_ms += 151;                       /* now + 250 */
    gw_timers_run();
    {
        static const int want[] = { 2, 4, 5, 3 };
        expect_fired(want, 4);
    }
    ck_assert(!gw_timer_is_armed(&timers[2]));
    ck_assert(gw_timer_is_armed(&timers[1]));
    ck_assert_uint_eq(gw_timers_count(), 1);
    ck_assert_int_eq(gw_timers_wait_ms(), 50);
    gw_now_ms += 50;
    gw_timers_run();
    {
        static const int want[] = { 2, 4, 5, 3, 1 };
        expect_fired(want, 5);
    }
    ck_assert_uint_eq(gw_timers_count(), 0);
}
END_TEST

START_TEST(test_timer_rearm_and_delete)
{
    setup();
    gw_timer_set(&timers[0], 100);
    gw_timer_set(&timers[0], 500);          /* moved later, not doubled */
    ck_assert_uint_eq(gw_timers_count(), 1);
    gw_timer_set(&timers[1], 100);
    gw_timer_del(&timers[1]);
    gw_timer_del(&timers[1]);               /* harmless twice */
    gw_timer_del(&timers[2]);               /* and never armed */
    ck_assert(!gw_timer_is_armed(&timers[1]));
    ck_assert_uint_eq(gw_timers_count(), 1);
    gw_now_ms += 200;
    gw_timers_run();
    ck_assert_uint_eq(n_fired, 0);
    gw_timer_set(&timers[0], 10);           /* moved earlier again */
    gw_now_ms += 10;
    gw_timers_run();
    ck_assert_uint_eq(n_fired, 1);
    ck_assert_int_eq(fired[0], 0);
    gw_now_ms += 10000;
    gw_timers_run();
    ck_assert_uint_eq(n_fired, 1);          /* fired once only */
}
END_TEST

/* Callbacks that act on other timers: 0 deletes 1, 2 re-arms 3 a second
 * later, 4 arms 5 at its own (passed) deadline, 6 re-arms itself. */
static uint64_t t0;

static void
meddle(gw_timer_t *t)
{
    record(t);
    switch (id_of(t)) {
    case 0: gw_timer_del(&timers[1]); break;
    case 2: gw_timer_set(&timers[3], 1000); break;
    case 4: gw_timer_set_at(&timers[5], t0 + 30); break;
    case 6: gw_timer_set(t, 100); break;
    }
}

START_TEST(test_timer_callback_touches_others)
{
    setup();
    t0 = gw_now_ms;
    for (int i = 0; i <= 6; i++) {
        gw_timer_init(&timers[i], meddle);
    }
    gw_timer_set(&timers[0], 10);
    gw_timer_set(&timers[1], 10);           /* due, but deleted by 0 */
    gw_timer_set(&timers[2], 20);
    gw_timer_set(&timers[3], 20);           /* due, but moved by 2 */
    gw_timer_set(&timers[4], 30);           /* arms 5 due now: runs now */
    gw_timer_set(&timers[6], 40);           /* periodic */
    gw_now_ms += 50;
    gw_timers_run();
    {
        static const int want[] = { 0, 2, 4, 5, 6 };
        expect_fired(want, 5);
    }
    ck_assert(!gw_timer_is_armed(&timers[1]));
    ck_assert(gw_timer_is_armed(&timers[3]));
    ck_assert(gw_timer_is_armed(&timers[6]));
    ck_assert_int_eq(gw_timers_wait_ms(), 100);     /* 6, re-armed */
    gw_now_ms += 100;
    gw_timers_run();
    ck_assert_uint_eq(n_fired, 6);
    ck_assert_int_eq(fired[5], 6);
    gw_now_ms += 900;
    gw_timers_run();
    /* 6 once more (re-armed from the new now), then 3 at its moved
     * deadline */
    ck_assert_uint_eq(n_fired, 8);
    ck_assert_int_eq(fired[6], 6);
    ck_assert_int_eq(fired[n_fired - 1], 3);
    ck_assert(!gw_timer_is_armed(&timers[3]));
    gw_timer_del(&timers[6]);
    ck_assert_uint_eq(gw_timers_count(), 0);
}
END_TEST

START_TEST(test_timer_many_random)
{
    unsigned seed = 99;
    uint64_t deadline[N_TIMERS], armed[N_TIMERS];
    uint64_t start;

    setup();
    start = gw_now_ms;
    for (int i = 0; i < N_TIMERS; i++) {
        deadline[i] = start + 1 + ut_rand(&seed) % 200;    /* many ties */
        gw_timer_set_at(&timers[i], deadline[i]);
        armed[i] = (uint64_t) i;
    }
    /* cancel every seventh, re-arm every eleventh later */
    for (int i = 0; i < N_TIMERS; i += 7) {
        gw_timer_del(&timers[i]);
        deadline[i] = 0;
    }
    for (int i = 5; i < N_TIMERS; i += 11) {
        if (deadline[i]) {
            deadline[i] += 50;
            gw_timer_set_at(&timers[i], deadline[i]);
            armed[i] = (uint64_t) (N_TIMERS + i);
        }
    }
    for (gw_now_ms = start; gw_now_ms <= start + 300; gw_now_ms += 13) {
        gw_timers_run();
        for (unsigned k = 0; k < n_fired; k++) {
            ck_assert_uint_le(deadline[fired[k]], gw_now_ms);
        }
        ck_assert(gw_timers_wait_ms() != 0);    /* nothing overdue left */
    }
    ck_assert_uint_eq(gw_timers_count(), 0);
    ck_assert_uint_eq(n_fired, N_TIMERS - (N_TIMERS + 6) / 7);
    for (unsigned k = 1; k < n_fired; k++) {
        int a = fired[k - 1], b = fired[k];

        ck_assert_msg(deadline[a] <= deadline[b], "timer %d (%llu) fired "
                      "before %d (%llu)", b, (unsigned long long) deadline[b],
                      a, (unsigned long long) deadline[a]);
        ck_assert_msg(deadline[a] < deadline[b] || armed[a] < armed[b],
                      "tie at %llu: timer %d fired before %d, armed earlier",
                      (unsigned long long) deadline[a], a, b);
    }
}
END_TEST

START_TEST(test_timer_lazy_expired)
{
    setup();
    gw_timer_set(&timers[0], 100);
    /* activity moved the deadline: re-armed there, not expired */
    ck_assert_int_eq(gw_timer_lazy_expired(&timers[0], gw_now_ms + 500), 0);
    ck_assert(gw_timer_is_armed(&timers[0]));
    ck_assert_uint_eq(gw_timers_count(), 1);
    ck_assert_int_eq(gw_timers_wait_ms(), 500);
    gw_timer_del(&timers[0]);
    /* a deadline reached (equal) or passed has expired */
    ck_assert_int_eq(gw_timer_lazy_expired(&timers[0], gw_now_ms), 1);
    ck_assert_int_eq(gw_timer_lazy_expired(&timers[0], gw_now_ms - 1), 1);
    ck_assert(!gw_timer_is_armed(&timers[0]));
}
END_TEST

/* An idle timeout the lazy way: reads only move `deadline`; the timer
 * fires at the old one, finds it moved, and goes back to sleep. */
static uint64_t lazy_deadline;
static unsigned lazy_expired_count;

static void
lazy_cb(gw_timer_t *t)
{
    record(t);
    if (gw_timer_lazy_expired(t, lazy_deadline)) {
        lazy_expired_count++;
    }
}

START_TEST(test_timer_lazy_in_callback)
{
    setup();
    lazy_expired_count = 0;
    gw_timer_init(&timers[0], lazy_cb);
    lazy_deadline = gw_now_ms + 1000;
    gw_timer_set_at(&timers[0], lazy_deadline);
    gw_now_ms += 600;
    lazy_deadline = gw_now_ms + 1000;       /* a read at +600 */
    gw_now_ms += 400;
    gw_timers_run();                        /* early: re-armed at +1600 */
    ck_assert_uint_eq(n_fired, 1);
    ck_assert_uint_eq(lazy_expired_count, 0);
    ck_assert_int_eq(gw_timers_wait_ms(), 600);
    gw_now_ms += 600;
    gw_timers_run();
    ck_assert_uint_eq(n_fired, 2);
    ck_assert_uint_eq(lazy_expired_count, 1);
    ck_assert(!gw_timer_is_armed(&timers[0]));
}
END_TEST

Suite *
timer_suite(void)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("timers");

    tcase_add_test(tc, test_timer_wait_ms);
    tcase_add_test(tc, test_timer_run_in_deadline_order);
    tcase_add_test(tc, test_timer_rearm_and_delete);
    tcase_add_test(tc, test_timer_callback_touches_others);
    tcase_add_test(tc, test_timer_many_random);
    tcase_add_test(tc, test_timer_lazy_expired);
    tcase_add_test(tc, test_timer_lazy_in_callback);
    suite_add_tcase(s, tc);
    return s;
}
