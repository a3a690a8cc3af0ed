/*
 * conf/values.c: the value types directive rows share (on/off, bounded
 * numbers, times, sizes, paths, strings, enums): each a setter that checks
 * and stores the value at the row's offset, and a printer for -T.
 */
#include <stdio.h>
#include <string.h>

#include "common/core.h"
#include "conf/directive.h"

const char *
gw_conf_invalid(gw_parser_t *p, const char *value)
{
    snprintf(p->msg, sizeof(p->msg), "has invalid value \"%s\"", value);
    return p->msg;
}

const char *
gw_conf_set_flag(gw_parser_t *p, void *obj, const gw_directive_t *d,
                 char **args, unsigned n)
{
    (void) n;
    if (strcmp(args[0], "on") == 0 || strcmp(args[0], "off") == 0) {
        *GW_DIR_FIELD(obj, d, unsigned) = args[0][1] == 'n';
        return NULL;
    }
    return gw_conf_invalid(p, args[0]);
}

void
gw_conf_print_flag(FILE *out, const void *obj, const gw_directive_t *d,
                   const char *indent)
{
    fprintf(out, "%s%s %s;\n", indent, d->name,
            *GW_DIR_FIELD(obj, d, const unsigned) ? "on" : "off");
}

const char *
gw_conf_set_uint(gw_parser_t *p, void *obj, const gw_directive_t *d,
                 char **args, unsigned n)
{
    const gw_conf_range_t *r = d->data;
    uint64_t       v;

    (void) n;
    if (gw_conf_parse_uint(args[0], r->max, &v) != 0 || v < r->min) {
        snprintf(p->msg, sizeof(p->msg),
                 "has invalid value \"%s\" (expected %llu to %llu)", args[0],
                 (unsigned long long) r->min, (unsigned long long) r->max);
        return p->msg;
    }
    *GW_DIR_FIELD(obj, d, unsigned) = (unsigned) v;
    return NULL;
}

void
gw_conf_print_uint(FILE *out, const void *obj, const gw_directive_t *d,
                   const char *indent)
{
    fprintf(out, "%s%s %u;\n", indent, d->name,
            *GW_DIR_FIELD(obj, d, const unsigned));
}

/* Unset (0) prints nothing: worker_rlimit_nofile. */
void
gw_conf_print_uint_if_set(FILE *out, const void *obj, const gw_directive_t *d,
                          const char *indent)
{
    if (*GW_DIR_FIELD(obj, d, const unsigned)) {
        gw_conf_print_uint(out, obj, d, indent);
    }
}

const char *
gw_conf_set_msec(gw_parser_t *p, void *obj, const gw_directive_t *d,
                 char **args, unsigned n)
{
    (void) n;
    if (gw_conf_parse_msec(args[0], GW_DIR_FIELD(obj, d, uint64_t)) != 0) {
        return gw_conf_invalid(p, args[0]);
    }
    return NULL;
}

void
gw_conf_print_msec(FILE *out, const void *obj, const gw_directive_t *d,
                   const char *indent)
{
    char buf[32];

    fprintf(out, "%s%s %s;\n", indent, d->name,
            gw_conf_format_msec(*GW_DIR_FIELD(obj, d, const uint64_t), buf,
                                sizeof(buf)));
}

const char *
gw_conf_set_size(gw_parser_t *p, void *obj, const gw_directive_t *d,
                 char **args, unsigned n)
{
    (void) n;
    if (gw_conf_parse_size(args[0], GW_DIR_FIELD(obj, d, uint64_t)) != 0) {
        return gw_conf_invalid(p, args[0]);
    }
    return NULL;
}

void
gw_conf_print_size(FILE *out, const void *obj, const gw_directive_t *d,
                   const char *indent)
{
    char buf[32];

    fprintf(out, "%s%s %s;\n", indent, d->name,
            gw_conf_format_size(*GW_DIR_FIELD(obj, d, const uint64_t), buf,
                                sizeof(buf)));
}

const char *
gw_conf_set_path(gw_parser_t *p, void *obj, const gw_directive_t *d,
                 char **args, unsigned n)
{
    (void) n;
    if (args[0][0] == '\0') {
        return gw_conf_invalid(p, args[0]);
    }
    *GW_DIR_FIELD(obj, d, char *) = gw_conf_path(p, args[0]);
    return *GW_DIR_FIELD(obj, d, char *) ? NULL : "out of memory";
}

void
gw_conf_print_word(FILE *out, const char *s)
{
    if (*s && strpbrk(s, " \t\r\n;{}#\"'\\") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for ( ; *s; s++) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', out);
        }
        fputc(*s, out);
    }
    fputc('"', out);
}

void
gw_conf_print_str(FILE *out, const void *obj, const gw_directive_t *d,
                  const char *indent)
{
    const char *s = *GW_DIR_FIELD(obj, d, char *const);

    fprintf(out, "%s%s ", indent, d->name);
    gw_conf_print_word(out, s ? s : "off");
    fputs(";\n", out);
}

const char *
gw_conf_set_enum(gw_parser_t *p, void *obj, const gw_directive_t *d,
                 char **args, unsigned n)
{
    const char *const *names = d->data;

    (void) n;
    for (int i = 0; names[i]; i++) {
        if (strcmp(args[0], names[i]) == 0) {
            *GW_DIR_FIELD(obj, d, int) = i;
            return NULL;
        }
    }
    return gw_conf_invalid(p, args[0]);
}

void
gw_conf_print_enum(FILE *out, const void *obj, const gw_directive_t *d,
                   const char *indent)
{
    const char *const *names = d->data;

    fprintf(out, "%s%s %s;\n", indent, d->name,
            names[*GW_DIR_FIELD(obj, d, const int)]);
}
