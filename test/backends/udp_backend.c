/*
 * test/backends/udp_backend.c: a small UDP server for integration tests.
 *
 *   udp_backend [-i NAME] [-m echo|id] [-r N] [-d MS] ADDR:PORT
 *
 *   echo  (default) reply with the same datagram, byte for byte
 *   id    reply "NAME" (which server answered?)
 *   -r N  send N replies per datagram (default 1; 0: never reply)
 *   -d MS delay each reply by MS milliseconds; other clients are served
 *         meanwhile (a queue of pending replies, poll() with its timeout)
 *
 * ADDR is an IPv4 address or a bracketed IPv6 one ("[::1]:5000").
 *
 * Output on stdout, one line each, flushed at once:
 *   "ready ADDR:PORT"       once bound
 *   "src ADDR:PORT"         the first datagram from each source address
 *                           (through the gateway: one line per upstream
 *                           socket, that is per session)
 * A datagram "stats" is not counted and gets at once the reply
 * "dgrams N bytes B sources S" (what arrived so far, stats excluded), so a
 * test can ask directly how many datagrams reached the server.
 *
 * One process, one socket; stops on TERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_MAX   65536
#define MAX_SOURCES 65536

/* A reply waiting for its time. */
typedef struct pending {
    struct pending          *next;
    int64_t                  due_ms;
    struct sockaddr_storage  to;
    socklen_t                to_len;
    size_t                   len;
    char                     data[];
} pending_t;

static const char              *id = "backend";
static int                      mode_id;
static int                      replies = 1;
static int                      delay_ms;
static pending_t               *head, *tail;
static struct sockaddr_storage  sources[MAX_SOURCES];
static unsigned                 n_sources;
static unsigned long long       n_dgrams, n_bytes;

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
format_addr(const struct sockaddr_storage *ss, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN];

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
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) {
        return 0;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *) a, *y = (const void *) b;

        return x->sin6_port == y->sin6_port
               && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
    }
    const struct sockaddr_in *x = (const void *) a, *y = (const void *) b;

    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* Print "src ADDR" the first time FROM is seen. */
static void
note_source(const struct sockaddr_storage *from)
{
    char text[80];

    for (unsigned i = n_sources; i-- > 0; ) {
        if (same_addr(&sources[i], from)) {
            return;
        }
    }
    if (n_sources < MAX_SOURCES) {
        sources[n_sources] = *from;
    }
    n_sources++;
    format_addr(from, text, sizeof(text));
    printf("src %s\n", text);
}

static int
bind_to(const char *text)
{
    char                    host[128];
    const char             *colon = strrchr(text, ':');
    struct sockaddr_storage ss;
    socklen_t               len;
    size_t                  hl;
    int                     fd, size = 4 << 20;

    if (colon == NULL || (hl = (size_t) (colon - text)) >= sizeof(host)) {
        return -1;
    }
    memcpy(host, text, hl);
    host[hl] = '\0';
    memset(&ss, 0, sizeof(ss));
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;

        host[hl - 1] = '\0';
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t) atoi(colon + 1));
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) {
            return -1;
        }
        len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;

        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t) atoi(colon + 1));
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
            return -1;
        }
        len = sizeof(*s4);
    }
    fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd == -1) {
        return -1;
    }
    /* bursts of big datagrams: as much room as the system gives */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    if (bind(fd, (struct sockaddr *) &ss, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send every reply for one datagram; a full buffer drops (it is UDP). */
static void
send_replies(int fd, const char *data, size_t len,
             const struct sockaddr_storage *to, socklen_t to_len)
{
    for (int i = 0; i < replies; i++) {
        while (sendto(fd, data, len, 0, (const struct sockaddr *) to, to_len) < 0
               && errno == EINTR) {
        }
    }
}

static void
queue_reply(const char *data, size_t len, const struct sockaddr_storage *to,
            socklen_t to_len)
{
    pending_t *p = malloc(sizeof(*p) + len);

    if (p == NULL) {
        return;
    }
    p->next = NULL;
    p->due_ms = now_ms() + delay_ms;
    p->to = *to;
    p->to_len = to_len;
    p->len = len;
    memcpy(p->data, data, len);
    if (tail) {
        tail->next = p;
    } else {
        head = p;
    }
    tail = p;
}

/* Send the pending replies that are due; the poll timeout till the next. */
static int
flush_due(int fd)
{
    int64_t now = now_ms();

    while (head && head->due_ms <= now) {
        pending_t *p = head;

        head = p->next;
        if (head == NULL) {
            tail = NULL;
        }
        send_replies(fd, p->data, p->len, &p->to, p->to_len);
        free(p);
    }
    return head ? (int) (head->due_ms - now) : -1;
}

static void
on_datagram(int fd, const char *buf, size_t len,
            const struct sockaddr_storage *from, socklen_t from_len)
{
    if (len == 5 && memcmp(buf, "stats", 5) == 0) {
        char text[128];
        int  n = snprintf(text, sizeof(text), "dgrams %llu bytes %llu sources %u",
                          n_dgrams, n_bytes, n_sources);

        sendto(fd, text, (size_t) n, 0, (const struct sockaddr *) from, from_len);
        return;
    }
    n_dgrams++;
    n_bytes += len;
    note_source(from);
    if (mode_id) {
        buf = id;
        len = strlen(id);
    }
    if (delay_ms > 0) {
        queue_reply(buf, len, from, from_len);     /* -r copies when due */
    } else {
        send_replies(fd, buf, len, from, from_len);
    }
}

int
main(int argc, char **argv)
{
    static char buf[DGRAM_MAX];
    int         opt, fd;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "i:m:r:d:")) != -1) {
        switch (opt) {
        case 'i': id = optarg; break;
        case 'm':
            if (strcmp(optarg, "id") == 0) {
                mode_id = 1;
            } else if (strcmp(optarg, "echo") != 0) {
                fprintf(stderr, "udp_backend: unknown mode %s\n", optarg);
                return 2;
            }
            break;
        case 'r': replies = atoi(optarg); break;
        case 'd': delay_ms = atoi(optarg); break;
        default: goto usage;
        }
    }
    if (optind != argc - 1) {
        goto usage;
    }
    fd = bind_to(argv[optind]);
    if (fd == -1) {
        fprintf(stderr, "udp_backend: cannot bind %s: %s\n", argv[optind],
                strerror(errno));
        return 1;
    }
    printf("ready %s\n", argv[optind]);
    for ( ;; ) {
        struct pollfd           p = { .fd = fd, .events = POLLIN };
        struct sockaddr_storage from;
        socklen_t               from_len;
        ssize_t                 n;
        int                     wait_ms = flush_due(fd);

        if (poll(&p, 1, wait_ms) < 0 && errno != EINTR) {
            perror("udp_backend: poll");
            return 1;
        }
        for (int k = 0; k < 256; k++) {
            from_len = sizeof(from);
            n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *) &from,
                         &from_len);
            if (n < 0) {
                break;          /* EAGAIN, or an ICMP error from a client */
            }
            on_datagram(fd, buf, (size_t) n, &from, from_len);
        }
    }

usage:
    fprintf(stderr, "usage: udp_backend [-i NAME] [-m echo|id] [-r N] "
            "[-d MS] ADDR:PORT\n");
    return 2;
}
