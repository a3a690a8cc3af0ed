/*
 * worker/upstream.c: runtime peers of an upstream group, their health
 * accounting, and the consistent-hash ring (see upstream.h). The choice
 * itself is in worker/balance.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/log.h"
#include "worker/stats.h"
#include "worker/upstream.h"

#define RING_POINTS_PER_WEIGHT 160      /* as ketama: ~1/N keys move */

static void
fill_peer(gw_peer_t *p, const gw_conf_server_t *s, const gw_sockaddr_t *a)
{
    if (a) {
        p->addr = *a;
        gw_sockaddr_format(a, p->name, sizeof(p->name));
    } else {
        p->vacant = 1;
    }
    p->conf = s;
    p->server = s->text;
    p->weight = s->weight;
    p->max_fails = s->max_fails;
    p->fail_timeout_ms = s->fail_timeout_ms;
    p->backup = s->backup;
    p->down = s->down;
}

/* Primaries first, then backups, each in configuration order. */
static void
fill_peers(gw_upstream_t *u)
{
    const gw_conf_upstream_t *conf = u->conf;
    unsigned                  n = 0;

    for (int backup = 0; backup <= 1; backup++) {
        for (unsigned i = 0; i < conf->n_servers; i++) {
            const gw_conf_server_t *s = &conf->servers[i];

            if ((int) s->backup != backup) {
                continue;
            }
            for (unsigned j = 0; j < (s->resolve ? GW_RESOLVE_SLOTS
                                                  : s->n_addrs); j++) {
                fill_peer(&u->peers[n++], s,
                          j < s->n_addrs ? &s->addrs[j] : NULL);
                if (!backup) {
                    u->n_primary = n;
                    u->primary_weight += s->weight;
                }
            }
        }
    }
    u->n_peers = n;
}

static int
cmp_point(const void *a, const void *b)
{
    const gw_ring_point_t *x = a, *y = b;

    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/*
 * Each primary gets 160 points per unit of weight, hashed from its address
 * text, so a server keeps its points whatever else is in the group.
 */
static void
fill_ring(gw_upstream_t *u)
{
    unsigned n = 0;

    for (unsigned i = 0; i < u->n_primary; i++) {
        const gw_peer_t *p = &u->peers[i];

        if (p->vacant) {
            continue;
        }
        for (unsigned v = 0; v < p->weight * RING_POINTS_PER_WEIGHT; v++) {
            u->ring[n].hash = gw_hash32(p->name, strlen(p->name), v);
            u->ring[n].peer = i;
            n++;
        }
    }
    u->n_ring = n;
    qsort(u->ring, n, sizeof(*u->ring), cmp_point);
}

/* Room for every slot's points, vacant ones too: a refill never grows. */
static int
build_ring(gw_upstream_t *u)
{
    unsigned max = u->primary_weight * RING_POINTS_PER_WEIGHT;

    u->ring = calloc(max ? max : 1, sizeof(*u->ring));
    if (u->ring == NULL) {
        return -1;
    }
    fill_ring(u);
    return 0;
}

void
gw_upstream_changed(gw_upstream_t *u)
{
    if (u->ring) {
        fill_ring(u);
    }
}

void
gw_peer_fill(gw_upstream_t *u, gw_peer_t *p, const gw_sockaddr_t *addr)
{
    p->addr = *addr;
    gw_sockaddr_format(addr, p->name, sizeof(p->name));
    p->vacant = 0;
    p->fails = 0;
    p->current_weight = 0;
    p->stats = gw_stats_server(u->conf->name, p->name);
}

void
gw_peer_empty(gw_upstream_t *u, gw_peer_t *p)
{
    (void) u;
    p->vacant = 1;
}

gw_upstream_t *
gw_upstream_new(const gw_conf_upstream_t *conf)
{
    gw_upstream_t *u = calloc(1, sizeof(*u));

    if (u == NULL) {
        return NULL;
    }
    u->conf = conf;
    u->balance = conf->balance;
    u->peers = calloc(conf->n_addrs ? conf->n_addrs : 1, sizeof(*u->peers));
    if (u->peers == NULL) {
        free(u);
        return NULL;
    }
    fill_peers(u);
    for (unsigned i = 0; i < u->n_peers; i++) {
        if (!u->peers[i].vacant) {
            u->peers[i].stats = gw_stats_server(conf->name, u->peers[i].name);
        }
    }
    if (u->balance == GW_BALANCE_CONSISTENT_HASH && build_ring(u) != 0) {
        gw_upstream_free(u);
        return NULL;
    }
    /* any odd non-zero seed will do; workers should not agree on it */
    u->rng = ((uint64_t) getpid() << 32) ^ (uint64_t) time(NULL)
             ^ 0x9e3779b97f4a7c15u;
    return u;
}

void
gw_upstream_free(gw_upstream_t *u)
{
    if (u) {
        free(u->ring);
        free(u->peers);
        free(u);
    }
}

int
gw_peer_is_usable(const gw_upstream_t *u, const gw_peer_t *p, uint64_t now)
{
    if (p->down || p->vacant) {
        return 0;
    }
    if (u->conf->health.on && p->stats && gw_stat_get(&p->stats->down)) {
        return 0;
    }
    /* a lone server is never taken out: there is nothing to fail over to */
    if (p->max_fails == 0 || p->fails < p->max_fails || u->n_peers == 1) {
        return 1;
    }
    return now - p->failed_at_ms >= p->fail_timeout_ms;
}

void
gw_upstream_connected(gw_peer_t *p)
{
    p->fails = 0;
}

void
gw_upstream_release(gw_upstream_t *u, gw_peer_t *p, int failed, uint64_t now)
{
    if (p->active) {
        p->active--;
    }
    if (p->stats) {
        gw_stat_sub(&p->stats->active, 1);
        gw_stat_add(&p->stats->failed, failed ? 1 : 0);
    }
    if (!failed) {
        return;
    }
    /* failures count within fail_timeout of the previous one; a server
     * already out of rotation that fails its probe stays out */
    if (p->fails < p->max_fails && now - p->failed_at_ms >= p->fail_timeout_ms) {
        p->fails = 0;
    }
    p->fails++;
    p->failed_at_ms = now;
    if (p->max_fails && p->fails == p->max_fails && u->n_peers > 1) {
        gw_log(GW_LOG_WARN, 0,
               "upstream server %s of \"%s\" failed %u time%s, "
               "skipped for %llums",
               p->name, u->conf->name, p->fails, p->fails == 1 ? "" : "s",
               (unsigned long long) p->fail_timeout_ms);
    }
}
