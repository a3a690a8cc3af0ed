/*
 * worker/http_exchange.c: one request carried to an upstream connection and
 * its response carried back (see http_exchange.h).
 *
 * Two pumps run on every event of either socket: the request pump (head,
 * then body: client -> upstream) and the response pump (head parsed and
 * rewritten, then body: upstream -> client). They run side by side, so an
 * origin may answer before the request body is over, and a client may
 * send its body without waiting for "100 Continue" without a deadlock.
 *
 * Failures before any byte of the response reached the client are
 * answered 502 (504 on a timeout); one retry is allowed for an idempotent
 * request without a body: on a fresh connection when a pooled one turned
 * out to be closed, or after an error of the origin (the next server the
 * balancer gives). After the first byte, an error can only close the
 * client connection.
 *
 * Timers: the upstream connection carries read_timeout (no byte from the
 * origin while we wait for one), the client connection send_timeout (no
 * byte taken by a client we are writing to).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/http_body.h"
#include "worker/http_exchange.h"
#include "worker/http_pool.h"
#include "worker/http_proxy.h"
#include "worker/listener.h"
#include "worker/loop.h"
#include "worker/stats.h"

enum { RESP_BLOCKED, RESP_DONE, RESP_ENDED };

static void on_upstream_event(gw_conn_t *c);
static void on_upstream_timer(gw_timer_t *t);
static void upstream_failed(gw_http_x_t *x, int err, int timed_out);

static const gw_conf_listener_t *
conf_of(const gw_http_x_t *x)
{
    return x->client->conn->ls->conf;
}

/* A buffer big enough for a head: max_header_size, at least 16 KiB. */
static gw_buf_t *
head_buf(const gw_http_x_t *x)
{
    size_t cap = conf_of(x)->max_header_size;

    return gw_buf_get_size(cap > GW_BUF_SIZE ? cap + 1024 : GW_BUF_SIZE);
}

/* ---- request head ---------------------------------------------------------- */

int
gw_http_x_write_head(gw_http_x_t *x, unsigned keepalive, uint64_t timeout_ms)
{
    gw_http_client_t       *cl = x->client;
    gw_http_upstream_req_t  u = {
        .client_ip = cl->ip_str,
        .target = x->target,
        .host = x->host,
        .body = x->req_body.out,
        .keepalive = keepalive > 0,
        .upgrade = x->upgrade,
        .forward = cl->ops->forward,
    };

    x->up_out = head_buf(x);
    if (x->up_out == NULL || gw_http_write_request(x->up_out, x->req, &u)) {
        gw_http_x_respond(x, x->up_out ? 431 : 500, 1, NULL);
        return -1;
    }
    x->keepalive_max = keepalive;
    x->keepalive_timeout_ms = timeout_ms;
    x->up_head_len = gw_buf_len(x->up_out);
    x->req_head_bytes = x->head_len;
    cl->in->pos += x->head_len;         /* the body (if any) follows */
    x->head_len = 0;
    x->req = NULL;
    x->target.data = x->host.data = NULL;
    return 0;
}

int
gw_http_x_reserve(gw_http_x_t *x)
{
    (void) x;
    if (gw_conns_reserve(1) == 0) {
        return 0;
    }
    gw_conns_reclaim(1);
    return gw_conns_reserve(1);
}

/* ---- the upstream connection -------------------------------------------------- */

void
gw_http_x_connected(gw_http_x_t *x, gw_conn_t *up, int reused)
{
    const gw_conf_listener_t *conf = conf_of(x);

    x->up = up;
    x->reused = reused;
    x->connect_ms = reused ? 0 : x->dial.end_ms - x->dial.start_ms;
    x->up_addr = up->addr;
    x->has_up_addr = 1;
    up->ctx = x;
    up->peer = x->client->conn;
    up->ls = x->client->conn->ls;
    up->action = "proxying the request";
    up->on_read = on_upstream_event;
    up->on_write = on_upstream_event;
    gw_timer_init(&up->timer, on_upstream_timer);
    x->up_start_ms = gw_now_ms;
    x->read_deadline_ms = gw_now_ms + conf->read_timeout_ms;
    if (conf->read_timeout_ms) {
        gw_timer_set_at(&up->timer, x->read_deadline_ms);
    }
    if (up->write_ready || reused) {
        up->write_ready = 1;
    }
    gw_http_x_pump(x);
}

/* Can the upstream connection carry another request after this one? */
static int
upstream_reusable(const gw_http_x_t *x)
{
    return x->up_keepalive && x->keepalive_max && x->req_body.done
           && x->resp_body.done && !x->tunneling
           && (x->up_in == NULL || gw_buf_len(x->up_in) == 0);
}

void
gw_http_x_release_upstream(gw_http_x_t *x, int failed)
{
    gw_conn_t *up = x->up;

    if (x->peer && x->upstream && (up || failed)) {
        gw_upstream_release(x->upstream, x->peer, failed, gw_now_ms);
    }
    if (up == NULL) {
        return;
    }
    x->up = NULL;
    if (!failed && upstream_reusable(x)) {
        gw_http_pool_put(up, x->keepalive_max, x->keepalive_timeout_ms);
        return;
    }
    gw_conn_close(up);
}

static void
on_upstream_event(gw_conn_t *c)
{
    gw_http_x_pump(c->ctx);
}

static void
on_upstream_timer(gw_timer_t *t)
{
    gw_conn_t   *up = gw_container_of(t, gw_conn_t, timer);
    gw_http_x_t *x = up->ctx;

    if (!gw_timer_lazy_expired(t, x->read_deadline_ms)) {
        return;
    }
    if (x->client && !x->client->conn->write_ready && x->responded) {
        /* the client is the slow one: its send_timeout judges it */
        x->read_deadline_ms = gw_now_ms + conf_of(x)->read_timeout_ms;
        gw_timer_set_at(t, x->read_deadline_ms);
        return;
    }
    gw_conn_log(GW_LOG_ERROR, up, ETIMEDOUT, "upstream timed out");
    upstream_failed(x, ETIMEDOUT, 1);
}

/* ---- failures ------------------------------------------------------------------- */

/* One retry: idempotent, no body, nothing sent to the client yet. */
static int
can_retry(const gw_http_x_t *x)
{
    return !x->retried && !x->responded && !x->resp_head_done
           && x->idempotent && x->req_body.in == GW_HTTP_BODY_NONE;
}

static void
upstream_failed(gw_http_x_t *x, int err, int timed_out)
{
    /* a pooled connection the origin had closed is nobody's failure */
    int stale = x->reused && !timed_out
                && (x->up_in == NULL || x->up_in->last == 0);

    x->fail_status = timed_out ? 504 : 502;
    if (can_retry(x)) {
        gw_http_x_release_upstream(x, !stale);
        x->retried = 1;
        x->retry_same = stale;
        x->peer = NULL;
        /* the head goes again: a bodiless request wrote nothing after it */
        x->up_out->pos = 0;
        x->up_out->last = x->up_head_len;
        gw_buf_put(x->up_in);
        x->up_in = NULL;
        x->resp_parsed = 0;
        x->client->ops->connect(x);
        return;
    }
    gw_http_x_release_upstream(x, !stale);
    if (x->responded) {
        gw_http_client_abort(x->client, "upstream failed mid-response", err);
        return;
    }
    gw_http_x_respond(x, timed_out ? 504 : 502, 0, NULL);
}

/* ---- request pump ------------------------------------------------------------------ */

/* The request body passed max_body_size: 413 while nothing was
 * answered, else the client goes. */
static void
too_big(gw_http_x_t *x)
{
    gw_conn_log(GW_LOG_INFO, x->client->conn, 0,
                "request body larger than max_body_size");
    if (x->responded) {
        gw_http_client_abort(x->client, "request body too large", 0);
        return;
    }
    gw_http_x_release_upstream(x, 0);
    gw_http_x_respond(x, 413, 1, NULL);
}

/* 0: go on; -1: the exchange ended. */
static int
pump_request(gw_http_x_t *x)
{
    gw_http_client_t *cl = x->client;
    gw_body_io_t      io = {
        .src = cl->conn, .in = cl->in, .dst = x->up, .out = x->up_out,
        .max = conf_of(x)->max_body_size,
    };
    int               rc;

    if ((x->req_body.done && x->req_body.end_written
         && gw_buf_len(x->up_out) == 0) || x->req_abandoned) {
        return 0;                       /* all sent, or no longer wanted */
    }
    rc = gw_http_body_pump(&x->req_body, &io);
    x->head_sent |= gw_buf_len(x->up_out) == 0;     /* it went first */
    if (io.more) {
        gw_loop_post(cl->conn);
    }
    switch (rc) {
    case GW_BODY_DONE:
    case GW_BODY_BLOCKED:
        return 0;
    case GW_BODY_DST_ERROR:
        if (x->head_sent && !can_retry(x)) {
            /* the head went: the origin may have answered before it closed
             * (413, 501 ...); the response decides, the body is dropped */
            gw_conn_log(GW_LOG_INFO, x->up, errno,
                        "upstream stopped reading the request body");
            x->req_abandoned = 1;
            x->client_keepalive = 0;
            return 0;
        }
        gw_conn_log(GW_LOG_ERROR, x->up, errno, "sending to upstream failed");
        upstream_failed(x, errno, 0);
        return -1;
    case GW_BODY_TOO_BIG:
        too_big(x);
        return -1;
    case GW_BODY_BAD:
        gw_conn_log(GW_LOG_INFO, cl->conn, 0, "bad chunked request body");
        if (!x->responded) {
            gw_http_x_release_upstream(x, 0);
            gw_http_x_respond(x, 400, 1, NULL);
        } else {
            gw_http_client_abort(cl, "bad chunked request body", 0);
        }
        return -1;
    default:
        gw_http_client_abort(cl, "client closed the connection mid-body",
                             rc == GW_BODY_SRC_ERROR ? errno : 0);
        return -1;
    }
}

/* ---- response head ------------------------------------------------------------------- */

static gw_http_msg_t resp;          /* scratch: used within one call */

/* How the body goes to the client, and whether the client stays. */
static void
choose_client_framing(gw_http_x_t *x, gw_http_client_resp_t *c)
{
    int in = resp.body, out = in;

    if (in == GW_HTTP_BODY_CHUNKED || in == GW_HTTP_BODY_CLOSE) {
        /* HTTP/1.0 clients know no chunks: the body ends with the close */
        out = x->minor ? GW_HTTP_BODY_CHUNKED : GW_HTTP_BODY_CLOSE;
    }
    gw_http_body_init(&x->resp_body, in, out, resp.content_length);
    if (out == GW_HTTP_BODY_CLOSE) {
        x->client_keepalive = 0;
    }
    x->up_keepalive = in != GW_HTTP_BODY_CLOSE
                      && !(resp.connection & GW_HTTP_CONN_CLOSE)
                      && (resp.minor == 1
                          || (resp.connection & GW_HTTP_CONN_KEEP_ALIVE));
    c->body = out;
    c->content_length = resp.content_length;
    c->keepalive = x->client_keepalive;
    c->client_minor = x->minor;
    c->upgrade = 0;
    c->via = x->client->ops->forward;
}

/* A 1xx other than 101: "100 Continue" reaches a client that asked. */
static void
interim(gw_http_x_t *x)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    if (resp.status == 100 && x->expect_continue
        && gw_buf_room(x->cl_out) >= sizeof(cont) - 1) {
        memcpy(x->cl_out->data + x->cl_out->last, cont, sizeof(cont) - 1);
        x->cl_out->last += sizeof(cont) - 1;
        x->expect_continue = 0;
    }
}

/* The final head: rewrite it for the client. 0, or -1 (answered 502). */
static int
final_head(gw_http_x_t *x)
{
    gw_http_client_resp_t c;

    x->status = resp.status;
    x->up_header_ms = gw_now_ms;
    if (x->peer && x->peer->stats) {
        gw_stats_observe(x->peer->stats, (gw_now_ms - x->up_start_ms) * 1000);
    }
    if (resp.status == 101) {
        if (!x->upgrade) {
            gw_http_x_release_upstream(x, 1);
            gw_http_x_respond(x, 502, 1, NULL);
            return -1;
        }
        memset(&c, 0, sizeof(c));
        c.upgrade = 1;
        c.via = x->client->ops->forward;
        c.keepalive = 1;
        x->tunneling = 1;
        x->resp_body.done = x->resp_body.end_written = 1;
    } else {
        if (!x->req_body.done) {
            /* answered before the whole body went: neither connection can
             * carry another request. A client still waiting for "100
             * Continue" sends no body now (RFC 9110 10.1.1): stop it
             * there; otherwise the body keeps going (full duplex) */
            x->client_keepalive = 0;
            x->req_abandoned = x->expect_continue && x->req_body.bytes == 0;
        }
        choose_client_framing(x, &c);
        x->up_keepalive &= x->req_body.done;
    }
    if (gw_http_write_response(x->cl_out, &resp, &c) != 0) {
        gw_http_x_release_upstream(x, 1);
        gw_http_x_respond(x, 502, 1, NULL);
        return -1;
    }
    x->resp_head_done = 1;
    return 0;
}

/* Read upstream bytes while no whole head is there. */
static int
read_more(gw_http_x_t *x)
{
    gw_buf_t *in = x->up_in;
    ssize_t   n;

    if (!x->up->read_ready) {
        return RESP_BLOCKED;
    }
    if (gw_buf_room(in) == 0) {
        gw_buf_compact(in);
    }
    n = recv(x->up->fd, in->data + in->last, gw_buf_room(in), 0);
    if (n > 0) {
        if ((size_t) n < gw_buf_room(in) && !x->up->hup) {
            x->up->read_ready = 0;      /* short read: drained */
        }
        in->last += (size_t) n;
        x->read_deadline_ms = gw_now_ms + conf_of(x)->read_timeout_ms;
        return -1;                      /* parse again */
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        x->up->read_ready = 0;
        return RESP_BLOCKED;
    }
    gw_conn_log(x->reused ? GW_LOG_INFO : GW_LOG_ERROR, x->up, n ? errno : 0,
                "upstream closed the connection before the response");
    upstream_failed(x, n ? errno : 0, 0);
    return RESP_ENDED;
}

/* RESP_BLOCKED, RESP_ENDED, or -1 when the head is done. */
static int
response_head(gw_http_x_t *x)
{
    const gw_conf_listener_t *conf = conf_of(x);

    if ((x->up_in == NULL && (x->up_in = head_buf(x)) == NULL)
        || (x->cl_out == NULL && (x->cl_out = head_buf(x)) == NULL)) {
        gw_http_client_abort(x->client, "out of memory", ENOMEM);
        return RESP_ENDED;
    }
    for ( ;; ) {
        gw_buf_t *in = x->up_in;
        int       rc = gw_http_parse_response(in->data + in->pos,
                                              gw_buf_len(in), x->resp_parsed,
                                              conf->max_header_size, x->head,
                                              &resp);

        if (rc == GW_PARSE_AGAIN) {
            x->resp_parsed = gw_buf_len(in);
            rc = read_more(x);
            if (rc != -1) {
                return rc;
            }
            continue;
        }
        x->resp_parsed = 0;
        if (rc == GW_PARSE_ERROR) {
            gw_conn_log(GW_LOG_ERROR, x->up, 0, "bad response: %s", resp.why);
            gw_http_x_release_upstream(x, 1);
            gw_http_x_respond(x, 502, 0, NULL);
            return RESP_ENDED;
        }
        if (resp.status >= 100 && resp.status < 200 && resp.status != 101) {
            interim(x);
            in->pos += (size_t) rc;
            continue;
        }
        if (final_head(x) != 0) {
            return RESP_ENDED;
        }
        in->pos += (size_t) rc;
        return -1;
    }
}

/* ---- response pump ------------------------------------------------------------------ */

/* Our own answer (no upstream): flush it. */
static int
flush_own(gw_http_x_t *x)
{
    int rc = gw_http_flush(x->client->conn, x->cl_out, &x->bytes_to_client);

    if (rc < 0) {
        gw_http_client_abort(x->client, "writing to the client failed", errno);
        return RESP_ENDED;
    }
    return rc ? RESP_DONE : RESP_BLOCKED;
}

static int
pump_response(gw_http_x_t *x)
{
    gw_http_client_t *cl = x->client;
    gw_body_io_t      io;
    int               rc;

    if (x->up == NULL || (x->tunneling && x->resp_head_done)) {
        /* our own answer, or the head before a tunnel */
        return x->resp_head_done ? flush_own(x) : RESP_BLOCKED;
    }
    if (!x->resp_head_done && (rc = response_head(x)) != -1) {
        /* a "100 Continue" may wait in cl_out while the final head does not
         * come: the client needs it to send its body */
        if (rc == RESP_BLOCKED && x->cl_out && gw_buf_len(x->cl_out)
            && gw_http_flush(cl->conn, x->cl_out, &x->bytes_to_client) < 0) {
            gw_http_client_abort(cl, "writing to the client failed", errno);
            return RESP_ENDED;
        }
        return rc;
    }
    if (x->tunneling) {
        return flush_own(x);            /* the 101, then the tunnel */
    }
    io = (gw_body_io_t) {
        .src = x->up, .in = x->up_in, .dst = cl->conn, .out = x->cl_out,
    };
    rc = gw_http_body_pump(&x->resp_body, &io);
    x->bytes_to_client += io.written;
    x->responded |= x->bytes_to_client > 0;
    if (io.written || io.progress) {
        x->read_deadline_ms = gw_now_ms + conf_of(x)->read_timeout_ms;
    }
    if (io.more) {
        gw_loop_post(x->up);
    }
    switch (rc) {
    case GW_BODY_DONE:
        return RESP_DONE;
    case GW_BODY_BLOCKED:
        return RESP_BLOCKED;
    case GW_BODY_DST_ERROR:
        gw_http_client_abort(cl, "writing to the client failed", errno);
        return RESP_ENDED;
    default:
        gw_conn_log(GW_LOG_ERROR, x->up, rc == GW_BODY_SRC_ERROR ? errno : 0,
                    rc == GW_BODY_BAD ? "bad chunked response body"
                                      : "upstream closed mid-response");
        upstream_failed(x, errno, 0);
        return RESP_ENDED;
    }
}

/* ---- tunnels: after a 101, or a CONNECT ----------------------------------------------- */

void
gw_http_x_tunnel(gw_http_x_t *x, gw_conn_t *up)
{
    static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";

    x->up = up;
    x->connect_ms = x->dial.end_ms - x->dial.start_ms;
    x->up_addr = up->addr;
    x->has_up_addr = 1;
    up->ctx = x;
    up->peer = x->client->conn;
    up->ls = x->client->conn->ls;
    up->on_read = on_upstream_event;
    up->on_write = on_upstream_event;
    x->up_start_ms = x->up_header_ms = gw_now_ms;
    if (x->cl_out == NULL && (x->cl_out = gw_buf_get()) == NULL) {
        gw_http_client_abort(x->client, "out of memory", ENOMEM);
        return;
    }
    memcpy(x->cl_out->data, ok, sizeof(ok) - 1);
    x->cl_out->pos = 0;
    x->cl_out->last = sizeof(ok) - 1;
    x->status = 200;
    x->tunneling = 1;
    x->resp_head_done = 1;
    x->resp_body.done = x->resp_body.end_written = 1;
    gw_http_x_pump(x);
}

static void
start_tunnel(gw_http_x_t *x)
{
    gw_http_client_t *cl = x->client;

    gw_conn_watch(cl->conn);            /* a tunnel needs both sides */
    gw_relay_init(&x->tunnel, cl->conn, x->up);
    /* bytes that came with the heads belong to the tunnel */
    x->tunnel.dir[0].buf = cl->in;
    x->tunnel.dir[1].buf = x->up_in;
    cl->in = NULL;
    x->up_in = NULL;
    x->up_keepalive = 0;
    cl->conn->action = "tunneling";
    x->up->action = "tunneling";
    gw_timer_del(&x->up->timer);
    cl->deadline_ms = gw_now_ms + conf_of(x)->idle_timeout_ms;
    if (conf_of(x)->idle_timeout_ms) {
        gw_timer_set_at(&cl->conn->timer, cl->deadline_ms);
    }
}

static void
pump_tunnel(gw_http_x_t *x)
{
    int rc = gw_relay_pump(&x->tunnel);

    if (rc == GW_RELAY_OPEN) {
        if (x->tunnel.progress) {
            x->client->deadline_ms = gw_now_ms + conf_of(x)->idle_timeout_ms;
        }
        if (x->tunnel.more) {
            gw_loop_post(x->client->conn);
        }
        return;
    }
    x->bytes_to_client += x->tunnel.dir[1].bytes;
    x->req_body.bytes += x->tunnel.dir[0].bytes;
    gw_http_x_finish(x, 0);
}

/* ---- the pump ---------------------------------------------------------------------------- */

/* Keep send_timeout on the client while it does not take our bytes. */
static void
watch_client(gw_http_x_t *x)
{
    gw_http_client_t *cl = x->client;
    uint64_t          t = conf_of(x)->send_timeout_ms;

    if (x->resolving) {
        return;                 /* the timer bounds the look-up now */
    }
    if (t == 0 || cl->conn->write_ready) {
        gw_timer_del(&cl->conn->timer);
        return;
    }
    if (!gw_timer_is_armed(&cl->conn->timer)) {
        cl->deadline_ms = gw_now_ms + t;
        gw_timer_set_at(&cl->conn->timer, cl->deadline_ms);
    }
}

static void
complete(gw_http_x_t *x)
{
    int keep = x->client_keepalive && x->req_body.done;

    if (x->tunneling) {
        start_tunnel(x);
        pump_tunnel(x);
        return;
    }
    gw_http_x_finish(x, keep);
}

static int need_client_events(gw_http_x_t *x);

void
gw_http_x_pump(gw_http_x_t *x)
{
    int rc;

    if (x->tunneling && x->resp_body.done && gw_buf_len(x->cl_out) == 0
        && x->tunnel.side[0]) {
        pump_tunnel(x);
        return;
    }
    if (x->up && !x->tunneling && pump_request(x) != 0) {
        return;
    }
    rc = pump_response(x);
    if (rc == RESP_DONE) {
        complete(x);
        return;
    }
    if (rc == RESP_BLOCKED && need_client_events(x) == 0) {
        watch_client(x);
    }
}

/* The client must be in epoll when we wait for it: its body, or room to
 * write. Waiting only for the upstream needs nothing from it. */
static int
need_client_events(gw_http_x_t *x)
{
    gw_conn_t *c = x->client->conn;

    if (c->watched || (x->req_body.done && c->write_ready)) {
        return 0;
    }
    if (gw_conn_watch(c) != 0) {
        gw_http_client_abort(x->client, "cannot watch the connection", errno);
        return -1;
    }
    return 0;
}
