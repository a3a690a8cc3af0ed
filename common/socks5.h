/*
 * common/socks5.h: the messages of SOCKS version 5 (RFC 1928) and its
 * username/password sub-negotiation (RFC 1929), as a server reads and
 * writes them. Pure code: no sockets.
 *
 * A server reads three messages in turn, each whole before the next:
 *
 *   greeting   VER=5 NMETHODS METHODS[NMETHODS]
 *   auth       VER=1 ULEN UNAME[ULEN] PLEN PASSWD[PLEN]    (method 0x02)
 *   request    VER=5 CMD RSV ATYP DST.ADDR DST.PORT
 *
 * Each parser takes the bytes received so far (from the start of its
 * message) and returns the message's length once it is whole, with the
 * fields as slices of the input; GW_PARSE_AGAIN while bytes are missing;
 * GW_PARSE_ERROR when no continuation could make it valid. Bytes past the
 * message (the next message, or a client's first payload bytes) are not
 * looked at. Since a message is short and bounded (at most 262 bytes for
 * a request, 513 for auth), the caller keeps what came and parses again
 * from the start: the result is the same however the bytes were split.
 *
 * UDP ASSOCIATE datagrams carry a header of their own:
 *
 *   udp        RSV(2) FRAG ATYP DST.ADDR DST.PORT DATA
 */
#ifndef GW_SOCKS5_H
#define GW_SOCKS5_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/core.h"

#define GW_SOCKS5_VERSION           0x05
#define GW_SOCKS5_AUTH_VERSION      0x01

/* Methods (RFC 1928 section 3). */
enum gw_socks5_method {
    SOCKS5_METHOD_NONE = 0x00,
    SOCKS5_METHOD_USERPASS = 0x02,
    SOCKS5_METHOD_UNACCEPTABLE = 0xff
};

/* Commands (section 4). */
enum gw_socks5_cmd {
    SOCKS5_CMD_CONNECT = 0x01,
    SOCKS5_CMD_BIND = 0x02,
    SOCKS5_CMD_UDP_ASSOCIATE = 0x03
};

/* Address types (section 4). */
enum gw_socks5_atyp {
    SOCKS5_ATYP_IPV4 = 0x01,
    SOCKS5_ATYP_DOMAIN = 0x03,
    SOCKS5_ATYP_IPV6 = 0x04
};

/* Reply codes (section 6). */
enum gw_socks5_rep {
    SOCKS5_REP_SUCCEEDED = 0x00,
    SOCKS5_REP_GENERAL_FAILURE = 0x01,
    SOCKS5_REP_NOT_ALLOWED = 0x02,
    SOCKS5_REP_NET_UNREACHABLE = 0x03,
    SOCKS5_REP_HOST_UNREACHABLE = 0x04,
    SOCKS5_REP_REFUSED = 0x05,
    SOCKS5_REP_TTL_EXPIRED = 0x06,      /* SPEC: our timeouts */
    SOCKS5_REP_CMD_UNSUPPORTED = 0x07,
    SOCKS5_REP_ATYP_UNSUPPORTED = 0x08
};

/* RFC 1929 status: 0x00 success, anything else failure. */
#define GW_SOCKS5_AUTH_OK       0x00
#define GW_SOCKS5_AUTH_FAILED   0x01

/* A destination as the client wrote it. */
typedef struct gw_socks5_addr {
    int           atyp;         /* enum gw_socks5_atyp */
    gw_sockaddr_t ip;           /* IPv4 / IPv6, with the port */
    gw_str_t      name;         /* DOMAIN: 1..255 bytes, none of them NUL */
    uint16_t      port;
} gw_socks5_addr_t;

typedef struct gw_socks5_greeting {
    const uint8_t *methods;
    unsigned       n_methods;   /* 1..255 */
} gw_socks5_greeting_t;

typedef struct gw_socks5_auth {
    gw_str_t user;              /* 1..255 bytes */
    gw_str_t password;          /* 0..255 bytes */
} gw_socks5_auth_t;

typedef struct gw_socks5_request {
    int              cmd;       /* as sent: unknown commands parse too */
    gw_socks5_addr_t dst;
    int              rep;       /* on GW_PARSE_ERROR: the reply to send */
} gw_socks5_request_t;

typedef struct gw_socks5_udp {
    unsigned         frag;      /* 0: a whole datagram */
    gw_socks5_addr_t dst;
    const char      *data;
    size_t           len;
} gw_socks5_udp_t;

/* Length, GW_PARSE_AGAIN, or GW_PARSE_ERROR (not version 5, no methods). */
int gw_socks5_parse_greeting(const char *p, size_t len,
                             gw_socks5_greeting_t *g);

/* Does the greeting offer METHOD? */
int gw_socks5_offers(const gw_socks5_greeting_t *g, int method);

/* Length, GW_PARSE_AGAIN, or GW_PARSE_ERROR (version not 1, empty user). */
int gw_socks5_parse_auth(const char *p, size_t len, gw_socks5_auth_t *a);

/*
 * Length, GW_PARSE_AGAIN, or GW_PARSE_ERROR with r->rep set:
 * ATYP_UNSUPPORTED for an unknown address type, GENERAL_FAILURE for a
 * version other than 5, an empty domain or one holding a NUL byte.
 */
int gw_socks5_parse_request(const char *p, size_t len,
                            gw_socks5_request_t *r);

/*
 * A UDP ASSOCIATE datagram (whole, as recvfrom() gave it): 0 with the
 * header's fields and u->data / u->len the payload, or GW_PARSE_ERROR
 * when it is too short or malformed.
 */
int gw_socks5_parse_udp(const char *p, size_t len, gw_socks5_udp_t *u);

/* Longest reply or UDP header: VER/RSV, REP/FRAG, RSV, ATYP, 16, 2. */
#define GW_SOCKS5_REPLY_MAX 22

/*
 * The reply REP with BND (its IPv4 or IPv6 address and port; NULL:
 * 0.0.0.0:0) into OUT[GW_SOCKS5_REPLY_MAX]; returns its length.
 */
size_t gw_socks5_write_reply(uint8_t *out, int rep, const gw_sockaddr_t *bnd);

/* The header of a UDP datagram from FROM, into OUT[GW_SOCKS5_REPLY_MAX];
 * its length. */
size_t gw_socks5_write_udp_header(uint8_t *out, const gw_sockaddr_t *from);

/* "CONNECT", "BIND", "UDP_ASSOCIATE" or "UNKNOWN", for logs. */
const char *gw_socks5_cmd_name(int cmd);

#endif
