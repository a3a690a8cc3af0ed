/*
 * test/fuzz/fuzz_conf.c: the configuration language (conf/: lexer,
 * parser, directive setters, block and whole-file checks, -T printer)
 * through its one entry point, gw_conf_load(PATH, EXTRA, ...).
 *
 * Input: a configuration file. If it holds a NUL byte, what comes before
 * the first one is passed as EXTRA (the -g directives) and the rest is the
 * file. The file is written to one temporary directory made per process
 * (mkdtemp, $TMPDIR or /tmp), so relative paths and includes resolve
 * there.
 *
 * Kept harmless and fast (the link wraps glob() and getaddrinfo(), see
 * the Makefile):
 *   - `include` globs only inside that directory: a pattern elsewhere, or
 *     with a component starting with '.' or '\' (which could name ".."),
 *     matches nothing, and so does a match that resolves outside it. The
 *     fuzzer cannot make the parser read /dev, /proc or a FIFO.
 *   - server and proxy_pass names never reach DNS: numeric hosts only,
 *     "localhost" stands for 127.0.0.1.
 *   - the pool is test/fuzz/fuzz_pool.c, one malloc() per allocation, so
 *     AddressSanitizer sees the end of every word.
 *
 * Checks: a failure leaves a message in err; a loaded tree has what the
 * checks promise (listeners with a handler and a listen address, targets
 * resolved); and -T round-trips: the printed configuration loads again and
 * prints the same (conf/dump.c: "in a form the parser reads back").
 * Everything is freed each run (LeakSanitizer watches).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "test/fuzz/fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int __real_glob(const char *pattern, int flags,
                int (*errfunc)(const char *, int), glob_t *g);
int __wrap_glob(const char *pattern, int flags,
                int (*errfunc)(const char *, int), glob_t *g);
int __real_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service,
                       const struct addrinfo *hints, struct addrinfo **res);

static char   dir[PATH_MAX];
static size_t dir_len;
static char   conf_path[PATH_MAX + 32];
static char   dump_path[PATH_MAX + 32];     /* a dot file: no glob sees it */

/* ---- the sandbox ------------------------------------------------------------- */

static int
inside(const char *path)
{
    char real[PATH_MAX];

    return realpath(path, real) != NULL && strncmp(real, dir, dir_len) == 0
           && (real[dir_len] == '/' || real[dir_len] == '\0');
}

int
__wrap_glob(const char *pattern, int flags, int (*errfunc)(const char *, int),
            glob_t *g)
{
    int rc;

    if (strncmp(pattern, dir, dir_len) != 0 || pattern[dir_len] != '/') {
        goto none;
    }
    for (const char *c = pattern + dir_len; (c = strchr(c, '/')) != NULL;
         c++) {
        if (c[1] == '.' || c[1] == '\\') {
            goto none;
        }
    }
    rc = __real_glob(pattern, flags, errfunc, g);
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < g->gl_pathc; i++) {
        if (!inside(g->gl_pathv[i])) {
            globfree(g);
            goto none;
        }
    }
    return 0;
none:
    memset(g, 0, sizeof(*g));
    return GLOB_NOMATCH;
}

int
__wrap_getaddrinfo(const char *node, const char *service,
                   const struct addrinfo *hints, struct addrinfo **res)
{
    struct addrinfo h;

    memset(&h, 0, sizeof(h));
    if (hints) {
        h = *hints;
    }
    h.ai_flags |= AI_NUMERICHOST;
    if (node && strcmp(node, "localhost") == 0) {
        node = "127.0.0.1";
    }
    return __real_getaddrinfo(node, service, &h, res);
}

static void
cleanup(void)
{
    unlink(conf_path);
    unlink(dump_path);
    rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    char        tmpl[PATH_MAX];

    (void) argc;
    (void) argv;
    snprintf(tmpl, sizeof(tmpl), "%s/gw-fuzz-conf.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(tmpl) == NULL || realpath(tmpl, dir) == NULL) {
        fprintf(stderr, "fuzz_conf: mkdtemp %s: %s\n", tmpl, strerror(errno));
        exit(1);
    }
    dir_len = strlen(dir);
    snprintf(conf_path, sizeof(conf_path), "%s/gateway.conf", dir);
    snprintf(dump_path, sizeof(dump_path), "%s/.dump.conf", dir);
    atexit(cleanup);
    fuzz_on_death(cleanup);     /* a crash leaves no directory behind */
    return 0;
}

static void
write_file(const char *path, const void *data, size_t len)
{
    int         fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const char *p = data;

    if (fd < 0) {
        fprintf(stderr, "fuzz_conf: open %s: %s\n", path, strerror(errno));
        abort();
    }
    while (len) {
        ssize_t n = write(fd, p, len);

        if (n <= 0) {
            fprintf(stderr, "fuzz_conf: write %s: %s\n", path,
                    strerror(errno));
            abort();
        }
        p += n;
        len -= (size_t) n;
    }
    close(fd);
}

/* ---- checks ------------------------------------------------------------------ */

static void
check_target(const gw_conf_target_t *t)
{
    FUZZ_CHECK(t->text == NULL || (t->upstream && t->upstream->n_addrs >= 1),
               "proxy_pass %s not resolved", t->text ? t->text : "-");
}

static void
check_tree(const gw_conf_t *conf)
{
    FUZZ_CHECK(conf->file && conf->prefix && conf->worker_processes >= 1,
               "main context");
    for (unsigned i = 0; i < conf->n_upstreams; i++) {
        const gw_conf_upstream_t *u = conf->upstreams[i];
        unsigned                  n = 0;

        FUZZ_CHECK(u->n_servers >= 1 && u->n_addrs <= GW_MAX_PEERS,
                   "upstream %s: %u servers, %u addresses", u->name,
                   u->n_servers, u->n_addrs);
        for (unsigned j = 0; j < u->n_servers; j++) {
            FUZZ_CHECK(u->servers[j].n_addrs >= 1, "server %s unresolved",
                       u->servers[j].text);
            n += u->servers[j].n_addrs;
        }
        FUZZ_CHECK(n == u->n_addrs, "upstream %s: %u addresses, counted %u",
                   u->name, u->n_addrs, n);
    }
    for (unsigned i = 0; i < conf->n_listeners; i++) {
        const gw_conf_listener_t *ls = conf->listeners[i];

        FUZZ_CHECK(ls->handler > GW_HANDLER_NONE
                   && ls->handler < GW_HANDLER_COUNT && ls->n_listens >= 1,
                   "listener %s: handler %d, %u listens", ls->name,
                   ls->handler, ls->n_listens);
        check_target(&ls->proxy_pass);
        for (unsigned j = 0; j < ls->n_locations; j++) {
            FUZZ_CHECK(ls->locations[j].path[0] == '/',
                       "location %s: path %s", ls->locations[j].pattern,
                       ls->locations[j].path);
            check_target(&ls->locations[j].proxy_pass);
        }
    }
}

/* -T into a string: its text past the first line (which names the file). */
static char *
dump(const gw_conf_t *conf, size_t *len)
{
    char  *text = NULL;
    FILE  *out = open_memstream(&text, len);

    if (out == NULL) {
        abort();
    }
    gw_conf_dump(conf, out);
    if (fclose(out) != 0 || text == NULL) {
        abort();
    }
    return text;
}

static const char *
body(const char *text)
{
    const char *nl = strchr(text, '\n');

    return nl ? nl + 1 : "";
}

static void
round_trip(const gw_conf_t *conf)
{
    char       err[GW_CONF_ERR_LEN];
    size_t     len1, len2;
    char      *first = dump(conf, &len1), *again;
    gw_conf_t *reread;

    write_file(dump_path, first, len1);
    err[0] = '\0';
    reread = gw_conf_load(dump_path, NULL, err, sizeof(err));
    FUZZ_CHECK(reread != NULL, "the -T output does not load: %s\n%s", err,
               first);
    again = dump(reread, &len2);
    FUZZ_CHECK(strcmp(body(first), body(again)) == 0,
               "the -T output reads back differently:\n"
               "---- printed\n%s---- printed again\n%s", first, again);
    free(again);
    gw_conf_free(reread);
    free(first);
    unlink(dump_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    const uint8_t *file = data;
    size_t         file_len = size;
    char          *extra = NULL;
    char           err[GW_CONF_ERR_LEN];
    gw_conf_t     *conf;

    if (nul) {
        extra = fuzz_copy(data, (size_t) (nul - data) + 1);    /* with NUL */
        file = nul + 1;
        file_len = size - (size_t) (nul - data) - 1;
    }
    write_file(conf_path, file, file_len);
    memset(err, 0, sizeof(err));
    conf = gw_conf_load(conf_path, extra, err, sizeof(err));
    if (fuzz_verbose()) {
        fprintf(stderr, "fuzz_conf: %s\n", conf ? "loaded" : err);
    }
    if (conf == NULL) {
        FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL,
                   "gw_conf_load failed without a message");
    } else {
        check_tree(conf);
        round_trip(conf);
        gw_conf_free(conf);
    }
    free(extra);
    return 0;
}
