/*
 * common/heap.c: binary min-heap (see heap.h). Children of i are 2i+1 and
 * 2i+2; every move of a node rewrites its index.
 */
#include <stdlib.h>

#include "common/heap.h"

static int
less(const gw_heap_node_t *a, const gw_heap_node_t *b)
{
    return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

static void
place(gw_heap_t *h, gw_heap_node_t *node, uint32_t i)
{
    h->items[i] = node;
    node->index = i;
}

static void
sift_up(gw_heap_t *h, uint32_t i)
{
    gw_heap_node_t *node = h->items[i];

    while (i > 0) {
        uint32_t parent = (i - 1) / 2;

        if (!less(node, h->items[parent])) {
            break;
        }
        place(h, h->items[parent], i);
        i = parent;
    }
    place(h, node, i);
}

static void
sift_down(gw_heap_t *h, uint32_t i)
{
    gw_heap_node_t *node = h->items[i];

    for ( ;; ) {
        uint32_t child = 2 * i + 1;

        if (child >= h->n) {
            break;
        }
        if (child + 1 < h->n && less(h->items[child + 1], h->items[child])) {
            child++;
        }
        if (!less(h->items[child], node)) {
            break;
        }
        place(h, h->items[child], i);
        i = child;
    }
    place(h, node, i);
}

int
gw_heap_init(gw_heap_t *h, uint32_t cap)
{
    h->n = 0;
    h->next_seq = 0;
    h->cap = cap ? cap : 16;
    h->items = malloc(h->cap * sizeof(*h->items));
    return h->items ? 0 : -1;
}

void
gw_heap_fini(gw_heap_t *h)
{
    free(h->items);
    h->items = NULL;
    h->n = h->cap = 0;
}

int
gw_heap_add(gw_heap_t *h, gw_heap_node_t *node)
{
    if (h->n == h->cap) {
        uint32_t          cap = h->cap * 2;
        gw_heap_node_t  **items = realloc(h->items, cap * sizeof(*items));

        if (items == NULL) {
            return -1;
        }
        h->items = items;
        h->cap = cap;
    }
    node->seq = h->next_seq++;
    place(h, node, h->n++);
    sift_up(h, node->index);
    return 0;
}

void
gw_heap_del(gw_heap_t *h, gw_heap_node_t *node)
{
    uint32_t        i = node->index;
    gw_heap_node_t *last = h->items[--h->n];

    node->index = GW_HEAP_NONE;
    if (last == node) {
        return;
    }
    place(h, last, i);
    /* the moved node may belong above or below its new place */
    if (i > 0 && less(last, h->items[(i - 1) / 2])) {
        sift_up(h, i);
    } else {
        sift_down(h, i);
    }
}
