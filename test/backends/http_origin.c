/*
 * test/backends/http_origin.c: an HTTP/1.1 origin server for the
 * integration tests of the http handlers. It answers by the request's
 * path and records what it received, so a test can check what the
 * gateway sent and count upstream connections.
 *
 *   http_origin [-i NAME] [-k IDLE_MS] [-H FILE] ADDR:PORT...
 *   http_origin -g N       write N bytes of the body pattern to stdout
 *                          (pipe it into sha256sum for the expected hash)
 *
 * Prints "ready" once it listens, then one line per event on stdout:
 *
 *   conn PORT              a connection was accepted (PORT: the peer's)
 *   req PORT SEQ "LINE" host=[..] xff=[..] xri=[..] xfp=[..]
 *       connection=[..] via=[..] te=[..] cl=[..] expect=[..] upgrade=[..]
 *       names=[a,b,..] body=N sha256=HEX trailers=[..]
 *                          a request, once its body was read (SEQ: its
 *                          number on the connection, from 1; a header
 *                          absent is "-", repeated ones are joined by
 *                          " | "; names: every field name, lower case, in
 *                          order; body=unread when the answer did not
 *                          wait for it, body=partial:N when the peer
 *                          closed mid-body, body=bad on a broken chunk)
 *   drop PORT SEQ "LINE"   ?once on a reused connection: closed unanswered
 *   close PORT             the connection is closed
 *
 * Answers, by path (the query adds flags, below):
 *   /len/N          200, Content-Length N, N bytes of the pattern
 *   /chunked/N      200, chunked (chunk sizes vary), trailer X-Checksum
 *   /close/N        200, neither length nor chunks: N bytes, then close
 *   /status/CODE    CODE with a short body; none for 1xx, 204 and 304
 *                   (304 still carries Content-Length: 123, as it may)
 *   /delay/MS       200 "delayed\n", MS after the request was read
 *   /stall/N        200 with Content-Length 2N, only N bytes, then silence
 *   /echo           the request body back, framed as the request was
 *                   (Content-Length or chunked)
 *   /ws             with Upgrade: 101 Switching Protocols, then every
 *                   byte is echoed until the peer closes
 *   /100            "100 Continue" at once, even unasked, then as below
 *   /reject/CODE    CODE with Connection: close at once, without reading
 *                   the body; what comes after is read and dropped until
 *                   the peer closes (at most 3 s), then close
 *   /hop            200 with hop-by-hop fields (Connection: X-Hop,
 *                   X-Hop, Keep-Alive, Proxy-Authenticate, Trailer,
 *                   Upgrade) besides X-End-To-End: yes
 *   /health         200, or 503 while the file of -H FILE is missing
 *   anything else   200 "NAME TARGET\n" (which origin, which request)
 * A HEAD request gets the same head and no body. Every answer has
 * X-Origin: NAME.
 *
 * Query flags: close (answer with Connection: close, then close), once
 * (on a connection that served a request before, close without an
 * answer: a stale pooled connection), no100 (no automatic 100 Continue).
 *
 * "100 Continue" goes out by itself when a request with a body says
 * Expect: 100-continue (as real servers do when they start reading it).
 * Connections are kept alive unless the request says otherwise (or is
 * HTTP/1.0 without Connection: keep-alive); pipelined requests are
 * answered in order. -k IDLE_MS closes connections idle that long
 * between requests. Request bodies of any framing are read and hashed.
 *
 * One process, one epoll loop; stops on TERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

#define READ_SIZE    65536
#define MAX_HEAD     (1024 * 1024)
#define OUT_HIGH     (1024 * 1024)      /* stop reading past this backlog */
#define GEN_STEP     (256 * 1024)
#define MAX_LISTEN   8

/* ---- sha-256 (FIPS 180-4) -------------------------------------------------- */

typedef struct sha256 {
    uint32_t h[8];
    uint64_t len;
    uint8_t  block[64];
    size_t   used;
} sha256_t;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_init(sha256_t *s)
{
    static const uint32_t h0[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };

    memcpy(s->h, h0, sizeof(h0));
    s->len = 0;
    s->used = 0;
}

static void
sha256_block(sha256_t *s, const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, h;

    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16
               | (uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);

        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
    e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25))
                      + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22))
                      + ((a & b) ^ (a & c) ^ (b & c));

        h = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
    s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void
sha256_update(sha256_t *s, const void *data, size_t len)
{
    const uint8_t *p = data;

    s->len += len;
    while (len > 0) {
        size_t n = 64 - s->used < len ? 64 - s->used : len;

        memcpy(s->block + s->used, p, n);
        s->used += n;
        p += n;
        len -= n;
        if (s->used == 64) {
            sha256_block(s, s->block);
            s->used = 0;
        }
    }
}

static void
sha256_hex(sha256_t *s, char out[65])
{
    uint64_t bits = s->len * 8;
    uint8_t  pad = 0x80, zero = 0, lenb[8];

    sha256_update(s, &pad, 1);
    while (s->used != 56) {
        sha256_update(s, &zero, 1);
    }
    for (int i = 0; i < 8; i++) {
        lenb[i] = (uint8_t) (bits >> (56 - 8 * i));
    }
    sha256_update(s, lenb, 8);
    for (int i = 0; i < 8; i++) {
        sprintf(out + 8 * i, "%08x", s->h[i]);
    }
}

/* ---- the body pattern -------------------------------------------------------- */

/* Byte I of every generated body: letters, a newline every 64 bytes;
 * no period a shifted or repeated block could hide in. */
static char
pattern(uint64_t i)
{
    uint32_t h = (uint32_t) i * 2654435761u;

    if (i % 64 == 63) {
        return '\n';
    }
    h ^= h >> 15;
    h += (uint32_t) (i >> 20);
    return (char) ('a' + h % 26);
}

static void
fill_pattern(char *dst, uint64_t off, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        dst[i] = pattern(off + i);
    }
}

/* ---- connections ---------------------------------------------------------------- */

enum {
    ST_HEAD,        /* waiting for a request head */
    ST_BODY,        /* reading the request body */
    ST_DELAY,       /* body read, answer at wake_ms */
    ST_GEN,         /* writing a generated body */
    ST_TUNNEL,      /* after 101: echo */
    ST_LINGER,      /* answered early: drop input until the peer closes */
    ST_STALL,       /* said more than it sends: silence */
    ST_CLOSE        /* close once the output is written */
};

enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED };
enum { CK_SIZE, CK_DATA, CK_DATA_END, CK_TRAILER };
enum { GEN_LEN, GEN_CHUNKED, GEN_CLOSE };
enum {
    DO_DEFAULT, DO_LEN, DO_CHUNKED, DO_CLOSE, DO_STATUS, DO_DELAY, DO_STALL,
    DO_ECHO, DO_WS, DO_REJECT, DO_HOP
};

typedef struct conn {
    struct conn *next;
    int          fd;
    int          port;
    int          state;
    int          eof;
    int          shut;
    char        *in;
    size_t       in_len, in_cap;
    char        *out;
    size_t       out_pos, out_len, out_cap;
    unsigned     seq;
    uint64_t     idle_since_ms;
    uint64_t     wake_ms;

    /* the request */
    char         line[512];
    char         head_log[8192];
    char         target[1024];
    int          is_head;
    int          keepalive;
    int          flag_close, flag_once, flag_no100;
    int          does;
    uint64_t     arg;
    int          body;
    uint64_t     left;
    int          ck;
    char         trailers[1024];
    uint64_t     body_len;
    sha256_t     sha;
    int          chunked_req;
    char        *echo;
    size_t       echo_len, echo_cap;

    /* the answer */
    int          gen;
    uint64_t     gen_off, gen_total;
    unsigned     gen_chunks;
    int          close_after;
} conn_t;

static const char *name = "origin";
static const char *health_file;         /* -H: /health is 200 while it exists */
static uint64_t    idle_ms;
static conn_t     *conns;
static int         ep;
static volatile sig_atomic_t stop;

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void
say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static void *
xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL) {
        fprintf(stderr, "http_origin: out of memory\n");
        exit(1);
    }
    return p;
}

static void
grow(char **buf, size_t *cap, size_t need)
{
    size_t n = *cap ? *cap : 4096;

    if (need <= *cap) {
        return;
    }
    while (n < need) {
        n *= 2;
    }
    *buf = xrealloc(*buf, n);
    *cap = n;
}

static void
out_put(conn_t *c, const void *p, size_t len)
{
    if (c->out_pos == c->out_len) {
        c->out_pos = c->out_len = 0;
    }
    grow(&c->out, &c->out_cap, c->out_len + len);
    memcpy(c->out + c->out_len, p, len);
    c->out_len += len;
}

static void
out_printf(conn_t *c, const char *fmt, ...)
{
    char    tmp[4096];
    va_list ap;
    int     n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) {
        out_put(c, tmp, (size_t) n < sizeof(tmp) ? (size_t) n : sizeof(tmp) - 1);
    }
}

static size_t
pending(const conn_t *c)
{
    return c->out_len - c->out_pos;
}

static void
consume(conn_t *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

static void
conn_close(conn_t *c)
{
    conn_t **pp;

    for (pp = &conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    say("close %d\n", c->port);
    free(c->in);
    free(c->out);
    free(c->echo);
    free(c);
}

/* ---- request heads -------------------------------------------------------------- */

/* Index one past the empty line ending the head, or 0. */
static size_t
head_end(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '\n') {
            continue;
        }
        if (i + 1 < len && p[i + 1] == '\n') {
            return i + 2;
        }
        if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n') {
            return i + 3;
        }
    }
    return 0;
}

typedef struct field {
    const char *name;
    size_t      name_len;
    const char *value;
    size_t      value_len;
} field_t;

#define MAX_FIELDS 200

/* Append the values of the fields called NAME to DST as " key=[v | v]". */
static void
log_field(char *dst, size_t cap, const char *key, const char *lname,
          const field_t *f, unsigned n)
{
    size_t len = strlen(dst);
    int    any = 0;

    len += (size_t) snprintf(dst + len, cap - len, " %s=[", key);
    for (unsigned i = 0; i < n && len < cap; i++) {
        if (f[i].name_len == strlen(lname)
            && strncasecmp(f[i].name, lname, f[i].name_len) == 0) {
            len += (size_t) snprintf(dst + len, cap - len, "%s%.*s",
                                     any ? " | " : "", (int) f[i].value_len,
                                     f[i].value);
            any = 1;
        }
    }
    if (len < cap) {
        snprintf(dst + len, cap - len, "%s]", any ? "" : "-");
    }
}

static const field_t *
find_field(const field_t *f, unsigned n, const char *lname)
{
    for (unsigned i = 0; i < n; i++) {
        if (f[i].name_len == strlen(lname)
            && strncasecmp(f[i].name, lname, f[i].name_len) == 0) {
            return &f[i];
        }
    }
    return NULL;
}

/* Does the comma-separated list VALUE hold TOKEN (any case)? */
static int
has_token(const field_t *f, const char *token)
{
    const char *p, *end;
    size_t      tl = strlen(token);

    if (f == NULL) {
        return 0;
    }
    p = f->value;
    end = f->value + f->value_len;
    while (p < end) {
        const char *s, *e;

        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }
        s = p;
        while (p < end && *p != ',') {
            p++;
        }
        e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }
        if ((size_t) (e - s) == tl && strncasecmp(s, token, tl) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The last token of a list value ("gzip, chunked" -> chunked?). */
static int
last_token_is(const field_t *f, const char *token)
{
    const char *e, *s;
    size_t      tl = strlen(token);

    if (f == NULL) {
        return 0;
    }
    e = f->value + f->value_len;
    while (e > f->value && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    s = e;
    while (s > f->value && s[-1] != ',' && s[-1] != ' ') {
        s--;
    }
    return (size_t) (e - s) == tl && strncasecmp(s, token, tl) == 0;
}

static int
query_has(const char *query, const char *flag)
{
    size_t fl = strlen(flag);

    while (query && *query) {
        const char *amp = strchr(query, '&');
        size_t      len = amp ? (size_t) (amp - query) : strlen(query);

        if (len == fl && strncmp(query, flag, fl) == 0) {
            return 1;
        }
        query = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* What the path asks for. */
static void
choose(conn_t *c, const char *path)
{
    static const struct { const char *prefix; int does; } table[] = {
        { "/len/", DO_LEN }, { "/chunked/", DO_CHUNKED },
        { "/close/", DO_CLOSE }, { "/status/", DO_STATUS },
        { "/delay/", DO_DELAY }, { "/stall/", DO_STALL },
        { "/reject/", DO_REJECT },
    };

    c->does = DO_DEFAULT;
    c->arg = 0;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        size_t n = strlen(table[i].prefix);

        if (strncmp(path, table[i].prefix, n) == 0) {
            c->does = table[i].does;
            c->arg = strtoull(path + n, NULL, 10);
            return;
        }
    }
    if (strcmp(path, "/health") == 0) {
        c->does = DO_STATUS;
        c->arg = health_file == NULL || access(health_file, F_OK) == 0 ? 200 : 503;
    } else if (strcmp(path, "/echo") == 0) {
        c->does = DO_ECHO;
    } else if (strcmp(path, "/ws") == 0) {
        c->does = DO_WS;
    } else if (strcmp(path, "/hop") == 0) {
        c->does = DO_HOP;
    }
}

static void start_answer(conn_t *c);
static void finish_request(conn_t *c, const char *body_note);

/* A whole head of HLEN bytes is at c->in. 0, or -1: close. */
static int
take_head(conn_t *c, size_t hlen)
{
    field_t        f[MAX_FIELDS];
    unsigned       n = 0;
    char          *p = c->in, *end = c->in + hlen, *eol, *sp1, *sp2;
    char           path[1024], *q, names[2048] = "";
    const field_t *te, *cl, *conn, *expect;
    size_t         nl = 0;
    int            minor;

    /* empty lines before the request line */
    while (p < end && (*p == '\r' || *p == '\n')) {
        p++;
    }
    eol = memchr(p, '\n', (size_t) (end - p));
    if (eol == NULL) {
        return -1;
    }
    c->seq++;
    snprintf(c->line, sizeof(c->line), "%.*s",
             (int) (eol - p - (eol > p && eol[-1] == '\r')), p);
    sp1 = memchr(p, ' ', (size_t) (eol - p));
    sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t) (eol - sp1 - 1)) : NULL;
    if (sp1 == NULL || sp2 == NULL) {
        say("req %d %u \"%s\" malformed\n", c->port, c->seq, c->line);
        return -1;
    }
    snprintf(c->target, sizeof(c->target), "%.*s", (int) (sp2 - sp1 - 1), sp1 + 1);
    minor = eol - sp2 >= 9 && strncmp(sp2 + 1, "HTTP/1.0", 8) == 0 ? 0 : 1;
    c->is_head = sp1 - p == 4 && strncmp(p, "HEAD", 4) == 0;
    for (p = eol + 1; p < end; p = eol + 1) {
        char *colon, *v, *ve;

        eol = memchr(p, '\n', (size_t) (end - p));
        ve = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
        if (ve == p) {
            break;
        }
        colon = memchr(p, ':', (size_t) (ve - p));
        if (colon == NULL || n == MAX_FIELDS) {
            continue;
        }
        for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++) {
        }
        f[n].name = p;
        f[n].name_len = (size_t) (colon - p);
        f[n].value = v;
        f[n].value_len = (size_t) (ve - v);
        if (nl + f[n].name_len + 2 < sizeof(names)) {
            if (nl) {
                names[nl++] = ',';
            }
            for (size_t i = 0; i < f[n].name_len; i++) {
                char ch = f[n].name[i];

                names[nl++] = (char) (ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
            }
            names[nl] = '\0';
        }
        n++;
    }

    snprintf(c->head_log, sizeof(c->head_log), "%d %u \"%s\"", c->port,
             c->seq, c->line);
    log_field(c->head_log, sizeof(c->head_log), "host", "host", f, n);
    log_field(c->head_log, sizeof(c->head_log), "xff", "x-forwarded-for", f, n);
    log_field(c->head_log, sizeof(c->head_log), "xri", "x-real-ip", f, n);
    log_field(c->head_log, sizeof(c->head_log), "xfp", "x-forwarded-proto", f, n);
    log_field(c->head_log, sizeof(c->head_log), "connection", "connection", f, n);
    log_field(c->head_log, sizeof(c->head_log), "via", "via", f, n);
    log_field(c->head_log, sizeof(c->head_log), "te", "transfer-encoding", f, n);
    log_field(c->head_log, sizeof(c->head_log), "cl", "content-length", f, n);
    log_field(c->head_log, sizeof(c->head_log), "expect", "expect", f, n);
    log_field(c->head_log, sizeof(c->head_log), "upgrade", "upgrade", f, n);
    nl = strlen(c->head_log);
    snprintf(c->head_log + nl, sizeof(c->head_log) - nl, " names=[%s]", names);

    te = find_field(f, n, "transfer-encoding");
    cl = find_field(f, n, "content-length");
    conn = find_field(f, n, "connection");
    expect = find_field(f, n, "expect");
    c->keepalive = minor == 1 ? !has_token(conn, "close")
                              : has_token(conn, "keep-alive");
    c->body = BODY_NONE;
    c->left = 0;
    if (te && last_token_is(te, "chunked")) {
        c->body = BODY_CHUNKED;
        c->ck = CK_SIZE;
    } else if (cl) {
        c->body = BODY_LENGTH;
        c->left = strtoull(cl->value, NULL, 10);
        if (c->left == 0) {
            c->body = BODY_NONE;
        }
    }
    c->chunked_req = c->body == BODY_CHUNKED;
    c->body_len = 0;
    c->trailers[0] = '\0';
    c->echo_len = 0;
    sha256_init(&c->sha);

    snprintf(path, sizeof(path), "%s", c->target);
    q = strchr(path, '?');
    if (q) {
        *q++ = '\0';
    }
    c->flag_close = query_has(q, "close");
    c->flag_once = query_has(q, "once");
    c->flag_no100 = query_has(q, "no100");
    choose(c, path);
    consume(c, hlen);

    if (c->flag_once && c->seq > 1) {
        say("drop %d %u \"%s\"\n", c->port, c->seq, c->line);
        return -1;
    }
    if (c->does == DO_REJECT) {
        finish_request(c, "unread");
        return 0;
    }
    if (strcmp(path, "/100") == 0
        || (expect && has_token(expect, "100-continue") && c->body != BODY_NONE
            && !c->flag_no100)) {
        out_put(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    }
    c->state = ST_BODY;
    return 0;
}

/* ---- request bodies ------------------------------------------------------------- */

static void
body_bytes(conn_t *c, const char *p, size_t n)
{
    sha256_update(&c->sha, p, n);
    c->body_len += n;
    if (c->does == DO_ECHO && n > 0) {     /* memcpy(NULL, .., 0) is UB */
        grow(&c->echo, &c->echo_cap, c->echo_len + n);
        memcpy(c->echo + c->echo_len, p, n);
        c->echo_len += n;
    }
}

/* 1: the body is complete; 0: more to come; -1: malformed. */
static int
read_chunked(conn_t *c)
{
    for ( ;; ) {
        char  *eol;
        size_t n;

        switch (c->ck) {
        case CK_SIZE:
        case CK_TRAILER:
            eol = memchr(c->in, '\n', c->in_len);
            if (eol == NULL) {
                return c->in_len > 16384 ? -1 : 0;
            }
            n = (size_t) (eol - c->in) + 1;
            if (c->ck == CK_SIZE) {
                char *e;

                errno = 0;
                c->left = strtoull(c->in, &e, 16);
                if (e == c->in || errno || (*e != '\r' && *e != '\n' && *e != ';')) {
                    return -1;
                }
                c->ck = c->left ? CK_DATA : CK_TRAILER;
            } else if (n <= 2 && (c->in[0] == '\n' || c->in[0] == '\r')) {
                consume(c, n);
                return 1;
            } else {
                size_t tl = strlen(c->trailers);
                size_t ll = n - 1 - (n >= 2 && eol[-1] == '\r');

                snprintf(c->trailers + tl, sizeof(c->trailers) - tl, "%s%.*s",
                         tl ? " | " : "", (int) ll, c->in);
            }
            consume(c, n);
            break;
        case CK_DATA:
            if (c->in_len == 0) {
                return 0;
            }
            n = c->in_len < c->left ? c->in_len : (size_t) c->left;
            body_bytes(c, c->in, n);
            consume(c, n);
            c->left -= n;
            if (c->left == 0) {
                c->ck = CK_DATA_END;
            }
            break;
        case CK_DATA_END:
            if (c->in_len == 0) {
                return 0;
            }
            if (c->in[0] == '\n') {
                consume(c, 1);
            } else if (c->in_len < 2) {
                return 0;
            } else if (c->in[0] == '\r' && c->in[1] == '\n') {
                consume(c, 2);
            } else {
                return -1;
            }
            c->ck = CK_SIZE;
            break;
        }
    }
}

/* 1: complete; 0: more to come; -1: malformed. */
static int
read_body(conn_t *c)
{
    size_t n;

    switch (c->body) {
    case BODY_NONE:
        return 1;
    case BODY_LENGTH:
        n = c->in_len < c->left ? c->in_len : (size_t) c->left;
        body_bytes(c, c->in, n);
        consume(c, n);
        c->left -= n;
        return c->left == 0;
    default:
        return read_chunked(c);
    }
}

static void
finish_request(conn_t *c, const char *body_note)
{
    char hex[65];

    if (body_note) {
        say("req %s body=%s trailers=[%s]\n", c->head_log, body_note,
            c->trailers);
    } else {
        sha256_hex(&c->sha, hex);
        say("req %s body=%" PRIu64 " sha256=%s trailers=[%s]\n", c->head_log,
            c->body_len, hex, c->trailers);
    }
    if (c->does == DO_DELAY) {
        c->state = ST_DELAY;
        c->wake_ms = now_ms() + c->arg;
        return;
    }
    start_answer(c);
}

/* ---- answers -------------------------------------------------------------------- */

static const char *
reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default:  return "Whatever";
    }
}

/* The status line and our fields; the caller adds framing and the end. */
static void
head_start(conn_t *c, int status)
{
    out_printf(c, "HTTP/1.1 %03d %s\r\nServer: http_origin\r\nX-Origin: %s\r\n",
               status, reason(status), name);
}

/* End the head: Connection: close when the connection ends after. */
static void
head_end_close(conn_t *c)
{
    if (c->close_after) {
        out_put(c, "Connection: close\r\n", 19);
    }
    out_put(c, "\r\n", 2);
}

static void
small_answer(conn_t *c, int status, const char *extra, const char *body)
{
    size_t len = strlen(body);

    head_start(c, status);
    out_printf(c, "%sContent-Type: text/plain\r\nContent-Length: %zu\r\n",
               extra, len);
    head_end_close(c);
    if (!c->is_head) {
        out_put(c, body, len);
    }
}

/* After a complete answer: the next request, or the close. */
static void
answered(conn_t *c)
{
    c->state = c->close_after ? ST_CLOSE : ST_HEAD;
    c->idle_since_ms = now_ms();
}

static void
start_answer(conn_t *c)
{
    char text[2048];
    int  status;

    c->close_after = !c->keepalive || c->flag_close;
    switch (c->does) {
    case DO_LEN:
    case DO_CHUNKED:
    case DO_CLOSE:
        head_start(c, 200);
        out_put(c, "Content-Type: application/octet-stream\r\n", 40);
        c->gen_off = 0;
        c->gen_total = c->arg;
        c->gen_chunks = 0;
        if (c->does == DO_LEN) {
            c->gen = GEN_LEN;
            out_printf(c, "Content-Length: %" PRIu64 "\r\n", c->arg);
        } else if (c->does == DO_CHUNKED) {
            c->gen = GEN_CHUNKED;
            out_put(c, "Transfer-Encoding: chunked\r\n", 28);
        } else {
            c->gen = GEN_CLOSE;
            c->close_after = 1;
        }
        out_put(c, c->close_after && c->does != DO_CLOSE
                   ? "Connection: close\r\n\r\n" : "\r\n",
                c->close_after && c->does != DO_CLOSE ? 21 : 2);
        c->state = ST_GEN;
        if (c->is_head) {
            answered(c);
        }
        return;
    case DO_STATUS:
        status = (int) c->arg;
        if (status == 204 || (status >= 100 && status < 200)) {
            head_start(c, status);
            head_end_close(c);
        } else if (status == 304) {
            head_start(c, status);
            out_put(c, "ETag: \"x\"\r\nContent-Length: 123\r\n", 32);
            head_end_close(c);
        } else {
            snprintf(text, sizeof(text), "status %d\n", status);
            small_answer(c, status, "", text);
        }
        answered(c);
        return;
    case DO_DELAY:
        small_answer(c, 200, "", "delayed\n");
        answered(c);
        return;
    case DO_STALL:
        head_start(c, 200);
        out_printf(c, "Content-Length: %" PRIu64 "\r\n\r\n", 2 * c->arg);
        if (!c->is_head) {
            char *tmp = xrealloc(NULL, c->arg + 1);

            fill_pattern(tmp, 0, c->arg);
            out_put(c, tmp, c->arg);
            free(tmp);
        }
        c->state = ST_STALL;
        return;
    case DO_ECHO:
        head_start(c, 200);
        if (c->chunked_req) {
            out_put(c, "Transfer-Encoding: chunked\r\n", 28);
            head_end_close(c);
            if (!c->is_head) {
                if (c->echo_len) {
                    out_printf(c, "%zx\r\n", c->echo_len);
                    out_put(c, c->echo, c->echo_len);
                    out_put(c, "\r\n", 2);
                }
                out_put(c, "0\r\n\r\n", 5);
            }
        } else {
            out_printf(c, "Content-Length: %zu\r\n", c->echo_len);
            head_end_close(c);
            if (!c->is_head) {
                out_put(c, c->echo, c->echo_len);
            }
        }
        c->echo_len = 0;
        answered(c);
        return;
    case DO_WS:
        if (strstr(c->head_log, " upgrade=[-]") != NULL) {
            c->close_after = 1;
            small_answer(c, 400, "", "no upgrade\n");
            answered(c);
            return;
        }
        head_start(c, 101);
        out_put(c, "Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 43);
        c->state = ST_TUNNEL;
        return;
    case DO_REJECT:
        c->close_after = 1;
        snprintf(text, sizeof(text), "rejected %d\n", (int) c->arg);
        small_answer(c, (int) c->arg, "", text);
        c->state = ST_LINGER;
        c->wake_ms = now_ms() + 3000;
        return;
    case DO_HOP:
        small_answer(c, 200,
                     "Connection: X-Hop\r\nX-Hop: secret\r\n"
                     "Keep-Alive: timeout=9\r\nProxy-Authenticate: Basic\r\n"
                     "Trailer: X-Never\r\nUpgrade: h2c\r\nX-End-To-End: yes\r\n",
                     "hop\n");
        answered(c);
        return;
    default:
        snprintf(text, sizeof(text), "%s %s\n", name, c->target);
        small_answer(c, 200, "", text);
        answered(c);
        return;
    }
}

/* Generate more of a body while the output backlog is small. */
static void
generate(conn_t *c)
{
    static char tmp[GEN_STEP];      /* a chunk is at most 16 KiB, a step GEN_STEP */

    while (c->gen_off < c->gen_total && pending(c) < GEN_STEP) {
        uint64_t n = c->gen_total - c->gen_off;

        if (c->gen == GEN_CHUNKED) {
            /* sizes vary: 1 .. 16 KiB, never aligned to anything */
            uint64_t size = 1 + ((uint64_t) c->gen_chunks * 7919 + 13) % 16384;

            n = n < size ? n : size;
            out_printf(c, "%" PRIx64 "\r\n", n);
        } else if (n > GEN_STEP) {
            n = GEN_STEP;
        }
        fill_pattern(tmp, c->gen_off, n);
        out_put(c, tmp, n);
        if (c->gen == GEN_CHUNKED) {
            out_put(c, "\r\n", 2);
            c->gen_chunks++;
        }
        c->gen_off += n;
    }
    if (c->gen_off < c->gen_total) {
        return;
    }
    if (c->gen == GEN_CHUNKED) {
        out_put(c, "0\r\nX-Checksum: done\r\n\r\n", 23);
    }
    answered(c);
}

/* ---- the loop ------------------------------------------------------------------- */

/* Move the connection on as far as its input allows. 0, or -1: close. */
static int
advance(conn_t *c)
{
    for ( ;; ) {
        size_t hlen;
        int    rc;

        switch (c->state) {
        case ST_HEAD:
            if (c->in_len == 0) {
                return 0;
            }
            hlen = head_end(c->in, c->in_len);
            if (hlen == 0) {
                return c->in_len > MAX_HEAD ? -1 : 0;
            }
            if (take_head(c, hlen) != 0) {
                return -1;
            }
            break;
        case ST_BODY:
            rc = read_body(c);
            if (rc < 0) {
                finish_request(c, "bad");
                return -1;
            }
            if (rc == 0) {
                return 0;
            }
            finish_request(c, NULL);
            break;
        case ST_DELAY:
            if (now_ms() < c->wake_ms) {
                return 0;
            }
            start_answer(c);
            break;
        case ST_GEN:
            generate(c);
            if (c->state == ST_GEN) {
                return 0;
            }
            break;
        case ST_TUNNEL:
            if (c->in_len) {
                out_put(c, c->in, c->in_len);
                c->in_len = 0;
            }
            return 0;
        case ST_LINGER:
            c->in_len = 0;
            return 0;
        default:
            return 0;
        }
    }
}

static int
wants_read(const conn_t *c)
{
    if (c->eof || c->state == ST_CLOSE) {
        return 0;
    }
    if (c->state == ST_LINGER) {
        return 1;
    }
    return pending(c) < OUT_HIGH && c->in_len < 8 * 1024 * 1024;
}

static void
watch(conn_t *c)
{
    struct epoll_event ev = { 0 };

    ev.events = (wants_read(c) ? EPOLLIN : 0) | (pending(c) ? EPOLLOUT : 0);
    ev.data.ptr = c;
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Read, advance, write; 0, or -1 when the connection is to go. */
static int
serve(conn_t *c)
{
    while (wants_read(c)) {
        ssize_t n;

        grow(&c->in, &c->in_cap, c->in_len + READ_SIZE);
        n = recv(c->fd, c->in + c->in_len, READ_SIZE, MSG_DONTWAIT);
        if (n > 0) {
            c->in_len += (size_t) n;
            if (advance(c) != 0) {
                return -1;
            }
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        c->eof = 1;
    }
    if (advance(c) != 0) {
        return -1;
    }
    while (pending(c)) {
        ssize_t n = send(c->fd, c->out + c->out_pos, pending(c),
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            return -1;
        }
        c->out_pos += (size_t) n;
        if (c->state == ST_GEN && pending(c) < GEN_STEP) {
            generate(c);
            if (c->state != ST_GEN && advance(c) != 0) {
                return -1;
            }
        }
    }
    if (pending(c) == 0) {
        if (c->state == ST_CLOSE) {
            return -1;
        }
        if (c->state == ST_LINGER && !c->shut) {
            shutdown(c->fd, SHUT_WR);
            c->shut = 1;
        }
    }
    if (c->eof) {
        if (c->state == ST_BODY) {
            char note[64];

            snprintf(note, sizeof(note), "partial:%" PRIu64, c->body_len);
            finish_request(c, note);
            return -1;
        }
        return pending(c) ? 0 : -1;     /* what is owed still goes */
    }
    return 0;
}

static void
on_timers(void)
{
    uint64_t now = now_ms();
    conn_t  *c, *next;

    for (c = conns; c; c = next) {
        next = c->next;
        if ((c->state == ST_DELAY && now >= c->wake_ms)
            || (c->state == ST_LINGER && now >= c->wake_ms)
            || (idle_ms && c->state == ST_HEAD && c->in_len == 0
                && pending(c) == 0 && now - c->idle_since_ms >= idle_ms)) {
            if (c->state == ST_DELAY) {
                if (serve(c) != 0) {
                    conn_close(c);
                } else {
                    watch(c);
                }
                continue;
            }
            conn_close(c);
        }
    }
}

static int
listen_on(const char *text)
{
    char                    host[128];
    const char             *colon = strrchr(text, ':');
    struct sockaddr_storage ss;
    socklen_t               len;
    int                     fd, one = 1;

    if (colon == NULL || (size_t) (colon - text) >= sizeof(host)) {
        return -1;
    }
    memcpy(host, text, (size_t) (colon - text));
    host[colon - text] = '\0';
    memset(&ss, 0, sizeof(ss));
    if (host[0] == '[') {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ss;

        host[strlen(host) - 1] = '\0';
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t) atoi(colon + 1));
        if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1) {
            return -1;
        }
        len = sizeof(*sin6);
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *) &ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t) atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
            return -1;
        }
        len = sizeof(*sin);
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd == -1) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *) &ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void
accept_all(int lfd)
{
    for ( ;; ) {
        struct sockaddr_storage ss;
        socklen_t               len = sizeof(ss);
        struct epoll_event      ev = { 0 };
        int                     fd, one = 1;
        conn_t                 *c;

        fd = accept4(lfd, (struct sockaddr *) &ss, &len, SOCK_NONBLOCK);
        if (fd == -1) {
            return;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c = calloc(1, sizeof(*c));
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->port = ntohs(ss.ss_family == AF_INET6
                        ? ((struct sockaddr_in6 *) &ss)->sin6_port
                        : ((struct sockaddr_in *) &ss)->sin_port);
        c->state = ST_HEAD;
        c->idle_since_ms = now_ms();
        c->next = conns;
        conns = c;
        say("conn %d\n", c->port);
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
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
    fprintf(stderr, "usage: http_origin [-i NAME] [-k IDLE_MS] [-H FILE] ADDR:PORT...\n"
                    "       http_origin -g N\n");
    return 2;
}

int
main(int argc, char **argv)
{
    int                listeners[MAX_LISTEN], n_listen = 0, opt;
    struct epoll_event ev, events[64];

    while ((opt = getopt(argc, argv, "i:k:g:H:")) != -1) {
        switch (opt) {
        case 'i':
            name = optarg;
            break;
        case 'k':
            idle_ms = strtoull(optarg, NULL, 10);
            break;
        case 'H':
            health_file = optarg;
            break;
        case 'g': {
            uint64_t total = strtoull(optarg, NULL, 10), off = 0;
            char     buf[65536];

            while (off < total) {
                size_t n = total - off < sizeof(buf) ? (size_t) (total - off)
                                                     : sizeof(buf);

                fill_pattern(buf, off, n);
                if (fwrite(buf, 1, n, stdout) != n) {
                    return 1;
                }
                off += n;
            }
            return 0;
        }
        default:
            return usage();
        }
    }
    if (optind >= argc || argc - optind > MAX_LISTEN) {
        return usage();
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    ep = epoll_create1(0);
    for (int i = optind; i < argc; i++) {
        int fd = listen_on(argv[i]);

        if (fd == -1) {
            fprintf(stderr, "http_origin: cannot listen on %s: %s\n", argv[i],
                    strerror(errno));
            return 1;
        }
        listeners[n_listen++] = fd;
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.ptr = NULL;
        ev.data.u64 = (uint64_t) fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    say("ready\n");
    while (!stop) {
        int n = epoll_wait(ep, events, 64, 10);

        for (int i = 0; i < n; i++) {
            int     is_listener = 0;
            conn_t *c;

            for (int l = 0; l < n_listen; l++) {
                if (events[i].data.u64 == (uint64_t) listeners[l]) {
                    accept_all(listeners[l]);
                    is_listener = 1;
                }
            }
            if (is_listener) {
                continue;
            }
            c = events[i].data.ptr;
            if (serve(c) != 0) {
                conn_close(c);
            } else {
                watch(c);
            }
        }
        on_timers();
    }
    return 0;
}
