/*
 * test/backends/blackhole.c: an address where a TCP connect hangs, for the
 * connect_timeout tests.
 *
 *   blackhole ADDR:PORT
 *
 * Listens with a backlog of 0 and never accepts, then fills the accept
 * queue with connections of its own: Linux drops the SYNs of any later
 * connect while the queue is full, so those connects neither succeed nor
 * fail until the client gives up. Prints "ready" once the queue is full;
 * stops on TERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FILLERS 4       /* more than a backlog of 0 ever holds */

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
    (void) sig;
    stop = 1;
}

static int
parse(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
    char        host[64];
    const char *colon = strrchr(arg, ':');
    int         port;

    if (colon == NULL || (size_t) (colon - arg) >= sizeof(host)) {
        return -1;
    }
    memcpy(host, arg, (size_t) (colon - arg));
    host[colon - arg] = '\0';
    port = atoi(colon + 1);
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;

        host[strlen(host) - 1] = '\0';
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t) port);
        *len = sizeof(*s6);
        return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? 0 : -1;
    }
    ((struct sockaddr_in *) ss)->sin_family = AF_INET;
    ((struct sockaddr_in *) ss)->sin_port = htons((uint16_t) port);
    *len = sizeof(struct sockaddr_in);
    return inet_pton(AF_INET, host, &((struct sockaddr_in *) ss)->sin_addr) == 1
           ? 0 : -1;
}

/* A connect that completes into the queue; -1 once the queue is full. */
static int
fill_one(const struct sockaddr_storage *ss, socklen_t len)
{
    int           fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int           err = 0;
    socklen_t     elen = sizeof(err);

    if (fd == -1) {
        return -1;
    }
    connect(fd, (const struct sockaddr *) ss, len);
    if (poll(&p, 1, 300) == 1
        && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0) {
        return fd;
    }
    close(fd);
    return -1;
}

int
main(int argc, char **argv)
{
    struct sockaddr_storage ss;
    socklen_t               len;
    int                     fd, one = 1, filled = 0;

    if (argc != 2 || parse(argv[1], &ss, &len) != 0) {
        fprintf(stderr, "usage: blackhole ADDR:PORT\n");
        return 2;
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    fd = socket(ss.ss_family, SOCK_STREAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd == -1 || bind(fd, (struct sockaddr *) &ss, len) != 0
        || listen(fd, 0) != 0) {
        perror("blackhole: listen");
        return 1;
    }
    /* the sockets stay open (a closed one would leave the queue) */
    for (int i = 0; i < FILLERS; i++) {
        filled += fill_one(&ss, len) != -1;
    }
    if (filled == 0) {
        fprintf(stderr, "blackhole: could not fill the accept queue\n");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (!stop) {
        pause();
    }
    return 0;
}
