/*
 * common/uri.c: parsing forward-proxy targets (see uri.h).
 */
#include <string.h>
#include <strings.h>

#include "common/uri.h"

static int
is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static int
is_v6_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
           || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* "65535" style; 0 or -1. An empty port is refused here. */
static int
parse_port(const char *p, const char *end, uint16_t *port)
{
    unsigned long v = 0;

    if (p == end || end - p > 5) {
        return -1;
    }
    for ( ; p < end; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (unsigned long) (*p - '0');
    }
    if (v == 0 || v > 65535) {
        return -1;
    }
    *port = (uint16_t) v;
    return 0;
}

/* host[:port] in [p, end); REQUIRE_PORT for CONNECT. 0 or -1. */
static int
parse_hostport(const char *p, const char *end, gw_uri_t *uri,
               int require_port)
{
    const char *h, *he;

    uri->authority.data = p;
    uri->authority.len = (size_t) (end - p);
    if (p < end && *p == '[') {
        h = p + 1;
        he = memchr(h, ']', (size_t) (end - h));
        if (he == NULL || he == h) {
            return -1;
        }
        for (const char *q = h; q < he; q++) {
            if (!is_v6_char(*q)) {
                return -1;
            }
        }
        p = he + 1;
    } else {
        h = p;
        while (p < end && is_name_char(*p)) {
            p++;
        }
        he = p;
        if (he == h) {
            return -1;
        }
    }
    uri->host.data = h;
    uri->host.len = (size_t) (he - h);
    if (p == end) {
        uri->port = 80;
        return require_port ? -1 : 0;
    }
    return *p == ':' ? parse_port(p + 1, end, &uri->port) : -1;
}

int
gw_uri_parse_absolute(gw_str_t target, gw_uri_t *uri)
{
    const char *p = target.data, *end = target.data + target.len, *auth_end;

    memset(uri, 0, sizeof(*uri));
    /* a fragment never goes on the wire (RFC 9112 3.2): a target with
     * one was not written by a client we want to guess for */
    if (target.len < 7 || strncasecmp(p, "http://", 7) != 0
        || memchr(p, '#', target.len) != NULL) {
        return -1;
    }
    uri->scheme.data = p;
    uri->scheme.len = 4;
    p += 7;
    for (auth_end = p; auth_end < end && *auth_end != '/' && *auth_end != '?';
         auth_end++) {
        if (*auth_end == '@') {
            return -1;          /* userinfo */
        }
    }
    if (parse_hostport(p, auth_end, uri, 0) != 0) {
        return -1;
    }
    if (auth_end < end && *auth_end != '/') {
        return -1;      /* "http://h?q" would need a '/' we cannot slice in */
    }
    if (auth_end == end) {
        uri->path.data = "/";           /* "http://h" (RFC 9112 3.2.1) */
        uri->path.len = 1;
        return 0;
    }
    uri->path.data = auth_end;
    uri->path.len = (size_t) (end - auth_end);
    return 0;
}

int
gw_uri_parse_authority(gw_str_t target, gw_uri_t *uri)
{
    memset(uri, 0, sizeof(*uri));
    if (memchr(target.data, '@', target.len) != NULL) {
        return -1;
    }
    return parse_hostport(target.data, target.data + target.len, uri, 1);
}
