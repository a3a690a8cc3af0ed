/*
 * worker/health.c: the probes (see health.h).
 *
 *   idle ── interval ── connect ──┬─ tcp: connected ──────────── pass
 *    ^                            └─ http: send GET, read the status line
 *    │                                     2xx, 3xx ─────────── pass
 *    └──────── verdict ───────────── error, timeout, other status: fail
 *
 * One probe per peer slot, each on its own timer: the interval while
 * idle, the timeout while probing. The first probes start at once.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/conn.h"
#include "worker/health.h"
#include "worker/stats.h"

#define RESPONSE_MAX 256            /* enough for any status line */

enum { IDLE, CONNECTING, SENDING, READING };

typedef struct probe {
    gw_upstream_t          *u;
    gw_peer_t              *peer;
    const gw_conf_health_t *conf;
    gw_sockaddr_t           addr;   /* what the counts below are about */
    gw_conn_t              *c;
    gw_timer_t              timer;
    int                     phase;
    unsigned                fails, passes;      /* in a row */
    unsigned                down:1; /* the verdict, when no shared counters */
    char                    buf[RESPONSE_MAX + 1];
    size_t                  len, sent;
} probe_t;

static int
is_down(const probe_t *p)
{
    return p->peer->stats ? gw_stat_get(&p->peer->stats->down) != 0 : p->down;
}

static void
set_down(probe_t *p, int down)
{
    p->down = (unsigned) down;
    if (p->peer->stats) {
        __atomic_store_n(&p->peer->stats->down, (uint64_t) down,
                         __ATOMIC_RELAXED);
    }
}

static void
next_probe(probe_t *p)
{
    if (p->c) {
        gw_conn_close(p->c);
        p->c = NULL;
    }
    p->phase = IDLE;
    gw_timer_set(&p->timer, p->conf->interval_ms);
}

static void
verdict(probe_t *p, int passed, int err, const char *why)
{
    gw_stat_server_t *s = p->peer->stats;

    if (s) {
        gw_stat_add(&s->checks, 1);
        gw_stat_add(&s->checks_failed, passed ? 0 : 1);
    }
    if (passed) {
        p->fails = 0;
        if (++p->passes >= p->conf->passes && is_down(p)) {
            set_down(p, 0);
            gw_log(GW_LOG_NOTICE, 0, "upstream server %s of \"%s\" is up: "
                   "health check passed", p->peer->name, p->u->conf->name);
        }
    } else {
        p->passes = 0;
        if (++p->fails >= p->conf->fails && !is_down(p)) {
            set_down(p, 1);
            gw_log(GW_LOG_WARN, err, "upstream server %s of \"%s\" is down: "
                   "health check failed (%s)", p->peer->name,
                   p->u->conf->name, why);
        }
    }
    next_probe(p);
}

/* "HTTP/1.x NNN": pass for 2xx and 3xx. -1 while the line is not whole. */
static int
status_passes(probe_t *p, int *status)
{
    char *eol = memchr(p->buf, '\n', p->len);

    if (eol == NULL && p->len < RESPONSE_MAX) {
        return -1;
    }
    *status = 0;
    if (p->len >= 12 && memcmp(p->buf, "HTTP/1.", 7) == 0 && p->buf[8] == ' '
        && p->buf[9] >= '1' && p->buf[9] <= '5'
        && p->buf[10] >= '0' && p->buf[10] <= '9'
        && p->buf[11] >= '0' && p->buf[11] <= '9') {
        *status = (p->buf[9] - '0') * 100 + (p->buf[10] - '0') * 10
                  + (p->buf[11] - '0');
    }
    return *status >= 200 && *status < 400;
}

static void
on_read(gw_conn_t *c)
{
    probe_t *p = c->ctx;
    char     why[64];
    int      ok, status;

    if (p->phase != READING) {
        return;
    }
    for ( ;; ) {
        ssize_t n = recv(c->fd, p->buf + p->len, RESPONSE_MAX - p->len, 0);

        if (n > 0) {
            p->len += (size_t) n;
            if ((ok = status_passes(p, &status)) >= 0) {
                snprintf(why, sizeof(why), "status %d", status);
                verdict(p, ok, 0, status ? why : "not an HTTP response");
                return;
            }
            continue;
        }
        if (n == -1 && errno == EINTR) {
            continue;
        }
        if (n == -1 && errno == EAGAIN) {
            c->read_ready = 0;
            return;
        }
        verdict(p, 0, n == 0 ? 0 : errno,
                n == 0 ? "closed before the status line" : "recv() failed");
        return;
    }
}

static void
send_request(probe_t *p)
{
    while (p->sent < p->len) {
        ssize_t n = send(p->c->fd, p->buf + p->sent, p->len - p->sent,
                         MSG_NOSIGNAL);

        if (n == -1) {
            if (errno == EAGAIN) {
                p->c->write_ready = 0;
                return;
            }
            verdict(p, 0, errno, "send() failed");
            return;
        }
        p->sent += (size_t) n;
    }
    p->phase = READING;
    p->len = 0;
    on_read(p->c);
}

static void
on_write(gw_conn_t *c)
{
    probe_t  *p = c->ctx;
    int       err = 0;
    socklen_t len = sizeof(err);

    if (p->phase == SENDING) {
        send_request(p);
        return;
    }
    if (p->phase != CONNECTING) {
        return;
    }
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
        err = errno;
    }
    if (err == 0 && !c->write_ready) {
        return;
    }
    if (err != 0) {
        verdict(p, 0, err, "connect() failed");
        return;
    }
    if (p->conf->uri == NULL) {
        verdict(p, 1, 0, NULL);
        return;
    }
    p->len = (size_t) snprintf(p->buf, sizeof(p->buf),
                               "GET %s HTTP/1.1\r\nHost: %s\r\n"
                               "User-Agent: gateway-health-check\r\n"
                               "Connection: close\r\n\r\n",
                               p->conf->uri, p->peer->server);
    if (p->len >= sizeof(p->buf)) {
        verdict(p, 0, 0, "request too long");
        return;
    }
    p->sent = 0;
    p->phase = SENDING;
    send_request(p);
}

static void
start_probe(probe_t *p)
{
    int fd, one = 1;

    if (p->peer->vacant) {          /* a `resolve` slot with no address now */
        next_probe(p);
        return;
    }
    if (!gw_sockaddr_eq(&p->addr, &p->peer->addr)) {
        p->addr = p->peer->addr;    /* a new address: a fresh count */
        p->fails = p->passes = 0;
    }
    fd = socket(p->addr.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                0);
    if (fd == -1) {
        gw_log(GW_LOG_CRIT, errno, "socket() failed for a health check");
        next_probe(p);
        return;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, &p->addr.sa, gw_sockaddr_len(&p->addr)) == -1
        && errno != EINPROGRESS) {
        int err = errno;

        close(fd);
        verdict(p, 0, err, "connect() failed");
        return;
    }
    if ((p->c = gw_conn_open(fd, GW_CONN_UPSTREAM)) == NULL) {
        close(fd);
        gw_log(GW_LOG_CRIT, 0, "no slot for a health check");
        next_probe(p);
        return;
    }
    p->c->addr = p->addr;
    p->c->ctx = p;
    p->c->action = "health checking";
    p->c->on_read = on_read;
    p->c->on_write = on_write;
    p->phase = CONNECTING;
    p->len = 0;
    gw_timer_set(&p->timer, p->conf->timeout_ms);
}

static void
on_timer(gw_timer_t *t)
{
    probe_t *p = gw_container_of(t, probe_t, timer);

    if (p->phase == IDLE) {
        start_probe(p);
    } else {
        verdict(p, 0, ETIMEDOUT, "timed out");
    }
}

unsigned
gw_health_slots(const gw_conf_t *conf, unsigned slot)
{
    unsigned n = 0;

    for (unsigned i = 0; slot == 0 && i < conf->n_upstreams; i++) {
        n += conf->upstreams[i]->health.on ? conf->upstreams[i]->n_addrs : 0;
    }
    return n;
}

int
gw_health_start(const gw_conf_t *conf, gw_upstream_t **ups, unsigned n,
                unsigned slot)
{
    (void) conf;
    for (unsigned i = 0; slot == 0 && i < n; i++) {
        gw_upstream_t *u = ups[i];
        probe_t       *probes;

        if (u == NULL || !u->conf->health.on) {
            continue;
        }
        if ((probes = calloc(u->n_peers, sizeof(*probes))) == NULL) {
            return -1;
        }
        for (unsigned k = 0; k < u->n_peers; k++) {
            probe_t *p = &probes[k];

            p->u = u;
            p->peer = &u->peers[k];
            p->conf = &u->conf->health;
            p->addr = p->peer->addr;
            gw_timer_init(&p->timer, on_timer);
            gw_timer_set(&p->timer, 0);
        }
    }
    return 0;
}
