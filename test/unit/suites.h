/*
 * test/unit/suites.h: one Check suite per module, collected by main.c.
 */
#ifndef GW_TEST_SUITES_H
#define GW_TEST_SUITES_H

#include <check.h>

Suite *addr_suite(void);
Suite *base64_suite(void);
Suite *buf_suite(void);
Suite *chunked_suite(void);
Suite *conf_suite(void);
Suite *hash_suite(void);
Suite *heap_suite(void);
Suite *http_suite(void);
Suite *http_proxy_suite(void);
Suite *http_route_suite(void);
Suite *lexer_suite(void);
Suite *limits_suite(void);
Suite *pool_suite(void);
Suite *proxy_proto_suite(void);
Suite *socks5_suite(void);
Suite *timer_suite(void);
Suite *udp_table_suite(void);
Suite *units_suite(void);
Suite *upstream_suite(void);
Suite *uri_suite(void);

#endif
