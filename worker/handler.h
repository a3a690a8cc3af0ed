/*
 * worker/handler.h: what a handler is to the rest of the worker.
 *
 * A small constant table per `handler` value, tied to each listener once
 * at start: the loop never switches over handler kinds. The handler owns
 * an accepted connection from on_accept until it closes it.
 */
#ifndef GW_HANDLER_H
#define GW_HANDLER_H

#include "conf/conf.h"
#include "worker/conn.h"

typedef struct gw_handler {
    const char *name;
    /* slots one client may need at once (tcp: its socket and upstream) */
    unsigned    conns_per_client;
    /* accepted sockets stay out of epoll until the handler watches them */
    unsigned    lazy_watch;
    /* the handler applies allow/deny itself (http answers 403) */
    unsigned    own_acl;
    /* stream listeners: an accepted, ACL-checked connection; c->ls and
     * c->addr are set */
    void      (*on_accept)(gw_conn_t *c);
    /* datagram listeners: the listen socket LC is readable; the handler
     * reads it (and checks ACLs) itself */
    void      (*on_datagrams)(gw_conn_t *lc);
    /* once per worker that runs a listener of this handler; 0 or -1 */
    int       (*worker_init)(const gw_conf_t *conf);
    /* a graceful stop began (QUIT, reload): once per worker, then for
     * each of its client connections C, which it may close if idle;
     * either may be NULL */
    void      (*worker_stop)(void);
    void      (*on_stop)(gw_conn_t *c);
} gw_handler_t;

extern const gw_handler_t gw_tcp_handler;
extern const gw_handler_t gw_udp_handler;
extern const gw_handler_t gw_http_reverse_handler;
extern const gw_handler_t gw_http_forward_handler;
extern const gw_handler_t gw_socks5_handler;
extern const gw_handler_t gw_status_handler;

/* The handler for an enum gw_handler_kind, or NULL if not built yet. */
const gw_handler_t *gw_handler_find(int kind);

#endif
