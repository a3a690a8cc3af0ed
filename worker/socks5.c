/*
 * worker/socks5.c: the socks5 handler (RFC 1928, RFC 1929): the handshake,
 * CONNECT and BIND; UDP ASSOCIATE is in socks5_udp.c.
 *
 *   phase       waits for                 client timer      next
 *   GREETING    the methods               header_timeout    AUTH, REQUEST | end (0xFF)
 *   AUTH        user and password         header_timeout    REQUEST | end (status 0x01)
 *   REQUEST     command and destination   header_timeout    one of the three below | end
 *   RESOLVING   the destination's name    connect_timeout   CONNECTING | end (0x04, 0x06)
 *   CONNECTING  the dial (its own timer)  -                 TUNNEL | end (0x03 .. 0x06)
 *   BINDING     a peer on our socket      connect_timeout   TUNNEL | end (0x06)
 *   UDP         datagrams; the TCP close  idle_timeout      end
 *   TUNNEL      worker/tunnel.c: idle_timeout, send_timeout
 *
 * The handshake is read into a small buffer and each message is parsed
 * again from its first byte as more arrive (common/socks5.c), so any split
 * of the bytes gives the same outcome; bytes behind the request are the
 * first of the tunnel. Replies are a few bytes on a socket that has sent
 * nothing else: one send() that takes less than all of them means a
 * client that does not read, and ends the session.
 */
#define _GNU_SOURCE         /* accept4 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/access.h"
#include "worker/auth.h"
#include "worker/handler.h"
#include "worker/listener.h"
#include "worker/socks5_session.h"

static void on_accept(gw_conn_t *c);
static int  worker_init(const gw_conf_t *conf);
static void on_handshake(gw_conn_t *c);
static void on_client_timer(gw_timer_t *t);
static void on_tunnel_end(gw_tunnel_t *t);

const gw_handler_t gw_socks5_handler = {
    .name = "socks5",
    .conns_per_client = 2,
    .lazy_watch = 1,
    .own_acl = 1,               /* a denied client is told so: 0x02 */
    .on_accept = on_accept,
    .worker_init = worker_init,
};

static const gw_conf_listener_t *
conf_of(const socks5_session_t *s)
{
    return s->client->ls->conf;
}

static int
worker_init(const gw_conf_t *conf)
{
    return gw_resolver_start(conf);
}

/* Arm the client's timer T ms from now (0: off). */
static void
client_deadline(socks5_session_t *s, uint64_t t)
{
    s->deadline_ms = gw_now_ms + t;
    if (t) {
        gw_timer_set_at(&s->client->timer, s->deadline_ms);
    } else {
        gw_timer_del(&s->client->timer);
    }
}

static void
on_accept(gw_conn_t *c)
{
    socks5_session_t *s = gw_conn_session_new(c, sizeof(*s));

    if (s == NULL) {
        return;
    }
    s->client = c;
    s->reserved = 1;
    s->rep = -1;
    s->status = 200;
    s->start_ms = gw_now_ms;
    c->ctx = s;
    c->action = "reading the SOCKS5 handshake";
    c->on_read = c->on_write = on_handshake;
    gw_timer_init(&c->timer, on_client_timer);
    client_deadline(s, conf_of(s)->header_timeout_ms);
    /* clients speak first, often in the connect's breath: read now, and
     * join epoll only if the handshake is not all there */
    c->read_ready = 1;
    on_handshake(c);
}

/* ---- the end ------------------------------------------------------------- */

void
socks5_close(socks5_session_t *s)
{
    const gw_relay_t *r = &s->tunnel.relay;
    gw_access_t       entry = {
        .client = &s->client->addr,
        .request = s->target[0] ? s->target : NULL,
        .status = s->status,
        .bytes_sent = s->bytes_sent + r->dir[1].bytes,
        .bytes_received = s->bytes_received + r->dir[0].bytes,
        .start_ms = s->start_ms,
        .upstream = s->other && s->phase != PH_BINDING ? &s->other->addr : NULL,
        .connect_time = s->dialed,
        .connect_ms = s->dial.end_ms - s->dial.start_ms,
        .socks = 1,
        .user = s->user,
        .rep = s->rep,
    };

    gw_access_log(s->client->ls, &entry);
    if (s->resolving) {
        gw_resolve_cancel(&s->resolve);
    }
    if (s->dialing) {
        gw_dial_cancel(&s->dial);   /* gives the reserved slot back */
        s->reserved--;
    }
    socks5_udp_free(s);
    if (s->phase == PH_TUNNEL) {
        gw_tunnel_fini(&s->tunnel);
    }
    if (s->other) {
        gw_conn_close(s->other);
    }
    if (s->reserved) {
        gw_conns_unreserve(s->reserved);
    }
    gw_conn_close(s->client);
    free(s);
}

int
socks5_reply(socks5_session_t *s, int rep, const gw_sockaddr_t *bnd)
{
    uint8_t out[GW_SOCKS5_REPLY_MAX];
    size_t  len = gw_socks5_write_reply(out, rep, bnd);
    ssize_t n = send(s->client->fd, out, len, MSG_NOSIGNAL);

    s->rep = rep;
    if (n > 0) {
        s->bytes_sent += (uint64_t) n;
    }
    if (n != (ssize_t) len) {
        gw_conn_log(GW_LOG_INFO, s->client, n < 0 ? errno : 0,
                    "cannot send the SOCKS5 reply");
        return -1;
    }
    return 0;
}

void
socks5_fail(socks5_session_t *s, int rep, int status)
{
    s->status = status;
    socks5_reply(s, rep, NULL);
    socks5_close(s);
}

/* The access log status for a reply code: as the http handlers would say. */
static int
status_of(int rep)
{
    switch (rep) {
    case SOCKS5_REP_SUCCEEDED:
        return 200;
    case SOCKS5_REP_NOT_ALLOWED:
        return 403;
    case SOCKS5_REP_TTL_EXPIRED:
        return 504;
    case SOCKS5_REP_CMD_UNSUPPORTED:
    case SOCKS5_REP_ATYP_UNSUPPORTED:
        return 400;
    default:
        return 502;
    }
}

static void
fail_rep(socks5_session_t *s, int rep)
{
    socks5_fail(s, rep, status_of(rep));
}

static void
on_client_timer(gw_timer_t *t)
{
    socks5_session_t *s = gw_container_of(t, gw_conn_t, timer)->ctx;

    if (!gw_timer_lazy_expired(t, s->deadline_ms)) {
        return;
    }
    switch (s->phase) {
    case PH_GREETING:
    case PH_AUTH:
    case PH_REQUEST:
        gw_conn_log(GW_LOG_INFO, s->client, ETIMEDOUT,
                    "client timed out in the SOCKS5 handshake");
        s->status = 408;
        socks5_close(s);
        return;
    case PH_RESOLVING:
        gw_conn_log(GW_LOG_ERROR, s->client, ETIMEDOUT, "resolving timed out");
        fail_rep(s, SOCKS5_REP_TTL_EXPIRED);
        return;
    case PH_BINDING:
        gw_conn_log(GW_LOG_INFO, s->client, ETIMEDOUT,
                    "no peer connected to the BIND socket");
        fail_rep(s, SOCKS5_REP_TTL_EXPIRED);
        return;
    default:                        /* UDP: idle_timeout */
        gw_conn_log(GW_LOG_INFO, s->client, ETIMEDOUT, "idle timeout");
        socks5_close(s);
        return;
    }
}

/* ---- destinations ------------------------------------------------------------ */

int
socks5_dst_allowed(const socks5_session_t *s, const gw_sockaddr_t *dst)
{
    return gw_acl_allows_to(conf_of(s), dst);
}

/* "CONNECT host:port" for the log. */
static void
describe(socks5_session_t *s)
{
    const gw_socks5_addr_t *d = &s->req.dst;
    char                    host[GW_ADDR_STRLEN];

    if (d->atyp == SOCKS5_ATYP_DOMAIN) {
        snprintf(s->target, sizeof(s->target), "%s %.*s:%u",
                 gw_socks5_cmd_name(s->req.cmd), (int) d->name.len,
                 d->name.data, d->port);
        return;
    }
    gw_sockaddr_format(&d->ip, host, sizeof(host));
    snprintf(s->target, sizeof(s->target), "%s %s",
             gw_socks5_cmd_name(s->req.cmd), host);
}

/* The connect()'s errno as a reply code (RFC 1928 section 6). */
static int
rep_of_errno(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return SOCKS5_REP_REFUSED;
    case ETIMEDOUT:
        return SOCKS5_REP_TTL_EXPIRED;
    case ENETUNREACH:
    case ENETDOWN:
        return SOCKS5_REP_NET_UNREACHABLE;
    case EHOSTUNREACH:
    case EHOSTDOWN:
        return SOCKS5_REP_HOST_UNREACHABLE;
    case EACCES:
    case EPERM:
        return SOCKS5_REP_NOT_ALLOWED;
    default:
        return SOCKS5_REP_GENERAL_FAILURE;
    }
}

/* ---- CONNECT -------------------------------------------------------------------- */

/* Bytes behind the request go first through the tunnel, in *B (NULL:
 * none); 0, or -1 when no buffer could hold them. */
static int
early_bytes(socks5_session_t *s, gw_buf_t **b)
{
    size_t n = s->in_len - s->in_pos;

    *b = NULL;
    if (n == 0) {
        return 0;
    }
    if ((*b = gw_buf_get()) == NULL) {
        return -1;
    }
    memcpy((*b)->data, s->in + s->in_pos, n);
    (*b)->pos = 0;
    (*b)->last = n;
    s->bytes_received -= n;         /* the relay counts them again */
    return 0;
}

/* OTHER is connected for the client: reply with BND, then the tunnel. */
static void
start_tunnel(socks5_session_t *s, gw_conn_t *other, const gw_sockaddr_t *bnd)
{
    gw_buf_t *early;

    s->other = other;
    if (early_bytes(s, &early) != 0) {
        gw_conn_log(GW_LOG_CRIT, s->client, ENOMEM, "cannot keep early bytes");
        socks5_fail(s, SOCKS5_REP_GENERAL_FAILURE, 502);
        return;
    }
    if (socks5_reply(s, SOCKS5_REP_SUCCEEDED, bnd) != 0
        || gw_conn_watch(s->client) != 0) {
        gw_buf_put(early);
        s->status = 499;
        socks5_close(s);
        return;
    }
    s->phase = PH_TUNNEL;
    s->tunnel.end = on_tunnel_end;
    gw_tunnel_start(&s->tunnel, s->client, other, early);
}

static void
on_tunnel_end(gw_tunnel_t *t)
{
    socks5_close(gw_container_of(t, socks5_session_t, tunnel));
}

static void
on_dialed(gw_dial_t *d, gw_conn_t *up)
{
    socks5_session_t *s = d->data;
    gw_sockaddr_t     bnd;
    socklen_t         len = sizeof(bnd);

    s->dialing = 0;
    s->reserved--;                  /* the dial used the slot or gave it back */
    if (up == NULL) {
        fail_rep(s, rep_of_errno(d->error));
        return;
    }
    s->dialed = 1;
    memset(&bnd, 0, sizeof(bnd));
    getsockname(up->fd, &bnd.sa, &len);
    start_tunnel(s, up, &bnd);
}

static void
dial_addrs(socks5_session_t *s)
{
    s->phase = PH_CONNECTING;
    s->client->action = "connecting to the destination";
    gw_timer_del(&s->client->timer);
    s->dialing = 1;
    gw_dial_start_addrs(&s->dial, s->resolve.addrs, s->resolve.n_addrs,
                        s->client, on_dialed, s);
}

static void bind_start(socks5_session_t *s);

/* The destination's addresses are in s->resolve: go on with the command. */
static void
destination_known(socks5_session_t *s)
{
    if (s->req.cmd == SOCKS5_CMD_BIND) {
        bind_start(s);              /* the addresses name the peer to wait for */
        return;
    }
    s->resolve.n_addrs = gw_acl_filter_to(conf_of(s), s->resolve.addrs,
                                          s->resolve.n_addrs);
    if (s->resolve.n_addrs == 0) {
        gw_conn_log(GW_LOG_INFO, s->client, 0, "destination forbidden by rule");
        gw_stats_refused(s->client->ls, GW_REFUSED_ACL);
        fail_rep(s, SOCKS5_REP_NOT_ALLOWED);
        return;
    }
    dial_addrs(s);
}

static void
on_resolved(gw_resolve_t *r, int status)
{
    socks5_session_t *s = r->data;

    s->resolving = 0;
    if (status != GW_RESOLVE_OK) {
        gw_conn_log(GW_LOG_ERROR, s->client, 0, "cannot resolve \"%.*s\": %s",
                    (int) s->req.dst.name.len, s->req.dst.name.data,
                    r->why ? r->why : "?");
        fail_rep(s, SOCKS5_REP_HOST_UNREACHABLE);
        return;
    }
    destination_known(s);
}

/* Until a reply, a client that resets is not waited for (a FIN is a
 * half-close, passed on through the tunnel). */
static void
on_client_wait(gw_conn_t *c)
{
    socks5_session_t *s = c->ctx;

    if (gw_conn_peer_gone(c, 0)) {
        gw_conn_log(GW_LOG_INFO, c, errno, "client connection failed");
        s->status = 499;
        socks5_close(s);
    }
}

/* CONNECT or BIND: the destination, by address or through the resolver. */
static void
find_destination(socks5_session_t *s)
{
    const gw_socks5_addr_t *d = &s->req.dst;

    s->client->on_read = s->client->on_write = on_client_wait;
    if (d->atyp != SOCKS5_ATYP_DOMAIN) {
        s->resolve.addrs[0] = d->ip;
        s->resolve.n_addrs = 1;
        destination_known(s);
        return;
    }
    s->phase = PH_RESOLVING;
    s->client->action = "resolving the destination";
    client_deadline(s, conf_of(s)->connect_timeout_ms);
    s->resolving = 1;
    gw_resolve(&s->resolve, d->name, d->port, on_resolved, s);
}

/* ---- BIND ---------------------------------------------------------------------------- */

/* Is FROM the peer the request named (any peer when it named 0.0.0.0)? */
static int
expected_peer(const socks5_session_t *s, const gw_sockaddr_t *from)
{
    const gw_resolve_t *r = &s->resolve;

    for (unsigned i = 0; i < r->n_addrs; i++) {
        if (gw_sockaddr_is_wildcard(&r->addrs[i])
            || gw_sockaddr_same_ip(&r->addrs[i], from)) {
            return 1;
        }
    }
    return 0;
}

/* A connection to the BIND socket: the expected peer gets the tunnel. */
static void
on_bind_accept(gw_conn_t *lc)
{
    socks5_session_t *s = lc->ctx;

    for ( ;; ) {
        gw_sockaddr_t from;
        socklen_t     len = sizeof(from);
        int           fd = accept4(lc->fd, &from.sa, &len,
                                   SOCK_NONBLOCK | SOCK_CLOEXEC);
        gw_conn_t    *peer;

        if (fd == -1) {
            lc->read_ready = 0;     /* EAGAIN, or a connection gone again */
            return;
        }
        if (!expected_peer(s, &from)) {
            char text[GW_ADDR_STRLEN];

            gw_sockaddr_format(&from, text, sizeof(text));
            gw_conn_log(GW_LOG_INFO, s->client, 0,
                        "BIND: connection from %s refused (not the peer "
                        "named)", text);
            close(fd);
            continue;
        }
        peer = gw_conn_open(fd, GW_CONN_RESERVED | GW_CONN_UPSTREAM);
        if (peer == NULL) {
            close(fd);
            fail_rep(s, SOCKS5_REP_GENERAL_FAILURE);
            return;
        }
        s->reserved--;
        peer->addr = from;
        peer->ls = s->client->ls;
        gw_conn_close(lc);          /* one peer per BIND */
        s->other = NULL;
        gw_timer_del(&s->client->timer);
        start_tunnel(s, peer, &from);
        return;
    }
}

static void
ignore(gw_conn_t *c)
{
    (void) c;
}

int
socks5_local_socket(socks5_session_t *s, int type, gw_sockaddr_t *bound,
                    const char *what)
{
    socklen_t len = sizeof(*bound);
    int       fd = -1;

    if (getsockname(s->client->fd, &bound->sa, &len) == 0) {
        if (bound->sa.sa_family == AF_INET6) {
            bound->sin6.sin6_port = 0;
        } else {
            bound->sin.sin_port = 0;
        }
        fd = socket(bound->sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    len = sizeof(*bound);
    if (fd == -1 || bind(fd, &bound->sa, gw_sockaddr_len(bound)) != 0
        || (type == SOCK_STREAM && listen(fd, 1) != 0)
        || getsockname(fd, &bound->sa, &len) != 0) {
        gw_conn_log(GW_LOG_ERROR, s->client, errno, "%s: cannot open a socket",
                    what);
        if (fd != -1) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

/* A listening socket on the address the client reached us on. */
static gw_conn_t *
bind_socket(socks5_session_t *s, gw_sockaddr_t *bound)
{
    int        fd = socks5_local_socket(s, SOCK_STREAM, bound, "BIND");
    gw_conn_t *lc;

    if (fd == -1) {
        return NULL;
    }
    if ((lc = gw_conn_open(fd, GW_CONN_RESERVED | GW_CONN_UPSTREAM)) == NULL) {
        close(fd);
        return NULL;
    }
    s->reserved--;
    lc->addr = *bound;
    lc->ls = s->client->ls;
    lc->ctx = s;
    lc->action = "waiting for the BIND peer";
    lc->on_read = on_bind_accept;
    lc->on_write = ignore;
    return lc;
}

static void
bind_start(socks5_session_t *s)
{
    gw_sockaddr_t bound;

    /* one slot for the listening socket (reserved at accept), one for
     * the peer it accepts */
    if (gw_conns_reserve(1) != 0) {
        fail_rep(s, SOCKS5_REP_GENERAL_FAILURE);
        return;
    }
    s->reserved++;
    s->other = bind_socket(s, &bound);
    if (s->other == NULL) {
        fail_rep(s, SOCKS5_REP_GENERAL_FAILURE);
        return;
    }
    s->phase = PH_BINDING;
    s->client->action = "waiting for the BIND peer";
    if (socks5_reply(s, SOCKS5_REP_SUCCEEDED, &bound) != 0) {
        s->status = 499;
        socks5_close(s);
        return;
    }
    client_deadline(s, conf_of(s)->connect_timeout_ms);
    if (gw_conn_watch(s->client) != 0) {
        socks5_close(s);
        return;
    }
    s->other->read_ready = 1;       /* a peer may be queued already */
    on_bind_accept(s->other);
}

/* ---- the handshake ----------------------------------------------------------------- */

/* The method for the client's greeting: 0x02 with auth lines, else 0x00. */
static int
choose_method(const socks5_session_t *s, const gw_socks5_greeting_t *g)
{
    int want = conf_of(s)->n_auth ? SOCKS5_METHOD_USERPASS : SOCKS5_METHOD_NONE;

    return gw_socks5_offers(g, want) ? want : SOCKS5_METHOD_UNACCEPTABLE;
}

/* Two bytes: VER and a method or status. 0, or -1 (session ended). */
static int
send_pair(socks5_session_t *s, int ver, int value)
{
    uint8_t out[2] = { (uint8_t) ver, (uint8_t) value };
    ssize_t n = send(s->client->fd, out, 2, MSG_NOSIGNAL);

    if (n > 0) {
        s->bytes_sent += (uint64_t) n;
    }
    if (n != 2) {
        gw_conn_log(GW_LOG_INFO, s->client, n < 0 ? errno : 0,
                    "cannot answer the SOCKS5 handshake");
        s->status = 499;
        socks5_close(s);
        return -1;
    }
    return 0;
}

static int
greeting_done(socks5_session_t *s, const gw_socks5_greeting_t *g)
{
    int method = choose_method(s, g);

    if (send_pair(s, GW_SOCKS5_VERSION, method) != 0) {
        return -1;
    }
    if (method == SOCKS5_METHOD_UNACCEPTABLE) {
        gw_conn_log(GW_LOG_INFO, s->client, 0,
                    "no acceptable SOCKS5 method offered");
        s->status = 403;
        s->rep = SOCKS5_METHOD_UNACCEPTABLE;
        socks5_close(s);
        return -1;
    }
    s->phase = method == SOCKS5_METHOD_USERPASS ? PH_AUTH : PH_REQUEST;
    return 0;
}

static int
auth_done(socks5_session_t *s, const gw_socks5_auth_t *a)
{
    int ok = gw_auth_check(conf_of(s), a->user.data, a->user.len,
                           a->password.data, a->password.len) != NULL;

    memcpy(s->user, a->user.data, a->user.len);
    s->user[a->user.len] = '\0';
    if (send_pair(s, GW_SOCKS5_AUTH_VERSION,
                  ok ? GW_SOCKS5_AUTH_OK : GW_SOCKS5_AUTH_FAILED) != 0) {
        return -1;
    }
    if (!ok) {
        gw_conn_log(GW_LOG_INFO, s->client, 0,
                    "SOCKS5 authentication failed for \"%s\"", s->user);
        s->status = 403;
        socks5_close(s);
        return -1;
    }
    s->phase = PH_REQUEST;
    return 0;
}

static void
request_done(socks5_session_t *s)
{
    describe(s);
    gw_timer_del(&s->client->timer);
    if (!gw_acl_allows(conf_of(s), &s->client->addr)) {
        gw_conn_log(GW_LOG_INFO, s->client, 0, "access forbidden by rule");
        gw_stats_refused(s->client->ls, GW_REFUSED_ACL);
        fail_rep(s, SOCKS5_REP_NOT_ALLOWED);
        return;
    }
    switch (s->req.cmd) {
    case SOCKS5_CMD_CONNECT:
    case SOCKS5_CMD_BIND:
        find_destination(s);
        return;
    case SOCKS5_CMD_UDP_ASSOCIATE:
        socks5_udp_start(s);
        return;
    default:
        gw_conn_log(GW_LOG_INFO, s->client, 0, "unknown SOCKS5 command 0x%02x",
                    (unsigned) s->req.cmd);
        fail_rep(s, SOCKS5_REP_CMD_UNSUPPORTED);
        return;
    }
}

/*
 * Parse the message of the current phase from in[in_pos..in_len] and act
 * on it. 1: a message was taken (parse on); 0: more bytes needed; -1:
 * the session ended or left the handshake.
 */
static int
parse_one(socks5_session_t *s)
{
    const char *p = s->in + s->in_pos;
    size_t      len = s->in_len - s->in_pos;
    int         n, rc;

    if (s->phase == PH_GREETING) {
        gw_socks5_greeting_t g;

        if ((n = gw_socks5_parse_greeting(p, len, &g)) > 0) {
            s->in_pos += (size_t) n;
            return greeting_done(s, &g) == 0 ? 1 : -1;
        }
    } else if (s->phase == PH_AUTH) {
        gw_socks5_auth_t a;

        if ((n = gw_socks5_parse_auth(p, len, &a)) > 0) {
            s->in_pos += (size_t) n;
            return auth_done(s, &a) == 0 ? 1 : -1;
        }
    } else {
        rc = gw_socks5_parse_request(p, len, &s->req);
        if (rc > 0) {
            s->in_pos += (size_t) rc;
            request_done(s);
            return -1;
        }
        if (rc == GW_PARSE_ERROR) {
            gw_conn_log(GW_LOG_INFO, s->client, 0, "bad SOCKS5 request");
            socks5_fail(s, s->req.rep, 400);
            return -1;
        }
        return 0;
    }
    if (n == GW_PARSE_ERROR) {
        gw_conn_log(GW_LOG_INFO, s->client, 0, "bad SOCKS5 %s",
                    s->phase == PH_GREETING ? "greeting" : "authentication");
        s->status = 400;
        socks5_close(s);
        return -1;
    }
    return 0;
}

/* Read more of the handshake: 0, or -1 when the session ended. */
static int
read_more(socks5_session_t *s)
{
    gw_conn_t *c = s->client;
    ssize_t    n;

    if (s->in_len == sizeof(s->in)) {
        /* the messages before this one are done with: make room */
        memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
        s->in_len -= s->in_pos;
        s->in_pos = 0;
    }
    n = recv(c->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, 0);
    if (n > 0) {
        if ((size_t) n < sizeof(s->in) - s->in_len && !c->hup) {
            c->read_ready = 0;      /* short read: drained */
        }
        s->in_len += (size_t) n;
        s->bytes_received += (uint64_t) n;
        return 0;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c->read_ready = 0;
        return 0;
    }
    if (s->in_len > s->in_pos || s->phase != PH_GREETING) {
        gw_conn_log(GW_LOG_INFO, c, n < 0 ? errno : 0,
                    "client closed the connection in the SOCKS5 handshake");
    }
    s->status = 499;
    socks5_close(s);
    return -1;
}

static void
on_handshake(gw_conn_t *c)
{
    socks5_session_t *s = c->ctx;

    for ( ;; ) {
        int rc = parse_one(s);

        if (rc < 0) {
            return;
        }
        if (rc > 0) {
            continue;
        }
        if (!c->read_ready) {
            if (gw_conn_watch(c) != 0) {
                socks5_close(s);
            }
            return;
        }
        if (read_more(s) != 0) {
            return;
        }
    }
}
