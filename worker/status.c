/*
 * worker/status.c: the status handler. A listener with `handler status`
 * answers, from the shared counters (worker/stats.c), so the numbers are
 * those of every worker together:
 *
 *   GET /metrics    the Prometheus text exposition format (version 0.0.4)
 *   GET /status     the same as one JSON object
 *
 * anything else 404 (405 for methods other than GET and HEAD), then the
 * connection closes. One request per connection: a scraper opens one per
 * scrape. The head must come within header_timeout; the answer is built
 * whole (its size grows with the listeners and servers, not with
 * traffic) and sent under send_timeout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/clock.h"
#include "common/http.h"
#include "common/log.h"
#include "worker/access.h"
#include "worker/handler.h"
#include "worker/http_route.h"
#include "worker/listener.h"
#include "worker/stats.h"

#define HEAD_MAX 4096

typedef struct text {
    char   *data;
    size_t  len, cap;
    int     failed;                 /* out of memory: the answer is 500 */
} text_t;

typedef struct status_conn {
    gw_conn_t *c;
    char       in[HEAD_MAX];
    size_t     in_len;
    text_t     out;
    size_t     sent;
    char       line[128];           /* request line, for the access log */
    int        status;
    uint64_t   start_ms;
    uint64_t   deadline_ms;
} status_conn_t;

static void on_accept(gw_conn_t *c);
static void on_read(gw_conn_t *c);
static void on_write(gw_conn_t *c);
static void on_timer(gw_timer_t *t);

const gw_handler_t gw_status_handler = {
    .name = "status",
    .conns_per_client = 1,
    .on_accept = on_accept,
};

/* ---- text ----------------------------------------------------------------- */

static void
put(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(text_t *t, const char *fmt, ...)
{
    va_list ap;
    int     n;

    for (int tries = 0; !t->failed && tries < 2; tries++) {
        size_t room = t->cap - t->len;

        va_start(ap, fmt);
        n = vsnprintf(t->data ? t->data + t->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
        } else if ((size_t) n < room) {
            t->len += (size_t) n;
            return;
        } else {
            size_t cap = t->cap * 2 + (size_t) n + 256;
            char  *d = realloc(t->data, cap);

            if (d == NULL) {
                t->failed = 1;
            } else {
                t->data = d;
                t->cap = cap;
            }
        }
    }
}

/* S escaped for a Prometheus label value or a JSON string: \\ \" \n;
 * JSON also wants the other control bytes as \u00XX. */
static void
put_escaped(text_t *t, const char *s, int json)
{
    for ( ; *s; s++) {
        unsigned char ch = (unsigned char) *s;

        if (ch == '\\' || ch == '"') {
            put(t, "\\%c", ch);
        } else if (ch == '\n') {
            put(t, "\\n");
        } else if (json && ch < 0x20) {
            put(t, "\\u%04x", ch);
        } else {
            put(t, "%c", ch);
        }
    }
}

/* ---- /metrics --------------------------------------------------------------- */

typedef struct family {
    const char *name;
    const char *type;
    const char *help;
} family_t;

static void
family(text_t *t, const char *name, const char *type, const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample_listener(text_t *t, const char *metric, const char *listener,
                const char *extra, uint64_t v)
{
    put(t, "%s{listener=\"", metric);
    put_escaped(t, listener, 0);
    put(t, "\"%s} %llu\n", extra ? extra : "", (unsigned long long) v);
}

static void
sample_server(text_t *t, const char *metric, const char *upstream,
              const char *server, const char *extra, const char *value)
{
    put(t, "%s{upstream=\"", metric);
    put_escaped(t, upstream, 0);
    put(t, "\",server=\"");
    put_escaped(t, server, 0);
    put(t, "\"%s} %s\n", extra ? extra : "", value);
}

/* What one family needs from each entry: the pass over the entries is
 * made once per family, since the format wants a family's samples
 * together. */
typedef struct pass {
    text_t     *t;
    int         which;
} pass_t;

enum {
    L_ACCEPTED, L_ACTIVE, L_REFUSED, L_REQUESTS, L_BYTES_IN, L_BYTES_OUT,
    S_SELECTED, S_FAILED, S_ACTIVE, S_UP, S_CHECKS, S_TIME, N_PASSES
};

static const family_t families[N_PASSES] = {
    { "gateway_listener_connections_accepted_total", "counter",
      "Connections (udp: sessions) accepted by the listener." },
    { "gateway_listener_connections_active", "gauge",
      "Connections (udp: sessions) of the listener open now." },
    { "gateway_listener_refused_total", "counter",
      "Clients refused by allow/deny rules (reason acl), for want of connection slots (reason budget), or by limit_conn and limit_req (reason limit)." },
    { "gateway_listener_requests_total", "counter",
      "HTTP requests, or tcp, udp and socks5 sessions, ended, by status class." },
    { "gateway_listener_received_bytes_total", "counter",
      "Bytes received from clients." },
    { "gateway_listener_sent_bytes_total", "counter",
      "Bytes sent to clients." },
    { "gateway_upstream_server_selected_total", "counter",
      "Times the balancer picked the server." },
    { "gateway_upstream_server_failed_total", "counter",
      "Connect failures and upstream errors counted against the server." },
    { "gateway_upstream_server_active", "gauge",
      "Connections to the server open now." },
    { "gateway_upstream_server_up", "gauge",
      "1 unless active health checks took the server out." },
    { "gateway_upstream_server_health_checks_total", "counter",
      "Active health checks run against the server, and failed (result)." },
    { "gateway_upstream_server_response_seconds", "histogram",
      "Time from sending a request upstream to its response head (http_reverse)." },
};

static void
listener_sample(text_t *t, int which, const char *name,
                const gw_stat_listener_t *l)
{
    static const char *const classes[6] = {
        "other", "1xx", "2xx", "3xx", "4xx", "5xx"
    };
    char extra[48];

    switch (which) {
    case L_ACCEPTED:
        sample_listener(t, families[which].name, name, NULL,
                        gw_stat_get(&l->accepted));
        break;
    case L_ACTIVE:
        sample_listener(t, families[which].name, name, NULL,
                        gw_stat_get(&l->active));
        break;
    case L_REFUSED:
        sample_listener(t, families[which].name, name, ",reason=\"acl\"",
                        gw_stat_get(&l->refused_acl));
        sample_listener(t, families[which].name, name, ",reason=\"budget\"",
                        gw_stat_get(&l->refused_budget));
        sample_listener(t, families[which].name, name, ",reason=\"limit\"",
                        gw_stat_get(&l->refused_limit));
        break;
    case L_REQUESTS:
        for (int i = 1; i <= 6; i++) {
            snprintf(extra, sizeof(extra), ",class=\"%s\"", classes[i % 6]);
            sample_listener(t, families[which].name, name, extra,
                            gw_stat_get(&l->status[i % 6]));
        }
        break;
    case L_BYTES_IN:
        sample_listener(t, families[which].name, name, NULL,
                        gw_stat_get(&l->bytes_in));
        break;
    case L_BYTES_OUT:
        sample_listener(t, families[which].name, name, NULL,
                        gw_stat_get(&l->bytes_out));
        break;
    }
}

static void
histogram(text_t *t, const char *up, const char *srv,
          const gw_stat_server_t *s)
{
    char     metric[96], extra[48], value[32];
    uint64_t cumulative = 0, sum = gw_stat_get(&s->time_sum_us);

    snprintf(metric, sizeof(metric), "%s_bucket", families[S_TIME].name);
    for (unsigned i = 0; i < GW_STATS_BUCKETS; i++) {
        cumulative += gw_stat_get(&s->bucket[i]);
        snprintf(extra, sizeof(extra), ",le=\"%g\"",
                 (double) gw_stats_bucket_us[i] / 1e6);
        snprintf(value, sizeof(value), "%llu", (unsigned long long) cumulative);
        sample_server(t, metric, up, srv, extra, value);
    }
    /* +Inf counts every observation, slower than the last bound too */
    snprintf(value, sizeof(value), "%llu",
             (unsigned long long) gw_stat_get(&s->time_count));
    sample_server(t, metric, up, srv, ",le=\"+Inf\"", value);
    snprintf(metric, sizeof(metric), "%s_sum", families[S_TIME].name);
    snprintf(value, sizeof(value), "%llu.%06llu",
             (unsigned long long) (sum / 1000000),
             (unsigned long long) (sum % 1000000));
    sample_server(t, metric, up, srv, NULL, value);
    snprintf(metric, sizeof(metric), "%s_count", families[S_TIME].name);
    snprintf(value, sizeof(value), "%llu",
             (unsigned long long) gw_stat_get(&s->time_count));
    sample_server(t, metric, up, srv, NULL, value);
}

static void
server_sample(text_t *t, int which, const char *up, const char *srv,
              const gw_stat_server_t *s)
{
    const char *name = families[which].name;
    char        v[32];
    uint64_t    n;

    switch (which) {
    case S_SELECTED: n = gw_stat_get(&s->selected); break;
    case S_FAILED:   n = gw_stat_get(&s->failed); break;
    case S_ACTIVE:   n = gw_stat_get(&s->active); break;
    case S_UP:       n = !gw_stat_get(&s->down); break;
    case S_CHECKS:
        snprintf(v, sizeof(v), "%llu", (unsigned long long) (gw_stat_get(&s->checks)
                                                      - gw_stat_get(&s->checks_failed)));
        sample_server(t, name, up, srv, ",result=\"passed\"", v);
        snprintf(v, sizeof(v), "%llu",
                 (unsigned long long) gw_stat_get(&s->checks_failed));
        sample_server(t, name, up, srv, ",result=\"failed\"", v);
        return;
    default:
        histogram(t, up, srv, s);
        return;
    }
    snprintf(v, sizeof(v), "%llu", (unsigned long long) n);
    sample_server(t, name, up, srv, NULL, v);
}

static void
visit_metrics(void *arg, const char *listener, const char *upstream,
              const char *server, const void *entry)
{
    pass_t *p = arg;

    if (listener && p->which < S_SELECTED) {
        listener_sample(p->t, p->which, listener, entry);
    } else if (server && p->which >= S_SELECTED) {
        server_sample(p->t, p->which, upstream, server, entry);
    }
}

static void
process_metrics(text_t *t, unsigned n_slots)
{
    const gw_stat_master_t *m = gw_stats_master();

    family(t, "gateway_info", "gauge", "The running version.");
    put(t, "gateway_info{version=\"%s\"} 1\n", GW_VERSION);
    family(t, "gateway_uptime_seconds", "gauge", "Seconds since the master started.");
    put(t, "gateway_uptime_seconds %llu\n",
        (unsigned long long) ((uint64_t) time(NULL) - (m ? m->started : 0)));
    family(t, "gateway_reloads_total", "counter", "Configuration reloads done.");
    put(t, "gateway_reloads_total %llu\n",
        (unsigned long long) (m ? gw_stat_get(&m->reloads) : 0));
    family(t, "gateway_reload_failures_total", "counter",
           "Reloads refused (the running configuration stayed).");
    put(t, "gateway_reload_failures_total %llu\n",
        (unsigned long long) (m ? gw_stat_get(&m->reload_failures) : 0));
    family(t, "gateway_worker_connections", "gauge",
           "Connections (client and upstream sides) open in the worker of each slot.");
    for (unsigned i = 0; i < n_slots; i++) {
        put(t, "gateway_worker_connections{slot=\"%u\"} %llu\n", i,
            (unsigned long long) gw_stat_get(&gw_stats_slot(i)->connections));
    }
    family(t, "gateway_worker_restarts_total", "counter",
           "Workers started again for each slot after one died.");
    for (unsigned i = 0; i < n_slots; i++) {
        put(t, "gateway_worker_restarts_total{slot=\"%u\"} %llu\n", i,
            (unsigned long long) gw_stat_get(&gw_stats_slot(i)->restarts));
    }
}

static void
build_metrics(text_t *t, unsigned n_slots)
{
    process_metrics(t, n_slots);
    for (int which = 0; which < N_PASSES; which++) {
        pass_t p = { t, which };

        family(t, families[which].name, families[which].type,
               families[which].help);
        gw_stats_each(visit_metrics, &p);
    }
}

/* ---- /status ------------------------------------------------------------------ */

typedef struct json_pass {
    text_t *t;
    int     listeners;              /* this pass: listeners, else servers */
    int     n;
} json_pass_t;

static void
visit_json(void *arg, const char *listener, const char *upstream,
           const char *server, const void *entry)
{
    json_pass_t *p = arg;
    text_t      *t = p->t;

    if (p->listeners && listener) {
        const gw_stat_listener_t *l = entry;

        put(t, "%s{\"name\":\"", p->n++ ? "," : "");
        put_escaped(t, listener, 1);
        put(t, "\",\"accepted\":%llu,\"active\":%llu,\"refused_acl\":%llu,"
            "\"refused_budget\":%llu,\"refused_limit\":%llu,\"received_bytes\":%llu,\"sent_bytes\":%llu,"
            "\"requests\":{\"1xx\":%llu,\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,"
            "\"5xx\":%llu,\"other\":%llu}}",
            (unsigned long long) gw_stat_get(&l->accepted),
            (unsigned long long) gw_stat_get(&l->active),
            (unsigned long long) gw_stat_get(&l->refused_acl),
            (unsigned long long) gw_stat_get(&l->refused_budget),
            (unsigned long long) gw_stat_get(&l->refused_limit),
            (unsigned long long) gw_stat_get(&l->bytes_in),
            (unsigned long long) gw_stat_get(&l->bytes_out),
            (unsigned long long) gw_stat_get(&l->status[1]),
            (unsigned long long) gw_stat_get(&l->status[2]),
            (unsigned long long) gw_stat_get(&l->status[3]),
            (unsigned long long) gw_stat_get(&l->status[4]),
            (unsigned long long) gw_stat_get(&l->status[5]),
            (unsigned long long) gw_stat_get(&l->status[0]));
    } else if (!p->listeners && server) {
        const gw_stat_server_t *s = entry;

        put(t, "%s{\"upstream\":\"", p->n++ ? "," : "");
        put_escaped(t, upstream, 1);
        put(t, "\",\"server\":\"");
        put_escaped(t, server, 1);
        put(t, "\",\"up\":%s,\"selected\":%llu,\"failed\":%llu,\"active\":%llu,"
            "\"checks\":%llu,\"checks_failed\":%llu,\"responses\":%llu,"
            "\"response_seconds_sum\":%.6f}",
            gw_stat_get(&s->down) ? "false" : "true",
            (unsigned long long) gw_stat_get(&s->selected),
            (unsigned long long) gw_stat_get(&s->failed),
            (unsigned long long) gw_stat_get(&s->active),
            (unsigned long long) gw_stat_get(&s->checks),
            (unsigned long long) gw_stat_get(&s->checks_failed),
            (unsigned long long) gw_stat_get(&s->time_count),
            (double) gw_stat_get(&s->time_sum_us) / 1e6);
    }
}

static void
build_json(text_t *t, unsigned n_slots)
{
    const gw_stat_master_t *m = gw_stats_master();
    json_pass_t             p = { t, 1, 0 };

    put(t, "{\"version\":\"%s\",\"uptime_seconds\":%llu,\"reloads\":%llu,"
        "\"reload_failures\":%llu,\"workers\":[", GW_VERSION,
        (unsigned long long) ((uint64_t) time(NULL) - (m ? m->started : 0)),
        (unsigned long long) (m ? gw_stat_get(&m->reloads) : 0),
        (unsigned long long) (m ? gw_stat_get(&m->reload_failures) : 0));
    for (unsigned i = 0; i < n_slots; i++) {
        const gw_stat_slot_t *s = gw_stats_slot(i);

        put(t, "%s{\"slot\":%u,\"pid\":%llu,\"connections\":%llu,"
            "\"restarts\":%llu}", i ? "," : "", i,
            (unsigned long long) gw_stat_get(&s->pid),
            (unsigned long long) gw_stat_get(&s->connections),
            (unsigned long long) gw_stat_get(&s->restarts));
    }
    put(t, "],\"listeners\":[");
    gw_stats_each(visit_json, &p);
    put(t, "],\"servers\":[");
    p.listeners = 0;
    p.n = 0;
    gw_stats_each(visit_json, &p);
    put(t, "]}\n");
}

/* ---- the connection ------------------------------------------------------------------ */

static const gw_conf_listener_t *
conf_of(const status_conn_t *s)
{
    return s->c->ls->conf;
}

static void
finish(status_conn_t *s)
{
    gw_access_t entry = {
        .client = &s->c->addr,
        .request = s->line[0] ? s->line : NULL,
        .status = s->status,
        .bytes_sent = s->sent,
        .bytes_received = s->in_len,
        .start_ms = s->start_ms,
        .http = 1,
    };

    gw_access_log(s->c->ls, &entry);
    gw_conn_close(s->c);
    free(s->out.data);
    free(s);
}

static void
on_accept(gw_conn_t *c)
{
    status_conn_t *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        gw_conn_close(c);
        return;
    }
    s->c = c;
    s->start_ms = gw_now_ms;
    c->ctx = s;
    c->action = "reading a status request";
    c->on_read = on_read;
    c->on_write = on_write;
    gw_timer_init(&c->timer, on_timer);
    s->deadline_ms = gw_now_ms + conf_of(s)->header_timeout_ms;
    if (conf_of(s)->header_timeout_ms) {
        gw_timer_set_at(&c->timer, s->deadline_ms);
    }
    c->read_ready = 1;
    on_read(c);
}

static void
on_timer(gw_timer_t *t)
{
    status_conn_t *s = gw_container_of(t, gw_conn_t, timer)->ctx;

    gw_conn_log(GW_LOG_INFO, s->c, ETIMEDOUT, "client timed out");
    s->status = s->status ? s->status : 408;
    finish(s);
}

/* The answer: head and body in s->out. */
static void
answer(status_conn_t *s, int status, const char *type, const text_t *body,
       int head_only)
{
    const char *reason = gw_http_reason(status);
    text_t      out = { 0 };
    size_t      body_len = body ? body->len : strlen(reason) + 5;

    s->status = status;
    put(&out, "HTTP/1.1 %d %s\r\nServer: gateway\r\nContent-Type: %s\r\n"
        "Content-Length: %zu\r\nCache-Control: no-store\r\n"
        "Connection: close\r\n\r\n", status, reason, type, body_len);
    if (!head_only) {
        if (body) {
            put(&out, "%.*s", (int) body->len, body->data ? body->data : "");
        } else {
            put(&out, "%d %s\n", status, reason);
        }
    }
    s->out = out;
    s->c->action = "sending a status answer";
    s->deadline_ms = gw_now_ms + conf_of(s)->send_timeout_ms;
    if (conf_of(s)->send_timeout_ms) {
        gw_timer_set_at(&s->c->timer, s->deadline_ms);
    } else {
        gw_timer_del(&s->c->timer);
    }
    s->c->write_ready = 1;
    on_write(s->c);
}

static void
route(status_conn_t *s, const gw_http_msg_t *m)
{
    gw_str_t path = gw_http_target_path(m->target);
    int      head = gw_str_eq(m->method, "HEAD");
    unsigned n_slots = gw_listeners_worker_processes();
    text_t   body = { 0 };

    snprintf(s->line, sizeof(s->line), "%.*s %.*s", (int) m->method.len,
             m->method.data, (int) (m->target.len > 100 ? 100 : m->target.len),
             m->target.data);
    if (!head && !gw_str_eq(m->method, "GET")) {
        answer(s, 405, "text/plain", NULL, 0);
        return;
    }
    if (gw_str_eq(path, "/metrics")) {
        build_metrics(&body, n_slots);
        answer(s, body.failed ? 500 : 200, "text/plain; version=0.0.4",
               body.failed ? NULL : &body, head);
    } else if (gw_str_eq(path, "/status")) {
        build_json(&body, n_slots);
        answer(s, body.failed ? 500 : 200, "application/json",
               body.failed ? NULL : &body, head);
    } else {
        answer(s, 404, "text/plain", NULL, head);
    }
    free(body.data);
}

static void
on_read(gw_conn_t *c)
{
    status_conn_t *s = c->ctx;
    gw_http_msg_t  m;

    while (s->out.data == NULL && c->read_ready) {
        ssize_t n;
        int     rc;

        if (s->in_len == sizeof(s->in)) {
            answer(s, 431, "text/plain", NULL, 0);
            return;
        }
        n = recv(c->fd, s->in + s->in_len, sizeof(s->in) - s->in_len, 0);
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                c->read_ready = 0;
                break;
            }
            s->status = 499;
            finish(s);
            return;
        }
        s->in_len += (size_t) n;
        rc = gw_http_parse_request(s->in, s->in_len, 0, sizeof(s->in), &m);
        if (rc == GW_PARSE_ERROR) {
            answer(s, m.error ? m.error : 400, "text/plain", NULL, 0);
            return;
        }
        if (rc > 0) {
            route(s, &m);
            return;
        }
    }
    if (s->out.data == NULL && gw_conn_watch(c) != 0) {
        finish(s);
    }
}

static void
on_write(gw_conn_t *c)
{
    status_conn_t *s = c->ctx;

    while (s->out.data && s->sent < s->out.len && c->write_ready) {
        ssize_t n = send(c->fd, s->out.data + s->sent, s->out.len - s->sent,
                         MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c->write_ready = 0;
                if (gw_conn_watch(c) != 0) {
                    finish(s);
                }
                return;
            }
            finish(s);
            return;
        }
        s->sent += (size_t) n;
    }
    if (s->out.data && s->sent == s->out.len) {
        finish(s);
    }
}
