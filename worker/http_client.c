/*
 * worker/http_client.c: the client side of the http_* handlers (see
 * http_exchange.h for the states): reading request heads under
 * header_timeout, keep-alive under keepalive_timeout, pipelined requests
 * answered in order (the next head is parsed only once the exchange before
 * it is over), our own answers (400, 404, 413, 431, 502, 504 ...), and one
 * access log line per request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/access.h"
#include "worker/http_body.h"
#include "worker/http_exchange.h"
#include "worker/http_pool.h"
#include "worker/http_proxy.h"
#include "worker/http_route.h"
#include "worker/limits.h"
#include "worker/listener.h"
#include "worker/loop.h"

enum { CL_IDLE, CL_HEAD, CL_BUSY, CL_CLOSING };

#define LINGER_MS 2000      /* how long a closing client may go on sending */

static gw_http_msg_t parsed;        /* scratch: valid until route() returns */
static int           stopping;      /* a graceful stop: no more keep-alive */

/* Exchanges are recycled: allocating one per request showed in profiles. */
#define KEEP_FREE_X 64

static gw_http_x_t *free_x;
static unsigned     n_free_x;

static gw_http_x_t *
x_get(void)
{
    gw_http_x_t *x = free_x;

    if (x == NULL) {
        return calloc(1, sizeof(*x));
    }
    free_x = x->next_free;
    n_free_x--;
    memset(x, 0, sizeof(*x));
    return x;
}

static void
x_put(gw_http_x_t *x)
{
    if (n_free_x >= KEEP_FREE_X) {
        free(x);
        return;
    }
    x->next_free = free_x;
    free_x = x;
    n_free_x++;
}

static void on_client_event(gw_conn_t *c);
static void on_client_timer(gw_timer_t *t);
static void read_heads(gw_http_client_t *cl);
static void log_exchange(gw_http_x_t *x, const gw_conn_t *c);

static const gw_conf_listener_t *
conf_of(const gw_http_client_t *cl)
{
    return cl->conn->ls->conf;
}

/* ---- life of the connection ---------------------------------------------------- */

void
gw_http_client_start(gw_conn_t *c, const gw_http_ops_t *ops)
{
    gw_http_client_t *cl = calloc(1, sizeof(*cl));

    if (cl == NULL) {
        gw_conn_log(GW_LOG_CRIT, c, ENOMEM, "cannot start a session");
        free(cl);
        gw_conn_close(c);
        return;
    }
    cl->conn = c;
    cl->ops = ops;
    cl->state = CL_HEAD;
    /* http answers a denied client with 403 rather than a silent close */
    cl->denied = !gw_acl_allows(c->ls->conf, &c->addr);
    cl->ip_str.len = gw_sockaddr_format_ip(&c->addr, cl->ip, sizeof(cl->ip));
    cl->ip_str.data = cl->ip;
    c->ctx = cl;
    c->action = "reading the request header";
    c->on_read = on_client_event;
    c->on_write = on_client_event;
    gw_timer_init(&c->timer, on_client_timer);
    cl->deadline_ms = gw_now_ms + conf_of(cl)->header_timeout_ms;
    if (conf_of(cl)->header_timeout_ms) {
        gw_timer_set_at(&c->timer, cl->deadline_ms);
    }
    /* clients speak first, often in the same breath as the connect: read
     * now, and join epoll only if the request is not all there yet */
    c->read_ready = 1;
    read_heads(cl);
}

static void
client_close(gw_http_client_t *cl)
{
    gw_buf_put(cl->in);
    gw_conn_close(cl->conn);
    free(cl);
}

/* Read and drop what the client still sends; close at its FIN. */
static void
drain(gw_http_client_t *cl)
{
    if (gw_conn_drain(cl->conn) != 0) {
        client_close(cl);
    }
}

/*
 * Close a connection whose client may still be sending (a body we did not
 * read, pipelined requests after an error): closing with unread bytes
 * would reset it, and the reset can destroy the answer on its way. So
 * send our FIN, drop what comes for a while, then close (nginx's lingering
 * close).
 */
static void
client_linger(gw_http_client_t *cl)
{
    gw_conn_t *c = cl->conn;

    gw_buf_put(cl->in);
    cl->in = NULL;
    cl->state = CL_CLOSING;
    c->action = "closing";
    shutdown(c->fd, SHUT_WR);
    if (gw_conn_watch(c) != 0) {
        client_close(cl);
        return;
    }
    cl->deadline_ms = gw_now_ms + LINGER_MS;
    gw_timer_set_at(&c->timer, cl->deadline_ms);
    drain(cl);
}

void
gw_http_client_abort(gw_http_client_t *cl, const char *why, int err)
{
    gw_http_x_t *x = cl->x;

    gw_conn_log(GW_LOG_INFO, cl->conn, err, "%s", why);
    if (x) {
        x->status = x->status ? x->status : 499;
        log_exchange(x, cl->conn);
        cl->x = NULL;
        x->client = NULL;
        gw_http_x_finish(x, 0);
    }
    client_close(cl);
}

/* Idle between requests: no buffer, keepalive_timeout. */
static void
go_idle(gw_http_client_t *cl)
{
    uint64_t t = conf_of(cl)->keepalive_timeout_ms;

    gw_buf_put(cl->in);
    cl->in = NULL;
    cl->parsed = 0;
    cl->state = CL_IDLE;
    cl->conn->action = "keeping the connection alive";
    cl->deadline_ms = gw_now_ms + t;
    if (t) {
        gw_timer_set_at(&cl->conn->timer, cl->deadline_ms);
    } else {
        gw_timer_del(&cl->conn->timer);
    }
}

static void
on_client_timer(gw_timer_t *t)
{
    gw_conn_t        *c = gw_container_of(t, gw_conn_t, timer);
    gw_http_client_t *cl = c->ctx;

    if (!gw_timer_lazy_expired(t, cl->deadline_ms)) {
        return;
    }
    if (cl->state == CL_IDLE || cl->state == CL_CLOSING) {
        client_close(cl);               /* keepalive_timeout, lingering */
        return;
    }
    if (cl->state == CL_HEAD) {
        gw_conn_log(GW_LOG_INFO, c, ETIMEDOUT, "client timed out");
        client_close(cl);
        return;
    }
    if (cl->x && cl->x->resolving) {
        /* a name that outlives connect_timeout: 504 */
        gw_resolve_cancel(&cl->x->resolve);
        cl->x->resolving = 0;
        gw_conn_log(GW_LOG_ERROR, c, ETIMEDOUT, "resolving timed out");
        gw_http_x_respond(cl->x, 504, 0, NULL);
        return;
    }
    /* a tunnel's timer is its idle_timeout */
    if (cl->x && cl->x->tunnel.side[0]) {
        gw_http_client_abort(cl, "tunnel idle timeout", ETIMEDOUT);
        return;
    }
    gw_conn_reset_on_close(c);      /* what it did not take goes, now */
    gw_http_client_abort(cl, "send timeout", ETIMEDOUT);
}

/*
 * While a name is looked up or a connect is pending, nothing reads the
 * client: a client that closed or reset meanwhile is not waited for
 * (nginx's broken-connection check; 499). A CONNECT client may have
 * half-closed with its request: only a reset counts then.
 */
static int
gone_while_waiting(const gw_http_client_t *cl)
{
    const gw_http_x_t *x = cl->x;

    return !x->up && (x->resolving || x->dialing)
           && gw_conn_peer_gone(cl->conn, !x->tunneling);
}

static void
on_client_event(gw_conn_t *c)
{
    gw_http_client_t *cl = c->ctx;

    if (cl->state == CL_BUSY) {
        if (gone_while_waiting(cl)) {
            gw_http_client_abort(cl, "client closed the connection before "
                                 "the origin answered", 0);
            return;
        }
        gw_http_x_pump(cl->x);
        return;
    }
    if (cl->state == CL_CLOSING) {
        drain(cl);
        return;
    }
    read_heads(cl);
}

void
gw_http_client_event(gw_conn_t *c)
{
    on_client_event(c);
}

void
gw_http_worker_stop(void)
{
    stopping = 1;
    gw_http_pool_stop();
}

void
gw_http_client_stop(gw_conn_t *c)
{
    gw_http_client_t *cl = c->ctx;

    if (cl->state == CL_IDLE) {
        client_close(cl);       /* nginx closes idle keep-alive ones too */
        return;
    }
    /* the answer in the making says Connection: close */
    if (cl->x && !cl->x->resp_head_done) {
        cl->x->client_keepalive = 0;
    }
}

/* ---- reading heads -------------------------------------------------------------- */

/* The request line, for the access log: "GET /x HTTP/1.1" (the target
 * cut at 200 bytes). */
static void
keep_request_line(gw_http_x_t *x, const gw_http_msg_t *m)
{
    size_t mlen = m->method.len > 32 ? 32 : m->method.len;
    size_t tlen = m->target.len > 200 ? 200 : m->target.len;
    char  *p = x->line;

    memcpy(p, m->method.data, mlen);
    p += mlen;
    *p++ = ' ';
    memcpy(p, m->target.data, tlen);
    p += tlen;
    memcpy(p, m->minor ? " HTTP/1.1" : " HTTP/1.0", 10);
}

/* What the exchange keeps of the head once the head itself is gone. */
static void
summarize(gw_http_x_t *x, const gw_http_msg_t *m)
{
    keep_request_line(x, m);
    x->minor = (unsigned) m->minor;
    x->client_keepalive = !stopping
                          && (m->minor == 1
                              ? !(m->connection & GW_HTTP_CONN_CLOSE)
                              : (m->connection & GW_HTTP_CONN_KEEP_ALIVE) != 0);
    x->head = gw_str_eq(m->method, "HEAD");
    x->idempotent = gw_http_is_idempotent(m->method);
    x->expect_continue = m->expect_continue;
    x->upgrade = m->has_upgrade && (m->connection & GW_HTTP_CONN_UPGRADE);
    x->target = m->target;
    gw_http_body_init(&x->req_body, m->body, m->body, m->content_length);
}

/*
 * A chunked body whose first bytes came with the head: judge them now, so
 * a malformed one costs no upstream connection at all. 0, or -1.
 */
static int
chunked_prefix_ok(const gw_http_client_t *cl, size_t head_len)
{
    const gw_buf_t *in = cl->in;
    const char     *p = in->data + in->pos + head_len;
    size_t          len = gw_buf_len(in) - head_len;
    gw_chunked_t    d;

    gw_chunked_init(&d);
    while (len > 0 && !d.done) {
        gw_chunk_span_t spans[8];
        unsigned        n;
        int             used = gw_chunked_decode(&d, p, len, spans, 8, &n);

        if (used < 0) {
            return -1;
        }
        p += used;
        len -= (size_t) used;
    }
    return 0;
}

/* Checks before any routing; an answer of ours when one fails. */
static int
refuse(const gw_http_client_t *cl, const gw_http_msg_t *m, size_t head_len)
{
    uint64_t max = conf_of(cl)->max_body_size;

    if (m->body == GW_HTTP_BODY_CHUNKED && chunked_prefix_ok(cl, head_len)) {
        return 400;
    }
    if (max && m->body == GW_HTTP_BODY_LENGTH && m->content_length > max) {
        return 413;
    }
    if (m->target.data[0] == '/'
        && gw_http_path_has_dots(gw_http_target_path(m->target))) {
        return 400;
    }
    return 0;
}

/* limit_conn (decided at accept) or limit_req (per request) says no. */
static int
over_limit(gw_http_client_t *cl)
{
    const gw_conn_t *c = cl->conn;
    const char      *why = NULL;

    if (c->over_limit) {
        why = "limiting connections by limit_conn";
    } else if (c->ls->conf->limit_req_rate
               && !gw_limit_req_allow(c->ls, &c->addr)) {
        why = "limiting requests by limit_req";
    }
    if (why == NULL) {
        return 0;
    }
    gw_conn_log(GW_LOG_INFO, c, 0, "%s", why);
    gw_stats_refused(c->ls, GW_REFUSED_LIMIT);
    return 1;
}

static void
start_exchange(gw_http_client_t *cl, gw_http_msg_t *m, size_t head_len)
{
    gw_http_x_t *x = x_get();
    int          status;

    if (x == NULL) {
        gw_http_client_abort(cl, "out of memory", ENOMEM);
        return;
    }
    x->client = cl;
    x->req = m;
    x->head_len = head_len;
    x->start_ms = gw_now_ms;
    summarize(x, m);
    cl->x = x;
    cl->state = CL_BUSY;
    cl->requests++;
    cl->conn->action = "proxying the request";
    gw_timer_del(&cl->conn->timer);
    status = cl->denied ? 403 : over_limit(cl) ? 429 : refuse(cl, m, head_len);
    if (status == 403) {
        gw_conn_log(GW_LOG_INFO, cl->conn, 0, "access forbidden by rule");
        gw_stats_refused(cl->conn->ls, GW_REFUSED_ACL);
    }
    if (status) {
        x->req_body.done = 1;           /* not read: the connection closes */
        gw_http_x_respond(x, status, 1,
                          status == 429 ? "Retry-After: 1\r\n" : NULL);
        return;
    }
    cl->ops->route(x);
}

/* Parse what the buffer holds; 1 when an exchange started or we answered. */
static int
try_parse(gw_http_client_t *cl)
{
    const gw_conf_listener_t *conf = conf_of(cl);
    gw_buf_t                 *in = cl->in;
    int                       rc;

    rc = gw_http_parse_request(in->data + in->pos, gw_buf_len(in), cl->parsed,
                               conf->max_header_size, &parsed);
    if (rc == GW_PARSE_AGAIN) {
        cl->parsed = gw_buf_len(in);
        return 0;
    }
    cl->parsed = 0;
    if (rc == GW_PARSE_ERROR) {
        gw_http_x_t *x = x_get();

        gw_conn_log(GW_LOG_INFO, cl->conn, 0, "bad request: %s", parsed.why);
        if (x == NULL) {
            client_close(cl);
            return 1;
        }
        x->client = cl;
        x->start_ms = gw_now_ms;
        x->req_body.done = 1;
        snprintf(x->line, sizeof(x->line), "-");
        cl->x = x;
        cl->state = CL_BUSY;
        gw_http_x_respond(x, parsed.error, 1, NULL);
        return 1;
    }
    start_exchange(cl, &parsed, (size_t) rc);
    return 1;
}

/* Room for more of a head; 0, or -1 when the head outgrew max_header_size. */
static int
make_room(gw_http_client_t *cl)
{
    size_t cap = conf_of(cl)->max_header_size;

    if (cl->in == NULL) {
        cl->in = gw_buf_get_size(cap > GW_BUF_SIZE ? cap : GW_BUF_SIZE);
        return cl->in ? 0 : -1;
    }
    if (gw_buf_room(cl->in) == 0) {
        gw_buf_compact(cl->in);
    }
    return gw_buf_room(cl->in) ? 0 : -1;
}

static void
read_heads(gw_http_client_t *cl)
{
    gw_conn_t *c = cl->conn;

    for ( ;; ) {
        ssize_t n;

        if (cl->in && gw_buf_len(cl->in) && try_parse(cl)) {
            return;
        }
        if (!c->read_ready) {
            if (gw_conn_watch(c) != 0) {
                gw_http_client_abort(cl, "cannot watch the connection", errno);
            }
            return;
        }
        if (make_room(cl) != 0) {
            gw_http_client_abort(cl, "cannot buffer the request header", ENOMEM);
            return;
        }
        n = recv(c->fd, cl->in->data + cl->in->last, gw_buf_room(cl->in), 0);
        if (n > 0 && (size_t) n < gw_buf_room(cl->in) && !c->hup) {
            c->read_ready = 0;          /* short read: drained */
        }
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                c->read_ready = 0;
                continue;
            }
            if (cl->state == CL_HEAD && cl->in && gw_buf_len(cl->in)) {
                gw_conn_log(GW_LOG_INFO, c, n < 0 ? errno : 0,
                            "client closed the connection");
            }
            client_close(cl);
            return;
        }
        if (cl->state == CL_IDLE) {
            /* the first byte of a head: header_timeout counts from here */
            cl->state = CL_HEAD;
            c->action = "reading the request header";
            cl->deadline_ms = gw_now_ms + conf_of(cl)->header_timeout_ms;
            if (conf_of(cl)->header_timeout_ms) {
                gw_timer_set_at(&c->timer, cl->deadline_ms);
            }
        }
        cl->in->last += (size_t) n;
    }
}

/* ---- the end of an exchange ---------------------------------------------------- */

static void
log_exchange(gw_http_x_t *x, const gw_conn_t *c)
{
    gw_access_t entry = {
        .client = &c->addr,
        .request = x->line,
        .status = x->status,
        .bytes_sent = x->bytes_to_client,
        .bytes_received = x->req_head_bytes + x->req_body.bytes,
        .start_ms = x->start_ms,
        .upstream = x->has_up_addr ? &x->up_addr : NULL,
        .connect_time = x->has_up_addr,
        .connect_ms = x->connect_ms,
        .user = x->auth ? x->auth->user : NULL,
        .http = 1,
        .upstream_time = x->up_header_ms != 0,
        .upstream_ms = x->up_header_ms ? x->up_header_ms - x->up_start_ms : 0,
    };

    gw_access_log(c->ls, &entry);
}

void
gw_http_x_finish(gw_http_x_t *x, int keep_client)
{
    gw_http_client_t *cl = x->client;
    int               unread = !x->req_body.done && !x->tunneling;

    if (cl) {
        log_exchange(x, cl->conn);
    }
    if (x->dialing) {
        gw_dial_cancel(&x->dial);
    }
    if (x->resolving) {
        gw_resolve_cancel(&x->resolve);
    }
    gw_http_x_release_upstream(x, 0);
    gw_buf_put(x->up_out);
    gw_buf_put(x->up_in);
    gw_buf_put(x->cl_out);
    if (x->tunneling && x->tunnel.side[0]) {
        gw_relay_fini(&x->tunnel);
    }
    x_put(x);
    if (cl == NULL) {
        return;
    }
    cl->x = NULL;
    if (!keep_client || stopping) {
        if (unread || (cl->in && gw_buf_len(cl->in))) {
            client_linger(cl);
        } else {
            client_close(cl);
        }
        return;
    }
    /* the request's bytes are spent; pipelined ones wait in the buffer */
    if (cl->in && gw_buf_len(cl->in) == 0) {
        go_idle(cl);
        if (gw_conn_watch(cl->conn) != 0) {
            gw_http_client_abort(cl, "cannot watch the connection", errno);
        }
        return;
    }
    cl->state = CL_HEAD;
    cl->conn->action = "reading the request header";
    cl->deadline_ms = gw_now_ms + conf_of(cl)->header_timeout_ms;
    if (conf_of(cl)->header_timeout_ms) {
        gw_timer_set_at(&cl->conn->timer, cl->deadline_ms);
    }
    read_heads(cl);
}

void
gw_http_x_respond(gw_http_x_t *x, int status, int close, const char *extra)
{
    x->status = status;
    x->req = NULL;
    /* an answer of ours ends a CONNECT, and its connection: what follows
     * the head was meant for the tunnel */
    close |= x->tunneling;
    x->tunneling = 0;
    gw_http_x_release_upstream(x, 0);
    if (x->cl_out == NULL && (x->cl_out = gw_buf_get()) == NULL) {
        gw_http_client_abort(x->client, "out of memory", ENOMEM);
        return;
    }
    x->cl_out->pos = x->cl_out->last = 0;
    /* a body we did not read leaves the connection unusable */
    close |= !x->req_body.done || !x->client_keepalive;
    if (gw_http_write_error(x->cl_out, status, close, extra) != 0) {
        gw_http_client_abort(x->client, "cannot write a response", 0);
        return;
    }
    if (x->client && x->client->in && x->head_len) {
        x->client->in->pos += x->head_len;
        x->req_head_bytes = x->head_len;
        x->head_len = 0;
    }
    x->client_keepalive = !close;
    x->resp_head_done = 1;
    x->resp_body.done = 1;
    x->resp_body.end_written = 1;
    x->responded = 1;
    gw_http_x_pump(x);
}
