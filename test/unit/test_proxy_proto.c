/*
 * test/unit/test_proxy_proto.c: the PROXY protocol codec
 * (common/proxy_proto.h), against HAProxy's proxy-protocol.txt.
 *
 * One table of headers, v1 and v2, valid and hostile. A valid row gives
 * what it says; a refused row gives the shortest prefix that must be
 * refused. Every row is fed, its last byte always right before a
 * PROT_NONE page:
 *
 *   byte by byte   every prefix: 0 (need more) until the answer, which
 *                  comes exactly at the full length (valid) or at the
 *                  refused prefix, and stays -1 for every longer one;
 *   coalesced      with a request, garbage or the same header behind,
 *                  cut at every offset: only the header's length is
 *                  returned, never the bytes behind it.
 *
 * Then the writers: exact bytes, into buffers of exactly their length
 * (and one short: 0, untouched), round trips through the parser for
 * fixed and generated addresses, IPv4-mapped pairs and mixed families.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/core.h"
#include "common/proxy_proto.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

/* Check records every assertion that passes: the loops call it to fail. */
#define EXPECT(cond, ...) \
    do { \
        if (!(cond)) { \
            ck_abort_msg(__VA_ARGS__); \
        } \
    } while (0)

#define IN(s)       .in = (s), .len = sizeof(s) - 1
#define ERR_AT(s)   .err_at = sizeof(s) - 1     /* s: the refused prefix */
#define ERR_N(n)    .err_at = (n)

/* The spec's v2 signature, and a v2 header's bytes 13..16. */
#define SIG         "\r\n\r\n\0\r\nQUIT\n"
#define V2(vc, fam, hi, lo) SIG vc fam hi lo

enum { LOCAL = 1 };

typedef struct pcase {
    const char *name;
    const char *in;
    size_t      len;
    size_t      err_at;     /* 0: valid, the header is all of IN */
    int         version;
    int         local;
    const char *src;        /* !local: addresses as text, and ports */
    const char *dst;
    unsigned    sport;
    unsigned    dport;
    size_t      lit;        /* IN's bytes when fewer than len (zeros after) */
} pcase_t;

static const char *const behind[] = {
    "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    "\r\n",
    "PROXY TCP4 9.9.9.9 9.9.9.9 9 9\r\n",
};

/* ---- the table ------------------------------------------------------------ */

/* 14 + 91 + 2 = 107 bytes, and one more. */
#define FILL91 \
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define FFFF8 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

/* 12 address bytes: 192.168.0.1 -> 192.168.0.11, 56324 -> 443 */
#define A4 "\xc0\xa8\x00\x01" "\xc0\xa8\x00\x0b" "\xdc\x04" "\x01\xbb"
/* 36: 2001:db8::1 -> 2001:db8::2, 1234 -> 80 */
#define A6 "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" \
           "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02" "\x04\xd2" "\x00\x50"
#define Z12 "\0\0\0\0\0\0\0\0\0\0\0\0"
#define Z36 Z12 Z12 Z12
#define Z216 Z36 Z36 Z36 Z36 Z36 Z36

static const pcase_t cases[] = {
    /* v1, from the spec */
    { "v1 spec example", IN("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
      .version = 1, .src = "192.168.0.1", .dst = "192.168.0.11",
      .sport = 56324, .dport = 443 },
    { "v1 longest TCP4",
      IN("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"),
      .version = 1, .src = "255.255.255.255", .dst = "255.255.255.255",
      .sport = 65535, .dport = 65535 },
    { "v1 longest TCP6 (104 bytes)",
      IN("PROXY TCP6 " FFFF8 " " FFFF8 " 65535 65535\r\n"),
      .version = 1, .src = FFFF8, .dst = FFFF8, .sport = 65535,
      .dport = 65535 },
    { "v1 TCP6 short forms",
      IN("PROXY TCP6 ::1 2001:DB8::a 0 1\r\n"),
      .version = 1, .src = "::1", .dst = "2001:db8::a", .sport = 0,
      .dport = 1 },
    { "v1 TCP6 mapped, dotted", IN("PROXY TCP6 ::ffff:10.0.0.1 :: 80 8080\r\n"),
      .version = 1, .src = "::ffff:10.0.0.1", .dst = "::", .sport = 80,
      .dport = 8080 },
    { "v1 zeros", IN("PROXY TCP4 0.0.0.0 10.0.0.0 0 0\r\n"),
      .version = 1, .src = "0.0.0.0", .dst = "10.0.0.0" },
    { "v1 UNKNOWN short", IN("PROXY UNKNOWN\r\n"), .version = 1,
      .local = LOCAL },
    { "v1 UNKNOWN with addresses",
      IN("PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n"), .version = 1,
      .local = LOCAL },
    { "v1 UNKNOWN anything, bare LF inside",
      IN("PROXY UNKNOWN  \t\n\x01\xff whatever\r\n"), .version = 1,
      .local = LOCAL },
    { "v1 UNKNOWN worst case (107 bytes)",
      IN("PROXY UNKNOWN " FFFF8 " " FFFF8 " 65535 65535\r\n"),
      .version = 1, .local = LOCAL },
    { "v1 UNKNOWN 107 bytes", IN("PROXY UNKNOWN " FILL91 "\r\n"),
      .version = 1, .local = LOCAL },

    /* v1, refused */
    { "HTTP request", IN("GET / HTTP/1.1\r\n\r\n"), ERR_AT("G") },
    { "TLS ClientHello", IN("\x16\x03\x01\x02\x00\x01"), ERR_AT("\x16") },
    { "SSH banner", IN("SSH-2.0-OpenSSH\r\n"), ERR_AT("S") },
    { "lower case proxy", IN("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
      ERR_AT("p") },
    { "PROXY then CRLF", IN("PROXY\r\n"), ERR_AT("PROXY\r") },
    { "PRO garbage", IN("PROXZ "), ERR_AT("PROXZ") },
    { "LF without CR", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n") },
    { "CR without LF", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX") },
    { "CR CR LF", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r") },
    { "UNKNOWN, no CRLF within 107 bytes",
      IN("PROXY UNKNOWN " FILL91 "x\r\n"), ERR_N(GW_PROXY_V1_MAX) },
    { "UNKNOWN, 200 bytes of text",
      IN("PROXY UNKNOWN " FILL91 FILL91 "xxxxxxxxxxxxxxxxxx\r\n"),
      ERR_N(GW_PROXY_V1_MAX) },
    { "UNKNOWN, CR then junk", IN("PROXY UNKNOWN a\rb\r\n"),
      ERR_AT("PROXY UNKNOWN a\rb") },
    { "UNKNOWN with LF only", IN("PROXY UNKNOWN\n"),
      ERR_AT("PROXY UNKNOWN\n") },
    { "UNKNOWNX", IN("PROXY UNKNOWNX\r\n"), ERR_AT("PROXY UNKNOWNX") },
    { "UNKNOWN lower case", IN("PROXY unknown\r\n"), ERR_AT("PROXY u") },
    { "TCP5", IN("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"), ERR_AT("PROXY TCP5") },
    { "UDP4", IN("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), ERR_AT("PROXY UD") },
    { "TCP alone", IN("PROXY TCP 1.2.3.4 5.6.7.8 1 2\r\n"), ERR_AT("PROXY TCP ") },
    { "TCP4 then CRLF", IN("PROXY TCP4\r\n"), ERR_AT("PROXY TCP4\r") },
    { "TCP4, addresses missing", IN("PROXY TCP4 \r\n"),
      ERR_AT("PROXY TCP4 \r") },
    { "two spaces after PROXY", IN("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY  ") },
    { "two spaces before src", IN("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4  ") },
    { "two spaces before dst", IN("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4  ") },
    { "two spaces before sport", IN("PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8  ") },
    { "two spaces before dport", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1  ") },
    { "space before CRLF", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ") },
    { "tab separator", IN("PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4\t") },
    { "dport missing", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1\r") },
    { "one field too many", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ") },
    { "octet 256", IN("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.256") },
    { "octet 1000", IN("PROXY TCP4 1000.2.3.4 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 1000") },
    { "leading zero in an octet", IN("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.04") },
    { "five octets", IN("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4.") },
    { "three octets", IN("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3 ") },
    { "empty octet", IN("PROXY TCP4 1..3.4 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 1..") },
    { "dot at the end", IN("PROXY TCP4 1.2.3. 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3. ") },
    { "a name for an address", IN("PROXY TCP4 localhost 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 l") },
    { "bad dst", IN("PROXY TCP4 1.2.3.4 5.6.7.8x 1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8x") },
    { "TCP4 with IPv6 addresses", IN("PROXY TCP4 ::1 ::2 1 2\r\n"),
      ERR_AT("PROXY TCP4 :") },
    { "TCP6 with IPv4 addresses", IN("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP6 1.2.3.4 ") },
    { "TCP6 with an IPv4 dst", IN("PROXY TCP6 ::1 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP6 ::1 5.6.7.8 ") },
    { "IPv6 five hex digits", IN("PROXY TCP6 2001:0db80::1 ::2 1 2\r\n"),
      ERR_AT("PROXY TCP6 2001:0db80") },
    { "IPv6 :::", IN("PROXY TCP6 :::1 ::2 1 2\r\n"), ERR_AT("PROXY TCP6 :::") },
    { "IPv6 two ::", IN("PROXY TCP6 1::2::3 ::2 1 2\r\n"),
      ERR_AT("PROXY TCP6 1::2::3 ") },
    { "IPv6 zone", IN("PROXY TCP6 fe80::1%eth0 ::2 1 2\r\n"),
      ERR_AT("PROXY TCP6 fe80::1%") },
    { "IPv6 brackets", IN("PROXY TCP6 [::1] ::2 1 2\r\n"),
      ERR_AT("PROXY TCP6 [") },
    { "IPv6 too long", IN("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::2 1 2\r\n"),
      ERR_AT("PROXY TCP6 1:2:3:4:5:6:7:8:9 ") },
    { "sport 65536", IN("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 65536") },
    { "dport 65536", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536") },
    { "dport 99999", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999") },
    { "dport six digits", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000") },
    { "port leading zero", IN("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 08") },
    { "port 00", IN("PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 00") },
    { "port +1", IN("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 +") },
    { "port -1", IN("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 -") },
    { "port hex", IN("PROXY TCP4 1.2.3.4 5.6.7.8 0x50 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4 5.6.7.8 0x") },
    { "NUL in a field", IN("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n"),
      ERR_AT("PROXY TCP4 1.2.3.4\0") },

    /* v2 */
    { "v2 TCP4", IN(V2("\x21", "\x11", "\x00", "\x0c") A4), .version = 2,
      .src = "192.168.0.1", .dst = "192.168.0.11", .sport = 56324,
      .dport = 443 },
    { "v2 UDP4", IN(V2("\x21", "\x12", "\x00", "\x0c") A4), .version = 2,
      .src = "192.168.0.1", .dst = "192.168.0.11", .sport = 56324,
      .dport = 443 },
    { "v2 TCP6", IN(V2("\x21", "\x21", "\x00", "\x24") A6), .version = 2,
      .src = "2001:db8::1", .dst = "2001:db8::2", .sport = 1234,
      .dport = 80 },
    { "v2 UDP6", IN(V2("\x21", "\x22", "\x00", "\x24") A6), .version = 2,
      .src = "2001:db8::1", .dst = "2001:db8::2", .sport = 1234,
      .dport = 80 },
    { "v2 TCP4 with TLVs (ALPN, NOOP)",
      IN(V2("\x21", "\x11", "\x00", "\x1c") A4 "\x01\x00\x02" "h2"
         "\x04\x00\x05" "\0\0\0\0\0" "\x05\x00\x00"),
      .version = 2, .src = "192.168.0.1", .dst = "192.168.0.11",
      .sport = 56324, .dport = 443 },
    { "v2 TCP6 with a 481-byte NOOP TLV (the longest header we take)",
      .in = V2("\x21", "\x21", "\x02", "\x08") A6 "\x04\x01\xe1",
      .lit = 16 + 36 + 3, .len = GW_PROXY_V2_MAX, .version = 2, .src = "2001:db8::1",
      .dst = "2001:db8::2", .sport = 1234, .dport = 80 },
    { "v2 LOCAL", IN(V2("\x20", "\x00", "\x00", "\x00")), .version = 2,
      .local = LOCAL },
    { "v2 LOCAL with addresses (skipped)",
      IN(V2("\x20", "\x11", "\x00", "\x0c") A4), .version = 2,
      .local = LOCAL },
    { "v2 LOCAL ignores the family byte",
      IN(V2("\x20", "\xff", "\x00", "\x00")), .version = 2, .local = LOCAL },
    { "v2 PROXY UNSPEC", IN(V2("\x21", "\x00", "\x00", "\x00")),
      .version = 2, .local = LOCAL },
    { "v2 PROXY UNSPEC with bytes", IN(V2("\x21", "\x00", "\x00", "\x03")
                                       "abc"),
      .version = 2, .local = LOCAL },
    { "v2 AF_UNIX stream", IN(V2("\x21", "\x31", "\x00", "\xd8") Z216),
      .version = 2, .local = LOCAL },
    { "v2 AF_UNIX dgram", IN(V2("\x21", "\x32", "\x00", "\xd8") Z216),
      .version = 2, .local = LOCAL },

    /* v2, refused */
    { "v2 signature, byte 5 wrong", IN("\r\n\r\n\x01\r\nQUIT\n\x21\x11\0\x0c"),
      ERR_N(5) },
    { "v2 signature, last byte wrong", IN("\r\n\r\n\0\r\nQUIT\r\x21\x11\0\x0c"),
      ERR_N(12) },
    { "CRLF CRLF then a request", IN("\r\n\r\nGET / HTTP/1.0\r\n"), ERR_N(5) },
    { "v2 version 1", IN(V2("\x11", "\x11", "\x00", "\x0c") A4), ERR_N(13) },
    { "v2 version 3", IN(V2("\x31", "\x11", "\x00", "\x0c") A4), ERR_N(13) },
    { "v2 version 0", IN(V2("\x01", "\x11", "\x00", "\x0c") A4), ERR_N(13) },
    { "v2 command 2", IN(V2("\x22", "\x11", "\x00", "\x0c") A4), ERR_N(13) },
    { "v2 command 15", IN(V2("\x2f", "\x11", "\x00", "\x0c") A4), ERR_N(13) },
    { "v2 family 4", IN(V2("\x21", "\x41", "\x00", "\x0c") A4), ERR_N(14) },
    { "v2 transport 3", IN(V2("\x21", "\x13", "\x00", "\x0c") A4), ERR_N(14) },
    { "v2 INET, transport UNSPEC", IN(V2("\x21", "\x10", "\x00", "\x0c") A4),
      ERR_N(14) },
    { "v2 UNSPEC, transport STREAM", IN(V2("\x21", "\x01", "\x00", "\x00")),
      ERR_N(14) },
    { "v2 TCP4, length 11", IN(V2("\x21", "\x11", "\x00", "\x0b") A4),
      ERR_N(16) },
    { "v2 TCP4, length 0", IN(V2("\x21", "\x11", "\x00", "\x00") A4),
      ERR_N(16) },
    { "v2 TCP6, length 35", IN(V2("\x21", "\x21", "\x00", "\x23") A6),
      ERR_N(16) },
    { "v2 TCP6, length 12", IN(V2("\x21", "\x21", "\x00", "\x0c") A6),
      ERR_N(16) },
    { "v2 AF_UNIX, length 215", IN(V2("\x21", "\x31", "\x00", "\xd7") Z216),
      ERR_N(16) },
    { "v2 length one past our bound", IN(V2("\x21", "\x11", "\x02", "\x09")
                                         A4), ERR_N(16) },
    { "v2 length 65535", IN(V2("\x21", "\x11", "\xff", "\xff") A4),
      ERR_N(16) },
    { "v2 LOCAL, length 65535", IN(V2("\x20", "\x00", "\xff", "\xff")),
      ERR_N(16) },
};

/* ---- feeding -------------------------------------------------------------- */

static void
expect_addr(const char *name, const char *which, const gw_sockaddr_t *a,
            const char *ip, unsigned port)
{
    gw_sockaddr_t want;

    EXPECT(gw_addr_parse_ip(ip, (uint16_t) port, &want) == 0,
           "%s: bad test address %s", name, ip);
    EXPECT(gw_sockaddr_eq(a, &want), "%s: %s is not %s port %u (family %d, "
           "port %u)", name, which, ip, port, a->sa.sa_family,
           (unsigned) gw_sockaddr_port(a));
}

/* R came from the whole header C->in (and maybe more behind it). */
static void
expect_ok(const pcase_t *c, const char *mode, int r,
          const gw_proxy_result_t *o)
{
    gw_sockaddr_t zero;

    EXPECT(r == (int) c->len, "%s (%s): %d, want the length %zu", c->name,
           mode, r, c->len);
    EXPECT(o->version == c->version, "%s (%s): version %d", c->name, mode,
           o->version);
    EXPECT(o->local == (unsigned) c->local, "%s (%s): local %u", c->name,
           mode, o->local);
    if (c->local) {
        memset(&zero, 0, sizeof(zero));
        EXPECT(memcmp(&o->src, &zero, sizeof(zero)) == 0
               && memcmp(&o->dst, &zero, sizeof(zero)) == 0,
               "%s (%s): addresses set on a local header", c->name, mode);
        return;
    }
    expect_addr(c->name, "src", &o->src, c->src, c->sport);
    expect_addr(c->name, "dst", &o->dst, c->dst, c->dport);
}

static int
parse(const char *p, size_t len, gw_proxy_result_t *o)
{
    memset(o, 0x5a, sizeof(*o));        /* whatever it says, it has set */
    return gw_proxy_parse(p, len, o);
}

/* The first K bytes of C->in gave R. */
static void
expect_prefix(const pcase_t *c, const char *mode, size_t k, int r,
              const gw_proxy_result_t *o)
{
    size_t answer = c->err_at ? c->err_at : c->len;

    if (k < answer) {
        EXPECT(r == 0, "%s (%s): %zu of %zu bytes gave %d, want 0",
               c->name, mode, k, c->len, r);
    } else if (c->err_at) {
        EXPECT(r == GW_PARSE_ERROR, "%s (%s): %zu bytes gave %d, want -1 "
               "from %zu", c->name, mode, k, r, c->err_at);
    } else {
        expect_ok(c, mode, r, o);
        return;
    }
    EXPECT(o->version == 0 && o->local == 0, "%s (%s): result not cleared",
           c->name, mode);
}

static void
run_case(const pcase_t *c)
{
    size_t            cap = c->len + 64;
    char             *all = calloc(1, cap), *buf, mode[64];
    ut_guard_t        g;
    gw_proxy_result_t o;
    int               r;

    ck_assert_ptr_nonnull(all);
    ck_assert_uint_le(c->len, GW_PROXY_V2_MAX);
    /* the longest-TLV row is zeros past its literal part */
    memcpy(all, c->in, c->lit ? c->lit : c->len);
    ut_guard_new(&g, all, cap);

    /* every prefix, the whole, and (for refused rows) everything after */
    for (size_t k = 0; k <= c->len; k++) {
        snprintf(mode, sizeof(mode), "prefix of %zu", k);
        buf = ut_guard_put(&g, all, k);
        r = parse(buf, k, &o);
        expect_prefix(c, mode, k, r, &o);
    }

    /* coalesced: more behind, the stream cut at every offset */
    for (size_t b = 0; b < gw_nelems(behind); b++) {
        size_t n = c->len + strlen(behind[b]);

        ck_assert_uint_le(n, cap);
        memcpy(all + c->len, behind[b], strlen(behind[b]));
        for (size_t k = 0; k <= n; k++) {
            snprintf(mode, sizeof(mode), "behind %zu, %zu of %zu", b, k, n);
            buf = ut_guard_put(&g, all, k);
            r = parse(buf, k, &o);
            expect_prefix(c, mode, k < c->len ? k : c->len, r, &o);
        }
    }
    ut_guard_free(&g);
    free(all);
}

START_TEST(test_proxy_parse)
{
    const pcase_t *c = &cases[_i];

    ck_assert_msg(c->err_at <= c->len, "%s: err_at past the input", c->name);
    run_case(c);
}
END_TEST

/* Prefixes that are AGAIN at every length, however long the input is. */
START_TEST(test_proxy_parse_again)
{
    static const struct {
        const char *in;
        size_t      len;        /* 0: strlen */
    } prefixes[] = {
        { "P", 0 }, { "PROXY", 0 }, { "PROXY ", 0 }, { "PROXY T", 0 },
        { "PROXY TCP4", 0 }, { "PROXY TCP4 ", 0 }, { "PROXY TCP4 1", 0 },
        { "PROXY TCP4 1.2.3.4", 0 }, { "PROXY TCP4 1.2.3.4 5.6.7.8 ", 0 },
        { "PROXY TCP4 1.2.3.4 5.6.7.8 1 6553", 0 },
        { "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", 0 }, { "PROXY TCP6 ::", 0 },
        { "PROXY TCP6 ::ffff:1.2.", 0 }, { "PROXY UNKNOWN", 0 },
        { "PROXY UNKNOWN\r", 0 }, { "PROXY UNKNOWN junk", 0 }, { "\r", 0 },
        { SIG, 5 }, { SIG, 12 }, { SIG "\x21", 13 }, { SIG "\x21\x11", 14 },
        { SIG "\x21\x11\x00", 15 }, { SIG "\x21\x11\x00\x0c", 16 },
    };
    gw_proxy_result_t o;
    ut_guard_t        g;

    for (size_t i = 0; i < gw_nelems(prefixes); i++) {
        size_t len = prefixes[i].len ? prefixes[i].len
                                     : strlen(prefixes[i].in);
        char  *buf = ut_guard_new(&g, prefixes[i].in, len);

        ck_assert_msg(parse(buf, len, &o) == 0, "prefix %zu (%zu bytes)", i,
                      len);
        ut_guard_free(&g);
    }
    ck_assert_int_eq(gw_proxy_parse("", 0, &o), 0);
}
END_TEST

/* A v2 header of 16 + LEN bytes (LEN past the bound) fails at byte 16,
 * not after LEN bytes came: the peek buffer never has to hold it. */
START_TEST(test_proxy_parse_bound)
{
    char              h[GW_PROXY_V2_MAX + 1];
    gw_proxy_result_t o;

    memset(h, 0, sizeof(h));
    memcpy(h, SIG "\x21\x11", 14);
    for (unsigned alen = 0; alen <= 0xffff; alen++) {
        int r;

        h[14] = (char) (alen >> 8);
        h[15] = (char) alen;
        r = gw_proxy_parse(h, GW_PROXY_V2_HDR, &o);
        if (alen < 12 || alen > GW_PROXY_V2_MAX - GW_PROXY_V2_HDR) {
            EXPECT(r == -1, "length %u: %d", alen, r);
        } else {
            EXPECT(r == 0, "length %u, 16 bytes: %d", alen, r);
            r = gw_proxy_parse(h, GW_PROXY_V2_HDR + alen, &o);
            EXPECT(r == (int) (GW_PROXY_V2_HDR + alen), "length %u: %d", alen,
                   r);
        }
    }
}
END_TEST

/* Every byte at the first position after "PROXY TCP4 1.2.3.4 " and after
 * the v2 signature: the parser accepts exactly the bytes the grammar has. */
START_TEST(test_proxy_parse_every_byte)
{
    gw_proxy_result_t o;
    char              h[32];

    for (int b = 0; b < 256; b++) {
        int r, want;

        memcpy(h, "PROXY TCP4 1.2.3.4 ", 19);
        h[19] = (char) b;
        r = gw_proxy_parse(h, 20, &o);
        want = b >= '0' && b <= '9' ? 0 : -1;   /* "0" starts 0.x.y.z */
        EXPECT(r == want, "byte 0x%02x after src: %d", b, r);

        memcpy(h, SIG, 12);
        h[12] = (char) b;
        r = gw_proxy_parse(h, 13, &o);
        EXPECT(r == (b == 0x20 || b == 0x21 ? 0 : -1), "VER|CMD 0x%02x: %d",
               b, r);

        h[12] = 0x21;
        h[13] = (char) b;
        r = gw_proxy_parse(h, 14, &o);
        want = b == 0x00 || b == 0x11 || b == 0x12 || b == 0x21 || b == 0x22
               || b == 0x31 || b == 0x32 ? 0 : -1;
        EXPECT(r == want, "PROXY FAM 0x%02x: %d", b, r);

        h[12] = 0x20;
        EXPECT(gw_proxy_parse(h, 14, &o) == 0, "LOCAL FAM 0x%02x", b);
    }
}
END_TEST

/* ---- writing --------------------------------------------------------------- */

static gw_sockaddr_t
ip(const char *text, unsigned port)
{
    gw_sockaddr_t a;

    ck_assert_int_eq(gw_addr_parse_ip(text, (uint16_t) port, &a), 0);
    return a;
}

typedef struct wcase {
    const char *name;
    const char *src;        /* NULL: no address; "unix": AF_UNIX */
    unsigned    sport;
    const char *dst;
    unsigned    dport;
    const char *v1;         /* the exact line */
    const char *v2;         /* the exact header, stream */
    size_t      v2_len;
    const char *psrc;       /* what the parser gives back (NULL: local) */
    const char *pdst;
} wcase_t;

#define W2(s) .v2 = (s), .v2_len = sizeof(s) - 1

static const wcase_t writes[] = {
    { "IPv4", "192.168.0.1", 56324, "192.168.0.11", 443,
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
      W2(V2("\x21", "\x11", "\x00", "\x0c") A4),
      "192.168.0.1", "192.168.0.11" },
    { "IPv6", "2001:db8::1", 1234, "2001:db8::2", 80,
      "PROXY TCP6 2001:db8::1 2001:db8::2 1234 80\r\n",
      W2(V2("\x21", "\x21", "\x00", "\x24") A6), "2001:db8::1",
      "2001:db8::2" },
    { "longest IPv4", "255.255.255.255", 65535, "255.255.255.255", 65535,
      "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
      W2(V2("\x21", "\x11", "\x00", "\x0c") "\xff\xff\xff\xff\xff\xff\xff\xff"
         "\xff\xff\xff\xff"), "255.255.255.255", "255.255.255.255" },
    { "longest IPv6", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535,
      FFFF8, 0,
      "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe " FFFF8
      " 65535 0\r\n",
      W2(V2("\x21", "\x21", "\x00", "\x24")
         "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe"
         "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
         "\xff\xff\x00\x00"),
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", FFFF8 },
    { "mapped client, IPv4 listener", "::ffff:10.0.0.1", 5000, "10.0.0.2", 80,
      "PROXY TCP4 10.0.0.1 10.0.0.2 5000 80\r\n",
      W2(V2("\x21", "\x11", "\x00", "\x0c") "\x0a\0\0\x01\x0a\0\0\x02"
         "\x13\x88\x00\x50"), "10.0.0.1", "10.0.0.2" },
    { "IPv4 client, mapped listener", "10.0.0.1", 5000, "::ffff:10.0.0.2", 80,
      "PROXY TCP4 10.0.0.1 10.0.0.2 5000 80\r\n",
      W2(V2("\x21", "\x11", "\x00", "\x0c") "\x0a\0\0\x01\x0a\0\0\x02"
         "\x13\x88\x00\x50"), "10.0.0.1", "10.0.0.2" },
    { "both mapped (dual-stack socket)", "::ffff:10.0.0.1", 5000,
      "::ffff:10.0.0.2", 80, "PROXY TCP4 10.0.0.1 10.0.0.2 5000 80\r\n",
      W2(V2("\x21", "\x11", "\x00", "\x0c") "\x0a\0\0\x01\x0a\0\0\x02"
         "\x13\x88\x00\x50"), "10.0.0.1", "10.0.0.2" },
    { "mapped beside real IPv6", "::ffff:10.0.0.1", 5000, "::1", 80,
      "PROXY TCP6 ::ffff:10.0.0.1 ::1 5000 80\r\n",
      W2(V2("\x21", "\x21", "\x00", "\x24")
         "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\0\0\x01"
         "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01" "\x13\x88\x00\x50"),
      "::ffff:10.0.0.1", "::1" },
    { "IPv4 to IPv6", "10.0.0.1", 1, "::1", 2, "PROXY UNKNOWN\r\n",
      W2(V2("\x20", "\x00", "\x00", "\x00")), NULL, NULL },
    { "IPv6 to IPv4", "::1", 1, "10.0.0.1", 2, "PROXY UNKNOWN\r\n",
      W2(V2("\x20", "\x00", "\x00", "\x00")), NULL, NULL },
    { "AF_UNIX", "unix", 0, "unix", 0, "PROXY UNKNOWN\r\n",
      W2(V2("\x20", "\x00", "\x00", "\x00")), NULL, NULL },
    { "no source", NULL, 0, "10.0.0.1", 2, "PROXY UNKNOWN\r\n",
      W2(V2("\x20", "\x00", "\x00", "\x00")), NULL, NULL },
};

static const gw_sockaddr_t *
waddr(const char *text, unsigned port, gw_sockaddr_t *a)
{
    if (text == NULL) {
        return NULL;
    }
    if (strcmp(text, "unix") == 0) {
        memset(a, 0, sizeof(*a));
        a->sa.sa_family = AF_UNIX;
        return a;
    }
    *a = ip(text, port);
    return a;
}

/* WRITE's output (LEN bytes) parses back to what the row says. */
static void
expect_round_trip(const wcase_t *w, const char *out, size_t len, int version)
{
    gw_proxy_result_t o;
    ut_guard_t        g;
    char             *buf;

    ut_guard_new(&g, out, len);
    for (size_t k = 0; k < len; k++) {
        ck_assert_int_eq(gw_proxy_parse(ut_guard_put(&g, out, k), k, &o), 0);
    }
    buf = ut_guard_put(&g, out, len);
    ck_assert_int_eq(gw_proxy_parse(buf, len, &o), (int) len);
    ck_assert_int_eq(o.version, version);
    if (w->psrc == NULL) {
        ck_assert_uint_eq(o.local, 1);
    } else {
        ck_assert_uint_eq(o.local, 0);
        expect_addr(w->name, "src", &o.src, w->psrc, w->sport);
        expect_addr(w->name, "dst", &o.dst, w->pdst, w->dport);
    }
    ut_guard_free(&g);
}

/* Into a buffer of exactly N bytes that ends at a guard page, then of
 * N - 1 bytes: 0 and not a byte written. */
START_TEST(test_proxy_write)
{
    const wcase_t *w = &writes[_i];
    gw_sockaddr_t  sa, da;
    const gw_sockaddr_t *s = waddr(w->src, w->sport, &sa);
    const gw_sockaddr_t *d = waddr(w->dst, w->dport, &da);
    size_t         n1 = strlen(w->v1), n;
    char           big[GW_PROXY_MAX_LEN], fill[GW_PROXY_MAX_LEN];
    ut_guard_t     g;
    char          *buf;

    memset(fill, '#', sizeof(fill));

    /* v1 */
    buf = ut_guard_new(&g, fill, n1);
    ck_assert_uint_eq(gw_proxy_write_v1(buf, n1, s, d), n1);
    ck_assert_msg(memcmp(buf, w->v1, n1) == 0, "%s: \"%.*s\"", w->name,
                  (int) n1, buf);
    buf = ut_guard_put(&g, fill, n1 - 1);
    ck_assert_uint_eq(gw_proxy_write_v1(buf, n1 - 1, s, d), 0);
    ck_assert(memcmp(buf, fill, n1 - 1) == 0);
    ck_assert_uint_eq(gw_proxy_write_v1(buf, 0, s, d), 0);
    ut_guard_free(&g);
    ck_assert_uint_le(n1, GW_PROXY_V1_MAX);
    expect_round_trip(w, w->v1, n1, 1);

    /* v2, stream */
    buf = ut_guard_new(&g, fill, w->v2_len);
    ck_assert_uint_eq(gw_proxy_write_v2(buf, w->v2_len, s, d, 1), w->v2_len);
    ck_assert_msg(memcmp(buf, w->v2, w->v2_len) == 0, "%s: v2 bytes",
                  w->name);
    buf = ut_guard_put(&g, fill, w->v2_len - 1);
    ck_assert_uint_eq(gw_proxy_write_v2(buf, w->v2_len - 1, s, d, 1), 0);
    ck_assert(memcmp(buf, fill, w->v2_len - 1) == 0);
    ut_guard_free(&g);
    expect_round_trip(w, w->v2, w->v2_len, 2);

    /* v2, datagram: only byte 14 differs (for a PROXY header) */
    n = gw_proxy_write_v2(big, sizeof(big), s, d, 0);
    ck_assert_uint_eq(n, w->v2_len);
    if (w->psrc != NULL) {
        ck_assert_int_eq((uint8_t) big[13], ((uint8_t) w->v2[13] & 0xf0) | 2);
        big[13] = w->v2[13];
    }
    ck_assert(memcmp(big, w->v2, n) == 0);
}
END_TEST

/* Generated addresses and ports, both versions and transports, each
 * output parsed back whole, with every prefix 0 and a request behind it
 * left alone. */
START_TEST(test_proxy_round_trip_random)
{
    static const char req[] = "GET / HTTP/1.1\r\n\r\n";
    unsigned          seed = 0x9e3779b9u;
    char              buf[GW_PROXY_MAX_LEN + sizeof(req)];

    for (int i = 0; i < 3000; i++) {
        gw_sockaddr_t     s, d;
        gw_proxy_result_t o;
        int               six = i & 1, version = 1 + (i >> 1 & 1);
        size_t            n;

        memset(&s, 0, sizeof(s));
        memset(&d, 0, sizeof(d));
        if (six) {
            s.sin6.sin6_family = d.sin6.sin6_family = AF_INET6;
            for (int k = 0; k < 16; k++) {
                /* runs of zeros now and then, for "::" */
                unsigned r = ut_rand(&seed);

                s.sin6.sin6_addr.s6_addr[k] = (uint8_t) (r & 8 ? 0 : r >> 8);
                d.sin6.sin6_addr.s6_addr[k] = (uint8_t) (r & 16 ? 0 : r >> 16);
            }
            if (IN6_IS_ADDR_V4MAPPED(&s.sin6.sin6_addr)) {
                s.sin6.sin6_addr.s6_addr[0] = 1;
            }
            s.sin6.sin6_port = (uint16_t) ut_rand(&seed);
            d.sin6.sin6_port = (uint16_t) ut_rand(&seed);
        } else {
            s.sin.sin_family = d.sin.sin_family = AF_INET;
            s.sin.sin_addr.s_addr = ut_rand(&seed);
            d.sin.sin_addr.s_addr = ut_rand(&seed);
            s.sin.sin_port = (uint16_t) ut_rand(&seed);
            d.sin.sin_port = (uint16_t) ut_rand(&seed);
        }
        n = version == 1 ? gw_proxy_write_v1(buf, GW_PROXY_MAX_LEN, &s, &d)
                         : gw_proxy_write_v2(buf, GW_PROXY_MAX_LEN, &s, &d,
                                             i % 3 != 0);
        EXPECT(n > 0 && n <= (version == 1 ? GW_PROXY_V1_MAX : 52),
               "%d: wrote %zu", i, n);
        memcpy(buf + n, req, sizeof(req) - 1);
        for (size_t k = 0; k < n; k++) {
            EXPECT(gw_proxy_parse(buf, k, &o) == 0, "%d: v%d prefix %zu of "
                   "%zu: %.*s", i, version, k, n, (int) n, buf);
        }
        EXPECT(gw_proxy_parse(buf, n + sizeof(req) - 1, &o) == (int) n,
               "%d: v%d %.*s", i, version, (int) n, buf);
        EXPECT(o.version == version && !o.local
               && gw_sockaddr_eq(&o.src, &s) && gw_sockaddr_eq(&o.dst, &d),
               "%d: v%d addresses differ: %.*s", i, version, (int) n, buf);
    }
}
END_TEST

Suite *
proxy_proto_suite(void)
{
    Suite *s = suite_create("proxy_proto");
    TCase *p = tcase_create("parse");
    TCase *w = tcase_create("write");

    tcase_add_loop_test(p, test_proxy_parse, 0, (int) gw_nelems(cases));
    tcase_add_test(p, test_proxy_parse_again);
    tcase_add_test(p, test_proxy_parse_bound);
    tcase_add_test(p, test_proxy_parse_every_byte);
    suite_add_tcase(s, p);

    tcase_add_loop_test(w, test_proxy_write, 0, (int) gw_nelems(writes));
    tcase_add_test(w, test_proxy_round_trip_random);
    suite_add_tcase(s, w);
    return s;
}
