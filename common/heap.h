/*
 * common/heap.h: an array-backed binary min-heap of intrusive nodes.
 *
 * Each node carries its key (an absolute deadline for timers), an insertion
 * number that breaks ties so equal keys leave in insertion order (as libuv's
 * start_id), and its own index in the array, so deleting any node is
 * O(log n) without a search.
 */
#ifndef GW_HEAP_H
#define GW_HEAP_H

#include <stdint.h>

#define GW_HEAP_NONE UINT32_MAX         /* index of a node not in a heap */

typedef struct gw_heap_node {
    uint64_t key;
    uint64_t seq;
    uint32_t index;
} gw_heap_node_t;

typedef struct gw_heap {
    gw_heap_node_t **items;
    uint32_t         n;
    uint32_t         cap;
    uint64_t         next_seq;
} gw_heap_t;

/* Empty heap; 0, or -1 when the first allocation fails. */
int gw_heap_init(gw_heap_t *h, uint32_t cap);
void gw_heap_fini(gw_heap_t *h);

static inline void
gw_heap_node_init(gw_heap_node_t *node)
{
    node->index = GW_HEAP_NONE;
}

static inline int
gw_heap_node_is_linked(const gw_heap_node_t *node)
{
    return node->index != GW_HEAP_NONE;
}

/* Insert a node (not in any heap) with its key set; 0, or -1 out of memory. */
int gw_heap_add(gw_heap_t *h, gw_heap_node_t *node);

/* Remove a node that is in this heap. */
void gw_heap_del(gw_heap_t *h, gw_heap_node_t *node);

/* Smallest node, or NULL when empty. */
static inline gw_heap_node_t *
gw_heap_min(const gw_heap_t *h)
{
    return h->n ? h->items[0] : (gw_heap_node_t *) 0;
}

#endif
