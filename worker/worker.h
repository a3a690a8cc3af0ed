/*
 * worker/worker.h: the one door from master/ into the worker.
 *
 * The master builds a cycle (a parsed configuration plus its listen
 * sockets, one per address per worker slot), forks, and the child calls
 * gw_worker_run(cycle, slot). The worker keeps only its slot's sockets.
 */
#ifndef GW_WORKER_H
#define GW_WORKER_H

#include <sys/types.h>

#include "common/addr.h"
#include "common/log.h"
#include "conf/conf.h"
#include "worker/stats.h"      /* the master makes the shared counters */

typedef struct gw_listen_socket {
    gw_sockaddr_t   addr;
    int             type;           /* SOCK_STREAM or SOCK_DGRAM */
    int             backlog;
    unsigned        listener;       /* index in conf->listeners */
    unsigned        proxy_protocol; /* clients come behind a PROXY header */
    int            *fds;            /* one per worker slot */
    unsigned        n_fds;
} gw_listen_socket_t;

struct gw_cycle {
    gw_conf_t          *conf;
    gw_listen_socket_t *sockets;
    unsigned            n_sockets;
    gw_logfile_t      **access_logs;    /* per listener, NULL when off */
    unsigned            generation;     /* bumped by every reload */
};

typedef struct gw_cycle gw_cycle_t;

/*
 * Run a worker for SLOT until it is told to stop; never returns. The
 * caller has forked; signals are blocked on entry.
 */
void gw_worker_run(const gw_cycle_t *cycle, unsigned slot)
    __attribute__((noreturn));

/*
 * The user and group workers run as (`user`, see worker/credentials.c):
 * 0 with *UID (uid_t) -1 when they keep the master's (it is not root),
 * else 0 with both set; -1 (logged) when the user or group is unknown.
 */
int gw_worker_credentials(const gw_conf_t *conf, uid_t *uid, gid_t *gid);

/* In a worker, once what needs root is done: become that user, or exit. */
void gw_worker_drop_privileges(const gw_conf_t *conf);

/*
 * Can this build run every listener of CONF? 0, or -1 with a
 * "MESSAGE in FILE:LINE" in err (a handler from a later issue).
 */
int gw_worker_check_conf(const gw_conf_t *conf, char *err, size_t len);

#endif
