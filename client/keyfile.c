/*
 * keyfile.c: see keyfile.h. The daemon, the tools and the tests use these;
 * they are the plain (unsealed) case of libmanne's key files (keys.c), so
 * there is one reader and one writer of the format.
 */
#include "keyfile.h"

#include <string.h>

#include "manne.h"

_Static_assert(sizeof(((struct manne_keypair *)0)->public_key) == MANNE_PUBLICKEYBYTES, "same keys");
_Static_assert(sizeof(((struct manne_keypair *)0)->secret_key) == MANNE_SECRETKEYBYTES, "same keys");

int keyfile_create(const char *path, struct manne_keypair *out)
{
	struct manne_key key;
	int rc = -1;

	manne_key_generate(&key);
	if (manne_key_file_write(path, &key, NULL) == MANNE_OK) {
		memcpy(out->public_key, key.public_key, sizeof(out->public_key));
		memcpy(out->secret_key, key.secret_key, sizeof(out->secret_key));
		rc = 0;
	}
	manne_key_wipe(&key);
	return rc;
}

int keyfile_read(const char *path, struct manne_keypair *out)
{
	struct manne_key key;
	int rc = -1;

	if (manne_key_file_read(path, NULL, &key) == MANNE_OK) {
		memcpy(out->public_key, key.public_key, sizeof(out->public_key));
		memcpy(out->secret_key, key.secret_key, sizeof(out->secret_key));
		rc = 0;
	}
	manne_key_wipe(&key);
	return rc;
}
