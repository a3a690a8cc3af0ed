/*
 * master/signals.c: the signal table (see signals.h).
 */
#include <string.h>

#include "master/signals.h"

volatile sig_atomic_t gw_master_events[GW_EV_COUNT];

static const struct {
    int          signo;
    const char  *name;          /* for -s, or NULL */
    int          event;
} signals[] = {
    { SIGTERM,  "stop",   GW_EV_TERMINATE },
    { SIGINT,   NULL,     GW_EV_TERMINATE },
    { SIGQUIT,  "quit",   GW_EV_QUIT },
    { SIGHUP,   "reload", GW_EV_RELOAD },
    { SIGUSR1,  "reopen", GW_EV_REOPEN },
    { SIGUSR2,  NULL,     GW_EV_UPGRADE },
    { SIGWINCH, NULL,     GW_EV_WINCH },
    { SIGCHLD,  NULL,     GW_EV_CHILD },
    { SIGALRM,  NULL,     GW_EV_ALARM },
};

#define N_SIGNALS (sizeof(signals) / sizeof(signals[0]))

static void
on_signal(int signo)
{
    for (size_t i = 0; i < N_SIGNALS; i++) {
        if (signals[i].signo == signo) {
            gw_master_events[signals[i].event] = 1;
        }
    }
}

void
gw_signals_install(sigset_t *wait_mask)
{
    struct sigaction sa;
    sigset_t         block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&block);
    for (size_t i = 0; i < N_SIGNALS; i++) {
        sigaction(signals[i].signo, &sa, NULL);
        sigaddset(&block, signals[i].signo);
    }
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigprocmask(SIG_BLOCK, &block, wait_mask);
    for (size_t i = 0; i < N_SIGNALS; i++) {
        sigdelset(wait_mask, signals[i].signo);
    }
}

int
gw_signal_by_name(const char *name)
{
    for (size_t i = 0; i < N_SIGNALS; i++) {
        if (signals[i].name && strcmp(signals[i].name, name) == 0) {
            return signals[i].signo;
        }
    }
    return -1;
}
