/*
 * worker/loop.h: the worker's epoll loop.
 *
 * One turn: wait until an event or the nearest timer, update the cached
 * clock, call on_read / on_write of each ready connection, then run the
 * expired timers. Signals stay blocked except inside epoll_pwait, so a
 * signal can never slip in between the worker's flag check and the wait.
 */
#ifndef GW_LOOP_H
#define GW_LOOP_H

#include <signal.h>

#include "worker/conn.h"

/* epoll instance and an event array of MAX_EVENTS; 0, or -1 (errno). */
int gw_loop_init(unsigned max_events);

/* Register C's descriptor: edge-triggered read, write and peer shutdown. */
int gw_loop_add(gw_conn_t *c);

/* Stop watching C's descriptor (which stays open). */
void gw_loop_del(gw_conn_t *c);

/*
 * Call C's on_read once more after this batch of events, as if it were
 * readable again: for work stopped at its fair share (a busy relay). With
 * edge-triggered epoll no new event would come for it.
 */
void gw_loop_post(gw_conn_t *c);

/*
 * One turn of the loop. WAIT_MASK is the signal mask during the wait
 * (the worker's signals unblocked); a signal ends the wait early.
 */
void gw_loop_once(const sigset_t *wait_mask);

#endif
