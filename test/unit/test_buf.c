/*
 * test/unit/test_buf.c: borrowed buffers (common/buf.h): a buffer comes
 * back empty whatever it held, compaction keeps the unread bytes, and the
 * free list survives more returns than it keeps.
 */
#include <check.h>
#include <string.h>

#include "common/buf.h"
#include "test/unit/suites.h"

static void
put_bytes(gw_buf_t *b, const char *s)
{
    size_t n = strlen(s);

    ck_assert_uint_ge(gw_buf_room(b), n);
    memcpy(b->data + b->last, s, n);
    b->last += n;
}

START_TEST(test_buf_get_is_empty)
{
    gw_buf_t *b = gw_buf_get();

    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(b->pos, 0);
    ck_assert_uint_eq(b->last, 0);
    ck_assert_uint_eq(gw_buf_len(b), 0);
    ck_assert_uint_eq(gw_buf_room(b), GW_BUF_SIZE);
    gw_buf_put(b);
}
END_TEST

START_TEST(test_buf_put_then_get_is_clean)
{
    gw_buf_t *b = gw_buf_get(), *again;

    put_bytes(b, "GET / HTTP/1.1\r\n");
    b->pos = 4;
    gw_buf_put(b);
    again = gw_buf_get();
    ck_assert_ptr_nonnull(again);
    ck_assert_uint_eq(again->pos, 0);
    ck_assert_uint_eq(again->last, 0);
    ck_assert_uint_eq(gw_buf_room(again), GW_BUF_SIZE);
    gw_buf_put(again);
    gw_buf_put(NULL);
}
END_TEST

START_TEST(test_buf_len_room)
{
    gw_buf_t *b = gw_buf_get();

    put_bytes(b, "hello world");
    ck_assert_uint_eq(gw_buf_len(b), 11);
    ck_assert_uint_eq(gw_buf_room(b), GW_BUF_SIZE - 11);
    b->pos += 6;
    ck_assert_uint_eq(gw_buf_len(b), 5);
    /* consuming does not make room at the end until compaction */
    ck_assert_uint_eq(gw_buf_room(b), GW_BUF_SIZE - 11);
    gw_buf_put(b);
}
END_TEST

START_TEST(test_buf_compact)
{
    gw_buf_t *b = gw_buf_get();

    put_bytes(b, "0123456789abcdef");
    b->pos = 10;
    gw_buf_compact(b);
    ck_assert_uint_eq(b->pos, 0);
    ck_assert_uint_eq(b->last, 6);
    ck_assert_int_eq(memcmp(b->data, "abcdef", 6), 0);
    ck_assert_uint_eq(gw_buf_room(b), GW_BUF_SIZE - 6);

    /* nothing consumed: nothing moves */
    gw_buf_compact(b);
    ck_assert_uint_eq(b->last, 6);
    ck_assert_int_eq(memcmp(b->data, "abcdef", 6), 0);

    /* everything consumed: empty, whole room */
    b->pos = b->last;
    gw_buf_compact(b);
    ck_assert_uint_eq(gw_buf_len(b), 0);
    ck_assert_uint_eq(gw_buf_room(b), GW_BUF_SIZE);
    gw_buf_put(b);
}
END_TEST

START_TEST(test_buf_compact_full_overlapping)
{
    gw_buf_t *b = gw_buf_get();

    for (size_t i = 0; i < GW_BUF_SIZE; i++) {
        b->data[i] = (char) (i * 7);
    }
    b->last = GW_BUF_SIZE;
    b->pos = 1;             /* source and destination overlap almost whole */
    gw_buf_compact(b);
    ck_assert_uint_eq(b->last, GW_BUF_SIZE - 1);
    for (size_t i = 0; i < GW_BUF_SIZE - 1; i++) {
        ck_assert_int_eq(b->data[i], (char) ((i + 1) * 7));
    }
    gw_buf_put(b);
}
END_TEST

START_TEST(test_buf_many)
{
    gw_buf_t *bufs[200];

    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 200; i++) {
            bufs[i] = gw_buf_get();
            ck_assert_ptr_nonnull(bufs[i]);
            ck_assert_uint_eq(gw_buf_len(bufs[i]), 0);
            for (int j = 0; j < i; j++) {
                ck_assert_ptr_ne(bufs[i], bufs[j]);
            }
            bufs[i]->data[0] = (char) i;
            bufs[i]->last = 1;
        }
        for (int i = 0; i < 200; i++) {
            ck_assert_int_eq(bufs[i]->data[0], (char) i);
            gw_buf_put(bufs[i]);
        }
    }
}
END_TEST

Suite *
buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("buffers");

    tcase_add_test(tc, test_buf_get_is_empty);
    tcase_add_test(tc, test_buf_put_then_get_is_clean);
    tcase_add_test(tc, test_buf_len_room);
    tcase_add_test(tc, test_buf_compact);
    tcase_add_test(tc, test_buf_compact_full_overlapping);
    tcase_add_test(tc, test_buf_many);
    suite_add_tcase(s, tc);
    return s;
}
