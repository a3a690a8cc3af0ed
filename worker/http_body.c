/*
 * worker/http_body.c: the body pump (see http_body.h).
 *
 * One loop: flush what waits in the output buffer; end the body when the
 * source's message is complete; otherwise turn input bytes into output
 * (passed through as they are, or re-framed), or read more input.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "worker/http_body.h"

#define CHUNK_OVERHEAD  24      /* "ffffffffffffffff\r\n" + "\r\n" */
#define MAX_SPANS       8
#define RESERVE         (MAX_SPANS * CHUNK_OVERHEAD + 8)
#define MAX_READS       64      /* per pump: 1 MiB of 16 KiB reads */
#define GO_ON           (-1)    /* helpers: keep pumping (statuses are >= 0) */

static int
is_again(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

void
gw_http_body_init(gw_http_body_t *b, int in, int out, uint64_t length)
{
    memset(b, 0, sizeof(*b));
    b->in = in;
    b->out = out;
    b->left = length;
    gw_chunked_init(&b->dec);
    if (in == GW_HTTP_BODY_NONE || (in == GW_HTTP_BODY_LENGTH && length == 0)) {
        b->done = 1;
        b->end_written = out != GW_HTTP_BODY_CHUNKED;
    }
}

int
gw_http_flush(gw_conn_t *dst, gw_buf_t *out, uint64_t *written)
{
    while (out && gw_buf_len(out) > 0) {
        ssize_t n = send(dst->fd, out->data + out->pos, gw_buf_len(out),
                         MSG_NOSIGNAL);

        if (n < 0) {
            if (is_again(errno)) {
                dst->write_ready = 0;
                return 0;
            }
            return -1;
        }
        out->pos += (size_t) n;
        *written += (uint64_t) n;
    }
    if (out) {
        out->pos = out->last = 0;
    }
    return 1;
}

/* ---- producing output ------------------------------------------------------------ */

static void
put(gw_buf_t *out, const char *p, size_t len)
{
    memcpy(out->data + out->last, p, len);
    out->last += len;
}

static void
put_chunk(gw_buf_t *out, const char *p, size_t len)
{
    out->last += (size_t) snprintf(out->data + out->last, CHUNK_OVERHEAD,
                                   "%zx\r\n", len);
    put(out, p, len);
    put(out, "\r\n", 2);
}

/* The end of a chunked body we write: "0", trailers, empty line. */
static void
put_last_chunk(gw_http_body_t *b, gw_buf_t *out)
{
    if (!b->end_written) {
        put(out, "0\r\n\r\n", 5);
        b->end_written = 1;
    }
}

/* Pass LEN input bytes through to dst untouched; bytes moved or -1. */
static ssize_t
pass_through(gw_body_io_t *io, size_t len)
{
    ssize_t n = send(io->dst->fd, io->in->data + io->in->pos, len,
                     MSG_NOSIGNAL);

    if (n < 0) {
        if (is_again(errno)) {
            io->dst->write_ready = 0;
            return 0;
        }
        return -1;
    }
    io->in->pos += (size_t) n;
    io->written += (uint64_t) n;
    return n;
}

/*
 * Chunked in: decode what fits in the output buffer, then re-frame it.
 * 0, GW_BODY_BAD, or GW_BODY_TOO_BIG before a byte past io->max is queued.
 */
static int
decode(gw_http_body_t *b, gw_body_io_t *io)
{
    gw_chunk_span_t spans[MAX_SPANS];
    unsigned        n;
    size_t          room = gw_buf_room(io->out);
    size_t          feed = gw_buf_len(io->in);
    int             used;

    if (room <= RESERVE + 5) {
        return 0;                       /* flush first */
    }
    feed = feed < room - RESERVE - 5 ? feed : room - RESERVE - 5;
    used = gw_chunked_decode(&b->dec, io->in->data + io->in->pos, feed, spans,
                             MAX_SPANS, &n);
    if (used < 0) {
        return GW_BODY_BAD;
    }
    uint64_t total = 0;

    for (unsigned i = 0; io->max && i < n; i++) {
        total += spans[i].kind == GW_CHUNK_DATA ? spans[i].len : 0;
        if (b->bytes + total > io->max) {
            return GW_BODY_TOO_BIG;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (b->out == GW_HTTP_BODY_CHUNKED && spans[i].kind == GW_CHUNK_TRAILER) {
            if (!b->end_written) {      /* the last chunk, then trailers */
                put(io->out, "0\r\n", 3);
                b->end_written = 1;
            }
            put(io->out, spans[i].data, spans[i].len);
        } else if (spans[i].kind == GW_CHUNK_DATA) {
            if (b->out == GW_HTTP_BODY_CHUNKED) {
                put_chunk(io->out, spans[i].data, spans[i].len);
            } else {
                put(io->out, spans[i].data, spans[i].len);
            }
            b->bytes += spans[i].len;
        }
    }
    io->in->pos += (size_t) used;
    if (b->dec.done) {
        b->done = 1;
        if (b->out == GW_HTTP_BODY_CHUNKED) {
            put(io->out, b->end_written ? "\r\n" : "0\r\n\r\n",
                b->end_written ? 2 : 5);
        }
        b->end_written = 1;
    }
    io->progress |= used > 0;
    return 0;
}

/*
 * Bytes passed through join a head still waiting in the output buffer
 * when they fit: one send() for both (a small response in one segment).
 */
static int
join_output(gw_http_body_t *b, gw_body_io_t *io, size_t len)
{
    if (gw_buf_len(io->out) == 0 || len > gw_buf_room(io->out)) {
        return 0;
    }
    put(io->out, io->in->data + io->in->pos, len);
    io->in->pos += len;
    b->bytes += len;
    io->progress = 1;
    if (b->in == GW_HTTP_BODY_LENGTH && (b->left -= len) == 0) {
        b->done = 1;
        b->end_written = 1;
    }
    return 1;
}

/* Turn buffered input into output: GO_ON, or a status to return. */
static int
convert(gw_http_body_t *b, gw_body_io_t *io)
{
    size_t  len = gw_buf_len(io->in);
    ssize_t n;

    if (b->in == GW_HTTP_BODY_CHUNKED) {
        int rc = decode(b, io);

        return rc ? rc : GO_ON;
    }
    if (b->out == GW_HTTP_BODY_CHUNKED) {       /* until close, to chunked */
        size_t room = gw_buf_room(io->out);

        if (room > CHUNK_OVERHEAD + 5) {
            len = len < room - CHUNK_OVERHEAD - 5 ? len : room - CHUNK_OVERHEAD - 5;
            put_chunk(io->out, io->in->data + io->in->pos, len);
            io->in->pos += len;
            b->bytes += len;
            io->progress = 1;
        }
        return GO_ON;
    }
    if (b->in == GW_HTTP_BODY_LENGTH && len > b->left) {
        len = (size_t) b->left;
    }
    if (join_output(b, io, len)) {
        return GO_ON;
    }
    n = pass_through(io, len);
    if (n < 0) {
        return GW_BODY_DST_ERROR;
    }
    b->bytes += (uint64_t) n;
    io->progress |= n > 0;
    if (b->in == GW_HTTP_BODY_LENGTH && (b->left -= (uint64_t) n) == 0) {
        b->done = 1;
        b->end_written = 1;
    }
    return GO_ON;
}

/* Read more of the body: GO_ON, or a status to return. */
static int
fill(gw_http_body_t *b, gw_body_io_t *io)
{
    ssize_t n;
    size_t  room;

    if (!io->src->read_ready) {
        return GW_BODY_BLOCKED;
    }
    if (++io->reads > MAX_READS) {
        io->more = 1;                   /* our share is used: others' turn */
        return GW_BODY_BLOCKED;
    }
    if (gw_buf_len(io->in) == 0) {
        io->in->pos = io->in->last = 0;
    } else if (gw_buf_room(io->in) == 0) {
        gw_buf_compact(io->in);
    }
    room = gw_buf_room(io->in);
    n = recv(io->src->fd, io->in->data + io->in->last, room, 0);
    if (n > 0) {
        io->in->last += (size_t) n;
        io->progress = 1;
        if ((size_t) n < room && !io->src->hup) {
            io->src->read_ready = 0;    /* short read: drained */
        }
        return GO_ON;
    }
    if (n == 0) {
        if (b->in != GW_HTTP_BODY_CLOSE) {
            return GW_BODY_SRC_EOF;
        }
        b->done = 1;
        if (b->out == GW_HTTP_BODY_CHUNKED) {
            put_last_chunk(b, io->out);
        } else {
            b->end_written = 1;
        }
        return GO_ON;
    }
    if (is_again(errno)) {
        io->src->read_ready = 0;
        return GW_BODY_BLOCKED;
    }
    return GW_BODY_SRC_ERROR;
}

int
gw_http_body_pump(gw_http_body_t *b, gw_body_io_t *io)
{
    /* a head waits to go: body bytes already here go with it, and a
     * chunked body is judged before its head leaves (a malformed one then
     * sends nothing at all) */
    if (gw_buf_len(io->out) && gw_buf_len(io->in) && !b->done) {
        if (b->in == GW_HTTP_BODY_CHUNKED) {
            int rc = decode(b, io);

            if (rc != 0) {
                return rc;
            }
        } else if (b->out != GW_HTTP_BODY_CHUNKED) {
            size_t len = gw_buf_len(io->in);

            if (b->in == GW_HTTP_BODY_LENGTH && len > b->left) {
                len = (size_t) b->left;
            }
            join_output(b, io, len);
        }
    }
    for ( ;; ) {
        int rc = gw_http_flush(io->dst, io->out, &io->written);

        if (rc <= 0) {
            return rc < 0 ? GW_BODY_DST_ERROR : GW_BODY_BLOCKED;
        }
        if (b->done && b->end_written) {
            return GW_BODY_DONE;
        }
        if (b->done) {
            put_last_chunk(b, io->out);
            continue;
        }
        rc = gw_buf_len(io->in) ? convert(b, io) : fill(b, io);
        if (rc != GO_ON) {
            return rc;
        }
        if (!io->progress && gw_buf_len(io->in) && !b->done) {
            return GW_BODY_BLOCKED;     /* output full, or dst blocked */
        }
        io->progress = 0;
    }
}
