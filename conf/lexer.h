/*
 * conf/lexer.h: the configuration tokenizer.
 *
 * Tokens are words (bare or quoted, escapes resolved), ';', '{' and '}'.
 * Sources form a stack: the parser pushes an included file, reads it to
 * its own end (GW_TOK_EOF) and pops it, so an included file must be
 * complete on its own, as in nginx. Words are copied into the pool.
 */
#ifndef GW_CONF_LEXER_H
#define GW_CONF_LEXER_H

#include <stddef.h>

#include "common/pool.h"

enum gw_tok_kind {
    GW_TOK_WORD,
    GW_TOK_SEMI,
    GW_TOK_LBRACE,
    GW_TOK_RBRACE,
    GW_TOK_EOF,         /* end of the current source */
    GW_TOK_ERROR        /* message in the err buffer given to next() */
};

typedef struct gw_token {
    int          kind;
    char        *text;          /* GW_TOK_WORD: NUL-terminated, pool copy */
    size_t       len;
    unsigned     quoted:1;
    const char  *file;
    int          line;
} gw_token_t;

typedef struct gw_lexer gw_lexer_t;

gw_lexer_t *gw_lexer_new(gw_pool_t *pool);

/* Read FILE whole and make it the current source; 0, or -1 with err set. */
int gw_lexer_push_file(gw_lexer_t *lx, const char *path, char *err,
                       size_t errlen);

/* Make TEXT (named NAME in messages) the current source. */
int gw_lexer_push_string(gw_lexer_t *lx, const char *name, const char *text);

/* Drop the current source, back to the one that included it. */
void gw_lexer_pop(gw_lexer_t *lx);

/* Number of sources on the stack (bounds include nesting). */
unsigned gw_lexer_depth(const gw_lexer_t *lx);

/* The next token of the current source. Errors carry FILE:LINE. */
void gw_lexer_next(gw_lexer_t *lx, gw_token_t *tok, char *err, size_t errlen);

#endif
