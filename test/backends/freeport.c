/*
 * test/backends/freeport.c: print N free TCP ports, one a line.
 *
 *   freeport [N]
 *
 *   freeport -u [N]
 *
 * Binds N sockets to 127.0.0.1:0 at once (so the ports differ), reads the
 * ports the kernel chose, closes them. Each port is also checked free on
 * [::1] when IPv6 is available, so a test may listen on either family.
 * With -u each port is also free for UDP on every address (0.0.0.0 and
 * [::] bind), so a udp listener, wildcard or not, or a udp backend may
 * take it, and a port meant to be dead has nothing bound.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PORTS 64

/* 0 when PORT can be bound on [::1] (or IPv6 is missing), else -1. */
static int
free_on_v6(unsigned port)
{
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
    int                 fd = socket(AF_INET6, SOCK_STREAM, 0), rc;

    if (fd == -1) {
        return 0;
    }
    sin6.sin6_addr = in6addr_loopback;
    sin6.sin6_port = htons((uint16_t) port);
    rc = bind(fd, (struct sockaddr *) &sin6, sizeof(sin6));
    close(fd);
    return rc == 0 ? 0 : -1;
}

/* 0 when PORT can be bound for UDP on the wildcard of FAMILY (or the
 * family is missing), else -1. */
static int
udp_free_on(int family, unsigned port)
{
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
    struct sockaddr_in  sin = { .sin_family = AF_INET };
    int                 fd = socket(family, SOCK_DGRAM, 0), one = 1, rc;

    if (fd == -1) {
        return family == AF_INET ? -1 : 0;
    }
    if (family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        sin6.sin6_addr = in6addr_any;
        sin6.sin6_port = htons((uint16_t) port);
        rc = bind(fd, (struct sockaddr *) &sin6, sizeof(sin6));
    } else {
        sin.sin_addr.s_addr = htonl(INADDR_ANY);
        sin.sin_port = htons((uint16_t) port);
        rc = bind(fd, (struct sockaddr *) &sin, sizeof(sin));
    }
    close(fd);
    return rc == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
    int      fds[MAX_PORTS * 2];
    unsigned ports[MAX_PORTS];
    int      udp = argc > 1 && strcmp(argv[1], "-u") == 0;
    int      n, got = 0, opened = 0;

    argc -= udp;
    argv += udp;
    n = argc > 1 ? atoi(argv[1]) : 1;

    if (n < 1 || n > MAX_PORTS) {
        fprintf(stderr, "usage: freeport [-u] [N], N in 1..%d\n", MAX_PORTS);
        return 2;
    }
    while (got < n && opened < MAX_PORTS * 2) {
        struct sockaddr_in sin = { .sin_family = AF_INET };
        socklen_t          len = sizeof(sin);
        int                fd = socket(AF_INET, SOCK_STREAM, 0);

        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd == -1 || bind(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0
            || getsockname(fd, (struct sockaddr *) &sin, &len) != 0) {
            perror("freeport");
            return 1;
        }
        fds[opened++] = fd;         /* held until the end: no repeats */
        if (free_on_v6(ntohs(sin.sin_port)) == 0
            && (!udp || (udp_free_on(AF_INET, ntohs(sin.sin_port)) == 0
                         && udp_free_on(AF_INET6, ntohs(sin.sin_port)) == 0))) {
            ports[got++] = ntohs(sin.sin_port);
        }
    }
    for (int i = 0; i < opened; i++) {
        close(fds[i]);
    }
    for (int i = 0; i < got; i++) {
        printf("%u\n", ports[i]);
    }
    return got == n ? 0 : 1;
}
