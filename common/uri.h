/*
 * common/uri.h: the request targets a forward proxy takes (RFC 9112 3.2):
 *
 *   absolute-form    http://host[:port][/path][?query]   (GET, POST ...)
 *   authority-form   host:port                           (CONNECT)
 *
 * host is a name (letters, digits, '-', '.', and '_', which real names
 * carry though DNS host names may not), an IPv4 address or an IPv6
 * literal in brackets, checked by character only (the resolver or
 * connect() judges the rest). Userinfo ("user@host") is refused: RFC 9110
 * 4.2.4 deprecates it and it hides where a request really goes. So are a
 * fragment anywhere and a query without a path ("http://h?q"). Results
 * are slices of the target. Pure code.
 */
#ifndef GW_URI_H
#define GW_URI_H

#include <stdint.h>

#include "common/core.h"

typedef struct gw_uri {
    gw_str_t scheme;        /* "http" (absolute-form only) */
    gw_str_t host;          /* without brackets for IPv6 */
    gw_str_t authority;     /* as written: host[:port], brackets kept */
    uint16_t port;          /* 80 when absent (absolute-form) */
    gw_str_t path;          /* "/..." with the query; "/" when absent */
} gw_uri_t;

/* An absolute-form target; 0, or -1 when it is not one we take. */
int gw_uri_parse_absolute(gw_str_t target, gw_uri_t *uri);

/* An authority-form target (port required); 0 or -1. */
int gw_uri_parse_authority(gw_str_t target, gw_uri_t *uri);

#endif
