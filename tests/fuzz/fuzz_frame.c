/*
 * fuzz_frame.c: libFuzzer target for the bytes a connection hands the
 * daemon (SPEC §6): they go into an evbuffer as the network would put them,
 * frame_take (ledger/server/frame.c) cuts the frames out as conn.c does, and
 * each frame is decoded as a Request (request_check.c). Besides no crash:
 *  - each frame taken is the input's own bytes, in order, its length that of
 *    its prefix, from 1 to the maximum;
 *  - the stream stops at a prefix of 0 or over the maximum (FRAME_BROKEN,
 *    the connection is closed) or at a frame not yet whole (FRAME_NEED_MORE),
 *    and at nothing else;
 *  - the same frames come out when the bytes arrive a few at a time.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "ledger/log/bytes.h"
#include "ledger/server/frame.h"
#include "ledger/server/server_limits.h"
#include "request_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAME_MAX FRAME_BYTES_MAX_DEFAULT

/* Takes every whole frame out of `in`; `at` is where the next frame starts
 * in data. Checks each against the input. The last result. */
static enum frame_result take_all(struct evbuffer *in, const uint8_t *data, size_t size, size_t *at, size_t *count,
				  size_t arrived, int decode)
{
	for (;;) {
		uint8_t *frame = NULL;
		size_t len = 0;
		enum frame_result r = frame_take(in, FRAME_MAX, &frame, &len);
		size_t left = arrived - *at;

		if (evbuffer_get_length(in) != (r == FRAME_OK ? left - 4 - len : left))
			abort();
		if (r == FRAME_NEED_MORE) {
			if (left >= 4 && (load_be32(data + *at) == 0 || load_be32(data + *at) > FRAME_MAX ||
					  left - 4 >= load_be32(data + *at)))
				abort();
			return r;
		}
		if (r == FRAME_BROKEN) {
			if (left < 4 || (load_be32(data + *at) != 0 && load_be32(data + *at) <= FRAME_MAX))
				abort();
			return r;
		}
		if (r != FRAME_OK || frame == NULL || len == 0 || len > FRAME_MAX || left < 4 + len ||
		    load_be32(data + *at) != len || memcmp(frame, data + *at + 4, len) != 0 || *at + 4 + len > size)
			abort();
		if (decode)
			(void)request_check(frame, len);
		free(frame);
		*at += 4 + len;
		(*count)++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evbuffer *whole = evbuffer_new(), *trickle = evbuffer_new();
	size_t at = 0, count = 0, at_trickle = 0, count_trickle = 0;
	enum frame_result last, last_trickle = FRAME_NEED_MORE;

	if (whole == NULL || trickle == NULL || evbuffer_add(whole, data, size) != 0)
		abort();
	last = take_all(whole, data, size, &at, &count, size, 1);
	/* Pieces of 1 to 7 bytes in turn: every cut of a length prefix comes up. */
	for (size_t i = 0, piece = 1; i < size && last_trickle == FRAME_NEED_MORE; i += piece, piece = piece % 7 + 1) {
		if (piece > size - i)
			piece = size - i;
		if (evbuffer_add(trickle, data + i, piece) != 0)
			abort();
		last_trickle = take_all(trickle, data, size, &at_trickle, &count_trickle, i + piece, 0);
	}
	if (last_trickle != last || count_trickle != count || at_trickle != at)
		abort();
	evbuffer_free(whole);
	evbuffer_free(trickle);
	return 0;
}
