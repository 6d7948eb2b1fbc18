/*
 * wire_strict.h: strict validation of protobuf bytes against a protobuf-c
 * descriptor, before they are decoded (SPEC §4: malformed bodies).
 *
 * protobuf-c keeps unknown fields and lets a later singular field overwrite an
 * earlier one; a signed body must mean exactly one thing, so this walks the
 * wire format first and refuses:
 *  - a field number the descriptor does not know, or a wire type that does
 *    not fit the field's type;
 *  - a singular field given twice, or two members of one oneof;
 *  - truncated or over-long varints, lengths past the end, groups;
 *  - a string that is not valid UTF-8 or holds a control character
 *    (U+0000-U+001F, U+007F-U+009F);
 *  - an enum value the descriptor does not name, a bool other than 0 or 1;
 *  - a string or bytes field longer than its limit (see wire_limit);
 *  - nesting deeper than depth_max.
 * It allocates nothing.
 */
#ifndef MANNE_WIRE_STRICT_H
#define MANNE_WIRE_STRICT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The longest a string or bytes field of `message` may be. Fields not in the
 * table may be at most `default_max` bytes. */
struct wire_limit {
	const ProtobufCMessageDescriptor *message;
	uint32_t field;
	uint32_t max_bytes;
};

struct wire_rules {
	const struct wire_limit *limits;
	size_t limit_count;
	uint32_t default_max;
	unsigned depth_max;
};

/* 0 when buf[0..len) is one strictly valid `message`; -1 otherwise. */
int wire_strict_check(const ProtobufCMessageDescriptor *message, const uint8_t *buf, size_t len,
		      const struct wire_rules *rules) __attribute__((warn_unused_result));

/* A ProtobufCAllocator over a caller's buffer: decoding a hostile message
 * fails when the buffer is used up instead of growing the heap. free() is a
 * no-op; reset the arena to reuse the buffer. */
struct arena {
	uint8_t *base;
	size_t size;
	size_t used;
};

void arena_init(struct arena *a, void *buf, size_t size);
void arena_reset(struct arena *a);
ProtobufCAllocator arena_allocator(struct arena *a);

#endif
