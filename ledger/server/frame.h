/*
 * frame.h: SPEC §6 framing, a 4-byte big-endian length then that many bytes.
 */
#ifndef MANNE_FRAME_H
#define MANNE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

enum frame_result {
	FRAME_NEED_MORE = 0,
	FRAME_OK = 1,
	FRAME_BROKEN = 2,  /* length 0 or over the maximum: reply MALFORMED, then close */
};

/* Bound first, then allocate: takes one whole frame out of `in` into a
 * malloc'd buffer the caller owns. */
enum frame_result frame_take(struct evbuffer *in, uint32_t frame_bytes_max, uint8_t **out, size_t *len);

/* Prefixes `len` bytes with their length into a malloc'd buffer. */
uint8_t *frame_wrap(const uint8_t *bytes, size_t len, size_t *out_len);

#endif
