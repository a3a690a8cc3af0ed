/*
 * bench/socks_rr.c: new connections per second through a SOCKS5 proxy,
 * one small HTTP exchange in each tunnel.
 *
 *   socks_rr [-d] [-c CONNS] [-u USER:PASS] -t SECONDS HOST PORT
 *            TARGET_HOST TARGET_PORT
 *
 * CONNS (default 32) connections at a time, one thread, one epoll loop, a
 * non-blocking state machine per connection. Each connection, from the
 * start: a TCP connect to the proxy at HOST:PORT; the SOCKS5 greeting
 * (RFC 1928: version 5, one method, 00 "no authentication"; with -u the
 * method 02 instead and the RFC 1929 username/password exchange); the
 * CONNECT request to TARGET_HOST:TARGET_PORT (an IPv4 address, ATYP 01);
 * the proxy's reply, which must say 00 (succeeded); then, through the
 * tunnel,
 *
 *     GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n
 *
 * and the answer read to EOF, which must be a whole "200" response (its
 * Content-Length honoured when it has one; 1 MiB at most). Then it is
 * closed and counted, and a new connection takes its place. Every step
 * waits for the answer to the one before it, as a client that knows
 * nothing of the proxy does.
 * With -d (direct) there is no proxy: each connection goes to
 * TARGET_HOST:TARGET_PORT and sends the HTTP request at once (HOST and
 * PORT are not used).
 *
 * After SECONDS it prints one line,
 *
 *     conns 12345 seconds 3.000 conns_per_sec 4115.0 errors 0
 *
 * counting the connections completed in that time (those still under
 * way at the end are dropped, not counted either way), and, when errors
 * were seen, a line with them by kind on stdout and the first one's
 * message on stderr:
 *
 *     errors connect 0 socks 2 closed 0 http 0 timeout 0
 *
 * connect: the TCP connect to the proxy failed; socks: a malformed SOCKS
 * answer, or a refusal (method ff, a failed login, a reply other than
 * 00); closed: EOF or an error on the connection before the HTTP answer
 * was whole; http: an answer that is not a 200, or longer or shorter than
 * it says; timeout: a connection that made no progress for 10 s. Exit 1
 * when no connection completed (or every one of the first 1000 failed),
 * 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS   4096
#define STALL_S     10.0        /* no progress for this long is a timeout */
#define IN_SIZE     1024        /* the SOCKS answers, the HTTP answer's start */
#define OUT_SIZE    600         /* the longest message we send: RFC 1929 auth */
#define RESP_MAX    (1 << 20)   /* an HTTP answer longer than this is an error */
#define READS_MAX   8           /* recv calls per readiness, then the others */

static const char http_req[] =
    "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

enum state {
    ST_IDLE,                    /* no socket */
    ST_CONNECTING,              /* TCP connect under way */
    ST_METHOD,                  /* greeting sent, waiting for VER METHOD */
    ST_AUTH,                    /* RFC 1929 request sent, VER STATUS */
    ST_REPLY,                   /* CONNECT sent, waiting for the reply */
    ST_HTTP                     /* HTTP request sent, reading to EOF */
};

enum err_kind { E_CONNECT, E_SOCKS, E_CLOSED, E_HTTP, E_TIMEOUT, E_KINDS };
static const char *err_name[E_KINDS] = {
    "connect", "socks", "closed", "http", "timeout"
};

typedef struct conn {
    int         fd;
    enum state  st;
    uint32_t    events;         /* the epoll interest registered */
    double      last;           /* last progress */
    size_t      out_off, out_len;
    size_t      in_len;
    size_t      resp_total;     /* HTTP answer bytes, all of them */
    char        out[OUT_SIZE];
    char        in[IN_SIZE];
} conn_t;

static int                 ep = -1;
static int                 direct;
static const char         *user, *pass;
static struct sockaddr_in  proxy_sin, target_sin;
static unsigned long long  completed, errors[E_KINDS], nerrors;
static char                first_err[256];
static double              now_cached;

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
    fprintf(stderr,
            "usage: socks_rr [-d] [-c CONNS] [-u USER:PASS] -t SECONDS"
            " HOST PORT TARGET_HOST TARGET_PORT\n");
}

static int
parse_addr(const char *host, const char *port, struct sockaddr_in *sin)
{
    char         *end;
    unsigned long p = strtoul(port, &end, 10);

    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    if (*port == '\0' || *end != '\0' || p == 0 || p > 65535) {
        fprintf(stderr, "socks_rr: bad port: %s\n", port);
        return -1;
    }
    sin->sin_port = htons((uint16_t) p);
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
        fprintf(stderr, "socks_rr: not an IPv4 address: %s\n", host);
        return -1;
    }
    return 0;
}

static void
drop(conn_t *c)
{
    if (c->fd >= 0) {
        close(c->fd);           /* leaves the epoll set with it */
    }
    c->fd = -1;
    c->st = ST_IDLE;
}

static void
fail(conn_t *c, enum err_kind kind, const char *fmt, ...)
{
    va_list ap;

    errors[kind]++;
    if (nerrors++ == 0) {
        int n = snprintf(first_err, sizeof(first_err), "%s: ", err_name[kind]);

        va_start(ap, fmt);
        vsnprintf(first_err + n, sizeof(first_err) - (size_t) n, fmt, ap);
        va_end(ap);
    }
    drop(c);
}

static int
want(conn_t *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };

    if (c->events == events) {
        return 0;
    }
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
        return -1;
    }
    c->events = events;
    return 0;
}

/* Queue a message (the previous one is out: every step waits its answer). */
static void
queue(conn_t *c, const void *msg, size_t len)
{
    memcpy(c->out, msg, len);
    c->out_off = 0;
    c->out_len = len;
}

/* Send what is queued; then wait for the answer. 0, or -1 (failed). */
static int
flush(conn_t *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL);

        if (n > 0) {
            c->out_off += (size_t) n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return want(c, EPOLLOUT) == 0 ? 0 : -1;
        }
        fail(c, E_CLOSED, "send: %s", strerror(errno));
        return -1;
    }
    if (want(c, EPOLLIN) != 0) {
        fail(c, E_CLOSED, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void
send_greeting(conn_t *c)
{
    unsigned char g[3] = { 5, 1, (unsigned char) (user ? 2 : 0) };

    queue(c, g, sizeof(g));
    c->st = ST_METHOD;
    flush(c);
}

static void
send_auth(conn_t *c)
{
    unsigned char a[OUT_SIZE];
    size_t        ul = strlen(user), pl = strlen(pass), n = 0;

    a[n++] = 1;
    a[n++] = (unsigned char) ul;
    memcpy(a + n, user, ul);
    n += ul;
    a[n++] = (unsigned char) pl;
    memcpy(a + n, pass, pl);
    n += pl;
    queue(c, a, n);
    c->st = ST_AUTH;
    flush(c);
}

static void
send_connect(conn_t *c)
{
    unsigned char r[10] = { 5, 1, 0, 1 };

    memcpy(r + 4, &target_sin.sin_addr, 4);
    memcpy(r + 8, &target_sin.sin_port, 2);
    queue(c, r, sizeof(r));
    c->st = ST_REPLY;
    flush(c);
}

static void
send_http(conn_t *c)
{
    queue(c, http_req, sizeof(http_req) - 1);
    c->st = ST_HTTP;
    c->resp_total = c->in_len;  /* answer bytes that came with the reply */
    flush(c);
}

static void
start(conn_t *c)
{
    const struct sockaddr_in *to = direct ? &target_sin : &proxy_sin;
    struct epoll_event        ev;
    int                       one = 1;

    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail(c, E_CONNECT, "socket: %s", strerror(errno));
        return;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->in_len = 0;
    c->out_len = c->out_off = 0;
    c->last = now_cached;
    c->st = ST_CONNECTING;
    c->events = EPOLLOUT;
    ev.events = EPOLLOUT;
    ev.data.ptr = c;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        fail(c, E_CONNECT, "epoll_ctl: %s", strerror(errno));
        return;
    }
    if (connect(c->fd, (const struct sockaddr *) to, sizeof(*to)) != 0
        && errno != EINPROGRESS) {
        fail(c, E_CONNECT, "connect: %s", strerror(errno));
    }
    /* connected at once or not: EPOLLOUT says when */
}

/* The HTTP answer is whole and a 200? (at EOF) */
static int
check_http(conn_t *c)
{
    const char *head_end, *cl, *eol;
    size_t      head_len;

    c->in[c->in_len < IN_SIZE ? c->in_len : IN_SIZE - 1] = '\0';
    if (c->in_len < 12 || strncmp(c->in, "HTTP/1.", 7) != 0
        || strncmp(c->in + 8, " 200", 4) != 0) {
        eol = memchr(c->in, '\r', c->in_len);
        fail(c, E_HTTP, "not a 200 answer (%llu bytes): %.*s",
             (unsigned long long) c->resp_total,
             (int) (eol ? (size_t) (eol - c->in) : c->in_len > 80 ? 80 : c->in_len),
             c->in);
        return -1;
    }
    head_end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (head_end == NULL) {
        fail(c, E_HTTP, "the answer's head has no end within %d bytes",
             IN_SIZE);
        return -1;
    }
    head_len = (size_t) (head_end + 4 - c->in);
    /* "Content-Length:" at the start of a header line */
    for (cl = c->in; (cl = strstr(cl, "\r\n")) != NULL && cl < head_end; ) {
        cl += 2;
        if (strncasecmp(cl, "Content-Length:", 15) == 0) {
            unsigned long long want_len = strtoull(cl + 15, NULL, 10);

            if (c->resp_total - head_len != want_len) {
                fail(c, E_HTTP, "the body has %llu bytes, Content-Length"
                     " says %llu",
                     (unsigned long long) (c->resp_total - head_len), want_len);
                return -1;
            }
            break;
        }
    }
    return 0;
}

static void
on_connected(conn_t *c)
{
    int       err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    if (err != 0) {
        fail(c, E_CONNECT, "connect: %s", strerror(err));
        return;
    }
    c->last = now_cached;
    if (direct) {
        send_http(c);
    } else {
        send_greeting(c);
    }
}

/* Bytes came (or EOF): move on when the awaited answer is whole. */
static void
on_readable(conn_t *c)
{
    ssize_t n;
    size_t  need;
    int     reads = 0;

    for (;;) {
        if (++reads > READS_MAX) {
            return;             /* level-triggered: the rest comes next turn */
        }
        if (c->st == ST_HTTP && c->in_len == IN_SIZE - 1) {
            /* past the head we only count: keep the start */
            char    junk[4096];

            n = recv(c->fd, junk, sizeof(junk), 0);
        } else {
            n = recv(c->fd, c->in + c->in_len, IN_SIZE - 1 - c->in_len, 0);
        }
        if (n > 0) {
            c->last = now_cached;
            if (c->st == ST_HTTP) {
                c->resp_total += (size_t) n;
                if (c->in_len < IN_SIZE - 1) {
                    c->in_len += (size_t) n;
                }
                if (c->resp_total > RESP_MAX) {
                    fail(c, E_HTTP, "an answer longer than %d bytes", RESP_MAX);
                    return;
                }
                continue;       /* to EOF */
            }
            c->in_len += (size_t) n;
            break;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return;
        }
        if (n == 0 && c->st == ST_HTTP) {
            if (check_http(c) == 0) {
                completed++;
                drop(c);
            }
            return;
        }
        fail(c, E_CLOSED, "%s while waiting for the %s",
             n == 0 ? "EOF" : strerror(errno),
             c->st == ST_METHOD ? "method selection"
             : c->st == ST_AUTH ? "login status"
             : c->st == ST_REPLY ? "CONNECT reply" : "HTTP answer");
        return;
    }

    switch (c->st) {
    case ST_METHOD:
        if (c->in_len < 2) {
            return;
        }
        if (c->in_len > 2 || c->in[0] != 5
            || (unsigned char) c->in[1] != (user ? 2 : 0)) {
            fail(c, E_SOCKS, "method selection %02x %02x (%zu bytes)",
                 (unsigned char) c->in[0], (unsigned char) c->in[1], c->in_len);
            return;
        }
        c->in_len = 0;
        if (user) {
            send_auth(c);
        } else {
            send_connect(c);
        }
        return;
    case ST_AUTH:
        if (c->in_len < 2) {
            return;
        }
        if (c->in_len > 2 || c->in[0] != 1 || c->in[1] != 0) {
            fail(c, E_SOCKS, "login refused: %02x %02x",
                 (unsigned char) c->in[0], (unsigned char) c->in[1]);
            return;
        }
        c->in_len = 0;
        send_connect(c);
        return;
    case ST_REPLY:
        /* VER REP RSV ATYP BND.ADDR BND.PORT */
        if (c->in_len < 5) {
            return;
        }
        switch (c->in[3]) {
        case 1: need = 4 + 4 + 2; break;
        case 3: need = 4 + 1 + (unsigned char) c->in[4] + 2; break;
        case 4: need = 4 + 16 + 2; break;
        default:
            fail(c, E_SOCKS, "reply with address type %02x",
                 (unsigned char) c->in[3]);
            return;
        }
        if (c->in[0] != 5 || c->in[1] != 0) {
            fail(c, E_SOCKS, "CONNECT reply %02x %02x",
                 (unsigned char) c->in[0], (unsigned char) c->in[1]);
            return;
        }
        if (c->in_len < need) {
            return;
        }
        /* bytes past the reply would be the origin's, before our request */
        c->in_len -= need;
        memmove(c->in, c->in + need, c->in_len);
        send_http(c);
        return;
    default:
        return;
    }
}

static void
on_event(conn_t *c, uint32_t events)
{
    if (c->st == ST_IDLE) {
        return;                 /* failed earlier in this batch */
    }
    if (c->st == ST_CONNECTING) {
        on_connected(c);
        return;
    }
    if ((events & EPOLLOUT) && c->out_off < c->out_len) {
        c->last = now_cached;
        if (flush(c) != 0) {
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        on_readable(c);
    }
}

int
main(int argc, char **argv)
{
    struct epoll_event *evs;
    conn_t             *conns;
    double              secs = 0, t0, deadline, next_check, t;
    long                nconns = 32;
    char               *end, *colon;
    int                 opt, i;

    while ((opt = getopt(argc, argv, "c:dt:u:h")) != -1) {
        switch (opt) {
        case 'c':
            nconns = strtol(optarg, &end, 10);
            if (*end != '\0' || nconns < 1 || nconns > MAX_CONNS) {
                fprintf(stderr, "socks_rr: bad -c (1..%d): %s\n", MAX_CONNS,
                        optarg);
                return 2;
            }
            break;
        case 'd':
            direct = 1;
            break;
        case 't':
            secs = strtod(optarg, &end);
            if (*end != '\0' || !(secs > 0 && secs < 86400)) {
                fprintf(stderr, "socks_rr: bad -t: %s\n", optarg);
                return 2;
            }
            break;
        case 'u':
            colon = strchr(optarg, ':');
            if (colon == NULL || colon == optarg || colon[1] == '\0'
                || colon - optarg > 255 || strlen(colon + 1) > 255) {
                fprintf(stderr, "socks_rr: -u wants USER:PASS (1..255 bytes"
                        " each)\n");
                return 2;
            }
            *colon = '\0';
            user = optarg;
            pass = colon + 1;
            break;
        default:
            usage();
            return opt == 'h' ? 0 : 2;
        }
    }
    if (secs <= 0 || optind != argc - 4) {
        usage();
        return 2;
    }
    if ((!direct && parse_addr(argv[optind], argv[optind + 1], &proxy_sin) != 0)
        || parse_addr(argv[optind + 2], argv[optind + 3], &target_sin) != 0) {
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    conns = calloc((size_t) nconns, sizeof(*conns));
    evs = calloc((size_t) nconns, sizeof(*evs));
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (conns == NULL || evs == NULL || ep < 0) {
        perror("socks_rr: setting up");
        return 1;
    }
    now_cached = t0 = now_s();
    deadline = t0 + secs;
    next_check = t0 + 1;
    for (i = 0; i < nconns; i++) {
        conns[i].fd = -1;
        start(&conns[i]);
    }
    for (;;) {
        int n, ms;

        t = now_s();
        if (t >= deadline) {
            break;
        }
        ms = (int) ((deadline - t) * 1000) + 1;
        n = epoll_wait(ep, evs, (int) nconns, ms < 100 ? ms : 100);
        if (n < 0 && errno != EINTR) {
            perror("socks_rr: epoll_wait");
            return 1;
        }
        now_cached = now_s();
        for (i = 0; i < n; i++) {
            on_event(evs[i].data.ptr, evs[i].events);
        }
        if (now_cached >= next_check) {
            next_check = now_cached + 1;
            for (i = 0; i < nconns; i++) {
                if (conns[i].st != ST_IDLE
                    && now_cached - conns[i].last > STALL_S) {
                    fail(&conns[i], E_TIMEOUT, "no progress for %.0f s"
                         " (state %d)", STALL_S, (int) conns[i].st);
                }
            }
        }
        if (completed == 0 && nerrors >= 1000) {
            break;              /* nothing works: do not spin for SECONDS */
        }
        if (now_cached < deadline) {
            for (i = 0; i < nconns; i++) {
                if (conns[i].st == ST_IDLE) {
                    start(&conns[i]);
                }
            }
        }
    }
    t -= t0;
    for (i = 0; i < nconns; i++) {
        drop(&conns[i]);
    }
    close(ep);
    free(evs);
    free(conns);
    printf("conns %llu seconds %.3f conns_per_sec %.1f errors %llu\n",
           completed, t, (double) completed / t, nerrors);
    if (nerrors > 0) {
        printf("errors");
        for (i = 0; i < E_KINDS; i++) {
            printf(" %s %llu", err_name[i], errors[i]);
        }
        printf("\n");
        fprintf(stderr, "socks_rr: first error: %s\n", first_err);
    }
    return completed > 0 ? 0 : 1;
}
