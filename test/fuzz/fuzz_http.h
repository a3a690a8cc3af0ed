/*
 * test/fuzz/fuzz_http.h: the driver behind fuzz_http_request and
 * fuzz_http_response (test/fuzz/README.md).
 *
 * Input: byte 0 splits the stream (fuzz_split_init), byte 1 holds options
 * (bit 0: the request was HEAD, for responses; bits 1-2: max_size 16k,
 * 128, 1k or 1M; bits 3-5: spans per chunked call, 1 to 8), the rest is
 * what a client (or an upstream) sends: one message after another.
 */
#ifndef GW_FUZZ_HTTP_H
#define GW_FUZZ_HTTP_H

#include <stddef.h>
#include <stdint.h>

void fuzz_http_run(int response, const uint8_t *data, size_t size);

#endif
