/*
 * worker/proxy_protocol.h: the PROXY protocol on our connections (the
 * codec is common/proxy_proto.c).
 *
 * Accepting (`listen ADDR proxy_protocol`): a load balancer in front
 * starts each connection with a v1 or v2 header naming the real client.
 * The header is read (peeked, then exactly its bytes taken, so what
 * follows stays for the handler) within header_timeout; its source
 * address becomes the connection's address, the one allow/deny, limits,
 * X-Forwarded-For, hashing balancers and logs see. A LOCAL or UNKNOWN
 * header keeps the balancer's own address. A malformed header, or none,
 * closes the connection.
 *
 * Sending (`proxy_protocol on | v2`, tcp and http_reverse): a header is
 * written on each new upstream connection before any other byte, with
 * the client's address and the address it connected to.
 */
#ifndef GW_PROXY_PROTOCOL_H
#define GW_PROXY_PROTOCOL_H

#include "worker/conn.h"

/* C was accepted on a proxy_protocol listen socket: read its header,
 * then gw_listener_admit() it (or close it). */
void gw_proxy_accept(gw_conn_t *c);

/*
 * Write the header of VERSION (GW_PROXY_PROTOCOL_V1 or _V2) for CLIENT on
 * the fresh upstream connection UP. 0, or -1 (errno) when the socket did
 * not take it whole (it always does on a new connection).
 */
int gw_proxy_send(gw_conn_t *up, const gw_conn_t *client, int version);

#endif
