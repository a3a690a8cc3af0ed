/*
 * worker/auth.h: the `auth USER:PASSWORD` lines of a listener, checked
 * for http_forward (Basic proxy credentials) and socks5 (RFC 1929).
 */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stddef.h>

#include "conf/conf.h"

/*
 * Do USER and PASSWORD match one of CONF's auth lines? Every line is
 * compared in full and no comparison stops at the first differing byte,
 * so the time taken tells nothing of how close a guess was. Returns the
 * line that matched, or NULL.
 */
const gw_conf_auth_t *gw_auth_check(const gw_conf_listener_t *conf, const char *user,
                  size_t user_len, const char *password, size_t password_len);

#endif
