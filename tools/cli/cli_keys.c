/*
 * cli_keys.c: making keys and reading their public half. A key file is
 * created with mode 0600 and never overwritten; --seal puts the seed under
 * a passphrase (Argon2id, then secretbox) for keys kept on a laptop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

/* Reads --passphrase-file once, or asks twice on the terminal. */
static bool new_passphrase(const struct cli *c, char *out, size_t size)
{
	char again[1024];
	bool ok;

	if (cli_value(c, OPT_PASSPHRASE_FILE) != NULL)
		return cli_read_passphrase_file(c, out, size) == 0;
	ok = cli_prompt_secret(_("new passphrase: "), out, size) == 0 &&
	     cli_prompt_secret(_("the same again: "), again, sizeof(again)) == 0;
	if (ok && (strcmp(out, again) != 0 || out[0] == '\0')) {
		fputs(out[0] == '\0' ? _("manne keygen: the passphrase is empty\n")
				     : _("manne keygen: the two passphrases differ\n"),
		      stderr);
		ok = false;
	}
	sodium_memzero(again, sizeof(again));
	return ok;
}

int cmd_keygen(struct cli *c)
{
	const char *path = c->args[0];
	char passphrase[1024] = "", why[600];
	struct manne_key key;
	enum manne_status status;
	bool seal = cli_flag(c, OPT_SEAL);

	/* Said before the passphrase is typed twice for nothing. */
	if (access(path, F_OK) == 0)
		return cli_fail(c, MANNE_ERR_IO, _("the key file already exists: a key is never overwritten"));
	{
		char folder[4096];
		snprintf(folder, sizeof(folder), "%s", path);
		char *slash = strrchr(folder, '/');
		if (slash != NULL)
			*(slash == folder ? slash + 1 : slash) = '\0';
		if (access(slash != NULL ? folder : ".", W_OK | X_OK) != 0) {
			snprintf(why, sizeof(why), _("the folder %s does not exist or cannot be written: %s"),
				 slash != NULL ? folder : ".", strerror(errno));
			return cli_fail(c, MANNE_ERR_IO, why);
		}
	}
	if (seal && !new_passphrase(c, passphrase, sizeof(passphrase))) {
		sodium_memzero(passphrase, sizeof(passphrase));
		return cli_usage_error(c, "--seal needs a passphrase: --passphrase-file FILE, or type it twice on a terminal");
	}
	manne_key_generate(&key);
	status = manne_key_file_write(path, &key, seal ? passphrase : NULL);
	sodium_memzero(passphrase, sizeof(passphrase));
	if (status != MANNE_OK) {
		manne_key_wipe(&key);
		snprintf(why, sizeof(why), _("cannot create %s (it must not exist): %s"), path, cli_status_text(status));
		return cli_fail(c, status, why);
	}
	out_begin(c);
	out_bool(c, "ok", NULL, true);
	out_str(c, "file", "key file", path);
	out_bool(c, "sealed", "sealed", seal);
	out_hex(c, "public_key", "public key", key.public_key, sizeof(key.public_key));
	out_end(c);
	manne_key_wipe(&key);
	return EXIT_DONE;
}

int cmd_pubkey(struct cli *c)
{
	struct manne_key key;
	int rc = cli_load_key(c, c->args[0], &key);

	if (rc != 0)
		return rc;
	out_begin(c);
	out_bool(c, "ok", NULL, true);
	out_hex(c, "public_key", "public key", key.public_key, sizeof(key.public_key));
	out_end(c);
	manne_key_wipe(&key);
	return EXIT_DONE;
}

int cmd_tls_pin(struct cli *c)
{
	char pin[MANNE_TLS_PIN_BYTES];
	enum manne_status status = manne_tls_pin_of_cert(c->args[0], pin, sizeof(pin));

	if (status != MANNE_OK)
		return cli_fail(c, status, "not a PEM certificate, or it cannot be read");
	out_begin(c);
	out_bool(c, "ok", NULL, true);
	out_str(c, "pin", "pin", pin);
	out_end(c);
	return EXIT_DONE;
}
