/*
 * bench/origin.c: the small HTTP/1.1 origin the benchmarks talk to.
 *
 *   origin [-a ADDR] [-s BYTES] PORT
 *
 * One thread, one level-triggered epoll loop. Every request gets the same
 * response: "200 OK" with a body of BYTES bytes (default: "ok\n"). Bodies
 * up to 4 KiB are queued with the head (pipelining stays cheap); larger
 * ones are sent from one shared buffer, the next request waiting for the
 * body to be out. The connection is kept alive
 * unless the request says "Connection: close" (or is HTTP/1.0 without
 * "Connection: keep-alive"): then the response carries "Connection: close"
 * and the origin closes after sending it. Pipelined requests are answered
 * in order; a request body (Content-Length) is read and discarded;
 * chunked request bodies get 501 and a close; a header past 16 KB gets
 * 431 and a close; a malformed request line gets 400 and a close.
 *
 * ADDR defaults to 127.0.0.1. Stops on TERM or INT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_SIZE   16384         /* one request header must fit */
#define OUT_SIZE  16384         /* pending responses; parsing pauses past it */
#define MAX_EVENTS 256

typedef struct conn {
    int     fd;                 /* -1 when the slot is free */
    size_t  in_len;
    size_t  out_off, out_len;
    size_t  body_left;          /* request body bytes still to discard */
    size_t  big_left;           /* response body bytes still to send */
    int     closing;            /* close once out is flushed */
    int     want_out;           /* EPOLLOUT registered */
    char    in[IN_SIZE];
    char    out[OUT_SIZE];
} conn_t;

static conn_t  **conns;         /* indexed by fd */
static size_t    nconns;
static int       ep = -1;
static int       spare_fd = -1; /* given up to accept and drop on EMFILE */
static volatile sig_atomic_t stop;

#define SMALL_BODY 4096

static char   *body;            /* the response body */
static size_t  body_size = 3;
static char    resp_keep[256 + SMALL_BODY], resp_close[256 + SMALL_BODY];
static size_t  keep_len, close_len;
static const char resp_400[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char resp_431[] =
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
    "Connection: close\r\n\r\n";
static const char resp_501[] =
    "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n"
    "Connection: close\r\n\r\n";

static void
on_signal(int sig)
{
    (void) sig;
    stop = 1;
}

static void
die(const char *what)
{
    fprintf(stderr, "origin: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int
ep_ctl(int op, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };

    return epoll_ctl(ep, op, fd, &ev);
}

static void
conn_close(conn_t *c)
{
    int fd = c->fd;

    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    c->fd = -1;
}

static conn_t *
conn_get(int fd)
{
    if ((size_t) fd >= nconns) {
        size_t   n = nconns ? nconns : 64;
        conn_t **p;

        while (n <= (size_t) fd) {
            n *= 2;
        }
        p = realloc(conns, n * sizeof(*p));
        if (p == NULL) {
            return NULL;
        }
        memset(p + nconns, 0, (n - nconns) * sizeof(*p));
        conns = p;
        nconns = n;
    }
    if (conns[fd] == NULL && (conns[fd] = malloc(sizeof(conn_t))) == NULL) {
        return NULL;
    }
    return conns[fd];
}

/* Case-insensitive search for the token TOK in a comma-separated list. */
static int
has_token(const char *v, size_t len, const char *tok)
{
    size_t tl = strlen(tok), i = 0;

    while (i < len) {
        size_t s, e;

        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) {
            i++;
        }
        s = i;
        while (i < len && v[i] != ',') {
            i++;
        }
        e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) {
            e--;
        }
        if (e - s == tl && strncasecmp(v + s, tok, tl) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Queue a response; 0, or -1 when it does not fit yet. */
static int
queue(conn_t *c, const char *data, size_t len)
{
    if (c->out_off > 0 && c->out_len + len > OUT_SIZE) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + len > OUT_SIZE) {
        return -1;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

/*
 * Parse and answer the complete requests in c->in. Stops when a request
 * is incomplete, when the output is full, or when the connection is to
 * close after the queued responses.
 */
static void
process(conn_t *c)
{
    size_t pos = 0;

    while (!c->closing) {
        char       *req = c->in + pos, *end, *line, *eol;
        size_t      avail = c->in_len - pos, hlen;
        int         http10, keep = -1, chunked = 0;
        size_t      clen = 0;
        const char *resp;

        if (c->body_left > 0) {
            size_t n = avail < c->body_left ? avail : c->body_left;

            pos += n;
            c->body_left -= n;
            if (c->body_left > 0) {
                break;
            }
            continue;
        }
        if (avail == 0) {
            break;
        }
        end = memmem(req, avail, "\r\n\r\n", 4);
        if (end == NULL) {
            if (avail >= IN_SIZE) {
                queue(c, resp_431, sizeof(resp_431) - 1);
                c->closing = 1;
            }
            break;
        }
        hlen = (size_t) (end - req) + 4;
        if (c->out_len - c->out_off + close_len > OUT_SIZE || c->big_left) {
            break;      /* let the output drain first */
        }

        /* Request line: METHOD SP TARGET SP HTTP/1.x */
        eol = memmem(req, hlen, "\r\n", 2);
        if (eol - req < 14 || memcmp(eol - 8, "HTTP/1.", 7) != 0
            || memchr(req, ' ', (size_t) (eol - req)) == NULL) {
            queue(c, resp_400, sizeof(resp_400) - 1);
            c->closing = 1;
            break;
        }
        http10 = eol[-1] == '0';

        for (line = eol + 2; line < end; line = eol + 2) {
            char  *colon, *v;
            size_t nlen, vlen;

            eol = memmem(line, (size_t) (end + 2 - line), "\r\n", 2);
            colon = memchr(line, ':', (size_t) (eol - line));
            if (colon == NULL) {
                continue;
            }
            nlen = (size_t) (colon - line);
            v = colon + 1;
            vlen = (size_t) (eol - v);
            if (nlen == 10 && strncasecmp(line, "connection", 10) == 0) {
                if (has_token(v, vlen, "close")) {
                    keep = 0;
                } else if (has_token(v, vlen, "keep-alive") && keep != 0) {
                    keep = 1;
                }
            } else if (nlen == 14
                       && strncasecmp(line, "content-length", 14) == 0) {
                clen = strtoul(v, NULL, 10);
            } else if (nlen == 17
                       && strncasecmp(line, "transfer-encoding", 17) == 0) {
                chunked = 1;
            }
        }
        if (keep == -1) {
            keep = !http10;
        }
        pos += hlen;
        if (chunked) {
            queue(c, resp_501, sizeof(resp_501) - 1);
            c->closing = 1;
            break;
        }
        c->body_left = clen;
        resp = keep ? resp_keep : resp_close;
        queue(c, resp, keep ? keep_len : close_len);
        if (body_size > SMALL_BODY) {
            c->big_left = body_size;
        }
        if (!keep) {
            c->closing = 1;
        }
    }
    if (pos > 0) {
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
}

/* Send from P; bytes sent, 0 to wait for EPOLLOUT, -1 when gone. */
static ssize_t
send_some(conn_t *c, const char *p, size_t len)
{
    for ( ;; ) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (!c->want_out) {
                ep_ctl(EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLOUT);
                c->want_out = 1;
            }
            return 0;
        }
        conn_close(c);
        return -1;
    }
}

/* The large body after its head; -1 when the connection is gone. */
static int
flush_big(conn_t *c)
{
    while (c->big_left) {
        ssize_t n = send_some(c, body + (body_size - c->big_left), c->big_left);

        if (n <= 0) {
            return (int) n;
        }
        c->big_left -= (size_t) n;
    }
    return 1;
}

/* Write what is queued; -1 when the connection is gone. */
static int
flush(conn_t *c)
{
    int rc;

    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!c->want_out) {
                    ep_ctl(EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLOUT);
                    c->want_out = 1;
                }
                return 0;
            }
            conn_close(c);
            return -1;
        }
        c->out_off += (size_t) n;
    }
    c->out_off = c->out_len = 0;
    if ((rc = flush_big(c)) <= 0) {
        return rc;
    }
    if (c->want_out) {
        ep_ctl(EPOLL_CTL_MOD, c->fd, EPOLLIN);
        c->want_out = 0;
    }
    if (c->closing) {
        conn_close(c);
        return -1;
    }
    return 0;
}

static void
on_conn(conn_t *c, uint32_t events)
{
    if ((events & EPOLLOUT) && flush(c) < 0) {
        return;
    }
    if ((events & EPOLLOUT) && !c->closing && c->big_left == 0 && c->in_len) {
        process(c);             /* requests that waited for a big body */
        if (flush(c) < 0) {
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        for (;;) {
            ssize_t n;

            if (c->closing) {
                /* answered the last request; discard whatever follows */
                char junk[4096];

                n = recv(c->fd, junk, sizeof(junk), 0);
                if (n == 0 && c->out_off < c->out_len) {
                    /* half-closed: stop reading, finish writing */
                    ep_ctl(EPOLL_CTL_MOD, c->fd, EPOLLOUT);
                    c->want_out = 1;
                    return;
                }
                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                    conn_close(c);
                    return;
                }
                if (n < 0) {
                    break;
                }
                continue;
            }
            if (c->in_len == IN_SIZE) {
                process(c);
                if (c->in_len == IN_SIZE && !c->closing) {
                    break;  /* output is full: wait for EPOLLOUT */
                }
                continue;
            }
            n = recv(c->fd, c->in + c->in_len, IN_SIZE - c->in_len, 0);
            if (n > 0) {
                c->in_len += (size_t) n;
                continue;
            }
            if (n == 0) {
                /* the client is done: answer what is complete, then close */
                process(c);
                c->closing = 1;
                break;
            }
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            conn_close(c);
            return;
        }
        process(c);
        flush(c);
    }
}

static void
on_accept(int lfd)
{
    for (;;) {
        int     fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        int     one = 1;
        conn_t *c;

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
                /* out of descriptors: drop one client rather than spin */
                close(spare_fd);
                fd = accept(lfd, NULL, NULL);
                if (fd >= 0) {
                    close(fd);
                }
                spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                continue;
            }
            return;     /* EAGAIN, or nothing we can do now */
        }
        c = conn_get(fd);
        if (c == NULL) {
            close(fd);
            continue;
        }
        memset(c, 0, offsetof(conn_t, in));
        c->fd = fd;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (ep_ctl(EPOLL_CTL_ADD, fd, EPOLLIN) < 0) {
            close(fd);
            c->fd = -1;
        }
    }
}

/* The heads (and small bodies) every request gets. */
static void
make_responses(void)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                               "Content-Length: %zu\r\n%s\r\n";

    body = malloc(body_size ? body_size : 1);
    if (body == NULL) {
        die("malloc");
    }
    memset(body, 'x', body_size);
    if (body_size == 3) {
        memcpy(body, "ok\n", 3);
    }
    keep_len = (size_t) snprintf(resp_keep, 256, head, body_size, "");
    close_len = (size_t) snprintf(resp_close, 256, head, body_size,
                                  "Connection: close\r\n");
    if (body_size <= SMALL_BODY) {
        memcpy(resp_keep + keep_len, body, body_size);
        memcpy(resp_close + close_len, body, body_size);
        keep_len += body_size;
        close_len += body_size;
    }
}

int
main(int argc, char **argv)
{
    const char          *addr = "127.0.0.1";
    struct sockaddr_in   sin = { .sin_family = AF_INET };
    struct epoll_event   events[MAX_EVENTS];
    struct sigaction     sa = { .sa_handler = on_signal };
    struct rlimit        rl;
    char                *endp;
    unsigned long        port;
    int                  lfd, one = 1, opt;

    while ((opt = getopt(argc, argv, "a:s:h")) != -1) {
        switch (opt) {
        case 'a':
            addr = optarg;
            break;
        case 's':
            body_size = strtoul(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "usage: origin [-a ADDR] [-s BYTES] PORT\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: origin [-a ADDR] [-s BYTES] PORT\n");
        return 2;
    }
    make_responses();
    port = strtoul(argv[optind], &endp, 10);
    if (*endp != '\0' || port > 65535) {
        fprintf(stderr, "origin: bad port: %s\n", argv[optind]);
        return 2;
    }
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
        fprintf(stderr, "origin: bad IPv4 address: %s\n", addr);
        return 2;
    }
    sin.sin_port = htons((uint16_t) port);

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        die("socket");
    }
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *) &sin, sizeof(sin)) < 0) {
        fprintf(stderr, "origin: bind %s:%lu: %s\n", addr, port,
                strerror(errno));
        return 1;
    }
    if (listen(lfd, 4096) < 0) {
        die("listen");
    }
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        die("epoll_create1");
    }
    if (ep_ctl(EPOLL_CTL_ADD, lfd, EPOLLIN) < 0) {
        die("epoll_ctl");
    }
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    while (!stop) {
        int n = epoll_wait(ep, events, MAX_EVENTS, 1000);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;

            if (fd == lfd) {
                on_accept(lfd);
            } else if ((size_t) fd < nconns && conns[fd] && conns[fd]->fd == fd) {
                on_conn(conns[fd], events[i].events);
            }
        }
    }
    return 0;
}
