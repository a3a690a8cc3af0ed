/*
 * worker/tcp.c: the tcp handler. Each accepted connection is joined to one
 * upstream server chosen by the balancer, then bytes flow both ways.
 *
 *   state        client timer          upstream timer     next
 *   connecting   -                     connect_timeout    relaying | closed
 *   relaying     idle_timeout (lazy)   send_timeout       closed
 *                                      while blocked
 *
 * While connecting, the client's bytes wait in its socket buffer (nothing
 * is read before the upstream is there). The session owns both sockets;
 * it ends when both directions are finished, on an error, or a timeout,
 * and writes one access log line.
 */
#include <errno.h>
#include <sys/socket.h>
#include <stdlib.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/access.h"
#include "worker/dial.h"
#include "worker/handler.h"
#include "worker/listener.h"
#include "worker/loop.h"
#include "worker/relay.h"

typedef struct tcp_session {
    gw_conn_t  *client;
    gw_conn_t  *upstream;
    gw_dial_t   dial;
    gw_relay_t  relay;
    uint64_t    start_ms;
    uint64_t    idle_deadline_ms;   /* pushed by traffic; the timer lags */
    uint64_t    send_deadline_ms;
    int         status;
} tcp_session_t;

static void on_client_wait(gw_conn_t *c);
static void on_connected(gw_dial_t *d, gw_conn_t *upstream);
static void on_relay(gw_conn_t *c);
static void on_idle_timer(gw_timer_t *t);
static void on_send_timer(gw_timer_t *t);
static void on_accept(gw_conn_t *c);

const gw_handler_t gw_tcp_handler = {
    .name = "tcp",
    .conns_per_client = 2,
    .on_accept = on_accept,
};

static void
session_close(tcp_session_t *s)
{
    const gw_listener_t *ls = s->client->ls;
    gw_access_t          entry = {
        .client = &s->client->addr,
        .request = ls->conf->proxy_pass.text,
        .status = s->status,
        .bytes_sent = s->relay.dir[1].bytes,
        .bytes_received = s->relay.dir[0].bytes,
        .start_ms = s->start_ms,
        .upstream = s->dial.peer ? &s->dial.peer->addr : NULL,
    };

    gw_access_log(ls, &entry);
    gw_relay_fini(&s->relay);
    if (s->upstream) {
        gw_upstream_release(ls->upstream, s->dial.peer, 0, gw_now_ms);
        gw_conn_close(s->upstream);
    } else {
        gw_dial_cancel(&s->dial);
    }
    gw_conn_close(s->client);
    free(s);
}

static void
on_accept(gw_conn_t *c)
{
    tcp_session_t *s = calloc(1, sizeof(*s));

    if (s == NULL || gw_conns_reserve(1) != 0) {
        gw_conn_log(GW_LOG_CRIT, c, s ? 0 : ENOMEM, "cannot start a session");
        free(s);
        gw_conn_close(c);
        return;
    }
    s->client = c;
    s->start_ms = gw_now_ms;
    s->status = 200;
    gw_relay_init(&s->relay, c, NULL);
    c->ctx = s;
    c->action = "connecting to upstream";
    c->on_read = on_client_wait;
    c->on_write = on_client_wait;
    gw_timer_init(&c->timer, on_idle_timer);
    gw_dial_start(&s->dial, c->ls->upstream, c, on_connected, s);
}

/*
 * Until the upstream answers, a client event only matters if the client
 * reset the connection: early bytes and a FIN stay queued in the socket
 * and are relayed (the FIN passed on) once the upstream is there. Plain
 * data (no hang-up seen) needs no system call at all.
 */
static void
on_client_wait(gw_conn_t *c)
{
    char    byte;
    ssize_t n;

    if (!c->hup) {
        return;
    }
    n = recv(c->fd, &byte, 1, MSG_PEEK);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        tcp_session_t *s = c->ctx;

        gw_conn_log(GW_LOG_INFO, c, errno, "client connection failed");
        s->status = 499;    /* nginx's "client closed request" */
        session_close(s);
    }
}

static void
on_connected(gw_dial_t *d, gw_conn_t *upstream)
{
    tcp_session_t            *s = d->data;
    const gw_conf_listener_t *conf = s->client->ls->conf;

    if (upstream == NULL) {
        s->status = d->status;
        session_close(s);
        return;
    }
    s->upstream = upstream;
    s->client->peer = upstream;
    upstream->ctx = s;
    upstream->on_read = on_relay;
    upstream->on_write = on_relay;
    gw_timer_init(&upstream->timer, on_send_timer);
    s->client->on_read = on_relay;
    s->client->on_write = on_relay;
    s->client->action = "proxying";
    upstream->action = "proxying";
    s->relay.side[1] = upstream;
    s->idle_deadline_ms = gw_now_ms + conf->idle_timeout_ms;
    if (conf->idle_timeout_ms) {
        gw_timer_set_at(&s->client->timer, s->idle_deadline_ms);
    }
    on_relay(s->client);
}

/* Keep send_timeout armed exactly while bytes wait for a slow reader. */
static void
update_send_timer(tcp_session_t *s, uint64_t send_timeout_ms)
{
    if (!gw_relay_is_blocked(&s->relay) || send_timeout_ms == 0) {
        gw_timer_del(&s->upstream->timer);
        return;
    }
    if (s->relay.progress || !gw_timer_is_armed(&s->upstream->timer)) {
        s->send_deadline_ms = gw_now_ms + send_timeout_ms;
        if (!gw_timer_is_armed(&s->upstream->timer)) {
            gw_timer_set_at(&s->upstream->timer, s->send_deadline_ms);
        }
    }
}

static void
on_relay(gw_conn_t *c)
{
    tcp_session_t            *s = c->ctx;
    const gw_conf_listener_t *conf = s->client->ls->conf;
    int                       rc = gw_relay_pump(&s->relay);

    if (rc == GW_RELAY_ERROR) {
        gw_conn_t *side = s->relay.side[s->relay.error_side];

        gw_conn_log(GW_LOG_INFO, side, s->relay.error, "%s",
                    side->upstream ? "upstream connection failed"
                                   : "client connection failed");
        session_close(s);
        return;
    }
    if (rc == GW_RELAY_DONE) {
        session_close(s);
        return;
    }
    if (s->relay.progress) {
        /* lazy: the idle timer keeps its slot and is pushed when it fires */
        s->idle_deadline_ms = gw_now_ms + conf->idle_timeout_ms;
    }
    update_send_timer(s, conf->send_timeout_ms);
    if (s->relay.more) {
        gw_loop_post(s->client);
    }
}

static void
expire(gw_timer_t *t, uint64_t deadline_ms, const char *what)
{
    gw_conn_t *c = gw_container_of(t, gw_conn_t, timer);

    if (gw_timer_lazy_expired(t, deadline_ms)) {
        gw_conn_log(GW_LOG_INFO, c, ETIMEDOUT, "%s", what);
        session_close(c->ctx);
    }
}

static void
on_idle_timer(gw_timer_t *t)
{
    tcp_session_t *s = gw_container_of(t, gw_conn_t, timer)->ctx;

    expire(t, s->idle_deadline_ms, "idle timeout");
}

static void
on_send_timer(gw_timer_t *t)
{
    tcp_session_t *s = gw_container_of(t, gw_conn_t, timer)->ctx;

    expire(t, s->send_deadline_ms, "send timeout");
}
