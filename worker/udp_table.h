/*
 * worker/udp_table.h: the table of UDP sessions of a worker.
 *
 * A session is keyed by who sent (the client's address and port), to which
 * of our addresses (on a wildcard listener, the local address the client
 * picked; otherwise unset) and on which listen socket. The table is a
 * power-of-two array of buckets with entries chained through themselves:
 * an entry is embedded in its session, so adding or removing allocates
 * nothing. Pure code: no sockets, no clock.
 */
#ifndef GW_UDP_TABLE_H
#define GW_UDP_TABLE_H

#include <stdint.h>

#include "common/addr.h"

typedef struct gw_udp_key {
    gw_sockaddr_t   client;
    gw_sockaddr_t   local;      /* family 0 when the listener is not wildcard */
    uint32_t        socket;     /* which listen socket: its slot index */
} gw_udp_key_t;

typedef struct gw_udp_entry gw_udp_entry_t;

struct gw_udp_entry {
    gw_udp_entry_t *next;
    uint32_t        hash;
    gw_udp_key_t    key;
};

typedef struct gw_udp_table {
    gw_udp_entry_t **buckets;
    uint32_t         mask;      /* buckets - 1 */
    uint32_t         count;
} gw_udp_table_t;

/* Room for about EXPECTED entries (rounded up to a power of two); 0 or -1. */
int gw_udp_table_init(gw_udp_table_t *t, uint32_t expected);
void gw_udp_table_fini(gw_udp_table_t *t);

/* Fill KEY; LOCAL may be NULL. Addresses are copied up to their length. */
void gw_udp_key_set(gw_udp_key_t *key, uint32_t socket,
                    const gw_sockaddr_t *client, const gw_sockaddr_t *local);

/* The entry with KEY, or NULL. */
gw_udp_entry_t *gw_udp_table_find(const gw_udp_table_t *t,
                                  const gw_udp_key_t *key);

/* Add E (its key set, not in the table, no equal key present). */
void gw_udp_table_add(gw_udp_table_t *t, gw_udp_entry_t *e);

/* Remove E, which is in the table. */
void gw_udp_table_del(gw_udp_table_t *t, gw_udp_entry_t *e);

#endif
