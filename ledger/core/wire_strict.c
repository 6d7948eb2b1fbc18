/*
 * wire_strict.c: the strict walk of protobuf bytes described in wire_strict.h.
 *
 * The walk exists so that the bytes a signature covers mean exactly what the
 * ledger acts on. It therefore never accepts what protobuf-c would read
 * differently from how it was checked: where protobuf-c is narrower than the
 * protobuf encoding (tags and length prefixes of at most five bytes, packed
 * booleans of one byte each) the walk is as narrow, and a value that
 * protobuf-c would silently truncate (a uint32 varint above 2^32, a length
 * above 2^32) is refused. Whatever passes here decodes with
 * protobuf_c_message_unpack given memory enough.
 */
#include "wire_strict.h"

#include <stdbool.h>

/*
 * The bitmap of fields already seen lives on the stack, so a message type may
 * have at most this many fields. The largest manne message has 25; a
 * descriptor over the bound is refused rather than half-checked.
 */
#define WIRE_FIELDS_MAX 256U

/*
 * Each nested message costs one stack frame. manne.proto has no recursive
 * type, but a caller's depth_max is only a number: this cap keeps a recursive
 * schema with a careless depth_max from walking the stack off its end.
 */
#define WIRE_DEPTH_CAP 64U

/* Protobuf field numbers are 29 bits, so a tag fits 32: protobuf-c would
 * truncate a longer one into some other field's number. */
#define WIRE_FIELD_NUMBER_MAX ((UINT32_C(1) << 29) - 1)

/* protobuf-c reads tags and length prefixes of at most five bytes. */
#define WIRE_HEADER_BYTES_MAX 5U
#define WIRE_VARINT_BYTES_MAX 10U

struct cursor {
	const uint8_t *p;
	size_t left;
};

static int read_varint(struct cursor *c, unsigned max_bytes, uint64_t *out)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < max_bytes; i++) {
		uint8_t b;

		if (i == c->left)
			return -1;
		b = c->p[i];
		/* The tenth byte holds bit 63 only: anything more does not fit any type. */
		if (i == WIRE_VARINT_BYTES_MAX - 1 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			c->p += i + 1;
			c->left -= i + 1;
			*out = v;
			return 0;
		}
	}
	return -1;
}

static int skip(struct cursor *c, size_t n)
{
	if (n > c->left)
		return -1;
	c->p += n;
	c->left -= n;
	return 0;
}

static bool is_varint_type(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_BOOL:
	case PROTOBUF_C_TYPE_ENUM:
		return true;
	default:
		return false;
	}
}

static bool is_fixed32_type(ProtobufCType t)
{
	return t == PROTOBUF_C_TYPE_FIXED32 || t == PROTOBUF_C_TYPE_SFIXED32 ||
	       t == PROTOBUF_C_TYPE_FLOAT;
}

static bool is_fixed64_type(ProtobufCType t)
{
	return t == PROTOBUF_C_TYPE_FIXED64 || t == PROTOBUF_C_TYPE_SFIXED64 ||
	       t == PROTOBUF_C_TYPE_DOUBLE;
}

/* int32 and enum values travel as sign-extended 64-bit varints. */
static bool fits_int32(uint64_t v)
{
	return v <= UINT64_C(0x7fffffff) || v >= UINT64_C(0xffffffff80000000);
}

static int check_varint_value(const ProtobufCFieldDescriptor *f, uint64_t v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
		return fits_int32(v) ? 0 : -1;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_SINT32:
		return v <= UINT32_MAX ? 0 : -1;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_UINT64:
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		return v <= 1 ? 0 : -1;
	case PROTOBUF_C_TYPE_ENUM: {
		int32_t n;

		if (!fits_int32(v) || f->descriptor == NULL)
			return -1;
		/* Negate in the unsigned domain: a cast of a large uint64_t to int32_t is
		 * implementation-defined. */
		n = v <= INT32_MAX ? (int32_t)v : -(int32_t)(UINT64_MAX - v) - 1;
		return protobuf_c_enum_descriptor_get_value(f->descriptor, n) ? 0 : -1;
	}
	default:
		return -1;
	}
}

/*
 * Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF) without C0 or C1 controls: a memo must not be able to carry a
 * newline into a log or a terminal escape onto a till display.
 */
static int check_text(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		uint32_t cp;
		size_t more, k;

		if (b < 0x80) {
			cp = b;
			more = 0;
		} else if (b >= 0xc2 && b <= 0xdf) {
			cp = b & 0x1f;
			more = 1;
		} else if (b >= 0xe0 && b <= 0xef) {
			cp = b & 0x0f;
			more = 2;
		} else if (b >= 0xf0 && b <= 0xf4) {
			cp = b & 0x07;
			more = 3;
		} else {
			/* A stray continuation byte, an overlong lead (C0, C1) or F5-FF. */
			return -1;
		}
		if (more > n - i - 1)
			return -1;
		for (k = 1; k <= more; k++) {
			uint8_t c = s[i + k];

			if ((c & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (c & 0x3f);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000))
			return -1;
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return -1;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return -1;
		i += more + 1;
	}
	return 0;
}

static uint32_t limit_of(const struct wire_rules *rules, const ProtobufCMessageDescriptor *message,
			 uint32_t field)
{
	size_t i;

	for (i = 0; i < rules->limit_count; i++)
		if (rules->limits[i].message == message && rules->limits[i].field == field)
			return rules->limits[i].max_bytes;
	return rules->default_max;
}

/*
 * A packed run: protobuf-c counts fixed-width elements by division and would
 * drop a ragged tail, and reads each packed boolean as one byte.
 */
static int check_packed(const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t n)
{
	struct cursor c = { p, n };
	size_t i;

	if (is_fixed32_type(f->type))
		return n % 4 == 0 ? 0 : -1;
	if (is_fixed64_type(f->type))
		return n % 8 == 0 ? 0 : -1;
	if (f->type == PROTOBUF_C_TYPE_BOOL) {
		for (i = 0; i < n; i++)
			if (p[i] > 1)
				return -1;
		return 0;
	}
	if (!is_varint_type(f->type))
		return -1;
	while (c.left > 0) {
		uint64_t v;

		if (read_varint(&c, WIRE_VARINT_BYTES_MAX, &v) || check_varint_value(f, v))
			return -1;
	}
	return 0;
}

static int walk(const ProtobufCMessageDescriptor *message, const uint8_t *buf, size_t len,
		const struct wire_rules *rules, unsigned depth);

static int check_length_delimited(const ProtobufCMessageDescriptor *message,
				  const ProtobufCFieldDescriptor *f, struct cursor *c,
				  const struct wire_rules *rules, unsigned depth)
{
	uint64_t n;
	const uint8_t *p;

	if (read_varint(c, WIRE_HEADER_BYTES_MAX, &n) || n > UINT32_MAX || n > c->left)
		return -1;
	p = c->p;
	c->p += n;
	c->left -= n;

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		if (n > limit_of(rules, message, f->id))
			return -1;
		return check_text(p, n);
	case PROTOBUF_C_TYPE_BYTES:
		return n <= limit_of(rules, message, f->id) ? 0 : -1;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (f->descriptor == NULL)
			return -1;
		return walk(f->descriptor, p, n, rules, depth + 1);
	default:
		if (f->label != PROTOBUF_C_LABEL_REPEATED)
			return -1;
		return check_packed(f, p, n);
	}
}

static int check_value(const ProtobufCMessageDescriptor *message, const ProtobufCFieldDescriptor *f,
		       unsigned wire_type, struct cursor *c, const struct wire_rules *rules,
		       unsigned depth)
{
	uint64_t v;

	switch (wire_type) {
	case PROTOBUF_C_WIRE_TYPE_VARINT:
		if (!is_varint_type(f->type) || read_varint(c, WIRE_VARINT_BYTES_MAX, &v))
			return -1;
		return check_varint_value(f, v);
	case PROTOBUF_C_WIRE_TYPE_64BIT:
		return is_fixed64_type(f->type) ? skip(c, 8) : -1;
	case PROTOBUF_C_WIRE_TYPE_32BIT:
		return is_fixed32_type(f->type) ? skip(c, 4) : -1;
	case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED:
		return check_length_delimited(message, f, c, rules, depth);
	default:
		/* Groups (3, 4) are gone from proto3 and protobuf-c; 6 and 7 were never defined. */
		return -1;
	}
}

static bool seen_get(const uint8_t *seen, size_t i)
{
	return seen[i / 8] & (1U << (i % 8));
}

/*
 * protobuf-c keeps the last member of a oneof it reads; two members would let
 * a signer's software show one and the ledger apply the other.
 */
static bool oneof_taken(const ProtobufCMessageDescriptor *message, const ProtobufCFieldDescriptor *f,
			const uint8_t *seen)
{
	unsigned i;

	for (i = 0; i < message->n_fields; i++) {
		const ProtobufCFieldDescriptor *g = &message->fields[i];

		if ((g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    g->quantifier_offset == f->quantifier_offset && seen_get(seen, i))
			return true;
	}
	return false;
}

static int walk(const ProtobufCMessageDescriptor *message, const uint8_t *buf, size_t len,
		const struct wire_rules *rules, unsigned depth)
{
	uint8_t seen[WIRE_FIELDS_MAX / 8] = { 0 };
	struct cursor c = { buf, len };
	unsigned i;

	if (depth > rules->depth_max || depth > WIRE_DEPTH_CAP)
		return -1;
	if (message->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC || message->n_fields > WIRE_FIELDS_MAX)
		return -1;

	while (c.left > 0) {
		const ProtobufCFieldDescriptor *f;
		uint64_t tag, number;
		size_t idx;

		if (read_varint(&c, WIRE_HEADER_BYTES_MAX, &tag))
			return -1;
		number = tag >> 3;
		if (number == 0 || number > WIRE_FIELD_NUMBER_MAX)
			return -1;
		/* protobuf-c keeps unknown fields: the signed bytes would carry data nobody checked. */
		f = protobuf_c_message_descriptor_get_field(message, (unsigned)number);
		if (f == NULL)
			return -1;
		idx = (size_t)(f - message->fields);
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			/* protobuf-c lets the last copy win (or merges messages). */
			if (seen_get(seen, idx))
				return -1;
			if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && oneof_taken(message, f, seen))
				return -1;
			seen[idx / 8] |= (uint8_t)(1U << (idx % 8));
		}
		if (check_value(message, f, (unsigned)(tag & 7), &c, rules, depth))
			return -1;
	}

	/* proto2 only; protobuf-c would refuse the message anyway, so say so here. */
	for (i = 0; i < message->n_fields; i++)
		if (message->fields[i].label == PROTOBUF_C_LABEL_REQUIRED &&
		    message->fields[i].default_value == NULL && !seen_get(seen, i))
			return -1;
	return 0;
}

int wire_strict_check(const ProtobufCMessageDescriptor *message, const uint8_t *buf, size_t len,
		      const struct wire_rules *rules)
{
	if (message == NULL || rules == NULL || (buf == NULL && len > 0) ||
	    (rules->limits == NULL && rules->limit_count > 0))
		return -1;
	return walk(message, buf, len, rules, 1);
}
