/*
 * master/pidfile.c: reading, writing and checking the pid file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/core.h"
#include "master/pidfile.h"

pid_t
gw_pidfile_read(const char *path, char *err)
{
    char    buf[32];
    ssize_t n;
    long    pid;
    char   *end;
    int     fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        if (errno == ENOENT) {
            return 0;
        }
        snprintf(err, GW_ERR_LEN, "open() \"%s\" failed (%d: %s)", path,
                 errno, strerror(errno));
        return -1;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        snprintf(err, GW_ERR_LEN, "invalid PID number in \"%s\"", path);
        return -1;
    }
    buf[n] = '\0';
    pid = strtol(buf, &end, 10);
    if (pid <= 0 || (*end != '\n' && *end != '\0')) {
        snprintf(err, GW_ERR_LEN, "invalid PID number in \"%s\"", path);
        return -1;
    }
    return (pid_t) pid;
}

int
gw_pidfile_is_master(pid_t pid)
{
    char  path[64], cmdline[64];
    FILE *f;
    size_t n;

    if (kill(pid, 0) != 0 && errno != EPERM) {
        return 0;
    }
    /* a pid reused by another program is not our master: check its title */
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return 1;
    }
    n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
    fclose(f);
    cmdline[n] = '\0';
    return strncmp(cmdline, "gateway: master process", 23) == 0;
}

/*
 * Written to PATH.tmp, then renamed over PATH: a reader (systemd's
 * PIDFile=, `gateway -s`) sees no file or a whole one, never an empty one.
 */
int
gw_pidfile_write(const char *path, char *err)
{
    char buf[32], tmp[4096];
    int  len = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
    int  fd, ok;

    if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        fd = -1;
    } else {
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    if (fd != -1) {
        ok = write(fd, buf, (size_t) len) == len;
        ok = close(fd) == 0 && ok;
        if (ok && rename(tmp, path) == 0) {
            return 0;
        }
        unlink(tmp);
    }
    snprintf(err, GW_ERR_LEN, "cannot write pid file \"%s\" (%d: %s)", path,
             errno, strerror(errno));
    return -1;
}

void
gw_pidfile_remove(const char *path)
{
    char err[GW_ERR_LEN];

    if (gw_pidfile_read(path, err) == getpid()) {
        unlink(path);
    }
}
