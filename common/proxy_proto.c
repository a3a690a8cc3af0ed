/*
 * common/proxy_proto.c: PROXY protocol headers (see proxy_proto.h).
 *
 * Both parsers judge the input byte by byte, so that a prefix is refused
 * at the first byte no valid header could have there (a stream without
 * a header, or a garbled one, is closed without waiting for more):
 *
 *   v1  "PROXY " literal ─ token ─┬─ UNKNOWN ─ anything ─ CR LF
 *                                 └─ TCP4/6 ─ src ─ dst ─ sport ─ dport ─ CR LF
 *   v2  signature ─ VER|CMD ─ FAM|TRANSPORT ─ LEN ─ LEN bytes
 *
 * A v1 field that is still arriving is checked as a prefix (IPv4 octets,
 * IPv6 hex groups, port digits and value); once its separator came it is
 * checked whole (inet_pton). Nothing is allocated; a field is copied
 * (at most 45 bytes) only to hand inet_pton a C string.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/core.h"
#include "common/proxy_proto.h"

#define V1_SIG          "PROXY "
#define V1_SIG_LEN      (sizeof(V1_SIG) - 1)
#define V1_IP4_MAX      15              /* 255.255.255.255 */
#define V1_IP6_MAX      45              /* INET6_ADDRSTRLEN - 1 */
#define V1_PORT_MAX     5

#define V2_VERSION      0x2
#define V2_ADDR4_LEN    12
#define V2_ADDR6_LEN    36
#define V2_UNIX_LEN     216

/* \r\n\r\n\0\r\nQUIT\n: no common protocol starts so (spec section 2.2). */
static const uint8_t v2_sig[12] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* The v1 line being read: P[0..END), END at most GW_PROXY_V1_MAX. */
typedef struct v1_cur {
    const char *p;
    size_t      pos;
    size_t      end;
} v1_cur_t;

/* Is S[0..N) the start (or all) of a field? */
typedef int prefix_fn(const char *s, size_t n);

static int parse_v1(const char *buf, size_t len, gw_proxy_result_t *out);
static int parse_v2(const uint8_t *p, size_t len, gw_proxy_result_t *out);

int
gw_proxy_parse(const char *buf, size_t len, gw_proxy_result_t *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0) {
        return 0;
    }
    /* the two signatures differ in their first byte */
    if (buf[0] == V1_SIG[0]) {
        return parse_v1(buf, len, out);
    }
    if ((uint8_t) buf[0] == v2_sig[0]) {
        return parse_v2((const uint8_t *) buf, len, out);
    }
    return GW_PARSE_ERROR;
}

/* ---- v1: prefixes of the fields ------------------------------------------ */

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
token_prefix(const char *s, size_t n)
{
    static const char *const tokens[] = { "TCP4", "TCP6", "UNKNOWN" };

    for (size_t i = 0; i < gw_nelems(tokens); i++) {
        if (n <= strlen(tokens[i]) && memcmp(s, tokens[i], n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Up to four octets 0..255 between single dots, no leading zeros (the
 * spec forbids them: they would read as octal elsewhere). */
static int
ip4_prefix(const char *s, size_t n)
{
    unsigned dots = 0, digits = 0, value = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (digits == 0 || ++dots > 3) {
                return 0;
            }
            digits = value = 0;
        } else if (is_digit(s[i])) {
            if (digits == 1 && value == 0) {
                return 0;
            }
            value = value * 10 + (unsigned) (s[i] - '0');
            if (++digits > 3 || value > 255) {
                return 0;
            }
        } else {
            return 0;
        }
    }
    return 1;
}

/* Hex groups of at most four digits between colons, no ":::"; dots for a
 * trailing dotted quad. inet_pton has the last word on the whole field. */
static int
ip6_prefix(const char *s, size_t n)
{
    unsigned run = 0, colons = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':') {
            if (++colons > 2) {
                return 0;
            }
            run = 0;
        } else if (is_hex(s[i])) {
            if (++run > 4) {
                return 0;
            }
            colons = 0;
        } else if (s[i] == '.') {
            run = colons = 0;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Decimal 0..65535: no sign, no leading zeros, "0" alone is a port. */
static int
port_prefix(const char *s, size_t n)
{
    unsigned value = 0;

    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]) || (i == 1 && s[0] == '0')) {
            return 0;
        }
        value = value * 10 + (unsigned) (s[i] - '0');
        if (value > 65535) {
            return 0;
        }
    }
    return 1;
}

/* ---- v1: the line ---------------------------------------------------------- */

/*
 * A field at the cursor, of at most MAX bytes that OK accepts as they
 * come, ended by STOP (or by CR when STOP2 is '\r'). Returns 1 with the
 * field in *F and the cursor past its separator (*SEP), 0 when the input
 * ends first, -1 for a byte that cannot belong there or an empty field.
 */
static int
v1_field(v1_cur_t *c, prefix_fn *ok, size_t max, char stop, char stop2,
         gw_str_t *f, char *sep)
{
    size_t start = c->pos;

    for (; c->pos < c->end; c->pos++) {
        char ch = c->p[c->pos];

        if (ch == stop || (stop2 != '\0' && ch == stop2)) {
            f->data = c->p + start;
            f->len = c->pos - start;
            *sep = ch;
            c->pos++;
            return f->len > 0 ? 1 : -1;
        }
        if (c->pos + 1 - start > max || !ok(c->p + start, c->pos + 1 - start)) {
            return -1;
        }
    }
    return 0;
}

/* CR LF at the cursor: 1 past them, 0 short of them, -1 otherwise. The
 * CR is already taken when HAVE_CR. */
static int
v1_crlf(v1_cur_t *c, int have_cr)
{
    if (!have_cr) {
        if (c->pos == c->end) {
            return 0;
        }
        if (c->p[c->pos++] != '\r') {
            return -1;
        }
    }
    if (c->pos == c->end) {
        return 0;
    }
    return c->p[c->pos++] == '\n' ? 1 : -1;
}

/* After "UNKNOWN ": anything up to the first CR, which LF must follow. */
static int
v1_skip_line(v1_cur_t *c)
{
    const char *cr = memchr(c->p + c->pos, '\r', c->end - c->pos);

    if (cr == NULL) {
        c->pos = c->end;
        return 0;
    }
    c->pos = (size_t) (cr - c->p) + 1;
    return v1_crlf(c, 1);
}

/* A whole address field F of FAMILY into A. */
static int
v1_addr(gw_str_t f, int family, gw_sockaddr_t *a)
{
    char text[V1_IP6_MAX + 1];
    void *dst = family == AF_INET ? (void *) &a->sin.sin_addr
                                  : (void *) &a->sin6.sin6_addr;

    memcpy(text, f.data, f.len);        /* f.len <= V1_IP6_MAX */
    text[f.len] = '\0';
    a->sa.sa_family = (sa_family_t) family;
    return inet_pton(family, text, dst) == 1 ? 1 : -1;
}

static void
set_port(gw_sockaddr_t *a, uint16_t port)
{
    if (a->sa.sa_family == AF_INET) {
        a->sin.sin_port = htons(port);
    } else {
        a->sin6.sin6_port = htons(port);
    }
}

static uint16_t
v1_port(gw_str_t f)
{
    unsigned v = 0;

    for (size_t i = 0; i < f.len; i++) {
        v = v * 10 + (unsigned) (f.data[i] - '0');
    }
    return (uint16_t) v;                /* <= 65535: port_prefix saw it */
}

/*
 * The TCP4 / TCP6 fields after the token: src dst sport dport CRLF.
 * Each step returns as v1_field does.
 */
static int
v1_tcp(v1_cur_t *c, int family, gw_proxy_result_t *out)
{
    prefix_fn *ip_ok = family == AF_INET ? ip4_prefix : ip6_prefix;
    size_t     ip_max = family == AF_INET ? V1_IP4_MAX : V1_IP6_MAX;
    gw_str_t   f;
    char       sep;
    int        r;

    if ((r = v1_field(c, ip_ok, ip_max, ' ', '\0', &f, &sep)) != 1
        || (r = v1_addr(f, family, &out->src)) != 1
        || (r = v1_field(c, ip_ok, ip_max, ' ', '\0', &f, &sep)) != 1
        || (r = v1_addr(f, family, &out->dst)) != 1
        || (r = v1_field(c, port_prefix, V1_PORT_MAX, ' ', '\0', &f,
                         &sep)) != 1) {
        return r;
    }
    set_port(&out->src, v1_port(f));
    if ((r = v1_field(c, port_prefix, V1_PORT_MAX, '\r', '\0', &f,
                      &sep)) != 1) {
        return r;
    }
    set_port(&out->dst, v1_port(f));
    return v1_crlf(c, 1);
}

static int
parse_v1(const char *buf, size_t len, gw_proxy_result_t *out)
{
    v1_cur_t c = { buf, 0, len < GW_PROXY_V1_MAX ? len : GW_PROXY_V1_MAX };
    gw_str_t tok;
    char     sep;
    int      r;

    for (; c.pos < V1_SIG_LEN; c.pos++) {
        if (c.pos == c.end) {
            return 0;
        }
        if (buf[c.pos] != V1_SIG[c.pos]) {
            return GW_PARSE_ERROR;
        }
    }
    r = v1_field(&c, token_prefix, 7, ' ', '\r', &tok, &sep);
    if (r == 1) {
        if (gw_str_eq(tok, "UNKNOWN")) {
            out->local = 1;
            r = sep == '\r' ? v1_crlf(&c, 1) : v1_skip_line(&c);
        } else if (sep == ' ' && gw_str_eq(tok, "TCP4")) {
            r = v1_tcp(&c, AF_INET, out);
        } else if (sep == ' ' && gw_str_eq(tok, "TCP6")) {
            r = v1_tcp(&c, AF_INET6, out);
        } else {
            r = -1;                     /* "TCP" and such, or TCP4 CR */
        }
    }
    if (r == 1) {
        out->version = 1;
        return (int) c.pos;
    }
    if (r == 0 && len < GW_PROXY_V1_MAX) {
        memset(out, 0, sizeof(*out));
        return 0;
    }
    /* malformed, or no CRLF within 107 bytes (spec section 2.1) */
    memset(out, 0, sizeof(*out));
    return GW_PARSE_ERROR;
}

/* ---- v2 -------------------------------------------------------------------- */

/* The address block a PROXY command's protocol byte needs; -1 for a byte
 * the spec does not list (it says to reject those). */
static int
v2_addr_len(uint8_t fam)
{
    switch (fam) {
    case 0x00:
        return 0;
    case PROXY_V2_FAM_INET << 4 | PROXY_V2_TRANSPORT_STREAM:
    case PROXY_V2_FAM_INET << 4 | PROXY_V2_TRANSPORT_DGRAM:
        return V2_ADDR4_LEN;
    case PROXY_V2_FAM_INET6 << 4 | PROXY_V2_TRANSPORT_STREAM:
    case PROXY_V2_FAM_INET6 << 4 | PROXY_V2_TRANSPORT_DGRAM:
        return V2_ADDR6_LEN;
    case PROXY_V2_FAM_UNIX << 4 | PROXY_V2_TRANSPORT_STREAM:
    case PROXY_V2_FAM_UNIX << 4 | PROXY_V2_TRANSPORT_DGRAM:
        return V2_UNIX_LEN;
    default:
        return -1;
    }
}

/* The addresses at A (src, dst, sport, dport) of family FAM into OUT. */
static void
v2_addrs(const uint8_t *a, unsigned fam, gw_proxy_result_t *out)
{
    if (fam == PROXY_V2_FAM_INET) {
        out->src.sin.sin_family = AF_INET;
        out->dst.sin.sin_family = AF_INET;
        memcpy(&out->src.sin.sin_addr, a, 4);
        memcpy(&out->dst.sin.sin_addr, a + 4, 4);
        memcpy(&out->src.sin.sin_port, a + 8, 2);
        memcpy(&out->dst.sin.sin_port, a + 10, 2);
    } else if (fam == PROXY_V2_FAM_INET6) {
        out->src.sin6.sin6_family = AF_INET6;
        out->dst.sin6.sin6_family = AF_INET6;
        memcpy(&out->src.sin6.sin6_addr, a, 16);
        memcpy(&out->dst.sin6.sin6_addr, a + 16, 16);
        memcpy(&out->src.sin6.sin6_port, a + 32, 2);
        memcpy(&out->dst.sin6.sin6_port, a + 34, 2);
    } else {
        out->local = 1;                 /* UNSPEC, AF_UNIX */
    }
}

static int
parse_v2(const uint8_t *p, size_t len, gw_proxy_result_t *out)
{
    size_t   alen;
    unsigned cmd;
    int      need = 0;

    if (memcmp(p, v2_sig, len < sizeof(v2_sig) ? len : sizeof(v2_sig)) != 0) {
        return GW_PARSE_ERROR;
    }
    if (len < 13) {
        return 0;
    }
    cmd = p[12] & 0x0f;
    if (p[12] >> 4 != V2_VERSION
        || (cmd != PROXY_V2_CMD_LOCAL && cmd != PROXY_V2_CMD_PROXY)) {
        return GW_PARSE_ERROR;
    }
    if (len < 14) {
        return 0;
    }
    /* LOCAL: "discard the protocol block including the family which is
     * ignored" (section 2.2), so any byte 14 goes */
    if (cmd == PROXY_V2_CMD_PROXY && (need = v2_addr_len(p[13])) < 0) {
        return GW_PARSE_ERROR;
    }
    if (len < GW_PROXY_V2_HDR) {
        return 0;
    }
    alen = (size_t) p[14] << 8 | p[15];
    if (alen < (size_t) need || GW_PROXY_V2_HDR + alen > GW_PROXY_V2_MAX) {
        return GW_PARSE_ERROR;
    }
    if (len < GW_PROXY_V2_HDR + alen) {
        return 0;
    }
    out->version = 2;
    if (cmd == PROXY_V2_CMD_LOCAL) {
        out->local = 1;
    } else {
        v2_addrs(p + GW_PROXY_V2_HDR, p[13] >> 4, out);
    }
    return (int) (GW_PROXY_V2_HDR + alen);
}

/* ---- writing ---------------------------------------------------------------- */

static int
is_mapped(const gw_sockaddr_t *a)
{
    return a->sa.sa_family == AF_INET6
           && IN6_IS_ADDR_V4MAPPED(&a->sin6.sin6_addr);
}

/* ::ffff:a.b.c.d:port as a.b.c.d:port. */
static void
unmap(gw_sockaddr_t *a)
{
    struct sockaddr_in sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = a->sin6.sin6_port;
    memcpy(&sin.sin_addr, &a->sin6.sin6_addr.s6_addr[12], 4);
    memset(a, 0, sizeof(*a));
    a->sin = sin;
}

/*
 * SRC and DST into *S and *D with one family (IPv4-mapped addresses
 * unmapped when that makes them agree); AF_INET, AF_INET6, or AF_UNSPEC
 * when they have none in common.
 */
static int
common_family(const gw_sockaddr_t *src, const gw_sockaddr_t *dst,
              gw_sockaddr_t *s, gw_sockaddr_t *d)
{
    if (src == NULL || dst == NULL) {
        return AF_UNSPEC;
    }
    *s = *src;
    *d = *dst;
    if (is_mapped(s) && (is_mapped(d) || d->sa.sa_family == AF_INET)) {
        unmap(s);
    }
    if (is_mapped(d) && s->sa.sa_family == AF_INET) {
        unmap(d);
    }
    if (s->sa.sa_family != d->sa.sa_family
        || (s->sa.sa_family != AF_INET && s->sa.sa_family != AF_INET6)) {
        return AF_UNSPEC;
    }
    return s->sa.sa_family;
}

static size_t
put(char *buf, size_t cap, const void *bytes, size_t n)
{
    if (n > cap) {
        return 0;
    }
    memcpy(buf, bytes, n);
    return n;
}

size_t
gw_proxy_write_v1(char *buf, size_t cap, const gw_sockaddr_t *src,
                  const gw_sockaddr_t *dst)
{
    static const char unknown[] = "PROXY UNKNOWN\r\n";
    char          line[GW_PROXY_V1_MAX + 32];
    char          a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    gw_sockaddr_t s, d;
    int           family = common_family(src, dst, &s, &d), n;

    if (family == AF_UNSPEC) {
        return put(buf, cap, unknown, sizeof(unknown) - 1);
    }
    if (family == AF_INET) {
        inet_ntop(AF_INET, &s.sin.sin_addr, a, sizeof(a));
        inet_ntop(AF_INET, &d.sin.sin_addr, b, sizeof(b));
    } else {
        inet_ntop(AF_INET6, &s.sin6.sin6_addr, a, sizeof(a));
        inet_ntop(AF_INET6, &d.sin6.sin6_addr, b, sizeof(b));
    }
    n = snprintf(line, sizeof(line), "PROXY TCP%c %s %s %u %u\r\n",
                 family == AF_INET ? '4' : '6', a, b,
                 (unsigned) gw_sockaddr_port(&s),
                 (unsigned) gw_sockaddr_port(&d));
    /* inet_ntop writes at most 39 characters for IPv6: 104 bytes */
    if (n < 0 || n > GW_PROXY_V1_MAX) {
        return 0;
    }
    return put(buf, cap, line, (size_t) n);
}

size_t
gw_proxy_write_v2(char *buf, size_t cap, const gw_sockaddr_t *src,
                  const gw_sockaddr_t *dst, int stream)
{
    uint8_t       h[GW_PROXY_V2_HDR + V2_ADDR6_LEN];
    gw_sockaddr_t s, d;
    int           family = common_family(src, dst, &s, &d);
    unsigned      transport = stream ? PROXY_V2_TRANSPORT_STREAM
                                     : PROXY_V2_TRANSPORT_DGRAM;
    size_t        alen = 0;

    memcpy(h, v2_sig, sizeof(v2_sig));
    if (family == AF_UNSPEC) {
        h[12] = V2_VERSION << 4 | PROXY_V2_CMD_LOCAL;
        h[13] = PROXY_V2_FAM_UNSPEC << 4 | PROXY_V2_TRANSPORT_UNSPEC;
    } else if (family == AF_INET) {
        h[12] = V2_VERSION << 4 | PROXY_V2_CMD_PROXY;
        h[13] = (uint8_t) (PROXY_V2_FAM_INET << 4 | transport);
        alen = V2_ADDR4_LEN;
        memcpy(h + 16, &s.sin.sin_addr, 4);
        memcpy(h + 20, &d.sin.sin_addr, 4);
        memcpy(h + 24, &s.sin.sin_port, 2);
        memcpy(h + 26, &d.sin.sin_port, 2);
    } else {
        h[12] = V2_VERSION << 4 | PROXY_V2_CMD_PROXY;
        h[13] = (uint8_t) (PROXY_V2_FAM_INET6 << 4 | transport);
        alen = V2_ADDR6_LEN;
        memcpy(h + 16, &s.sin6.sin6_addr, 16);
        memcpy(h + 32, &d.sin6.sin6_addr, 16);
        memcpy(h + 48, &s.sin6.sin6_port, 2);
        memcpy(h + 50, &d.sin6.sin6_port, 2);
    }
    h[14] = 0;
    h[15] = (uint8_t) alen;
    return put(buf, cap, h, GW_PROXY_V2_HDR + alen);
}
