/*
 * conf/directive.h: the directive table and the parser state setters see.
 * Internal to conf/.
 *
 * A directive is one row: name, the blocks it may appear in, its arity,
 * its setter and printer, where the value lands (offsetof), its default
 * (parsed by the same setter before the block is read) and, for listener
 * directives, the handlers it applies to. The parser owns the uniform
 * errors (unknown, not allowed here, arity, duplicate); setters only judge
 * their values and return a short phrase on error.
 */
#ifndef GW_CONF_DIRECTIVE_H
#define GW_CONF_DIRECTIVE_H

#include <stddef.h>
#include <stdio.h>

#include "conf/conf.h"
#include "conf/lexer.h"

/* Blocks a directive may appear in. */
#define GW_CTX_MAIN      0x01
#define GW_CTX_UPSTREAM  0x02
#define GW_CTX_LISTENER  0x04
#define GW_CTX_LOCATION  0x08

/* Flags. */
#define GW_DIR_MULTI     0x01   /* may repeat in one block */
#define GW_DIR_BLOCK     0x02   /* takes a { ... } body */

#define GW_ARGS_ANY      255

typedef struct gw_parser gw_parser_t;
typedef struct gw_directive gw_directive_t;

/* Returns NULL, or a phrase such as "invalid value \"x\"". */
typedef const char *gw_set_fn(gw_parser_t *p, void *obj,
                              const gw_directive_t *d, char **args,
                              unsigned n_args);
/* Prints the arguments of the directive's value(s) for -T. */
typedef void gw_print_fn(FILE *out, const void *obj, const gw_directive_t *d,
                         const char *indent);

struct gw_directive {
    const char   *name;
    unsigned      ctx;
    unsigned char min_args;
    unsigned char max_args;
    unsigned      flags;
    gw_set_fn    *set;
    gw_print_fn  *print;
    const void   *data;         /* setter data: an enum's names */
    size_t        offset;
    const char   *def;          /* default, as it would be written */
    unsigned      handlers;     /* listener: GW_HANDLER_BIT mask, 0 = all */
};

struct gw_parser {
    gw_conf_t   *conf;
    gw_pool_t   *pool;
    gw_lexer_t  *lx;
    char        *err;
    size_t       errlen;
    const char  *file;          /* of the directive being set */
    int          line;
    void        *child;         /* a block setter's new object */
    unsigned     child_ctx;
    char         msg[256];      /* setters may build their phrase here */
};

/* The field of OBJ that row D sets. */
#define GW_DIR_FIELD(obj, d, type) ((type *) ((char *) (obj) + (d)->offset))

/* A bounded number's limits: the data of a gw_conf_set_uint row. */
typedef struct gw_conf_range {
    uint64_t min;
    uint64_t max;
} gw_conf_range_t;

/* Value types (conf/values.c); a setter's NULL or phrase as gw_set_fn's. */
const char *gw_conf_invalid(gw_parser_t *p, const char *value);
gw_set_fn   gw_conf_set_flag, gw_conf_set_uint, gw_conf_set_msec,
            gw_conf_set_size, gw_conf_set_path, gw_conf_set_enum;
gw_print_fn gw_conf_print_flag, gw_conf_print_uint, gw_conf_print_uint_if_set,
            gw_conf_print_msec, gw_conf_print_size, gw_conf_print_str,
            gw_conf_print_enum;

extern const gw_directive_t gw_directives[];
extern const unsigned gw_n_directives;

/* Run the default of every directive of CTX on OBJ; NULL or a phrase. */
const char *gw_conf_apply_defaults(gw_parser_t *p, unsigned ctx, void *obj);

/* Where a directive was set in the block being read (line 0: not set). */
typedef struct gw_seen {
    const char *file;
    int         line;
} gw_seen_t;

/*
 * Checks at the end of a block: SEEN[i] tells where directive i was set in
 * it. Return 0, or -1 with p->err written.
 */
int gw_conf_finish_listener(gw_parser_t *p, gw_conf_listener_t *ls,
                            const gw_seen_t *seen);
int gw_conf_finish_upstream(gw_parser_t *p, gw_conf_upstream_t *u,
                            const gw_seen_t *seen);
int gw_conf_finish_location(gw_parser_t *p, gw_conf_location_t *loc,
                            const gw_seen_t *seen);

/* Whole-tree checks once everything is read (conf/check.c). */
int gw_conf_check(gw_parser_t *p);

/* Write "MESSAGE in FILE:LINE" into p->err; returns -1. */
int gw_conf_error(gw_parser_t *p, const char *file, int line,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Absolute path for a configured path (relative to the config's dir). */
char *gw_conf_path(gw_parser_t *p, const char *path);

/* Values (conf/units.c). Return 0, or -1 when the text is not one. */
int gw_conf_parse_msec(const char *text, uint64_t *ms);
int gw_conf_parse_size(const char *text, uint64_t *bytes);
int gw_conf_parse_uint(const char *text, uint64_t max, uint64_t *value);

/* Print S for -T, quoted and escaped when it would not read back as one
 * word (conf/directives.c). */
void gw_conf_print_word(FILE *out, const char *s);

/* Text forms for -T (conf/units.c), into buf. */
const char *gw_conf_format_msec(uint64_t ms, char *buf, size_t size);
const char *gw_conf_format_size(uint64_t bytes, char *buf, size_t size);

#endif
