/*
 * common/addr.c: address text forms and CIDR blocks (see addr.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

socklen_t
gw_sockaddr_len(const gw_sockaddr_t *a)
{
    return a->sa.sa_family == AF_INET6 ? sizeof(a->sin6) : sizeof(a->sin);
}

uint16_t
gw_sockaddr_port(const gw_sockaddr_t *a)
{
    return ntohs(a->sa.sa_family == AF_INET6 ? a->sin6.sin6_port
                                             : a->sin.sin_port);
}

int
gw_sockaddr_is_wildcard(const gw_sockaddr_t *a)
{
    if (a->sa.sa_family == AF_INET6) {
        return IN6_IS_ADDR_UNSPECIFIED(&a->sin6.sin6_addr);
    }
    return a->sin.sin_addr.s_addr == htonl(INADDR_ANY);
}

/* The 4 bytes of an IPv4 address, or of an IPv4-mapped IPv6 one; NULL. */
static const uint8_t *
ipv4_bytes(const gw_sockaddr_t *a)
{
    if (a->sa.sa_family == AF_INET) {
        return (const uint8_t *) &a->sin.sin_addr.s_addr;
    }
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6.sin6_addr)) {
        return a->sin6.sin6_addr.s6_addr + 12;
    }
    return NULL;
}

int
gw_sockaddr_same_ip(const gw_sockaddr_t *a, const gw_sockaddr_t *b)
{
    const uint8_t *a4 = ipv4_bytes(a), *b4 = ipv4_bytes(b);

    if (a4 || b4) {
        return a4 && b4 && memcmp(a4, b4, 4) == 0;
    }
    return memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr, 16) == 0;
}

int
gw_sockaddr_eq(const gw_sockaddr_t *a, const gw_sockaddr_t *b)
{
    if (a->sa.sa_family != b->sa.sa_family) {
        return 0;
    }
    if (a->sa.sa_family == AF_INET6) {
        return a->sin6.sin6_port == b->sin6.sin6_port
               && memcmp(&a->sin6.sin6_addr, &b->sin6.sin6_addr, 16) == 0;
    }
    return a->sin.sin_port == b->sin.sin_port
           && a->sin.sin_addr.s_addr == b->sin.sin_addr.s_addr;
}

size_t
gw_sockaddr_format_ip(const gw_sockaddr_t *a, char *buf, size_t size)
{
    const void *src = a->sa.sa_family == AF_INET6
                      ? (const void *) &a->sin6.sin6_addr
                      : (const void *) &a->sin.sin_addr;

    if (size == 0) {
        return 0;
    }
    if (inet_ntop(a->sa.sa_family, src, buf, size) == NULL) {
        snprintf(buf, size, "?");
    }
    return strlen(buf);
}

size_t
gw_sockaddr_format(const gw_sockaddr_t *a, char *buf, size_t size)
{
    char ip[INET6_ADDRSTRLEN];
    int  n;

    gw_sockaddr_format_ip(a, ip, sizeof(ip));
    n = snprintf(buf, size, a->sa.sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
                 ip, gw_sockaddr_port(a));
    if (n < 0) {
        return 0;
    }
    return (size_t) n < size ? (size_t) n : size - 1;
}

size_t
gw_sockaddr_ip_bytes(const gw_sockaddr_t *a, const uint8_t **bytes)
{
    if (a->sa.sa_family == AF_INET6) {
        *bytes = a->sin6.sin6_addr.s6_addr;
        return 16;
    }
    *bytes = (const uint8_t *) &a->sin.sin_addr.s_addr;
    return 4;
}

int
gw_addr_parse_port(const char *text, uint16_t *port)
{
    unsigned long v = 0;

    if (*text == '\0' || strlen(text) > 5) {
        return -1;
    }
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (unsigned long) (*p - '0');
    }
    if (v == 0 || v > 65535) {
        return -1;
    }
    *port = (uint16_t) v;
    return 0;
}

int
gw_addr_parse_ip(const char *host, uint16_t port, gw_sockaddr_t *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, host, &out->sin.sin_addr) == 1) {
        out->sin.sin_family = AF_INET;
        out->sin.sin_port = htons(port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &out->sin6.sin6_addr) == 1) {
        out->sin6.sin6_family = AF_INET6;
        out->sin6.sin6_port = htons(port);
        return 0;
    }
    return -1;
}

int
gw_addr_split(const char *text, char *host, size_t size, uint16_t *port)
{
    const char *colon, *start = text, *end;

    if (*text == '[') {
        end = strchr(text, ']');
        if (end == NULL || end[1] != ':') {
            return -1;
        }
        start = text + 1;
        colon = end + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL || memchr(text, ':', colon - text) != NULL) {
            return -1;      /* a bare IPv6 address needs brackets */
        }
        end = colon;
    }
    if (end == start || (size_t) (end - start) >= size) {
        return -1;
    }
    memcpy(host, start, end - start);
    host[end - start] = '\0';
    return gw_addr_parse_port(colon + 1, port);
}

int
gw_addr_parse_listen(const char *text, gw_sockaddr_t *out)
{
    char     host[INET6_ADDRSTRLEN];
    uint16_t port;

    if (gw_addr_parse_port(text, &port) == 0) {
        return gw_addr_parse_ip("0.0.0.0", port, out);
    }
    if (gw_addr_split(text, host, sizeof(host), &port) != 0) {
        return -1;
    }
    if (text[0] != '[' && strcmp(host, "*") == 0) {
        return gw_addr_parse_ip("0.0.0.0", port, out);
    }
    if (gw_addr_parse_ip(host, port, out) != 0) {
        return -1;
    }
    /* an IPv6 literal outside brackets was refused by gw_addr_split */
    return (out->sa.sa_family == AF_INET6) == (text[0] == '[') ? 0 : -1;
}

static void
clear_host_bits(gw_cidr_t *c)
{
    unsigned len = c->family == AF_INET ? 4 : 16;

    for (unsigned i = 0; i < len; i++) {
        unsigned keep = c->bits > i * 8 ? c->bits - i * 8 : 0;

        if (keep < 8) {
            c->addr[i] &= (uint8_t) (0xff00 >> keep);
        }
    }
}

int
gw_cidr_parse(const char *text, gw_cidr_t *out)
{
    char          ip[INET6_ADDRSTRLEN];
    const char   *slash = strchr(text, '/');
    size_t        iplen = slash ? (size_t) (slash - text) : strlen(text);
    unsigned long bits;
    char         *end;

    memset(out, 0, sizeof(*out));
    if (strcmp(text, "all") == 0) {
        out->family = AF_UNSPEC;
        return 0;
    }
    if (iplen == 0 || iplen >= sizeof(ip)) {
        return -1;
    }
    memcpy(ip, text, iplen);
    ip[iplen] = '\0';
    if (inet_pton(AF_INET, ip, out->addr) == 1) {
        out->family = AF_INET;
    } else if (inet_pton(AF_INET6, ip, out->addr) == 1) {
        out->family = AF_INET6;
    } else {
        return -1;
    }
    bits = out->family == AF_INET ? 32 : 128;
    if (slash) {
        unsigned long max = bits;

        if (slash[1] < '0' || slash[1] > '9') {
            return -1;
        }
        bits = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || bits > max) {
            return -1;
        }
    }
    out->bits = (uint8_t) bits;
    clear_host_bits(out);
    return 0;
}

static int
prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;

    if (memcmp(a, b, whole) != 0) {
        return 0;
    }
    return rest == 0 || ((a[whole] ^ b[whole]) & (0xff00 >> rest) & 0xff) == 0;
}

int
gw_cidr_match(const gw_cidr_t *cidr, const gw_sockaddr_t *a)
{
    const uint8_t *bytes;
    size_t         len;

    if (cidr->family == AF_UNSPEC) {
        return 1;
    }
    len = gw_sockaddr_ip_bytes(a, &bytes);
    if (len == 16 && cidr->family == AF_INET
        && IN6_IS_ADDR_V4MAPPED(&a->sin6.sin6_addr)) {
        bytes += 12;
        len = 4;
    }
    if ((len == 4) != (cidr->family == AF_INET)) {
        return 0;
    }
    return prefix_eq(bytes, cidr->addr, cidr->bits);
}
