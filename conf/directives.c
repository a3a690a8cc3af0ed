/*
 * conf/directives.c: every directive of SPEC as one table row, and the
 * setters and printers of the directives with structure (the value types
 * the rows share are in conf/values.c).
 *
 * Adding a directive: a field in conf.h, a row here (with its default and
 * the handlers it applies to), a line in docs/configuration.md. Only
 * directives with structure (listen, server, proxy_pass, blocks) have
 * setters of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "common/core.h"
#include "common/log.h"
#include "conf/directive.h"

const char *const gw_handler_names[GW_HANDLER_COUNT] = {
    "", "tcp", "udp", "http_reverse", "http_forward", "socks5", "status"
};

const char *const gw_balance_names[] = {
    "round_robin", "least_conn", "random", "ip_hash", "consistent_hash", NULL
};

static const char *const handler_values[] = {
    "tcp", "udp", "http_reverse", "http_forward", "socks5", "status", NULL
};

static const gw_conf_range_t range_workers = { 1, 512 };
static const gw_conf_range_t range_connections = { 4, 1000000 };
static const gw_conf_range_t range_nofile = { 16, 16777216 };
static const gw_conf_range_t gw_conf_range_threads = { 1, 64 };
static const gw_conf_range_t range_count = { 0, 1000000 };

#define FIELD(type, field) offsetof(type, field)
#define GW_DIR_FIELD(obj, d, type)  ((type *) ((char *) (obj) + (d)->offset))

/* handler: the enum is 1-based (0 means none yet). */
static const char *
set_handler(gw_parser_t *p, void *obj, const gw_directive_t *d, char **args,
            unsigned n)
{
    const char *msg = gw_conf_set_enum(p, obj, d, args, n);

    if (msg == NULL) {
        (*GW_DIR_FIELD(obj, d, int))++;
    }
    return msg;
}

static void
print_handler(FILE *out, const void *obj, const gw_directive_t *d,
              const char *indent)
{
    fprintf(out, "%s%s %s;\n", indent, d->name,
            gw_handler_names[*GW_DIR_FIELD(obj, d, const int)]);
}

/* ---- main context ---------------------------------------------------- */

static const char *
set_worker_processes(gw_parser_t *p, void *obj, const gw_directive_t *d,
                     char **args, unsigned n)
{
    gw_conf_t *conf = obj;

    conf->worker_processes_auto = strcmp(args[0], "auto") == 0;
    if (conf->worker_processes_auto) {
        conf->worker_processes = 0;     /* resolved by gw_conf_check */
        return NULL;
    }
    return gw_conf_set_uint(p, obj, d, args, n);
}

static void
print_worker_processes(FILE *out, const void *obj, const gw_directive_t *d,
                       const char *indent)
{
    const gw_conf_t *conf = obj;

    if (conf->worker_processes_auto) {
        fprintf(out, "%s%s auto;  # %u here\n", indent, d->name,
                conf->worker_processes);
    } else {
        gw_conf_print_uint(out, obj, d, indent);
    }
}

static const char *
set_error_log(gw_parser_t *p, void *obj, const gw_directive_t *d,
              char **args, unsigned n)
{
    gw_conf_t *conf = obj;
    int        level = GW_LOG_NOTICE;

    (void) d;
    if (n == 2 && (level = gw_log_level_parse(args[1])) < 0) {
        snprintf(p->msg, sizeof(p->msg), "has invalid level \"%s\"", args[1]);
        return p->msg;
    }
    conf->error_log_level = level;
    if (strcmp(args[0], "stderr") == 0) {
        conf->error_log = "stderr";
        return NULL;
    }
    return gw_conf_set_path(p, obj, d, args, 1);
}

static void
print_error_log(FILE *out, const void *obj, const gw_directive_t *d,
                const char *indent)
{
    const gw_conf_t *conf = obj;

    fprintf(out, "%s%s ", indent, d->name);
    gw_conf_print_word(out, conf->error_log);
    fprintf(out, " %s;\n", gw_log_level_name(conf->error_log_level));
}

/* `user USER [GROUP]`: checked here, so -t says when one does not exist. */
static const char *
set_user(gw_parser_t *p, void *obj, const gw_directive_t *d, char **args,
         unsigned n)
{
    gw_conf_t *conf = obj;

    (void) d;
    if (getpwnam(args[0]) == NULL) {
        snprintf(p->msg, sizeof(p->msg), "names no such user \"%s\"", args[0]);
        return p->msg;
    }
    if (n == 2 && getgrnam(args[1]) == NULL) {
        snprintf(p->msg, sizeof(p->msg), "names no such group \"%s\"",
                 args[1]);
        return p->msg;
    }
    conf->user = gw_pool_strdup(p->pool, args[0]);
    conf->group = n == 2 ? gw_pool_strdup(p->pool, args[1]) : NULL;
    return conf->user && (n == 1 || conf->group) ? NULL : "out of memory";
}

static void
print_user(FILE *out, const void *obj, const gw_directive_t *d,
           const char *indent)
{
    const gw_conf_t *conf = obj;

    if (conf->user == NULL) {
        return;
    }
    fprintf(out, "%s%s ", indent, d->name);
    gw_conf_print_word(out, conf->user);
    if (conf->group) {
        fputc(' ', out);
        gw_conf_print_word(out, conf->group);
    }
    fputs(";\n", out);
}

/* ---- blocks ----------------------------------------------------------- */

static const char *
set_upstream(gw_parser_t *p, void *obj, const gw_directive_t *d, char **args,
             unsigned n)
{
    gw_conf_t          *conf = obj;
    gw_conf_upstream_t *u, **slot;

    (void) d;
    (void) n;
    if (strchr(args[0], ':') || args[0][0] == '\0') {
        snprintf(p->msg, sizeof(p->msg),
                 "has invalid name \"%s\" (a name has no ':')", args[0]);
        return p->msg;
    }
    u = gw_pool_alloc(p->pool, sizeof(*u));
    slot = gw_pool_push(p->pool, (void **) &conf->upstreams,
                        &conf->n_upstreams, sizeof(*slot));
    if (u == NULL || slot == NULL) {
        return "out of memory";
    }
    *slot = u;
    u->name = gw_pool_strdup(p->pool, args[0]);
    u->file = p->file;
    u->line = p->line;
    p->child = u;
    p->child_ctx = GW_CTX_UPSTREAM;
    return NULL;
}

static const char *
set_listener(gw_parser_t *p, void *obj, const gw_directive_t *d, char **args,
             unsigned n)
{
    gw_conf_t          *conf = obj;
    gw_conf_listener_t *ls, **slot;

    (void) d;
    ls = gw_pool_alloc(p->pool, sizeof(*ls));
    slot = gw_pool_push(p->pool, (void **) &conf->listeners,
                        &conf->n_listeners, sizeof(*slot));
    if (ls == NULL || slot == NULL) {
        return "out of memory";
    }
    *slot = ls;
    ls->name = gw_pool_strdup(p->pool, n ? args[0] : "");
    ls->file = p->file;
    ls->line = p->line;
    p->child = ls;
    p->child_ctx = GW_CTX_LISTENER;
    return NULL;
}

static const char *
set_location(gw_parser_t *p, void *obj, const gw_directive_t *d, char **args,
             unsigned n)
{
    gw_conf_listener_t *ls = obj;
    gw_conf_location_t *loc;
    const char         *slash = strchr(args[0], '/');

    (void) d;
    (void) n;
    if (slash == NULL) {
        snprintf(p->msg, sizeof(p->msg),
                 "has invalid pattern \"%s\" (expected [HOST]/PATH)", args[0]);
        return p->msg;
    }
    for (unsigned i = 0; i < ls->n_locations; i++) {
        if (strcmp(ls->locations[i].pattern, args[0]) == 0) {
            snprintf(p->msg, sizeof(p->msg), "has duplicate pattern \"%s\"",
                     args[0]);
            return p->msg;
        }
    }
    loc = gw_pool_push(p->pool, (void **) &ls->locations, &ls->n_locations,
                       sizeof(*loc));
    if (loc == NULL) {
        return "out of memory";
    }
    loc->pattern = gw_pool_strdup(p->pool, args[0]);
    loc->host = gw_pool_strndup(p->pool, args[0], slash - args[0]);
    for (char *h = loc->host; h && *h; h++) {
        *h = (char) (*h >= 'A' && *h <= 'Z' ? *h - 'A' + 'a' : *h);
    }
    loc->path = gw_pool_strdup(p->pool, slash);
    loc->subtree = args[0][strlen(args[0]) - 1] == '/';
    loc->file = p->file;
    loc->line = p->line;
    p->child = loc;
    p->child_ctx = GW_CTX_LOCATION;
    return NULL;
}

/* ---- upstream --------------------------------------------------------- */

static const char *
server_param(gw_parser_t *p, gw_conf_server_t *s, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *v = eq ? eq + 1 : NULL;
    uint64_t    num;
    size_t      klen = eq ? (size_t) (eq - arg) : strlen(arg);

    if (!eq && strcmp(arg, "backup") == 0) {
        s->backup = 1;
    } else if (!eq && strcmp(arg, "down") == 0) {
        s->down = 1;
    } else if (!eq && strcmp(arg, "resolve") == 0) {
        s->resolve = 1;
    } else if (eq && klen == 6 && strncmp(arg, "weight", 6) == 0
               && gw_conf_parse_uint(v, 1000, &num) == 0 && num > 0) {
        s->weight = (unsigned) num;
    } else if (eq && klen == 9 && strncmp(arg, "max_fails", 9) == 0
               && gw_conf_parse_uint(v, 1000, &num) == 0) {
        s->max_fails = (unsigned) num;
    } else if (eq && klen == 12 && strncmp(arg, "fail_timeout", 12) == 0
               && gw_conf_parse_msec(v, &s->fail_timeout_ms) == 0) {
        /* stored by the parse */
    } else {
        snprintf(p->msg, sizeof(p->msg), "has invalid parameter \"%s\"", arg);
        return p->msg;
    }
    return NULL;
}

static const char *
set_server(gw_parser_t *p, void *obj, const gw_directive_t *d, char **args,
           unsigned n)
{
    gw_conf_upstream_t *u = obj;
    gw_conf_server_t   *s;
    char                host[256];
    uint16_t            port;
    const char         *msg;

    (void) d;
    if (gw_addr_split(args[0], host, sizeof(host), &port) != 0) {
        snprintf(p->msg, sizeof(p->msg),
                 "has invalid address \"%s\" (expected HOST:PORT)", args[0]);
        return p->msg;
    }
    s = gw_pool_push(p->pool, (void **) &u->servers, &u->n_servers,
                     sizeof(*s));
    if (s == NULL) {
        return "out of memory";
    }
    s->text = gw_pool_strdup(p->pool, args[0]);
    s->file = p->file;
    s->line = p->line;
    s->weight = 1;
    s->max_fails = 1;
    s->fail_timeout_ms = 10000;
    for (unsigned i = 1; i < n; i++) {
        if ((msg = server_param(p, s, args[i])) != NULL) {
            return msg;
        }
    }
    u->n_resolve += s->resolve;
    /* the name resolves once the whole file is read (gw_conf_check) */
    return NULL;
}

/* interval=T timeout=T fails=N passes=N uri=PATH, any order. */
static const char *
health_param(gw_parser_t *p, gw_conf_health_t *h, const char *arg)
{
    const char *v = strchr(arg, '=');
    uint64_t    num;
    size_t      klen = v ? (size_t) (v - arg) : 0;

    v = v ? v + 1 : "";
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(arg, k, klen) == 0)
    if (KEY("interval") && gw_conf_parse_msec(v, &h->interval_ms) == 0
        && h->interval_ms > 0) {
        return NULL;
    }
    if (KEY("timeout") && gw_conf_parse_msec(v, &h->timeout_ms) == 0
        && h->timeout_ms > 0) {
        return NULL;
    }
    if ((KEY("fails") || KEY("passes"))
        && gw_conf_parse_uint(v, 1000, &num) == 0 && num > 0) {
        *(KEY("fails") ? &h->fails : &h->passes) = (unsigned) num;
        return NULL;
    }
    if (KEY("uri") && v[0] == '/' && strcspn(v, " \t\r\n") == strlen(v)) {
        h->uri = gw_pool_strdup(p->pool, v);
        return h->uri ? NULL : "out of memory";
    }
#undef KEY
    snprintf(p->msg, sizeof(p->msg), "has invalid parameter \"%s\"", arg);
    return p->msg;
}

static const char *
set_health_check(gw_parser_t *p, void *obj, const gw_directive_t *d,
                 char **args, unsigned n)
{
    gw_conf_health_t *h = &((gw_conf_upstream_t *) obj)->health;
    const char       *msg;

    (void) d;
    h->on = 1;
    h->interval_ms = 5000;
    h->timeout_ms = 1000;
    h->fails = h->passes = 1;
    h->uri = NULL;
    for (unsigned i = 0; i < n; i++) {
        if ((msg = health_param(p, h, args[i])) != NULL) {
            return msg;
        }
    }
    return NULL;
}

static void
print_health_check(FILE *out, const void *obj, const gw_directive_t *d,
                   const char *indent)
{
    const gw_conf_health_t *h = &((const gw_conf_upstream_t *) obj)->health;
    char                    a[32], b[32];

    if (!h->on) {
        return;
    }
    fprintf(out, "%s%s interval=%s timeout=%s fails=%u passes=%u", indent,
            d->name, gw_conf_format_msec(h->interval_ms, a, sizeof(a)),
            gw_conf_format_msec(h->timeout_ms, b, sizeof(b)), h->fails,
            h->passes);
    if (h->uri) {
        fputs(" uri=", out);
        gw_conf_print_word(out, h->uri);
    }
    fputs(";\n", out);
}

static void
print_servers(FILE *out, const void *obj, const gw_directive_t *d,
              const char *indent)
{
    const gw_conf_upstream_t *u = obj;
    char                      buf[32];

    for (unsigned i = 0; i < u->n_servers; i++) {
        const gw_conf_server_t *s = &u->servers[i];

        fprintf(out, "%s%s %s weight=%u max_fails=%u fail_timeout=%s%s%s%s;\n",
                indent, d->name, s->text, s->weight, s->max_fails,
                gw_conf_format_msec(s->fail_timeout_ms, buf, sizeof(buf)),
                s->backup ? " backup" : "", s->down ? " down" : "",
                s->resolve ? " resolve" : "");
    }
}

/* ---- listener ---------------------------------------------------------- */

static const char *
set_listen(gw_parser_t *p, void *obj, const gw_directive_t *d, char **args,
           unsigned n)
{
    gw_conf_listener_t *ls = obj;
    gw_conf_listen_t   *l;
    uint64_t            backlog = 511;
    unsigned            proxy_protocol = 0;

    (void) d;
    for (unsigned i = 1; i < n; i++) {
        if (strcmp(args[i], "proxy_protocol") == 0) {
            proxy_protocol = 1;
        } else if (strncmp(args[i], "backlog=", 8) != 0
            || gw_conf_parse_uint(args[i] + 8, 65535, &backlog) != 0
            || backlog == 0) {
            snprintf(p->msg, sizeof(p->msg), "has invalid parameter \"%s\"",
                     args[i]);
            return p->msg;
        }
    }
    l = gw_pool_push(p->pool, (void **) &ls->listens, &ls->n_listens,
                     sizeof(*l));
    if (l == NULL) {
        return "out of memory";
    }
    if (gw_addr_parse_listen(args[0], &l->addr) != 0) {
        ls->n_listens--;
        snprintf(p->msg, sizeof(p->msg),
                 "has invalid address \"%s\" (expected PORT, IP:PORT, "
                 "*:PORT or [IPv6]:PORT)", args[0]);
        return p->msg;
    }
    l->text = gw_pool_strdup(p->pool, args[0]);
    l->backlog = (int) backlog;
    l->proxy_protocol = proxy_protocol;
    l->file = p->file;
    l->line = p->line;
    return NULL;
}

static void
print_listens(FILE *out, const void *obj, const gw_directive_t *d,
              const char *indent)
{
    const gw_conf_listener_t *ls = obj;

    for (unsigned i = 0; i < ls->n_listens; i++) {
        fprintf(out, "%s%s %s backlog=%d%s;\n", indent, d->name,
                ls->listens[i].text, ls->listens[i].backlog,
                ls->listens[i].proxy_protocol ? " proxy_protocol" : "");
    }
}

static const char *
set_proxy_pass(gw_parser_t *p, void *obj, const gw_directive_t *d,
               char **args, unsigned n)
{
    gw_conf_target_t *t = GW_DIR_FIELD(obj, d, gw_conf_target_t);

    (void) n;
    if (args[0][0] == '\0') {
        return gw_conf_invalid(p, args[0]);
    }
    t->text = gw_pool_strdup(p->pool, args[0]);
    t->file = p->file;
    t->line = p->line;
    return NULL;
}

static void
print_proxy_pass(FILE *out, const void *obj, const gw_directive_t *d,
                 const char *indent)
{
    const gw_conf_target_t *t = GW_DIR_FIELD(obj, d, const gw_conf_target_t);

    if (t->text) {
        fprintf(out, "%s%s ", indent, d->name);
        gw_conf_print_word(out, t->text);
        fputs(";\n", out);
    }
}

static const char *
set_access_log(gw_parser_t *p, void *obj, const gw_directive_t *d,
               char **args, unsigned n)
{
    gw_conf_listener_t *ls = obj;

    if (strcmp(args[0], "off") == 0) {
        if (n == 2) {
            return "takes no format with \"off\"";
        }
        *GW_DIR_FIELD(obj, d, char *) = NULL;
        return NULL;
    }
    ls->access_log_format = n == 2 ? gw_pool_strdup(p->pool, args[1]) : NULL;
    ls->access_log_line = p->line;
    return gw_conf_set_path(p, obj, d, args, 1);
}

static void
print_access_log(FILE *out, const void *obj, const gw_directive_t *d,
                 const char *indent)
{
    const gw_conf_listener_t *ls = obj;

    fprintf(out, "%s%s ", indent, d->name);
    gw_conf_print_word(out, ls->access_log ? ls->access_log : "off");
    if (ls->access_log && ls->access_log_format) {
        fputc(' ', out);
        gw_conf_print_word(out, ls->access_log_format);
    }
    fputs(";\n", out);
}

const char *const gw_log_variables[] = {
    "remote_addr", "remote_port", "remote_user", "time_local", "time_iso8601",
    "msec", "request", "request_method", "request_uri", "status",
    "bytes_sent", "bytes_received", "request_time", "upstream_addr",
    "upstream_connect_time", "upstream_response_time", "handler", "listener",
    "pid", NULL
};

int
gw_log_variable(const char *name, size_t len)
{
    for (int i = 0; gw_log_variables[i]; i++) {
        if (strlen(gw_log_variables[i]) == len
            && strncmp(gw_log_variables[i], name, len) == 0) {
            return i;
        }
    }
    return -1;
}

/* Every $name (or ${name}) in TEXT is a known variable; NULL or an error. */
static const char *
check_variables(gw_parser_t *p, const char *text)
{
    for (const char *s = strchr(text, '$'); s; s = strchr(s + 1, '$')) {
        const char *v = s + 1 + (s[1] == '{');
        size_t      n = strspn(v, GW_LOG_VARIABLE_CHARS);

        if (gw_log_variable(v, n) < 0 || (s[1] == '{' && v[n] != '}')) {
            snprintf(p->msg, sizeof(p->msg), "names an unknown variable "
                     "\"$%.*s\"", (int) (n ? n : 1), n ? v : s + 1);
            return p->msg;
        }
    }
    return NULL;
}

static const char *
set_log_format(gw_parser_t *p, void *obj, const gw_directive_t *d,
               char **args, unsigned n)
{
    gw_conf_t            *conf = obj;
    gw_conf_log_format_t *f;
    unsigned              first = 1;
    size_t                len = 0;
    const char           *err;

    (void) d;
    for (unsigned i = 0; i < conf->n_log_formats; i++) {
        if (strcmp(conf->log_formats[i].name, args[0]) == 0) {
            snprintf(p->msg, sizeof(p->msg), "duplicates format \"%s\"",
                     args[0]);
            return p->msg;
        }
    }
    f = gw_pool_push(p->pool, (void **) &conf->log_formats,
                     &conf->n_log_formats, sizeof(*f));
    if (f == NULL) {
        return "out of memory";
    }
    f->name = gw_pool_strdup(p->pool, args[0]);
    f->file = p->file;
    f->line = p->line;
    if (n > 2 && strncmp(args[1], "escape=", 7) == 0) {
        if (strcmp(args[1], "escape=json") != 0
            && strcmp(args[1], "escape=default") != 0) {
            conf->n_log_formats--;
            return "has an invalid escape (expected escape=json or "
                   "escape=default)";
        }
        f->json = strcmp(args[1], "escape=json") == 0;
        first = 2;
    }
    for (unsigned i = first; i < n; i++) {
        len += strlen(args[i]);
    }
    f->text = gw_pool_alloc(p->pool, len + 1);
    if (f->name == NULL || f->text == NULL) {
        return "out of memory";
    }
    f->text[0] = '\0';
    for (unsigned i = first; i < n; i++) {
        strcat(f->text, args[i]);
    }
    if ((err = check_variables(p, f->text)) != NULL) {
        conf->n_log_formats--;
        return err;
    }
    return NULL;
}

static void
print_log_formats(FILE *out, const void *obj, const gw_directive_t *d,
                  const char *indent)
{
    const gw_conf_t *conf = obj;

    for (unsigned i = 0; i < conf->n_log_formats; i++) {
        fprintf(out, "%s%s ", indent, d->name);
        gw_conf_print_word(out, conf->log_formats[i].name);
        fputs(conf->log_formats[i].json ? " escape=json " : " ", out);
        gw_conf_print_word(out, conf->log_formats[i].text);
        fputs(";\n", out);
    }
}

static const char *const proxy_protocol_values[] = { "off", "on", "v2", NULL };

/* `limit_req RATE [burst=N]`: RATE is Nr/s or Nr/m. */
static const char *
set_limit_req(gw_parser_t *p, void *obj, const gw_directive_t *d,
              char **args, unsigned n)
{
    gw_conf_listener_t *ls = obj;
    const char         *unit = strstr(args[0], "r/");
    char                num[24];
    uint64_t            rate, burst = 0;

    (void) d;
    if (unit == NULL || unit == args[0] || (size_t) (unit - args[0]) >= sizeof(num)
        || (strcmp(unit, "r/s") != 0 && strcmp(unit, "r/m") != 0)) {
        return gw_conf_invalid(p, args[0]);
    }
    memcpy(num, args[0], (size_t) (unit - args[0]));
    num[unit - args[0]] = '\0';
    if (gw_conf_parse_uint(num, 1000000, &rate) != 0 || rate == 0) {
        return gw_conf_invalid(p, args[0]);
    }
    if (n == 2 && (strncmp(args[1], "burst=", 6) != 0
                   || gw_conf_parse_uint(args[1] + 6, 1000000, &burst) != 0)) {
        snprintf(p->msg, sizeof(p->msg), "has invalid parameter \"%s\"",
                 args[1]);
        return p->msg;
    }
    ls->limit_req_rate = rate * (unit[2] == 's' ? 60000 : 1000);
    ls->limit_req_burst = (unsigned) burst;
    return NULL;
}

static void
print_limit_req(FILE *out, const void *obj, const gw_directive_t *d,
                const char *indent)
{
    const gw_conf_listener_t *ls = obj;
    uint64_t                  r = ls->limit_req_rate;

    if (r == 0) {
        return;
    }
    if (r % 60000 == 0) {
        fprintf(out, "%s%s %llur/s", indent, d->name, (unsigned long long) (r / 60000));
    } else {
        fprintf(out, "%s%s %llur/m", indent, d->name, (unsigned long long) (r / 1000));
    }
    fprintf(out, " burst=%u;\n", ls->limit_req_burst);
}

/* allow and deny share one ordered list: first match wins. */
static const char *
set_acl(gw_parser_t *p, void *obj, const gw_directive_t *d, char **args,
        unsigned n)
{
    gw_conf_listener_t *ls = obj;
    int                 to = strstr(d->name, "_to") != NULL;
    gw_conf_acl_t     **list = to ? &ls->dst_acl : &ls->acl;
    unsigned           *count = to ? &ls->n_dst_acl : &ls->n_acl;
    gw_conf_acl_t      *rule;

    (void) n;
    rule = gw_pool_push(p->pool, (void **) list, count, sizeof(*rule));
    if (rule == NULL) {
        return "out of memory";
    }
    rule->allow = d->name[0] == 'a';
    if (gw_cidr_parse(args[0], &rule->cidr) != 0) {
        (*count)--;
        snprintf(p->msg, sizeof(p->msg),
                 "has invalid value \"%s\" (expected CIDR, IP or all)",
                 args[0]);
        return p->msg;
    }
    return NULL;
}

static void
print_acl(FILE *out, const void *obj, const gw_directive_t *d,
          const char *indent)
{
    const gw_conf_listener_t *ls = obj;
    const char               *to = strstr(d->name, "_to") ? "_to" : "";
    const gw_conf_acl_t      *acl = *to ? ls->dst_acl : ls->acl;
    unsigned                  n_acl = *to ? ls->n_dst_acl : ls->n_acl;
    char                      ip[GW_ADDR_STRLEN];

    if (d->name[0] != 'a') {
        return;     /* the allow row prints the whole list, in order */
    }
    for (unsigned i = 0; i < n_acl; i++) {
        const gw_cidr_t *c = &acl[i].cidr;
        gw_sockaddr_t    sa;

        fprintf(out, "%s%s%s ", indent, acl[i].allow ? "allow" : "deny", to);
        if (c->family == AF_UNSPEC) {
            fputs("all;\n", out);
            continue;
        }
        memset(&sa, 0, sizeof(sa));
        sa.sa.sa_family = c->family;
        memcpy(c->family == AF_INET ? (void *) &sa.sin.sin_addr
                                    : (void *) &sa.sin6.sin6_addr,
               c->addr, c->family == AF_INET ? 4 : 16);
        gw_sockaddr_format_ip(&sa, ip, sizeof(ip));
        fprintf(out, "%s/%u;\n", ip, c->bits);
    }
}

static const char *
set_auth(gw_parser_t *p, void *obj, const gw_directive_t *d, char **args,
         unsigned n)
{
    gw_conf_listener_t *ls = obj;
    gw_conf_auth_t     *a;
    const char         *colon = strchr(args[0], ':');

    (void) d;
    (void) n;
    if (colon == NULL || colon == args[0]) {
        snprintf(p->msg, sizeof(p->msg),
                 "has invalid value \"%s\" (expected USER:PASSWORD)", args[0]);
        return p->msg;
    }
    a = gw_pool_push(p->pool, (void **) &ls->auth, &ls->n_auth, sizeof(*a));
    if (a == NULL) {
        return "out of memory";
    }
    a->user = gw_pool_strndup(p->pool, args[0], colon - args[0]);
    a->password = gw_pool_strdup(p->pool, colon + 1);
    return NULL;
}

static void
print_auth(FILE *out, const void *obj, const gw_directive_t *d,
           const char *indent)
{
    const gw_conf_listener_t *ls = obj;

    for (unsigned i = 0; i < ls->n_auth; i++) {
        char pair[512];

        snprintf(pair, sizeof(pair), "%s:%s", ls->auth[i].user,
                 ls->auth[i].password);
        fprintf(out, "%s%s ", indent, d->name);
        gw_conf_print_word(out, pair);
        fputs(";\n", out);
    }
}

/* ---- the table --------------------------------------------------------- */

#define MAIN    GW_CTX_MAIN
#define UPS     GW_CTX_UPSTREAM
#define LSN     GW_CTX_LISTENER
#define LOC     GW_CTX_LOCATION

#define A0_1    0, 1
#define A0_N    0, GW_ARGS_ANY
#define A1      1, 1
#define A1_2    1, 2
#define A1_N    1, GW_ARGS_ANY
#define A2_N    2, GW_ARGS_ANY

#define ONE     0
#define MULTI   GW_DIR_MULTI
#define BLOCK   (GW_DIR_BLOCK | GW_DIR_MULTI)

#define T_FLAG          gw_conf_set_flag, gw_conf_print_flag, NULL
#define T_UINT(r)       gw_conf_set_uint, gw_conf_print_uint, &(r)
#define T_MSEC          gw_conf_set_msec, gw_conf_print_msec, NULL
#define T_SIZE          gw_conf_set_size, gw_conf_print_size, NULL
#define T_PATH          gw_conf_set_path, gw_conf_print_str, NULL
#define T_ENUM(names)   gw_conf_set_enum, gw_conf_print_enum, (names)
#define T_CUSTOM(s, pr) (s), (pr), NULL

#define H(k)            GW_HANDLER_BIT(GW_HANDLER_##k)
#define ALL             0
#define DIALS           (H(TCP) | H(UDP) | H(HTTP_REVERSE) | H(HTTP_FORWARD) \
                         | H(SOCKS5))
#define HTTP            (H(HTTP_REVERSE) | H(HTTP_FORWARD))
#define TUNNELS         (H(TCP) | H(UDP) | H(SOCKS5) | H(HTTP_FORWARD) \
                         | H(HTTP_REVERSE))

#define M(f)            FIELD(gw_conf_t, f)
#define U(f)            FIELD(gw_conf_upstream_t, f)
#define L(f)            FIELD(gw_conf_listener_t, f)
#define LC(f)           FIELD(gw_conf_location_t, f)

const gw_directive_t gw_directives[] = {
    /* name                  where  args  flags  type                                       field                       default        applies to */
    { "worker_processes",     MAIN, A1,   ONE,   set_worker_processes, print_worker_processes, &range_workers, M(worker_processes), "auto", ALL },
    { "worker_connections",   MAIN, A1,   ONE,   T_UINT(range_connections),                 M(worker_connections),      "1024",        ALL },
    { "worker_rlimit_nofile", MAIN, A1,   ONE,   gw_conf_set_uint, gw_conf_print_uint_if_set, &range_nofile, M(worker_rlimit_nofile),    NULL,          ALL },
    { "daemon",               MAIN, A1,   ONE,   T_FLAG,                                    M(daemon),                  "on",          ALL },
    { "pid",                  MAIN, A1,   ONE,   T_PATH,                                    M(pid),                     "gateway.pid", ALL },
    { "error_log",            MAIN, A1_2, ONE,   T_CUSTOM(set_error_log, print_error_log),  M(error_log),               "stderr notice", ALL },
    { "shutdown_timeout",     MAIN, A1,   ONE,   T_MSEC,                                    M(shutdown_timeout_ms),     "30s",         ALL },
    { "resolver_threads",     MAIN, A1,   ONE,   T_UINT(gw_conf_range_threads),                     M(resolver_threads),        "2",           ALL },
    { "resolver_cache",       MAIN, A1,   ONE,   T_MSEC,                                    M(resolver_cache_ms),       "30s",         ALL },
    { "log_format",           MAIN, A2_N, MULTI, T_CUSTOM(set_log_format, print_log_formats), 0,                         NULL,          ALL },
    { "user",                 MAIN, A1_2, ONE,   T_CUSTOM(set_user, print_user),            0,                          NULL,          ALL },
    { "upstream",             MAIN, A1,   BLOCK, T_CUSTOM(set_upstream, NULL),              0,                          NULL,          ALL },
    { "listener",             MAIN, A0_1, BLOCK, T_CUSTOM(set_listener, NULL),              0,                          NULL,          ALL },

    { "server",               UPS,  A1_N, MULTI, T_CUSTOM(set_server, print_servers),       0,                          NULL,          ALL },
    { "balance",              UPS,  A1,   ONE,   T_ENUM(gw_balance_names),                  U(balance),                 "round_robin", ALL },
    { "keepalive",            UPS,  A1,   ONE,   T_UINT(range_count),                       U(keepalive),               "0",           ALL },
    { "keepalive_timeout",    UPS,  A1,   ONE,   T_MSEC,                                    U(keepalive_timeout_ms),    "60s",         ALL },
    { "health_check",         UPS,  A0_N, ONE,   T_CUSTOM(set_health_check, print_health_check), 0,                     NULL,          ALL },

    { "listen",               LSN,  A1_N, MULTI, T_CUSTOM(set_listen, print_listens),       0,                          NULL,          ALL },
    { "handler",              LSN,  A1,   ONE,   set_handler, print_handler, handler_values, L(handler),      NULL,          ALL },
    { "proxy_pass",           LSN,  A1,   ONE,   T_CUSTOM(set_proxy_pass, print_proxy_pass), L(proxy_pass),             NULL,          H(TCP) | H(UDP) | H(HTTP_REVERSE) },
    { "location",             LSN,  A1,   BLOCK, T_CUSTOM(set_location, NULL),              0,                          NULL,          H(HTTP_REVERSE) },
    { "connect_timeout",      LSN,  A1,   ONE,   T_MSEC,                                    L(connect_timeout_ms),      "10s",         DIALS },
    { "idle_timeout",         LSN,  A1,   ONE,   T_MSEC,                                    L(idle_timeout_ms),         NULL,          TUNNELS },
    { "header_timeout",       LSN,  A1,   ONE,   T_MSEC,                                    L(header_timeout_ms),       "60s",         H(TCP) | HTTP | H(SOCKS5) | H(STATUS) },
    { "keepalive_timeout",    LSN,  A1,   ONE,   T_MSEC,                                    L(keepalive_timeout_ms),    "75s",         HTTP },
    { "read_timeout",         LSN,  A1,   ONE,   T_MSEC,                                    L(read_timeout_ms),         "60s",         HTTP },
    { "send_timeout",         LSN,  A1,   ONE,   T_MSEC,                                    L(send_timeout_ms),         "60s",         ALL },
    { "max_header_size",      LSN,  A1,   ONE,   T_SIZE,                                    L(max_header_size),         "16k",         HTTP },
    { "max_body_size",        LSN,  A1,   ONE,   T_SIZE,                                    L(max_body_size),           "0",           HTTP },
    { "next_upstream_tries",  LSN,  A1,   ONE,   T_UINT(range_count),                       L(next_upstream_tries),     "0",           H(TCP) | H(HTTP_REVERSE) },
    { "proxy_protocol",       LSN,  A1,   ONE,   T_ENUM(proxy_protocol_values),             L(proxy_protocol),          "off",         H(TCP) | H(HTTP_REVERSE) },
    { "limit_conn",           LSN,  A1,   ONE,   T_UINT(range_count),                       L(limit_conn),              "0",           H(TCP) | HTTP | H(SOCKS5) | H(STATUS) },
    { "limit_req",            LSN,  A1_2, ONE,   T_CUSTOM(set_limit_req, print_limit_req),  0,                          NULL,          H(TCP) | HTTP | H(SOCKS5) | H(STATUS) },
    { "access_log",           LSN,  A1_2, ONE,   T_CUSTOM(set_access_log, print_access_log), L(access_log),             "off",         ALL },
    { "allow",                LSN,  A1,   MULTI, T_CUSTOM(set_acl, print_acl),              0,                          NULL,          ALL },
    { "deny",                 LSN,  A1,   MULTI, T_CUSTOM(set_acl, print_acl),              0,                          NULL,          ALL },
    { "allow_to",             LSN,  A1,   MULTI, T_CUSTOM(set_acl, print_acl),              0,                          NULL,          H(HTTP_FORWARD) | H(SOCKS5) },
    { "deny_to",              LSN,  A1,   MULTI, T_CUSTOM(set_acl, print_acl),              0,                          NULL,          H(HTTP_FORWARD) | H(SOCKS5) },
    { "auth",                 LSN,  A1,   MULTI, T_CUSTOM(set_auth, print_auth),            0,                          NULL,          H(HTTP_FORWARD) | H(SOCKS5) },
    { "udp_responses",        LSN,  A1,   ONE,   T_UINT(range_count),                       L(udp_responses),           "0",           H(UDP) },

    { "proxy_pass",           LOC,  A1,   ONE,   T_CUSTOM(set_proxy_pass, print_proxy_pass), LC(proxy_pass),            NULL,          ALL },
};

const unsigned gw_n_directives = gw_nelems(gw_directives);
