/*
 * worker/http_exchange.h: the HTTP machinery the http_* handlers share:
 * a client connection (http_client.c) and the exchange of one request
 * with an upstream connection (http_exchange.c). A handler only decides
 * where a request goes (gw_http_ops_t).
 *
 * Client connection:
 *
 *   IDLE ── bytes ──> HEAD ── head parsed ──> BUSY ── exchange done ──┐
 *     ^  (keepalive_      (header_timeout)      (route, upstream,     │
 *     │   timeout)                               bodies both ways)    │
 *     └────────── keep-alive, nothing pipelined <─────────────────────┤
 *                 keep-alive, pipelined bytes: HEAD again <───────────┘
 *
 * Exchange (one request):
 *
 *   ROUTE ── ops->route() ──> CONNECT ── upstream conn ──> SEND/RECV ──> DONE
 *                               │                          request head, body
 *                               └─ failed: 502/504         pumps; response head,
 *                                                          body pump; 101: tunnel
 *
 * Buffers are borrowed for the life of an exchange and given back after,
 * so an idle keep-alive connection holds none.
 */
#ifndef GW_HTTP_EXCHANGE_H
#define GW_HTTP_EXCHANGE_H

#include <stdint.h>

#include "common/buf.h"
#include "common/chunked.h"
#include "common/http.h"
#include "worker/conn.h"
#include "worker/dial.h"
#include "worker/relay.h"
#include "worker/resolver.h"
#include "worker/upstream.h"

typedef struct gw_http_client gw_http_client_t;
typedef struct gw_http_x gw_http_x_t;

typedef struct gw_http_ops {
    /*
     * The request head is parsed (x->req, valid only during this call).
     * Decide where it goes, call gw_http_x_write_head(), then connect (as
     * connect() does); or answer with gw_http_x_respond(). The exchange
     * may be over before this returns.
     */
    void (*route)(gw_http_x_t *x);
    /*
     * Get an upstream connection for a routed exchange (again, after a
     * stale pooled connection: then x->retried is set and the pool is not
     * asked): gw_http_x_connected() when there is one, or
     * gw_http_x_respond() with 502/503/504.
     */
    void (*connect)(gw_http_x_t *x);
    /* a forward proxy: Via both ways, no X-Real-IP / X-Forwarded-Proto */
    unsigned forward:1;
} gw_http_ops_t;

/* How one direction's body is read and written. */
typedef struct gw_http_body_s {   /* (enum gw_http_body names the framings) */
    int          in;            /* enum gw_http_body: framing of the source */
    int          out;           /* framing toward the destination */
    uint64_t     left;          /* GW_HTTP_BODY_LENGTH: bytes still to come */
    gw_chunked_t dec;           /* GW_HTTP_BODY_CHUNKED in */
    uint64_t     bytes;         /* body bytes read from the source */
    unsigned     done:1;        /* the source's message is complete */
    unsigned     end_written:1; /* the last chunk (or nothing) is queued */
} gw_http_body_t;

struct gw_http_x {
    gw_http_client_t *client;
    gw_http_x_t      *next_free;    /* recycled exchanges */
    gw_conn_t        *up;           /* upstream connection, once there */
    gw_upstream_t    *upstream;     /* where it came from (reverse proxy) */
    gw_peer_t        *peer;
    gw_dial_t         dial;
    gw_http_msg_t    *req;          /* the parsed head (while routing) */
    size_t            head_len;     /* bytes of the head in client->in */

    /* the request, as far as the exchange needs it after its head */
    char              line[256];    /* request line, for the access log */
    gw_str_t          target;       /* what goes in the upstream request line */
    gw_str_t          host;         /* Host for upstream; .data NULL: keep */
    size_t            req_head_bytes;   /* the client's head, for the log */
    unsigned          minor:1;      /* client's HTTP/1.minor */
    unsigned          client_keepalive:1;
    unsigned          head:1;       /* a HEAD request */
    unsigned          idempotent:1;
    unsigned          expect_continue:1;
    unsigned          upgrade:1;    /* asked for an Upgrade */
    unsigned          reused:1;     /* the upstream came from the pool */
    unsigned          retried:1;
    unsigned          retry_same:1; /* ... on the same server (stale pool) */
    unsigned          dialing:1;    /* x->dial is in progress */
    unsigned          req_abandoned:1;  /* the origin stopped taking it */
    unsigned          head_sent:1;      /* the request head left whole */
    unsigned          resolving:1;      /* x->resolve is waiting */
    unsigned          has_up_addr:1;
    gw_resolve_t      resolve;          /* http_forward: the origin's name */
    const gw_conf_auth_t *auth;         /* ... the client's credentials */
    uint64_t          connect_ms;       /* the upstream's dial (0: reused) */
    gw_sockaddr_t     up_addr;          /* where the request went, for logs */
    unsigned          responded:1;  /* a byte of the response left for the client */
    unsigned          resp_head_done:1;
    unsigned          up_keepalive:1;   /* the upstream may go back to the pool */
    unsigned          keepalive_max;    /* pool size per server (keepalive N) */
    uint64_t          keepalive_timeout_ms;

    gw_http_body_t    req_body;     /* client -> upstream */
    gw_http_body_t    resp_body;    /* upstream -> client */
    gw_buf_t         *up_out;       /* request head, re-framed body */
    size_t            up_head_len;  /* the head, kept for a retry */
    int               fail_status;  /* 502 or 504: what a failed retry says */
    gw_buf_t         *up_in;        /* response bytes */
    gw_buf_t         *cl_out;       /* response head, re-framed body */
    size_t            resp_parsed;  /* resume point of the head parser */
    int               status;
    uint64_t          start_ms;
    uint64_t          up_start_ms;  /* request sent upstream */
    uint64_t          up_header_ms; /* response head received */
    uint64_t          bytes_to_client;
    uint64_t          read_deadline_ms;
    uint64_t          send_deadline_ms;
    gw_relay_t        tunnel;       /* after a 101 */
    unsigned          tunneling:1;
};

struct gw_http_client {
    gw_conn_t           *conn;
    unsigned             denied:1;  /* allow/deny said no: 403 to all */
    char                 ip[GW_ADDR_STRLEN];    /* the client's address */
    gw_str_t             ip_str;
    const gw_http_ops_t *ops;
    gw_buf_t            *in;        /* request bytes; NULL while idle */
    size_t               parsed;    /* resume point of the head parser */
    gw_http_x_t         *x;         /* the exchange in flight */
    int                  state;
    uint64_t             deadline_ms;
    uint64_t             send_deadline_ms;
    unsigned             requests;
};

/* ---- http_client.c ------------------------------------------------------------ */

/* Take over an accepted connection (the handler's on_accept). */
void gw_http_client_start(gw_conn_t *c, const gw_http_ops_t *ops);

/*
 * Answer the request ourselves (404, 502, 504 ...) and end the exchange.
 * CLOSE: close the client connection after it. EXTRA: header lines or NULL.
 */
void gw_http_x_respond(gw_http_x_t *x, int status, int close,
                       const char *extra);

/* The exchange is over: log, give back, keep the client or close it. */
void gw_http_x_finish(gw_http_x_t *x, int keep_client);

/* The client side can take no more: abort everything. */
void gw_http_client_abort(gw_http_client_t *cl, const char *why, int err);

/* The client socket is readable/writable during an exchange. */
void gw_http_client_event(gw_conn_t *c);

/* A graceful stop (handler hooks): keep-alive ends, idle pooled upstream
 * connections close; then per client: closed if idle, else its answer
 * says Connection: close. */
void gw_http_worker_stop(void);
void gw_http_client_stop(gw_conn_t *c);

/* ---- http_exchange.c ------------------------------------------------------------ */

/*
 * From route(): write the request head for the upstream (x->req, x->target,
 * x->host), with Connection: close unless the upstream connection may be
 * kept (KEEPALIVE idle connections per server, for TIMEOUT_MS). The head
 * leaves the client's buffer. 0, or -1 when it answered the client itself.
 */
int gw_http_x_write_head(gw_http_x_t *x, unsigned keepalive,
                         uint64_t timeout_ms);

/* A slot for a new upstream connection (reserved for the dial); 0 or -1. */
int gw_http_x_reserve(gw_http_x_t *x);

/*
 * UP (connected, or REUSED from the pool) carries the request now: the
 * head is written and both pumps start. The exchange owns UP after.
 */
void gw_http_x_connected(gw_http_x_t *x, gw_conn_t *up, int reused);

/* Move what can move, both ways; called on any event of either side. */
void gw_http_x_pump(gw_http_x_t *x);

/*
 * CONNECT: UP is the origin; answer "200 Connection established" and
 * become a tunnel (the client's bytes after its head go first).
 */
void gw_http_x_tunnel(gw_http_x_t *x, gw_conn_t *up);

/* Close or pool the upstream connection; the exchange no longer has one. */
void gw_http_x_release_upstream(gw_http_x_t *x, int failed);

#endif
