/*
 * test/backends/dns_stub.c: a tiny authoritative DNS server over UDP for
 * the integration tests of name resolution. A test runs it in a private
 * network and mount namespace (unshare -mn) with /etc/resolv.conf bound
 * to "nameserver 127.0.0.1", so getaddrinfo() in the gateway asks it.
 *
 *   dns_stub [-a ADDR] [-p PORT] RULE...
 *
 *   RULE    NAME=ANSWER[,ANSWER...][@DELAY_MS]
 *   ANSWER  an IPv4 address (an A record), an IPv6 address (AAAA), or,
 *           alone, one of the words
 *             nxdomain   the name does not exist
 *             servfail   the server failed
 *             drop       never answer
 *   -a ADDR the address to listen on, IPv4 or IPv6 (default 127.0.0.1)
 *   -p PORT the UDP port (default 53)
 *
 *   e.g. slow.test=127.0.0.1@1500  v6.test=::1  both.test=::1,127.0.0.1
 *        gone.test=nxdomain  hang.test=drop
 *
 * Names compare case-insensitively, without a trailing dot. A name with
 * no rule gets NXDOMAIN at once. A query for a type its rule has no record
 * of (AAAA for a name with IPv4 addresses only) gets NOERROR without
 * answers (NODATA); ANY gets every record. Answers have TTL 1 and the
 * authoritative flag, echo the question byte for byte and copy the ID and
 * RD flag; EDNS0 (an OPT record) is ignored and answered without one.
 * Whatever follows the question is not read; a packet that is no query or
 * whose question is broken is ignored. Every answer, delayed or not, goes
 * to the address the query came from.
 *
 * DELAY_MS holds every answer of the rule (NODATA, NXDOMAIN, SERVFAIL as
 * well) that long; other queries are served meanwhile (a table of pending
 * answers with due times, poll() with its timeout).
 *
 * Output on stdout, one line each, flushed at once:
 *   "ready"                 once bound
 *   "query NAME TYPE"       each query received
 *   "answer NAME TYPE N"    when its answer is sent (N: answer records)
 * NAME is in lower case without the trailing dot (bytes outside letters,
 * digits, '-' and '_' as \DDD, a '.' inside a label as \.); TYPE is A, AAAA
 * or the number.
 *
 * One process, one socket; stops on TERM or INT (exit 0).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_MAX    65536
#define REPLY_MAX    512            /* plain UDP DNS: no truncation needed */
#define MAX_ANSWERS  8              /* 12 + 255 + 4 + 8 * 28 < 512 */
#define MAX_RULES    256
#define MAX_PENDING  1024
#define NAME_TEXT    (255 * 4 + 2)  /* every byte as \DDD, at most */
#define MAX_DELAY_MS (24 * 3600 * 1000)

#define T_A          1
#define T_AAAA       28
#define T_ANY        255
#define C_IN         1
#define C_ANY        255

#define R_NOERROR    0
#define R_SERVFAIL   2
#define R_NXDOMAIN   3

enum { DO_RECORDS, DO_NXDOMAIN, DO_SERVFAIL, DO_DROP };

typedef struct rule {
    char     name[NAME_TEXT];
    int      does;
    int      delay_ms;
    unsigned n_a, n_aaaa;
    uint8_t  a[MAX_ANSWERS][4];
    uint8_t  aaaa[MAX_ANSWERS][16];
} rule_t;

/* An answer waiting for its time. */
typedef struct pending {
    int                      used;
    int64_t                  due_ms;
    struct sockaddr_storage  to;
    socklen_t                to_len;
    char                     name[NAME_TEXT];
    unsigned                 qtype;
    unsigned                 n_answers;
    size_t                   len;
    uint8_t                  data[REPLY_MAX];
} pending_t;

static rule_t                 rules[MAX_RULES];
static unsigned               n_rules;
static pending_t              table[MAX_PENDING];
static unsigned               n_pending;
static volatile sig_atomic_t  stop;

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_term(int sig)
{
    (void) sig;
    stop = 1;
}

static int
usage(void)
{
    fprintf(stderr,
            "usage: dns_stub [-a ADDR] [-p PORT] RULE...\n"
            "  RULE: NAME=ANSWER[,ANSWER...][@DELAY_MS]\n"
            "  ANSWER: an IPv4 address (A), an IPv6 address (AAAA),\n"
            "          or alone: nxdomain, servfail, drop (never answer)\n"
            "  defaults: -a 127.0.0.1 -p 53\n");
    return 2;
}

/* ---- rules ------------------------------------------------------------------ */

/* A decimal number in [0, max] spanning all of TEXT, or -1. */
static long
parse_number(const char *text, long max)
{
    char *end;
    long  v;

    if (!isdigit((unsigned char) text[0])) {
        return -1;
    }
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < 0 || v > max) {
        return -1;
    }
    return v;
}

static rule_t *
find_rule(const char *name)
{
    for (unsigned i = 0; i < n_rules; i++) {
        if (strcasecmp(rules[i].name, name) == 0) {
            return &rules[i];
        }
    }
    return NULL;
}

static int
rule_error(const char *text, const char *why)
{
    fprintf(stderr, "dns_stub: bad rule \"%s\": %s\n", text, why);
    return -1;
}

/* Parse NAME=ANSWER[,ANSWER...][@DELAY_MS] into the next rule. */
static int
add_rule(const char *text)
{
    char    buf[2048], *eq, *at, *answers, *tok, *save;
    rule_t *r;
    size_t  nl;
    long    delay = 0;
    int     n_words = 0, n_tokens = 0;

    if (strlen(text) >= sizeof(buf)) {
        return rule_error(text, "too long");
    }
    if (n_rules == MAX_RULES) {
        return rule_error(text, "too many rules");
    }
    strcpy(buf, text);
    eq = strchr(buf, '=');
    if (eq == NULL) {
        return rule_error(text, "no '='");
    }
    *eq = '\0';
    answers = eq + 1;
    at = strrchr(answers, '@');
    if (at != NULL) {
        *at = '\0';
        delay = parse_number(at + 1, MAX_DELAY_MS);
        if (delay < 0) {
            return rule_error(text, "bad delay");
        }
    }

    nl = strlen(buf);
    if (nl > 1 && buf[nl - 1] == '.') {
        buf[--nl] = '\0';
    }
    if (nl == 0 || nl > 253) {
        return rule_error(text, "bad name");
    }
    for (size_t i = 0; i < nl; i++) {
        buf[i] = (char) tolower((unsigned char) buf[i]);
    }
    if (find_rule(buf) != NULL) {
        return rule_error(text, "a second rule for the name");
    }

    r = &rules[n_rules];
    memset(r, 0, sizeof(*r));
    memcpy(r->name, buf, nl + 1);
    r->does = DO_RECORDS;
    r->delay_ms = (int) delay;
    for (tok = strtok_r(answers, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        n_tokens++;
        if (strcasecmp(tok, "nxdomain") == 0) {
            r->does = DO_NXDOMAIN;
            n_words++;
        } else if (strcasecmp(tok, "servfail") == 0) {
            r->does = DO_SERVFAIL;
            n_words++;
        } else if (strcasecmp(tok, "drop") == 0) {
            r->does = DO_DROP;
            n_words++;
        } else if (r->n_a + r->n_aaaa == MAX_ANSWERS) {
            return rule_error(text, "more than 8 addresses");
        } else if (inet_pton(AF_INET, tok, r->a[r->n_a]) == 1) {
            r->n_a++;
        } else if (inet_pton(AF_INET6, tok, r->aaaa[r->n_aaaa]) == 1) {
            r->n_aaaa++;
        } else {
            return rule_error(text, "an answer neither an address nor "
                                    "nxdomain, servfail, drop");
        }
    }
    if (n_tokens == 0) {
        return rule_error(text, "no answer");
    }
    if (n_words > 0 && n_tokens > 1) {
        return rule_error(text, "nxdomain, servfail and drop stand alone");
    }
    n_rules++;
    return 0;
}

/* ---- the wire ------------------------------------------------------------------ */

static unsigned
get16(const uint8_t *p)
{
    return (unsigned) p[0] << 8 | p[1];
}

static void
put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t) (v >> 8);
    p[1] = (uint8_t) v;
}

static const char *
type_text(unsigned type, char *buf, size_t size)
{
    if (type == T_A) {
        return "A";
    }
    if (type == T_AAAA) {
        return "AAAA";
    }
    snprintf(buf, size, "%u", type);
    return buf;
}

/*
 * Read the question's name at *OFF into TEXT (lower case, no trailing
 * dot, "." for the root); *OFF moves past it. -1 when it runs past LEN,
 * has a label over 63 bytes, a compression pointer or over 255 bytes.
 */
static int
read_name(const uint8_t *p, size_t len, size_t *off, char text[NAME_TEXT])
{
    size_t pos = *off, out = 0, wire = 0;

    for ( ;; ) {
        unsigned l;

        if (pos >= len) {
            return -1;
        }
        l = p[pos++];
        wire += 1 + l;
        if (wire > 255) {
            return -1;
        }
        if (l == 0) {
            break;
        }
        if (l > 63 || l > len - pos) {
            return -1;              /* pointers (0xc0) and other kinds too */
        }
        if (out > 0) {
            text[out++] = '.';
        }
        for (unsigned i = 0; i < l; i++) {
            unsigned char c = (unsigned char) tolower(p[pos + i]);

            if (isalnum(c) || c == '-' || c == '_') {
                text[out++] = (char) c;
            } else if (c == '.' || c == '\\') {
                text[out++] = '\\';
                text[out++] = (char) c;
            } else {
                out += (size_t) snprintf(text + out, 5, "\\%03u", c);
            }
        }
        pos += l;
    }
    if (out == 0) {
        text[out++] = '.';
    }
    text[out] = '\0';
    *off = pos;
    return 0;
}

static size_t
add_record(uint8_t *reply, size_t at, unsigned type, const uint8_t *rdata,
           size_t rdlen)
{
    put16(reply + at, 0xc00c);              /* the name: the question's */
    put16(reply + at + 2, type);
    put16(reply + at + 4, C_IN);
    reply[at + 6] = 0;                      /* TTL 1 */
    reply[at + 7] = 0;
    reply[at + 8] = 0;
    reply[at + 9] = 1;
    put16(reply + at + 10, (unsigned) rdlen);
    memcpy(reply + at + 12, rdata, rdlen);
    return at + 12 + rdlen;
}

/* ---- answers ------------------------------------------------------------------ */

static void
send_answer(int fd, const uint8_t *data, size_t len, const char *name,
            unsigned qtype, unsigned n_answers,
            const struct sockaddr_storage *to, socklen_t to_len)
{
    char tbuf[16];

    while (sendto(fd, data, len, 0, (const struct sockaddr *) to, to_len) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "dns_stub: answer for %s lost: %s\n", name,
                    strerror(errno));
            return;
        }
    }
    printf("answer %s %s %u\n", name, type_text(qtype, tbuf, sizeof(tbuf)),
           n_answers);
}

static void
queue_answer(const uint8_t *data, size_t len, const char *name, unsigned qtype,
             unsigned n_answers, int delay_ms,
             const struct sockaddr_storage *to, socklen_t to_len)
{
    for (unsigned i = 0; i < MAX_PENDING; i++) {
        pending_t *p = &table[i];

        if (!p->used) {
            p->used = 1;
            p->due_ms = now_ms() + delay_ms;
            p->to = *to;
            p->to_len = to_len;
            snprintf(p->name, sizeof(p->name), "%s", name);
            p->qtype = qtype;
            p->n_answers = n_answers;
            p->len = len;
            memcpy(p->data, data, len);
            n_pending++;
            return;
        }
    }
    fprintf(stderr, "dns_stub: %u answers pending, dropped one for %s\n",
            MAX_PENDING, name);
}

/* Send the pending answers that are due, oldest first; the poll timeout
 * till the next one (-1: none). */
static int
flush_due(int fd)
{
    int64_t now = now_ms(), next = -1;

    while (n_pending > 0) {
        pending_t *first = NULL;

        for (unsigned i = 0; i < MAX_PENDING; i++) {
            if (table[i].used && (first == NULL || table[i].due_ms < first->due_ms)) {
                first = &table[i];
            }
        }
        if (first->due_ms > now) {
            next = first->due_ms - now;
            break;
        }
        send_answer(fd, first->data, first->len, first->name, first->qtype,
                    first->n_answers, &first->to, first->to_len);
        first->used = 0;
        n_pending--;
    }
    return (int) next;
}

static void
on_datagram(int fd, const uint8_t *q, size_t len,
            const struct sockaddr_storage *from, socklen_t from_len)
{
    uint8_t       reply[REPLY_MAX];
    char          name[NAME_TEXT], tbuf[16];
    size_t        off = 12, at;
    unsigned      qtype, qclass, rcode = R_NOERROR, n = 0;
    const rule_t *r;

    /* a query (QR 0), standard (opcode 0), one question */
    if (len < 12 || (q[2] & 0x80) != 0 || (q[2] & 0x78) != 0
        || get16(q + 4) != 1) {
        return;
    }
    if (read_name(q, len, &off, name) != 0 || len - off < 4) {
        return;
    }
    qtype = get16(q + off);
    qclass = get16(q + off + 2);
    off += 4;
    printf("query %s %s\n", name, type_text(qtype, tbuf, sizeof(tbuf)));

    r = find_rule(name);
    if (r != NULL && r->does == DO_DROP) {
        return;
    }

    memcpy(reply, q, 2);                    /* ID */
    reply[2] = (uint8_t) (0x80 | 0x04 | (q[2] & 0x01));   /* QR AA RD */
    put16(reply + 4, 1);
    put16(reply + 8, 0);
    put16(reply + 10, 0);
    memcpy(reply + 12, q + 12, off - 12);   /* the question, as it came */
    at = off;

    if (r == NULL || r->does == DO_NXDOMAIN) {
        rcode = R_NXDOMAIN;
    } else if (r->does == DO_SERVFAIL) {
        rcode = R_SERVFAIL;
    } else if (qclass == C_IN || qclass == C_ANY) {
        if (qtype == T_A || qtype == T_ANY) {
            for (unsigned i = 0; i < r->n_a; i++, n++) {
                at = add_record(reply, at, T_A, r->a[i], 4);
            }
        }
        if (qtype == T_AAAA || qtype == T_ANY) {
            for (unsigned i = 0; i < r->n_aaaa; i++, n++) {
                at = add_record(reply, at, T_AAAA, r->aaaa[i], 16);
            }
        }
    }
    reply[3] = (uint8_t) rcode;             /* RA 0: authoritative only */
    put16(reply + 6, n);

    if (r == NULL || r->delay_ms == 0) {
        send_answer(fd, reply, at, name, qtype, n, from, from_len);
    } else {
        queue_answer(reply, at, name, qtype, n, r->delay_ms, from, from_len);
    }
}

/* ---- main ------------------------------------------------------------------ */

static int
bind_to(const char *addr, unsigned port)
{
    char                    host[INET6_ADDRSTRLEN + 2];
    struct sockaddr_storage ss;
    socklen_t               len;
    size_t                  hl = strlen(addr);
    int                     fd;

    /* "[::1]" as well as "::1" */
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']'
        && hl - 2 < sizeof(host)) {
        memcpy(host, addr + 1, hl - 2);
        host[hl - 2] = '\0';
    } else if (hl < sizeof(host)) {
        memcpy(host, addr, hl + 1);
    } else {
        errno = EINVAL;
        return -1;
    }
    memset(&ss, 0, sizeof(ss));
    if (strchr(host, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t) port);
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
            errno = EINVAL;
            return -1;
        }
        len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;

        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t) port);
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
            errno = EINVAL;
            return -1;
        }
        len = sizeof(*s4);
    }
    fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        return -1;
    }
    if (bind(fd, (struct sockaddr *) &ss, len) != 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int
main(int argc, char **argv)
{
    static uint8_t    buf[DGRAM_MAX];
    const char       *addr = "127.0.0.1";
    long              port = 53;
    int               opt, fd;
    struct sigaction  sa;
    sigset_t          block, orig;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "a:p:")) != -1) {
        switch (opt) {
        case 'a':
            addr = optarg;
            break;
        case 'p':
            port = parse_number(optarg, 65535);
            if (port < 0) {
                fprintf(stderr, "dns_stub: bad port %s\n", optarg);
                return 2;
            }
            break;
        default:
            return usage();
        }
    }
    if (optind >= argc) {
        return usage();
    }
    for (int i = optind; i < argc; i++) {
        if (add_rule(argv[i]) != 0) {
            return 2;
        }
    }

    /* TERM and INT only arrive inside ppoll(): no lost wake-up */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig);
    sigdelset(&orig, SIGTERM);
    sigdelset(&orig, SIGINT);

    fd = bind_to(addr, (unsigned) port);
    if (fd == -1) {
        fprintf(stderr, "dns_stub: cannot bind %s port %ld: %s\n", addr, port,
                strerror(errno));
        return 1;
    }
    printf("ready\n");
    while (!stop) {
        struct pollfd           p = { .fd = fd, .events = POLLIN };
        struct sockaddr_storage from;
        socklen_t               from_len;
        struct timespec         ts, *tp = NULL;
        ssize_t                 n;
        int                     wait_ms = flush_due(fd);

        if (wait_ms >= 0) {
            ts.tv_sec = wait_ms / 1000;
            ts.tv_nsec = (long) (wait_ms % 1000) * 1000000;
            tp = &ts;
        }
        if (ppoll(&p, 1, tp, &orig) < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("dns_stub: poll");
            return 1;
        }
        for (int k = 0; k < 256 && !stop; k++) {
            from_len = sizeof(from);
            n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *) &from,
                         &from_len);
            if (n < 0) {
                break;          /* EAGAIN, or an ICMP error from a client */
            }
            on_datagram(fd, buf, (size_t) n, &from, from_len);
        }
    }
    close(fd);
    return 0;
}
