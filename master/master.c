/*
 * master/master.c: the master process. It binds, forks one worker per
 * slot, and then sleeps in sigsuspend() until a signal says what to do.
 *
 *   event       action
 *   TERM, INT   TERM to the workers; KILL what is left after 3 s; exit
 *   QUIT        QUIT to the workers; exit when the last one has
 *   HUP         reload: parse, open new sockets, start new workers, QUIT
 *               the old ones; a broken configuration keeps the old one
 *   USR1        reopen our logs, USR1 to the workers
 *   USR2        binary upgrade: the pid file becomes PIDFILE.oldbin and
 *               the binary runs again with our sockets (master/upgrade.c);
 *               if that new master dies, the pid file is ours again
 *   WINCH       QUIT to the workers, keep the master; HUP brings them back
 *   CHLD        reap; a worker that died unexpectedly is started again,
 *               with back-off when it keeps dying
 *   ALRM        a respawn or kill deadline has come (setitimer)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/core.h"
#include "common/log.h"
#include "master/listen.h"
#include "master/master.h"
#include "master/pidfile.h"
#include "master/proctitle.h"
#include "master/signals.h"
#include "master/upgrade.h"
#include "worker/limits.h"
#include "worker/stats.h"
#include "worker/worker.h"

#define KILL_AFTER_MS       3000    /* TERM, then KILL */
#define STABLE_AFTER_MS     10000   /* a worker up this long is healthy */
#define RESPAWN_FIRST_MS    100
#define RESPAWN_MAX_MS      30000

typedef struct proc {
    pid_t       pid;
    unsigned    slot;
    unsigned    generation;
    unsigned    exiting;            /* told to stop: no respawn */
    uint64_t    started_ms;
} proc_t;

typedef struct slot_state {
    unsigned    crashes;            /* quick deaths in a row */
    uint64_t    respawn_at_ms;      /* 0: nothing scheduled */
} slot_state_t;

static const gw_master_opts_t *opts;
static gw_cycle_t             *cycle;
static proc_t                 *procs;
static unsigned                n_procs, procs_cap;
static slot_state_t           *slots;
static unsigned                n_slots;
static int                     stopping;    /* a GW_EV_* that stops us, or -1 */
static int                     no_workers;  /* after WINCH, until HUP */
static uint64_t                kill_at_ms;
static char                    pid_file[4096];  /* ours: PIDFILE or .oldbin */
static pid_t                   new_binary;      /* USR2's new master, or 0 */

/* ---- the cycle ---------------------------------------------------------- */

static void
cycle_free(gw_cycle_t *c)
{
    if (c == NULL) {
        return;
    }
    for (unsigned i = 0; c->access_logs && i < c->conf->n_listeners; i++) {
        gw_logfile_close(c->access_logs[i]);
    }
    for (unsigned i = 0; i < c->n_sockets; i++) {
        free(c->sockets[i].fds);
    }
    free(c->access_logs);
    free(c->sockets);
    gw_conf_free(c->conf);
    free(c);
}

static int
open_access_logs(gw_cycle_t *c, char *err)
{
    const gw_conf_t *conf = c->conf;

    c->access_logs = calloc(conf->n_listeners + 1, sizeof(*c->access_logs));
    if (c->access_logs == NULL) {
        snprintf(err, GW_ERR_LEN, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < conf->n_listeners; i++) {
        const char *path = conf->listeners[i]->access_log;

        if (path && (c->access_logs[i] = gw_logfile_open(path, err)) == NULL) {
            return -1;
        }
    }
    return 0;
}

/* A cycle for CONF, taking over OLD's sockets where they match. */
static gw_cycle_t *
cycle_new(gw_conf_t *conf, const gw_cycle_t *old, char *err)
{
    gw_cycle_t *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        snprintf(err, GW_ERR_LEN, "out of memory");
        return NULL;
    }
    c->conf = conf;
    c->generation = old ? old->generation + 1 : 1;
    if (gw_listen_open(c, old, err) != 0) {
        c->conf = NULL;
        free(c);
        return NULL;
    }
    if (open_access_logs(c, err) != 0) {
        gw_listen_abandon(c, old);
        cycle_free(c);
        return NULL;
    }
    return c;
}

/* ---- workers ------------------------------------------------------------ */

static proc_t *
add_proc(void)
{
    if (n_procs == procs_cap) {
        unsigned cap = procs_cap ? procs_cap * 2 : 16;
        proc_t  *p = realloc(procs, cap * sizeof(*p));

        if (p == NULL) {
            return NULL;
        }
        procs = p;
        procs_cap = cap;
    }
    return &procs[n_procs++];
}

static void
spawn(unsigned slot)
{
    proc_t *p = add_proc();
    pid_t   pid;

    if (p == NULL) {
        gw_log(GW_LOG_CRIT, ENOMEM, "cannot start a worker for slot %u", slot);
        return;
    }
    pid = fork();
    if (pid == -1) {
        n_procs--;
        gw_log(GW_LOG_CRIT, errno, "fork() failed for slot %u", slot);
        slots[slot].respawn_at_ms = gw_now_ms + RESPAWN_MAX_MS / 10;
        return;
    }
    if (pid == 0) {
        gw_proctitle_set("worker process");
        gw_worker_run(cycle, slot);
    }
    p->pid = pid;
    p->slot = slot;
    p->generation = cycle->generation;
    p->exiting = 0;
    p->started_ms = gw_now_ms;
    slots[slot].respawn_at_ms = 0;
}

static int
resize_slots(unsigned n)
{
    slot_state_t *s = realloc(slots, (n ? n : 1) * sizeof(*s));

    if (s == NULL) {
        return -1;
    }
    for (unsigned i = n_slots; i < n; i++) {
        s[i].crashes = 0;
        s[i].respawn_at_ms = 0;
    }
    slots = s;
    n_slots = n;
    return 0;
}

static void
spawn_all(void)
{
    for (unsigned i = 0; i < n_slots; i++) {
        spawn(i);
    }
}

/* Send SIGNO to the workers of older generations (or all with ALL). */
static void
signal_workers(int signo, int all, int mark_exiting)
{
    for (unsigned i = 0; i < n_procs; i++) {
        if (!all && procs[i].generation == cycle->generation) {
            continue;
        }
        if (kill(procs[i].pid, signo) == -1 && errno != ESRCH) {
            gw_log(GW_LOG_ERROR, errno, "kill(%d, %d) failed",
                   (int) procs[i].pid, signo);
        }
        if (mark_exiting) {
            procs[i].exiting = 1;
        }
    }
}

static void
log_exit(const proc_t *p, int status)
{
    int level = p->exiting && WIFEXITED(status) && WEXITSTATUS(status) == 0
                ? GW_LOG_NOTICE : GW_LOG_CRIT;

    if (WIFSIGNALED(status)) {
        gw_log(level, 0, "worker process %d exited on signal %d%s",
               (int) p->pid, WTERMSIG(status),
               WCOREDUMP(status) ? " (core dumped)" : "");
    } else {
        gw_log(level, 0, "worker process %d exited with code %d",
               (int) p->pid, WEXITSTATUS(status));
    }
}

/* Quick deaths in a row double the wait before the next start. */
static void
schedule_respawn(const proc_t *p)
{
    slot_state_t *s = &slots[p->slot];
    uint64_t      delay = 0;

    if (gw_now_ms - p->started_ms >= STABLE_AFTER_MS) {
        s->crashes = 0;
    }
    if (s->crashes > 0) {
        delay = RESPAWN_FIRST_MS << (s->crashes > 9 ? 9 : s->crashes - 1);
        delay = delay > RESPAWN_MAX_MS ? RESPAWN_MAX_MS : delay;
        gw_log(GW_LOG_CRIT, 0, "worker of slot %u keeps dying (%u times in "
               "a row): next start in %llu ms", p->slot, s->crashes + 1,
               (unsigned long long) delay);
    }
    s->crashes++;
    s->respawn_at_ms = gw_now_ms + delay;
    gw_stat_add(&gw_stats_slot(p->slot)->restarts, 1);
}

/* The new master of an upgrade is gone: the pid file is ours again. */
static void
new_binary_gone(int status)
{
    const char *pid = cycle->conf->pid;

    gw_log(GW_LOG_NOTICE, 0, "the new binary (pid %d) exited (%s %d): this "
           "master goes on%s", (int) new_binary,
           WIFSIGNALED(status) ? "signal" : "code",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
           no_workers ? "; HUP starts its workers again" : "");
    new_binary = 0;
    if (rename(pid_file, pid) == 0) {
        snprintf(pid_file, sizeof(pid_file), "%s", pid);
    }
}

static void
reap(void)
{
    int   status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == new_binary) {
            new_binary_gone(status);
            continue;
        }
        for (unsigned i = 0; i < n_procs; i++) {
            proc_t p = procs[i];

            if (p.pid != pid) {
                continue;
            }
            procs[i] = procs[--n_procs];
            log_exit(&p, status);
            if (!p.exiting && stopping < 0 && !no_workers
                && p.generation == cycle->generation && p.slot < n_slots) {
                schedule_respawn(&p);
            }
            break;
        }
    }
}

static void
respawn_due(void)
{
    for (unsigned i = 0; i < n_slots; i++) {
        if (slots[i].respawn_at_ms && slots[i].respawn_at_ms <= gw_now_ms
            && stopping < 0 && !no_workers) {
            spawn(i);
        }
    }
}

/* ---- events ------------------------------------------------------------- */

static int
reopen_error_log(const gw_conf_t *conf)
{
    char err[GW_ERR_LEN];

    if (gw_log_open(conf->error_log, conf->error_log_level, err) != 0) {
        gw_log(GW_LOG_ERROR, 0, "%s", err);
        return -1;
    }
    return 0;
}

/* Logs the master opens go to the workers' user (they reopen them). */
static int
own_logs_for_workers(const gw_conf_t *conf)
{
    uid_t uid;
    gid_t gid;

    if (gw_worker_credentials(conf, &uid, &gid) != 0) {
        return -1;
    }
    gw_log_set_owner(uid == 0 ? (uid_t) -1 : uid, gid);
    return 0;
}

static void
warn_user_ignored(const gw_conf_t *conf)
{
    if (conf->user && geteuid() != 0) {
        gw_log(GW_LOG_WARN, 0, "the \"user\" directive needs a master "
               "running as root: ignored, workers run as uid %d",
               (int) geteuid());
    }
}

static gw_conf_t *
load(char *err, size_t len)
{
    gw_conf_t *conf = gw_conf_load(opts->conf_path, opts->extra, err, len);

    if (conf && gw_worker_check_conf(conf, err, len) != 0) {
        gw_conf_free(conf);
        return NULL;
    }
    return conf;
}

static void
reload(void)
{
    char        err[GW_CONF_ERR_LEN];
    gw_conf_t  *conf = load(err, sizeof(err));
    gw_cycle_t *old = cycle, *next;

    if (conf == NULL) {
        gw_log(GW_LOG_ERROR, 0, "reload failed, keeping the running "
               "configuration: %s", err);
        gw_stat_add(&gw_stats_master()->reload_failures, 1);
        return;
    }
    own_logs_for_workers(conf);
    warn_user_ignored(conf);
    next = cycle_new(conf, old, err);
    if (next == NULL || resize_slots(conf->worker_processes) != 0) {
        gw_log(GW_LOG_ERROR, 0, "reload failed, keeping the running "
               "configuration: %s", next ? "out of memory" : err);
        gw_stat_add(&gw_stats_master()->reload_failures, 1);
        if (next) {
            gw_listen_abandon(next, old);
            cycle_free(next);
        } else {
            gw_conf_free(conf);
        }
        return;
    }
    gw_stats_bind(conf);            /* entries for new names, before the fork */
    gw_stat_add(&gw_stats_master()->reloads, 1);
    /* removed sockets close before the fork, so no new worker holds one */
    gw_listen_close_unused(old, next);
    cycle = next;
    if (strcmp(old->conf->error_log, conf->error_log) != 0
        || old->conf->error_log_level != conf->error_log_level) {
        reopen_error_log(conf);
    }
    cycle_free(old);
    no_workers = 0;
    spawn_all();
    signal_workers(SIGQUIT, 0, 1);
    gw_log(GW_LOG_NOTICE, 0, "reloaded %s (generation %u, %u workers)",
           conf->file, cycle->generation, conf->worker_processes);
}

static void
reopen(void)
{
    int failed = gw_logfile_reopen_all();

    if (gw_log_reopen() != 0) {
        failed++;
    }
    signal_workers(SIGUSR1, 1, 0);
    gw_log(GW_LOG_NOTICE, 0, "reopened log files%s", failed ? " (with "
           "failures)" : "");
}

static void
stop(int event)
{
    if (stopping >= 0 && !(stopping == GW_EV_QUIT && event == GW_EV_TERMINATE)) {
        return;
    }
    stopping = event;
    /* once the workers drop theirs, new clients are refused, not queued */
    gw_listen_close(cycle);
    if (event == GW_EV_TERMINATE) {
        signal_workers(SIGTERM, 1, 1);
        kill_at_ms = gw_now_ms + KILL_AFTER_MS;
        gw_log(GW_LOG_NOTICE, 0, "fast shutdown");
    } else {
        signal_workers(SIGQUIT, 1, 1);
        gw_log(GW_LOG_NOTICE, 0, "graceful shutdown");
    }
}

/* USR2: PIDFILE becomes PIDFILE.oldbin, and the binary runs again. */
static void
upgrade(void)
{
    char oldbin[sizeof(pid_file)];

    if (new_binary) {
        gw_log(GW_LOG_ERROR, 0, "binary upgrade: a new master (pid %d) runs "
               "already", (int) new_binary);
        return;
    }
    snprintf(oldbin, sizeof(oldbin), "%s.oldbin", cycle->conf->pid);
    if (rename(pid_file, oldbin) != 0) {
        gw_log(GW_LOG_ERROR, errno, "binary upgrade: cannot rename \"%s\" "
               "to \"%s\"", pid_file, oldbin);
        return;
    }
    gw_stat_add(&gw_stats_master()->upgrades, 1);
    new_binary = gw_upgrade_exec(cycle);
    if (new_binary == -1) {
        new_binary = 0;
        rename(oldbin, pid_file);
        return;
    }
    snprintf(pid_file, sizeof(pid_file), "%s", oldbin);
    gw_log(GW_LOG_NOTICE, 0, "binary upgrade: new master %d started; WINCH "
           "stops our workers, QUIT ends this master", (int) new_binary);
}

static void
handle_events(void)
{
    static volatile sig_atomic_t *const ev = gw_master_events;

    if (ev[GW_EV_CHILD]) {
        ev[GW_EV_CHILD] = 0;
        reap();
    }
    if (ev[GW_EV_TERMINATE]) {
        ev[GW_EV_TERMINATE] = 0;
        stop(GW_EV_TERMINATE);
    }
    if (ev[GW_EV_QUIT]) {
        ev[GW_EV_QUIT] = 0;
        stop(GW_EV_QUIT);
    }
    if (ev[GW_EV_RELOAD]) {
        ev[GW_EV_RELOAD] = 0;
        if (stopping < 0) {
            reload();
        }
    }
    if (ev[GW_EV_REOPEN]) {
        ev[GW_EV_REOPEN] = 0;
        reopen();
    }
    if (ev[GW_EV_WINCH]) {
        ev[GW_EV_WINCH] = 0;
        no_workers = 1;
        signal_workers(SIGQUIT, 1, 1);
        gw_log(GW_LOG_NOTICE, 0, "stopping the workers (WINCH); HUP starts "
               "them again");
    }
    if (ev[GW_EV_UPGRADE]) {
        ev[GW_EV_UPGRADE] = 0;
        if (stopping < 0) {
            upgrade();
        }
    }
    ev[GW_EV_ALARM] = 0;
}

/* Arm SIGALRM for the nearest respawn or kill deadline. */
static void
arm_alarm(void)
{
    struct itimerval it;
    uint64_t         next = kill_at_ms;

    for (unsigned i = 0; i < n_slots; i++) {
        if (slots[i].respawn_at_ms && (next == 0 || slots[i].respawn_at_ms < next)) {
            next = slots[i].respawn_at_ms;
        }
    }
    memset(&it, 0, sizeof(it));
    if (next) {
        uint64_t ms = next > gw_now_ms ? next - gw_now_ms : 1;

        it.it_value.tv_sec = (time_t) (ms / 1000);
        it.it_value.tv_usec = (suseconds_t) (ms % 1000) * 1000;
    }
    setitimer(ITIMER_REAL, &it, NULL);
}

static void
run(const sigset_t *wait_mask)
{
    for ( ;; ) {
        arm_alarm();
        sigsuspend(wait_mask);
        gw_clock_update();
        handle_events();
        if (stopping >= 0 && n_procs == 0) {
            return;
        }
        if (kill_at_ms && gw_now_ms >= kill_at_ms) {
            signal_workers(SIGKILL, 1, 1);
            kill_at_ms = 0;
        }
        respawn_due();
    }
}

/* ---- start ---------------------------------------------------------------- */

static int
daemonize(void)
{
    int   fd;
    pid_t pid = fork();

    if (pid == -1) {
        return -1;
    }
    if (pid > 0) {
        _exit(0);
    }
    setsid();
    fd = open("/dev/null", O_RDWR);
    if (fd != -1) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO) {
            close(fd);
        }
    }
    gw_log_redirect_stderr();
    return 0;
}

static int
refuse_second_master(const gw_conf_t *conf)
{
    char  err[GW_ERR_LEN];
    pid_t pid = gw_pidfile_read(conf->pid, err);

    if (pid > 0 && gw_pidfile_is_master(pid)) {
        fprintf(stderr, "gateway: [emerg] pid file \"%s\" names a running "
                "master (pid %d): stop it first, or use -s\n", conf->pid,
                (int) pid);
        return -1;
    }
    return 0;
}

static int
emerg(const char *err)
{
    fprintf(stderr, "gateway: [emerg] %s\n", err);
    gw_log(GW_LOG_EMERG, 0, "%s", err);
    return 1;
}

static int
start(gw_conf_t *conf, sigset_t *wait_mask)
{
    char err[GW_CONF_ERR_LEN];
    char title[1200];
    int  inherited;

    if (refuse_second_master(conf) != 0) {
        return 1;
    }
    if (gw_stats_create() != 0) {
        return emerg("cannot map the shared counters");
    }
    if (gw_limits_create() != 0) {
        return emerg("cannot map the shared table of limit_conn and limit_req");
    }
    gw_stats_master()->started = (uint64_t) time(NULL);
    gw_stats_bind(conf);
    if (own_logs_for_workers(conf) != 0) {
        return emerg("the user for the workers is unknown");
    }
    if (gw_log_open(conf->error_log, conf->error_log_level, err) != 0) {
        return emerg(err);
    }
    warn_user_ignored(conf);
    inherited = gw_upgrade_inherit();
    cycle = cycle_new(conf, NULL, err);
    gw_upgrade_close_rest();
    if (cycle == NULL) {
        return emerg(err);
    }
    /* started by an upgrade: the old master is our parent and detached */
    if (conf->daemon && inherited != 1 && daemonize() != 0) {
        return emerg("fork() failed while daemonizing");
    }
    if (gw_pidfile_write(conf->pid, err) != 0) {
        return emerg(err);
    }
    snprintf(pid_file, sizeof(pid_file), "%s", conf->pid);
    snprintf(title, sizeof(title), "master process %s", gw_proctitle_args());
    gw_proctitle_set(title);
    gw_signals_install(wait_mask);
    if (resize_slots(conf->worker_processes) != 0) {
        return emerg("out of memory");
    }
    return 0;
}

int
gw_master_run(gw_conf_t *conf, const gw_master_opts_t *options)
{
    sigset_t wait_mask;
    int      rc;

    opts = options;
    stopping = -1;
    gw_clock_update();
    rc = start(conf, &wait_mask);
    if (rc != 0) {
        if (cycle) {
            gw_listen_close(cycle);
            cycle_free(cycle);
        } else {
            gw_conf_free(conf);
        }
        free(slots);
        return rc;
    }
    gw_log(GW_LOG_NOTICE, 0, "gateway/%s started: master %d, %u workers",
           GW_VERSION, (int) getpid(), conf->worker_processes);
    spawn_all();
    run(&wait_mask);
    gw_listen_close(cycle);
    gw_pidfile_remove(pid_file);
    gw_log(GW_LOG_NOTICE, 0, "exit");
    cycle_free(cycle);
    free(procs);
    free(slots);
    return 0;
}
