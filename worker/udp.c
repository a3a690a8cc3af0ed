/*
 * worker/udp.c: the udp handler. Datagrams from one client address (to one
 * of our addresses) form a session bound to one upstream server through a
 * connected UDP socket of its own.
 *
 *   first datagram   ACL, budget (two slots: the client side and the
 *                    upstream socket), balancer, socket + connect()
 *   client -> us     recvmmsg() on the listen socket, grouped by session,
 *                    sendmmsg() on each session's upstream socket
 *   upstream -> us   recvmmsg() on the upstream socket, sendmmsg() on the
 *                    listen socket back to the client, from the address
 *                    the client sent to (IP_PKTINFO on wildcard listeners)
 *   end              idle_timeout without traffic either way, the
 *                    udp_responses-th reply, or an ICMP error (refused:
 *                    one failure of the server)
 *
 * Batches grow as the socket keeps them full: a callback reads 1
 * datagram, then 2, 4 ... up to 32, and stops at the first read that
 * comes back short (drained). A flood is read 32 at a time, while a
 * single pipelined flow is passed on datagram by datagram, so the server
 * starts on the first one while we read the next (measured with one client
 * keeping 16 in flight: fixed batches of 32 made the hops wait for each
 * other, 0.6 of the round trips of growing ones).
 *
 * A datagram is never split or merged: each message of a batch is one
 * datagram, in a buffer of 64 KiB. Datagrams that cannot be forwarded (a
 * new client over budget, a denied one, a full socket buffer) are dropped
 * and counted; the counts reach the error log at most once a second.
 * The batch buffers are the worker's, shared by every session: a callback
 * fills and drains them before it returns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/access.h"
#include "worker/handler.h"
#include "worker/listener.h"
#include "worker/stats.h"
#include "worker/loop.h"
#include "worker/udp_table.h"

#define BATCH           32          /* most datagrams per recvmmsg/sendmmsg */
#define DGRAM_MAX       65536       /* a UDP payload is at most 65,507 */
#define ROUNDS          16          /* reads per callback, then yield */

typedef struct udp_session {
    gw_udp_entry_t       entry;     /* key: client, local address, socket */
    gw_conn_t           *lc;        /* the listen socket replies leave by */
    gw_conn_t           *upstream;  /* connected to the server */
    gw_peer_t           *peer;
    uint64_t             start_ms;
    uint64_t             idle_deadline_ms;
    uint64_t             dgrams_in, bytes_in;       /* from the client */
    uint64_t             dgrams_out, bytes_out;     /* to the client */
    unsigned             responses;
    int                  status;
} udp_session_t;

/* Drops, reported at most once a second. */
typedef struct drops {
    uint64_t budget, denied, no_upstream, full;
    uint64_t logged_ms;
} drops_t;

static gw_udp_table_t  table;
static char           *bufs;                        /* BATCH x DGRAM_MAX */
static struct mmsghdr  in[BATCH], out[BATCH];
static struct iovec    in_iov[BATCH], out_iov[BATCH];
static gw_sockaddr_t   names[BATCH];
static union {
    char           buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
} in_ctl[BATCH], out_ctl[BATCH];
static drops_t         drops;
static gw_timer_t      drops_timer;     /* reports counts held back */

static int  worker_init(const gw_conf_t *conf);
static void on_drops_timer(gw_timer_t *t);
static void on_datagrams(gw_conn_t *lc);
static void on_upstream(gw_conn_t *c);
static void on_idle(gw_timer_t *t);

const gw_handler_t gw_udp_handler = {
    .name = "udp",
    .conns_per_client = 2,
    .on_datagrams = on_datagrams,
    .worker_init = worker_init,
};

static int
worker_init(const gw_conf_t *conf)
{
    bufs = malloc((size_t) BATCH * DGRAM_MAX);
    if (bufs == NULL) {
        return -1;
    }
    gw_timer_init(&drops_timer, on_drops_timer);
    return gw_udp_table_init(&table, conf->worker_connections / 2);
}

static void
noop(gw_conn_t *c)
{
    (void) c;
}

/* ---- drops -------------------------------------------------------------- */

static void
report_drops(void)
{
    if (gw_now_ms - drops.logged_ms < 1000) {
        return;
    }
    drops.logged_ms = gw_now_ms;
    if (drops.budget || drops.no_upstream || drops.full) {
        gw_log(GW_LOG_WARN, 0, "udp: dropped %llu datagrams of new clients "
               "(worker_connections reached), %llu with no upstream, %llu "
               "on full socket buffers",
               (unsigned long long) drops.budget,
               (unsigned long long) drops.no_upstream,
               (unsigned long long) drops.full);
    }
    if (drops.denied) {
        gw_log(GW_LOG_INFO, 0, "udp: dropped %llu datagrams denied by rule",
               (unsigned long long) drops.denied);
    }
    drops.budget = drops.denied = drops.no_upstream = drops.full = 0;
}

static void
on_drops_timer(gw_timer_t *t)
{
    (void) t;
    report_drops();
}

/* Count a drop; report now, or when the once-a-second limit allows. */
static void
drop(uint64_t *counter, uint64_t n)
{
    *counter += n;
    report_drops();
    if ((drops.budget || drops.denied || drops.no_upstream || drops.full)
        && !gw_timer_is_armed(&drops_timer)) {
        gw_timer_set_at(&drops_timer, drops.logged_ms + 1000);
    }
}

/* ---- sessions ------------------------------------------------------------ */

static void
session_log(int level, const udp_session_t *s, int err, const char *what)
{
    char client[GW_ADDR_STRLEN];

    if (level > gw_log_level) {
        return;
    }
    gw_sockaddr_format(&s->entry.key.client, client, sizeof(client));
    gw_log_write(level, err, "%s, client: %s, listener: %s, upstream: %s",
                 what, client, s->lc->ls->name,
                 s->peer ? s->peer->name : "-");
}

static void
session_end(udp_session_t *s, int failed)
{
    const gw_listener_t *ls = s->lc->ls;
    gw_access_t          entry = {
        .client = &s->entry.key.client,
        .request = ls->conf->proxy_pass.text,
        .status = s->status,
        .bytes_sent = s->bytes_out,
        .bytes_received = s->bytes_in,
        .datagrams = 1,
        .dgrams_sent = s->dgrams_out,
        .dgrams_received = s->dgrams_in,
        .start_ms = s->start_ms,
        .upstream = &s->peer->addr,
    };

    gw_access_log(ls, &entry);
    if (ls->stats) {
        gw_stat_sub(&ls->stats->active, 1);
    }
    gw_udp_table_del(&table, &s->entry);
    gw_upstream_release(ls->upstream, s->peer, failed, gw_now_ms);
    gw_conn_close(s->upstream);
    gw_conns_unreserve(1);
    free(s);
}

/* A connected UDP socket to the next server the balancer gives; NULL when
 * none is left. Connecting a UDP socket cannot wait: refusals come later,
 * as ICMP errors on the socket. */
static gw_conn_t *
connect_upstream(udp_session_t *s, const gw_listener_t *ls)
{
    gw_pick_t pick;

    gw_pick_init(&pick, &s->entry.key.client, 0);
    while ((s->peer = gw_upstream_pick(ls->upstream, &pick, gw_now_ms))) {
        int        fd = socket(s->peer->addr.sa.sa_family,
                               SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        gw_conn_t *c;

        if (fd != -1 && connect(fd, &s->peer->addr.sa,
                                gw_sockaddr_len(&s->peer->addr)) == 0
            && (c = gw_conn_open(fd, GW_CONN_COUNTED | GW_CONN_UPSTREAM))) {
            return c;
        }
        session_log(GW_LOG_ERROR, s, errno, "connecting a udp socket failed");
        if (fd != -1) {
            close(fd);
        }
        gw_upstream_release(ls->upstream, s->peer, 1, gw_now_ms);
    }
    return NULL;
}

static udp_session_t *
session_new(gw_conn_t *lc, const gw_udp_key_t *key)
{
    const gw_listener_t *ls = lc->ls;
    udp_session_t       *s;

    if (!gw_acl_allows(ls->conf, &key->client)) {
        drop(&drops.denied, 1);
        gw_stats_refused(ls, GW_REFUSED_ACL);
        return NULL;
    }
    /* two slots: the client side (reserved for the session's life) and
     * the upstream socket */
    if (gw_conns_available() < 2 || (s = calloc(1, sizeof(*s))) == NULL) {
        drop(&drops.budget, 1);
        gw_stats_refused(ls, GW_REFUSED_BUDGET);
        return NULL;
    }
    gw_conns_reserve(1);
    s->entry.key = *key;
    s->lc = lc;
    s->upstream = connect_upstream(s, ls);
    if (s->upstream == NULL) {
        gw_conns_unreserve(1);
        free(s);
        drop(&drops.no_upstream, 1);
        return NULL;
    }
    s->upstream->datagram = 1;
    s->upstream->addr = s->peer->addr;
    s->upstream->ls = ls;
    s->upstream->ctx = s;
    s->upstream->on_read = on_upstream;
    s->upstream->on_write = noop;
    gw_timer_init(&s->upstream->timer, on_idle);
    s->start_ms = gw_now_ms;
    s->status = 200;
    s->idle_deadline_ms = gw_now_ms + ls->conf->idle_timeout_ms;
    if (ls->conf->idle_timeout_ms) {
        gw_timer_set_at(&s->upstream->timer, s->idle_deadline_ms);
    }
    gw_udp_table_add(&table, &s->entry);
    if (ls->stats) {
        gw_stat_add(&ls->stats->accepted, 1);
        gw_stat_add(&ls->stats->active, 1);
    }
    return s;
}

static void
on_idle(gw_timer_t *t)
{
    udp_session_t *s = gw_container_of(t, gw_conn_t, timer)->ctx;

    if (gw_timer_lazy_expired(t, s->idle_deadline_ms)) {
        session_end(s, 0);
    }
}

static void
touch(udp_session_t *s)
{
    s->idle_deadline_ms = gw_now_ms + s->lc->ls->conf->idle_timeout_ms;
}

/* ---- batches --------------------------------------------------------------- */

/* Read up to COUNT datagrams into the shared buffers; how many, or -1. */
static int
recv_batch(int fd, int want_names, int count)
{
    for (int i = 0; i < count; i++) {
        in_iov[i].iov_base = bufs + (size_t) i * DGRAM_MAX;
        in_iov[i].iov_len = DGRAM_MAX;
        memset(&in[i].msg_hdr, 0, sizeof(in[i].msg_hdr));
        in[i].msg_hdr.msg_iov = &in_iov[i];
        in[i].msg_hdr.msg_iovlen = 1;
        if (want_names) {
            in[i].msg_hdr.msg_name = &names[i];
            in[i].msg_hdr.msg_namelen = sizeof(names[i]);
            in[i].msg_hdr.msg_control = in_ctl[i].buf;
            in[i].msg_hdr.msg_controllen = sizeof(in_ctl[i].buf);
        }
    }
    return recvmmsg(fd, in, (unsigned) count, MSG_DONTWAIT, NULL);
}

/* The local address a datagram was sent to, from its IP_PKTINFO. */
static int
local_address(const struct msghdr *h, uint16_t port, gw_sockaddr_t *local)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c;
         c = CMSG_NXTHDR((struct msghdr *) h, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;

            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            memset(local, 0, sizeof(*local));
            local->sin.sin_family = AF_INET;
            local->sin.sin_addr = pi.ipi_addr;
            local->sin.sin_port = port;
            return 0;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;

            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            memset(local, 0, sizeof(*local));
            local->sin6.sin6_family = AF_INET6;
            local->sin6.sin6_addr = pi.ipi6_addr;
            local->sin6.sin6_scope_id = pi.ipi6_ifindex;
            local->sin6.sin6_port = port;
            return 0;
        }
    }
    return -1;
}

/* Set out[i]'s control data so the reply leaves from LOCAL. */
static void
set_source(int i, const gw_sockaddr_t *local)
{
    struct msghdr  *h = &out[i].msg_hdr;
    struct cmsghdr *c;

    h->msg_control = out_ctl[i].buf;
    if (local->sa.sa_family == AF_INET6) {
        struct in6_pktinfo pi = { .ipi6_addr = local->sin6.sin6_addr,
                                  .ipi6_ifindex = local->sin6.sin6_scope_id };

        h->msg_controllen = CMSG_SPACE(sizeof(pi));
        c = CMSG_FIRSTHDR(h);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    } else {
        struct in_pktinfo pi = { .ipi_spec_dst = local->sin.sin_addr };

        h->msg_controllen = CMSG_SPACE(sizeof(pi));
        c = CMSG_FIRSTHDR(h);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    }
}

/* out[i] carries in[FROM + i]'s datagram, to NAME (NULL: connected). */
static void
prepare_out(int i, int from, const gw_sockaddr_t *name)
{
    out_iov[i].iov_base = in_iov[from].iov_base;
    out_iov[i].iov_len = in[from].msg_len;
    memset(&out[i].msg_hdr, 0, sizeof(out[i].msg_hdr));
    out[i].msg_hdr.msg_iov = &out_iov[i];
    out[i].msg_hdr.msg_iovlen = 1;
    if (name) {
        out[i].msg_hdr.msg_name = (void *) name;
        out[i].msg_hdr.msg_namelen = gw_sockaddr_len(name);
    }
}

/*
 * Send out[0 .. n) on FD; *sent tells how many went. Returns 0, or -1 with
 * errno for an error of the socket (a refusal the kernel learned by ICMP);
 * datagrams a full buffer would not take are dropped and counted.
 */
static int
send_batch(int fd, int n, int *sent)
{
    *sent = 0;
    while (*sent < n) {
        int k = sendmmsg(fd, out + *sent, (unsigned) (n - *sent), MSG_DONTWAIT);

        if (k < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
                return -1;
            }
            break;
        }
        *sent += k;
    }
    if (*sent < n) {
        drop(&drops.full, (uint64_t) (n - *sent));
    }
    return 0;
}

/* ---- client to upstream ------------------------------------------------------ */

/* The session of datagram I (found or made), or NULL when it is dropped. */
static udp_session_t *
session_of(gw_conn_t *lc, int i, int wildcard)
{
    gw_sockaddr_t  local;
    gw_udp_key_t   key;
    gw_udp_entry_t *e;

    if (wildcard && local_address(&in[i].msg_hdr, lc->addr.sin.sin_port,
                                  &local) != 0) {
        wildcard = 0;
    }
    gw_udp_key_set(&key, lc->index, &names[i], wildcard ? &local : NULL);
    e = gw_udp_table_find(&table, &key);
    return e ? gw_container_of(e, udp_session_t, entry)
             : session_new(lc, &key);
}

/* Forward datagrams [from, to) of the batch, all of session S; 0, or -1
 * when the session ended. */
static int
forward(udp_session_t *s, int from, int to)
{
    int sent;

    for (int i = from; i < to; i++) {
        prepare_out(i - from, i, NULL);
    }
    if (send_batch(s->upstream->fd, to - from, &sent) != 0) {
        session_log(GW_LOG_ERROR, s, errno, "sending to the upstream failed");
        s->status = 502;
        session_end(s, errno == ECONNREFUSED);
        return -1;
    }
    for (int i = from; i < from + sent; i++) {
        s->bytes_in += in[i].msg_len;
    }
    s->dgrams_in += (uint64_t) sent;
    touch(s);
    return 0;
}

static void
dispatch_batch(gw_conn_t *lc, int n)
{
    udp_session_t *sess[BATCH];
    int            wildcard = gw_sockaddr_is_wildcard(&lc->addr);

    /* look every datagram up first: forwarding may end a session */
    for (int i = 0; i < n; i++) {
        sess[i] = session_of(lc, i, wildcard);
    }
    for (int i = 0; i < n; ) {
        int j = i + 1;

        while (j < n && sess[j] == sess[i]) {
            j++;
        }
        if (sess[i]) {
            unsigned char same[BATCH];

            /* marked before forwarding, which may end (free) the session */
            for (int k = j; k < n; k++) {
                same[k] = sess[k] == sess[i];
            }
            if (forward(sess[i], i, j) != 0) {
                for (int k = j; k < n; k++) {
                    sess[k] = same[k] ? NULL : sess[k];
                }
            }
        }
        i = j;
    }
}

/* The next read's batch: twice the last when it came back full. */
static int
grow(int want)
{
    return want * 2 > BATCH ? BATCH : want * 2;
}

static void
on_datagrams(gw_conn_t *lc)
{
    int want = 1;

    for (int round = 0; round < ROUNDS; round++, want = grow(want)) {
        int n = recv_batch(lc->fd, 1, want);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                lc->read_ready = 0;
            } else if (errno != EINTR) {
                gw_log(GW_LOG_ERROR, errno, "recvmmsg() failed on listener %s",
                       lc->ls->name);
            }
            return;
        }
        dispatch_batch(lc, n);
        if (n < want) {
            lc->read_ready = 0;     /* drained; epoll says when more come */
            return;
        }
    }
    gw_loop_post(lc);               /* our share is used: others' turn */
}

/* ---- upstream to client ------------------------------------------------------ */

/* Send datagrams [0, n) of the batch to the client; 0 or -1 (ended). */
static int
reply(udp_session_t *s, int n)
{
    const gw_udp_key_t *key = &s->entry.key;
    unsigned            limit = s->lc->ls->conf->udp_responses;
    int                 sent;

    if (limit && (unsigned) n > limit - s->responses) {
        n = (int) (limit - s->responses);
    }
    for (int i = 0; i < n; i++) {
        prepare_out(i, i, &key->client);
        if (key->local.sa.sa_family) {
            set_source(i, &key->local);
        }
    }
    if (send_batch(s->lc->fd, n, &sent) != 0) {
        session_log(GW_LOG_INFO, s, errno, "sending to the client failed");
        sent = 0;
    }
    for (int i = 0; i < sent; i++) {
        s->bytes_out += in[i].msg_len;
    }
    s->dgrams_out += (uint64_t) sent;
    s->responses += (unsigned) n;
    touch(s);
    if (limit && s->responses >= limit) {
        session_end(s, 0);
        return -1;
    }
    return 0;
}

static void
on_upstream(gw_conn_t *c)
{
    udp_session_t *s = c->ctx;
    int            want = 1;

    for (int round = 0; round < ROUNDS; round++, want = grow(want)) {
        int n = recv_batch(c->fd, 0, want);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                c->read_ready = 0;
                return;
            }
            /* ECONNREFUSED: the server's port is closed (ICMP) */
            session_log(GW_LOG_ERROR, s, errno, "upstream failed");
            s->status = 502;
            session_end(s, errno == ECONNREFUSED);
            return;
        }
        if (reply(s, n) != 0) {
            return;
        }
        if (n < want) {
            c->read_ready = 0;
            return;
        }
    }
    gw_loop_post(c);
}
