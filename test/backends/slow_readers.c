/*
 * test/backends/slow_readers.c: many clients that send a request and never
 * read the answer, for the memory and send_timeout tests.
 *
 *   slow_readers [-n N] [-t MS] [-r BYTES] ADDR:PORT REQUEST
 *
 *   -n N      connections (default 100)
 *   -t MS     hold them at most this long (default 30000)
 *   -r BYTES  SO_RCVBUF of each socket, set before the connect (default
 *             4096: the kernel takes little of the answer on our side)
 *   REQUEST   sent once on each connection; escapes \r \n \\
 *
 * Connects all N (non-blocking, at most 256 at a time in flight), sends
 * REQUEST on each, then reads nothing. Prints "ready N" once every
 * request has gone, then, every 200 ms while holding, how many
 * connections the server has closed so far: "closed K" (the line
 * changes only when K does). Exits 0 when -t passes (TERM ends it
 * sooner), 1 when connecting or sending failed, 2 on usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_FLIGHT 256

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t
unescape(char *s)
{
    char *out = s;

    for (char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            *out++ = *p == 'r' ? '\r' : *p == 'n' ? '\n' : *p;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return (size_t) (out - s);
}

static int
parse_addr(const char *arg, struct sockaddr_in *sin)
{
    char        host[64];
    const char *colon = strrchr(arg, ':');

    if (colon == NULL || (size_t) (colon - arg) >= sizeof(host)) {
        return -1;
    }
    memcpy(host, arg, (size_t) (colon - arg));
    host[colon - arg] = '\0';
    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t) atoi(colon + 1));
    return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

/* Open, connect and send on connections [from, to); 0 or -1. */
static int
open_batch(int *fds, int from, int to, const struct sockaddr_in *sin,
           int rcvbuf, const char *req, size_t len)
{
    struct pollfd p[IN_FLIGHT];

    for (int i = from; i < to; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fds[i] == -1) {
            perror("slow_readers: socket");
            return -1;
        }
        setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        if (connect(fds[i], (const struct sockaddr *) sin, sizeof(*sin)) != 0
            && errno != EINPROGRESS) {
            perror("slow_readers: connect");
            return -1;
        }
        p[i - from].fd = fds[i];
        p[i - from].events = POLLOUT;
    }
    for (int i = from; i < to; i++) {
        int       err = 0;
        socklen_t elen = sizeof(err);

        if (poll(&p[i - from], 1, 5000) != 1
            || getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &elen) != 0
            || err != 0 || send(fds[i], req, len, MSG_NOSIGNAL) != (ssize_t) len) {
            fprintf(stderr, "slow_readers: connection %d failed\n", i);
            return -1;
        }
    }
    return 0;
}

/* Connections the server has closed (a hang-up or error seen). */
static int
count_closed(const int *fds, int n)
{
    int closed = 0;

    for (int i = 0; i < n; i++) {
        struct pollfd p = { .fd = fds[i], .events = POLLRDHUP };

        if (poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
            closed++;
        }
    }
    return closed;
}

int
main(int argc, char **argv)
{
    int                n = 100, hold_ms = 30000, rcvbuf = 4096, opt, *fds;
    int                last = -1;
    struct sockaddr_in sin;
    size_t             len;
    long long          end;

    while ((opt = getopt(argc, argv, "n:t:r:")) != -1) {
        switch (opt) {
        case 'n': n = atoi(optarg); break;
        case 't': hold_ms = atoi(optarg); break;
        case 'r': rcvbuf = atoi(optarg); break;
        default: return 2;
        }
    }
    if (argc - optind != 2 || n <= 0 || parse_addr(argv[optind], &sin) != 0) {
        fprintf(stderr, "usage: slow_readers [-n N] [-t MS] [-r BYTES] "
                        "ADDR:PORT REQUEST\n");
        return 2;
    }
    len = unescape(argv[optind + 1]);
    fds = calloc((size_t) n, sizeof(*fds));
    for (int i = 0; fds && i < n; i += IN_FLIGHT) {
        int to = i + IN_FLIGHT < n ? i + IN_FLIGHT : n;

        if (open_batch(fds, i, to, &sin, rcvbuf, argv[optind + 1], len) != 0) {
            free(fds);
            return 1;
        }
    }
    printf("ready %d\n", n);
    fflush(stdout);
    end = now_ms() + hold_ms;
    while (now_ms() < end) {
        int closed = count_closed(fds, n);

        if (closed != last) {
            printf("closed %d\n", closed);
            fflush(stdout);
            last = closed;
        }
        poll(NULL, 0, 200);
    }
    free(fds);
    return 0;
}
