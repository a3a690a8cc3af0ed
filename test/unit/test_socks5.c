/*
 * test/unit/test_socks5.c: the SOCKS5 codec (common/socks5.h), against
 * RFC 1928 and RFC 1929.
 *
 * Three tables of messages a server reads (greetings, username/password
 * requests, requests), each row an input with an explicit length and
 * either what it says or the shortest prefix that must be refused. The
 * parsers are stateless: the caller keeps what came and parses again from
 * the start of the message. Every row is fed, always with its last byte
 * right before a PROT_NONE page:
 *
 *   whole          one call;
 *   byte by byte   1, 2, ... bytes until the answer is not AGAIN;
 *   split          at every offset: a first write, then all of it;
 *   coalesced      with the next message (or payload) behind it, cut at
 *                  every offset: the message's length only is returned.
 *
 * Generated rows cover every NMETHODS, user and password lengths up to
 * 255 and every domain length. A small server driver then plays whole
 * handshakes (greeting, auth when asked, request, payload) over a byte
 * stream cut every way, valid and hostile, and must end the same way each
 * time. Then UDP ASSOCIATE headers, both ways, and the replies, written
 * into buffers of exactly GW_SOCKS5_REPLY_MAX bytes ending at a guard page.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/socks5.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

#define IN(s)       .in = (s), .len = sizeof(s) - 1
#define METHODS(s)  .methods = (s), .n_methods = sizeof(s) - 1
#define USER(s)     .user = (s), .ulen = sizeof(s) - 1
#define PASS(s)     .pass = (s), .plen = sizeof(s) - 1
#define V4(a)       .atyp = SOCKS5_ATYP_IPV4, .ip = (a)
#define V6(a)       .atyp = SOCKS5_ATYP_IPV6, .ip = (a)
#define DOM(s)      .atyp = SOCKS5_ATYP_DOMAIN, .dname = (s), \
                    .dlen = sizeof(s) - 1
#define ERR(n)      .err_at = (n)

/*
 * Check records every assertion that passes (a write to its pipe): the
 * loops below make millions, so they call into Check only to fail.
 */
#define EXPECT(cond, ...) \
    do { \
        if (!(cond)) { \
            ck_abort_msg(__VA_ARGS__); \
        } \
    } while (0)

#define REP_GENERAL SOCKS5_REP_GENERAL_FAILURE
#define REP_ATYP    SOCKS5_REP_ATYP_UNSUPPORTED

enum { K_GREETING, K_AUTH, K_REQUEST };

typedef struct mcase {
    const char *name;
    const char *in;
    size_t      len;
    int         err_at;         /* 0: valid, the message is all of IN;
                                 * else the shortest prefix refused */
    int         err_from;       /* refused: a prefix this long may already
                                 * be (0: err_at), or still be AGAIN */
    int         rep;            /* a refused request: the reply */

    /* greeting */
    const char *methods;
    size_t      n_methods;
    /* auth */
    const char *user;
    size_t      ulen;
    const char *pass;
    size_t      plen;
    /* request */
    int         cmd;
    int         atyp;
    const char *ip;             /* IPv4 / IPv6 as text */
    const char *dname;
    size_t      dlen;
    unsigned    port;
} mcase_t;

typedef union parsed {
    gw_socks5_greeting_t g;
    gw_socks5_auth_t     a;
    gw_socks5_request_t  r;
} parsed_t;

static const char *const kind_name[] = { "greeting", "auth", "request" };

/* What usually follows each message, and bytes that follow nothing. */
static const char behind_greeting[] =
    "\x01\x05" "alice" "\x06" "secret"
    "\x05\x01\x00\x01\x7f\x00\x00\x01\x1f\x90";
static const char behind_auth[] =
    "\x05\x01\x00\x03\x0b" "example.com" "\x01\xbb" "GET /";
static const char behind_request[] =
    "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
static const char behind_junk[] = "\x05\x05\x05\x05\xff\xff\x00\x00";

static int
parse(int kind, const char *p, size_t len, parsed_t *o)
{
    /* whatever a parser reports, it has set */
    memset(o, 0x5a, sizeof(*o));
    switch (kind) {
    case K_GREETING:
        return gw_socks5_parse_greeting(p, len, &o->g);
    case K_AUTH:
        return gw_socks5_parse_auth(p, len, &o->a);
    default:
        return gw_socks5_parse_request(p, len, &o->r);
    }
}

/* ---- checking ---------------------------------------------------------- */

/* A's fields are the destination written at BASE + AT (its ATYP byte). */
static void
expect_addr(const char *name, const char *mode, const char *base, size_t at,
            const gw_socks5_addr_t *a, int atyp, const char *ip,
            const char *dname, size_t dlen, unsigned port)
{
    EXPECT(a->atyp == atyp, "%s (%s): ATYP %d, want %d", name, mode,
           a->atyp, atyp);
    EXPECT(a->port == port, "%s (%s): port %u, want %u", name, mode,
           (unsigned) a->port, port);
    if (atyp == SOCKS5_ATYP_IPV4) {
        struct in_addr want;

        EXPECT(inet_pton(AF_INET, ip, &want) == 1, "%s: IPv4 %s", name, ip);
        EXPECT(a->ip.sin.sin_family == AF_INET
               && memcmp(&a->ip.sin.sin_addr, &want, 4) == 0,
               "%s (%s): not the IPv4 address %s", name, mode, ip);
        EXPECT(a->ip.sin.sin_port == htons((uint16_t) port)
               && memcmp(&a->ip.sin.sin_port, base + at + 5, 2) == 0
               && gw_sockaddr_port(&a->ip) == port,
               "%s (%s): sin_port not %u in network order", name,
               mode, port);
    } else if (atyp == SOCKS5_ATYP_IPV6) {
        struct in6_addr want;

        EXPECT(inet_pton(AF_INET6, ip, &want) == 1, "%s: IPv6 %s", name,
               ip);
        EXPECT(a->ip.sin6.sin6_family == AF_INET6
               && memcmp(&a->ip.sin6.sin6_addr, &want, 16) == 0,
               "%s (%s): not the IPv6 address %s", name, mode, ip);
        EXPECT(a->ip.sin6.sin6_port == htons((uint16_t) port)
               && memcmp(&a->ip.sin6.sin6_port, base + at + 17, 2) == 0
               && gw_sockaddr_port(&a->ip) == port,
               "%s (%s): sin6_port not %u in network order", name,
               mode, port);
    } else {
        EXPECT(a->name.len == dlen && a->name.data == base + at + 2
               && memcmp(a->name.data, dname, dlen) == 0,
               "%s (%s): name at %ld+%zu, want \"%.*s\" at %zu+%zu",
               name, mode, (long) (a->name.data - base), a->name.len,
               (int) dlen, dname, at + 2, dlen);
    }
}

/* A call on the whole message (and maybe more behind it) at BASE gave R. */
static void
expect_msg(int kind, const mcase_t *c, const char *mode, const char *base,
           int r, const parsed_t *o)
{
    if (c->err_at) {
        EXPECT(r == GW_PARSE_ERROR, "%s %s (%s): %d, want ERROR",
               kind_name[kind], c->name, mode, r);
        if (kind == K_REQUEST) {
            EXPECT(o->r.rep == c->rep, "%s (%s): rep %d, want %d",
                   c->name, mode, o->r.rep, c->rep);
        }
        return;
    }
    EXPECT(r == (int) c->len, "%s %s (%s): %d, want the length %zu",
           kind_name[kind], c->name, mode, r, c->len);
    switch (kind) {
    case K_GREETING:
        EXPECT(o->g.n_methods == c->n_methods
               && o->g.methods == (const uint8_t *) base + 2
               && memcmp(o->g.methods, c->methods, c->n_methods) == 0,
               "%s (%s): %u methods at %ld, want %zu at 2", c->name,
               mode, o->g.n_methods,
               (long) ((const char *) o->g.methods - base),
               c->n_methods);
        break;
    case K_AUTH:
        EXPECT(o->a.user.len == c->ulen && o->a.user.data == base + 2
               && memcmp(o->a.user.data, c->user, c->ulen) == 0,
               "%s (%s): user at %ld+%zu, want 2+%zu", c->name, mode,
               (long) (o->a.user.data - base), o->a.user.len, c->ulen);
        EXPECT(o->a.password.len == c->plen
               && o->a.password.data == base + 3 + c->ulen
               && memcmp(o->a.password.data, c->pass, c->plen) == 0,
               "%s (%s): password at %ld+%zu, want %zu+%zu", c->name,
               mode, (long) (o->a.password.data - base),
               o->a.password.len, 3 + c->ulen, c->plen);
        break;
    default:
        EXPECT(o->r.cmd == c->cmd, "%s (%s): cmd %d, want %d",
               c->name, mode, o->r.cmd, c->cmd);
        expect_addr(c->name, mode, base, 3, &o->r.dst, c->atyp, c->ip,
                    c->dname, c->dlen, c->port);
        break;
    }
}

/*
 * The first K bytes (K < len) gave R: AGAIN, or ERROR from err_from on,
 * and always from err_at on; once refused, a longer prefix stays refused.
 */
static void
expect_prefix(int kind, const mcase_t *c, const char *mode, size_t k, int r,
              const parsed_t *o, int *refused)
{
    size_t from = (size_t) (c->err_from ? c->err_from : c->err_at);

    if (!c->err_at || k < from) {
        EXPECT(r == GW_PARSE_AGAIN,
               "%s %s (%s): %zu of %zu bytes gave %d, want AGAIN",
               kind_name[kind], c->name, mode, k, c->len, r);
        return;
    }
    if (k < (size_t) c->err_at && r == GW_PARSE_AGAIN && !*refused) {
        return;
    }
    EXPECT(r == GW_PARSE_ERROR,
           "%s %s (%s): %zu of %zu bytes gave %d, want ERROR%s",
           kind_name[kind], c->name, mode, k, c->len, r,
           *refused ? " (a shorter prefix was refused)" : "");
    *refused = 1;
    if (kind == K_REQUEST) {
        EXPECT(o->r.rep == c->rep,
               "%s (%s, %zu bytes): rep %d, want %d", c->name, mode, k,
               o->r.rep, c->rep);
    }
}

/* ---- the ways of feeding ----------------------------------------------- */

static void
run_msg(int kind, const mcase_t *c)
{
    const char *next = kind == K_GREETING ? behind_greeting
                       : kind == K_AUTH ? behind_auth : behind_request;
    const struct {
        const char *p;
        size_t      len;
    } behind[] = {
        { next, strlen(next) },
        { behind_junk, sizeof(behind_junk) - 1 },
        { c->in, c->len },                  /* the same message again */
    };
    size_t      len = c->len, cap = 2 * len + 64;
    char       *all = malloc(cap), *buf;
    char        mode[96];
    ut_guard_t  g;
    parsed_t    o;
    int         r, refused;

    ck_assert_ptr_nonnull(all);
    memset(all, 0, cap);
    ut_guard_new(&g, all, cap);

    /* whole */
    buf = ut_guard_put(&g, c->in, len);
    r = parse(kind, buf, len, &o);
    expect_msg(kind, c, "whole", buf, r, &o);

    /* byte by byte: what came so far, parsed again from the start */
    refused = 0;
    for (size_t i = 0; i <= len; i++) {
        buf = ut_guard_put(&g, c->in, i);
        r = parse(kind, buf, i, &o);
        snprintf(mode, sizeof(mode), "byte by byte, %zu bytes", i);
        if (i < len) {
            expect_prefix(kind, c, mode, i, r, &o, &refused);
        } else {
            expect_msg(kind, c, mode, buf, r, &o);
        }
        if (r != GW_PARSE_AGAIN) {
            /* the answer is final: a valid message only when all came */
            EXPECT(c->err_at || i == len, "%s: answered %d at %zu",
                   c->name, r, i);
            break;
        }
    }

    /* split at every offset: a first write of K bytes, then the rest */
    for (size_t k = 1; k < len; k++) {
        snprintf(mode, sizeof(mode), "split at %zu", k);
        refused = 0;
        buf = ut_guard_put(&g, c->in, k);
        r = parse(kind, buf, k, &o);
        expect_prefix(kind, c, mode, k, r, &o, &refused);
        if (r == GW_PARSE_AGAIN) {
            buf = ut_guard_put(&g, c->in, len);
            r = parse(kind, buf, len, &o);
            expect_msg(kind, c, mode, buf, r, &o);
        }
    }

    /* coalesced: more bytes behind, the stream cut at every offset */
    for (size_t b = 0; b < gw_nelems(behind); b++) {
        size_t n = len + behind[b].len;

        ck_assert_uint_le(n, cap);
        memcpy(all, c->in, len);
        memcpy(all + len, behind[b].p, behind[b].len);
        refused = 0;
        for (size_t k = 0; k <= n; k++) {
            snprintf(mode, sizeof(mode), "%zu bytes behind, %zu of %zu",
                     behind[b].len, k, n);
            buf = ut_guard_put(&g, all, k);
            r = parse(kind, buf, k, &o);
            if (k < len) {
                expect_prefix(kind, c, mode, k, r, &o, &refused);
            } else {
                expect_msg(kind, c, mode, buf, r, &o);
            }
        }
    }

    ut_guard_free(&g);
    free(all);
}

/* ---- greetings (RFC 1928 section 3) ------------------------------------ */

static const mcase_t greetings[] = {
    { "one method, none", IN("\x05\x01\x00"), METHODS("\x00") },
    { "one method, username/password", IN("\x05\x01\x02"), METHODS("\x02") },
    { "none and username/password", IN("\x05\x02\x00\x02"),
      METHODS("\x00\x02") },
    { "three methods", IN("\x05\x03\x00\x01\x02"), METHODS("\x00\x01\x02") },
    { "only 0xff", IN("\x05\x01\xff"), METHODS("\xff") },
    { "private and unassigned methods", IN("\x05\x04\x80\xfe\x03\x7f"),
      METHODS("\x80\xfe\x03\x7f") },
    { "the same method three times", IN("\x05\x03\x02\x02\x02"),
      METHODS("\x02\x02\x02") },

    { "SOCKS4 CONNECT", IN("\x04\x01\x00\x50\x7f\x00\x00\x01" "bob\x00"),
      ERR(1) },
    { "SOCKS4a CONNECT", IN("\x04\x01\x00\x50\x00\x00\x00\x01\x00" "a.b\x00"),
      ERR(1) },
    { "version 0", IN("\x00\x01\x00"), ERR(1) },
    { "version 1 (an auth message)", IN("\x01\x01\x00"), ERR(1) },
    { "version 6", IN("\x06\x01\x00"), ERR(1) },
    { "version 255", IN("\xff\x01\x00"), ERR(1) },
    { "HTTP", IN("GET / HTTP/1.1\r\n"), ERR(1) },
    { "TLS ClientHello", IN("\x16\x03\x01\x02\x00"), ERR(1) },
    { "NMETHODS 0", IN("\x05\x00"), ERR(2) },
    { "NMETHODS 0, methods anyway", IN("\x05\x00\x00\x02"), ERR(2) },
};

START_TEST(test_socks5_greeting)
{
    run_msg(K_GREETING, &greetings[_i]);
}
END_TEST

/*
 * Every NMETHODS, 1 to 255, the methods counting down from 0xff (one
 * test: a forked child per length costs more than the parsing).
 */
START_TEST(test_socks5_greeting_n)
{
    for (unsigned n = 1; n <= 255; n++) {
        char    in[2 + 255], name[32];
        mcase_t c;

        in[0] = 5;
        in[1] = (char) n;
        for (unsigned i = 0; i < n; i++) {
            in[2 + i] = (char) (0xff - i);
        }
        snprintf(name, sizeof(name), "%u methods", n);
        memset(&c, 0, sizeof(c));
        c.name = name;
        c.in = in;
        c.len = 2 + n;
        c.methods = in + 2;
        c.n_methods = n;
        run_msg(K_GREETING, &c);
    }
}
END_TEST

/* Only the NMETHODS bytes are looked at, and they end at a guard page. */
START_TEST(test_socks5_offers)
{
    static const char two[] = "\x05\x02\x00\x02";
    static const char one_then_more[] = "\x05\x01\x00\x02\x02\x01";
    char                 all[2 + 255];
    gw_socks5_greeting_t gr;
    ut_guard_t           g;
    char                *buf;

    buf = ut_guard_new(&g, two, sizeof(two) - 1);
    ck_assert_int_eq(gw_socks5_parse_greeting(buf, 4, &gr), 4);
    for (int m = 0; m < 256; m++) {
        EXPECT(gw_socks5_offers(&gr, m) == (m == 0 || m == 2),
               "{0, 2} offers %d: %d", m, gw_socks5_offers(&gr, m));
    }
    ck_assert(gw_socks5_offers(&gr, SOCKS5_METHOD_NONE));
    ck_assert(gw_socks5_offers(&gr, SOCKS5_METHOD_USERPASS));
    ck_assert(!gw_socks5_offers(&gr, SOCKS5_METHOD_UNACCEPTABLE));
    ut_guard_free(&g);

    /* 0x02 follows the greeting: not offered */
    buf = ut_guard_new(&g, one_then_more, sizeof(one_then_more) - 1);
    ck_assert_int_eq(gw_socks5_parse_greeting(buf, sizeof(one_then_more) - 1,
                                              &gr), 3);
    ck_assert(gw_socks5_offers(&gr, SOCKS5_METHOD_NONE));
    ck_assert(!gw_socks5_offers(&gr, SOCKS5_METHOD_USERPASS));
    ck_assert(!gw_socks5_offers(&gr, 0x01));
    ut_guard_free(&g);

    /* 255 methods 0x00 .. 0xfe: all but 0xff */
    all[0] = 5;
    all[1] = (char) 255;
    for (int i = 0; i < 255; i++) {
        all[2 + i] = (char) i;
    }
    buf = ut_guard_new(&g, all, sizeof(all));
    ck_assert_int_eq(gw_socks5_parse_greeting(buf, sizeof(all), &gr), 257);
    for (int m = 0; m < 256; m++) {
        EXPECT(gw_socks5_offers(&gr, m) == (m != 0xff),
               "0x00..0xfe offers %d: %d", m, gw_socks5_offers(&gr, m));
    }
    ut_guard_free(&g);

    /* just 0xff */
    buf = ut_guard_new(&g, "\x05\x01\xff", 3);
    ck_assert_int_eq(gw_socks5_parse_greeting(buf, 3, &gr), 3);
    ck_assert(gw_socks5_offers(&gr, SOCKS5_METHOD_UNACCEPTABLE));
    ck_assert(!gw_socks5_offers(&gr, SOCKS5_METHOD_NONE));
    ut_guard_free(&g);
}
END_TEST

/* ---- username/password (RFC 1929) -------------------------------------- */

static const mcase_t auths[] = {
    { "alice/secret", IN("\x01\x05" "alice" "\x06" "secret"), USER("alice"),
      PASS("secret") },
    { "empty password", IN("\x01\x01" "a" "\x00"), USER("a"), PASS("") },
    { "one byte each", IN("\x01\x01" "u" "\x01" "p"), USER("u"), PASS("p") },
    { "binary user and password",
      IN("\x01\x03" "\x00\xff\x01" "\x02" "\x00\x00"), USER("\x00\xff\x01"),
      PASS("\x00\x00") },
    { "colon, space and tab", IN("\x01\x07" "a:b c\td" "\x03" "x y"),
      USER("a:b c\td"), PASS("x y") },
    { "password looking like a request",
      IN("\x01\x01" "u" "\x05" "\x05\x01\x00\x01\x7f"), USER("u"),
      PASS("\x05\x01\x00\x01\x7f") },

    { "version 5 (a request instead)",
      IN("\x05\x01\x00\x01\x7f\x00\x00\x01\x1f\x90"), ERR(1) },
    { "version 5 (a greeting again)", IN("\x05\x01\x02"), ERR(1) },
    { "version 0", IN("\x00\x05" "alice" "\x06" "secret"), ERR(1) },
    { "version 2", IN("\x02\x05" "alice" "\x06" "secret"), ERR(1) },
    { "version 255", IN("\xff\x05" "alice" "\x06" "secret"), ERR(1) },
    { "ULEN 0", IN("\x01\x00\x06" "secret"), ERR(2) },
    { "ULEN 0, nothing more", IN("\x01\x00"), ERR(2) },
    { "ULEN 0, PLEN 0", IN("\x01\x00\x00"), ERR(2) },
};

START_TEST(test_socks5_auth)
{
    run_msg(K_AUTH, &auths[_i]);
}
END_TEST

static const unsigned auth_lens[][2] = {
    { 1, 0 }, { 1, 255 }, { 2, 1 }, { 127, 128 }, { 254, 254 },
    { 255, 0 }, { 255, 1 }, { 255, 254 }, { 255, 255 }, { 200, 37 },
};

START_TEST(test_socks5_auth_lengths)
{
    unsigned ulen = auth_lens[_i][0], plen = auth_lens[_i][1];
    char     in[513], name[48];
    mcase_t  c;

    in[0] = 1;
    in[1] = (char) ulen;
    for (unsigned i = 0; i < ulen; i++) {
        in[2 + i] = (char) ('a' + i % 26);
    }
    in[2 + ulen] = (char) plen;
    for (unsigned i = 0; i < plen; i++) {
        in[3 + ulen + i] = (char) (i * 7);     /* NULs too */
    }
    snprintf(name, sizeof(name), "user %u, password %u", ulen, plen);
    memset(&c, 0, sizeof(c));
    c.name = name;
    c.in = in;
    c.len = 3 + ulen + plen;
    c.user = in + 2;
    c.ulen = ulen;
    c.pass = in + 3 + ulen;
    c.plen = plen;
    run_msg(K_AUTH, &c);
}
END_TEST

/* ---- requests (RFC 1928 sections 4 and 5) ------------------------------ */

#define V6_LOOP     "\x00\x00\x00\x00\x00\x00\x00\x00" \
                    "\x00\x00\x00\x00\x00\x00\x00\x01"
#define V6_ANY      "\x00\x00\x00\x00\x00\x00\x00\x00" \
                    "\x00\x00\x00\x00\x00\x00\x00\x00"
#define V6_DOC      "\x20\x01\x0d\xb8\x00\x00\x00\x00" \
                    "\x00\x00\xff\x00\x00\x42\x83\x29"
#define V6_LINK     "\xfe\x80\x00\x00\x00\x00\x00\x00" \
                    "\x00\x00\x00\x00\x00\x00\x00\x01"
#define V6_MAPPED   "\x00\x00\x00\x00\x00\x00\x00\x00" \
                    "\x00\x00\xff\xff\x0a\x01\x02\x03"

static const mcase_t requests[] = {
    { "CONNECT IPv4, port 0x1F90",
      IN("\x05\x01\x00\x01\x7f\x00\x00\x01\x1f\x90"), .cmd = 1,
      V4("127.0.0.1"), .port = 8080 },
    { "CONNECT IPv4, port 0", IN("\x05\x01\x00\x01\x0a\x00\x00\x01\x00\x00"),
      .cmd = 1, V4("10.0.0.1"), .port = 0 },
    { "CONNECT IPv4, port 65535",
      IN("\x05\x01\x00\x01\xc0\xa8\x01\xfe\xff\xff"), .cmd = 1,
      V4("192.168.1.254"), .port = 65535 },
    { "CONNECT IPv4, port 0x0100",
      IN("\x05\x01\x00\x01\x01\x02\x03\x04\x01\x00"), .cmd = 1,
      V4("1.2.3.4"), .port = 256 },
    { "CONNECT IPv4, port 0x0001",
      IN("\x05\x01\x00\x01\x01\x02\x03\x04\x00\x01"), .cmd = 1,
      V4("1.2.3.4"), .port = 1 },
    { "BIND IPv4 0.0.0.0:0", IN("\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00"),
      .cmd = 2, V4("0.0.0.0"), .port = 0 },
    { "UDP ASSOCIATE IPv4", IN("\x05\x03\x00\x01\xc0\x00\x02\x01\x13\x88"),
      .cmd = 3, V4("192.0.2.1"), .port = 5000 },
    { "CONNECT IPv6 ::1", IN("\x05\x01\x00\x04" V6_LOOP "\x01\xbb"), .cmd = 1,
      V6("::1"), .port = 443 },
    { "CONNECT IPv6 2001:db8::ff00:42:8329",
      IN("\x05\x01\x00\x04" V6_DOC "\x1f\x90"), .cmd = 1,
      V6("2001:db8::ff00:42:8329"), .port = 8080 },
    { "BIND IPv6 [::]:0", IN("\x05\x02\x00\x04" V6_ANY "\x00\x00"), .cmd = 2,
      V6("::"), .port = 0 },
    { "UDP ASSOCIATE IPv6", IN("\x05\x03\x00\x04" V6_LINK "\x30\x39"),
      .cmd = 3, V6("fe80::1"), .port = 12345 },
    { "CONNECT IPv4-mapped IPv6 (kept IPv6)",
      IN("\x05\x01\x00\x04" V6_MAPPED "\xff\xff"), .cmd = 1,
      V6("::ffff:10.1.2.3"), .port = 65535 },
    { "CONNECT domain of one byte", IN("\x05\x01\x00\x03\x01" "a" "\x00\x50"),
      .cmd = 1, DOM("a"), .port = 80 },
    { "CONNECT domain", IN("\x05\x01\x00\x03\x0b" "example.com" "\x01\xbb"),
      .cmd = 1, DOM("example.com"), .port = 443 },
    { "BIND domain", IN("\x05\x02\x00\x03\x09" "localhost" "\x1f\x90"),
      .cmd = 2, DOM("localhost"), .port = 8080 },
    { "UDP ASSOCIATE domain", IN("\x05\x03\x00\x03\x07" "a.b.c.d" "\x00\x35"),
      .cmd = 3, DOM("a.b.c.d"), .port = 53 },
    { "domain of an IPv4 text", IN("\x05\x01\x00\x03\x09" "127.0.0.1"
                                   "\x00\x16"),
      .cmd = 1, DOM("127.0.0.1"), .port = 22 },
    { "domain of high and control bytes",
      IN("\x05\x01\x00\x03\x05" "\xc3\xa9\xff\x01\x7f" "\x00\x50"), .cmd = 1,
      DOM("\xc3\xa9\xff\x01\x7f"), .port = 80 },
    { "unknown command 0", IN("\x05\x00\x00\x01\x01\x02\x03\x04\x00\x50"),
      .cmd = 0, V4("1.2.3.4"), .port = 80 },
    { "unknown command 4", IN("\x05\x04\x00\x03\x01" "x" "\x00\x50"),
      .cmd = 4, DOM("x"), .port = 80 },
    { "unknown command 255", IN("\x05\xff\x00\x04" V6_LOOP "\x00\x50"),
      .cmd = 255, V6("::1"), .port = 80 },

    { "version 4 (SOCKS4 CONNECT)",
      IN("\x04\x01\x00\x50\x7f\x00\x00\x01" "bob\x00"), ERR(1),
      .rep = REP_GENERAL },
    { "version 0", IN("\x00\x01\x00\x01\x7f\x00\x00\x01\x1f\x90"), ERR(1),
      .rep = REP_GENERAL },
    { "version 1 (an auth message)", IN("\x01\x05" "alice" "\x06" "secret"),
      ERR(1), .rep = REP_GENERAL },
    { "version 255", IN("\xff\x01\x00\x01\x7f\x00\x00\x01\x1f\x90"), ERR(1),
      .rep = REP_GENERAL },
    { "HTTP CONNECT", IN("CONNECT a:1 HTTP/1.1\r\n\r\n"), ERR(1),
      .rep = REP_GENERAL },
    { "ATYP 0", IN("\x05\x01\x00\x00\x7f\x00\x00\x01\x1f\x90"), ERR(4),
      .rep = REP_ATYP },
    { "ATYP 2", IN("\x05\x01\x00\x02\x7f\x00\x00\x01\x1f\x90"), ERR(4),
      .rep = REP_ATYP },
    { "ATYP 5", IN("\x05\x01\x00\x05" V6_LOOP "\x1f\x90"), ERR(4),
      .rep = REP_ATYP },
    { "ATYP 255", IN("\x05\x01\x00\xff\x01" "a" "\x00\x50"), ERR(4),
      .rep = REP_ATYP },
    { "ATYP 2, nothing more", IN("\x05\x01\x00\x02"), ERR(4),
      .rep = REP_ATYP },
    { "unknown command and ATYP", IN("\x05\x09\x00\x06\x00\x00"), ERR(4),
      .rep = REP_ATYP },
    { "domain length 0", IN("\x05\x01\x00\x03\x00\x00\x50"), ERR(5),
      .rep = REP_GENERAL },
    { "domain length 0, nothing more", IN("\x05\x01\x00\x03\x00"), ERR(5),
      .rep = REP_GENERAL },
    { "domain of one NUL", IN("\x05\x01\x00\x03\x01" "\x00" "\x00\x50"),
      .err_from = 6, ERR(8), .rep = REP_GENERAL },
    { "domain starting with NUL",
      IN("\x05\x01\x00\x03\x04" "\x00" "abc" "\x00\x50"), .err_from = 6,
      ERR(11), .rep = REP_GENERAL },
    { "domain with a NUL inside",
      IN("\x05\x01\x00\x03\x05" "ab\x00" "cd" "\x01\xbb"), .err_from = 8,
      ERR(12), .rep = REP_GENERAL },
    { "domain ending with NUL",
      IN("\x05\x01\x00\x03\x04" "abc\x00" "\x00\x50"), .err_from = 9,
      ERR(11), .rep = REP_GENERAL },
};

START_TEST(test_socks5_request)
{
    run_msg(K_REQUEST, &requests[_i]);
}
END_TEST

/*
 * Every domain length, 1 to 255 (262 bytes in all), the three commands in
 * turn; 51 lengths a test (a forked child per length costs more than the
 * parsing, all 255 in one come near the timeout under the sanitizers).
 */
START_TEST(test_socks5_request_domain_len)
{
    for (unsigned n = 51 * (unsigned) _i + 1; n <= 51 * (unsigned) _i + 51;
         n++) {
        int     cmd = 1 + (int) (n % 3);
        char    in[262], name[48];
        mcase_t c;

        in[0] = 5;
        in[1] = (char) cmd;
        in[2] = 0;
        in[3] = SOCKS5_ATYP_DOMAIN;
        in[4] = (char) n;
        for (unsigned i = 0; i < n; i++) {
            in[5 + i] = i % 64 == 63 ? '.' : (char) ('a' + i % 26);
        }
        in[5 + n] = (char) 0xab;
        in[6 + n] = (char) 0xcd;
        snprintf(name, sizeof(name), "%s, domain of %u bytes",
                 gw_socks5_cmd_name(cmd), n);
        memset(&c, 0, sizeof(c));
        c.name = name;
        c.in = in;
        c.len = 7 + n;
        c.cmd = cmd;
        c.atyp = SOCKS5_ATYP_DOMAIN;
        c.dname = in + 5;
        c.dlen = n;
        c.port = 0xabcd;
        ck_assert(n < 255 || c.len == 262);
        run_msg(K_REQUEST, &c);
    }
}
END_TEST

/* Every ATYP value: 1, 3 and 4 parse, any other is refused with 0x08. */
START_TEST(test_socks5_request_every_atyp)
{
    char                in[4 + 1 + 16 + 2];
    gw_socks5_request_t rq;
    ut_guard_t          g;
    char               *buf;
    int                 r;

    memset(in, 0x07, sizeof(in));   /* a domain of 7 bytes, if asked */
    in[0] = 5;
    in[1] = 1;
    in[2] = 0;
    ut_guard_new(&g, in, sizeof(in));
    for (int atyp = 0; atyp < 256; atyp++) {
        in[3] = (char) atyp;
        buf = ut_guard_put(&g, in, sizeof(in));
        r = gw_socks5_parse_request(buf, sizeof(in), &rq);
        if (atyp == 1) {
            ck_assert_int_eq(r, 10);
        } else if (atyp == 3) {
            ck_assert_int_eq(r, 4 + 1 + 7 + 2);
        } else if (atyp == 4) {
            ck_assert_int_eq(r, 22);
        } else {
            EXPECT(r == GW_PARSE_ERROR && rq.rep == REP_ATYP,
                   "ATYP %d: %d, rep %d", atyp, r, rq.rep);
            /* as soon as ATYP is there */
            buf = ut_guard_put(&g, in, 4);
            r = gw_socks5_parse_request(buf, 4, &rq);
            EXPECT(r == GW_PARSE_ERROR && rq.rep == REP_ATYP,
                   "ATYP %d alone: %d, rep %d", atyp, r, rq.rep);
        }
    }
    ut_guard_free(&g);
}
END_TEST

/* ---- a server's handshake over a byte stream ---------------------------- */

enum { ST_GREETING, ST_AUTH, ST_REQUEST, ST_DONE };
enum { WHY_NONE, WHY_PARSE, WHY_METHOD };

static const char *const st_name[] = { "greeting", "auth", "request",
                                       "done" };

#define HS_CAP 2048

typedef struct hs {
    int                 need_auth;      /* select method 0x02, else 0x00 */
    int                 state;
    int                 why;            /* refused: WHY_PARSE, WHY_METHOD */
    int                 rep;            /* a refused request: its reply */
    size_t              have;           /* bytes received */
    size_t              start;          /* where the current message starts */
    char                acc[HS_CAP];
    ut_guard_t         *g;              /* HS_CAP bytes, shared */
    unsigned            writes;

    /* what it read, copied out of the guarded buffer */
    uint8_t             methods[255];
    unsigned            n_methods;
    char                user[255];
    size_t              ulen;
    char                pass[255];
    size_t              plen;
    gw_socks5_request_t req;
    char                dname[255];
    size_t              dlen;
} hs_t;

static void
hs_init(hs_t *h, int need_auth, ut_guard_t *g)
{
    memset(h, 0, sizeof(*h));
    h->need_auth = need_auth;
    h->rep = -1;
    h->g = g;
}

/*
 * N more bytes came. Each message is parsed from its first byte with all
 * that came since, right before the guard page, until one is missing
 * bytes, the handshake is refused, or the request is read; what follows
 * the request is the client's payload and is left alone.
 */
static void
hs_feed(hs_t *h, const char *bytes, size_t n)
{
    EXPECT(h->have + n <= HS_CAP, "%zu bytes: too many", h->have + n);
    memcpy(h->acc + h->have, bytes, n);
    h->have += n;
    h->writes++;
    while (h->why == WHY_NONE && h->state != ST_DONE) {
        size_t               avail = h->have - h->start;
        char                *p = ut_guard_put(h->g, h->acc + h->start,
                                              avail);
        gw_socks5_greeting_t gr;
        gw_socks5_auth_t     au;
        gw_socks5_request_t  rq;
        int                  r;

        switch (h->state) {
        case ST_GREETING:
            r = gw_socks5_parse_greeting(p, avail, &gr);
            if (r > 0) {
                memcpy(h->methods, gr.methods, gr.n_methods);
                h->n_methods = gr.n_methods;
                if (!gw_socks5_offers(&gr, h->need_auth
                                           ? SOCKS5_METHOD_USERPASS
                                           : SOCKS5_METHOD_NONE)) {
                    h->why = WHY_METHOD;        /* reply 0xff, close */
                }
            }
            break;
        case ST_AUTH:
            r = gw_socks5_parse_auth(p, avail, &au);
            if (r > 0) {
                memcpy(h->user, au.user.data, au.user.len);
                h->ulen = au.user.len;
                memcpy(h->pass, au.password.data, au.password.len);
                h->plen = au.password.len;
            }
            break;
        default:
            r = gw_socks5_parse_request(p, avail, &rq);
            if (r > 0) {
                h->req = rq;
                if (rq.dst.atyp == SOCKS5_ATYP_DOMAIN) {
                    memcpy(h->dname, rq.dst.name.data, rq.dst.name.len);
                    h->dlen = rq.dst.name.len;
                }
                h->req.dst.name.data = NULL;    /* points into the guard */
            } else if (r == GW_PARSE_ERROR) {
                h->rep = rq.rep;
            }
            break;
        }
        if (r == GW_PARSE_AGAIN) {
            return;
        }
        if (r == GW_PARSE_ERROR) {
            h->why = WHY_PARSE;
            return;
        }
        EXPECT(r > 0 && (size_t) r <= avail,
               "%s: length %d of %zu bytes", st_name[h->state], r,
               avail);
        h->start += (size_t) r;
        if (h->why != WHY_NONE) {
            return;
        }
        if (h->state == ST_GREETING) {
            h->state = h->need_auth ? ST_AUTH : ST_REQUEST;
        } else {
            h->state++;
        }
    }
}

typedef struct piece {
    const char *p;
    size_t      len;
} piece_t;

#define P(s)    { (s), sizeof(s) - 1 }

typedef struct hcase {
    const char *name;
    int         need_auth;
    piece_t     greet, auth, req, tail;     /* the stream, in this order */
    int         stage;      /* where it ends: ST_DONE or the message it
                             * waits for or refused */
    int         why;
    int         rep;        /* a refused request */
    int         cmd;        /* ST_DONE: what was asked */
    unsigned    port;
} hcase_t;

/* B ended the way A (fed in one write) did. */
static void
same_hs(const hcase_t *c, const char *mode, const hs_t *a, const hs_t *b)
{
    EXPECT(a->state == b->state && a->why == b->why
           && a->rep == b->rep,
           "%s (%s): %s, why %d, rep %d; in one write: %s, %d, %d",
           c->name, mode, st_name[b->state], b->why, b->rep,
           st_name[a->state], a->why, a->rep);
    EXPECT(a->start == b->start && a->have == b->have,
           "%s (%s): %zu of %zu bytes taken; in one write: %zu of %zu",
           c->name, mode, b->start, b->have, a->start, a->have);
    EXPECT(memcmp(a->acc, b->acc, a->have) == 0, "%s (%s): other bytes",
           c->name, mode);
    EXPECT(a->n_methods == b->n_methods
           && memcmp(a->methods, b->methods, a->n_methods) == 0,
           "%s (%s): methods differ", c->name, mode);
    EXPECT(a->ulen == b->ulen && memcmp(a->user, b->user, a->ulen) == 0
           && a->plen == b->plen
           && memcmp(a->pass, b->pass, a->plen) == 0,
           "%s (%s): credentials differ", c->name, mode);
    EXPECT(a->req.cmd == b->req.cmd
           && a->req.dst.atyp == b->req.dst.atyp
           && a->req.dst.port == b->req.dst.port
           && memcmp(&a->req.dst.ip, &b->req.dst.ip,
                     sizeof(a->req.dst.ip)) == 0
           && a->dlen == b->dlen
           && memcmp(a->dname, b->dname, a->dlen) == 0,
           "%s (%s): request differs", c->name, mode);
}

static void
run_hs(const hcase_t *c)
{
    const piece_t *pieces[] = { &c->greet, &c->auth, &c->req, &c->tail };
    size_t         n = 0, want_start = 0;
    char          *s;
    char           mode[64];
    hs_t          *ref = calloc(1, sizeof(*ref)), *h = calloc(1, sizeof(*h));
    ut_guard_t     g;

    ck_assert(ref && h);
    ut_guard_new(&g, ref->acc, HS_CAP);     /* zeros: overwritten */
    for (size_t i = 0; i < gw_nelems(pieces); i++) {
        n += pieces[i]->len;
    }
    s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    n = 0;
    for (size_t i = 0; i < gw_nelems(pieces); i++) {
        memcpy(s + n, pieces[i]->p, pieces[i]->len);
        n += pieces[i]->len;
    }

    /* in one write: what the table says */
    hs_init(ref, c->need_auth, &g);
    hs_feed(ref, s, n);
    EXPECT(ref->state == c->stage && ref->why == c->why,
           "%s: ended at %s (why %d), want %s (why %d)", c->name,
           st_name[ref->state], ref->why, st_name[c->stage], c->why);
    if (c->why == WHY_PARSE && c->stage == ST_REQUEST) {
        EXPECT(ref->rep == c->rep, "%s: rep %d, want %d", c->name,
               ref->rep, c->rep);
    }
    if (c->stage >= ST_AUTH || (c->stage == ST_GREETING
                                && c->why == WHY_METHOD)) {
        want_start += c->greet.len;
    }
    if (c->stage >= ST_REQUEST) {
        want_start += c->auth.len;
    }
    if (c->stage == ST_DONE) {
        want_start += c->req.len;
        EXPECT(ref->req.cmd == c->cmd && ref->req.dst.port == c->port,
               "%s: cmd %d port %u, want %d %u", c->name, ref->req.cmd,
               (unsigned) ref->req.dst.port, c->cmd, c->port);
        /* the payload is all that follows, untouched */
        ck_assert_uint_eq(ref->have - ref->start, c->tail.len);
        ck_assert(memcmp(ref->acc + ref->start, c->tail.p, c->tail.len) == 0);
    }
    EXPECT(ref->start == want_start, "%s: %zu bytes taken, want %zu",
           c->name, ref->start, want_start);

    /* each message in its own write */
    hs_init(h, c->need_auth, &g);
    for (size_t i = 0; i < gw_nelems(pieces); i++) {
        hs_feed(h, pieces[i]->p, pieces[i]->len);
    }
    same_hs(c, "a write per message", ref, h);

    /* one byte at a time, after an empty write */
    hs_init(h, c->need_auth, &g);
    hs_feed(h, s, 0);
    for (size_t i = 0; i < n; i++) {
        hs_feed(h, s + i, 1);
    }
    same_hs(c, "byte by byte", ref, h);

    /* two writes, split at every offset */
    for (size_t k = 1; k < n; k++) {
        snprintf(mode, sizeof(mode), "split at %zu", k);
        hs_init(h, c->need_auth, &g);
        hs_feed(h, s, k);
        hs_feed(h, s + k, n - k);
        same_hs(c, mode, ref, h);
    }

    /* three writes, at every pair of offsets (short streams) */
    if (n <= 160) {
        for (size_t i = 1; i < n; i++) {
            for (size_t j = i; j < n; j++) {
                snprintf(mode, sizeof(mode), "split at %zu and %zu", i, j);
                hs_init(h, c->need_auth, &g);
                hs_feed(h, s, i);
                hs_feed(h, s + i, j - i);
                hs_feed(h, s + j, n - j);
                same_hs(c, mode, ref, h);
                    }
        }
    }

    ut_guard_free(&g);
    free(ref);
    free(h);
    free(s);
}

#define G_NONE      "\x05\x01\x00"
#define G_BOTH      "\x05\x02\x00\x02"
#define G_USERPASS  "\x05\x01\x02"
#define A_ALICE     "\x01\x05" "alice" "\x06" "secret"
#define A_NOPASS    "\x01\x01" "a" "\x00"
#define R_V4        "\x05\x01\x00\x01\x7f\x00\x00\x01\x1f\x90"
#define R_V6        "\x05\x01\x00\x04" V6_DOC "\x01\xbb"
#define R_DOMAIN    "\x05\x01\x00\x03\x0b" "example.com" "\x00\x50"
#define R_UDP       "\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00"
#define R_BIND      "\x05\x02\x00\x03\x01" "b" "\x04\x00"
#define HTTP_GET    "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
#define NOTHING     { "", 0 }

static const hcase_t handshakes[] = {
    { "no auth, CONNECT IPv4, payload", 0, P(G_NONE), NOTHING, P(R_V4),
      P("hello"), .stage = ST_DONE, .cmd = 1, .port = 8080 },
    { "no auth offered among two, CONNECT domain, HTTP behind", 0,
      P(G_BOTH), NOTHING, P(R_DOMAIN), P(HTTP_GET), .stage = ST_DONE,
      .cmd = 1, .port = 80 },
    { "no auth, BIND, no payload", 0, P(G_NONE), NOTHING, P(R_BIND), NOTHING,
      .stage = ST_DONE, .cmd = 2, .port = 1024 },
    { "auth, CONNECT IPv6, payload", 1, P(G_USERPASS), P(A_ALICE), P(R_V6),
      P("\x16\x03\x01\x00\x05" "hello"), .stage = ST_DONE, .cmd = 1,
      .port = 443 },
    { "auth, empty password, UDP ASSOCIATE", 1, P(G_BOTH), P(A_NOPASS),
      P(R_UDP), NOTHING, .stage = ST_DONE, .cmd = 3, .port = 0 },
    { "auth, payload looking like a request", 1, P(G_BOTH), P(A_ALICE),
      P(R_DOMAIN), P(R_V4 R_V4), .stage = ST_DONE, .cmd = 1, .port = 80 },
    { "unknown command still read", 0, P(G_NONE), NOTHING,
      P("\x05\x09\x00\x01\x01\x02\x03\x04\x00\x07"), P("x"),
      .stage = ST_DONE, .cmd = 9, .port = 7 },

    /* refused at the greeting */
    { "SOCKS4 client", 0, P("\x04\x01\x00\x50\x7f\x00\x00\x01" "bob\x00"),
      NOTHING, NOTHING, NOTHING, .stage = ST_GREETING, .why = WHY_PARSE },
    { "HTTP client", 0, P(HTTP_GET), NOTHING, NOTHING, NOTHING,
      .stage = ST_GREETING, .why = WHY_PARSE },
    { "NMETHODS 0, a request behind", 0, P("\x05\x00"), NOTHING, P(R_V4),
      P("hello"), .stage = ST_GREETING, .why = WHY_PARSE },
    { "NMETHODS 0, auth required", 1, P("\x05\x00"), P(A_ALICE), P(R_V4),
      NOTHING, .stage = ST_GREETING, .why = WHY_PARSE },
    { "auth required, only none offered", 1, P(G_NONE), P(A_ALICE), P(R_V4),
      NOTHING, .stage = ST_GREETING, .why = WHY_METHOD },
    { "no auth, only username/password offered", 0, P(G_USERPASS), NOTHING,
      P(R_V4), NOTHING, .stage = ST_GREETING, .why = WHY_METHOD },
    { "garbage 0xff", 1, P("\xff\xff\xff\xff"), NOTHING, NOTHING, NOTHING,
      .stage = ST_GREETING, .why = WHY_PARSE },

    /* refused at the auth */
    { "auth skipped, a request instead", 1, P(G_USERPASS), P(R_V4),
      P("hello"), NOTHING, .stage = ST_AUTH, .why = WHY_PARSE },
    { "auth, ULEN 0", 1, P(G_BOTH), P("\x01\x00\x06" "secret"), P(R_V4),
      NOTHING, .stage = ST_AUTH, .why = WHY_PARSE },
    { "auth, version 2", 1, P(G_BOTH), P("\x02\x05" "alice" "\x06" "secret"),
      P(R_V4), NOTHING, .stage = ST_AUTH, .why = WHY_PARSE },
    { "the greeting twice", 1, P(G_USERPASS), P(G_USERPASS), P(A_ALICE),
      P(R_V4), .stage = ST_AUTH, .why = WHY_PARSE },

    /* refused at the request */
    { "request version 4", 0, P(G_NONE), NOTHING,
      P("\x04\x01\x00\x50\x7f\x00\x00\x01" "bob\x00"), NOTHING,
      .stage = ST_REQUEST, .why = WHY_PARSE, .rep = REP_GENERAL },
    { "request ATYP 2", 1, P(G_BOTH), P(A_ALICE),
      P("\x05\x01\x00\x02\x7f\x00\x00\x01\x1f\x90"), P("hello"),
      .stage = ST_REQUEST, .why = WHY_PARSE, .rep = REP_ATYP },
    { "request ATYP 0, alone", 0, P(G_NONE), NOTHING, P("\x05\x01\x00\x00"),
      NOTHING, .stage = ST_REQUEST, .why = WHY_PARSE, .rep = REP_ATYP },
    { "request domain length 0", 0, P(G_NONE), NOTHING,
      P("\x05\x01\x00\x03\x00\x00\x50"), P("hello"), .stage = ST_REQUEST,
      .why = WHY_PARSE, .rep = REP_GENERAL },
    { "request domain with a NUL", 1, P(G_USERPASS), P(A_ALICE),
      P("\x05\x01\x00\x03\x09" "evil\x00" "good" "\x00\x50"), P(HTTP_GET),
      .stage = ST_REQUEST, .why = WHY_PARSE, .rep = REP_GENERAL },
    { "auth sent twice", 1, P(G_USERPASS), P(A_ALICE), P(A_ALICE), P(R_V4),
      .stage = ST_REQUEST, .why = WHY_PARSE, .rep = REP_GENERAL },
    { "the greeting again instead of a request", 0, P(G_NONE), NOTHING,
      P("\x05\x01\x00"), NOTHING, .stage = ST_REQUEST, .why = WHY_NONE },

    /* truncated: waiting */
    { "nothing", 0, NOTHING, NOTHING, NOTHING, NOTHING,
      .stage = ST_GREETING },
    { "version only", 0, P("\x05"), NOTHING, NOTHING, NOTHING,
      .stage = ST_GREETING },
    { "greeting short of a method", 1, P("\x05\x03\x00\x02"), NOTHING,
      NOTHING, NOTHING, .stage = ST_GREETING },
    { "auth short of the user", 1, P(G_USERPASS), P("\x01\x05" "ali"),
      NOTHING, NOTHING, .stage = ST_AUTH },
    { "auth short of PLEN", 1, P(G_USERPASS), P("\x01\x05" "alice"), NOTHING,
      NOTHING, .stage = ST_AUTH },
    { "auth short of the password", 1, P(G_BOTH),
      P("\x01\x05" "alice" "\x06" "secre"), NOTHING, NOTHING,
      .stage = ST_AUTH },
    { "request short of a port byte", 0, P(G_NONE), NOTHING,
      P("\x05\x01\x00\x01\x7f\x00\x00\x01\x1f"), NOTHING,
      .stage = ST_REQUEST },
    { "request short of the IPv6 address", 1, P(G_BOTH), P(A_NOPASS),
      P("\x05\x01\x00\x04\x20\x01\x0d\xb8"), NOTHING, .stage = ST_REQUEST },
    { "request short of the domain", 0, P(G_NONE), NOTHING,
      P("\x05\x01\x00\x03\x0b" "exam"), NOTHING, .stage = ST_REQUEST },
    { "request short of ATYP", 0, P(G_NONE), NOTHING, P("\x05\x01\x00"),
      NOTHING, .stage = ST_REQUEST },
};

START_TEST(test_socks5_handshake)
{
    run_hs(&handshakes[_i]);
}
END_TEST

/* The longest of everything: 255 methods, user, password and domain. */
START_TEST(test_socks5_handshake_longest)
{
    static char greet[257], auth[513], req[262], tail[300];
    hcase_t     c;

    greet[0] = 5;
    greet[1] = (char) 255;
    for (int i = 0; i < 255; i++) {
        greet[2 + i] = (char) (0xff - i);      /* 0x02 near the end */
    }
    auth[0] = 1;
    auth[1] = (char) 255;
    memset(auth + 2, 'u', 255);
    auth[257] = (char) 255;
    memset(auth + 258, '\0', 255);
    req[0] = 5;
    req[1] = 1;
    req[2] = 0;
    req[3] = SOCKS5_ATYP_DOMAIN;
    req[4] = (char) 255;
    memset(req + 5, 'd', 255);
    req[260] = (char) 0xff;
    req[261] = (char) 0xfe;
    for (size_t i = 0; i < sizeof(tail); i++) {
        tail[i] = (char) i;
    }
    memset(&c, 0, sizeof(c));
    c.name = "longest";
    c.need_auth = 1;
    c.greet = (piece_t) { greet, sizeof(greet) };
    c.auth = (piece_t) { auth, sizeof(auth) };
    c.req = (piece_t) { req, sizeof(req) };
    c.tail = (piece_t) { tail, sizeof(tail) };
    c.stage = ST_DONE;
    c.cmd = 1;
    c.port = 0xfffe;
    run_hs(&c);
}
END_TEST

/* ---- UDP ASSOCIATE datagrams (RFC 1928 section 7) ---------------------- */

typedef struct ucase {
    const char *name;
    const char *in;
    size_t      len;
    int         bad;
    size_t      hdr;            /* the payload starts here */
    unsigned    frag;
    int         atyp;
    const char *ip;
    const char *dname;
    size_t      dlen;
    unsigned    port;
} ucase_t;

static const ucase_t udps[] = {
    { "IPv4", IN("\x00\x00\x00\x01\x7f\x00\x00\x01\x00\x35" "query"),
      .hdr = 10, V4("127.0.0.1"), .port = 53 },
    { "IPv4, empty payload", IN("\x00\x00\x00\x01\x08\x08\x08\x08\x00\x35"),
      .hdr = 10, V4("8.8.8.8"), .port = 53 },
    { "IPv4, port 0x1F90", IN("\x00\x00\x00\x01\x0a\x00\x00\x02\x1f\x90" "x"),
      .hdr = 10, V4("10.0.0.2"), .port = 8080 },
    { "IPv6", IN("\x00\x00\x00\x04" V6_DOC "\x1f\x90" "data"), .hdr = 22,
      V6("2001:db8::ff00:42:8329"), .port = 8080 },
    { "IPv6, empty payload", IN("\x00\x00\x00\x04" V6_LOOP "\xff\xff"),
      .hdr = 22, V6("::1"), .port = 65535 },
    { "domain", IN("\x00\x00\x00\x03\x0b" "example.com" "\x01\xbb" "GET"),
      .hdr = 18, DOM("example.com"), .port = 443 },
    { "domain of one byte, empty payload",
      IN("\x00\x00\x00\x03\x01" "a" "\x00\x50"), .hdr = 8, DOM("a"),
      .port = 80 },
    { "payload looking like a header",
      IN("\x00\x00\x00\x01\x01\x02\x03\x04\x00\x01"
         "\x00\x00\x00\x01\x05\x06\x07\x08\x00\x02"), .hdr = 10,
      V4("1.2.3.4"), .port = 1 },
    { "payload of NULs", IN("\x00\x00\x00\x01\x01\x02\x03\x04\x00\x01"
                            "\x00\x00\x00"), .hdr = 10, V4("1.2.3.4"),
      .port = 1 },
    { "FRAG 1", IN("\x00\x00\x01\x01\x01\x02\x03\x04\x00\x01" "part"),
      .hdr = 10, .frag = 1, V4("1.2.3.4"), .port = 1 },
    { "FRAG 0x7f", IN("\x00\x00\x7f\x03\x01" "h" "\x00\x01" "part"),
      .hdr = 8, .frag = 0x7f, DOM("h"), .port = 1 },
    { "FRAG 0x81 (the last fragment)",
      IN("\x00\x00\x81\x04" V6_LOOP "\x00\x01" "end"), .hdr = 22,
      .frag = 0x81, V6("::1"), .port = 1 },
    { "FRAG 255", IN("\x00\x00\xff\x01\x01\x02\x03\x04\x00\x01"), .hdr = 10,
      .frag = 255, V4("1.2.3.4"), .port = 1 },

    { "empty", IN(""), .bad = 1 },
    { "one byte", IN("\x00"), .bad = 1 },
    { "RSV only", IN("\x00\x00"), .bad = 1 },
    { "no ATYP", IN("\x00\x00\x00"), .bad = 1 },
    { "ATYP IPv4 alone", IN("\x00\x00\x00\x01"), .bad = 1 },
    { "IPv4 short of a port byte", IN("\x00\x00\x00\x01\x7f\x00\x00\x01\x00"),
      .bad = 1 },
    { "IPv6 short of the address",
      IN("\x00\x00\x00\x04\x20\x01\x0d\xb8\x00\x00"), .bad = 1 },
    { "IPv6 short of the port", IN("\x00\x00\x00\x04" V6_LOOP "\x00"),
      .bad = 1 },
    { "domain short of its bytes", IN("\x00\x00\x00\x03\x05" "abc"),
      .bad = 1 },
    { "domain without its length", IN("\x00\x00\x00\x03"), .bad = 1 },
    { "domain length 0", IN("\x00\x00\x00\x03\x00\x00\x50" "data"),
      .bad = 1 },
    { "domain with a NUL", IN("\x00\x00\x00\x03\x03" "a\x00" "b" "\x00\x50"
                              "data"), .bad = 1 },
    { "ATYP 0", IN("\x00\x00\x00\x00\x7f\x00\x00\x01\x00\x35" "query"),
      .bad = 1 },
    { "ATYP 2", IN("\x00\x00\x00\x02\x7f\x00\x00\x01\x00\x35" "query"),
      .bad = 1 },
    { "ATYP 5", IN("\x00\x00\x00\x05" V6_LOOP "\x00\x35" "query"), .bad = 1 },
    { "ATYP 255", IN("\x00\x00\x00\xff\x7f\x00\x00\x01\x00\x35" "query"),
      .bad = 1 },
};

START_TEST(test_socks5_udp)
{
    const ucase_t  *c = &udps[_i];
    ut_guard_t      g;
    gw_socks5_udp_t u;
    char           *buf, mode[64];
    int             r;

    ut_guard_new(&g, c->in, c->len);
    /* whole, then cut at every length: the header needs all its bytes,
     * the payload is what is left */
    for (size_t k = c->len + 1; k-- > 0;) {
        snprintf(mode, sizeof(mode), "%zu of %zu bytes", k, c->len);
        buf = ut_guard_put(&g, c->in, k);
        memset(&u, 0x5a, sizeof(u));
        r = gw_socks5_parse_udp(buf, k, &u);
        if (c->bad || k < c->hdr) {
            EXPECT(r == GW_PARSE_ERROR, "%s (%s): %d, want ERROR",
                   c->name, mode, r);
            continue;
        }
        EXPECT(r == 0, "%s (%s): %d, want 0", c->name, mode, r);
        EXPECT(u.frag == c->frag, "%s (%s): FRAG %u, want %u",
               c->name, mode, u.frag, c->frag);
        expect_addr(c->name, mode, buf, 3, &u.dst, c->atyp, c->ip, c->dname,
                    c->dlen, c->port);
        EXPECT(u.data == buf + c->hdr && u.len == k - c->hdr,
               "%s (%s): payload at %ld+%zu, want %zu+%zu", c->name,
               mode, (long) (u.data - buf), u.len, c->hdr,
               k - c->hdr);
    }
    ut_guard_free(&g);
}
END_TEST

/* ---- writing: replies (section 6) and UDP headers (section 7) ----------- */

/* An IPv4 (dotted) or IPv6 (with a colon) address and a port. */
static gw_sockaddr_t
sa_make(const char *ip, unsigned port)
{
    gw_sockaddr_t a;

    memset(&a, 0, sizeof(a));
    if (strchr(ip, ':')) {
        a.sin6.sin6_family = AF_INET6;
        ck_assert(inet_pton(AF_INET6, ip, &a.sin6.sin6_addr) == 1);
        a.sin6.sin6_port = htons((uint16_t) port);
    } else {
        a.sin.sin_family = AF_INET;
        ck_assert(inet_pton(AF_INET, ip, &a.sin.sin_addr) == 1);
        a.sin.sin_port = htons((uint16_t) port);
    }
    return a;
}

/* An output buffer of exactly GW_SOCKS5_REPLY_MAX bytes before a guard. */
static uint8_t *
out_new(ut_guard_t *g)
{
    uint8_t fill[GW_SOCKS5_REPLY_MAX];

    memset(fill, 0xa5, sizeof(fill));
    return (uint8_t *) ut_guard_new(g, fill, sizeof(fill));
}

#define OUT(s)  .out = (s), .out_len = sizeof(s) - 1

static const struct rcase {
    const char *name;
    int         rep;
    const char *ip;             /* NULL: no address */
    unsigned    port;
    const char *out;
    size_t      out_len;
} replies[] = {
    { "succeeded, IPv4", SOCKS5_REP_SUCCEEDED, "127.0.0.1", 1080,
      OUT("\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38") },
    { "refused, IPv4, port 0x1F90", SOCKS5_REP_REFUSED, "192.0.2.7", 8080,
      OUT("\x05\x05\x00\x01\xc0\x00\x02\x07\x1f\x90") },
    { "IPv4 255.255.255.255:65535", SOCKS5_REP_SUCCEEDED, "255.255.255.255",
      65535, OUT("\x05\x00\x00\x01\xff\xff\xff\xff\xff\xff") },
    { "IPv4 0.0.0.0:0", SOCKS5_REP_SUCCEEDED, "0.0.0.0", 0,
      OUT("\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00") },
    { "succeeded, IPv6", SOCKS5_REP_SUCCEEDED, "2001:db8::ff00:42:8329", 443,
      OUT("\x05\x00\x00\x04" V6_DOC "\x01\xbb") },
    { "IPv6 ::1", SOCKS5_REP_NOT_ALLOWED, "::1", 0x1f90,
      OUT("\x05\x02\x00\x04" V6_LOOP "\x1f\x90") },
    { "IPv6 [::]:0", SOCKS5_REP_GENERAL_FAILURE, "::", 0,
      OUT("\x05\x01\x00\x04" V6_ANY "\x00\x00") },
    { "IPv4-mapped IPv6 as IPv4", SOCKS5_REP_SUCCEEDED, "::ffff:10.1.2.3",
      65535, OUT("\x05\x00\x00\x01\x0a\x01\x02\x03\xff\xff") },
    { "IPv4-mapped ::ffff:0.0.0.0 as IPv4", SOCKS5_REP_SUCCEEDED,
      "::ffff:0.0.0.0", 9, OUT("\x05\x00\x00\x01\x00\x00\x00\x00\x00\x09") },
    { "IPv4-compatible ::1.2.3.4 stays IPv6", SOCKS5_REP_SUCCEEDED,
      "::1.2.3.4", 1,
      OUT("\x05\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00"
          "\x00\x00\x00\x00\x01\x02\x03\x04\x00\x01") },
    { "::ffff:0:1.2.3.4 stays IPv6", SOCKS5_REP_SUCCEEDED, "::ffff:0:102:304",
      1, OUT("\x05\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00"
             "\xff\xff\x00\x00\x01\x02\x03\x04\x00\x01") },
    { "NAT64 64:ff9b::1.2.3.4 stays IPv6", SOCKS5_REP_HOST_UNREACHABLE,
      "64:ff9b::102:304", 80,
      OUT("\x05\x04\x00\x04\x00\x64\xff\x9b\x00\x00\x00\x00"
          "\x00\x00\x00\x00\x01\x02\x03\x04\x00\x50") },
    { "no address: 0.0.0.0:0", SOCKS5_REP_GENERAL_FAILURE, NULL, 0,
      OUT("\x05\x01\x00\x01\x00\x00\x00\x00\x00\x00") },
    { "command not supported, no address", SOCKS5_REP_CMD_UNSUPPORTED, NULL,
      0, OUT("\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00") },
    { "address type not supported, no address", SOCKS5_REP_ATYP_UNSUPPORTED,
      NULL, 0, OUT("\x05\x08\x00\x01\x00\x00\x00\x00\x00\x00") },
};

START_TEST(test_socks5_write_reply)
{
    const struct rcase *c = &replies[_i];
    gw_sockaddr_t       a;
    ut_guard_t          g;
    uint8_t            *out = out_new(&g);
    size_t              n;

    memset(&a, 0, sizeof(a));
    if (c->ip) {
        a = sa_make(c->ip, c->port);
    }
    n = gw_socks5_write_reply(out, c->rep, c->ip ? &a : NULL);
    ck_assert_uint_le(n, GW_SOCKS5_REPLY_MAX);
    EXPECT(n == c->out_len && memcmp(out, c->out, n) == 0,
           "%s: %zu bytes, want %zu", c->name, n, c->out_len);
    ut_guard_free(&g);
}
END_TEST

/* Every reply code, as given; the longest reply fills the buffer. */
START_TEST(test_socks5_write_reply_codes)
{
    gw_sockaddr_t a4 = sa_make("10.0.0.1", 0x0102);
    gw_sockaddr_t a6 = sa_make("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                               0xffff);
    ut_guard_t    g;
    uint8_t      *out = out_new(&g);

    ck_assert_int_eq(GW_SOCKS5_REPLY_MAX, 3 + 1 + 16 + 2);
    for (int rep = 0; rep <= 0xff; rep++) {
        static const uint8_t v4[] = { 1, 10, 0, 0, 1, 1, 2 };

        ck_assert_uint_eq(gw_socks5_write_reply(out, rep, &a4), 10);
        ck_assert(out[0] == 5 && out[1] == rep && out[2] == 0);
        ck_assert(memcmp(out + 3, v4, sizeof(v4)) == 0);
        ck_assert_uint_eq(gw_socks5_write_reply(out, rep, &a6),
                          GW_SOCKS5_REPLY_MAX);
        ck_assert(out[0] == 5 && out[1] == rep && out[2] == 0 && out[3] == 4);
        for (int i = 4; i < GW_SOCKS5_REPLY_MAX; i++) {
            EXPECT(out[i] == 0xff, "rep %d: byte %d is %#x", rep, i, out[i]);
        }
    }
    ut_guard_free(&g);
}
END_TEST

static const struct {
    const char *from;           /* NULL: no address */
    unsigned    port;
    int         atyp;           /* what the header says */
    const char *ip;
    size_t      hdr;
} udp_froms[] = {
    { "1.2.3.4", 5353, SOCKS5_ATYP_IPV4, "1.2.3.4", 10 },
    { "0.0.0.0", 0, SOCKS5_ATYP_IPV4, "0.0.0.0", 10 },
    { "255.255.255.255", 65535, SOCKS5_ATYP_IPV4, "255.255.255.255", 10 },
    { "2001:db8::1", 443, SOCKS5_ATYP_IPV6, "2001:db8::1", 22 },
    { "::1", 0x1f90, SOCKS5_ATYP_IPV6, "::1", 22 },
    { "::ffff:10.0.0.1", 9, SOCKS5_ATYP_IPV4, "10.0.0.1", 10 },
    { NULL, 0, SOCKS5_ATYP_IPV4, "0.0.0.0", 10 },
};

/* A header written for each sender, then a payload, parses back. */
START_TEST(test_socks5_udp_round_trip)
{
    static const size_t plens[] = { 0, 1, 512 };
    gw_sockaddr_t       from;
    ut_guard_t          go, gd;
    uint8_t            *out = out_new(&go);
    char                dgram[GW_SOCKS5_REPLY_MAX + 512], *buf, mode[64];
    gw_socks5_udp_t     u;
    size_t              n;

    memset(&from, 0, sizeof(from));
    if (udp_froms[_i].from) {
        from = sa_make(udp_froms[_i].from, udp_froms[_i].port);
    }
    n = gw_socks5_write_udp_header(out, udp_froms[_i].from ? &from : NULL);
    ck_assert_uint_le(n, GW_SOCKS5_REPLY_MAX);
    ck_assert_uint_eq(n, udp_froms[_i].hdr);
    ck_assert(out[0] == 0 && out[1] == 0 && out[2] == 0);
    ck_assert_int_eq(out[3], udp_froms[_i].atyp);
    ck_assert((unsigned) out[n - 2] == udp_froms[_i].port >> 8
              && (unsigned) out[n - 1] == (udp_froms[_i].port & 0xff));

    for (size_t p = 0; p < gw_nelems(plens); p++) {
        memcpy(dgram, out, n);
        for (size_t i = 0; i < plens[p]; i++) {
            dgram[n + i] = (char) (i * 31 + 7);
        }
        snprintf(mode, sizeof(mode), "from %s, %zu bytes of payload",
                 udp_froms[_i].from ? udp_froms[_i].from : "NULL", plens[p]);
        buf = ut_guard_new(&gd, dgram, n + plens[p]);
        ck_assert_int_eq(gw_socks5_parse_udp(buf, n + plens[p], &u), 0);
        ck_assert_uint_eq(u.frag, 0);
        expect_addr("round trip", mode, buf, 3, &u.dst, udp_froms[_i].atyp,
                    udp_froms[_i].ip, NULL, 0, udp_froms[_i].port);
        ck_assert(u.data == buf + n && u.len == plens[p]);
        ut_guard_free(&gd);
    }
    ut_guard_free(&go);
}
END_TEST

START_TEST(test_socks5_cmd_name)
{
    ck_assert_str_eq(gw_socks5_cmd_name(SOCKS5_CMD_CONNECT), "CONNECT");
    ck_assert_str_eq(gw_socks5_cmd_name(SOCKS5_CMD_BIND), "BIND");
    ck_assert_str_eq(gw_socks5_cmd_name(SOCKS5_CMD_UDP_ASSOCIATE),
                     "UDP_ASSOCIATE");
    ck_assert_str_eq(gw_socks5_cmd_name(1), "CONNECT");
    ck_assert_str_eq(gw_socks5_cmd_name(2), "BIND");
    ck_assert_str_eq(gw_socks5_cmd_name(3), "UDP_ASSOCIATE");
    ck_assert_str_eq(gw_socks5_cmd_name(0), "UNKNOWN");
    ck_assert_str_eq(gw_socks5_cmd_name(4), "UNKNOWN");
    ck_assert_str_eq(gw_socks5_cmd_name(255), "UNKNOWN");
    ck_assert_str_eq(gw_socks5_cmd_name(-1), "UNKNOWN");
    ck_assert_str_eq(gw_socks5_cmd_name(0x101), "UNKNOWN");
}
END_TEST

Suite *
socks5_suite(void)
{
    Suite *s = suite_create("socks5");
    TCase *msg = tcase_create("messages");
    TCase *hs = tcase_create("handshake");
    TCase *udp = tcase_create("udp");
    TCase *wr = tcase_create("write");

    tcase_add_loop_test(msg, test_socks5_greeting, 0,
                        (int) gw_nelems(greetings));
    tcase_add_test(msg, test_socks5_greeting_n);
    tcase_add_test(msg, test_socks5_offers);
    tcase_add_loop_test(msg, test_socks5_auth, 0, (int) gw_nelems(auths));
    tcase_add_loop_test(msg, test_socks5_auth_lengths, 0,
                        (int) gw_nelems(auth_lens));
    tcase_add_loop_test(msg, test_socks5_request, 0,
                        (int) gw_nelems(requests));
    tcase_add_loop_test(msg, test_socks5_request_domain_len, 0, 5);
    tcase_add_test(msg, test_socks5_request_every_atyp);
    suite_add_tcase(s, msg);

    tcase_add_loop_test(hs, test_socks5_handshake, 0,
                        (int) gw_nelems(handshakes));
    tcase_add_test(hs, test_socks5_handshake_longest);
    suite_add_tcase(s, hs);

    tcase_add_loop_test(udp, test_socks5_udp, 0, (int) gw_nelems(udps));
    tcase_add_loop_test(udp, test_socks5_udp_round_trip, 0,
                        (int) gw_nelems(udp_froms));
    suite_add_tcase(s, udp);

    tcase_add_loop_test(wr, test_socks5_write_reply, 0,
                        (int) gw_nelems(replies));
    tcase_add_test(wr, test_socks5_write_reply_codes);
    tcase_add_test(wr, test_socks5_cmd_name);
    suite_add_tcase(s, wr);
    return s;
}
