/*
 * common/socks5.c: SOCKS5 messages (see socks5.h). Every length from the
 * wire is checked against what arrived before a byte past it is read.
 */
#include <string.h>

#include "common/socks5.h"

/* An address (ATYP onwards) at P; its length, AGAIN, or ERROR (*rep). */
static int
parse_addr(const uint8_t *p, size_t len, gw_socks5_addr_t *a, int *rep)
{
    size_t need;

    memset(a, 0, sizeof(*a));
    if (len < 1) {
        return GW_PARSE_AGAIN;
    }
    a->atyp = p[0];
    switch (a->atyp) {
    case SOCKS5_ATYP_IPV4:
        need = 1 + 4 + 2;
        break;
    case SOCKS5_ATYP_IPV6:
        need = 1 + 16 + 2;
        break;
    case SOCKS5_ATYP_DOMAIN:
        if (len < 2) {
            return GW_PARSE_AGAIN;
        }
        if (p[1] == 0) {
            *rep = SOCKS5_REP_GENERAL_FAILURE;
            return GW_PARSE_ERROR;
        }
        need = 2 + (size_t) p[1] + 2;
        break;
    default:
        *rep = SOCKS5_REP_ATYP_UNSUPPORTED;
        return GW_PARSE_ERROR;
    }
    if (len < need) {
        return GW_PARSE_AGAIN;
    }
    a->port = (uint16_t) (p[need - 2] << 8 | p[need - 1]);
    if (a->atyp == SOCKS5_ATYP_IPV4) {
        a->ip.sin.sin_family = AF_INET;
        memcpy(&a->ip.sin.sin_addr, p + 1, 4);
        a->ip.sin.sin_port = htons(a->port);
    } else if (a->atyp == SOCKS5_ATYP_IPV6) {
        a->ip.sin6.sin6_family = AF_INET6;
        memcpy(&a->ip.sin6.sin6_addr, p + 1, 16);
        a->ip.sin6.sin6_port = htons(a->port);
    } else {
        a->name.data = (const char *) p + 2;
        a->name.len = p[1];
        /* the resolver takes a C string: a NUL would cut the name short
         * and make it another one */
        if (memchr(a->name.data, '\0', a->name.len) != NULL) {
            *rep = SOCKS5_REP_GENERAL_FAILURE;
            return GW_PARSE_ERROR;
        }
    }
    return (int) need;
}

int
gw_socks5_parse_greeting(const char *p, size_t len, gw_socks5_greeting_t *g)
{
    const uint8_t *u = (const uint8_t *) p;

    if (len < 1) {
        return GW_PARSE_AGAIN;
    }
    if (u[0] != GW_SOCKS5_VERSION) {
        return GW_PARSE_ERROR;
    }
    if (len < 2) {
        return GW_PARSE_AGAIN;
    }
    if (u[1] == 0) {
        return GW_PARSE_ERROR;
    }
    if (len < 2 + (size_t) u[1]) {
        return GW_PARSE_AGAIN;
    }
    g->methods = u + 2;
    g->n_methods = u[1];
    return 2 + u[1];
}

int
gw_socks5_offers(const gw_socks5_greeting_t *g, int method)
{
    return memchr(g->methods, method, g->n_methods) != NULL;
}

int
gw_socks5_parse_auth(const char *p, size_t len, gw_socks5_auth_t *a)
{
    const uint8_t *u = (const uint8_t *) p;
    size_t         ulen, plen;

    if (len < 1) {
        return GW_PARSE_AGAIN;
    }
    if (u[0] != GW_SOCKS5_AUTH_VERSION) {
        return GW_PARSE_ERROR;
    }
    if (len < 2) {
        return GW_PARSE_AGAIN;
    }
    ulen = u[1];
    if (ulen == 0) {
        return GW_PARSE_ERROR;
    }
    if (len < 2 + ulen + 1) {
        return GW_PARSE_AGAIN;
    }
    plen = u[2 + ulen];
    if (len < 3 + ulen + plen) {
        return GW_PARSE_AGAIN;
    }
    a->user.data = p + 2;
    a->user.len = ulen;
    a->password.data = p + 3 + ulen;
    a->password.len = plen;
    return (int) (3 + ulen + plen);
}

int
gw_socks5_parse_request(const char *p, size_t len, gw_socks5_request_t *r)
{
    const uint8_t *u = (const uint8_t *) p;
    int            n;

    memset(r, 0, sizeof(*r));
    if (len < 1) {
        return GW_PARSE_AGAIN;
    }
    if (u[0] != GW_SOCKS5_VERSION) {
        r->rep = SOCKS5_REP_GENERAL_FAILURE;
        return GW_PARSE_ERROR;
    }
    if (len < 3) {
        return GW_PARSE_AGAIN;
    }
    r->cmd = u[1];
    /* RSV (u[2]) "MUST be 0x00"; what a client puts there changes
     * nothing, so it is not judged */
    n = parse_addr(u + 3, len - 3, &r->dst, &r->rep);
    return n < 0 ? n : 3 + n;
}

int
gw_socks5_parse_udp(const char *p, size_t len, gw_socks5_udp_t *u)
{
    const uint8_t *b = (const uint8_t *) p;
    int            rep, n;

    memset(u, 0, sizeof(*u));
    if (len < 4) {
        return GW_PARSE_ERROR;
    }
    u->frag = b[2];
    n = parse_addr(b + 3, len - 3, &u->dst, &rep);
    if (n < 0) {
        return GW_PARSE_ERROR;      /* a datagram is whole: AGAIN too */
    }
    u->data = p + 3 + n;
    u->len = len - 3 - (size_t) n;
    return 0;
}

/* ATYP, address and port of A at OUT; their length. */
static size_t
put_addr(uint8_t *out, const gw_sockaddr_t *a)
{
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0xff, 0xff };
    const uint8_t *ip;
    uint16_t       port;

    if (a && a->sa.sa_family == AF_INET6) {
        ip = a->sin6.sin6_addr.s6_addr;
        port = ntohs(a->sin6.sin6_port);
        if (memcmp(ip, mapped, 12) != 0) {
            out[0] = SOCKS5_ATYP_IPV6;
            memcpy(out + 1, ip, 16);
            out[17] = (uint8_t) (port >> 8);
            out[18] = (uint8_t) port;
            return 19;
        }
        ip += 12;           /* an IPv4 client on a dual socket: say IPv4 */
    } else if (a && a->sa.sa_family == AF_INET) {
        ip = (const uint8_t *) &a->sin.sin_addr;
        port = ntohs(a->sin.sin_port);
    } else {
        static const uint8_t zero[4];

        ip = zero;
        port = 0;
    }
    out[0] = SOCKS5_ATYP_IPV4;
    memcpy(out + 1, ip, 4);
    out[5] = (uint8_t) (port >> 8);
    out[6] = (uint8_t) port;
    return 7;
}

size_t
gw_socks5_write_reply(uint8_t *out, int rep, const gw_sockaddr_t *bnd)
{
    out[0] = GW_SOCKS5_VERSION;
    out[1] = (uint8_t) rep;
    out[2] = 0;
    return 3 + put_addr(out + 3, bnd);
}

size_t
gw_socks5_write_udp_header(uint8_t *out, const gw_sockaddr_t *from)
{
    out[0] = out[1] = 0;
    out[2] = 0;                 /* FRAG: a whole datagram */
    return 3 + put_addr(out + 3, from);
}

const char *
gw_socks5_cmd_name(int cmd)
{
    switch (cmd) {
    case SOCKS5_CMD_CONNECT:
        return "CONNECT";
    case SOCKS5_CMD_BIND:
        return "BIND";
    case SOCKS5_CMD_UDP_ASSOCIATE:
        return "UDP_ASSOCIATE";
    default:
        return "UNKNOWN";
    }
}
