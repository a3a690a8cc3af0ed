/*
 * worker/worker.c: a worker process from fork to exit (see worker.h).
 *
 * Signals (from the master, or the terminal's process group):
 *   TERM, INT   exit now
 *   QUIT        graceful: close this worker's listen sockets (the master
 *               keeps them, the next worker of the slot takes the queue
 *               over), finish open connections, exit when none is left or
 *               after shutdown_timeout
 *   USR1        reopen the error log and access logs
 * Signals are read from a signalfd in the loop and only set flags; the
 * loop acts on them once per turn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/conn.h"
#include "worker/listener.h"
#include "worker/loop.h"
#include "worker/timer.h"
#include "worker/health.h"
#include "worker/worker.h"

#define MAX_EVENTS      512
#define EXTRA_SLOTS     16      /* beyond listen sockets: internal fds */
#define FDS_PER_CONN    3       /* a socket, and half a tunnel's two pipes */

static sigset_t     signals;
static int          sig_terminate, sig_quit, sig_reopen;
static int          quitting;
static gw_timer_t   shutdown_timer;

/* The signals arrived: their flags are acted on after this turn. */
static void
on_signals(gw_conn_t *c)
{
    struct signalfd_siginfo si;

    while (read(c->fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
        switch (si.ssi_signo) {
        case SIGTERM:
        case SIGINT:  sig_terminate = 1; break;
        case SIGQUIT: sig_quit = 1;      break;
        case SIGUSR1: sig_reopen = 1;    break;
        }
    }
    c->read_ready = 0;
}

static void
ignore(gw_conn_t *c)
{
    (void) c;
}

/*
 * Our signals stay blocked and are read from a signalfd in the loop: a
 * signal handler would only run when epoll_pwait() is interrupted, which
 * never happens while events keep coming.
 */
static void
setup_signals(void)
{
    static const int handled[] = { SIGTERM, SIGINT, SIGQUIT, SIGUSR1 };
    struct sigaction sa;
    sigset_t         block;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
        sigaddset(&block, handled[i]);
    }
    /* a peer that vanished must not kill us through splice() or send() */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGWINCH, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigprocmask(SIG_BLOCK, &block, NULL);
    signals = block;
}

static int
watch_signals(void)
{
    int        fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    gw_conn_t *c = fd == -1 ? NULL : gw_conn_open(fd, 0);

    if (c == NULL) {
        return -1;
    }
    c->on_read = on_signals;
    c->on_write = ignore;
    c->action = "reading signals";
    return 0;
}

/* Keep our slot's listen sockets; the others belong to other workers. */
static void
close_other_slots(const gw_cycle_t *cycle, unsigned slot)
{
    for (unsigned i = 0; i < cycle->n_sockets; i++) {
        for (unsigned s = 0; s < cycle->sockets[i].n_fds; s++) {
            if (s != slot) {
                close(cycle->sockets[i].fds[s]);
            }
        }
    }
}

static void
set_fd_limit(const gw_conf_t *conf)
{
    struct rlimit rl;
    rlim_t        want = (rlim_t) conf->worker_connections * FDS_PER_CONN;

    if (conf->worker_rlimit_nofile) {
        rl.rlim_cur = rl.rlim_max = conf->worker_rlimit_nofile;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            gw_log(GW_LOG_WARN, errno,
                   "setrlimit(RLIMIT_NOFILE, %u) failed",
                   conf->worker_rlimit_nofile);
        }
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
        gw_log(GW_LOG_WARN, 0, "worker_connections %u may need %llu "
               "descriptors, RLIMIT_NOFILE is %llu (see worker_rlimit_nofile)",
               conf->worker_connections, (unsigned long long) want,
               (unsigned long long) rl.rlim_cur);
    }
}

static void
on_shutdown_timeout(gw_timer_t *t)
{
    (void) t;
    gw_log(GW_LOG_NOTICE, 0, "shutdown_timeout: closing %u connections",
           gw_conns_active());
    exit(0);
}

static void
handle_signals(const gw_conf_t *conf)
{
    if (sig_terminate) {
        exit(0);
    }
    if (sig_reopen) {
        sig_reopen = 0;
        gw_log_reopen();
        gw_logfile_reopen_all();
    }
    if (sig_quit && !quitting) {
        quitting = 1;
        gw_listeners_stop();
        gw_timer_init(&shutdown_timer, on_shutdown_timeout);
        gw_timer_set(&shutdown_timer, conf->shutdown_timeout_ms);
    }
}

static void
init(const gw_cycle_t *cycle, unsigned slot)
{
    const gw_conf_t *conf = cycle->conf;
    char             err[GW_ERR_LEN];
    unsigned         extra = cycle->n_sockets + EXTRA_SLOTS
                             + gw_health_slots(conf, slot);

    gw_clock_update();
    close_other_slots(cycle, slot);
    if (gw_stats_slot(slot)) {
        gw_stats_slot(slot)->pid = (uint64_t) getpid();
        gw_conns_count_into(&gw_stats_slot(slot)->connections);
    }
    set_fd_limit(conf);             /* raising the hard limit needs root */
    gw_worker_drop_privileges(conf);
    if (gw_conns_init(conf->worker_connections, extra) != 0
        || gw_timers_init(conf->worker_connections + extra) != 0
        || gw_loop_init(MAX_EVENTS) != 0 || watch_signals() != 0) {
        gw_log(GW_LOG_CRIT, errno, "worker initialisation failed");
        exit(2);
    }
    if (gw_listeners_start(cycle, slot, err) != 0) {
        gw_log(GW_LOG_CRIT, 0, "worker initialisation failed: %s", err);
        exit(2);
    }
}

void
gw_worker_run(const gw_cycle_t *cycle, unsigned slot)
{
    pid_t master = getppid();

    setup_signals();
    /* an orphaned worker finishes its connections and leaves */
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (getppid() != master) {
        sig_quit = 1;
    }
    init(cycle, slot);
    for ( ;; ) {
        gw_loop_once();
        handle_signals(cycle->conf);
        if (quitting && gw_conns_active() == 0) {
            exit(0);
        }
        gw_listeners_resume();
    }
}

int
gw_worker_check_conf(const gw_conf_t *conf, char *err, size_t len)
{
    for (unsigned i = 0; i < conf->n_listeners; i++) {
        const gw_conf_listener_t *ls = conf->listeners[i];

        if (gw_handler_find(ls->handler) == NULL) {
            snprintf(err, len, "handler \"%s\" is not implemented yet in %s:%d",
                     gw_handler_names[ls->handler], ls->file, ls->line);
            return -1;
        }
    }
    return 0;
}
