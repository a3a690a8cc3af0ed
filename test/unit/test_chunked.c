/*
 * test/unit/test_chunked.c: the chunked decoder (common/chunked.h).
 *
 * A table of bodies: valid ones with the data and trailer bytes they
 * carry, invalid ones that must be refused. Each is fed whole, one byte at
 * a time, split at every offset, and with the start of a next message
 * right behind it; each piece sits at the end of a page followed by a
 * PROT_NONE page. The spans handed back are copied out as they come and
 * reassembled: data and trailer must be the expected bytes exactly, the
 * decoder must consume the body and not one byte more, and set done. The
 * same holds when the caller's span array holds only one or two entries
 * and the decoder has to be called again for the rest.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/chunked.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

#define IN(s)       .in = (s), .len = sizeof(s) - 1
#define DATA(s)     .data = (s), .data_len = sizeof(s) - 1
#define TRAILER(s)  .trailer = (s), .trailer_len = sizeof(s) - 1

typedef struct ccase {
    const char *name;
    const char *in;
    size_t      len;
    int         bad;            /* must be refused */
    const char *data;           /* valid: the payload ... */
    size_t      data_len;
    const char *trailer;        /* ... and the trailer field lines */
    size_t      trailer_len;
} ccase_t;

static const char next_msg[] = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";

/* ---- collecting -------------------------------------------------------- */

typedef struct out {
    char   *data;
    size_t  data_len;
    char   *trailer;
    size_t  trailer_len;
    size_t  consumed;           /* bytes the decoder took, over all calls */
    int     error;
    unsigned calls;
} out_t;

static void
out_init(out_t *o, size_t cap)
{
    memset(o, 0, sizeof(*o));
    o->data = malloc(cap + 1);
    o->trailer = malloc(cap + 1);
    ck_assert(o->data && o->trailer);
}

static void
out_free(out_t *o)
{
    free(o->data);
    free(o->trailer);
}

/*
 * Feed PIECE (at the end of a guarded page) until the decoder has taken
 * all of it, stopped at the end of the body, or refused it; MAX spans per
 * call. Returns what it consumed of PIECE.
 */
static size_t
feed(const ccase_t *c, gw_chunked_t *d, const char *piece, size_t len,
     unsigned max, out_t *o)
{
    gw_chunk_span_t spans[64];
    size_t          at = 0;

    ck_assert(max <= gw_nelems(spans));
    while (!o->error && !d->done && at < len) {
        unsigned n = 12345;
        int      r = gw_chunked_decode(d, piece + at, len - at, spans, max, &n);

        o->calls++;
        if (r == GW_PARSE_ERROR) {
            o->error = 1;
            break;
        }
        ck_assert_msg(r >= 0 && (size_t) r <= len - at,
                      "%s: decode returned %d of %zu", c->name, r, len - at);
        ck_assert_msg(n <= max, "%s: %u spans, max %u", c->name, n, max);
        for (unsigned i = 0; i < n; i++) {
            const gw_chunk_span_t *s = &spans[i];

            ck_assert_msg(s->data >= piece + at
                          && s->data + s->len <= piece + at + (size_t) r,
                          "%s: span %u outside the consumed bytes", c->name, i);
            ck_assert_msg(s->len > 0, "%s: empty span", c->name);
            if (s->kind == GW_CHUNK_DATA) {
                memcpy(o->data + o->data_len, s->data, s->len);
                o->data_len += s->len;
            } else {
                ck_assert_int_eq(s->kind, GW_CHUNK_TRAILER);
                memcpy(o->trailer + o->trailer_len, s->data, s->len);
                o->trailer_len += s->len;
            }
        }
        /* progress, or the spans were full */
        ck_assert_msg(r > 0 || n == max || d->done,
                      "%s: no progress (%zu bytes left)", c->name, len - at);
        if (r == 0 && n == 0) {
            ck_assert_msg(d->done, "%s: stuck", c->name);
        }
        at += (size_t) r;
        o->consumed += (size_t) r;
    }
    return at;
}

static void
expect_out(const ccase_t *c, const char *mode, const gw_chunked_t *d,
           const out_t *o)
{
    if (c->bad) {
        ck_assert_msg(o->error, "%s (%s): accepted (consumed %zu, done %u)",
                      c->name, mode, o->consumed, d->done);
        return;
    }
    ck_assert_msg(!o->error, "%s (%s): refused after %zu bytes", c->name,
                  mode, o->consumed);
    ck_assert_msg(d->done, "%s (%s): not done after %zu of %zu bytes",
                  c->name, mode, o->consumed, c->len);
    ck_assert_msg(o->consumed == c->len, "%s (%s): consumed %zu, want %zu",
                  c->name, mode, o->consumed, c->len);
    ck_assert_msg(o->data_len == c->data_len
                  && memcmp(o->data, c->data, c->data_len) == 0,
                  "%s (%s): data \"%.*s\" (%zu), want \"%.*s\" (%zu)",
                  c->name, mode, (int) o->data_len, o->data, o->data_len,
                  (int) c->data_len, c->data, c->data_len);
    ck_assert_msg(o->trailer_len == c->trailer_len
                  && memcmp(o->trailer, c->trailer, c->trailer_len) == 0,
                  "%s (%s): trailer \"%.*s\", want \"%.*s\"", c->name, mode,
                  (int) o->trailer_len, o->trailer, (int) c->trailer_len,
                  c->trailer);
}

/* ---- the ways of feeding ----------------------------------------------- */

static void
run_case(const ccase_t *c, unsigned max)
{
    size_t       len = c->len, nlen = sizeof(next_msg) - 1;
    char        *all = malloc(len + nlen), *buf;
    char         mode[80];
    ut_guard_t   g;
    gw_chunked_t d;
    out_t        o;

    ck_assert_ptr_nonnull(all);
    memcpy(all, c->in, len);
    memcpy(all + len, next_msg, nlen);
    ut_guard_new(&g, all, len + nlen);

    /* whole */
    snprintf(mode, sizeof(mode), "whole, %u spans", max);
    out_init(&o, len);
    gw_chunked_init(&d);
    buf = ut_guard_put(&g, c->in, len);
    feed(c, &d, buf, len, max, &o);
    expect_out(c, mode, &d, &o);
    out_free(&o);

    /* one byte at a time */
    snprintf(mode, sizeof(mode), "byte by byte, %u spans", max);
    out_init(&o, len);
    gw_chunked_init(&d);
    for (size_t i = 0; i < len && !o.error && !d.done; i++) {
        buf = ut_guard_put(&g, c->in + i, 1);
        feed(c, &d, buf, 1, max, &o);
    }
    expect_out(c, mode, &d, &o);
    out_free(&o);

    /* split at every offset */
    for (size_t k = 1; k < len; k++) {
        snprintf(mode, sizeof(mode), "split at %zu, %u spans", k, max);
        out_init(&o, len);
        gw_chunked_init(&d);
        buf = ut_guard_put(&g, c->in, k);
        feed(c, &d, buf, k, max, &o);
        if (!o.error && !d.done) {
            ck_assert_uint_eq(o.consumed, k);
            buf = ut_guard_put(&g, c->in + k, len - k);
            feed(c, &d, buf, len - k, max, &o);
        }
        expect_out(c, mode, &d, &o);
        out_free(&o);
    }

    /* the next message right behind: whole, and split at every offset */
    for (size_t k = 0; k < len; k++) {
        size_t took = 0;

        snprintf(mode, sizeof(mode), "next message behind, split at %zu, %u spans",
                 k, max);
        out_init(&o, len + nlen);
        gw_chunked_init(&d);
        if (k) {
            buf = ut_guard_put(&g, all, k);
            feed(c, &d, buf, k, max, &o);
        }
        if (!o.error && !d.done) {
            buf = ut_guard_put(&g, all + k, len + nlen - k);
            took = feed(c, &d, buf, len + nlen - k, max, &o);
        }
        expect_out(c, mode, &d, &o);
        if (!c->bad) {
            ck_assert_uint_eq(took, len - k);
            /* done: nothing more is taken */
            {
                gw_chunk_span_t s[4];
                unsigned        n = 7;

                ck_assert_int_eq(gw_chunked_decode(&d, buf + took,
                                                   len + nlen - k - took, s, 4,
                                                   &n), 0);
                ck_assert_uint_eq(n, 0);
                ck_assert(d.done);
            }
        }
        out_free(&o);
    }

    ut_guard_free(&g);
    free(all);
}

/* ---- cases ------------------------------------------------------------- */

static const ccase_t good[] = {
    { "one chunk", IN("5\r\nhello\r\n0\r\n\r\n"), DATA("hello"), TRAILER("") },
    { "three chunks", IN("3\r\nabc\r\n4\r\ndefg\r\n1\r\nh\r\n0\r\n\r\n"),
      DATA("abcdefgh"), TRAILER("") },
    { "empty body", IN("0\r\n\r\n"), DATA(""), TRAILER("") },
    { "hex upper and lower case",
      IN("A\r\n0123456789\r\na\r\nabcdefghij\r\n1F\r\n"
         "0123456789012345678901234567890\r\n0\r\n\r\n"),
      DATA("0123456789abcdefghij0123456789012345678901234567890"),
      TRAILER("") },
    { "leading zeros", IN("0005\r\nhello\r\n000\r\n\r\n"), DATA("hello"),
      TRAILER("") },
    { "fifteen digits with leading zeros",
      IN("000000000000002\r\nhi\r\n000000000000000\r\n\r\n"), DATA("hi"),
      TRAILER("") },
    { "extensions", IN("5;a=b;c\r\nhello\r\n0;x=\"q;r\"\r\n\r\n"),
      DATA("hello"), TRAILER("") },
    { "extension with spaces and tabs",
      IN("5;a = b\t; c\r\nhello\r\n0\r\n\r\n"), DATA("hello"), TRAILER("") },
    { "whitespace before ';'",
      IN("5 ;a=b\r\nhello\r\n3\t;x\r\nabc\r\n2 \t ;\r\nde\r\n0 ;z\r\n\r\n"),
      DATA("helloabcde"), TRAILER("") },
    { "extension with obs-text", IN("5;a=caf\xc3\xa9\r\nhello\r\n0\r\n\r\n"),
      DATA("hello"), TRAILER("") },
    { "trailers", IN("5\r\nhello\r\n0\r\nX-A: 1\r\nX-B: two words\r\n\r\n"),
      DATA("hello"), TRAILER("X-A: 1\r\nX-B: two words\r\n") },
    { "trailer with empty value and tab", IN("0\r\nX:\r\nY:\ta\tb\r\n\r\n"),
      DATA(""), TRAILER("X:\r\nY:\ta\tb\r\n") },
    { "trailer of every tchar",
      IN("1\r\nz\r\n0\r\n!#$%&'*+-.^_`|~09AZaz: v\r\n\r\n"),
      DATA("z"), TRAILER("!#$%&'*+-.^_`|~09AZaz: v\r\n") },
    { "bare LF line ends", IN("5\nhello\n0\nX: y\n\n"), DATA("hello"),
      TRAILER("X: y\n") },
    { "bare LF after data only", IN("5\r\nhello\n0\r\n\r\n"), DATA("hello"),
      TRAILER("") },
    { "bare LF ends the body", IN("3\r\nabc\r\n0\r\nT: 1\r\n\n"), DATA("abc"),
      TRAILER("T: 1\r\n") },
    { "data holding CRLFs and a size line",
      IN("C\r\n\r\n0\r\n\r\n5\r\nab\r\n0\r\n\r\n"),
      DATA("\r\n0\r\n\r\n5\r\nab"), TRAILER("") },
    { "data holding NUL and controls", IN("4\r\na\0\x01\xff\r\n0\r\n\r\n"),
      DATA("a\0\x01\xff"), TRAILER("") },
};

static const ccase_t bad[] = {
    { "non-hex size", IN("g\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "non-hex after digits", IN("5g\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "0x prefix", IN("0x5\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "negative size", IN("-5\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "plus sign", IN("+5\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "empty size line", IN("\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "empty size line, bare LF", IN("\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "extension without a size", IN(";a\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "leading space", IN(" 5\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "16 digits", IN("0000000000000005\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "17 digits (2^64 + 5)", IN("10000000000000005\r\nhello\r\n0\r\n\r\n"),
      .bad = 1 },
    { "last chunk of 16 zeros", IN("0000000000000000\r\n\r\n"), .bad = 1 },
    { "space without ';'", IN("5 \r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "space then a word", IN("5 x\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "two sizes", IN("5 5\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "bare CR after the size", IN("5\rhello\r\n0\r\n\r\n"), .bad = 1 },
    { "bare CR in an extension", IN("5;a\rb\r\nhello\r\n0\r\n\r\n"),
      .bad = 1 },
    { "CR CR LF after the size", IN("5\r\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "NUL in an extension", IN("5;a\0b\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "SOH in an extension", IN("5;a=\x01\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "DEL in an extension", IN("5;\x7f\r\nhello\r\n0\r\n\r\n"), .bad = 1 },
    { "no CRLF after the data", IN("5\r\nhello0\r\n\r\n"), .bad = 1 },
    { "data longer than the size", IN("5\r\nhelloX\r\n0\r\n\r\n"), .bad = 1 },
    { "data shorter than the size", IN("6\r\nhello\r\n\r\n"), .bad = 1 },
    { "bare CR after the data", IN("5\r\nhello\rX0\r\n\r\n"), .bad = 1 },
    { "CR CR after the data", IN("5\r\nhello\r\r\n0\r\n\r\n"), .bad = 1 },
    { "LF CR after the data", IN("5\r\nhello\n\r0\r\n\r\n"), .bad = 1 },
    { "trailer with a leading space", IN("0\r\n X: y\r\n\r\n"), .bad = 1 },
    { "trailer with a leading tab", IN("0\r\n\tX: y\r\n\r\n"), .bad = 1 },
    { "obs-fold after a trailer", IN("0\r\nX: 1\r\n 2\r\n\r\n"), .bad = 1 },
    { "trailer without a colon", IN("0\r\nXY\r\n\r\n"), .bad = 1 },
    { "trailer without a colon, bare LF", IN("0\r\nXY\n\n"), .bad = 1 },
    { "trailer with an empty name", IN("0\r\n: v\r\n\r\n"), .bad = 1 },
    { "space before a trailer colon", IN("0\r\nX : v\r\n\r\n"), .bad = 1 },
    { "trailer name with a separator", IN("0\r\nX(y): v\r\n\r\n"), .bad = 1 },
    { "NUL in a trailer name", IN("0\r\nX\0: v\r\n\r\n"), .bad = 1 },
    { "NUL in a trailer value", IN("0\r\nX: a\0b\r\n\r\n"), .bad = 1 },
    { "SOH in a trailer value", IN("0\r\nX: \x01\r\n\r\n"), .bad = 1 },
    { "DEL in a trailer value", IN("0\r\nX: \x7f\r\n\r\n"), .bad = 1 },
    { "bare CR in a trailer value", IN("0\r\nX: a\rb\r\n\r\n"), .bad = 1 },
    { "bare CR as the final line", IN("0\r\nX: a\r\n\rX\r\n"), .bad = 1 },
    { "bare CR right after the last chunk", IN("0\r\n\rX"), .bad = 1 },
};

START_TEST(test_chunked_good)
{
    run_case(&good[_i], 64);
}
END_TEST

START_TEST(test_chunked_good_two_spans)
{
    run_case(&good[_i], 2);
}
END_TEST

START_TEST(test_chunked_good_one_span)
{
    run_case(&good[_i], 1);
}
END_TEST

START_TEST(test_chunked_bad)
{
    run_case(&bad[_i], 64);
}
END_TEST

START_TEST(test_chunked_bad_one_span)
{
    run_case(&bad[_i], 1);
}
END_TEST

/* ---- limits ------------------------------------------------------------ */

/* Fifteen hex digits are accepted (under 2^60): the data is awaited. */
START_TEST(test_chunked_size_digits)
{
    static const char s15[] = "fffffffffffffff\r\nabc";
    static const char s16[] = "1000000000000000\r\n";
    gw_chunked_t      d;
    gw_chunk_span_t   sp[4];
    unsigned          n;
    ut_guard_t        g;
    char             *buf;

    buf = ut_guard_new(&g, s15, sizeof(s15) - 1);
    gw_chunked_init(&d);
    ck_assert_int_eq(gw_chunked_decode(&d, buf, sizeof(s15) - 1, sp, 4, &n),
                     (int) sizeof(s15) - 1);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(sp[0].len, 3);
    ck_assert(!d.done);
    ut_guard_free(&g);

    buf = ut_guard_new(&g, s16, sizeof(s16) - 1);
    gw_chunked_init(&d);
    ck_assert_int_eq(gw_chunked_decode(&d, buf, sizeof(s16) - 1, sp, 4, &n),
                     GW_PARSE_ERROR);
    ut_guard_free(&g);
}
END_TEST

/* A body whose trailer field lines take FIELDS bytes (at least 5). */
static char *
trailer_body(size_t fields, size_t *len)
{
    char  *s = malloc(fields + 64);
    size_t l;

    ck_assert_ptr_nonnull(s);
    ck_assert_uint_ge(fields, 5);
    l = (size_t) sprintf(s, "1\r\nz\r\n0\r\n");
    while (fields) {
        /* lines of 100 bytes; the last one takes 100 to 199 */
        size_t n = fields >= 200 ? 100 : fields;

        memcpy(s + l, "T: ", 3);
        memset(s + l + 3, 'v', n - 5);
        memcpy(s + l + n - 2, "\r\n", 2);
        l += n;
        fields -= n;
    }
    memcpy(s + l, "\r\n", 2);
    *len = l + 2;
    return s;
}

static int
decode_all(const char *in, size_t len, gw_chunked_t *d)
{
    gw_chunk_span_t sp[64];
    unsigned        n;
    size_t          at = 0;

    gw_chunked_init(d);
    while (at < len && !d->done) {
        int r = gw_chunked_decode(d, in + at, len - at, sp, gw_nelems(sp), &n);

        if (r < 0) {
            return r;
        }
        at += (size_t) r;
    }
    return (int) at;
}

START_TEST(test_chunked_trailer_limit)
{
    gw_chunked_t d;
    size_t       len;
    char        *in;

    /* well within: accepted */
    in = trailer_body(16000, &len);
    ck_assert_int_eq(decode_all(in, len, &d), (int) len);
    ck_assert(d.done);
    free(in);

    /* the whole section, final empty line included, at the limit */
    in = trailer_body(GW_CHUNKED_MAX_TRAILER - 2, &len);
    ck_assert_int_eq(decode_all(in, len, &d), (int) len);
    ck_assert(d.done);
    free(in);

    /* field lines alone one byte past the limit */
    in = trailer_body(GW_CHUNKED_MAX_TRAILER + 1, &len);
    ck_assert_int_eq(decode_all(in, len, &d), GW_PARSE_ERROR);
    free(in);

    /* far past, one byte at a time: refused before the end */
    in = trailer_body(4 * GW_CHUNKED_MAX_TRAILER, &len);
    {
        gw_chunk_span_t sp[4];
        unsigned        n;
        size_t          i;
        int             r = 0;

        gw_chunked_init(&d);
        for (i = 0; i < len; i++) {
            r = gw_chunked_decode(&d, in + i, 1, sp, 4, &n);
            if (r != 1) {
                break;
            }
        }
        ck_assert_int_eq(r, GW_PARSE_ERROR);
        ck_assert_uint_le(i, GW_CHUNKED_MAX_TRAILER + 16);
    }
    free(in);
}
END_TEST

/* Data spans point into the caller's buffer; a big chunk is one span. */
START_TEST(test_chunked_big_chunk)
{
    size_t          size = 100000, len;
    char           *in = malloc(size + 64);
    gw_chunk_span_t sp[8];
    gw_chunked_t    d;
    unsigned        n;
    int             h = sprintf(in, "%zx\r\n", size);

    for (size_t i = 0; i < size; i++) {
        in[h + i] = (char) ('a' + i % 26);
    }
    len = (size_t) h + size;
    len += (size_t) sprintf(in + len, "\r\n0\r\n\r\n");
    gw_chunked_init(&d);
    ck_assert_int_eq(gw_chunked_decode(&d, in, len, sp, 8, &n), (int) len);
    ck_assert(d.done);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(sp[0].kind, GW_CHUNK_DATA);
    ck_assert_ptr_eq(sp[0].data, in + h);
    ck_assert_uint_eq(sp[0].len, size);
    free(in);
}
END_TEST

/* Zero bytes, and calls after the end, take nothing. */
START_TEST(test_chunked_empty_calls)
{
    gw_chunked_t    d;
    gw_chunk_span_t sp[2];
    unsigned        n = 9;

    gw_chunked_init(&d);
    ck_assert_int_eq(gw_chunked_decode(&d, "", 0, sp, 2, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert(!d.done);
    ck_assert_int_eq(gw_chunked_decode(&d, "0\r\n\r\nX", 6, sp, 2, &n), 5);
    ck_assert(d.done);
    ck_assert_int_eq(gw_chunked_decode(&d, "X", 1, sp, 2, &n), 0);
    ck_assert(d.done);
    ck_assert_uint_eq(n, 0);
}
END_TEST

Suite *
chunked_suite(void)
{
    Suite *s = suite_create("chunked");
    TCase *tc = tcase_create("decode");
    TCase *lim = tcase_create("limits");

    tcase_add_loop_test(tc, test_chunked_good, 0, (int) gw_nelems(good));
    tcase_add_loop_test(tc, test_chunked_good_two_spans, 0,
                        (int) gw_nelems(good));
    tcase_add_loop_test(tc, test_chunked_good_one_span, 0,
                        (int) gw_nelems(good));
    tcase_add_loop_test(tc, test_chunked_bad, 0, (int) gw_nelems(bad));
    tcase_add_loop_test(tc, test_chunked_bad_one_span, 0,
                        (int) gw_nelems(bad));
    suite_add_tcase(s, tc);

    tcase_add_test(lim, test_chunked_size_digits);
    tcase_add_test(lim, test_chunked_trailer_limit);
    tcase_add_test(lim, test_chunked_big_chunk);
    tcase_add_test(lim, test_chunked_empty_calls);
    suite_add_tcase(s, lim);
    return s;
}
