/*
 * test/unit/test_upstream.c: upstream groups and their balancers
 * (worker/upstream.h, worker/balance.c), on configurations built by hand
 * and one loaded from a file. The clock is a plain variable: failures and
 * fail_timeout are driven by passing `now`.
 *
 * Peers are named by their port's last digit through the tables below, so
 * a sequence of picks reads as a string: "aabacaa".
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "conf/conf.h"
#include "worker/upstream.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

#define T0 1000000      /* a "now" well past zero, as the monotonic clock */

typedef struct srv {
    const char *addr;
    unsigned    weight;         /* 0: default 1 */
    unsigned    max_fails;      /* 0 here means "default 1"; see NOFAIL */
    uint64_t    fail_timeout_ms;
    unsigned    backup;
    unsigned    down;
} srv_t;

#define NOFAIL 1000000u         /* max_fails=0 (never taken out) */

/* A configured group of one address per server, as gw_conf_check leaves it. */
static gw_conf_upstream_t *
mk_conf(int balance, const srv_t *s, unsigned n)
{
    gw_conf_upstream_t *u = calloc(1, sizeof(*u));

    ck_assert_ptr_nonnull(u);
    u->name = "test";
    u->balance = balance;
    u->servers = calloc(n, sizeof(*u->servers));
    u->n_servers = n;
    u->n_addrs = n;
    for (unsigned i = 0; i < n; i++) {
        gw_conf_server_t *cs = &u->servers[i];
        char              host[64];
        uint16_t          port;

        cs->text = (char *) s[i].addr;
        cs->addrs = calloc(1, sizeof(*cs->addrs));
        cs->n_addrs = 1;
        ck_assert_int_eq(gw_addr_split(s[i].addr, host, sizeof(host), &port),
                         0);
        ck_assert_int_eq(gw_addr_parse_ip(host, port, cs->addrs), 0);
        cs->weight = s[i].weight ? s[i].weight : 1;
        cs->max_fails = s[i].max_fails == NOFAIL ? 0
                        : s[i].max_fails ? s[i].max_fails : 1;
        cs->fail_timeout_ms = s[i].fail_timeout_ms ? s[i].fail_timeout_ms
                                                   : 10000;
        cs->backup = s[i].backup;
        cs->down = s[i].down;
    }
    return u;
}

static void
free_conf(gw_conf_upstream_t *u)
{
    for (unsigned i = 0; i < u->n_servers; i++) {
        free(u->servers[i].addrs);
    }
    free(u->servers);
    free(u);
}

typedef struct group {
    gw_conf_upstream_t *conf;
    gw_upstream_t      *u;
} group_t;

static group_t
mk_group(int balance, const srv_t *s, unsigned n)
{
    group_t g;

    g.conf = mk_conf(balance, s, n);
    g.u = gw_upstream_new(g.conf);
    ck_assert_ptr_nonnull(g.u);
    return g;
}

static void
free_group(group_t *g)
{
    gw_upstream_free(g->u);
    free_conf(g->conf);
}

/* 'a' for port ...0, 'b' for ...1, and so on. */
static char
letter(const gw_peer_t *p)
{
    return p ? (char) ('a' + gw_sockaddr_port(&p->addr) % 10) : '-';
}

/* One pick for a fresh client (released at once, not failed). */
static gw_peer_t *
pick_one(gw_upstream_t *u, const gw_sockaddr_t *client, uint64_t now)
{
    gw_pick_t  pick;
    gw_peer_t *p;

    gw_pick_init(&pick, client, 0);
    p = gw_upstream_pick(u, &pick, now);
    if (p) {
        gw_upstream_release(u, p, 0, now);
    }
    return p;
}

/* N picks as letters. */
static void
sequence(gw_upstream_t *u, unsigned n, uint64_t now, char *out)
{
    for (unsigned i = 0; i < n; i++) {
        out[i] = letter(pick_one(u, NULL, now));
    }
    out[n] = '\0';
}

/* Fail peer P (by letter) once at NOW, as a connect attempt would. */
static void
fail_peer(gw_upstream_t *u, char which, uint64_t now)
{
    for (unsigned i = 0; i < u->n_peers; i++) {
        if (letter(&u->peers[i]) == which) {
            u->peers[i].active++;       /* it was picked ... */
            gw_upstream_release(u, &u->peers[i], 1, now);   /* ... and failed */
            return;
        }
    }
    ck_abort_msg("no peer %c", which);
}

static gw_peer_t *
peer(gw_upstream_t *u, char which)
{
    for (unsigned i = 0; i < u->n_peers; i++) {
        if (letter(&u->peers[i]) == which) {
            return &u->peers[i];
        }
    }
    ck_abort_msg("no peer %c", which);
    return NULL;
}

static unsigned
count_char(const char *s, char c)
{
    unsigned n = 0;

    for ( ; *s; s++) {
        n += *s == c;
    }
    return n;
}

static gw_sockaddr_t
v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    gw_sockaddr_t sa;
    char          ip[32];

    snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a, b, c, d);
    ck_assert_int_eq(gw_addr_parse_ip(ip, 40000, &sa), 0);
    return sa;
}

/* ---- layout ------------------------------------------------------------- */

START_TEST(test_upstream_peers_primaries_first)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:8000", .backup = 1 },
        { .addr = "10.0.0.1:8001", .weight = 3 },
        { .addr = "10.0.0.1:8002", .backup = 1, .weight = 2 },
        { .addr = "10.0.0.1:8003", .down = 1 },
    };
    group_t g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 4);

    ck_assert_uint_eq(g.u->n_peers, 4);
    ck_assert_uint_eq(g.u->n_primary, 2);
    ck_assert_str_eq(g.u->peers[0].name, "10.0.0.1:8001");
    ck_assert_str_eq(g.u->peers[1].name, "10.0.0.1:8003");
    ck_assert_str_eq(g.u->peers[2].name, "10.0.0.1:8000");
    ck_assert_str_eq(g.u->peers[3].name, "10.0.0.1:8002");
    ck_assert_uint_eq(g.u->peers[0].weight, 3);
    ck_assert(g.u->peers[1].down);
    ck_assert(g.u->peers[2].backup && g.u->peers[3].backup);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_uint_eq(g.u->peers[i].active, 0);
        ck_assert_uint_eq(g.u->peers[i].fails, 0);
    }
    free_group(&g);
}
END_TEST

START_TEST(test_upstream_from_config)
{
    char      *dir = ut_mkdir(), *path = ut_join(dir, "gateway.conf");
    char       err[GW_CONF_ERR_LEN] = "";
    gw_conf_t *conf;
    gw_upstream_t *u;
    char       seq[16];

    ut_write(dir, "gateway.conf",
             "upstream app {\n"
             "    server 127.0.0.1:9002 backup;\n"
             "    server 127.0.0.1:9000 weight=5;\n"
             "    server 127.0.0.1:9001 max_fails=3 fail_timeout=30s;\n"
             "    server 127.0.0.1:9003 down;\n"
             "    server 127.0.0.1:9004;\n"
             "}\n"
             "listener {\n"
             "    listen 127.0.0.1:8080; handler tcp; proxy_pass app;\n"
             "}\n");
    conf = gw_conf_load(path, NULL, err, sizeof(err));
    ck_assert_msg(conf != NULL, "%s", err);
    ck_assert_uint_eq(conf->n_upstreams, 1);
    u = gw_upstream_new(conf->upstreams[0]);
    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(u->n_peers, 5);
    ck_assert_uint_eq(u->n_primary, 4);
    ck_assert_str_eq(u->peers[1].name, "127.0.0.1:9001");
    ck_assert_uint_eq(u->peers[1].max_fails, 3);
    ck_assert_uint_eq(u->peers[1].fail_timeout_ms, 30000);
    ck_assert_str_eq(u->peers[4].name, "127.0.0.1:9002");
    /* 5,1,(down),1: the weights of smooth round robin, down skipped */
    sequence(u, 14, T0, seq);
    ck_assert_str_eq(seq, "aabaeaaaabaeaa");
    gw_upstream_free(u);
    gw_conf_free(conf);
    free(path);
    free(dir);
}
END_TEST

/* ---- round robin -------------------------------------------------------- */

START_TEST(test_rr_nginx_sequence_5_1_1)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .weight = 5 },
        { .addr = "10.0.0.1:9001", .weight = 1 },
        { .addr = "10.0.0.1:9002", .weight = 1 },
    };
    group_t g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 3);
    char    seq[64];

    sequence(g.u, 21, T0, seq);
    ck_assert_str_eq(seq, "aabacaa" "aabacaa" "aabacaa");
    free_group(&g);
}
END_TEST

START_TEST(test_rr_proportions_3_2_1)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .weight = 3 },
        { .addr = "10.0.0.1:9001", .weight = 2 },
        { .addr = "10.0.0.1:9002", .weight = 1 },
    };
    group_t g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 3);
    char    seq[601];

    sequence(g.u, 600, T0, seq);
    /* smooth: exact in every window of one period (6 picks) */
    for (unsigned w = 0; w < 600; w += 6) {
        char win[7];

        memcpy(win, seq + w, 6);
        win[6] = '\0';
        ck_assert_msg(count_char(win, 'a') == 3 && count_char(win, 'b') == 2
                      && count_char(win, 'c') == 1, "window %u: %s", w, win);
        ck_assert_msg(strstr(win, "aaa") == NULL, "not smooth: %s", win);
    }
    free_group(&g);
}
END_TEST

START_TEST(test_rr_equal_weights)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
    };
    group_t g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 3);
    char    seq[16];

    sequence(g.u, 9, T0, seq);
    ck_assert_str_eq(seq, "abcabcabc");
    free_group(&g);
}
END_TEST

START_TEST(test_rr_down_never_picked)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" }, { .addr = "10.0.0.1:9001", .down = 1 },
        { .addr = "10.0.0.1:9002" },
    };
    group_t g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 3);
    char    seq[101];

    sequence(g.u, 100, T0, seq);
    ck_assert_uint_eq(count_char(seq, 'b'), 0);
    ck_assert_uint_eq(count_char(seq, 'a'), 50);
    ck_assert_uint_eq(count_char(seq, 'c'), 50);
    ck_assert(!gw_peer_is_usable(g.u, peer(g.u, 'b'), T0));
    free_group(&g);
}
END_TEST

START_TEST(test_backup_only_when_primaries_unusable)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .max_fails = 1, .fail_timeout_ms = 5000 },
        { .addr = "10.0.0.1:9001", .max_fails = 1, .fail_timeout_ms = 5000 },
        { .addr = "10.0.0.1:9008", .backup = 1, .weight = 2 },
        { .addr = "10.0.0.1:9009", .backup = 1 },
    };
    group_t g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 4);
    char    seq[64];

    sequence(g.u, 40, T0, seq);
    ck_assert_msg(count_char(seq, 'i') + count_char(seq, 'j') == 0,
                  "backup used while primaries were up: %s", seq);

    /* one primary fails: the other takes everything, still no backup */
    fail_peer(g.u, 'a', T0);
    sequence(g.u, 10, T0 + 1, seq);
    ck_assert_str_eq(seq, "bbbbbbbbbb");

    /* both fail: the backups, by their weights 2:1 */
    fail_peer(g.u, 'b', T0 + 1);
    sequence(g.u, 6, T0 + 2, seq);
    ck_assert_str_eq(seq, "ijiiji");

    /* fail_timeout later the primaries are back */
    sequence(g.u, 4, T0 + 5001, seq);
    ck_assert_str_eq(seq, "abab");
    free_group(&g);
}
END_TEST

START_TEST(test_backup_when_primaries_down)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .down = 1 },
        { .addr = "10.0.0.1:9001", .down = 1 },
        { .addr = "10.0.0.1:9009", .backup = 1 },
    };
    int balances[] = { GW_BALANCE_ROUND_ROBIN, GW_BALANCE_LEAST_CONN,
                       GW_BALANCE_RANDOM, GW_BALANCE_IP_HASH,
                       GW_BALANCE_CONSISTENT_HASH };

    for (size_t b = 0; b < sizeof(balances) / sizeof(balances[0]); b++) {
        group_t       g = mk_group(balances[b], s, 3);
        gw_sockaddr_t client = v4(192, 0, 2, 1);

        for (int i = 0; i < 20; i++) {
            client.sin.sin_addr.s_addr += htonl(256);
            ck_assert_msg(letter(pick_one(g.u, &client, T0)) == 'j',
                          "balance %s did not fall back to the backup",
                          gw_balance_names[balances[b]]);
        }
        free_group(&g);
    }
}
END_TEST

/* ---- failures ----------------------------------------------------------- */

START_TEST(test_max_fails_fail_timeout)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .max_fails = 2, .fail_timeout_ms = 10000 },
        { .addr = "10.0.0.1:9001", .max_fails = 2, .fail_timeout_ms = 10000 },
    };
    group_t    g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 2);
    gw_peer_t *a = peer(g.u, 'a');
    char       seq[16];

    fail_peer(g.u, 'a', T0);
    ck_assert(gw_peer_is_usable(g.u, a, T0));       /* 1 of 2 */
    sequence(g.u, 4, T0, seq);
    ck_assert_str_eq(seq, "abab");
    fail_peer(g.u, 'a', T0 + 3000);                 /* 2 within 10s */
    ck_assert(!gw_peer_is_usable(g.u, a, T0 + 3000));
    sequence(g.u, 4, T0 + 3000, seq);
    ck_assert_str_eq(seq, "bbbb");
    sequence(g.u, 4, T0 + 3000 + 9999, seq);
    ck_assert_str_eq(seq, "bbbb");
    /* skipped for fail_timeout after the failure that took it out */
    ck_assert(gw_peer_is_usable(g.u, a, T0 + 13000));
    sequence(g.u, 4, T0 + 13000, seq);
    ck_assert_int_eq(count_char(seq, 'a'), 2);
    free_group(&g);
}
END_TEST

START_TEST(test_failures_outside_window_do_not_add_up)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .max_fails = 2, .fail_timeout_ms = 10000 },
        { .addr = "10.0.0.1:9001" },
    };
    group_t    g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 2);
    gw_peer_t *a = peer(g.u, 'a');

    fail_peer(g.u, 'a', T0);
    fail_peer(g.u, 'a', T0 + 20000);        /* the first has expired */
    ck_assert(gw_peer_is_usable(g.u, a, T0 + 20000));
    fail_peer(g.u, 'a', T0 + 25000);        /* two within 10 s */
    ck_assert(!gw_peer_is_usable(g.u, a, T0 + 25000));
    free_group(&g);
}
END_TEST

START_TEST(test_connected_resets_failures)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .max_fails = 2, .fail_timeout_ms = 10000 },
        { .addr = "10.0.0.1:9001" },
    };
    group_t    g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 2);
    gw_peer_t *a = peer(g.u, 'a');

    fail_peer(g.u, 'a', T0);
    gw_upstream_connected(a);
    fail_peer(g.u, 'a', T0 + 1);
    ck_assert(gw_peer_is_usable(g.u, a, T0 + 1));
    free_group(&g);
}
END_TEST

START_TEST(test_max_fails_zero_never_skipped)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .max_fails = NOFAIL },
        { .addr = "10.0.0.1:9001" },
    };
    group_t g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 2);
    char    seq[8];

    for (int i = 0; i < 10; i++) {
        fail_peer(g.u, 'a', T0 + (uint64_t) i);
    }
    ck_assert(gw_peer_is_usable(g.u, peer(g.u, 'a'), T0 + 10));
    sequence(g.u, 4, T0 + 10, seq);
    ck_assert_str_eq(seq, "abab");
    free_group(&g);
}
END_TEST

START_TEST(test_lone_server_never_skipped)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .max_fails = 1, .fail_timeout_ms = 60000 },
    };
    int balances[] = { GW_BALANCE_ROUND_ROBIN, GW_BALANCE_LEAST_CONN,
                       GW_BALANCE_RANDOM, GW_BALANCE_IP_HASH,
                       GW_BALANCE_CONSISTENT_HASH };

    for (size_t b = 0; b < sizeof(balances) / sizeof(balances[0]); b++) {
        group_t       g = mk_group(balances[b], s, 1);
        gw_sockaddr_t client = v4(198, 51, 100, 7);

        for (int i = 0; i < 5; i++) {
            fail_peer(g.u, 'a', T0 + (uint64_t) i);
        }
        ck_assert(gw_peer_is_usable(g.u, &g.u->peers[0], T0 + 5));
        ck_assert_msg(letter(pick_one(g.u, &client, T0 + 5)) == 'a',
                      "balance %s skipped its only server",
                      gw_balance_names[balances[b]]);
        free_group(&g);
    }
}
END_TEST

/* ---- one client's retries ----------------------------------------------- */

START_TEST(test_tried_not_picked_twice)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .weight = 10 }, { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" }, { .addr = "10.0.0.1:9009", .backup = 1 },
    };
    int balances[] = { GW_BALANCE_ROUND_ROBIN, GW_BALANCE_LEAST_CONN,
                       GW_BALANCE_RANDOM, GW_BALANCE_IP_HASH,
                       GW_BALANCE_CONSISTENT_HASH };

    for (size_t b = 0; b < sizeof(balances) / sizeof(balances[0]); b++) {
        group_t       g = mk_group(balances[b], s, 4);
        gw_sockaddr_t client = v4(203, 0, 113, 50);
        gw_pick_t     pick;
        char          got[8];

        gw_pick_init(&pick, &client, 0);
        for (int i = 0; i < 5; i++) {
            gw_peer_t *p = gw_upstream_pick(g.u, &pick, T0);

            got[i] = letter(p);
            if (p) {
                gw_upstream_release(g.u, p, 1, T0);     /* connect failed */
            }
        }
        got[5] = '\0';
        /* each primary once, in any order, then the backup, then none */
        ck_assert_msg(got[3] == 'j' && got[4] == '-'
                      && strchr(got, 'a') && strchr(got, 'b')
                      && strchr(got, 'c') && strchr(got, 'a') < got + 3
                      && strchr(got, 'b') < got + 3
                      && strchr(got, 'c') < got + 3,
                      "balance %s: tries %s",
                      gw_balance_names[balances[b]], got);
        ck_assert_uint_eq(pick.n_tried, 4);
        free_group(&g);
    }
}
END_TEST

START_TEST(test_max_tries)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
        { .addr = "10.0.0.1:9003" }, { .addr = "10.0.0.1:9004" },
    };
    group_t   g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 5);
    gw_pick_t pick;
    gw_peer_t *p1, *p2;

    gw_pick_init(&pick, NULL, 2);
    p1 = gw_upstream_pick(g.u, &pick, T0);
    p2 = gw_upstream_pick(g.u, &pick, T0);
    ck_assert_ptr_nonnull(p1);
    ck_assert_ptr_nonnull(p2);
    ck_assert_ptr_ne(p1, p2);
    ck_assert_ptr_null(gw_upstream_pick(g.u, &pick, T0));
    ck_assert_uint_eq(pick.n_tried, 2);
    gw_upstream_release(g.u, p1, 0, T0);
    gw_upstream_release(g.u, p2, 0, T0);

    gw_pick_init(&pick, NULL, 0);       /* 0: every peer once */
    for (int i = 0; i < 5; i++) {
        ck_assert_ptr_nonnull(gw_upstream_pick(g.u, &pick, T0));
    }
    ck_assert_ptr_null(gw_upstream_pick(g.u, &pick, T0));
    free_group(&g);
}
END_TEST

START_TEST(test_active_counts)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
    };
    group_t    g = mk_group(GW_BALANCE_ROUND_ROBIN, s, 2);
    gw_pick_t  pick;
    gw_peer_t *p;

    gw_pick_init(&pick, NULL, 0);
    p = gw_upstream_pick(g.u, &pick, T0);
    ck_assert_uint_eq(p->active, 1);
    gw_upstream_release(g.u, p, 0, T0);
    ck_assert_uint_eq(p->active, 0);
    ck_assert_uint_eq(p->fails, 0);
    free_group(&g);
}
END_TEST

/* ---- least_conn --------------------------------------------------------- */

START_TEST(test_least_conn_prefers_fewest)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
    };
    group_t    g = mk_group(GW_BALANCE_LEAST_CONN, s, 3);
    gw_pick_t  pick;
    gw_peer_t *held[3];

    peer(g.u, 'a')->active = 5;
    peer(g.u, 'b')->active = 2;
    peer(g.u, 'c')->active = 3;
    ck_assert_int_eq(letter(pick_one(g.u, NULL, T0)), 'b');
    /* hold connections: b 2->3, then b and c tie at 3, never a */
    for (int i = 0; i < 3; i++) {
        gw_pick_init(&pick, NULL, 0);
        held[i] = gw_upstream_pick(g.u, &pick, T0);
        ck_assert_int_ne(letter(held[i]), 'a');
    }
    ck_assert_uint_eq(peer(g.u, 'b')->active + peer(g.u, 'c')->active, 8);
    ck_assert_uint_le(peer(g.u, 'b')->active, 4);
    ck_assert_uint_le(peer(g.u, 'c')->active, 4);
    for (int i = 0; i < 3; i++) {
        gw_upstream_release(g.u, held[i], 0, T0);
    }
    /* a goes quiet: it has the fewest now */
    peer(g.u, 'a')->active = 0;
    ck_assert_int_eq(letter(pick_one(g.u, NULL, T0)), 'a');
    free_group(&g);
}
END_TEST

START_TEST(test_least_conn_ties_round_robin)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
    };
    group_t g = mk_group(GW_BALANCE_LEAST_CONN, s, 3);
    char    seq[16];

    /* every connection ends before the next: all tie at 0 every time */
    sequence(g.u, 9, T0, seq);
    ck_assert_str_eq(seq, "abcabcabc");
    free_group(&g);
}
END_TEST

START_TEST(test_least_conn_held_spreads_evenly)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
        { .addr = "10.0.0.1:9003", .down = 1 },
    };
    group_t   g = mk_group(GW_BALANCE_LEAST_CONN, s, 4);
    gw_pick_t pick;

    for (int i = 0; i < 30; i++) {
        gw_pick_init(&pick, NULL, 0);
        ck_assert_ptr_nonnull(gw_upstream_pick(g.u, &pick, T0));
        /* held: actives never differ by more than one */
        for (char x = 'a'; x <= 'c'; x++) {
            for (char y = 'a'; y <= 'c'; y++) {
                ck_assert_uint_le(peer(g.u, x)->active,
                                  peer(g.u, y)->active + 1);
            }
        }
    }
    ck_assert_uint_eq(peer(g.u, 'a')->active, 10);
    ck_assert_uint_eq(peer(g.u, 'd')->active, 0);      /* down */
    free_group(&g);
}
END_TEST

START_TEST(test_least_conn_per_weight)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .weight = 3 },
        { .addr = "10.0.0.1:9001", .weight = 1 },
    };
    group_t    g = mk_group(GW_BALANCE_LEAST_CONN, s, 2);
    gw_peer_t *a = peer(g.u, 'a'), *b = peer(g.u, 'b');
    gw_pick_t  pick;

    a->active = 2;      /* 2/3 < 1/1 */
    b->active = 1;
    ck_assert_int_eq(letter(pick_one(g.u, NULL, T0)), 'a');
    a->active = 4;      /* 4/3 > 1/1 */
    ck_assert_int_eq(letter(pick_one(g.u, NULL, T0)), 'b');
    a->active = 3;      /* 3/3 == 1/1: both are candidates */
    {
        char seq[5];

        sequence(g.u, 4, T0, seq);
        ck_assert_msg(strchr(seq, 'a') && strchr(seq, 'b'),
                      "a tie went to one server only: %s", seq);
    }
    /* held from zero: a gets three for every one of b */
    a->active = b->active = 0;
    for (int i = 0; i < 40; i++) {
        gw_pick_init(&pick, NULL, 0);
        gw_upstream_pick(g.u, &pick, T0);
    }
    ck_assert_uint_eq(a->active, 30);
    ck_assert_uint_eq(b->active, 10);
    free_group(&g);
}
END_TEST

/* ---- random ------------------------------------------------------------- */

START_TEST(test_random_weighted)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .weight = 3 },
        { .addr = "10.0.0.1:9001", .weight = 1 },
        { .addr = "10.0.0.1:9002", .weight = 1, .down = 1 },
    };
    enum { N = 40000 };
    group_t  g = mk_group(GW_BALANCE_RANDOM, s, 3);
    unsigned count[3] = { 0 }, changes = 0;
    char     prev = 0;

    for (int i = 0; i < N; i++) {
        char c = letter(pick_one(g.u, NULL, T0));

        ck_assert(c >= 'a' && c <= 'c');
        count[c - 'a']++;
        changes += prev && c != prev;
        prev = c;
    }
    ck_assert_uint_eq(count[2], 0);                 /* down */
    /* expected 30000 / 10000; the band is over 20 standard deviations */
    ck_assert_msg(count[0] > N * 70 / 100 && count[0] < N * 80 / 100,
                  "weight 3 of 4 got %u of %u", count[0], N);
    /* not a fixed pattern: about 3/8 of consecutive picks differ */
    ck_assert_msg(changes > N / 4 && changes < N / 2, "%u changes", changes);
    free_group(&g);
}
END_TEST

START_TEST(test_random_equal_spread)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
        { .addr = "10.0.0.1:9003" }, { .addr = "10.0.0.1:9004" },
    };
    enum { N = 25000 };
    group_t  g = mk_group(GW_BALANCE_RANDOM, s, 5);
    unsigned count[5] = { 0 };

    for (int i = 0; i < N; i++) {
        count[letter(pick_one(g.u, NULL, T0)) - 'a']++;
    }
    for (int i = 0; i < 5; i++) {
        ck_assert_msg(count[i] > N * 16 / 100 && count[i] < N * 24 / 100,
                      "server %d got %u of %u", i, count[i], N);
    }
    free_group(&g);
}
END_TEST

/* ---- ip_hash ------------------------------------------------------------ */

START_TEST(test_ip_hash_stable_and_by_24)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
    };
    group_t  g = mk_group(GW_BALANCE_IP_HASH, s, 3);
    unsigned seed = 7;

    for (int i = 0; i < 300; i++) {
        unsigned      r = ut_rand(&seed);
        gw_sockaddr_t c1 = v4(r >> 24, (r >> 16) & 255, (r >> 8) & 255, 1);
        gw_sockaddr_t c2 = v4(r >> 24, (r >> 16) & 255, (r >> 8) & 255,
                              2 + r % 253);
        char          first = letter(pick_one(g.u, &c1, T0));

        for (int k = 0; k < 3; k++) {
            ck_assert_int_eq(letter(pick_one(g.u, &c1, T0)), first);
        }
        ck_assert_msg(letter(pick_one(g.u, &c2, T0)) == first,
                      "two addresses of one /24 went apart");
    }
    free_group(&g);
}
END_TEST

START_TEST(test_ip_hash_spreads_networks)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
    };
    enum { N = 3000 };
    group_t  g = mk_group(GW_BALANCE_IP_HASH, s, 3);
    unsigned count[3] = { 0 };

    for (unsigned i = 0; i < N; i++) {
        gw_sockaddr_t c = v4(10 + i / 65536 % 200, i / 256 % 256, i % 256, 9);

        count[letter(pick_one(g.u, &c, T0)) - 'a']++;
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(count[i] > N / 5, "server %d got %u of %u /24s", i,
                      count[i], N);
    }
    free_group(&g);
}
END_TEST

START_TEST(test_ip_hash_weights)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .weight = 2 }, { .addr = "10.0.0.1:9001" },
    };
    enum { N = 6000 };
    group_t  g = mk_group(GW_BALANCE_IP_HASH, s, 2);
    unsigned a = 0;

    for (unsigned i = 0; i < N; i++) {
        gw_sockaddr_t c = v4(100 + i / 256 % 100, i % 256, (i * 7) % 256, 1);

        a += letter(pick_one(g.u, &c, T0)) == 'a';
    }
    ck_assert_msg(a > N * 55 / 100 && a < N * 78 / 100,
                  "weight 2 of 3 got %u of %u", a, N);
    free_group(&g);
}
END_TEST

START_TEST(test_ip_hash_ipv6_whole_address)
{
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
    };
    group_t  g = mk_group(GW_BALANCE_IP_HASH, s, 3);
    unsigned count[3] = { 0 };

    /* addresses that differ only in the last byte still spread */
    for (int i = 0; i < 256; i++) {
        gw_sockaddr_t c;
        char          ip[64];
        char          first;

        snprintf(ip, sizeof(ip), "2001:db8::%x", i);
        ck_assert_int_eq(gw_addr_parse_ip(ip, 1, &c), 0);
        first = letter(pick_one(g.u, &c, T0));
        ck_assert_int_eq(letter(pick_one(g.u, &c, T0)), first);
        count[first - 'a']++;
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(count[i] > 256 / 6, "server %d got %u of 256", i,
                      count[i]);
    }
    free_group(&g);
}
END_TEST

START_TEST(test_ip_hash_down_moves_only_its_clients)
{
    static const srv_t up[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.1:9001" },
        { .addr = "10.0.0.1:9002" },
    };
    static const srv_t one_down[] = {
        { .addr = "10.0.0.1:9000" }, { .addr = "10.0.0.1:9001", .down = 1 },
        { .addr = "10.0.0.1:9002" },
    };
    group_t  g1 = mk_group(GW_BALANCE_IP_HASH, up, 3);
    group_t  g2 = mk_group(GW_BALANCE_IP_HASH, one_down, 3);
    unsigned moved = 0;

    for (unsigned i = 0; i < 1000; i++) {
        gw_sockaddr_t c = v4(172, 16 + i / 256, i % 256, 1);
        char          before = letter(pick_one(g1.u, &c, T0));
        char          after = letter(pick_one(g2.u, &c, T0));

        ck_assert_int_ne(after, 'b');
        if (before != 'b') {
            ck_assert_msg(after == before, "a client of %c moved to %c",
                          before, after);
        } else {
            moved++;
        }
    }
    ck_assert_uint_gt(moved, 0);
    free_group(&g1);
    free_group(&g2);
}
END_TEST

/* ---- consistent_hash ---------------------------------------------------- */

enum { N_KEYS = 10000 };

static gw_sockaddr_t
key_addr(unsigned i)
{
    unsigned      seed = i * 2654435761u + 1;
    unsigned      r = ut_rand(&seed);

    return v4(1 + r % 223, (r >> 8) & 255, (r >> 16) & 255, i & 255);
}

/* Owner letter of each key. */
static void
map_keys(gw_upstream_t *u, char *owner)
{
    for (unsigned i = 0; i < N_KEYS; i++) {
        gw_sockaddr_t c = key_addr(i);

        owner[i] = letter(pick_one(u, &c, T0));
    }
}

static const srv_t ring6[] = {
    { .addr = "10.0.0.1:9000" },
    { .addr = "10.0.0.2:9001" },
    { .addr = "10.0.0.3:9002" },
    { .addr = "10.0.0.4:9003" },
    { .addr = "10.0.0.5:9004" },
    { .addr = "10.0.0.6:9005" },
};

START_TEST(test_chash_stable)
{
    group_t g1 = mk_group(GW_BALANCE_CONSISTENT_HASH, ring6, 4);
    group_t g2 = mk_group(GW_BALANCE_CONSISTENT_HASH, ring6, 4);
    char   *o1 = malloc(N_KEYS), *o2 = malloc(N_KEYS);
    unsigned count[4] = { 0 };

    map_keys(g1.u, o1);
    map_keys(g2.u, o2);     /* another worker, same configuration */
    for (unsigned i = 0; i < N_KEYS; i++) {
        gw_sockaddr_t c = key_addr(i);

        ck_assert_int_eq(o1[i], o2[i]);
        if (i % 50 == 0) {
            ck_assert_int_eq(letter(pick_one(g1.u, &c, T0)), o1[i]);
        }
        count[o1[i] - 'a']++;
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_msg(count[i] > N_KEYS / 8 && count[i] < N_KEYS / 2,
                      "server %d owns %u of %u keys", i, count[i], N_KEYS);
    }
    free(o1);
    free(o2);
    free_group(&g1);
    free_group(&g2);
}
END_TEST

START_TEST(test_chash_add_server_moves_one_share)
{
    /* N servers, then N+1: about 1/(N+1) of the keys move, all to the
     * newcomer */
    for (unsigned n = 3; n <= 5; n++) {
        group_t  before = mk_group(GW_BALANCE_CONSISTENT_HASH, ring6, n);
        group_t  after = mk_group(GW_BALANCE_CONSISTENT_HASH, ring6, n + 1);
        char    *o1 = malloc(N_KEYS), *o2 = malloc(N_KEYS);
        unsigned moved = 0, ideal = N_KEYS / (n + 1);
        char     newcomer = (char) ('a' + n);

        map_keys(before.u, o1);
        map_keys(after.u, o2);
        for (unsigned i = 0; i < N_KEYS; i++) {
            if (o1[i] != o2[i]) {
                moved++;
                ck_assert_msg(o2[i] == newcomer, "key %u moved %c -> %c", i,
                              o1[i], o2[i]);
            }
        }
        ck_assert_msg(moved >= ideal / 2 && moved <= ideal * 16 / 10,
                      "%u -> %u servers: %u of %u keys moved (ideal %u)", n,
                      n + 1, moved, N_KEYS, ideal);
        free(o1);
        free(o2);
        free_group(&before);
        free_group(&after);
    }
}
END_TEST

START_TEST(test_chash_remove_server_keeps_others)
{
    static const srv_t without_c[] = {
        { .addr = "10.0.0.1:9000" },
        { .addr = "10.0.0.2:9001" },
        { .addr = "10.0.0.4:9003" },
        { .addr = "10.0.0.5:9004" },
    };
    group_t  all = mk_group(GW_BALANCE_CONSISTENT_HASH, ring6, 5);
    group_t  less = mk_group(GW_BALANCE_CONSISTENT_HASH, without_c, 4);
    char    *o1 = malloc(N_KEYS), *o2 = malloc(N_KEYS);
    unsigned moved = 0;

    map_keys(all.u, o1);
    map_keys(less.u, o2);
    for (unsigned i = 0; i < N_KEYS; i++) {
        ck_assert_int_ne(o2[i], 'c');
        if (o1[i] != 'c') {
            ck_assert_msg(o1[i] == o2[i], "key %u of %c moved to %c", i,
                          o1[i], o2[i]);
        } else {
            moved++;
        }
    }
    ck_assert_msg(moved >= N_KEYS / 5 / 2 && moved <= N_KEYS / 5 * 16 / 10,
                  "the removed server owned %u of %u keys", moved, N_KEYS);
    free(o1);
    free(o2);
    free_group(&all);
    free_group(&less);
}
END_TEST

START_TEST(test_chash_down_moves_only_its_keys)
{
    static const srv_t with_down[] = {
        { .addr = "10.0.0.1:9000" }, { .addr = "10.0.0.2:9001", .down = 1 },
        { .addr = "10.0.0.3:9002" }, { .addr = "10.0.0.4:9003" },
    };
    group_t g1 = mk_group(GW_BALANCE_CONSISTENT_HASH, ring6, 4);
    group_t g2 = mk_group(GW_BALANCE_CONSISTENT_HASH, with_down, 4);
    char   *o1 = malloc(N_KEYS), *o2 = malloc(N_KEYS);

    map_keys(g1.u, o1);
    map_keys(g2.u, o2);
    for (unsigned i = 0; i < N_KEYS; i++) {
        ck_assert_int_ne(o2[i], 'b');
        if (o1[i] != 'b') {
            ck_assert_int_eq(o1[i], o2[i]);
        }
    }
    free(o1);
    free(o2);
    free_group(&g1);
    free_group(&g2);
}
END_TEST

START_TEST(test_chash_retry_walks_on)
{
    group_t g = mk_group(GW_BALANCE_CONSISTENT_HASH, ring6, 4);

    for (unsigned i = 0; i < 200; i++) {
        gw_sockaddr_t c = key_addr(i);
        gw_pick_t     pick;
        gw_peer_t    *p1, *p2;

        gw_pick_init(&pick, &c, 0);
        p1 = gw_upstream_pick(g.u, &pick, T0);
        gw_upstream_release(g.u, p1, 1, T0);
        p2 = gw_upstream_pick(g.u, &pick, T0);
        ck_assert_ptr_nonnull(p2);
        ck_assert_ptr_ne(p1, p2);
        gw_upstream_release(g.u, p2, 0, T0);
        /* the failure is forgotten for the next test key */
        g.u->peers[p1 - g.u->peers].fails = 0;
    }
    free_group(&g);
}
END_TEST

START_TEST(test_chash_ipv6_keys)
{
    group_t  g = mk_group(GW_BALANCE_CONSISTENT_HASH, ring6, 3);
    unsigned count[3] = { 0 };

    for (int i = 0; i < 600; i++) {
        gw_sockaddr_t c;
        char          ip[64], first;

        snprintf(ip, sizeof(ip), "2001:db8:%x::%x", i / 7, i);
        ck_assert_int_eq(gw_addr_parse_ip(ip, 1, &c), 0);
        first = letter(pick_one(g.u, &c, T0));
        ck_assert_int_eq(letter(pick_one(g.u, &c, T0)), first);
        count[first - 'a']++;
    }
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_gt(count[i], 600 / 6);
    }
    free_group(&g);
}
END_TEST

START_TEST(test_least_conn_per_weight_heavy_last)
{
    /* the same with the heavier server second in the list */
    static const srv_t s[] = {
        { .addr = "10.0.0.1:9000", .weight = 1 },
        { .addr = "10.0.0.1:9001", .weight = 3 },
    };
    group_t    g = mk_group(GW_BALANCE_LEAST_CONN, s, 2);
    gw_peer_t *a = peer(g.u, 'a'), *b = peer(g.u, 'b');

    a->active = 1;      /* 1/1 > 2/3 */
    b->active = 2;
    ck_assert_int_eq(letter(pick_one(g.u, NULL, T0)), 'b');
    b->active = 5;      /* 1/1 < 5/3 */
    ck_assert_int_eq(letter(pick_one(g.u, NULL, T0)), 'a');
    free_group(&g);
}
END_TEST

Suite *
upstream_suite(void)
{
    Suite *s = suite_create("upstream");
    TCase *base = tcase_create("groups");
    TCase *rr = tcase_create("round_robin");
    TCase *lc = tcase_create("least_conn");
    TCase *rnd = tcase_create("random");
    TCase *ip = tcase_create("ip_hash");
    TCase *ch = tcase_create("consistent_hash");

    tcase_add_test(base, test_upstream_peers_primaries_first);
    tcase_add_test(base, test_upstream_from_config);
    tcase_add_test(base, test_backup_only_when_primaries_unusable);
    tcase_add_test(base, test_backup_when_primaries_down);
    tcase_add_test(base, test_max_fails_fail_timeout);
    tcase_add_test(base, test_failures_outside_window_do_not_add_up);
    tcase_add_test(base, test_connected_resets_failures);
    tcase_add_test(base, test_max_fails_zero_never_skipped);
    tcase_add_test(base, test_lone_server_never_skipped);
    tcase_add_test(base, test_tried_not_picked_twice);
    tcase_add_test(base, test_max_tries);
    tcase_add_test(base, test_active_counts);
    suite_add_tcase(s, base);

    tcase_add_test(rr, test_rr_nginx_sequence_5_1_1);
    tcase_add_test(rr, test_rr_proportions_3_2_1);
    tcase_add_test(rr, test_rr_equal_weights);
    tcase_add_test(rr, test_rr_down_never_picked);
    suite_add_tcase(s, rr);

    tcase_add_test(lc, test_least_conn_prefers_fewest);
    tcase_add_test(lc, test_least_conn_ties_round_robin);
    tcase_add_test(lc, test_least_conn_held_spreads_evenly);
    tcase_add_test(lc, test_least_conn_per_weight);
    tcase_add_test(lc, test_least_conn_per_weight_heavy_last);
    suite_add_tcase(s, lc);

    tcase_add_test(rnd, test_random_weighted);
    tcase_add_test(rnd, test_random_equal_spread);
    suite_add_tcase(s, rnd);

    tcase_add_test(ip, test_ip_hash_stable_and_by_24);
    tcase_add_test(ip, test_ip_hash_spreads_networks);
    tcase_add_test(ip, test_ip_hash_weights);
    tcase_add_test(ip, test_ip_hash_ipv6_whole_address);
    tcase_add_test(ip, test_ip_hash_down_moves_only_its_clients);
    suite_add_tcase(s, ip);

    tcase_add_test(ch, test_chash_stable);
    tcase_add_test(ch, test_chash_add_server_moves_one_share);
    tcase_add_test(ch, test_chash_remove_server_keeps_others);
    tcase_add_test(ch, test_chash_down_moves_only_its_keys);
    tcase_add_test(ch, test_chash_retry_walks_on);
    tcase_add_test(ch, test_chash_ipv6_keys);
    tcase_set_timeout(ch, 20);
    suite_add_tcase(s, ch);
    return s;
}
