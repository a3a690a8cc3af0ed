/*
 * test/fuzz/fuzz_pool.c: common/pool.h for fuzz_conf, one malloc() per
 * allocation, so AddressSanitizer sees the end of every word, file text
 * and array the configuration parser keeps in its pool (common/pool.c
 * carves them from 8 KiB blocks, where a read past one lands in the
 * next). Same contract: zeroed, aligned for any type, freed together;
 * gw_pool_push grows by doubling exactly as common/pool.c does, so an
 * element past the capacity it assumes is caught too.
 */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "common/pool.h"

typedef struct chunk {
    struct chunk *next;
    alignas(max_align_t) unsigned char data[];
} chunk_t;

struct gw_pool {
    chunk_t *chunks;
};

gw_pool_t *
gw_pool_new(void)
{
    return calloc(1, sizeof(gw_pool_t));
}

void
gw_pool_free(gw_pool_t *p)
{
    chunk_t *c, *next;

    if (p == NULL) {
        return;
    }
    for (c = p->chunks; c; c = next) {
        next = c->next;
        free(c);
    }
    free(p);
}

void *
gw_pool_alloc(gw_pool_t *p, size_t size)
{
    chunk_t *c = calloc(1, sizeof(chunk_t) + size);

    if (c == NULL) {
        return NULL;
    }
    c->next = p->chunks;
    p->chunks = c;
    return c->data;
}

char *
gw_pool_strndup(gw_pool_t *p, const char *s, size_t len)
{
    char *copy = gw_pool_alloc(p, len + 1);

    if (copy) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

char *
gw_pool_strdup(gw_pool_t *p, const char *s)
{
    return gw_pool_strndup(p, s, strlen(s));
}

void *
gw_pool_push(gw_pool_t *p, void **items, unsigned *n, size_t size)
{
    if (*n == 0 || (*n & (*n - 1)) == 0) {
        unsigned cap = *n ? *n * 2 : 1;
        void    *grown = gw_pool_alloc(p, (size_t) cap * size);

        if (grown == NULL) {
            return NULL;
        }
        if (*n) {
            memcpy(grown, *items, (size_t) *n * size);
        }
        *items = grown;
    }
    return (char *) *items + (size_t) (*n)++ * size;
}
