/*
 * worker/discovery.c: re-resolving `resolve` servers (see discovery.h).
 *
 *   timer ── gw_resolve ── answer ── empty the slots whose address left,
 *     ^                              fill vacant ones with new addresses
 *     └──────────── resolver_cache (at least 1 s) ──────────┘
 *
 * The next look-up is timed from the answer, so it finds the resolver's
 * cached answer expired and asks again.
 */
#include <errno.h>
#include <stdlib.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/discovery.h"
#include "worker/resolver.h"
#include "worker/timer.h"

#define MIN_INTERVAL_MS 1000

typedef struct watch {
    gw_upstream_t  *u;
    gw_peer_t      *slots;          /* GW_RESOLVE_SLOTS of them */
    char            host[256];
    uint16_t        port;
    gw_resolve_t    resolve;
    gw_timer_t      timer;
} watch_t;

static uint64_t interval_ms;

static int
has_addr(const gw_sockaddr_t *addrs, unsigned n, const gw_sockaddr_t *a)
{
    for (unsigned i = 0; i < n; i++) {
        if (gw_sockaddr_eq(&addrs[i], a)) {
            return 1;
        }
    }
    return 0;
}

static int
in_slots(const watch_t *w, const gw_sockaddr_t *a)
{
    for (unsigned i = 0; i < GW_RESOLVE_SLOTS; i++) {
        if (!w->slots[i].vacant && gw_sockaddr_eq(&w->slots[i].addr, a)) {
            return 1;
        }
    }
    return 0;
}

/* A vacant slot, one no connection still counts on if there is one. */
static gw_peer_t *
vacant_slot(watch_t *w)
{
    gw_peer_t *any = NULL;

    for (unsigned i = 0; i < GW_RESOLVE_SLOTS; i++) {
        gw_peer_t *p = &w->slots[i];

        if (p->vacant && p->active == 0) {
            return p;
        }
        any = p->vacant && any == NULL ? p : any;
    }
    return any;
}

static void
apply(watch_t *w, const gw_sockaddr_t *addrs, unsigned n)
{
    unsigned changed = 0;

    for (unsigned i = 0; i < GW_RESOLVE_SLOTS; i++) {
        gw_peer_t *p = &w->slots[i];

        if (!p->vacant && !has_addr(addrs, n, &p->addr)) {
            gw_log(GW_LOG_NOTICE, 0, "upstream \"%s\": server %s no longer "
                   "has address %s", w->u->conf->name, p->server, p->name);
            gw_peer_empty(w->u, p);
            changed++;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        gw_peer_t *p;

        if (in_slots(w, &addrs[i]) || (p = vacant_slot(w)) == NULL) {
            continue;
        }
        gw_peer_fill(w->u, p, &addrs[i]);
        gw_log(GW_LOG_NOTICE, 0, "upstream \"%s\": server %s has address %s",
               w->u->conf->name, p->server, p->name);
        changed++;
    }
    if (changed) {
        gw_upstream_changed(w->u);
    }
}

static void
on_resolved(gw_resolve_t *r, int status)
{
    watch_t *w = r->data;

    if (status == GW_RESOLVE_OK) {
        apply(w, r->addrs, r->n_addrs);
    } else {
        gw_log(GW_LOG_WARN, 0, "upstream \"%s\": cannot resolve server %s "
               "(%s), keeping its addresses", w->u->conf->name,
               w->slots[0].server, r->why ? r->why : "no address");
    }
    gw_timer_set(&w->timer, interval_ms);
}

static void
on_timer(gw_timer_t *t)
{
    watch_t *w = gw_container_of(t, watch_t, timer);
    gw_str_t host = gw_str(w->host);

    gw_resolve(&w->resolve, host, w->port, on_resolved, w);
}

static int
watch_server(gw_upstream_t *u, gw_peer_t *first)
{
    watch_t *w = calloc(1, sizeof(*w));

    if (w == NULL) {
        return -1;
    }
    w->u = u;
    w->slots = first;
    if (gw_addr_split(first->server, w->host, sizeof(w->host), &w->port)) {
        free(w);
        errno = EINVAL;
        return -1;
    }
    gw_timer_init(&w->timer, on_timer);
    gw_timer_set(&w->timer, interval_ms);
    return 0;
}

int
gw_discovery_start(const gw_conf_t *conf, gw_upstream_t **ups, unsigned n)
{
    int started = 0;

    interval_ms = conf->resolver_cache_ms > MIN_INTERVAL_MS
                  ? conf->resolver_cache_ms : MIN_INTERVAL_MS;
    for (unsigned i = 0; i < n; i++) {
        gw_upstream_t *u = ups[i];

        for (unsigned k = 0; u && u->conf->n_resolve && k < u->n_peers; k++) {
            /* a resolve server's slots are consecutive: watch the first */
            if (!u->peers[k].conf->resolve
                || (k > 0 && u->peers[k - 1].conf == u->peers[k].conf)) {
                continue;
            }
            if ((!started && gw_resolver_start(conf) != 0)
                || watch_server(u, &u->peers[k]) != 0) {
                return -1;
            }
            started = 1;
        }
    }
    return 0;
}
