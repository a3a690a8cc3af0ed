/*
 * worker/relay.c: moving bytes between the two sockets of a tunnel (see
 * relay.h).
 *
 * One direction, one loop: first write what is held (buffer, then pipe);
 * when nothing is held, give the window back, pass on a FIN if one came,
 * else read one window more. The source is read only into an empty window,
 * which keeps the splice() EAGAIN unambiguous: with an empty pipe it can
 * only mean the socket has nothing to read.
 *
 * A direction starts by copying through a 16 KiB buffer: for the small
 * messages of most protocols recv/send costs the same two calls as a
 * splice pair, and a short recv() tells that the socket is drained, which
 * saves the call that would say EAGAIN (unless a FIN was seen: then read
 * on to it). A read that fills the buffer marks a bulk stream, and the
 * direction moves to splice() for good (HAProxy's heuristic too). A short
 * splice() proves nothing (the pipe may be out of slots), so splice reads
 * go on to EAGAIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/pipe.h"
#include "worker/relay.h"

/* Windows one direction may move per pump: a bulk tunnel whose sockets
 * never say EAGAIN must still let the other connections of the worker
 * run. Past it the relay asks to be pumped again (r->more). */
#define MAX_WINDOWS_PER_PUMP 16

enum { MOVED, BLOCKED, FAILED_SRC, FAILED_DST };

void
gw_relay_init(gw_relay_t *r, gw_conn_t *client, gw_conn_t *upstream)
{
    r->side[0] = client;
    r->side[1] = upstream;
    for (int i = 0; i < 2; i++) {
        r->dir[i].buf = NULL;
        r->dir[i].pipe[0] = r->dir[i].pipe[1] = -1;
        r->dir[i].in_pipe = 0;
        r->dir[i].bytes = 0;
        r->dir[i].eof = r->dir[i].shut = 0;
        r->dir[i].splice = r->dir[i].no_splice = 0;
    }
    r->error_side = -1;
    r->error = 0;
    r->progress = 0;
    r->more = 0;
}

static int
is_again(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* Write held bytes to dst. Returns MOVED when all held bytes are gone. */
static int
flush(gw_relay_dir_t *d, gw_conn_t *dst, gw_relay_t *r)
{
    while (d->buf && gw_buf_len(d->buf) > 0) {
        ssize_t n = send(dst->fd, d->buf->data + d->buf->pos,
                         gw_buf_len(d->buf), MSG_NOSIGNAL);

        if (n < 0) {
            if (is_again(errno)) {
                dst->write_ready = 0;
                return BLOCKED;
            }
            return FAILED_DST;
        }
        d->buf->pos += (size_t) n;
        d->bytes += (uint64_t) n;
        r->progress = 1;
    }
    while (d->in_pipe > 0) {
        ssize_t n = splice(d->pipe[0], NULL, dst->fd, NULL, d->in_pipe,
                           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

        if (n <= 0) {
            if (n < 0 && is_again(errno)) {
                dst->write_ready = 0;
                return BLOCKED;
            }
            return FAILED_DST;
        }
        d->in_pipe -= (size_t) n;
        d->bytes += (uint64_t) n;
        r->progress = 1;
    }
    return MOVED;
}

/* What a read that returned N means for the direction. */
static int
read_outcome(gw_relay_dir_t *d, gw_conn_t *src, ssize_t n)
{
    if (n > 0) {
        return MOVED;
    }
    if (n == 0) {
        d->eof = 1;
        return MOVED;
    }
    if (is_again(errno)) {
        src->read_ready = 0;
        return BLOCKED;
    }
    return FAILED_SRC;
}

/* Read one window from src. Returns MOVED (bytes or EOF) or BLOCKED. */
static int
fill_pipe(gw_relay_dir_t *d, gw_conn_t *src)
{
    ssize_t n;

    if (d->pipe[0] == -1 && gw_pipe_get(d->pipe) != 0) {
        d->splice = 0;
        d->no_splice = 1;       /* out of descriptors: copy instead */
        return MOVED;
    }
    n = splice(src->fd, NULL, d->pipe[1], NULL, gw_pipe_size(),
               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
        d->in_pipe = (size_t) n;
    } else if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
        d->splice = 0;
        d->no_splice = 1;       /* this socket type cannot splice */
        return MOVED;
    }
    return read_outcome(d, src, n);
}

static int
fill_buf(gw_relay_dir_t *d, gw_conn_t *src)
{
    ssize_t n;

    if (d->buf == NULL && (d->buf = gw_buf_get()) == NULL) {
        errno = ENOMEM;
        return FAILED_SRC;
    }
    n = recv(src->fd, d->buf->data, d->buf->cap, 0);
    if (n > 0) {
        d->buf->pos = 0;
        d->buf->last = (size_t) n;
        if ((size_t) n == d->buf->cap) {
            d->splice = !d->no_splice;
        } else if (!src->hup) {
            src->read_ready = 0;    /* drained; epoll says when more comes */
        }
    }
    return read_outcome(d, src, n);
}

/*
 * Pass the FIN on. When the other direction is finished too, the session
 * is about to close both sockets, and close() sends the FIN: no call.
 */
static void
pass_fin(gw_relay_t *r, gw_relay_dir_t *d, gw_conn_t *dst)
{
    gw_relay_dir_t *other = d == &r->dir[0] ? &r->dir[1] : &r->dir[0];

    if (!other->shut) {
        shutdown(dst->fd, SHUT_WR);
    }
    d->shut = 1;
}

static int
move(gw_relay_t *r, gw_relay_dir_t *d, gw_conn_t *src, gw_conn_t *dst)
{
    for (int windows = 0; ; windows++) {
        int rc = flush(d, dst, r);

        if (rc != MOVED) {
            return rc;
        }
        /* the window is empty: an idle direction holds nothing */
        gw_pipe_put(d->pipe, 1);
        gw_buf_put(d->buf);
        d->buf = NULL;
        if (d->eof) {
            if (!d->shut) {
                pass_fin(r, d, dst);
            }
            return BLOCKED;
        }
        if (!src->read_ready) {
            return BLOCKED;
        }
        if (windows == MAX_WINDOWS_PER_PUMP) {
            r->more = 1;
            return BLOCKED;
        }
        rc = d->splice ? fill_pipe(d, src) : fill_buf(d, src);
        if (rc != MOVED) {
            return rc;
        }
    }
}

int
gw_relay_pump(gw_relay_t *r)
{
    r->progress = 0;
    r->more = 0;
    for (int i = 0; i < 2; i++) {
        gw_conn_t *src = r->side[i], *dst = r->side[1 - i];
        int        rc = move(r, &r->dir[i], src, dst);

        if (rc == FAILED_SRC || rc == FAILED_DST) {
            r->error = errno;
            r->error_side = rc == FAILED_SRC ? i : 1 - i;
            return GW_RELAY_ERROR;
        }
    }
    return r->dir[0].shut && r->dir[1].shut ? GW_RELAY_DONE : GW_RELAY_OPEN;
}

int
gw_relay_is_blocked(const gw_relay_t *r)
{
    for (int i = 0; i < 2; i++) {
        const gw_relay_dir_t *d = &r->dir[i];

        if (d->in_pipe > 0 || (d->buf && gw_buf_len(d->buf) > 0)) {
            return 1;
        }
    }
    return 0;
}

void
gw_relay_fini(gw_relay_t *r)
{
    for (int i = 0; i < 2; i++) {
        gw_pipe_put(r->dir[i].pipe, r->dir[i].in_pipe == 0);
        gw_buf_put(r->dir[i].buf);
        r->dir[i].buf = NULL;
    }
}
