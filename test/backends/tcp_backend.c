/*
 * test/backends/tcp_backend.c: a small TCP server for integration tests.
 *
 *   tcp_backend [-i NAME] [-m echo|id|count|hello] ADDR:PORT
 *
 *   echo  (default) echo every byte back; on the client's FIN, finish
 *         echoing, then shut down our side (half-close is visible)
 *   id    write "NAME\n" and close (which server answered?)
 *   count read until the client's FIN, then write "BYTES\n" (how many
 *         bytes arrived) and close: an answer only a passed-on FIN brings
 *   hello write "NAME\n" and shut down our side at once, then read until
 *         the client's FIN and print "NAME got BYTES" on stdout
 *
 * One process, one epoll loop, level-triggered; stops on TERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE 65536

typedef struct client {
    int                 fd;
    char                buf[BUF_SIZE];
    size_t              len;
    int                 eof;
    unsigned long long  count;
} client_t;

enum { MODE_ECHO, MODE_ID, MODE_COUNT, MODE_HELLO };

static const char *id = "backend";
static int         mode = MODE_ECHO;

static int
listen_on(const char *text)
{
    char                 host[128];
    const char          *colon = strrchr(text, ':');
    struct sockaddr_in6  sin6;
    struct sockaddr_in   sin;
    int                  fd, one = 1;

    if (colon == NULL || (size_t) (colon - text) >= sizeof(host)) {
        return -1;
    }
    memcpy(host, text, colon - text);
    host[colon - text] = '\0';
    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    if (host[0] == '[') {
        host[strlen(host) - 1] = '\0';
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t) atoi(colon + 1));
        if (inet_pton(AF_INET6, host + 1, &sin6.sin6_addr) != 1) {
            return -1;
        }
        fd = socket(AF_INET6, SOCK_STREAM, 0);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &sin6, sizeof(sin6)) != 0) {
            return -1;
        }
    } else {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t) atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
            return -1;
        }
        fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0) {
            return -1;
        }
    }
    if (listen(fd, 1024) != 0) {
        return -1;
    }
    return fd;
}

static void
drop(int ep, client_t *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

static void
watch(int ep, client_t *c, int op)
{
    struct epoll_event ev;

    ev.events = (c->len < BUF_SIZE && !c->eof ? EPOLLIN : 0)
                | (c->len ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(ep, op, c->fd, &ev);
}

/* Returns -1 when the client is done with. */
static int
serve(client_t *c)
{
    ssize_t n;

    if (mode == MODE_COUNT || mode == MODE_HELLO) {
        n = recv(c->fd, c->buf, BUF_SIZE, MSG_DONTWAIT);
        if (n > 0) {
            c->count += (unsigned long long) n;
            return 0;
        }
        if (n < 0) {
            return errno == EAGAIN ? 0 : -1;
        }
        if (mode == MODE_HELLO) {
            printf("%s got %llu\n", id, c->count);
            fflush(stdout);
        } else {
            dprintf(c->fd, "%llu\n", c->count);    /* fits the empty buffer */
        }
        return -1;
    }
    if (c->len) {
        n = send(c->fd, c->buf, c->len, MSG_NOSIGNAL);
        if (n < 0) {
            return errno == EAGAIN ? 0 : -1;
        }
        memmove(c->buf, c->buf + n, c->len - (size_t) n);
        c->len -= (size_t) n;
    }
    if (!c->eof && c->len < BUF_SIZE) {
        n = recv(c->fd, c->buf + c->len, BUF_SIZE - c->len, MSG_DONTWAIT);
        if (n == 0) {
            c->eof = 1;
        } else if (n < 0 && errno != EAGAIN) {
            return -1;
        } else if (n > 0) {
            c->len += (size_t) n;
        }
    }
    if (c->eof && c->len == 0) {
        shutdown(c->fd, SHUT_WR);
        return -1;
    }
    return 0;
}

static void
accept_one(int ep, int lfd)
{
    int       fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
    client_t *c;

    if (fd == -1) {
        return;
    }
    if (mode == MODE_ID) {
        dprintf(fd, "%s\n", id);
        close(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        close(fd);
        return;
    }
    c->fd = fd;
    if (mode == MODE_HELLO) {
        dprintf(fd, "%s\n", id);
        shutdown(fd, SHUT_WR);
    }
    watch(ep, c, EPOLL_CTL_ADD);
}

int
main(int argc, char **argv)
{
    struct epoll_event ev, events[64];
    int                opt, lfd, ep;

    while ((opt = getopt(argc, argv, "i:m:")) != -1) {
        if (opt == 'i') {
            id = optarg;
        } else if (opt == 'm') {
            mode = strcmp(optarg, "id") == 0 ? MODE_ID
                   : strcmp(optarg, "count") == 0 ? MODE_COUNT
                   : strcmp(optarg, "hello") == 0 ? MODE_HELLO : MODE_ECHO;
        } else {
            return 2;
        }
    }
    if (optind >= argc || (lfd = listen_on(argv[optind])) == -1) {
        fprintf(stderr, "usage: tcp_backend [-i NAME] [-m echo|id|count|hello] "
                "ADDR:PORT (%s)\n", strerror(errno));
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    ep = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for ( ;; ) {
        int n = epoll_wait(ep, events, 64, -1);

        for (int i = 0; i < n; i++) {
            client_t *c = events[i].data.ptr;

            if (c == NULL) {
                accept_one(ep, lfd);
            } else if (serve(c) != 0) {
                drop(ep, c);
            } else {
                watch(ep, c, EPOLL_CTL_MOD);
            }
        }
    }
}
