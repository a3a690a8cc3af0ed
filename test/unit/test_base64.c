/*
 * test/unit/test_base64.c: strict base64 (common/base64.h).
 *
 * The RFC 4648 section 10 vectors both ways; round trips of every byte
 * value and of random strings; a table of non-canonical inputs that must
 * be refused (bad characters, a length that is not a multiple of 4,
 * misplaced or excess padding, non-zero pad bits); output sizes that fit
 * exactly or by one byte too few; and an exhaustive pass over the padded
 * groups: a group decodes if and only if it is the encoding of what it
 * decodes to. Every input ends where a PROT_NONE page begins, and so does
 * every output buffer, sized exactly: reading or writing one byte too far
 * is a SIGSEGV.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/core.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

#define IN(s)       .in = (s), .len = sizeof(s) - 1

/* Encoded length of LEN bytes, without the NUL. */
static size_t
enc_len(size_t len)
{
    return 4 * ((len + 2) / 3);
}

/* An output buffer of exactly SIZE bytes ending at a PROT_NONE page. */
static unsigned char *
out_new(ut_guard_t *g, size_t size)
{
    unsigned char *fill = malloc(size + 1), *out;

    ck_assert_ptr_nonnull(fill);
    memset(fill, 0xa5, size);
    out = (unsigned char *) ut_guard_new(g, fill, size);
    free(fill);
    return out;
}

/*
 * Decode IN[0 .. len) (copied against a guard page) into an output buffer
 * of exactly SIZE bytes that also ends at a guard page; the decoded bytes
 * are copied to KEEP (when not NULL) on success.
 */
static int
decode_guarded(const void *in, size_t len, size_t size, unsigned char *keep)
{
    ut_guard_t     gi, go;
    const char    *src = ut_guard_new(&gi, in, len);
    unsigned char *dst = out_new(&go, size);
    int            r = gw_base64_decode(src, len, dst, size);

    if (r > 0 && keep) {
        memcpy(keep, dst, (size_t) r);
    }
    ut_guard_free(&go);
    ut_guard_free(&gi);
    return r;
}

/*
 * Encode IN[0 .. len) (against a guard page) into a buffer of exactly the
 * documented size, 4 * ((len + 2) / 3) + 1, ending at a guard page; the
 * text goes to KEEP (which holds that many bytes).
 */
static size_t
encode_guarded(const void *in, size_t len, char *keep)
{
    ut_guard_t           gi, go;
    const unsigned char *src = (const unsigned char *) ut_guard_new(&gi, in,
                                                                    len);
    size_t               need = enc_len(len) + 1, n;
    char                *dst = (char *) out_new(&go, need);

    n = gw_base64_encode(src, len, dst);
    memcpy(keep, dst, need);
    ut_guard_free(&go);
    ut_guard_free(&gi);
    return n;
}

/* ---- RFC 4648 section 10 ----------------------------------------------- */

static const struct {
    const char *plain;
    const char *b64;
} rfc[] = {
    { "",       "" },
    { "f",      "Zg==" },
    { "fo",     "Zm8=" },
    { "foo",    "Zm9v" },
    { "foob",   "Zm9vYg==" },
    { "fooba",  "Zm9vYmE=" },
    { "foobar", "Zm9vYmFy" },
};

START_TEST(test_base64_rfc_encode)
{
    const char *plain = rfc[_i].plain, *want = rfc[_i].b64;
    char        out[16];
    size_t      n = encode_guarded(plain, strlen(plain), out);

    ck_assert_msg(n == strlen(want) && n == enc_len(strlen(plain)),
                  "\"%s\": encoded length %zu, want %zu", plain, n,
                  strlen(want));
    ck_assert_msg(memcmp(out, want, n) == 0 && out[n] == '\0',
                  "\"%s\" encoded as \"%.*s\", want \"%s\"", plain, (int) n,
                  out, want);
}
END_TEST

START_TEST(test_base64_rfc_decode)
{
    const char   *plain = rfc[_i].plain, *in = rfc[_i].b64;
    size_t        plen = strlen(plain), len = strlen(in);
    unsigned char out[16];
    int           r;

    /* exactly the room it needs, and more */
    r = decode_guarded(in, len, plen, out);
    ck_assert_msg(r == (int) plen && memcmp(out, plain, plen) == 0,
                  "\"%s\" (size %zu) decoded to %d \"%.*s\", want \"%s\"",
                  in, plen, r, r > 0 ? r : 0, (const char *) out, plain);
    r = decode_guarded(in, len, plen + 5, out);
    ck_assert_msg(r == (int) plen && memcmp(out, plain, plen) == 0,
                  "\"%s\" (size %zu) decoded to %d", in, plen + 5, r);
    /* one byte short */
    if (plen > 0) {
        r = decode_guarded(in, len, plen - 1, NULL);
        ck_assert_msg(r == -1, "\"%s\" fits %zu bytes: %d", in, plen - 1, r);
    }
    /* every prefix: not a multiple of 4 is refused; a multiple of 4
     * (before the last group, so no padding) is the first bytes */
    for (size_t k = 0; k < len; k++) {
        r = decode_guarded(in, k, 16, out);
        if (k % 4 != 0) {
            ck_assert_msg(r == -1, "\"%.*s\" (prefix %zu) gave %d", (int) k,
                          in, k, r);
        } else {
            ck_assert_msg(r == (int) (k / 4 * 3)
                          && memcmp(out, plain, (size_t) r) == 0,
                          "\"%.*s\" (prefix %zu) gave %d", (int) k, in, k, r);
        }
    }
}
END_TEST

/* ---- round trips ------------------------------------------------------- */

static void
round_trip(const unsigned char *in, size_t len, const char *what)
{
    size_t         elen = enc_len(len);
    char          *text = malloc(elen + 1);
    unsigned char *back = malloc(len + 1);
    size_t         n;
    int            r;

    ck_assert(text && back);
    n = encode_guarded(in, len, text);
    ck_assert_msg(n == elen && text[n] == '\0',
                  "%s (%zu bytes): encoded length %zu, want %zu", what, len,
                  n, elen);
    for (size_t i = 0; i < n; i++) {
        if (!((text[i] >= 'A' && text[i] <= 'Z')
              || (text[i] >= 'a' && text[i] <= 'z')
              || (text[i] >= '0' && text[i] <= '9')
              || text[i] == '+' || text[i] == '/'
              || (text[i] == '=' && i + 2 >= n))) {
            ck_abort_msg("%s (%zu bytes): '%c' at %zu of %zu", what, len,
                         text[i], i, n);
        }
    }
    r = decode_guarded(text, n, len, back);
    ck_assert_msg(r == (int) len && memcmp(back, in, len) == 0,
                  "%s (%zu bytes): decoded back to %d bytes", what, len, r);
    if (len > 0) {
        r = decode_guarded(text, n, len - 1, NULL);
        ck_assert_msg(r == -1, "%s (%zu bytes): fits %zu: %d", what, len,
                      len - 1, r);
    }
    free(text);
    free(back);
}

START_TEST(test_base64_round_trip_bytes)
{
    unsigned char all[256];
    char          what[32];

    for (unsigned i = 0; i < 256; i++) {
        all[i] = (unsigned char) i;
    }
    /* all 256 values in one string, and every prefix of it (each length
     * mod 3, each value at each position of a group) */
    for (size_t len = 0; len <= sizeof(all); len++) {
        round_trip(all, len, "0..255 prefix");
    }
    /* each value alone, twice and three times */
    for (unsigned i = 0; i < 256; i++) {
        unsigned char b[3] = { (unsigned char) i, (unsigned char) i,
                               (unsigned char) i };

        snprintf(what, sizeof(what), "byte %#x", i);
        round_trip(b, 1, what);
        round_trip(b, 2, what);
        round_trip(b, 3, what);
    }
}
END_TEST

START_TEST(test_base64_round_trip_random)
{
    unsigned       seed = 20240607u;
    unsigned char *buf = malloc(4096);

    ck_assert_ptr_nonnull(buf);
    for (int n = 0; n < 400; n++) {
        size_t len = ut_rand(&seed) % (n < 300 ? 64 : 4096);

        for (size_t i = 0; i < len; i++) {
            buf[i] = (unsigned char) ut_rand(&seed);
        }
        round_trip(buf, len, "random");
    }
    free(buf);
}
END_TEST

/* ---- refused ----------------------------------------------------------- */

static const struct {
    const char *name;
    const char *in;
    size_t      len;
} bad[] = {
    /* characters outside the alphabet, in a group of 4 */
    { "URL-safe '-'",               IN("Zm9-") },
    { "URL-safe '_'",               IN("Zm9_") },
    { "URL-safe alphabet",          IN("-_-_") },
    { "space inside",               IN("Zm 9") },
    { "space first",                IN(" Zm9") },
    { "tab",                        IN("Zm\t9") },
    { "CR LF inside",               IN("Zm\r\n") },
    { "LF between groups",          IN("Zm9v\nZm9") },
    { "CR LF at the end",           IN("Zm9vZm\r\n") },
    { "NUL at the end",             IN("Zm9\0") },
    { "NUL first",                  IN("\0m9v") },
    { "four NULs",                  IN("\0\0\0\0") },
    { "NUL before padding",         IN("Zg\0=") },
    { "'.'",                        IN("Zm9.") },
    { "'*'",                        IN("Zm*v") },
    { "'%'",                        IN("Zm9%") },
    { "backslash",                  IN("Zm9\\") },
    { "byte 0x80",                  IN("Zm9\x80") },
    { "byte 0xff",                  IN("\xffm9v") },
    { "byte 0x7f",                  IN("Zm9\x7f") },
    { "bad character in an earlier group", IN("Zm-vYmFy") },
    /* length not a multiple of 4 */
    { "1 character",                IN("Z") },
    { "2 characters",               IN("Zg") },
    { "3 characters",               IN("Zm8") },
    { "5 characters",               IN("Zm9vY") },
    { "padding dropped (6)",        IN("Zm9vYg") },
    { "padding short (7)",          IN("Zm9vYg=") },
    { "trailing space",             IN("Zm9v ") },
    { "trailing LF",                IN("Zm9v\n") },
    { "trailing NUL",               IN("Zm9v\0") },
    { "too much padding",           IN("Zg===") },
    { "lone '='",                   IN("=") },
    /* misplaced padding */
    { "padding only",               IN("====") },
    { "3 pads",                     IN("Z===") },
    { "pad first",                  IN("=Zm9") },
    { "pad second",                 IN("Z=9v") },
    { "pad third, data fourth",     IN("Zm=v") },
    { "pad in the middle",          IN("Zg==Zm9v") },
    { "'=' group in the middle",    IN("Zm9v====Zm9v") },
    { "padded group then pad group", IN("Zm8=====") },
    { "padding 8",                  IN("Zm9v====") },
    { "pad then NUL",               IN("Zg=\0") },
    /* non-zero pad bits: a second spelling of the same bytes */
    { "pad bits, 1 byte (Zh==)",    IN("Zh==") },
    { "pad bits, 1 byte (Zv==)",    IN("Zv==") },
    { "pad bits, 1 byte (AB==)",    IN("AB==") },
    { "pad bits, 1 byte (//==)",    IN("//==") },
    { "pad bits, 2 bytes (Zm9=)",   IN("Zm9=") },
    { "pad bits, 2 bytes (Zm+=)",   IN("Zm+=") },
    { "pad bits, 2 bytes (AAB=)",   IN("AAB=") },
    { "pad bits after a group",     IN("Zm9vZh==") },
    { "pad bits after a group (2)", IN("Zm9vYmF=") },
};

START_TEST(test_base64_bad)
{
    int r = decode_guarded(bad[_i].in, bad[_i].len, 64, NULL);

    ck_assert_msg(r == -1, "%s: \"%.*s\" (%zu) decoded to %d", bad[_i].name,
                  (int) bad[_i].len, bad[_i].in, bad[_i].len, r);
}
END_TEST

/* ---- output size ------------------------------------------------------- */

START_TEST(test_base64_size)
{
    static const struct {
        const char *in;
        size_t      size;
        int         want;
    } sz[] = {
        { "",           0, 0 },
        { "",           1, 0 },
        { "Zg==",       0, -1 },
        { "Zg==",       1, 1 },
        { "Zm8=",       1, -1 },
        { "Zm8=",       2, 2 },
        { "Zm9v",       2, -1 },
        { "Zm9v",       3, 3 },
        { "Zm9vYmFy",   0, -1 },
        { "Zm9vYmFy",   3, -1 },
        { "Zm9vYmFy",   5, -1 },
        { "Zm9vYmFy",   6, 6 },
        { "Zm9vYmFy",   7, 6 },
        { "Zm9vYg==",   3, -1 },
        { "Zm9vYg==",   4, 4 },
        { "Zm9vYmE=",   4, -1 },
        { "Zm9vYmE=",   5, 5 },
    };
    unsigned char out[8];

    for (size_t i = 0; i < gw_nelems(sz); i++) {
        int r = decode_guarded(sz[i].in, strlen(sz[i].in), sz[i].size, out);

        ck_assert_msg(r == sz[i].want, "\"%s\" into %zu bytes: %d, want %d",
                      sz[i].in, sz[i].size, r, sz[i].want);
    }
}
END_TEST

/* ---- exhaustive over groups -------------------------------------------- */

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * Decode the 4 bytes G, copied to SRC (the last 4 readable bytes of a
 * guarded page), into DST (the last 3): if it decodes, re-encoding the
 * result must give G back. Returns the decoded length or -1. Called a
 * million times: a passing ck_assert costs Check a message down a pipe,
 * so only a failure calls into Check.
 */
static int
canonical_group(char *src, unsigned char *dst, const unsigned char *g)
{
    char text[5] = "";
    int  r;

    memcpy(src, g, 4);
    r = gw_base64_decode(src, 4, dst, 3);
    if (r < 0) {
        return r;
    }
    if (r < 1 || r > 3 || gw_base64_encode(dst, (size_t) r, text) != 4
        || memcmp(text, g, 4) != 0) {
        ck_abort_msg("\"%.4s\" decoded to %d bytes, encoding back as "
                     "\"%.4s\"", (const char *) g, r, text);
    }
    return r;
}

START_TEST(test_base64_padded_groups)
{
    ut_guard_t     gi, go;
    char          *src = ut_guard_new(&gi, "xxxx", 4);
    unsigned char *dst = (unsigned char *) ut_guard_new(&go, "xxx", 3);
    unsigned char  g[4];
    unsigned       ok1 = 0, ok2 = 0;

    /* "XY==": any bytes X, Y; exactly the 256 single bytes decode */
    g[2] = g[3] = '=';
    for (unsigned x = 0; x < 256; x++) {
        for (unsigned y = 0; y < 256; y++) {
            g[0] = (unsigned char) x;
            g[1] = (unsigned char) y;
            ok1 += canonical_group(src, dst, g) == 1;
        }
    }
    ck_assert_uint_eq(ok1, 256);
    /* "XYZ=": X, Y from the alphabet, any byte Z; exactly the 65536
     * two-byte strings decode */
    g[3] = '=';
    for (unsigned x = 0; x < 64; x++) {
        for (unsigned y = 0; y < 64; y++) {
            for (unsigned z = 0; z < 256; z++) {
                g[0] = (unsigned char) alphabet[x];
                g[1] = (unsigned char) alphabet[y];
                g[2] = (unsigned char) z;
                ok2 += canonical_group(src, dst, g) == 2;
            }
        }
    }
    ck_assert_uint_eq(ok2, 65536);
    ut_guard_free(&go);
    ut_guard_free(&gi);
}
END_TEST

START_TEST(test_base64_full_groups)
{
    ut_guard_t     gi, go;
    char          *src = ut_guard_new(&gi, "xxxx", 4);
    unsigned char *dst = (unsigned char *) ut_guard_new(&go, "xxx", 3);
    unsigned char  g[4];
    unsigned       ok = 0;

    /* every byte value at each position of "Zm9v": only the 64 alphabet
     * characters decode to 3 bytes; '=' at the end would leave pad bits
     * ("Zm9="), in the third place it stands before data ("Zm=v") */
    for (unsigned pos = 0; pos < 4; pos++) {
        for (unsigned c = 0; c < 256; c++) {
            int r;

            memcpy(g, "Zm9v", 4);
            g[pos] = (unsigned char) c;
            r = canonical_group(src, dst, g);
            ck_assert_msg(r == 3 || r == -1, "\"%.4s\": %d",
                          (const char *) g, r);
            ok += r == 3;
        }
    }
    ck_assert_uint_eq(ok, 4 * 64);
    ut_guard_free(&go);
    ut_guard_free(&gi);
}
END_TEST

Suite *
base64_suite(void)
{
    Suite *s = suite_create("base64");
    TCase *tc = tcase_create("base64");

    tcase_add_loop_test(tc, test_base64_rfc_encode, 0, (int) gw_nelems(rfc));
    tcase_add_loop_test(tc, test_base64_rfc_decode, 0, (int) gw_nelems(rfc));
    tcase_add_test(tc, test_base64_round_trip_bytes);
    tcase_add_test(tc, test_base64_round_trip_random);
    tcase_add_loop_test(tc, test_base64_bad, 0, (int) gw_nelems(bad));
    tcase_add_test(tc, test_base64_size);
    tcase_add_test(tc, test_base64_padded_groups);
    tcase_add_test(tc, test_base64_full_groups);
    suite_add_tcase(s, tc);
    return s;
}
