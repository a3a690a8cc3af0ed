/*
 * common/hash.c: MurmurHash3 x86_32, written from the published algorithm
 * description (blocks of four bytes mixed with two constants, a tail, and
 * the fmix32 finalizer).
 */
#include <string.h>

#include "common/hash.h"

static inline uint32_t
rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static inline uint32_t
mix_block(uint32_t k)
{
    k *= 0xcc9e2d51u;
    k = rotl32(k, 15);
    return k * 0x1b873593u;
}

uint32_t
gw_hash32(const void *data, size_t len, uint32_t seed)
{
    const unsigned char *p = data;
    uint32_t             h = seed, k;
    size_t               i;

    for (i = 0; i + 4 <= len; i += 4) {
        memcpy(&k, p + i, 4);           /* unaligned-safe, little endian */
        h ^= mix_block(k);
        h = rotl32(h, 13) * 5 + 0xe6546b64u;
    }
    k = 0;
    switch (len & 3) {
    case 3: k ^= (uint32_t) p[i + 2] << 16; /* fall through */
    case 2: k ^= (uint32_t) p[i + 1] << 8;  /* fall through */
    case 1: k ^= p[i];
            h ^= mix_block(k);
    }
    h ^= (uint32_t) len;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}
