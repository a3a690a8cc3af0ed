/*
 * worker/access.c: format and write an access log line (see access.h).
 * The line is built on the stack and written with one write(2).
 */
#include <stdio.h>

#include "common/clock.h"
#include "worker/access.h"
#include "worker/stats.h"

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

void
gw_access_log(const gw_listener_t *ls, const gw_access_t *a)
{
    char     line[2048], client[GW_ADDR_STRLEN], upstream[GW_ADDR_STRLEN];
    char     request[1024], dgrams[300] = "";
    uint64_t ms = gw_now_ms - a->start_ms;
    int      n;

    if (ls->stats) {
        gw_stat_add(&ls->stats->status[gw_stats_class(a->status)], 1);
        gw_stat_add(&ls->stats->bytes_in, a->bytes_received);
        gw_stat_add(&ls->stats->bytes_out, a->bytes_sent);
    }
    if (ls->access_log == NULL) {
        return;
    }
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
