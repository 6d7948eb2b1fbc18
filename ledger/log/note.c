/*
 * note.c: C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, read
 * the way golang.org/x/mod/sumdb/note reads them, but stricter where a
 * signer following the spec never notices: base64 must be canonical (one
 * spelling per signature), a note is at most NOTE_BYTES_MAX bytes with at
 * most 16 signature lines (Go allows 100), names hold no control
 * characters, and every line by our key must verify, not just the first
 * (the spec's SHOULD; Go skips repeats).
 *
 * Everything handed to note_verify and note_verifier_parse comes from the
 * network or a config file: lengths are checked before every read.
 */
#include "note.h"

#include <stdbool.h>
#include <string.h>

#define SIG_TYPE_ED25519 0x01U
#define KEY_ID_BYTES 4U
#define SIG_LINE_PREFIX "\xe2\x80\x94 "	/* em dash U+2014, space */
#define SIG_LINE_PREFIX_BYTES (sizeof(SIG_LINE_PREFIX) - 1U)
#define NOTE_SIGNATURES_MAX 16U	/* C2SP: verifiers MUST accept at least 16 */
#define ED25519_SIG_LINE_BYTES (KEY_ID_BYTES + crypto_sign_BYTES)
#define VKEY_KEY_BYTES (1U + crypto_sign_PUBLICKEYBYTES)
#define VKEY_KEY_B64_BYTES 44U	/* base64 of 33 bytes, padded */
#define VKEY_BYTES_MAX (NOTE_KEY_NAME_BYTES_MAX + 1U + 8U + 1U + VKEY_KEY_B64_BYTES)
/* Unknown keys may use other signature types: decode any length a note can hold. */
#define SIG_DECODED_BYTES_MAX (NOTE_BYTES_MAX / 4U * 3U)

/*
 * Decodes one UTF-8 sequence at s[0..len). Overlong forms, surrogates and
 * code points past U+10FFFF are refused, as Go's utf8.DecodeRune does, so
 * that the bytes we sign and the bytes another verifier checks are read as
 * the same text.
 */
static size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	size_t n;
	uint32_t min;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1fU;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0fU;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07U;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3fU);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* C2SP: valid UTF-8 and no ASCII control character but newline. */
static bool text_chars_ok(const char *text, size_t len)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0 || (cp < 0x20 && cp != '\n'))
			return false;
		i += n;
	}
	return true;
}

bool note_text_printable(const char *text, size_t len)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return false;
		i += n;
	}
	return true;
}

/* The Unicode White_Space property, which is also Go's unicode.IsSpace. */
static bool is_unicode_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/*
 * C2SP allows any non-empty name without Unicode spaces or '+'. Control
 * characters (C0, DEL, C1) are refused too: a name ends up in logs and on
 * operators' terminals.
 */
static bool key_name_ok(const char *name, size_t len)
{
	const uint8_t *s = (const uint8_t *)name;
	size_t i = 0;

	if (len == 0)
		return false;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0 || cp == '+' || is_unicode_space(cp) || cp < 0x20 ||
		    (cp >= 0x7f && cp <= 0x9f))
			return false;
		i += n;
	}
	return true;
}

/* Bounded strlen: -1 when name is longer than a key name may be. */
static int key_name_len(const char *name, size_t *len)
{
	size_t n;

	if (name == NULL)
		return -1;
	n = strnlen(name, NOTE_KEY_NAME_BYTES_MAX + 1U);
	if (n > NOTE_KEY_NAME_BYTES_MAX || !key_name_ok(name, n))
		return -1;
	*len = n;
	return 0;
}

static void key_id_of(const char *name, size_t name_len,
		      const uint8_t public_key[crypto_sign_PUBLICKEYBYTES], uint8_t key_id[4])
{
	static const uint8_t sep_type[2] = { '\n', SIG_TYPE_ED25519 };
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
	crypto_hash_sha256_update(&st, sep_type, sizeof(sep_type));
	crypto_hash_sha256_update(&st, public_key, crypto_sign_PUBLICKEYBYTES);
	crypto_hash_sha256_final(&st, h);
	memcpy(key_id, h, KEY_ID_BYTES);
}

void note_key_id(const char *name, const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
		 uint8_t key_id[4])
{
	/* A void function cannot refuse: hash at most the bytes a name may have. */
	size_t len = name == NULL ? 0 : strnlen(name, NOTE_KEY_NAME_BYTES_MAX + 1U);

	key_id_of(len == 0 ? "" : name, len, public_key, key_id);
}

/* Strict standard base64: padded, canonical trailing bits, nothing else. */
int note_base64_decode(const char *b64, size_t b64_len, uint8_t *bin, size_t bin_max, size_t *bin_len)
{
	/* Only the alphabet itself: libsodium's decoder reads a byte with the
	 * high bit set as the ASCII character below it (0xaf as '/'), which
	 * would let two different texts stand for one key or signature. */
	for (size_t i = 0; i < b64_len; i++) {
		unsigned char c = (unsigned char)b64[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
		      c == '/' || c == '='))
			return -1;
	}
	return sodium_base642bin(bin, bin_max, b64, b64_len, NULL, bin_len, NULL,
				 sodium_base64_VARIANT_ORIGINAL);
}

int note_verifier_format(const char *name, const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
			 char *out, size_t out_size)
{
	uint8_t key[VKEY_KEY_BYTES];
	uint8_t key_id[KEY_ID_BYTES];
	char hex[2 * KEY_ID_BYTES + 1];
	char b64[sodium_base64_ENCODED_LEN(VKEY_KEY_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	size_t name_len;
	size_t total;

	if (out == NULL || out_size == 0)
		return -1;
	out[0] = '\0';
	if (public_key == NULL || key_name_len(name, &name_len) != 0)
		return -1;
	key_id_of(name, name_len, public_key, key_id);
	sodium_bin2hex(hex, sizeof(hex), key_id, sizeof(key_id));
	key[0] = SIG_TYPE_ED25519;
	memcpy(key + 1, public_key, crypto_sign_PUBLICKEYBYTES);
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);

	total = name_len + 1U + 2U * KEY_ID_BYTES + 1U + VKEY_KEY_B64_BYTES;
	if (total >= out_size)
		return -1;
	memcpy(out, name, name_len);
	out[name_len] = '+';
	memcpy(out + name_len + 1U, hex, 2U * KEY_ID_BYTES);
	out[name_len + 1U + 2U * KEY_ID_BYTES] = '+';
	memcpy(out + name_len + 2U + 2U * KEY_ID_BYTES, b64, VKEY_KEY_B64_BYTES);
	out[total] = '\0';
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int note_verifier_parse(const char *vkey, struct note_verifier *out)
{
	struct note_verifier v = {0}; /* every byte of what is handed out is set */
	const char *plus1, *plus2;
	uint8_t key[VKEY_KEY_BYTES];
	uint8_t want_id[KEY_ID_BYTES];
	size_t len, name_len, b64_len, key_len;

	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	if (vkey == NULL)
		return -1;
	len = strnlen(vkey, VKEY_BYTES_MAX + 1U);
	if (len > VKEY_BYTES_MAX)
		return -1;

	/* Names hold no '+', so the first two split the fields as Go's chop does. */
	plus1 = memchr(vkey, '+', len);
	if (plus1 == NULL)
		return -1;
	name_len = (size_t)(plus1 - vkey);
	if (name_len > NOTE_KEY_NAME_BYTES_MAX || !key_name_ok(vkey, name_len))
		return -1;
	plus2 = memchr(plus1 + 1, '+', len - name_len - 1U);
	if (plus2 == NULL || plus2 - plus1 - 1 != 2 * (ptrdiff_t)KEY_ID_BYTES)
		return -1;
	/* Go's ParseUint takes either case; the id is checked against the key anyway. */
	for (size_t i = 0; i < KEY_ID_BYTES; i++) {
		int hi = hex_nibble(plus1[1 + 2 * i]);
		int lo = hex_nibble(plus1[2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return -1;
		v.key_id[i] = (uint8_t)(hi << 4 | lo);
	}
	b64_len = len - (size_t)(plus2 + 1 - vkey);
	if (note_base64_decode(plus2 + 1, b64_len, key, sizeof(key), &key_len) != 0 ||
	    key_len != sizeof(key) || key[0] != SIG_TYPE_ED25519)
		return -1;
	memcpy(v.public_key, key + 1, crypto_sign_PUBLICKEYBYTES);
	memcpy(v.name, vkey, name_len);
	v.name[name_len] = '\0';

	key_id_of(v.name, name_len, v.public_key, want_id);
	if (sodium_memcmp(want_id, v.key_id, KEY_ID_BYTES) != 0)
		return -1;
	*out = v;
	return 0;
}

int note_sign(const char *text, size_t text_len, const char *name,
	      const uint8_t secret_key[crypto_sign_SECRETKEYBYTES], char *out, size_t out_size)
{
	const uint8_t *public_key;
	uint8_t sig[ED25519_SIG_LINE_BYTES];
	char b64[sodium_base64_ENCODED_LEN(ED25519_SIG_LINE_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	size_t name_len, b64_len, total, pos;

	if (out == NULL || out_size == 0)
		return -1;
	if (text == NULL || secret_key == NULL || key_name_len(name, &name_len) != 0)
		goto fail;
	/* Refuse to write what note_verify would refuse to read. */
	if (text_len == 0 || text_len > NOTE_BYTES_MAX || text[text_len - 1] != '\n' ||
	    !text_chars_ok(text, text_len))
		goto fail;

	/* libsodium's secret key is seed || public key. */
	public_key = secret_key + crypto_sign_SEEDBYTES;
	key_id_of(name, name_len, public_key, sig);
	if (crypto_sign_detached(sig + KEY_ID_BYTES, NULL, (const uint8_t *)text, text_len,
				 secret_key) != 0)
		goto fail;
	/*
	 * A secret key whose halves disagree, or a fault while signing, would
	 * publish a signature nobody can check: catch it here, not in the field.
	 */
	if (crypto_sign_verify_detached(sig + KEY_ID_BYTES, (const uint8_t *)text, text_len,
					public_key) != 0)
		goto fail;
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	b64_len = sizeof(b64) - 1U;

	total = text_len + 1U + SIG_LINE_PREFIX_BYTES + name_len + 1U + b64_len + 1U;
	if (total > NOTE_BYTES_MAX || total >= out_size)
		goto fail;
	/* memmove: signing in place (out == text) is allowed. */
	memmove(out, text, text_len);
	pos = text_len;
	out[pos++] = '\n';
	memcpy(out + pos, SIG_LINE_PREFIX, SIG_LINE_PREFIX_BYTES);
	pos += SIG_LINE_PREFIX_BYTES;
	memcpy(out + pos, name, name_len);
	pos += name_len;
	out[pos++] = ' ';
	memcpy(out + pos, b64, b64_len);
	pos += b64_len;
	out[pos++] = '\n';
	out[pos] = '\0';
	return 0;
fail:
	out[0] = '\0';
	return -1;
}

/* Last "\n\n": C2SP lets the text hold blank lines, signatures never do. */
static const char *last_blank_line(const char *s, size_t len)
{
	for (size_t i = len; i >= 2; i--) {
		if (s[i - 1] == '\n' && s[i - 2] == '\n')
			return s + i - 2;
	}
	return NULL;
}

int note_verify(const char *note, size_t note_len, const struct note_verifier *verifier,
		size_t *text_len)
{
	uint8_t sig[SIG_DECODED_BYTES_MAX];
	const char *split, *p, *end;
	size_t vname_len, tlen, nsigs = 0;
	bool verified = false;

	if (note == NULL || verifier == NULL || note_len == 0 || note_len > NOTE_BYTES_MAX)
		return -1;
	vname_len = strnlen(verifier->name, sizeof(verifier->name));
	if (vname_len == sizeof(verifier->name) || !key_name_ok(verifier->name, vname_len))
		return -1;
	if (!text_chars_ok(note, note_len))
		return -1;

	split = last_blank_line(note, note_len);
	if (split == NULL)
		return -1;
	tlen = (size_t)(split - note) + 1U;
	p = split + 2;
	end = note + note_len;
	if (p == end || end[-1] != '\n')
		return -1;

	/* Every line is checked before we answer: a malformed note is refused whole. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *name, *sp, *b64;
		size_t name_len, sig_len;

		/* end[-1] is '\n', so nl is never NULL: the check costs nothing. */
		if (nl == NULL || ++nsigs > NOTE_SIGNATURES_MAX)
			return -1;
		if ((size_t)(nl - p) < SIG_LINE_PREFIX_BYTES ||
		    memcmp(p, SIG_LINE_PREFIX, SIG_LINE_PREFIX_BYTES) != 0)
			return -1;
		name = p + SIG_LINE_PREFIX_BYTES;
		sp = memchr(name, ' ', (size_t)(nl - name));
		if (sp == NULL)
			return -1;
		name_len = (size_t)(sp - name);
		if (!key_name_ok(name, name_len))
			return -1;
		b64 = sp + 1;
		if (b64 == nl ||
		    note_base64_decode(b64, (size_t)(nl - b64), sig, sizeof(sig), &sig_len) != 0 ||
		    sig_len <= KEY_ID_BYTES)
			return -1;

		/* Another key, or one sharing only our name or only our id: ignored. */
		if (name_len == vname_len && memcmp(name, verifier->name, name_len) == 0 &&
		    sodium_memcmp(sig, verifier->key_id, KEY_ID_BYTES) == 0) {
			if (sig_len != ED25519_SIG_LINE_BYTES ||
			    crypto_sign_verify_detached(sig + KEY_ID_BYTES,
							(const uint8_t *)note, tlen,
							verifier->public_key) != 0)
				return -1;
			verified = true;
		}
		p = nl + 1;
	}
	if (!verified)
		return -1;
	if (text_len != NULL)
		*text_len = tlen;
	return 0;
}
