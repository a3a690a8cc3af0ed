/*
 * worker/upstream.h: upstream groups at run time and their balancers.
 *
 * Built by each worker from the configuration; all state here is per
 * worker: smooth round-robin weights, failure counts (max_fails within
 * fail_timeout), active connection counts for least_conn, the random
 * generator. Workers do not share what they learn about a server; each
 * finds a dead server on its own (nginx behaves the same way).
 *
 * Peers are one per resolved address: primaries first, then backups. A
 * `resolve` server holds GW_RESOLVE_SLOTS peers, vacant while its name has
 * fewer addresses; worker/discovery.c fills and empties them. A peer
 * emptied while connections use it keeps its counts until they end.
 *
 * With health_check, the shared `down` flag of a peer's counters (set by
 * the checking worker, worker/health.c) takes it out in every worker.
 */
#ifndef GW_UPSTREAM_H
#define GW_UPSTREAM_H

#include <stdint.h>

#include "common/addr.h"
#include "conf/conf.h"

typedef struct gw_peer {
    gw_sockaddr_t   addr;
    char            name[GW_ADDR_STRLEN];   /* "127.0.0.1:9000" */
    const char     *server;                 /* as configured */
    const gw_conf_server_t *conf;
    unsigned        weight;
    unsigned        max_fails;
    uint64_t        fail_timeout_ms;
    unsigned        backup:1;
    unsigned        down:1;
    unsigned        vacant:1;               /* a `resolve` slot unused now */

    int             current_weight;         /* smooth weighted round robin */
    unsigned        fails;                  /* within fail_timeout */
    uint64_t        failed_at_ms;
    unsigned        active;                 /* open connections (least_conn) */
    struct gw_stat_server *stats;           /* shared counters, or NULL */
} gw_peer_t;

typedef struct gw_ring_point {
    uint32_t        hash;
    uint32_t        peer;
} gw_ring_point_t;

typedef struct gw_upstream {
    const gw_conf_upstream_t *conf;
    int                       balance;
    gw_peer_t                *peers;
    unsigned                  n_peers;
    unsigned                  n_primary;    /* peers[0 .. n_primary) */
    unsigned                  primary_weight;
    gw_ring_point_t          *ring;         /* consistent_hash, sorted */
    unsigned                  n_ring;
    uint64_t                  rng;          /* xorshift state for random */
} gw_upstream_t;

/* One client's choice across retries: which peers it has tried. */
typedef struct gw_pick {
    uint64_t                  tried[GW_MAX_PEERS / 64];
    unsigned                  n_tried;
    unsigned                  max_tries;    /* 0: every peer once */
    const gw_sockaddr_t      *client;       /* key of the hashing balancers */
} gw_pick_t;

/* Runtime state for a configured group; NULL when out of memory. */
gw_upstream_t *gw_upstream_new(const gw_conf_upstream_t *conf);
void gw_upstream_free(gw_upstream_t *u);

/* Start a pick for CLIENT with at most MAX_TRIES peers (0: all). */
void gw_pick_init(gw_pick_t *pick, const gw_sockaddr_t *client,
                  unsigned max_tries);

/*
 * The next peer to try, by the group's balancer, skipping peers down,
 * failed within fail_timeout, or tried already; backups only when no
 * primary is left. Counts the peer active. NULL when none is left.
 */
gw_peer_t *gw_upstream_pick(gw_upstream_t *u, gw_pick_t *pick, uint64_t now);

/* The connection to a picked peer is up: its failure count restarts. */
void gw_upstream_connected(gw_peer_t *p);

/*
 * The peer is no longer used by this client: not active any more, and
 * when FAILED, one more failure within fail_timeout (max_fails of them
 * take it out of rotation for fail_timeout).
 */
void gw_upstream_release(gw_upstream_t *u, gw_peer_t *p, int failed,
                         uint64_t now);

/* Put ADDR in the vacant slot P (of a `resolve` server), or empty it. */
void gw_peer_fill(gw_upstream_t *u, gw_peer_t *p, const gw_sockaddr_t *addr);
void gw_peer_empty(gw_upstream_t *u, gw_peer_t *p);

/* Peers changed: consistent_hash rebuilds its ring. */
void gw_upstream_changed(gw_upstream_t *u);

/* Is the peer usable now (not down, not failed within fail_timeout)? */
int gw_peer_is_usable(const gw_upstream_t *u, const gw_peer_t *p,
                      uint64_t now);

#endif
