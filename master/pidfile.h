/*
 * master/pidfile.h: the master's pid file.
 */
#ifndef GW_PIDFILE_H
#define GW_PIDFILE_H

#include <sys/types.h>

/* The pid in PATH; 0 when there is no file, -1 (err set) when unreadable. */
pid_t gw_pidfile_read(const char *path, char *err);

/* Does PID name a live gateway master? (its title, or kill(pid, 0)) */
int gw_pidfile_is_master(pid_t pid);

/* Write our pid; 0, or -1 with err set. */
int gw_pidfile_write(const char *path, char *err);

/* Remove PATH if it still names this process. */
void gw_pidfile_remove(const char *path);

#endif
