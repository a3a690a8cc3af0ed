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

    /* "[v6]:port" and "name:port" lose the port; "[v6]" stays whole */
    while (p > host.data && p[-1] >= '0' && p[-1] <= '9') {
        p--;
    }
    if (p < end && p > host.data && p[-1] == ':'
        && (host.data[0] != '[' || p[-2] == ']')) {
        host.len = (size_t) (p - 1 - host.data);
    }
    return host;
}

int
gw_http_path_has_dots(gw_str_t path)
{
    const char *p = path.data, *end = path.data + path.len;

    while (p < end) {
        const char *seg = p, *slash = memchr(p, '/', (size_t) (end - p));
        size_t      len;

        p = slash ? slash + 1 : end;
        len = (size_t) ((slash ? slash : end) - seg);
        if ((len == 1 && seg[0] == '.')
            || (len == 2 && seg[0] == '.' && seg[1] == '.')) {
            return 1;
        }
    }
    return 0;
}
