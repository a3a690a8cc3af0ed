/*
 * test/backends/socks5_client.c: the SOCKS5 client of the integration
 * tests (RFC 1928, with the username/password sub-negotiation of RFC
 * 1929): every byte of the handshake under control, every answer checked.
 *
 *   socks5_client [-t MS] [-u USER:PASS] [-M METHODS] [-p] [-s MS] [-n]
 *                 PROXY COMMAND ARGS...
 *
 *   PROXY         ADDR:PORT or [IPv6]:PORT of the SOCKS server
 *   -t MS         bound for every step (default 5000): the connect, each
 *                 answer, a write that makes no progress, each step below
 *   -u USER:PASS  offer method 02 and answer its sub-negotiation with USER
 *                 and PASS (split at the first ':', so PASS may hold ':')
 *   -M METHODS    the methods to offer, hex bytes: "00,02" ("" offers
 *                 none); default 00, or 02 with -u
 *   -p            pipelined: greeting, auth (with -u) and request in ONE
 *                 write, without waiting for the answers; then the answers
 *                 are read in order
 *   -s MS         slow: every byte of the handshake in its own write, MS
 *                 apart
 *   -n            send HOST as a domain name (ATYP 3) even if it looks
 *                 like an IP address
 *
 * Commands:
 *
 *   connect HOST PORT [STEP...] [-o]
 *       CONNECT to HOST:PORT. HOST is typed by its looks: an IPv4 address
 *       (ATYP 1), an IPv6 address without brackets (ATYP 4), else a name
 *       (ATYP 3; at most 255 bytes, "" allowed). Then the STEPs through
 *       the tunnel, as http_client's:
 *         send=TEXT    TEXT in one write; escapes \r \n \t \\ \0 \xHH
 *         expect=TEXT  read until TEXT came after what the last expect (or
 *                      echo) matched; fails when the connection ends first
 *                      or nothing matched within -t
 *         echo=N       send N pseudo-random bytes while reading them back,
 *                      each byte checked; the bytes checked are the first
 *                      after what the last expect or echo matched (expect
 *                      what a send= brought back before an echo=)
 *         sleep=MS     wait MS, reading meanwhile
 *         shut         shut down our write side
 *         read         read until the server closes; a reset, or no close
 *                      within -t, fails
 *       -o prints the tunnel bytes received raw on stdout (without it they
 *       are not printed).
 *
 *   bind [HOST PORT] [-P FROM_IP]
 *       BIND with DST HOST:PORT (default 0.0.0.0 port 0). After the first
 *       reply we open the peer connection ourselves, to the first reply's
 *       BND (BND 0.0.0.0 or :: stands for the proxy's address), from the
 *       local address FROM_IP with -P (127.0.0.2: is a peer from the wrong
 *       address refused?). Then the second reply must come and its BND
 *       must be the peer's address and port. Then the peer sends
 *       "to-client\n", which the client must receive, and the client sends
 *       "to-peer\n", which the peer must receive (those bytes exactly,
 *       nothing more); then both close.
 *
 *   udp HOST PORT TEXT [COUNT] [-F]
 *       UDP ASSOCIATE with DST 0.0.0.0:0. Then, from a UDP socket of ours
 *       bound to the local IP of the TCP connection, COUNT (default 1)
 *       datagrams "TEXT-1", "TEXT-2", ... to the relay address of the reply
 *       (BND 0.0.0.0 or :: stands for the proxy's address), each behind the
 *       RFC 1928 UDP header naming HOST:PORT (typed as for connect; -n
 *       applies), one at a time: the reply to each (a UDP echo server
 *       answers) must come from the relay within -t, with RSV 0, FRAG 0
 *       and the payload sent. One line per reply:
 *         udp-reply FROM_ADDR:PORT LEN PAYLOAD
 *       FROM_ADDR:PORT being the address in the reply's header (1.2.3.4:80,
 *       [::1]:80 or name:80), LEN the payload's length, PAYLOAD its bytes
 *       (outside 0x20..0x7e, and '\', as \xHH). The TCP connection must
 *       stay open and silent meanwhile.
 *       -F: every datagram with FRAG=1, all sent at once; they must be
 *       dropped: prints "no reply" and succeeds when none came within -t,
 *       fails when one came (printed as above).
 *
 *   raw TEXT
 *       send TEXT (escapes as for send=; -s applies) as the whole
 *       handshake, then print every byte the server sends as hex pairs on
 *       one line "raw HEX" ("raw" alone when nothing came) once the server
 *       closes (FIN or reset) or -t passes after our last byte.
 *
 * Options may come anywhere among the arguments (GNU getopt; "--" ends
 * them); -o, -P and -F only with their command.
 *
 * Output on stdout, line-buffered, as the handshake goes (XX: two
 * lowercase hex digits):
 *   method XX        the method the server chose
 *   auth XX          the RFC 1929 status
 *   reply XX BND     the reply code and BND, as 1.2.3.4:80, [::1]:80 or
 *                    name:80
 *   reply2 XX BND    (bind) the second reply
 * On failure a one-line reason on stderr.
 *
 * Checked on the way, each a failure (1): the version bytes (05, and 01
 * for the auth status), RSV 00 of a reply, a known ATYP, a method we
 * offered and can speak (00, or 02 with -u), no bytes beyond an answer
 * before we sent the next message (without -p).
 *
 * Exit status: 0 success (raw: the server closed); 1 failure (a step
 * failed, unexpected bytes, a timeout); 2 usage; 3 the server closed the
 * connection before the handshake finished (after printing what came);
 * 4 (raw) the server was still open when -t passed; 5 the method was ff,
 * the auth status non-zero or a reply code non-zero (after printing it).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

#define CHUNK     65536
#define DGRAM_MAX 65536
#define ECHO_SEED 0x9e3779b97f4a7c15ULL

static int                     timeout_ms = 5000;
static int                     slow_ms = -1;       /* -s; -1: not slow */
static int                     pipelined;          /* -p */
static int                     force_name;         /* -n */
static int                     print_tunnel;       /* -o */
static int                     frag;               /* -F */
static const char             *from_ip;            /* -P */
static const char             *user, *pass;        /* -u */
static size_t                  user_len, pass_len;
static uint8_t                 methods[255];
static int                     n_methods = -1;     /* -1: the default */

static struct sockaddr_storage proxy;

static int                     fd = -1;            /* to the proxy */
static char                   *in;                 /* what it sent */
static size_t                  in_len, in_cap;
static size_t                  in_pos;             /* consumed so far */
static int                     closed;             /* 1 EOF, 2 error */
static int                     closed_errno;
static int                     broken;             /* handshake send refused */
static int                     tunnel;             /* the handshake is over */
static int                     peer_fd = -1;       /* bind: our peer */

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

    fflush(stdout);
    fputs("socks5_client: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* Up to 64 bytes of P as hex pairs, for messages (static buffer). */
static const char *
hex(const void *p, size_t len)
{
    static char          out[64 * 2 + 8];
    const unsigned char *b = p;
    size_t               n = len > 64 ? 64 : len, i;

    if (len == 0) {
        return "nothing";
    }
    for (i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    }
    strcpy(out + 2 * i, len > n ? "..." : "");
    return out;
}

static const char *
rep_name(int rep)
{
    static const char *names[] = {
        "succeeded", "general SOCKS server failure",
        "connection not allowed by ruleset", "network unreachable",
        "host unreachable", "connection refused", "TTL expired",
        "command not supported", "address type not supported"
    };

    return rep >= 0 && rep < 9 ? names[rep] : "unassigned";
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
                char hx[3] = { r[1], r[2], 0 };

                *w++ = (char) strtol(hx, NULL, 16);
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

/* ---- addresses ----------------------------------------------------------- */

static uint16_t
port_of(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET6
                 ? ((const struct sockaddr_in6 *) ss)->sin6_port
                 : ((const struct sockaddr_in *) ss)->sin_port);
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
    if (ss->ss_family == AF_INET6) {
        ((struct sockaddr_in6 *) ss)->sin6_port = htons(port);
    } else {
        ((struct sockaddr_in *) ss)->sin_port = htons(port);
    }
}

static socklen_t
len_of(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                     : sizeof(struct sockaddr_in);
}

/* "1.2.3.4:80" or "[::1]:80" (static buffer, two in turn). */
static const char *
sa_text(const struct sockaddr_storage *ss)
{
    static char out[2][INET6_ADDRSTRLEN + 16];
    static int  which;
    char        ip[INET6_ADDRSTRLEN];
    char       *o = out[which ^= 1];

    if (ss->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) ss)->sin6_addr,
                  ip, sizeof(ip));
        snprintf(o, sizeof(out[0]), "[%s]:%u", ip, port_of(ss));
    } else if (ss->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *) ss)->sin_addr, ip,
                  sizeof(ip));
        snprintf(o, sizeof(out[0]), "%s:%u", ip, port_of(ss));
    } else {
        snprintf(o, sizeof(out[0]), "(a name)");
    }
    return o;
}

/* A v4-mapped IPv6 address as plain IPv4. */
static struct sockaddr_storage
unmapped(const struct sockaddr_storage *ss)
{
    struct sockaddr_storage     r = *ss;
    const struct sockaddr_in6  *s6 = (const struct sockaddr_in6 *) ss;

    if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
        struct sockaddr_in *s4 = (struct sockaddr_in *) &r;

        memset(&r, 0, sizeof(r));
        s4->sin_family = AF_INET;
        s4->sin_port = s6->sin6_port;
        memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
    }
    return r;
}

/* Same address and port (v4-mapped counts as IPv4)? */
static int
same_sa(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    struct sockaddr_storage x = unmapped(a), y = unmapped(b);

    if (x.ss_family != y.ss_family || port_of(&x) != port_of(&y)) {
        return 0;
    }
    if (x.ss_family == AF_INET) {
        return ((struct sockaddr_in *) &x)->sin_addr.s_addr
               == ((struct sockaddr_in *) &y)->sin_addr.s_addr;
    }
    return x.ss_family == AF_INET6
           && memcmp(&((struct sockaddr_in6 *) &x)->sin6_addr,
                     &((struct sockaddr_in6 *) &y)->sin6_addr, 16) == 0;
}

/* 0.0.0.0 or ::? */
static int
is_any(const struct sockaddr_storage *ss)
{
    struct sockaddr_storage x = unmapped(ss);

    if (x.ss_family == AF_INET) {
        return ((struct sockaddr_in *) &x)->sin_addr.s_addr == INADDR_ANY;
    }
    return IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *) &x)->sin6_addr);
}

/* A BND that stands for "the proxy's address": the proxy's, BND's port. */
static void
any_to_proxy(struct sockaddr_storage *ss)
{
    if (is_any(ss)) {
        uint16_t port = port_of(ss);

        *ss = proxy;
        set_port(ss, port);
    }
}

/* "N" in 0..MAX, all of TEXT: 0, else -1. */
static int
parse_num(const char *text, long long max, long long *out)
{
    char *end;

    errno = 0;
    *out = strtoll(text, &end, 10);
    return *text && *end == '\0' && errno == 0 && *out >= 0 && *out <= max
           ? 0 : -1;
}

/* "1.2.3.4:80" or "[::1]:80" into SS. */
static int
parse_hostport(const char *text, struct sockaddr_storage *ss)
{
    char        host[128];
    const char *colon = strrchr(text, ':');
    size_t      hl;
    long long   port;

    if (colon == NULL || (hl = (size_t) (colon - text)) >= sizeof(host)
        || parse_num(colon + 1, 65535, &port) != 0) {
        return -1;
    }
    memcpy(host, text, hl);
    host[hl] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;

        host[hl - 1] = '\0';
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t) port);
        return inet_pton(AF_INET6, host + 1, &s6->sin6_addr) == 1 ? 0 : -1;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *) ss;

        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t) port);
        return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
    }
}

/* ATYP DST.ADDR DST.PORT for HOST:PORT into P (262 bytes): its length,
 * -1 for a name longer than 255 bytes. */
static int
build_dst(uint8_t *p, const char *host, unsigned port, int as_name)
{
    size_t n, hl = strlen(host);

    if (!as_name && inet_pton(AF_INET, host, p + 1) == 1) {
        p[0] = 0x01;
        n = 5;
    } else if (!as_name && inet_pton(AF_INET6, host, p + 1) == 1) {
        p[0] = 0x04;
        n = 17;
    } else {
        if (hl > 255) {
            return -1;
        }
        p[0] = 0x03;
        p[1] = (uint8_t) hl;
        memcpy(p + 2, host, hl);
        n = 2 + hl;
    }
    p[n++] = (uint8_t) (port >> 8);
    p[n++] = (uint8_t) port;
    return (int) n;
}

/* Length of the address at P (ATYP first, port last) seeing AVAIL bytes
 * of it: 0 while too few came to tell, -1 for an unknown ATYP. */
static int
addr_len(const uint8_t *p, size_t avail)
{
    if (avail < 1) {
        return 0;
    }
    switch (p[0]) {
    case 0x01: return 1 + 4 + 2;
    case 0x04: return 1 + 16 + 2;
    case 0x03: return avail < 2 ? 0 : 1 + 1 + p[1] + 2;
    }
    return -1;
}

/* The whole address at P as text into OUT (a name's odd bytes as \xHH);
 * into SS when it is an IP address (else SS gets AF_UNSPEC). */
static void
addr_text(const uint8_t *p, char *out, size_t size,
          struct sockaddr_storage *ss)
{
    char ip[INET6_ADDRSTRLEN];

    memset(ss, 0, sizeof(*ss));
    if (p[0] == 0x01) {
        struct sockaddr_in *s4 = (struct sockaddr_in *) ss;

        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, p + 1, 4);
        memcpy(&s4->sin_port, p + 5, 2);
        inet_ntop(AF_INET, p + 1, ip, sizeof(ip));
        snprintf(out, size, "%s:%u", ip, port_of(ss));
    } else if (p[0] == 0x04) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;

        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, p + 1, 16);
        memcpy(&s6->sin6_port, p + 17, 2);
        inet_ntop(AF_INET6, p + 1, ip, sizeof(ip));
        snprintf(out, size, "[%s]:%u", ip, port_of(ss));
    } else {
        size_t n = p[1], o = 0;

        ss->ss_family = AF_UNSPEC;
        for (size_t i = 0; i < n && o + 8 < size; i++) {
            unsigned char c = p[2 + i];

            o += (size_t) snprintf(out + o, size - o,
                                   c > 0x20 && c < 0x7f && c != '\\' ? "%c"
                                   : "\\x%02x", c);
        }
        snprintf(out + o, size - o, ":%u", (unsigned) (p[2 + n] << 8
                                                      | p[3 + n]));
    }
}

/* ---- the connection to the proxy ----------------------------------------- */

/* Read what is there, waiting up to WAIT_MS for something: -1 once the
 * server closed, else 0. In the tunnel, -o prints the bytes as they come. */
static int
pull(int wait_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    if (closed) {
        return -1;
    }
    if (poll(&p, 1, wait_ms < 0 ? 0 : wait_ms) <= 0) {
        return 0;
    }
    for ( ;; ) {
        ssize_t n;

        if (in_pos == in_len) {
            in_pos = in_len = 0;
        } else if (in_pos >= 16 * CHUNK) {
            memmove(in, in + in_pos, in_len - in_pos);
            in_len -= in_pos;
            in_pos = 0;
        }
        if (in_cap - in_len < CHUNK) {
            in_cap = in_cap ? in_cap * 2 : 4 * CHUNK;
            in = realloc(in, in_cap);
            if (in == NULL) {
                fprintf(stderr, "socks5_client: out of memory\n");
                exit(1);
            }
        }
        n = recv(fd, in + in_len, in_cap - in_len, MSG_DONTWAIT);
        if (n > 0) {
            if (tunnel && print_tunnel) {
                fwrite(in + in_len, 1, (size_t) n, stdout);
            }
            in_len += (size_t) n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        fflush(stdout);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        closed = n == 0 ? 1 : 2;
        closed_errno = n == 0 ? 0 : errno;
        return -1;
    }
}

static const char *
closed_how(void)
{
    static char out[128];

    if (closed == 1) {
        return "closed the connection";
    }
    snprintf(out, sizeof(out), "broke the connection (%s)",
             strerror(closed_errno));
    return out;
}

/* Bind: how our peer connection is, for the messages. */
static const char *
peer_note(void)
{
    struct pollfd p = { .fd = peer_fd, .events = POLLIN | POLLRDHUP };
    char          c;
    ssize_t       n;

    if (peer_fd < 0) {
        return "";
    }
    if (poll(&p, 1, 0) <= 0) {
        return "; the peer connection is open";
    }
    n = recv(peer_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 ? "; the server closed the peer connection"
           : n < 0 ? "; the server reset the peer connection"
           : "; the peer connection got bytes";
}

/* Wait until N bytes past in_pos came, by DEADLINE: 0; else the exit
 * status (3: closed during the handshake, 1) after a message. */
static int
need(size_t n, int64_t deadline, const char *what)
{
    while (in_len - in_pos < n) {
        int64_t left = deadline - now_ms();

        if (closed) {
            fail("%s: the server %s after %zu of %zu bytes (%s)%s", what,
                 closed_how(), in_len - in_pos, n, hex(in + in_pos,
                 in_len - in_pos), peer_note());
            return tunnel ? 1 : 3;
        }
        if (left <= 0) {
            fail("%s: not within %d ms (%zu of %zu bytes came: %s)%s", what,
                 timeout_ms, in_len - in_pos, n, hex(in + in_pos,
                 in_len - in_pos), peer_note());
            return 1;
        }
        pull((int) left);
    }
    return 0;
}

/* Write all of P, reading meanwhile: 0 or 1. During the handshake a write
 * the server refuses (it closed) only stops the sending: its answers, read
 * next, tell what happened. */
static int
put(const void *buf, size_t len)
{
    const char *p = buf;
    int64_t     deadline = now_ms() + timeout_ms;

    while (len > 0) {
        struct pollfd pf = { .fd = fd, .events = POLLOUT };
        int64_t       left = deadline - now_ms();
        ssize_t       n;

        if (!closed) {
            pf.events |= POLLIN;
        }
        if (left <= 0) {
            return fail("write: no progress for %d ms (%zu bytes not sent)",
                        timeout_ms, len);
        }
        if (poll(&pf, 1, (int) left) <= 0) {
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
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                continue;
            }
            if (!tunnel && (errno == EPIPE || errno == ECONNRESET)) {
                broken = 1;
                pull(0);
                return 0;
            }
            return fail("write: %s (%zu bytes not sent)", strerror(errno),
                        len);
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
        if (closed) {
            poll(NULL, 0, (int) left);
        } else {
            pull((int) left);
        }
    }
}

/* A handshake message: at once, or with -s a byte per write, -s MS apart
 * (stopping once the server closed). */
static int
send_hs(const void *buf, size_t len)
{
    const char *p = buf;

    if (slow_ms < 0) {
        return put(p, len);
    }
    for (size_t i = 0; i < len && !broken && !closed; i++) {
        if (i > 0 && slow_ms > 0) {
            pause_ms(slow_ms);
            if (closed) {
                break;
            }
        }
        if (put(p + i, 1) != 0) {
            return 1;
        }
    }
    return 0;
}

/* Without -p: nothing may come past an answer before our next message. */
static int
no_extra(const char *what)
{
    pull(0);
    if (in_len > in_pos) {
        return fail("unexpected bytes after the %s: %s", what,
                    hex(in + in_pos, in_len - in_pos));
    }
    return 0;
}

/* The handshake is over: what came past it belongs to the tunnel. */
static void
enter_tunnel(void)
{
    tunnel = 1;
    if (print_tunnel && in_len > in_pos) {
        fwrite(in + in_pos, 1, in_len - in_pos, stdout);
        fflush(stdout);
    }
}

/* A non-blocking TCP connection to SS (from FROM when not NULL): the fd,
 * or -1 after a message. */
static int
dial(const struct sockaddr_storage *ss, const struct sockaddr_storage *from,
     const char *what)
{
    struct pollfd p;
    int           s, err = 0, one = 1;
    socklen_t     elen = sizeof(err);

    s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s == -1) {
        fail("%s: socket: %s", what, strerror(errno));
        return -1;
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (from && bind(s, (const struct sockaddr *) from, len_of(from)) != 0) {
        fail("%s: bind to %s: %s", what, sa_text(from), strerror(errno));
        close(s);
        return -1;
    }
    if (connect(s, (const struct sockaddr *) ss, len_of(ss)) != 0
        && errno != EINPROGRESS) {
        fail("%s: connect to %s: %s", what, sa_text(ss), strerror(errno));
        close(s);
        return -1;
    }
    p.fd = s;
    p.events = POLLOUT;
    if (poll(&p, 1, timeout_ms) != 1) {
        fail("%s: connect to %s: not within %d ms", what, sa_text(ss),
             timeout_ms);
        close(s);
        return -1;
    }
    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &elen);
    if (err) {
        fail("%s: connect to %s: %s", what, sa_text(ss), strerror(err));
        close(s);
        return -1;
    }
    return s;
}

/* ---- the answers --------------------------------------------------------- */

static int
read_method(int *method)
{
    const uint8_t *p;
    int            rc = need(2, now_ms() + timeout_ms, "method answer");

    if (rc != 0) {
        return rc;
    }
    p = (const uint8_t *) in + in_pos;
    if (p[0] != 0x05) {
        return fail("method answer: version %02x, not 05 (%s)", p[0],
                    hex(p, in_len - in_pos));
    }
    printf("method %02x\n", p[1]);
    *method = p[1];
    in_pos += 2;
    if (*method == 0xff) {
        fail("method ff: none of the methods offered is acceptable");
        return 5;
    }
    return 0;
}

static int
read_auth(void)
{
    const uint8_t *p;
    int            rc = need(2, now_ms() + timeout_ms, "auth answer");

    if (rc != 0) {
        return rc;
    }
    p = (const uint8_t *) in + in_pos;
    if (p[0] != 0x01) {
        return fail("auth answer: version %02x, not 01 (%s)", p[0],
                    hex(p, in_len - in_pos));
    }
    printf("auth %02x\n", p[1]);
    in_pos += 2;
    if (p[1] != 0x00) {
        fail("auth %02x: the credentials were refused", p[1]);
        return 5;
    }
    return 0;
}

/* A reply (LABEL "reply" or "reply2"): its BND into BND (AF_UNSPEC for a
 * name). */
static int
read_reply(const char *label, struct sockaddr_storage *bnd)
{
    int64_t        deadline = now_ms() + timeout_ms;
    const uint8_t *p;
    char           text[1200];
    int            rc, alen, rep;

    if ((rc = need(4, deadline, label)) != 0) {
        return rc;
    }
    for ( ;; ) {
        p = (const uint8_t *) in + in_pos;
        if (p[0] != 0x05 || p[2] != 0x00) {
            return fail("%s: not a SOCKS5 reply (VER %02x, RSV %02x): %s",
                        label, p[0], p[2], hex(p, in_len - in_pos));
        }
        alen = addr_len(p + 3, in_len - in_pos - 3);
        if (alen < 0) {
            return fail("%s: unknown ATYP %02x: %s", label, p[3],
                        hex(p, in_len - in_pos));
        }
        if (alen > 0) {
            break;
        }
        if ((rc = need(5, deadline, label)) != 0) {
            return rc;
        }
    }
    if ((rc = need(3 + (size_t) alen, deadline, label)) != 0) {
        return rc;
    }
    p = (const uint8_t *) in + in_pos;
    rep = p[1];
    addr_text(p + 3, text, sizeof(text), bnd);
    printf("%s %02x %s\n", label, rep, text);
    in_pos += 3 + (size_t) alen;
    if (rep != 0x00) {
        fail("%s %02x: %s%s", label, rep, rep_name(rep), peer_note());
        return 5;
    }
    return 0;
}

static int
offered(int method)
{
    for (int i = 0; i < n_methods; i++) {
        if (methods[i] == method) {
            return 1;
        }
    }
    return 0;
}

/* Greeting, auth, request with CMD and DST; the reply's BND into BND. */
static int
handshake(uint8_t cmd, const uint8_t *dst, size_t dst_len,
          struct sockaddr_storage *bnd)
{
    uint8_t msg[2 + 255 + 3 + 255 + 255 + 3 + 262];
    uint8_t *a, *r;
    size_t  g_len, a_len = 0, r_len;
    int     method = -1, rc;

    msg[0] = 0x05;
    msg[1] = (uint8_t) n_methods;
    memcpy(msg + 2, methods, (size_t) n_methods);
    g_len = 2 + (size_t) n_methods;
    a = msg + g_len;
    if (user) {
        a[0] = 0x01;
        a[1] = (uint8_t) user_len;
        memcpy(a + 2, user, user_len);
        a[2 + user_len] = (uint8_t) pass_len;
        memcpy(a + 3 + user_len, pass, pass_len);
        a_len = 3 + user_len + pass_len;
    }
    r = a + a_len;
    r[0] = 0x05;
    r[1] = cmd;
    r[2] = 0x00;
    memcpy(r + 3, dst, dst_len);
    r_len = 3 + dst_len;

    if ((rc = send_hs(msg, pipelined ? g_len + a_len + r_len : g_len)) != 0
        || (rc = read_method(&method)) != 0) {
        return rc;
    }
    if (!offered(method)) {
        return fail("method %02x was not offered", method);
    }
    if (method == 0x02) {
        if (user == NULL) {
            return fail("method 02 chosen, but there are no credentials "
                        "(-u)");
        }
        if (!pipelined && ((rc = no_extra("method answer")) != 0
                           || (rc = send_hs(a, a_len)) != 0)) {
            return rc;
        }
        if ((rc = read_auth()) != 0) {
            return rc;
        }
    } else if (method != 0x00) {
        return fail("method %02x is not one this client speaks", method);
    } else if (pipelined && user) {
        return fail("method 00 chosen, but the auth went pipelined already");
    }
    if (!pipelined && ((rc = no_extra(method == 0x02 ? "auth answer"
                                      : "method answer")) != 0
                       || (rc = send_hs(r, r_len)) != 0)) {
        return rc;
    }
    return read_reply("reply", bnd);
}

/* ---- connect ------------------------------------------------------------- */

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
step_expect(char *text)
{
    size_t  len = unescape(text);
    int64_t deadline = now_ms() + timeout_ms;

    for ( ;; ) {
        char *m = in_len > in_pos ? memmem(in + in_pos, in_len - in_pos,
                                           text, len) : NULL;

        if (m) {
            in_pos = (size_t) (m - in) + len;
            return 0;
        }
        if (closed) {
            return fail("expect \"%s\": the server %s first", text,
                        closed_how());
        }
        if (now_ms() >= deadline) {
            return fail("expect \"%s\": not within %d ms", text, timeout_ms);
        }
        pull((int) (deadline - now_ms()));
    }
}

static int
step_echo(long long total)
{
    static unsigned char tx[CHUNK], want[CHUNK];
    uint64_t             tx_seed = ECHO_SEED, rx_seed = ECHO_SEED;
    long long            sent = 0, rcvd = 0;
    size_t               tx_len = 0, tx_off = 0;
    int64_t              deadline = now_ms() + timeout_ms;

    while (rcvd < total) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        size_t        avail = in_len - in_pos;
        int64_t       left;

        if (avail > 0) {
            size_t n = avail < CHUNK ? avail : CHUNK;

            if ((long long) n > total - rcvd) {
                n = (size_t) (total - rcvd);    /* for the next steps */
            }
            fill(&rx_seed, want, n);
            for (size_t i = 0; i < n; i++) {
                if ((unsigned char) in[in_pos + i] != want[i]) {
                    return fail("echo: byte %lld of %lld differs (%02x, not "
                                "%02x)", rcvd + (long long) i, total,
                                (unsigned char) in[in_pos + i], want[i]);
                }
            }
            in_pos += n;
            rcvd += (long long) n;
            deadline = now_ms() + timeout_ms;
            continue;
        }
        if (closed) {
            return fail("echo: the server %s after %lld of %lld bytes came "
                        "back", closed_how(), rcvd, total);
        }
        left = deadline - now_ms();
        if (left <= 0) {
            return fail("echo: stalled for %d ms: sent %lld, received %lld "
                        "of %lld", timeout_ms, sent, rcvd, total);
        }
        if (sent < total) {
            p.events |= POLLOUT;
        }
        if (poll(&p, 1, (int) left) <= 0) {
            continue;
        }
        if ((p.revents & POLLOUT) && sent < total) {
            ssize_t n;

            if (tx_off == tx_len) {
                tx_len = (size_t) (total - sent < CHUNK ? total - sent
                                                        : CHUNK);
                tx_off = 0;
                fill(&tx_seed, tx, tx_len);
            }
            n = send(fd, tx + tx_off, tx_len - tx_off,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                return fail("echo: send after %lld bytes: %s", sent,
                            strerror(errno));
            }
            if (n > 0) {
                tx_off += (size_t) n;
                sent += n;
                deadline = now_ms() + timeout_ms;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            pull(0);
        }
    }
    return 0;
}

static int
step_read(void)
{
    int64_t deadline = now_ms() + timeout_ms;

    while (!closed && now_ms() < deadline) {
        pull((int) (deadline - now_ms()));
    }
    if (closed == 1) {
        return 0;
    }
    return closed ? fail("read: the server %s", closed_how())
                  : fail("read: the server did not close within %d ms",
                         timeout_ms);
}

/* Is A a step? With RUN, run it too: 0, else the exit status. */
static int
step(char *a, int run)
{
    long long n;

    if (strncmp(a, "send=", 5) == 0) {
        return run ? put(a + 5, unescape(a + 5)) : 0;
    } else if (strncmp(a, "expect=", 7) == 0) {
        return run ? step_expect(a + 7) : 0;
    } else if (strncmp(a, "echo=", 5) == 0
               && parse_num(a + 5, INT64_MAX, &n) == 0) {
        return run ? step_echo(n) : 0;
    } else if (strncmp(a, "sleep=", 6) == 0
               && parse_num(a + 6, INT32_MAX, &n) == 0) {
        if (run) {
            pause_ms((int) n);
        }
        return 0;
    } else if (strcmp(a, "shut") == 0) {
        if (run && shutdown(fd, SHUT_WR) != 0) {
            return fail("shut: %s", strerror(errno));
        }
        return 0;
    } else if (strcmp(a, "read") == 0) {
        return run ? step_read() : 0;
    }
    return 2;
}

static int
cmd_connect(const char *host, unsigned port, char **steps, int n_steps)
{
    struct sockaddr_storage bnd;
    uint8_t                 dst[262];
    int                     len = build_dst(dst, host, port, force_name);
    int                     rc;

    if ((rc = handshake(0x01, dst, (size_t) len, &bnd)) != 0) {
        return rc;
    }
    enter_tunnel();
    for (int i = 0; i < n_steps && rc == 0; i++) {
        rc = step(steps[i], 1);
    }
    return rc;
}

/* ---- bind ---------------------------------------------------------------- */

static int
cmd_bind(const char *host, unsigned port, int as_name)
{
    static const char       to_client[] = "to-client\n";
    static const char       to_peer[] = "to-peer\n";
    struct sockaddr_storage bnd, bnd2, me, from;
    socklen_t               me_len = sizeof(me);
    uint8_t                 dst[262];
    char                    got[sizeof(to_peer) - 1];
    size_t                  have = 0, n_client = sizeof(to_client) - 1;
    int                     len = build_dst(dst, host, port, as_name);
    int                     rc;
    int64_t                 deadline;

    if ((rc = handshake(0x02, dst, (size_t) len, &bnd)) != 0) {
        return rc;
    }
    if (bnd.ss_family == AF_UNSPEC) {
        return fail("bind: BND is a name, not an address to connect to");
    }
    any_to_proxy(&bnd);
    if (from_ip) {
        memset(&from, 0, sizeof(from));
        from.ss_family = bnd.ss_family;
        if (inet_pton(bnd.ss_family, from_ip,
                      bnd.ss_family == AF_INET6
                      ? (void *) &((struct sockaddr_in6 *) &from)->sin6_addr
                      : (void *) &((struct sockaddr_in *) &from)->sin_addr)
            != 1) {
            return fail("bind: -P %s is not an %s address (BND %s)", from_ip,
                        bnd.ss_family == AF_INET6 ? "IPv6" : "IPv4",
                        sa_text(&bnd));
        }
    }
    peer_fd = dial(&bnd, from_ip ? &from : NULL, "bind: the peer");
    if (peer_fd == -1) {
        return 1;
    }
    getsockname(peer_fd, (struct sockaddr *) &me, &me_len);
    if ((rc = read_reply("reply2", &bnd2)) != 0) {
        return rc;
    }
    if (!same_sa(&bnd2, &me)) {
        return fail("reply2: BND %s is not the peer's address %s",
                    sa_text(&bnd2), sa_text(&me));
    }
    enter_tunnel();

    /* peer -> client */
    if (send(peer_fd, to_client, n_client, MSG_NOSIGNAL)
        != (ssize_t) n_client) {
        return fail("bind: the peer's send: %s", strerror(errno));
    }
    if ((rc = need(n_client, now_ms() + timeout_ms,
                   "bind: \"to-client\\n\" at the client")) != 0) {
        return rc;
    }
    if (memcmp(in + in_pos, to_client, n_client) != 0) {
        return fail("bind: the client got %s, not \"to-client\\n\"",
                    hex(in + in_pos, in_len - in_pos));
    }
    in_pos += n_client;
    if ((rc = no_extra("peer's \"to-client\\n\"")) != 0) {
        return rc;
    }

    /* client -> peer */
    if ((rc = put(to_peer, sizeof(to_peer) - 1)) != 0) {
        return rc;
    }
    deadline = now_ms() + timeout_ms;
    while (have < sizeof(got)) {
        struct pollfd p = { .fd = peer_fd, .events = POLLIN };
        int64_t       left = deadline - now_ms();
        ssize_t       n;

        if (left <= 0 || poll(&p, 1, (int) left) == 0) {
            return fail("bind: the peer got %s of \"to-peer\\n\" within %d ms",
                        hex(got, have), timeout_ms);
        }
        n = recv(peer_fd, got + have, sizeof(got) - have, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            return fail("bind: the peer got %s of \"to-peer\\n\", then %s",
                        hex(got, have), n == 0 ? "EOF" : strerror(errno));
        }
        have += n > 0 ? (size_t) n : 0;
    }
    if (memcmp(got, to_peer, sizeof(got)) != 0) {
        return fail("bind: the peer got %s, not \"to-peer\\n\"",
                    hex(got, sizeof(got)));
    }
    if (recv(peer_fd, got, 1, MSG_DONTWAIT) > 0) {
        return fail("bind: the peer got more than \"to-peer\\n\"");
    }
    close(peer_fd);
    peer_fd = -1;
    return 0;
}

/* ---- udp ----------------------------------------------------------------- */

/* Wait for a datagram on U by DEADLINE, the TCP connection watched
 * meanwhile. WANT NULL: none may come (prints "no reply"). */
static int
udp_wait(int u, const struct sockaddr_storage *relay, const char *want,
         size_t want_len, int64_t deadline, long i)
{
    static uint8_t buf[DGRAM_MAX];

    for ( ;; ) {
        struct pollfd           p[2] = { { .fd = u, .events = POLLIN },
                                         { .fd = fd, .events = POLLIN } };
        struct sockaddr_storage from, hdr_addr;
        socklen_t               flen = sizeof(from);
        int64_t                 left = deadline - now_ms();
        char                    text[1200];
        ssize_t                 n;
        int                     alen;
        size_t                  plen;

        if (left <= 0) {
            if (want == NULL) {
                printf("no reply\n");
                return 0;
            }
            return fail("udp: no reply to datagram %ld within %d ms", i,
                        timeout_ms);
        }
        if (poll(p, 2, (int) left) <= 0) {
            continue;
        }
        if (p[1].revents) {
            pull(0);
            if (closed) {
                return fail("udp: meanwhile the server %s (TCP)",
                            closed_how());
            }
            if (in_len > in_pos) {
                return fail("udp: unexpected bytes on the TCP connection: %s",
                            hex(in + in_pos, in_len - in_pos));
            }
        }
        if (!(p[0].revents & (POLLIN | POLLERR))) {
            continue;
        }
        n = recvfrom(u, buf, sizeof(buf), MSG_DONTWAIT,
                     (struct sockaddr *) &from, &flen);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            return fail("udp: recv: %s", strerror(errno));
        }
        if (!same_sa(&from, relay)) {
            return fail("udp: a datagram from %s, not from the relay %s",
                        sa_text(&from), sa_text(relay));
        }
        alen = n >= 4 ? addr_len(buf + 3, (size_t) n - 3) : 0;
        if (alen <= 0 || 3 + alen > n) {
            return fail("udp: a reply without a whole header: %s",
                        hex(buf, (size_t) n));
        }
        addr_text(buf + 3, text, sizeof(text), &hdr_addr);
        plen = (size_t) n - 3 - (size_t) alen;
        printf("udp-reply %s %zu ", text, plen);
        for (size_t k = 0; k < plen; k++) {
            uint8_t c = buf[3 + alen + k];

            printf(c >= 0x20 && c < 0x7f && c != '\\' ? "%c" : "\\x%02x", c);
        }
        printf("\n");
        if (want == NULL) {
            return fail("udp: a reply came to datagrams with FRAG=1");
        }
        if (buf[0] != 0 || buf[1] != 0 || buf[2] != 0) {
            return fail("udp: a reply with RSV %02x%02x FRAG %02x", buf[0],
                        buf[1], buf[2]);
        }
        if (plen != want_len || memcmp(buf + 3 + alen, want, plen) != 0) {
            return fail("udp: the reply to datagram %ld is not \"%s\"", i,
                        want);
        }
        return 0;
    }
}

static int
cmd_udp(const char *host, unsigned port, const char *text, long count)
{
    static uint8_t          dgram[DGRAM_MAX];
    static const uint8_t    any[7] = { 0x01, 0, 0, 0, 0, 0, 0 };
    struct sockaddr_storage relay, local;
    socklen_t               local_len = sizeof(local);
    size_t                  hdr_len;
    int                     rc, u, len;

    if ((rc = handshake(0x03, any, sizeof(any), &relay)) != 0) {
        return rc;
    }
    enter_tunnel();
    if (relay.ss_family == AF_UNSPEC) {
        return fail("udp: the relay is a name, not an address");
    }
    any_to_proxy(&relay);
    getsockname(fd, (struct sockaddr *) &local, &local_len);
    local = unmapped(&local);
    relay = unmapped(&relay);
    if (local.ss_family != relay.ss_family) {
        return fail("udp: the relay %s is not of the family of our TCP "
                    "address %s", sa_text(&relay), sa_text(&local));
    }
    set_port(&local, 0);
    u = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (u == -1 || bind(u, (struct sockaddr *) &local, len_of(&local)) != 0) {
        return fail("udp: socket bound to %s: %s", sa_text(&local),
                    strerror(errno));
    }
    dgram[0] = dgram[1] = 0;
    dgram[2] = frag ? 0x01 : 0x00;
    len = build_dst(dgram + 3, host, port, force_name);
    hdr_len = 3 + (size_t) len;
    for (long i = 1; i <= count; i++) {
        char   *payload = (char *) dgram + hdr_len;
        size_t  room = sizeof(dgram) - hdr_len;
        int     plen = snprintf(payload, room, "%s-%ld", text, i);

        if (plen < 0 || (size_t) plen >= room) {
            return fail("udp: TEXT too long for a datagram");
        }
        if (sendto(u, dgram, hdr_len + (size_t) plen, 0,
                   (struct sockaddr *) &relay, len_of(&relay)) < 0) {
            return fail("udp: send datagram %ld to %s: %s", i,
                        sa_text(&relay), strerror(errno));
        }
        if (!frag && (rc = udp_wait(u, &relay, payload, (size_t) plen,
                                    now_ms() + timeout_ms, i)) != 0) {
            return rc;
        }
    }
    if (frag) {
        rc = udp_wait(u, &relay, NULL, 0, now_ms() + timeout_ms, 0);
    }
    close(u);
    return rc;
}

/* ---- raw ----------------------------------------------------------------- */

static int
cmd_raw(char *text)
{
    size_t  len = unescape(text);
    int64_t deadline;
    int     rc;

    if ((rc = send_hs(text, len)) != 0) {
        return rc;
    }
    deadline = now_ms() + timeout_ms;
    while (!closed && now_ms() < deadline) {
        pull((int) (deadline - now_ms()));
    }
    printf("raw%s", in_len > in_pos ? " " : "");
    for (size_t i = in_pos; i < in_len; i++) {
        printf("%02x", (unsigned char) in[i]);
    }
    printf("\n");
    return closed ? 0 : 4;
}

/* ---- main ---------------------------------------------------------------- */

static int
usage(void)
{
    fprintf(stderr,
            "usage: socks5_client [-t MS] [-u USER:PASS] [-M METHODS] [-p] "
            "[-s MS] [-n] PROXY COMMAND ARGS...\n"
            "  connect HOST PORT [STEP...] [-o]   steps: send=TEXT "
            "expect=TEXT echo=N sleep=MS shut read\n"
            "  bind [HOST PORT] [-P FROM_IP]\n"
            "  udp HOST PORT TEXT [COUNT] [-F]\n"
            "  raw TEXT\n");
    return 2;
}

/* "00,02" into methods: 0, else -1. */
static int
parse_methods(const char *text)
{
    n_methods = 0;
    while (*text) {
        char *end;
        long  m;

        if (n_methods == 255 || !((*text >= '0' && *text <= '9')
                                  || (*text >= 'a' && *text <= 'f')
                                  || (*text >= 'A' && *text <= 'F'))) {
            return -1;
        }
        m = strtol(text, &end, 16);
        if (m > 0xff || (*end != ',' && *end != '\0')) {
            return -1;
        }
        methods[n_methods++] = (uint8_t) m;
        text = *end == ',' ? end + 1 : end;
        if (*end == ',' && *text == '\0') {
            return -1;
        }
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *cmd;
    char      **args;
    int         opt, n, rc;
    long long   port = 0, count = 1, num;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "t:u:M:ps:noP:F")) != -1) {
        switch (opt) {
        case 't':
            if (parse_num(optarg, INT32_MAX, &num) != 0 || num == 0) {
                return usage();
            }
            timeout_ms = (int) num;
            break;
        case 'u':
            user = optarg;
            pass = strchr(optarg, ':');
            if (pass == NULL) {
                return usage();
            }
            user_len = (size_t) (pass - user);
            pass++;
            pass_len = strlen(pass);
            if (user_len > 255 || pass_len > 255) {
                return usage();
            }
            break;
        case 'M':
            if (parse_methods(optarg) != 0) {
                return usage();
            }
            break;
        case 'p': pipelined = 1; break;
        case 's':
            if (parse_num(optarg, INT32_MAX, &num) != 0) {
                return usage();
            }
            slow_ms = (int) num;
            break;
        case 'n': force_name = 1; break;
        case 'o': print_tunnel = 1; break;
        case 'P': from_ip = optarg; break;
        case 'F': frag = 1; break;
        default:
            return usage();
        }
    }
    args = argv + optind;
    n = argc - optind;
    if (n < 2 || parse_hostport(args[0], &proxy) != 0) {
        return usage();
    }
    cmd = args[1];
    args += 2;
    n -= 2;
    if ((print_tunnel && strcmp(cmd, "connect") != 0)
        || (from_ip && strcmp(cmd, "bind") != 0)
        || (frag && strcmp(cmd, "udp") != 0)) {
        return usage();
    }
    if (strcmp(cmd, "connect") == 0 || strcmp(cmd, "udp") == 0
        || (strcmp(cmd, "bind") == 0 && n == 2)) {
        uint8_t dst[262];

        if (n < 2 || parse_num(args[1], 65535, &port) != 0
            || build_dst(dst, args[0], 0, force_name) < 0) {
            return usage();
        }
    }
    if (strcmp(cmd, "connect") == 0) {
        for (int i = 2; i < n; i++) {
            if (step(args[i], 0) != 0) {
                fprintf(stderr, "socks5_client: unknown step \"%s\"\n",
                        args[i]);
                return usage();
            }
        }
    } else if (strcmp(cmd, "bind") == 0) {
        if (n != 0 && n != 2) {
            return usage();
        }
    } else if (strcmp(cmd, "udp") == 0) {
        if ((n != 3 && n != 4)
            || (n == 4 && (parse_num(args[3], 1000000, &count) != 0
                           || count == 0))) {
            return usage();
        }
    } else if (strcmp(cmd, "raw") == 0) {
        if (n != 1) {
            return usage();
        }
    } else {
        return usage();
    }
    if (n_methods < 0) {
        n_methods = 1;
        methods[0] = user ? 0x02 : 0x00;
    }
    signal(SIGPIPE, SIG_IGN);
    fd = dial(&proxy, NULL, "proxy");
    if (fd == -1) {
        return 1;
    }
    if (strcmp(cmd, "connect") == 0) {
        rc = cmd_connect(args[0], (unsigned) port, args + 2, n - 2);
    } else if (strcmp(cmd, "bind") == 0) {
        rc = cmd_bind(n ? args[0] : "0.0.0.0", (unsigned) port,
                      n && force_name);
    } else if (strcmp(cmd, "udp") == 0) {
        rc = cmd_udp(args[0], (unsigned) port, args[2], (long) count);
    } else {
        rc = cmd_raw(args[0]);
    }
    fflush(stdout);
    if (peer_fd >= 0) {
        close(peer_fd);
    }
    close(fd);
    return rc;
}
