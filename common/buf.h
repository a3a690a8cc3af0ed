/*
 * common/buf.h: byte buffers borrowed from a per-process free list while
 * data waits and returned when drained, so an idle connection holds none
 * (HAProxy's dynbuf idea).
 *
 *     data ........ pos ======== last ........ data + cap
 *                   unread bytes       free room
 *
 * Most buffers have the standard capacity (16 KiB) and come from the free
 * list; a larger one (an HTTP head allowed past 16 KiB) is allocated for
 * the occasion and freed when given back.
 */
#ifndef GW_BUF_H
#define GW_BUF_H

#include <stddef.h>

#define GW_BUF_SIZE 16384   /* nginx's proxy_buffer_size, redis's reply chunk */

typedef struct gw_buf {
    struct gw_buf *next;    /* free list link */
    size_t         pos;     /* first unread byte */
    size_t         last;    /* one past the last byte written */
    size_t         cap;
    char           data[];
} gw_buf_t;

/* An empty standard buffer, or NULL when memory is exhausted. */
gw_buf_t *gw_buf_get(void);

/* An empty buffer of at least SIZE bytes (standard when SIZE fits). */
gw_buf_t *gw_buf_get_size(size_t size);

/* Give a buffer back; NULL is accepted. */
void gw_buf_put(gw_buf_t *b);

static inline size_t
gw_buf_len(const gw_buf_t *b)
{
    return b->last - b->pos;
}

static inline size_t
gw_buf_room(const gw_buf_t *b)
{
    return b->cap - b->last;
}

/* Move unread bytes to the front so the room is contiguous. */
void gw_buf_compact(gw_buf_t *b);

#endif
