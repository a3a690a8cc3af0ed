/*
 * worker/conn.c: the slot array, its free list and the budget (conn.h).
 *
 * Budget: active + reserved <= worker_connections for counted slots.
 * Uncounted slots (listen sockets) come from the same array, which is
 * allocated with room for both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "worker/conn.h"
#include "worker/limits.h"
#include "worker/listener.h"
#include "worker/loop.h"
#include "worker/stats.h"

static gw_conn_t *slots;
static uint32_t   n_slots;
static gw_conn_t *free_list;
static unsigned   budget, active, reserved, uncounted_left;
static void     (*on_free)(void);
static uint64_t  *shared_gauge;     /* this slot's connections, or NULL */
static unsigned (*on_pressure)(unsigned n);

int
gw_conns_init(unsigned count_budget, unsigned extra)
{
    n_slots = count_budget + extra;
    slots = calloc(n_slots, sizeof(*slots));
    if (slots == NULL) {
        return -1;
    }
    for (uint32_t i = n_slots; i-- > 0; ) {
        slots[i].fd = -1;
        slots[i].index = i;
        slots[i].next = free_list;
        free_list = &slots[i];
    }
    budget = count_budget;
    uncounted_left = extra;
    return 0;
}

gw_conn_t *
gw_conn_by_index(uint32_t index)
{
    return index < n_slots ? &slots[index] : NULL;
}

unsigned
gw_conns_available(void)
{
    return budget - active - reserved;
}

unsigned
gw_conns_active(void)
{
    return active;
}

int
gw_conns_reserve(unsigned n)
{
    if (gw_conns_available() < n) {
        return -1;
    }
    reserved += n;
    return 0;
}

void
gw_conns_unreserve(unsigned n)
{
    reserved -= n;
    if (on_free) {
        on_free();
    }
}

void
gw_conns_on_free(void (*fn)(void))
{
    on_free = fn;
}

void
gw_conns_on_pressure(unsigned (*fn)(unsigned n))
{
    on_pressure = fn;
}

unsigned
gw_conns_reclaim(unsigned n)
{
    return on_pressure ? on_pressure(n) : 0;
}

/* Take the budget for a new slot; 0 or -1. */
static int
charge(unsigned flags)
{
    if (flags & GW_CONN_RESERVED) {
        reserved--;
    } else if (flags & GW_CONN_COUNTED) {
        if (gw_conns_available() == 0) {
            return -1;
        }
    } else {
        if (uncounted_left == 0) {
            return -1;
        }
        uncounted_left--;
        return 0;
    }
    active++;
    return 0;
}

gw_conn_t *
gw_conn_open(int fd, unsigned flags)
{
    gw_conn_t *c = free_list;

    if (c == NULL || charge(flags) != 0) {
        errno = EMFILE;
        return NULL;
    }
    free_list = c->next;
    c->fd = fd;
    c->next = NULL;
    c->peer = NULL;
    c->ls = NULL;
    c->ctx = NULL;
    c->action = NULL;
    c->read_ready = 0;
    c->write_ready = 0;
    c->hup = 0;
    c->counted = (flags & (GW_CONN_COUNTED | GW_CONN_RESERVED)) != 0;
    c->upstream = (flags & GW_CONN_UPSTREAM) != 0;
    c->datagram = 0;
    c->watched = 0;
    c->accepted = 0;
    c->limited = c->over_limit = 0;
    if (c->counted && shared_gauge) {
        gw_stat_add(shared_gauge, 1);
    }
    gw_timer_init(&c->timer, NULL);
    if (flags & GW_CONN_LAZY) {
        c->write_ready = 1;         /* a fresh socket takes bytes */
        return c;
    }
    if (gw_conn_watch(c) != 0) {
        int err = errno;

        c->fd = -1;
        gw_conn_close(c);
        errno = err;
        return NULL;
    }
    return c;
}

int
gw_conn_watch(gw_conn_t *c)
{
    if (c->watched) {
        return 0;
    }
    if (gw_loop_add(c) != 0) {
        return -1;
    }
    c->watched = 1;
    return 0;
}

void
gw_conn_close(gw_conn_t *c)
{
    gw_timer_del(&c->timer);
    if (c->fd != -1) {
        close(c->fd);       /* the last reference: epoll forgets it too */
        c->fd = -1;
    }
    c->gen++;
    c->ctx = NULL;
    c->peer = NULL;
    c->next = free_list;
    free_list = c;
    if (c->accepted && c->ls && c->ls->stats) {
        gw_stat_sub(&c->ls->stats->active, 1);
    }
    if (c->limited) {
        gw_limit_conn_release(c->ls, &c->addr);
    }
    if (c->counted && shared_gauge) {
        gw_stat_sub(shared_gauge, 1);
    }
    if (c->counted) {
        active--;
        if (on_free) {
            on_free();
        }
    } else {
        uncounted_left++;
    }
}

void
gw_conns_count_into(uint64_t *gauge)
{
    shared_gauge = gauge;
}

void
gw_conn_reset_on_close(gw_conn_t *c)
{
    struct linger l = { .l_onoff = 1, .l_linger = 0 };

    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

int
gw_conn_drain(gw_conn_t *c)
{
    static char sink[4096];

    for ( ;; ) {
        ssize_t n = recv(c->fd, sink, sizeof(sink), 0);

        if (n > 0) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->read_ready = 0;
            return 0;
        }
        return -1;
    }
}

void *
gw_conn_session_new(gw_conn_t *c, size_t size)
{
    void *s = calloc(1, size);

    if (s == NULL || gw_conns_reserve(1) != 0) {
        gw_conn_log(GW_LOG_CRIT, c, s ? 0 : ENOMEM, "cannot start a session");
        free(s);
        gw_conn_close(c);
        return NULL;
    }
    return s;
}

int
gw_conn_peer_gone(gw_conn_t *c, int eof_counts)
{
    char    byte;
    ssize_t n;

    if (!c->hup) {
        return 0;           /* plain data waits in the socket: no call */
    }
    n = recv(c->fd, &byte, 1, MSG_PEEK);
    if (n < 0) {
        return errno != EAGAIN && errno != EWOULDBLOCK;
    }
    return n == 0 && eof_counts;
}

void
gw_conn_log(int level, const gw_conn_t *c, int err, const char *fmt, ...)
{
    char             msg[GW_LOG_LINE_MAX / 2], client[GW_ADDR_STRLEN];
    char             upstream[GW_ADDR_STRLEN];
    const gw_conn_t *cl = c->upstream ? c->peer : c;
    const gw_conn_t *up = c->upstream ? c : c->peer;
    va_list          ap;
    int              n;

    if (level > gw_log_level) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t) n >= sizeof(msg)) {
        n = (int) sizeof(msg) - 1;
    }
    if (err) {
        n += snprintf(msg + n, sizeof(msg) - n, " (%d: %s)", err,
                      strerror(err));
        if ((size_t) n >= sizeof(msg)) {
            n = (int) sizeof(msg) - 1;
        }
    }
    if (cl) {
        gw_sockaddr_format(&cl->addr, client, sizeof(client));
    }
    if (up) {
        gw_sockaddr_format(&up->addr, upstream, sizeof(upstream));
    }
    gw_log_write(level, 0, "%s%s%s%s%s, listener: %s%s%s", msg,
                 c->action ? " while " : "", c->action ? c->action : "",
                 cl ? ", client: " : "", cl ? client : "",
                 c->ls ? c->ls->name : "-",
                 up ? ", upstream: " : "", up ? upstream : "");
}
