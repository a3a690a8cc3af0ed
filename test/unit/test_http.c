/*
 * test/unit/test_http.c: HTTP/1.x heads (common/http.h).
 *
 * Two tables, requests and responses: each row is an input (explicit
 * length, so NUL and other control bytes are real bytes), and either the
 * status of the rejection or what the head says (method, target, status,
 * reason, minor version, header fields in order, body framing, Connection
 * tokens, Expect, Upgrade, the Host index). Every row is fed four ways,
 * always with its last byte right before a PROT_NONE page:
 *
 *   whole          one call;
 *   byte by byte   len = 1, 2, ... with last_len the previous len;
 *   split          at every offset: a first call, then the rest;
 *   coalesced      with the next message right behind it (the head's
 *                  length only is returned).
 *
 * Every way must give the same answer: the same return value, and for a
 * valid head the same fields at the same offsets as the whole call.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

#define IN(s)           .in = (s), .len = sizeof(s) - 1
#define MAX_DEFAULT     16384

#define NONE            GW_HTTP_BODY_NONE
#define LENGTH          GW_HTTP_BODY_LENGTH
#define CHUNKED         GW_HTTP_BODY_CHUNKED
#define UNTIL_CLOSE     GW_HTTP_BODY_CLOSE
#define C_CLOSE         GW_HTTP_CONN_CLOSE
#define C_KEEP          GW_HTTP_CONN_KEEP_ALIVE
#define C_UPGRADE       GW_HTTP_CONN_UPGRADE

typedef struct hcase {
    const char *name;
    const char *in;
    size_t      len;
    size_t      max;            /* max_size; 0: MAX_DEFAULT */
    int         head;           /* responses: the request was HEAD */
    int         error;          /* 0: valid, the head is all of IN */

    /* what a valid head says (requests: method set; responses: status) */
    const char *method;
    const char *target;
    int         status;
    const char *reason;
    unsigned    http10:1;       /* minor 0 (else 1) */
    unsigned    nohost:1;       /* host -1 (else .host) */
    unsigned    expect:1;
    unsigned    upgrade:1;      /* has_upgrade */
    unsigned    te_other:1;
    int         host;
    int         body;
    uint64_t    cl;             /* checked when body is LENGTH */
    unsigned    conn;
    const char *h[17];          /* every field: name, value, ...; NULL */
} hcase_t;

typedef int (*parse_fn)(const hcase_t *c, const char *buf, size_t len,
                        size_t last_len, gw_http_msg_t *m);

static size_t
max_of(const hcase_t *c)
{
    return c->max ? c->max : MAX_DEFAULT;
}

static int
parse_req(const hcase_t *c, const char *buf, size_t len, size_t last_len,
          gw_http_msg_t *m)
{
    return gw_http_parse_request(buf, len, last_len, max_of(c), m);
}

static int
parse_resp(const hcase_t *c, const char *buf, size_t len, size_t last_len,
           gw_http_msg_t *m)
{
    return gw_http_parse_response(buf, len, last_len, max_of(c), c->head, m);
}

/* ---- comparing --------------------------------------------------------- */

static long
off(const char *p, const char *base)
{
    return p ? (long) (p - base) : -1;
}

static void
same_str(const hcase_t *c, const char *mode, const char *what, gw_str_t a,
         const char *abase, gw_str_t b, const char *bbase)
{
    ck_assert_msg(a.len == b.len && off(a.data, abase) == off(b.data, bbase),
                  "%s (%s): %s at %ld+%zu, whole: %ld+%zu", c->name, mode,
                  what, off(b.data, bbase), b.len, off(a.data, abase), a.len);
}

/* GOT (parsed from GBASE) says what REF (from RBASE) said. */
static void
same_msg(const hcase_t *c, const char *mode, const gw_http_msg_t *ref,
         const char *rbase, const gw_http_msg_t *got, const char *gbase)
{
    same_str(c, mode, "method", ref->method, rbase, got->method, gbase);
    same_str(c, mode, "target", ref->target, rbase, got->target, gbase);
    same_str(c, mode, "reason", ref->reason, rbase, got->reason, gbase);
    ck_assert_msg(ref->status == got->status && ref->minor == got->minor
                  && ref->n_headers == got->n_headers
                  && ref->body == got->body
                  && ref->content_length == got->content_length
                  && ref->connection == got->connection
                  && ref->host == got->host
                  && ref->expect_continue == got->expect_continue
                  && ref->has_upgrade == got->has_upgrade
                  && ref->te_other == got->te_other,
                  "%s (%s): fields differ from the whole parse", c->name,
                  mode);
    for (unsigned i = 0; i < ref->n_headers; i++) {
        same_str(c, mode, "header name", ref->headers[i].name, rbase,
                 got->headers[i].name, gbase);
        same_str(c, mode, "header value", ref->headers[i].value, rbase,
                 got->headers[i].value, gbase);
    }
}

static void
str_is(const hcase_t *c, const char *what, gw_str_t s, const char *want)
{
    ck_assert_msg(s.data != NULL && s.len == strlen(want)
                  && memcmp(s.data, want, s.len) == 0,
                  "%s: %s is \"%.*s\", want \"%s\"", c->name, what,
                  (int) s.len, s.data ? s.data : "", want);
}

/* A valid head: the fields the row names. */
static void
expect_msg(const hcase_t *c, const gw_http_msg_t *m)
{
    unsigned n = 0;

    ck_assert_msg(m->error == 0, "%s: error %d on success", c->name,
                  m->error);
    if (c->method) {
        str_is(c, "method", m->method, c->method);
        str_is(c, "target", m->target, c->target);
        ck_assert_msg(m->host == (c->nohost ? -1 : c->host),
                      "%s: host index %d", c->name, m->host);
        if (m->host >= 0) {
            ck_assert(gw_http_str_ieq(m->headers[m->host].name, "host"));
        }
    } else {
        ck_assert_msg(m->status == c->status, "%s: status %d, want %d",
                      c->name, m->status, c->status);
        str_is(c, "reason", m->reason, c->reason);
    }
    ck_assert_msg(m->minor == (c->http10 ? 0 : 1), "%s: minor %d", c->name,
                  m->minor);
    ck_assert_msg(m->body == c->body, "%s: body %d, want %d", c->name,
                  m->body, c->body);
    if (c->body == LENGTH) {
        ck_assert_msg(m->content_length == c->cl,
                      "%s: content_length %llu, want %llu", c->name,
                      (unsigned long long) m->content_length,
                      (unsigned long long) c->cl);
    }
    ck_assert_msg(m->connection == c->conn, "%s: connection %#x, want %#x",
                  c->name, m->connection, c->conn);
    ck_assert_msg(m->expect_continue == c->expect, "%s: expect_continue %u",
                  c->name, m->expect_continue);
    ck_assert_msg(m->has_upgrade == c->upgrade, "%s: has_upgrade %u",
                  c->name, m->has_upgrade);
    ck_assert_msg(m->te_other == c->te_other, "%s: te_other %u", c->name,
                  m->te_other);
    if (c->h[0] == NULL) {
        return;
    }
    for (n = 0; c->h[2 * n]; n++) {
        ck_assert_msg(n < m->n_headers, "%s: %u header fields, want more",
                      c->name, m->n_headers);
        str_is(c, "header name", m->headers[n].name, c->h[2 * n]);
        str_is(c, "header value", m->headers[n].value, c->h[2 * n + 1]);
    }
    ck_assert_msg(m->n_headers == n, "%s: %u header fields, want %u",
                  c->name, m->n_headers, n);
}

/* R is the answer to the complete input: the row's. */
static void
expect_result(const hcase_t *c, const char *mode, int r,
              const gw_http_msg_t *m)
{
    int want = c->error ? GW_PARSE_ERROR : (int) c->len;

    ck_assert_msg(r == want, "%s (%s): returned %d (error %d, %s), want %d",
                  c->name, mode, r, m->error, m->why ? m->why : "-", want);
    if (c->error) {
        ck_assert_msg(m->error == c->error, "%s (%s): error %d (%s), want %d",
                      c->name, mode, m->error, m->why ? m->why : "-",
                      c->error);
        ck_assert_msg(m->why != NULL, "%s: no reason given", c->name);
    }
}

/* ---- the four ways ----------------------------------------------------- */

static void
run_case(const hcase_t *c, parse_fn parse, const char *next)
{
    size_t         len = c->len, nlen = strlen(next);
    char          *all = malloc(len + nlen), *buf, *rbase;
    char           mode[64];
    ut_guard_t     g;
    gw_http_msg_t *ref = malloc(sizeof(*ref)), *m = malloc(sizeof(*m));
    int            r, answered;

    ck_assert(all && ref && m);
    memcpy(all, c->in, len);
    memcpy(all + len, next, nlen);
    ut_guard_new(&g, all, len + nlen);

    /* whole */
    rbase = ut_guard_put(&g, c->in, len);
    r = parse(c, rbase, len, 0, ref);
    expect_result(c, "whole", r, ref);
    if (!c->error) {
        expect_msg(c, ref);
    }

    /* byte by byte */
    answered = 0;
    for (size_t n = 1; n <= len && !answered; n++) {
        buf = ut_guard_put(&g, c->in, n);
        r = parse(c, buf, n, n - 1, m);
        if (r == GW_PARSE_AGAIN) {
            continue;
        }
        snprintf(mode, sizeof(mode), "byte by byte, at %zu of %zu", n, len);
        /* only an error may come early (431: too long already) */
        ck_assert_msg(n == len || c->error, "%s (%s): returned %d early",
                      c->name, mode, r);
        expect_result(c, mode, r, m);
        if (!c->error) {
            same_msg(c, mode, ref, rbase, m, buf);
        }
        answered = 1;
    }
    ck_assert_msg(answered, "%s (byte by byte): still AGAIN at the end",
                  c->name);

    /* split at every offset, the rest alone or with the next message */
    for (size_t k = 1; k < len; k++) {
        for (int with_next = 0; with_next <= 1; with_next++) {
            size_t total = len + (with_next ? nlen : 0);

            snprintf(mode, sizeof(mode), "split at %zu%s", k,
                     with_next ? ", next message behind" : "");
            buf = ut_guard_put(&g, all, k);
            r = parse(c, buf, k, 0, m);
            if (r != GW_PARSE_AGAIN) {
                ck_assert_msg(c->error, "%s (%s): first part returned %d",
                              c->name, mode, r);
                expect_result(c, mode, r, m);
                continue;
            }
            buf = ut_guard_put(&g, all, total);
            r = parse(c, buf, total, k, m);
            expect_result(c, mode, r, m);
            if (!c->error) {
                same_msg(c, mode, ref, rbase, m, buf);
            }
        }
    }

    /* coalesced */
    buf = ut_guard_put(&g, all, len + nlen);
    r = parse(c, buf, len + nlen, 0, m);
    expect_result(c, "coalesced", r, m);
    if (!c->error) {
        same_msg(c, "coalesced", ref, rbase, m, buf);
    }

    ut_guard_free(&g);
    free(all);
    free(ref);
    free(m);
}

static const char next_request[] = "GET /next HTTP/1.1\r\nHost: n\r\n\r\n";
static const char next_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

/* ---- requests ---------------------------------------------------------- */

#define GET_A(line)  "GET / HTTP/1.1\r\nHost: a\r\n" line "\r\n"
#define POST_A(line) "POST /p HTTP/1.1\r\nHost: a\r\n" line "\r\n"

static const hcase_t req_good[] = {
    { "simple GET", IN("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"),
      .method = "GET", .target = "/", .h = { "Host", "example.com" } },
    { "OWS trimmed, inner whitespace kept",
      IN("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: \t example.com \t\r\n"
         "X-Empty:\r\nX-Blank: \t \r\nX-Inner: a  b\t c\r\nX-Tight:v\r\n\r\n"),
      .method = "GET", .target = "/a/b?x=1&y=2",
      .h = { "Host", "example.com", "X-Empty", "", "X-Blank", "",
             "X-Inner", "a  b\t c", "X-Tight", "v" } },
    { "HTTP/1.0 without Host",
      IN("GET /old HTTP/1.0\r\nUser-Agent: x\r\n\r\n"),
      .method = "GET", .target = "/old", .http10 = 1, .nohost = 1,
      .h = { "User-Agent", "x" } },
    { "HTTP/1.0 with Host", IN("GET / HTTP/1.0\r\nHost: a\r\n\r\n"),
      .method = "GET", .target = "/", .http10 = 1 },
    { "HTTP/1.0 no fields at all", IN("GET / HTTP/1.0\r\n\r\n"),
      .method = "GET", .target = "/", .http10 = 1, .nohost = 1 },
    { "HTTP/1.2 is taken as 1.1", IN("GET / HTTP/1.2\r\nHost: a\r\n\r\n"),
      .method = "GET", .target = "/" },
    { "Host not first, lower case",
      IN("GET / HTTP/1.1\r\nAccept: */*\r\nhost: a\r\n\r\n"),
      .method = "GET", .target = "/", .host = 1,
      .h = { "Accept", "*/*", "host", "a" } },
    { "empty Host", IN("GET / HTTP/1.1\r\nHost:\r\n\r\n"),
      .method = "GET", .target = "/", .h = { "Host", "" } },
    { "Content-Length", IN(POST_A("Content-Length: 5\r\n")),
      .method = "POST", .target = "/p", .body = LENGTH, .cl = 5,
      .h = { "Host", "a", "Content-Length", "5" } },
    { "Content-Length 0", IN(POST_A("content-length: 0\r\n")),
      .method = "POST", .target = "/p", .body = LENGTH, .cl = 0 },
    { "Content-Length 5, 5", IN(POST_A("Content-Length: 5, 5\r\n")),
      .method = "POST", .target = "/p", .body = LENGTH, .cl = 5 },
    { "Content-Length twice the same",
      IN(POST_A("Content-Length: 5\r\nContent-Length: 5\r\n")),
      .method = "POST", .target = "/p", .body = LENGTH, .cl = 5 },
    { "Content-Length leading zeros", IN(POST_A("Content-Length: 007\r\n")),
      .method = "POST", .target = "/p", .body = LENGTH, .cl = 7 },
    { "Content-Length 18 digits",
      IN(POST_A("Content-Length: 999999999999999999\r\n")),
      .method = "POST", .target = "/p", .body = LENGTH,
      .cl = 999999999999999999ull },
    { "chunked", IN(POST_A("Transfer-Encoding: chunked\r\n")),
      .method = "POST", .target = "/p", .body = CHUNKED },
    { "CHUNKED in capitals", IN(POST_A("Transfer-Encoding: CHUNKED\r\n")),
      .method = "POST", .target = "/p", .body = CHUNKED },
    { "gzip, chunked", IN(POST_A("Transfer-Encoding: gzip, chunked\r\n")),
      .method = "POST", .target = "/p", .body = CHUNKED, .te_other = 1 },
    { "codings over two fields",
      IN(POST_A("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
      .method = "POST", .target = "/p", .body = CHUNKED, .te_other = 1 },
    { "chunked among empty list elements",
      IN(POST_A("Transfer-Encoding: , chunked ,\r\n")),
      .method = "POST", .target = "/p", .body = CHUNKED },
    { "Connection: close", IN(GET_A("Connection: close\r\n")),
      .method = "GET", .target = "/", .conn = C_CLOSE },
    { "Connection: Keep-Alive", IN(GET_A("Connection: Keep-Alive\r\n")),
      .method = "GET", .target = "/", .conn = C_KEEP },
    { "Connection list with Upgrade",
      IN(GET_A("Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n")),
      .method = "GET", .target = "/", .conn = C_KEEP | C_UPGRADE,
      .upgrade = 1 },
    { "Connection tokens over two fields",
      IN(GET_A("Connection: foo\r\nConnection: bar , CLOSE\t,\r\n")),
      .method = "GET", .target = "/", .conn = C_CLOSE },
    { "Connection tokens that only look alike",
      IN(GET_A("Connection: closed, keep-alive2, xupgrade\r\n")),
      .method = "GET", .target = "/", .conn = 0 },
    { "Upgrade without Connection: upgrade", IN(GET_A("Upgrade: h2c\r\n")),
      .method = "GET", .target = "/", .upgrade = 1 },
    { "Expect: 100-continue", IN(POST_A("Expect: 100-continue\r\n")),
      .method = "POST", .target = "/p", .expect = 1 },
    { "Expect: 100-Continue", IN(POST_A("Expect: 100-Continue\r\n")),
      .method = "POST", .target = "/p", .expect = 1 },
    { "Expect: something else", IN(POST_A("Expect: 100-continued\r\n")),
      .method = "POST", .target = "/p" },
    { "leading CRLFs",
      IN("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
      .method = "GET", .target = "/" },
    { "leading LFs", IN("\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
      .method = "GET", .target = "/" },
    { "leading CRLF and LF mixed",
      IN("\n\r\n\nGET / HTTP/1.1\nHost: a\n\n"),
      .method = "GET", .target = "/" },
    { "bare LF line ends", IN("GET / HTTP/1.1\nHost: a\nX: b\n\n"),
      .method = "GET", .target = "/", .h = { "Host", "a", "X", "b" } },
    { "CRLF then a bare LF empty line",
      IN("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\n"),
      .method = "GET", .target = "/", .h = { "Host", "a", "X", "b" } },
    { "bare LF then a CRLF empty line",
      IN("GET / HTTP/1.1\nHost: a\n\r\n"),
      .method = "GET", .target = "/" },
    { "M-SEARCH *", IN("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n"),
      .method = "M-SEARCH", .target = "*" },
    { "lower-case method is a token",
      IN("get / HTTP/1.1\r\nHost: a\r\n\r\n"),
      .method = "get", .target = "/" },
    { "method of every tchar",
      IN("!#$%&'*+-.^_`|~09AZaz / HTTP/1.1\r\nHost: a\r\n\r\n"),
      .method = "!#$%&'*+-.^_`|~09AZaz", .target = "/" },
    { "absolute-form target",
      IN("GET http://a.example:8080/x?y=1 HTTP/1.1\r\n"
         "Host: a.example:8080\r\n\r\n"),
      .method = "GET", .target = "http://a.example:8080/x?y=1" },
    { "authority-form target",
      IN("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n"),
      .method = "CONNECT", .target = "a.example:443" },
    { "authority-form target without Host",
      IN("CONNECT a.example:443 HTTP/1.1\r\n\r\n"),
      .method = "CONNECT", .target = "a.example:443", .nohost = 1 },
    { "absolute-form target without Host",
      IN("GET http://a.example/ HTTP/1.1\r\n\r\n"),
      .method = "GET", .target = "http://a.example/", .nohost = 1 },
    { "field name of every tchar",
      IN(GET_A("!#$%&'*+-.^_`|~09AZaz: v\r\n")),
      .method = "GET", .target = "/",
      .h = { "Host", "a", "!#$%&'*+-.^_`|~09AZaz", "v" } },
    { "value with colons, quotes, obs-text",
      IN(GET_A("X: a:b \"c\" caf\xc3\xa9\r\n")),
      .method = "GET", .target = "/",
      .h = { "Host", "a", "X", "a:b \"c\" caf\xc3\xa9" } },
};

static const hcase_t req_bad[] = {
    /* framing */
    { "Content-Length and Transfer-Encoding",
      IN(POST_A("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
      .error = 400 },
    { "Transfer-Encoding and Content-Length",
      IN(POST_A("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")),
      .error = 400 },
    { "Transfer-Encoding and a bad Content-Length",
      IN(POST_A("Transfer-Encoding: chunked\r\nContent-Length: x\r\n")),
      .error = 400 },
    { "Content-Length 5 then 6",
      IN(POST_A("Content-Length: 5\r\nContent-Length: 6\r\n")), .error = 400 },
    { "Content-Length 5, 6", IN(POST_A("Content-Length: 5, 6\r\n")),
      .error = 400 },
    { "Content-Length 5, 5 then 6",
      IN(POST_A("Content-Length: 5, 5\r\nContent-Length: 6\r\n")),
      .error = 400 },
    { "Content-Length +5", IN(POST_A("Content-Length: +5\r\n")), .error = 400 },
    { "Content-Length -1", IN(POST_A("Content-Length: -1\r\n")), .error = 400 },
    { "Content-Length 0x5", IN(POST_A("Content-Length: 0x5\r\n")),
      .error = 400 },
    { "Content-Length empty", IN(POST_A("Content-Length:\r\n")), .error = 400 },
    { "Content-Length blank", IN(POST_A("Content-Length:  \t\r\n")),
      .error = 400 },
    { "Content-Length only commas", IN(POST_A("Content-Length: ,,\r\n")),
      .error = 400 },
    { "Content-Length 19 digits",
      IN(POST_A("Content-Length: 1000000000000000000\r\n")), .error = 400 },
    { "Content-Length 20 digits (wraps 2^64)",
      IN(POST_A("Content-Length: 18446744073709551621\r\n")), .error = 400 },
    { "Content-Length with a space inside",
      IN(POST_A("Content-Length: 5 6\r\n")), .error = 400 },
    { "Content-Length with a tab inside",
      IN(POST_A("Content-Length: 1\t0\r\n")), .error = 400 },
    { "Content-Length 5a", IN(POST_A("Content-Length: 5a\r\n")), .error = 400 },
    { "Content-Length 1e3", IN(POST_A("Content-Length: 1e3\r\n")),
      .error = 400 },
    { "Content-Length with a parameter",
      IN(POST_A("Content-Length: 5;q=1\r\n")), .error = 400 },
    { "chunked, gzip", IN(POST_A("Transfer-Encoding: chunked, gzip\r\n")),
      .error = 400 },
    { "gzip alone", IN(POST_A("Transfer-Encoding: gzip\r\n")), .error = 400 },
    { "chunked, chunked", IN(POST_A("Transfer-Encoding: chunked, chunked\r\n")),
      .error = 400 },
    { "chunked in two fields",
      IN(POST_A("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
      .error = 400 },
    { "Transfer-Encoding empty", IN(POST_A("Transfer-Encoding:\r\n")),
      .error = 400 },
    { "unknown coding", IN(POST_A("Transfer-Encoding: foo\r\n")),
      .error = 501 },
    { "unknown coding before chunked",
      IN(POST_A("Transfer-Encoding: x-custom, chunked\r\n")), .error = 501 },
    { "Transfer-Encoding in HTTP/1.0",
      IN("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
      .error = 400 },
    /* field lines */
    { "obsolete line folding (space)",
      IN(GET_A("X: a\r\n b\r\n")), .error = 400 },
    { "obsolete line folding (tab)",
      IN(GET_A("X: a\r\n\tb\r\n")), .error = 400 },
    { "first field line folded",
      IN("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), .error = 400 },
    { "blank line of spaces among fields",
      IN(GET_A("  \r\nX: b\r\n")), .error = 400 },
    { "space before the colon", IN("GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
      .error = 400 },
    { "tab before the colon", IN(GET_A("X\t: a\r\n")), .error = 400 },
    { "space inside a name", IN(GET_A("X Y: a\r\n")), .error = 400 },
    { "no colon", IN(GET_A("X-No-Colon\r\n")), .error = 400 },
    { "empty name", IN(GET_A(": v\r\n")), .error = 400 },
    { "separator in a name", IN(GET_A("X(y): z\r\n")), .error = 400 },
    { "slash in a name", IN(GET_A("X/Y: z\r\n")), .error = 400 },
    { "non-ASCII name", IN(GET_A("X\xc3\xa9: z\r\n")), .error = 400 },
    { "bare CR in the request line",
      IN("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "CR CR LF after the request line",
      IN("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n"), .error = 400 },
    { "bare CR in a value", IN(GET_A("X: a\rb\r\n")), .error = 400 },
    { "bare CR ends a field line",
      IN("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"), .error = 400 },
    { "bare CR in a name", IN(GET_A("X\rY: b\r\n")), .error = 400 },
    { "bare CR as the empty line",
      IN("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n\r\n"), .error = 400 },
    { "NUL in a name", IN(GET_A("X\0Y: a\r\n")), .error = 400 },
    { "NUL in a value", IN(GET_A("X: a\0b\r\n")), .error = 400 },
    { "NUL as a value", IN(GET_A("X: \0\r\n")), .error = 400 },
    { "NUL at the end of a value", IN(GET_A("X: a\0\r\n")), .error = 400 },
    { "NUL in the Host value", IN("GET / HTTP/1.1\r\nHost: a\0.b\r\n\r\n"),
      .error = 400 },
    { "SOH in a value", IN(GET_A("X: a\x01\r\n")), .error = 400 },
    { "ESC in a value", IN(GET_A("X: \x1b[31m\r\n")), .error = 400 },
    { "VT in a value", IN(GET_A("X: a\x0b b\r\n")), .error = 400 },
    { "FF in a value", IN(GET_A("X: a\x0c\r\n")), .error = 400 },
    { "DEL in a value", IN(GET_A("X: a\x7f\r\n")), .error = 400 },
    { "DEL in a name", IN(GET_A("X\x7f: a\r\n")), .error = 400 },
    { "SOH in a name", IN(GET_A("\x01X: a\r\n")), .error = 400 },
    /* request line */
    { "method G@T", IN("G@T / HTTP/1.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "method GET(", IN("GET( / HTTP/1.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "empty method", IN(" / HTTP/1.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "tab after the method", IN("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "NUL in the method", IN("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "non-ASCII method", IN("G\xc9T / HTTP/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "method glued to the target", IN("GET/ HTTP/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "request line starts with a space",
      IN(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "empty target", IN("GET  HTTP/1.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "space in the target", IN("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "tab in the target", IN("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "NUL in the target", IN("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "SOH in the target", IN("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "DEL in the target", IN("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "no target", IN("GET HTTP/1.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "method alone", IN("GET\r\nHost: a\r\n\r\n"), .error = 400 },
    { "no version", IN("GET /\r\nHost: a\r\n\r\n"), .error = 400 },
    { "HTTP/1", IN("GET / HTTP/1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "HTTP/1.x", IN("GET / HTTP/1.x\r\nHost: a\r\n\r\n"), .error = 400 },
    { "HTTP/x.1", IN("GET / HTTP/x.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "HTTP/1.1x", IN("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), .error = 400 },
    { "HTTP/1.10", IN("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), .error = 400 },
    { "HTTP/11.1", IN("GET / HTTP/11.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "HTTP/1,1", IN("GET / HTTP/1,1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "lower-case http/1.1", IN("GET / http/1.1\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "HTTP-1.1", IN("GET / HTTP-1.1\r\nHost: a\r\n\r\n"), .error = 400 },
    { "space after the version", IN("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "NUL after the version", IN("GET / HTTP/1.1\0\r\nHost: a\r\n\r\n"),
      .error = 400 },
    { "HTTP/2.0", IN("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), .error = 505 },
    { "HTTP/3.0", IN("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), .error = 505 },
    { "HTTP/0.9", IN("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), .error = 505 },
    /* Host */
    { "HTTP/1.1 without Host", IN("GET / HTTP/1.1\r\nX: a\r\n\r\n"),
      .error = 400 },
    { "asterisk form without Host", IN("OPTIONS * HTTP/1.1\r\n\r\n"),
      .error = 400 },
    { "HTTP/1.1 without any field", IN("GET / HTTP/1.1\r\n\r\n"),
      .error = 400 },
    { "two Hosts", IN(GET_A("Host: b\r\n")), .error = 400 },
    { "two Hosts, same value, other case", IN(GET_A("HOST: a\r\n")),
      .error = 400 },
    { "two Hosts in HTTP/1.0",
      IN("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), .error = 400 },
    /* size */
    { "incomplete head past max_size",
      IN("GET / HTTP/1.1\r\nHost: a\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
      .max = 64, .error = 431 },
    { "complete head past max_size",
      IN("GET / HTTP/1.1\r\nHost: a\r\nX-Long: aaaaaaaaaaaaaaaa\r\n\r\n"),
      .max = 32, .error = 431 },
    { "complete head one byte past max_size",
      IN("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .max = 26, .error = 431 },
};

START_TEST(test_http_request_good)
{
    run_case(&req_good[_i], parse_req, next_request);
}
END_TEST

START_TEST(test_http_request_bad)
{
    run_case(&req_bad[_i], parse_req, next_request);
}
END_TEST

/* A head of N header fields ("X-N: vN"), Host first; *len set. */
static char *
many_fields(const char *start_line, unsigned n, int host, size_t *len)
{
    size_t cap = 64 + (size_t) n * 32, l;
    char  *s = malloc(cap);

    ck_assert_ptr_nonnull(s);
    l = (size_t) snprintf(s, cap, "%s\r\n", start_line);
    for (unsigned i = 0; i < n; i++) {
        l += (size_t) (host && i == 0
                       ? snprintf(s + l, cap - l, "Host: a\r\n")
                       : snprintf(s + l, cap - l, "X-%u: v%u\r\n", i, i));
    }
    l += (size_t) snprintf(s + l, cap - l, "\r\n");
    *len = l;
    return s;
}

START_TEST(test_http_request_max_headers)
{
    hcase_t c = { "exactly GW_HTTP_MAX_HEADERS fields",
                  .method = "GET", .target = "/" };
    char   *in = many_fields("GET / HTTP/1.1", GW_HTTP_MAX_HEADERS, 1, &c.len);
    gw_http_msg_t m;

    c.in = in;
    run_case(&c, parse_req, next_request);
    ck_assert_int_eq(gw_http_parse_request(in, c.len, 0, MAX_DEFAULT, &m),
                     (int) c.len);
    ck_assert_uint_eq(m.n_headers, GW_HTTP_MAX_HEADERS);
    str_is(&c, "last value", m.headers[GW_HTTP_MAX_HEADERS - 1].value, "v99");
    free(in);

    in = many_fields("GET / HTTP/1.1", GW_HTTP_MAX_HEADERS + 1, 1, &c.len);
    c.name = "one field more than GW_HTTP_MAX_HEADERS";
    c.in = in;
    c.error = 431;
    run_case(&c, parse_req, next_request);
    free(in);
}
END_TEST

START_TEST(test_http_request_max_size_boundary)
{
    static const char head[] = "GET / HTTP/1.1\r\nHost: a\r\nX: abcdef\r\n\r\n";
    size_t        n = sizeof(head) - 1;
    hcase_t       c = { "head exactly max_size", .in = head, .len = n,
                        .max = n, .method = "GET", .target = "/" };
    gw_http_msg_t m;
    ut_guard_t    g;
    char         *buf;

    run_case(&c, parse_req, next_request);
    c.name = "head one byte over max_size";
    c.max = n - 1;
    c.error = 431;
    run_case(&c, parse_req, next_request);

    /* incomplete: max_size bytes are still worth waiting on, one more not */
    buf = ut_guard_new(&g, head, 20);
    ck_assert_int_eq(gw_http_parse_request(buf, 20, 0, 20, &m),
                     GW_PARSE_AGAIN);
    buf = ut_guard_put(&g, head, 20);
    ck_assert_int_eq(gw_http_parse_request(buf, 20, 0, 19, &m),
                     GW_PARSE_ERROR);
    ck_assert_int_eq(m.error, 431);
    ut_guard_free(&g);
}
END_TEST

/* The same buffer parsed again (a second message, a retry) starts clean. */
START_TEST(test_http_request_msg_reset)
{
    static const char a[] =
        "POST /a HTTP/1.1\r\nHost: a\r\nConnection: close, upgrade\r\n"
        "Upgrade: x\r\nExpect: 100-continue\r\n"
        "Transfer-Encoding: gzip, chunked\r\n\r\n";
    static const char b[] = "GET /b HTTP/1.0\r\n\r\n";
    gw_http_msg_t m;

    ck_assert_int_eq(gw_http_parse_request(a, sizeof(a) - 1, 0, 4096, &m),
                     (int) sizeof(a) - 1);
    ck_assert_int_eq(m.body, CHUNKED);
    ck_assert(m.te_other && m.expect_continue && m.has_upgrade);
    ck_assert_int_eq(gw_http_parse_request(b, sizeof(b) - 1, 0, 4096, &m),
                     (int) sizeof(b) - 1);
    ck_assert_int_eq(m.body, NONE);
    ck_assert_uint_eq(m.n_headers, 0);
    ck_assert_uint_eq(m.connection, 0);
    ck_assert_int_eq(m.host, -1);
    ck_assert(!m.te_other && !m.expect_continue && !m.has_upgrade);
    ck_assert_int_eq(m.error, 0);
}
END_TEST

/* ---- responses --------------------------------------------------------- */

#define RESP(line)  "HTTP/1.1 200 OK\r\n" line "\r\n"

static const hcase_t resp_good[] = {
    { "200 OK with Content-Length",
      IN("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
      .status = 200, .reason = "OK", .body = LENGTH, .cl = 5,
      .h = { "Content-Length", "5" } },
    { "reason with spaces",
      IN("HTTP/1.1 404 Not Found Here\r\nContent-Length: 0\r\n\r\n"),
      .status = 404, .reason = "Not Found Here", .body = LENGTH, .cl = 0 },
    { "empty reason", IN("HTTP/1.1 204 \r\n\r\n"),
      .status = 204, .reason = "", .body = NONE },
    { "missing reason", IN("HTTP/1.1 200\r\n\r\n"),
      .status = 200, .reason = "", .body = UNTIL_CLOSE },
    { "reason with a tab and obs-text",
      IN("HTTP/1.1 200 O\tK caf\xc3\xa9\r\n\r\n"),
      .status = 200, .reason = "O\tK caf\xc3\xa9", .body = UNTIL_CLOSE },
    { "HTTP/1.0", IN("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n"),
      .status = 200, .reason = "OK", .http10 = 1, .body = LENGTH, .cl = 2 },
    { "bare LF line ends", IN("HTTP/1.1 200 OK\nContent-Length: 1\n\n"),
      .status = 200, .reason = "OK", .body = LENGTH, .cl = 1 },
    { "status 599", IN("HTTP/1.1 599 Odd\r\n\r\n"),
      .status = 599, .reason = "Odd", .body = UNTIL_CLOSE },
    { "HEAD with Content-Length", IN(RESP("Content-Length: 100\r\n")),
      .head = 1, .status = 200, .reason = "OK", .body = NONE },
    { "HEAD with chunked", IN(RESP("Transfer-Encoding: chunked\r\n")),
      .head = 1, .status = 200, .reason = "OK", .body = NONE },
    { "HEAD with neither", IN(RESP("")),
      .head = 1, .status = 200, .reason = "OK", .body = NONE },
    { "100 Continue", IN("HTTP/1.1 100 Continue\r\n\r\n"),
      .status = 100, .reason = "Continue", .body = NONE },
    { "101 Switching Protocols",
      IN("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
         "Upgrade: websocket\r\n\r\n"),
      .status = 101, .reason = "Switching Protocols", .body = NONE,
      .conn = C_UPGRADE, .upgrade = 1 },
    { "103 Early Hints", IN("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"),
      .status = 103, .reason = "Early Hints", .body = NONE },
    { "204 with Content-Length",
      IN("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"),
      .status = 204, .reason = "No Content", .body = NONE },
    { "304 with Content-Length",
      IN("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
      .status = 304, .reason = "Not Modified", .body = NONE },
    { "304 with chunked",
      IN("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"),
      .status = 304, .reason = "Not Modified", .body = NONE },
    { "chunked", IN(RESP("Transfer-Encoding: chunked\r\n")),
      .status = 200, .reason = "OK", .body = CHUNKED },
    { "chunked wins over Content-Length",
      IN(RESP("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
      .status = 200, .reason = "OK", .body = CHUNKED },
    { "chunked wins over a bad Content-Length",
      IN(RESP("Transfer-Encoding: chunked\r\nContent-Length: x\r\n")),
      .status = 200, .reason = "OK", .body = CHUNKED },
    { "gzip, chunked", IN(RESP("Transfer-Encoding: gzip, chunked\r\n")),
      .status = 200, .reason = "OK", .body = CHUNKED, .te_other = 1 },
    { "unknown coding, chunked",
      IN(RESP("Transfer-Encoding: x-custom, chunked\r\n")),
      .status = 200, .reason = "OK", .body = CHUNKED, .te_other = 1 },
    { "gzip alone: until close", IN(RESP("Transfer-Encoding: gzip\r\n")),
      .status = 200, .reason = "OK", .body = UNTIL_CLOSE, .te_other = 1 },
    { "chunked, gzip: until close",
      IN(RESP("Transfer-Encoding: chunked, gzip\r\nContent-Length: 3\r\n")),
      .status = 200, .reason = "OK", .body = UNTIL_CLOSE, .te_other = 1 },
    { "chunked, chunked: until close",
      IN(RESP("Transfer-Encoding: chunked, chunked\r\n")),
      .status = 200, .reason = "OK", .body = UNTIL_CLOSE, .te_other = 0 },
    { "neither: until close", IN(RESP("Server: x\r\n")),
      .status = 200, .reason = "OK", .body = UNTIL_CLOSE,
      .h = { "Server", "x" } },
    { "Content-Length 5, 5", IN(RESP("Content-Length: 5, 5\r\n")),
      .status = 200, .reason = "OK", .body = LENGTH, .cl = 5 },
    { "Content-Length twice the same",
      IN(RESP("Content-Length: 7\r\nContent-Length: 7\r\n")),
      .status = 200, .reason = "OK", .body = LENGTH, .cl = 7 },
    { "Connection: close, Keep-Alive fields",
      IN(RESP("Connection: close\r\nKeep-Alive: timeout=5\r\n"
              "Content-Length: 0\r\n")),
      .status = 200, .reason = "OK", .body = LENGTH, .cl = 0,
      .conn = C_CLOSE },
    { "fields in order, OWS trimmed",
      IN(RESP("Set-Cookie: a=1\r\nSet-Cookie:  b=2 \r\nX-Empty:\r\n")),
      .status = 200, .reason = "OK", .body = UNTIL_CLOSE,
      .h = { "Set-Cookie", "a=1", "Set-Cookie", "b=2", "X-Empty", "" } },
};

static const hcase_t resp_bad[] = {
    { "Content-Length abc", IN(RESP("Content-Length: abc\r\n")), .error = 502 },
    { "Content-Length 5, 6", IN(RESP("Content-Length: 5, 6\r\n")),
      .error = 502 },
    { "Content-Length 5 then 6",
      IN(RESP("Content-Length: 5\r\nContent-Length: 6\r\n")), .error = 502 },
    { "Content-Length -1", IN(RESP("Content-Length: -1\r\n")), .error = 502 },
    { "Content-Length empty", IN(RESP("Content-Length:\r\n")), .error = 502 },
    { "Content-Length 19 digits",
      IN(RESP("Content-Length: 1000000000000000000\r\n")), .error = 502 },
    { "two-digit status", IN("HTTP/1.1 20 OK\r\n\r\n"), .error = 502 },
    { "four-digit status", IN("HTTP/1.1 2000 OK\r\n\r\n"), .error = 502 },
    { "no space after the status", IN("HTTP/1.1 200OK\r\n\r\n"),
      .error = 502 },
    { "status 099", IN("HTTP/1.1 099 X\r\n\r\n"), .error = 502 },
    { "status with letters", IN("HTTP/1.1 2x0 OK\r\n\r\n"), .error = 502 },
    { "two spaces before the status", IN("HTTP/1.1  200 OK\r\n\r\n"),
      .error = 502 },
    { "HTTP/2.0 status line", IN("HTTP/2.0 200 OK\r\n\r\n"), .error = 502 },
    { "lower-case http", IN("http/1.1 200 OK\r\n\r\n"), .error = 502 },
    { "ICY 200 OK", IN("ICY 200 OK\r\n\r\n"), .error = 502 },
    { "version alone", IN("HTTP/1.1\r\n\r\n"), .error = 502 },
    { "NUL in the reason", IN("HTTP/1.1 200 O\0K\r\n\r\n"), .error = 502 },
    { "SOH in the reason", IN("HTTP/1.1 200 O\x01K\r\n\r\n"), .error = 502 },
    { "bare CR in the status line", IN("HTTP/1.1 200 O\rK\r\n\r\n"),
      .error = 502 },
    { "obsolete line folding", IN(RESP("X: a\r\n b\r\n")), .error = 502 },
    { "space before the colon", IN(RESP("X : a\r\n")), .error = 502 },
    { "NUL in a value", IN(RESP("X: a\0b\r\n")), .error = 502 },
    { "DEL in a value", IN(RESP("X: a\x7f\r\n")), .error = 502 },
    { "bare CR in a value", IN(RESP("X: a\rb\r\n")), .error = 502 },
    { "no colon", IN(RESP("X\r\n")), .error = 502 },
    { "incomplete head past max_size",
      IN("HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
      .max = 32, .error = 502 },
    { "complete head past max_size",
      IN("HTTP/1.1 200 OK\r\nX: aaaaaaaaaaaaaaaaaaaa\r\n\r\n"),
      .max = 32, .error = 502 },
};

START_TEST(test_http_response_good)
{
    run_case(&resp_good[_i], parse_resp, next_response);
}
END_TEST

START_TEST(test_http_response_bad)
{
    run_case(&resp_bad[_i], parse_resp, next_response);
}
END_TEST

START_TEST(test_http_response_max_headers)
{
    hcase_t c = { "response with GW_HTTP_MAX_HEADERS fields", .status = 200,
                  .reason = "OK", .body = UNTIL_CLOSE };
    char   *in = many_fields("HTTP/1.1 200 OK", GW_HTTP_MAX_HEADERS, 0, &c.len);

    c.in = in;
    run_case(&c, parse_resp, next_response);
    free(in);
    in = many_fields("HTTP/1.1 200 OK", GW_HTTP_MAX_HEADERS + 1, 0, &c.len);
    c.name = "response with one field too many";
    c.in = in;
    c.error = 502;
    run_case(&c, parse_resp, next_response);
    free(in);
}
END_TEST

/* ---- helpers ----------------------------------------------------------- */

START_TEST(test_http_helpers)
{
    static const char in[] =
        "GET / HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nx-one: 2\r\n"
        "Connection: keep-alive, X-Hop\r\nconnection: ,Other ,\r\n\r\n";
    gw_http_msg_t           m;
    const gw_http_header_t *h;

    ck_assert_int_gt(gw_http_parse_request(in, sizeof(in) - 1, 0, 4096, &m),
                     0);
    h = gw_http_find(&m, "x-one");
    ck_assert_ptr_nonnull(h);
    ck_assert(gw_str_eq(h->value, "1"));
    ck_assert_ptr_null(gw_http_find(&m, "x-two"));
    ck_assert_ptr_null(gw_http_find(&m, "x-on"));

    ck_assert(gw_http_connection_names(&m, gw_str("x-hop")));
    ck_assert(gw_http_connection_names(&m, gw_str("X-HOP")));
    ck_assert(gw_http_connection_names(&m, gw_str("other")));
    ck_assert(gw_http_connection_names(&m, gw_str("Keep-Alive")));
    ck_assert(!gw_http_connection_names(&m, gw_str("x-ho")));
    ck_assert(!gw_http_connection_names(&m, gw_str("x-hop2")));
    ck_assert(!gw_http_connection_names(&m, gw_str("host")));

    ck_assert(gw_http_str_ieq(gw_str("Content-LENGTH"), "content-length"));
    ck_assert(!gw_http_str_ieq(gw_str("content-lengt"), "content-length"));
    ck_assert(!gw_http_str_ieq(gw_str("content-lengths"), "content-length"));

    ck_assert(gw_http_is_idempotent(gw_str("GET")));
    ck_assert(gw_http_is_idempotent(gw_str("PUT")));
    ck_assert(gw_http_is_idempotent(gw_str("DELETE")));
    ck_assert(!gw_http_is_idempotent(gw_str("POST")));
    ck_assert(!gw_http_is_idempotent(gw_str("PATCH")));
    ck_assert(!gw_http_is_idempotent(gw_str("get")));

    ck_assert_str_eq(gw_http_reason(400), "Bad Request");
    ck_assert_str_eq(gw_http_reason(431), "Request Header Fields Too Large");
    ck_assert_str_eq(gw_http_reason(505), "HTTP Version Not Supported");
}
END_TEST

Suite *
http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *req = tcase_create("request");
    TCase *resp = tcase_create("response");

    tcase_add_loop_test(req, test_http_request_good, 0,
                        (int) gw_nelems(req_good));
    tcase_add_loop_test(req, test_http_request_bad, 0,
                        (int) gw_nelems(req_bad));
    tcase_add_test(req, test_http_request_max_headers);
    tcase_add_test(req, test_http_request_max_size_boundary);
    tcase_add_test(req, test_http_request_msg_reset);
    tcase_add_test(req, test_http_helpers);
    suite_add_tcase(s, req);

    tcase_add_loop_test(resp, test_http_response_good, 0,
                        (int) gw_nelems(resp_good));
    tcase_add_loop_test(resp, test_http_response_bad, 0,
                        (int) gw_nelems(resp_bad));
    tcase_add_test(resp, test_http_response_max_headers);
    suite_add_tcase(s, resp);
    return s;
}
