/*
 * worker/discovery.h: `server NAME:PORT resolve`, the upstream servers
 * whose name is looked up again every resolver_cache.
 *
 * Each worker asks its own resolver (worker/resolver.c: asynchronous, so
 * the loop goes on serving) and fills or empties the server's peer slots
 * as the answer changes. New connections go to the new set; a connection
 * to an address that left finishes where it is. A failed look-up keeps
 * the addresses the server had.
 */
#ifndef GW_DISCOVERY_H
#define GW_DISCOVERY_H

#include "conf/conf.h"
#include "worker/upstream.h"

/* Watch every `resolve` server of the N groups UPS; 0 or -1 (errno). */
int gw_discovery_start(const gw_conf_t *conf, gw_upstream_t **ups,
                       unsigned n);

#endif
