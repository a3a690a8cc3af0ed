/*
 * worker/resolver.c: resolver threads, pending queries and the cache (see
 * resolver.h).
 *
 *   loop thread                              resolver thread
 *   gw_resolve: cache? pending query? else
 *     new query -> jobs (mutex) ---------->  getaddrinfo()
 *                                             -> finished (mutex), eventfd
 *   on_eventfd: finished queries: cache them,
 *     call their waiters, free them
 *
 * A query belongs to the thread from the moment it is queued until it is
 * on the finished list; the loop touches only its waiter list meanwhile,
 * which the thread never reads. Cancelling unlinks a waiter, nothing more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/log.h"
#include "worker/conn.h"
#include "worker/resolver.h"

#define NAME_MAX_LEN    255
#define CACHE_BUCKETS   1024
#define CACHE_MAX       4096
#define NEGATIVE_MS     5000        /* a name that failed, at most this long */

typedef struct query {
    struct query   *next;           /* jobs or finished (under lock) */
    struct query   *pending_next;   /* the loop's list of queries in flight */
    char            name[NAME_MAX_LEN + 1];
    uint32_t        hash;
    int             status;
    const char     *why;
    gw_sockaddr_t   addrs[GW_RESOLVE_MAX_ADDRS];    /* port 0 */
    unsigned        n_addrs;
    gw_resolve_t   *waiters;
} query_t;

typedef struct entry {
    struct entry   *next;
    char            name[NAME_MAX_LEN + 1];
    uint32_t        hash;
    uint64_t        expires_ms;
    int             status;
    gw_sockaddr_t   addrs[GW_RESOLVE_MAX_ADDRS];
    unsigned        n_addrs;
} entry_t;

static pthread_mutex_t  lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t   wake = PTHREAD_COND_INITIALIZER;
static query_t         *jobs, *jobs_tail;       /* under lock */
static query_t         *finished;               /* under lock */
static int              efd = -1;

static query_t         *pending;                /* loop only */
static entry_t         *cache[CACHE_BUCKETS];   /* loop only */
static unsigned         cached;
static uint64_t         cache_ms;

/* ---- the threads --------------------------------------------------------- */

static void
run_query(query_t *q)
{
    struct addrinfo hints, *res, *ai;
    int             rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(q->name, NULL, &hints, &res);
    if (rc != 0) {
        q->status = rc == EAI_NONAME || rc == EAI_NODATA
#ifdef EAI_ADDRFAMILY
                    || rc == EAI_ADDRFAMILY
#endif
                    ? GW_RESOLVE_NOT_FOUND : GW_RESOLVE_FAILED;
        q->why = gai_strerror(rc);
        return;
    }
    for (ai = res; ai && q->n_addrs < GW_RESOLVE_MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) {
            memset(&q->addrs[q->n_addrs], 0, sizeof(q->addrs[0]));
            memcpy(&q->addrs[q->n_addrs++], ai->ai_addr, ai->ai_addrlen);
        }
    }
    freeaddrinfo(res);
    q->status = q->n_addrs ? GW_RESOLVE_OK : GW_RESOLVE_NOT_FOUND;
    q->why = q->n_addrs ? NULL : "no address";
}

static void *
thread_main(void *arg)
{
    uint64_t one = 1;

    (void) arg;
    for ( ;; ) {
        query_t *q;

        pthread_mutex_lock(&lock);
        while (jobs == NULL) {
            pthread_cond_wait(&wake, &lock);
        }
        q = jobs;
        jobs = q->next;
        if (jobs == NULL) {
            jobs_tail = NULL;
        }
        pthread_mutex_unlock(&lock);

        run_query(q);

        pthread_mutex_lock(&lock);
        q->next = finished;
        finished = q;
        pthread_mutex_unlock(&lock);
        if (write(efd, &one, sizeof(one)) < 0) {
            /* the counter cannot overflow in practice; nothing to do */
        }
    }
    return NULL;
}

/* ---- the cache (loop only) ------------------------------------------------- */

static uint32_t
name_hash(const char *name)
{
    return gw_hash32(name, strlen(name), 0x7e50);
}

static entry_t *
cache_find(const char *name, uint32_t h)
{
    entry_t **pp = &cache[h % CACHE_BUCKETS];

    while (*pp) {
        entry_t *e = *pp;

        if (e->expires_ms <= gw_now_ms) {       /* expired: drop on the way */
            *pp = e->next;
            free(e);
            cached--;
            continue;
        }
        if (e->hash == h && strcmp(e->name, name) == 0) {
            return e;
        }
        pp = &e->next;
    }
    return NULL;
}

static void
cache_put(const query_t *q)
{
    uint64_t ttl = q->status == GW_RESOLVE_OK ? cache_ms
                   : (cache_ms < NEGATIVE_MS ? cache_ms : NEGATIVE_MS);
    entry_t *e;

    if (ttl == 0 || cached >= CACHE_MAX || q->status == GW_RESOLVE_FAILED
        || (e = malloc(sizeof(*e))) == NULL) {
        return;
    }
    memcpy(e->name, q->name, sizeof(e->name));
    e->hash = q->hash;
    e->expires_ms = gw_now_ms + ttl;
    e->status = q->status;
    memcpy(e->addrs, q->addrs, sizeof(e->addrs));
    e->n_addrs = q->n_addrs;
    e->next = cache[q->hash % CACHE_BUCKETS];
    cache[q->hash % CACHE_BUCKETS] = e;
    cached++;
}

/* ---- answering requesters ---------------------------------------------------- */

static void
set_port(gw_sockaddr_t *a, uint16_t port)
{
    if (a->sa.sa_family == AF_INET6) {
        a->sin6.sin6_port = htons(port);
    } else {
        a->sin.sin_port = htons(port);
    }
}

/* Give R the addresses, with its port. */
static void
answer(gw_resolve_t *r, int status, const char *why,
       const gw_sockaddr_t *addrs, unsigned n)
{
    r->query = NULL;
    r->why = why;
    r->n_addrs = n;
    for (unsigned i = 0; i < n; i++) {
        r->addrs[i] = addrs[i];
        set_port(&r->addrs[i], r->port);
    }
    r->done(r, status);
}

static void
unlink_pending(query_t *q)
{
    for (query_t **pp = &pending; *pp; pp = &(*pp)->pending_next) {
        if (*pp == q) {
            *pp = q->pending_next;
            return;
        }
    }
}

/* The eventfd: queries are back from the threads. */
static void
on_finished(gw_conn_t *c)
{
    uint64_t count;
    query_t *done;

    if (read(c->fd, &count, sizeof(count)) < 0 && errno != EAGAIN) {
        gw_log(GW_LOG_ERROR, errno, "resolver: reading the eventfd failed");
    }
    c->read_ready = 0;
    pthread_mutex_lock(&lock);
    done = finished;
    finished = NULL;
    pthread_mutex_unlock(&lock);
    while (done) {
        query_t *q = done;

        done = q->next;
        unlink_pending(q);
        cache_put(q);
        /* a waiter's done() may start or cancel other look-ups: take each
         * off the list before calling it */
        while (q->waiters) {
            gw_resolve_t *r = q->waiters;

            q->waiters = r->next;
            if (q->waiters) {
                q->waiters->prev = NULL;
            }
            answer(r, q->status, q->why, q->addrs, q->n_addrs);
        }
        free(q);
    }
}

static void
ignore(gw_conn_t *c)
{
    (void) c;
}

/* ---- the requester's side ------------------------------------------------------ */

int
gw_resolver_start(const gw_conf_t *conf)
{
    gw_conn_t *c;

    if (efd != -1) {
        return 0;
    }
    cache_ms = conf->resolver_cache_ms;
    efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd == -1 || (c = gw_conn_open(efd, 0)) == NULL) {
        return -1;
    }
    c->on_read = on_finished;
    c->on_write = ignore;
    c->action = "resolving";
    for (unsigned i = 0; i < conf->resolver_threads; i++) {
        pthread_t      t;
        pthread_attr_t attr;
        int            rc;

        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        rc = pthread_create(&t, &attr, thread_main, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            errno = rc;
            return -1;
        }
    }
    return 0;
}

static query_t *
find_pending(const char *name, uint32_t h)
{
    for (query_t *q = pending; q; q = q->pending_next) {
        if (q->hash == h && strcmp(q->name, name) == 0) {
            return q;
        }
    }
    return NULL;
}

static void
wait_on(gw_resolve_t *r, query_t *q)
{
    r->query = q;
    r->prev = NULL;
    r->next = q->waiters;
    if (q->waiters) {
        q->waiters->prev = r;
    }
    q->waiters = r;
}

/* A new query for NAME, queued for a thread; NULL when out of memory. */
static query_t *
start_query(const char *name, uint32_t h)
{
    query_t *q = calloc(1, sizeof(*q));

    if (q == NULL) {
        return NULL;
    }
    memcpy(q->name, name, strlen(name) + 1);
    q->hash = h;
    q->pending_next = pending;
    pending = q;
    pthread_mutex_lock(&lock);
    if (jobs_tail) {
        jobs_tail->next = q;
    } else {
        jobs = q;
    }
    jobs_tail = q;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    return q;
}

void
gw_resolve(gw_resolve_t *r, gw_str_t host, uint16_t port, gw_resolve_fn *done,
           void *data)
{
    char          name[NAME_MAX_LEN + 1];
    gw_sockaddr_t numeric;
    uint32_t      h;
    entry_t      *e;
    query_t      *q;

    r->done = done;
    r->data = data;
    r->query = NULL;
    r->port = port;
    r->n_addrs = 0;
    if (host.len == 0 || host.len > NAME_MAX_LEN) {
        answer(r, GW_RESOLVE_NOT_FOUND, "invalid name", NULL, 0);
        return;
    }
    memcpy(name, host.data, host.len);
    name[host.len] = '\0';
    if (gw_addr_parse_ip(name, 0, &numeric) == 0) {
        answer(r, GW_RESOLVE_OK, NULL, &numeric, 1);
        return;
    }
    h = name_hash(name);
    if ((e = cache_find(name, h)) != NULL) {
        answer(r, e->status, e->status ? "not found (cached)" : NULL,
               e->addrs, e->n_addrs);
        return;
    }
    q = find_pending(name, h);
    if (q == NULL && (q = start_query(name, h)) == NULL) {
        answer(r, GW_RESOLVE_FAILED, "out of memory", NULL, 0);
        return;
    }
    wait_on(r, q);
}

void
gw_resolve_cancel(gw_resolve_t *r)
{
    query_t *q = r->query;

    if (q == NULL) {
        return;
    }
    if (r->prev) {
        r->prev->next = r->next;
    } else {
        q->waiters = r->next;
    }
    if (r->next) {
        r->next->prev = r->prev;
    }
    r->query = NULL;
}
