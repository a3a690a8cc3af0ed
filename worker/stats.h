/*
 * worker/stats.h: counters shared by the master and every worker.
 *
 * One anonymous shared mapping, made by the master before the first fork
 * and inherited by every worker of every generation, so the numbers of
 * all workers add up and outlive a worker's restart. It holds:
 *
 *   the master's counters     reloads, failures, start time
 *   one block per slot        connections, restarts
 *   named entries             a listener ("L:name") or an upstream server
 *                             ("S:upstream/address"): created by the master
 *                             for its configuration, kept across reloads
 *                             under the same name, so a listener or a
 *                             server that stays keeps its counts
 *
 * Only the master adds entries (before it forks the workers that use
 * them); workers look theirs up once at start. Counters are updated with
 * relaxed atomic adds: no lock on the hot path, and a reader sees each
 * counter whole (not all of them at one instant).
 */
#ifndef GW_STATS_H
#define GW_STATS_H

#include <stdint.h>

#include "conf/conf.h"

#define GW_STATS_BUCKETS   12       /* response time histogram, + +Inf */
#define GW_STATS_SLOTS     512      /* worker slots (worker_processes max) */

/* Histogram bounds in microseconds (Prometheus "le", in seconds). */
extern const uint64_t gw_stats_bucket_us[GW_STATS_BUCKETS];

typedef struct gw_stat_listener {
    uint64_t accepted;          /* connections (tcp) or sessions (udp) */
    uint64_t active;            /* open now (a gauge) */
    uint64_t refused_acl;       /* allow/deny (and allow_to/deny_to) said no */
    uint64_t refused_budget;    /* worker_connections could not hold it */
    uint64_t refused_limit;     /* limit_conn or limit_req said no */
    uint64_t status[6];         /* requests or sessions ended, by class:
                                 * [1] 1xx .. [5] 5xx, [0] anything else */
    uint64_t bytes_in;          /* from clients */
    uint64_t bytes_out;         /* to clients */
} gw_stat_listener_t;

typedef struct gw_stat_server {
    uint64_t selected;          /* picked by the balancer */
    uint64_t failed;            /* connect or origin failures counted */
    uint64_t active;            /* connections open now (a gauge) */
    uint64_t down;              /* health checks say down (0 or 1) */
    uint64_t checks, checks_failed;
    uint64_t bucket[GW_STATS_BUCKETS];  /* response times: the first bucket
                                         * each fits (the exporter sums) */
    uint64_t time_sum_us;
    uint64_t time_count;
} gw_stat_server_t;

typedef struct gw_stat_slot {
    uint64_t connections;       /* open now, client and upstream sides */
    uint64_t restarts;          /* workers started for the slot after the
                                 * first (crashes, kills) */
    uint64_t pid;
} gw_stat_slot_t;

typedef struct gw_stat_master {
    uint64_t reloads;
    uint64_t reload_failures;
    uint64_t started;           /* Unix time of the master's start */
    uint64_t upgrades;
} gw_stat_master_t;

/* ---- the master --------------------------------------------------------- */

/* Map the region (once, before any fork); 0 or -1 (errno). */
int gw_stats_create(void);

/*
 * Make sure CONF's listeners and servers have entries (existing ones of
 * the same name are kept, counts and all). 0, or -1 when the region is
 * full (counting goes on for the entries there are).
 */
int gw_stats_bind(const gw_conf_t *conf);

gw_stat_master_t *gw_stats_master(void);
gw_stat_slot_t *gw_stats_slot(unsigned slot);

/* ---- anyone --------------------------------------------------------------- */

/* The entry of a listener or a server, or NULL (no region, no entry). */
gw_stat_listener_t *gw_stats_listener(const char *listener);
gw_stat_server_t *gw_stats_server(const char *upstream, const char *addr);

static inline void
gw_stat_add(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static inline void
gw_stat_sub(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_sub(counter, n, __ATOMIC_RELAXED);
}

static inline uint64_t
gw_stat_get(const uint64_t *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* One response time of a server, in microseconds. */
void gw_stats_observe(gw_stat_server_t *s, uint64_t us);

/* The status class slot of an access log status (0 for "other"). */
static inline unsigned
gw_stats_class(int status)
{
    return status >= 100 && status < 600 ? (unsigned) status / 100 : 0;
}

/*
 * Walk the entries for the status pages: FN gets each listener or server
 * entry with its names (SERVER NULL for a listener).
 */
typedef void gw_stats_visit_fn(void *arg, const char *listener,
                               const char *upstream, const char *server,
                               const void *entry);
void gw_stats_each(gw_stats_visit_fn *fn, void *arg);

#endif
