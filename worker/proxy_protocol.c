/*
 * worker/proxy_protocol.c: reading and writing PROXY headers on our
 * connections (see proxy_protocol.h).
 *
 *   accept ── peek ──┬─ whole header ── take its bytes ── admit
 *              ^     ├─ a prefix of one ── wait (header_timeout)
 *              └─────┘  malformed, EOF, timeout ── close
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/proxy_proto.h"
#include "worker/listener.h"
#include "worker/proxy_protocol.h"

#define DEFAULT_TIMEOUT_MS 60000

static void
reject(gw_conn_t *c, int err, const char *why)
{
    gw_conn_log(GW_LOG_INFO, c, err, "%s", why);
    gw_conn_close(c);
}

static void
on_header_timeout(gw_timer_t *t)
{
    reject(gw_container_of(t, gw_conn_t, timer), ETIMEDOUT,
           "client timed out sending the PROXY protocol header");
}

static void
on_header(gw_conn_t *c)
{
    char               buf[GW_PROXY_MAX_LEN];
    gw_proxy_result_t  r;
    ssize_t            n;
    int                len;

    if (!c->read_ready) {
        return;
    }
    n = recv(c->fd, buf, sizeof(buf), MSG_PEEK);
    if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
        c->read_ready = errno == EINTR;
        return;
    }
    if (n <= 0) {
        reject(c, n == 0 ? 0 : errno,
               "client closed before the PROXY protocol header");
        return;
    }
    len = gw_proxy_parse(buf, (size_t) n, &r);
    if (len == 0 && (size_t) n < sizeof(buf)) {
        c->read_ready = 0;          /* a prefix: the rest makes a new edge */
        return;
    }
    if (len <= 0 || recv(c->fd, buf, (size_t) len, 0) != len) {
        reject(c, 0, "broken PROXY protocol header");
        return;
    }
    if (!r.local) {
        c->addr = r.src;
    }
    gw_timer_del(&c->timer);
    c->action = NULL;
    c->read_ready = 1;              /* whatever followed is the handler's */
    gw_listener_admit(c);
}

static void
ignore(gw_conn_t *c)
{
    (void) c;
}

void
gw_proxy_accept(gw_conn_t *c)
{
    uint64_t t = c->ls->conf->header_timeout_ms;

    c->action = "reading the PROXY protocol header";
    c->on_read = on_header;
    c->on_write = ignore;
    gw_timer_init(&c->timer, on_header_timeout);
    gw_timer_set(&c->timer, t ? t : DEFAULT_TIMEOUT_MS);
    c->read_ready = 1;              /* a header often comes with the SYN's ACK */
    on_header(c);
}

int
gw_proxy_send(gw_conn_t *up, const gw_conn_t *client, int version)
{
    char          buf[GW_PROXY_MAX_LEN];
    gw_sockaddr_t local;
    socklen_t     len = sizeof(local);
    size_t        n;
    ssize_t       sent;

    /* the address the client reached us on (its header's, behind a PROXY
     * balancer, is not kept: ours is the one it reached) */
    if (getsockname(client->fd, &local.sa, &len) == -1) {
        return -1;
    }
    n = version == GW_PROXY_PROTOCOL_V2
        ? gw_proxy_write_v2(buf, sizeof(buf), &client->addr, &local, 1)
        : gw_proxy_write_v1(buf, sizeof(buf), &client->addr, &local);
    sent = send(up->fd, buf, n, MSG_NOSIGNAL);
    if (sent != (ssize_t) n) {
        errno = sent == -1 ? errno : EAGAIN;
        return -1;
    }
    return 0;
}
