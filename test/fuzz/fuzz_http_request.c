/*
 * test/fuzz/fuzz_http_request.c: request heads (gw_http_parse_request),
 * pipelined, with their bodies (Content-Length skipped, chunked decoded),
 * fed in pieces; see fuzz_http.c for the checks, README.md for the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "test/fuzz/fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_http_run(0, data, size);
    return 0;
}
