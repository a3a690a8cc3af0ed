/*
 * test/backends/http_load.c: an HTTP/1.1 keep-alive load client for the
 * integration tests that must count failed requests exactly while the
 * server is reloaded, upgraded or has a worker killed.
 *
 *   http_load [-c CONNS] [-n REQUESTS] [-t MS] [-P PATH] [-H HOST] [-q]
 *             ADDR:PORT
 *
 *   -c CONNS     connections at once (default 10, at most 4096), all
 *                non-blocking in one epoll loop
 *   -n REQUESTS  requests to complete in all (default 1000)
 *   -t MS        bound on the whole run (default 60000): when it passes,
 *                the counts are printed and the exit status is 1
 *   -P PATH      the request's path (default "/")
 *   -H HOST      its Host header (default "x")
 *   -q           quiet: only the final line
 *
 * ADDR:PORT is "127.0.0.1:8080" or "[::1]:8080". Each connection sends
 * "GET PATH HTTP/1.1\r\nHost: HOST\r\n\r\n" and reads the whole response:
 * the status line (1xx interim responses other than 101 are skipped), the
 * header, the body by Content-Length or chunked (decoded: chunk sizes,
 * extensions, the CRLF after each chunk, trailers), or until the close when
 * neither (none for 101, 204 and 304); "Connection: close" (or HTTP/1.0
 * without "Connection: keep-alive") closes the connection after the body.
 * Then the next request goes on the same connection (or on a new one),
 * until REQUESTS responses were completed in all: ok + failed == REQUESTS.
 *
 * Every request ends as exactly one of:
 *   ok       a complete response with status 200
 *   failed   a complete response with another status; a response that
 *            breaks the framing; a connection closed or reset in the
 *            middle of a response; a fresh connection (one that carried no
 *            complete response yet) refused (or its connect unanswered
 *            for 5 s), reset or closed before the first byte of its
 *            response; 5 s without a byte of the response (from the
 *            request, or from the last byte in the middle of one; the
 *            connection is closed)
 * and, not an outcome:
 *   retried  a REUSED connection (it carried a complete response) closed
 *            or reset before the first byte of the response to the request
 *            just sent: the request goes again on a new connection and is
 *            not counted as failed (RFC 9112 9.3.1: the client cannot know
 *            whether the server saw it, and real clients resend idempotent
 *            requests). A resent request ends like any other.
 * After a failure or a close the connection is opened again at once; a
 * connect that fails (refused) counts one failed request, and the next
 * connect waits 10 ms, so a briefly absent server cannot burn every
 * request in a tight loop.
 *
 * stdout: unless -q, once a second "progress ok N failed F retried R";
 * always, at the end, exactly
 *   http_load: requests N ok OK failed F retried R conns C
 * (N: REQUESTS; C: connections established in all). stderr: the first 5
 * failures as they happen, "failed: conn SLOT: REASON" (SLOT: 1..CONNS),
 * e.g. "failed: conn 3: reset mid-response after 120 bytes"; a note when
 * the time is up.
 * Exit status: 0 when OK == REQUESTS, 1 otherwise (a failure, or -t
 * passed), 2 usage.
 *
 * Debugging (not on the usage line): -D MS waits a random 0..MS ms before
 * each request on a reused connection, without looking at the socket
 * meanwhile, so that a server closing idle connections (http_origin -k)
 * races the request: those closes show up as retried. (http_origin -k
 * counts a fresh connection idle from its accept, so when its loop is
 * slower than IDLE_MS it also closes fresh connections before reading
 * their request: those are failed, as the rules above say; -k 5 -D 10
 * shows the race without them, -k 1 does not.)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
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

#define BUF_SIZE      32768
#define MAX_CONNS     4096
#define RESPONSE_MS   5000      /* a byte of the response within this */
#define REFUSED_MS    10        /* after a failed connect */
#define SHOW_FAILURES 5

enum {
    C_DONE,                     /* no request left for this slot */
    C_WAIT,                     /* a connect failed: the next at due */
    C_PAUSE,                    /* -D: the request goes at due */
    C_CONNECTING,
    C_OPEN                      /* the request sent (or going), reading */
};

enum {
    P_STATUS, P_HEADERS, P_LEN, P_CHUNK_SIZE, P_CHUNK_DATA, P_CHUNK_END,
    P_TRAILERS, P_EOF
};

typedef struct {
    int      fd;
    int      slot;              /* 1..CONNS, for the messages */
    int      state;
    uint32_t events;            /* what epoll watches; 0: not added */
    int      has_req;           /* a request is assigned to the slot */
    int      reused;            /* the connection carried a response */
    size_t   sent;              /* bytes of the request written */
    uint64_t got;               /* bytes of the response so far */
    int64_t  due;               /* a deadline or a wake-up, by state */
    /* the response */
    int      pstate;
    int      status;
    int      http10;
    int      tok_close, tok_keepalive;
    int      te, te_chunked;    /* Transfer-Encoding seen; last: chunked */
    int      have_cl;
    uint64_t cl;
    uint64_t remain;            /* of the body or of the chunk */
    int      close_after;
    char    *buf;
    size_t   off, len;          /* unparsed bytes: buf[off..len) */
} conn_t;

static struct sockaddr_storage peer;
static socklen_t               peer_len;
static int                     ep;
static conn_t                 *conns;
static int                     n_slots = 10;
static long long               total = 1000;
static long long               issued, done, n_ok, n_failed, n_retried;
static long long               n_conns;
static int                     shown;
static char                   *request;
static size_t                  request_len;
static int64_t                 now;
static int64_t                 next_timer = INT64_MAX;
static long                    pause_ms;
static uint64_t                rnd = 0x9e3779b97f4a7c15ULL;
static char                    reason[256];

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static void
arm(int64_t t)
{
    if (t < next_timer) {
        next_timer = t;
    }
}

static void
watch(conn_t *c, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };

    if (c->events == events) {
        return;
    }
    epoll_ctl(ep, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev);
    c->events = events;
}

static void
conn_close(conn_t *c)
{
    if (c->fd != -1) {
        close(c->fd);           /* leaves the epoll set too */
    }
    c->fd = -1;
    c->events = 0;
    c->reused = 0;
    c->off = c->len = 0;
}

/* The request of C ended as failed: count it, tell the first few. */
static void failed(conn_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
failed(conn_t *c, const char *fmt, ...)
{
    va_list ap;

    n_failed++;
    done++;
    c->has_req = 0;
    if (shown < SHOW_FAILURES) {
        shown++;
        fprintf(stderr, "failed: conn %d: ", c->slot);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
}

static void start_connect(conn_t *c);
static void send_request(conn_t *c);

/* C has no request in flight: the next one (if any is left), on its
 * connection or on a new one. */
static void
proceed(conn_t *c)
{
    if (!c->has_req) {
        if (issued >= total) {
            conn_close(c);
            c->state = C_DONE;
            return;
        }
        issued++;
        c->has_req = 1;
    }
    if (c->fd == -1) {
        start_connect(c);
    } else if (pause_ms > 0) {
        /* out of the epoll set: a close by the server goes unnoticed */
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        c->events = 0;
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        c->state = C_PAUSE;
        c->due = now + (int64_t) (rnd % (uint64_t) (pause_ms + 1));
        arm(c->due);
    } else {
        send_request(c);
    }
}

/* A connect failed: one request failed, the next connect in 10 ms. */
static void
connect_failed(conn_t *c, int err)
{
    failed(c, "connect: %s", strerror(err));
    conn_close(c);
    c->state = C_WAIT;
    c->due = now + REFUSED_MS;
    arm(c->due);
}

static void
start_connect(conn_t *c)
{
    int one = 1;

    c->fd = socket(peer.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd == -1) {
        connect_failed(c, errno);
        return;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->events = 0;
    c->reused = 0;
    c->off = c->len = 0;
    if (connect(c->fd, (struct sockaddr *) &peer, peer_len) != 0
        && errno != EINPROGRESS) {
        connect_failed(c, errno);
        return;
    }
    /* On loopback the handshake is mostly done by now: the request goes
     * at once (EAGAIN while it is not) */
    c->state = C_CONNECTING;
    send_request(c);
}

/* Write what is left of the request. While connecting, EAGAIN waits for
 * the connect and an error is the connect's. Once connected, a write that
 * fails (the server closed or reset) only ends the writing: the read that
 * follows tells what happened (epoll reports the socket readable). */
static void
write_more(conn_t *c)
{
    while (c->sent < request_len) {
        ssize_t n = send(c->fd, request + c->sent, request_len - c->sent,
                         MSG_NOSIGNAL);

        if (n >= 0 && c->state == C_CONNECTING) {
            n_conns++;
            c->state = C_OPEN;
        }
        if (n > 0) {
            c->sent += (size_t) n;
        } else if (n == -1 && errno == EINTR) {
            continue;
        } else if (n == -1 && errno == EAGAIN) {
            watch(c, c->state == C_CONNECTING ? EPOLLOUT
                                              : EPOLLIN | EPOLLOUT);
            return;
        } else if (c->state == C_CONNECTING) {
            connect_failed(c, errno);
            return;
        } else {
            c->sent = request_len;
        }
    }
    watch(c, EPOLLIN);
}

/* The request of C, on its connection (C_CONNECTING: being opened). */
static void
send_request(conn_t *c)
{
    if (c->state != C_CONNECTING) {
        c->state = C_OPEN;
    }
    c->sent = 0;
    c->got = 0;
    c->pstate = P_STATUS;
    c->due = now + RESPONSE_MS;
    arm(c->due);
    write_more(c);
}

/* ---- the response ------------------------------------------------------ */

/* The next line of the buffer (without CR LF, or a bare LF): 1, or 0 when
 * it is not all there yet. */
static int
next_line(conn_t *c, char **line, size_t *len)
{
    char *start = c->buf + c->off;
    char *lf = memchr(start, '\n', c->len - c->off);

    if (lf == NULL) {
        return 0;
    }
    *line = start;
    *len = (size_t) (lf - start);
    if (*len > 0 && start[*len - 1] == '\r') {
        (*len)--;
    }
    c->off = (size_t) (lf + 1 - c->buf);
    return 1;
}

static size_t
trim(const char **s, size_t len)
{
    while (len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        len--;
    }
    while (len > 0 && ((*s)[len - 1] == ' ' || (*s)[len - 1] == '\t')) {
        len--;
    }
    return len;
}

/* Walk the comma separated tokens of a value: for each, *hit |= 1 when
 * it is WORD; the return: whether the last one was WORD. */
static int
tokens(const char *v, size_t len, const char *word, int *hit)
{
    size_t wlen = strlen(word);
    int    last = 0;

    while (len > 0) {
        const char *comma = memchr(v, ',', len);
        size_t      n = comma ? (size_t) (comma - v) : len;
        const char *t = v;
        size_t      tl = trim(&t, n);

        if (tl > 0) {
            last = tl == wlen && strncasecmp(t, word, wlen) == 0;
            *hit |= last;
        }
        if (comma == NULL) {
            break;
        }
        v = comma + 1;
        len -= n + 1;
    }
    return last;
}

static int
header_field(conn_t *c, char *line, size_t len)
{
    char       *colon = memchr(line, ':', len);
    const char *v;
    size_t      nlen, vlen;

    if (line[0] == ' ' || line[0] == '\t') {
        return 0;               /* obs-fold: a continuation, not ours */
    }
    if (colon == NULL || colon == line) {
        snprintf(reason, sizeof(reason), "bad header line");
        return -1;
    }
    nlen = (size_t) (colon - line);
    if (memchr(line, ' ', nlen) || memchr(line, '\t', nlen)) {
        snprintf(reason, sizeof(reason), "white space in a field name");
        return -1;
    }
    v = colon + 1;
    vlen = trim(&v, len - nlen - 1);
    if (nlen == 14 && strncasecmp(line, "content-length", 14) == 0) {
        uint64_t n = 0;

        if (vlen == 0 || vlen > 18) {
            snprintf(reason, sizeof(reason), "bad Content-Length");
            return -1;
        }
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9') {
                snprintf(reason, sizeof(reason), "bad Content-Length");
                return -1;
            }
            n = n * 10 + (uint64_t) (v[i] - '0');
        }
        if (c->have_cl && c->cl != n) {
            snprintf(reason, sizeof(reason), "two Content-Lengths");
            return -1;
        }
        c->have_cl = 1;
        c->cl = n;
    } else if (nlen == 17 && strncasecmp(line, "transfer-encoding", 17) == 0) {
        int hit = 0;

        c->te = 1;
        c->te_chunked = tokens(v, vlen, "chunked", &hit);
    } else if (nlen == 10 && strncasecmp(line, "connection", 10) == 0) {
        tokens(v, vlen, "close", &c->tok_close);
        tokens(v, vlen, "keep-alive", &c->tok_keepalive);
    }
    return 0;
}

/* The head is complete: how the body is framed. 1: the response is
 * complete already, 0: go on. */
static int
head_done(conn_t *c)
{
    if (c->status >= 100 && c->status < 200 && c->status != 101) {
        c->pstate = P_STATUS;   /* interim: the real one follows */
        return 0;
    }
    c->close_after = c->tok_close || (c->http10 && !c->tok_keepalive)
                     || c->status == 101;
    if (c->status == 101 || c->status == 204 || c->status == 304) {
        return 1;
    }
    if (c->te) {
        if (c->te_chunked) {
            c->pstate = P_CHUNK_SIZE;
        } else {
            c->pstate = P_EOF;  /* RFC 9112 6.3: until the close */
            c->close_after = 1;
        }
        return 0;
    }
    if (c->have_cl) {
        c->remain = c->cl;
        c->pstate = P_LEN;
        return c->cl == 0;
    }
    c->pstate = P_EOF;
    c->close_after = 1;
    return 0;
}

static int
status_line(conn_t *c, const char *l, size_t len)
{
    if (len < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' || l[7] > '9'
        || l[8] != ' ' || l[9] < '1' || l[9] > '5' || l[10] < '0'
        || l[10] > '9' || l[11] < '0' || l[11] > '9'
        || (len > 12 && l[12] != ' ')) {
        snprintf(reason, sizeof(reason), "bad status line \"%.*s\"",
                 (int) (len < 60 ? len : 60), l);
        return -1;
    }
    c->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    c->http10 = l[7] == '0';
    c->tok_close = c->tok_keepalive = 0;
    c->te = c->te_chunked = 0;
    c->have_cl = 0;
    c->pstate = P_HEADERS;
    return 0;
}

/* Take body bytes out of the buffer. */
static void
consume(conn_t *c)
{
    size_t avail = c->len - c->off;
    size_t n = avail < c->remain ? avail : (size_t) c->remain;

    c->off += n;
    c->remain -= n;
}

/* Parse what came. 1: the response is complete, 0: more is needed, -1:
 * broken (reason says why). */
static int
parse(conn_t *c)
{
    char  *line;
    size_t len;

    for ( ;; ) {
        switch (c->pstate) {
        case P_STATUS:
            if (!next_line(c, &line, &len)) {
                return 0;
            }
            if (status_line(c, line, len) != 0) {
                return -1;
            }
            break;
        case P_HEADERS:
            if (!next_line(c, &line, &len)) {
                return 0;
            }
            if (len == 0) {
                if (head_done(c)) {
                    return 1;
                }
            } else if (header_field(c, line, len) != 0) {
                return -1;
            }
            break;
        case P_LEN:
            consume(c);
            return c->remain == 0;
        case P_CHUNK_SIZE: {
            uint64_t size = 0;
            size_t   i = 0;

            if (!next_line(c, &line, &len)) {
                return 0;
            }
            for ( ; i < len && i < 16; i++) {
                char ch = line[i];
                int  d = ch >= '0' && ch <= '9' ? ch - '0'
                         : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

                if (d < 0) {
                    break;
                }
                size = size * 16 + (uint64_t) d;
            }
            while (i < len && (line[i] == ' ' || line[i] == '\t')) {
                i++;
            }
            if (i == 0 || (i < len && line[i] != ';')) {
                snprintf(reason, sizeof(reason), "bad chunk size \"%.*s\"",
                         (int) (len < 40 ? len : 40), line);
                return -1;
            }
            if (size == 0) {
                c->pstate = P_TRAILERS;
            } else {
                c->remain = size;
                c->pstate = P_CHUNK_DATA;
            }
            break;
        }
        case P_CHUNK_DATA:
            consume(c);
            if (c->remain > 0) {
                return 0;
            }
            c->pstate = P_CHUNK_END;
            break;
        case P_CHUNK_END:
            if (!next_line(c, &line, &len)) {
                return 0;
            }
            if (len != 0) {
                snprintf(reason, sizeof(reason), "no CRLF after a chunk");
                return -1;
            }
            c->pstate = P_CHUNK_SIZE;
            break;
        case P_TRAILERS:
            if (!next_line(c, &line, &len)) {
                return 0;
            }
            if (len == 0) {
                return 1;
            }
            break;              /* a trailer field: read, not used */
        case P_EOF:
            c->off = c->len;
            return 0;
        }
    }
}

/* A complete response: count it, then the next request. */
static void
complete(conn_t *c)
{
    if (c->status == 200) {
        n_ok++;
        done++;
        c->has_req = 0;
    } else {
        failed(c, "status %d", c->status);
    }
    c->reused = 1;
    if (c->close_after) {
        conn_close(c);
    }
    proceed(c);
}

/* The connection ended (ERR: 0 for a close, else the error). */
static void
ended(conn_t *c, int err)
{
    if (err == 0 && c->pstate == P_EOF) {
        complete(c);
        return;
    }
    if (c->got == 0 && c->reused) {
        n_retried++;            /* the same request on a new connection */
    } else if (c->got == 0) {
        failed(c, "%s before the response (fresh connection)",
               err == ECONNRESET ? "reset" : err ? strerror(err) : "closed");
    } else {
        failed(c, "%s mid-response after %" PRIu64 " bytes",
               err == ECONNRESET ? "reset" : err ? strerror(err) : "closed",
               c->got);
    }
    conn_close(c);
    proceed(c);
}

static void
on_readable(conn_t *c)
{
    for ( ;; ) {
        size_t  space;
        ssize_t n;
        int     r;

        if (c->off > 0) {
            memmove(c->buf, c->buf + c->off, c->len - c->off);
            c->len -= c->off;
            c->off = 0;
        }
        if (c->len == BUF_SIZE) {
            failed(c, "a line of the response over %d bytes", BUF_SIZE);
            conn_close(c);
            proceed(c);
            return;
        }
        space = BUF_SIZE - c->len;
        n = recv(c->fd, c->buf + c->len, space, 0);
        if (n > 0) {
            c->len += (size_t) n;
            c->got += (uint64_t) n;
            c->due = now + RESPONSE_MS;
            r = parse(c);
            if (r < 0) {
                failed(c, "%s", reason);
                conn_close(c);
                proceed(c);
                return;
            }
            if (r > 0) {
                complete(c);
                return;
            }
            if ((size_t) n < space) {
                return;         /* drained, most likely */
            }
        } else if (n == 0) {
            ended(c, 0);
            return;
        } else if (errno == EAGAIN) {
            return;
        } else if (errno != EINTR) {
            ended(c, errno);
            return;
        }
    }
}

static void
on_event(conn_t *c, uint32_t events)
{
    if (c->state == C_CONNECTING) {
        int       err = 0;
        socklen_t len = sizeof(err);

        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            connect_failed(c, err);
        } else {
            write_more(c);      /* connected: C_OPEN */
        }
        return;
    }
    if (c->state != C_OPEN) {
        return;
    }
    if ((events & EPOLLOUT) && c->sent < request_len) {
        write_more(c);
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        on_readable(c);
    }
}

/* Wake-ups and deadlines that are due; next_timer: the next one. */
static void
on_timers(void)
{
    next_timer = INT64_MAX;
    for (int i = 0; i < n_slots; i++) {
        conn_t *c = &conns[i];

        if (c->state != C_DONE && now >= c->due) {
            switch (c->state) {
            case C_WAIT:
                proceed(c);
                break;
            case C_PAUSE:
                send_request(c);
                break;
            case C_CONNECTING:
                failed(c, "connect: no answer within %d ms", RESPONSE_MS);
                conn_close(c);
                proceed(c);
                break;
            case C_OPEN:
                if (c->got == 0) {
                    failed(c, "no response within %d ms", RESPONSE_MS);
                } else {
                    failed(c, "response stalled for %d ms after %" PRIu64
                           " bytes", RESPONSE_MS, c->got);
                }
                conn_close(c);
                proceed(c);
                break;
            }
        }
        if (c->state != C_DONE) {
            arm(c->due);
        }
    }
}

static int
number(const char *text, long long min, long long max, long long *out)
{
    char     *end;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: http_load [-c CONNS] [-n REQUESTS] [-t MS] "
                    "[-P PATH] [-H HOST] [-q] ADDR:PORT\n");
    return 2;
}

static void
final_line(void)
{
    printf("http_load: requests %lld ok %lld failed %lld retried %lld "
           "conns %lld\n", total, n_ok, n_failed, n_retried, n_conns);
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    const char        *path = "/", *host = "x";
    long long          v, limit_ms = 60000;
    int                quiet = 0, opt;
    int64_t            start, end, next_progress;
    struct epoll_event events[256];

    while ((opt = getopt(argc, argv, "c:n:t:P:H:qD:")) != -1) {
        switch (opt) {
        case 'c':
            if (number(optarg, 1, MAX_CONNS, &v) != 0) {
                return usage();
            }
            n_slots = (int) v;
            break;
        case 'n':
            if (number(optarg, 1, INT64_MAX / 2, &total) != 0) {
                return usage();
            }
            break;
        case 't':
            if (number(optarg, 1, INT32_MAX, &limit_ms) != 0) {
                return usage();
            }
            break;
        case 'P':
            path = optarg;
            break;
        case 'H':
            host = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'D':
            if (number(optarg, 0, 60000, &v) != 0) {
                return usage();
            }
            pause_ms = (long) v;
            break;
        default:
            return usage();
        }
    }
    if (optind != argc - 1 || parse_addr(argv[optind]) != 0) {
        return usage();
    }
    if (asprintf(&request, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host)
        < 0) {
        return 1;
    }
    request_len = strlen(request);
    signal(SIGPIPE, SIG_IGN);
    ep = epoll_create1(0);
    conns = calloc((size_t) n_slots, sizeof(*conns));
    if (ep == -1 || conns == NULL) {
        fprintf(stderr, "http_load: %s\n", strerror(errno));
        return 1;
    }
    rnd ^= (uint64_t) getpid() << 20;
    now = start = now_ms();
    end = start + limit_ms;
    next_progress = quiet ? INT64_MAX : start + 1000;
    for (int i = 0; i < n_slots; i++) {
        conns[i].fd = -1;
        conns[i].slot = i + 1;
        conns[i].buf = malloc(BUF_SIZE);
        if (conns[i].buf == NULL) {
            fprintf(stderr, "http_load: out of memory\n");
            return 1;
        }
    }
    for (int i = 0; i < n_slots; i++) {
        proceed(&conns[i]);
    }
    while (done < total) {
        int64_t wake = next_timer < end ? next_timer : end;
        int     n;

        wake = next_progress < wake ? next_progress : wake;
        n = epoll_wait(ep, events, 256, wake <= now ? 0 : (int) (wake - now));
        if (n == -1 && errno != EINTR) {
            fprintf(stderr, "http_load: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        now = now_ms();
        for (int i = 0; i < n && done < total; i++) {
            on_event(events[i].data.ptr, events[i].events);
        }
        if (done >= total) {
            break;
        }
        if (now >= end) {
            fprintf(stderr, "http_load: time is up after %lld ms: %lld of "
                    "%lld requests done\n", limit_ms, done, total);
            final_line();
            return 1;
        }
        if (now >= next_timer) {
            on_timers();
        }
        if (now >= next_progress) {
            printf("progress ok %lld failed %lld retried %lld\n", n_ok,
                   n_failed, n_retried);
            fflush(stdout);
            while (next_progress <= now) {
                next_progress += 1000;
            }
        }
    }
    final_line();
    return n_ok == total ? 0 : 1;
}
