/*
 * note.h: C2SP signed notes with Ed25519 signatures (signature type 0x01)
 * and C2SP tlog-checkpoint bodies with La Manne's totals extension lines
 * (SPEC §7).
 *
 * A note is its text (ending in a newline), a blank line, then signature lines
 * "— <key name> <base64(key id[4] || signature[64])>\n". The key id is the
 * first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key). A verifier
 * key string is "<name>+<key id hex>+<base64(0x01 || public key)>".
 * Functions return 0 / -1 unless said otherwise.
 */
#ifndef MANNE_NOTE_H
#define MANNE_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define NOTE_KEY_NAME_BYTES_MAX 128U
#define NOTE_BYTES_MAX 4096U  /* a checkpoint note: origin, size, root, ten totals, a few signatures */

struct note_verifier {
	char name[NOTE_KEY_NAME_BYTES_MAX + 1];
	uint8_t key_id[4];
	uint8_t public_key[crypto_sign_PUBLICKEYBYTES];
};

void note_key_id(const char *name, const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
		 uint8_t key_id[4]);

/* Writes the verifier key string (NUL-terminated) into out. */
int note_verifier_format(const char *name, const uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
			 char *out, size_t out_size) __attribute__((warn_unused_result));
int note_verifier_parse(const char *vkey, struct note_verifier *out) __attribute__((warn_unused_result));
/* Standard base64 with padding, strictly: only the alphabet's characters
 * (libsodium alone would read a byte with the high bit set as the character
 * below it), one spelling per value. 0, or -1. */
int note_base64_decode(const char *b64, size_t b64_len, uint8_t *bin, size_t bin_max, size_t *bin_len)
	__attribute__((warn_unused_result));

/* Signs text as `name` with libsodium's secret key (seed || public key) and
 * writes the whole note, NUL-terminated, into out. As C2SP requires, the text
 * is non-empty, ends in '\n', is valid UTF-8 and holds no ASCII control
 * character but '\n'; it may hold blank lines (the note's last one is the
 * separator). Refused when the note would exceed NOTE_BYTES_MAX, which
 * note_verify would refuse. out may be text itself. */
int note_sign(const char *text, size_t text_len, const char *name,
	      const uint8_t secret_key[crypto_sign_SECRETKEYBYTES], char *out, size_t out_size)
	__attribute__((warn_unused_result));

/* 0 when the note carries a valid signature by `verifier`; the text length
 * (up to and including its last newline before the blank line) goes to *text_len. */
int note_verify(const char *note, size_t note_len, const struct note_verifier *verifier,
		size_t *text_len) __attribute__((warn_unused_result));

/* The totals of SPEC §2 and §7, in centimes, in checkpoint order. */
struct checkpoint_totals {
	uint64_t issued, retired, reconverted, fees, pending;
	uint64_t funded, paid_out, released, outstanding, reserve;
};

struct checkpoint {
	char origin[NOTE_KEY_NAME_BYTES_MAX + 1];
	uint64_t tree_size;
	uint8_t root[32];
	struct checkpoint_totals totals;
};

/* The checkpoint text: origin, size, base64 root, then the ten totals lines
 * "issued N" .. "reserve N". */
int checkpoint_format(const struct checkpoint *c, char *out, size_t out_size, size_t *len)
	__attribute__((warn_unused_result));
/* Parses a checkpoint text strictly (exact lines, decimal without leading zeros). */
int checkpoint_parse(const char *text, size_t len, struct checkpoint *out) __attribute__((warn_unused_result));

/* Valid UTF-8 (as note texts are read) without any control character, C0,
 * DEL or C1: safe to print on a terminal or in JSON as it is. */
bool note_text_printable(const char *text, size_t len);

#endif
