/*
 * test/fuzz/fuzz_http_response.c: response heads (gw_http_parse_response,
 * 1xx interim responses, HEAD), one after another as on a kept-alive
 * upstream connection, with the chunked decoder over chunked bodies, fed
 * in pieces whose sizes come from the input; see fuzz_http.c for the
 * checks, README.md for the input.
 */
#include <stddef.h>
#include <stdint.h>

#include "test/fuzz/fuzz_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_http_run(1, data, size);
    return 0;
}
