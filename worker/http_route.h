/*
 * worker/http_route.h: routing requests to locations, by Go's ServeMux
 * rules (SPEC):
 *
 *   - a pattern ending in '/' matches its whole subtree, any other
 *     pattern only that exact path;
 *   - among the patterns that match, the longest wins;
 *   - patterns that name a host ("api.example.com/") are tried first and
 *     win over host-less ones whatever their length;
 *   - nothing matches: NULL (the caller falls back to the listener's
 *     proxy_pass, or answers 404).
 *
 * The host compared is the Host header without its port, case-insensitive;
 * the path is the request target up to '?'. Pure code.
 */
#ifndef GW_HTTP_ROUTE_H
#define GW_HTTP_ROUTE_H

#include "common/core.h"
#include "conf/conf.h"

/* The best location of LS for HOST and PATH, or NULL. */
const gw_conf_location_t *gw_http_route(const gw_conf_listener_t *ls,
                                        gw_str_t host, gw_str_t path);

/* The path of an origin-form target (before '?'). */
gw_str_t gw_http_target_path(gw_str_t target);

/* The host of a Host value (without ":port" and IPv6 brackets kept). */
gw_str_t gw_http_host_name(gw_str_t host);

/* Does the path hold a "." or ".." segment (which an origin would fold)? */
int gw_http_path_has_dots(gw_str_t path);

#endif
