/*
 * conf/parse.c: reads tokens into directives and dispatches them through
 * the table (conf/directives.c).
 *
 * Dispatch makes every uniform error, with FILE:LINE: unknown directive,
 * not allowed here, wrong arity, block versus ';', duplicate. A block
 * directive's setter returns a new object; its defaults are applied, its
 * body parsed, and its end checked by gw_conf_finish_*(). `include` is
 * handled here: each file matched by the glob is parsed in the current
 * block, to its own end.
 */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/core.h"
#include "conf/directive.h"

#define MAX_ARGS        64
#define MAX_INCLUDE     16

static int parse_block(gw_parser_t *p, unsigned ctx, void *obj, gw_seen_t *seen,
                       int end);

int
gw_conf_error(gw_parser_t *p, const char *file, int line, const char *fmt,
              ...)
{
    va_list ap;
    int     n;

    va_start(ap, fmt);
    n = vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t) n < p->errlen && file) {
        snprintf(p->err + n, p->errlen - n, " in %s:%d", file, line);
    }
    return -1;
}

char *
gw_conf_path(gw_parser_t *p, const char *path)
{
    size_t  plen = strlen(p->conf->prefix), len = strlen(path);
    char   *full;

    if (path[0] == '/') {
        return gw_pool_strdup(p->pool, path);
    }
    full = gw_pool_alloc(p->pool, plen + 1 + len + 1);
    if (full) {
        memcpy(full, p->conf->prefix, plen);
        full[plen] = '/';
        memcpy(full + plen + 1, path, len + 1);
    }
    return full;
}

/* Split a default such as "stderr notice" into words and run the setter. */
static const char *
apply_default(gw_parser_t *p, void *obj, const gw_directive_t *d)
{
    char     text[64], *args[4], *save = NULL;
    unsigned n = 0;

    snprintf(text, sizeof(text), "%s", d->def);
    for (char *w = strtok_r(text, " ", &save); w && n < 4;
         w = strtok_r(NULL, " ", &save)) {
        args[n++] = w;
    }
    return d->set(p, obj, d, args, n);
}

const char *
gw_conf_apply_defaults(gw_parser_t *p, unsigned ctx, void *obj)
{
    for (unsigned i = 0; i < gw_n_directives; i++) {
        const gw_directive_t *d = &gw_directives[i];
        const char           *msg;

        if ((d->ctx & ctx) && d->def && (msg = apply_default(p, obj, d))) {
            return msg;
        }
    }
    return NULL;
}

/* The row for NAME in CTX; *exists tells whether NAME is known at all. */
static const gw_directive_t *
find(const char *name, unsigned ctx, int *exists)
{
    *exists = 0;
    for (unsigned i = 0; i < gw_n_directives; i++) {
        if (strcmp(gw_directives[i].name, name) == 0) {
            *exists = 1;
            if (gw_directives[i].ctx & ctx) {
                return &gw_directives[i];
            }
        }
    }
    return NULL;
}

static int
finish(gw_parser_t *p, unsigned ctx, void *obj, const gw_seen_t *seen)
{
    switch (ctx) {
    case GW_CTX_UPSTREAM: return gw_conf_finish_upstream(p, obj, seen);
    case GW_CTX_LISTENER: return gw_conf_finish_listener(p, obj, seen);
    case GW_CTX_LOCATION: return gw_conf_finish_location(p, obj, seen);
    default:              return 0;
    }
}

static int
parse_child(gw_parser_t *p)
{
    gw_seen_t   seen[gw_n_directives];
    unsigned    ctx = p->child_ctx;
    void       *obj = p->child;
    const char *msg = gw_conf_apply_defaults(p, ctx, obj);

    if (msg) {
        return gw_conf_error(p, p->file, p->line, "%s", msg);
    }
    memset(seen, 0, sizeof(seen));
    if (parse_block(p, ctx, obj, seen, GW_TOK_RBRACE) != 0) {
        return -1;
    }
    return finish(p, ctx, obj, seen);
}

static int
include(gw_parser_t *p, unsigned ctx, void *obj, gw_seen_t *seen, const char *arg)
{
    char   *pattern = gw_conf_path(p, arg);
    glob_t  g;
    int     rc;

    if (pattern == NULL) {
        return gw_conf_error(p, p->file, p->line, "out of memory");
    }
    if (gw_lexer_depth(p->lx) > MAX_INCLUDE) {
        return gw_conf_error(p, p->file, p->line,
                             "includes nested deeper than %d", MAX_INCLUDE);
    }
    rc = glob(pattern, 0, NULL, &g);
    if (rc == GLOB_NOMATCH && strpbrk(arg, "*?[") != NULL) {
        return 0;   /* a wildcard matching nothing is fine, as in nginx */
    }
    if (rc != 0) {
        return gw_conf_error(p, p->file, p->line,
                             "include \"%s\" matched no file", pattern);
    }
    rc = 0;
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
        char why[GW_CONF_ERR_LEN];

        if (gw_lexer_push_file(p->lx, g.gl_pathv[i], why, sizeof(why))) {
            rc = gw_conf_error(p, p->file, p->line, "%s", why);
            break;
        }
        rc = parse_block(p, ctx, obj, seen, GW_TOK_EOF);
        gw_lexer_pop(p->lx);
    }
    globfree(&g);
    return rc;
}

static int
check_shape(gw_parser_t *p, const gw_directive_t *d, unsigned n_args,
            int term, const gw_seen_t *seen)
{
    if ((d->flags & GW_DIR_BLOCK) && term != GW_TOK_LBRACE) {
        return gw_conf_error(p, p->file, p->line,
                             "directive \"%s\" has no opening \"{\"", d->name);
    }
    if (!(d->flags & GW_DIR_BLOCK) && term == GW_TOK_LBRACE) {
        return gw_conf_error(p, p->file, p->line,
                             "directive \"%s\" is not terminated by \";\"",
                             d->name);
    }
    if (n_args < d->min_args || n_args > d->max_args) {
        return gw_conf_error(p, p->file, p->line,
                             "invalid number of arguments in \"%s\" directive",
                             d->name);
    }
    if (!(d->flags & GW_DIR_MULTI) && seen[d - gw_directives].line) {
        return gw_conf_error(p, p->file, p->line,
                             "\"%s\" directive is duplicate (first at %s:%d)",
                             d->name, seen[d - gw_directives].file,
                             seen[d - gw_directives].line);
    }
    return 0;
}

static int
dispatch(gw_parser_t *p, unsigned ctx, void *obj, gw_seen_t *seen, char **args,
         unsigned n, int term)
{
    const gw_directive_t *d;
    const char           *msg;
    int                   exists;

    if (strcmp(args[0], "include") == 0) {
        if (n != 2 || term != GW_TOK_SEMI) {
            return gw_conf_error(p, p->file, p->line,
                                 "invalid number of arguments in \"include\" "
                                 "directive");
        }
        return include(p, ctx, obj, seen, args[1]);
    }
    d = find(args[0], ctx, &exists);
    if (d == NULL) {
        return gw_conf_error(p, p->file, p->line, exists
                             ? "\"%s\" directive is not allowed here"
                             : "unknown directive \"%s\"", args[0]);
    }
    if (check_shape(p, d, n - 1, term, seen) != 0) {
        return -1;
    }
    seen[d - gw_directives].file = p->file;
    seen[d - gw_directives].line = p->line;
    p->child = NULL;
    msg = d->set(p, obj, d, args + 1, n - 1);
    if (msg) {
        return gw_conf_error(p, p->file, p->line, "\"%s\" directive %s",
                             d->name, msg);
    }
    return (d->flags & GW_DIR_BLOCK) ? parse_child(p) : 0;
}

static const char *
token_name(int kind)
{
    switch (kind) {
    case GW_TOK_SEMI:   return "\";\"";
    case GW_TOK_LBRACE: return "\"{\"";
    case GW_TOK_RBRACE: return "\"}\"";
    default:            return "end of file";
    }
}

/* Words up to ';' or '{' into args; returns the terminator or -1. */
static int
read_directive(gw_parser_t *p, gw_token_t *first, char **args, unsigned *n)
{
    gw_token_t tok = *first;

    *n = 0;
    for ( ;; ) {
        if (tok.kind == GW_TOK_ERROR) {
            return -1;
        }
        if (tok.kind == GW_TOK_SEMI || tok.kind == GW_TOK_LBRACE) {
            return tok.kind;
        }
        if (tok.kind != GW_TOK_WORD) {
            return gw_conf_error(p, tok.file, tok.line,
                                 tok.kind == GW_TOK_EOF
                                 ? "unexpected end of file, expecting \";\" "
                                   "or \"}\""
                                 : "unexpected %s", token_name(tok.kind));
        }
        if (*n == MAX_ARGS) {
            return gw_conf_error(p, tok.file, tok.line, "too many arguments");
        }
        args[(*n)++] = tok.text;
        gw_lexer_next(p->lx, &tok, p->err, p->errlen);
    }
}

static int
parse_block(gw_parser_t *p, unsigned ctx, void *obj, gw_seen_t *seen, int end)
{
    char       *args[MAX_ARGS];
    unsigned    n;
    gw_token_t  tok;
    int         term;

    for ( ;; ) {
        gw_lexer_next(p->lx, &tok, p->err, p->errlen);
        if (tok.kind == GW_TOK_ERROR) {
            return -1;
        }
        if (tok.kind == end) {
            return 0;
        }
        if (tok.kind != GW_TOK_WORD) {
            return gw_conf_error(p, tok.file, tok.line,
                                 tok.kind == GW_TOK_EOF
                                 ? "unexpected end of file, expecting \"}\""
                                 : "unexpected %s", token_name(tok.kind));
        }
        p->file = tok.file;
        p->line = tok.line;
        term = read_directive(p, &tok, args, &n);
        if (term < 0) {
            return -1;
        }
        /* setters and includes may move p->file/line; restore per directive */
        p->file = tok.file;
        p->line = tok.line;
        if (dispatch(p, ctx, obj, seen, args, n, term) != 0) {
            return -1;
        }
    }
}

static int
set_location_of_file(gw_parser_t *p, const char *path)
{
    char  resolved[PATH_MAX], dir[PATH_MAX];

    if (realpath(path, resolved) == NULL) {
        return gw_conf_error(p, NULL, 0, "open() \"%s\" failed (%d: %s)",
                             path, errno, strerror(errno));
    }
    snprintf(dir, sizeof(dir), "%s", resolved);
    p->conf->file = gw_pool_strdup(p->pool, resolved);
    p->conf->prefix = gw_pool_strdup(p->pool, dirname(dir));
    if (p->conf->file == NULL || p->conf->prefix == NULL) {
        return gw_conf_error(p, NULL, 0, "out of memory");
    }
    return 0;
}

static int
parse_all(gw_parser_t *p, const char *path, const char *extra)
{
    gw_seen_t   seen[gw_n_directives];
    const char *msg;

    memset(seen, 0, sizeof(seen));
    if (set_location_of_file(p, path) != 0) {
        return -1;
    }
    if ((msg = gw_conf_apply_defaults(p, GW_CTX_MAIN, p->conf)) != NULL) {
        return gw_conf_error(p, NULL, 0, "%s", msg);
    }
    if (extra) {
        gw_lexer_push_string(p->lx, "command line", extra);
        if (parse_block(p, GW_CTX_MAIN, p->conf, seen, GW_TOK_EOF) != 0) {
            return -1;
        }
        gw_lexer_pop(p->lx);
    }
    if (gw_lexer_push_file(p->lx, p->conf->file, p->err, p->errlen) != 0) {
        return -1;
    }
    if (parse_block(p, GW_CTX_MAIN, p->conf, seen, GW_TOK_EOF) != 0) {
        return -1;
    }
    gw_lexer_pop(p->lx);
    return gw_conf_check(p);
}

gw_conf_t *
gw_conf_load(const char *path, const char *extra, char *err, size_t errlen)
{
    gw_pool_t   *pool = gw_pool_new();
    gw_parser_t  p;

    memset(&p, 0, sizeof(p));
    p.err = err;
    p.errlen = errlen;
    if (pool == NULL || (p.conf = gw_pool_alloc(pool, sizeof(gw_conf_t))) == NULL
        || (p.lx = gw_lexer_new(pool)) == NULL) {
        snprintf(err, errlen, "out of memory");
        gw_pool_free(pool);
        return NULL;
    }
    p.pool = pool;
    p.conf->pool = pool;
    if (parse_all(&p, path, extra) != 0) {
        gw_pool_free(pool);
        return NULL;
    }
    return p.conf;
}

void
gw_conf_free(gw_conf_t *conf)
{
    if (conf) {
        gw_pool_free(conf->pool);
    }
}
