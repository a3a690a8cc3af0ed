/*
 * test/unit/util.h: helpers shared by the unit tests.
 *
 * Scratch files live under one temporary root that main() creates before
 * any test and removes after the last one, so a failing test (which ends
 * its forked child early) leaves nothing behind. Guarded copies put parser
 * input at the very end of a readable page followed by a PROT_NONE page
 * (pico's trick): reading one byte too far is a SIGSEGV, not a silent pass.
 */
#ifndef GW_TEST_UTIL_H
#define GW_TEST_UTIL_H

#include <stddef.h>

/* The temporary root (absolute, symlinks resolved); "" before ut_init. */
extern char ut_root[];

/* Create the root; 0 or -1. Remove it and everything below. */
int ut_init(void);
void ut_fini(void);

/* A fresh empty directory under the root, absolute; caller frees. */
char *ut_mkdir(void);

/* Write TEXT (LEN bytes) to DIR/NAME, creating subdirectories. */
void ut_write_len(const char *dir, const char *name, const char *text,
                  size_t len);
void ut_write(const char *dir, const char *name, const char *text);

/* "DIR/NAME", malloc'd. */
char *ut_join(const char *dir, const char *name);

/* A copy of LEN bytes that ends exactly where a PROT_NONE page begins. */
typedef struct ut_guard {
    void   *map;
    size_t  map_len;
    char   *data;
} ut_guard_t;

char *ut_guard_new(ut_guard_t *g, const void *bytes, size_t len);
/* A NUL-terminated copy of S whose NUL is the last readable byte. */
char *ut_guard_str(ut_guard_t *g, const char *s);
/*
 * Move LEN bytes (at most the length G was made with) to the end of G's
 * readable area, so a prefix or a later piece of the same input can be
 * fed with the guard page right after it; returns where they start.
 */
char *ut_guard_put(ut_guard_t *g, const void *bytes, size_t len);
void ut_guard_free(ut_guard_t *g);

/* A small deterministic generator (xorshift32) for stress tests. */
static inline unsigned
ut_rand(unsigned *state)
{
    unsigned x = *state ? *state : 2463534242u;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

#endif
