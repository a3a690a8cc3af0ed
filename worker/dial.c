/*
 * worker/dial.c: connect to an upstream group or to the addresses of a
 * name, failing over (see dial.h).
 *
 *   try_next ── next ── socket/connect ──┬─ 0 ─────────────── connected
 *      ^                                 ├─ EINPROGRESS ─ wait ─┬─ ok ┘
 *      └──────── failed (count it) ──────┴─ error ──────────────┴─ error,
 *                                                                  timeout
 *
 * "next" is the balancer's pick for a group (failures count against the
 * server), or the next address in order for a name. The first socket
 * takes the slot the caller reserved; a retry reuses the slot the failed
 * socket just gave back, in the same callback.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/dial.h"
#include "worker/listener.h"

static void try_next(gw_dial_t *d);

/* The server's accounting, for dials to a group. */
static void
account(gw_dial_t *d, int failed)
{
    if (d->up && d->peer) {
        gw_upstream_release(d->up, d->peer, failed, gw_now_ms);
    }
}

/* The next address to try, or NULL when none is left. */
static const gw_sockaddr_t *
next_target(gw_dial_t *d)
{
    if (d->up == NULL) {
        return d->next_addr < d->n_addrs ? &d->addrs[d->next_addr++] : NULL;
    }
    if (d->first) {
        d->peer = d->first;             /* picked by the caller */
        d->first = NULL;
    } else {
        d->peer = gw_upstream_pick(d->up, &d->pick, gw_now_ms);
    }
    if (d->peer == NULL && d->pick.n_tried == 0) {
        gw_conn_log(GW_LOG_ERROR, d->client, 0, "no live upstreams in \"%s\"",
                    d->up->conf->name);
    }
    return d->peer ? &d->peer->addr : NULL;
}

static void
finish(gw_dial_t *d, gw_conn_t *upstream)
{
    if (d->reserved) {
        gw_conns_unreserve(1);
        d->reserved = 0;
    }
    d->end_ms = gw_now_ms;
    d->done(d, upstream);
}

static void
connected(gw_dial_t *d)
{
    gw_conn_t *c = d->conn;

    gw_timer_del(&c->timer);
    if (d->peer) {
        gw_upstream_connected(d->peer);
    }
    c->action = NULL;
    c->ctx = NULL;
    c->write_ready = 1;
    d->conn = NULL;
    finish(d, c);
}

/* The try failed: count it against the peer, close, try the next one. */
static void
failed(gw_dial_t *d, int status, int err)
{
    d->error = err;
    account(d, 1);
    gw_conn_close(d->conn);
    d->conn = NULL;
    d->status = status;
    try_next(d);
}

static void
on_timeout(gw_timer_t *t)
{
    gw_conn_t *c = gw_container_of(t, gw_conn_t, timer);
    gw_dial_t *d = c->ctx;

    gw_conn_log(GW_LOG_ERROR, c, ETIMEDOUT, "upstream timed out");
    failed(d, 504, ETIMEDOUT);
}

static void
on_connect_event(gw_conn_t *c)
{
    gw_dial_t *d = c->ctx;
    int        err = 0;
    socklen_t  len = sizeof(err);

    /* writable without a hang-up or error: connected, no need to ask */
    if (c->hup && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
        err = errno;
    }
    if (err == 0 && !c->write_ready) {
        return;                 /* not connected yet */
    }
    if (err != 0) {
        gw_conn_log(GW_LOG_ERROR, c, err, "connect() failed");
        failed(d, 502, err);
        return;
    }
    connected(d);
}

/*
 * A non-blocking socket for the peer with connect() issued, in a slot.
 * Registering after connect() means epoll never sees the unconnected
 * socket (which polls as HUP|OUT). Returns the connection (*rc: 0 or the
 * connect() errno), or NULL when no socket or slot could be had.
 */
static gw_conn_t *
open_socket(gw_dial_t *d, int *rc)
{
    int        one = 1;
    int        fd = socket(d->target->sa.sa_family,
                           SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    gw_conn_t *c;

    if (fd == -1) {
        gw_conn_log(GW_LOG_CRIT, d->client, errno, "socket() failed");
        return NULL;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *rc = connect(fd, &d->target->sa, gw_sockaddr_len(d->target)) == 0
          ? 0 : errno;
    c = gw_conn_open(fd, GW_CONN_UPSTREAM
                         | (d->reserved ? GW_CONN_RESERVED : GW_CONN_COUNTED));
    if (c == NULL) {
        gw_conn_log(GW_LOG_ERROR, d->client, 0,
                    "worker_connections are not enough for the upstream");
        close(fd);
        return NULL;
    }
    d->reserved = 0;
    c->addr = *d->target;
    c->peer = d->client;
    c->ls = d->client->ls;
    c->ctx = d;
    c->action = "connecting to upstream";
    c->on_read = on_connect_event;
    c->on_write = on_connect_event;
    gw_timer_init(&c->timer, on_timeout);
    return c;
}

static void
try_next(gw_dial_t *d)
{
    for ( ;; ) {
        int rc;

        d->target = next_target(d);
        if (d->target == NULL) {
            finish(d, NULL);
            return;
        }
        d->conn = open_socket(d, &rc);
        if (d->conn == NULL) {
            d->error = errno;
            account(d, 0);
            d->status = 502;
            finish(d, NULL);
            return;
        }
        if (rc == 0) {
            connected(d);
            return;
        }
        if (rc == EINPROGRESS) {
            if (d->timeout_ms) {
                gw_timer_set(&d->conn->timer, d->timeout_ms);
            }
            return;
        }
        gw_conn_log(GW_LOG_ERROR, d->conn, rc, "connect() failed");
        d->error = rc;
        account(d, 1);
        gw_conn_close(d->conn);
        d->conn = NULL;
        d->status = 502;
    }
}

static void
init(gw_dial_t *d, gw_upstream_t *up, gw_conn_t *client, gw_dial_fn *done,
     void *data)
{
    d->up = up;
    d->client = client;
    d->done = done;
    d->data = data;
    d->conn = NULL;
    d->peer = NULL;
    d->first = NULL;
    d->addrs = NULL;
    d->n_addrs = d->next_addr = 0;
    d->status = 502;
    d->error = 0;
    d->reserved = 1;
    d->start_ms = gw_now_ms;
    d->end_ms = 0;
    d->timeout_ms = client->ls->conf->connect_timeout_ms;
}

void
gw_dial_start(gw_dial_t *d, gw_upstream_t *up, gw_conn_t *client,
              gw_dial_fn *done, void *data)
{
    init(d, up, client, done, data);
    gw_pick_init(&d->pick, &client->addr,
                 client->ls->conf->next_upstream_tries);
    try_next(d);
}

void
gw_dial_start_at(gw_dial_t *d, gw_upstream_t *up, gw_conn_t *client,
                 gw_peer_t *first, gw_pick_t *pick, gw_dial_fn *done,
                 void *data)
{
    init(d, up, client, done, data);
    if (pick != &d->pick) {
        d->pick = *pick;
    }
    d->first = first;
    try_next(d);
}

void
gw_dial_start_addrs(gw_dial_t *d, const gw_sockaddr_t *addrs, unsigned n,
                    gw_conn_t *client, gw_dial_fn *done, void *data)
{
    init(d, NULL, client, done, data);
    d->addrs = addrs;
    d->n_addrs = n;
    try_next(d);
}

void
gw_dial_cancel(gw_dial_t *d)
{
    if (d->conn) {
        account(d, 0);
        gw_conn_close(d->conn);
        d->conn = NULL;
    }
    if (d->reserved) {
        gw_conns_unreserve(1);
        d->reserved = 0;
    }
}
