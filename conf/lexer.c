/*
 * conf/lexer.c: words, quotes, escapes and comments (see lexer.h).
 *
 * Rules, as nginx's: whitespace separates words; ';' '{' '}' are tokens of
 * their own; '#' at the start of a word runs to the end of the line; a
 * quoted string ("..." or '...') must be followed by a separator. Escapes
 * \" \' \\ \n \r \t work in and out of quotes; any other backslash stays.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/lexer.h"

#define MAX_FILE_SIZE (16u << 20)

typedef struct source {
    struct source *up;
    const char    *name;
    const char    *text;
    size_t         len;
    size_t         pos;
    int            line;
} source_t;

struct gw_lexer {
    gw_pool_t *pool;
    source_t  *top;
    unsigned   depth;
    char      *word;            /* scratch for the word being read */
    size_t     word_cap;
};

gw_lexer_t *
gw_lexer_new(gw_pool_t *pool)
{
    gw_lexer_t *lx = gw_pool_alloc(pool, sizeof(*lx));

    if (lx) {
        lx->pool = pool;
    }
    return lx;
}

static int
push(gw_lexer_t *lx, const char *name, const char *text, size_t len)
{
    source_t *s = gw_pool_alloc(lx->pool, sizeof(*s));

    if (s == NULL || (s->name = gw_pool_strdup(lx->pool, name)) == NULL) {
        return -1;
    }
    s->text = text;
    s->len = len;
    s->line = 1;
    s->up = lx->top;
    lx->top = s;
    lx->depth++;
    return 0;
}

int
gw_lexer_push_string(gw_lexer_t *lx, const char *name, const char *text)
{
    return push(lx, name, text, strlen(text));
}

int
gw_lexer_push_file(gw_lexer_t *lx, const char *path, char *err, size_t errlen)
{
    FILE        *f = fopen(path, "r");
    struct stat  st;
    char        *text = NULL;
    size_t       len = 0;

    if (f == NULL) {
        snprintf(err, errlen, "open() \"%s\" failed (%d: %s)", path, errno,
                 strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &st) == 0 && st.st_size <= MAX_FILE_SIZE) {
        text = gw_pool_alloc(lx->pool, (size_t) st.st_size + 1);
        len = text ? fread(text, 1, (size_t) st.st_size, f) : 0;
    }
    fclose(f);
    if (text == NULL) {
        snprintf(err, errlen, "\"%s\" is too large or memory ran out", path);
        return -1;
    }
    text[len] = '\0';
    return push(lx, path, text, len);
}

void
gw_lexer_pop(gw_lexer_t *lx)
{
    if (lx->top) {
        lx->top = lx->top->up;
        lx->depth--;
    }
}

unsigned
gw_lexer_depth(const gw_lexer_t *lx)
{
    return lx->depth;
}

static int
is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_special(int c)
{
    return c == ';' || c == '{' || c == '}';
}

static void
fail(gw_lexer_t *lx, gw_token_t *tok, char *err, size_t errlen,
     const char *msg)
{
    snprintf(err, errlen, "%s in %s:%d", msg, lx->top->name, lx->top->line);
    tok->kind = GW_TOK_ERROR;
}

static int
put_char(gw_lexer_t *lx, size_t *len, char c)
{
    if (*len + 1 >= lx->word_cap) {
        size_t  cap = lx->word_cap ? lx->word_cap * 2 : 256;
        char   *word = gw_pool_alloc(lx->pool, cap);

        if (word == NULL) {
            return -1;
        }
        if (*len) {
            memcpy(word, lx->word, *len);
        }
        lx->word = word;
        lx->word_cap = cap;
    }
    lx->word[(*len)++] = c;
    return 0;
}

/* The character an escape stands for; 0 keeps the backslash. */
static char
unescape(char c)
{
    switch (c) {
    case '"': case '\'': case '\\': return c;
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default:  return 0;
    }
}

/* Skip whitespace and comments; returns the next character or -1 at end. */
static int
skip_blank(source_t *s)
{
    while (s->pos < s->len) {
        char c = s->text[s->pos];

        if (c == '#') {
            while (s->pos < s->len && s->text[s->pos] != '\n') {
                s->pos++;
            }
        } else if (is_space(c)) {
            if (c == '\n') {
                s->line++;
            }
            s->pos++;
        } else {
            return (unsigned char) c;
        }
    }
    return -1;
}

/*
 * Read a word from the current position into lx->word. QUOTE is the
 * opening quote or 0 for a bare word. Returns 0, or -1 with tok failed.
 */
static int
read_word(gw_lexer_t *lx, gw_token_t *tok, char quote, char *err,
          size_t errlen, size_t *len)
{
    source_t *s = lx->top;
    char      msg[64];

    for ( ;; ) {
        char c;

        if (s->pos >= s->len) {
            if (quote) {
                snprintf(msg, sizeof(msg),
                         quote == '"' ? "unexpected end of file, expecting '\"'"
                                      : "unexpected end of file, expecting \"'\"");
                fail(lx, tok, err, errlen, msg);
                return -1;
            }
            return 0;
        }
        c = s->text[s->pos];
        if (c == '\0') {
            fail(lx, tok, err, errlen, "unexpected NUL byte");
            return -1;
        }
        if (quote && c == quote) {
            s->pos++;
            c = s->pos < s->len ? s->text[s->pos] : ' ';
            if (!is_space(c) && !is_special(c)) {
                snprintf(msg, sizeof(msg), "unexpected \"%c\"", c);
                fail(lx, tok, err, errlen, msg);
                return -1;
            }
            return 0;
        }
        if (!quote && (is_space(c) || is_special(c))) {
            return 0;
        }
        if (!quote && (c == '"' || c == '\'')) {
            snprintf(msg, sizeof(msg), "unexpected \"%c\"", c);
            fail(lx, tok, err, errlen, msg);
            return -1;
        }
        s->pos++;
        if (c == '\n') {
            s->line++;
        }
        if (c == '\\' && s->pos < s->len && unescape(s->text[s->pos])) {
            c = unescape(s->text[s->pos++]);
        }
        if (put_char(lx, len, c) != 0) {
            fail(lx, tok, err, errlen, "out of memory");
            return -1;
        }
    }
}

void
gw_lexer_next(gw_lexer_t *lx, gw_token_t *tok, char *err, size_t errlen)
{
    source_t *s = lx->top;
    size_t    len = 0;
    char      quote = 0;
    int       c = skip_blank(s);

    memset(tok, 0, sizeof(*tok));
    tok->file = s->name;
    tok->line = s->line;
    if (c == -1) {
        tok->kind = GW_TOK_EOF;
        return;
    }
    if (is_special(c)) {
        s->pos++;
        tok->kind = c == ';' ? GW_TOK_SEMI
                    : c == '{' ? GW_TOK_LBRACE : GW_TOK_RBRACE;
        return;
    }
    if (c == '"' || c == '\'') {
        quote = (char) c;
        s->pos++;
        tok->quoted = 1;
    }
    if (read_word(lx, tok, quote, err, errlen, &len) != 0) {
        return;
    }
    tok->kind = GW_TOK_WORD;
    tok->text = gw_pool_strndup(lx->pool, len ? lx->word : "", len);
    tok->len = len;
    if (tok->text == NULL) {
        fail(lx, tok, err, errlen, "out of memory");
    }
}
