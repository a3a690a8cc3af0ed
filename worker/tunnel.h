/*
 * worker/tunnel.h: two connected sockets relayed both ways under the
 * listener's idle_timeout and send_timeout: a tcp session once its
 * upstream is there, a SOCKS5 CONNECT or BIND once replied.
 *
 *   timer of      what it bounds
 *   the client    idle_timeout: no byte either way (lazy: traffic moves the
 *                 deadline, the timer catches up when it fires)
 *   the upstream  send_timeout: bytes held for a side that takes none
 *
 * The tunnel takes over both connections' callbacks, ctx and timers. It
 * ends once: both directions finished, a socket failed, or a timer
 * passed; then end() runs and the owner logs, calls gw_tunnel_fini() and
 * closes both sockets.
 */
#ifndef GW_TUNNEL_H
#define GW_TUNNEL_H

#include <stdint.h>

#include "worker/conn.h"
#include "worker/relay.h"

typedef struct gw_tunnel gw_tunnel_t;
typedef void gw_tunnel_end_fn(gw_tunnel_t *t);

struct gw_tunnel {
    gw_relay_t        relay;
    uint64_t          idle_deadline_ms;
    uint64_t          send_deadline_ms;
    gw_tunnel_end_fn *end;      /* set by the owner before the start */
};

/*
 * Relay CLIENT and UPSTREAM (both connected, same listener). EARLY holds
 * client bytes that arrived before the tunnel (a handshake's tail), which
 * go first; the tunnel owns it after (NULL: none). Pumps at once: end()
 * may run before this returns.
 */
void gw_tunnel_start(gw_tunnel_t *t, gw_conn_t *client, gw_conn_t *upstream,
                     gw_buf_t *early);

/* Give back what the relay borrowed (the sockets stay the owner's). */
void gw_tunnel_fini(gw_tunnel_t *t);

#endif
