/*
 * master/master.h: running the master process.
 */
#ifndef GW_MASTER_H
#define GW_MASTER_H

#include "conf/conf.h"

typedef struct gw_master_opts {
    const char *conf_path;      /* -c, for reloads */
    const char *extra;          /* -g, or NULL */
} gw_master_opts_t;

/*
 * Become the master for CONF (already loaded and checked): pid file, logs,
 * sockets, daemon, workers; then serve signals until stopped. Returns the
 * exit status.
 */
int gw_master_run(gw_conf_t *conf, const gw_master_opts_t *opts);

#endif
