/*
 * master/proctitle.h: process titles, so that `ps` shows
 * "gateway: master process ..." and "gateway: worker process" (SPEC).
 *
 * Linux has no setproctitle(): the title is written over the memory of
 * argv, extended over the environment strings, which are first moved to
 * the heap (nginx does the same).
 */
#ifndef GW_PROCTITLE_H
#define GW_PROCTITLE_H

/* Call first in main(), before anything keeps pointers into environ. */
void gw_proctitle_init(int argc, char **argv);

/* The command line as it was, "build/gateway -c x.conf", for the title. */
const char *gw_proctitle_args(void);

/* Set the title to "gateway: TITLE". */
void gw_proctitle_set(const char *title);

#endif
