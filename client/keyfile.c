/*
 * keyfile.c: see keyfile.h.
 */
#include "keyfile.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_BYTES (2 * crypto_sign_SEEDBYTES + 1)

int keyfile_create(const char *path, struct manne_keypair *out)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	char text[KEYFILE_BYTES + 1];
	int fd, rc = -1;

	randombytes_buf(seed, sizeof(seed));
	sodium_bin2hex(text, sizeof(text), seed, sizeof(seed));
	text[KEYFILE_BYTES - 1] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, text, KEYFILE_BYTES) == KEYFILE_BYTES && fsync(fd) == 0) {
			crypto_sign_seed_keypair(out->public_key, out->secret_key, seed);
			rc = 0;
		}
		close(fd);
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(text, sizeof(text));
	return rc;
}

int keyfile_read(const char *path, struct manne_keypair *out)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	char text[KEYFILE_BYTES + 1];
	struct stat st;
	size_t seed_len = 0;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) == 0) {
		n = read(fd, text, sizeof(text));
		if (n == KEYFILE_BYTES && text[KEYFILE_BYTES - 1] == '\n' &&
		    sodium_hex2bin(seed, sizeof(seed), text, KEYFILE_BYTES - 1, NULL, &seed_len, NULL) == 0 &&
		    seed_len == sizeof(seed)) {
			crypto_sign_seed_keypair(out->public_key, out->secret_key, seed);
			rc = 0;
		}
	}
	close(fd);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(text, sizeof(text));
	return rc;
}
