/*
 * test/backends/tcp_client.c: the TCP client of the integration tests.
 *
 *   tcp_client [-t MS] [-n N] [-s TEXT] COMMAND ADDR:PORT [ARGS]
 *
 *   echo BYTES        send BYTES of pseudo-random data while reading the
 *                     echo and checking it byte for byte; after the last
 *                     byte shut down our write side and expect EOF once
 *                     everything came back
 *   send BYTES        send BYTES of 'a'..'z', shut down our write side,
 *                     print everything the server sends until EOF
 *   read              (with -s TEXT: send it, then shut down our write
 *                     side) print what the server sends until EOF; -n N
 *                     repeats it N times in a row
 *   readsend BYTES    print what the server sends until EOF, then send
 *                     BYTES and shut down our write side (the server
 *                     closed first: is our direction still open?)
 *   pingpong EVERY_MS FOR_MS
 *                     one session: a line every EVERY_MS for FOR_MS, each
 *                     echo checked; prints "ready" once the first came back
 *   trickle EVERY_MS FOR_MS
 *                     one byte every EVERY_MS for FOR_MS without reading,
 *                     then shut down our write side and print what the
 *                     server sends until EOF (traffic one way only)
 *   idle MAX_MS       send one byte, read its echo (-n N: N times, 300 ms
 *                     apart), then wait for the server to close: prints
 *                     "closed MS" (MS since the last echo) or "open MS"
 *                     when MAX_MS passed first
 *   parallel N HOLD_MS
 *                     N clients at once, each: connect, echo a line, keep
 *                     the tunnel HOLD_MS, half-close, expect EOF; prints
 *                     "parallel: OK/N ok"
 *   loop FOR_MS       one small echo session after another for FOR_MS;
 *                     prints "loop: OK ok, F failed"
 *   connect           exit 0 if a connection is accepted, 1 if not
 *   reset [BYTES]     (send BYTES first) then close with RST
 *   stuff BYTES [HOLD_MS]
 *                     send up to BYTES without ever reading; when no byte
 *                     goes out for 500 ms (backpressure) print "stuff:
 *                     stalled after N bytes"; with HOLD_MS, keep still up
 *                     to HOLD_MS more and print "closed after MS" if the
 *                     server closes meanwhile (MS since the stall) or
 *                     "open"; then close with RST; exit 1 if all BYTES
 *                     went (nothing pushed back)
 *   burst N           N connections opened at once, then closed
 *   blackhole         listen on ADDR:PORT with backlog 0 and fill the
 *                     queue, so later SYNs are dropped; prints "ready",
 *                     then sleeps until killed
 *
 * -t MS bounds every wait (default 10000): no progress for MS is a failure;
 * for parallel it bounds the whole run.
 * Exit status: 0 success, 1 failure (reason on stderr), 2 usage,
 * 3 (read) the connection was reset.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK       65536
#define MAX_CLIENTS 4096

static int                     timeout_ms = 10000;
static int                     repeat = 1;
static const char             *send_text;
static struct sockaddr_storage peer;
static socklen_t               peer_len;

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

    fputs("tcp_client: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
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
    memset(&peer, 0, sizeof(peer));
    if (host[0] == '[' && len > 2 && host[len - 1] == ']') {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &peer;

        host[len - 1] = '\0';
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t) atoi(colon + 1));
        peer_len = sizeof(*sin6);
        return inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) == 1 ? 0 : -1;
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *) &peer;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t) atoi(colon + 1));
        peer_len = sizeof(*sin);
        return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
    }
}

/* A non-blocking socket with a connect to peer started. */
static int
start_connect(void)
{
    int fd = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);

    if (fd == -1) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *) &peer, peer_len) != 0
        && errno != EINPROGRESS) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Wait up to MS for EVENTS on FD: revents, 0 on timeout. */
static int
wait_for(int fd, short events, int ms)
{
    struct pollfd p = { .fd = fd, .events = events };
    int           n;

    do {
        n = poll(&p, 1, ms < 0 ? 0 : ms);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? p.revents : 0;
}

/* A connected non-blocking socket, or -1 with a message. */
static int
dial(void)
{
    int       fd = start_connect(), err = 0;
    socklen_t len = sizeof(err);

    if (fd == -1) {
        fail("connect: %s", strerror(errno));
        return -1;
    }
    if (wait_for(fd, POLLOUT, timeout_ms) == 0) {
        close(fd);
        fail("connect: timed out after %d ms", timeout_ms);
        return -1;
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        close(fd);
        fail("connect: %s", strerror(err));
        return -1;
    }
    return fd;
}

/* Send all of BUF, waiting for room: 0, or -1 with a message. */
static int
send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n > 0) {
            buf += n;
            len -= (size_t) n;
        } else if (n < 0 && errno == EAGAIN) {
            if (wait_for(fd, POLLOUT, timeout_ms) == 0) {
                fail("send: no room for %d ms", timeout_ms);
                return -1;
            }
        } else {
            fail("send: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* One recv, waiting up to MS: bytes, 0 on EOF, -1 error (errno),
 * -2 timeout. */
static ssize_t
recv_wait(int fd, char *buf, size_t size, int ms)
{
    for ( ;; ) {
        ssize_t n = recv(fd, buf, size, 0);

        if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
            return n;
        }
        if (wait_for(fd, POLLIN, ms) == 0) {
            return -2;
        }
    }
}

/* ---- echo: pseudo-random data checked byte for byte ---------------------- */

static uint64_t
xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
fill(uint64_t *s, unsigned char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (unsigned char) (xorshift(s) >> 24);
    }
}

static int
cmd_echo(long long total)
{
    static unsigned char tx[CHUNK], rx[CHUNK], want[CHUNK];
    uint64_t             tx_seed = 0x9e3779b97f4a7c15ULL, rx_seed = tx_seed;
    long long            sent = 0, rcvd = 0;
    size_t               tx_len = 0, tx_off = 0;
    int                  fd = dial(), shut = 0;

    if (fd == -1) {
        return 1;
    }
    for ( ;; ) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t       n;

        if (sent == total && !shut) {
            shutdown(fd, SHUT_WR);
            shut = 1;
        }
        if (sent < total) {
            p.events |= POLLOUT;
        }
        n = poll(&p, 1, timeout_ms);
        if (n == 0) {
            return fail("echo: stalled for %d ms: sent %lld, received %lld "
                        "of %lld", timeout_ms, sent, rcvd, total);
        }
        if (n < 0) {
            continue;
        }
        if ((p.revents & POLLOUT) && sent < total) {
            if (tx_off == tx_len) {
                tx_len = (size_t) (total - sent < CHUNK ? total - sent : CHUNK);
                tx_off = 0;
                fill(&tx_seed, tx, tx_len);
            }
            n = send(fd, tx + tx_off, tx_len - tx_off, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN) {
                return fail("echo: send after %lld bytes: %s", sent,
                            strerror(errno));
            }
            if (n > 0) {
                tx_off += (size_t) n;
                sent += n;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            n = recv(fd, rx, sizeof(rx), 0);
            if (n < 0 && errno == EAGAIN) {
                continue;
            }
            if (n < 0) {
                return fail("echo: recv after %lld of %lld bytes: %s", rcvd,
                            total, strerror(errno));
            }
            if (n == 0) {
                if (rcvd != total) {
                    return fail("echo: EOF after %lld of %lld bytes", rcvd,
                                total);
                }
                printf("echo: %lld bytes ok\n", total);
                close(fd);
                return 0;
            }
            if (rcvd + n > total) {
                return fail("echo: %lld bytes more than sent",
                            rcvd + n - total);
            }
            fill(&rx_seed, want, (size_t) n);
            for (ssize_t i = 0; i < n; i++) {
                if (rx[i] != want[i]) {
                    return fail("echo: byte %lld differs", rcvd + i);
                }
            }
            rcvd += n;
        }
    }
}

/* ---- send, read ----------------------------------------------------------- */

/* Print what arrives until EOF: 0, 3 on reset, 1 on a timeout. */
static int
print_until_eof(int fd)
{
    char buf[CHUNK];

    for ( ;; ) {
        ssize_t n = recv_wait(fd, buf, sizeof(buf), timeout_ms);

        if (n == 0) {
            return 0;
        }
        if (n == -2) {
            return fail("read: no EOF within %d ms", timeout_ms);
        }
        if (n < 0) {
            fail("read: %s", strerror(errno));
            return errno == ECONNRESET ? 3 : 1;
        }
        fwrite(buf, 1, (size_t) n, stdout);
    }
}

/* Pattern bytes out, then half-close; whatever comes back is printed,
 * read while sending so an echoing server cannot deadlock us. */
static int
cmd_send(long long total)
{
    static char buf[CHUNK], rx[CHUNK];
    long long   sent = 0;
    int         fd = dial();

    if (fd == -1) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (char) ('a' + i % 26);
    }
    while (sent < total) {
        struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
        ssize_t       n;

        if (poll(&p, 1, timeout_ms) == 0) {
            return fail("send: stalled after %lld bytes", sent);
        }
        if (p.revents & POLLIN) {
            n = recv(fd, rx, sizeof(rx), MSG_DONTWAIT);
            if (n == 0) {
                return fail("send: EOF after sending %lld bytes", sent);
            }
            if (n > 0) {
                fwrite(rx, 1, (size_t) n, stdout);
            }
        }
        if (p.revents & POLLOUT) {
            size_t want = (size_t) (total - sent < CHUNK ? total - sent : CHUNK);

            n = send(fd, buf, want, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN) {
                return fail("send: %s", strerror(errno));
            }
            sent += n > 0 ? n : 0;
        }
    }
    shutdown(fd, SHUT_WR);
    return print_until_eof(fd);
}

static int
cmd_read(void)
{
    for (int i = 0; i < repeat; i++) {
        int fd = dial(), rc;

        if (fd == -1) {
            return 1;
        }
        if (send_text) {
            if (send_all(fd, send_text, strlen(send_text)) != 0) {
                return 1;
            }
            shutdown(fd, SHUT_WR);
        }
        rc = print_until_eof(fd);
        fflush(stdout);
        close(fd);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int
cmd_readsend(long long bytes)
{
    static char buf[CHUNK];
    int         fd = dial(), rc;

    if (fd == -1) {
        return 1;
    }
    rc = print_until_eof(fd);
    fflush(stdout);
    if (rc != 0) {
        return rc;
    }
    memset(buf, 'w', sizeof(buf));
    while (bytes > 0) {
        size_t n = bytes < CHUNK ? (size_t) bytes : CHUNK;

        if (send_all(fd, buf, n) != 0) {
            return 1;
        }
        bytes -= (long long) n;
    }
    shutdown(fd, SHUT_WR);
    /* linger until the gateway closes too, so nothing is cut short */
    recv_wait(fd, buf, sizeof(buf), timeout_ms);
    close(fd);
    return 0;
}

/* ---- sessions that last ------------------------------------------------- */

/* Read exactly LEN bytes equal to WANT within timeout_ms. */
static int
expect(int fd, const char *want, size_t len)
{
    char   got[256];
    size_t have = 0;

    while (have < len) {
        ssize_t n = recv_wait(fd, got + have, len - have, timeout_ms);

        if (n == 0 || n == -2) {
            return fail("expected %zu bytes, got %zu then %s", len, have,
                        n == 0 ? "EOF" : "nothing");
        }
        if (n < 0) {
            return fail("expected %zu bytes, got %zu then %s", len, have,
                        strerror(errno));
        }
        have += (size_t) n;
    }
    return memcmp(got, want, len) == 0 ? 0 : fail("echo differs");
}

/* Half-close and expect EOF with nothing before it. */
static int
close_cleanly(int fd)
{
    char    c;
    ssize_t n;

    shutdown(fd, SHUT_WR);
    n = recv_wait(fd, &c, 1, timeout_ms);
    close(fd);
    if (n != 0) {
        return fail("after half-close: %s", n > 0 ? "unexpected data"
                    : n == -2 ? "no EOF" : strerror(errno));
    }
    return 0;
}

static int
cmd_pingpong(int every_ms, int for_ms)
{
    int64_t start = now_ms();
    int     fd = dial(), count = 0;

    if (fd == -1) {
        return 1;
    }
    do {
        char line[64];
        int  len = snprintf(line, sizeof(line), "ping %d\n", count);

        if (send_all(fd, line, (size_t) len) != 0
            || expect(fd, line, (size_t) len) != 0) {
            return fail("pingpong: round trip %d failed after %lld ms",
                        count, (long long) (now_ms() - start));
        }
        if (count++ == 0) {
            printf("ready\n");
            fflush(stdout);
        }
        usleep((useconds_t) every_ms * 1000);
    } while (now_ms() - start < for_ms);
    if (close_cleanly(fd) != 0) {
        return 1;
    }
    printf("pingpong: %d round trips ok\n", count);
    return 0;
}

static int
cmd_trickle(int every_ms, int for_ms)
{
    int64_t start = now_ms();
    int     fd = dial(), rc;

    if (fd == -1) {
        return 1;
    }
    do {
        if (send_all(fd, ".", 1) != 0) {
            return fail("trickle: failed after %lld ms",
                        (long long) (now_ms() - start));
        }
        usleep((useconds_t) every_ms * 1000);
    } while (now_ms() - start < for_ms);
    shutdown(fd, SHUT_WR);
    rc = print_until_eof(fd);
    close(fd);
    return rc;
}

static int
cmd_idle(int max_ms)
{
    int64_t since;
    char    c;
    ssize_t n;
    int     fd = dial();

    if (fd == -1) {
        return 1;
    }
    for (int i = 0; i < repeat; i++) {
        if (i > 0) {
            usleep(300000);
        }
        if (send_all(fd, "x", 1) != 0 || expect(fd, "x", 1) != 0) {
            return 1;
        }
    }
    since = now_ms();
    n = recv_wait(fd, &c, 1, max_ms);
    if (n == -2) {
        printf("open %lld\n", (long long) (now_ms() - since));
        return 1;
    }
    if (n > 0) {
        return fail("idle: unexpected data");
    }
    printf("closed %lld\n", (long long) (now_ms() - since));
    return 0;
}

/* ---- many clients --------------------------------------------------------- */

enum { C_CONNECT, C_ECHO, C_HOLD, C_EOF, C_DONE, C_FAILED };

typedef struct client {
    int     fd;
    int     state;
    char    line[32];
    size_t  len, got;
    int64_t hold_until;
} client_t;

static const char *
step(client_t *c, short revents, int hold_ms)
{
    char    buf[64];
    ssize_t n;

    switch (c->state) {
    case C_CONNECT: {
        int       err = 0;
        socklen_t len = sizeof(err);

        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            errno = err;
            return "connect";
        }
        if (send(c->fd, c->line, c->len, MSG_NOSIGNAL) != (ssize_t) c->len) {
            return "send";
        }
        c->state = C_ECHO;
        return NULL;
    }
    case C_ECHO:
    case C_EOF:
        if (!(revents & (POLLIN | POLLHUP | POLLERR))) {
            return NULL;
        }
        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EAGAIN) {
            return NULL;
        }
        if (n < 0) {
            return "recv";
        }
        if (c->state == C_EOF) {
            if (n != 0) {
                errno = 0;
                return "data instead of EOF";
            }
            c->state = C_DONE;
            return NULL;
        }
        if (n == 0 || c->got + (size_t) n > c->len
            || memcmp(buf, c->line + c->got, (size_t) n) != 0) {
            errno = 0;
            return n == 0 ? "EOF before the echo" : "echo differs";
        }
        c->got += (size_t) n;
        if (c->got == c->len) {
            c->state = C_HOLD;
            c->hold_until = now_ms() + hold_ms;
        }
        return NULL;
    }
    return NULL;
}

static int
cmd_parallel(int n, int hold_ms)
{
    static client_t     cl[MAX_CLIENTS];
    static struct pollfd pf[MAX_CLIENTS];
    int64_t             deadline = now_ms() + timeout_ms;
    int                 ok = 0, left = n;

    if (n < 1 || n > MAX_CLIENTS) {
        return fail("parallel: 1..%d clients", MAX_CLIENTS);
    }
    for (int i = 0; i < n; i++) {
        cl[i].fd = start_connect();
        cl[i].state = cl[i].fd == -1 ? C_FAILED : C_CONNECT;
        cl[i].len = (size_t) snprintf(cl[i].line, sizeof(cl[i].line),
                                      "client %d\n", i);
        if (cl[i].fd == -1) {
            fail("client %d: connect: %s", i, strerror(errno));
            left--;
        }
    }
    while (left > 0 && now_ms() < deadline) {
        int64_t now = now_ms();
        int     wait = 50;

        for (int i = 0; i < n; i++) {
            client_t *c = &cl[i];

            pf[i].fd = c->state < C_DONE && c->state != C_HOLD ? c->fd : -1;
            pf[i].events = c->state == C_CONNECT ? POLLOUT : POLLIN;
            pf[i].revents = 0;
            if (c->state == C_HOLD && now >= c->hold_until) {
                shutdown(c->fd, SHUT_WR);
                c->state = C_EOF;
                pf[i].fd = c->fd;
            }
        }
        poll(pf, (nfds_t) n, wait);
        for (int i = 0; i < n; i++) {
            client_t   *c = &cl[i];
            const char *why;

            if (pf[i].fd == -1 || pf[i].revents == 0) {
                continue;
            }
            why = step(c, pf[i].revents, hold_ms);
            if (why) {
                fail("client %d: %s%s%s", i, why, errno ? ": " : "",
                     errno ? strerror(errno) : "");
                c->state = C_FAILED;
            }
            if (c->state >= C_DONE) {
                ok += c->state == C_DONE;
                close(c->fd);
                left--;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        if (cl[i].state < C_DONE) {
            fail("client %d: timed out in state %d", i, cl[i].state);
            close(cl[i].fd);
        }
    }
    printf("parallel: %d/%d ok\n", ok, n);
    return ok == n ? 0 : 1;
}

static int
cmd_loop(int for_ms)
{
    int64_t start = now_ms();
    int     ok = 0, bad = 0;

    while (now_ms() - start < for_ms) {
        char line[64];
        int  len = snprintf(line, sizeof(line), "loop %d\n", ok + bad);
        int  fd = dial();

        if (fd != -1 && send_all(fd, line, (size_t) len) == 0
            && expect(fd, line, (size_t) len) == 0 && close_cleanly(fd) == 0) {
            ok++;
        } else {
            fail("loop: session %d failed after %lld ms", ok + bad,
                 (long long) (now_ms() - start));
            bad++;
        }
    }
    printf("loop: %d ok, %d failed\n", ok, bad);
    return bad == 0 && ok > 0 ? 0 : 1;
}

/* ---- hostile and odd ones -------------------------------------------------- */

static int
cmd_connect(void)
{
    int fd = dial();

    if (fd == -1) {
        return 1;
    }
    close(fd);
    return 0;
}

static int
cmd_reset(long long bytes)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    static char   buf[CHUNK];
    int           fd = dial();

    if (fd == -1) {
        return 1;
    }
    memset(buf, 'r', sizeof(buf));
    while (bytes > 0) {
        size_t n = bytes < CHUNK ? (size_t) bytes : CHUNK;

        if (send_all(fd, buf, n) != 0) {
            return 1;
        }
        bytes -= (long long) n;
        /* read a little so the echo is mid-flight when we reset */
        recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    }
    usleep(20000);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
    return 0;
}

static int
cmd_stuff(long long bytes, int hold_ms)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    static char   buf[CHUNK];
    long long     sent = 0;
    int           fd = dial();

    if (fd == -1) {
        return 1;
    }
    memset(buf, 's', sizeof(buf));
    while (sent < bytes) {
        size_t  n = bytes - sent < CHUNK ? (size_t) (bytes - sent) : CHUNK;
        ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

        if (w > 0) {
            sent += w;
        } else if (w < 0 && errno != EAGAIN) {
            return fail("stuff: send after %lld bytes: %s", sent,
                        strerror(errno));
        } else if (wait_for(fd, POLLOUT, 500) == 0) {
            break;
        }
    }
    if (sent == bytes) {
        close(fd);
        return fail("stuff: all %lld bytes went without a stall", sent);
    }
    printf("stuff: stalled after %lld bytes\n", sent);
    if (hold_ms > 0) {
        int64_t since = now_ms() - 500;

        /* a FIN or RST from the server shows without reading a byte */
        if (wait_for(fd, POLLRDHUP, hold_ms) != 0) {
            printf("closed after %lld\n", (long long) (now_ms() - since));
        } else {
            printf("open\n");
        }
    }
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
    return 0;
}

static int
cmd_burst(int n)
{
    static int fds[MAX_CLIENTS];
    int        connected = 0;

    if (n < 1 || n > MAX_CLIENTS) {
        return fail("burst: 1..%d connections", MAX_CLIENTS);
    }
    for (int i = 0; i < n; i++) {
        fds[i] = start_connect();
    }
    for (int i = 0; i < n; i++) {
        if (fds[i] != -1 && wait_for(fds[i], POLLOUT, timeout_ms)) {
            int       err = 0;
            socklen_t len = sizeof(err);

            getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len);
            connected += err == 0;
        }
        if (fds[i] != -1) {
            close(fds[i]);
        }
    }
    printf("burst: %d/%d connected\n", connected, n);
    return 0;
}

/* With backlog 0 Linux queues one connection; while it is never accepted
 * every later SYN is dropped, so a connect to us hangs until its timeout. */
static int
cmd_blackhole(void)
{
    int one = 1, fd = socket(peer.ss_family, SOCK_STREAM, 0), filled = 0;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd == -1 || bind(fd, (struct sockaddr *) &peer, peer_len) != 0
        || listen(fd, 0) != 0) {
        return fail("blackhole: %s", strerror(errno));
    }
    for (int i = 0; i < 16; i++) {
        int c = start_connect();

        if (c == -1) {
            return fail("blackhole: %s", strerror(errno));
        }
        if (wait_for(c, POLLOUT, 300) == 0) {
            filled = 1;             /* this one hangs: the queue is full */
            break;
        }
    }
    if (!filled) {
        return fail("blackhole: the accept queue never filled");
    }
    printf("ready\n");
    fflush(stdout);
    for ( ;; ) {
        pause();
    }
}

static int
usage(void)
{
    fprintf(stderr, "usage: tcp_client [-t MS] [-n N] [-s TEXT] COMMAND "
            "ADDR:PORT [ARGS]\n  commands: echo BYTES | send BYTES | read | "
            "readsend BYTES | pingpong EVERY_MS FOR_MS | idle MAX_MS | parallel N HOLD_MS | "
            "loop FOR_MS | connect | reset [BYTES] | stuff BYTES [HOLD_MS] | burst N | blackhole\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *cmd;
    int         opt;

    while ((opt = getopt(argc, argv, "t:n:s:")) != -1) {
        switch (opt) {
        case 't': timeout_ms = atoi(optarg); break;
        case 'n': repeat = atoi(optarg); break;
        case 's': send_text = optarg; break;
        default: return usage();
        }
    }
    if (argc - optind < 2 || parse_addr(argv[optind + 1]) != 0) {
        return usage();
    }
    signal(SIGPIPE, SIG_IGN);
    cmd = argv[optind];
    argv += optind + 2;
    argc -= optind + 2;
#define ARG(i) (argc > (i) ? atoll(argv[i]) : -1)
    if (strcmp(cmd, "echo") == 0 && argc == 1) {
        return cmd_echo(ARG(0));
    } else if (strcmp(cmd, "send") == 0 && argc == 1) {
        return cmd_send(ARG(0));
    } else if (strcmp(cmd, "read") == 0 && argc == 0) {
        return cmd_read();
    } else if (strcmp(cmd, "readsend") == 0 && argc == 1) {
        return cmd_readsend(ARG(0));
    } else if (strcmp(cmd, "pingpong") == 0 && argc == 2) {
        return cmd_pingpong((int) ARG(0), (int) ARG(1));
    } else if (strcmp(cmd, "trickle") == 0 && argc == 2) {
        return cmd_trickle((int) ARG(0), (int) ARG(1));
    } else if (strcmp(cmd, "idle") == 0 && argc == 1) {
        return cmd_idle((int) ARG(0));
    } else if (strcmp(cmd, "parallel") == 0 && argc == 2) {
        return cmd_parallel((int) ARG(0), (int) ARG(1));
    } else if (strcmp(cmd, "loop") == 0 && argc == 1) {
        return cmd_loop((int) ARG(0));
    } else if (strcmp(cmd, "connect") == 0 && argc == 0) {
        return cmd_connect();
    } else if (strcmp(cmd, "reset") == 0 && argc <= 1) {
        return cmd_reset(argc ? ARG(0) : 0);
    } else if (strcmp(cmd, "stuff") == 0 && argc >= 1 && argc <= 2) {
        return cmd_stuff(ARG(0), argc > 1 ? (int) ARG(1) : 0);
    } else if (strcmp(cmd, "burst") == 0 && argc == 1) {
        return cmd_burst((int) ARG(0));
    } else if (strcmp(cmd, "blackhole") == 0 && argc == 0) {
        return cmd_blackhole();
    }
    return usage();
}
