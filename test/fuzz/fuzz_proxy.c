/*
 * test/fuzz/fuzz_proxy.c: the PROXY protocol parser (common/proxy_proto.c)
 * as worker/proxy_protocol.c uses it: peeked bytes parsed from the start
 * each time more arrive.
 *
 * Input: the client's first bytes, as they are.
 *
 * Checks: a length found is within the input and is the header alone (its
 * bytes give the same length, one fewer gives "not yet", bytes after it
 * change nothing); "not yet" holds for every shorter prefix and a refusal
 * for every longer input; addresses found write back (v1 for one family,
 * v2 always) into headers that parse to the same addresses.
 */
#include <stdlib.h>
#include <string.h>

#include "common/proxy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const gw_proxy_result_t *r)
{
    gw_proxy_result_t back;
    char              buf[GW_PROXY_MAX_LEN];
    size_t            n;

    n = gw_proxy_write_v2(buf, sizeof(buf), &r->src, &r->dst, 1);
    if (n == 0 || gw_proxy_parse(buf, n, &back) != (int) n
        || !gw_sockaddr_eq(&back.src, &r->src)
        || !gw_sockaddr_eq(&back.dst, &r->dst)) {
        abort();
    }
    n = gw_proxy_write_v1(buf, sizeof(buf), &r->src, &r->dst);
    if (n == 0 || gw_proxy_parse(buf, n, &back) != (int) n || back.local
        || !gw_sockaddr_eq(&back.src, &r->src)) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char        *in = (const char *) data;
    gw_proxy_result_t  r, again;
    int                len;
    char              *more;

    if (size > 2 * GW_PROXY_MAX_LEN) {
        return 0;
    }
    len = gw_proxy_parse(in, size, &r);
    if (len > (int) size || len < -1) {
        abort();
    }
    /* every shorter prefix is "not yet" or, at most, already refused */
    for (size_t k = 0; k < size && k < (size_t) (len > 0 ? len : (int) size);
         k++) {
        int p = gw_proxy_parse(in, k, &again);

        if (p > 0 || (len >= 0 && p < 0)) {
            abort();
        }
    }
    if (len > 0) {
        if (gw_proxy_parse(in, (size_t) len, &again) != len
            || memcmp(&again, &r, sizeof(r)) != 0
            || gw_proxy_parse(in, (size_t) len - 1, &again) != 0) {
            abort();
        }
        if (!r.local && r.src.sa.sa_family == r.dst.sa.sa_family) {
            roundtrip(&r);
        }
    }
    /* one more byte never turns a refusal or a header into something else */
    if ((more = malloc(size + 1)) == NULL) {
        return 0;
    }
    memcpy(more, in, size);
    more[size] = 'x';
    if ((len != 0 && gw_proxy_parse(more, size + 1, &again) != len)) {
        abort();
    }
    free(more);
    return 0;
}
