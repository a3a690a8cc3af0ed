/*
 * test/unit/test_http_route.c: routing by Go's ServeMux rules
 * (worker/http_route.h) and the helpers the router is fed with.
 *
 * Locations are built by hand (in two orders: the answer must not depend
 * on the order of the file) and loaded from a configuration file. The
 * Host header goes through gw_http_host_name and the target through
 * gw_http_target_path first, as http_reverse does.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "worker/http_route.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

#define LOC(pat, h, p, sub) \
    { .pattern = (pat), .host = (h), .path = (p), .subtree = (sub) }

static gw_conf_location_t mux_locs[] = {
    LOC("/",                        "",                   "/",          1),
    LOC("/api/",                    "",                   "/api/",      1),
    LOC("/api/v1/",                 "",                   "/api/v1/",   1),
    LOC("/api/v1/exact",            "",                   "/api/v1/exact", 0),
    LOC("/a",                       "",                   "/a",         0),
    LOC("/a/",                      "",                   "/a/",        1),
    LOC("api.example.com/",         "api.example.com",    "/",          1),
    LOC("api.example.com/special",  "api.example.com",    "/special",   0),
    LOC("static.example.com/img/",  "static.example.com", "/img/",      1),
};

static const struct {
    const char *host;           /* the Host header, NULL: none */
    const char *target;
    const char *want;           /* pattern, NULL: no match */
} mux_cases[] = {
    { "x.com",                "/",                   "/" },
    { "x.com",                "/anything/deep",      "/" },
    { "x.com",                "/api",                "/" },
    { "x.com",                "/api/",               "/api/" },
    { "x.com",                "/api/x",              "/api/" },
    { "x.com",                "/api/x?q=/api/v1/",   "/api/" },
    { "x.com",                "/api/v1",             "/api/" },
    { "x.com",                "/api/v1/",            "/api/v1/" },
    { "x.com",                "/api/v1/users?id=1",  "/api/v1/" },
    { "x.com",                "/api/v1/exact",       "/api/v1/exact" },
    { "x.com",                "/api/v1/exact?x=1",   "/api/v1/exact" },
    { "x.com",                "/api/v1/exact/",      "/api/v1/" },
    { "x.com",                "/api/v1/exactly",     "/api/v1/" },
    { "x.com",                "/a",                  "/a" },
    { "x.com",                "/a?b",                "/a" },
    { "x.com",                "/a/",                 "/a/" },
    { "x.com",                "/a/b",                "/a/" },
    { "x.com",                "/ab",                 "/" },
    { "x.com",                "/API/",               "/" },
    { NULL,                   "/api/x",              "/api/" },
    /* a pattern with a host wins whatever its length */
    { "api.example.com",      "/api/v1/users",       "api.example.com/" },
    { "api.example.com",      "/",                   "api.example.com/" },
    { "api.example.com",      "/special",            "api.example.com/special" },
    { "api.example.com",      "/special?x",          "api.example.com/special" },
    { "api.example.com",      "/special/x",          "api.example.com/" },
    /* host: any case, no port */
    { "API.Example.COM",      "/x",                  "api.example.com/" },
    { "api.example.com:8080", "/x",                  "api.example.com/" },
    { "API.EXAMPLE.COM:80",   "/special",            "api.example.com/special" },
    /* host patterns that do not match the path: host-less ones decide */
    { "static.example.com",   "/img/a.png",          "static.example.com/img/" },
    { "static.example.com:81", "/img/",              "static.example.com/img/" },
    { "static.example.com",   "/img",                "/" },
    { "static.example.com",   "/css/a.css",          "/" },
    { "static.example.com",   "/api/v1/x",           "/api/v1/" },
    /* the whole host, not a suffix or prefix */
    { "example.com",          "/img/a.png",          "/" },
    { "sub.api.example.com",  "/x",                  "/" },
    { "api.example.co",       "/x",                  "/" },
    { "api.example.com.evil", "/api/",               "/api/" },
    { "",                     "/special",            "/" },
};

static void
route_case(const gw_conf_listener_t *ls, unsigned i)
{
    gw_str_t                  host = { "", 0 };
    const gw_conf_location_t *loc;

    if (mux_cases[i].host) {
        host = gw_http_host_name(gw_str(mux_cases[i].host));
    }
    loc = gw_http_route(ls, host, gw_http_target_path(gw_str(mux_cases[i].target)));
    if (mux_cases[i].want == NULL) {
        ck_assert_msg(loc == NULL, "%s %s: routed to %s", mux_cases[i].host,
                      mux_cases[i].target, loc->pattern);
        return;
    }
    ck_assert_msg(loc != NULL, "%s %s: no match, want %s", mux_cases[i].host,
                  mux_cases[i].target, mux_cases[i].want);
    ck_assert_msg(strcmp(loc->pattern, mux_cases[i].want) == 0,
                  "%s %s: routed to %s, want %s", mux_cases[i].host,
                  mux_cases[i].target, loc->pattern, mux_cases[i].want);
}

START_TEST(test_route_mux)
{
    gw_conf_listener_t ls;

    memset(&ls, 0, sizeof(ls));
    ls.locations = mux_locs;
    ls.n_locations = gw_nelems(mux_locs);
    route_case(&ls, (unsigned) _i);
}
END_TEST

/* The same table with the locations in the reverse order. */
START_TEST(test_route_mux_reversed)
{
    gw_conf_location_t rev[gw_nelems(mux_locs)];
    gw_conf_listener_t ls;

    for (size_t i = 0; i < gw_nelems(mux_locs); i++) {
        rev[i] = mux_locs[gw_nelems(mux_locs) - 1 - i];
    }
    memset(&ls, 0, sizeof(ls));
    ls.locations = rev;
    ls.n_locations = gw_nelems(rev);
    route_case(&ls, (unsigned) _i);
}
END_TEST

/* Without a "/" location, paths nothing covers find nothing. */
START_TEST(test_route_no_match)
{
    static gw_conf_location_t locs[] = {
        LOC("/api/",      "",          "/api/",  1),
        LOC("/exact",     "",          "/exact", 0),
        LOC("b.example/", "b.example", "/",      1),
    };
    gw_conf_listener_t ls;

    memset(&ls, 0, sizeof(ls));
    ck_assert_ptr_null(gw_http_route(&ls, gw_str("x"), gw_str("/")));
    ls.locations = locs;
    ls.n_locations = gw_nelems(locs);
    ck_assert_ptr_null(gw_http_route(&ls, gw_str("x"), gw_str("/")));
    ck_assert_ptr_null(gw_http_route(&ls, gw_str("x"), gw_str("/other")));
    ck_assert_ptr_null(gw_http_route(&ls, gw_str("x"), gw_str("/exact/")));
    ck_assert_ptr_null(gw_http_route(&ls, gw_str("x"), gw_str("/exactly")));
    ck_assert_ptr_null(gw_http_route(&ls, gw_str("x"), gw_str("/api")));
    ck_assert_ptr_null(gw_http_route(&ls, gw_str("x"), gw_str("/ap")));
    ck_assert_ptr_null(gw_http_route(&ls, gw_str(""), gw_str("/")));
    ck_assert_ptr_null(gw_http_route(&ls, gw_str("b.example.org"), gw_str("/")));
    ck_assert_ptr_eq(gw_http_route(&ls, gw_str("x"), gw_str("/exact")), &locs[1]);
    ck_assert_ptr_eq(gw_http_route(&ls, gw_str("x"), gw_str("/api/")), &locs[0]);
    ck_assert_ptr_eq(gw_http_route(&ls, gw_str("B.Example"), gw_str("/z")),
                     &locs[2]);
}
END_TEST

/* A configuration file, as the worker gets it. */
START_TEST(test_route_from_conf)
{
    static const char text[] =
        "listener x {\n"
        "    listen 127.0.0.1:1;\n"
        "    handler http_reverse;\n"
        "    location /api/ { proxy_pass 127.0.0.1:2; }\n"
        "    location /api/v2/ { proxy_pass 127.0.0.1:3; }\n"
        "    location /health { proxy_pass 127.0.0.1:4; }\n"
        "    location www.example.com/ { proxy_pass 127.0.0.1:5; }\n"
        "    location Docs.Example.COM/ { proxy_pass 127.0.0.1:6; }\n"
        "}\n";
    char                     *dir = ut_mkdir(), *path, err[GW_CONF_ERR_LEN];
    gw_conf_t                *conf;
    const gw_conf_listener_t *ls;
    const gw_conf_location_t *loc;

    ut_write(dir, "gateway.conf", text);
    path = ut_join(dir, "gateway.conf");
    conf = gw_conf_load(path, NULL, err, sizeof(err));
    ck_assert_msg(conf != NULL, "%s", err);
    ck_assert_uint_eq(conf->n_listeners, 1);
    ls = conf->listeners[0];
    ck_assert_uint_eq(ls->n_locations, 5);

#define ROUTE(h, p) gw_http_route(ls, gw_http_host_name(gw_str(h)), \
                                  gw_http_target_path(gw_str(p)))
    loc = ROUTE("a", "/api/v2/x");
    ck_assert(loc && strcmp(loc->pattern, "/api/v2/") == 0);
    ck_assert_str_eq(loc->proxy_pass.text, "127.0.0.1:3");
    loc = ROUTE("a", "/api/v1/x");
    ck_assert(loc && strcmp(loc->pattern, "/api/") == 0);
    loc = ROUTE("a", "/health?full=1");
    ck_assert(loc && strcmp(loc->pattern, "/health") == 0);
    ck_assert_ptr_null(ROUTE("a", "/health/"));
    ck_assert_ptr_null(ROUTE("a", "/"));
    loc = ROUTE("WWW.example.com:8080", "/api/v2/x");
    ck_assert(loc && strcmp(loc->pattern, "www.example.com/") == 0);
    /* a pattern's host written in capitals matches too: case-insensitive */
    loc = ROUTE("docs.example.com", "/intro");
    ck_assert_msg(loc && strcmp(loc->pattern, "Docs.Example.COM/") == 0,
                  "Host docs.example.com routed to %s, want Docs.Example.COM/",
                  loc ? loc->pattern : "nothing");
#undef ROUTE
    gw_conf_free(conf);
    free(path);
    free(dir);
}
END_TEST

/* ---- helpers ----------------------------------------------------------- */

static const struct {
    const char *in;
    const char *out;
} paths[] = {
    { "/a?b",       "/a" },
    { "/a",         "/a" },
    { "/?x",        "/" },
    { "/a?b?c",     "/a" },
    { "/a/b/?",     "/a/b/" },
    { "?x",         "" },
    { "",           "" },
};

START_TEST(test_route_target_path)
{
    gw_str_t p = gw_http_target_path(gw_str(paths[_i].in));

    ck_assert_msg(gw_str_eq(p, paths[_i].out), "\"%s\": \"%.*s\", want \"%s\"",
                  paths[_i].in, (int) p.len, p.data, paths[_i].out);
}
END_TEST

static const struct {
    const char *in;
    const char *out;
} hosts[] = {
    { "a.b:80",         "a.b" },
    { "a.b",            "a.b" },
    { "A.B:443",        "A.B" },
    { "1.2.3.4:8080",   "1.2.3.4" },
    { "1.2.3.4",        "1.2.3.4" },
    { "[::1]:8080",     "[::1]" },
    { "[::1]",          "[::1]" },
    { "[::]:80",        "[::]" },
    { "[fe80::1]",      "[fe80::1]" },
    { "[2001:db8::12]", "[2001:db8::12]" },
    { "[2001:db8::12]:1", "[2001:db8::12]" },
    { "localhost:1",    "localhost" },
    { "",               "" },
    /* an empty port is a valid authority (RFC 3986 3.2.3): no port */
    { "a.b:",           "a.b" },
};

START_TEST(test_route_host_name)
{
    ut_guard_t g;
    char      *buf = ut_guard_new(&g, hosts[_i].in, strlen(hosts[_i].in));
    gw_str_t   in = { buf, strlen(hosts[_i].in) };
    gw_str_t   h = gw_http_host_name(in);

    ck_assert_msg(gw_str_eq(h, hosts[_i].out), "\"%s\": \"%.*s\", want \"%s\"",
                  hosts[_i].in, (int) h.len, h.data, hosts[_i].out);
    ck_assert_ptr_eq(h.data, buf);
    ut_guard_free(&g);
}
END_TEST

static const struct {
    const char *path;
    int         dots;
} dots[] = {
    { "/a/../b",    1 },
    { "/./",        1 },
    { "/..",        1 },
    { "/a/..",      1 },
    { "/a/.",       1 },
    { "/.",         1 },
    { "/../",       1 },
    { "/a/./b",     1 },
    { "//..//",     1 },
    { "..",         1 },
    { ".",          1 },
    { "/a..b",      0 },
    { "/.hidden",   0 },
    { "/...",       0 },
    { "/a/...",     0 },
    { "/..a",       0 },
    { "/a.",        0 },
    { "/a./b",      0 },
    { "/.a./",      0 },
    { "/",          0 },
    { "//",         0 },
    { "",           0 },
    { "/a/b/c",     0 },
};

START_TEST(test_route_path_has_dots)
{
    ut_guard_t g;
    char      *buf = ut_guard_new(&g, dots[_i].path, strlen(dots[_i].path));
    gw_str_t   p = { buf, strlen(dots[_i].path) };

    ck_assert_msg(gw_http_path_has_dots(p) == dots[_i].dots, "\"%s\": want %d",
                  dots[_i].path, dots[_i].dots);
    ut_guard_free(&g);
}
END_TEST

/*
 * "%2e" is "." (RFC 3986 2.3 and 6.2.2.2: normalizers decode it), so an
 * origin folds "/%2e%2e/" as it folds "/../": the check that keeps
 * "/public/../admin" from being routed by its "/public/" prefix must see
 * it too.
 */
static const struct {
    const char *path;
    int         dots;
} encoded_dots[] = {
    { "/public/%2e%2e/admin",   1 },
    { "/public/%2E%2E/admin",   1 },
    { "/public/.%2e/admin",     1 },
    { "/public/%2e/admin",      1 },
    { "/public/%2e%2ex/admin",  0 },
    { "/public/%2f/admin",      0 },
};

START_TEST(test_route_path_has_encoded_dots)
{
    gw_str_t p = gw_str(encoded_dots[_i].path);

    ck_assert_msg(gw_http_path_has_dots(p) == encoded_dots[_i].dots,
                  "\"%s\": want %d", encoded_dots[_i].path,
                  encoded_dots[_i].dots);
}
END_TEST

Suite *
http_route_suite(void)
{
    Suite *s = suite_create("http_route");
    TCase *tc = tcase_create("route");
    TCase *help = tcase_create("helpers");

    tcase_add_loop_test(tc, test_route_mux, 0, (int) gw_nelems(mux_cases));
    tcase_add_loop_test(tc, test_route_mux_reversed, 0,
                        (int) gw_nelems(mux_cases));
    tcase_add_test(tc, test_route_no_match);
    tcase_add_test(tc, test_route_from_conf);
    suite_add_tcase(s, tc);

    tcase_add_loop_test(help, test_route_target_path, 0,
                        (int) gw_nelems(paths));
    tcase_add_loop_test(help, test_route_host_name, 0, (int) gw_nelems(hosts));
    tcase_add_loop_test(help, test_route_path_has_dots, 0,
                        (int) gw_nelems(dots));
    tcase_add_loop_test(help, test_route_path_has_encoded_dots, 0,
                        (int) gw_nelems(encoded_dots));
    suite_add_tcase(s, help);
    return s;
}
