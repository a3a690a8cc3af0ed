/*
 * worker/listener.h: listeners at run time, their listen sockets and the
 * accept loop.
 *
 * A worker turns each configured listener into a gw_listener_t (handler,
 * upstream, access log) and registers its slot's listen sockets. The
 * accept loop takes connections until EAGAIN; when the budget cannot hold
 * another client (worker_connections, counting the upstream side the
 * handler needs), it pauses and the backlog holds the rest until a slot
 * frees. ACLs are checked before the handler sees a connection.
 */
#ifndef GW_LISTENER_H
#define GW_LISTENER_H

#include "common/log.h"
#include "conf/conf.h"
#include "worker/conn.h"
#include "worker/handler.h"
#include "worker/upstream.h"

struct gw_listener {
    const gw_conf_listener_t *conf;
    const gw_handler_t       *handler;
    gw_upstream_t            *upstream;     /* proxy_pass, or NULL */
    gw_upstream_t           **loc_upstreams;/* per location (http_reverse) */
    gw_logfile_t             *access_log;   /* NULL: off */
    struct gw_log_op         *log_format;   /* compiled; NULL: the default */
    struct gw_stat_listener  *stats;        /* shared counters, or NULL */
    const char               *name;         /* name, or first listen address */
};

typedef struct gw_cycle gw_cycle_t;

/*
 * Build the listeners of CYCLE and register the listen sockets of SLOT.
 * Returns 0, or -1 with err written.
 */
int gw_listeners_start(const gw_cycle_t *cycle, unsigned slot, char *err);

/* worker_processes of the configuration this worker runs. */
unsigned gw_listeners_worker_processes(void);

/* Stop accepting: drop this worker's copies of the listen sockets. */
void gw_listeners_stop(void);

/* Resume accept loops that paused for lack of slots, when slots allow. */
void gw_listeners_resume(void);

/*
 * A client's address is final (after the PROXY header, if its listen
 * address takes one): allow/deny, limit_conn, limit_req, then the handler.
 */
void gw_listener_admit(gw_conn_t *c);

/* Count a client refused: by a rule (ACL), for want of slots, by a limit. */
enum { GW_REFUSED_BUDGET = 0, GW_REFUSED_ACL = 1, GW_REFUSED_LIMIT = 2 };
void gw_stats_refused(const gw_listener_t *ls, int why);

/* First matching allow/deny rule wins; no rule matching allows. */
int gw_acl_allows(const gw_conf_listener_t *conf, const gw_sockaddr_t *a);

/* The same for destinations (allow_to / deny_to: http_forward, socks5). */
int gw_acl_allows_to(const gw_conf_listener_t *conf, const gw_sockaddr_t *a);

/* Keep, in order, the N ADDRS the destination rules allow; how many. */
unsigned gw_acl_filter_to(const gw_conf_listener_t *conf, gw_sockaddr_t *addrs,
                          unsigned n);

#endif
