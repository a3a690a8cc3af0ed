/*
 * worker/relay.h: the two-way byte relay of a tunnel (tcp, and later
 * CONNECT and SOCKS5 tunnels).
 *
 * One function moves one direction, src to dst; the pump runs it for both
 * directions with the sides swapped. Bytes go through a 16 KiB buffer
 * until a read fills it, then, for a bulk stream, through a pipe with
 * splice() (no copy to user space). Either way a direction holds at most one window (the pipe
 * or the buffer): while the window is not drained, the source is not read,
 * and the kernel's TCP window pushes back on the sender. Memory per tunnel
 * is bounded whatever the peers do.
 *
 * Half-close: a FIN from one side is passed on with shutdown(SHUT_WR) once
 * everything before it is written. The relay is done when both directions
 * have passed their FIN on.
 */
#ifndef GW_RELAY_H
#define GW_RELAY_H

#include <stdint.h>

#include "common/buf.h"
#include "worker/conn.h"

enum gw_relay_state {
    GW_RELAY_OPEN = 0,
    GW_RELAY_DONE,          /* both directions finished cleanly */
    GW_RELAY_ERROR          /* a socket failed; errno and error_side say */
};

typedef struct gw_relay_dir {
    gw_buf_t   *buf;        /* bytes read, not yet written (buffer mode) */
    int         pipe[2];    /* splice mode: borrowed while bytes wait */
    size_t      in_pipe;
    uint64_t    bytes;      /* delivered to the destination */
    unsigned    eof:1;      /* the source sent its FIN */
    unsigned    shut:1;     /* ... and it was passed on */
    unsigned    splice:1;   /* a bulk stream: moved with splice() */
    unsigned    no_splice:1;/* splice() cannot serve these sockets */
} gw_relay_dir_t;

typedef struct gw_relay {
    gw_conn_t      *side[2];    /* [0] client, [1] upstream */
    gw_relay_dir_t  dir[2];     /* [0] client to upstream, [1] back */
    int             error_side; /* which side failed, for the log */
    int             error;      /* its errno */
    unsigned        progress:1; /* the last pump moved bytes */
    unsigned        more:1;     /* it stopped at its share: pump again soon */
} gw_relay_t;

void gw_relay_init(gw_relay_t *r, gw_conn_t *client, gw_conn_t *upstream);

/*
 * Move bytes both ways as far as the sockets allow now. Returns an
 * enum gw_relay_state; r->progress tells whether anything moved.
 */
int gw_relay_pump(gw_relay_t *r);

/* Bytes wait for a destination that cannot take them (send_timeout). */
int gw_relay_is_blocked(const gw_relay_t *r);

/* Give back pipes and buffers (the sockets are the caller's to close). */
void gw_relay_fini(gw_relay_t *r);

#endif
