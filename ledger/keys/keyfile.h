/*
 * keyfile.h: Ed25519 keys at rest (docs/keys.md): one reader and one writer
 * of the key-file format for the daemon, libmanne and the tools. A plain key
 * file holds the 32-byte seed in hex and a newline; a sealed one holds it
 * under a passphrase (Argon2id, secretbox). Files are created with mode 0600,
 * never overwritten, and refused when others may read them.
 *
 * May include: log/ (the status codes). Uses libsodium.
 */
#ifndef MANNE_KEYFILE_H
#define MANNE_KEYFILE_H

#include <stdint.h>

#include <sodium.h>

#include "ledger/log/manne_status.h"

struct manne_keypair {
	uint8_t public_key[crypto_sign_PUBLICKEYBYTES];
	uint8_t secret_key[crypto_sign_SECRETKEYBYTES];
};

/* Writes seed to path (which must not exist), sealed when passphrase is not
 * NULL (an empty passphrase is MANNE_ERR_ARGUMENT). MANNE_ERR_IO when the
 * file cannot be created or written durably. */
enum manne_status keyfile_write_seed(const char *path, const uint8_t seed[crypto_sign_SEEDBYTES],
				     const char *passphrase) __attribute__((warn_unused_result));
/* Reads a plain or sealed key file (passphrase NULL for a plain one):
 * MANNE_ERR_KEY_FILE_MODE when others may read it, MANNE_ERR_KEY_FILE when it
 * is not one, MANNE_ERR_PASSPHRASE_NEEDED or MANNE_ERR_PASSPHRASE for a
 * sealed one. */
enum manne_status keyfile_read_keypair(const char *path, const char *passphrase,
				       uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
				       uint8_t secret_key[crypto_sign_SECRETKEYBYTES]) __attribute__((warn_unused_result));
/* 1 sealed, 0 plain, -1 unreadable. */
int keyfile_is_sealed(const char *path);

/* The passphrase of a sealed key, from the first line of a file (its line
 * end dropped): 0, or -1 when it cannot be read or the line is empty. */
int keyfile_read_passphrase(const char *path, char *out, size_t size);

/* Reads a line from the terminal (/dev/tty) without echo, its line end
 * dropped: 0, or -1 when there is no terminal. For passphrases and PINs. */
int keyfile_prompt_secret(const char *prompt, char *out, size_t size);

/* Makes a new random key and writes it, plain, to path (which must not exist). */
int keyfile_create(const char *path, struct manne_keypair *out) __attribute__((warn_unused_result));
/* Reads a plain key; refuses a file that others may read. */
int keyfile_read(const char *path, struct manne_keypair *out) __attribute__((warn_unused_result));

#endif
