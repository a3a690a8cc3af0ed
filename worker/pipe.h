/*
 * worker/pipe.h: a per-worker pool of pipes for splice().
 *
 * A tunnel direction borrows a pipe only while bytes are in flight and
 * gives it back once drained, so an idle tunnel holds no pipe and no
 * descriptors beyond its two sockets. Only empty pipes return to the pool.
 */
#ifndef GW_PIPE_H
#define GW_PIPE_H

#include <stddef.h>

/* Capacity of pooled pipes in bytes (the window of one direction). */
size_t gw_pipe_size(void);

/* A pipe in fds[0] (read end) and fds[1]; 0, or -1 with errno. */
int gw_pipe_get(int fds[2]);

/* Give a pipe back (EMPTY: nothing left in it) and set fds to -1. */
void gw_pipe_put(int fds[2], int empty);

#endif
