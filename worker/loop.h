/*
 * worker/loop.h: the worker's epoll loop.
 *
 * One turn: wait until an event or the nearest timer, update the cached
 * clock, call on_read / on_write of each ready connection, then run the
 * expired timers. Signals are events too: the worker reads them from a
 * signalfd in the loop, so none waits behind a stream of other events.
 */
#ifndef GW_LOOP_H
#define GW_LOOP_H

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

/* One turn of the loop. */
void gw_loop_once(void);

#endif
