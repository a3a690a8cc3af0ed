/*
 * worker/conn.h: connection slots.
 *
 * A worker allocates its slots once: worker_connections for client and
 * upstream sockets (the budget), plus a few for its own descriptors (listen
 * sockets), which do not count. Slots come from a free list.
 *
 * epoll's data carries (slot index, generation); closing a slot bumps its
 * generation, so an event queued for a socket closed earlier in the same
 * batch is recognised as stale and dropped, and a slot may be reused at
 * once (nginx's instance bit, HAProxy's fd generation).
 *
 * The handler that accepted a connection owns it until gw_conn_close().
 * The loop calls on_read / on_write and knows nothing of protocols.
 * Readiness is edge-triggered: read_ready / write_ready stay set until a
 * recv/send says EAGAIN, so a handler that stopped reading (backpressure)
 * resumes without a new event.
 */
#ifndef GW_CONN_H
#define GW_CONN_H

#include <stdarg.h>
#include <stdint.h>

#include "common/addr.h"
#include "worker/timer.h"

typedef struct gw_conn gw_conn_t;
typedef struct gw_listener gw_listener_t;
typedef void gw_io_fn(gw_conn_t *c);

struct gw_conn {
    int                  fd;        /* -1 while the slot is free */
    uint32_t             gen;       /* bumped when the slot is closed */
    gw_io_fn            *on_read;   /* set by the handler as its state moves */
    gw_io_fn            *on_write;
    gw_timer_t           timer;     /* one deadline, the handler's to use */
    gw_conn_t           *peer;      /* other half of a tunnel, or NULL */
    const gw_listener_t *ls;        /* config and handler of the listener */
    void                *ctx;       /* handler state */
    const char          *action;    /* "connecting to upstream", for logs */
    gw_sockaddr_t        addr;      /* client: its address; upstream: server */
    gw_conn_t           *next;      /* free list */
    uint32_t             index;
    unsigned             read_ready:1;
    unsigned             write_ready:1;
    unsigned             hup:1;         /* the peer shut down or reset */
    unsigned             counted:1;     /* takes a worker_connections slot */
    unsigned             upstream:1;    /* we dialed it */
    unsigned             datagram:1;    /* a UDP socket */
    unsigned             watched:1;     /* registered with epoll */
    unsigned             accepted:1;    /* a listener's client: its counters */
    unsigned             limited:1;     /* counted by limit_conn */
    unsigned             over_limit:1;  /* past limit_conn: http says 429 */
    unsigned             proxy_protocol:1;  /* listen socket: PROXY headers */
};

/* Slots for BUDGET counted connections and EXTRA uncounted; 0 or -1. */
int gw_conns_init(unsigned budget, unsigned extra);

/* Flags of gw_conn_open(). */
#define GW_CONN_COUNTED   0x1   /* counts against worker_connections */
#define GW_CONN_RESERVED  0x2   /* ... using a slot reserved earlier */
#define GW_CONN_UPSTREAM  0x4
#define GW_CONN_LAZY      0x8   /* not in epoll until gw_conn_watch() */

/*
 * Take a slot for the non-blocking socket FD and register it with epoll
 * (edge-triggered, read and write). Returns NULL when no slot is left or
 * epoll refuses; the caller still owns FD then.
 */
gw_conn_t *gw_conn_open(int fd, unsigned flags);

/*
 * Register a GW_CONN_LAZY connection with epoll (no-op once done). Until
 * then it gets no events: a handler that answers a request straight from
 * accept never pays for the registration. Returns 0 or -1 (errno).
 */
int gw_conn_watch(gw_conn_t *c);

/*
 * Close the socket and free the slot: timer deleted, descriptor closed
 * (which leaves epoll), generation bumped, slot back on the free list.
 * The caller must not touch C afterwards, and the handler must have
 * returned its buffers and context first.
 */
void gw_conn_close(gw_conn_t *c);

/* Keep GAUGE (shared memory) equal to the counted slots in use. */
void gw_conns_count_into(uint64_t *gauge);

/* Counted slots neither used nor reserved. */
unsigned gw_conns_available(void);

/* Counted slots in use (for graceful stop: wait until this is 0). */
unsigned gw_conns_active(void);

/* Reserve N counted slots for a later gw_conn_open(GW_CONN_RESERVED);
 * 0, or -1 when fewer are available. */
int gw_conns_reserve(unsigned n);
void gw_conns_unreserve(unsigned n);

/* The slot by index, for the loop (NULL when out of range). */
gw_conn_t *gw_conn_by_index(uint32_t index);

/* Called whenever a counted slot frees up (the accept loop resumes). */
void gw_conns_on_free(void (*fn)(void));

/*
 * Slots short: FN may close up to N connections nobody waits on (idle
 * pooled upstream connections) and returns how many it closed.
 */
void gw_conns_on_pressure(unsigned (*fn)(unsigned n));

/* Ask the pressure hook to free up to N slots; how many it freed. */
unsigned gw_conns_reclaim(unsigned n);

/*
 * Make the coming gw_conn_close() of C a reset (SO_LINGER 0): for a peer
 * that timed out taking nothing, whose unsent bytes would otherwise keep
 * kernel memory until it reads or the kernel gives up (nginx's
 * reset_timedout_connection).
 */
void gw_conn_reset_on_close(gw_conn_t *c);

/*
 * Read and drop what C's peer sends until the socket is drained: 0, or
 * -1 when the peer closed or the connection failed (the caller closes).
 */
int gw_conn_drain(gw_conn_t *c);

/*
 * A session of SIZE zeroed bytes for the accepted connection C, with one
 * counted slot reserved for its other side (an upstream socket). NULL
 * when either cannot be had: C is closed then (logged), the handler
 * returns.
 */
void *gw_conn_session_new(gw_conn_t *c, size_t size);

/*
 * Has the peer of C gone, while nothing reads C (its other half is not
 * there yet)? Looks only once epoll saw a hang-up, with a peek that
 * leaves queued bytes in place. A reset always counts; a FIN only when
 * EOF_COUNTS (for a tunnel a FIN is a half-close, to be passed on).
 */
int gw_conn_peer_gone(gw_conn_t *c, int eof_counts);

/*
 * Log about a connection, nginx style: "MESSAGE (ERR: text) while ACTION,
 * client: A, listener: L, upstream: U".
 */
void gw_conn_log(int level, const gw_conn_t *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
