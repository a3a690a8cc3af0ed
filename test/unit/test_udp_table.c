/*
 * test/unit/test_udp_table.c: the table of UDP sessions (worker/udp_table.h).
 * Keys: IPv4 and IPv6 clients, with and without a local address, on
 * different listen sockets; keys that differ in one field only (port,
 * address, local address, socket, family, scope) are distinct, while bytes
 * that mean nothing (sin_zero, flowinfo, the rest of the union, filled with
 * 0xAA) never matter. The table: find, add, delete anywhere in a chain,
 * and 10,000 entries in 16 buckets or in enough, half deleted, the rest
 * found again, the deleted ones added back.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/udp_table.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

/* An IPv4 address with every byte that means nothing set to FILL. */
static gw_sockaddr_t
v4(const char *ip, uint16_t port, int fill)
{
    gw_sockaddr_t a;

    memset(&a, fill, sizeof(a));
    a.sin.sin_family = AF_INET;
    a.sin.sin_port = htons(port);
    ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin.sin_addr), 1);
    return a;
}

/* An IPv6 address (scope 0, flowinfo garbage) likewise. */
static gw_sockaddr_t
v6(const char *ip, uint16_t port, int fill)
{
    gw_sockaddr_t a;

    memset(&a, fill, sizeof(a));
    a.sin6.sin6_family = AF_INET6;
    a.sin6.sin6_port = htons(port);
    a.sin6.sin6_scope_id = 0;
    ck_assert_int_eq(inet_pton(AF_INET6, ip, &a.sin6.sin6_addr), 1);
    return a;
}

static gw_udp_key_t
key(uint32_t socket, gw_sockaddr_t client, const gw_sockaddr_t *local)
{
    gw_udp_key_t k;

    memset(&k, 0x55, sizeof(k));    /* key_set must not depend on it */
    gw_udp_key_set(&k, socket, &client, local);
    return k;
}

/* Does the table say A and B are the same key? (B found after adding A) */
static int
same_key(const gw_udp_key_t *a, const gw_udp_key_t *b)
{
    gw_udp_table_t t;
    gw_udp_entry_t e;
    int            found;

    ck_assert_int_eq(gw_udp_table_init(&t, 4), 0);
    e.key = *a;
    gw_udp_table_add(&t, &e);
    ck_assert_ptr_eq(gw_udp_table_find(&t, a), &e);
    found = gw_udp_table_find(&t, b) == &e;
    gw_udp_table_fini(&t);
    return found;
}

START_TEST(test_udp_table_init)
{
    gw_udp_table_t t;

    ck_assert_int_eq(gw_udp_table_init(&t, 0), 0);
    ck_assert_uint_eq(t.mask + 1, 16);
    ck_assert_uint_eq(t.count, 0);
    gw_udp_table_fini(&t);
    ck_assert_ptr_null(t.buckets);

    ck_assert_int_eq(gw_udp_table_init(&t, 17), 0);
    ck_assert_uint_eq(t.mask + 1, 32);
    gw_udp_table_fini(&t);

    ck_assert_int_eq(gw_udp_table_init(&t, 512), 0);
    ck_assert_uint_eq(t.mask + 1, 512);
    gw_udp_table_fini(&t);

    /* worker_connections / 2 may be huge: bounded */
    ck_assert_int_eq(gw_udp_table_init(&t, UINT32_MAX), 0);
    ck_assert_uint_eq(t.mask + 1, UINT32_C(1) << 24);
    gw_udp_table_fini(&t);
}
END_TEST

START_TEST(test_udp_table_empty_find)
{
    gw_udp_table_t t;
    gw_udp_key_t   k = key(0, v4("127.0.0.1", 5000, 0), NULL);

    ck_assert_int_eq(gw_udp_table_init(&t, 0), 0);
    ck_assert_ptr_null(gw_udp_table_find(&t, &k));
    gw_udp_table_fini(&t);
}
END_TEST

/* The key holds what it was given, and only that. */
START_TEST(test_udp_key_set_fields)
{
    gw_sockaddr_t c4 = v4("10.1.2.3", 4242, 0xAA);
    gw_sockaddr_t l4 = v4("127.0.0.2", 53, 0xAA);
    gw_sockaddr_t c6 = v6("2001:db8::7", 9999, 0xAA);
    gw_udp_key_t  k = key(3, c4, NULL);

    ck_assert_uint_eq(k.socket, 3);
    ck_assert_int_eq(k.client.sa.sa_family, AF_INET);
    ck_assert_uint_eq(ntohs(k.client.sin.sin_port), 4242);
    ck_assert_uint_eq(k.client.sin.sin_addr.s_addr, c4.sin.sin_addr.s_addr);
    ck_assert_int_eq(k.local.sa.sa_family, 0);
    for (size_t i = 0; i < sizeof(k.client.sin.sin_zero); i++) {
        ck_assert_uint_eq((unsigned char) k.client.sin.sin_zero[i], 0);
    }

    k = key(7, c6, &l4);
    ck_assert_uint_eq(k.socket, 7);
    ck_assert_int_eq(k.client.sa.sa_family, AF_INET6);
    ck_assert_uint_eq(ntohs(k.client.sin6.sin6_port), 9999);
    ck_assert_mem_eq(&k.client.sin6.sin6_addr, &c6.sin6.sin6_addr, 16);
    ck_assert_uint_eq(k.client.sin6.sin6_flowinfo, 0);
    ck_assert_int_eq(k.local.sa.sa_family, AF_INET);
    ck_assert_uint_eq(ntohs(k.local.sin.sin_port), 53);
    ck_assert_uint_eq(k.local.sin.sin_addr.s_addr, l4.sin.sin_addr.s_addr);
}
END_TEST

/* Equal keys built from addresses with different garbage. */
static const struct {
    const char *what;
    int         family;
    const char *client;
    const char *local;     /* NULL: none */
} equal_cases[] = {
    { "IPv4 client, no local",              AF_INET,  "127.0.0.1",   NULL },
    { "IPv4 client, IPv4 local",            AF_INET,  "192.0.2.1",   "127.0.0.2" },
    { "IPv6 client, no local",              AF_INET6, "::1",         NULL },
    { "IPv6 client, IPv6 local",            AF_INET6, "2001:db8::1", "fe80::1" },
    { "IPv4-mapped IPv6 client",            AF_INET6, "::ffff:10.0.0.1", NULL },
};

START_TEST(test_udp_key_garbage_ignored)
{
    const char   *ip = equal_cases[_i].client, *lip = equal_cases[_i].local;
    int           f = equal_cases[_i].family;
    gw_sockaddr_t c1 = f == AF_INET ? v4(ip, 1234, 0xAA) : v6(ip, 1234, 0xAA);
    gw_sockaddr_t c2 = f == AF_INET ? v4(ip, 1234, 0x00) : v6(ip, 1234, 0x00);
    gw_sockaddr_t l1 = c1, l2 = c2;
    gw_udp_key_t  a, b;

    if (lip) {
        l1 = f == AF_INET ? v4(lip, 53, 0xAA) : v6(lip, 53, 0xAA);
        l2 = f == AF_INET ? v4(lip, 53, 0x00) : v6(lip, 53, 0x00);
    }
    if (f == AF_INET6) {
        c1.sin6.sin6_flowinfo = htonl(0x12345);
        c2.sin6.sin6_flowinfo = 0;
    }
    a = key(2, c1, lip ? &l1 : NULL);
    b = key(2, c2, lip ? &l2 : NULL);
    ck_assert_msg(same_key(&a, &b), "%s: garbage changed the key",
                  equal_cases[_i].what);
    ck_assert_msg(memcmp(&a, &b, sizeof(a)) == 0, "%s: key bytes differ",
                  equal_cases[_i].what);
}
END_TEST

/* A local address of family 0 is no local address. */
START_TEST(test_udp_key_unset_local_is_none)
{
    gw_sockaddr_t none;
    gw_udp_key_t  a, b;

    memset(&none, 0xAA, sizeof(none));
    none.sa.sa_family = AF_UNSPEC;
    a = key(0, v4("127.0.0.1", 80, 0xAA), NULL);
    b = key(0, v4("127.0.0.1", 80, 0x00), &none);
    ck_assert(same_key(&a, &b));
}
END_TEST

/* Keys that differ in exactly one thing. */
START_TEST(test_udp_key_one_difference)
{
    gw_sockaddr_t c = v4("127.0.0.1", 40000, 0xAA);
    gw_sockaddr_t l = v4("127.0.0.1", 53, 0xAA);
    gw_sockaddr_t l2 = v4("127.0.0.2", 53, 0xAA);
    gw_sockaddr_t c6 = v6("::1", 40000, 0xAA);
    gw_sockaddr_t l6 = v6("::1", 53, 0xAA);
    gw_udp_key_t  base = key(1, c, &l), other;
    gw_sockaddr_t x;

    /* the client port */
    x = c;
    x.sin.sin_port = htons(40001);
    other = key(1, x, &l);
    ck_assert_msg(!same_key(&base, &other), "client port ignored");

    /* the client address */
    x = v4("127.0.0.3", 40000, 0xAA);
    other = key(1, x, &l);
    ck_assert_msg(!same_key(&base, &other), "client address ignored");

    /* the local address */
    other = key(1, c, &l2);
    ck_assert_msg(!same_key(&base, &other), "local address ignored");

    /* the local port (another wildcard listener's) */
    x = l;
    x.sin.sin_port = htons(54);
    other = key(1, c, &x);
    ck_assert_msg(!same_key(&base, &other), "local port ignored");

    /* local address set or not */
    other = key(1, c, NULL);
    ck_assert_msg(!same_key(&base, &other), "local address presence ignored");

    /* the listen socket */
    other = key(2, c, &l);
    ck_assert_msg(!same_key(&base, &other), "socket index ignored");
    other = key(1 + (UINT32_C(1) << 31), c, &l);
    ck_assert_msg(!same_key(&base, &other), "socket index high bit ignored");

    /* the family: 127.0.0.1 and ::ffff:127.0.0.1 are two clients */
    x = v6("::ffff:127.0.0.1", 40000, 0xAA);
    other = key(1, x, &l);
    ck_assert_msg(!same_key(&base, &other), "family ignored");

    /* IPv6: port, address, scope */
    base = key(0, c6, &l6);
    x = c6;
    x.sin6.sin6_port = htons(40001);
    other = key(0, x, &l6);
    ck_assert_msg(!same_key(&base, &other), "IPv6 client port ignored");
    x = v6("::2", 40000, 0xAA);
    other = key(0, x, &l6);
    ck_assert_msg(!same_key(&base, &other), "IPv6 client address ignored");
    x = l6;
    x.sin6.sin6_scope_id = 1;
    other = key(0, c6, &x);
    ck_assert_msg(!same_key(&base, &other), "IPv6 local scope ignored");
    x = v6("::3", 53, 0xAA);
    other = key(0, c6, &x);
    ck_assert_msg(!same_key(&base, &other), "IPv6 local address ignored");
}
END_TEST

START_TEST(test_udp_table_add_find_del)
{
    gw_udp_table_t t;
    gw_udp_entry_t a, b, c;
    gw_udp_key_t   ka = key(0, v4("127.0.0.1", 1000, 0xAA), NULL);
    gw_udp_key_t   kb = key(0, v4("127.0.0.1", 1001, 0xAA), NULL);
    gw_udp_key_t   kc = key(1, v6("::1", 1000, 0xAA), NULL);

    ck_assert_int_eq(gw_udp_table_init(&t, 0), 0);
    a.key = ka;
    b.key = kb;
    c.key = kc;
    gw_udp_table_add(&t, &a);
    ck_assert_uint_eq(t.count, 1);
    ck_assert_ptr_eq(gw_udp_table_find(&t, &ka), &a);
    ck_assert_ptr_null(gw_udp_table_find(&t, &kb));
    gw_udp_table_add(&t, &b);
    gw_udp_table_add(&t, &c);
    ck_assert_uint_eq(t.count, 3);
    ck_assert_ptr_eq(gw_udp_table_find(&t, &ka), &a);
    ck_assert_ptr_eq(gw_udp_table_find(&t, &kb), &b);
    ck_assert_ptr_eq(gw_udp_table_find(&t, &kc), &c);

    gw_udp_table_del(&t, &b);
    ck_assert_uint_eq(t.count, 2);
    ck_assert_ptr_null(gw_udp_table_find(&t, &kb));
    ck_assert_ptr_eq(gw_udp_table_find(&t, &ka), &a);
    ck_assert_ptr_eq(gw_udp_table_find(&t, &kc), &c);

    /* added back, found again */
    gw_udp_table_add(&t, &b);
    ck_assert_ptr_eq(gw_udp_table_find(&t, &kb), &b);
    gw_udp_table_del(&t, &a);
    gw_udp_table_del(&t, &b);
    gw_udp_table_del(&t, &c);
    ck_assert_uint_eq(t.count, 0);
    ck_assert_ptr_null(gw_udp_table_find(&t, &ka));
    ck_assert_ptr_null(gw_udp_table_find(&t, &kc));
    for (uint32_t i = 0; i <= t.mask; i++) {
        ck_assert_ptr_null(t.buckets[i]);
    }
    gw_udp_table_fini(&t);
}
END_TEST

/* One bucket's chain (a table of 16 with 64 entries): delete the head,
 * the tail and the middle, the rest stays found. */
START_TEST(test_udp_table_chain_delete)
{
    enum { N = 64 };
    gw_udp_table_t t;
    gw_udp_entry_t e[N];
    int            gone[N] = { 0 };
    const int      order[] = { 0, N - 1, 31, 1, 62, 17, 32, 30 };

    ck_assert_int_eq(gw_udp_table_init(&t, 0), 0);
    for (int i = 0; i < N; i++) {
        e[i].key = key(0, v4("127.0.0.1", (uint16_t) (2000 + i), 0xAA), NULL);
        gw_udp_table_add(&t, &e[i]);
    }
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        gw_udp_table_del(&t, &e[order[k]]);
        gone[order[k]] = 1;
        for (int i = 0; i < N; i++) {
            ck_assert_ptr_eq(gw_udp_table_find(&t, &e[i].key),
                             gone[i] ? NULL : &e[i]);
        }
    }
    ck_assert_uint_eq(t.count, N - 8);
    gw_udp_table_fini(&t);
}
END_TEST

/* 10,000 keys of every kind; EXPECTED sizes the table (16 or plenty). */
static void
stress(uint32_t expected)
{
    enum { N = 10000 };
    gw_udp_table_t  t;
    gw_udp_entry_t *e = calloc(N, sizeof(*e));
    unsigned        seed = 12345;
    int            *perm = calloc(N, sizeof(*perm));

    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(perm);
    ck_assert_int_eq(gw_udp_table_init(&t, expected), 0);
    for (int i = 0; i < N; i++) {
        gw_sockaddr_t c, l = { .sa = { .sa_family = AF_UNSPEC } };
        char          ip[64];
        uint16_t      port = (uint16_t) (1024 + i % 4000);
        int           kind = i % 4;

        /* ports repeat every 4,000: only address, family, local or socket
         * tell those keys apart */
        if (kind == 0 || kind == 2) {
            snprintf(ip, sizeof(ip), "10.%d.%d.1", (i / 4000) % 256, i % 256);
            c = v4(ip, port, 0xAA);
        } else {
            snprintf(ip, sizeof(ip), "2001:db8::%x:%x", i / 4000, i % 256);
            c = v6(ip, port, 0xAA);
        }
        if (kind == 2) {
            l = v4("127.0.0.2", 53, 0xAA);
        } else if (kind == 3) {
            l = v6("::1", 53, 0xAA);
        }
        e[i].key = key((uint32_t) (i % 3), c, kind >= 2 ? &l : NULL);
        ck_assert_msg(gw_udp_table_find(&t, &e[i].key) == NULL,
                      "key %d found before it was added", i);
        gw_udp_table_add(&t, &e[i]);
        perm[i] = i;
    }
    ck_assert_uint_eq(t.count, N);
    for (int i = 0; i < N; i++) {
        ck_assert_ptr_eq(gw_udp_table_find(&t, &e[i].key), &e[i]);
    }

    /* delete half, in random order */
    for (int i = N - 1; i > 0; i--) {
        int j = (int) (ut_rand(&seed) % (unsigned) (i + 1)), x = perm[i];

        perm[i] = perm[j];
        perm[j] = x;
    }
    for (int k = 0; k < N / 2; k++) {
        gw_udp_table_del(&t, &e[perm[k]]);
    }
    ck_assert_uint_eq(t.count, N / 2);
    for (int k = 0; k < N; k++) {
        gw_udp_key_t copy = e[perm[k]].key;     /* a key of its own */

        ck_assert_ptr_eq(gw_udp_table_find(&t, &copy),
                         k < N / 2 ? NULL : &e[perm[k]]);
    }

    /* and back */
    for (int k = 0; k < N / 2; k++) {
        gw_udp_table_add(&t, &e[perm[k]]);
    }
    ck_assert_uint_eq(t.count, N);
    for (int i = 0; i < N; i++) {
        ck_assert_ptr_eq(gw_udp_table_find(&t, &e[i].key), &e[i]);
    }
    for (int i = 0; i < N; i++) {
        gw_udp_table_del(&t, &e[i]);
    }
    ck_assert_uint_eq(t.count, 0);
    gw_udp_table_fini(&t);
    free(perm);
    free(e);
}

START_TEST(test_udp_table_stress_16_buckets)
{
    stress(0);
}
END_TEST

START_TEST(test_udp_table_stress_sized)
{
    stress(10000);
}
END_TEST

Suite *
udp_table_suite(void)
{
    Suite *s = suite_create("udp_table");
    TCase *tc = tcase_create("sessions");

    tcase_add_test(tc, test_udp_table_init);
    tcase_add_test(tc, test_udp_table_empty_find);
    tcase_add_test(tc, test_udp_key_set_fields);
    tcase_add_loop_test(tc, test_udp_key_garbage_ignored, 0,
                        sizeof(equal_cases) / sizeof(equal_cases[0]));
    tcase_add_test(tc, test_udp_key_unset_local_is_none);
    tcase_add_test(tc, test_udp_key_one_difference);
    tcase_add_test(tc, test_udp_table_add_find_del);
    tcase_add_test(tc, test_udp_table_chain_delete);
    tcase_add_test(tc, test_udp_table_stress_16_buckets);
    tcase_add_test(tc, test_udp_table_stress_sized);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}
