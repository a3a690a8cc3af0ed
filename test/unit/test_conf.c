/*
 * test/unit/test_conf.c: loading configurations (conf/conf.h): files are
 * written into a fresh temporary directory and read with gw_conf_load.
 *
 * Errors: every class of mistake SPEC and docs/configuration.md name is
 * one row of a table: the files, the -g text, a phrase the message must
 * contain, and the FILE:LINE it must end with (FILE absolute). Values:
 * defaults, units, quoting, includes, paths, ACL order, servers, implicit
 * upstreams, and -T output that reads back.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/conf.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

/* A listener that is complete on its own, for files about something else. */
#define TCP_LISTENER                                                    \
    "listener { listen 127.0.0.1:18080; handler tcp;"                   \
    " proxy_pass 127.0.0.1:9000; }\n"

typedef struct cf {
    char      *dir;
    char      *path;            /* DIR/gateway.conf */
    char       err[GW_CONF_ERR_LEN];
    gw_conf_t *conf;
} cf_t;

static void
cf_open(cf_t *c)
{
    c->dir = ut_mkdir();
    c->path = ut_join(c->dir, "gateway.conf");
    c->err[0] = '\0';
    c->conf = NULL;
}

static gw_conf_t *
cf_load(cf_t *c, const char *text, const char *extra)
{
    ut_write(c->dir, "gateway.conf", text);
    gw_conf_free(c->conf);
    c->conf = gw_conf_load(c->path, extra, c->err, sizeof(c->err));
    return c->conf;
}

/* Load TEXT that must be valid. */
static gw_conf_t *
cf_ok(cf_t *c, const char *text, const char *extra)
{
    gw_conf_t *conf = cf_load(c, text, extra);

    ck_assert_msg(conf != NULL, "refused: %s\n--- config:\n%s", c->err, text);
    return conf;
}

static void
cf_close(cf_t *c)
{
    gw_conf_free(c->conf);
    free(c->path);
    free(c->dir);
}

static char *
in_dir(const cf_t *c, const char *name)
{
    static char buf[4][4096];
    static int  k;

    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", c->dir, name);
    return buf[k];
}

static const gw_conf_listener_t *
listener(const gw_conf_t *conf, unsigned i)
{
    ck_assert_uint_gt(conf->n_listeners, i);
    return conf->listeners[i];
}

/* ---- errors ------------------------------------------------------------- */

typedef struct err_case {
    const char *conf;           /* gateway.conf */
    const char *inc_name;       /* a second file beside it, or NULL */
    const char *inc_text;
    const char *extra;          /* -g, or NULL */
    const char *needle;         /* the message contains this */
    const char *where;          /* NULL: gateway.conf; a file name; or
                                   "command line" for -g */
    int         line;
} err_case_t;

#define MAIN_FILE NULL

static const err_case_t errors[] = {
    /* ---- unknown directive */
    { "worker_processes 1;\nfoo bar;\n", NULL, NULL, NULL,
      "unknown directive \"foo\"", MAIN_FILE, 2 },
    { "listener {\n"
      "  listen 8080;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:9000;\n"
      "  prxy_pass x;\n"
      "}\n",
      NULL, NULL, NULL, "unknown directive \"prxy_pass\"", MAIN_FILE, 5 },
    { "upstream u {\n  server 127.0.0.1:1;\n  weigth 2;\n}\n" TCP_LISTENER,
      NULL, NULL, NULL, "unknown directive \"weigth\"", MAIN_FILE, 3 },
    /* ---- not allowed in this block */
    { "server 127.0.0.1:80;\n", NULL, NULL, NULL,
      "not allowed here", MAIN_FILE, 1 },
    { "listener {\n"
      "  listen 8080;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:9000;\n"
      "  worker_processes 2;\n"
      "}\n",
      NULL, NULL, NULL, "not allowed here", MAIN_FILE, 5 },
    { "upstream u {\n  server 127.0.0.1:1;\n  listen 80;\n}\n", NULL, NULL,
      NULL, "not allowed here", MAIN_FILE, 3 },
    { "listener {\n"
      "  listen 8080;\n"
      "  handler tcp;\n"
      "  balance random;\n"
      "  proxy_pass 127.0.0.1:9000;\n"
      "}\n",
      NULL, NULL, NULL, "not allowed here", MAIN_FILE, 4 },
    { "listen 80;\n", NULL, NULL, NULL, "not allowed here", MAIN_FILE, 1 },
    { "listener {\n"
      "  listen 8080;\n"
      "  handler http_reverse;\n"
      "  location / {\n"
      "    proxy_pass 127.0.0.1:1;\n"
      "    listen 81;\n"
      "  }\n"
      "}\n",
      NULL, NULL, NULL, "not allowed here", MAIN_FILE, 6 },
    { "listener {\n"
      "  listen 8080;\n"
      "  handler http_reverse;\n"
      "  location / {\n"
      "    location /a { proxy_pass 127.0.0.1:1; }\n"
      "  }\n"
      "}\n",
      NULL, NULL, NULL, "not allowed here", MAIN_FILE, 5 },
    { "upstream u {\n"
      "  server 127.0.0.1:1;\n"
      "  upstream v { server 127.0.0.1:2; }\n"
      "}\n",
      NULL, NULL, NULL, "not allowed here", MAIN_FILE, 3 },
    /* ---- wrong number of arguments */
    { "daemon;\n", NULL, NULL, NULL,
      "invalid number of arguments", MAIN_FILE, 1 },
    { "\n\ndaemon on off;\n", NULL, NULL, NULL,
      "invalid number of arguments", MAIN_FILE, 3 },
    { "error_log stderr info extra;\n", NULL, NULL, NULL,
      "invalid number of arguments", MAIN_FILE, 1 },
    { "upstream {\n  server 127.0.0.1:1;\n}\n", NULL, NULL, NULL,
      "invalid number of arguments", MAIN_FILE, 1 },
    { "# two names\nlistener a b {\n  listen 8080;\n}\n", NULL, NULL, NULL,
      "invalid number of arguments", MAIN_FILE, 2 },
    { "listener {\n  listen;\n}\n", NULL, NULL, NULL,
      "invalid number of arguments", MAIN_FILE, 2 },
    { "upstream u {\n  server;\n}\n", NULL, NULL, NULL,
      "invalid number of arguments", MAIN_FILE, 2 },
    { "listener {\n  listen 8080;\n  handler tcp;\n  proxy_pass a b;\n}\n",
      NULL, NULL, NULL, "invalid number of arguments", MAIN_FILE, 4 },
    { "daemon off;\ninclude;\n", NULL, NULL, NULL,
      "invalid number of arguments", MAIN_FILE, 2 },
    { "include a.conf b.conf;\n", NULL, NULL, NULL,
      "invalid number of arguments", MAIN_FILE, 1 },
    /* ---- bad values */
    { "worker_connections abc;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "\nworker_connections 3;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 2 },
    { "worker_connections 1k;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "worker_processes 0;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "worker_processes many;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "daemon maybe;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "shutdown_timeout 10x;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "resolver_cache -1;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "resolver_threads 0;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "error_log stderr loud;\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "pid \"\";\n", NULL, NULL, NULL, "invalid", MAIN_FILE, 1 },
    { "upstream u {\n  server 127.0.0.1:1;\n  balance fastest;\n}\n", NULL,
      NULL, NULL, "invalid", MAIN_FILE, 3 },
    { "upstream u {\n  server 127.0.0.1:1 weight=0;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "upstream u {\n  server 127.0.0.1:1 weight=abc;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "upstream u {\n  server 127.0.0.1:1 max_fails=-1;\n}\n", NULL, NULL,
      NULL, "invalid", MAIN_FILE, 2 },
    { "upstream u {\n  server 127.0.0.1:1 fail_timeout=soon;\n}\n", NULL,
      NULL, NULL, "invalid", MAIN_FILE, 2 },
    { "upstream u {\n  server 127.0.0.1:1 bogus=1;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "upstream u {\n  server 127.0.0.1:1 backupp;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "upstream u {\n  server 127.0.0.1;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "upstream u {\n  server 127.0.0.1:0;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "upstream u {\n  server ::1:80;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "upstream u {\n  server 127.0.0.1:1;\n  keepalive -1;\n}\n", NULL,
      NULL, NULL, "invalid", MAIN_FILE, 3 },
    { "upstream a:b {\n  server 127.0.0.1:1;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 1 },
    { "listener {\n  listen 0;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "listener {\n  listen 65536;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "listener {\n  listen ::1:80;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "listener {\n  listen 127.0.0.1;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "listener {\n  listen 80 backlog=0;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "listener {\n  listen 80 backlog=many;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "listener {\n  listen 80 reuseport;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 2 },
    { "listener {\n  listen 80;\n  handler ftp;\n}\n", NULL, NULL, NULL,
      "invalid", MAIN_FILE, 3 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  allow 10.0.0.0/33;\n"
      "}\n",
      NULL, NULL, NULL, "invalid", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  deny nobody;\n"
      "}\n",
      NULL, NULL, NULL, "invalid", MAIN_FILE, 5 },
    { "listener {\n  listen 80;\n  handler socks5;\n  auth nopassword;\n}\n",
      NULL, NULL, NULL, "invalid", MAIN_FILE, 4 },
    { "listener {\n  listen 80;\n  handler socks5;\n  auth :secret;\n}\n",
      NULL, NULL, NULL, "invalid", MAIN_FILE, 4 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler http_reverse;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  max_header_size 1q;\n"
      "}\n",
      NULL, NULL, NULL, "invalid", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  connect_timeout 1.5s;\n"
      "}\n",
      NULL, NULL, NULL, "invalid", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  next_upstream_tries x;\n"
      "}\n",
      NULL, NULL, NULL, "invalid", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler http_reverse;\n"
      "  location api {\n"
      "    proxy_pass 127.0.0.1:1;\n"
      "  }\n"
      "}\n",
      NULL, NULL, NULL, "invalid", MAIN_FILE, 4 },
    /* ---- duplicate directive */
    { "daemon on;\ndaemon off;\n", NULL, NULL, NULL,
      "duplicate", MAIN_FILE, 2 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n",
      NULL, NULL, NULL, "duplicate", MAIN_FILE, 4 },
    { "upstream u {\n"
      "  server 127.0.0.1:1;\n"
      "  balance random;\n"
      "  balance random;\n"
      "}\n",
      NULL, NULL, NULL, "duplicate", MAIN_FILE, 4 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler http_reverse;\n"
      "  location / {\n"
      "    proxy_pass 127.0.0.1:1;\n"
      "    proxy_pass 127.0.0.1:2;\n"
      "  }\n"
      "}\n",
      NULL, NULL, NULL, "duplicate", MAIN_FILE, 6 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler http_reverse;\n"
      "  location /a { proxy_pass 127.0.0.1:1; }\n"
      "  location /a { proxy_pass 127.0.0.1:2; }\n"
      "}\n",
      NULL, NULL, NULL, "duplicate", MAIN_FILE, 5 },
    { "worker_connections 10;\ninclude extra.conf;\n", "extra.conf",
      "# more\n\nworker_connections 20;\n", NULL, "duplicate", "extra.conf",
      3 },
    { "worker_processes 1;\n\ndaemon on;\n", NULL, NULL, "daemon off;",
      "duplicate", MAIN_FILE, 3 },
    { "worker_processes 1;\n", NULL, NULL, "daemon off; daemon on;",
      "duplicate", "command line", 1 },
    { "upstream u {\n"
      "  server 127.0.0.1:1;\n"
      "}\n"
      "\n"
      "upstream u {\n"
      "  server 127.0.0.1:2;\n"
      "}\n",
      NULL, NULL, NULL, "duplicate", MAIN_FILE, 5 },
    { "listener api {\n"
      "  listen 81;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n"
      "listener api {\n"
      "  listen 82;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n",
      NULL, NULL, NULL, "duplicate", MAIN_FILE, 6 },
    /* ---- duplicate listen address */
    { "listener a {\n"
      "  listen 8080;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n"
      "listener b {\n"
      "  handler tcp;\n"
      "  listen *:8080;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n",
      NULL, NULL, NULL, "duplicate listen", MAIN_FILE, 8 },
    { "listener {\n"
      "  listen 127.0.0.1:80;\n"
      "  listen 127.0.0.1:81;\n"
      "  listen 127.0.0.1:80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n",
      NULL, NULL, NULL, "duplicate listen", MAIN_FILE, 4 },
    { "listener {\n"
      "  listen [::1]:80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n"
      "listener {\n"
      "  listen [0:0::1]:80;\n"
      "  handler socks5;\n"
      "}\n",
      NULL, NULL, NULL, "duplicate listen", MAIN_FILE, 7 },
    { "listener {\n"
      "  listen 0.0.0.0:53;\n"
      "  handler udp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n"
      "listener {\n"
      "  listen 53;\n"
      "  handler udp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n",
      NULL, NULL, NULL, "duplicate listen", MAIN_FILE, 7 },
    /* ---- undefined upstream */
    { "listener {\n  listen 80;\n  handler tcp;\n  proxy_pass nosuch;\n}\n",
      NULL, NULL, NULL, "\"nosuch\"", MAIN_FILE, 4 },
    { "upstream app {\n"
      "  server 127.0.0.1:1;\n"
      "}\n"
      "listener {\n"
      "  listen 80;\n"
      "  handler http_reverse;\n"
      "  proxy_pass app;\n"
      "  location /x/ {\n"
      "    proxy_pass ap;\n"
      "  }\n"
      "}\n",
      NULL, NULL, NULL, "\"ap\"", MAIN_FILE, 9 },
    /* ---- upstream without servers */
    { "worker_processes 1;\n"
      "upstream empty {\n"
      "  # nothing yet\n"
      "}\n" TCP_LISTENER,
      NULL, NULL, NULL, "\"server\"", MAIN_FILE, 2 },
    { "upstream empty { }\n", NULL, NULL, NULL, "\"server\"", MAIN_FILE,
      1 },
    /* ---- listener without handler or listen */
    { "\nlistener {\n  listen 8080;\n  proxy_pass 127.0.0.1:1;\n}\n", NULL,
      NULL, NULL, "\"handler\"", MAIN_FILE, 2 },
    { "listener x {\n  handler tcp;\n  proxy_pass 127.0.0.1:1;\n}\n", NULL,
      NULL, NULL, "\"listen\"", MAIN_FILE, 1 },
    { "daemon off;\nlistener { }\n", NULL, NULL, NULL, "listener",
      MAIN_FILE, 2 },
    /* ---- a handler without its target */
    { "listener {\n  listen 8080;\n  handler tcp;\n}\n", NULL, NULL, NULL,
      "\"proxy_pass\"", MAIN_FILE, 1 },
    { "\n\nlistener dns {\n  listen 53;\n  handler udp;\n}\n", NULL, NULL,
      NULL, "\"proxy_pass\"", MAIN_FILE, 3 },
    { "listener {\n  listen 8080;\n  handler http_reverse;\n}\n", NULL, NULL,
      NULL, "\"proxy_pass\"", MAIN_FILE, 1 },
    { "listener {\n"
      "  listen 8080;\n"
      "  handler http_reverse;\n"
      "  location /a/ {\n"
      "  }\n"
      "}\n",
      NULL, NULL, NULL, "\"proxy_pass\"", MAIN_FILE, 4 },
    /* ---- directives that do not apply to the handler */
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  auth user:secret;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  auth user:secret;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 3 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  udp_responses 1;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler socks5;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 4 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler http_forward;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 4 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  location / {\n"
      "    proxy_pass 127.0.0.1:2;\n"
      "  }\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  max_header_size 8k;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler tcp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  keepalive_timeout 5s;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler udp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  header_timeout 5s;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler udp;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  next_upstream_tries 2;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 5 },
    { "listener {\n"
      "  listen 80;\n"
      "  handler http_reverse;\n"
      "  proxy_pass 127.0.0.1:1;\n"
      "  udp_responses 5;\n"
      "}\n",
      NULL, NULL, NULL, "does not apply", MAIN_FILE, 5 },
    /* ---- tokens out of place */
    { "daemon off;\npid \"abc;", NULL, NULL, NULL, "\"", MAIN_FILE, 2 },
    { "listener {\n  listen 8080;\n  handler tcp;", NULL, NULL, NULL,
      "end of file", MAIN_FILE, 3 },
    { "upstream u {\n  server 127.0.0.1:1;\n  # the end is missing", NULL,
      NULL, NULL, "end of file", MAIN_FILE, 3 },
    { "daemon off", NULL, NULL, NULL, "end of file", MAIN_FILE, 1 },
    { "daemon off;\n}\nworker_processes 1;\n", NULL, NULL, NULL,
      "unexpected \"}\"", MAIN_FILE, 2 },
    { "listener {\n  listen 8080 }\n", NULL, NULL, NULL,
      "unexpected \"}\"", MAIN_FILE, 2 },
    { "daemon off;\n;\n", NULL, NULL, NULL, "unexpected \";\"", MAIN_FILE, 2 },
    { "daemon off;\n\n{ worker_processes 1; }\n", NULL, NULL, NULL,
      "unexpected \"{\"", MAIN_FILE, 3 },
    { "worker_processes 1;\ndaemon off {\n}\n", NULL, NULL, NULL,
      "\"daemon\"", MAIN_FILE, 2 },
    { "upstream u;\n", NULL, NULL, NULL, "\"upstream\"", MAIN_FILE, 1 },
    { "listener x;\n", NULL, NULL, NULL, "\"listener\"", MAIN_FILE, 1 },
    /* ---- includes */
    { "worker_processes 1;\ninclude nosuch.conf;\n", NULL, NULL, NULL,
      "nosuch.conf", MAIN_FILE, 2 },
    { "include conf.d/*.conf;\n", "conf.d/a.conf", "\nbogus;\n", NULL,
      "unknown directive \"bogus\"", "conf.d/a.conf", 2 },
    { "upstream u {\n  include servers.inc;\n}\n", "servers.inc",
      "server 127.0.0.1:1;\nserver 127.0.0.1:2 weight=x;\n", NULL,
      "invalid", "servers.inc", 2 },
    { "include part.conf;\n", "part.conf", "listener {\n  listen 80;",
      NULL, "end of file", "part.conf", 2 },
    { "include gateway.conf;\n", NULL, NULL, NULL, "include", MAIN_FILE, 1 },
    /* ---- -g */
    { "worker_processes 1;\n", NULL, NULL, "bogus on;",
      "unknown directive \"bogus\"", "command line", 1 },
    { "worker_processes 1;\n", NULL, NULL, "daemon off",
      "end of file", "command line", 1 },
};

START_TEST(test_conf_errors)
{
    const err_case_t *e = &errors[_i];
    cf_t              c;
    char              suffix[1024];
    size_t            n;

    cf_open(&c);
    if (e->inc_name) {
        ut_write(c.dir, e->inc_name, e->inc_text);
    }
    ck_assert_msg(cf_load(&c, e->conf, e->extra) == NULL,
                  "case %d accepted:\n%s", _i, e->conf);
    ck_assert_msg(strstr(c.err, e->needle) != NULL,
                  "case %d: \"%s\" does not contain \"%s\"", _i, c.err,
                  e->needle);
    if (e->where && strcmp(e->where, "command line") == 0) {
        ck_assert_msg(strstr(c.err, " in command line") != NULL,
                      "case %d: \"%s\" does not name the command line", _i,
                      c.err);
    } else {
        snprintf(suffix, sizeof(suffix), " in %s:%d",
                 e->where ? in_dir(&c, e->where) : c.path, e->line);
        n = strlen(suffix);
        ck_assert_msg(strlen(c.err) > n
                      && strcmp(c.err + strlen(c.err) - n, suffix) == 0,
                      "case %d: \"%s\" does not end with \"%s\"", _i, c.err,
                      suffix);
    }
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_missing_file)
{
    cf_t c;

    cf_open(&c);
    ck_assert_ptr_null(gw_conf_load(c.path, NULL, c.err, sizeof(c.err)));
    ck_assert_msg(strstr(c.err, "gateway.conf") != NULL, "%s", c.err);
    cf_close(&c);
}
END_TEST

/* ---- defaults ----------------------------------------------------------- */

START_TEST(test_conf_main_defaults)
{
    cf_t             c;
    const gw_conf_t *conf;
    long             cpus = sysconf(_SC_NPROCESSORS_ONLN);

    cf_open(&c);
    conf = cf_ok(&c, "# nothing but defaults\n", NULL);
    ck_assert_str_eq(conf->file, c.path);
    ck_assert_str_eq(conf->prefix, c.dir);
    ck_assert(conf->worker_processes_auto);
    ck_assert_uint_eq(conf->worker_processes, cpus > 0 ? (unsigned) cpus : 1);
    ck_assert_uint_eq(conf->worker_connections, 1024);
    ck_assert_uint_eq(conf->worker_rlimit_nofile, 0);
    ck_assert_uint_eq(conf->daemon, 1);
    ck_assert_str_eq(conf->pid, in_dir(&c, "gateway.pid"));
    ck_assert_str_eq(conf->error_log, "stderr");
    ck_assert_int_eq(conf->error_log_level, GW_LOG_NOTICE);
    ck_assert_uint_eq(conf->shutdown_timeout_ms, 30000);
    ck_assert_uint_eq(conf->resolver_threads, 2);
    ck_assert_uint_eq(conf->resolver_cache_ms, 30000);
    ck_assert_uint_eq(conf->n_upstreams, 0);
    ck_assert_uint_eq(conf->n_listeners, 0);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_listener_defaults)
{
    cf_t                      c;
    const gw_conf_t          *conf;
    const gw_conf_listener_t *tcp, *udp, *http;

    cf_open(&c);
    conf = cf_ok(&c,
                 "listener t { listen 18080; handler tcp;"
                 " proxy_pass 127.0.0.1:9000; }\n"
                 "listener u { listen 18080; handler udp;"
                 " proxy_pass 127.0.0.1:53; }\n"
                 "listener h { listen 18081; handler http_reverse;"
                 " proxy_pass 127.0.0.1:9000; }\n",
                 NULL);
    tcp = listener(conf, 0);
    udp = listener(conf, 1);
    http = listener(conf, 2);
    ck_assert_str_eq(tcp->name, "t");
    ck_assert_int_eq(tcp->handler, GW_HANDLER_TCP);
    ck_assert_int_eq(udp->handler, GW_HANDLER_UDP);
    ck_assert_int_eq(http->handler, GW_HANDLER_HTTP_REVERSE);
    ck_assert_uint_eq(tcp->idle_timeout_ms, 600000);       /* 10m */
    ck_assert_uint_eq(udp->idle_timeout_ms, 60000);        /* 60s */
    for (unsigned i = 0; i < 3; i++) {
        const gw_conf_listener_t *ls = conf->listeners[i];

        ck_assert_uint_eq(ls->connect_timeout_ms, 10000);
        ck_assert_uint_eq(ls->header_timeout_ms, 60000);
        ck_assert_uint_eq(ls->keepalive_timeout_ms, 75000);
        ck_assert_uint_eq(ls->read_timeout_ms, 60000);
        ck_assert_uint_eq(ls->send_timeout_ms, 60000);
        ck_assert_uint_eq(ls->max_header_size, 16384);
        ck_assert_uint_eq(ls->max_body_size, 0);
        ck_assert_uint_eq(ls->next_upstream_tries, 0);
        ck_assert_ptr_null(ls->access_log);
        ck_assert_uint_eq(ls->n_acl, 0);
        ck_assert_uint_eq(ls->n_auth, 0);
        ck_assert_uint_eq(ls->udp_responses, 0);
        ck_assert_uint_eq(ls->n_listens, 1);
    }
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_upstream_defaults)
{
    cf_t                      c;
    const gw_conf_t          *conf;
    const gw_conf_upstream_t *u;

    cf_open(&c);
    conf = cf_ok(&c, "upstream app {\n  server 127.0.0.1:9000;\n}\n", NULL);
    ck_assert_uint_eq(conf->n_upstreams, 1);
    u = conf->upstreams[0];
    ck_assert_str_eq(u->name, "app");
    ck_assert_int_eq(u->balance, GW_BALANCE_ROUND_ROBIN);
    ck_assert_uint_eq(u->keepalive, 0);
    ck_assert_uint_eq(u->keepalive_timeout_ms, 60000);
    ck_assert(!u->implicit);
    ck_assert_uint_eq(u->n_servers, 1);
    ck_assert_uint_eq(u->servers[0].weight, 1);
    ck_assert_uint_eq(u->servers[0].max_fails, 1);
    ck_assert_uint_eq(u->servers[0].fail_timeout_ms, 10000);
    ck_assert(!u->servers[0].backup && !u->servers[0].down);
    ck_assert_str_eq(u->servers[0].file, c.path);
    ck_assert_int_eq(u->servers[0].line, 2);
    cf_close(&c);
}
END_TEST

/* ---- values ------------------------------------------------------------- */

START_TEST(test_conf_main_values)
{
    cf_t             c;
    const gw_conf_t *conf;

    cf_open(&c);
    conf = cf_ok(&c,
                 "worker_processes 3;\n"
                 "worker_connections 4096;\n"
                 "worker_rlimit_nofile 65536;\n"
                 "daemon off;\n"
                 "pid /run/gw.pid;\n"
                 "error_log logs/error.log debug;\n"
                 "shutdown_timeout 1m30s;\n"
                 "resolver_threads 8;\n"
                 "resolver_cache 5m;\n", NULL);
    ck_assert(!conf->worker_processes_auto);
    ck_assert_uint_eq(conf->worker_processes, 3);
    ck_assert_uint_eq(conf->worker_connections, 4096);
    ck_assert_uint_eq(conf->worker_rlimit_nofile, 65536);
    ck_assert_uint_eq(conf->daemon, 0);
    ck_assert_str_eq(conf->pid, "/run/gw.pid");
    ck_assert_str_eq(conf->error_log, in_dir(&c, "logs/error.log"));
    ck_assert_int_eq(conf->error_log_level, GW_LOG_DEBUG);
    ck_assert_uint_eq(conf->shutdown_timeout_ms, 90000);
    ck_assert_uint_eq(conf->resolver_threads, 8);
    ck_assert_uint_eq(conf->resolver_cache_ms, 300000);
    cf_close(&c);
}
END_TEST

static const struct {
    const char *text;
    uint64_t    ms;
} conf_times[] = {
    { "250ms", 250 }, { "7", 7000 }, { "7s", 7000 }, { "2m", 120000 },
    { "1h", 3600000 }, { "1d", 86400000 }, { "1m30s", 90000 },
    { "0", 0 }, { "\"45s\"", 45000 },
};

START_TEST(test_conf_time_units)
{
    cf_t             c;
    char             text[512];
    const gw_conf_t *conf;

    cf_open(&c);
    snprintf(text, sizeof(text),
             "shutdown_timeout %s;\n"
             "listener { listen 18080; handler tcp; proxy_pass 127.0.0.1:1;\n"
             "           idle_timeout %s; connect_timeout %s; }\n",
             conf_times[_i].text, conf_times[_i].text, conf_times[_i].text);
    conf = cf_ok(&c, text, NULL);
    ck_assert_uint_eq(conf->shutdown_timeout_ms, conf_times[_i].ms);
    ck_assert_uint_eq(listener(conf, 0)->idle_timeout_ms, conf_times[_i].ms);
    ck_assert_uint_eq(listener(conf, 0)->connect_timeout_ms,
                      conf_times[_i].ms);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_sizes)
{
    static const struct {
        const char *text;
        uint64_t    bytes;
    } sizes[] = {
        { "100", 100 }, { "4k", 4096 }, { "8K", 8192 }, { "1m", 1048576 },
        { "2g", 2147483648ull }, { "0", 0 },
    };
    cf_t c;

    cf_open(&c);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char             text[512];
        const gw_conf_t *conf;

        snprintf(text, sizeof(text),
                 "listener { listen 18080; handler http_reverse;\n"
                 "  proxy_pass 127.0.0.1:1; max_header_size %s;\n"
                 "  max_body_size %s; }\n", sizes[i].text, sizes[i].text);
        conf = cf_ok(&c, text, NULL);
        ck_assert_uint_eq(listener(conf, 0)->max_header_size, sizes[i].bytes);
        ck_assert_uint_eq(listener(conf, 0)->max_body_size, sizes[i].bytes);
    }
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_quoting)
{
    cf_t                      c;
    const gw_conf_t          *conf;
    const gw_conf_listener_t *ls;

    cf_open(&c);
    conf = cf_ok(&c,
                 "listener \"my proxy\" {\n"
                 "  listen '127.0.0.1:1080';\n"
                 "  handler \"socks5\";\n"
                 "  auth \"alice:se;cr{e}t #1\";\n"
                 "  auth 'bob:it\\'s \"quoted\"';\n"
                 "  auth \"carol:back\\\\slash\\ttab\\nline\";\n"
                 "  auth dave:pa#ss\\\"word;\n"
                 "  auth \"erin:multi\n"
                 "line\";\n"
                 "  access_log \"logs/a b;c.log\";\n"
                 "}\n", NULL);
    ls = listener(conf, 0);
    ck_assert_str_eq(ls->name, "my proxy");
    ck_assert_int_eq(ls->handler, GW_HANDLER_SOCKS5);
    ck_assert_uint_eq(ls->n_auth, 5);
    ck_assert_str_eq(ls->auth[0].user, "alice");
    ck_assert_str_eq(ls->auth[0].password, "se;cr{e}t #1");
    ck_assert_str_eq(ls->auth[1].user, "bob");
    ck_assert_str_eq(ls->auth[1].password, "it's \"quoted\"");
    ck_assert_str_eq(ls->auth[2].user, "carol");
    ck_assert_str_eq(ls->auth[2].password, "back\\slash\ttab\nline");
    ck_assert_str_eq(ls->auth[3].user, "dave");
    ck_assert_str_eq(ls->auth[3].password, "pa#ss\"word");
    ck_assert_str_eq(ls->auth[4].password, "multi\nline");
    ck_assert_str_eq(ls->access_log, in_dir(&c, "logs/a b;c.log"));
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_comments_and_layout)
{
    cf_t                      c;
    const gw_conf_t          *conf;
    const gw_conf_listener_t *ls;

    cf_open(&c);
    conf = cf_ok(&c,
                 "# leading comment\n"
                 "worker_connections 2048; # trailing comment; daemon off;\n"
                 "   #indented comment { }\n"
                 "listener\n"
                 "web\n"
                 "{ listen\t18080\n"
                 "   ;handler tcp;proxy_pass\n"
                 "127.0.0.1:9000;}  # done\n"
                 "# no newline at the end", NULL);
    ck_assert_uint_eq(conf->worker_connections, 2048);
    ck_assert_uint_eq(conf->daemon, 1);
    ls = listener(conf, 0);
    ck_assert_str_eq(ls->name, "web");
    ck_assert_int_eq(ls->line, 4);
    ck_assert_int_eq(ls->listens[0].line, 6);
    ck_assert_int_eq(ls->proxy_pass.line, 7);
    ck_assert_str_eq(ls->proxy_pass.text, "127.0.0.1:9000");
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_include_glob_sorted)
{
    cf_t             c;
    const gw_conf_t *conf;

    cf_open(&c);
    ut_write(c.dir, "conf.d/20-b.conf",
             "listener b { listen 18082; handler tcp; proxy_pass 127.0.0.1:1;"
             " }\n");
    ut_write(c.dir, "conf.d/10-a.conf",
             "listener a { listen 18081; handler tcp; proxy_pass 127.0.0.1:1;"
             " }\n");
    ut_write(c.dir, "conf.d/30-c.conf",
             "listener c { listen 18083; handler tcp; proxy_pass 127.0.0.1:1;"
             " }\n");
    ut_write(c.dir, "conf.d/99-off.disabled", "this is not a config;\n");
    conf = cf_ok(&c, "worker_processes 1;\ninclude conf.d/*.conf;\n"
                 "listener z { listen 18089; handler tcp;"
                 " proxy_pass 127.0.0.1:1; }\n",
                 NULL);
    ck_assert_uint_eq(conf->n_listeners, 4);
    ck_assert_str_eq(listener(conf, 0)->name, "a");
    ck_assert_str_eq(listener(conf, 1)->name, "b");
    ck_assert_str_eq(listener(conf, 2)->name, "c");
    ck_assert_str_eq(listener(conf, 3)->name, "z");
    /* each remembers the file and line it came from */
    ck_assert_str_eq(listener(conf, 1)->file, in_dir(&c, "conf.d/20-b.conf"));
    ck_assert_int_eq(listener(conf, 1)->line, 1);
    ck_assert_str_eq(listener(conf, 3)->file, c.path);
    ck_assert_int_eq(listener(conf, 3)->line, 3);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_include_in_block)
{
    cf_t                      c;
    const gw_conf_t          *conf;
    const gw_conf_upstream_t *u;

    cf_open(&c);
    ut_write(c.dir, "servers.inc",
             "server 127.0.0.1:9001;\nserver 127.0.0.1:9002 backup;\n");
    ut_write(c.dir, "common.inc", "connect_timeout 3s;\nallow 10.0.0.0/8;\n");
    conf = cf_ok(&c,
                 "upstream app {\n"
                 "  server 127.0.0.1:9000;\n"
                 "  include servers.inc;\n"
                 "  balance least_conn;\n"
                 "}\n"
                 "listener {\n"
                 "  listen 18080; handler tcp; proxy_pass app;\n"
                 "  include common.inc;\n"
                 "  deny all;\n"
                 "}\n", NULL);
    u = conf->upstreams[0];
    ck_assert_uint_eq(u->n_servers, 3);
    ck_assert_str_eq(u->servers[1].text, "127.0.0.1:9001");
    ck_assert(u->servers[2].backup);
    ck_assert_str_eq(u->servers[2].file, in_dir(&c, "servers.inc"));
    ck_assert_int_eq(u->servers[2].line, 2);
    ck_assert_int_eq(u->balance, GW_BALANCE_LEAST_CONN);
    ck_assert_uint_eq(listener(conf, 0)->connect_timeout_ms, 3000);
    ck_assert_uint_eq(listener(conf, 0)->n_acl, 2);
    ck_assert_ptr_eq(listener(conf, 0)->proxy_pass.upstream, u);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_include_relative_to_conf_dir)
{
    cf_t             c;
    const gw_conf_t *conf;

    cf_open(&c);
    /* conf.d/site.conf includes snippets/x.inc: relative to the main
     * file's directory, not to conf.d/ */
    ut_write(c.dir, "conf.d/site.conf", "include snippets/x.inc;\n");
    ut_write(c.dir, "snippets/x.inc", "worker_connections 777;\n");
    ut_write(c.dir, "conf.d/snippets/x.inc", "worker_connections 888;\n");
    conf = cf_ok(&c, "include conf.d/site.conf;\n", NULL);
    ck_assert_uint_eq(conf->worker_connections, 777);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_include_absolute)
{
    cf_t             c;
    const gw_conf_t *conf;
    char             text[4200];

    cf_open(&c);
    ut_write(c.dir, "abs.inc", "worker_connections 555;\n");
    snprintf(text, sizeof(text), "include %s;\n", in_dir(&c, "abs.inc"));
    conf = cf_ok(&c, text, NULL);
    ck_assert_uint_eq(conf->worker_connections, 555);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_include_wildcard_matching_nothing)
{
    cf_t             c;
    const gw_conf_t *conf;

    cf_open(&c);
    ut_write(c.dir, "conf.d/readme.txt", "not included\n");
    conf = cf_ok(&c, "include conf.d/*.conf;\ninclude none-?.conf;\n"
                 "worker_connections 99;\n", NULL);
    ck_assert_uint_eq(conf->worker_connections, 99);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_include_wildcard_in_missing_dir)
{
    /* nginx accepts an include of a wildcard in a directory that does not
     * exist yet: a wildcard that matches nothing is fine */
    cf_t             c;
    const gw_conf_t *conf;

    cf_open(&c);
    conf = cf_load(&c, "include nosuchdir/*.conf;\nworker_connections 99;\n",
                   NULL);
    ck_assert_msg(conf != NULL, "refused: %s", c.err);
    ck_assert_uint_eq(conf->worker_connections, 99);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_extra_directives)
{
    cf_t             c;
    const gw_conf_t *conf;

    cf_open(&c);
    conf = cf_ok(&c, "worker_connections 100;\n" TCP_LISTENER,
                 "daemon off; worker_processes 2; pid 'run/g.pid';");
    ck_assert_uint_eq(conf->daemon, 0);
    ck_assert_uint_eq(conf->worker_processes, 2);
    ck_assert_uint_eq(conf->worker_connections, 100);
    /* relative to the configuration's directory, even from -g */
    ck_assert_str_eq(conf->pid, in_dir(&c, "run/g.pid"));
    ck_assert_uint_eq(conf->n_listeners, 1);
    /* an empty -g is no directive at all */
    conf = cf_ok(&c, "daemon on;\n", "");
    ck_assert_uint_eq(conf->daemon, 1);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_relative_paths)
{
    cf_t                      c;
    const gw_conf_t          *conf;

    cf_open(&c);
    conf = cf_ok(&c,
                 "pid run/gateway.pid;\n"
                 "error_log logs/error.log;\n"
                 "listener a { listen 18080; handler tcp;"
                 " proxy_pass 127.0.0.1:1;\n"
                 "             access_log logs/a.log; }\n"
                 "listener b { listen 18081; handler tcp;"
                 " proxy_pass 127.0.0.1:1;\n"
                 "             access_log /var/log/b.log; }\n"
                 "listener c { listen 18082; handler tcp;"
                 " proxy_pass 127.0.0.1:1;\n"
                 "             access_log off; }\n", NULL);
    ck_assert_str_eq(conf->pid, in_dir(&c, "run/gateway.pid"));
    ck_assert_str_eq(conf->error_log, in_dir(&c, "logs/error.log"));
    ck_assert_int_eq(conf->error_log_level, GW_LOG_NOTICE);
    ck_assert_str_eq(listener(conf, 0)->access_log, in_dir(&c, "logs/a.log"));
    ck_assert_str_eq(listener(conf, 1)->access_log, "/var/log/b.log");
    ck_assert_ptr_null(listener(conf, 2)->access_log);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_relative_config_path)
{
    cf_t             c;
    gw_conf_t       *conf;
    int              cwd = open(".", O_RDONLY | O_DIRECTORY);
    char             err[GW_CONF_ERR_LEN];

    cf_open(&c);
    ut_write(c.dir, "gateway.conf", "pid my.pid;\nbogus;\n");
    ut_write(c.dir, "ok.conf", "pid my.pid;\n");
    ck_assert_int_ge(cwd, 0);
    ck_assert_int_eq(chdir(c.dir), 0);
    conf = gw_conf_load("ok.conf", NULL, err, sizeof(err));
    ck_assert_ptr_null(gw_conf_load("./gateway.conf", NULL, c.err,
                                    sizeof(c.err)));
    ck_assert_int_eq(fchdir(cwd), 0);
    close(cwd);
    ck_assert_msg(conf != NULL, "%s", err);
    ck_assert_str_eq(conf->file, in_dir(&c, "ok.conf"));
    ck_assert_str_eq(conf->pid, in_dir(&c, "my.pid"));
    gw_conf_free(conf);
    /* the error names the absolute path */
    {
        char suffix[4200];

        snprintf(suffix, sizeof(suffix), " in %s:2", c.path);
        ck_assert_msg(strstr(c.err, suffix) != NULL, "%s", c.err);
    }
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_acl_order)
{
    static const struct {
        unsigned    allow;
        int         family;
        int         bits;
    } want[] = {
        { 1, AF_INET, 8 }, { 0, AF_INET, 16 }, { 1, AF_INET, 32 },
        { 0, AF_INET6, 128 }, { 1, AF_INET6, 8 }, { 0, AF_UNSPEC, 0 },
    };
    cf_t                      c;
    const gw_conf_listener_t *ls;

    cf_open(&c);
    ls = listener(cf_ok(&c,
                        "listener {\n"
                        "  listen 18080; handler tcp; proxy_pass 127.0.0.1:1;\n"
                        "  allow 10.0.0.0/8;\n"
                        "  deny 10.1.0.0/16;\n"
                        "  allow 192.168.1.7;\n"
                        "  deny ::1;\n"
                        "  allow fd00::/8;\n"
                        "  deny all;\n"
                        "}\n", NULL), 0);
    ck_assert_uint_eq(ls->n_acl, 6);
    for (unsigned i = 0; i < 6; i++) {
        ck_assert_msg(ls->acl[i].allow == want[i].allow
                      && ls->acl[i].cidr.family == want[i].family
                      && (want[i].family == AF_UNSPEC
                          || ls->acl[i].cidr.bits == want[i].bits),
                      "rule %u: allow %u family %d bits %u", i,
                      ls->acl[i].allow, ls->acl[i].cidr.family,
                      ls->acl[i].cidr.bits);
    }
    ck_assert_int_eq(ls->acl[1].cidr.addr[1], 1);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_server_parameters)
{
    cf_t                      c;
    const gw_conf_upstream_t *u;
    const gw_conf_server_t   *s;
    char                      buf[GW_ADDR_STRLEN];

    cf_open(&c);
    u = cf_ok(&c,
              "upstream app {\n"
              "  server 127.0.0.1:9000 weight=5 max_fails=3 fail_timeout=30s;\n"
              "  server 127.0.0.2:9001 backup;\n"
              "  server 127.0.0.3:9002 down weight=2;\n"
              "  server [::1]:9003 max_fails=0 fail_timeout=1m30s;\n"
              "  balance consistent_hash;\n"
              "  keepalive 16;\n"
              "  keepalive_timeout 2m;\n"
              "}\n", NULL)->upstreams[0];
    ck_assert_uint_eq(u->n_servers, 4);
    ck_assert_uint_eq(u->n_addrs, 4);
    ck_assert_int_eq(u->balance, GW_BALANCE_CONSISTENT_HASH);
    ck_assert_uint_eq(u->keepalive, 16);
    ck_assert_uint_eq(u->keepalive_timeout_ms, 120000);
    s = &u->servers[0];
    ck_assert_str_eq(s->text, "127.0.0.1:9000");
    ck_assert_uint_eq(s->weight, 5);
    ck_assert_uint_eq(s->max_fails, 3);
    ck_assert_uint_eq(s->fail_timeout_ms, 30000);
    ck_assert_uint_eq(s->n_addrs, 1);
    gw_sockaddr_format(&s->addrs[0], buf, sizeof(buf));
    ck_assert_str_eq(buf, "127.0.0.1:9000");
    s = &u->servers[1];
    ck_assert(s->backup && !s->down);
    ck_assert_uint_eq(s->weight, 1);
    s = &u->servers[2];
    ck_assert(s->down && !s->backup);
    ck_assert_uint_eq(s->weight, 2);
    s = &u->servers[3];
    ck_assert_uint_eq(s->max_fails, 0);
    ck_assert_uint_eq(s->fail_timeout_ms, 90000);
    gw_sockaddr_format(&s->addrs[0], buf, sizeof(buf));
    ck_assert_str_eq(buf, "[::1]:9003");
    ck_assert_int_eq(s->line, 5);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_balance_names)
{
    static const struct { const char *name; int value; } b[] = {
        { "round_robin", GW_BALANCE_ROUND_ROBIN },
        { "least_conn", GW_BALANCE_LEAST_CONN },
        { "random", GW_BALANCE_RANDOM },
        { "ip_hash", GW_BALANCE_IP_HASH },
        { "consistent_hash", GW_BALANCE_CONSISTENT_HASH },
    };
    cf_t c;

    cf_open(&c);
    for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
        char text[256];

        snprintf(text, sizeof(text),
                 "upstream u { server 127.0.0.1:1; balance %s; }\n", b[i].name);
        ck_assert_int_eq(cf_ok(&c, text, NULL)->upstreams[0]->balance,
                         b[i].value);
    }
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_handlers)
{
    static const struct {
        const char *name;
        const char *rest;
        int         handler;
    } h[] = {
        { "tcp",          "proxy_pass 127.0.0.1:1;", GW_HANDLER_TCP },
        { "udp",          "proxy_pass 127.0.0.1:1;", GW_HANDLER_UDP },
        { "http_reverse", "proxy_pass 127.0.0.1:1;", GW_HANDLER_HTTP_REVERSE },
        { "http_forward", "",                        GW_HANDLER_HTTP_FORWARD },
        { "socks5",       "",                        GW_HANDLER_SOCKS5 },
    };
    cf_t c;

    cf_open(&c);
    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
        char text[256];

        snprintf(text, sizeof(text),
                 "listener { listen 18080; handler %s; %s }\n", h[i].name,
                 h[i].rest);
        ck_assert_int_eq(listener(cf_ok(&c, text, NULL), 0)->handler,
                         h[i].handler);
        ck_assert_str_eq(gw_handler_names[h[i].handler], h[i].name);
    }
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_listens)
{
    cf_t                      c;
    const gw_conf_t          *conf;
    const gw_conf_listener_t *ls;
    char                      buf[GW_ADDR_STRLEN];

    cf_open(&c);
    conf = cf_ok(&c,
                 "listener t {\n"
                 "  listen 18080;\n"
                 "  listen 127.0.0.1:18081 backlog=128;\n"
                 "  listen [::1]:18080;\n"
                 "  handler tcp; proxy_pass 127.0.0.1:1;\n"
                 "}\n"
                 "# the same port for udp is another socket\n"
                 "listener u {\n"
                 "  listen *:18080; handler udp; proxy_pass 127.0.0.1:1;\n"
                 "}\n", NULL);
    ls = listener(conf, 0);
    ck_assert_uint_eq(ls->n_listens, 3);
    gw_sockaddr_format(&ls->listens[0].addr, buf, sizeof(buf));
    ck_assert_str_eq(buf, "0.0.0.0:18080");
    ck_assert_str_eq(ls->listens[1].text, "127.0.0.1:18081");
    ck_assert_int_eq(ls->listens[1].backlog, 128);
    ck_assert_int_eq(ls->listens[1].line, 3);
    gw_sockaddr_format(&ls->listens[2].addr, buf, sizeof(buf));
    ck_assert_str_eq(buf, "[::1]:18080");
    ck_assert_int_gt(ls->listens[0].backlog, 0);
    ck_assert_uint_eq(listener(conf, 1)->n_listens, 1);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_implicit_upstream)
{
    cf_t                      c;
    const gw_conf_t          *conf;
    const gw_conf_listener_t *ls;
    const gw_conf_upstream_t *u;
    char                      buf[GW_ADDR_STRLEN];

    cf_open(&c);
    conf = cf_ok(&c,
                 "listener {\n"
                 "  listen 18080;\n"
                 "  handler tcp;\n"
                 "  proxy_pass 127.0.0.1:9000;\n"
                 "}\n", NULL);
    ls = listener(conf, 0);
    ck_assert_str_eq(ls->proxy_pass.text, "127.0.0.1:9000");
    ck_assert_int_eq(ls->proxy_pass.line, 4);
    u = ls->proxy_pass.upstream;
    ck_assert_ptr_nonnull(u);
    ck_assert(u->implicit);
    ck_assert_uint_eq(u->n_servers, 1);
    ck_assert_uint_eq(u->n_addrs, 1);
    ck_assert_int_eq(u->balance, GW_BALANCE_ROUND_ROBIN);
    ck_assert_uint_eq(u->servers[0].weight, 1);
    ck_assert_uint_eq(u->servers[0].max_fails, 1);
    ck_assert_uint_eq(u->servers[0].fail_timeout_ms, 10000);
    gw_sockaddr_format(&u->servers[0].addrs[0], buf, sizeof(buf));
    ck_assert_str_eq(buf, "127.0.0.1:9000");
    /* it is in the tree, so the worker builds it like any other */
    ck_assert_uint_eq(conf->n_upstreams, 1);
    ck_assert_ptr_eq(conf->upstreams[0], u);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_named_upstream_defined_later)
{
    cf_t                      c;
    const gw_conf_t          *conf;
    const gw_conf_listener_t *ls;

    cf_open(&c);
    conf = cf_ok(&c,
                 "listener web {\n"
                 "  listen 18080;\n"
                 "  handler http_reverse;\n"
                 "  location /api/ { proxy_pass api; }\n"
                 "  location example.com/ { proxy_pass 127.0.0.1:9100; }\n"
                 "  location /exact { proxy_pass api; }\n"
                 "  proxy_pass app;\n"
                 "}\n"
                 "upstream app { server 127.0.0.1:9000; }\n"
                 "upstream api { server 127.0.0.1:9001; server 127.0.0.1:9002;"
                 " }\n",
                 NULL);
    ls = listener(conf, 0);
    ck_assert_ptr_eq(ls->proxy_pass.upstream, conf->upstreams[0]);
    ck_assert_uint_eq(ls->n_locations, 3);
    ck_assert_ptr_eq(ls->locations[0].proxy_pass.upstream, conf->upstreams[1]);
    ck_assert_str_eq(ls->locations[0].pattern, "/api/");
    ck_assert_str_eq(ls->locations[0].host, "");
    ck_assert_str_eq(ls->locations[0].path, "/api/");
    ck_assert(ls->locations[0].subtree);
    ck_assert_str_eq(ls->locations[1].host, "example.com");
    ck_assert_str_eq(ls->locations[1].path, "/");
    ck_assert(ls->locations[1].proxy_pass.upstream->implicit);
    ck_assert(!ls->locations[2].subtree);
    ck_assert_int_eq(ls->locations[2].line, 6);
    cf_close(&c);
}
END_TEST

START_TEST(test_conf_server_name_resolved)
{
    cf_t                      c;
    const gw_conf_upstream_t *u;

    cf_open(&c);
    u = cf_ok(&c, "upstream app { server localhost:8080 weight=2; }\n",
              NULL)->upstreams[0];
    ck_assert_uint_ge(u->servers[0].n_addrs, 1);
    ck_assert_uint_eq(u->n_addrs, u->servers[0].n_addrs);
    for (unsigned i = 0; i < u->servers[0].n_addrs; i++) {
        const gw_sockaddr_t *a = &u->servers[0].addrs[i];
        char                 buf[GW_ADDR_STRLEN];

        gw_sockaddr_format(a, buf, sizeof(buf));
        ck_assert_msg(strncmp(buf, "127.", 4) == 0
                      || strcmp(buf, "[::1]:8080") == 0,
                      "localhost resolved to %s", buf);
        ck_assert_uint_eq(gw_sockaddr_port(a), 8080);
        for (unsigned j = 0; j < i; j++) {
            ck_assert(!gw_sockaddr_eq(a, &u->servers[0].addrs[j]));
        }
    }
    ck_assert_str_eq(u->servers[0].text, "localhost:8080");
    ck_assert_uint_eq(u->servers[0].weight, 2);
    cf_close(&c);
}
END_TEST

/* ---- -T ----------------------------------------------------------------- */

/* Dump CONF into DIR/NAME and return the text (malloc'd) without its first
 * line, which names the source file. */
static char *
dump_to(const cf_t *c, const gw_conf_t *conf, const char *name)
{
    char   *path = ut_join(c->dir, name), *text = NULL;
    FILE   *f = fopen(path, "w+");
    long    len;

    ck_assert_ptr_nonnull(f);
    gw_conf_dump(conf, f);
    len = ftell(f);
    text = calloc(1, (size_t) len + 1);
    rewind(f);
    ck_assert_uint_eq(fread(text, 1, (size_t) len, f), (size_t) len);
    fclose(f);
    free(path);
    memmove(text, strchr(text, '\n') ? strchr(text, '\n') + 1 : text,
            strlen(strchr(text, '\n') ? strchr(text, '\n') + 1 : text) + 1);
    return text;
}

static void
check_dump_reads_back(const char *config)
{
    cf_t       c;
    char      *first, *second, *path, err[GW_CONF_ERR_LEN];
    gw_conf_t *again;

    cf_open(&c);
    first = dump_to(&c, cf_ok(&c, config, NULL), "dump1.conf");
    path = ut_join(c.dir, "dump1.conf");
    again = gw_conf_load(path, NULL, err, sizeof(err));
    if (again == NULL) {
        /* name the line -T printed wrong, on one line of output */
        const char *at = strrchr(err, ':');
        int         line = at ? atoi(at + 1) : 0;
        const char *l = first;

        for (int i = 2; i < line && l; i++) {   /* the dump lost line 1 */
            l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL;
        }
        ck_abort_msg("-T output does not read back: %s; the line: %.*s", err,
                     l ? (int) strcspn(l, "\n") : 0, l ? l : "");
    }
    second = dump_to(&c, again, "dump2.conf");
    if (strcmp(first, second) != 0) {
        size_t at = 0;

        while (first[at] == second[at]) {
            at++;
        }
        ck_abort_msg("-T of -T differs at byte %zu: \"%.40s\" vs \"%.40s\"",
                     at, first + at, second + at);
    }
    gw_conf_free(again);
    free(path);
    free(first);
    free(second);
    cf_close(&c);
}

START_TEST(test_conf_dump_reads_back)
{
    check_dump_reads_back(
        "worker_processes 2;\n"
        "worker_rlimit_nofile 4096;\n"
        "error_log \"logs/err or.log\" warn;\n"
        "shutdown_timeout 1m30s;\n"
        "upstream app {\n"
        "  server 127.0.0.1:9000 weight=3 max_fails=2 fail_timeout=1500ms;\n"
        "  server [::1]:9001 backup;\n"
        "  server 127.0.0.1:9002 down;\n"
        "  balance ip_hash;\n"
        "}\n"
        "listener tcp_app {\n"
        "  listen 127.0.0.1:18080 backlog=64; listen [::1]:18080;\n"
        "  handler tcp; proxy_pass app; idle_timeout 90s;\n"
        "  allow 10.0.0.0/8; deny 10.1.2.3; allow ::1; deny all;\n"
        "  access_log logs/access.log;\n"
        "}\n"
        "listener {\n"
        "  listen 18081; handler http_reverse; proxy_pass 127.0.0.1:9100;\n"
        "  location /api/ { proxy_pass app; }\n"
        "  location example.com/x { proxy_pass 127.0.0.1:9200; }\n"
        "  max_header_size 8k; max_body_size 10m;\n"
        "}\n"
        "listener socks {\n"
        "  listen 18082; handler socks5;\n"
        "  auth \"we;ird:pa ss\\\"w\\\\ord#\";\n"
        "  auth 'x:it\\'s';\n"
        "}\n"
        "listener dns { listen 18053; handler udp; proxy_pass 127.0.0.1:53;"
        " udp_responses 1; }\n");
}
END_TEST

START_TEST(test_conf_dump_quotes_names)
{
    /* names are words like any other: one that needs quotes must be
     * printed with them, or -T does not read back */
    check_dump_reads_back(
        "upstream \"my app\" { server 127.0.0.1:9000; }\n"
        "listener \"public api\" {\n"
        "  listen 18080; handler http_reverse; proxy_pass \"my app\";\n"
        "  location \"/a b/\" { proxy_pass \"my app\"; }\n"
        "}\n");
}
END_TEST

Suite *
conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *errs = tcase_create("errors");
    TCase *vals = tcase_create("values");

    tcase_add_loop_test(errs, test_conf_errors, 0,
                        (int) (sizeof(errors) / sizeof(errors[0])));
    tcase_add_test(errs, test_conf_missing_file);
    suite_add_tcase(s, errs);

    tcase_add_test(vals, test_conf_main_defaults);
    tcase_add_test(vals, test_conf_listener_defaults);
    tcase_add_test(vals, test_conf_upstream_defaults);
    tcase_add_test(vals, test_conf_main_values);
    tcase_add_loop_test(vals, test_conf_time_units, 0,
                        (int) (sizeof(conf_times) / sizeof(conf_times[0])));
    tcase_add_test(vals, test_conf_sizes);
    tcase_add_test(vals, test_conf_quoting);
    tcase_add_test(vals, test_conf_comments_and_layout);
    tcase_add_test(vals, test_conf_include_glob_sorted);
    tcase_add_test(vals, test_conf_include_in_block);
    tcase_add_test(vals, test_conf_include_relative_to_conf_dir);
    tcase_add_test(vals, test_conf_include_absolute);
    tcase_add_test(vals, test_conf_include_wildcard_matching_nothing);
    tcase_add_test(vals, test_conf_include_wildcard_in_missing_dir);
    tcase_add_test(vals, test_conf_extra_directives);
    tcase_add_test(vals, test_conf_relative_paths);
    tcase_add_test(vals, test_conf_relative_config_path);
    tcase_add_test(vals, test_conf_acl_order);
    tcase_add_test(vals, test_conf_server_parameters);
    tcase_add_test(vals, test_conf_balance_names);
    tcase_add_test(vals, test_conf_handlers);
    tcase_add_test(vals, test_conf_listens);
    tcase_add_test(vals, test_conf_implicit_upstream);
    tcase_add_test(vals, test_conf_named_upstream_defined_later);
    tcase_add_test(vals, test_conf_server_name_resolved);
    tcase_add_test(vals, test_conf_dump_reads_back);
    tcase_add_test(vals, test_conf_dump_quotes_names);
    suite_add_tcase(s, vals);
    return s;
}
