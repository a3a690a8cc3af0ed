/*
 * conf/check.c: what can only be judged once a block, or the whole file,
 * has been read: required directives, directives that do not apply to the
 * listener's handler, handler-dependent defaults, duplicate names and
 * listen addresses, proxy_pass targets, and server names (resolved here,
 * once, as SPEC says).
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/core.h"
#include "conf/directive.h"

static int
check_applies(gw_parser_t *p, const gw_conf_listener_t *ls,
              const gw_seen_t *seen)
{
    for (unsigned i = 0; i < gw_n_directives; i++) {
        const gw_directive_t *d = &gw_directives[i];

        if (seen[i].line && (d->ctx & GW_CTX_LISTENER) && d->handlers
            && !(d->handlers & GW_HANDLER_BIT(ls->handler))) {
            return gw_conf_error(p, seen[i].file, seen[i].line,
                                 "\"%s\" directive does not apply to "
                                 "handler %s", d->name,
                                 gw_handler_names[ls->handler]);
        }
    }
    return 0;
}

static const gw_directive_t *
row(const char *name, unsigned ctx)
{
    for (unsigned i = 0; i < gw_n_directives; i++) {
        if ((gw_directives[i].ctx & ctx)
            && strcmp(gw_directives[i].name, name) == 0) {
            return &gw_directives[i];
        }
    }
    return NULL;
}

int
gw_conf_finish_listener(gw_parser_t *p, gw_conf_listener_t *ls,
                        const gw_seen_t *seen)
{
    const gw_directive_t *idle = row("idle_timeout", GW_CTX_LISTENER);

    if (ls->handler == GW_HANDLER_NONE) {
        return gw_conf_error(p, ls->file, ls->line,
                             "no \"handler\" directive in listener");
    }
    if (ls->n_listens == 0) {
        return gw_conf_error(p, ls->file, ls->line,
                             "no \"listen\" directive in listener");
    }
    if (check_applies(p, ls, seen) != 0) {
        return -1;
    }
    if (!seen[idle - gw_directives].line) {
        ls->idle_timeout_ms = ls->handler == GW_HANDLER_UDP ? 60000 : 600000;
    }
    if ((ls->handler == GW_HANDLER_TCP || ls->handler == GW_HANDLER_UDP)
        && ls->proxy_pass.text == NULL) {
        return gw_conf_error(p, ls->file, ls->line,
                             "no \"proxy_pass\" directive in %s listener",
                             gw_handler_names[ls->handler]);
    }
    if (ls->handler == GW_HANDLER_HTTP_REVERSE && ls->proxy_pass.text == NULL
        && ls->n_locations == 0) {
        return gw_conf_error(p, ls->file, ls->line,
                             "no \"proxy_pass\" or \"location\" directive in "
                             "http_reverse listener");
    }
    return 0;
}

int
gw_conf_finish_upstream(gw_parser_t *p, gw_conf_upstream_t *u,
                        const gw_seen_t *seen)
{
    (void) seen;
    if (u->n_servers == 0) {
        return gw_conf_error(p, u->file, u->line,
                             "no \"server\" directive in upstream \"%s\"",
                             u->name);
    }
    return 0;
}

int
gw_conf_finish_location(gw_parser_t *p, gw_conf_location_t *loc,
                        const gw_seen_t *seen)
{
    (void) seen;
    if (loc->proxy_pass.text == NULL) {
        return gw_conf_error(p, loc->file, loc->line,
                             "no \"proxy_pass\" directive in location \"%s\"",
                             loc->pattern);
    }
    return 0;
}

/* ---- whole-file checks ------------------------------------------------ */

/*
 * Addresses of HOST:PORT: a numeric address as is, a name through
 * getaddrinfo() (so /etc/hosts counts), duplicates dropped.
 */
static int
resolve(gw_parser_t *p, const char *text, gw_sockaddr_t **addrs,
        unsigned *n, const char *file, int line)
{
    struct addrinfo  hints, *res, *ai;
    char             host[256], port_text[8];
    uint16_t         port;
    gw_sockaddr_t    sa;
    int              rc;

    if (gw_addr_split(text, host, sizeof(host), &port) != 0) {
        return gw_conf_error(p, file, line, "invalid address \"%s\"", text);
    }
    if (gw_addr_parse_ip(host, port, &sa) == 0) {
        gw_sockaddr_t *slot = gw_pool_push(p->pool, (void **) addrs, n,
                                           sizeof(sa));
        if (slot == NULL) {
            return gw_conf_error(p, file, line, "out of memory");
        }
        *slot = sa;
        return 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port_text, sizeof(port_text), "%u", port);
    rc = getaddrinfo(host, port_text, &hints, &res);
    if (rc != 0) {
        return gw_conf_error(p, file, line, "host not found in \"%s\" (%s)",
                             text, gai_strerror(rc));
    }
    for (ai = res; ai; ai = ai->ai_next) {
        gw_sockaddr_t *slot;
        unsigned       i;

        memset(&sa, 0, sizeof(sa));
        memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
        for (i = 0; i < *n && !gw_sockaddr_eq(&(*addrs)[i], &sa); i++) {
            /* look for a duplicate */
        }
        if (i < *n) {
            continue;
        }
        slot = gw_pool_push(p->pool, (void **) addrs, n, sizeof(sa));
        if (slot == NULL) {
            freeaddrinfo(res);
            return gw_conf_error(p, file, line, "out of memory");
        }
        *slot = sa;
    }
    freeaddrinfo(res);
    return 0;
}

static int
resolve_upstream(gw_parser_t *p, gw_conf_upstream_t *u)
{
    u->n_addrs = 0;
    for (unsigned i = 0; i < u->n_servers; i++) {
        gw_conf_server_t *s = &u->servers[i];

        if (resolve(p, s->text, &s->addrs, &s->n_addrs, s->file, s->line)) {
            return -1;
        }
        if (s->resolve && s->n_addrs > GW_RESOLVE_SLOTS) {
            s->n_addrs = GW_RESOLVE_SLOTS;      /* as the resolver keeps */
        }
        /* a name that follows DNS keeps room for the addresses it may get */
        u->n_addrs += s->resolve ? GW_RESOLVE_SLOTS : s->n_addrs;
    }
    if (u->n_addrs > GW_MAX_PEERS) {
        return gw_conf_error(p, u->file, u->line,
                             "upstream \"%s\" has %u addresses, at most %d",
                             u->name, u->n_addrs, GW_MAX_PEERS);
    }
    return 0;
}

static gw_conf_upstream_t *
find_upstream(const gw_conf_t *conf, const char *name)
{
    for (unsigned i = 0; i < conf->n_upstreams; i++) {
        if (!conf->upstreams[i]->implicit
            && strcmp(conf->upstreams[i]->name, name) == 0) {
            return conf->upstreams[i];
        }
    }
    return NULL;
}

/* A literal HOST:PORT becomes an upstream of one server of its own. */
static gw_conf_upstream_t *
implicit_upstream(gw_parser_t *p, gw_conf_target_t *t)
{
    gw_conf_upstream_t *u = gw_pool_alloc(p->pool, sizeof(*u));
    gw_conf_upstream_t **slot;
    gw_conf_server_t   *s;

    if (u == NULL || (s = gw_pool_alloc(p->pool, sizeof(*s))) == NULL
        || (slot = gw_pool_push(p->pool, (void **) &p->conf->upstreams,
                                &p->conf->n_upstreams, sizeof(*slot))) == NULL) {
        gw_conf_error(p, t->file, t->line, "out of memory");
        return NULL;
    }
    *slot = u;
    u->name = t->text;
    u->file = t->file;
    u->line = t->line;
    u->implicit = 1;
    u->keepalive_timeout_ms = 60000;
    u->servers = s;
    u->n_servers = 1;
    s->text = t->text;
    s->file = t->file;
    s->line = t->line;
    s->weight = 1;
    s->max_fails = 1;
    s->fail_timeout_ms = 10000;
    return resolve_upstream(p, u) == 0 ? u : NULL;
}

static int
resolve_target(gw_parser_t *p, gw_conf_target_t *t)
{
    char     host[256];
    uint16_t port;

    if (t->text == NULL) {
        return 0;
    }
    t->upstream = find_upstream(p->conf, t->text);
    if (t->upstream) {
        return 0;
    }
    if (gw_addr_split(t->text, host, sizeof(host), &port) != 0) {
        return gw_conf_error(p, t->file, t->line,
                             "upstream \"%s\" is not defined", t->text);
    }
    t->upstream = implicit_upstream(p, t);
    return t->upstream ? 0 : -1;
}

static int
check_names(gw_parser_t *p)
{
    gw_conf_t *conf = p->conf;

    for (unsigned i = 0; i < conf->n_upstreams; i++) {
        for (unsigned j = 0; j < i; j++) {
            if (strcmp(conf->upstreams[i]->name, conf->upstreams[j]->name) == 0) {
                return gw_conf_error(p, conf->upstreams[i]->file,
                                     conf->upstreams[i]->line,
                                     "duplicate upstream \"%s\"",
                                     conf->upstreams[i]->name);
            }
        }
    }
    for (unsigned i = 0; i < conf->n_listeners; i++) {
        const gw_conf_listener_t *a = conf->listeners[i];

        for (unsigned j = 0; j < i && a->name[0]; j++) {
            if (strcmp(a->name, conf->listeners[j]->name) == 0) {
                return gw_conf_error(p, a->file, a->line,
                                     "duplicate listener \"%s\"", a->name);
            }
        }
    }
    return 0;
}

static int
is_udp(const gw_conf_listener_t *ls)
{
    return ls->handler == GW_HANDLER_UDP;
}

/* One address may be bound once per protocol: a udp and a tcp listener
 * may share a port, two tcp listeners may not. */
static int
check_listens(gw_parser_t *p)
{
    gw_conf_t *conf = p->conf;

    for (unsigned i = 0; i < conf->n_listeners; i++) {
        const gw_conf_listener_t *a = conf->listeners[i];

        for (unsigned k = 0; k < a->n_listens; k++) {
            const gw_conf_listen_t *l = &a->listens[k];

            for (unsigned j = 0; j <= i; j++) {
                const gw_conf_listener_t *b = conf->listeners[j];
                unsigned end = j == i ? k : b->n_listens;

                for (unsigned m = 0; m < end && is_udp(a) == is_udp(b); m++) {
                    if (gw_sockaddr_eq(&l->addr, &b->listens[m].addr)) {
                        return gw_conf_error(p, l->file, l->line,
                                             "duplicate listen address \"%s\"",
                                             l->text);
                    }
                }
            }
        }
    }
    return 0;
}

static int
check_targets(gw_parser_t *p)
{
    gw_conf_t *conf = p->conf;
    unsigned   n_named = conf->n_upstreams;

    /* named upstreams resolve first; implicit ones are appended after */
    for (unsigned i = 0; i < n_named; i++) {
        if (resolve_upstream(p, conf->upstreams[i]) != 0) {
            return -1;
        }
    }
    for (unsigned i = 0; i < conf->n_listeners; i++) {
        gw_conf_listener_t *ls = conf->listeners[i];

        if (resolve_target(p, &ls->proxy_pass) != 0) {
            return -1;
        }
        for (unsigned j = 0; j < ls->n_locations; j++) {
            if (resolve_target(p, &ls->locations[j].proxy_pass) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Active checks connect over TCP: a udp listener's group has none. */
static int
check_health(gw_parser_t *p)
{
    const gw_conf_t *conf = p->conf;

    for (unsigned i = 0; i < conf->n_listeners; i++) {
        const gw_conf_listener_t *ls = conf->listeners[i];
        const gw_conf_upstream_t *u = ls->proxy_pass.upstream;

        if (ls->handler == GW_HANDLER_UDP && u && u->health.on) {
            return gw_conf_error(p, ls->proxy_pass.file, ls->proxy_pass.line,
                                 "upstream \"%s\" has health_check, which "
                                 "udp listeners cannot use", u->name);
        }
        for (unsigned k = 0; ls->handler == GW_HANDLER_UDP && k < ls->n_listens;
             k++) {
            if (ls->listens[k].proxy_protocol) {
                return gw_conf_error(p, ls->listens[k].file,
                                     ls->listens[k].line, "udp listeners "
                                     "cannot take PROXY protocol headers");
            }
        }
    }
    return 0;
}

/* access_log PATH NAME: NAME is a log_format. */
static int
check_log_formats(gw_parser_t *p)
{
    gw_conf_t *conf = p->conf;

    for (unsigned i = 0; i < conf->n_listeners; i++) {
        gw_conf_listener_t *ls = conf->listeners[i];
        unsigned            k;

        if (ls->access_log == NULL || ls->access_log_format == NULL) {
            continue;
        }
        for (k = 0; k < conf->n_log_formats; k++) {
            if (strcmp(conf->log_formats[k].name, ls->access_log_format) == 0) {
                ls->log_format = &conf->log_formats[k];
                break;
            }
        }
        if (k == conf->n_log_formats) {
            return gw_conf_error(p, ls->file, ls->access_log_line,
                                 "unknown log_format \"%s\"",
                                 ls->access_log_format);
        }
    }
    return 0;
}

int
gw_conf_check(gw_parser_t *p)
{
    gw_conf_t *conf = p->conf;

    if (conf->worker_processes_auto) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        conf->worker_processes = n > 0 ? (unsigned) n : 1;
    }
    if (check_names(p) != 0 || check_listens(p) != 0
        || check_log_formats(p) != 0) {
        return -1;
    }
    return check_targets(p) != 0 ? -1 : check_health(p);
}
