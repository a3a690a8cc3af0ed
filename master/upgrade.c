/*
 * master/upgrade.c: starting the new binary, and being it (see upgrade.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "master/upgrade.h"

#define MAX_INHERITED 4096

typedef struct inherited {
    int           fd;
    int           type;
    gw_sockaddr_t addr;
} inherited_t;

static char         exe[PATH_MAX];  /* the binary's path at start */
static char       **args;           /* a copy of argv */
static char        *inherited_env;  /* GATEWAY_SOCKETS as we got it */
static inherited_t *inh;
static unsigned     n_inh;

void
gw_upgrade_init(char **argv)
{
    int     n = 0;
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    /* the path, not the open file: a binary replaced in place since is
     * the one that runs */
    exe[len > 0 ? len : 0] = '\0';
    /* taken out now, before the title moves the environment to the heap:
     * neither the workers nor a later upgrade must see it */
    if (getenv(GW_UPGRADE_ENV)) {
        inherited_env = strdup(getenv(GW_UPGRADE_ENV));
        unsetenv(GW_UPGRADE_ENV);
    }
    while (argv[n]) {
        n++;
    }
    args = calloc((size_t) n + 1, sizeof(*args));
    for (int i = 0; args && i < n; i++) {
        args[i] = strdup(argv[i]);
    }
}

/* "FD tcp ADDR;" for every socket of CYCLE; malloc'd, or NULL. */
static char *
describe_sockets(const gw_cycle_t *cycle)
{
    size_t cap = 64, len = 0;
    char  *s = malloc(cap);

    if (s == NULL) {
        return NULL;
    }
    s[0] = '\0';
    for (unsigned i = 0; i < cycle->n_sockets; i++) {
        const gw_listen_socket_t *ls = &cycle->sockets[i];
        char                      addr[GW_ADDR_STRLEN];

        gw_sockaddr_format(&ls->addr, addr, sizeof(addr));
        for (unsigned k = 0; k < ls->n_fds; k++) {
            char *grown;

            if (ls->fds[k] == -1) {
                continue;
            }
            if (len + GW_ADDR_STRLEN + 32 > cap) {
                cap = cap * 2 + GW_ADDR_STRLEN + 32;
                if ((grown = realloc(s, cap)) == NULL) {
                    free(s);
                    return NULL;
                }
                s = grown;
            }
            len += (size_t) snprintf(s + len, cap - len, "%d %s %s;",
                                     ls->fds[k],
                                     ls->type == SOCK_DGRAM ? "udp" : "tcp",
                                     addr);
        }
    }
    return s;
}

/* The child: sockets open across exec, then the binary. Never returns. */
static void
exec_child(const gw_cycle_t *cycle, const char *env)
{
    for (unsigned i = 0; i < cycle->n_sockets; i++) {
        for (unsigned k = 0; k < cycle->sockets[i].n_fds; k++) {
            if (cycle->sockets[i].fds[k] != -1) {
                fcntl(cycle->sockets[i].fds[k], F_SETFD, 0);
            }
        }
    }
    if (setenv(GW_UPGRADE_ENV, env, 1) == 0) {
        execv(exe, args);
    }
    gw_log(GW_LOG_CRIT, errno, "execv(\"%s\") for the binary upgrade "
           "failed", exe);
    _exit(1);
}

pid_t
gw_upgrade_exec(const gw_cycle_t *cycle)
{
    char  *env = describe_sockets(cycle);
    pid_t  pid;

    if (env == NULL || exe[0] == '\0' || args == NULL) {
        gw_log(GW_LOG_CRIT, ENOMEM, "cannot prepare the binary upgrade");
        free(env);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        exec_child(cycle, env);
    }
    if (pid == -1) {
        gw_log(GW_LOG_CRIT, errno, "fork() for the binary upgrade failed");
    }
    free(env);
    return pid;
}

/* One "FD tcp ADDR" entry into *E; 0 or -1. */
static int
parse_entry(char *text, inherited_t *e)
{
    char *type, *addr, *end;
    long  fd = strtol(text, &end, 10);

    if (end == text || *end != ' ' || fd < 0 || fd > INT_MAX) {
        return -1;
    }
    type = end + 1;
    addr = strchr(type, ' ');
    if (addr == NULL) {
        return -1;
    }
    *addr++ = '\0';
    if (strcmp(type, "tcp") != 0 && strcmp(type, "udp") != 0) {
        return -1;
    }
    e->fd = (int) fd;
    e->type = type[0] == 'u' ? SOCK_DGRAM : SOCK_STREAM;
    return gw_addr_parse_listen(addr, &e->addr);
}

int
gw_upgrade_inherit(void)
{
    char *copy = inherited_env, *entry, *save = NULL;

    if (copy == NULL) {
        return 0;
    }
    inherited_env = NULL;
    inh = calloc(MAX_INHERITED, sizeof(*inh));
    if (copy == NULL || inh == NULL) {
        free(copy);
        return -1;
    }
    for (entry = strtok_r(copy, ";", &save); entry && n_inh < MAX_INHERITED;
         entry = strtok_r(NULL, ";", &save)) {
        if (parse_entry(entry, &inh[n_inh]) != 0
            || fcntl(inh[n_inh].fd, F_GETFD) == -1) {
            gw_log(GW_LOG_CRIT, 0, "invalid %s entry \"%s\": the sockets "
                   "are opened anew", GW_UPGRADE_ENV, entry);
            n_inh = 0;
            free(copy);
            return -1;
        }
        fcntl(inh[n_inh].fd, F_SETFD, FD_CLOEXEC);
        n_inh++;
    }
    free(copy);
    gw_log(GW_LOG_NOTICE, 0, "binary upgrade: %u listen sockets inherited",
           n_inh);
    return 1;
}

int
gw_upgrade_take(int type, const gw_sockaddr_t *addr)
{
    for (unsigned i = 0; i < n_inh; i++) {
        if (inh[i].fd != -1 && inh[i].type == type
            && gw_sockaddr_eq(&inh[i].addr, addr)) {
            int fd = inh[i].fd;

            inh[i].fd = -1;
            return fd;
        }
    }
    return -1;
}

void
gw_upgrade_close_rest(void)
{
    for (unsigned i = 0; i < n_inh; i++) {
        if (inh[i].fd != -1) {
            close(inh[i].fd);
            inh[i].fd = -1;
        }
    }
    free(inh);
    inh = NULL;
    n_inh = 0;
}
