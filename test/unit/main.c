/*
 * test/unit/main.c: runs every module's Check suite in one SRunner.
 *
 * CK_VERBOSITY=verbose prints one ":P:", ":F:" or ":E:" line per test,
 * which test/run counts. Exit status: 0 when every test passed.
 */
#include <check.h>
#include <stdlib.h>

#include "common/log.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

/*
 * Check forks a child per test. Under AddressSanitizer each child inherits
 * the parent's quarantine of freed chunks (Check's own bookkeeping, growing
 * with every test run) and LeakSanitizer walks it again at each child's
 * exit: the SANITIZE=1 run took 25 s instead of 5 s. A small quarantine
 * keeps use-after-free detection for the short tests. ASAN_OPTIONS from
 * the environment still wins, key by key. Unused without -fsanitize.
 */
__attribute__((used)) const char *__asan_default_options(void);

__attribute__((used)) const char *
__asan_default_options(void)
{
    return "quarantine_size_mb=2:thread_local_quarantine_size_kb=64";
}

int
main(void)
{
    SRunner *sr;
    int      failed;

    /* the balancers log a warning when a server is taken out: keep the
     * test output to Check's own lines */
    gw_log_level = GW_LOG_EMERG;
    if (ut_init() != 0) {
        return 2;
    }
    sr = srunner_create(addr_suite());
    srunner_add_suite(sr, buf_suite());
    srunner_add_suite(sr, base64_suite());
    srunner_add_suite(sr, hash_suite());
    srunner_add_suite(sr, pool_suite());
    srunner_add_suite(sr, heap_suite());
    srunner_add_suite(sr, timer_suite());
    srunner_add_suite(sr, units_suite());
    srunner_add_suite(sr, lexer_suite());
    srunner_add_suite(sr, conf_suite());
    srunner_add_suite(sr, upstream_suite());
    srunner_add_suite(sr, udp_table_suite());
    srunner_add_suite(sr, http_suite());
    srunner_add_suite(sr, chunked_suite());
    srunner_add_suite(sr, uri_suite());
    srunner_add_suite(sr, http_proxy_suite());
    srunner_add_suite(sr, http_route_suite());
    srunner_add_suite(sr, socks5_suite());
    srunner_add_suite(sr, proxy_proto_suite());
    srunner_add_suite(sr, limits_suite());
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    ut_fini();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
