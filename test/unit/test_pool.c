/*
 * test/unit/test_pool.c: the configuration arena (common/pool.h): zeroed,
 * aligned memory; gw_pool_push keeps the contents as the array grows;
 * big allocations do not disturb the block small ones are carved from.
 */
#include <check.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/pool.h"
#include "test/unit/suites.h"

static int
all_zero(const void *mem, size_t len)
{
    const unsigned char *p = mem;

    for (size_t i = 0; i < len; i++) {
        if (p[i]) {
            return 0;
        }
    }
    return 1;
}

START_TEST(test_pool_alloc_zeroed_aligned)
{
    gw_pool_t *p = gw_pool_new();
    size_t     sizes[] = { 1, 3, 8, 17, 100, 2047, 2048, 2049, 5000, 70000 };

    ck_assert_ptr_nonnull(p);
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            unsigned char *m = gw_pool_alloc(p, sizes[i]);

            ck_assert_ptr_nonnull(m);
            ck_assert_msg((uintptr_t) m % alignof(max_align_t) == 0,
                          "size %zu: %p not aligned", sizes[i], (void *) m);
            ck_assert_msg(all_zero(m, sizes[i]), "size %zu not zeroed",
                          sizes[i]);
            memset(m, 0xa5, sizes[i]);      /* dirty it for the next round */
        }
    }
    gw_pool_free(p);
}
END_TEST

START_TEST(test_pool_strdup)
{
    gw_pool_t *p = gw_pool_new();
    char      *a = gw_pool_strdup(p, "listener");
    char      *b = gw_pool_strndup(p, "upstream app", 8);
    char      *c = gw_pool_strndup(p, "", 0);

    ck_assert_str_eq(a, "listener");
    ck_assert_str_eq(b, "upstream");
    ck_assert_str_eq(c, "");
    gw_pool_free(p);
    gw_pool_free(NULL);
}
END_TEST

/* Push N elements of SIZE bytes, each stamped with its index, checking
 * every earlier element after each push (growth must copy them all). */
static void
push_and_check(size_t size, unsigned n)
{
    gw_pool_t     *p = gw_pool_new();
    unsigned char *items = NULL;
    unsigned       count = 0;

    for (unsigned i = 0; i < n; i++) {
        unsigned char *e = gw_pool_push(p, (void **) &items, &count, size);

        ck_assert_ptr_nonnull(e);
        ck_assert_uint_eq(count, i + 1);
        ck_assert_ptr_eq(e, items + (size_t) i * size);
        ck_assert_msg(all_zero(e, size), "element %u not zeroed", i);
        memset(e, (int) (i % 251) + 1, size);
        /* something else allocated in between must not overlap */
        memset(gw_pool_alloc(p, 24), 0xee, 24);
        for (unsigned j = 0; j <= i; j++) {
            unsigned char want = (unsigned char) (j % 251 + 1);

            ck_assert_msg(items[(size_t) j * size] == want
                          && items[(size_t) j * size + size - 1] == want,
                          "size %zu: element %u lost after push %u", size, j,
                          i);
        }
    }
    gw_pool_free(p);
}

START_TEST(test_pool_push_small)
{
    push_and_check(sizeof(int), 1000);
}
END_TEST

START_TEST(test_pool_push_struct)
{
    push_and_check(72, 300);
}
END_TEST

START_TEST(test_pool_push_big_elements)
{
    /* past a quarter block: each growth is a block of its own */
    push_and_check(3000, 40);
}
END_TEST

START_TEST(test_pool_big_then_small)
{
    gw_pool_t *p = gw_pool_new();
    char      *small[200], *big[20];

    for (int i = 0; i < 200; i++) {
        small[i] = gw_pool_alloc(p, 40);
        memset(small[i], i, 40);
        if (i % 10 == 0) {
            big[i / 10] = gw_pool_alloc(p, 10000);
            memset(big[i / 10], 0x80 + i / 10, 10000);
        }
    }
    for (int i = 0; i < 200; i++) {
        for (int k = 0; k < 40; k++) {
            ck_assert_int_eq((unsigned char) small[i][k], i);
        }
    }
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq((unsigned char) big[i][0], 0x80 + i);
        ck_assert_int_eq((unsigned char) big[i][9999], 0x80 + i);
    }
    gw_pool_free(p);
}
END_TEST

Suite *
pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("arena");

    tcase_add_test(tc, test_pool_alloc_zeroed_aligned);
    tcase_add_test(tc, test_pool_strdup);
    tcase_add_test(tc, test_pool_push_small);
    tcase_add_test(tc, test_pool_push_struct);
    tcase_add_test(tc, test_pool_push_big_elements);
    tcase_add_test(tc, test_pool_big_then_small);
    suite_add_tcase(s, tc);
    return s;
}
