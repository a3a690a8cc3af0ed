/*
 * common/http.h: HTTP/1.x message heads (RFC 9112), parsed in place.
 *
 * The parser takes the bytes received so far and either finds a whole
 * head (request line or status line, header fields, empty line) and
 * returns its length, or says it needs more (GW_PARSE_AGAIN), or rejects
 * it (GW_PARSE_ERROR, with the status to answer in msg->error). Names and
 * values are slices of the caller's buffer; nothing is allocated. The
 * caller passes how many bytes it had already offered (last_len): the
 * search for the end of the head resumes there, so feeding one byte at a
 * time costs no more than feeding everything at once. Heads are bounded
 * (max_size, GW_HTTP_MAX_HEADERS), which keeps the final parse cheap.
 *
 * Strict where laxness lets a request be smuggled or split: obsolete line
 * folding, whitespace before the colon, bare CR, NUL and other control
 * bytes in names and values, invalid method tokens and targets, both
 * Content-Length and Transfer-Encoding, differing or malformed
 * Content-Lengths, a Transfer-Encoding whose final coding is not chunked,
 * and Transfer-Encoding in HTTP/1.0 all reject the request with 400
 * (a coding we do not know: 501). A bare LF ends a line, as nginx accepts
 * it: heads are rewritten with CRLF before they go anywhere.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/core.h"

#define GW_HTTP_MAX_HEADERS 100

typedef struct gw_http_header {
    gw_str_t name;
    gw_str_t value;
} gw_http_header_t;

/* How the body of a message is delimited (RFC 9112 section 6.3). */
enum gw_http_body {
    GW_HTTP_BODY_NONE = 0,
    GW_HTTP_BODY_LENGTH,        /* Content-Length bytes */
    GW_HTTP_BODY_CHUNKED,
    GW_HTTP_BODY_CLOSE          /* until the connection closes (responses) */
};

/* Tokens of the Connection header we act on. */
#define GW_HTTP_CONN_CLOSE       0x1
#define GW_HTTP_CONN_KEEP_ALIVE  0x2
#define GW_HTTP_CONN_UPGRADE     0x4

typedef struct gw_http_msg {
    /* request line */
    gw_str_t          method;
    gw_str_t          target;
    /* status line */
    int               status;
    gw_str_t          reason;
    int               minor;            /* HTTP/1.minor: 0 or 1 */

    gw_http_header_t  headers[GW_HTTP_MAX_HEADERS];
    unsigned          n_headers;

    /* what the headers say */
    int               body;             /* enum gw_http_body */
    uint64_t          content_length;
    unsigned          connection;       /* GW_HTTP_CONN_* */
    int               host;             /* index of Host, or -1 */
    unsigned          expect_continue:1;
    unsigned          has_upgrade:1;    /* an Upgrade header */
    unsigned          te_other:1;       /* codings besides chunked (gzip ...) */

    int               error;            /* on GW_PARSE_ERROR: 400, 431 ... */
    const char       *why;              /* ... and a short reason */
} gw_http_msg_t;

/*
 * A request head in buf[0 .. len). Returns the head's length, including
 * any empty lines skipped before the request line; GW_PARSE_AGAIN; or
 * GW_PARSE_ERROR with msg->error 400, 431 (longer than max_size), 501
 * (unknown transfer coding) or 505 (not HTTP/1).
 */
int gw_http_parse_request(const char *buf, size_t len, size_t last_len,
                          size_t max_size, gw_http_msg_t *msg);

/*
 * A response head. Framing depends on the request: pass HEAD when it was a
 * HEAD request. 1xx, 204, 304 and HEAD have no body; a Transfer-Encoding
 * overrides Content-Length; neither means "until close". Errors: 502.
 */
int gw_http_parse_response(const char *buf, size_t len, size_t last_len,
                           size_t max_size, int head, gw_http_msg_t *msg);

/*
 * The next element of a comma-separated list value (RFC 9110 5.6.1): OWS
 * trimmed, empty elements skipped; LIST moves past it. 0 at the end.
 */
int gw_http_next_element(gw_str_t *list, gw_str_t *elt);

/* Case-insensitive comparison of a slice with a lower-case literal. */
int gw_http_str_ieq(gw_str_t s, const char *lower);

/* The first header named NAME (lower case), or NULL. */
const gw_http_header_t *gw_http_find(const gw_http_msg_t *msg,
                                     const char *name);

/*
 * Is NAME one of the comma-separated tokens of the Connection headers?
 * (They name the hop-by-hop headers a proxy removes.)
 */
int gw_http_connection_names(const gw_http_msg_t *msg, gw_str_t name);

/* Is the method one a retry cannot harm (RFC 9110 9.2.2)? */
int gw_http_is_idempotent(gw_str_t method);

/* Reason phrase of a status we generate ("Bad Request"). */
const char *gw_http_reason(int status);

#endif
