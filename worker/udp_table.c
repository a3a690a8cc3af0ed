/*
 * worker/udp_table.c: chained hash table of UDP sessions (see
 * udp_table.h). Keys are compared field by field on the bytes that mean
 * something (family, port, address), so padding never matters.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "worker/udp_table.h"

int
gw_udp_table_init(gw_udp_table_t *t, uint32_t expected)
{
    uint32_t n = 16;

    while (n < expected && n < (UINT32_C(1) << 24)) {
        n <<= 1;
    }
    t->buckets = calloc(n, sizeof(*t->buckets));
    t->mask = n - 1;
    t->count = 0;
    return t->buckets ? 0 : -1;
}

void
gw_udp_table_fini(gw_udp_table_t *t)
{
    free(t->buckets);
    t->buckets = NULL;
    t->count = 0;
}

static void
copy_addr(gw_sockaddr_t *dst, const gw_sockaddr_t *src)
{
    memset(dst, 0, sizeof(*dst));
    if (src == NULL) {
        return;
    }
    dst->sa.sa_family = src->sa.sa_family;
    if (src->sa.sa_family == AF_INET6) {
        dst->sin6.sin6_port = src->sin6.sin6_port;
        dst->sin6.sin6_addr = src->sin6.sin6_addr;
        dst->sin6.sin6_scope_id = src->sin6.sin6_scope_id;
    } else if (src->sa.sa_family == AF_INET) {
        dst->sin.sin_port = src->sin.sin_port;
        dst->sin.sin_addr = src->sin.sin_addr;
    }
}

void
gw_udp_key_set(gw_udp_key_t *key, uint32_t socket, const gw_sockaddr_t *client,
               const gw_sockaddr_t *local)
{
    memset(key, 0, sizeof(*key));
    key->socket = socket;
    copy_addr(&key->client, client);
    copy_addr(&key->local, local);
}

/* Keys are zeroed then filled by gw_udp_key_set, so bytes compare. */
static int
key_eq(const gw_udp_key_t *a, const gw_udp_key_t *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

static uint32_t
key_hash(const gw_udp_key_t *k)
{
    return gw_hash32(k, sizeof(*k), 0x5eed);
}

gw_udp_entry_t *
gw_udp_table_find(const gw_udp_table_t *t, const gw_udp_key_t *key)
{
    uint32_t        h = key_hash(key);
    gw_udp_entry_t *e;

    for (e = t->buckets[h & t->mask]; e; e = e->next) {
        if (e->hash == h && key_eq(&e->key, key)) {
            return e;
        }
    }
    return NULL;
}

void
gw_udp_table_add(gw_udp_table_t *t, gw_udp_entry_t *e)
{
    gw_udp_entry_t **bucket;

    e->hash = key_hash(&e->key);
    bucket = &t->buckets[e->hash & t->mask];
    e->next = *bucket;
    *bucket = e;
    t->count++;
}

void
gw_udp_table_del(gw_udp_table_t *t, gw_udp_entry_t *e)
{
    gw_udp_entry_t **pp;

    for (pp = &t->buckets[e->hash & t->mask]; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            e->next = NULL;
            t->count--;
            return;
        }
    }
}
