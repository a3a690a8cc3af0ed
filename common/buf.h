/*
 * common/buf.h: fixed-capacity byte buffers borrowed from a per-process
 * free list while data waits and returned when drained, so an idle
 * connection holds none (HAProxy's dynbuf idea).
 *
 *     data ........ pos ======== last ........ data + GW_BUF_SIZE
 *                   unread bytes       free room
 */
#ifndef GW_BUF_H
#define GW_BUF_H

#include <stddef.h>

#define GW_BUF_SIZE 16384   /* nginx's proxy_buffer_size, redis's reply chunk */

typedef struct gw_buf {
    struct gw_buf *next;    /* free list link */
    size_t         pos;     /* first unread byte */
    size_t         last;    /* one past the last byte written */
    char           data[GW_BUF_SIZE];
} gw_buf_t;

/* An empty buffer, or NULL when memory is exhausted. */
gw_buf_t *gw_buf_get(void);

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
    return GW_BUF_SIZE - b->last;
}

/* Move unread bytes to the front so the room is contiguous. */
void gw_buf_compact(gw_buf_t *b);

#endif
