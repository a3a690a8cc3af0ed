/*
 * master/main.c: the command line (SPEC):
 *
 *   gateway [-c FILE] [-g DIRECTIVES] [-t] [-T] [-s SIGNAL] [-v] [-h]
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/core.h"
#include "conf/conf.h"
#include "master/master.h"
#include "master/pidfile.h"
#include "master/proctitle.h"
#include "master/signals.h"
#include "master/upgrade.h"
#include "worker/worker.h"

typedef struct options {
    char       *conf_path;
    char       *extra;
    const char *signal;
    int         test;       /* 1: -t, 2: -T */
} options_t;

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: gateway [-c FILE] [-g DIRECTIVES] [-t] [-T] [-s SIGNAL] "
            "[-v] [-h]\n\n"
            "  -c FILE        configuration file (default: gateway.conf)\n"
            "  -g DIRECTIVES  extra main directives, e.g. -g 'daemon off;'\n"
            "  -t             test the configuration and exit\n"
            "  -T             test, and print the parsed configuration\n"
            "  -s SIGNAL      send stop, quit, reload or reopen to the master\n"
            "  -v             print the version and exit\n"
            "  -h             print this help and exit\n");
}

/* Returns -1 to go on, or an exit status. */
static int
parse_options(int argc, char **argv, options_t *o)
{
    int opt;

    while ((opt = getopt(argc, argv, "c:g:tTs:vh")) != -1) {
        switch (opt) {
        case 'c': o->conf_path = strdup(optarg); break;
        case 'g': o->extra = strdup(optarg);     break;
        case 't': o->test = o->test ? o->test : 1; break;
        case 'T': o->test = 2;                   break;
        case 's': o->signal = strdup(optarg);    break;
        case 'v':
            printf("gateway version %s\n", GW_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gateway: [emerg] unexpected argument \"%s\"\n",
                argv[optind]);
        return 1;
    }
    if (o->conf_path == NULL) {
        o->conf_path = strdup("gateway.conf");
    }
    return -1;
}

static int
send_signal(const gw_conf_t *conf, const char *name)
{
    char  err[GW_ERR_LEN];
    int   signo = gw_signal_by_name(name);
    pid_t pid;

    if (signo == -1) {
        fprintf(stderr, "gateway: [emerg] invalid option: \"-s %s\" "
                "(stop, quit, reload or reopen)\n", name);
        return 1;
    }
    pid = gw_pidfile_read(conf->pid, err);
    if (pid == 0) {
        fprintf(stderr, "gateway: [emerg] no pid file \"%s\": is the master "
                "running?\n", conf->pid);
        return 1;
    }
    if (pid < 0) {
        fprintf(stderr, "gateway: [emerg] %s\n", err);
        return 1;
    }
    if (kill(pid, signo) != 0) {
        fprintf(stderr, "gateway: [emerg] kill(%d, %d) failed (%d: %s)\n",
                (int) pid, signo, errno, strerror(errno));
        return 1;
    }
    return 0;
}

/* Load, then test, signal or run; returns the exit status. */
static int
act(options_t *o)
{
    char             err[GW_CONF_ERR_LEN];
    gw_conf_t       *conf;
    gw_master_opts_t mo;
    int              rc;

    conf = gw_conf_load(o->conf_path, o->extra, err, sizeof(err));
    if (conf == NULL || gw_worker_check_conf(conf, err, sizeof(err)) != 0) {
        fprintf(stderr, "gateway: [emerg] %s\n", err);
        if (o->test) {
            char *full = realpath(o->conf_path, NULL);

            fprintf(stderr, "gateway: configuration file %s test failed\n",
                    full ? full : o->conf_path);
            free(full);
        }
        gw_conf_free(conf);
        return 1;
    }
    if (o->test) {
        if (o->test == 2) {
            gw_conf_dump(conf, stdout);
        }
        fprintf(stderr, "gateway: configuration file %s test is successful\n",
                conf->file);
        gw_conf_free(conf);
        return 0;
    }
    if (o->signal) {
        rc = send_signal(conf, o->signal);
        gw_conf_free(conf);
        return rc;
    }
    mo.conf_path = o->conf_path;
    mo.extra = o->extra;
    return gw_master_run(conf, &mo);   /* frees conf with its cycle */
}

int
main(int argc, char **argv)
{
    options_t o = { 0 };
    int       rc;

    gw_upgrade_init(argv);              /* before the title overwrites argv */
    gw_proctitle_init(argc, argv);
    rc = parse_options(argc, argv, &o);
    if (rc < 0) {
        rc = act(&o);
    }
    free(o.conf_path);
    free(o.extra);
    free((char *) o.signal);
    return rc;
}
