/*
 * worker/socks5_session.h: one SOCKS5 client connection, shared by the
 * files of the socks5 handler (socks5.c: handshake, CONNECT, BIND;
 * socks5_udp.c: UDP ASSOCIATE). Not for other handlers.
 */
#ifndef GW_SOCKS5_SESSION_H
#define GW_SOCKS5_SESSION_H

#include <stdint.h>

#include "common/socks5.h"
#include "worker/conn.h"
#include "worker/dial.h"
#include "worker/resolver.h"
#include "worker/tunnel.h"

/* greeting (257) + auth (513) + request (262) in one write, and then some */
#define SOCKS5_IN_MAX 1536

typedef struct socks5_udp socks5_udp_t;

/* Where a session is (the table at the top of socks5.c). */
enum {
    PH_GREETING, PH_AUTH, PH_REQUEST, PH_RESOLVING, PH_CONNECTING,
    PH_BINDING, PH_UDP, PH_TUNNEL
};

typedef struct socks5_session {
    gw_conn_t           *client;
    gw_conn_t           *other;     /* upstream, BIND listener or peer,
                                     * or the UDP relay socket */
    int                  phase;     /* enum in socks5.c */
    char                 in[SOCKS5_IN_MAX];
    size_t               in_len;    /* bytes held */
    size_t               in_pos;    /* start of the message being read */
    gw_socks5_request_t  req;       /* its name is a slice of in[] */
    gw_resolve_t         resolve;
    gw_dial_t            dial;
    gw_tunnel_t          tunnel;
    socks5_udp_t        *udp;
    char                 user[256];     /* for the log, "" without auth */
    char                 target[300];   /* "CONNECT host:port", for the log */
    int                  rep;           /* the reply sent; -1: none */
    int                  status;        /* access log status */
    uint64_t             start_ms;
    uint64_t             deadline_ms;   /* the client timer's, lazily */
    uint64_t             bytes_sent;    /* to the client, outside a tunnel */
    uint64_t             bytes_received;
    unsigned             reserved;      /* slots reserved, not yet used */
    unsigned             resolving:1;
    unsigned             dialing:1;
    unsigned             dialed:1;      /* connected: the log's connect time */
} socks5_session_t;

/*
 * Send reply REP naming BND (NULL: 0.0.0.0:0); 0, or -1 when the client
 * did not take all of it (the session should end).
 */
int socks5_reply(socks5_session_t *s, int rep, const gw_sockaddr_t *bnd);

/* End the session: one access log line, everything closed and freed. */
void socks5_close(socks5_session_t *s);

/* Reply REP (a failure) and end the session with STATUS. */
void socks5_fail(socks5_session_t *s, int rep, int status);

/*
 * A socket of TYPE (SOCK_STREAM, SOCK_DGRAM) bound to the address the
 * client reached us on, port chosen by the kernel, that address in
 * *BOUND; the fd, or -1 (logged, saying WHAT it was for).
 */
int socks5_local_socket(socks5_session_t *s, int type, gw_sockaddr_t *bound,
                        const char *what);

/* May the client reach DST (the destination rules: allow_to, deny_to)? */
int socks5_dst_allowed(const socks5_session_t *s, const gw_sockaddr_t *dst);

/* ---- socks5_udp.c ---------------------------------------------------------- */

/* UDP ASSOCIATE, the request parsed: open the relay socket and reply. */
void socks5_udp_start(socks5_session_t *s);

/* Free the association's state (socks5_close calls it). */
void socks5_udp_free(socks5_session_t *s);

#endif
