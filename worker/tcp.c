/*
 * worker/tcp.c: the tcp handler. Each accepted connection is joined to one
 * upstream server chosen by the balancer, then bytes flow both ways.
 *
 *   state        client timer          upstream timer     next
 *   connecting   -                     connect_timeout    relaying | closed
 *   relaying     idle_timeout (lazy)   send_timeout       closed
 *                                      while blocked      (worker/tunnel.c)
 *
 * While connecting, the client's bytes wait in its socket buffer (nothing
 * is read before the upstream is there). The session owns both sockets;
 * it ends when both directions are finished, on an error, or a timeout,
 * and writes one access log line.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/access.h"
#include "worker/dial.h"
#include "worker/handler.h"
#include "worker/listener.h"
#include "worker/proxy_protocol.h"
#include "worker/tunnel.h"

typedef struct tcp_session {
    gw_conn_t   *client;
    gw_conn_t   *upstream;
    gw_dial_t    dial;
    gw_tunnel_t  tunnel;
    uint64_t     start_ms;
    int          status;
} tcp_session_t;

static void on_client_wait(gw_conn_t *c);
static void on_connected(gw_dial_t *d, gw_conn_t *upstream);
static void on_tunnel_end(gw_tunnel_t *t);
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
        .bytes_sent = s->tunnel.relay.dir[1].bytes,
        .bytes_received = s->tunnel.relay.dir[0].bytes,
        .start_ms = s->start_ms,
        .upstream = s->dial.peer ? &s->dial.peer->addr : NULL,
        .connect_time = s->upstream != NULL,
        .connect_ms = s->dial.end_ms - s->dial.start_ms,
    };

    gw_access_log(ls, &entry);
    gw_tunnel_fini(&s->tunnel);
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
    tcp_session_t *s = gw_conn_session_new(c, sizeof(*s));

    if (s == NULL) {
        return;
    }
    s->client = c;
    s->start_ms = gw_now_ms;
    s->status = 200;
    gw_relay_init(&s->tunnel.relay, c, NULL);
    s->tunnel.end = on_tunnel_end;
    c->ctx = s;
    c->action = "connecting to upstream";
    c->on_read = on_client_wait;
    c->on_write = on_client_wait;
    gw_dial_start(&s->dial, c->ls->upstream, c, on_connected, s);
}

/*
 * Until the upstream answers, a client event only matters if the client
 * reset the connection: early bytes and a FIN stay queued in the socket
 * and are relayed (the FIN passed on) once the upstream is there.
 */
static void
on_client_wait(gw_conn_t *c)
{
    if (gw_conn_peer_gone(c, 0)) {
        tcp_session_t *s = c->ctx;

        gw_conn_log(GW_LOG_INFO, c, errno, "client connection failed");
        s->status = 499;    /* nginx's "client closed request" */
        session_close(s);
    }
}

static void
on_connected(gw_dial_t *d, gw_conn_t *upstream)
{
    tcp_session_t *s = d->data;

    if (upstream == NULL) {
        s->status = d->status;
        session_close(s);
        return;
    }
    if (s->client->ls->conf->proxy_protocol
        && gw_proxy_send(upstream, s->client,
                         s->client->ls->conf->proxy_protocol) != 0) {
        gw_conn_log(GW_LOG_ERROR, upstream, errno,
                    "cannot send the PROXY header");
        gw_upstream_release(s->client->ls->upstream, d->peer, 1, gw_now_ms);
        gw_conn_close(upstream);
        s->status = 502;
        session_close(s);
        return;
    }
    s->upstream = upstream;
    gw_tunnel_start(&s->tunnel, s->client, upstream, NULL);
}

static void
on_tunnel_end(gw_tunnel_t *t)
{
    session_close(gw_container_of(t, tcp_session_t, tunnel));
}
