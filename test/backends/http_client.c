/*
 * test/backends/http_client.c: a raw-socket client for the tests of the
 * http handlers: exact bytes, sent as the steps say, and everything the
 * server sends printed raw on stdout as it comes.
 *
 *   http_client [-t MS] [-p] [-w] ADDR:PORT STEP...
 *
 *   send=TEXT          TEXT in one write; escapes \r \n \t \\ \0 \xHH
 *   file=PATH          the bytes of a file (as fast as the server takes them)
 *   slow=MS:TEXT       TEXT one byte per write, MS between the writes
 *   chunks=N:MS:TEXT   TEXT in writes of N bytes, MS between them
 *   expect=TEXT        read until TEXT came (after what the last expect
 *                      matched); fails when the connection ends first or
 *                      nothing matched within -t
 *   sleep=MS           wait (reading meanwhile)
 *   shut               shut down our write side
 *   read               read until the server closes (or -t passes)
 *   idle=MS            read until the server closes; stderr gets
 *                      "closed after N ms" or "open after N ms"
 *
 * The server's bytes are read during every step (a server answering early
 * never blocks us). -t MS bounds each step (default 5000); -p prints
 * "port N" (our local port) on stderr once connected; -w: a write that
 * fails (the server closed while we sent) only ends the sending, with a
 * note on stderr: what the server answered still counts.
 * Exit: 0 done (for read and idle: the server closed), 1 failure (an
 * expect that did not match, a connect or write that failed; reason on
 * stderr), 2 usage, 3 the server reset the connection, 4 read/idle: still
 * open when the time was up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int      fd = -1;
static int      timeout_ms = 5000;
static char    *got;            /* everything received */
static size_t   got_len, got_cap;
static size_t   mark;           /* where the next expect searches from */
static int      peer_closed;    /* 1: EOF, 3: reset */
static int      lenient;        /* -w: a failed write is no failure */
static int      write_failed;

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
fail(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fprintf(stderr, "http_client: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    return 1;
}

/* Decode the escapes of TEXT in place; its new length. */
static size_t
unescape(char *text)
{
    char *r = text, *w = text;

    while (*r) {
        if (*r != '\\' || r[1] == '\0') {
            *w++ = *r++;
            continue;
        }
        r++;
        switch (*r) {
        case 'r': *w++ = '\r'; r++; break;
        case 'n': *w++ = '\n'; r++; break;
        case 't': *w++ = '\t'; r++; break;
        case '0': *w++ = '\0'; r++; break;
        case '\\': *w++ = '\\'; r++; break;
        case 'x':
            if (r[1] && r[2]) {
                char hex[3] = { r[1], r[2], 0 };

                *w++ = (char) strtol(hex, NULL, 16);
                r += 3;
                break;
            }
            /* fall through */
        default:
            *w++ = '\\';
            break;
        }
    }
    return (size_t) (w - text);
}

/* Read what is there (waiting up to WAIT_MS for something). -1 once the
 * server closed, else 0. */
static int
pull(int wait_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    if (peer_closed) {
        return -1;
    }
    if (poll(&p, 1, wait_ms) <= 0) {
        return 0;
    }
    for ( ;; ) {
        ssize_t n;

        if (got_cap - got_len < 65536) {
            got_cap = got_cap ? got_cap * 2 : 262144;
            got = realloc(got, got_cap);
            if (got == NULL) {
                fprintf(stderr, "http_client: out of memory\n");
                exit(1);
            }
        }
        n = recv(fd, got + got_len, got_cap - got_len, MSG_DONTWAIT);
        if (n > 0) {
            fwrite(got + got_len, 1, (size_t) n, stdout);
            got_len += (size_t) n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            fflush(stdout);
            return 0;
        }
        fflush(stdout);
        peer_closed = n == 0 ? 1 : 3;
        return -1;
    }
}

/* Write all of P, reading meanwhile. 0 or 1 (failure). */
static int
put(const char *p, size_t len)
{
    int64_t deadline = now_ms() + timeout_ms;

    while (len > 0 && !write_failed) {
        struct pollfd pf = { .fd = fd, .events = POLLOUT | POLLIN };
        ssize_t       n;

        if (now_ms() > deadline) {
            return fail("write: no progress for %d ms", timeout_ms);
        }
        if (poll(&pf, 1, 100) <= 0) {
            continue;
        }
        if (pf.revents & POLLIN) {
            pull(0);
        }
        if (!(pf.revents & (POLLOUT | POLLERR | POLLHUP))) {
            continue;
        }
        n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                continue;
            }
            pull(0);
            if (lenient) {
                fprintf(stderr, "write: %s (%zu bytes not sent)\n",
                        strerror(errno), len);
                write_failed = 1;
                return 0;
            }
            return fail("write: %s (%zu bytes not sent)", strerror(errno), len);
        }
        p += n;
        len -= (size_t) n;
        deadline = now_ms() + timeout_ms;
    }
    return 0;
}

/* Wait MS, reading. */
static void
pause_ms(int ms)
{
    int64_t end = now_ms() + ms;

    for (int64_t left = ms; left > 0; left = end - now_ms()) {
        if (pull((int) left) < 0) {
            struct timespec ts = { 0, 1000000 };

            nanosleep(&ts, NULL);
        }
    }
}

static int
send_spaced(char *text, size_t every, int ms)
{
    size_t len = unescape(text);

    for (size_t off = 0; off < len && !write_failed; off += every) {
        size_t n = len - off < every ? len - off : every;

        if (off && ms) {
            pause_ms(ms);
        }
        if (put(text + off, n) != 0) {
            return 1;
        }
    }
    return 0;
}

static int
send_file(const char *path)
{
    char    buf[65536];
    ssize_t n;
    int     f = open(path, O_RDONLY);

    if (f == -1) {
        return fail("%s: %s", path, strerror(errno));
    }
    while ((n = read(f, buf, sizeof(buf))) > 0) {
        if (put(buf, (size_t) n) != 0) {
            close(f);
            return 1;
        }
    }
    close(f);
    return 0;
}

static int
expect(char *text)
{
    size_t  len = unescape(text);
    int64_t deadline = now_ms() + timeout_ms;

    for ( ;; ) {
        char *m = got_len > mark ? memmem(got + mark, got_len - mark, text, len)
                                 : NULL;

        if (m) {
            mark = (size_t) (m - got) + len;
            return 0;
        }
        if (peer_closed) {
            return fail("expect \"%s\": the server closed first", text);
        }
        if (now_ms() >= deadline) {
            return fail("expect \"%s\": not within %d ms", text, timeout_ms);
        }
        pull((int) (deadline - now_ms()));
    }
}

/* Read until the server closes or MS passes: 0, 3 (reset) or 4 (open). */
static int
until_closed(int ms, int report)
{
    int64_t start = now_ms(), end = start + ms;

    while (!peer_closed && now_ms() < end) {
        pull((int) (end - now_ms()));
    }
    if (report) {
        fprintf(stderr, "%s after %lld ms\n", peer_closed ? "closed" : "open",
                (long long) (now_ms() - start));
    }
    return peer_closed == 0 ? 4 : peer_closed == 3 ? 3 : 0;
}

static int
connect_to(const char *text, int print_port)
{
    char                    host[128];
    const char             *colon = strrchr(text, ':');
    struct sockaddr_storage ss;
    socklen_t               len;
    struct pollfd           p;
    int                     err = 0, one = 1;
    socklen_t               elen = sizeof(err);

    if (colon == NULL || (size_t) (colon - text) >= sizeof(host)) {
        return -1;
    }
    memcpy(host, text, (size_t) (colon - text));
    host[colon - text] = '\0';
    memset(&ss, 0, sizeof(ss));
    if (host[0] == '[') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;

        host[strlen(host) - 1] = '\0';
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
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd == -1) {
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *) &ss, len) != 0 && errno != EINPROGRESS) {
        return -1;
    }
    p.fd = fd;
    p.events = POLLOUT;
    if (poll(&p, 1, timeout_ms) != 1) {
        errno = ETIMEDOUT;
        return -1;
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err) {
        errno = err;
        return -1;
    }
    if (print_port) {
        struct sockaddr_storage me;
        socklen_t               mlen = sizeof(me);

        getsockname(fd, (struct sockaddr *) &me, &mlen);
        fprintf(stderr, "port %d\n",
                ntohs(me.ss_family == AF_INET6
                      ? ((struct sockaddr_in6 *) &me)->sin6_port
                      : ((struct sockaddr_in *) &me)->sin_port));
    }
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: http_client [-t MS] [-p] [-w] ADDR:PORT STEP...\n"
            "steps: send=TEXT file=PATH slow=MS:TEXT chunks=N:MS:TEXT\n"
            "       expect=TEXT sleep=MS shut read idle=MS\n");
    return 2;
}

/* "N:rest" -> N, *rest */
static long
num_prefix(char *arg, char **rest)
{
    char *colon = strchr(arg, ':');

    *rest = colon ? colon + 1 : arg + strlen(arg);
    return strtol(arg, NULL, 10);
}

int
main(int argc, char **argv)
{
    int opt, print_port = 0, rc = 0;

    while ((opt = getopt(argc, argv, "t:pw")) != -1) {
        switch (opt) {
        case 't':
            timeout_ms = atoi(optarg);
            break;
        case 'p':
            print_port = 1;
            break;
        case 'w':
            lenient = 1;
            break;
        default:
            return usage();
        }
    }
    if (optind >= argc) {
        return usage();
    }
    signal(SIGPIPE, SIG_IGN);
    if (connect_to(argv[optind], print_port) != 0) {
        return fail("connect %s: %s", argv[optind], strerror(errno));
    }
    for (int i = optind + 1; i < argc && rc == 0; i++) {
        char *a = argv[i], *rest, *rest2;

        if (strncmp(a, "send=", 5) == 0) {
            rc = send_spaced(a + 5, (size_t) -1, 0);
        } else if (strncmp(a, "file=", 5) == 0) {
            rc = send_file(a + 5);
        } else if (strncmp(a, "slow=", 5) == 0) {
            long ms = num_prefix(a + 5, &rest);

            rc = send_spaced(rest, 1, (int) ms);
        } else if (strncmp(a, "chunks=", 7) == 0) {
            long n = num_prefix(a + 7, &rest), ms = num_prefix(rest, &rest2);

            rc = send_spaced(rest2, n > 0 ? (size_t) n : 1, (int) ms);
        } else if (strncmp(a, "expect=", 7) == 0) {
            rc = expect(a + 7);
        } else if (strncmp(a, "sleep=", 6) == 0) {
            pause_ms(atoi(a + 6));
        } else if (strcmp(a, "shut") == 0) {
            shutdown(fd, SHUT_WR);
        } else if (strcmp(a, "read") == 0) {
            rc = until_closed(timeout_ms, 0);
        } else if (strncmp(a, "idle=", 5) == 0) {
            rc = until_closed(atoi(a + 5), 1);
        } else {
            fprintf(stderr, "http_client: unknown step \"%s\"\n", a);
            return usage();
        }
    }
    fflush(stdout);
    close(fd);
    return rc;
}
