/*
 * test/unit/test_units.c: times, sizes and counts as the configuration
 * writes them (conf/directive.h, conf/units.c): "ms s m h d" with a bare
 * number in seconds and parts that add up ("1m30s"); "k m g" with a bare
 * number in bytes; and the text forms -T prints, which must read back.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "conf/directive.h"
#include "test/unit/suites.h"

#define BAD UINT64_MAX

static const struct {
    const char *text;
    uint64_t    ms;         /* BAD: must be refused */
} msec_cases[] = {
    { "0",          0 },
    { "45",         45000 },            /* bare number: seconds */
    { "500ms",      500 },
    { "1ms",        1 },
    { "2s",         2000 },
    { "3m",         180000 },
    { "1h",         3600000 },
    { "2d",         172800000 },
    { "1m30s",      90000 },
    { "1h30m",      5400000 },
    { "1s500ms",    1500 },
    { "1d2h3m4s5ms", 93784005 },
    { "10m",        600000 },
    { "",           BAD },
    { "s",          BAD },
    { "ms",         BAD },
    { "-1",         BAD },
    { "+1",         BAD },
    { "1.5s",       BAD },
    { "10x",        BAD },
    { "1 s",        BAD },
    { " 1s",        BAD },
    { "1s ",        BAD },
    { "1S",         BAD },
    { "1sec",       BAD },
    { "1w",         BAD },
    { "1y",         BAD },
    { "m1",         BAD },
    { "99999999999999999999", BAD },
    { "999999999999999999d",  BAD },
};

START_TEST(test_units_msec)
{
    uint64_t    ms = 12345;
    const char *text = msec_cases[_i].text;
    int         rc = gw_conf_parse_msec(text, &ms);

    if (msec_cases[_i].ms == BAD) {
        ck_assert_msg(rc == -1, "\"%s\" accepted as %llu ms", text,
                      (unsigned long long) ms);
    } else {
        ck_assert_msg(rc == 0, "\"%s\" refused", text);
        ck_assert_msg(ms == msec_cases[_i].ms, "\"%s\": %llu ms, want %llu",
                      text, (unsigned long long) ms,
                      (unsigned long long) msec_cases[_i].ms);
    }
}
END_TEST

static const struct {
    const char *text;
    uint64_t    bytes;
} size_cases[] = {
    { "0",      0 },
    { "100",    100 },                  /* bare number: bytes */
    { "16k",    16384 },
    { "16K",    16384 },
    { "1m",     1048576 },
    { "3M",     3145728 },
    { "1g",     1073741824 },
    { "2G",     2147483648u },
    { "",       BAD },
    { "k",      BAD },
    { "-1",     BAD },
    { "1.5k",   BAD },
    { "1kb",    BAD },
    { "1t",     BAD },
    { "1 k",    BAD },
    { "10b",    BAD },
    { "k1",     BAD },
    { "99999999999999999999", BAD },
    { "99999999999999g", BAD },
};

START_TEST(test_units_size)
{
    uint64_t    bytes = 12345;
    const char *text = size_cases[_i].text;
    int         rc = gw_conf_parse_size(text, &bytes);

    if (size_cases[_i].bytes == BAD) {
        ck_assert_msg(rc == -1, "\"%s\" accepted as %llu bytes", text,
                      (unsigned long long) bytes);
    } else {
        ck_assert_msg(rc == 0, "\"%s\" refused", text);
        ck_assert_msg(bytes == size_cases[_i].bytes,
                      "\"%s\": %llu bytes, want %llu", text,
                      (unsigned long long) bytes,
                      (unsigned long long) size_cases[_i].bytes);
    }
}
END_TEST

static const struct {
    const char *text;
    uint64_t    max;
    uint64_t    value;
} uint_cases[] = {
    { "0",      10,     0 },
    { "10",     10,     10 },
    { "11",     10,     BAD },
    { "1024",   1000000, 1024 },
    { "007",    10,     7 },
    { "",       10,     BAD },
    { "-1",     10,     BAD },
    { "+1",     10,     BAD },
    { "1a",     10,     BAD },
    { " 1",     10,     BAD },
    { "1 ",     10,     BAD },
    { "0x10",   100,    BAD },
    /* past 2^64 the digits must not wrap around to a small value */
    { "18446744073709551616", UINT64_MAX - 1, BAD },
    { "99999999999999999999", UINT64_MAX,     BAD },
};

START_TEST(test_units_uint)
{
    uint64_t    v = 12345;
    const char *text = uint_cases[_i].text;
    int         rc = gw_conf_parse_uint(text, uint_cases[_i].max, &v);

    if (uint_cases[_i].value == BAD) {
        ck_assert_msg(rc == -1, "\"%s\" (max %llu) accepted as %llu", text,
                      (unsigned long long) uint_cases[_i].max,
                      (unsigned long long) v);
    } else {
        ck_assert_msg(rc == 0, "\"%s\" refused", text);
        ck_assert_uint_eq(v, uint_cases[_i].value);
    }
}
END_TEST

START_TEST(test_units_format_msec)
{
    static const struct {
        uint64_t    ms;
        const char *text;
    } cases[] = {
        { 1,        "1ms" },
        { 1500,     "1500ms" },
        { 2000,     "2s" },
        { 90000,    "90s" },
        { 600000,   "10m" },
        { 3600000,  "1h" },
        { 5400000,  "90m" },
        { 86400000, "1d" },
    };
    char buf[32];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_str_eq(gw_conf_format_msec(cases[i].ms, buf, sizeof(buf)),
                         cases[i].text);
    }
}
END_TEST

START_TEST(test_units_format_size)
{
    static const struct {
        uint64_t    bytes;
        const char *text;
    } cases[] = {
        { 0,            "0" },
        { 100,          "100" },
        { 1536,         "1536" },
        { 16384,        "16k" },
        { 1048576,      "1m" },
        { 3145728,      "3m" },
        { 1073741824,   "1g" },
        { 1073741824 + 1024, "1048577k" },
    };
    char buf[32];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_str_eq(gw_conf_format_size(cases[i].bytes, buf, sizeof(buf)),
                         cases[i].text);
    }
}
END_TEST

/* What -T prints must read back as the same value. */
START_TEST(test_units_round_trip)
{
    static const uint64_t ms[] = { 0, 1, 999, 1000, 1001, 59000, 60000,
                                   90000, 3599999, 3600000, 86400000,
                                   86400001, 30 * 86400000ull };
    static const uint64_t bytes[] = { 0, 1, 1023, 1024, 1025, 16384,
                                      1048575, 1048576, 5ull << 30,
                                      (5ull << 30) + 1 };
    char     buf[32];
    uint64_t v;

    for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        const char *text = gw_conf_format_msec(ms[i], buf, sizeof(buf));

        ck_assert_msg(gw_conf_parse_msec(text, &v) == 0 && v == ms[i],
                      "%llu ms printed as \"%s\" does not read back",
                      (unsigned long long) ms[i], text);
    }
    for (size_t i = 0; i < sizeof(bytes) / sizeof(bytes[0]); i++) {
        const char *text = gw_conf_format_size(bytes[i], buf, sizeof(buf));

        ck_assert_msg(gw_conf_parse_size(text, &v) == 0 && v == bytes[i],
                      "%llu bytes printed as \"%s\" does not read back",
                      (unsigned long long) bytes[i], text);
    }
}
END_TEST

Suite *
units_suite(void)
{
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("values");

    tcase_add_loop_test(tc, test_units_msec, 0,
                        (int) (sizeof(msec_cases) / sizeof(msec_cases[0])));
    tcase_add_loop_test(tc, test_units_size, 0,
                        (int) (sizeof(size_cases) / sizeof(size_cases[0])));
    tcase_add_loop_test(tc, test_units_uint, 0,
                        (int) (sizeof(uint_cases) / sizeof(uint_cases[0])));
    tcase_add_test(tc, test_units_format_msec);
    tcase_add_test(tc, test_units_format_size);
    tcase_add_test(tc, test_units_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
