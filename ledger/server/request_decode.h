/*
 * request_decode.h: a frame's bytes to a Request, checked as strictly as a
 * transaction body (unknown fields, repeated singular fields, over-long
 * fields are MALFORMED) and decoded in a scratch arena. A file of its own,
 * without the loop, so that tests/fuzz/fuzz_frame.c and fuzz_request.c run
 * the very decoding the daemon runs.
 */
#ifndef MANNE_REQUEST_DECODE_H
#define MANNE_REQUEST_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/core/wire_strict.h"
#include "manne.pb-c.h"
#include "server_limits.h"

/* Arena bytes enough to decode any frame the daemon may be configured to take. */
#define REQUEST_ARENA_BYTES (4 * (size_t)FRAME_BYTES_MAX_CEILING + 16384)

/* The Request a frame holds; NULL if malformed. Memory in the arena. */
Manne__Request *request_decode(const uint8_t *frame, size_t len, struct arena *arena);

#endif
