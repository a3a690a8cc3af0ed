/*
 * common/addr.h: socket addresses as text and back, and CIDR matching.
 *
 * Pure functions: no sockets, no name resolution (the configuration
 * resolves names; the worker's resolver comes with http_forward).
 */
#ifndef GW_ADDR_H
#define GW_ADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Enough for "[ffff:...:255.255.255.255]:65535" and a NUL. */
#define GW_ADDR_STRLEN 64

typedef union gw_sockaddr {
    struct sockaddr      sa;
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;
} gw_sockaddr_t;

socklen_t gw_sockaddr_len(const gw_sockaddr_t *a);
uint16_t gw_sockaddr_port(const gw_sockaddr_t *a);

/* 0.0.0.0 or [::]: a listen address for every local address. */
int gw_sockaddr_is_wildcard(const gw_sockaddr_t *a);

/* Same family, address and port. */
int gw_sockaddr_eq(const gw_sockaddr_t *a, const gw_sockaddr_t *b);

/* The same IP, ports aside; an IPv4-mapped IPv6 address equals its IPv4. */
int gw_sockaddr_same_ip(const gw_sockaddr_t *a, const gw_sockaddr_t *b);

/* "127.0.0.1:80" or "[::1]:80" into buf (always NUL-terminated); length. */
size_t gw_sockaddr_format(const gw_sockaddr_t *a, char *buf, size_t size);

/* The address alone: "127.0.0.1" or "::1"; length. */
size_t gw_sockaddr_format_ip(const gw_sockaddr_t *a, char *buf, size_t size);

/* The address bytes (4 or 16) that hashing balancers key on; count. */
size_t gw_sockaddr_ip_bytes(const gw_sockaddr_t *a, const uint8_t **bytes);

/* A port "1".."65535"; 0 on success, -1 otherwise. */
int gw_addr_parse_port(const char *text, uint16_t *port);

/*
 * A listen address: "PORT" and "*:PORT" (IPv4 wildcard), "IP:PORT",
 * "[IPv6]:PORT". Returns 0, or -1 when the text is not one.
 */
int gw_addr_parse_listen(const char *text, gw_sockaddr_t *out);

/*
 * Split "HOST:PORT" or "[IPv6]:PORT" into the host (copied, brackets
 * removed, into host[size]) and the port. Returns 0 or -1.
 */
int gw_addr_split(const char *text, char *host, size_t size, uint16_t *port);

/* A numeric IPv4 or IPv6 address with a port; 0, or -1 if not numeric. */
int gw_addr_parse_ip(const char *host, uint16_t port, gw_sockaddr_t *out);

typedef struct gw_cidr {
    uint8_t family;         /* AF_INET, AF_INET6, or AF_UNSPEC for "all" */
    uint8_t bits;
    uint8_t addr[16];       /* host bits cleared */
} gw_cidr_t;

/* "all", "10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"; 0 or -1. */
int gw_cidr_parse(const char *text, gw_cidr_t *out);

/* Does the address fall in the block? IPv4-mapped IPv6 matches IPv4 blocks. */
int gw_cidr_match(const gw_cidr_t *cidr, const gw_sockaddr_t *a);

#endif
