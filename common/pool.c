/*
 * common/pool.c: arena of malloc'd blocks (see pool.h). Small requests are
 * carved from the current block; large ones get a block of their own.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/pool.h"

#define BLOCK_SIZE 8192

typedef struct block {
    struct block *next;
    size_t        used;
    size_t        size;
    alignas(max_align_t) unsigned char data[];
} block_t;

struct gw_pool {
    block_t *blocks;
};

gw_pool_t *
gw_pool_new(void)
{
    return calloc(1, sizeof(gw_pool_t));
}

void
gw_pool_free(gw_pool_t *p)
{
    block_t *b, *next;

    if (p == NULL) {
        return;
    }
    for (b = p->blocks; b; b = next) {
        next = b->next;
        free(b);
    }
    free(p);
}

static block_t *
new_block(gw_pool_t *p, size_t size)
{
    block_t *b = malloc(sizeof(block_t) + size);

    if (b == NULL) {
        return NULL;
    }
    b->used = 0;
    b->size = size;
    b->next = p->blocks;
    p->blocks = b;
    return b;
}

void *
gw_pool_alloc(gw_pool_t *p, size_t size)
{
    const size_t align = alignof(max_align_t);
    block_t     *b = p->blocks;
    void        *mem;

    size = (size + align - 1) & ~(align - 1);
    if (size > BLOCK_SIZE / 4) {
        /* big: its own block, pushed behind the current one */
        b = new_block(p, size);
        if (b == NULL) {
            return NULL;
        }
        if (b->next) {
            p->blocks = b->next;
            b->next = p->blocks->next;
            p->blocks->next = b;
        }
        b->used = size;
        memset(b->data, 0, size);
        return b->data;
    }
    if (b == NULL || b->size - b->used < size) {
        b = new_block(p, BLOCK_SIZE);
        if (b == NULL) {
            return NULL;
        }
    }
    mem = b->data + b->used;
    b->used += size;
    memset(mem, 0, size);
    return mem;
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
    /* capacity is the next power of two at or above n: grow when full */
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
