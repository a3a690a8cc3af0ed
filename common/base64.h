/*
 * common/base64.h: decoding base64 (RFC 4648 section 4, the standard
 * alphabet with '=' padding), as HTTP Basic credentials carry it.
 */
#ifndef GW_BASE64_H
#define GW_BASE64_H

#include <stddef.h>

/*
 * Decode IN[0 .. len) into out[0 .. size). Returns the decoded length, or
 * -1 when the input is not canonical base64 (bad characters, a length
 * that is not a multiple of 4, misplaced padding, non-zero pad bits) or
 * does not fit.
 */
int gw_base64_decode(const char *in, size_t len, unsigned char *out,
                     size_t size);

/* Encode; OUT needs 4 * ((len + 2) / 3) + 1 bytes. Returns the length. */
size_t gw_base64_encode(const unsigned char *in, size_t len, char *out);

#endif
