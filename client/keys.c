/*
 * keys.c: Ed25519 keys and key files (manne.h). The key-file format, plain
 * and sealed, is ledger/keys/keyfile.c (docs/keys.md), shared with the
 * daemon; these are its public face. Every copy of a seed made here is wiped
 * before returning.
 */
#include "manne.h"

#include <sodium.h>

#include "ledger/keys/keyfile.h"

_Static_assert(MANNE_PUBLICKEYBYTES == crypto_sign_PUBLICKEYBYTES, "key sizes");
_Static_assert(MANNE_SECRETKEYBYTES == crypto_sign_SECRETKEYBYTES, "key sizes");
_Static_assert(MANNE_SEEDBYTES == crypto_sign_SEEDBYTES, "key sizes");

enum manne_status manne_init(void)
{
	return sodium_init() >= 0 ? MANNE_OK : MANNE_ERR_INTERNAL;
}

size_t manne_publickeybytes(void)
{
	return MANNE_PUBLICKEYBYTES;
}

size_t manne_secretkeybytes(void)
{
	return MANNE_SECRETKEYBYTES;
}

size_t manne_txidbytes(void)
{
	return MANNE_TXIDBYTES;
}

size_t manne_note_bytes_max(void)
{
	return MANNE_NOTE_BYTES_MAX;
}

void manne_key_generate(struct manne_key *out)
{
	crypto_sign_keypair(out->public_key, out->secret_key);
}

void manne_key_wipe(struct manne_key *key)
{
	if (key != NULL)
		sodium_memzero(key, sizeof(*key));
}

void manne_short_id(const uint8_t key[MANNE_PUBLICKEYBYTES], char out[MANNE_SHORT_ID_BYTES])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (size_t i = 0; i < 4; i++) {
		if (i == 2)
			out[n++] = ' ';
		out[n++] = hex[key[i] >> 4];
		out[n++] = hex[key[i] & 15];
	}
	out[n] = '\0';
}

enum manne_status manne_key_file_write(const char *path, const struct manne_key *key, const char *passphrase)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	enum manne_status status;

	if (path == NULL || key == NULL)
		return MANNE_ERR_ARGUMENT;
	crypto_sign_ed25519_sk_to_seed(seed, key->secret_key);
	status = keyfile_write_seed(path, seed, passphrase);
	sodium_memzero(seed, sizeof(seed));
	return status;
}

enum manne_status manne_key_file_read(const char *path, const char *passphrase, struct manne_key *out)
{
	if (path == NULL || out == NULL)
		return MANNE_ERR_ARGUMENT;
	return keyfile_read_keypair(path, passphrase, out->public_key, out->secret_key);
}

int manne_key_file_is_sealed(const char *path)
{
	return path == NULL ? -1 : keyfile_is_sealed(path);
}
