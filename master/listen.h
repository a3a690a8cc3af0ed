/*
 * master/listen.h: the listen sockets of a cycle.
 *
 * One socket per listen address per worker slot, each with SO_REUSEPORT:
 * the kernel spreads connections over the slots' accept queues. The master
 * holds every socket for as long as its configuration names it, so a
 * worker that restarts, or replaces an old one after a reload, takes over
 * the queue of its slot with nothing in it dropped. A reload reuses the
 * sockets of the addresses that stay (by address and protocol), opens the
 * new ones and closes the removed ones.
 */
#ifndef GW_LISTEN_H
#define GW_LISTEN_H

#include "worker/worker.h"

/*
 * Fill cycle->sockets for cycle->conf, taking open sockets from OLD (may
 * be NULL) where address, protocol and slot match. Returns 0, or -1 with
 * err written and nothing of OLD touched.
 */
int gw_listen_open(gw_cycle_t *cycle, const gw_cycle_t *old, char *err);

/* Undo gw_listen_open(): close what CYCLE opened, leave OLD's alone. */
void gw_listen_abandon(gw_cycle_t *cycle, const gw_cycle_t *old);

/* Close the sockets of OLD that NEW did not take over. */
void gw_listen_close_unused(gw_cycle_t *old, const gw_cycle_t *new_cycle);

/* Close every socket of the cycle. */
void gw_listen_close(gw_cycle_t *cycle);

#endif
