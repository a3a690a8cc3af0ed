/*
 * worker/listener.c: runtime listeners, listen sockets and the accept loop
 * (see listener.h).
 *
 * Accept states of a listen socket:
 *
 *   waiting ── EPOLLIN ──> accepting ── EAGAIN ──────────> waiting
 *                              │  ── budget full ─────────> paused
 *                              └─ EMFILE/ENFILE ─────────> backing off
 *   paused ── a slot frees (gw_listeners_resume) ──> accepting
 *   backing off ── 100 ms timer ──> accepting
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "worker/access.h"
#include "worker/discovery.h"
#include "worker/health.h"
#include "worker/limits.h"
#include "worker/proxy_protocol.h"
#include "worker/listener.h"
#include "worker/stats.h"
#include "worker/loop.h"
#include "worker/worker.h"

#define ACCEPT_BACKOFF_MS 100

static gw_listener_t  *listeners;
static unsigned        n_listeners;
static gw_upstream_t **upstreams;       /* parallel to conf->upstreams */
static gw_conn_t     **sockets;         /* this slot's listen sockets */
static unsigned        n_sockets;
static int             any_paused;

static void accept_ready(gw_conn_t *lc);

static unsigned worker_processes;     /* of the running configuration */

static void
noop(gw_conn_t *c)
{
    (void) c;
}

static int
acl_allows(const gw_conf_acl_t *rules, unsigned n, const gw_sockaddr_t *a)
{
    for (unsigned i = 0; i < n; i++) {
        if (gw_cidr_match(&rules[i].cidr, a)) {
            return rules[i].allow;
        }
    }
    return 1;
}

unsigned
gw_listeners_worker_processes(void)
{
    return worker_processes;
}

void
gw_stats_refused(const gw_listener_t *ls, int why)
{
    if (ls->stats) {
        gw_stat_add(why == GW_REFUSED_ACL ? &ls->stats->refused_acl
                    : why == GW_REFUSED_LIMIT ? &ls->stats->refused_limit
                    : &ls->stats->refused_budget, GW_REFUSED_ACL);
    }
}

int
gw_acl_allows(const gw_conf_listener_t *conf, const gw_sockaddr_t *a)
{
    return acl_allows(conf->acl, conf->n_acl, a);
}

int
gw_acl_allows_to(const gw_conf_listener_t *conf, const gw_sockaddr_t *a)
{
    return acl_allows(conf->dst_acl, conf->n_dst_acl, a);
}

unsigned
gw_acl_filter_to(const gw_conf_listener_t *conf, gw_sockaddr_t *addrs,
                 unsigned n)
{
    unsigned kept = 0;

    for (unsigned i = 0; i < n; i++) {
        if (gw_acl_allows_to(conf, &addrs[i])) {
            addrs[kept++] = addrs[i];
        }
    }
    return kept;
}

/* Refuse C with STATUS (403 by a rule, 429 by a limit): logged, closed. */
static void
refuse(gw_conn_t *c, int status, const char *why)
{
    gw_access_t entry = { .client = &c->addr, .status = status,
                          .start_ms = gw_now_ms };

    gw_conn_log(GW_LOG_INFO, c, 0, "%s", why);
    gw_stats_refused(c->ls, status == 403 ? GW_REFUSED_ACL : GW_REFUSED_LIMIT);
    gw_access_log(c->ls, &entry);
    gw_conn_close(c);
}

static int
is_http(const gw_listener_t *ls)
{
    return ls->conf->handler == GW_HANDLER_HTTP_REVERSE
           || ls->conf->handler == GW_HANDLER_HTTP_FORWARD;
}

void
gw_listener_admit(gw_conn_t *c)
{
    const gw_listener_t      *ls = c->ls;
    const gw_conf_listener_t *conf = ls->conf;

    if (!ls->handler->own_acl && !gw_acl_allows(conf, &c->addr)) {
        refuse(c, 403, "access forbidden by rule");
        return;
    }
    if (conf->limit_conn) {
        if (gw_limit_conn_acquire(ls, &c->addr)) {
            c->limited = 1;
        } else if (is_http(ls)) {
            c->over_limit = 1;          /* its requests get 429 */
        } else {
            refuse(c, 429, "limiting connections by limit_conn");
            return;
        }
    }
    /* http counts requests (worker/http_client.c), the others sessions */
    if (conf->limit_req_rate && !is_http(ls)
        && !gw_limit_req_allow(ls, &c->addr)) {
        refuse(c, 429, "limiting requests by limit_req");
        return;
    }
    if (ls->stats) {
        c->accepted = 1;
        gw_stat_add(&ls->stats->accepted, 1);
        gw_stat_add(&ls->stats->active, 1);
    }
    ls->handler->on_accept(c);
}

static void
on_backoff_end(gw_timer_t *t)
{
    accept_ready(gw_container_of(t, gw_conn_t, timer));
}

/* Out of descriptors: stop for a moment, keep serving open connections. */
static void
back_off(gw_conn_t *lc, int err)
{
    gw_log(GW_LOG_CRIT, err, "accept4() failed on listener %s, "
           "pausing %d ms", lc->ls->name, ACCEPT_BACKOFF_MS);
    gw_timer_init(&lc->timer, on_backoff_end);
    gw_timer_set(&lc->timer, ACCEPT_BACKOFF_MS);
}

/* Room for one more client, closing idle pooled connections if need be. */
static int
has_room(const gw_listener_t *ls)
{
    unsigned need = ls->handler->conns_per_client;

    if (gw_conns_available() < need) {
        gw_conns_reclaim(need - gw_conns_available());
    }
    return gw_conns_available() >= need;
}

static void
accept_ready(gw_conn_t *lc)
{
    const gw_listener_t *ls = lc->ls;

    while (lc->read_ready && !gw_timer_is_armed(&lc->timer)) {
        gw_sockaddr_t addr;
        socklen_t     len = sizeof(addr);
        gw_conn_t    *c;
        int           fd;

        if (!has_room(ls)) {
            any_paused = 1;     /* the backlog holds the rest */
            return;
        }
        fd = accept4(lc->fd, &addr.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                lc->read_ready = 0;
            } else if (errno == EMFILE || errno == ENFILE
                       || errno == ENOBUFS || errno == ENOMEM) {
                back_off(lc, errno);
            } else if (errno != EINTR && errno != ECONNABORTED) {
                gw_log(GW_LOG_ERROR, errno, "accept4() failed on listener %s",
                       ls->name);
                return;
            }
            continue;
        }
        c = gw_conn_open(fd, GW_CONN_COUNTED
                             | (ls->handler->lazy_watch && !lc->proxy_protocol
                                ? GW_CONN_LAZY : 0));
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->addr = addr;
        c->ls = ls;
        if (lc->proxy_protocol) {
            gw_proxy_accept(c);         /* the header gives the address */
        } else {
            gw_listener_admit(c);
        }
    }
}

void
gw_listeners_resume(void)
{
    if (!any_paused) {
        return;
    }
    any_paused = 0;
    for (unsigned i = 0; i < n_sockets; i++) {
        if (sockets[i] && !sockets[i]->datagram && sockets[i]->read_ready) {
            accept_ready(sockets[i]);
        }
    }
}

/*
 * A stream socket is closed: the master keeps the queue for the next
 * worker of the slot. A datagram socket is only taken out of the loop:
 * open sessions still send their replies through it.
 */
/* Tell each handler in use, then each client connection, of the stop. */
static void
stop_handlers(void)
{
    const gw_handler_t *done[GW_HANDLER_COUNT] = { 0 };
    gw_conn_t          *c;

    for (unsigned i = 0; i < n_listeners; i++) {
        const gw_handler_t *h = listeners[i].handler;
        unsigned            k = (unsigned) listeners[i].conf->handler;

        if (!done[k] && h->worker_stop) {
            h->worker_stop();
        }
        done[k] = h;
    }
    /* a callback may close other slots too: they read as free (fd -1) */
    for (uint32_t i = 0; (c = gw_conn_by_index(i)) != NULL; i++) {
        if (c->fd != -1 && c->counted && !c->upstream && c->ls
            && c->ls->handler->on_stop) {
            c->ls->handler->on_stop(c);
        }
    }
}

void
gw_listeners_stop(void)
{
    for (unsigned i = 0; i < n_sockets; i++) {
        if (sockets[i] && sockets[i]->datagram) {
            gw_loop_del(sockets[i]);
            sockets[i]->on_read = noop;     /* a posted read, too */
        } else if (sockets[i]) {
            gw_conn_close(sockets[i]);
        }
        sockets[i] = NULL;
    }
    any_paused = 0;
    stop_handlers();
}

/* Each handler that some listener uses sets up its worker state once. */
static int
init_handlers(const gw_conf_t *conf, char *err)
{
    const gw_handler_t *done[GW_HANDLER_COUNT] = { 0 };

    for (unsigned i = 0; i < n_listeners; i++) {
        const gw_handler_t *h = listeners[i].handler;
        unsigned            k = (unsigned) listeners[i].conf->handler;

        if (done[k] || h->worker_init == NULL) {
            continue;
        }
        done[k] = h;
        if (h->worker_init(conf) != 0) {
            snprintf(err, GW_ERR_LEN, "handler %s cannot start: %s", h->name,
                     strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* This worker's state for a configured upstream group (NULL for NULL). */
static gw_upstream_t *
runtime_upstream(const gw_conf_t *conf, const gw_conf_upstream_t *u)
{
    for (unsigned k = 0; u && k < conf->n_upstreams; k++) {
        if (conf->upstreams[k] == u) {
            return upstreams[k];
        }
    }
    return NULL;
}

static int
build_listener(const gw_cycle_t *cycle, unsigned i, char *err)
{
    const gw_conf_t          *conf = cycle->conf;
    const gw_conf_listener_t *lc = conf->listeners[i];
    gw_listener_t            *ls = &listeners[i];

    ls->conf = lc;
    ls->name = gw_conf_listener_name(lc);
    ls->handler = gw_handler_find(lc->handler);
    if (ls->handler == NULL) {
        snprintf(err, GW_ERR_LEN, "handler %s is not available",
                 gw_handler_names[lc->handler]);
        return -1;
    }
    ls->upstream = runtime_upstream(conf, lc->proxy_pass.upstream);
    if (lc->n_locations) {
        ls->loc_upstreams = calloc(lc->n_locations, sizeof(gw_upstream_t *));
        if (ls->loc_upstreams == NULL) {
            snprintf(err, GW_ERR_LEN, "out of memory");
            return -1;
        }
        for (unsigned k = 0; k < lc->n_locations; k++) {
            ls->loc_upstreams[k] = runtime_upstream(
                conf, lc->locations[k].proxy_pass.upstream);
        }
    }
    ls->access_log = cycle->access_logs[i];    /* opened by the master */
    if (lc->log_format
        && (ls->log_format = gw_access_compile(lc->log_format)) == NULL) {
        snprintf(err, GW_ERR_LEN, "out of memory");
        return -1;
    }
    ls->stats = gw_stats_listener(ls->name);
    return 0;
}

static int
register_sockets(const gw_cycle_t *cycle, unsigned slot, char *err)
{
    sockets = calloc(cycle->n_sockets ? cycle->n_sockets : 1,
                     sizeof(*sockets));
    if (sockets == NULL) {
        snprintf(err, GW_ERR_LEN, "out of memory");
        return -1;
    }
    n_sockets = cycle->n_sockets;
    for (unsigned i = 0; i < cycle->n_sockets; i++) {
        const gw_listen_socket_t *s = &cycle->sockets[i];
        gw_conn_t                *lc = gw_conn_open(s->fds[slot], 0);

        if (lc == NULL) {
            snprintf(err, GW_ERR_LEN, "cannot register a listen socket: %s",
                     strerror(errno));
            return -1;
        }
        lc->ls = &listeners[s->listener];
        if (s->type == SOCK_DGRAM) {
            lc->on_read = lc->ls->handler->on_datagrams;
        } else {
            lc->on_read = accept_ready;
        }
        lc->on_write = noop;
        lc->addr = s->addr;
        lc->datagram = s->type == SOCK_DGRAM;
        lc->proxy_protocol = s->proxy_protocol;
        sockets[i] = lc;
    }
    return 0;
}

int
gw_listeners_start(const gw_cycle_t *cycle, unsigned slot, char *err)
{
    const gw_conf_t *conf = cycle->conf;

    worker_processes = conf->worker_processes;
    upstreams = calloc(conf->n_upstreams + 1, sizeof(*upstreams));
    listeners = calloc(conf->n_listeners + 1, sizeof(*listeners));
    if (upstreams == NULL || listeners == NULL) {
        snprintf(err, GW_ERR_LEN, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < conf->n_upstreams; i++) {
        upstreams[i] = gw_upstream_new(conf->upstreams[i]);
        if (upstreams[i] == NULL) {
            snprintf(err, GW_ERR_LEN, "out of memory");
            return -1;
        }
    }
    if (gw_discovery_start(conf, upstreams, conf->n_upstreams) != 0) {
        snprintf(err, GW_ERR_LEN, "cannot start re-resolving servers: %s",
                 strerror(errno));
        return -1;
    }
    if (gw_health_start(conf, upstreams, conf->n_upstreams, slot) != 0) {
        snprintf(err, GW_ERR_LEN, "cannot start health checks: %s",
                 strerror(errno));
        return -1;
    }
    n_listeners = conf->n_listeners;
    for (unsigned i = 0; i < n_listeners; i++) {
        if (build_listener(cycle, i, err) != 0) {
            return -1;
        }
    }
    if (init_handlers(conf, err) != 0) {
        return -1;
    }
    return register_sockets(cycle, slot, err);
}
