/*
 * worker/balance.c: choosing a peer (see upstream.h).
 *
 *   round_robin      smooth weighted round robin: every usable peer gains
 *                    its weight, the richest is chosen and pays the total
 *                    back; weights 5,1,1 give a a b a c a a, as nginx
 *   least_conn       fewest active connections per unit of weight; ties
 *                    broken by smooth round robin among the tied
 *   random           weighted random
 *   ip_hash          nginx's: IPv4 /24 or the whole IPv6 address, hashed
 *                    onto the weights; an unusable peer re-hashes, and after
 *                    20 misses round robin takes over
 *   consistent_hash  a ring of points per peer; the first point at or after
 *                    the key's hash, walking on past unusable peers
 *
 * Backups are chosen (by round robin) only when no primary is usable.
 */
#include <string.h>

#include "common/hash.h"
#include "worker/stats.h"
#include "worker/upstream.h"

#define IP_HASH_TRIES 20

static int
is_tried(const gw_pick_t *pick, unsigned i)
{
    return (pick->tried[i / 64] >> (i % 64)) & 1;
}

static int
can_use(const gw_upstream_t *u, const gw_pick_t *pick, unsigned i,
        uint64_t now)
{
    return !is_tried(pick, i) && gw_peer_is_usable(u, &u->peers[i], now);
}

/* Smooth weighted round robin over peers [lo, hi) that TIE admits. */
static int
round_robin(gw_upstream_t *u, const gw_pick_t *pick, unsigned lo, unsigned hi,
            uint64_t now, const unsigned char *tie)
{
    gw_peer_t *best = NULL;
    int        total = 0;

    for (unsigned i = lo; i < hi; i++) {
        gw_peer_t *p = &u->peers[i];

        if ((tie && !tie[i]) || !can_use(u, pick, i, now)) {
            continue;
        }
        p->current_weight += (int) p->weight;
        total += (int) p->weight;
        if (best == NULL || p->current_weight > best->current_weight) {
            best = p;
        }
    }
    if (best == NULL) {
        return -1;
    }
    best->current_weight -= total;
    return (int) (best - u->peers);
}

static int
least_conn(gw_upstream_t *u, const gw_pick_t *pick, uint64_t now)
{
    unsigned char tie[GW_MAX_PEERS];
    gw_peer_t    *best = NULL;

    for (unsigned i = 0; i < u->n_primary; i++) {
        gw_peer_t *p = &u->peers[i];

        if (!can_use(u, pick, i, now)) {
            continue;
        }
        /* active/weight < best_active/best_weight, without division */
        if (best == NULL || (uint64_t) p->active * best->weight
                            < (uint64_t) best->active * p->weight) {
            best = p;
        }
    }
    if (best == NULL) {
        return -1;
    }
    for (unsigned i = 0; i < u->n_primary; i++) {
        gw_peer_t *p = &u->peers[i];

        tie[i] = (uint64_t) p->active * best->weight
                 == (uint64_t) best->active * p->weight;
    }
    return round_robin(u, pick, 0, u->n_primary, now, tie);
}

static uint64_t
next_random(gw_upstream_t *u)
{
    /* xorshift64* */
    u->rng ^= u->rng >> 12;
    u->rng ^= u->rng << 25;
    u->rng ^= u->rng >> 27;
    return u->rng * 0x2545f4914f6cdd1dULL;
}

static int
weighted_random(gw_upstream_t *u, const gw_pick_t *pick, uint64_t now)
{
    uint64_t total = 0, r;

    for (unsigned i = 0; i < u->n_primary; i++) {
        if (can_use(u, pick, i, now)) {
            total += u->peers[i].weight;
        }
    }
    if (total == 0) {
        return -1;
    }
    r = (next_random(u) >> 11) % total;
    for (unsigned i = 0; i < u->n_primary; i++) {
        if (!can_use(u, pick, i, now)) {
            continue;
        }
        if (r < u->peers[i].weight) {
            return (int) i;
        }
        r -= u->peers[i].weight;
    }
    return -1;
}

static int
ip_hash(gw_upstream_t *u, const gw_pick_t *pick, uint64_t now)
{
    const uint8_t *key;
    size_t         len;
    unsigned       hash = 89;

    if (pick->client == NULL || u->primary_weight == 0) {
        return round_robin(u, pick, 0, u->n_primary, now, NULL);
    }
    len = gw_sockaddr_ip_bytes(pick->client, &key);
    if (len == 4) {
        len = 3;                /* the /24, as nginx */
    }
    for (int tries = 0; tries < IP_HASH_TRIES; tries++) {
        unsigned w, i = 0;

        for (size_t k = 0; k < len; k++) {
            hash = (hash * 113 + key[k]) % 6271;
        }
        w = hash % u->primary_weight;
        while (w >= u->peers[i].weight) {
            w -= u->peers[i].weight;
            i++;
        }
        if (can_use(u, pick, i, now)) {
            return (int) i;
        }
    }
    return round_robin(u, pick, 0, u->n_primary, now, NULL);
}

static int
consistent_hash(gw_upstream_t *u, const gw_pick_t *pick, uint64_t now)
{
    const uint8_t *key;
    size_t         len;
    uint32_t       h;
    unsigned       lo = 0, hi = u->n_ring;

    if (pick->client == NULL || u->n_ring == 0) {
        return round_robin(u, pick, 0, u->n_primary, now, NULL);
    }
    len = gw_sockaddr_ip_bytes(pick->client, &key);
    h = gw_hash32(key, len, 0);
    while (lo < hi) {           /* first point with hash >= h */
        unsigned mid = lo + (hi - lo) / 2;

        if (u->ring[mid].hash < h) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (unsigned k = 0; k < u->n_ring; k++) {
        unsigned i = u->ring[(lo + k) % u->n_ring].peer;

        if (can_use(u, pick, i, now)) {
            return (int) i;
        }
    }
    return -1;
}

void
gw_pick_init(gw_pick_t *pick, const gw_sockaddr_t *client, unsigned max_tries)
{
    memset(pick->tried, 0, sizeof(pick->tried));
    pick->n_tried = 0;
    pick->max_tries = max_tries;
    pick->client = client;
}

static int
pick_primary(gw_upstream_t *u, const gw_pick_t *pick, uint64_t now)
{
    switch (u->balance) {
    case GW_BALANCE_LEAST_CONN:      return least_conn(u, pick, now);
    case GW_BALANCE_RANDOM:          return weighted_random(u, pick, now);
    case GW_BALANCE_IP_HASH:         return ip_hash(u, pick, now);
    case GW_BALANCE_CONSISTENT_HASH: return consistent_hash(u, pick, now);
    default:
        return round_robin(u, pick, 0, u->n_primary, now, NULL);
    }
}

gw_peer_t *
gw_upstream_pick(gw_upstream_t *u, gw_pick_t *pick, uint64_t now)
{
    int i;

    if (pick->max_tries && pick->n_tried >= pick->max_tries) {
        return NULL;
    }
    i = pick_primary(u, pick, now);
    if (i < 0) {
        i = round_robin(u, pick, u->n_primary, u->n_peers, now, NULL);
    }
    if (i < 0) {
        return NULL;
    }
    pick->tried[i / 64] |= UINT64_C(1) << (i % 64);
    pick->n_tried++;
    u->peers[i].active++;
    if (u->peers[i].stats) {
        gw_stat_add(&u->peers[i].stats->selected, 1);
        gw_stat_add(&u->peers[i].stats->active, 1);
    }
    return &u->peers[i];
}
