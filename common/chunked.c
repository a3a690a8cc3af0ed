/*
 * common/chunked.c: the chunked decoder (see chunked.h for the states).
 * Framing bytes are examined one at a time; chunk data is taken in bulk.
 */
#include <string.h>

#include "common/chunked.h"

enum {
    SIZE = 0,       /* first hex digit still required when digits == 0 */
    SIZE_WS,        /* whitespace after the size: a ';' must follow */
    EXT,            /* chunk extension, dropped */
    SIZE_LF,        /* CR seen after the size line */
    DATA,
    DATA_CR,        /* CRLF after the data */
    DATA_LF,
    TRAILER,        /* start of a trailer line, or the final empty line */
    T_NAME,
    T_VALUE,
    T_LF,           /* CR seen at the end of a trailer line */
    END_LF,         /* CR of the final empty line seen */
    DONE
};

#define MAX_DIGITS 15

static int
hex(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

static int
is_tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z')
           || (ch >= 'A' && ch <= 'Z')
           || (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static int
is_field_byte(unsigned char ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

void
gw_chunked_init(gw_chunked_t *d)
{
    d->state = SIZE;
    d->size = 0;
    d->digits = 0;
    d->line = 0;
    d->trailer = 0;
    d->done = 0;
}

/* The size line ended: data follows, or the trailer after a last chunk. */
static int
size_line_end(gw_chunked_t *d)
{
    if (d->digits == 0) {
        return -1;
    }
    d->state = d->size ? DATA : TRAILER;
    d->digits = 0;
    return 0;
}

/* One framing byte of the size line or the data's CRLF; -1: malformed. */
static int
frame_byte(gw_chunked_t *d, char ch)
{
    int v;

    switch (d->state) {
    case SIZE:
        if ((v = hex(ch)) >= 0 && d->digits < MAX_DIGITS) {
            d->size = d->size * 16 + (uint64_t) v;
            d->digits++;
            return 0;
        }
        if (d->digits && (ch == ';' || ch == ' ' || ch == '\t')) {
            d->state = ch == ';' ? EXT : SIZE_WS;
            return 0;
        }
        /* CR or LF end the line, as after an extension */
        /* fall through */
    case EXT:
        if (ch == '\r') {
            d->state = SIZE_LF;
            return d->digits ? 0 : -1;
        }
        if (ch == '\n') {
            return size_line_end(d);
        }
        return d->state == EXT && is_field_byte((unsigned char) ch) ? 0 : -1;
    case SIZE_WS:
        if (ch == ';') {
            d->state = EXT;
        }
        return ch == ';' || ch == ' ' || ch == '\t' ? 0 : -1;
    case SIZE_LF:
        return ch == '\n' ? size_line_end(d) : -1;
    case DATA_CR:
        if (ch == '\r') {
            d->state = DATA_LF;
            return 0;
        }
        /* a bare LF ends the line too */
        /* fall through */
    case DATA_LF:
        if (ch != '\n') {
            return -1;
        }
        d->state = SIZE;
        d->size = 0;
        return 0;
    default:
        return -1;
    }
}

/* One byte of the trailer section; -1: malformed or too long. */
static int
trailer_byte(gw_chunked_t *d, char ch)
{
    unsigned char u = (unsigned char) ch;

    if (++d->trailer > GW_CHUNKED_MAX_TRAILER) {
        return -1;
    }
    switch (d->state) {
    case TRAILER:
        if (ch == '\r' || ch == '\n') {
            d->state = ch == '\r' ? END_LF : DONE;
            return 0;
        }
        d->state = T_NAME;
        return is_tchar(u) ? 0 : -1;    /* also: no obsolete folding */
    case T_NAME:
        if (ch == ':') {
            d->state = T_VALUE;
            return 0;
        }
        return is_tchar(u) ? 0 : -1;
    case T_VALUE:
        if (ch == '\r') {
            d->state = T_LF;
            return 0;
        }
        if (ch == '\n') {
            d->state = TRAILER;
            return 0;
        }
        return is_field_byte(u) ? 0 : -1;
    case T_LF:
        d->state = TRAILER;
        return ch == '\n' ? 0 : -1;
    case END_LF:
        d->state = DONE;
        return ch == '\n' ? 0 : -1;
    default:
        return -1;
    }
}

/* Does a trailer byte at P extend the last span? */
static int
continues(const gw_chunk_span_t *spans, unsigned n, const char *p)
{
    return n && spans[n - 1].kind == GW_CHUNK_TRAILER
           && spans[n - 1].data + spans[n - 1].len == p;
}

static void
add_span(gw_chunk_span_t *spans, unsigned *n, int kind, const char *p,
         size_t len)
{
    /* extend the previous span when it continues it (trailer bytes) */
    if (kind == GW_CHUNK_TRAILER && continues(spans, *n, p)) {
        spans[*n - 1].len += len;
        return;
    }
    spans[*n].kind = kind;
    spans[*n].data = p;
    spans[*n].len = len;
    (*n)++;
}

int
gw_chunked_decode(gw_chunked_t *d, const char *buf, size_t len,
                  gw_chunk_span_t *spans, unsigned max, unsigned *n)
{
    size_t i = 0;

    *n = 0;
    while (i < len && d->state != DONE) {
        if (d->state == DATA) {
            size_t take = (size_t) (d->size < len - i ? d->size : len - i);

            if (*n == max) {
                break;
            }
            add_span(spans, n, GW_CHUNK_DATA, buf + i, take);
            d->size -= take;
            i += take;
            if (d->size == 0) {
                d->state = DATA_CR;
            }
            continue;
        }
        if (d->state >= TRAILER) {
            /* the final empty line is framing; every other byte is kept */
            int keep = d->state != END_LF
                       && !(d->state == TRAILER
                            && (buf[i] == '\r' || buf[i] == '\n'));

            if (keep && *n == max && !continues(spans, *n, buf + i)) {
                break;
            }
            if (trailer_byte(d, buf[i]) != 0) {
                return GW_PARSE_ERROR;
            }
            if (keep) {
                add_span(spans, n, GW_CHUNK_TRAILER, buf + i, 1);
            }
            i++;
            continue;
        }
        if (frame_byte(d, buf[i]) != 0) {
            return GW_PARSE_ERROR;
        }
        i++;
    }
    d->done = d->state == DONE;
    return (int) i;
}
