/*
 * common/proxy_proto.h: the PROXY protocol header, versions 1 and 2, as
 * HAProxy's doc/proxy-protocol.txt defines them. Pure code: no sockets.
 *
 *   v1  one line of text, at most 107 bytes with its CRLF:
 *         "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
 *         "PROXY TCP6 SRC DST SPORT DPORT\r\n"
 *         "PROXY UNKNOWN[ anything]\r\n"
 *   v2  binary: a 12-byte signature, VER|CMD, FAM|TRANSPORT, LEN (2 bytes,
 *       big-endian), then LEN bytes: the addresses (src, dst, sport,
 *       dport) and TLVs, which we skip
 *
 * The parser takes the bytes received so far from the start of the
 * connection; the caller peeks, parses again from the start when more
 * came, and then takes exactly the header's bytes, so what follows stays
 * for the handler. Both versions are bounded (GW_PROXY_MAX_LEN), so one
 * peek buffer of that size always holds a whole header.
 */
#ifndef GW_PROXY_PROTO_H
#define GW_PROXY_PROTO_H

#include <stddef.h>

#include "common/addr.h"

#define GW_PROXY_V1_MAX     107         /* the spec's worst case, CRLF in */
#define GW_PROXY_V2_HDR     16          /* signature, VER|CMD, FAM, LEN */

/*
 * Our bound on a whole v2 header (the spec allows LEN up to 65535): the
 * largest address block (AF_UNIX, 216 bytes) and 304 bytes of TLVs, enough
 * for ALPN, authority, CRC32C, unique ID and AWS / Azure endpoint IDs.
 * A longer header is refused, so the peek buffer stays small.
 */
#define GW_PROXY_V2_MAX     (GW_PROXY_V2_HDR + 520)
#define GW_PROXY_MAX_LEN    GW_PROXY_V2_MAX

/* The high nibble of byte 13 is the version (always 2), the low one: */
enum gw_proxy_v2_cmd {
    PROXY_V2_CMD_LOCAL = 0x0,           /* health check: no client */
    PROXY_V2_CMD_PROXY = 0x1
};

/* Byte 14: the address family (high nibble) ... */
enum gw_proxy_v2_fam {
    PROXY_V2_FAM_UNSPEC = 0x0,
    PROXY_V2_FAM_INET = 0x1,            /* 2 x 4 bytes + 2 ports: 12 */
    PROXY_V2_FAM_INET6 = 0x2,           /* 2 x 16 bytes + 2 ports: 36 */
    PROXY_V2_FAM_UNIX = 0x3             /* 2 x 108 bytes: 216 */
};

/* ... and the transport (low nibble). */
enum gw_proxy_v2_transport {
    PROXY_V2_TRANSPORT_UNSPEC = 0x0,
    PROXY_V2_TRANSPORT_STREAM = 0x1,
    PROXY_V2_TRANSPORT_DGRAM = 0x2
};

typedef struct gw_proxy_result {
    int             version;    /* 1 or 2 */
    unsigned        local;      /* v1 UNKNOWN, v2 LOCAL, UNSPEC or AF_UNIX:
                                 * no addresses, keep the connection's own */
    gw_sockaddr_t   src;        /* !local: AF_INET or AF_INET6, with the */
    gw_sockaddr_t   dst;        /* port (network order, as always) */
} gw_proxy_result_t;

/*
 * Parse the header at the start of BUF[0..LEN), v1 or v2 by its first
 * byte. Returns its length (> 0, at most GW_PROXY_MAX_LEN) once it is
 * whole and valid; bytes after it are not looked at. 0 while the LEN
 * bytes are a prefix that a valid header could still follow: a header is
 * never empty, so unlike GW_PARSE_AGAIN the caller's test reads `== 0`.
 * GW_PARSE_ERROR (-1) as soon as no continuation could make it valid:
 * "GET /" fails at its first byte, a v1 line at the first byte that
 * breaks its grammar, or at byte 107 without a CRLF. OUT is cleared, and
 * filled only when a length is returned.
 *
 * v1 is read strictly: exactly one space between fields, TCP4/TCP6 in
 * capitals, addresses of the family named (IPv4 dotted quads without
 * leading zeros; IPv6 as inet_pton reads it), ports 0..65535 in decimal
 * without a sign or leading zeros ("0" itself is fine), a bare CR or LF
 * is no line end. After UNKNOWN, anything up to the CRLF is ignored.
 *
 * v2: version 2, command LOCAL or PROXY. LOCAL ignores the family byte
 * (the spec says to) and skips LEN bytes. PROXY takes only the protocol
 * bytes the spec lists (0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32); LEN
 * must hold the family's address block; UNSPEC and AF_UNIX give a local
 * result. TLVs after the addresses are skipped, not checked.
 */
int gw_proxy_parse(const char *buf, size_t len, gw_proxy_result_t *out);

/*
 * The v1 line for a connection from SRC to DST into BUF[CAP] (no NUL);
 * its length, or 0 with BUF untouched when CAP is short. TCP4 or TCP6
 * when both addresses have that family, else "PROXY UNKNOWN\r\n" (also
 * for AF_UNIX or a NULL address). An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d, a dual-stack socket's IPv4 client) is written as IPv4
 * when the other side is IPv4 or mapped too; beside a real IPv6 address
 * it stays IPv6. At most GW_PROXY_V1_MAX bytes.
 */
size_t gw_proxy_write_v1(char *buf, size_t cap, const gw_sockaddr_t *src,
                         const gw_sockaddr_t *dst);

/*
 * The v2 header (command PROXY, family INET or INET6, transport STREAM,
 * or DGRAM when STREAM is 0, no TLVs) into BUF[CAP]; its length (28 or
 * 52), or 0 with BUF untouched when CAP is short. Addresses as for v1;
 * when there is no common family: a LOCAL / UNSPEC header of 16 bytes
 * with LEN 0 (what HAProxy sends; receivers must accept it).
 */
size_t gw_proxy_write_v2(char *buf, size_t cap, const gw_sockaddr_t *src,
                         const gw_sockaddr_t *dst, int stream);

#endif
