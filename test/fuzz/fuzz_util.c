/*
 * test/fuzz/fuzz_util.c: see fuzz_util.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>

#include "test/fuzz/fuzz_util.h"

static void (*on_death)(void);

void
fuzz_on_death(void (*fn)(void))
{
    on_death = fn;
    __sanitizer_set_death_callback(fn);
}

void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "\n==fuzz== invariant broken at %s:%d: %s\n==fuzz== ",
            file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    if (on_death) {
        on_death();
    }
    abort();
}

int
fuzz_verbose(void)
{
    static int verbose = -1;

    if (verbose < 0) {
        const char *v = getenv("FUZZ_VERBOSE");

        verbose = v && *v && strcmp(v, "0") != 0;
    }
    return verbose;
}

char *
fuzz_copy(const void *p, size_t len)
{
    char *copy = malloc(len ? len : 1);

    if (copy == NULL) {
        abort();
    }
    if (len) {
        memcpy(copy, p, len);
    }
    return copy;
}

/* ---- arrivals ------------------------------------------------------------ */

static void
split_push(fuzz_split_t *s, size_t pos, size_t *cap)
{
    if (s->n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        s->pos = realloc(s->pos, *cap * sizeof(*s->pos));
        if (s->pos == NULL) {
            abort();
        }
    }
    s->pos[s->n++] = pos;
}

void
fuzz_split_init(fuzz_split_t *s, uint8_t ctrl, size_t total)
{
    uint32_t x = (uint32_t) (ctrl >> 3) * 0x9e3779b9u ^ (uint32_t) total
                 ^ 0x2545f491u;
    size_t   max_piece = (size_t) 1 << (ctrl & 7), pos = 0, cap = 0;

    memset(s, 0, sizeof(*s));
    if (ctrl == 0) {
        split_push(s, total, &cap);
        return;
    }
    if (x == 0) {
        x = 1;
    }
    while (pos < total) {
        x ^= x << 13;       /* xorshift32 */
        x ^= x >> 17;
        x ^= x << 5;
        pos += 1 + x % max_piece;
        split_push(s, pos < total ? pos : total, &cap);
    }
    if (s->n == 0) {
        split_push(s, 0, &cap);     /* an empty stream arrives at once */
    }
}

void
fuzz_split_whole(fuzz_split_t *s, size_t total)
{
    fuzz_split_init(s, 0, total);
}

size_t
fuzz_split_avail(const fuzz_split_t *s)
{
    return s->pos[s->k];
}

int
fuzz_split_next(fuzz_split_t *s)
{
    if (s->k + 1 >= s->n) {
        return 0;
    }
    s->k++;
    return 1;
}

void
fuzz_split_free(fuzz_split_t *s)
{
    free(s->pos);
    memset(s, 0, sizeof(*s));
}

/* ---- bytes --------------------------------------------------------------- */

void
fuzz_bytes_add(fuzz_bytes_t *b, const char *p, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 64;

        while (cap < b->len + len) {
            cap *= 2;
        }
        b->data = realloc(b->data, cap);
        if (b->data == NULL) {
            abort();
        }
        b->cap = cap;
    }
    if (len) {
        memcpy(b->data + b->len, p, len);
        b->len += len;
    }
}

void
fuzz_bytes_free(fuzz_bytes_t *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* ---- chunked bodies ---------------------------------------------------------- */

/* One call's spans: kinds known, non-empty, in order, inside what it used. */
static void
check_spans(fuzz_chunked_result_t *r, const gw_chunk_span_t *spans,
            unsigned n, const char *lo, const char *hi)
{
    for (unsigned i = 0; i < n; i++) {
        const gw_chunk_span_t *sp = &spans[i];

        FUZZ_CHECK(sp->kind == GW_CHUNK_DATA || sp->kind == GW_CHUNK_TRAILER,
                   "span %u has kind %d", i, sp->kind);
        FUZZ_CHECK(sp->len > 0, "span %u is empty", i);
        FUZZ_CHECK(sp->data >= lo && sp->len <= (size_t) (hi - sp->data),
                   "span %u [%td, +%zu) is outside the %td bytes consumed",
                   i, sp->data - lo, sp->len, hi - lo);
        lo = sp->data + sp->len;
        fuzz_bytes_add(sp->kind == GW_CHUNK_DATA ? &r->data : &r->trailer,
                       sp->data, sp->len);
    }
}

void
fuzz_chunked_run(const char *stream, size_t total, size_t off,
                 fuzz_split_t *split, unsigned max_spans,
                 fuzz_chunked_result_t *r)
{
    gw_chunk_span_t *spans = malloc(max_spans * sizeof(*spans));
    size_t           pos = off;

    if (spans == NULL) {
        abort();
    }
    memset(r, 0, sizeof(*r));
    gw_chunked_init(&r->dec);
    while (!r->dec.done && !r->error) {
        size_t  avail = fuzz_split_avail(split), plen, q = 0;
        char   *piece;

        FUZZ_CHECK(avail <= total, "arrival %zu past %zu", avail, total);
        if (pos >= avail) {
            if (!fuzz_split_next(split)) {
                break;
            }
            continue;
        }
        plen = avail - pos;
        piece = fuzz_copy(stream + pos, plen);
        while (q < plen && !r->dec.done) {
            unsigned n = 0xdead;
            int      used = gw_chunked_decode(&r->dec, piece + q, plen - q,
                                              spans, max_spans, &n);

            if (used == GW_PARSE_ERROR) {
                r->error = 1;
                break;
            }
            FUZZ_CHECK(used >= 0 && (size_t) used <= plen - q,
                       "gw_chunked_decode returned %d for %zu bytes", used,
                       plen - q);
            FUZZ_CHECK(n <= max_spans, "%u spans, at most %u", n, max_spans);
            FUZZ_CHECK(used > 0, "no progress on %zu bytes (%u spans max)",
                       plen - q, max_spans);
            FUZZ_CHECK(r->dec.done || (size_t) used == plen - q
                       || n == max_spans,
                       "stopped after %d of %zu bytes, not done, %u of %u "
                       "spans", used, plen - q, n, max_spans);
            check_spans(r, spans, n, piece + q, piece + q + used);
            q += (size_t) used;
        }
        free(piece);
        pos += q;
    }
    r->done = r->dec.done;
    r->used = pos - off;
    free(spans);
}

void
fuzz_chunked_compare(const fuzz_chunked_result_t *a,
                     const fuzz_chunked_result_t *b)
{
    FUZZ_CHECK(a->error == b->error, "chunked: error %d whole, %d split",
               a->error, b->error);
    if (a->error) {
        return;
    }
    FUZZ_CHECK(a->done == b->done && a->used == b->used,
               "chunked: done %d used %zu whole, done %d used %zu split",
               a->done, a->used, b->done, b->used);
    FUZZ_CHECK(a->data.len == b->data.len
               && (a->data.len == 0
                   || memcmp(a->data.data, b->data.data, a->data.len) == 0),
               "chunked: data differs (%zu bytes whole, %zu split)",
               a->data.len, b->data.len);
    FUZZ_CHECK(a->trailer.len == b->trailer.len
               && (a->trailer.len == 0
                   || memcmp(a->trailer.data, b->trailer.data,
                             a->trailer.len) == 0),
               "chunked: trailer differs (%zu bytes whole, %zu split)",
               a->trailer.len, b->trailer.len);
    FUZZ_CHECK(a->dec.state == b->dec.state && a->dec.size == b->dec.size
               && a->dec.digits == b->dec.digits
               && a->dec.trailer == b->dec.trailer,
               "chunked: decoder state %d/%llu/%u/%zu whole, %d/%llu/%u/%zu "
               "split", a->dec.state, (unsigned long long) a->dec.size,
               a->dec.digits, a->dec.trailer, b->dec.state,
               (unsigned long long) b->dec.size, b->dec.digits,
               b->dec.trailer);
}

void
fuzz_chunked_free(fuzz_chunked_result_t *r)
{
    fuzz_bytes_free(&r->data);
    fuzz_bytes_free(&r->trailer);
}
