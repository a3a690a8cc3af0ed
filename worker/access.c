/*
 * worker/access.c: format and write an access log line (see access.h).
 * The line is built on the stack and written with one write(2).
 *
 * A log_format is compiled once per listener into ops: a run of literal
 * text, then (unless it ends the format) one variable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "worker/access.h"
#include "worker/stats.h"

#define LINE_MAX_LEN 4096

struct gw_log_op {
    const char *text;           /* literal bytes before the variable */
    size_t      len;
    int         var;            /* GW_LV_*, or -1: the last op */
    unsigned    json;           /* escape=json */
};

/* Copy S into the line, escaping '"', '\\' and control bytes as \xHH
 * (and spaces too, for a field that is not quoted: SPACE). */
static size_t
put_escaped(char *out, size_t size, const char *s, int space)
{
    size_t n = 0;

    for ( ; *s && n + 5 < size; s++) {
        unsigned char c = (unsigned char) *s;

        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f
            || (space && c == ' ')) {
            n += (size_t) snprintf(out + n, size - n, "\\x%02X", c);
        } else {
            out[n++] = (char) c;
        }
    }
    out[n] = '\0';
    return n;
}

/* The same for a JSON string's contents (RFC 8259 section 7). */
static size_t
put_json(char *out, size_t size, const char *s)
{
    size_t n = 0;

    for ( ; *s && n + 7 < size; s++) {
        unsigned char c = (unsigned char) *s;

        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char) c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            out[n++] = '\\';
            out[n++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            n += (size_t) snprintf(out + n, size - n, "\\u%04x", c);
        } else {
            out[n++] = (char) c;
        }
    }
    out[n] = '\0';
    return n;
}

static void
put_seconds(char *out, size_t size, uint64_t ms)
{
    snprintf(out, size, "%llu.%03llu", (unsigned long long) (ms / 1000),
             (unsigned long long) (ms % 1000));
}

/* Word K (0: method, 1: URI) of an http request line, into OUT. */
static void
request_word(char *out, size_t size, const gw_access_t *a, unsigned k)
{
    const char *s = a->http && a->request ? a->request : NULL;
    size_t      n;

    for (unsigned i = 0; s && i < k; i++) {
        s = strchr(s, ' ');
        s = s ? s + 1 : NULL;
    }
    if (s == NULL || (n = strcspn(s, " ")) == 0) {
        snprintf(out, size, "-");
        return;
    }
    snprintf(out, size, "%.*s", (int) (n < size ? n : size - 1), s);
}

/* The raw value of variable VAR (before escaping) into OUT. */
static void
value(char *out, size_t size, int var, const gw_listener_t *ls,
      const gw_access_t *a)
{
    switch (var) {
    case GW_LV_REMOTE_ADDR:
        gw_sockaddr_format_ip(a->client, out, size);
        break;
    case GW_LV_REMOTE_PORT:
        snprintf(out, size, "%u", gw_sockaddr_port(a->client));
        break;
    case GW_LV_REMOTE_USER:
        snprintf(out, size, "%s", a->user && *a->user ? a->user : "-");
        break;
    case GW_LV_TIME_LOCAL:
        snprintf(out, size, "%s", gw_clock_access_time());
        break;
    case GW_LV_TIME_ISO8601:
        snprintf(out, size, "%s", gw_clock_iso8601());
        break;
    case GW_LV_MSEC:
        put_seconds(out, size, gw_wall_ms);
        break;
    case GW_LV_REQUEST:
        snprintf(out, size, "%s", a->request ? a->request : "-");
        break;
    case GW_LV_REQUEST_METHOD:
    case GW_LV_REQUEST_URI:
        request_word(out, size, a, var == GW_LV_REQUEST_URI);
        break;
    case GW_LV_STATUS:
        snprintf(out, size, "%d", a->status);
        break;
    case GW_LV_BYTES_SENT:
    case GW_LV_BYTES_RECEIVED:
        snprintf(out, size, "%llu", (unsigned long long)
                 (var == GW_LV_BYTES_SENT ? a->bytes_sent : a->bytes_received));
        break;
    case GW_LV_REQUEST_TIME:
        put_seconds(out, size, gw_now_ms - a->start_ms);
        break;
    case GW_LV_UPSTREAM_ADDR:
        if (a->upstream) {
            gw_sockaddr_format(a->upstream, out, size);
        } else {
            snprintf(out, size, "-");
        }
        break;
    case GW_LV_UPSTREAM_CONNECT_TIME:
    case GW_LV_UPSTREAM_RESPONSE_TIME: {
        unsigned known = var == GW_LV_UPSTREAM_CONNECT_TIME ? a->connect_time
                                                            : a->upstream_time;

        if (known) {
            put_seconds(out, size, var == GW_LV_UPSTREAM_CONNECT_TIME
                                   ? a->connect_ms : a->upstream_ms);
        } else {
            snprintf(out, size, "-");
        }
        break;
    }
    case GW_LV_HANDLER:
        snprintf(out, size, "%s", ls->handler->name);
        break;
    case GW_LV_LISTENER:
        snprintf(out, size, "%s", ls->name);
        break;
    case GW_LV_PID:
        snprintf(out, size, "%ld", (long) getpid());
        break;
    default:
        snprintf(out, size, "-");
    }
}

struct gw_log_op *
gw_access_compile(const gw_conf_log_format_t *f)
{
    size_t            n = 1;
    struct gw_log_op *ops, *op;
    const char       *s = f->text;

    for (const char *d = strchr(s, '$'); d; d = strchr(d + 1, '$')) {
        n++;
    }
    if ((ops = calloc(n, sizeof(*ops))) == NULL) {
        return NULL;
    }
    for (op = ops; ; op++) {
        const char *d = strchr(s, '$'), *v;
        size_t      len;

        op->text = s;
        op->json = f->json;
        op->var = -1;
        if (d == NULL) {
            op->len = strlen(s);
            return ops;
        }
        op->len = (size_t) (d - s);
        v = d + 1 + (d[1] == '{');
        len = strspn(v, GW_LOG_VARIABLE_CHARS);
        op->var = gw_log_variable(v, len);  /* known: conf checked it */
        s = v + len + (d[1] == '{');
    }
}

static void
log_formatted(const gw_listener_t *ls, const gw_access_t *a)
{
    char   line[LINE_MAX_LEN], raw[1024];
    size_t n = 0, room = sizeof(line) - 1;     /* keep one for '\n' */

    for (const struct gw_log_op *op = ls->log_format; ; op++) {
        size_t len = op->len < room - n ? op->len : room - n;

        memcpy(line + n, op->text, len);
        n += len;
        if (op->var < 0) {
            break;
        }
        value(raw, sizeof(raw), op->var, ls, a);
        n += op->json ? put_json(line + n, room - n + 1, raw)
                      : put_escaped(line + n, room - n + 1, raw, 0);
    }
    line[n++] = '\n';
    gw_logfile_write(ls->access_log, line, n);
}

static void
log_default(const gw_listener_t *ls, const gw_access_t *a)
{
    char     line[2048], client[GW_ADDR_STRLEN], upstream[GW_ADDR_STRLEN];
    char     request[1024], dgrams[300] = "";
    uint64_t ms = gw_now_ms - a->start_ms;
    int      n;

    gw_sockaddr_format(a->client, client, sizeof(client));
    if (a->upstream) {
        gw_sockaddr_format(a->upstream, upstream, sizeof(upstream));
    }
    put_escaped(request, sizeof(request), a->request ? a->request : "-", 0);
    if (a->datagrams) {
        snprintf(dgrams, sizeof(dgrams), " %llu %llu",
                 (unsigned long long) a->dgrams_sent,
                 (unsigned long long) a->dgrams_received);
    } else if (a->upstream_time) {
        snprintf(dgrams, sizeof(dgrams), " %llu.%03llu",
                 (unsigned long long) (a->upstream_ms / 1000),
                 (unsigned long long) (a->upstream_ms % 1000));
    } else if (a->http) {
        snprintf(dgrams, sizeof(dgrams), " -");
    } else if (a->socks) {
        char user[256], rep[4] = "-";

        put_escaped(user, sizeof(user), a->user && *a->user ? a->user : "-",
                    1);
        if (a->rep >= 0) {
            snprintf(rep, sizeof(rep), "%02x", (unsigned) a->rep & 0xff);
        }
        snprintf(dgrams, sizeof(dgrams), " %s %s", user, rep);
    }
    n = snprintf(line, sizeof(line),
                 "%s [%s] %s %s \"%s\" %d %llu %llu %llu.%03llu %s%s\n",
                 client, gw_clock_access_time(), ls->name, ls->handler->name,
                 request, a->status, (unsigned long long) a->bytes_sent,
                 (unsigned long long) a->bytes_received,
                 (unsigned long long) (ms / 1000),
                 (unsigned long long) (ms % 1000),
                 a->upstream ? upstream : "-", dgrams);
    if (n > 0) {
        gw_logfile_write(ls->access_log, line,
                         (size_t) n < sizeof(line) ? (size_t) n
                                                   : sizeof(line) - 1);
    }
}

void
gw_access_log(const gw_listener_t *ls, const gw_access_t *a)
{
    if (ls->stats) {
        gw_stat_add(&ls->stats->status[gw_stats_class(a->status)], 1);
        gw_stat_add(&ls->stats->bytes_in, a->bytes_received);
        gw_stat_add(&ls->stats->bytes_out, a->bytes_sent);
    }
    if (ls->access_log == NULL) {
        return;
    }
    if (ls->log_format) {
        log_formatted(ls, a);
    } else {
        log_default(ls, a);
    }
}
