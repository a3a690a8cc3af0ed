/*
 * common/log.h: the error log (levels, SPEC line format) and access log
 * files.
 *
 * Lines are formatted on the stack and written with one write(2) on an
 * O_APPEND descriptor: no allocation, no fsync, so a log line never holds
 * the event loop for long. Both kinds of file are reopened on USR1.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdarg.h>
#include <sys/types.h>
#include <stddef.h>

enum gw_log_level {
    GW_LOG_EMERG = 0,       /* only for -t and start-up failures */
    GW_LOG_CRIT,
    GW_LOG_ERROR,
    GW_LOG_WARN,
    GW_LOG_NOTICE,
    GW_LOG_INFO,
    GW_LOG_DEBUG
};

#define GW_LOG_LINE_MAX 2048

extern int gw_log_level;

/* Level by name ("debug" .. "crit"); -1 when unknown. */
int gw_log_level_parse(const char *name);
const char *gw_log_level_name(int level);

/*
 * Point the error log at PATH ("stderr" or NULL for fd 2) and set the level.
 * Returns 0, or -1 with a message in err (the previous log stays open).
 */
int gw_log_open(const char *path, int level, char *err);

/*
 * Files opened from now on (logs and their reopens) are given to UID:GID,
 * so that workers running as that user can reopen them after a rotation
 * ((uid_t) -1: left as they are).
 */
void gw_log_set_owner(uid_t uid, gid_t gid);

/* Reopen the error log file after logrotate moved it; 0 or -1. */
int gw_log_reopen(void);

/*
 * Make fd 2 a copy of the error log file (a daemon has no terminal), so
 * that anything libc prints lands in the log; it follows reopens too.
 */
void gw_log_redirect_stderr(void);

/*
 * Write one error log line at LEVEL. When err is non-zero, " (err: text)"
 * follows the message, as nginx does.
 */
void gw_log_write(int level, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void gw_log_vwrite(int level, int err, const char *fmt, va_list ap);

#define gw_log(level, err, ...)                                          \
    do {                                                                 \
        if ((level) <= gw_log_level)                                     \
            gw_log_write((level), (err), __VA_ARGS__);                   \
    } while (0)

/* Access log files, shared by path and reference-counted. */
typedef struct gw_logfile gw_logfile_t;

gw_logfile_t *gw_logfile_open(const char *path, char *err);
void gw_logfile_close(gw_logfile_t *f);
void gw_logfile_write(gw_logfile_t *f, const char *line, size_t len);
/* Reopen every access log file; returns how many failed. */
int gw_logfile_reopen_all(void);

#endif
