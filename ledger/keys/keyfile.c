/*
 * keyfile.c: key files (format in docs/keys.md), the one reader and writer
 * of the format: libmanne's manne_key_file_* are wrappers of these.
 *
 * A plain key file is the 32-byte seed in hex and a newline (what the daemon
 * writes for --demo). A sealed one, for a board member's laptop, is five
 * lines of text:
 *
 *   manne-sealed-key-v1
 *   argon2id opslimit=3 memlimit=268435456
 *   salt=<16 bytes hex>
 *   nonce=<24 bytes hex>
 *   box=<48 bytes hex: secretbox(seed) under Argon2id(passphrase, salt)>
 *
 * The Argon2id limits are in the file so that a key sealed today still opens
 * when libsodium's defaults grow; they are bounded when read, since a file
 * is untrusted input that could otherwise ask for any amount of memory. The
 * header is not authenticated on its own: changing it changes the derived
 * key, so the box no longer opens.
 *
 * Every copy of a seed or secret key made here is wiped before returning.
 */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLAIN_FILE_BYTES (2U * crypto_sign_SEEDBYTES + 1U)
#define SEALED_MAGIC "manne-sealed-key-v1\n"
#define KEY_FILE_BYTES_MAX 512U   /* a sealed file is about 260 bytes */
#define SEAL_OPSLIMIT crypto_pwhash_OPSLIMIT_MODERATE
#define SEAL_MEMLIMIT crypto_pwhash_MEMLIMIT_MODERATE
/* What a file may ask for: at most libsodium's "sensitive" limits (1 GiB). */
#define SEAL_OPSLIMIT_MAX crypto_pwhash_OPSLIMIT_SENSITIVE
#define SEAL_MEMLIMIT_MAX crypto_pwhash_MEMLIMIT_SENSITIVE
#define BOX_BYTES (crypto_secretbox_MACBYTES + crypto_sign_SEEDBYTES)

/* Writes text to a new file of mode 0600, durably; removes it on failure. */
static enum manne_status write_new_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return MANNE_ERR_IO;
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return MANNE_ERR_IO;
	}
	if (close(fd) != 0) {
		unlink(path);
		return MANNE_ERR_IO;
	}
	return MANNE_OK;
}

static enum manne_status seal(char *text, size_t text_size, size_t *len, const uint8_t seed[crypto_sign_SEEDBYTES],
			      const char *passphrase)
{
	uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES], box[BOX_BYTES];
	uint8_t key[crypto_secretbox_KEYBYTES];
	char salt_hex[2 * sizeof(salt) + 1], nonce_hex[2 * sizeof(nonce) + 1], box_hex[2 * sizeof(box) + 1];
	int n;

	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if (crypto_pwhash(key, sizeof(key), passphrase, strlen(passphrase), salt, SEAL_OPSLIMIT, SEAL_MEMLIMIT,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return MANNE_ERR_NO_MEMORY;  /* Argon2id could not get its memory */
	crypto_secretbox_easy(box, seed, crypto_sign_SEEDBYTES, nonce, key);
	sodium_memzero(key, sizeof(key));
	sodium_bin2hex(salt_hex, sizeof(salt_hex), salt, sizeof(salt));
	sodium_bin2hex(nonce_hex, sizeof(nonce_hex), nonce, sizeof(nonce));
	sodium_bin2hex(box_hex, sizeof(box_hex), box, sizeof(box));
	n = snprintf(text, text_size, "%sargon2id opslimit=%llu memlimit=%llu\nsalt=%s\nnonce=%s\nbox=%s\n",
		     SEALED_MAGIC, (unsigned long long)SEAL_OPSLIMIT, (unsigned long long)SEAL_MEMLIMIT, salt_hex,
		     nonce_hex, box_hex);
	if (n < 0 || (size_t)n >= text_size)
		return MANNE_ERR_INTERNAL;
	*len = (size_t)n;
	return MANNE_OK;
}

enum manne_status keyfile_write_seed(const char *path, const uint8_t seed[crypto_sign_SEEDBYTES], const char *passphrase)
{
	char text[KEY_FILE_BYTES_MAX];
	size_t len = 0;
	enum manne_status status;

	if (passphrase == NULL) {
		sodium_bin2hex(text, sizeof(text), seed, crypto_sign_SEEDBYTES);
		text[PLAIN_FILE_BYTES - 1] = '\n';
		len = PLAIN_FILE_BYTES;
		status = MANNE_OK;
	} else if (passphrase[0] == '\0') {
		status = MANNE_ERR_ARGUMENT;  /* an empty passphrase would seal nothing */
	} else {
		status = seal(text, sizeof(text), &len, seed, passphrase);
	}
	if (status == MANNE_OK)
		status = write_new_file(path, text, len);
	sodium_memzero(text, sizeof(text));
	return status;
}

/* Reads the whole file (at most KEY_FILE_BYTES_MAX) after checking its mode. */
static enum manne_status read_key_text(const char *path, char *text, size_t text_size, size_t *len)
{
	struct stat st;
	ssize_t n;
	/* O_NONBLOCK: a FIFO named as a key file must not hang the reader; it is
	 * refused below like anything but a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return MANNE_ERR_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return MANNE_ERR_KEY_FILE;
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return MANNE_ERR_KEY_FILE_MODE;
	}
	/* One read: a key file is small; a longer one is not a key file. */
	n = read(fd, text, text_size);
	close(fd);
	if (n < 0)
		return MANNE_ERR_IO;
	if ((size_t)n >= text_size)
		return MANNE_ERR_KEY_FILE;
	text[n] = '\0';
	*len = (size_t)n;
	return MANNE_OK;
}

/* "prefix<hex>\n" at *pos into exactly `bytes` bytes; *pos moves past it. */
static bool take_hex_line(const char *text, size_t len, size_t *pos, const char *prefix, uint8_t *out, size_t bytes)
{
	size_t plen = strlen(prefix), got = 0;
	const char *start = text + *pos;

	if (len - *pos < plen + 2 * bytes + 1 || memcmp(start, prefix, plen) != 0 || start[plen + 2 * bytes] != '\n')
		return false;
	if (sodium_hex2bin(out, bytes, start + plen, 2 * bytes, NULL, &got, NULL) != 0 || got != bytes)
		return false;
	*pos += plen + 2 * bytes + 1;
	return true;
}

/* Canonical decimal, no leading zero, within max. */
static bool take_decimal(const char **p, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return true;
}

static enum manne_status unseal(const char *text, size_t len, const char *passphrase,
				uint8_t seed[crypto_sign_SEEDBYTES])
{
	uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES], box[BOX_BYTES];
	uint8_t key[crypto_secretbox_KEYBYTES];
	unsigned long long ops, mem;
	const char *p;
	size_t pos = strlen(SEALED_MAGIC);
	int rc;

	p = text + pos;
	if (strncmp(p, "argon2id opslimit=", 18) != 0)
		return MANNE_ERR_KEY_FILE;
	p += 18;
	if (!take_decimal(&p, SEAL_OPSLIMIT_MAX, &ops) || ops < crypto_pwhash_OPSLIMIT_MIN ||
	    strncmp(p, " memlimit=", 10) != 0)
		return MANNE_ERR_KEY_FILE;
	p += 10;
	if (!take_decimal(&p, SEAL_MEMLIMIT_MAX, &mem) || mem < crypto_pwhash_MEMLIMIT_MIN || *p != '\n')
		return MANNE_ERR_KEY_FILE;
	pos = (size_t)(p + 1 - text);
	if (!take_hex_line(text, len, &pos, "salt=", salt, sizeof(salt)) ||
	    !take_hex_line(text, len, &pos, "nonce=", nonce, sizeof(nonce)) ||
	    !take_hex_line(text, len, &pos, "box=", box, sizeof(box)) || pos != len)
		return MANNE_ERR_KEY_FILE;
	if (passphrase == NULL)
		return MANNE_ERR_PASSPHRASE_NEEDED;
	if (crypto_pwhash(key, sizeof(key), passphrase, strlen(passphrase), salt, ops, (size_t)mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return MANNE_ERR_NO_MEMORY;
	rc = crypto_secretbox_open_easy(seed, box, sizeof(box), nonce, key);
	sodium_memzero(key, sizeof(key));
	/* The box authenticates the seed: a wrong passphrase (or a changed byte)
	 * cannot open it. */
	return rc == 0 ? MANNE_OK : MANNE_ERR_PASSPHRASE;
}

enum manne_status keyfile_read_keypair(const char *path, const char *passphrase,
				       uint8_t public_key[crypto_sign_PUBLICKEYBYTES],
				       uint8_t secret_key[crypto_sign_SECRETKEYBYTES])
{
	char text[KEY_FILE_BYTES_MAX + 1];
	uint8_t seed[crypto_sign_SEEDBYTES];
	size_t len = 0, seed_len = 0;
	enum manne_status status;

	status = read_key_text(path, text, sizeof(text), &len);
	if (status != MANNE_OK)
		goto out;
	if (len > strlen(SEALED_MAGIC) && memcmp(text, SEALED_MAGIC, strlen(SEALED_MAGIC)) == 0) {
		status = unseal(text, len, passphrase, seed);
	} else if (len == PLAIN_FILE_BYTES && text[PLAIN_FILE_BYTES - 1] == '\n' &&
		   sodium_hex2bin(seed, sizeof(seed), text, PLAIN_FILE_BYTES - 1, NULL, &seed_len, NULL) == 0 &&
		   seed_len == sizeof(seed)) {
		status = MANNE_OK;
	} else {
		status = MANNE_ERR_KEY_FILE;
	}
	if (status == MANNE_OK)
		crypto_sign_seed_keypair(public_key, secret_key, seed);
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(text, sizeof(text));
	return status;
}

int keyfile_is_sealed(const char *path)
{
	char text[KEY_FILE_BYTES_MAX + 1];
	size_t len = 0;
	int sealed = -1;

	if (read_key_text(path, text, sizeof(text), &len) == MANNE_OK)
		sealed = len > strlen(SEALED_MAGIC) && memcmp(text, SEALED_MAGIC, strlen(SEALED_MAGIC)) == 0;
	sodium_memzero(text, sizeof(text));
	return sealed;
}

int keyfile_create(const char *path, struct manne_keypair *out)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	enum manne_status status;

	crypto_sign_keypair(out->public_key, out->secret_key);
	crypto_sign_ed25519_sk_to_seed(seed, out->secret_key);
	status = keyfile_write_seed(path, seed, NULL);
	sodium_memzero(seed, sizeof(seed));
	if (status != MANNE_OK)
		sodium_memzero(out, sizeof(*out));
	return status == MANNE_OK ? 0 : -1;
}

int keyfile_read(const char *path, struct manne_keypair *out)
{
	return keyfile_read_keypair(path, NULL, out->public_key, out->secret_key) == MANNE_OK ? 0 : -1;
}

int keyfile_read_passphrase(const char *path, char *out, size_t size)
{
	FILE *f = path != NULL && size > 1 ? fopen(path, "re") : NULL;
	int rc = -1;

	if (f == NULL)
		return -1;
	if (fgets(out, (int)size, f) != NULL) {
		out[strcspn(out, "\r\n")] = '\0';
		rc = out[0] != '\0' ? 0 : -1;
	}
	fclose(f);
	return rc;
}

int keyfile_prompt_secret(const char *prompt, char *out, size_t size)
{
	struct termios old, quiet;
	bool tty_quiet = false;
	int rc = -1;
	FILE *f = fopen("/dev/tty", "r+");

	if (f == NULL)
		return -1;
	fputs(prompt, f);
	fflush(f);
	if (tcgetattr(fileno(f), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tty_quiet = tcsetattr(fileno(f), TCSAFLUSH, &quiet) == 0;
	}
	if (fgets(out, (int)size, f) != NULL) {
		out[strcspn(out, "\r\n")] = '\0';
		rc = 0;
	}
	if (tty_quiet) {
		tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', f);
	}
	fclose(f);
	return rc;
}
