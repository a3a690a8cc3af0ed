/*
 * test/unit/util.c: scratch directories and guarded buffers (see util.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test/unit/util.h"

char ut_root[PATH_MAX];

int
ut_init(void)
{
    const char *tmp = getenv("TMPDIR");
    char        pattern[PATH_MAX];

    snprintf(pattern, sizeof(pattern), "%s/gw-unit-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(pattern) == NULL || realpath(pattern, ut_root) == NULL) {
        perror("gw unit tests: mkdtemp");
        return -1;
    }
    return 0;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path) == 0 ? 0 : (errno == ENOENT ? 0 : -1);
}

void
ut_fini(void)
{
    if (ut_root[0]) {
        nftw(ut_root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        ut_root[0] = '\0';
    }
}

char *
ut_mkdir(void)
{
    char *dir = ut_join(ut_root, "t-XXXXXX");

    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp under %s: %s", ut_root,
                  strerror(errno));
    return dir;
}

char *
ut_join(const char *dir, const char *name)
{
    char *path = NULL;

    ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    return path;
}

void
ut_write_len(const char *dir, const char *name, const char *text, size_t len)
{
    char *path = ut_join(dir, name);
    FILE *f;

    /* make the parent directories of NAME */
    for (size_t i = strlen(dir) + 1; path[i]; i++) {
        if (path[i] == '/') {
            path[i] = '\0';
            if (mkdir(path, 0755) != 0 && errno != EEXIST) {
                ck_abort_msg("mkdir %s: %s", path, strerror(errno));
            }
            path[i] = '/';
        }
    }
    f = fopen(path, "w");
    ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
    ck_assert(fwrite(text, 1, len, f) == len);
    ck_assert(fclose(f) == 0);
    free(path);
}

void
ut_write(const char *dir, const char *name, const char *text)
{
    ut_write_len(dir, name, text, strlen(text));
}

char *
ut_guard_new(ut_guard_t *g, const void *bytes, size_t len)
{
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    size_t data_pages = (len + page - 1) / page;
    char  *map;

    if (data_pages == 0) {
        data_pages = 1;
    }
    g->map_len = (data_pages + 1) * page;
    map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_msg(map != MAP_FAILED, "mmap: %s", strerror(errno));
    ck_assert(mprotect(map + data_pages * page, page, PROT_NONE) == 0);
    g->map = map;
    g->data = map + data_pages * page - len;
    if (len) {
        memcpy(g->data, bytes, len);
    }
    return g->data;
}

char *
ut_guard_str(ut_guard_t *g, const char *s)
{
    return ut_guard_new(g, s, strlen(s) + 1);
}

char *
ut_guard_put(ut_guard_t *g, const void *bytes, size_t len)
{
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    char  *end = (char *) g->map + g->map_len - page;

    ck_assert_msg((size_t) (end - (char *) g->map) >= len,
                  "ut_guard_put: %zu bytes do not fit", len);
    g->data = end - len;
    if (len) {
        memmove(g->data, bytes, len);
    }
    return g->data;
}

void
ut_guard_free(ut_guard_t *g)
{
    if (g->map) {
        munmap(g->map, g->map_len);
        g->map = NULL;
    }
}
