/*
 * bench/connect_bulk.c: one TCP stream of bulk data, straight, through an
 * HTTP proxy's CONNECT tunnel or through a SOCKS5 proxy, and the source it
 * reads from.
 *
 *   connect_bulk -l [-a ADDR] [-b BYTES] PORT
 *       the source: listens on ADDR:PORT (default 127.0.0.1) and sends
 *       every connection an endless stream of BYTES-sized writes (default
 *       65536) until the peer goes away; what the peer sends is discarded.
 *       A thread per connection; 30 s without progress ends it. Stops on
 *       TERM or INT.
 *
 *   connect_bulk [-c | -S [-u USER:PASS]] -t SECONDS [-b BYTES]
 *                HOST PORT TARGET_HOST TARGET_PORT
 *       the client: with -c, connects to the proxy at HOST:PORT, sends
 *       "CONNECT TARGET_HOST:TARGET_PORT HTTP/1.1" (with Host), and wants a
 *       2xx answer within 10 s; with -S, connects to the SOCKS5 proxy at
 *       HOST:PORT (RFC 1928): the greeting offering method 00 (no
 *       authentication; with -u, 02 and the RFC 1929 login), then CONNECT
 *       to TARGET_HOST:TARGET_PORT by IPv4 address (ATYP 01), and wants
 *       the reply 00 (succeeded), each answer within 10 s; without -c or
 *       -S, connects to TARGET_HOST:TARGET_PORT itself (HOST and PORT are
 *       not used). Then
 *       it reads (BYTES at a time, default 262144) for SECONDS, counting
 *       the bytes, and prints one line:
 *
 *           bytes 12345678 seconds 5.000 bytes_per_sec 2469135.6
 *
 *       The clock starts at the end of the proxy's answer (the SOCKS
 *       reply; at connect, for the direct path); bytes that came in with
 *       the answer count. Exit 1, with a message on stderr, when the proxy
 *       refuses, the stream ends before SECONDS, or nothing arrives for
 *       10 s.
 *
 * The number is what the receiving end counted, so socket buffers filled
 * but not yet read do not inflate it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STALL_MS    10000       /* client: no byte for this long is a failure */
#define SEND_TMO_S  30          /* source: a write blocked this long ends it */
#define HEAD_MAX    8192        /* the proxy's answer to CONNECT */

static volatile sig_atomic_t stop;
static char  *buf;
static size_t buf_size;

static void
on_signal(int sig)
{
    (void) sig;
    stop = 1;
}

static void
usage(void)
{
    fprintf(stderr,
            "usage: connect_bulk -l [-a ADDR] [-b BYTES] PORT\n"
            "       connect_bulk [-c | -S [-u USER:PASS]] -t SECONDS"
            " [-b BYTES] HOST PORT TARGET_HOST TARGET_PORT\n");
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
parse_port(const char *s, uint16_t *port)
{
    char         *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v == 0 || v > 65535) {
        fprintf(stderr, "connect_bulk: bad port: %s\n", s);
        return -1;
    }
    *port = (uint16_t) v;
    return 0;
}

static int
parse_addr(const char *host, const char *port, struct sockaddr_in *sin)
{
    uint16_t p;

    memset(sin, 0, sizeof(*sin));
    sin->sin_family = AF_INET;
    if (parse_port(port, &p) != 0) {
        return -1;
    }
    sin->sin_port = htons(p);
    if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
        fprintf(stderr, "connect_bulk: not an IPv4 address: %s\n", host);
        return -1;
    }
    return 0;
}

/* ---- the source -------------------------------------------------------- */

/*
 * One connection: write BYTES at a time while it takes them, discard what
 * comes in (so a proxy is never stuck writing to us), until the peer goes
 * away or SEND_TMO_S pass without progress.
 */
static void *
source_conn(void *arg)
{
    struct pollfd p = { .fd = (int) (intptr_t) arg, .events = POLLIN | POLLOUT };
    char          junk[4096];

    while (!stop) {
        int n = poll(&p, 1, SEND_TMO_S * 1000);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        if (p.revents & POLLIN) {
            ssize_t r = recv(p.fd, junk, sizeof(junk), MSG_DONTWAIT);

            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                break;
            }
        }
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
            break;
        }
        if ((p.revents & POLLOUT)
            && send(p.fd, buf, buf_size, MSG_NOSIGNAL | MSG_DONTWAIT) < 0
            && errno != EAGAIN && errno != EINTR) {
            break;
        }
    }
    close(p.fd);
    return NULL;
}

static int
source(const char *addr, const char *port)
{
    struct sockaddr_in sin;
    struct sigaction   sa = { .sa_handler = on_signal };
    pthread_attr_t     attr;
    int                lfd, one = 1;

    if (parse_addr(addr, port, &sin) != 0) {
        return 2;
    }
    sigaction(SIGTERM, &sa, NULL);     /* no SA_RESTART: accept returns */
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0) {
        perror("connect_bulk: socket");
        return 1;
    }
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *) &sin, sizeof(sin)) < 0) {
        fprintf(stderr, "connect_bulk: bind %s:%s: %s\n", addr, port,
                strerror(errno));
        return 1;
    }
    if (listen(lfd, 128) < 0) {
        perror("connect_bulk: listen");
        return 1;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    while (!stop) {
        pthread_t t;
        int            fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE
                || errno == ENFILE) {
                if (errno == EMFILE || errno == ENFILE) {
                    usleep(10000);
                }
                continue;
            }
            perror("connect_bulk: accept");
            return 1;
        }
        if (pthread_create(&t, &attr, source_conn, (void *) (intptr_t) fd) != 0) {
            close(fd);
        }
    }
    return 0;
}

/* ---- the client ---------------------------------------------------------- */

/* Wait up to MS for FD to be readable; 0, or -1 (errno ETIMEDOUT after MS). */
static int
wait_in(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    for (;;) {
        int n = poll(&p, 1, ms);

        if (n > 0) {
            return 0;
        }
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR) {
            return -1;
        }
    }
}

/*
 * Send CONNECT and read the answer's head. The bytes that followed it
 * are left at the start of buf, their count in *extra.
 */
static int
proxy_connect(int fd, const char *host, const char *port, size_t *extra)
{
    char    req[512], head[HEAD_MAX];
    size_t  have = 0;
    int     len;
    char   *end;

    len = snprintf(req, sizeof(req),
                   "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n",
                   host, port, host, port);
    if (len < 0 || (size_t) len >= sizeof(req)) {
        fprintf(stderr, "connect_bulk: target too long\n");
        return -1;
    }
    if (send(fd, req, (size_t) len, MSG_NOSIGNAL) != len) {
        fprintf(stderr, "connect_bulk: sending CONNECT: %s\n", strerror(errno));
        return -1;
    }
    for (;;) {
        ssize_t n;

        if (wait_in(fd, STALL_MS) != 0) {
            fprintf(stderr, "connect_bulk: no answer to CONNECT: %s\n",
                    strerror(errno));
            return -1;
        }
        n = recv(fd, head + have, sizeof(head) - 1 - have, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            head[have] = '\0';
            fprintf(stderr, "connect_bulk: the proxy closed before answering"
                    " CONNECT (%s)%s%.200s\n", n < 0 ? strerror(errno) : "EOF",
                    have ? ": " : "", head);
            return -1;
        }
        have += (size_t) n;
        head[have] = '\0';
        end = memmem(head, have, "\r\n\r\n", 4);
        if (end != NULL) {
            break;
        }
        if (have == sizeof(head) - 1) {
            fprintf(stderr, "connect_bulk: the answer to CONNECT has no end"
                    " within %d bytes\n", HEAD_MAX);
            return -1;
        }
    }
    /* "HTTP/1.x 2xx ..." */
    if (strncmp(head, "HTTP/1.", 7) != 0 || head[8] != ' ' || head[9] != '2') {
        char *eol = strstr(head, "\r\n");

        if (eol) {
            *eol = '\0';
        }
        fprintf(stderr, "connect_bulk: CONNECT refused: %.200s\n", head);
        return -1;
    }
    end += 4;
    *extra = have - (size_t) (end - head);
    memcpy(buf, end, *extra);
    return 0;
}

/*
 * Read exactly LEN bytes of a SOCKS answer (nothing past it: what follows
 * is the stream, counted by the caller), each part within STALL_MS.
 */
static int
socks_read(int fd, unsigned char *p, size_t len, const char *what)
{
    size_t have = 0;

    while (have < len) {
        ssize_t n;

        if (wait_in(fd, STALL_MS) != 0) {
            fprintf(stderr, "connect_bulk: no %s from the SOCKS proxy: %s\n",
                    what, strerror(errno));
            return -1;
        }
        n = recv(fd, p + have, len - have, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            fprintf(stderr, "connect_bulk: the SOCKS proxy closed before its"
                    " %s (%s, %zu of %zu bytes)\n", what,
                    n < 0 ? strerror(errno) : "EOF", have, len);
            return -1;
        }
        have += (size_t) n;
    }
    return 0;
}

static int
socks_send(int fd, const unsigned char *p, size_t len, const char *what)
{
    if (send(fd, p, len, MSG_NOSIGNAL) != (ssize_t) len) {
        fprintf(stderr, "connect_bulk: sending the SOCKS %s: %s\n", what,
                strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * SOCKS5 (RFC 1928): greeting, the RFC 1929 login when USERPASS (USER:PASS)
 * is given, CONNECT to HOST:PORT (IPv4), and a reply that says 00.
 */
static int
socks_connect(int fd, const struct sockaddr_in *to, const char *userpass)
{
    unsigned char m[3 + 2 + 255 + 255];
    const char   *colon = userpass ? strchr(userpass, ':') : NULL;
    size_t        ul, pl, need;

    m[0] = 5;
    m[1] = 1;
    m[2] = userpass ? 2 : 0;
    if (socks_send(fd, m, 3, "greeting") != 0
        || socks_read(fd, m, 2, "method selection") != 0) {
        return -1;
    }
    if (m[0] != 5 || m[1] != (userpass ? 2 : 0)) {
        fprintf(stderr, "connect_bulk: SOCKS method refused: %02x %02x\n",
                m[0], m[1]);
        return -1;
    }
    if (userpass) {
        ul = (size_t) (colon - userpass);
        pl = strlen(colon + 1);
        m[0] = 1;
        m[1] = (unsigned char) ul;
        memcpy(m + 2, userpass, ul);
        m[2 + ul] = (unsigned char) pl;
        memcpy(m + 3 + ul, colon + 1, pl);
        if (socks_send(fd, m, 3 + ul + pl, "login") != 0
            || socks_read(fd, m, 2, "login status") != 0) {
            return -1;
        }
        if (m[0] != 1 || m[1] != 0) {
            fprintf(stderr, "connect_bulk: SOCKS login refused: %02x %02x\n",
                    m[0], m[1]);
            return -1;
        }
    }
    m[0] = 5;                   /* VER CMD=CONNECT RSV ATYP=IPv4 ADDR PORT */
    m[1] = 1;
    m[2] = 0;
    m[3] = 1;
    memcpy(m + 4, &to->sin_addr, 4);
    memcpy(m + 8, &to->sin_port, 2);
    if (socks_send(fd, m, 10, "CONNECT request") != 0
        || socks_read(fd, m, 5, "CONNECT reply") != 0) {
        return -1;
    }
    if (m[0] != 5 || m[1] != 0) {
        fprintf(stderr, "connect_bulk: SOCKS CONNECT refused: reply %02x %02x\n",
                m[0], m[1]);
        return -1;
    }
    switch (m[3]) {             /* the rest of BND.ADDR, and BND.PORT */
    case 1: need = 4 - 1 + 2; break;
    case 3: need = m[4] + 2; break;
    case 4: need = 16 - 1 + 2; break;
    default:
        fprintf(stderr, "connect_bulk: SOCKS reply with address type %02x\n",
                m[3]);
        return -1;
    }
    return socks_read(fd, m + 5, need, "CONNECT reply");
}

static int
client(int via_proxy, const char *socks_auth, double secs, char **argv)
{
    struct sockaddr_in sin, target;
    const char        *host = via_proxy ? argv[0] : argv[2];
    const char        *port = via_proxy ? argv[1] : argv[3];
    size_t             extra = 0;
    uint64_t           total;
    double             t0, deadline, t;
    int                fd, one = 1;

    if (parse_addr(host, port, &sin) != 0) {
        return 2;
    }
    if (via_proxy == 'S' && parse_addr(argv[2], argv[3], &target) != 0) {
        return 2;
    }
    if (via_proxy == 'c') {
        uint16_t p;

        if (parse_port(argv[3], &p) != 0) {
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("connect_bulk: socket");
        return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0) {
        fprintf(stderr, "connect_bulk: connect %s:%s: %s\n", host, port,
                strerror(errno));
        return 1;
    }
    if (via_proxy == 'c' && proxy_connect(fd, argv[2], argv[3], &extra) != 0) {
        return 1;
    }
    if (via_proxy == 'S' && socks_connect(fd, &target, socks_auth) != 0) {
        return 1;
    }
    total = extra;
    t0 = now_s();
    deadline = t0 + secs;
    for (;;) {
        ssize_t n;
        int     ms;

        t = now_s();
        if (t >= deadline) {
            break;
        }
        ms = (int) ((deadline - t) * 1000) + 1;
        if (wait_in(fd, ms < STALL_MS ? ms : STALL_MS) != 0) {
            if (errno == ETIMEDOUT && ms < STALL_MS) {
                continue;       /* the deadline came; the loop ends */
            }
            fprintf(stderr, "connect_bulk: after %llu bytes: %s\n",
                    (unsigned long long) total, strerror(errno));
            return 1;
        }
        n = recv(fd, buf, buf_size, 0);
        if (n > 0) {
            total += (uint64_t) n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        fprintf(stderr, "connect_bulk: the stream ended after %llu bytes"
                " and %.3f s: %s\n", (unsigned long long) total, now_s() - t0,
                n == 0 ? "EOF" : strerror(errno));
        return 1;
    }
    t -= t0;
    close(fd);
    printf("bytes %llu seconds %.3f bytes_per_sec %.1f\n",
           (unsigned long long) total, t, (double) total / t);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *addr = "127.0.0.1", *socks_auth = NULL, *colon;
    double      secs = 0;
    long        bytes = 0;
    char       *end;
    int         opt, listen_mode = 0, via_proxy = 0;

    while ((opt = getopt(argc, argv, "a:b:clSt:u:h")) != -1) {
        switch (opt) {
        case 'a':
            addr = optarg;
            break;
        case 'b':
            bytes = strtol(optarg, &end, 10);
            if (*end != '\0' || bytes < 1 || bytes > 64L * 1024 * 1024) {
                fprintf(stderr, "connect_bulk: bad -b: %s\n", optarg);
                return 2;
            }
            break;
        case 'c':
        case 'S':
            if (via_proxy && via_proxy != opt) {
                fprintf(stderr, "connect_bulk: -c or -S, not both\n");
                return 2;
            }
            via_proxy = opt;
            break;
        case 'u':
            colon = strchr(optarg, ':');
            if (colon == NULL || colon == optarg || colon[1] == '\0'
                || colon - optarg > 255 || strlen(colon + 1) > 255) {
                fprintf(stderr, "connect_bulk: -u wants USER:PASS (1..255"
                        " bytes each)\n");
                return 2;
            }
            socks_auth = optarg;
            break;
        case 'l':
            listen_mode = 1;
            break;
        case 't':
            secs = strtod(optarg, &end);
            if (*end != '\0' || !(secs > 0 && secs < 86400)) {
                fprintf(stderr, "connect_bulk: bad -t: %s\n", optarg);
                return 2;
            }
            break;
        default:
            usage();
            return opt == 'h' ? 0 : 2;
        }
    }
    buf_size = bytes ? (size_t) bytes : listen_mode ? 65536 : 262144;
    /* the client keeps what followed the CONNECT answer in buf too */
    buf = malloc(buf_size > HEAD_MAX ? buf_size : HEAD_MAX);
    if (buf == NULL) {
        perror("connect_bulk: malloc");
        return 1;
    }
    memset(buf, 'x', buf_size);
    if (listen_mode) {
        if (via_proxy || socks_auth || secs > 0 || optind != argc - 1) {
            usage();
            return 2;
        }
        return source(addr, argv[optind]);
    }
    if (secs <= 0 || optind != argc - 4 || (socks_auth && via_proxy != 'S')) {
        usage();
        return 2;
    }
    return client(via_proxy, socks_auth, secs, argv + optind);
}
