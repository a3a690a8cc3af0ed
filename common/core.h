/*
 * common/core.h: the few types and constants every layer shares.
 *
 * gw_str_t is a slice of someone else's bytes (never NUL-terminated by
 * contract); return codes follow STYLE.md section 5.
 */
#ifndef GW_CORE_H
#define GW_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GW_VERSION      "0.1.0"
#define GW_ERR_LEN      256     /* start-up helpers write errors here */

#define GW_OK           0
#define GW_ERROR        (-1)
#define GW_AGAIN        (-2)

#define GW_PARSE_ERROR  (-1)
#define GW_PARSE_AGAIN  (-2)

#define gw_nelems(a)    (sizeof(a) / sizeof((a)[0]))
#define gw_container_of(ptr, type, member) \
    ((type *) ((char *) (ptr) - offsetof(type, member)))

typedef struct {
    const char  *data;
    size_t       len;
} gw_str_t;

static inline gw_str_t
gw_str(const char *s)
{
    gw_str_t str = { s, s ? strlen(s) : 0 };
    return str;
}

static inline int
gw_str_eq(gw_str_t a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && memcmp(a.data, b, n) == 0;
}

#endif
