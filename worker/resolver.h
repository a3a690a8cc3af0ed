/*
 * worker/resolver.h: names resolved without blocking the event loop.
 *
 * Each worker runs resolver_threads threads that call getaddrinfo() (so
 * /etc/hosts and nsswitch count) and hand results back through an eventfd
 * the loop watches. Answers are cached for resolver_cache; look-ups of a
 * name already in flight wait for that one query. A requester that goes
 * away cancels its interest: the query itself lives on until its thread
 * is done with it, and only then is it freed, by the loop.
 *
 * Numeric addresses never reach a thread.
 */
#ifndef GW_RESOLVER_H
#define GW_RESOLVER_H

#include <stdint.h>

#include "common/addr.h"
#include "common/core.h"
#include "conf/conf.h"

#define GW_RESOLVE_MAX_ADDRS 8

enum gw_resolve_status {
    GW_RESOLVE_OK = 0,
    GW_RESOLVE_NOT_FOUND,       /* no such name, or no address for it */
    GW_RESOLVE_FAILED           /* the resolver could not answer */
};

typedef struct gw_resolve gw_resolve_t;
typedef void gw_resolve_fn(gw_resolve_t *r, int status);

/* A requester's look-up; embedded in the requester, which owns it. */
struct gw_resolve {
    gw_resolve_t   *next, *prev;    /* waiters of one query */
    void           *query;          /* while waiting */
    gw_resolve_fn  *done;
    void           *data;
    uint16_t        port;
    gw_sockaddr_t   addrs[GW_RESOLVE_MAX_ADDRS];    /* with the port set */
    unsigned        n_addrs;
    const char     *why;            /* for a failure's log line */
};

/* Threads and the eventfd, once per worker; 0 or -1 (errno). */
int gw_resolver_start(const gw_conf_t *conf);

/*
 * Resolve HOST (a name or a numeric address) for PORT. done() runs once,
 * from the loop, unless cancelled; it may run before this returns (a
 * numeric address, a cached name): the caller returns right after.
 */
void gw_resolve(gw_resolve_t *r, gw_str_t host, uint16_t port,
                gw_resolve_fn *done, void *data);

/* Forget a look-up still waiting; harmless after done(). */
void gw_resolve_cancel(gw_resolve_t *r);

#endif
