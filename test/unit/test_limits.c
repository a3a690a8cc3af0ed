/*
 * test/unit/test_limits.c: the shared table of limit_conn / limit_req
 * (worker/limits.h): counts per (listener, client), the token bucket's
 * burst and refill on the wall clock, IPv4 and its mapped form as one
 * client, bounded memory with least recently seen idle clients evicted
 * first, and counts that a forked child shares.
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "worker/limits.h"
#include "test/unit/suites.h"

static gw_conf_listener_t conf_a, conf_b;
static gw_listener_t      ls_a = { .conf = &conf_a, .name = "a" };
static gw_listener_t      ls_b = { .conf = &conf_b, .name = "b" };

static gw_sockaddr_t
v4(uint32_t host)
{
    gw_sockaddr_t a;

    memset(&a, 0, sizeof(a));
    a.sin.sin_family = AF_INET;
    a.sin.sin_addr.s_addr = htonl(host);
    a.sin.sin_port = htons((uint16_t) (1024 + host % 60000));
    return a;
}

static void
setup(void)
{
    ck_assert_int_eq(gw_limits_create(), 0);
    memset(&conf_a, 0, sizeof(conf_a));
    memset(&conf_b, 0, sizeof(conf_b));
    gw_wall_ms = 1000000;
}

START_TEST(conn_counts_per_listener_and_client)
{
    gw_sockaddr_t c = v4(0x0a000001), d = v4(0x0a000002);

    conf_a.limit_conn = 2;
    conf_b.limit_conn = 1;
    ck_assert(gw_limit_conn_acquire(&ls_a, &c));
    c.sin.sin_port = htons(9);          /* another port: the same client */
    ck_assert(gw_limit_conn_acquire(&ls_a, &c));
    ck_assert(!gw_limit_conn_acquire(&ls_a, &c));
    ck_assert(gw_limit_conn_acquire(&ls_a, &d));
    ck_assert(gw_limit_conn_acquire(&ls_b, &c));
    ck_assert(!gw_limit_conn_acquire(&ls_b, &c));
    gw_limit_conn_release(&ls_a, &c);
    ck_assert(gw_limit_conn_acquire(&ls_a, &c));
    gw_limit_conn_release(&ls_a, &c);
    gw_limit_conn_release(&ls_a, &c);
    gw_limit_conn_release(&ls_a, &c);  /* one too many: stays at 0 */
    ck_assert(gw_limit_conn_acquire(&ls_a, &c));
    ck_assert(gw_limit_conn_acquire(&ls_a, &c));
    ck_assert(!gw_limit_conn_acquire(&ls_a, &c));
}
END_TEST

START_TEST(mapped_ipv4_is_the_same_client)
{
    gw_sockaddr_t c = v4(0xc0000201), m;

    memset(&m, 0, sizeof(m));
    m.sin6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:192.0.2.1", &m.sin6.sin6_addr);
    conf_a.limit_conn = 1;
    ck_assert(gw_limit_conn_acquire(&ls_a, &c));
    ck_assert(!gw_limit_conn_acquire(&ls_a, &m));
}
END_TEST

START_TEST(bucket_burst_and_refill)
{
    gw_sockaddr_t c = v4(0x0a000010);

    conf_a.limit_req_rate = 120000;    /* 2r/s */
    conf_a.limit_req_burst = 3;
    for (int i = 0; i < 4; i++) {
        ck_assert_msg(gw_limit_req_allow(&ls_a, &c), "request %d", i);
    }
    ck_assert(!gw_limit_req_allow(&ls_a, &c));
    gw_wall_ms += 499;
    ck_assert(!gw_limit_req_allow(&ls_a, &c));
    gw_wall_ms += 1;                    /* 500 ms: one token */
    ck_assert(gw_limit_req_allow(&ls_a, &c));
    ck_assert(!gw_limit_req_allow(&ls_a, &c));
    gw_wall_ms += 3600 * 1000;          /* a long pause fills it, no more */
    for (int i = 0; i < 4; i++) {
        ck_assert(gw_limit_req_allow(&ls_a, &c));
    }
    ck_assert(!gw_limit_req_allow(&ls_a, &c));
}
END_TEST

START_TEST(slow_rates_refill_from_small_steps)
{
    gw_sockaddr_t c = v4(0x0a000011);
    int           passed = 0;

    conf_a.limit_req_rate = 1000;      /* 1r/m */
    ck_assert(gw_limit_req_allow(&ls_a, &c));
    /* asked every 100 ms for 60 s: the bucket refills once, at 60 s */
    for (int i = 0; i < 600; i++) {
        gw_wall_ms += 100;
        passed += gw_limit_req_allow(&ls_a, &c);
    }
    ck_assert_int_eq(passed, 1);
}
END_TEST

START_TEST(memory_is_bounded_busy_clients_kept)
{
    gw_sockaddr_t busy = v4(0x0b000001);

    conf_a.limit_conn = 1;
    conf_b.limit_req_rate = 60000;
    ck_assert(gw_limit_conn_acquire(&ls_a, &busy));
    for (uint32_t i = 0; i < 100000; i++) {
        gw_sockaddr_t c = v4(0x0c000000 + i);

        gw_limit_req_allow(&ls_b, &c);
    }
    ck_assert_uint_le(gw_limits_tracked(), GW_LIMITS_SHARDS * GW_LIMITS_PER_SHARD);
    /* idle clients went first: the busy one still holds its connection */
    ck_assert(!gw_limit_conn_acquire(&ls_a, &busy));
}
END_TEST

START_TEST(a_forked_worker_shares_the_counts)
{
    gw_sockaddr_t c = v4(0x0d000001);
    pid_t         pid;
    int           status;

    conf_a.limit_conn = 2;
    ck_assert(gw_limit_conn_acquire(&ls_a, &c));
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        _exit(gw_limit_conn_acquire(&ls_a, &c) ? 0 : 1);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert(!gw_limit_conn_acquire(&ls_a, &c));    /* the child's counts */
}
END_TEST

Suite *
limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *t = tcase_create("limits");

    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, conn_counts_per_listener_and_client);
    tcase_add_test(t, mapped_ipv4_is_the_same_client);
    tcase_add_test(t, bucket_burst_and_refill);
    tcase_add_test(t, slow_rates_refill_from_small_steps);
    tcase_add_test(t, memory_is_bounded_busy_clients_kept);
    tcase_add_test(t, a_forked_worker_shares_the_counts);
    suite_add_tcase(s, t);
    return s;
}
