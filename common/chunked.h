/*
 * common/chunked.h: an incremental decoder of the chunked transfer coding
 * (RFC 9112 section 7.1), for a proxy that re-frames what it forwards.
 *
 * Fed whatever bytes arrived, it says which of them are chunk data and
 * which are trailer field lines (as spans of the caller's buffer, so the
 * caller can forward them without copying) and keeps its place between
 * calls. Chunk extensions are checked and dropped. Limits: a chunk size
 * has at most 15 hex digits (under 2^60), trailer fields at most
 * GW_CHUNKED_MAX_TRAILER bytes; a bare CR, a control byte, a malformed
 * size line or trailer line is an error.
 *
 *   state      on                      to
 *   SIZE       hex digit               SIZE
 *              ';'                     EXT       (extension, dropped)
 *              ' ' / '\t'              SIZE_WS   (then ';' must come)
 *              CR                      SIZE_LF
 *              LF                      DATA, or TRAILER after size 0
 *   EXT        ...                     up to CR/LF as SIZE does
 *   DATA       size bytes              DATA_CR   (spans of data)
 *   DATA_CR    CR / LF                 DATA_LF / SIZE
 *   TRAILER    CR, LF (empty line)     DONE
 *              a field line            TRAILER   (spans of trailer bytes)
 */
#ifndef GW_CHUNKED_H
#define GW_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#include "common/core.h"

#define GW_CHUNKED_MAX_TRAILER 16384

enum gw_chunk_span_kind {
    GW_CHUNK_DATA,
    GW_CHUNK_TRAILER            /* raw trailer field bytes, line ends kept */
};

typedef struct gw_chunk_span {
    int         kind;
    const char *data;
    size_t      len;
} gw_chunk_span_t;

typedef struct gw_chunked {
    int         state;
    uint64_t    size;           /* data bytes left in this chunk */
    unsigned    digits;
    unsigned    line;           /* bytes of the current trailer line */
    size_t      trailer;        /* trailer bytes so far */
    unsigned    done:1;
} gw_chunked_t;

void gw_chunked_init(gw_chunked_t *d);

/*
 * Decode buf[0 .. len). Appends at most MAX spans to SPANS (*n of them)
 * and returns how many bytes it consumed: all of them, unless the spans
 * ran out or the message ended (d->done; the bytes after it belong to the
 * next message). GW_PARSE_ERROR on malformed input.
 */
int gw_chunked_decode(gw_chunked_t *d, const char *buf, size_t len,
                      gw_chunk_span_t *spans, unsigned max, unsigned *n);

#endif
