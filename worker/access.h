/*
 * worker/access.h: the access log line, one per session or request.
 *
 *   CLIENT [TIME] LISTENER HANDLER "REQUEST" STATUS SENT RECEIVED SECONDS UPSTREAM
 *
 *   127.0.0.1:50312 [24/Nov/2026:11:54:59 +0000] echo tcp "backend" 200 5 5 0.003 127.0.0.1:9000
 *
 * SENT and RECEIVED are bytes to and from the client; REQUEST is the
 * request line, or for a tunnel its target; "-" marks an empty field.
 * udp sessions add two fields: datagrams sent to and received from the
 * client; http requests one: the upstream's response time in seconds (to
 * its response head; "-" when no upstream was asked); socks5 sessions two:
 * the user (RFC 1929; "-" without auth) and the reply code sent, two hex
 * digits ("-" when none was).
 *
 * A listener whose access_log names a log_format writes that instead:
 * its text with each $variable replaced (docs/configuration.md), the
 * values escaped as in the default line, or for JSON with escape=json.
 */
#ifndef GW_ACCESS_H
#define GW_ACCESS_H

#include <stdint.h>

#include "common/addr.h"
#include "worker/listener.h"

typedef struct gw_access {
    const gw_sockaddr_t *client;
    const char          *request;       /* NULL: "-" */
    int                  status;
    uint64_t             bytes_sent;
    uint64_t             bytes_received;
    uint64_t             start_ms;
    const gw_sockaddr_t *upstream;      /* NULL: "-" */
    unsigned             connect_time;  /* upstream_connect_ms is known */
    uint64_t             connect_ms;    /* to the upstream's connect */
    unsigned             http;          /* http: add the upstream's time */
    unsigned             upstream_time; /* ... known (else "-") */
    uint64_t             upstream_ms;   /* to the response head */
    unsigned             datagrams;     /* udp: add the datagram counts */
    uint64_t             dgrams_sent;
    uint64_t             dgrams_received;
    unsigned             socks;         /* socks5: add user and reply */
    const char          *user;          /* NULL or "": "-" */
    int                  rep;           /* -1: "-" */
} gw_access_t;

/* Write the line to the listener's access log, if it has one. */
void gw_access_log(const gw_listener_t *ls, const gw_access_t *a);

/* The listener's log_format, compiled; NULL with errno when out of memory. */
struct gw_log_op *gw_access_compile(const gw_conf_log_format_t *f);

#endif
