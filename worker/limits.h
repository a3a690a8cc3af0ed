/*
 * worker/limits.h: `limit_conn N` and `limit_req RATE [burst=N]`, per
 * client address, counted across every worker.
 *
 * One table in an anonymous shared mapping the master makes before its
 * first fork, so every worker of every generation sees the same counts.
 * An entry is a (listener, client address) pair: its open connections and
 * its token bucket. The table is split in shards, each behind its own
 * process-shared robust mutex (a worker killed while holding one does not
 * stall the others) and with a fixed number of entries: a new client
 * takes an empty entry, else the least recently seen one of its shard
 * (preferring one with no open connection), so memory stays bounded
 * whatever the number of clients.
 *
 * limit_req is a token bucket that holds 1 + burst requests and refills
 * at RATE; a request that finds it empty is refused (at once: no queue).
 */
#ifndef GW_LIMITS_H
#define GW_LIMITS_H

#include <stdint.h>

#include "common/addr.h"
#include "worker/listener.h"

#define GW_LIMITS_SHARDS   256
#define GW_LIMITS_PER_SHARD 64      /* 16384 clients tracked at once */

/* The master maps the table (once); 0 or -1 (errno). */
int gw_limits_create(void);

/* limit_conn: may CLIENT open one more connection? 1 (counted) or 0. */
int gw_limit_conn_acquire(const gw_listener_t *ls, const gw_sockaddr_t *client);

/* ... and the connection counted is closed. */
void gw_limit_conn_release(const gw_listener_t *ls, const gw_sockaddr_t *client);

/* limit_req: may CLIENT make one more request now? 1 (a token taken) or 0. */
int gw_limit_req_allow(const gw_listener_t *ls, const gw_sockaddr_t *client);

/* Clients tracked now (for tests and /status). */
unsigned gw_limits_tracked(void);

#endif
