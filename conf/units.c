/*
 * conf/units.c: times, sizes and counts as the configuration writes them.
 *
 *   time   NUMBER[UNIT]...   units ms s m h d; a bare number is seconds;
 *                            parts add up: "1m30s", "1h 30m" is two words
 *   size   NUMBER[k|m|g]     bare number is bytes; case-insensitive unit
 *
 * Values are bounded so nothing overflows when later added to a clock.
 */
#include <stdio.h>
#include <string.h>

#include "conf/directive.h"

#define MAX_MSEC  (UINT64_C(1) << 48)   /* ~8900 years */
#define MAX_BYTES (UINT64_C(1) << 50)   /* 1 PiB */

static int
parse_digits(const char **text, uint64_t limit, uint64_t *value)
{
    const char *p = *text;
    uint64_t    v = 0;

    if (*p < '0' || *p > '9') {
        return -1;
    }
    for ( ; *p >= '0' && *p <= '9'; p++) {
        uint64_t digit = (uint64_t) (*p - '0');

        if (v > (limit - digit) / 10) {
            return -1;      /* checked before multiplying: no wrap-around */
        }
        v = v * 10 + digit;
    }
    *text = p;
    *value = v;
    return 0;
}

int
gw_conf_parse_uint(const char *text, uint64_t max, uint64_t *value)
{
    return parse_digits(&text, max, value) == 0 && *text == '\0' ? 0 : -1;
}

static uint64_t
unit_ms(const char **p)
{
    switch (**p) {
    case 'm':
        if ((*p)[1] == 's') {
            *p += 2;
            return 1;
        }
        (*p)++;
        return 60 * 1000;
    case 's': (*p)++; return 1000;
    case 'h': (*p)++; return 3600 * 1000;
    case 'd': (*p)++; return 86400 * 1000;
    default:  return 0;
    }
}

int
gw_conf_parse_msec(const char *text, uint64_t *ms)
{
    const char *p = text;
    uint64_t    total = 0;

    do {
        uint64_t n, unit;

        if (parse_digits(&p, MAX_MSEC, &n) != 0) {
            return -1;
        }
        unit = unit_ms(&p);
        if (unit == 0) {
            /* a bare number is seconds, and only on its own */
            if (*p != '\0' || p != text + strlen(text) || total != 0
                || strspn(text, "0123456789") != strlen(text)) {
                return -1;
            }
            unit = 1000;
        }
        if (n > (MAX_MSEC - total) / unit) {
            return -1;
        }
        total += n * unit;
    } while (*p != '\0');
    *ms = total;
    return 0;
}

int
gw_conf_parse_size(const char *text, uint64_t *bytes)
{
    const char *p = text;
    uint64_t    n, unit = 1;

    if (parse_digits(&p, MAX_BYTES, &n) != 0) {
        return -1;
    }
    switch (*p) {
    case 'k': case 'K': unit = UINT64_C(1) << 10; p++; break;
    case 'm': case 'M': unit = UINT64_C(1) << 20; p++; break;
    case 'g': case 'G': unit = UINT64_C(1) << 30; p++; break;
    }
    if (*p != '\0' || n > MAX_BYTES / unit) {
        return -1;
    }
    *bytes = n * unit;
    return 0;
}

const char *
gw_conf_format_msec(uint64_t ms, char *buf, size_t size)
{
    static const struct { uint64_t ms; const char *unit; } units[] = {
        { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" },
    };

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (ms != 0 && ms % units[i].ms == 0) {
            snprintf(buf, size, "%llu%s",
                     (unsigned long long) (ms / units[i].ms), units[i].unit);
            return buf;
        }
    }
    snprintf(buf, size, "%llums", (unsigned long long) ms);
    return buf;
}

const char *
gw_conf_format_size(uint64_t bytes, char *buf, size_t size)
{
    static const struct { unsigned shift; const char *unit; } units[] = {
        { 30, "g" }, { 20, "m" }, { 10, "k" },
    };

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t u = UINT64_C(1) << units[i].shift;

        if (bytes != 0 && bytes % u == 0) {
            snprintf(buf, size, "%llu%s", (unsigned long long) (bytes / u),
                     units[i].unit);
            return buf;
        }
    }
    snprintf(buf, size, "%llu", (unsigned long long) bytes);
    return buf;
}
