/*
 * common/buf.c: the buffer free list (see buf.h). At most KEEP_FREE
 * standard buffers wait on the list; beyond that, and for larger ones,
 * memory goes back to malloc, so a burst does not pin memory for the life
 * of the worker.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

#define KEEP_FREE 64

static gw_buf_t *free_list;
static unsigned  n_free;

gw_buf_t *
gw_buf_get(void)
{
    gw_buf_t *b = free_list;

    if (b) {
        free_list = b->next;
        n_free--;
    } else {
        b = malloc(sizeof(*b) + GW_BUF_SIZE);
        if (b == NULL) {
            return NULL;
        }
        b->cap = GW_BUF_SIZE;
    }
    b->next = NULL;
    b->pos = b->last = 0;
    return b;
}

gw_buf_t *
gw_buf_get_size(size_t size)
{
    gw_buf_t *b;

    if (size <= GW_BUF_SIZE) {
        return gw_buf_get();
    }
    b = malloc(sizeof(*b) + size);
    if (b) {
        b->next = NULL;
        b->pos = b->last = 0;
        b->cap = size;
    }
    return b;
}

void
gw_buf_put(gw_buf_t *b)
{
    if (b == NULL) {
        return;
    }
    if (n_free >= KEEP_FREE || b->cap != GW_BUF_SIZE) {
        free(b);
        return;
    }
    b->next = free_list;
    free_list = b;
    n_free++;
}

void
gw_buf_compact(gw_buf_t *b)
{
    size_t len = b->last - b->pos;

    if (b->pos > 0) {
        memmove(b->data, b->data + b->pos, len);
        b->pos = 0;
        b->last = len;
    }
}
