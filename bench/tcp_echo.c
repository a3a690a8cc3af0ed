/*
 * bench/tcp_echo.c: a TCP echo server that holds many idle connections
 * cheaply (the backend of the memory_idle scenario's tunnels).
 *
 *   tcp_echo [-a ADDR] PORT
 *
 * One thread, one level-triggered epoll loop. Whatever a connection sends
 * is sent back; an idle connection costs a descriptor and nothing else
 * (reads go through one shared buffer; only bytes the peer does not take
 * at once are kept, for that connection, until it does). At the client's
 * FIN it finishes echoing and closes. ADDR defaults to 127.0.0.1; the soft
 * descriptor limit is raised to the hard one. Stops on TERM or INT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE   65536
#define MAX_EVENTS 256

typedef struct pending {        /* bytes the peer did not take yet */
    size_t off, len;
    char   data[];
} pending_t;

static pending_t   **pend;      /* by descriptor; NULL for most */
static size_t        n_pend;
static int           ep = -1, lfd = -1, spare_fd = -1;
static char          buf[BUF_SIZE];
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
    (void) sig;
    stop = 1;
}

static void
drop(int fd)
{
    if ((size_t) fd < n_pend && pend[fd]) {
        free(pend[fd]);
        pend[fd] = NULL;
    }
    close(fd);              /* leaves epoll too */
}

static int
ep_ctl(int op, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };

    return epoll_ctl(ep, op, fd, &ev);
}

/* Keep LEN bytes from P for FD (the peer is slow); 0, or -1. */
static int
keep(int fd, const char *p, size_t len)
{
    pending_t *q;

    if ((size_t) fd >= n_pend) {
        size_t     n = n_pend ? n_pend : 1024;
        pending_t **np;

        while (n <= (size_t) fd) {
            n *= 2;
        }
        np = realloc(pend, n * sizeof(*np));
        if (np == NULL) {
            return -1;
        }
        memset(np + n_pend, 0, (n - n_pend) * sizeof(*np));
        pend = np;
        n_pend = n;
    }
    q = malloc(sizeof(*q) + len);
    if (q == NULL) {
        return -1;
    }
    q->off = 0;
    q->len = len;
    memcpy(q->data, p, len);
    pend[fd] = q;
    /* stop reading until the peer takes these */
    return ep_ctl(EPOLL_CTL_MOD, fd, EPOLLOUT);
}

/* Send [P, P + LEN); bytes sent, or -1 when the connection failed. */
static ssize_t
send_all(int fd, const char *p, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            return -1;
        }
        done += (size_t) n;
    }
    return (ssize_t) done;
}

static void
on_writable(int fd)
{
    pending_t *q = (size_t) fd < n_pend ? pend[fd] : NULL;
    ssize_t    n;

    if (q == NULL) {
        ep_ctl(EPOLL_CTL_MOD, fd, EPOLLIN);
        return;
    }
    n = send_all(fd, q->data + q->off, q->len - q->off);
    if (n < 0) {
        drop(fd);
        return;
    }
    q->off += (size_t) n;
    if (q->off < q->len) {
        return;
    }
    free(q);
    pend[fd] = NULL;
    ep_ctl(EPOLL_CTL_MOD, fd, EPOLLIN);
}

static void
on_readable(int fd)
{
    for ( ;; ) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0), sent;

        if (n == 0) {
            drop(fd);       /* the client's FIN: everything was echoed */
            return;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                drop(fd);
            }
            return;
        }
        sent = send_all(fd, buf, (size_t) n);
        if (sent < 0) {
            drop(fd);
            return;
        }
        if (sent < n) {
            if (keep(fd, buf + sent, (size_t) (n - sent)) != 0) {
                drop(fd);
            }
            return;
        }
        if ((size_t) n < sizeof(buf)) {
            return;         /* drained: level-triggered epoll says more */
        }
    }
}

static void
on_accept(void)
{
    for ( ;; ) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        int one = 1;

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
                /* out of descriptors: drop one client rather than spin */
                fprintf(stderr, "tcp_echo: accept: %s\n", strerror(errno));
                close(spare_fd);
                fd = accept(lfd, NULL, NULL);
                if (fd >= 0) {
                    close(fd);
                }
                spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                continue;
            }
            return;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (ep_ctl(EPOLL_CTL_ADD, fd, EPOLLIN) != 0) {
            close(fd);
        }
    }
}

int
main(int argc, char **argv)
{
    const char         *addr = "127.0.0.1";
    struct sockaddr_in  sin = { .sin_family = AF_INET };
    struct epoll_event  events[MAX_EVENTS];
    struct sigaction    sa = { .sa_handler = on_signal };
    struct rlimit       rl;
    unsigned long       port;
    char               *endp;
    int                 one = 1, opt;

    while ((opt = getopt(argc, argv, "a:h")) != -1) {
        if (opt == 'a') {
            addr = optarg;
        } else {
            fprintf(stderr, "usage: tcp_echo [-a ADDR] PORT\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: tcp_echo [-a ADDR] PORT\n");
        return 2;
    }
    port = strtoul(argv[optind], &endp, 10);
    if (*endp != '\0' || port == 0 || port > 65535
        || inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
        fprintf(stderr, "tcp_echo: bad address or port: %s %s\n", addr,
                argv[optind]);
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
        perror("tcp_echo: socket");
        return 1;
    }
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *) &sin, sizeof(sin)) != 0) {
        fprintf(stderr, "tcp_echo: bind %s:%lu: %s\n", addr, port,
                strerror(errno));
        return 1;
    }
    if (listen(lfd, 4096) != 0 || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0
        || ep_ctl(EPOLL_CTL_ADD, lfd, EPOLLIN) != 0) {
        perror("tcp_echo: listen");
        return 1;
    }
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    while (!stop) {
        int n = epoll_wait(ep, events, MAX_EVENTS, 1000);

        for (int i = 0; i < n; i++) {
            int      fd = events[i].data.fd;
            uint32_t e = events[i].events;

            if (fd == lfd) {
                on_accept();
            } else if ((size_t) fd < n_pend && pend[fd]) {
                if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
                    on_writable(fd);
                }
            } else if (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                on_readable(fd);
            }
        }
    }
    return 0;
}
