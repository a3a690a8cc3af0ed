/*
 * master/listen.c: opening, reusing and closing listen sockets (see
 * listen.h).
 *
 * When worker_processes shrinks, the sockets of the slots that go away
 * are closed, and connections waiting in their queues would be reset:
 * with net.ipv4.tcp_migrate_req = 1 (Linux 5.14+) the kernel moves them to
 * another socket of the group instead, so we switch it on when we can.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/core.h"
#include "common/log.h"
#include "master/listen.h"
#include "master/upgrade.h"

#define MIGRATE_REQ "/proc/sys/net/ipv4/tcp_migrate_req"

static int
open_socket(const gw_listen_socket_t *s, char *err)
{
    char addr[GW_ADDR_STRLEN];
    int  one = 1;
    int  fd = gw_upgrade_take(s->type, &s->addr);

    if (fd != -1) {
        /* an old master's, set up already: its queue goes on */
        if (s->type == SOCK_STREAM) {
            listen(fd, s->backlog);
        }
        return fd;
    }
    fd = socket(s->addr.sa.sa_family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    gw_sockaddr_format(&s->addr, addr, sizeof(addr));
    if (fd == -1) {
        snprintf(err, GW_ERR_LEN, "socket() for %s failed (%d: %s)", addr,
                 errno, strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (s->addr.sa.sa_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (s->type == SOCK_STREAM) {
        /* accepted sockets inherit it: no call per connection */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    } else if (gw_sockaddr_is_wildcard(&s->addr)) {
        /* the udp handler learns which address each datagram was sent
         * to, and replies from that address */
        if (s->addr.sa.sa_family == AF_INET6) {
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
        } else {
            setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
        }
    }
    if (bind(fd, &s->addr.sa, gw_sockaddr_len(&s->addr)) != 0) {
        snprintf(err, GW_ERR_LEN, "bind() to %s failed (%d: %s)", addr,
                 errno, strerror(errno));
        close(fd);
        return -1;
    }
    if (s->type == SOCK_STREAM && listen(fd, s->backlog) != 0) {
        snprintf(err, GW_ERR_LEN, "listen() on %s failed (%d: %s)", addr,
                 errno, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The fd of OLD for this address, protocol and slot, or -1. */
static int
find_old(const gw_cycle_t *old, const gw_listen_socket_t *s, unsigned slot)
{
    for (unsigned i = 0; old && i < old->n_sockets; i++) {
        const gw_listen_socket_t *o = &old->sockets[i];

        if (o->type == s->type && slot < o->n_fds
            && gw_sockaddr_eq(&o->addr, &s->addr)) {
            return o->fds[slot];
        }
    }
    return -1;
}

static int
is_reused(const gw_cycle_t *old, int fd)
{
    for (unsigned i = 0; old && i < old->n_sockets; i++) {
        for (unsigned k = 0; k < old->sockets[i].n_fds; k++) {
            if (old->sockets[i].fds[k] == fd) {
                return 1;
            }
        }
    }
    return 0;
}

/* Open (or take over) the slots of one socket; 0 or -1. */
static int
fill_socket(gw_listen_socket_t *s, const gw_cycle_t *old, char *err)
{
    for (unsigned k = 0; k < s->n_fds; k++) {
        int fd = find_old(old, s, k);

        if (fd != -1) {
            if (s->type == SOCK_STREAM) {
                listen(fd, s->backlog);     /* the backlog may have changed */
            }
        } else if ((fd = open_socket(s, err)) == -1) {
            return -1;
        }
        s->fds[k] = fd;
    }
    return 0;
}

static int
add_sockets(gw_cycle_t *cycle, char *err)
{
    const gw_conf_t *conf = cycle->conf;
    unsigned         n = 0, slots = conf->worker_processes;

    for (unsigned i = 0; i < conf->n_listeners; i++) {
        n += conf->listeners[i]->n_listens;
    }
    cycle->sockets = calloc(n ? n : 1, sizeof(*cycle->sockets));
    if (cycle->sockets == NULL) {
        snprintf(err, GW_ERR_LEN, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < conf->n_listeners; i++) {
        const gw_conf_listener_t *ls = conf->listeners[i];

        for (unsigned j = 0; j < ls->n_listens; j++) {
            gw_listen_socket_t *s = &cycle->sockets[cycle->n_sockets];

            s->fds = malloc(slots * sizeof(int));
            if (s->fds == NULL) {
                snprintf(err, GW_ERR_LEN, "out of memory");
                return -1;
            }
            for (unsigned k = 0; k < slots; k++) {
                s->fds[k] = -1;
            }
            s->addr = ls->listens[j].addr;
            s->type = ls->handler == GW_HANDLER_UDP ? SOCK_DGRAM : SOCK_STREAM;
            s->backlog = ls->listens[j].backlog;
            s->proxy_protocol = ls->listens[j].proxy_protocol;
            s->listener = i;
            s->n_fds = slots;
            cycle->n_sockets++;
        }
    }
    return 0;
}

void
gw_listen_abandon(gw_cycle_t *cycle, const gw_cycle_t *old)
{
    for (unsigned i = 0; i < cycle->n_sockets; i++) {
        for (unsigned k = 0; k < cycle->sockets[i].n_fds; k++) {
            int fd = cycle->sockets[i].fds[k];

            if (fd != -1 && !is_reused(old, fd)) {
                close(fd);
            }
        }
        free(cycle->sockets[i].fds);
    }
    free(cycle->sockets);
    cycle->sockets = NULL;
    cycle->n_sockets = 0;
}

int
gw_listen_open(gw_cycle_t *cycle, const gw_cycle_t *old, char *err)
{
    if (add_sockets(cycle, err) != 0) {
        gw_listen_abandon(cycle, old);
        return -1;
    }
    for (unsigned i = 0; i < cycle->n_sockets; i++) {
        if (fill_socket(&cycle->sockets[i], old, err) != 0) {
            gw_listen_abandon(cycle, old);
            return -1;
        }
    }
    return 0;
}

static void
enable_migration(void)
{
    char c = '0';
    int  fd = open(MIGRATE_REQ, O_RDWR | O_CLOEXEC);

    if (fd == -1) {
        return;
    }
    if (read(fd, &c, 1) == 1 && c == '0') {
        if (pwrite(fd, "1", 1, 0) == 1) {
            gw_log(GW_LOG_NOTICE, 0, "enabled net.ipv4.tcp_migrate_req so "
                   "closing slots hand their queued connections over");
        } else {
            gw_log(GW_LOG_WARN, errno, "cannot enable net.ipv4.tcp_migrate_"
                   "req: connections queued on closing slots may be reset");
        }
    }
    close(fd);
}

void
gw_listen_close_unused(gw_cycle_t *old, const gw_cycle_t *new_cycle)
{
    int shrinking = 0;

    for (unsigned i = 0; i < old->n_sockets; i++) {
        for (unsigned k = 0; k < old->sockets[i].n_fds; k++) {
            if (!is_reused(new_cycle, old->sockets[i].fds[k])) {
                shrinking |= old->sockets[i].type == SOCK_STREAM
                             && find_old(new_cycle, &old->sockets[i], 0) != -1;
            }
        }
    }
    if (shrinking) {
        enable_migration();
    }
    for (unsigned i = 0; i < old->n_sockets; i++) {
        for (unsigned k = 0; k < old->sockets[i].n_fds; k++) {
            int fd = old->sockets[i].fds[k];

            if (fd != -1 && !is_reused(new_cycle, fd)) {
                close(fd);
            }
            old->sockets[i].fds[k] = -1;
        }
    }
}

void
gw_listen_close(gw_cycle_t *cycle)
{
    for (unsigned i = 0; i < cycle->n_sockets; i++) {
        for (unsigned k = 0; k < cycle->sockets[i].n_fds; k++) {
            if (cycle->sockets[i].fds[k] != -1) {
                close(cycle->sockets[i].fds[k]);
                cycle->sockets[i].fds[k] = -1;
            }
        }
    }
}
