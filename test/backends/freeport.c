/*
 * test/backends/freeport.c: print N free TCP ports, one a line.
 *
 *   freeport [N]
 *
 * Binds N sockets to 127.0.0.1:0 at once (so the ports differ), reads the
 * ports the kernel chose, closes them. Each port is also checked free on
 * [::1] when IPv6 is available, so a test may listen on either family.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
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

int
main(int argc, char **argv)
{
    int      fds[MAX_PORTS * 2];
    unsigned ports[MAX_PORTS];
    int      n = argc > 1 ? atoi(argv[1]) : 1, got = 0, opened = 0;

    if (n < 1 || n > MAX_PORTS) {
        fprintf(stderr, "usage: freeport [N], N in 1..%d\n", MAX_PORTS);
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
        if (free_on_v6(ntohs(sin.sin_port)) == 0) {
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
