/*
 * worker/stats.c: the shared counters region (see stats.h).
 *
 *   header: magic, master counters, slot blocks, entry count
 *   entries[CAPACITY]: kind, live flag, name, counters (a union)
 *
 * The directory (names, count, live flags) is written by the master only;
 * a worker reads the names it needs at start, after the fork, when the
 * entries it needs are there already.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "worker/stats.h"

#define CAPACITY    8192
#define NAME_LEN    160
#define MAGIC       0x67777374u     /* "gwst" */

enum { KIND_FREE = 0, KIND_LISTENER, KIND_SERVER };

typedef struct entry {
    uint32_t kind;
    uint32_t live;                  /* named by the running configuration */
    char     name[NAME_LEN];        /* listener, or "upstream/address" */
    union {
        gw_stat_listener_t listener;
        gw_stat_server_t   server;
    } u;
} entry_t;

typedef struct region {
    uint32_t         magic;
    uint32_t         n_entries;
    gw_stat_master_t master;
    gw_stat_slot_t   slots[GW_STATS_SLOTS];
    entry_t          entries[CAPACITY];
} region_t;

const uint64_t gw_stats_bucket_us[GW_STATS_BUCKETS] = {
    1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
    2500000, 5000000, 10000000
};

static region_t *region;

int
gw_stats_create(void)
{
    void *p;

    if (region) {
        return 0;
    }
    p = mmap(NULL, sizeof(region_t), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return -1;
    }
    region = p;
    region->magic = MAGIC;
    return 0;
}

static entry_t *
find(uint32_t kind, const char *name)
{
    for (uint32_t i = 0; region && i < region->n_entries; i++) {
        entry_t *e = &region->entries[i];

        if (e->kind == kind && strcmp(e->name, name) == 0) {
            return e;
        }
    }
    return NULL;
}

/* The entry for NAME, made when missing; NULL when the region is full. */
static entry_t *
find_or_add(uint32_t kind, const char *name)
{
    entry_t *e = find(kind, name);

    if (e == NULL && region->n_entries < CAPACITY) {
        e = &region->entries[region->n_entries];
        memset(e, 0, sizeof(*e));
        snprintf(e->name, sizeof(e->name), "%s", name);
        e->kind = kind;
        /* the name is whole before a reader counts the entry */
        __atomic_store_n(&region->n_entries, region->n_entries + 1,
                         __ATOMIC_RELEASE);
    }
    if (e) {
        e->live = 1;
    }
    return e;
}

static void
server_name(char *out, size_t size, const char *upstream, const char *addr)
{
    snprintf(out, size, "%s/%s", upstream, addr);
}

int
gw_stats_bind(const gw_conf_t *conf)
{
    char name[NAME_LEN];
    int  full = 0;

    if (region == NULL) {
        return -1;
    }
    for (uint32_t i = 0; i < region->n_entries; i++) {
        region->entries[i].live = 0;
    }
    for (unsigned i = 0; i < conf->n_listeners; i++) {
        full |= find_or_add(KIND_LISTENER, gw_conf_listener_name(conf->listeners[i]))
                == NULL;
    }
    for (unsigned i = 0; i < conf->n_upstreams; i++) {
        const gw_conf_upstream_t *u = conf->upstreams[i];

        for (unsigned s = 0; s < u->n_servers; s++) {
            for (unsigned a = 0; a < u->servers[s].n_addrs; a++) {
                char addr[GW_ADDR_STRLEN];

                gw_sockaddr_format(&u->servers[s].addrs[a], addr, sizeof(addr));
                server_name(name, sizeof(name), u->name, addr);
                full |= find_or_add(KIND_SERVER, name) == NULL;
            }
        }
    }
    return full ? -1 : 0;
}

gw_stat_master_t *
gw_stats_master(void)
{
    return region ? &region->master : NULL;
}

gw_stat_slot_t *
gw_stats_slot(unsigned slot)
{
    return region && slot < GW_STATS_SLOTS ? &region->slots[slot] : NULL;
}

gw_stat_listener_t *
gw_stats_listener(const char *listener)
{
    entry_t *e = find(KIND_LISTENER, listener);

    return e ? &e->u.listener : NULL;
}

gw_stat_server_t *
gw_stats_server(const char *upstream, const char *addr)
{
    char     name[NAME_LEN];
    entry_t *e;

    server_name(name, sizeof(name), upstream, addr);
    e = find(KIND_SERVER, name);
    return e ? &e->u.server : NULL;
}

void
gw_stats_observe(gw_stat_server_t *s, uint64_t us)
{
    if (s == NULL) {
        return;
    }
    for (unsigned i = 0; i < GW_STATS_BUCKETS; i++) {
        if (us <= gw_stats_bucket_us[i]) {
            gw_stat_add(&s->bucket[i], 1);  /* the first bucket it fits */
            break;
        }
    }
    gw_stat_add(&s->time_sum_us, us);
    gw_stat_add(&s->time_count, 1);
}

void
gw_stats_each(gw_stats_visit_fn *fn, void *arg)
{
    uint32_t n = region ? __atomic_load_n(&region->n_entries, __ATOMIC_ACQUIRE)
                        : 0;

    for (uint32_t i = 0; i < n; i++) {
        entry_t *e = &region->entries[i];
        char     upstream[NAME_LEN];
        char    *slash;

        if (!e->live) {
            continue;
        }
        if (e->kind == KIND_LISTENER) {
            fn(arg, e->name, NULL, NULL, &e->u.listener);
            continue;
        }
        snprintf(upstream, sizeof(upstream), "%s", e->name);
        slash = strchr(upstream, '/');
        if (slash) {
            *slash = '\0';
            fn(arg, NULL, upstream, slash + 1, &e->u.server);
        }
    }
}
