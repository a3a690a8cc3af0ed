/*
 * common/hash.h: a 32-bit non-cryptographic hash for balancers (ip_hash
 * keys, the consistent_hash ring). MurmurHash3's x86_32 algorithm: good
 * avalanche on short, similar keys such as addresses and "name#17".
 */
#ifndef GW_HASH_H
#define GW_HASH_H

#include <stddef.h>
#include <stdint.h>

uint32_t gw_hash32(const void *data, size_t len, uint32_t seed);

#endif
