/*
 * master/upgrade.h: the binary upgrade (USR2), both ends of it, as nginx
 * does it.
 *
 * The old master forks and executes the binary again: the path it was
 * started from (which may hold a new version by now), with the same
 * arguments. The listen sockets stay open across the exec and are named
 * in the environment, one entry per descriptor:
 *
 *   GATEWAY_SOCKETS=FD tcp ADDR;FD udp ADDR;...
 *
 * The new master reads (and unsets) the variable at start and builds its
 * cycle from those sockets where the address and protocol match, so the
 * accept queues carry on: a connection waiting in one is served by
 * whichever master's workers take it. Sockets its configuration no
 * longer names are closed once the cycle stands.
 */
#ifndef GW_UPGRADE_H
#define GW_UPGRADE_H

#include <sys/types.h>

#include "common/addr.h"
#include "worker/worker.h"

#define GW_UPGRADE_ENV "GATEWAY_SOCKETS"

/* At start, before the title overwrites argv: remember how we were run
 * (and take GATEWAY_SOCKETS out of the environment). */
void gw_upgrade_init(char **argv);

/*
 * Start the new binary with CYCLE's sockets; its pid, or -1 (logged). The
 * child only clears close-on-exec on those sockets and executes.
 */
pid_t gw_upgrade_exec(const gw_cycle_t *cycle);

/*
 * The new master's side: take the sockets the environment names (once, at
 * start). 1 when we were started by an upgrade, 0 when not, -1 when the
 * variable is malformed (logged; nothing is taken then).
 */
int gw_upgrade_inherit(void);

/* An inherited socket of TYPE bound to ADDR (each is handed out once), or
 * -1. */
int gw_upgrade_take(int type, const gw_sockaddr_t *addr);

/* Close the inherited sockets nobody took. */
void gw_upgrade_close_rest(void);

#endif
