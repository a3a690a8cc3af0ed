/*
 * test/unit/test_uri.c: forward-proxy request targets (common/uri.h).
 *
 * One table, absolute-form and authority-form rows: each row is an input
 * (explicit length, so a NUL is a real byte) and either -1 or the slices
 * it gives: scheme, host, authority, port, path. Every row is parsed from
 * a copy whose last byte sits right before a PROT_NONE page, so reading
 * one byte too far is a SIGSEGV; the slices must lie inside the input
 * (but for the "/" an absent path stands for). Every proper prefix of
 * every row is parsed the same way: it must not crash, must answer 0 or
 * -1, and a prefix taken must give slices inside the prefix.
 */
#include <check.h>
#include <string.h>

#include "common/uri.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

#define IN(s)       .in = (s), .len = sizeof(s) - 1

typedef struct ucase {
    const char *name;
    const char *in;
    size_t      len;
    int         conn;           /* authority-form (CONNECT) */
    int         bad;            /* must be refused */

    /* what a taken target gives (scheme, path: absolute-form only) */
    const char *scheme;
    const char *host;
    const char *authority;
    unsigned    port;
    const char *path;           /* NULL: absent, "/" not in the input */
} ucase_t;

#define ABS(n, s)   .name = (n), IN(s)
#define CONN(n, s)  .name = (n), IN(s), .conn = 1
#define BAD         .bad = 1

static const ucase_t cases[] = {
    /* ---- absolute-form, taken ---- */
    { ABS("host, path and query", "http://example.com/path?q=1"),
      .scheme = "http", .host = "example.com", .authority = "example.com",
      .port = 80, .path = "/path?q=1" },
    { ABS("scheme and host in capitals, no path", "HTTP://Example.COM"),
      .scheme = "HTTP", .host = "Example.COM", .authority = "Example.COM",
      .port = 80 },
    { ABS("scheme in mixed case", "HtTp://h/"),
      .scheme = "HtTp", .host = "h", .authority = "h", .port = 80,
      .path = "/" },
    { ABS("no path", "http://h"),
      .scheme = "http", .host = "h", .authority = "h", .port = 80 },
    { ABS("path /", "http://h/"),
      .scheme = "http", .host = "h", .authority = "h", .port = 80,
      .path = "/" },
    { ABS("port 1", "http://h:1/"),
      .scheme = "http", .host = "h", .authority = "h:1", .port = 1,
      .path = "/" },
    { ABS("port 8080", "http://example.com:8080/x"),
      .scheme = "http", .host = "example.com",
      .authority = "example.com:8080", .port = 8080, .path = "/x" },
    { ABS("port 65535, no path", "http://h:65535"),
      .scheme = "http", .host = "h", .authority = "h:65535", .port = 65535 },
    { ABS("port 80 written out", "http://h:80/"),
      .scheme = "http", .host = "h", .authority = "h:80", .port = 80,
      .path = "/" },
    { ABS("port with a leading zero", "http://h:080/"),
      .scheme = "http", .host = "h", .authority = "h:080", .port = 80,
      .path = "/" },
    { ABS("port of 5 digits, leading zeros", "http://h:00080/"),
      .scheme = "http", .host = "h", .authority = "h:00080", .port = 80,
      .path = "/" },
    { ABS("port 00001", "http://h:00001/"),
      .scheme = "http", .host = "h", .authority = "h:00001", .port = 1,
      .path = "/" },
    { ABS("IPv4 host", "http://1.2.3.4:81/a"),
      .scheme = "http", .host = "1.2.3.4", .authority = "1.2.3.4:81",
      .port = 81, .path = "/a" },
    { ABS("IPv6 with port", "http://[::1]:8080/x"),
      .scheme = "http", .host = "::1", .authority = "[::1]:8080",
      .port = 8080, .path = "/x" },
    { ABS("IPv6 without port", "http://[::1]/"),
      .scheme = "http", .host = "::1", .authority = "[::1]", .port = 80,
      .path = "/" },
    { ABS("IPv6, no path", "http://[::1]"),
      .scheme = "http", .host = "::1", .authority = "[::1]", .port = 80 },
    { ABS("IPv6, no path, port", "http://[::1]:81"),
      .scheme = "http", .host = "::1", .authority = "[::1]:81", .port = 81 },
    { ABS("IPv6 in capitals", "http://[2001:DB8::a]/"),
      .scheme = "http", .host = "2001:DB8::a", .authority = "[2001:DB8::a]",
      .port = 80, .path = "/" },
    { ABS("IPv4-mapped IPv6", "http://[::ffff:1.2.3.4]:443/"),
      .scheme = "http", .host = "::ffff:1.2.3.4",
      .authority = "[::ffff:1.2.3.4]:443", .port = 443, .path = "/" },
    { ABS("name of '-', '.', '_' and digits", "http://a_b.ex-1.COM/"),
      .scheme = "http", .host = "a_b.ex-1.COM", .authority = "a_b.ex-1.COM",
      .port = 80, .path = "/" },
    { ABS("query after /", "http://h/?q"),
      .scheme = "http", .host = "h", .authority = "h", .port = 80,
      .path = "/?q" },
    { ABS("port and query", "http://h:81/p?a=1&b=2"),
      .scheme = "http", .host = "h", .authority = "h:81", .port = 81,
      .path = "/p?a=1&b=2" },
    { ABS("path //x", "http://h//x"),
      .scheme = "http", .host = "h", .authority = "h", .port = 80,
      .path = "//x" },
    { ABS("'@' in the path is not userinfo", "http://h/@x"),
      .scheme = "http", .host = "h", .authority = "h", .port = 80,
      .path = "/@x" },
    { ABS("':' in the path", "http://h/a:b"),
      .scheme = "http", .host = "h", .authority = "h", .port = 80,
      .path = "/a:b" },
    /* a fragment is refused wherever it starts (never sent on the wire) */
    { ABS("'#' inside the path", "http://h/#f"), BAD },
    { ABS("'#' after a query", "http://h/p?q#f"), BAD },

    /* ---- absolute-form, refused: not http:// ---- */
    { ABS("empty", ""), BAD },
    { ABS("a name", "h"), BAD },
    { ABS("http", "http"), BAD },
    { ABS("http:/", "http:/"), BAD },
    { ABS("http:/h/", "http:/h/"), BAD },
    { ABS("http:h/", "http:h/"), BAD },
    { ABS("https", "https://h/"), BAD },
    { ABS("ftp", "ftp://h/"), BAD },
    { ABS("ws", "ws://h/"), BAD },
    { ABS("httpx", "httpx://h/"), BAD },
    { ABS("space first", " http://h/"), BAD },
    { ABS("origin-form", "/x"), BAD },
    { ABS("asterisk-form", "*"), BAD },
    { ABS("authority-form", "h:80"), BAD },
    /* no host */
    { ABS("http:// alone", "http://"), BAD },
    { ABS("empty host, path", "http:///x"), BAD },
    { ABS("empty host, port", "http://:80/"), BAD },
    { ABS("empty host, query", "http://?q"), BAD },
    /* ports */
    { ABS("port 0", "http://h:0/"), BAD },
    { ABS("port 00000", "http://h:00000/"), BAD },
    { ABS("port 65536", "http://h:65536/"), BAD },
    { ABS("port 99999", "http://h:99999/"), BAD },
    { ABS("port of 6 digits", "http://h:000080/"), BAD },
    { ABS("port 2^32 + 80", "http://h:4294967376/"), BAD },
    { ABS("empty port", "http://h:/"), BAD },
    { ABS("empty port, no path", "http://h:"), BAD },
    { ABS("port 8a", "http://h:8a/"), BAD },
    { ABS("port a", "http://h:a/"), BAD },
    { ABS("port +80", "http://h:+80/"), BAD },
    { ABS("port -1", "http://h:-1/"), BAD },
    { ABS("space before the port", "http://h: 80/"), BAD },
    { ABS("space after the port", "http://h:80 /"), BAD },
    { ABS("two ports", "http://h:1:2/"), BAD },
    { ABS("port NUL", "http://h:8\0/"), BAD },
    /* IPv6 */
    { ABS("empty brackets", "http://[]/"), BAD },
    { ABS("no ']', path", "http://[::1/"), BAD },
    { ABS("no ']'", "http://[::1"), BAD },
    { ABS("'g' in IPv6", "http://[g::1]/"), BAD },
    { ABS("zone id", "http://[fe80::1%25eth0]/"), BAD },
    { ABS("space in brackets", "http://[ ::1]/"), BAD },
    { ABS("nested brackets", "http://[[::1]]/"), BAD },
    { ABS("two ']'", "http://[::1]]/"), BAD },
    { ABS("junk after ']'", "http://[::1]x/"), BAD },
    { ABS("IPv6 empty port", "http://[::1]:/"), BAD },
    { ABS("IPv6 port 0", "http://[::1]:0/"), BAD },
    { ABS("IPv6 port 65536", "http://[::1]:65536/"), BAD },
    { ABS("IPv6 two ports", "http://[::1]:80:80/"), BAD },
    { ABS("IPv6 without brackets", "http://::1/"), BAD },
    { ABS("IPv6 without brackets, port", "http://::1:80/"), BAD },
    { ABS("']' alone", "http://]/"), BAD },
    /* userinfo */
    { ABS("user@", "http://user@host/"), BAD },
    { ABS("user:password@", "http://u:p@host/"), BAD },
    { ABS("empty userinfo", "http://@host/"), BAD },
    { ABS("'@' at the end of the authority", "http://host@/"), BAD },
    { ABS("userinfo, no path", "http://u@h"), BAD },
    { ABS("userinfo before IPv6", "http://u@[::1]/"), BAD },
    { ABS("userinfo with port", "http://u@h:80/"), BAD },
    /* a fragment or a query right after the authority */
    { ABS("fragment, no path", "http://h#f"), BAD },
    { ABS("'#' alone", "http://h#"), BAD },
    { ABS("query, no path", "http://h?q"), BAD },
    { ABS("'?' alone", "http://h?"), BAD },
    { ABS("port, query, no path", "http://h:80?q"), BAD },
    { ABS("port, fragment, no path", "http://h:80#f"), BAD },
    { ABS("IPv6, query, no path", "http://[::1]?q"), BAD },
    { ABS("'#' hiding an '@'", "http://h#@evil/"), BAD },
    /* host characters outside [A-Za-z0-9-._] */
    { ABS("space in host", "http://a b/"), BAD },
    { ABS("space after host", "http://h /"), BAD },
    { ABS("percent-encoded host", "http://a%41/"), BAD },
    { ABS("'!' in host", "http://a!b/"), BAD },
    { ABS("',' in host", "http://a,b/"), BAD },
    { ABS("';' in host", "http://a;b/"), BAD },
    { ABS("'\\' in host", "http://a\\b/"), BAD },
    { ABS("'~' in host", "http://a~b/"), BAD },
    { ABS("'+' in host", "http://a+b/"), BAD },
    { ABS("'=' in host", "http://a=b/"), BAD },
    { ABS("'*' in host", "http://a*b/"), BAD },
    { ABS("'$' in host", "http://a$b/"), BAD },
    { ABS("NUL in host", "http://a\0b/"), BAD },
    { ABS("NUL ends the host", "http://h\0"), BAD },
    { ABS("CR LF in host", "http://h\r\n/"), BAD },
    { ABS("tab in host", "http://h\t/"), BAD },
    { ABS("UTF-8 in host", "http://\xc3\xa4/"), BAD },
    { ABS("byte 0xff in host", "http://h\xff/"), BAD },

    /* ---- authority-form, taken ---- */
    { CONN("name and port", "example.com:443"),
      .host = "example.com", .authority = "example.com:443", .port = 443 },
    { CONN("IPv6 and port", "[::1]:443"),
      .host = "::1", .authority = "[::1]:443", .port = 443 },
    { CONN("IPv4 and port", "1.2.3.4:80"),
      .host = "1.2.3.4", .authority = "1.2.3.4:80", .port = 80 },
    { CONN("port 1", "h:1"),
      .host = "h", .authority = "h:1", .port = 1 },
    { CONN("port 65535", "h:65535"),
      .host = "h", .authority = "h:65535", .port = 65535 },
    { CONN("port with a leading zero", "h:0443"),
      .host = "h", .authority = "h:0443", .port = 443 },
    { CONN("name in capitals, '-', '_'", "Ex_a-MPLE.com:8443"),
      .host = "Ex_a-MPLE.com", .authority = "Ex_a-MPLE.com:8443",
      .port = 8443 },

    /* ---- authority-form, refused ---- */
    { CONN("empty", ""), BAD },
    { CONN("no port", "example.com"), BAD },
    { CONN("IPv6, no port", "[::1]"), BAD },
    { CONN("empty port", "host:"), BAD },
    { CONN("IPv6, empty port", "[::1]:"), BAD },
    { CONN("port 0", "host:0"), BAD },
    { CONN("port 65536", "host:65536"), BAD },
    { CONN("port of 6 digits", "host:000443"), BAD },
    { CONN("port 44 3", "host:44 3"), BAD },
    { CONN("no host", ":443"), BAD },
    { CONN("empty brackets", "[]:443"), BAD },
    { CONN("no ']'", "[::1:443"), BAD },
    { CONN("'g' in IPv6", "[g::1]:443"), BAD },
    { CONN("userinfo", "user@host:443"), BAD },
    { CONN("user:password", "u:p@host:443"), BAD },
    { CONN("empty userinfo", "@host:443"), BAD },
    { CONN("'@' after the port", "host:443@"), BAD },
    { CONN("path after the port", "host:443/"), BAD },
    { CONN("query after the port", "host:443?x"), BAD },
    { CONN("absolute-form", "http://h:80"), BAD },
    { CONN("space before ':'", "host :443"), BAD },
    { CONN("'#' in host", "h#:443"), BAD },
    { CONN("'%' in host", "h%41:443"), BAD },
    { CONN("NUL after the port", "host:443\0"), BAD },
    { CONN("NUL in host", "ho\0st:443"), BAD },
};

/* ---- checking ---------------------------------------------------------- */

static int
parse(const ucase_t *c, const char *buf, size_t len, gw_uri_t *u)
{
    gw_str_t t = { buf, len };

    /* what the parser does not set must not be left over */
    memset(u, 0x5a, sizeof(*u));
    return c->conn ? gw_uri_parse_authority(t, u)
                   : gw_uri_parse_absolute(t, u);
}

static int
inside(gw_str_t s, const char *base, size_t len)
{
    return s.data >= base && s.len <= len
           && (size_t) (s.data - base) <= len - s.len;
}

/* S is WANT and lies inside BASE[0 .. len); WANT NULL: S is empty. */
static void
slice_is(const ucase_t *c, const char *what, gw_str_t s, const char *want,
         const char *base, size_t len)
{
    if (want == NULL) {
        ck_assert_msg(s.data == NULL && s.len == 0,
                      "%s: %s is \"%.*s\", want none", c->name, what,
                      s.data ? (int) s.len : 0, s.data ? s.data : "");
        return;
    }
    ck_assert_msg(s.data != NULL && s.len == strlen(want)
                  && memcmp(s.data, want, s.len) == 0,
                  "%s: %s is \"%.*s\", want \"%s\"", c->name, what,
                  s.data ? (int) s.len : 0, s.data ? s.data : "", want);
    ck_assert_msg(inside(s, base, len), "%s: %s outside the input", c->name,
                  what);
}

static void
expect_uri(const ucase_t *c, const gw_uri_t *u, const char *base)
{
    slice_is(c, "scheme", u->scheme, c->scheme, base, c->len);
    slice_is(c, "host", u->host, c->host, base, c->len);
    slice_is(c, "authority", u->authority, c->authority, base, c->len);
    ck_assert_msg(u->port == c->port, "%s: port %u, want %u", c->name,
                  (unsigned) u->port, c->port);
    if (c->conn) {
        slice_is(c, "path", u->path, NULL, base, c->len);
    } else if (c->path == NULL) {
        /* absent: "/", which the target does not hold */
        ck_assert_msg(u->path.len == 1 && u->path.data != NULL
                      && u->path.data[0] == '/',
                      "%s: path \"%.*s\", want \"/\"", c->name,
                      u->path.data ? (int) u->path.len : 0,
                      u->path.data ? u->path.data : "");
    } else {
        slice_is(c, "path", u->path, c->path, base, c->len);
    }
    /* the authority is the host, brackets and port as written */
    ck_assert_msg(u->host.data > u->authority.data
                  ? u->host.data == u->authority.data + 1
                    && u->authority.data[0] == '['
                  : u->host.data == u->authority.data,
                  "%s: host not at the start of the authority", c->name);
}

/* A prefix taken: sane slices inside it. */
static void
expect_sane(const ucase_t *c, size_t k, const gw_uri_t *u, const char *base)
{
    ck_assert_msg(u->host.len > 0 && inside(u->host, base, k)
                  && inside(u->authority, base, k)
                  && u->host.len <= u->authority.len && u->port != 0,
                  "%s (prefix %zu): bad slices", c->name, k);
    if (!c->conn) {
        ck_assert_msg(inside(u->scheme, base, k) && u->scheme.len == 4
                      && u->path.len > 0 && u->path.data[0] == '/'
                      && (inside(u->path, base, k) || u->path.len == 1),
                      "%s (prefix %zu): bad scheme or path", c->name, k);
    }
}

START_TEST(test_uri_case)
{
    const ucase_t *c = &cases[_i];
    ut_guard_t     g;
    gw_uri_t       u;
    char          *buf = ut_guard_new(&g, c->in, c->len);
    int            r = parse(c, buf, c->len, &u);

    if (c->bad) {
        ck_assert_msg(r == -1, "%s: \"%.*s\" taken (%d)", c->name,
                      (int) c->len, c->in, r);
    } else {
        ck_assert_msg(r == 0, "%s: \"%.*s\" refused (%d)", c->name,
                      (int) c->len, c->in, r);
        expect_uri(c, &u, buf);
    }

    /* every proper prefix, against the guard page too */
    for (size_t k = 0; k < c->len; k++) {
        buf = ut_guard_put(&g, c->in, k);
        r = parse(c, buf, k, &u);
        ck_assert_msg(r == 0 || r == -1, "%s (prefix %zu): returned %d",
                      c->name, k, r);
        if (r == 0) {
            expect_sane(c, k, &u, buf);
        }
    }
    ut_guard_free(&g);
}
END_TEST

Suite *
uri_suite(void)
{
    Suite *s = suite_create("uri");
    TCase *tc = tcase_create("targets");

    tcase_add_loop_test(tc, test_uri_case, 0, (int) gw_nelems(cases));
    suite_add_tcase(s, tc);
    return s;
}
