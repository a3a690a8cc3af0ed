/*
 * common/base64.c: base64 both ways (see base64.h). Decoding is strict:
 * one spelling per byte string, so credentials compare as bytes.
 */
#include "common/base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* One group of four characters into *n bytes; -1 when malformed. */
static int
group(const unsigned char *g, int last, unsigned char *b, int *n)
{
    int v[4], pad = 0;

    for (int i = 0; i < 4; i++) {
        if (g[i] == '=' && last && i >= 2 && (i == 3 || g[3] == '=')) {
            v[i] = 0;
            pad++;
            continue;
        }
        if ((v[i] = value(g[i])) < 0) {
            return -1;
        }
    }
    b[0] = (unsigned char) (v[0] << 2 | v[1] >> 4);
    b[1] = (unsigned char) ((v[1] & 0xf) << 4 | v[2] >> 2);
    b[2] = (unsigned char) ((v[2] & 0x3) << 6 | v[3]);
    *n = 3 - pad;
    /* the bits a padded group drops must be zero (canonical form) */
    if ((pad == 2 && (v[1] & 0xf)) || (pad == 1 && (v[2] & 0x3))) {
        return -1;
    }
    return 0;
}

int
gw_base64_decode(const char *in, size_t len, unsigned char *out, size_t size)
{
    size_t written = 0;

    if (len % 4 != 0) {
        return -1;
    }
    for (size_t i = 0; i < len; i += 4) {
        unsigned char b[3];
        int           n;

        if (group((const unsigned char *) in + i, i + 4 == len, b, &n) != 0
            || written + (size_t) n > size) {
            return -1;
        }
        for (int k = 0; k < n; k++) {
            out[written++] = b[k];
        }
    }
    return (int) written;
}

size_t
gw_base64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned) in[i] << 16;
        size_t   left = len - i;

        v |= left > 1 ? (unsigned) in[i + 1] << 8 : 0;
        v |= left > 2 ? in[i + 2] : 0;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = left > 1 ? alphabet[v >> 6 & 63] : '=';
        out[o++] = left > 2 ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}
