/*
 * worker/credentials.c: the user workers run as (`user USER [GROUP]`).
 *
 * A master started as root keeps root (it binds, opens logs, reloads,
 * upgrades); its workers drop to the configured user, or to nobody when
 * the configuration names none: a worker runs as root only when
 * `user root` says so. A master that is not root cannot change users:
 * its workers run as itself and `user` is ignored (logged by the master).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/log.h"
#include "worker/worker.h"

#define DEFAULT_USER "nobody"

int
gw_worker_credentials(const gw_conf_t *conf, uid_t *uid, gid_t *gid)
{
    const char    *name = conf->user ? conf->user : DEFAULT_USER;
    struct passwd *pw;
    struct group  *gr;

    *uid = (uid_t) -1;
    *gid = (gid_t) -1;
    if (geteuid() != 0) {
        return 0;
    }
    if ((pw = getpwnam(name)) == NULL) {
        gw_log(GW_LOG_CRIT, errno, "user \"%s\" not found", name);
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    if (conf->group) {
        if ((gr = getgrnam(conf->group)) == NULL) {
            gw_log(GW_LOG_CRIT, errno, "group \"%s\" not found", conf->group);
            return -1;
        }
        *gid = gr->gr_gid;
    }
    return 0;
}

void
gw_worker_drop_privileges(const gw_conf_t *conf)
{
    const char *name = conf->user ? conf->user : DEFAULT_USER;
    uid_t       uid;
    gid_t       gid;

    if (gw_worker_credentials(conf, &uid, &gid) != 0) {
        exit(2);
    }
    if (uid == (uid_t) -1 || uid == 0) {
        return;                 /* not root, or `user root` */
    }
    /* groups first: after setuid() there is no right to change them */
    if (initgroups(name, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0
        || setuid(0) == 0) {
        gw_log(GW_LOG_CRIT, errno, "cannot run as user \"%s\" (uid %d, gid "
               "%d): the worker stops", name, (int) uid, (int) gid);
        exit(2);
    }
    /* a change of credentials clears the parent-death signal */
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
}
