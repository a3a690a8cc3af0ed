/*
 * worker/http_pool.h: idle upstream connections kept for reuse
 * (`keepalive N` of an upstream group: N idle connections per server per
 * worker; `keepalive_timeout`).
 *
 * An idle connection waits in the pool with a timer; if the origin closes
 * it (or sends anything: there is no request for it) it is dropped at
 * once, so a stale connection is rarely handed out. Connections are keyed
 * by the server's address, most recently used first. When the worker runs
 * short of slots, idle connections are closed first (gw_conns_reclaim).
 */
#ifndef GW_HTTP_POOL_H
#define GW_HTTP_POOL_H

#include <stdint.h>

#include "worker/conn.h"

/* An idle connection to ADDR (taken out of the pool), or NULL. */
gw_conn_t *gw_http_pool_get(const gw_sockaddr_t *addr);

/*
 * Keep C (connected to c->addr, nothing pending either way) for reuse,
 * at most MAX per address, for TIMEOUT_MS. A connection that cannot be
 * kept is closed. The pool owns C afterwards.
 */
void gw_http_pool_put(gw_conn_t *c, unsigned max, uint64_t timeout_ms);

/* A graceful stop: close the idle connections, keep none from now on. */
void gw_http_pool_stop(void);

/* Idle connections in the pool (all addresses). */
unsigned gw_http_pool_count(void);

#endif
