/*
 * worker/limits.c: the shared table of client counts (see limits.h).
 *
 * Keys are the listener's name hashed with the client's IP (an IPv4
 * address as its IPv4-mapped IPv6 form); the hash picks the shard, a
 * scan of its 64 entries finds the key. Time is the wall clock in ms, the
 * same in every process.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/log.h"
#include "worker/limits.h"

/* One request. limit_req_rate is in thousandths of a request a minute,
 * so each ms adds that many tokens: 60000 ms * 1000 = one request. */
#define TOKEN 60000000

typedef struct entry {
    uint32_t    listener;           /* hash of the listener's name; 0: empty */
    uint8_t     ip[16];
    uint32_t    conns;
    uint64_t    tokens;             /* TOKEN per request */
    uint64_t    refilled_ms;
    uint64_t    seen;               /* shard clock of the last use */
} entry_t;

typedef struct shard {
    pthread_mutex_t lock;
    uint64_t        clock;
    entry_t         entries[GW_LIMITS_PER_SHARD];
} shard_t;

static shard_t *shards;

int
gw_limits_create(void)
{
    pthread_mutexattr_t attr;
    void               *p;

    if (shards) {
        return 0;
    }
    p = mmap(NULL, sizeof(shard_t) * GW_LIMITS_SHARDS, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return -1;
    }
    shards = p;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    for (unsigned i = 0; i < GW_LIMITS_SHARDS; i++) {
        pthread_mutex_init(&shards[i].lock, &attr);
    }
    pthread_mutexattr_destroy(&attr);
    return 0;
}

static void
key_of(const gw_sockaddr_t *a, uint8_t ip[16])
{
    const uint8_t *b;
    size_t         n = gw_sockaddr_ip_bytes(a, &b);

    memset(ip, 0, 16);
    if (n == 4) {
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, b, 4);
    } else {
        memcpy(ip, b, n < 16 ? n : 16);
    }
}

static shard_t *
lock(const gw_listener_t *ls, const gw_sockaddr_t *client, uint32_t *id,
     uint8_t ip[16])
{
    shard_t *s;

    if (shards == NULL) {
        return NULL;
    }
    key_of(client, ip);
    *id = gw_hash32(ls->name, strlen(ls->name), 1) | 1;    /* never 0 */
    s = &shards[gw_hash32(ip, 16, *id) % GW_LIMITS_SHARDS];
    if (pthread_mutex_lock(&s->lock) == EOWNERDEAD) {
        /* its holder died mid-update: at worst one count is off */
        pthread_mutex_consistent(&s->lock);
    }
    return s;
}

/* Is E a better entry to give a new client than V? */
static int
better_victim(const entry_t *e, const entry_t *v)
{
    if (v == NULL || e->listener == 0) {
        return v == NULL || v->listener != 0;
    }
    if (v->listener == 0) {
        return 0;
    }
    if ((e->conns == 0) != (v->conns == 0)) {
        return e->conns == 0;
    }
    return e->seen < v->seen;
}

/* The entry of the key; with CREATE, a new one if there is none. */
static entry_t *
find(shard_t *s, uint32_t id, const uint8_t ip[16], int create)
{
    entry_t *victim = NULL;

    for (unsigned i = 0; i < GW_LIMITS_PER_SHARD; i++) {
        entry_t *e = &s->entries[i];

        if (e->listener == id && memcmp(e->ip, ip, 16) == 0) {
            e->seen = ++s->clock;
            return e;
        }
        /* empty first, then the least recently seen, idle ones before busy */
        if (better_victim(e, victim)) {
            victim = e;
        }
    }
    if (!create) {
        return NULL;
    }
    memset(victim, 0, sizeof(*victim));
    victim->listener = id;
    memcpy(victim->ip, ip, 16);
    victim->seen = ++s->clock;
    victim->tokens = UINT64_MAX;        /* a new client's bucket is full */
    return victim;
}

int
gw_limit_conn_acquire(const gw_listener_t *ls, const gw_sockaddr_t *client)
{
    uint8_t   ip[16];
    uint32_t  id;
    shard_t  *s = lock(ls, client, &id, ip);
    entry_t  *e;
    int       ok;

    if (s == NULL) {
        return 1;
    }
    e = find(s, id, ip, 1);
    ok = e->conns < ls->conf->limit_conn;
    e->conns += (uint32_t) ok;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

void
gw_limit_conn_release(const gw_listener_t *ls, const gw_sockaddr_t *client)
{
    uint8_t   ip[16];
    uint32_t  id;
    shard_t  *s = lock(ls, client, &id, ip);
    entry_t  *e;

    if (s == NULL) {
        return;
    }
    /* an entry evicted meanwhile took its count with it */
    if ((e = find(s, id, ip, 0)) != NULL && e->conns > 0) {
        e->conns--;
    }
    pthread_mutex_unlock(&s->lock);
}

int
gw_limit_req_allow(const gw_listener_t *ls, const gw_sockaddr_t *client)
{
    const gw_conf_listener_t *conf = ls->conf;
    uint64_t                  cap = (1 + (uint64_t) conf->limit_req_burst)
                                    * TOKEN;
    uint8_t                   ip[16];
    uint32_t                  id;
    shard_t                  *s = lock(ls, client, &id, ip);
    entry_t                  *e;
    int                       ok;

    if (s == NULL) {
        return 1;
    }
    e = find(s, id, ip, 1);
    if (e->tokens > cap) {
        e->tokens = cap;
    } else if (gw_wall_ms > e->refilled_ms) {
        uint64_t dt = gw_wall_ms - e->refilled_ms;
        uint64_t add = dt > cap / conf->limit_req_rate
                       ? cap : dt * conf->limit_req_rate;

        e->tokens = cap - e->tokens < add ? cap : e->tokens + add;
    }
    e->refilled_ms = gw_wall_ms;
    ok = e->tokens >= TOKEN;
    e->tokens -= ok ? TOKEN : 0;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

unsigned
gw_limits_tracked(void)
{
    unsigned n = 0;

    for (unsigned i = 0; shards && i < GW_LIMITS_SHARDS; i++) {
        for (unsigned k = 0; k < GW_LIMITS_PER_SHARD; k++) {
            n += shards[i].entries[k].listener != 0;
        }
    }
    return n;
}
