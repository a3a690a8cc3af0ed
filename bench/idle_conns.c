/*
 * bench/idle_conns.c: opens many connections, makes each pass one small
 * exchange, then holds them all open and idle (the client of the
 * memory_idle scenario).
 *
 *   idle_conns [-m http|echo] [-n N] [-w WINDOW] [-t SECONDS] [-s BYTES]
 *              [-H HOST] ADDR PORT
 *
 *   -m http  (default) each connection sends "GET / HTTP/1.1" with Host
 *            (-H, default ADDR:PORT) and reads the whole answer, which must
 *            be a 2xx without "Connection: close" (Content-Length or
 *            chunked body), then stays open, idle
 *   -m echo  each connection sends one message of BYTES bytes (-s, default
 *            32) and reads the same bytes back, then stays open, idle
 *   -n N     connections to open and hold (default 1)
 *   -w W     at most W connections connecting or exchanging at once
 *            (default 64); a new one starts as one goes idle
 *   -t S     the whole of N must be idle within S seconds (default 60),
 *            else it fails, saying how far it got
 *
 * One thread, one epoll loop, non-blocking connects. When N connections
 * are idle it prints "ready N" on stdout, then holds them and reads
 * commands on stdin, one a line:
 *
 *   open K   open more, until K in all are idle; then "ready K"
 *   check    "open M closed C": M connections still open, C closed by the
 *            peer while idle (an idle one that gets bytes counts as
 *            "unexpected U", added to the line when U > 0)
 *
 * At stdin's EOF, TERM or INT it closes every connection and exits 0.
 * Any failure before "ready" (connect refused, a reset, a non-2xx answer,
 * an echo that differs, the time bound) ends it with status 1 and one
 * line on stderr naming the connection and the cause; the usage, 2; too
 * few descriptors for N (it raises its soft limit to the hard one first),
 * 3, saying how many it needs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP      4096        /* an answer's head and small body */
#define MAX_EVENTS  256
#define FD_MARGIN   16          /* stdio, epoll, spare */
#define STDIN_TAG   UINT64_MAX  /* epoll data of stdin */

enum { S_FREE, S_CONNECTING, S_EXCHANGE, S_IDLE, S_CLOSED };
enum { MODE_HTTP, MODE_ECHO };

typedef struct conn {
    int       fd;
    int       state;
    size_t    sent;
    size_t    rlen;
    char     *in;               /* only while exchanging */
} conn_t;

static conn_t             *conns;
static size_t              n_conns, cap_conns;
static size_t              target, n_idle, n_busy, n_closed, n_unexpected;
static unsigned            window = 64;
static int                 mode = MODE_HTTP;
static int                 ep = -1;
static struct sockaddr_in  dst;
static char                request[512];
static size_t              req_len, msg_size = 32;
static double              t0, deadline, timeout_s = 60;
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
    (void) sig;
    stop = 1;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
usage(void)
{
    fprintf(stderr, "usage: idle_conns [-m http|echo] [-n N] [-w WINDOW] "
            "[-t SECONDS] [-s BYTES] [-H HOST] ADDR PORT\n");
}

static void
fail(size_t i, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Before "ready": one line on stderr, exit 1 (the kernel closes the rest). */
static void
fail(size_t i, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "idle_conns: connection %zu of %zu (%zu idle): ",
            i + 1, target, n_idle);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void
ep_mod(size_t i, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.u64 = i };

    if (epoll_ctl(ep, EPOLL_CTL_MOD, conns[i].fd, &ev) != 0) {
        fail(i, "epoll_ctl: %s", strerror(errno));
    }
}

/* Room for descriptors: N connections and ours; 0, or -1 (message said). */
static int
check_fds(size_t n)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return 0;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && n + FD_MARGIN > rl.rlim_cur) {
        fprintf(stderr, "idle_conns: %zu connections need %zu descriptors, "
                "RLIMIT_NOFILE is %llu (hard %llu)\n", n, n + FD_MARGIN,
                (unsigned long long) rl.rlim_cur,
                (unsigned long long) rl.rlim_max);
        return -1;
    }
    return 0;
}

static void
grow(size_t n)
{
    if (n <= cap_conns) {
        return;
    }
    conns = realloc(conns, n * sizeof(*conns));
    if (conns == NULL) {
        fprintf(stderr, "idle_conns: out of memory\n");
        exit(1);
    }
    memset(conns + cap_conns, 0, (n - cap_conns) * sizeof(*conns));
    cap_conns = n;
}

/* Start one more connection (the next index). */
static void
start_one(void)
{
    size_t             i = n_conns;
    conn_t            *c = &conns[i];
    struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = i };
    int                one = 1;
    int                fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK
                                   | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        fail(i, "socket: %s", strerror(errno));
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *) &dst, sizeof(dst)) != 0
        && errno != EINPROGRESS) {
        fail(i, "connect: %s", strerror(errno));
    }
    c->fd = fd;
    c->state = S_CONNECTING;
    c->sent = c->rlen = 0;
    c->in = malloc(IN_CAP);
    if (c->in == NULL) {
        fail(i, "out of memory");
    }
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        fail(i, "epoll_ctl: %s", strerror(errno));
    }
    n_conns++;
    n_busy++;
}

static void
fill_window(void)
{
    while (n_busy < window && n_conns < target) {
        start_one();
    }
}

/* The message of connection I (echo mode): recognisable, BYTES long. */
static void
echo_message(size_t i, char *out)
{
    int n = snprintf(out, msg_size + 1, "idle_conns %zu ", i);

    for (size_t k = (size_t) n < msg_size ? (size_t) n : msg_size;
         k < msg_size; k++) {
        out[k] = (char) ('a' + k % 26);
    }
    if (msg_size > 0) {
        out[msg_size - 1] = '\n';
    }
}

/* Case-insensitive search for NEEDLE in [P, P + LEN). */
static const char *
find_ci(const char *p, size_t len, const char *needle)
{
    size_t nl = strlen(needle);

    for (size_t k = 0; k + nl <= len; k++) {
        if (strncasecmp(p + k, needle, nl) == 0) {
            return p + k;
        }
    }
    return NULL;
}

/*
 * Is the HTTP answer in C complete? 1 yes, 0 not yet; fails on a bad one.
 */
static int
http_complete(size_t i, conn_t *c)
{
    const char *end = memmem(c->in, c->rlen, "\r\n\r\n", 4);
    const char *v;
    size_t      hlen, blen;

    if (end == NULL) {
        if (c->rlen == IN_CAP) {
            fail(i, "an answer head past %d bytes", IN_CAP);
        }
        return 0;
    }
    hlen = (size_t) (end - c->in) + 4;
    if (c->rlen < 12 || memcmp(c->in, "HTTP/1.", 7) != 0 || c->in[9] != '2') {
        const char *eol = memchr(c->in, '\r', c->rlen);

        fail(i, "answer: %.*s", (int) (eol ? eol - c->in : 60), c->in);
    }
    if ((v = find_ci(c->in, hlen, "\r\nconnection:")) != NULL) {
        const char *eol = memmem(v + 2, (size_t) (end + 2 - (v + 2)), "\r\n", 2);

        if (find_ci(v + 13, (size_t) (eol - (v + 13)), "close") != NULL) {
            fail(i, "the answer says Connection: close (the connection "
                 "would not stay open)");
        }
    }
    blen = c->rlen - hlen;
    if ((v = find_ci(c->in, hlen, "\r\ncontent-length:")) != NULL) {
        size_t want = strtoul(v + 17, NULL, 10);

        if (blen > want) {
            fail(i, "%zu bytes past the answer's body", blen - want);
        }
        return blen == want;
    }
    if (find_ci(c->in, hlen, "\r\ntransfer-encoding:") != NULL) {
        /* chunked: the last chunk, and no trailers */
        return blen >= 5 && memcmp(c->in + c->rlen - 5, "0\r\n\r\n", 5) == 0;
    }
    fail(i, "an answer without Content-Length or chunked body (it would "
         "close the connection)");
}

static void
go_idle(size_t i, conn_t *c)
{
    free(c->in);
    c->in = NULL;
    c->state = S_IDLE;
    n_busy--;
    n_idle++;
    /* idle: only a close or stray bytes wake us */
    ep_mod(i, EPOLLIN | EPOLLRDHUP);
}

static void
on_exchange(size_t i, conn_t *c, uint32_t events)
{
    char msg[IN_CAP + 1];

    if (c->state == S_CONNECTING) {
        int       err = 0;
        socklen_t len = sizeof(err);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
        }
        if (err == 0 && (events & (EPOLLERR | EPOLLHUP))) {
            err = ECONNRESET;
        }
        if (err) {
            fail(i, "connect: %s", strerror(err));
        }
        c->state = S_EXCHANGE;
    }
    if (c->state == S_EXCHANGE && c->sent < (mode == MODE_HTTP ? req_len : msg_size)) {
        const char *p = request;
        size_t      len = req_len;
        ssize_t     n;

        if (mode == MODE_ECHO) {
            echo_message(i, msg);
            p = msg;
            len = msg_size;
        }
        n = send(c->fd, p + c->sent, len - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }
            fail(i, "send: %s", strerror(errno));
        }
        c->sent += (size_t) n;
        if (c->sent < len) {
            return;
        }
        ep_mod(i, EPOLLIN | EPOLLRDHUP);
        return;
    }
    for ( ;; ) {
        size_t  room = mode == MODE_HTTP ? IN_CAP - c->rlen : msg_size - c->rlen;
        ssize_t n;

        if (room == 0) {
            break;
        }
        n = recv(c->fd, c->in + c->rlen, room, 0);
        if (n > 0) {
            c->rlen += (size_t) n;
            continue;
        }
        if (n == 0) {
            fail(i, "the peer closed the connection during the exchange "
                 "(%zu bytes came)", c->rlen);
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        }
        fail(i, "recv: %s", strerror(errno));
    }
    if (mode == MODE_HTTP) {
        if (http_complete(i, c)) {
            go_idle(i, c);
        }
        return;
    }
    if (c->rlen == msg_size) {
        echo_message(i, msg);
        if (memcmp(msg, c->in, msg_size) != 0) {
            fail(i, "the echo differs from the message");
        }
        go_idle(i, c);
    }
}

/* An idle connection woke: closed by the peer, or unexpected bytes. */
static void
on_idle(conn_t *c)
{
    char    junk[4096];
    ssize_t n;

    for ( ;; ) {
        n = recv(c->fd, junk, sizeof(junk), 0);
        if (n > 0) {
            n_unexpected++;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        break;
    }
    close(c->fd);
    c->fd = -1;
    c->state = S_CLOSED;
    n_idle--;
    n_closed++;
}

static void
close_all(void)
{
    for (size_t i = 0; i < n_conns; i++) {
        if (conns[i].state != S_CLOSED && conns[i].fd >= 0) {
            close(conns[i].fd);
        }
        free(conns[i].in);
    }
}

/* A command from stdin; 1 at EOF. */
static char   line[256];
static size_t line_len;

static int
on_stdin(void)
{
    for ( ;; ) {
        ssize_t n = read(0, line + line_len, sizeof(line) - 1 - line_len);
        char   *nl;

        if (n == 0) {
            return 1;
        }
        if (n < 0) {
            return errno == EAGAIN || errno == EINTR ? 0 : 1;
        }
        line_len += (size_t) n;
        line[line_len] = '\0';
        while ((nl = strchr(line, '\n')) != NULL) {
            unsigned long k;
            char         *endp;

            *nl = '\0';
            if (strcmp(line, "check") == 0) {
                printf("open %zu closed %zu", n_idle, n_closed);
                if (n_unexpected) {
                    printf(" unexpected %zu", n_unexpected);
                }
                printf("\n");
                fflush(stdout);
            } else if (strncmp(line, "open ", 5) == 0
                       && (k = strtoul(line + 5, &endp, 10)) > 0
                       && *endp == '\0') {
                if (k < target) {
                    fprintf(stderr, "idle_conns: open %lu: %zu are open "
                            "already\n", k, target);
                } else {
                    if (check_fds(k) != 0) {
                        exit(3);
                    }
                    target = k;
                    grow(target);
                    t0 = now_s();
                    deadline = t0 + timeout_s;
                }
            } else if (line[0] != '\0') {
                fprintf(stderr, "idle_conns: unknown command: %s\n", line);
            }
            line_len -= (size_t) (nl + 1 - line);
            memmove(line, nl + 1, line_len + 1);
        }
        if (line_len == sizeof(line) - 1) {
            line_len = 0;       /* an overlong line: dropped */
        }
    }
}

int
main(int argc, char **argv)
{
    struct sigaction   sa = { .sa_handler = on_signal };
    struct epoll_event events[MAX_EVENTS];
    const char        *host = NULL;
    char               hostbuf[128], *endp;
    unsigned long      port, v;
    size_t             reported = 0;
    int                opt, stdin_watched = 0;

    target = 1;
    while ((opt = getopt(argc, argv, "m:n:w:t:s:H:h")) != -1) {
        switch (opt) {
        case 'm':
            if (strcmp(optarg, "http") == 0) {
                mode = MODE_HTTP;
            } else if (strcmp(optarg, "echo") == 0) {
                mode = MODE_ECHO;
            } else {
                usage();
                return 2;
            }
            break;
        case 'n':
        case 'w':
        case 's':
            v = strtoul(optarg, &endp, 10);
            if (*endp != '\0' || v == 0 || (opt == 's' && v > IN_CAP)) {
                usage();
                return 2;
            }
            if (opt == 'n') {
                target = v;
            } else if (opt == 'w') {
                window = (unsigned) v;
            } else {
                msg_size = v;
            }
            break;
        case 't':
            timeout_s = strtod(optarg, &endp);
            if (*endp != '\0' || timeout_s <= 0) {
                usage();
                return 2;
            }
            break;
        case 'H':
            host = optarg;
            break;
        default:
            usage();
            return opt == 'h' ? 0 : 2;
        }
    }
    if (optind != argc - 2) {
        usage();
        return 2;
    }
    dst.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1) {
        fprintf(stderr, "idle_conns: bad IPv4 address: %s\n", argv[optind]);
        return 2;
    }
    port = strtoul(argv[optind + 1], &endp, 10);
    if (*endp != '\0' || port == 0 || port > 65535) {
        fprintf(stderr, "idle_conns: bad port: %s\n", argv[optind + 1]);
        return 2;
    }
    dst.sin_port = htons((uint16_t) port);
    if (host == NULL) {
        snprintf(hostbuf, sizeof(hostbuf), "%s:%lu", argv[optind], port);
        host = hostbuf;
    }
    req_len = (size_t) snprintf(request, sizeof(request),
                                "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host);
    if (req_len >= sizeof(request)) {
        fprintf(stderr, "idle_conns: host too long\n");
        return 2;
    }
    if (check_fds(target) != 0) {
        return 3;
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        perror("idle_conns: epoll_create1");
        return 1;
    }
    grow(target);
    t0 = now_s();
    deadline = t0 + timeout_s;
    for ( ;; ) {
        int n;

        if (stop) {
            break;
        }
        if (n_idle + n_closed < target) {
            fill_window();
        } else if (reported < target) {
            /* every connection has had its exchange */
            if (n_closed) {
                fprintf(stderr, "idle_conns: %zu connections were closed by "
                        "the peer while idle\n", n_closed);
                return 1;
            }
            reported = target;
            printf("ready %zu\n", target);
            fflush(stdout);
            fprintf(stderr, "idle_conns: %zu idle after %.2f s\n", target,
                    now_s() - t0);
            if (!stdin_watched) {
                struct epoll_event ev = { .events = EPOLLIN,
                                          .data.u64 = STDIN_TAG };

                stdin_watched = 1;
                fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
                if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) != 0 && on_stdin()) {
                    /* /dev/null or a file: read at once, no waiting */
                    break;
                }
            }
        }
        if (reported < target && now_s() > deadline) {
            fprintf(stderr, "idle_conns: timeout: %zu of %zu idle after "
                    "%.0f s (%zu still connecting or exchanging)\n",
                    n_idle, target, timeout_s, n_busy);
            return 1;
        }
        n = epoll_wait(ep, events, MAX_EVENTS, 100);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("idle_conns: epoll_wait");
            return 1;
        }
        for (int k = 0; k < n; k++) {
            uint64_t tag = events[k].data.u64;
            conn_t  *c;

            if (tag == STDIN_TAG) {
                if (on_stdin()) {
                    stop = 1;
                }
                continue;
            }
            c = &conns[tag];
            if (c->state == S_IDLE) {
                on_idle(c);
            } else if (c->state == S_CONNECTING || c->state == S_EXCHANGE) {
                on_exchange((size_t) tag, c, events[k].events);
            }
        }
    }
    close_all();
    fprintf(stderr, "idle_conns: closed %zu connections (%zu had been "
            "closed by the peer)\n", n_idle, n_closed);
    return 0;
}
