/*
 * conf/conf.h: the parsed configuration, a plain tree of structs.
 *
 * gw_conf_load() reads a file (plus -g directives) and returns the whole
 * tree in one pool, or NULL with "MESSAGE in FILE:LINE" in err. Nothing
 * here knows sockets or processes: the master binds what the tree names and
 * the worker builds its runtime state from it. Paths are absolute (relative
 * ones resolve against the configuration file's directory, SPEC).
 */
#ifndef GW_CONF_H
#define GW_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "common/addr.h"
#include "common/pool.h"

#define GW_CONF_ERR_LEN   512
#define GW_MAX_PEERS      256   /* addresses per upstream: a tried-bitmap fits */

/* Handlers, in the order SPEC lists them; bit masks use GW_HANDLER_BIT. */
enum gw_handler_kind {
    GW_HANDLER_NONE = 0,
    GW_HANDLER_TCP,
    GW_HANDLER_UDP,
    GW_HANDLER_HTTP_REVERSE,
    GW_HANDLER_HTTP_FORWARD,
    GW_HANDLER_SOCKS5,
    GW_HANDLER_STATUS,          /* metrics and status pages */
    GW_HANDLER_COUNT
};
#define GW_HANDLER_BIT(k) (1u << (k))

enum gw_balance {
    GW_BALANCE_ROUND_ROBIN = 0,
    GW_BALANCE_LEAST_CONN,
    GW_BALANCE_RANDOM,
    GW_BALANCE_IP_HASH,
    GW_BALANCE_CONSISTENT_HASH
};

extern const char *const gw_handler_names[GW_HANDLER_COUNT];
extern const char *const gw_balance_names[];

/* `server HOST:PORT ...`: a name may resolve to several addresses. */
typedef struct gw_conf_server {
    char           *text;           /* as written: "app1.local:8080" */
    gw_sockaddr_t  *addrs;
    unsigned        n_addrs;
    unsigned        weight;
    unsigned        max_fails;
    uint64_t        fail_timeout_ms;
    unsigned        backup;
    unsigned        down;
    unsigned        resolve;        /* re-resolved every resolver_cache */
    const char     *file;
    int             line;
} gw_conf_server_t;

/* Peer slots a `resolve` server keeps for the addresses its name may get. */
#define GW_RESOLVE_SLOTS 8

/* `health_check [interval=T] [timeout=T] [fails=N] [passes=N] [uri=PATH]` */
typedef struct gw_conf_health {
    unsigned        on;
    uint64_t        interval_ms;
    uint64_t        timeout_ms;
    unsigned        fails;          /* failures in a row that take it out */
    unsigned        passes;         /* passes in a row that bring it back */
    char           *uri;            /* NULL: a TCP connect is the check */
} gw_conf_health_t;

typedef struct gw_conf_upstream {
    char             *name;
    const char       *file;
    int               line;
    gw_conf_server_t *servers;
    unsigned          n_servers;
    unsigned          n_addrs;      /* over all servers */
    int               balance;      /* enum gw_balance */
    unsigned          keepalive;
    uint64_t          keepalive_timeout_ms;
    unsigned          implicit;     /* made for a literal proxy_pass HOST:PORT */
    unsigned          n_resolve;    /* servers with `resolve` */
    gw_conf_health_t  health;
} gw_conf_upstream_t;

/* A `proxy_pass` value: an upstream name or a literal HOST:PORT. */
typedef struct gw_conf_target {
    char               *text;       /* NULL when not set */
    const char         *file;
    int                 line;
    gw_conf_upstream_t *upstream;   /* resolved once the whole file is read */
} gw_conf_target_t;

/* `location PATTERN { proxy_pass ...; }` (http_reverse routing). */
typedef struct gw_conf_location {
    char               *pattern;
    char               *host;       /* "" when the pattern has none */
    char               *path;       /* starts with '/' */
    unsigned            subtree;    /* pattern ends in '/' */
    gw_conf_target_t    proxy_pass;
    const char         *file;
    int                 line;
} gw_conf_location_t;

typedef struct gw_conf_listen {
    char           *text;
    gw_sockaddr_t   addr;
    int             backlog;
    unsigned        proxy_protocol; /* clients come behind a PROXY header */
    const char     *file;
    int             line;
} gw_conf_listen_t;

/* `proxy_protocol` toward the upstream. */
enum { GW_PROXY_PROTOCOL_OFF = 0, GW_PROXY_PROTOCOL_V1, GW_PROXY_PROTOCOL_V2 };

typedef struct gw_conf_acl {
    unsigned        allow;
    gw_cidr_t       cidr;
} gw_conf_acl_t;

typedef struct gw_conf_auth {
    char           *user;
    char           *password;
} gw_conf_auth_t;

/* `log_format NAME [escape=json] STRING...` (the strings joined). */
typedef struct gw_conf_log_format {
    char           *name;
    char           *text;
    unsigned        json;       /* escape=json: values escaped for JSON */
    const char     *file;
    int             line;
} gw_conf_log_format_t;

/* The variables a log_format may name ("$status" ...), NULL-terminated,
 * in the order of this enum. */
extern const char *const gw_log_variables[];

enum {
    GW_LV_REMOTE_ADDR, GW_LV_REMOTE_PORT, GW_LV_REMOTE_USER, GW_LV_TIME_LOCAL,
    GW_LV_TIME_ISO8601, GW_LV_MSEC, GW_LV_REQUEST, GW_LV_REQUEST_METHOD,
    GW_LV_REQUEST_URI, GW_LV_STATUS, GW_LV_BYTES_SENT, GW_LV_BYTES_RECEIVED,
    GW_LV_REQUEST_TIME, GW_LV_UPSTREAM_ADDR, GW_LV_UPSTREAM_CONNECT_TIME,
    GW_LV_UPSTREAM_RESPONSE_TIME, GW_LV_HANDLER, GW_LV_LISTENER, GW_LV_PID,
    GW_LV_COUNT
};

#define GW_LOG_VARIABLE_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

/* The index of the variable spelt NAME (LEN bytes), or -1. */
int gw_log_variable(const char *name, size_t len);

typedef struct gw_conf_listener {
    char               *name;       /* "" when unnamed; logs use the address */
    const char         *file;
    int                 line;

    gw_conf_listen_t   *listens;
    unsigned            n_listens;
    int                 handler;    /* enum gw_handler_kind */

    gw_conf_target_t    proxy_pass;
    gw_conf_location_t *locations;
    unsigned            n_locations;

    uint64_t            connect_timeout_ms;
    uint64_t            idle_timeout_ms;
    uint64_t            header_timeout_ms;
    uint64_t            keepalive_timeout_ms;
    uint64_t            read_timeout_ms;
    uint64_t            send_timeout_ms;
    uint64_t            max_header_size;
    uint64_t            max_body_size;
    unsigned            next_upstream_tries;    /* 0: every server */
    int                 proxy_protocol;         /* GW_PROXY_PROTOCOL_* */
    unsigned            limit_conn;             /* per client address; 0: off */
    uint64_t            limit_req_rate;         /* 1/1000 requests a minute; 0: off */
    unsigned            limit_req_burst;
    char               *access_log;             /* NULL: off */
    char               *access_log_format;      /* its name, NULL: default */
    const gw_conf_log_format_t *log_format;     /* resolved, NULL: default */
    int                 access_log_line;
    gw_conf_acl_t      *acl;
    unsigned            n_acl;
    gw_conf_acl_t      *dst_acl;                /* allow_to, deny_to */
    unsigned            n_dst_acl;
    gw_conf_auth_t     *auth;
    unsigned            n_auth;
    unsigned            udp_responses;          /* 0: any number */
} gw_conf_listener_t;

/* The name logs and counters use: the listener's, else its first address. */
static inline const char *
gw_conf_listener_name(const gw_conf_listener_t *l)
{
    return l->name[0] ? l->name : l->listens[0].text;
}

typedef struct gw_conf {
    gw_pool_t          *pool;
    char               *file;       /* absolute path of the main file */
    char               *prefix;     /* its directory, for relative paths */

    unsigned            worker_processes;       /* "auto" already resolved */
    unsigned            worker_processes_auto;
    unsigned            daemon;
    unsigned            worker_connections;
    unsigned            worker_rlimit_nofile;   /* 0: unset */
    char               *pid;
    char               *error_log;              /* "stderr" or a path */
    int                 error_log_level;
    uint64_t            shutdown_timeout_ms;
    unsigned            resolver_threads;
    uint64_t            resolver_cache_ms;
    char               *user;       /* `user`, or NULL (a root master: nobody) */
    char               *group;      /* or NULL: the user's primary group */

    gw_conf_log_format_t *log_formats;
    unsigned             n_log_formats;

    gw_conf_upstream_t **upstreams;
    unsigned             n_upstreams;
    gw_conf_listener_t **listeners;
    unsigned             n_listeners;
} gw_conf_t;

/*
 * Parse PATH and the main-context directives in EXTRA (-g, may be NULL).
 * Returns the tree, or NULL with "MESSAGE in FILE:LINE" in err.
 */
gw_conf_t *gw_conf_load(const char *path, const char *extra, char *err,
                        size_t errlen);

void gw_conf_free(gw_conf_t *conf);

/* Print the effective configuration, defaults included (-T). */
void gw_conf_dump(const gw_conf_t *conf, FILE *out);

#endif
