/*
 * test/fuzz/fuzz_util.h: what the fuzz targets share (test/fuzz/README.md).
 *
 * - FUZZ_CHECK: an invariant; on a violation it prints why and abort()s,
 *   which libFuzzer reports as a crash and saves the input.
 * - fuzz_copy: an exact-size heap copy, so that AddressSanitizer catches
 *   a read one byte past what a parser was given.
 * - fuzz_split: the positions at which a byte stream "arrives" (the
 *   writes of a peer, the reads of the server), taken from one control
 *   byte of the input, so the fuzzer explores splits as it explores bytes.
 * - fuzz_chunked_*: the chunked decoder run over a body, checked span by
 *   span, whole and split, the two results compared.
 */
#ifndef GW_FUZZ_UTIL_H
#define GW_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/chunked.h"

#define FUZZ_CHECK(cond, ...)                                               \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);              \
        }                                                                   \
    } while (0)

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt,
               ...) __attribute__((noreturn, format(printf, 4, 5)));

/* Run before fuzz_fail() aborts and when a sanitizer reports (a target's
 * temporary files), NULL by default. */
void fuzz_on_death(void (*fn)(void));

/* FUZZ_VERBOSE set in the environment: the targets say what they saw
 * (on stderr), for reading a saved input's run. */
int fuzz_verbose(void);

/* malloc(len) holding a copy of p[0 .. len); never NULL (aborts). */
char *fuzz_copy(const void *p, size_t len);

/*
 * Arrival positions of a stream of TOTAL bytes: increasing, the last one
 * TOTAL. CTRL 0: everything at once. Else piece sizes are drawn from 1 to
 * 2^(CTRL & 7) by a generator seeded with CTRL >> 3 (and TOTAL).
 */
typedef struct fuzz_split {
    size_t  *pos;
    size_t   n;
    size_t   k;             /* pos[k]: bytes arrived so far */
} fuzz_split_t;

void fuzz_split_init(fuzz_split_t *s, uint8_t ctrl, size_t total);
void fuzz_split_whole(fuzz_split_t *s, size_t total);
size_t fuzz_split_avail(const fuzz_split_t *s);
/* The next arrival; returns 0 when everything has arrived already. */
int fuzz_split_next(fuzz_split_t *s);
void fuzz_split_free(fuzz_split_t *s);

/* A growing byte string. */
typedef struct fuzz_bytes {
    char   *data;
    size_t  len;
    size_t  cap;
} fuzz_bytes_t;

void fuzz_bytes_add(fuzz_bytes_t *b, const char *p, size_t len);
void fuzz_bytes_free(fuzz_bytes_t *b);

/* What decoding a chunked body gave. */
typedef struct fuzz_chunked_result {
    int           error;    /* GW_PARSE_ERROR at some point */
    int           done;
    size_t        used;     /* bytes of the body consumed (not on error) */
    fuzz_bytes_t  data;     /* DATA spans, concatenated */
    fuzz_bytes_t  trailer;  /* TRAILER spans, concatenated */
    gw_chunked_t  dec;      /* the decoder at the end */
} fuzz_chunked_result_t;

/*
 * Decode the chunked body starting at stream[off] as its bytes arrive
 * (split; its current position may move on), at most MAX_SPANS spans a
 * call, each piece an exact-size copy. Checks every call's contract.
 */
void fuzz_chunked_run(const char *stream, size_t total, size_t off,
                      fuzz_split_t *split, unsigned max_spans,
                      fuzz_chunked_result_t *r);

/* abort() unless A and B (the same body, split differently) agree. */
void fuzz_chunked_compare(const fuzz_chunked_result_t *a,
                          const fuzz_chunked_result_t *b);

void fuzz_chunked_free(fuzz_chunked_result_t *r);

#endif
