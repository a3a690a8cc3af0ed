/*
 * test/fuzz/fuzz_socks5.c: the SOCKS5 messages (common/socks5.c) driven
 * as worker/socks5.c drives them.
 *
 * Input: byte 0 splits the client's stream into writes (fuzz_split_init),
 * byte 1 bit 0 says whether the listener has `auth` lines (the server then
 * wants method 0x02, else 0x00), the rest is what the client sends:
 *
 *   greeting, then auth if method 0x02 was chosen, then the request: each
 *   parsed from its first byte every time bytes arrive, in a buffer of
 *   SOCKS5_IN_MAX bytes that is compacted when full, as parse_one() and
 *   read_more() do; then the rest of the stream as UDP ASSOCIATE
 *   datagrams, each a 2-byte big-endian length and its bytes
 *   (gw_socks5_parse_udp).
 *
 * Checks: a parser never returns a length past its input; a message found
 * is exactly that long (its bytes alone give the same answer, one fewer
 * gives GW_PARSE_AGAIN) and bytes past it change nothing; an error stays
 * an error with more bytes; the fields lie inside the message; the
 * handshake gives the same transcript whole and split; replies and UDP
 * headers written for the parsed addresses parse back to them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/socks5.h"
#include "test/fuzz/fuzz_util.h"
#include "worker/socks5_session.h"      /* SOCKS5_IN_MAX */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { GREETING, AUTH, REQUEST };
enum { END_EOF = 1, END_ERROR, END_REFUSED, END_REQUEST };

/* One message found (or refused): its fields as offsets in the message. */
typedef struct step {
    int       phase;
    int       rc;
    size_t    at;               /* where the message starts in the stream */
    unsigned  n_methods;
    long      methods;
    int       method;           /* the server's choice */
    long      user[2], password[2];
    int       cmd, atyp, rep, family;
    unsigned  port;
    uint8_t   ip[16];
    long      name[2];
} step_t;

typedef struct transcript {
    step_t    steps[3];
    unsigned  n;
    int       end;              /* END_* */
    int       phase;            /* at the end */
    size_t    consumed;         /* stream bytes of the messages found */
} transcript_t;

static void
put_slice(long out[2], const char *data, size_t len, const char *base)
{
    out[0] = data ? (long) (data - base) : -1;
    out[1] = (long) len;
}

static void
in_msg(const char *data, size_t len, const char *base, int rc,
       const char *what)
{
    FUZZ_CHECK(data >= base && len <= (size_t) (base + rc - data),
               "%s [%td, +%zu) outside the message of %d bytes", what,
               data - base, len, rc);
}

/* What a reply or UDP header naming A should say: IPv4-mapped IPv6 as
 * IPv4, anything but IPv4 and IPv6 as 0.0.0.0:0. */
static void
expected_addr(const gw_sockaddr_t *a, gw_sockaddr_t *e)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0xff, 0xff };

    memset(e, 0, sizeof(*e));
    e->sin.sin_family = AF_INET;
    if (a && a->sa.sa_family == AF_INET6) {
        if (memcmp(a->sin6.sin6_addr.s6_addr, mapped, 12) == 0) {
            memcpy(&e->sin.sin_addr, a->sin6.sin6_addr.s6_addr + 12, 4);
            e->sin.sin_port = a->sin6.sin6_port;
        } else {
            e->sin6.sin6_family = AF_INET6;
            e->sin6.sin6_addr = a->sin6.sin6_addr;
            e->sin6.sin6_port = a->sin6.sin6_port;
        }
    } else if (a && a->sa.sa_family == AF_INET) {
        e->sin.sin_addr = a->sin.sin_addr;
        e->sin.sin_port = a->sin.sin_port;
    }
}

/* gw_socks5_write_reply, then the reply read back as a request would be. */
static void
check_reply(int rep, const gw_sockaddr_t *bnd)
{
    uint8_t             *out = malloc(GW_SOCKS5_REPLY_MAX);
    gw_socks5_request_t  r;
    gw_sockaddr_t        want;
    size_t               n;
    char                *copy;
    int                  rc;

    if (out == NULL) {
        abort();
    }
    n = gw_socks5_write_reply(out, rep, bnd);
    FUZZ_CHECK(n == 10 || n == 22, "reply of %zu bytes", n);
    copy = fuzz_copy(out, n);
    rc = gw_socks5_parse_request(copy, n, &r);
    expected_addr(bnd, &want);
    FUZZ_CHECK(rc == (int) n && r.cmd == (uint8_t) rep
               && gw_sockaddr_eq(&r.dst.ip, &want)
               && r.dst.port == gw_sockaddr_port(&want),
               "reply %d of %zu bytes reads back as rc %d cmd %d", rep, n,
               rc, r.cmd);
    free(copy);
    free(out);
}

/* gw_socks5_write_udp_header with PAYLOAD after it, read back. */
static void
check_udp_header(const gw_sockaddr_t *from, const char *payload, size_t len)
{
    uint8_t          hdr[GW_SOCKS5_REPLY_MAX];
    gw_socks5_udp_t  u;
    gw_sockaddr_t    want;
    size_t           n = gw_socks5_write_udp_header(hdr, from);
    char            *dgram;
    int              rc;

    FUZZ_CHECK(n == 10 || n == 22, "UDP header of %zu bytes", n);
    dgram = malloc(n + len ? n + len : 1);
    if (dgram == NULL) {
        abort();
    }
    memcpy(dgram, hdr, n);
    if (len) {
        memcpy(dgram + n, payload, len);
    }
    rc = gw_socks5_parse_udp(dgram, n + len, &u);
    expected_addr(from, &want);
    FUZZ_CHECK(rc == 0 && u.frag == 0 && gw_sockaddr_eq(&u.dst.ip, &want)
               && u.data == dgram + n && u.len == len,
               "UDP header of %zu bytes reads back as rc %d", n, rc);
    free(dgram);
}

static void
check_addr(const gw_socks5_addr_t *a, const char *base, int rc,
           size_t addr_at)
{
    switch (a->atyp) {
    case SOCKS5_ATYP_IPV4:
        FUZZ_CHECK(a->ip.sa.sa_family == AF_INET
                   && ntohs(a->ip.sin.sin_port) == a->port
                   && (size_t) rc == addr_at + 7, "IPv4 address");
        break;
    case SOCKS5_ATYP_IPV6:
        FUZZ_CHECK(a->ip.sa.sa_family == AF_INET6
                   && ntohs(a->ip.sin6.sin6_port) == a->port
                   && (size_t) rc == addr_at + 19, "IPv6 address");
        break;
    case SOCKS5_ATYP_DOMAIN:
        in_msg(a->name.data, a->name.len, base, rc, "domain");
        FUZZ_CHECK(a->name.len >= 1 && a->name.len <= 255
                   && a->name.data == base + addr_at + 2
                   && (size_t) rc == addr_at + 4 + a->name.len
                   && memchr(a->name.data, '\0', a->name.len) == NULL,
                   "domain of %zu bytes", a->name.len);
        break;
    default:
        FUZZ_CHECK(0, "address type %d", a->atyp);
    }
}

static int
parse_msg(int phase, const char *p, size_t len, int want, step_t *st)
{
    gw_socks5_greeting_t g;
    gw_socks5_auth_t     a;
    gw_socks5_request_t  r;
    int                  rc;

    memset(&g, 0, sizeof(g));
    memset(&a, 0, sizeof(a));
    memset(st, 0, sizeof(*st));
    st->phase = phase;
    if (phase == GREETING) {
        rc = gw_socks5_parse_greeting(p, len, &g);
        if (rc > 0) {
            FUZZ_CHECK(g.n_methods >= 1 && g.n_methods <= 255
                       && (const char *) g.methods == p + 2
                       && rc == 2 + (int) g.n_methods,
                       "greeting of %d bytes, %u methods", rc, g.n_methods);
            st->n_methods = g.n_methods;
            st->methods = (long) ((const char *) g.methods - p);
            st->method = gw_socks5_offers(&g, want) ? want
                         : SOCKS5_METHOD_UNACCEPTABLE;
            FUZZ_CHECK(gw_socks5_offers(&g, want)
                       == (memchr(p + 2, want, g.n_methods) != NULL),
                       "gw_socks5_offers");
        }
    } else if (phase == AUTH) {
        rc = gw_socks5_parse_auth(p, len, &a);
        if (rc > 0) {
            in_msg(a.user.data, a.user.len, p, rc, "user");
            in_msg(a.password.data, a.password.len, p, rc, "password");
            FUZZ_CHECK(a.user.len >= 1 && a.user.len <= 255
                       && a.password.len <= 255 && a.user.data == p + 2
                       && a.password.data == p + 3 + a.user.len
                       && (size_t) rc == 3 + a.user.len + a.password.len,
                       "auth of %d bytes", rc);
            put_slice(st->user, a.user.data, a.user.len, p);
            put_slice(st->password, a.password.data, a.password.len, p);
        }
    } else {
        rc = gw_socks5_parse_request(p, len, &r);
        if (rc > 0) {
            FUZZ_CHECK(rc <= 262 && r.cmd == (uint8_t) p[1],
                       "request of %d bytes, cmd %d", rc, r.cmd);
            check_addr(&r.dst, p, rc, 3);
            FUZZ_CHECK(gw_socks5_cmd_name(r.cmd) != NULL, "cmd name");
            st->cmd = r.cmd;
            st->atyp = r.dst.atyp;
            st->port = r.dst.port;
            st->family = r.dst.ip.sa.sa_family;
            if (st->family == AF_INET) {
                memcpy(st->ip, &r.dst.ip.sin.sin_addr, 4);
            } else if (st->family == AF_INET6) {
                memcpy(st->ip, &r.dst.ip.sin6.sin6_addr, 16);
            }
            if (r.dst.atyp == SOCKS5_ATYP_DOMAIN) {
                put_slice(st->name, r.dst.name.data, r.dst.name.len, p);
            } else {
                check_reply(SOCKS5_REP_SUCCEEDED, &r.dst.ip);
                check_reply((uint8_t) p[1], &r.dst.ip);
            }
        } else if (rc == GW_PARSE_ERROR) {
            FUZZ_CHECK(r.rep == SOCKS5_REP_GENERAL_FAILURE
                       || r.rep == SOCKS5_REP_ATYP_UNSUPPORTED,
                       "request refused with rep %d", r.rep);
            st->rep = r.rep;
        }
    }
    FUZZ_CHECK(rc == GW_PARSE_AGAIN || rc == GW_PARSE_ERROR
               || (rc > 0 && (size_t) rc <= len),
               "phase %d: %d from %zu bytes", phase, rc, len);
    st->rc = rc;
    return rc;
}

/* The answer for p[0 .. len) agrees with the answer for the message's
 * bytes alone, one fewer, and the whole rest of the stream. */
static void
check_prefixes(int phase, const char *rest, size_t rest_len, int want,
               const step_t *st)
{
    step_t  again;
    char   *copy;
    int     rc;

    if (st->rc > 0) {
        copy = fuzz_copy(rest, (size_t) st->rc);
        parse_msg(phase, copy, (size_t) st->rc, want, &again);
        again.at = st->at;
        FUZZ_CHECK(memcmp(&again, st, sizeof(again)) == 0,
                   "phase %d: its own %d bytes read differently", phase,
                   st->rc);
        rc = parse_msg(phase, copy, (size_t) st->rc - 1, want, &again);
        FUZZ_CHECK(rc == GW_PARSE_AGAIN,
                   "phase %d: %d bytes of a %d-byte message gave %d", phase,
                   st->rc - 1, st->rc, rc);
        free(copy);
    }
    if (st->rc > 0 || st->rc == GW_PARSE_ERROR) {
        copy = fuzz_copy(rest, rest_len);
        parse_msg(phase, copy, rest_len, want, &again);
        again.at = st->at;
        FUZZ_CHECK(memcmp(&again, st, sizeof(again)) == 0,
                   "phase %d: more bytes changed rc %d into %d", phase,
                   st->rc, again.rc);
        free(copy);
    }
}

static void
handshake(const char *s, size_t n, fuzz_split_t *sp, int want,
          transcript_t *t)
{
    char   *in = malloc(SOCKS5_IN_MAX);
    size_t  in_len = 0, in_pos = 0, rd = 0;
    int     phase = GREETING;

    if (in == NULL) {
        abort();
    }
    memset(t, 0, sizeof(*t));
    for ( ;; ) {
        size_t  len = in_len - in_pos, take;
        char   *p = fuzz_copy(in + in_pos, len);
        step_t  st;
        int     rc = parse_msg(phase, p, len, want, &st);

        free(p);
        st.at = rd - len;
        if (rc != GW_PARSE_AGAIN) {
            check_prefixes(phase, s + st.at, n - st.at, want, &st);
            FUZZ_CHECK(t->n < 3, "a fourth message");
            memcpy(&t->steps[t->n++], &st, sizeof(st));
        }
        if (rc > 0) {
            in_pos += (size_t) rc;
            if (phase == GREETING) {
                if (st.method == SOCKS5_METHOD_UNACCEPTABLE) {
                    t->end = END_REFUSED;
                    break;
                }
                phase = st.method == SOCKS5_METHOD_USERPASS ? AUTH : REQUEST;
            } else if (phase == AUTH) {
                phase = REQUEST;
            } else {
                t->end = END_REQUEST;
                break;
            }
            continue;
        }
        if (rc == GW_PARSE_ERROR) {
            t->end = END_ERROR;
            break;
        }
        if (rd == fuzz_split_avail(sp) && !fuzz_split_next(sp)) {
            t->end = END_EOF;
            break;
        }
        if (in_len == SOCKS5_IN_MAX) {      /* read_more() makes room */
            memmove(in, in + in_pos, in_len - in_pos);
            in_len -= in_pos;
            in_pos = 0;
        }
        FUZZ_CHECK(in_len < SOCKS5_IN_MAX, "a message fills in[] (%zu)",
                   in_len);
        take = fuzz_split_avail(sp) - rd;
        take = take < SOCKS5_IN_MAX - in_len ? take : SOCKS5_IN_MAX - in_len;
        memcpy(in + in_len, s + rd, take);
        in_len += take;
        rd += take;
    }
    t->phase = phase;
    t->consumed = rd - (in_len - in_pos);
    free(in);
}

static void
datagrams(const char *s, size_t n)
{
    while (n >= 2) {
        size_t           len = (size_t) ((uint8_t) s[0] << 8 | (uint8_t) s[1]);
        gw_socks5_udp_t  u;
        char            *d;
        int              rc;

        len = len < n - 2 ? len : n - 2;
        d = fuzz_copy(s + 2, len);
        memset(&u, 0xa5, sizeof(u));
        rc = gw_socks5_parse_udp(d, len, &u);
        if (fuzz_verbose()) {
            fprintf(stderr, "  datagram of %zu bytes: rc %d\n", len, rc);
        }
        FUZZ_CHECK(rc == 0 || rc == GW_PARSE_ERROR, "parse_udp: %d", rc);
        FUZZ_CHECK(len >= 4 || rc == GW_PARSE_ERROR,
                   "a datagram of %zu bytes accepted", len);
        if (rc == 0) {
            size_t addr_len;

            FUZZ_CHECK(len >= 4 && u.frag == (uint8_t) d[2]
                       && u.data >= d + 3 && u.data + u.len == d + len,
                       "datagram of %zu bytes: payload [%td, +%zu)", len,
                       u.data - d, u.len);
            addr_len = (size_t) (u.data - d);
            check_addr(&u.dst, d, (int) addr_len, 3);
            if (u.dst.atyp != SOCKS5_ATYP_DOMAIN) {
                check_udp_header(&u.dst.ip, u.data, u.len);
                check_reply(u.frag, &u.dst.ip);
            }
        }
        free(d);
        s += 2 + len;
        n -= 2 + len;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char   *s = (const char *) data + 2;
    size_t        n;
    int           want;
    fuzz_split_t  split, whole;
    transcript_t  a, b;

    if (size < 2) {
        return 0;
    }
    n = size - 2;
    want = (data[1] & 1) ? SOCKS5_METHOD_USERPASS : SOCKS5_METHOD_NONE;
    fuzz_split_whole(&whole, n);
    handshake(s, n, &whole, want, &a);
    fuzz_split_init(&split, data[0], n);
    handshake(s, n, &split, want, &b);
    fuzz_split_free(&whole);
    fuzz_split_free(&split);
    FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0,
               "handshake: %u messages, end %d at %zu whole; %u, end %d at "
               "%zu split", a.n, a.end, a.consumed, b.n, b.end, b.consumed);
    if (fuzz_verbose()) {
        fprintf(stderr, "socks5: %u messages, end %d in phase %d, %zu bytes "
                "consumed\n", a.n, a.end, a.phase, a.consumed);
        for (unsigned i = 0; i < a.n; i++) {
            fprintf(stderr, "  phase %d at %zu: rc %d method %d cmd %d "
                    "atyp %d port %u rep %d\n", a.steps[i].phase,
                    a.steps[i].at, a.steps[i].rc, a.steps[i].method,
                    a.steps[i].cmd, a.steps[i].atyp, a.steps[i].port,
                    a.steps[i].rep);
        }
    }
    check_reply(SOCKS5_REP_GENERAL_FAILURE, NULL);
    datagrams(s + a.consumed, n - a.consumed);
    return 0;
}
