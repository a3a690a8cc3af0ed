/*
 * common/pool.h: an arena for data that lives and dies together (one
 * parsed configuration). Allocations are zeroed and never freed one by one;
 * gw_pool_free() releases the lot. Not for connections: they use fixed
 * slots and buffers (STYLE.md section 4).
 */
#ifndef GW_POOL_H
#define GW_POOL_H

#include <stddef.h>

typedef struct gw_pool gw_pool_t;

gw_pool_t *gw_pool_new(void);
void gw_pool_free(gw_pool_t *p);

/* Zeroed memory, aligned for any type; NULL when out of memory. */
void *gw_pool_alloc(gw_pool_t *p, size_t size);
char *gw_pool_strdup(gw_pool_t *p, const char *s);
char *gw_pool_strndup(gw_pool_t *p, const char *s, size_t len);

/*
 * Append one zeroed element of SIZE bytes to the array *items of *n
 * elements, growing it by doubling inside the pool. Returns the new element
 * (and bumps *n), or NULL when out of memory.
 */
void *gw_pool_push(gw_pool_t *p, void **items, unsigned *n, size_t size);

#endif
