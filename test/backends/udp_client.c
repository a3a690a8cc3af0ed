/*
 * test/backends/udp_client.c: the UDP client of the integration tests.
 *
 *   udp_client [-t MS] [-b IP] [-p PORT] [-w W] COMMAND ADDR:PORT [ARGS]
 *
 *   send TEXT...      one socket: each TEXT is sent and its reply awaited
 *                     and printed, one line each
 *   collect MS TEXT   one socket: send TEXT once, print every reply until
 *                     MS pass without one, then "replies N"
 *   silent MS TEXT... one socket: send every TEXT, then expect no reply
 *                     within MS: prints "no reply" (exit 0) or the reply
 *                     (exit 1)
 *   from TEXT         send TEXT, print the source address of the reply
 *                     ("127.0.0.2:5000", "[::1]:5000") and not its text
 *   echo SIZE...      one socket: datagrams of SIZE bytes (SIZExN: N of
 *                     them), a pattern that differs per datagram; -w W of
 *                     them in flight; each reply must be the next datagram
 *                     sent, byte for byte (none lost, split, merged or
 *                     reordered); prints "echo: N ok"
 *   sockets N TEXT    N sockets, opened together and kept open till the
 *                     end (so N source ports, N sessions): one after the
 *                     other, each sends TEXT and prints the reply; then
 *                     "sockets: OK/N ok"
 *   hold EVERY_MS FOR_MS TEXT
 *                     one socket: TEXT every EVERY_MS for FOR_MS, each
 *                     reply awaited; prints "ready PORT" (our source port)
 *                     after the first reply, then "hold: OK/N ok"
 *   load W FOR_MS [SIZE]
 *                     one socket, W numbered datagrams in flight for
 *                     FOR_MS (one lost after 1 s is replaced); each reply
 *                     must be a datagram we sent, intact; prints
 *                     "load: sent S received R lost L"
 *   burst NSOCK COUNT SIZE
 *                     COUNT datagrams of SIZE bytes (0 allowed) spread over
 *                     NSOCK sockets, sent without waiting; then replies
 *                     are read for 300 ms; prints "burst: sent S received R"
 *   flood NSOCK FOR_MS SIZE
 *                     datagrams of SIZE bytes as fast as they go (64 per
 *                     sendmmsg), spread over NSOCK sockets, for FOR_MS
 *                     (replies are read and counted on the way); prints
 *                     "flood: sent S received R"
 *
 * Every reply must come from the address it was sent to (except for
 * "from", which prints it). -t MS bounds every wait for a reply (default
 * 3000). -b IP binds our sockets to IP (port chosen by the kernel); -p
 * PORT binds to that source port (two runs with the same -p are the same
 * client address to the gateway; not with sockets or burst).
 * Exit status: 0 success, 1 failure (reason on stderr), 2 usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_MAX   65536
#define MAX_SOCKETS 1024
#define MAX_WINDOW  1024
#define LOST_MS     1000

static int                     timeout_ms = 3000;
static int                     window = 1;
static const char             *bind_ip;
static unsigned                bind_port;
static struct sockaddr_storage peer;
static socklen_t               peer_len;
static char                    rbuf[DGRAM_MAX];

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
fail(const char *fmt, ...)
{
    va_list ap;

    fputs("udp_client: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* "1.2.3.4" or "::1" (PORT) into SS; 0 or -1. */
static int
parse_ip(const char *host, unsigned port, struct sockaddr_storage *ss,
         socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(host, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t) port);
        *len = sizeof(*s6);
        return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *) ss;

    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t) port);
    *len = sizeof(*s4);
    return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
}

/* "1.2.3.4:80" or "[::1]:80" into peer. */
static int
parse_addr(const char *text)
{
    char        host[128];
    const char *colon = strrchr(text, ':');
    size_t      len;

    if (colon == NULL || (len = (size_t) (colon - text)) >= sizeof(host)) {
        return -1;
    }
    memcpy(host, text, len);
    host[len] = '\0';
    if (host[0] == '[' && len > 2 && host[len - 1] == ']') {
        host[len - 1] = '\0';
        return parse_ip(host + 1, (unsigned) atoi(colon + 1), &peer, &peer_len);
    }
    return parse_ip(host, (unsigned) atoi(colon + 1), &peer, &peer_len);
}

static void
format_addr(const struct sockaddr_storage *ss, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";

    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *) ss;

        inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(buf, size, "[%s]:%u", host, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *) ss;

        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(buf, size, "%s:%u", host, ntohs(s4->sin_port));
    }
}

static int
is_peer(const struct sockaddr_storage *a)
{
    if (a->ss_family != peer.ss_family) {
        return 0;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *) a, *y = (const void *) &peer;

        return x->sin6_port == y->sin6_port
               && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
    }
    const struct sockaddr_in *x = (const void *) a, *y = (const void *) &peer;

    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* A non-blocking unconnected socket of peer's family (bound to -b). */
static int
open_socket(void)
{
    int fd = socket(peer.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int size = 4 << 20;

    if (fd == -1) {
        fail("socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    if (bind_ip || bind_port) {
        struct sockaddr_storage ss;
        socklen_t               len;
        const char             *ip = bind_ip ? bind_ip
                                     : peer.ss_family == AF_INET6 ? "::"
                                     : "0.0.0.0";
        int                     one = 1;

        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (parse_ip(ip, bind_port, &ss, &len) != 0
            || bind(fd, (struct sockaddr *) &ss, len) != 0) {
            fail("bind to %s port %u: %s", ip, bind_port, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

static unsigned
local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t               len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *) &ss, &len) != 0) {
        return 0;
    }
    return ss.ss_family == AF_INET6
           ? ntohs(((struct sockaddr_in6 *) &ss)->sin6_port)
           : ntohs(((struct sockaddr_in *) &ss)->sin_port);
}

/* Send one datagram to peer, waiting (bounded) for buffer room; 0 or -1. */
static int
send_dgram(int fd, const void *buf, size_t len)
{
    int64_t end = now_ms() + timeout_ms;

    for ( ;; ) {
        if (sendto(fd, buf, len, 0, (struct sockaddr *) &peer, peer_len)
            == (ssize_t) len) {
            return 0;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS
            && errno != EINTR) {
            return fail("sendto (%zu bytes): %s", len, strerror(errno));
        }
        if (now_ms() >= end) {
            return fail("sendto: no buffer room for %d ms", timeout_ms);
        }
        struct pollfd p = { .fd = fd, .events = POLLOUT };

        poll(&p, 1, 10);
    }
}

/*
 * Wait up to MS for a datagram on FD into rbuf: its length, -1 on
 * timeout, -2 on an error (message given). FROM (may be NULL) gets the
 * source; without FROM a source other than peer is an error.
 */
static ssize_t
recv_dgram(int fd, int ms, struct sockaddr_storage *from)
{
    int64_t end = now_ms() + ms;

    for ( ;; ) {
        struct sockaddr_storage src;
        socklen_t               len = sizeof(src);
        ssize_t                 n = recvfrom(fd, rbuf, sizeof(rbuf), MSG_TRUNC,
                                             (struct sockaddr *) &src, &len);

        if (n >= 0) {
            if (n > (ssize_t) sizeof(rbuf)) {
                fail("a reply of %zd bytes, over %zu", n, sizeof(rbuf));
                return -2;
            }
            if (from) {
                *from = src;
            } else if (!is_peer(&src)) {
                char got[80], want[80];

                format_addr(&src, got, sizeof(got));
                format_addr(&peer, want, sizeof(want));
                fail("a reply from %s, not from %s where we sent", got, want);
                return -2;
            }
            return n;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            fail("recvfrom: %s", strerror(errno));
            return -2;
        }
        int64_t left = end - now_ms();

        if (left <= 0) {
            return -1;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };

        poll(&p, 1, (int) left);
    }
}

/* Print a reply as one line. */
static void
print_reply(ssize_t n)
{
    fwrite(rbuf, 1, (size_t) n, stdout);
    fputc('\n', stdout);
}

/* ---- commands ------------------------------------------------------------ */

static int
cmd_send(int argc, char **argv)
{
    int fd = open_socket();

    if (fd == -1) {
        return 1;
    }
    for (int i = 0; i < argc; i++) {
        ssize_t n;

        if (send_dgram(fd, argv[i], strlen(argv[i])) != 0) {
            return 1;
        }
        n = recv_dgram(fd, timeout_ms, NULL);
        if (n == -1) {
            return fail("send: no reply to datagram %d (\"%s\") within %d ms",
                        i + 1, argv[i], timeout_ms);
        }
        if (n < 0) {
            return 1;
        }
        print_reply(n);
    }
    return 0;
}

static int
cmd_collect(int argc, char **argv)
{
    int     fd, ms, got = 0;
    ssize_t n;

    if (argc != 2) {
        return fail("usage: collect MS TEXT") + 1;
    }
    ms = atoi(argv[0]);
    if ((fd = open_socket()) == -1 || send_dgram(fd, argv[1], strlen(argv[1])) != 0) {
        return 1;
    }
    while ((n = recv_dgram(fd, ms, NULL)) >= 0) {
        print_reply(n);
        got++;
    }
    printf("replies %d\n", got);
    return n == -2;
}

static int
cmd_silent(int argc, char **argv)
{
    int     fd, ms;
    ssize_t n;

    if (argc < 2) {
        return fail("usage: silent MS TEXT...") + 1;
    }
    ms = atoi(argv[0]);
    if ((fd = open_socket()) == -1) {
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (send_dgram(fd, argv[i], strlen(argv[i])) != 0) {
            return 1;
        }
    }
    n = recv_dgram(fd, ms, NULL);
    if (n == -1) {
        printf("no reply\n");
        return 0;
    }
    if (n >= 0) {
        printf("reply: ");
        print_reply(n);
    }
    return 1;
}

static int
cmd_from(int argc, char **argv)
{
    struct sockaddr_storage from;
    char                    text[80];
    int                     fd;
    ssize_t                 n;

    if (argc != 1) {
        return fail("usage: from TEXT") + 1;
    }
    if ((fd = open_socket()) == -1 || send_dgram(fd, argv[0], strlen(argv[0])) != 0) {
        return 1;
    }
    n = recv_dgram(fd, timeout_ms, &from);
    if (n == -1) {
        return fail("from: no reply within %d ms", timeout_ms);
    }
    if (n < 0) {
        return 1;
    }
    format_addr(&from, text, sizeof(text));
    printf("%s\n", text);
    return 0;
}

/* Byte J of datagram I: differs per datagram and per position. */
static unsigned char
pattern(unsigned i, size_t j)
{
    uint32_t x = (uint32_t) (i * 2654435761u) ^ (uint32_t) (j * 40503u);

    x ^= x >> 13;
    return (unsigned char) (x ^ (x >> 7) ^ (j >> 8));
}

static void
fill(char *buf, unsigned i, size_t len)
{
    for (size_t j = 0; j < len; j++) {
        buf[j] = (char) pattern(i, j);
    }
}

static int
cmd_echo(int argc, char **argv)
{
    static char sbuf[DGRAM_MAX];
    static size_t sizes[100000];
    unsigned    n = 0, sent = 0, got = 0;
    int         fd;

    for (int a = 0; a < argc; a++) {
        char         *x;
        unsigned long size = strtoul(argv[a], &x, 10), count = 1;

        if (*x == 'x') {
            count = strtoul(x + 1, &x, 10);
        }
        if (*x || size > 65527 || n + count > 100000) {
            return fail("echo: bad size %s", argv[a]) + 1;
        }
        while (count-- > 0) {
            sizes[n++] = size;
        }
    }
    if ((fd = open_socket()) == -1) {
        return 1;
    }
    while (got < n) {
        ssize_t r;

        while (sent < n && sent - got < (unsigned) window) {
            fill(sbuf, sent, sizes[sent]);
            if (send_dgram(fd, sbuf, sizes[sent]) != 0) {
                return 1;
            }
            sent++;
        }
        r = recv_dgram(fd, timeout_ms, NULL);
        if (r == -1) {
            return fail("echo: no reply to datagram %u (%zu bytes) within %d ms"
                        " (%u ok before)", got + 1, sizes[got], timeout_ms, got);
        }
        if (r < 0) {
            return 1;
        }
        if ((size_t) r != sizes[got]) {
            return fail("echo: reply %u has %zd bytes, datagram %u had %zu "
                        "(split, merged, lost or reordered)", got + 1, r,
                        got + 1, sizes[got]);
        }
        for (size_t j = 0; j < (size_t) r; j++) {
            if ((unsigned char) rbuf[j] != pattern(got, j)) {
                return fail("echo: reply %u (%zd bytes) differs at byte %zu",
                            got + 1, r, j);
            }
        }
        got++;
    }
    printf("echo: %u ok\n", n);
    return 0;
}

static int
cmd_sockets(int argc, char **argv)
{
    static int fds[MAX_SOCKETS];
    int        n, good = 0;

    if (argc != 2 || (n = atoi(argv[0])) < 1 || n > MAX_SOCKETS
        || (bind_port && n > 1)) {
        return fail("usage: sockets N TEXT (N in 1..%d)", MAX_SOCKETS) + 1;
    }
    for (int i = 0; i < n; i++) {
        if ((fds[i] = open_socket()) == -1) {
            return 1;
        }
        if (!bind_ip && !bind_port) {
            /* bound now, so the N ports differ from the start */
            struct sockaddr_storage any;
            socklen_t               len;

            parse_ip(peer.ss_family == AF_INET6 ? "::" : "0.0.0.0", 0,
                     &any, &len);
            if (bind(fds[i], (struct sockaddr *) &any, len) != 0) {
                return fail("bind: %s", strerror(errno));
            }
        }
    }
    for (int i = 0; i < n; i++) {
        ssize_t r;

        if (send_dgram(fds[i], argv[1], strlen(argv[1])) != 0) {
            return 1;
        }
        r = recv_dgram(fds[i], timeout_ms, NULL);
        if (r >= 0) {
            print_reply(r);
            good++;
        } else if (r == -1) {
            fail("sockets: no reply on socket %d within %d ms", i + 1, timeout_ms);
        }
    }
    printf("sockets: %d/%d ok\n", good, n);
    return good == n ? 0 : 1;
}

static int
cmd_hold(int argc, char **argv)
{
    int     fd, every, dur, good = 0, tries = 0;
    int64_t end, next;

    if (argc != 3) {
        return fail("usage: hold EVERY_MS FOR_MS TEXT") + 1;
    }
    every = atoi(argv[0]);
    dur = atoi(argv[1]);
    if ((fd = open_socket()) == -1) {
        return 1;
    }
    end = now_ms() + dur;
    next = now_ms();
    do {
        ssize_t r;
        int64_t wait = next - now_ms();

        if (wait > 0) {
            poll(NULL, 0, (int) wait);
        }
        next += every;
        tries++;
        if (send_dgram(fd, argv[2], strlen(argv[2])) != 0) {
            return 1;
        }
        r = recv_dgram(fd, timeout_ms, NULL);
        if (r == -2) {
            return 1;
        }
        if (r == -1) {
            fail("hold: no reply to datagram %d within %d ms", tries, timeout_ms);
            continue;
        }
        if ((size_t) r != strlen(argv[2]) || memcmp(rbuf, argv[2], (size_t) r)) {
            fail("hold: reply %d is not the echo", tries);
            continue;
        }
        if (good++ == 0) {
            printf("ready %u\n", local_port(fd));
            fflush(stdout);
        }
    } while (next < end);
    printf("hold: %d/%d ok\n", good, tries);
    return good == tries ? 0 : 1;
}

static int
cmd_load(int argc, char **argv)
{
    static char        sbuf[DGRAM_MAX];
    static int64_t     sent_at[MAX_WINDOW];
    static uint64_t    seq_at[MAX_WINDOW];
    static char        done[MAX_WINDOW];
    unsigned long long sent = 0, received = 0, lost = 0, lo = 0;
    size_t             size = 64;
    int                fd, bad = 0;
    int64_t            end, drain_end;

    if (argc < 2) {
        return fail("usage: load W FOR_MS [SIZE]") + 1;
    }
    window = atoi(argv[0]);
    if (window < 1 || window > MAX_WINDOW) {
        return fail("load: W in 1..%d", MAX_WINDOW) + 1;
    }
    end = now_ms() + atoi(argv[1]);
    if (argc > 2) {
        size = strtoul(argv[2], NULL, 10);
    }
    if (size < 8 || size > 65507) {
        return fail("load: SIZE in 8..65507") + 1;
    }
    if ((fd = open_socket()) == -1) {
        return 1;
    }
    drain_end = end + LOST_MS;
    for ( ;; ) {
        int64_t now = now_ms();
        ssize_t r;

        /* retire the oldest: answered, or given up on */
        while (lo < sent && (done[lo % window]
                             || now - sent_at[lo % window] > LOST_MS)) {
            if (!done[lo % window]) {
                lost++;
            }
            lo++;
        }
        if (now >= end && lo == sent) {
            break;
        }
        if (now >= drain_end) {
            lost += sent - lo;      /* still unanswered after the end */
            break;
        }
        while (now < end && sent - lo < (unsigned) window) {
            unsigned k = (unsigned) (sent % (unsigned) window);

            fill(sbuf, (unsigned) sent, size);
            memcpy(sbuf, &sent, sizeof(sent));
            if (send_dgram(fd, sbuf, size) != 0) {
                return 1;
            }
            sent_at[k] = now;
            seq_at[k] = sent;
            done[k] = 0;
            sent++;
        }
        r = recv_dgram(fd, 50, NULL);
        if (r == -2) {
            return 1;
        }
        if (r >= 0) {
            uint64_t seq;

            if ((size_t) r != size) {
                bad++;
                continue;
            }
            memcpy(&seq, rbuf, sizeof(seq));
            fill(sbuf, (unsigned) seq, size);
            memcpy(sbuf, &seq, sizeof(seq));
            if (memcmp(sbuf, rbuf, size) != 0) {
                bad++;
                continue;
            }
            if (seq >= lo && seq < sent && seq_at[seq % window] == seq
                && !done[seq % window]) {
                done[seq % window] = 1;
                received++;
            }
        }
    }
    printf("load: sent %llu received %llu lost %llu\n", sent, received, lost);
    if (bad) {
        return fail("load: %d replies were not a datagram we sent", bad);
    }
    return received > 0 ? 0 : 1;
}

static int
cmd_burst(int argc, char **argv)
{
    static char sbuf[DGRAM_MAX];
    static int  fds[MAX_SOCKETS];
    int         nsock, count, sent = 0, received = 0;
    size_t      size;
    int64_t     end;

    if (argc != 3 || (nsock = atoi(argv[0])) < 1 || nsock > MAX_SOCKETS
        || (bind_port && nsock > 1)
        || (count = atoi(argv[1])) < 0 || (size = strtoul(argv[2], NULL, 10)) > 65507) {
        return fail("usage: burst NSOCK COUNT SIZE") + 1;
    }
    for (int i = 0; i < nsock; i++) {
        if ((fds[i] = open_socket()) == -1) {
            return 1;
        }
    }
    fill(sbuf, 7, size);
    for (int i = 0; i < count; i++) {
        if (sendto(fds[i % nsock], sbuf, size, 0, (struct sockaddr *) &peer,
                   peer_len) == (ssize_t) size) {
            sent++;
        }
    }
    end = now_ms() + 300;
    while (now_ms() < end) {
        struct pollfd p[MAX_SOCKETS];
        int           ready;

        for (int i = 0; i < nsock; i++) {
            p[i].fd = fds[i];
            p[i].events = POLLIN;
        }
        ready = poll(p, (nfds_t) nsock, (int) (end - now_ms()));
        for (int i = 0; ready > 0 && i < nsock; i++) {
            while (p[i].revents
                   && recv(fds[i], rbuf, sizeof(rbuf), MSG_DONTWAIT) >= 0) {
                received++;
            }
        }
    }
    printf("burst: sent %d received %d\n", sent, received);
    return 0;
}

static int
cmd_flood(int argc, char **argv)
{
    enum { VLEN = 64 };
    static char           sbuf[DGRAM_MAX];
    static int            fds[MAX_SOCKETS];
    static struct mmsghdr msgs[VLEN];
    static struct iovec   iov;
    long long             sent = 0, received = 0;
    int                   nsock;
    size_t                size;
    int64_t               end;

    if (argc != 3 || (nsock = atoi(argv[0])) < 1 || nsock > MAX_SOCKETS
        || (bind_port && nsock > 1)
        || (size = strtoul(argv[2], NULL, 10)) > 65507) {
        return fail("usage: flood NSOCK FOR_MS SIZE") + 1;
    }
    for (int i = 0; i < nsock; i++) {
        if ((fds[i] = open_socket()) == -1) {
            return 1;
        }
    }
    fill(sbuf, 7, size);
    iov.iov_base = sbuf;
    iov.iov_len = size;
    for (int k = 0; k < VLEN; k++) {
        msgs[k].msg_hdr.msg_name = &peer;
        msgs[k].msg_hdr.msg_namelen = peer_len;
        msgs[k].msg_hdr.msg_iov = &iov;
        msgs[k].msg_hdr.msg_iovlen = 1;
    }
    /* VLEN datagrams a call (sendmmsg): faster than a gateway can relay */
    end = now_ms() + atoi(argv[1]);
    while (now_ms() < end) {
        for (int i = 0; i < nsock; i++) {
            int n = sendmmsg(fds[i], msgs, VLEN, 0);

            if (n > 0) {
                sent += n;
            }
            while (recv(fds[i], rbuf, sizeof(rbuf), MSG_DONTWAIT) >= 0) {
                received++;
            }
        }
    }
    printf("flood: sent %lld received %lld\n", sent, received);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int       (*fn)(int, char **);
    } cmds[] = {
        { "send", cmd_send },       { "collect", cmd_collect },
        { "silent", cmd_silent },   { "from", cmd_from },
        { "echo", cmd_echo },       { "sockets", cmd_sockets },
        { "hold", cmd_hold },       { "load", cmd_load },
        { "burst", cmd_burst },     { "flood", cmd_flood },
    };
    int opt;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "+t:b:p:w:")) != -1) {
        switch (opt) {
        case 't': timeout_ms = atoi(optarg); break;
        case 'b': bind_ip = optarg; break;
        case 'p': bind_port = (unsigned) atoi(optarg); break;
        case 'w': window = atoi(optarg); break;
        default: goto usage;
        }
    }
    if (argc - optind < 2 || window < 1 || window > MAX_WINDOW) {
        goto usage;
    }
    if (parse_addr(argv[optind + 1]) != 0) {
        fail("bad address %s", argv[optind + 1]);
        return 2;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[optind], cmds[i].name) == 0) {
            return cmds[i].fn(argc - optind - 2, argv + optind + 2);
        }
    }

usage:
    fprintf(stderr, "usage: udp_client [-t MS] [-b IP] [-p PORT] [-w W] COMMAND "
            "ADDR:PORT [ARGS] (see the source)\n");
    return 2;
}
