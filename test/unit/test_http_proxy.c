/*
 * test/unit/test_http_proxy.c: heads rewritten on their way through the
 * proxy (worker/http_proxy.h).
 *
 * Each test parses a head with common/http.h, rewrites it, checks the
 * output is CRLF-terminated lines only, parses the output again with the
 * same strict parser (it must be exactly one valid head) and asserts on
 * the fields that came out: hop-by-hop ones gone, the framing the caller
 * asked for, X-Forwarded-For / X-Real-IP / X-Forwarded-Proto, Host, Via,
 * Connection. Writers into buffers of every size too small must refuse
 * (-1) without writing past the capacity.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/http.h"
#include "worker/http_proxy.h"
#include "test/unit/suites.h"

#define NONE        GW_HTTP_BODY_NONE
#define LENGTH      GW_HTTP_BODY_LENGTH
#define CHUNKED     GW_HTTP_BODY_CHUNKED
#define UNTIL_CLOSE GW_HTTP_BODY_CLOSE

/* ---- helpers ----------------------------------------------------------- */

/* The client's address as the connection formats it once (client_ip). */
#define IP4 { "192.0.2.7", 9 }
#define IP6 { "2001:db8::1", 11 }

static void
parse_in_req(const char *in, gw_http_msg_t *m)
{
    size_t len = strlen(in);
    int    r = gw_http_parse_request(in, len, 0, 65536, m);

    ck_assert_msg(r == (int) len, "input request: %d (%d %s)", r, m->error,
                  m->why ? m->why : "");
}

static void
parse_in_resp(const char *in, int head, gw_http_msg_t *m)
{
    size_t len = strlen(in);
    int    r = gw_http_parse_response(in, len, 0, 65536, head, m);

    ck_assert_msg(r == (int) len, "input response: %d (%d %s)", r, m->error,
                  m->why ? m->why : "");
}

/* What a writer produced, parsed again. */
typedef struct wrote {
    gw_buf_t      *b;
    const char    *text;
    size_t         len;
    gw_http_msg_t  m;
} wrote_t;

static void
crlf_only(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            ck_assert_msg(i > 0 && text[i - 1] == '\r',
                          "bare LF at %zu in:\n%.*s", i, (int) len, text);
        }
        if (text[i] == '\r') {
            ck_assert_msg(i + 1 < len && text[i + 1] == '\n',
                          "bare CR at %zu in:\n%.*s", i, (int) len, text);
        }
    }
}

static void
wrote_free(wrote_t *w)
{
    gw_buf_put(w->b);
    w->b = NULL;
}

static void
write_req(const char *in, gw_http_upstream_req_t *u, wrote_t *w)
{
    gw_http_msg_t req;
    int           r;

    parse_in_req(in, &req);
    if (u->target.data == NULL) {
        u->target = req.target;
    }
    w->b = gw_buf_get_size(65536);
    ck_assert_ptr_nonnull(w->b);
    ck_assert_int_eq(gw_http_write_request(w->b, &req, u), 0);
    w->text = w->b->data;
    w->len = w->b->last;
    crlf_only(w->text, w->len);
    r = gw_http_parse_request(w->text, w->len, 0, w->len + 1, &w->m);
    ck_assert_msg(r == (int) w->len,
                  "the request written is not one valid head (%d, %d %s):\n%.*s",
                  r, w->m.error, w->m.why ? w->m.why : "", (int) w->len,
                  w->text);
}

static void
write_resp(const char *in, int head, const gw_http_client_resp_t *c,
           wrote_t *w)
{
    gw_http_msg_t resp;
    int           r;

    parse_in_resp(in, head, &resp);
    w->b = gw_buf_get_size(65536);
    ck_assert_ptr_nonnull(w->b);
    ck_assert_int_eq(gw_http_write_response(w->b, &resp, c), 0);
    w->text = w->b->data;
    w->len = w->b->last;
    crlf_only(w->text, w->len);
    r = gw_http_parse_response(w->text, w->len, 0, w->len + 1, head, &w->m);
    ck_assert_msg(r == (int) w->len,
                  "the response written is not one valid head (%d, %d %s):\n%.*s",
                  r, w->m.error, w->m.why ? w->m.why : "", (int) w->len,
                  w->text);
}

static unsigned
count(const wrote_t *w, const char *lname)
{
    unsigned n = 0;

    for (unsigned i = 0; i < w->m.n_headers; i++) {
        n += gw_http_str_ieq(w->m.headers[i].name, lname);
    }
    return n;
}

static int
index_of(const wrote_t *w, const char *lname)
{
    for (unsigned i = 0; i < w->m.n_headers; i++) {
        if (gw_http_str_ieq(w->m.headers[i].name, lname)) {
            return (int) i;
        }
    }
    return -1;
}

/* Exactly one LNAME field, with VALUE. */
static void
one(const wrote_t *w, const char *lname, const char *value)
{
    const gw_http_header_t *h = gw_http_find(&w->m, lname);

    ck_assert_msg(count(w, lname) == 1, "%u \"%s\" fields in:\n%.*s",
                  count(w, lname), lname, (int) w->len, w->text);
    ck_assert_msg(gw_str_eq(h->value, value), "%s: \"%.*s\", want \"%s\"",
                  lname, (int) h->value.len, h->value.data, value);
}

static void
none(const wrote_t *w, const char *lname)
{
    ck_assert_msg(count(w, lname) == 0, "\"%s\" passed in:\n%.*s", lname,
                  (int) w->len, w->text);
}

static void
starts_with(const wrote_t *w, const char *line)
{
    ck_assert_msg(w->len >= strlen(line)
                  && memcmp(w->text, line, strlen(line)) == 0,
                  "head starts \"%.*s\", want \"%s\"",
                  (int) (w->len < 40 ? w->len : 40), w->text, line);
}

/* ---- requests ---------------------------------------------------------- */

static const char hop_request[] =
    "POST /t?q=1 HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Connection: keep-alive, X-Foo, x-bar\r\n"
    "Connection: X-BAZ\r\n"
    "X-Foo: 1\r\n"
    "X-Bar: 2\r\n"
    "x-baz: 3\r\n"
    "Keep-Alive: timeout=5\r\n"
    "Proxy-Connection: keep-alive\r\n"
    "TE: trailers\r\n"
    "Trailer: X-T\r\n"
    "Upgrade: websocket\r\n"
    "Proxy-Authorization: Basic eDp5\r\n"
    "Proxy-Authenticate: Basic\r\n"
    "X-Keep: 1\r\n"
    "Content-Length: 5\r\n"
    "Accept: */*\r\n"
    "\r\n";

START_TEST(test_proxy_request_hop_by_hop)
{
    gw_http_upstream_req_t u = { .client_ip = IP4, .body = LENGTH };
    wrote_t                w;

    write_req(hop_request, &u, &w);
    starts_with(&w, "POST /t?q=1 HTTP/1.1\r\n");
    ck_assert_int_eq(w.m.minor, 1);
    none(&w, "x-foo");
    none(&w, "x-bar");
    none(&w, "x-baz");
    none(&w, "keep-alive");
    none(&w, "proxy-connection");
    none(&w, "te");
    none(&w, "trailer");
    none(&w, "upgrade");
    none(&w, "proxy-authorization");
    none(&w, "proxy-authenticate");
    none(&w, "transfer-encoding");
    none(&w, "via");
    one(&w, "connection", "close");
    one(&w, "host", "example.com");
    one(&w, "x-keep", "1");
    one(&w, "accept", "*/*");
    one(&w, "content-length", "5");
    one(&w, "x-forwarded-for", "192.0.2.7");
    one(&w, "x-real-ip", "192.0.2.7");
    one(&w, "x-forwarded-proto", "http");
    /* end-to-end fields keep their order */
    ck_assert_int_lt(index_of(&w, "host"), index_of(&w, "x-keep"));
    ck_assert_int_lt(index_of(&w, "x-keep"), index_of(&w, "accept"));
    ck_assert_int_eq(w.m.body, LENGTH);
    ck_assert_uint_eq(w.m.content_length, 5);
    ck_assert_uint_eq(w.m.connection, GW_HTTP_CONN_CLOSE);
    ck_assert(!w.m.has_upgrade);
    wrote_free(&w);
}
END_TEST

/* The framing is the caller's, whatever the client sent. */
START_TEST(test_proxy_request_framing)
{
    gw_http_upstream_req_t u = { .client_ip = IP4, .keepalive = 1 };
    wrote_t                w;

    u.body = CHUNKED;
    write_req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
              &u, &w);
    one(&w, "transfer-encoding", "chunked");
    none(&w, "content-length");
    none(&w, "connection");
    ck_assert_int_eq(w.m.body, CHUNKED);
    wrote_free(&w);

    /* codings before chunked belong to the body and stay */
    u.target.data = NULL;
    write_req("POST / HTTP/1.1\r\nHost: a\r\n"
              "Transfer-Encoding: gzip, chunked\r\n\r\n", &u, &w);
    one(&w, "transfer-encoding", "gzip, chunked");
    ck_assert_int_eq(w.m.body, CHUNKED);
    ck_assert(w.m.te_other);
    wrote_free(&w);

    /* no body */
    u.target.data = NULL;
    u.body = NONE;
    write_req("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &u, &w);
    none(&w, "content-length");
    none(&w, "transfer-encoding");
    ck_assert_int_eq(w.m.body, NONE);
    wrote_free(&w);

    /* an empty body keeps its Content-Length: 0 */
    u.target.data = NULL;
    u.body = LENGTH;
    write_req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &u, &w);
    one(&w, "content-length", "0");
    wrote_free(&w);

    /* the client's identical duplicates become one field */
    u.target.data = NULL;
    write_req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\n"
              "Content-Length: 7\r\n\r\n", &u, &w);
    one(&w, "content-length", "7");
    wrote_free(&w);
}
END_TEST

/*
 * Transfer-Encoding split over two fields ("gzip", then "chunked") is a
 * chunked request; what goes upstream must still end in chunked.
 */
START_TEST(test_proxy_request_codings_over_two_fields)
{
    gw_http_upstream_req_t u = { .client_ip = IP4, .body = CHUNKED,
                                 .keepalive = 1 };
    wrote_t                w;

    write_req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
              "Transfer-Encoding: chunked\r\n\r\n", &u, &w);
    ck_assert_msg(w.m.body == CHUNKED,
                  "body sent chunked but the head says %d:\n%.*s", w.m.body,
                  (int) w.len, w.text);
    wrote_free(&w);
}
END_TEST

static const struct {
    const char *fields;         /* the client's, between Host and the end */
    int         v6;
    const char *xff;            /* what must go upstream */
} xff_cases[] = {
    { "",                                               0, "192.0.2.7" },
    { "X-Forwarded-For: 1.1.1.1\r\n",                   0, "1.1.1.1, 192.0.2.7" },
    { "x-forwarded-for: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2, 3.3.3.3\r\n",
      0, "1.1.1.1, 2.2.2.2, 3.3.3.3, 192.0.2.7" },
    { "X-Forwarded-For: 1.1.1.1\r\nX-A: b\r\nX-Forwarded-For: 4.4.4.4\r\n",
      0, "1.1.1.1, 4.4.4.4, 192.0.2.7" },
    { "X-Forwarded-For:\r\n",                           0, "192.0.2.7" },
    { "",                                               1, "2001:db8::1" },
    { "X-Forwarded-For: 10.0.0.1\r\n",                  1,
      "10.0.0.1, 2001:db8::1" },
};

START_TEST(test_proxy_request_forwarded_for)
{
    gw_http_upstream_req_t u = { .client_ip = gw_str(xff_cases[_i].v6
                                                     ? "2001:db8::1"
                                                     : "192.0.2.7"),
                                 .body = NONE };
    char                   in[512];
    wrote_t                w;

    snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n",
             xff_cases[_i].fields);
    write_req(in, &u, &w);
    one(&w, "x-forwarded-for", xff_cases[_i].xff);
    one(&w, "x-real-ip", xff_cases[_i].v6 ? "2001:db8::1" : "192.0.2.7");
    wrote_free(&w);
}
END_TEST

START_TEST(test_proxy_request_real_ip_and_proto)
{
    gw_http_upstream_req_t u = { .client_ip = IP4, .body = NONE };
    wrote_t                w;

    /* the client's X-Real-IP stays; its X-Forwarded-Proto does not */
    write_req("GET / HTTP/1.1\r\nHost: a\r\nX-Real-IP: 10.0.0.1\r\n"
              "X-Forwarded-Proto: https\r\nx-forwarded-proto: wss\r\n\r\n",
              &u, &w);
    one(&w, "x-real-ip", "10.0.0.1");
    one(&w, "x-forwarded-proto", "http");
    wrote_free(&w);

    u.target.data = NULL;
    write_req("GET / HTTP/1.1\r\nHost: a\r\nx-real-ip: 10.0.0.2\r\n\r\n", &u,
              &w);
    one(&w, "x-real-ip", "10.0.0.2");
    wrote_free(&w);
}
END_TEST

START_TEST(test_proxy_request_host_via_target)
{
    static const char in[] =
        "GET /orig?x HTTP/1.1\r\nX-A: 1\r\nHost: Example.COM:8080\r\n"
        "Via: 1.0 other\r\n\r\n";
    gw_http_upstream_req_t u = { .client_ip = IP4, .body = NONE };
    wrote_t                w;

    /* kept as the client wrote it */
    write_req(in, &u, &w);
    one(&w, "host", "Example.COM:8080");
    one(&w, "via", "1.0 other");
    starts_with(&w, "GET /orig?x HTTP/1.1\r\n");
    wrote_free(&w);

    /* replaced */
    u.host = gw_str("backend.local:9000");
    u.target = gw_str("/rewritten");
    u.forward = 1;
    write_req(in, &u, &w);
    one(&w, "host", "backend.local:9000");
    starts_with(&w, "GET /rewritten HTTP/1.1\r\n");
    ck_assert_uint_eq(count(&w, "via"), 2);
    ck_assert_msg(gw_str_eq(w.m.headers[index_of(&w, "via")].value,
                            "1.0 other"), "the client's Via first");
    {
        int last = -1;

        for (unsigned i = 0; i < w.m.n_headers; i++) {
            if (gw_http_str_ieq(w.m.headers[i].name, "via")) {
                last = (int) i;
            }
        }
        ck_assert(gw_str_eq(w.m.headers[last].value, "1.1 gateway"));
    }
    wrote_free(&w);

    /* Via only when asked */
    u.host.data = NULL;
    write_req("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &u, &w);
    one(&w, "via", "1.1 gateway");
    wrote_free(&w);
}
END_TEST

/* A forward proxy adds Via and leaves the front-end fields alone; a
 * reverse proxy sets them and adds no Via. */
START_TEST(test_proxy_request_forward_fields)
{
    static const char in[] =
        "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\n\r\n";
    gw_http_upstream_req_t u = { .client_ip = IP4, .body = NONE,
                                 .forward = 1 };
    wrote_t                w;

    write_req(in, &u, &w);
    one(&w, "via", "1.1 gateway");
    one(&w, "x-forwarded-proto", "https");
    none(&w, "x-real-ip");
    one(&w, "x-forwarded-for", "192.0.2.7");
    wrote_free(&w);

    u.forward = 0;
    write_req(in, &u, &w);
    none(&w, "via");
    one(&w, "x-forwarded-proto", "http");
    one(&w, "x-real-ip", "192.0.2.7");
    wrote_free(&w);
}
END_TEST

START_TEST(test_proxy_request_connection)
{
    static const char ws[] =
        "GET /chat HTTP/1.1\r\nHost: a\r\n"
        "Connection: keep-alive, Upgrade, X-Hop\r\n"
        "Upgrade: websocket\r\nX-Hop: 1\r\nSec-WebSocket-Key: k\r\n\r\n";
    gw_http_upstream_req_t u = { .client_ip = IP4, .body = NONE };
    wrote_t                w;

    /* not keeping the upstream connection */
    write_req("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
              &u, &w);
    one(&w, "connection", "close");
    wrote_free(&w);

    /* keeping it: nothing said (HTTP/1.1 default) */
    u.target.data = NULL;
    u.keepalive = 1;
    write_req("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &u, &w);
    none(&w, "connection");
    ck_assert_uint_eq(w.m.connection, 0);
    wrote_free(&w);

    /* an upgrade: Upgrade passes, Connection: upgrade */
    u.target.data = NULL;
    u.keepalive = 0;
    u.upgrade = 1;
    write_req(ws, &u, &w);
    one(&w, "upgrade", "websocket");
    one(&w, "connection", "upgrade");
    one(&w, "sec-websocket-key", "k");
    none(&w, "x-hop");
    ck_assert(w.m.has_upgrade);
    ck_assert_uint_eq(w.m.connection, GW_HTTP_CONN_UPGRADE);
    wrote_free(&w);

    /* the same request when not upgrading: Upgrade is dropped */
    u.target.data = NULL;
    u.upgrade = 0;
    write_req(ws, &u, &w);
    none(&w, "upgrade");
    one(&w, "connection", "close");
    wrote_free(&w);
}
END_TEST

/* HTTP/1.0 with bare LF in: HTTP/1.1 with CRLF out. */
START_TEST(test_proxy_request_http10_bare_lf)
{
    gw_http_upstream_req_t u = { .client_ip = IP4, .body = LENGTH };
    wrote_t                w;

    write_req("POST /x HTTP/1.0\nHost: a\nContent-Length: 3\nX: y\n\n", &u, &w);
    starts_with(&w, "POST /x HTTP/1.1\r\n");
    one(&w, "host", "a");
    one(&w, "x", "y");
    one(&w, "content-length", "3");
    wrote_free(&w);
}
END_TEST

/*
 * An HTTP/1.0 request need not carry Host; the request sent upstream is
 * HTTP/1.1, which must (RFC 9112 3.2; our own parser answers 400 "no
 * Host" without one).
 */
START_TEST(test_proxy_request_http10_without_host)
{
    gw_http_upstream_req_t u = { .client_ip = IP4, .body = NONE };
    wrote_t                w;

    write_req("GET /x HTTP/1.0\r\nUser-Agent: old\r\n\r\n", &u, &w);
    ck_assert_uint_eq(count(&w, "host"), 1);
    wrote_free(&w);
}
END_TEST

/* The head is appended after what the buffer already holds. */
START_TEST(test_proxy_request_appends)
{
    static const char in[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    gw_http_upstream_req_t u = { .client_ip = IP4, .body = NONE };
    gw_http_msg_t          req, m;
    gw_buf_t              *b = gw_buf_get_size(4096);

    parse_in_req(in, &req);
    u.target = req.target;
    memcpy(b->data, "XYZ", 3);
    b->pos = 1;
    b->last = 3;
    ck_assert_int_eq(gw_http_write_request(b, &req, &u), 0);
    ck_assert_int_eq(memcmp(b->data, "XYZGET / HTTP/1.1\r\n", 19), 0);
    ck_assert_uint_eq(b->pos, 1);
    ck_assert_int_eq(gw_http_parse_request(b->data + 3, b->last - 3, 0, 4096,
                                           &m), (int) (b->last - 3));
    gw_buf_put(b);
}
END_TEST

/* ---- responses --------------------------------------------------------- */

START_TEST(test_proxy_response_hop_by_hop)
{
    static const char in[] =
        "HTTP/1.1 404 Not Found Here\r\n"
        "Connection: close, X-Hop\r\n"
        "X-Hop: 1\r\n"
        "Keep-Alive: timeout=1\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Trailer: X-T\r\n"
        "TE: trailers\r\n"
        "Upgrade: h2c\r\n"
        "Proxy-Authenticate: Basic\r\n"
        "Proxy-Connection: x\r\n"
        "Set-Cookie: a=1\r\n"
        "Set-Cookie: b=2\r\n"
        "X-End: 1\r\n"
        "\r\n";
    gw_http_client_resp_t c = { .body = CHUNKED, .keepalive = 1,
                                .client_minor = 1 };
    wrote_t               w;

    write_resp(in, 0, &c, &w);
    starts_with(&w, "HTTP/1.1 404 Not Found Here\r\n");
    ck_assert_int_eq(w.m.status, 404);
    none(&w, "x-hop");
    none(&w, "keep-alive");
    none(&w, "trailer");
    none(&w, "te");
    none(&w, "upgrade");
    none(&w, "proxy-authenticate");
    none(&w, "proxy-connection");
    none(&w, "connection");
    none(&w, "content-length");
    one(&w, "transfer-encoding", "chunked");
    one(&w, "x-end", "1");
    ck_assert_uint_eq(count(&w, "set-cookie"), 2);
    ck_assert(gw_str_eq(w.m.headers[index_of(&w, "set-cookie")].value, "a=1"));
    ck_assert(gw_str_eq(w.m.headers[index_of(&w, "set-cookie") + 1].value,
                        "b=2"));
    ck_assert_int_eq(w.m.body, CHUNKED);
    wrote_free(&w);
}
END_TEST

/* A forward proxy's Via comes after the origin's own. */
START_TEST(test_proxy_response_via)
{
    gw_http_client_resp_t c = { .body = LENGTH, .content_length = 0,
                                .keepalive = 1, .client_minor = 1, .via = 1 };
    wrote_t               w;
    int                   last = -1;

    write_resp("HTTP/1.1 200 OK\r\nVia: 1.0 cache\r\nContent-Length: 0\r\n\r\n",
               0, &c, &w);
    ck_assert_uint_eq(count(&w, "via"), 2);
    for (unsigned i = 0; i < w.m.n_headers; i++) {
        if (gw_http_str_ieq(w.m.headers[i].name, "via")) {
            last = (int) i;
        }
    }
    ck_assert(gw_str_eq(w.m.headers[last].value, "1.1 gateway"));
    wrote_free(&w);

    c.via = 0;
    write_resp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, &c, &w);
    none(&w, "via");
    wrote_free(&w);
}
END_TEST

START_TEST(test_proxy_response_framing)
{
    gw_http_client_resp_t c = { .keepalive = 1, .client_minor = 1 };
    wrote_t               w;

    /* a length the caller gives */
    c.body = LENGTH;
    c.content_length = 42;
    write_resp("HTTP/1.1 200 OK\r\nContent-Length: 42\r\nX: y\r\n\r\n", 0, &c,
               &w);
    starts_with(&w, "HTTP/1.1 200 OK\r\n");
    one(&w, "content-length", "42");
    none(&w, "transfer-encoding");
    ck_assert_int_eq(w.m.body, LENGTH);
    wrote_free(&w);

    /* an HTTP/1.0 origin reading until close, re-framed chunked */
    c.body = CHUNKED;
    write_resp("HTTP/1.0 200 Fine\r\nConnection: keep-alive\r\nX: y\r\n\r\n", 0,
               &c, &w);
    starts_with(&w, "HTTP/1.1 200 Fine\r\n");
    one(&w, "transfer-encoding", "chunked");
    none(&w, "connection");
    wrote_free(&w);

    /* codings before chunked stay */
    write_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0,
               &c, &w);
    one(&w, "transfer-encoding", "gzip, chunked");
    ck_assert_int_eq(w.m.body, CHUNKED);
    wrote_free(&w);

    /* until close toward an HTTP/1.0 client: no framing field, close */
    c.body = UNTIL_CLOSE;
    c.keepalive = 0;
    c.client_minor = 0;
    write_resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, &c,
               &w);
    none(&w, "transfer-encoding");
    none(&w, "content-length");
    one(&w, "connection", "close");
    ck_assert_int_eq(w.m.body, UNTIL_CLOSE);
    wrote_free(&w);
}
END_TEST

/*
 * Re-framed chunked toward the client, the codings the origin applied
 * before (gzip) still describe the body and must come first; the last one
 * must be chunked, or the client does not read chunks at all.
 */
static const struct {
    const char *fields;         /* the origin's Transfer-Encoding fields */
    const char *te;             /* the codings the client must be told */
} resp_codings[] = {
    { "Transfer-Encoding: chunked\r\n",                       "chunked" },
    { "Transfer-Encoding: gzip, chunked\r\n",                 "gzip, chunked" },
    { "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n",
      "gzip, chunked" },
    /* until close from the origin, chunked toward an HTTP/1.1 client */
    { "Transfer-Encoding: gzip\r\n",                          "gzip, chunked" },
};

START_TEST(test_proxy_response_codings)
{
    gw_http_client_resp_t c = { .body = CHUNKED, .keepalive = 1,
                                .client_minor = 1 };
    char                  in[256], te[256];
    size_t                n = 0;
    wrote_t               w;

    snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\n%s\r\n",
             resp_codings[_i].fields);
    write_resp(in, 0, &c, &w);
    /* every Transfer-Encoding field, as one list */
    te[0] = '\0';
    for (unsigned i = 0; i < w.m.n_headers; i++) {
        if (gw_http_str_ieq(w.m.headers[i].name, "transfer-encoding")) {
            n += (size_t) snprintf(te + n, sizeof(te) - n, "%s%.*s",
                                   n ? ", " : "",
                                   (int) w.m.headers[i].value.len,
                                   w.m.headers[i].value.data);
        }
    }
    /* the origin's fields on one line, for the message */
    snprintf(in, sizeof(in), "%s", resp_codings[_i].fields);
    for (char *p = in; (p = strstr(p, "\r\n")) != NULL; ) {
        memcpy(p, p[2] ? "; " : "\0", 2);
    }
    ck_assert_msg(w.m.body == CHUNKED && strcmp(te, resp_codings[_i].te) == 0,
                  "origin's \"%s\": the client is told \"%s\" (%s), want "
                  "\"%s\"", in, te,
                  w.m.body == CHUNKED ? "chunked" : "not chunked",
                  resp_codings[_i].te);
    wrote_free(&w);
}
END_TEST

/* No body: the Content-Length the origin sent describes it and stays. */
static const struct {
    const char *in;
    int         head;
    const char *cl;             /* NULL: none */
} no_body[] = {
    { "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 1, "100" },
    { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1, NULL },
    { "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", 0, "0" },
    { "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: \"e\"\r\n\r\n",
      0, "10" },
    { "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n", 0, NULL },
};

START_TEST(test_proxy_response_no_body)
{
    gw_http_client_resp_t c = { .body = NONE, .keepalive = 1,
                                .client_minor = 1 };
    wrote_t               w;

    write_resp(no_body[_i].in, no_body[_i].head, &c, &w);
    if (no_body[_i].cl) {
        one(&w, "content-length", no_body[_i].cl);
    } else {
        none(&w, "content-length");
    }
    none(&w, "transfer-encoding");
    ck_assert_int_eq(w.m.body, NONE);
    wrote_free(&w);
}
END_TEST

static const struct {
    unsigned    keepalive;
    unsigned    minor;
    const char *connection;     /* NULL: no field */
} keep[] = {
    { 1, 1, NULL },
    { 1, 0, "keep-alive" },
    { 0, 1, "close" },
    { 0, 0, "close" },
};

START_TEST(test_proxy_response_connection)
{
    gw_http_client_resp_t c = { .body = LENGTH, .content_length = 2,
                                .keepalive = keep[_i].keepalive,
                                .client_minor = keep[_i].minor };
    wrote_t               w;

    write_resp("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n"
               "Keep-Alive: timeout=9\r\nContent-Length: 2\r\n\r\n", 0, &c, &w);
    if (keep[_i].connection) {
        one(&w, "connection", keep[_i].connection);
    } else {
        none(&w, "connection");
    }
    none(&w, "keep-alive");
    wrote_free(&w);
}
END_TEST

START_TEST(test_proxy_response_upgrade)
{
    gw_http_client_resp_t c = { .body = NONE, .keepalive = 1, .upgrade = 1,
                                .client_minor = 1 };
    wrote_t               w;

    write_resp("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
               "Upgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n", 0, &c,
               &w);
    starts_with(&w, "HTTP/1.1 101 Switching Protocols\r\n");
    one(&w, "upgrade", "websocket");
    one(&w, "connection", "upgrade");
    one(&w, "sec-websocket-accept", "x");
    ck_assert_uint_eq(w.m.connection, GW_HTTP_CONN_UPGRADE);
    wrote_free(&w);
}
END_TEST

START_TEST(test_proxy_response_reasons)
{
    gw_http_client_resp_t c = { .body = NONE, .keepalive = 1,
                                .client_minor = 1 };
    wrote_t               w;

    write_resp("HTTP/1.1 204 \r\n\r\n", 0, &c, &w);
    ck_assert_int_eq(w.m.status, 204);
    ck_assert_uint_eq(w.m.reason.len, 0);
    wrote_free(&w);

    c.body = CHUNKED;
    write_resp("HTTP/1.1 200\r\n\r\n", 0, &c, &w);
    ck_assert_int_eq(w.m.status, 200);
    ck_assert_uint_eq(w.m.reason.len, 0);
    wrote_free(&w);

    write_resp("HTTP/1.1 599 Odd\tOne \xc3\xa9\r\n\r\n", 0, &c, &w);
    starts_with(&w, "HTTP/1.1 599 Odd\tOne \xc3\xa9\r\n");
    wrote_free(&w);
}
END_TEST

/* ---- errors of our own ------------------------------------------------- */

static const int error_status[] = {
    400, 403, 404, 407, 408, 413, 417, 431, 500, 501, 502, 503, 504, 505,
};

START_TEST(test_proxy_error)
{
    int           status = error_status[_i];
    const char   *reason = gw_http_reason(status);
    gw_buf_t     *b = gw_buf_get_size(4096);
    gw_http_msg_t m;
    char          body[128], line[128];

    for (int close = 0; close <= 1; close++) {
        for (int extra = 0; extra <= 2; extra++) {
            static const char *const extras[] = {
                NULL, "Proxy-Authenticate: Basic realm=\"gateway\"\r\n",
                "Retry-After: 1\r\nX-A: b\r\n",
            };
            int    r;
            size_t head;

            b->pos = b->last = 0;
            ck_assert_int_eq(gw_http_write_error(b, status, close,
                                                 extras[extra]), 0);
            crlf_only(b->data, b->last - strlen(reason) - 5);
            r = gw_http_parse_response(b->data, b->last, 0, 4096, 0, &m);
            ck_assert_int_gt(r, 0);
            head = (size_t) r;
            snprintf(line, sizeof(line), "HTTP/1.1 %03d %s\r\n", status, reason);
            ck_assert_int_eq(memcmp(b->data, line, strlen(line)), 0);
            ck_assert_int_eq(m.status, status);
            ck_assert(gw_str_eq(m.reason, reason));
            ck_assert_int_eq(m.body, LENGTH);
            ck_assert_uint_eq(m.content_length, b->last - head);
            snprintf(body, sizeof(body), "%03d %s\n", status, reason);
            ck_assert_uint_eq(b->last - head, strlen(body));
            ck_assert_int_eq(memcmp(b->data + head, body, strlen(body)), 0);
            ck_assert_uint_eq(m.connection, close ? GW_HTTP_CONN_CLOSE : 0);
            if (extra == 1) {
                const gw_http_header_t *h = gw_http_find(&m, "proxy-authenticate");

                ck_assert_ptr_nonnull(h);
                ck_assert(gw_str_eq(h->value, "Basic realm=\"gateway\""));
            } else if (extra == 2) {
                ck_assert_ptr_nonnull(gw_http_find(&m, "retry-after"));
                ck_assert_ptr_nonnull(gw_http_find(&m, "x-a"));
            }
        }
    }
    gw_buf_put(b);
}
END_TEST

/* ---- buffers too small ------------------------------------------------- */

#define CANARY 64

static gw_buf_t *
tiny_buf(size_t cap)
{
    gw_buf_t *b = malloc(sizeof(gw_buf_t) + cap + CANARY);

    ck_assert_ptr_nonnull(b);
    memset(b, 0, sizeof(*b));
    memset(b->data, 0xa5, cap + CANARY);
    b->cap = cap;
    return b;
}

static void
canary_intact(const gw_buf_t *b)
{
    for (size_t i = 0; i < CANARY; i++) {
        ck_assert_msg((unsigned char) b->data[b->cap + i] == 0xa5,
                      "written past cap %zu (at +%zu)", b->cap, i);
    }
}

enum { W_REQUEST, W_RESPONSE, W_ERROR };

static int
write_one(int which, gw_buf_t *b, const gw_http_msg_t *m)
{
    gw_http_upstream_req_t u = { .client_ip = IP6, .body = LENGTH,
                                 .forward = 1, .target = m->target };
    gw_http_client_resp_t  c = { .body = LENGTH, .content_length = 123456,
                                 .keepalive = 1, .client_minor = 0, .via = 1 };

    switch (which) {
    case W_REQUEST:
        return gw_http_write_request(b, m, &u);
    case W_RESPONSE:
        return gw_http_write_response(b, m, &c);
    default:
        return gw_http_write_error(b, 431, 1, "X-Extra: 1\r\n");
    }
}

START_TEST(test_proxy_buffer_too_small)
{
    static const char req[] =
        "POST /upload HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 1.1.1.1\r\n"
        "Content-Length: 5\r\nX-A: b\r\n\r\n";
    static const char resp[] =
        "HTTP/1.1 200 OK\r\nContent-Length: 123456\r\nServer: s\r\n\r\n";
    int           which = _i;
    gw_http_msg_t m;
    gw_buf_t     *big = gw_buf_get_size(4096);
    size_t        need;

    if (which == W_REQUEST) {
        parse_in_req(req, &m);
    } else {
        parse_in_resp(resp, 0, &m);
    }
    ck_assert_int_eq(write_one(which, big, &m), 0);
    need = big->last;
    for (size_t cap = 0; cap <= need; cap++) {
        gw_buf_t *b = tiny_buf(cap);
        int       r = write_one(which, b, &m);

        canary_intact(b);
        if (cap < need) {
            ck_assert_msg(r == -1, "cap %zu of %zu: returned %d", cap, need, r);
        } else {
            ck_assert_msg(r == 0, "a head of %zu bytes refused by a buffer "
                          "of exactly %zu bytes of room", need, cap);
            ck_assert_uint_eq(b->last, need);
            ck_assert_int_eq(memcmp(b->data, big->data, need), 0);
        }
        free(b);
    }

    /* a standard buffer already full: refused too */
    {
        gw_buf_t *b = gw_buf_get();

        b->last = b->cap - need + 1;
        ck_assert_int_eq(write_one(which, b, &m), -1);
        ck_assert_uint_le(b->last, b->cap);
        b->last = b->cap - need;
        ck_assert_int_eq(write_one(which, b, &m), 0);
        ck_assert_uint_eq(b->last, b->cap);
        gw_buf_put(b);
    }
    gw_buf_put(big);
}
END_TEST

/* ---- is_hop_by_hop ----------------------------------------------------- */

static const struct {
    const char *name;
    int         upgrade;
    int         hop;
} hop_names[] = {
    { "Connection", 0, 1 },
    { "connection", 1, 1 },
    { "Keep-Alive", 0, 1 },
    { "KEEP-ALIVE", 0, 1 },
    { "Proxy-Connection", 0, 1 },
    { "TE", 0, 1 },
    { "te", 0, 1 },
    { "Trailer", 0, 1 },
    { "Transfer-Encoding", 0, 1 },
    { "Content-Length", 0, 1 },
    { "Proxy-Authorization", 0, 1 },
    { "Proxy-Authenticate", 0, 1 },
    { "Upgrade", 0, 1 },
    { "Upgrade", 1, 0 },
    { "X-A", 0, 1 },
    { "x-b", 0, 1 },
    { "X-B", 1, 1 },
    { "X-C", 0, 0 },
    { "Host", 0, 0 },
    { "Trailers", 0, 0 },
    { "Keep-Alives", 0, 0 },
    { "Content-Type", 0, 0 },
    { "X-Forwarded-For", 0, 0 },
    { "Set-Cookie", 0, 0 },
    { "Via", 0, 0 },
};

START_TEST(test_proxy_is_hop_by_hop)
{
    static const char in[] =
        "GET / HTTP/1.1\r\nHost: a\r\nConnection: X-A, x-b\r\n\r\n";
    gw_http_msg_t m;

    parse_in_req(in, &m);
    ck_assert_msg(gw_http_is_hop_by_hop(&m, gw_str(hop_names[_i].name),
                                        hop_names[_i].upgrade)
                  == hop_names[_i].hop,
                  "%s (upgrade %d): want %d", hop_names[_i].name,
                  hop_names[_i].upgrade, hop_names[_i].hop);
}
END_TEST

Suite *
http_proxy_suite(void)
{
    Suite *s = suite_create("http_proxy");
    TCase *req = tcase_create("request");
    TCase *resp = tcase_create("response");
    TCase *misc = tcase_create("errors and limits");

    tcase_add_test(req, test_proxy_request_hop_by_hop);
    tcase_add_test(req, test_proxy_request_framing);
    tcase_add_test(req, test_proxy_request_codings_over_two_fields);
    tcase_add_loop_test(req, test_proxy_request_forwarded_for, 0,
                        (int) gw_nelems(xff_cases));
    tcase_add_test(req, test_proxy_request_real_ip_and_proto);
    tcase_add_test(req, test_proxy_request_host_via_target);
    tcase_add_test(req, test_proxy_request_forward_fields);
    tcase_add_test(req, test_proxy_request_connection);
    tcase_add_test(req, test_proxy_request_http10_bare_lf);
    tcase_add_test(req, test_proxy_request_http10_without_host);
    tcase_add_test(req, test_proxy_request_appends);
    suite_add_tcase(s, req);

    tcase_add_test(resp, test_proxy_response_hop_by_hop);
    tcase_add_test(resp, test_proxy_response_via);
    tcase_add_test(resp, test_proxy_response_framing);
    tcase_add_loop_test(resp, test_proxy_response_codings, 0,
                        (int) gw_nelems(resp_codings));
    tcase_add_loop_test(resp, test_proxy_response_no_body, 0,
                        (int) gw_nelems(no_body));
    tcase_add_loop_test(resp, test_proxy_response_connection, 0,
                        (int) gw_nelems(keep));
    tcase_add_test(resp, test_proxy_response_upgrade);
    tcase_add_test(resp, test_proxy_response_reasons);
    suite_add_tcase(s, resp);

    tcase_add_loop_test(misc, test_proxy_error, 0,
                        (int) gw_nelems(error_status));
    tcase_add_loop_test(misc, test_proxy_buffer_too_small, W_REQUEST,
                        W_ERROR + 1);
    tcase_add_loop_test(misc, test_proxy_is_hop_by_hop, 0,
                        (int) gw_nelems(hop_names));
    suite_add_tcase(s, misc);
    return s;
}
