/*
 * test/unit/test_lexer.c: the configuration tokenizer (conf/lexer.h).
 *
 * Every case is fed as a string whose NUL is the last byte before a
 * PROT_NONE page, so reading past the end crashes, and again as a file.
 * A larger input is also fed cut at every offset (each prefix must lex to
 * a prefix of the whole, or fail cleanly) and split at every blank into
 * two stacked sources (the tokens must not change).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pool.h"
#include "conf/lexer.h"
#include "test/unit/suites.h"
#include "test/unit/util.h"

#define MAX_TOKENS 256

typedef struct tok {
    int      kind;
    char     text[128];
    unsigned quoted;
    int      line;
} tok_t;

/* Tokens up to and including EOF or ERROR. */
static unsigned
lex_all(gw_lexer_t *lx, tok_t *out, unsigned max, char *err, size_t errlen)
{
    unsigned n = 0;

    err[0] = '\0';
    while (n < max) {
        gw_token_t t;

        gw_lexer_next(lx, &t, err, errlen);
        out[n].kind = t.kind;
        out[n].quoted = t.quoted;
        out[n].line = t.line;
        out[n].text[0] = '\0';
        if (t.kind == GW_TOK_WORD) {
            ck_assert_ptr_nonnull(t.text);
            ck_assert_uint_eq(strlen(t.text), t.len);
            ck_assert_uint_lt(t.len, sizeof(out[n].text));
            memcpy(out[n].text, t.text, t.len + 1);
        }
        n++;
        if (t.kind == GW_TOK_EOF || t.kind == GW_TOK_ERROR) {
            return n;
        }
    }
    ck_abort_msg("lexer did not stop within %u tokens", max);
    return n;
}

static const char *
symbol(int kind)
{
    switch (kind) {
    case GW_TOK_SEMI:   return ";";
    case GW_TOK_LBRACE: return "{";
    case GW_TOK_RBRACE: return "}";
    case GW_TOK_EOF:    return "$";
    default:            return "!";
    }
}

/* w(word) q(quoted) ; { } $ (end) ! (error), optionally @LINE each. */
static void
render(const tok_t *t, unsigned n, int lines, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < n && len < size; i++) {
        const char *sep = i ? " " : "";
        int         w;

        switch (t[i].kind) {
        case GW_TOK_WORD:
            w = snprintf(buf + len, size - len, "%s%c(%s)", sep,
                         t[i].quoted ? 'q' : 'w', t[i].text);
            break;
        default:
            w = snprintf(buf + len, size - len, "%s%s", sep,
                         symbol(t[i].kind));
            break;
        }
        len += (size_t) w;
        if (lines && t[i].kind != GW_TOK_ERROR && len < size) {
            len += (size_t) snprintf(buf + len, size - len, "@%d", t[i].line);
        }
    }
}

typedef struct lex_case {
    const char *in;
    const char *out;
    int         err_line;       /* for "!": the line the error names */
} lex_case_t;

static const lex_case_t cases[] = {
    /* words, separators, blanks */
    { "a b;",                       "w(a) w(b) ; $", 0 },
    { "a{b;}",                      "w(a) { w(b) ; } $", 0 },
    { "  \t\r\n a  ;\n",            "w(a) ; $", 0 },
    { "",                           "$", 0 },
    { " \n\n\t ",                   "$", 0 },
    { "w",                          "w(w) $", 0 },
    { "listen 127.0.0.1:80 backlog=5;",
      "w(listen) w(127.0.0.1:80) w(backlog=5) ; $", 0 },
    /* comments: '#' starts one only where a word could start */
    { "# only a comment",           "$", 0 },
    { "# c\na; # d\nb;#e",          "w(a) ; w(b) ; $", 0 },
    { "a#b;",                       "w(a#b) ; $", 0 },
    { "a #b;\nc;",                  "w(a) w(c) ; $", 0 },
    /* quotes: separators and '#' are plain text inside */
    { "\"a b\";",                   "q(a b) ; $", 0 },
    { "'a;b' c;",                   "q(a;b) w(c) ; $", 0 },
    { "\"a{b}#c\";",                "q(a{b}#c) ; $", 0 },
    { "\"it's\";",                  "q(it's) ; $", 0 },
    { "'say \"hi\"';",              "q(say \"hi\") ; $", 0 },
    { "\"\";",                      "q() ; $", 0 },
    { "''{",                        "q() { $", 0 },
    { "\"a\"{",                     "q(a) { $", 0 },
    { "\"a\";\"b\"}",               "q(a) ; q(b) } $", 0 },
    { "\"a\" \t'b';",               "q(a) q(b) ; $", 0 },
    /* escapes: \" \' \\ \n \r \t resolve; any other keeps its backslash */
    { "\"a\\\"b\";",                "q(a\"b) ; $", 0 },
    { "'a\\'b';",                   "q(a'b) ; $", 0 },
    { "\"\\\\\";",                  "q(\\) ; $", 0 },
    { "\"\\n\\t\\r\";",             "q(\n\t\r) ; $", 0 },
    { "\"x\\q\\/\";",               "q(x\\q\\/) ; $", 0 },
    { "'\\\\\\''",                  "q(\\') $", 0 },
    { "a\\\"b\\\\c;",               "w(a\"b\\c) ; $", 0 },
    /* errors */
    { "\"a\"b;",                    "!", 1 },
    { "\"a\"#c;",                   "!", 1 },
    { "\"abc",                      "!", 1 },
    { "'abc",                       "!", 1 },
    { "a;\n\"b",                    "w(a) ; !", 2 },
    { "\"a\\",                      "!", 1 },
    { "\"a\\\"",                    "!", 1 },
};

static void
check_case(const lex_case_t *c, gw_lexer_t *lx, const char *name)
{
    tok_t    toks[MAX_TOKENS];
    char     got[1024], err[256], suffix[300];
    unsigned n = lex_all(lx, toks, MAX_TOKENS, err, sizeof(err));

    render(toks, n, 0, got, sizeof(got));
    ck_assert_msg(strcmp(got, c->out) == 0, "%s: input \"%s\": got \"%s\", "
                  "want \"%s\"", name, c->in, got, c->out);
    if (toks[n - 1].kind == GW_TOK_ERROR) {
        snprintf(suffix, sizeof(suffix), " in %s:%d", name, c->err_line);
        ck_assert_msg(strlen(err) > strlen(suffix) && strcmp(err + strlen(err)
                      - strlen(suffix), suffix) == 0,
                      "input \"%s\": error \"%s\" does not end with \"%s\"",
                      c->in, err, suffix);
    }
}

START_TEST(test_lexer_cases_guarded)
{
    const lex_case_t *c = &cases[_i];
    gw_pool_t        *pool = gw_pool_new();
    gw_lexer_t       *lx = gw_lexer_new(pool);
    ut_guard_t        g = { 0 };

    ck_assert_int_eq(gw_lexer_push_string(lx, "test", ut_guard_str(&g, c->in)),
                     0);
    check_case(c, lx, "test");
    ut_guard_free(&g);
    gw_pool_free(pool);
}
END_TEST

START_TEST(test_lexer_cases_file)
{
    const lex_case_t *c = &cases[_i];
    gw_pool_t        *pool = gw_pool_new();
    gw_lexer_t       *lx = gw_lexer_new(pool);
    char             *dir = ut_mkdir(), *path = ut_join(dir, "case.conf");
    char              err[256];

    ut_write(dir, "case.conf", c->in);
    ck_assert_int_eq(gw_lexer_push_file(lx, path, err, sizeof(err)), 0);
    check_case(c, lx, path);
    free(path);
    free(dir);
    gw_pool_free(pool);
}
END_TEST

static void
expect_lines(const char *in, const char *want)
{
    gw_pool_t  *pool = gw_pool_new();
    gw_lexer_t *lx = gw_lexer_new(pool);
    ut_guard_t  g = { 0 };
    tok_t       toks[MAX_TOKENS];
    char        got[1024], err[256];
    unsigned    n;

    gw_lexer_push_string(lx, "lines", ut_guard_str(&g, in));
    n = lex_all(lx, toks, MAX_TOKENS, err, sizeof(err));
    render(toks, n, 1, got, sizeof(got));
    ck_assert_msg(strcmp(got, want) == 0, "input \"%s\": got \"%s\", want "
                  "\"%s\"", in, got, want);
    ut_guard_free(&g);
    gw_pool_free(pool);
}

START_TEST(test_lexer_line_numbers)
{
    expect_lines("a;\n\nb;\n  c\n;", "w(a)@1 ;@1 w(b)@3 ;@3 w(c)@4 ;@5 $@5");
    expect_lines("a;\r\nb\r\n;\r\n", "w(a)@1 ;@1 w(b)@2 ;@3 $@4");
    expect_lines("# one\n# two\nk;", "w(k)@3 ;@3 $@3");
    /* a newline inside quotes counts, and the word keeps it */
    expect_lines("\"x\ny\" z;", "q(x\ny)@1 w(z)@2 ;@2 $@2");
    expect_lines("a {\n\n}\n", "w(a)@1 {@1 }@3 $@4");
}
END_TEST

START_TEST(test_lexer_unterminated_quote_line)
{
    /* nginx names the line where the file ended; naming the line of the
     * opening quote is as good. Any other line is wrong. */
    gw_pool_t  *pool = gw_pool_new();
    gw_lexer_t *lx = gw_lexer_new(pool);
    ut_guard_t  g = { 0 };
    tok_t       toks[MAX_TOKENS];
    char        err[256];
    unsigned    n;

    gw_lexer_push_string(lx, "q", ut_guard_str(&g, "a;\npid \"x;\nb;\nc;"));
    n = lex_all(lx, toks, MAX_TOKENS, err, sizeof(err));
    ck_assert_int_eq(toks[n - 1].kind, GW_TOK_ERROR);
    ck_assert_msg(strstr(err, " in q:2") || strstr(err, " in q:4"),
                  "error names neither the quote's line nor the last: %s",
                  err);
    ut_guard_free(&g);
    gw_pool_free(pool);
}
END_TEST

START_TEST(test_lexer_nul_byte)
{
    static const char text[] = "a;\nb\0c;";
    gw_pool_t  *pool = gw_pool_new();
    gw_lexer_t *lx = gw_lexer_new(pool);
    char       *dir = ut_mkdir(), *path = ut_join(dir, "nul.conf");
    tok_t       toks[MAX_TOKENS];
    char        got[256], err[256];
    unsigned    n;

    ut_write_len(dir, "nul.conf", text, sizeof(text) - 1);
    ck_assert_int_eq(gw_lexer_push_file(lx, path, err, sizeof(err)), 0);
    n = lex_all(lx, toks, MAX_TOKENS, err, sizeof(err));
    render(toks, n, 0, got, sizeof(got));
    ck_assert_str_eq(got, "w(a) ; !");
    ck_assert_ptr_nonnull(strstr(err, ":2"));
    free(path);
    free(dir);
    gw_pool_free(pool);
}
END_TEST

START_TEST(test_lexer_missing_file)
{
    gw_pool_t  *pool = gw_pool_new();
    gw_lexer_t *lx = gw_lexer_new(pool);
    char       *dir = ut_mkdir(), *path = ut_join(dir, "nope.conf");
    char        err[512] = "";

    ck_assert_int_eq(gw_lexer_push_file(lx, path, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, path) != NULL, "error without the path: %s",
                  err);
    ck_assert_uint_eq(gw_lexer_depth(lx), 0);
    free(path);
    free(dir);
    gw_pool_free(pool);
}
END_TEST

static const char big_input[] =
    "# gateway\n"
    "upstream app {\n"
    "  server 127.0.0.1:9000 weight=2;\n"
    "  server \"[::1]:9001\" backup; # tail\n"
    "}\n"
    "listener 'x y' {\n"
    "  auth \"u\\\"s:p\\\\w\";\n"
    "  listen 80;\n"
    "}\n";

/* Tokens of TEXT[0..len) placed at the end of a guarded page. */
static unsigned
lex_guarded(const char *text, size_t len, tok_t *toks, char *err)
{
    gw_pool_t  *pool = gw_pool_new();
    gw_lexer_t *lx = gw_lexer_new(pool);
    ut_guard_t  g = { 0 };
    char       *copy = malloc(len + 1);
    unsigned    n;

    memcpy(copy, text, len);
    copy[len] = '\0';
    gw_lexer_push_string(lx, "cut", ut_guard_str(&g, copy));
    n = lex_all(lx, toks, MAX_TOKENS, err, 256);
    free(copy);
    ut_guard_free(&g);
    gw_pool_free(pool);
    return n;
}

static int
same_token(const tok_t *a, const tok_t *b)
{
    return a->kind == b->kind && a->quoted == b->quoted
           && strcmp(a->text, b->text) == 0 && a->line == b->line;
}

START_TEST(test_lexer_every_prefix)
{
    static tok_t whole[MAX_TOKENS], part[MAX_TOKENS];
    size_t       len = strlen(big_input);
    char         err[256];
    unsigned     n_whole = lex_guarded(big_input, len, whole, err);

    ck_assert_int_eq(whole[n_whole - 1].kind, GW_TOK_EOF);
    ck_assert_uint_eq(n_whole, 23);
    ck_assert_str_eq(whole[16].text, "u\"s:p\\w");
    for (size_t cut = 0; cut <= len; cut++) {
        unsigned n = lex_guarded(big_input, cut, part, err);
        unsigned last = n - 1;

        ck_assert_uint_le(n, n_whole);
        if (part[last].kind == GW_TOK_EOF && last > 0
            && part[last - 1].kind == GW_TOK_WORD) {
            /* the word the cut ran into may be shorter */
            const tok_t *w = &whole[last - 1], *p = &part[last - 1];

            ck_assert_msg(w->kind == GW_TOK_WORD && w->quoted == p->quoted
                          && (p->quoted ? strcmp(w->text, p->text)
                              : strncmp(w->text, p->text, strlen(p->text)))
                             == 0,
                          "cut %zu: last word \"%s\"", cut, p->text);
            last--;
        }
        for (unsigned i = 0; i < last; i++) {
            ck_assert_msg(same_token(&part[i], &whole[i]),
                          "cut %zu: token %u \"%s\" differs from \"%s\"", cut,
                          i, part[i].text, whole[i].text);
        }
        /* a cut inside quotes fails; elsewhere the source just ends */
        ck_assert(part[n - 1].kind == GW_TOK_EOF
                  || part[n - 1].kind == GW_TOK_ERROR);
    }
}
END_TEST

START_TEST(test_lexer_split_sources)
{
    static const char text[] =
        "upstream u { server 1.2.3.4:80 weight=2; }\nlistener { listen 80; }";
    static tok_t whole[MAX_TOKENS], got[MAX_TOKENS];
    char         err[256], want_s[1024], got_s[1024];
    unsigned     n_whole = lex_guarded(text, strlen(text), whole, err);

    render(whole, n_whole - 1, 0, want_s, sizeof(want_s));   /* without $ */
    for (size_t cut = 0; cut < sizeof(text) - 1; cut++) {
        gw_pool_t  *pool;
        gw_lexer_t *lx;
        ut_guard_t  g1 = { 0 }, g2 = { 0 };
        char       *head;
        unsigned    n;

        if (text[cut] != ' ' && text[cut] != '\n') {
            continue;
        }
        pool = gw_pool_new();
        lx = gw_lexer_new(pool);
        head = strndup(text, cut);
        /* the tail is the outer source; the head is read first */
        gw_lexer_push_string(lx, "tail", ut_guard_str(&g2, text + cut));
        gw_lexer_push_string(lx, "head", ut_guard_str(&g1, head));
        ck_assert_uint_eq(gw_lexer_depth(lx), 2);
        n = lex_all(lx, got, MAX_TOKENS, err, sizeof(err));
        ck_assert_int_eq(got[n - 1].kind, GW_TOK_EOF);
        gw_lexer_pop(lx);
        ck_assert_uint_eq(gw_lexer_depth(lx), 1);
        n = n - 1 + lex_all(lx, got + n - 1, MAX_TOKENS - n, err, sizeof(err));
        gw_lexer_pop(lx);
        ck_assert_uint_eq(gw_lexer_depth(lx), 0);
        render(got, n - 1, 0, got_s, sizeof(got_s));
        ck_assert_msg(strcmp(got_s, want_s) == 0, "split at %zu: \"%s\"", cut,
                      got_s);
        free(head);
        ut_guard_free(&g1);
        ut_guard_free(&g2);
        gw_pool_free(pool);
    }
}
END_TEST

START_TEST(test_lexer_depth)
{
    gw_pool_t  *pool = gw_pool_new();
    gw_lexer_t *lx = gw_lexer_new(pool);

    ck_assert_uint_eq(gw_lexer_depth(lx), 0);
    gw_lexer_push_string(lx, "a", "x;");
    gw_lexer_push_string(lx, "b", "y;");
    ck_assert_uint_eq(gw_lexer_depth(lx), 2);
    gw_lexer_pop(lx);
    ck_assert_uint_eq(gw_lexer_depth(lx), 1);
    gw_lexer_pop(lx);
    gw_lexer_pop(lx);           /* harmless on an empty stack */
    ck_assert_uint_eq(gw_lexer_depth(lx), 0);
    gw_pool_free(pool);
}
END_TEST

START_TEST(test_lexer_long_word)
{
    /* words longer than any scratch buffer's first size */
    enum { LEN = 10000 };
    gw_pool_t  *pool = gw_pool_new();
    gw_lexer_t *lx = gw_lexer_new(pool);
    char       *text = malloc(LEN + 8);
    ut_guard_t  g = { 0 };
    gw_token_t  t;
    char        err[256];

    text[0] = '"';
    for (int i = 1; i <= LEN; i++) {
        text[i] = (char) ('a' + i % 26);
    }
    memcpy(text + LEN + 1, "\" b;", 5);
    gw_lexer_push_string(lx, "long", ut_guard_str(&g, text));
    gw_lexer_next(lx, &t, err, sizeof(err));
    ck_assert_int_eq(t.kind, GW_TOK_WORD);
    ck_assert_uint_eq(t.len, LEN);
    ck_assert_int_eq(memcmp(t.text, text + 1, LEN), 0);
    gw_lexer_next(lx, &t, err, sizeof(err));
    ck_assert_str_eq(t.text, "b");
    free(text);
    ut_guard_free(&g);
    gw_pool_free(pool);
}
END_TEST

Suite *
lexer_suite(void)
{
    Suite *s = suite_create("lexer");
    TCase *tc = tcase_create("tokens");
    int    n = (int) (sizeof(cases) / sizeof(cases[0]));

    tcase_add_loop_test(tc, test_lexer_cases_guarded, 0, n);
    tcase_add_loop_test(tc, test_lexer_cases_file, 0, n);
    tcase_add_test(tc, test_lexer_line_numbers);
    tcase_add_test(tc, test_lexer_unterminated_quote_line);
    tcase_add_test(tc, test_lexer_nul_byte);
    tcase_add_test(tc, test_lexer_missing_file);
    tcase_add_test(tc, test_lexer_every_prefix);
    tcase_add_test(tc, test_lexer_split_sources);
    tcase_add_test(tc, test_lexer_depth);
    tcase_add_test(tc, test_lexer_long_word);
    suite_add_tcase(s, tc);
    return s;
}
