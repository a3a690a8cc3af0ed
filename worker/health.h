/*
 * worker/health.h: active health checks of the servers of upstream groups
 * with `health_check`.
 *
 * One process probes, so a server is not probed once per worker: the
 * worker of slot 0 (a respawned or reloaded one takes over). Its verdict
 * is the `down` flag of the server's shared counters (worker/stats.h),
 * which every worker's balancer reads (gw_peer_is_usable).
 *
 * A probe is a TCP connect within `timeout`, or with uri=PATH an HTTP/1.1
 * GET of PATH whose status must be 2xx or 3xx. `fails` failures in a row
 * take a server out; `passes` passes in a row bring it back.
 */
#ifndef GW_HEALTH_H
#define GW_HEALTH_H

#include "conf/conf.h"
#include "worker/upstream.h"

/* Connection slots the probes of SLOT need beyond the budget. */
unsigned gw_health_slots(const gw_conf_t *conf, unsigned slot);

/* Start probing the N groups UPS when SLOT is 0; 0 or -1 (errno). */
int gw_health_start(const gw_conf_t *conf, gw_upstream_t **ups, unsigned n,
                    unsigned slot);

#endif
