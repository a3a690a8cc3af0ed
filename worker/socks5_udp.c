/*
 * worker/socks5_udp.c: UDP ASSOCIATE (RFC 1928 section 7).
 *
 * An association is one UDP socket, bound to the address the client's TCP
 * connection reached (port chosen by the kernel), named in the reply.
 * A datagram on it is the client's when it comes from the client's IP and
 * its port (the port the request named, else the first one seen): its
 * header is read, FRAG != 0 dropped (no reassembly), the rest sent to the
 * destination, a name resolved first. Any other datagram is a reply: it
 * goes back to the client behind a header naming where it came from.
 *
 * One socket serves every destination, so it has one family: a
 * destination of the other family is dropped. While a name is being
 * resolved, its datagram waits; others that need a look-up meanwhile are
 * dropped (UDP may lose them; a client retries). The association ends
 * with its TCP connection, or after idle_timeout without a datagram
 * either way. Bytes in the access log are payload bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/listener.h"
#include "worker/loop.h"
#include "worker/socks5_session.h"

#define DGRAMS_PER_EVENT 64     /* then let other connections run */
#define DGRAM_MAX        65536

struct socks5_udp {
    gw_sockaddr_t   client;         /* its datagrams' source */
    unsigned        port_known:1;
    unsigned        resolving:1;
    gw_resolve_t    resolve;        /* a destination name */
    const char     *pending;        /* its payload: dgram[], or held */
    size_t          pending_len;
    char           *held;           /* a copy while the look-up waits */
    uint64_t        dropped;
};

static char dgram[DGRAM_MAX];       /* one datagram at a time, per worker */

static void on_relay_socket(gw_conn_t *c);
static void on_control(gw_conn_t *c);

void
socks5_udp_free(socks5_session_t *s)
{
    socks5_udp_t *u = s->udp;

    if (u == NULL) {
        return;
    }
    if (u->resolving) {
        gw_resolve_cancel(&u->resolve);
    }
    free(u->held);
    free(u);
    s->udp = NULL;
}

/* The relay socket, on the client's local address; NULL on failure. */
static gw_conn_t *
relay_socket(socks5_session_t *s, gw_sockaddr_t *bound)
{
    int        fd = socks5_local_socket(s, SOCK_DGRAM, bound, "UDP ASSOCIATE");
    gw_conn_t *c;

    if (fd == -1) {
        return NULL;
    }
    if ((c = gw_conn_open(fd, GW_CONN_RESERVED | GW_CONN_UPSTREAM)) == NULL) {
        close(fd);
        return NULL;
    }
    s->reserved--;
    c->datagram = 1;
    c->addr = *bound;
    c->ls = s->client->ls;
    c->peer = s->client;
    c->ctx = s;
    c->action = "relaying datagrams";
    c->on_read = c->on_write = on_relay_socket;
    return c;
}

void
socks5_udp_start(socks5_session_t *s)
{
    gw_sockaddr_t bound;
    socks5_udp_t *u = calloc(1, sizeof(*u));

    if (u == NULL) {
        socks5_fail(s, SOCKS5_REP_GENERAL_FAILURE, 502);
        return;
    }
    s->udp = u;
    /* datagrams count only from the client's own address; the request
     * may name its port (0: the first datagram tells) */
    u->client = s->client->addr;
    u->port_known = s->req.dst.port != 0;
    if (u->client.sa.sa_family == AF_INET6) {
        u->client.sin6.sin6_port = htons(s->req.dst.port);
    } else {
        u->client.sin.sin_port = htons(s->req.dst.port);
    }
    s->other = relay_socket(s, &bound);
    if (s->other == NULL) {
        socks5_fail(s, SOCKS5_REP_GENERAL_FAILURE, 502);
        return;
    }
    s->phase = PH_UDP;
    s->client->action = "relaying datagrams";
    s->client->on_read = s->client->on_write = on_control;
    if (socks5_reply(s, SOCKS5_REP_SUCCEEDED, &bound) != 0
        || gw_conn_watch(s->client) != 0) {
        s->status = 499;
        socks5_close(s);
        return;
    }
    s->deadline_ms = gw_now_ms + s->client->ls->conf->idle_timeout_ms;
    if (s->client->ls->conf->idle_timeout_ms) {
        gw_timer_set_at(&s->client->timer, s->deadline_ms);
    }
}

/* The TCP connection carries nothing more; its close ends the association. */
static void
on_control(gw_conn_t *c)
{
    if (gw_conn_drain(c) != 0) {
        socks5_close(c->ctx);
    }
}

static void
touch(socks5_session_t *s)
{
    s->deadline_ms = gw_now_ms + s->client->ls->conf->idle_timeout_ms;
}

/* ---- client -> destination ---------------------------------------------------- */

static void
send_out(socks5_session_t *s, const gw_sockaddr_t *to, const char *data,
         size_t len)
{
    if (!socks5_dst_allowed(s, to)
        || sendto(s->other->fd, data, len, 0, &to->sa, gw_sockaddr_len(to)) < 0) {
        s->udp->dropped++;
        return;
    }
    s->bytes_received += len;
    touch(s);
}

static void
on_name(gw_resolve_t *r, int status)
{
    socks5_session_t *s = r->data;
    socks5_udp_t     *u = s->udp;

    u->resolving = 0;
    for (unsigned i = 0; status == GW_RESOLVE_OK && i < r->n_addrs; i++) {
        if (r->addrs[i].sa.sa_family == s->other->addr.sa.sa_family) {
            send_out(s, &r->addrs[i], u->pending, u->pending_len);
            break;
        }
    }
    free(u->held);
    u->held = NULL;
}

/* A datagram from the client: header off, on to its destination. */
static void
outbound(socks5_session_t *s, const char *p, size_t len)
{
    socks5_udp_t   *u = s->udp;
    gw_socks5_udp_t d;

    if (gw_socks5_parse_udp(p, len, &d) != 0 || d.frag != 0) {
        u->dropped++;           /* malformed, or a fragment: not assembled */
        return;
    }
    if (d.dst.atyp != SOCKS5_ATYP_DOMAIN) {
        send_out(s, &d.dst.ip, d.data, d.len);
        return;
    }
    if (u->resolving) {
        u->dropped++;           /* one look-up at a time */
        return;
    }
    u->pending = d.data;
    u->pending_len = d.len;
    u->resolving = 1;
    gw_resolve(&u->resolve, d.dst.name, d.dst.port, on_name, s);
    if (u->resolving) {
        /* not answered at once: keep the payload past this datagram */
        u->held = malloc(d.len ? d.len : 1);
        if (u->held == NULL) {
            gw_resolve_cancel(&u->resolve);
            u->resolving = 0;
            u->dropped++;
            return;
        }
        memcpy(u->held, d.data, d.len);
        u->pending = u->held;
    }
}

/* ---- destination -> client ------------------------------------------------------ */

static void
inbound(socks5_session_t *s, const gw_sockaddr_t *from, const char *p,
        size_t len)
{
    socks5_udp_t *u = s->udp;
    uint8_t       hdr[GW_SOCKS5_REPLY_MAX];
    struct iovec  iov[2];
    struct msghdr msg;

    if (!u->port_known) {
        u->dropped++;           /* the client has sent nothing yet */
        return;
    }
    iov[0].iov_base = hdr;
    iov[0].iov_len = gw_socks5_write_udp_header(hdr, from);
    iov[1].iov_base = (void *) p;
    iov[1].iov_len = len;
    memset(&msg, 0, sizeof(msg));
    msg.msg_name = &u->client.sa;
    msg.msg_namelen = gw_sockaddr_len(&u->client);
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    if (sendmsg(s->other->fd, &msg, 0) < 0) {
        u->dropped++;
        return;
    }
    s->bytes_sent += len;
    touch(s);
}

/* Is FROM the client (latching its port on its first datagram)? */
static int
from_client(socks5_udp_t *u, const gw_sockaddr_t *from)
{
    if (!gw_sockaddr_same_ip(&u->client, from)) {
        return 0;
    }
    if (!u->port_known) {
        u->client = *from;
        u->port_known = 1;
        return 1;
    }
    return gw_sockaddr_port(&u->client) == gw_sockaddr_port(from);
}

static void
on_relay_socket(gw_conn_t *c)
{
    socks5_session_t *s = c->ctx;

    for (int i = 0; c->read_ready && i < DGRAMS_PER_EVENT; i++) {
        gw_sockaddr_t from;
        socklen_t     len = sizeof(from);
        ssize_t       n = recvfrom(c->fd, dgram, sizeof(dgram), 0, &from.sa,
                                   &len);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c->read_ready = 0;
            }
            /* other errors are ICMP news about an earlier datagram */
            continue;
        }
        if (from_client(s->udp, &from)) {
            outbound(s, dgram, (size_t) n);
        } else {
            inbound(s, &from, dgram, (size_t) n);
        }
    }
    if (c->read_ready) {
        gw_loop_post(c);        /* more queued: after the others' turn */
    }
}
