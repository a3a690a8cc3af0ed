/*
 * test/unit/test_hash.c: gw_hash32 is MurmurHash3 x86_32 (common/hash.h),
 * checked against the published test vectors, plus the properties the
 * balancers rely on: deterministic, seed-dependent, alignment-blind.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/hash.h"
#include "test/unit/suites.h"

static const struct {
    const char *data;
    size_t      len;
    uint32_t    seed;
    uint32_t    hash;
} vectors[] = {
    /* the data's length is its sizeof less the NUL */
#define V(data, seed, hash) { data, sizeof(data) - 1, seed, hash }
    V("",                                             0,          0x00000000),
    V("",                                             1,          0x514E28B7),
    V("",                                             0xffffffff, 0x81F16F39),
    V("\xff\xff\xff\xff",                             0,          0x76293B50),
    V("\x21\x43\x65\x87",                             0,          0xF55B516B),
    V("\x21\x43\x65\x87",                             0x5082EDEE, 0x2362F9DE),
    V("\x21\x43\x65",                                 0,          0x7E4A8634),
    V("\x21\x43",                                     0,          0xA0F7B07A),
    V("\x21",                                         0,          0x72661CF4),
    V("\0\0\0\0",                                     0,          0x2362F9DE),
    V("abc",                                          0,          0xB3DD93FA),
    V("aaaa",                                         0x9747b28c, 0x5A97808A),
    V("Hello, world!",                                0x9747b28c, 0x24884CBA),
    V("The quick brown fox jumps over the lazy dog",  0x9747b28c, 0x2FA826CD),
#undef V
};

START_TEST(test_hash_vectors)
{
    uint32_t h = gw_hash32(vectors[_i].data, vectors[_i].len,
                           vectors[_i].seed);

    ck_assert_msg(h == vectors[_i].hash,
                  "vector %d (len %zu seed 0x%x): got 0x%08X, want 0x%08X",
                  _i, vectors[_i].len, vectors[_i].seed, h,
                  vectors[_i].hash);
}
END_TEST

START_TEST(test_hash_deterministic)
{
    char key[32];

    for (int i = 0; i < 1000; i++) {
        int len = snprintf(key, sizeof(key), "10.0.%d.%d:80#%d", i / 256,
                           i % 256, i);

        ck_assert_uint_eq(gw_hash32(key, (size_t) len, 7),
                          gw_hash32(key, (size_t) len, 7));
    }
}
END_TEST

START_TEST(test_hash_seed_changes_output)
{
    char key[32];
    int  differ = 0;

    for (int i = 0; i < 1000; i++) {
        int len = snprintf(key, sizeof(key), "127.0.0.1:%d", 9000 + i);

        differ += gw_hash32(key, (size_t) len, 0)
                  != gw_hash32(key, (size_t) len, 1);
        differ += gw_hash32(key, (size_t) len, 1)
                  != gw_hash32(key, (size_t) len, 160);
    }
    /* a 32-bit collision between seeds is a one in 4e9 event */
    ck_assert_int_eq(differ, 2000);
}
END_TEST

START_TEST(test_hash_length_and_content_matter)
{
    const char k[] = "abcd\0";

    ck_assert_uint_ne(gw_hash32(k, 4, 0), gw_hash32(k, 5, 0));
    ck_assert_uint_ne(gw_hash32("10.0.0.1", 8, 0), gw_hash32("10.0.0.2", 8, 0));
    /* similar keys spread: no two of 256 consecutive addresses collide */
    {
        uint32_t seen[256];

        for (int i = 0; i < 256; i++) {
            unsigned char ip[4] = { 10, 0, 0, (unsigned char) i };

            seen[i] = gw_hash32(ip, 4, 0);
            for (int j = 0; j < i; j++) {
                ck_assert_uint_ne(seen[i], seen[j]);
            }
        }
    }
}
END_TEST

START_TEST(test_hash_unaligned)
{
    const char   *text = "The quick brown fox jumps over the lazy dog";
    size_t        len = strlen(text);
    unsigned char buf[64 + 8];

    for (size_t off = 0; off < 8; off++) {
        memcpy(buf + off, text, len);
        ck_assert_uint_eq(gw_hash32(buf + off, len, 0x9747b28c), 0x2FA826CD);
    }
}
END_TEST

Suite *
hash_suite(void)
{
    Suite *s = suite_create("hash");
    TCase *tc = tcase_create("murmur3");

    tcase_add_loop_test(tc, test_hash_vectors, 0,
                        (int) (sizeof(vectors) / sizeof(vectors[0])));
    tcase_add_test(tc, test_hash_deterministic);
    tcase_add_test(tc, test_hash_seed_changes_output);
    tcase_add_test(tc, test_hash_length_and_content_matter);
    tcase_add_test(tc, test_hash_unaligned);
    suite_add_tcase(s, tc);
    return s;
}
