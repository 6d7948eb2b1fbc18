/*
 * checkpoint.c: the C2SP tlog-checkpoint body (origin, tree size, root hash)
 * followed by La Manne's ten totals lines (SPEC §7).
 *
 * The parser accepts exactly what checkpoint_format writes and nothing else:
 * a checkpoint is signed, and two texts that parse to the same values but
 * differ in bytes would let a log show different witnesses different notes
 * for one tree head.
 */
#include "note.h"

#include <stdbool.h>
#include <string.h>

#include "ledger_limits.h"

#define ROOT_BYTES 32U
#define ROOT_B64_BYTES 44U		/* base64 of 32 bytes, padded */
#define U64_DIGITS_MAX 20U		/* 18446744073709551615 */

_Static_assert(sizeof(((struct checkpoint *)0)->root) == ROOT_BYTES, "root is a SHA-256");
_Static_assert(sizeof(((struct checkpoint *)0)->origin) > ORIGIN_BYTES_MAX,
	       "origin buffer holds a maximal origin and its NUL");

/* In checkpoint order; the offsets tie each line to its field. */
static const struct {
	const char *label;
	size_t offset;
} totals_lines[] = {
	{ "issued", offsetof(struct checkpoint_totals, issued) },
	{ "retired", offsetof(struct checkpoint_totals, retired) },
	{ "reconverted", offsetof(struct checkpoint_totals, reconverted) },
	{ "fees", offsetof(struct checkpoint_totals, fees) },
	{ "pending", offsetof(struct checkpoint_totals, pending) },
	{ "funded", offsetof(struct checkpoint_totals, funded) },
	{ "paid_out", offsetof(struct checkpoint_totals, paid_out) },
	{ "released", offsetof(struct checkpoint_totals, released) },
	{ "outstanding", offsetof(struct checkpoint_totals, outstanding) },
	{ "reserve", offsetof(struct checkpoint_totals, reserve) },
};

_Static_assert(sizeof(totals_lines) / sizeof(totals_lines[0]) ==
	       sizeof(struct checkpoint_totals) / sizeof(uint64_t),
	       "one line per total");

/* The field is read and written through memcpy: no aliasing games with the struct. */
static uint64_t total_get(const struct checkpoint_totals *t, size_t i)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)t + totals_lines[i].offset, sizeof(v));
	return v;
}

static void total_set(struct checkpoint_totals *t, size_t i, uint64_t v)
{
	memcpy((uint8_t *)t + totals_lines[i].offset, &v, sizeof(v));
}

/* SPEC §3: 1..128 bytes of printable ASCII without space or '+'. */
static bool origin_ok(const char *s, size_t len)
{
	if (len == 0 || len > ORIGIN_BYTES_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch > '~' || ch == '+')
			return false;
	}
	return true;
}

/* A writer that stops at the end of the buffer and remembers that it did. */
struct out_buf {
	char *p;
	size_t size, len;
	bool overflow;
};

static void put(struct out_buf *b, const char *s, size_t n)
{
	/* Keep one byte for the NUL. */
	if (b->overflow || n >= b->size - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void put_u64(struct out_buf *b, uint64_t v)
{
	char digits[U64_DIGITS_MAX];
	size_t n = 0;

	do {
		digits[sizeof(digits) - 1U - n++] = (char)('0' + v % 10U);
		v /= 10U;
	} while (v != 0);
	put(b, digits + sizeof(digits) - n, n);
}

int checkpoint_format(const struct checkpoint *c, char *out, size_t out_size, size_t *len)
{
	char b64[sodium_base64_ENCODED_LEN(ROOT_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	struct out_buf b = { .p = out, .size = out_size };
	size_t origin_len;

	if (out == NULL || out_size == 0)
		return -1;
	out[0] = '\0';
	if (c == NULL || len == NULL)
		return -1;
	origin_len = strnlen(c->origin, sizeof(c->origin));
	if (!origin_ok(c->origin, origin_len))
		return -1;

	put(&b, c->origin, origin_len);
	put(&b, "\n", 1);
	put_u64(&b, c->tree_size);
	put(&b, "\n", 1);
	sodium_bin2base64(b64, sizeof(b64), c->root, ROOT_BYTES, sodium_base64_VARIANT_ORIGINAL);
	put(&b, b64, ROOT_B64_BYTES);
	put(&b, "\n", 1);
	for (size_t i = 0; i < sizeof(totals_lines) / sizeof(totals_lines[0]); i++) {
		put(&b, totals_lines[i].label, strlen(totals_lines[i].label));
		put(&b, " ", 1);
		put_u64(&b, total_get(&c->totals, i));
		put(&b, "\n", 1);
	}
	if (b.overflow) {
		out[0] = '\0';
		return -1;
	}
	out[b.len] = '\0';
	*len = b.len;
	return 0;
}

/* The line at *pos (without its '\n'); *pos moves past the '\n'. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line,
		      size_t *line_len)
{
	const char *nl;

	if (*pos >= len)
		return false;
	nl = memchr(text + *pos, '\n', len - *pos);
	if (nl == NULL)
		return false;
	*line = text + *pos;
	*line_len = (size_t)(nl - *line);
	*pos += *line_len + 1U;
	return true;
}

/* Canonical decimal: digits only, no leading zero but in "0", within u64. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > U64_DIGITS_MAX || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10U)
			return false;
		v = v * 10U + d;
	}
	*out = v;
	return true;
}

int checkpoint_parse(const char *text, size_t len, struct checkpoint *out)
{
	struct checkpoint c;
	const char *line;
	size_t line_len, pos = 0, root_len;

	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	/* A checkpoint is a note's text: no longer than the note. */
	if (text == NULL || len > NOTE_BYTES_MAX)
		return -1;
	memset(&c, 0, sizeof(c));

	if (!next_line(text, len, &pos, &line, &line_len) || !origin_ok(line, line_len))
		return -1;
	memcpy(c.origin, line, line_len);
	c.origin[line_len] = '\0';

	if (!next_line(text, len, &pos, &line, &line_len) ||
	    !parse_u64(line, line_len, &c.tree_size))
		return -1;

	/* libsodium refuses missing padding and non-zero trailing bits: one spelling per root. */
	if (!next_line(text, len, &pos, &line, &line_len) || line_len != ROOT_B64_BYTES ||
	    note_base64_decode(line, line_len, c.root, sizeof(c.root), &root_len) != 0 ||
	    root_len != ROOT_BYTES)
		return -1;

	for (size_t i = 0; i < sizeof(totals_lines) / sizeof(totals_lines[0]); i++) {
		size_t label_len = strlen(totals_lines[i].label);
		uint64_t v;

		if (!next_line(text, len, &pos, &line, &line_len) || line_len <= label_len + 1U ||
		    memcmp(line, totals_lines[i].label, label_len) != 0 || line[label_len] != ' ' ||
		    !parse_u64(line + label_len + 1U, line_len - label_len - 1U, &v))
			return -1;
		total_set(&c.totals, i, v);
	}
	/* No further extension lines: a signer adding one would be a new format. */
	if (pos != len)
		return -1;
	*out = c;
	return 0;
}
