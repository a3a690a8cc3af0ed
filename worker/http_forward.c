/*
 * worker/http_forward.c: the http_forward handler, a forward proxy. The
 * HTTP work is the shared client and exchange code; this file decides
 * where a request goes:
 *
 *   route     auth (Basic, 407), then the target:
 *               http://host[:port]/path   the request goes there in origin
 *                                         form, Host from the URI, with Via
 *               CONNECT host:port         a tunnel once the origin answers
 *               anything else             400
 *   resolve   the name, without blocking (worker/resolver.c), bounded by
 *             connect_timeout (504); unknown: 502
 *   connect   an idle pooled connection to one of its addresses, else the
 *             addresses in order (connect_timeout each; refused: 502)
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/uri.h"
#include "worker/auth.h"
#include "worker/http_exchange.h"
#include "worker/http_pool.h"
#include "worker/listener.h"

#define KEEPALIVE_PER_ORIGIN    64      /* idle connections per origin address */
#define KEEPALIVE_MS            60000

static void route(gw_http_x_t *x);
static void connect_origin(gw_http_x_t *x);
static void on_accept(gw_conn_t *c);
static int  worker_init(const gw_conf_t *conf);

static const gw_http_ops_t forward_ops = {
    .route = route,
    .connect = connect_origin,
    .forward = 1,
};

const gw_handler_t gw_http_forward_handler = {
    .name = "http_forward",
    .conns_per_client = 2,
    .lazy_watch = 1,
    .own_acl = 1,
    .on_accept = on_accept,
    .worker_stop = gw_http_worker_stop,
    .on_stop = gw_http_client_stop,
    .worker_init = worker_init,
};

static int
worker_init(const gw_conf_t *conf)
{
    return gw_resolver_start(conf);
}

static void
on_accept(gw_conn_t *c)
{
    gw_http_client_start(c, &forward_ops);
}

/* ---- Proxy-Authorization ---------------------------------------------------- */

/* "Basic base64(user:password)" against the auth lines: the line, or NULL. */
static const gw_conf_auth_t *
authorized(const gw_conf_listener_t *conf, const gw_http_msg_t *req)
{
    const gw_http_header_t *h = gw_http_find(req, "proxy-authorization");
    char                    cred[512];
    const char             *colon;
    int                     len;

    if (h == NULL || h->value.len < 6
        || strncasecmp(h->value.data, "basic ", 6) != 0) {
        return NULL;
    }
    len = gw_base64_decode(h->value.data + 6, h->value.len - 6,
                           (unsigned char *) cred, sizeof(cred));
    if (len < 0 || (colon = memchr(cred, ':', (size_t) len)) == NULL) {
        return NULL;
    }
    return gw_auth_check(conf, cred, (size_t) (colon - cred), colon + 1,
                         (size_t) len - (size_t) (colon - cred) - 1);
}

/* ---- routing ------------------------------------------------------------------- */

static void on_resolved(gw_resolve_t *r, int status);

/* Look the origin up, bounded by connect_timeout on the client's timer. */
static void
resolve(gw_http_x_t *x, gw_str_t host, uint16_t port)
{
    gw_http_client_t *cl = x->client;
    uint64_t          t = cl->conn->ls->conf->connect_timeout_ms;

    x->resolving = 1;
    if (t) {
        cl->deadline_ms = gw_now_ms + t;
        gw_timer_set_at(&cl->conn->timer, cl->deadline_ms);
    }
    /* watched, a client that leaves during the look-up is noticed */
    if (gw_conn_watch(cl->conn) != 0) {
        gw_http_client_abort(cl, "cannot watch the connection", errno);
        return;
    }
    gw_resolve(&x->resolve, host, port, on_resolved, x);
}

static void
route_connect(gw_http_x_t *x, const gw_http_msg_t *req)
{
    gw_http_client_t *cl = x->client;
    gw_uri_t          uri;

    if (gw_uri_parse_authority(req->target, &uri) != 0) {
        gw_http_x_respond(x, 400, 1, NULL);
        return;
    }
    /* the head is spent; whatever follows it is the tunnel's */
    cl->in->pos += x->head_len;
    x->req_head_bytes = x->head_len;
    x->head_len = 0;
    x->req = NULL;
    x->tunneling = 1;
    resolve(x, uri.host, uri.port);
}

static void
route(gw_http_x_t *x)
{
    const gw_conf_listener_t *conf = x->client->conn->ls->conf;
    const gw_http_msg_t      *req = x->req;
    gw_uri_t                  uri;

    if (conf->n_auth && (x->auth = authorized(conf, req)) == NULL) {
        gw_conn_log(GW_LOG_INFO, x->client->conn, 0,
                    "proxy authentication required");
        gw_http_x_respond(x, 407, 0,
                          "Proxy-Authenticate: Basic realm=\"gateway\"\r\n");
        return;
    }
    if (gw_str_eq(req->method, "CONNECT")) {
        route_connect(x, req);
        return;
    }
    /* origin form ("/path") is for servers, "https://" goes by CONNECT */
    if (gw_uri_parse_absolute(req->target, &uri) != 0) {
        gw_http_x_respond(x, 400, 0, NULL);
        return;
    }
    x->target = uri.path;
    x->host = uri.authority;
    if (gw_http_x_write_head(x, KEEPALIVE_PER_ORIGIN, KEEPALIVE_MS) != 0) {
        return;
    }
    resolve(x, uri.host, uri.port);
}

/* ---- connecting ------------------------------------------------------------------ */

static void
on_dialed(gw_dial_t *d, gw_conn_t *up)
{
    gw_http_x_t *x = d->data;

    x->dialing = 0;
    if (up == NULL) {
        gw_http_x_respond(x, d->status, 0, NULL);
    } else if (x->tunneling) {
        gw_http_x_tunnel(x, up);
    } else {
        gw_http_x_connected(x, up, 0);
    }
}

static void
on_resolved(gw_resolve_t *r, int status)
{
    gw_http_x_t *x = r->data;

    x->resolving = 0;
    gw_timer_del(&x->client->conn->timer);
    if (status != GW_RESOLVE_OK) {
        gw_conn_log(GW_LOG_ERROR, x->client->conn, 0,
                    "cannot resolve the origin: %s", r->why ? r->why : "?");
        gw_http_x_respond(x, 502, 0, NULL);
        return;
    }
    r->n_addrs = gw_acl_filter_to(x->client->conn->ls->conf, r->addrs,
                                  r->n_addrs);
    if (r->n_addrs == 0) {
        gw_conn_log(GW_LOG_INFO, x->client->conn, 0,
                    "destination forbidden by rule");
        gw_stats_refused(x->client->conn->ls, GW_REFUSED_ACL);
        gw_http_x_respond(x, 403, 0, NULL);
        return;
    }
    connect_origin(x);
}

static void
connect_origin(gw_http_x_t *x)
{
    gw_resolve_t *r = &x->resolve;

    for (unsigned i = 0; !x->tunneling && !x->retried && i < r->n_addrs; i++) {
        gw_conn_t *idle = gw_http_pool_get(&r->addrs[i]);

        if (idle) {
            gw_http_x_connected(x, idle, 1);
            return;
        }
    }
    if (gw_http_x_reserve(x) != 0) {
        gw_conn_log(GW_LOG_ERROR, x->client->conn, 0,
                    "worker_connections are not enough for the origin");
        gw_stats_refused(x->client->conn->ls, GW_REFUSED_BUDGET);
        gw_http_x_respond(x, 503, 0, NULL);
        return;
    }
    x->dialing = 1;
    gw_dial_start_addrs(&x->dial, r->addrs, r->n_addrs, x->client->conn,
                        on_dialed, x);
}
