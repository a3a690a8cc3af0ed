/*
 * master/signals.h: the master's signals, one table: signal, the `-s` name
 * that sends it, and the event flag its handler raises. Handlers only set
 * flags; the master acts on them after sigsuspend() returns.
 */
#ifndef GW_SIGNALS_H
#define GW_SIGNALS_H

#include <signal.h>

enum gw_master_event {
    GW_EV_TERMINATE = 0,    /* TERM, INT: fast shutdown */
    GW_EV_QUIT,             /* QUIT: graceful shutdown */
    GW_EV_RELOAD,           /* HUP */
    GW_EV_REOPEN,           /* USR1 */
    GW_EV_UPGRADE,          /* USR2 */
    GW_EV_WINCH,            /* WINCH: stop the workers, keep the master */
    GW_EV_CHILD,            /* CHLD */
    GW_EV_ALARM,            /* ALRM: a respawn or kill deadline */
    GW_EV_COUNT
};

extern volatile sig_atomic_t gw_master_events[GW_EV_COUNT];

/* Install the handlers and block the signals; *wait_mask gets the mask
 * to pass to sigsuspend (everything unblocked). */
void gw_signals_install(sigset_t *wait_mask);

/* The signal `-s NAME` sends (stop, quit, reload, reopen), or -1. */
int gw_signal_by_name(const char *name);

#endif
