/*
 * conf/dump.c: -T, the effective configuration printed from the directive
 * table: every directive of every block with its value, defaults included,
 * in a form the parser reads back.
 */
#include <stdio.h>
#include <string.h>

#include "conf/directive.h"

/* HANDLER: a listener's handler, so only directives that apply print. */
static void
print_block(FILE *out, unsigned ctx, const void *obj, const char *indent,
            int handler)
{
    for (unsigned i = 0; i < gw_n_directives; i++) {
        const gw_directive_t *d = &gw_directives[i];

        if (!(d->ctx & ctx) || d->print == NULL || (d->flags & GW_DIR_BLOCK)) {
            continue;
        }
        if (handler && d->handlers && !(d->handlers & GW_HANDLER_BIT(handler))) {
            continue;
        }
        d->print(out, obj, d, indent);
    }
}

static void
print_listener(FILE *out, const gw_conf_listener_t *ls)
{
    fputs("\nlistener ", out);
    if (ls->name[0]) {
        gw_conf_print_word(out, ls->name);
        fputc(' ', out);
    }
    fputs("{\n", out);
    print_block(out, GW_CTX_LISTENER, ls, "    ", ls->handler);
    for (unsigned i = 0; i < ls->n_locations; i++) {
        fputs("    location ", out);
        gw_conf_print_word(out, ls->locations[i].pattern);
        fputs(" {\n", out);
        print_block(out, GW_CTX_LOCATION, &ls->locations[i], "        ", 0);
        fputs("    }\n", out);
    }
    fputs("}\n", out);
}

void
gw_conf_dump(const gw_conf_t *conf, FILE *out)
{
    fprintf(out, "# configuration file %s, as parsed\n", conf->file);
    print_block(out, GW_CTX_MAIN, conf, "", 0);
    for (unsigned i = 0; i < conf->n_upstreams; i++) {
        const gw_conf_upstream_t *u = conf->upstreams[i];

        if (u->implicit) {
            continue;
        }
        fputs("\nupstream ", out);
        gw_conf_print_word(out, u->name);
        fputs(" {\n", out);
        print_block(out, GW_CTX_UPSTREAM, u, "    ", 0);
        fputs("}\n", out);
    }
    for (unsigned i = 0; i < conf->n_listeners; i++) {
        print_listener(out, conf->listeners[i]);
    }
}
