/*
 * worker/http_route.c: ServeMux-style matching (see http_route.h). A
 * listener has few locations; a linear scan keeps the rules obvious.
 */
#include <string.h>

#include "common/http.h"
#include "worker/http_route.h"

static int
path_matches(const gw_conf_location_t *loc, gw_str_t path)
{
    size_t n = strlen(loc->path);

    if (loc->subtree) {
        return path.len >= n && memcmp(path.data, loc->path, n) == 0;
    }
    return path.len == n && memcmp(path.data, loc->path, n) == 0;
}

const gw_conf_location_t *
gw_http_route(const gw_conf_listener_t *ls, gw_str_t host, gw_str_t path)
{
    const gw_conf_location_t *best = NULL;
    size_t                    best_len = 0;

    /* pass 1: patterns with a host; pass 2: host-less ones */
    for (int with_host = 1; with_host >= 0 && best == NULL; with_host--) {
        for (unsigned i = 0; i < ls->n_locations; i++) {
            const gw_conf_location_t *loc = &ls->locations[i];
            size_t                    len = strlen(loc->path);

            if ((loc->host[0] != '\0') != with_host
                || (with_host && !gw_http_str_ieq(host, loc->host))
                || !path_matches(loc, path)) {
                continue;
            }
            if (best == NULL || len > best_len) {
                best = loc;
                best_len = len;
            }
        }
    }
    return best;
}

gw_str_t
gw_http_target_path(gw_str_t target)
{
    const char *q = memchr(target.data, '?', target.len);

    if (q) {
        target.len = (size_t) (q - target.data);
    }
    return target;
}

gw_str_t
gw_http_host_name(gw_str_t host)
{
    const char *end = host.data + host.len, *p = end;

    /* "[v6]:port" and "name:port" lose the port (even an empty one,
     * RFC 3986 3.2.3); "[v6]" stays whole */
    while (p > host.data && p[-1] >= '0' && p[-1] <= '9') {
        p--;
    }
    if (p > host.data && p[-1] == ':'
        && (host.data[0] != '[' || (p - host.data >= 2 && p[-2] == ']'))) {
        host.len = (size_t) (p - 1 - host.data);
    }
    return host;
}

/* How many dots a segment is, counting %2e as one; -1: something else. */
static int
dots(const char *seg, size_t len)
{
    int n = 0;

    for (size_t i = 0; i < len; n++) {
        if (seg[i] == '.') {
            i++;
        } else if (i + 2 < len && seg[i] == '%' && seg[i + 1] == '2'
                   && (seg[i + 2] == 'e' || seg[i + 2] == 'E')) {
            i += 3;
        } else {
            return -1;
        }
    }
    return n;
}

int
gw_http_path_has_dots(gw_str_t path)
{
    const char *p = path.data, *end = path.data + path.len;

    while (p < end) {
        const char *seg = p, *slash = memchr(p, '/', (size_t) (end - p));
        int         n;

        p = slash ? slash + 1 : end;
        n = dots(seg, (size_t) ((slash ? slash : end) - seg));
        if (n == 1 || n == 2) {
            return 1;       /* "." or "..", perhaps percent-encoded */
        }
    }
    return 0;
}
