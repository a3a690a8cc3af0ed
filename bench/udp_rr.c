/*
 * bench/udp_rr.c: UDP request/response round trips per second.
 *
 *   udp_rr [-c SOCKETS] [-n IN_FLIGHT] [-s SIZE] -t SECONDS HOST PORT
 *
 * Each of SOCKETS (1) connected sockets (so many clients, many sessions)
 * keeps IN_FLIGHT (16) datagrams of SIZE (64) bytes outstanding: every
 * reply is counted and answered with a new datagram. A lost datagram would
 * lower the window, so after 50 ms without a reply on a socket its window
 * is topped up again (and the losses counted). Prints "round trips/s: N"
 * (all sockets together) and "lost: N".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

#define MAX_SOCKETS 64

typedef struct flow {
    int    fd;
    int    outstanding;
    double last_reply;
} flow_t;

static int
open_flow(flow_t *f, const struct sockaddr_in *sin)
{
    f->fd = socket(AF_INET, SOCK_DGRAM, 0);
    f->outstanding = 0;
    f->last_reply = now();
    if (f->fd == -1 || connect(f->fd, (const struct sockaddr *) sin,
                               sizeof(*sin)) != 0) {
        perror("udp_rr: connect");
        return -1;
    }
    return 0;
}

/* Top the window up, and write off a window that went quiet. */
static void
fill(flow_t *f, int in_flight, const char *buf, int size, double t,
     unsigned long long *lost)
{
    if (t - f->last_reply > 0.05) {
        *lost += (unsigned long long) f->outstanding;
        f->outstanding = 0;
        f->last_reply = t;
    }
    while (f->outstanding < in_flight && send(f->fd, buf, (size_t) size, 0) >= 0) {
        f->outstanding++;
    }
}

static unsigned long long
drain(flow_t *f, char *buf, size_t len)
{
    unsigned long long n = 0;

    while (recv(f->fd, buf, len, MSG_DONTWAIT) > 0) {
        n++;
        f->outstanding = f->outstanding > 0 ? f->outstanding - 1 : 0;
        f->last_reply = now();
    }
    return n;
}

int
main(int argc, char **argv)
{
    int                 in_flight = 16, size = 64, sockets = 1, opt;
    double              seconds = 5, start, end;
    unsigned long long  replies = 0, lost = 0;
    static char         buf[65536];
    struct sockaddr_in  sin;
    flow_t              flows[MAX_SOCKETS];
    struct pollfd       pfd[MAX_SOCKETS];

    while ((opt = getopt(argc, argv, "c:n:s:t:")) != -1) {
        switch (opt) {
        case 'c': sockets = atoi(optarg);   break;
        case 'n': in_flight = atoi(optarg); break;
        case 's': size = atoi(optarg);      break;
        case 't': seconds = atof(optarg);   break;
        default:  return 2;
        }
    }
    if (optind + 2 > argc || size <= 0 || size > (int) sizeof(buf)
        || sockets < 1 || sockets > MAX_SOCKETS) {
        fprintf(stderr, "usage: udp_rr [-c SOCKETS] [-n IN_FLIGHT] [-s SIZE] "
                "-t SECONDS HOST PORT\n");
        return 2;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t) atoi(argv[optind + 1]));
    inet_pton(AF_INET, argv[optind], &sin.sin_addr);
    for (int i = 0; i < sockets; i++) {
        if (open_flow(&flows[i], &sin) != 0) {
            return 1;
        }
        pfd[i].fd = flows[i].fd;
        pfd[i].events = POLLIN;
    }
    memset(buf, 'r', (size_t) size);
    start = now();
    end = start + seconds;
    for (double t = start; t < end; t = now()) {
        for (int i = 0; i < sockets; i++) {
            fill(&flows[i], in_flight, buf, size, t, &lost);
        }
        if (poll(pfd, (nfds_t) sockets, 10) <= 0) {
            continue;
        }
        for (int i = 0; i < sockets; i++) {
            if (pfd[i].revents & POLLIN) {
                replies += drain(&flows[i], buf, sizeof(buf));
            }
        }
    }
    printf("round trips/s: %.0f\nlost: %llu\n",
           (double) replies / (now() - start), lost);
    return replies ? 0 : 1;
}
