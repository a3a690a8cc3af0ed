/*
 * worker/http_proxy.h: rewriting HTTP heads on their way through a proxy
 * (SPEC, RFC 9110 7.6), shared by http_reverse and http_forward.
 *
 * Hop-by-hop fields never pass: Connection and every field it names,
 * Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding and
 * Content-Length (the proxy frames the body itself), Upgrade outside an
 * upgrade, Proxy-Authorization and Proxy-Authenticate. Requests gain the
 * client in X-Forwarded-For (appended); through a reverse proxy also
 * X-Real-IP (when absent) and X-Forwarded-Proto: http, which describe the
 * front end an origin sits behind; a forward proxy adds Via instead, to
 * requests and responses (RFC 9110 7.6.3). Heads are written as fresh
 * CRLF-terminated lines into a buffer; a head that does not fit is
 * refused (-1).
 */
#ifndef GW_HTTP_PROXY_H
#define GW_HTTP_PROXY_H

#include "common/addr.h"
#include "common/buf.h"
#include "common/http.h"

typedef struct gw_http_upstream_req {
    gw_str_t             client_ip; /* for X-Forwarded-For, X-Real-IP */
    gw_str_t             target;    /* for the request line (origin-form) */
    gw_str_t             host;      /* Host to send; .data NULL: the client's */
    int                  body;      /* framing toward the origin */
    unsigned             keepalive:1;   /* the connection may be reused */
    unsigned             upgrade:1;     /* pass Upgrade, Connection: upgrade */
    unsigned             forward:1;     /* a forward proxy's (see above) */
} gw_http_upstream_req_t;

/* The request head for the origin, appended to OUT; 0, or -1 (no room). */
int gw_http_write_request(gw_buf_t *out, const gw_http_msg_t *req,
                          const gw_http_upstream_req_t *u);

typedef struct gw_http_client_resp {
    int      body;              /* framing toward the client */
    uint64_t content_length;    /* GW_HTTP_BODY_LENGTH */
    unsigned keepalive:1;       /* the client connection stays open */
    unsigned client_minor:1;    /* the client's HTTP/1.minor */
    unsigned upgrade:1;         /* a 101: pass Upgrade */
    unsigned via:1;             /* add Via: 1.1 gateway (forward proxy) */
} gw_http_client_resp_t;

/* The response head for the client, appended to OUT; 0 or -1. */
int gw_http_write_response(gw_buf_t *out, const gw_http_msg_t *resp,
                           const gw_http_client_resp_t *c);

/*
 * A response of our own: STATUS, a one-line text body, and EXTRA header
 * lines ("Name: value\r\n"..., may be NULL). CLOSE adds Connection: close.
 */
int gw_http_write_error(gw_buf_t *out, int status, int close,
                        const char *extra);

/* Is this field hop-by-hop for MSG (fixed list or named in Connection)? */
int gw_http_is_hop_by_hop(const gw_http_msg_t *msg, gw_str_t name,
                          int upgrade);

#endif
