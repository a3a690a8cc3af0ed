/*
 * common/log.c: error log and access log files (see log.h).
 *
 * Error log line: "YYYY/MM/DD HH:MM:SS [level] PID#TID: message". The
 * access log files form a small list keyed by path so that listeners
 * sharing a file share one descriptor, and USR1 reopens each once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

int gw_log_level = GW_LOG_NOTICE;

static int   log_fd = STDERR_FILENO;
static char *log_path;                  /* NULL while logging to stderr */
static int   stderr_follows;            /* fd 2 is a copy of log_fd */

static const char *level_names[] = {
    "emerg", "crit", "error", "warn", "notice", "info", "debug"
};

struct gw_logfile {
    gw_logfile_t *next;
    char         *path;
    int           fd;
    unsigned      refs;
};

static gw_logfile_t *logfiles;

int
gw_log_level_parse(const char *name)
{
    /* emerg is internal: operators pick from debug .. crit (SPEC) */
    for (int i = GW_LOG_CRIT; i <= GW_LOG_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
gw_log_level_name(int level)
{
    return level_names[level];
}

static uid_t owner_uid = (uid_t) -1;   /* (uid_t) -1: leave them be */
static gid_t owner_gid = (gid_t) -1;

void
gw_log_set_owner(uid_t uid, gid_t gid)
{
    owner_uid = uid;
    owner_gid = gid;
}

static int
open_append(const char *path, char *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

    if (fd == -1 && err) {
        snprintf(err, 256, "open(\"%s\") failed (%d: %s)", path, errno,
                 strerror(errno));
    }
    /* workers that run as another user reopen the files the master made */
    if (fd != -1 && owner_uid != (uid_t) -1 && fchown(fd, owner_uid, owner_gid)) {
        /* not ours to change (not root): the workers' reopen will say */
    }
    return fd;
}

int
gw_log_open(const char *path, int level, char *err)
{
    int   fd = STDERR_FILENO;
    char *copy = NULL;

    if (path && strcmp(path, "stderr") != 0) {
        copy = strdup(path);
        if (copy == NULL) {
            snprintf(err, 256, "out of memory");
            return -1;
        }
        fd = open_append(path, err);
        if (fd == -1) {
            free(copy);
            return -1;
        }
    }
    if (log_fd != STDERR_FILENO) {
        close(log_fd);
    }
    free(log_path);
    log_fd = fd;
    log_path = copy;
    gw_log_level = level;
    if (stderr_follows && fd != STDERR_FILENO) {
        dup2(fd, STDERR_FILENO);
    }
    return 0;
}

int
gw_log_reopen(void)
{
    int fd;

    if (log_path == NULL) {
        return 0;
    }
    fd = open_append(log_path, NULL);
    if (fd == -1) {
        return -1;
    }
    /* dup3 keeps the number every holder of log_fd knows */
    dup3(fd, log_fd, O_CLOEXEC);
    close(fd);
    if (stderr_follows) {
        dup2(log_fd, STDERR_FILENO);
    }
    return 0;
}

void
gw_log_redirect_stderr(void)
{
    if (log_fd != STDERR_FILENO) {
        dup2(log_fd, STDERR_FILENO);
        stderr_follows = 1;
    }
}

/* Not cached: a cache would survive fork() and name the parent. Error log
 * lines are rare enough for one more system call. */
static long
current_tid(void)
{
    return syscall(SYS_gettid);
}

void
gw_log_vwrite(int level, int err, const char *fmt, va_list ap)
{
    char    line[GW_LOG_LINE_MAX];
    size_t  cap = sizeof(line) - 1;     /* room for the newline */
    int     n, len;

    len = snprintf(line, cap, "%s [%s] %d#%ld: ", gw_clock_log_time(),
                   level_names[level], (int) getpid(), current_tid());
    n = vsnprintf(line + len, cap - len, fmt, ap);
    len = (size_t) (len + n) < cap ? len + n : (int) cap - 1;
    if (err) {
        n = snprintf(line + len, cap - len, " (%d: %s)", err, strerror(err));
        len = (size_t) (len + n) < cap ? len + n : (int) cap - 1;
    }
    line[len++] = '\n';
    /* one write per line: O_APPEND keeps lines from processes whole */
    if (write(log_fd, line, len) < 0) {
        /* nowhere left to report it */
    }
}

void
gw_log_write(int level, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    gw_log_vwrite(level, err, fmt, ap);
    va_end(ap);
}

gw_logfile_t *
gw_logfile_open(const char *path, char *err)
{
    gw_logfile_t *f;

    for (f = logfiles; f; f = f->next) {
        if (strcmp(f->path, path) == 0) {
            f->refs++;
            return f;
        }
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        snprintf(err, 256, "out of memory");
        return NULL;
    }
    f->fd = open_append(path, err);
    if (f->fd == -1) {
        free(f->path);
        free(f);
        return NULL;
    }
    f->refs = 1;
    f->next = logfiles;
    logfiles = f;
    return f;
}

void
gw_logfile_close(gw_logfile_t *f)
{
    gw_logfile_t **pp;

    if (f == NULL || --f->refs > 0) {
        return;
    }
    for (pp = &logfiles; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    close(f->fd);
    free(f->path);
    free(f);
}

void
gw_logfile_write(gw_logfile_t *f, const char *line, size_t len)
{
    if (write(f->fd, line, len) < 0) {
        gw_log(GW_LOG_WARN, errno, "write() to access log \"%s\" failed",
               f->path);
    }
}

int
gw_logfile_reopen_all(void)
{
    int failed = 0;

    for (gw_logfile_t *f = logfiles; f; f = f->next) {
        int fd = open_append(f->path, NULL);

        if (fd == -1) {
            gw_log(GW_LOG_ERROR, errno, "reopening \"%s\" failed", f->path);
            failed++;
            continue;
        }
        dup3(fd, f->fd, O_CLOEXEC);
        close(fd);
    }
    return failed;
}
