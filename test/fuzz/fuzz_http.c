/*
 * test/fuzz/fuzz_http.c: HTTP/1.x heads and bodies as the gateway reads
 * them (see fuzz_http.h).
 *
 * Messages follow each other on one connection. For each one, the head
 * parser is called as worker/http_client.c (requests) and
 * worker/http_exchange.c (responses) call it: on the bytes arrived so far
 * from the message's start, with last_len the length it was offered last
 * time, until it says something other than GW_PARSE_AGAIN. Every call is
 * compared with a fresh parse of the same bytes (last_len 0) and the final
 * answer with a parse of the whole rest of the stream at once: the split
 * must not change anything. The body is then skipped (Content-Length) or
 * decoded (chunked, whole and split, compared); a CONNECT, an upgrade, a
 * 101 or a body "until close" ends the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/chunked.h"
#include "common/http.h"
#include "test/fuzz/fuzz_http.h"
#include "test/fuzz/fuzz_util.h"

#define MAX_MESSAGES 16

typedef struct opts {
    int      response;
    int      head;
    size_t   max_size;
    unsigned max_spans;
} opts_t;

/* A parse result with slices as offsets, comparable across buffers. */
typedef struct norm {
    int          rc;
    long         method[2], target[2], reason[2];
    int          status, minor;
    unsigned     n_headers;
    long         headers[GW_HTTP_MAX_HEADERS][4];
    int          body;
    uint64_t     content_length;
    unsigned     connection;
    int          host;
    unsigned     expect_continue, has_upgrade, te_other;
    int          error;
    const char  *why;
} norm_t;

static void
slice(long out[2], gw_str_t s, const char *base)
{
    out[0] = s.data ? (long) (s.data - base) : -1;
    out[1] = (long) s.len;
}

static void
normalize(norm_t *n, int rc, const gw_http_msg_t *m, const char *base)
{
    memset(n, 0, sizeof(*n));
    n->rc = rc;
    slice(n->method, m->method, base);
    slice(n->target, m->target, base);
    slice(n->reason, m->reason, base);
    n->status = m->status;
    n->minor = m->minor;
    n->n_headers = m->n_headers;
    for (unsigned i = 0; i < m->n_headers && i < GW_HTTP_MAX_HEADERS; i++) {
        slice(n->headers[i], m->headers[i].name, base);
        slice(n->headers[i] + 2, m->headers[i].value, base);
    }
    n->body = m->body;
    n->content_length = m->content_length;
    n->connection = m->connection;
    n->host = m->host;
    n->expect_continue = m->expect_continue;
    n->has_upgrade = m->has_upgrade;
    n->te_other = m->te_other;
    n->error = m->error;
    n->why = m->why;
}

static void
compare(const norm_t *a, const norm_t *b, const char *what)
{
    FUZZ_CHECK(memcmp(a, b, sizeof(*a)) == 0,
               "%s: rc %d error %d (%s) body %d headers %u vs rc %d error %d "
               "(%s) body %d headers %u", what, a->rc, a->error,
               a->why ? a->why : "-", a->body, a->n_headers, b->rc, b->error,
               b->why ? b->why : "-", b->body, b->n_headers);
}

static int
parse(const opts_t *o, const char *buf, size_t len, size_t last_len,
      gw_http_msg_t *msg)
{
    /* garbage in, so a field the parser forgot to set shows */
    memset(msg, 0xa5, sizeof(*msg));
    return o->response
           ? gw_http_parse_response(buf, len, last_len, o->max_size, o->head,
                                    msg)
           : gw_http_parse_request(buf, len, last_len, o->max_size, msg);
}

static void
in_head(gw_str_t s, const char *base, int rc, const char *what)
{
    FUZZ_CHECK(s.data != NULL && s.data >= base
               && s.len <= (size_t) (base + rc - s.data),
               "%s [%td, +%zu) is outside the head of %d bytes", what,
               s.data ? s.data - base : -1, s.len, rc);
}

static int
is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* The list helpers over every header value: elements inside, trimmed. */
static void
check_lists(const gw_http_msg_t *m)
{
    for (unsigned i = 0; i < m->n_headers; i++) {
        gw_str_t list = m->headers[i].value, elt;
        unsigned count = 0;

        while (gw_http_next_element(&list, &elt)) {
            const gw_str_t v = m->headers[i].value;

            FUZZ_CHECK(++count <= v.len, "more elements than bytes");
            FUZZ_CHECK(elt.len > 0 && elt.data >= v.data
                       && elt.data + elt.len <= v.data + v.len,
                       "element outside its value");
            FUZZ_CHECK(memchr(elt.data, ',', elt.len) == NULL
                       && !is_ows(elt.data[0])
                       && !is_ows(elt.data[elt.len - 1]),
                       "element \"%.*s\" not split or trimmed",
                       (int) elt.len, elt.data);
            FUZZ_CHECK(list.data >= elt.data + elt.len
                       && list.data + list.len == v.data + v.len,
                       "list did not move past its element");
        }
    }
}

static void
check_message(const opts_t *o, const gw_http_msg_t *m, const char *buf,
              int rc, size_t len)
{
    const gw_http_header_t *h;

    if (rc == GW_PARSE_AGAIN) {
        return;
    }
    if (rc == GW_PARSE_ERROR) {
        FUZZ_CHECK(m->why != NULL, "an error without a reason");
        if (o->response) {
            FUZZ_CHECK(m->error == 502, "response error %d", m->error);
        } else {
            FUZZ_CHECK(m->error == 400 || m->error == 431 || m->error == 501
                       || m->error == 505, "request error %d", m->error);
        }
        FUZZ_CHECK(strcmp(gw_http_reason(m->error), "Unknown") != 0,
                   "no reason phrase for %d", m->error);
        return;
    }
    FUZZ_CHECK(rc > 0 && (size_t) rc <= len && (size_t) rc <= o->max_size,
               "head of %d bytes from %zu (max_size %zu)", rc, len,
               o->max_size);
    FUZZ_CHECK(m->minor == 0 || m->minor == 1, "minor %d", m->minor);
    FUZZ_CHECK(m->n_headers <= GW_HTTP_MAX_HEADERS, "%u headers",
               m->n_headers);
    if (o->response) {
        in_head(m->reason, buf, rc, "reason");
        FUZZ_CHECK(m->status >= 100 && m->status <= 999, "status %d",
                   m->status);
        FUZZ_CHECK(!o->head || m->body == GW_HTTP_BODY_NONE,
                   "a body after HEAD");
    } else {
        in_head(m->method, buf, rc, "method");
        in_head(m->target, buf, rc, "target");
        FUZZ_CHECK(m->method.len > 0 && m->target.len > 0,
                   "empty method or target");
        FUZZ_CHECK(m->body != GW_HTTP_BODY_CLOSE, "a request body until close");
        (void) gw_http_is_idempotent(m->method);
    }
    FUZZ_CHECK(m->body >= GW_HTTP_BODY_NONE && m->body <= GW_HTTP_BODY_CLOSE,
               "body %d", m->body);
    FUZZ_CHECK(m->body != GW_HTTP_BODY_LENGTH
               || m->content_length < UINT64_C(1000000000000000000),
               "content length %llu", (unsigned long long) m->content_length);
    for (unsigned i = 0; i < m->n_headers; i++) {
        in_head(m->headers[i].name, buf, rc, "header name");
        in_head(m->headers[i].value, buf, rc, "header value");
        FUZZ_CHECK(m->headers[i].name.len > 0, "empty header name");
    }
    FUZZ_CHECK(m->host >= -1 && m->host < (int) m->n_headers, "host %d",
               m->host);
    h = gw_http_find(m, "host");
    if (m->host >= 0) {
        FUZZ_CHECK(gw_http_str_ieq(m->headers[m->host].name, "host"),
                   "host index %d names another header", m->host);
    }
    if (!o->response) {
        FUZZ_CHECK(h == (m->host >= 0 ? &m->headers[m->host] : NULL),
                   "gw_http_find(host) disagrees with msg->host");
    }
    FUZZ_CHECK(gw_http_connection_names(m, gw_str("close"))
               == !!(m->connection & GW_HTTP_CONN_CLOSE)
               && gw_http_connection_names(m, gw_str("keep-alive"))
                  == !!(m->connection & GW_HTTP_CONN_KEEP_ALIVE)
               && gw_http_connection_names(m, gw_str("upgrade"))
                  == !!(m->connection & GW_HTTP_CONN_UPGRADE),
               "gw_http_connection_names disagrees with msg->connection %u",
               m->connection);
    check_lists(m);
}

/*
 * The head at stream[off] as its bytes arrive; the final answer, checked
 * and compared with the whole rest parsed at once, into *fin.
 */
static int
read_head(const opts_t *o, const char *stream, size_t total, size_t off,
          fuzz_split_t *sp, norm_t *fin)
{
    gw_http_msg_t *msg = malloc(sizeof(*msg));
    size_t         last = 0, len;
    int            rc = GW_PARSE_AGAIN;
    norm_t         a, b;
    char          *buf;

    if (msg == NULL) {
        abort();
    }
    memset(fin, 0, sizeof(*fin));
    fin->rc = rc;
    for ( ;; ) {
        size_t avail = fuzz_split_avail(sp);

        if (avail > off && avail - off != last) {
            len = avail - off;
            buf = fuzz_copy(stream + off, len);
            rc = parse(o, buf, len, last, msg);
            normalize(&a, rc, msg, buf);
            check_message(o, msg, buf, rc, len);
            b.rc = parse(o, buf, len, 0, msg);
            normalize(&b, b.rc, msg, buf);
            compare(&a, &b, "last_len given vs 0");
            free(buf);
            *fin = a;
            if (rc != GW_PARSE_AGAIN) {
                break;
            }
            last = len;
        }
        if (!fuzz_split_next(sp)) {
            break;
        }
    }
    if (fuzz_verbose()) {
        fprintf(stderr, "%s at %zu: rc %d, error %d (%s), status %d, "
                "%u headers, body %d, length %llu\n",
                o->response ? "response" : "request", off, fin->rc,
                fin->error, fin->why ? fin->why : "-", fin->status,
                fin->n_headers, fin->body,
                (unsigned long long) fin->content_length);
    }
    len = total - off;
    buf = fuzz_copy(stream + off, len);
    b.rc = parse(o, buf, len, 0, msg);
    normalize(&b, b.rc, msg, buf);
    free(buf);
    compare(fin, &b, "split vs whole");
    free(msg);
    return rc;
}

/* A chunked body at stream[off]: split and whole agree; bytes it used,
 * or -1 when the stream ends in it or it is malformed. */
static long
read_chunked(const opts_t *o, const char *stream, size_t total, size_t off,
             fuzz_split_t *sp)
{
    fuzz_chunked_result_t split, whole;
    fuzz_split_t          all;
    long                  used;

    fuzz_chunked_run(stream, total, off, sp, o->max_spans, &split);
    fuzz_split_whole(&all, total);
    fuzz_chunked_run(stream, total, off, &all, o->max_spans, &whole);
    fuzz_split_free(&all);
    fuzz_chunked_compare(&whole, &split);
    if (fuzz_verbose()) {
        fprintf(stderr, "chunked body at %zu: error %d, done %d, used %zu, "
                "%zu data bytes, %zu trailer bytes\n", off, split.error,
                split.done, split.used, split.data.len, split.trailer.len);
    }
    used = split.error || !split.done ? -1 : (long) split.used;
    fuzz_chunked_free(&split);
    fuzz_chunked_free(&whole);
    return used;
}

void
fuzz_http_run(int response, const uint8_t *data, size_t size)
{
    static const size_t sizes[4] = { 16384, 128, 1024, 1 << 20 };
    const char  *stream = (const char *) data + 2;
    size_t       total, off = 0;
    fuzz_split_t sp;
    opts_t       o;

    if (size < 2) {
        return;
    }
    total = size - 2;
    o.response = response;
    o.head = data[1] & 1;
    o.max_size = sizes[(data[1] >> 1) & 3];
    o.max_spans = 1 + ((data[1] >> 3) & 7);
    fuzz_split_init(&sp, data[0], total);
    for (int i = 0; i < MAX_MESSAGES && off < total; i++) {
        norm_t m;
        int    rc = read_head(&o, stream, total, off, &sp, &m);
        long   used;

        if (rc <= 0) {
            break;
        }
        off += (size_t) rc;
        if (response && m.status == 101) {
            break;                          /* a tunnel from here on */
        }
        if (!response
            && ((m.method[1] == 7 && memcmp(stream + off - rc + m.method[0],
                                            "CONNECT", 7) == 0)
                || ((m.connection & GW_HTTP_CONN_UPGRADE) && m.has_upgrade))) {
            break;
        }
        if (m.body == GW_HTTP_BODY_CLOSE) {
            break;
        }
        if (m.body == GW_HTTP_BODY_LENGTH) {
            off += m.content_length < total - off
                   ? (size_t) m.content_length : total - off;
        } else if (m.body == GW_HTTP_BODY_CHUNKED) {
            if ((used = read_chunked(&o, stream, total, off, &sp)) < 0) {
                break;
            }
            off += (size_t) used;
        }
    }
    fuzz_split_free(&sp);
}
