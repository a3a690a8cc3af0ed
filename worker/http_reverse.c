/*
 * worker/http_reverse.c: the http_reverse handler. Everything HTTP is in
 * the shared client and exchange code (http_client.c, http_exchange.c);
 * this file decides where a request goes:
 *
 *   route     Host and path through the locations (Go ServeMux rules),
 *             else the listener's proxy_pass, else 404
 *   connect   the group's balancer picks a server; an idle pooled
 *             connection to it is used when there is one, else a new one
 *             is dialed (connect_timeout, next server on failure)
 */
#include <errno.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/http_exchange.h"
#include "worker/http_pool.h"
#include "worker/http_route.h"
#include "worker/listener.h"
#include "worker/proxy_protocol.h"

static void route(gw_http_x_t *x);
static void connect_upstream(gw_http_x_t *x);
static void on_accept(gw_conn_t *c);

static const gw_http_ops_t reverse_ops = {
    .route = route,
    .connect = connect_upstream,
};

const gw_handler_t gw_http_reverse_handler = {
    .name = "http_reverse",
    .conns_per_client = 2,
    .lazy_watch = 1,
    .own_acl = 1,
    .on_accept = on_accept,
    .worker_stop = gw_http_worker_stop,
    .on_stop = gw_http_client_stop,
};

static void
on_accept(gw_conn_t *c)
{
    gw_http_client_start(c, &reverse_ops);
}

/* The group the request goes to, or NULL (404). */
static gw_upstream_t *
find_upstream(const gw_listener_t *ls, const gw_http_msg_t *req)
{
    const gw_conf_location_t *loc;
    gw_str_t                  host = { "", 0 };

    if (req->host >= 0) {
        host = gw_http_host_name(req->headers[req->host].value);
    }
    loc = gw_http_route(ls->conf, host, gw_http_target_path(req->target));
    if (loc) {
        return ls->loc_upstreams[loc - ls->conf->locations];
    }
    return ls->upstream;
}

static void
route(gw_http_x_t *x)
{
    const gw_listener_t *ls = x->client->conn->ls;
    const gw_http_msg_t *req = x->req;

    if (req->target.data[0] != '/') {
        /* absolute-form and "*" are for forward proxies */
        gw_http_x_respond(x, 400, 1, NULL);
        return;
    }
    x->upstream = find_upstream(ls, req);
    if (x->upstream == NULL) {
        gw_http_x_respond(x, 404, 0, NULL);
        return;
    }
    if (req->host < 0) {
        /* an HTTP/1.0 request without Host goes on as HTTP/1.1, which must
         * have one: the upstream's name, as nginx's $proxy_host */
        x->host = gw_str(x->upstream->conf->name);
    }
    /* a connection that carried a client's PROXY header is that client's:
     * it is never pooled (nor one from the pool used) */
    if (gw_http_x_write_head(x, ls->conf->proxy_protocol
                                ? 0 : x->upstream->conf->keepalive,
                             x->upstream->conf->keepalive_timeout_ms) != 0) {
        return;
    }
    gw_pick_init(&x->dial.pick, &x->client->conn->addr,
                 ls->conf->next_upstream_tries);
    connect_upstream(x);
}

static void
on_dialed(gw_dial_t *d, gw_conn_t *up)
{
    gw_http_x_t *x = d->data;

    x->dialing = 0;
    if (up == NULL) {
        gw_http_x_respond(x, d->status, 0, NULL);
        return;
    }
    if (up->ls->conf->proxy_protocol
        && gw_proxy_send(up, x->client->conn, up->ls->conf->proxy_protocol)) {
        gw_conn_log(GW_LOG_ERROR, up, errno, "cannot send the PROXY header");
        gw_upstream_release(x->upstream, d->peer, 1, gw_now_ms);
        gw_conn_close(up);
        gw_http_x_respond(x, 502, 0, NULL);
        return;
    }
    x->peer = d->peer;
    gw_http_x_connected(x, up, 0);
}

static void
connect_upstream(gw_http_x_t *x)
{
    gw_conn_t *client = x->client->conn;
    gw_peer_t *peer;
    gw_conn_t *idle;

    if (x->retry_same) {
        /* a pooled connection was stale: the same server may try again */
        gw_pick_init(&x->dial.pick, &client->addr,
                     client->ls->conf->next_upstream_tries);
        x->retry_same = 0;
    }
    peer = gw_upstream_pick(x->upstream, &x->dial.pick, gw_now_ms);
    if (peer == NULL) {
        gw_conn_log(GW_LOG_ERROR, client, 0, "no live upstreams in \"%s\"",
                    x->upstream->conf->name);
        /* after a failed try, what failed says it (504 on a timeout) */
        gw_http_x_respond(x, x->retried ? x->fail_status : 502, 0, NULL);
        return;
    }
    idle = x->retried || client->ls->conf->proxy_protocol
           ? NULL : gw_http_pool_get(&peer->addr);
    if (idle) {
        x->peer = peer;
        gw_http_x_connected(x, idle, 1);
        return;
    }
    if (gw_http_x_reserve(x) != 0) {
        gw_upstream_release(x->upstream, peer, 0, gw_now_ms);
        gw_conn_log(GW_LOG_ERROR, client, 0,
                    "worker_connections are not enough for the upstream");
        gw_stats_refused(client->ls, GW_REFUSED_BUDGET);
        gw_http_x_respond(x, 503, 0, NULL);
        return;
    }
    x->dialing = 1;
    gw_dial_start_at(&x->dial, x->upstream, client, peer, &x->dial.pick,
                     on_dialed, x);
}
