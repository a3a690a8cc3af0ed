/*
 * master/proctitle.c: rewriting argv for ps (see proctitle.h). The title
 * overwrites the argument strings: main() copies what it needs from argv
 * before the first gw_proctitle_set().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master/proctitle.h"

extern char **environ;

static char  *area;         /* argv[0] .. end of the last contiguous string */
static size_t area_len;
static char   original[1024];

void
gw_proctitle_init(int argc, char **argv)
{
    char  *end = argv[0] + strlen(argv[0]) + 1;
    size_t n = 0;

    for (int i = 0; i < argc; i++) {
        n += (size_t) snprintf(original + n, sizeof(original) - n, "%s%s",
                               i ? " " : "", argv[i]);
        if (n >= sizeof(original)) {
            n = sizeof(original) - 1;
        }
        if (argv[i] == end) {
            end = argv[i] + strlen(argv[i]) + 1;
        }
    }
    /* the environment strings usually follow argv: move them away */
    area = argv[0];
    for (int i = 0; environ[i]; i++) {
        char *copy;

        if (environ[i] != end) {
            continue;
        }
        copy = strdup(environ[i]);
        if (copy == NULL) {
            break;      /* a shorter title area is still correct */
        }
        end = environ[i] + strlen(environ[i]) + 1;
        environ[i] = copy;
    }
    area_len = (size_t) (end - argv[0]);
}

const char *
gw_proctitle_args(void)
{
    return original;
}

void
gw_proctitle_set(const char *title)
{
    if (area == NULL || area_len < 2) {
        return;
    }
    memset(area, 0, area_len);
    snprintf(area, area_len - 1, "gateway: %s", title);
}
