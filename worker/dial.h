/*
 * worker/dial.h: connecting to an upstream group, server after server.
 *
 * A non-blocking connect() to the peer the balancer picks (or to the next
 * address of a resolved name), bounded by connect_timeout; on refusal,
 * error or timeout the peer's failure is counted and the next peer is
 * tried, up to next_upstream_tries. The
 * connecting socket takes a slot the client reserved at accept.
 *
 * done() gets the connected upstream connection (its callbacks and ctx
 * are the caller's to set), or NULL with d->status 502 (refused, none
 * left) or 504 (the last try timed out). done() may run before
 * gw_dial_start() returns: the caller must return right after starting.
 */
#ifndef GW_DIAL_H
#define GW_DIAL_H

#include "worker/conn.h"
#include "worker/upstream.h"

typedef struct gw_dial gw_dial_t;
typedef void gw_dial_fn(gw_dial_t *d, gw_conn_t *upstream);

struct gw_dial {
    gw_upstream_t  *up;
    gw_pick_t       pick;
    gw_peer_t      *peer;       /* the peer being tried, then the one used */
    gw_peer_t      *first;      /* tried before asking the balancer */
    const gw_sockaddr_t *addrs; /* no group: these, in order */
    unsigned        n_addrs;
    unsigned        next_addr;
    const gw_sockaddr_t *target;/* the address being tried */
    gw_conn_t      *conn;       /* the connecting socket */
    gw_conn_t      *client;     /* for logs: its listener and address */
    uint64_t        timeout_ms; /* connect_timeout; 0: none */
    int             status;     /* on failure: 502 or 504 */
    uint64_t        start_ms;   /* when the dial began */
    uint64_t        end_ms;     /* when done() ran: connected or failed */
    int             error;      /* ... and the last try's errno (ETIMEDOUT
                                 * for our timer; 0: nothing was tried) */
    unsigned        reserved:1; /* still holds the client's reserved slot */
    gw_dial_fn     *done;
    void           *data;       /* the caller's */
};

/*
 * Begin. CLIENT's listener gives the timeout and tries. The caller has
 * reserved one slot (gw_conns_reserve) for the upstream socket; the dial
 * takes that reservation over and gives it back if it is never used.
 */
void gw_dial_start(gw_dial_t *d, gw_upstream_t *up, gw_conn_t *client,
                   gw_dial_fn *done, void *data);

/* The same, trying FIRST (picked by the caller, counted active) first. */
void gw_dial_start_at(gw_dial_t *d, gw_upstream_t *up, gw_conn_t *client,
                      gw_peer_t *first, gw_pick_t *pick, gw_dial_fn *done,
                      void *data);

/*
 * The same for the addresses of a name (no group, no balancer): each in
 * order, connect_timeout each; ADDRS must live until done().
 */
void gw_dial_start_addrs(gw_dial_t *d, const gw_sockaddr_t *addrs,
                         unsigned n, gw_conn_t *client, gw_dial_fn *done,
                         void *data);

/* Abandon a dial in progress (the client went away). */
void gw_dial_cancel(gw_dial_t *d);

#endif
