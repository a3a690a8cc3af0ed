/*
 * worker/http_body.h: moving an HTTP message body from one socket to
 * another, re-framed on the way. One function serves both directions
 * (client to upstream, upstream to client).
 *
 *   source framing      destination framing    how
 *   Content-Length      Content-Length         bytes as they are
 *   until close         until close            bytes as they are
 *   until close         chunked                each read becomes a chunk
 *   chunked             chunked                decoded and re-encoded
 *   chunked             until close            decoded, data only
 *
 * The source is read only while the body is not complete (bytes after it
 * stay in the buffer: a pipelined request, or junk from an upstream), and
 * only into an empty input buffer, and re-framed bytes go through a
 * bounded output buffer: a slow destination stops the reading, whatever
 * the size of the body (backpressure; nothing is held whole).
 */
#ifndef GW_HTTP_BODY_H
#define GW_HTTP_BODY_H

#include "worker/http_exchange.h"

enum gw_body_status {
    GW_BODY_BLOCKED = 0,    /* waiting for the source or the destination */
    GW_BODY_DONE,           /* everything written, end of body included */
    GW_BODY_SRC_EOF,        /* the source closed before the body ended */
    GW_BODY_SRC_ERROR,      /* reading failed (errno) */
    GW_BODY_DST_ERROR,      /* writing failed (errno) */
    GW_BODY_BAD,            /* malformed chunked coding */
    GW_BODY_TOO_BIG         /* the body would pass io->max */
};

typedef struct gw_body_io {
    gw_conn_t *src;
    gw_buf_t  *in;          /* bytes read from src; the body starts at pos */
    gw_conn_t *dst;
    gw_buf_t  *out;         /* re-framed bytes waiting for dst */
    uint64_t   written;     /* bytes written to dst (added to) */
    uint64_t   max;         /* body bytes allowed through, 0: any */
    unsigned   reads;       /* reads this pump (bounded: fairness) */
    unsigned   progress:1;  /* something moved */
    unsigned   more:1;      /* stopped at its share: pump again soon */
} gw_body_io_t;

void gw_http_body_init(gw_http_body_t *b, int in, int out, uint64_t length);

/* Move what can move now; an enum gw_body_status. */
int gw_http_body_pump(gw_http_body_t *b, gw_body_io_t *io);

/*
 * Write out[pos .. last) to DST. Returns 1 when everything went, 0 when
 * DST would block, -1 on an error (errno). Adds to *written.
 */
int gw_http_flush(gw_conn_t *dst, gw_buf_t *out, uint64_t *written);

#endif
