/*
 * test/unit/test_addr.c: address text forms and CIDR blocks
 * (common/addr.h): listen addresses, HOST:PORT splitting, formatting,
 * and which clients an allow/deny rule covers.
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "common/addr.h"
#include "test/unit/suites.h"

/* ---- listen addresses --------------------------------------------------- */

static const struct {
    const char *text;
    int         family;
    const char *formatted;
} listen_good[] = {
    { "80",                 AF_INET,  "0.0.0.0:80" },
    { "1",                  AF_INET,  "0.0.0.0:1" },
    { "65535",              AF_INET,  "0.0.0.0:65535" },
    { "*:8080",             AF_INET,  "0.0.0.0:8080" },
    { "127.0.0.1:80",       AF_INET,  "127.0.0.1:80" },
    { "0.0.0.0:443",        AF_INET,  "0.0.0.0:443" },
    { "10.1.2.3:65535",     AF_INET,  "10.1.2.3:65535" },
    { "[::1]:443",          AF_INET6, "[::1]:443" },
    { "[::]:80",            AF_INET6, "[::]:80" },
    { "[fe80::1:2]:8080",   AF_INET6, "[fe80::1:2]:8080" },
    { "[2001:db8::a]:1",    AF_INET6, "[2001:db8::a]:1" },
    { "[::ffff:10.0.0.1]:53", AF_INET6, "[::ffff:10.0.0.1]:53" },
};

START_TEST(test_addr_listen_good)
{
    gw_sockaddr_t a;
    char          buf[GW_ADDR_STRLEN];
    const char   *text = listen_good[_i].text;

    memset(&a, 0x5a, sizeof(a));
    ck_assert_msg(gw_addr_parse_listen(text, &a) == 0, "\"%s\" refused",
                  text);
    ck_assert_int_eq(a.sa.sa_family, listen_good[_i].family);
    gw_sockaddr_format(&a, buf, sizeof(buf));
    ck_assert_str_eq(buf, listen_good[_i].formatted);
    ck_assert_uint_eq(gw_sockaddr_len(&a), listen_good[_i].family == AF_INET
                      ? sizeof(struct sockaddr_in)
                      : sizeof(struct sockaddr_in6));
}
END_TEST

static const char *const listen_bad[] = {
    "", "0", "65536", "99999", "123456", "-1", "+80", " 80", "80 ", "8o",
    "*:0", "*:", "*", ":80", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
    "127.0.0.1:65536", "127.0.0.1:80x", "127.0.0.1:-80", "1.2.3:80",
    "1.2.3.4.5:80", "256.1.1.1:80", "::1", "::1:80", "fe80::1:8080",
    "[::1]", "[::1]80", "[::1]:", "[::1]:0", "[::1]:65536", "[::1:80",
    "::1]:80", "[]:80", "[127.0.0.1]:80", "[*]:80", "localhost:80",
    "example.com:443", "abc", "[::g]:80",
};

START_TEST(test_addr_listen_bad)
{
    gw_sockaddr_t a;

    ck_assert_msg(gw_addr_parse_listen(listen_bad[_i], &a) == -1,
                  "\"%s\" accepted as a listen address", listen_bad[_i]);
}
END_TEST

START_TEST(test_addr_parse_port)
{
    static const struct { const char *text; int port; } cases[] = {
        { "1", 1 }, { "80", 80 }, { "65535", 65535 }, { "0", -1 },
        { "65536", -1 }, { "", -1 }, { "-1", -1 }, { "1a", -1 },
        { "123456", -1 }, { " 1", -1 }, { "4294967376", -1 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint16_t port = 7;
        int      rc = gw_addr_parse_port(cases[i].text, &port);

        if (cases[i].port < 0) {
            ck_assert_msg(rc == -1, "port \"%s\" accepted", cases[i].text);
        } else {
            ck_assert_msg(rc == 0 && port == cases[i].port,
                          "port \"%s\": rc %d port %u", cases[i].text, rc,
                          port);
        }
    }
}
END_TEST

/* ---- HOST:PORT ---------------------------------------------------------- */

START_TEST(test_addr_split)
{
    static const struct {
        const char *text;
        const char *host;       /* NULL: refused */
        int         port;
    } cases[] = {
        { "example.com:80",     "example.com", 80 },
        { "127.0.0.1:9000",     "127.0.0.1",   9000 },
        { "[::1]:80",           "::1",         80 },
        { "[fe80::1]:65535",    "fe80::1",     65535 },
        { "localhost:1",        "localhost",   1 },
        { "a:8080",             "a",           8080 },
        { "example.com",        NULL, 0 },
        { "example.com:",       NULL, 0 },
        { "example.com:0",      NULL, 0 },
        { "example.com:65536",  NULL, 0 },
        { "example.com:http",   NULL, 0 },
        { ":80",                NULL, 0 },
        { "[]:80",              NULL, 0 },
        { "::1:80",             NULL, 0 },
        { "[::1]",              NULL, 0 },
        { "[::1]80",            NULL, 0 },
        { "[::1:80",            NULL, 0 },
        { "",                   NULL, 0 },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char     host[64] = "";
        uint16_t port = 0;
        int      rc = gw_addr_split(cases[i].text, host, sizeof(host), &port);

        if (cases[i].host == NULL) {
            ck_assert_msg(rc == -1, "\"%s\" split into \"%s\" %u",
                          cases[i].text, host, port);
        } else {
            ck_assert_msg(rc == 0, "\"%s\" refused", cases[i].text);
            ck_assert_str_eq(host, cases[i].host);
            ck_assert_int_eq(port, cases[i].port);
        }
    }
}
END_TEST

START_TEST(test_addr_split_host_too_long)
{
    char     host[8];
    uint16_t port;

    memset(host, 'x', sizeof(host));
    ck_assert_int_eq(gw_addr_split("example.com:80", host, sizeof(host),
                                   &port), -1);
    ck_assert_int_eq(gw_addr_split("1234567:80", host, sizeof(host), &port),
                     0);
    ck_assert_str_eq(host, "1234567");
    ck_assert_int_eq(gw_addr_split("12345678:80", host, sizeof(host), &port),
                     -1);
}
END_TEST

START_TEST(test_addr_parse_ip)
{
    gw_sockaddr_t a;
    char          buf[GW_ADDR_STRLEN];

    ck_assert_int_eq(gw_addr_parse_ip("10.0.0.1", 53, &a), 0);
    ck_assert_int_eq(a.sa.sa_family, AF_INET);
    ck_assert_uint_eq(gw_sockaddr_port(&a), 53);
    ck_assert_int_eq(gw_addr_parse_ip("2001:db8::1", 8443, &a), 0);
    ck_assert_int_eq(a.sa.sa_family, AF_INET6);
    ck_assert_uint_eq(gw_sockaddr_port(&a), 8443);
    gw_sockaddr_format(&a, buf, sizeof(buf));
    ck_assert_str_eq(buf, "[2001:db8::1]:8443");
    ck_assert_int_eq(gw_addr_parse_ip("localhost", 80, &a), -1);
    ck_assert_int_eq(gw_addr_parse_ip("[::1]", 80, &a), -1);
    ck_assert_int_eq(gw_addr_parse_ip("", 80, &a), -1);
}
END_TEST

/* ---- formatting and comparing ------------------------------------------- */

START_TEST(test_addr_format)
{
    gw_sockaddr_t a, b;
    char          buf[GW_ADDR_STRLEN], small[6];
    const uint8_t *bytes;

    gw_addr_parse_ip("192.168.10.20", 8080, &a);
    ck_assert_uint_eq(gw_sockaddr_format(&a, buf, sizeof(buf)), 18);
    ck_assert_str_eq(buf, "192.168.10.20:8080");
    ck_assert_uint_eq(gw_sockaddr_format_ip(&a, buf, sizeof(buf)), 13);
    ck_assert_str_eq(buf, "192.168.10.20");
    ck_assert_uint_eq(gw_sockaddr_ip_bytes(&a, &bytes), 4);
    ck_assert_int_eq(bytes[0], 192);
    ck_assert_int_eq(bytes[3], 20);

    /* truncation keeps a NUL and reports what was written */
    ck_assert_uint_eq(gw_sockaddr_format(&a, small, sizeof(small)), 5);
    ck_assert_str_eq(small, "192.1");

    gw_addr_parse_ip("::ffff:1.2.3.4", 1, &b);
    gw_sockaddr_format(&b, buf, sizeof(buf));
    ck_assert_str_eq(buf, "[::ffff:1.2.3.4]:1");
    ck_assert_uint_eq(gw_sockaddr_ip_bytes(&b, &bytes), 16);
    ck_assert_int_eq(bytes[10], 0xff);
    ck_assert_int_eq(bytes[15], 4);

    /* the longest form fits GW_ADDR_STRLEN */
    gw_addr_parse_ip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 65535,
                     &b);
    ck_assert_uint_lt(gw_sockaddr_format(&b, buf, sizeof(buf)),
                      GW_ADDR_STRLEN - 1);
    ck_assert_ptr_nonnull(strstr(buf, "]:65535"));
}
END_TEST

START_TEST(test_addr_eq)
{
    gw_sockaddr_t a, b;

    gw_addr_parse_ip("10.0.0.1", 80, &a);
    gw_addr_parse_ip("10.0.0.1", 80, &b);
    ck_assert(gw_sockaddr_eq(&a, &b));
    gw_addr_parse_ip("10.0.0.1", 81, &b);
    ck_assert(!gw_sockaddr_eq(&a, &b));
    gw_addr_parse_ip("10.0.0.2", 80, &b);
    ck_assert(!gw_sockaddr_eq(&a, &b));
    gw_addr_parse_ip("::ffff:10.0.0.1", 80, &b);
    ck_assert(!gw_sockaddr_eq(&a, &b));     /* other family */
    gw_addr_parse_ip("::1", 80, &a);
    gw_addr_parse_ip("::1", 80, &b);
    ck_assert(gw_sockaddr_eq(&a, &b));
    gw_addr_parse_ip("::2", 80, &b);
    ck_assert(!gw_sockaddr_eq(&a, &b));
    /* "80" and "*:80" and "0.0.0.0:80" are one address */
    gw_addr_parse_listen("80", &a);
    gw_addr_parse_listen("*:80", &b);
    ck_assert(gw_sockaddr_eq(&a, &b));
    gw_addr_parse_listen("0.0.0.0:80", &b);
    ck_assert(gw_sockaddr_eq(&a, &b));
}
END_TEST

/* ---- CIDR --------------------------------------------------------------- */

static const struct {
    const char *text;
    int         family;         /* AF_UNSPEC for "all" */
    int         bits;
    const char *addr;           /* network address after clearing host bits */
} cidr_good[] = {
    { "all",                AF_UNSPEC, 0,   NULL },
    { "10.0.0.0/8",         AF_INET,   8,   "10.0.0.0" },
    { "10.1.2.3/8",         AF_INET,   8,   "10.0.0.0" },
    { "192.168.1.77/24",    AF_INET,   24,  "192.168.1.0" },
    { "192.168.1.7",        AF_INET,   32,  "192.168.1.7" },
    { "192.168.1.7/32",     AF_INET,   32,  "192.168.1.7" },
    { "10.0.0.255/31",      AF_INET,   31,  "10.0.0.254" },
    { "10.255.0.0/9",       AF_INET,   9,   "10.128.0.0" },
    { "255.255.255.255/1",  AF_INET,   1,   "128.0.0.0" },
    { "1.2.3.4/0",          AF_INET,   0,   "0.0.0.0" },
    { "::1",                AF_INET6,  128, "::1" },
    { "::/0",               AF_INET6,  0,   "::" },
    { "fd12:3456::1/8",     AF_INET6,  8,   "fd00::" },
    { "2001:db8:1:2::5/64", AF_INET6,  64,  "2001:db8:1:2::" },
    { "2001:db8::1/127",    AF_INET6,  127, "2001:db8::" },
    { "2001:db8::ff/121",   AF_INET6,  121, "2001:db8::80" },
};

START_TEST(test_cidr_parse_good)
{
    gw_cidr_t c;
    char      buf[64];

    memset(&c, 0x77, sizeof(c));
    ck_assert_msg(gw_cidr_parse(cidr_good[_i].text, &c) == 0,
                  "\"%s\" refused", cidr_good[_i].text);
    ck_assert_int_eq(c.family, cidr_good[_i].family);
    if (c.family == AF_UNSPEC) {
        return;
    }
    ck_assert_int_eq(c.bits, cidr_good[_i].bits);
    ck_assert_ptr_nonnull(inet_ntop(c.family, c.addr, buf, sizeof(buf)));
    ck_assert_msg(strcmp(buf, cidr_good[_i].addr) == 0,
                  "\"%s\": network %s, want %s", cidr_good[_i].text, buf,
                  cidr_good[_i].addr);
}
END_TEST

static const char *const cidr_bad[] = {
    "", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
    "10.0.0.0/a", "10.0.0.0/8a", "10.0.0.0/ 8", "10.0.0.0/8/8", "/8",
    "10.0.0/8", "10.0.0.0.0/8", "256.0.0.0/8", "all/8", "any", "none",
    "10.0.0.0/99999999999999999999", "::1/", "fe80::1%lo/64", "host.example",
    "10.0.0.1 ", " 10.0.0.1",
};

START_TEST(test_cidr_parse_bad)
{
    gw_cidr_t c;

    ck_assert_msg(gw_cidr_parse(cidr_bad[_i], &c) == -1,
                  "\"%s\" accepted as a CIDR block", cidr_bad[_i]);
}
END_TEST

static const struct {
    const char *rule;
    const char *client;
    int         match;
} cidr_match[] = {
    { "all",             "10.1.2.3",         1 },
    { "all",             "2001:db8::1",      1 },
    { "10.0.0.0/8",      "10.1.2.3",         1 },
    { "10.0.0.0/8",      "10.255.255.255",   1 },
    { "10.0.0.0/8",      "11.0.0.0",         0 },
    { "10.0.0.0/8",      "9.255.255.255",    0 },
    { "192.168.1.77/24", "192.168.1.200",    1 },
    { "192.168.1.77/24", "192.168.2.1",      0 },
    { "192.168.1.7",     "192.168.1.7",      1 },
    { "192.168.1.7",     "192.168.1.8",      0 },
    { "192.168.1.7/32",  "192.168.1.6",      0 },
    { "10.0.0.1/31",     "10.0.0.0",         1 },
    { "10.0.0.1/31",     "10.0.0.1",         1 },
    { "10.0.0.1/31",     "10.0.0.2",         0 },
    { "10.0.0.0/9",      "10.127.255.255",   1 },
    { "10.0.0.0/9",      "10.128.0.0",       0 },
    { "0.0.0.0/0",       "203.0.113.9",      1 },
    { "0.0.0.0/0",       "::1",              0 },   /* IPv6 is not in it */
    { "::1",             "::1",              1 },
    { "::1",             "::2",              0 },
    { "::1/128",         "::1",              1 },
    { "::/0",            "2001:db8::1",      1 },
    { "::/0",            "10.0.0.1",         0 },   /* IPv4 is not in it */
    { "fd00::/8",        "fd12::1",          1 },
    { "fd00::/8",        "fe80::1",          0 },
    { "2001:db8::/32",   "2001:db8:ffff::1", 1 },
    { "2001:db8::/32",   "2001:db9::",       0 },
    { "2001:db8::/33",   "2001:db8:7fff::1", 1 },
    { "2001:db8::/33",   "2001:db8:8000::1", 0 },
    /* a dual-stack socket sees IPv4 clients as ::ffff:a.b.c.d */
    { "10.0.0.0/8",      "::ffff:10.1.2.3",  1 },
    { "10.0.0.0/8",      "::ffff:11.1.2.3",  0 },
    { "127.0.0.1",       "::ffff:127.0.0.1", 1 },
    { "0.0.0.0/0",       "::ffff:1.2.3.4",   1 },
    { "10.0.0.0/8",      "::10.1.2.3",       0 },   /* compatible, not mapped */
};

START_TEST(test_cidr_match)
{
    gw_cidr_t     c;
    gw_sockaddr_t a;

    ck_assert_int_eq(gw_cidr_parse(cidr_match[_i].rule, &c), 0);
    ck_assert_int_eq(gw_addr_parse_ip(cidr_match[_i].client, 4321, &a), 0);
    ck_assert_msg(gw_cidr_match(&c, &a) == cidr_match[_i].match,
                  "rule %s, client %s: want %s", cidr_match[_i].rule,
                  cidr_match[_i].client,
                  cidr_match[_i].match ? "match" : "no match");
}
END_TEST

Suite *
addr_suite(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("addresses");
    TCase *cidr = tcase_create("cidr");

    tcase_add_loop_test(tc, test_addr_listen_good, 0,
                        (int) (sizeof(listen_good) / sizeof(listen_good[0])));
    tcase_add_loop_test(tc, test_addr_listen_bad, 0,
                        (int) (sizeof(listen_bad) / sizeof(listen_bad[0])));
    tcase_add_test(tc, test_addr_parse_port);
    tcase_add_test(tc, test_addr_split);
    tcase_add_test(tc, test_addr_split_host_too_long);
    tcase_add_test(tc, test_addr_parse_ip);
    tcase_add_test(tc, test_addr_format);
    tcase_add_test(tc, test_addr_eq);
    suite_add_tcase(s, tc);

    tcase_add_loop_test(cidr, test_cidr_parse_good, 0,
                        (int) (sizeof(cidr_good) / sizeof(cidr_good[0])));
    tcase_add_loop_test(cidr, test_cidr_parse_bad, 0,
                        (int) (sizeof(cidr_bad) / sizeof(cidr_bad[0])));
    tcase_add_loop_test(cidr, test_cidr_match, 0,
                        (int) (sizeof(cidr_match) / sizeof(cidr_match[0])));
    suite_add_tcase(s, cidr);
    return s;
}
