/*
 * worker/auth.c: credentials against the auth lines (see auth.h).
 */
#include <string.h>

#include "worker/auth.h"

/* Equal bytes, in time that depends only on the lengths. */
static int
same(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char diff = (unsigned char) (alen != blen);
    size_t        n = alen < blen ? alen : blen;

    for (size_t i = 0; i < n; i++) {
        diff |= (unsigned char) (a[i] ^ b[i]);
    }
    return diff == 0;
}

const gw_conf_auth_t *
gw_auth_check(const gw_conf_listener_t *conf, const char *user,
              size_t user_len, const char *password, size_t password_len)
{
    const gw_conf_auth_t *match = NULL;

    for (unsigned i = 0; i < conf->n_auth; i++) {
        const gw_conf_auth_t *a = &conf->auth[i];
        int ok = same(user, user_len, a->user, strlen(a->user))
                 & same(password, password_len, a->password,
                        strlen(a->password));

        match = ok ? a : match;
    }
    return match;
}
