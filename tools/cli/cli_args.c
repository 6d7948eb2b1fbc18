/*
 * cli_args.c: what every command of `manne` shares: option values, parsers
 * of amounts, numbers and keys, key files and passphrases, the connection,
 * errors and their exit codes (docs/cli.md). Called by cli_main.c and each
 * cli_<group>.c; calls none of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "ledger/keys/keyfile.h"

#define PASSPHRASE_BYTES_MAX 1024U

const char *cli_value(const struct cli *c, enum cli_opt opt)
{
	return c->counts[opt] > 0 ? c->values[opt][c->counts[opt] - 1] : NULL;
}

bool cli_flag(const struct cli *c, enum cli_opt opt)
{
	return c->counts[opt] > 0;
}

int cli_usage_error(const struct cli *c, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), _(fmt), ap);
	va_end(ap);
	return cli_fail(c, MANNE_ERR_ARGUMENT, text);
}

static int exit_code(enum manne_status status)
{
	switch (status) {
	case MANNE_OK:
		return EXIT_DONE;
	case MANNE_ERR_CONNECT:
	case MANNE_ERR_TIMEOUT:
	case MANNE_ERR_PROTOCOL:
		return EXIT_UNREACHABLE;
	case MANNE_ERR_ARGUMENT:
	case MANNE_ERR_CARD_FORMAT:
	case MANNE_ERR_CARD_VERSION:
	case MANNE_ERR_CARD_LIMITS:
	case MANNE_ERR_PIN_FORMAT:
		return EXIT_USAGE;
	case MANNE_ERR_KEY_FILE:
	case MANNE_ERR_KEY_FILE_MODE:
	case MANNE_ERR_PASSPHRASE:
	case MANNE_ERR_PASSPHRASE_NEEDED:
		return EXIT_KEY;
	case MANNE_ERR_VERIFY:
	case MANNE_ERR_TLS:
		return EXIT_UNVERIFIED;
	case MANNE_ERR_PAYMENT_MISMATCH:
	case MANNE_ERR_CARD_OPEN:
		return EXIT_REFUSED;
	case MANNE_ERR_IO:
	case MANNE_ERR_NO_MEMORY:
		return EXIT_LOCAL;
	default:
		return (int)status < MANNE_STATUS_COUNT ? EXIT_REFUSED : EXIT_LOCAL;
	}
}

int cli_fail_with(const struct cli *c, enum manne_status status, const char *message, const char *key,
		  uint64_t value)
{
	/* A message of the sources is a msgid; one already written in the
	 * reader's language (or a file name, a library's detail) is not in the
	 * catalogue and comes back as it is. */
	const char *text = message != NULL && message[0] != '\0' ? _(message) : cli_status_text(status);
	int code = exit_code(status);

	fprintf(stderr, _("manne %s: %s\n"), c->command != NULL ? c->command : "", text);
	if (c->json) {
		printf("{\"ok\":false,\"status\":");
		json_string(manne_status_name(status));
		printf(",\"code\":%d,\"exit\":%d,\"message\":", (int)status, code);
		json_string(text);
		if (key != NULL)
			printf(",\"%s\":%llu", key, (unsigned long long)value);
		printf("}\n");
		fflush(stdout);
	}
	return code;
}

int cli_fail(const struct cli *c, enum manne_status status, const char *message)
{
	return cli_fail_with(c, status, message, NULL, 0);
}

const char *cli_status_text(enum manne_status status)
{
	return _(manne_status_message(status));
}

/* libmanne's details are English and made on the fly: a reader in another
 * language reads the status's meaning in theirs first. */
int cli_fail_detail(const struct cli *c, enum manne_status status, const char *detail)
{
	const char *english = manne_status_message(status), *meaning = _(english);
	char text[1024];

	if (meaning == english || detail == NULL || detail[0] == '\0' || strcmp(detail, english) == 0)
		return cli_fail(c, status, detail);
	snprintf(text, sizeof(text), "%s (%s)", meaning, detail);
	return cli_fail(c, status, text);
}

bool cli_parse_u64(const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || s[0] == '\0')
		goto bad;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		goto bad;
	*out = v;
	return true;
bad:
	fprintf(stderr, _("manne: --%s must be a whole number from %llu to %llu\n"), what, (unsigned long long)min,
		(unsigned long long)max);
	return false;
}

/* Manne with at most two decimals, never through floating point. */
bool cli_parse_amount(const char *what, const char *s, uint64_t *centimes)
{
	uint64_t whole = 0, cents = 0;
	const char *p = s;
	size_t decimals = 0;

	if (s == NULL || *s < '0' || *s > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > MANNE_AMOUNT_CENTIMES_MAX / 100)
			goto bad;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.' || *p == ',') { /* 12.50 or, the French way, 12,50 */
		for (p++; *p >= '0' && *p <= '9' && decimals < 3; p++, decimals++)
			cents = cents * 10 + (uint64_t)(*p - '0');
		if (decimals == 0 || decimals > 2)
			goto bad;
		if (decimals == 1)
			cents *= 10;
	}
	if (*p != '\0' || whole > MANNE_AMOUNT_CENTIMES_MAX / 100)
		goto bad;
	*centimes = whole * 100 + cents;
	if (*centimes > MANNE_AMOUNT_CENTIMES_MAX)
		goto bad;
	if (*centimes == 0 && strcmp(what, "amount") == 0) {
		fprintf(stderr, _("manne: --amount must be at least 0.01 (one centime): '%s' is nothing to move\n"), s);
		return false;
	}
	return true;
bad:
	fprintf(stderr, _("manne: --%s is an amount in Manne such as 12, 12.5, 12.50 or 12,50 (at most two decimals, "
			  "at most 1000000000); '%s' is not\n"),
		what, s != NULL ? s : "");
	return false;
}

bool cli_parse_hex32(const char *what, const char *s, uint8_t out[32])
{
	size_t len = 0;

	if (s != NULL && strlen(s) == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &len, NULL) == 0 && len == 32)
		return true;
	fprintf(stderr, _("manne: --%s must be 64 hex characters\n"), what);
	return false;
}

bool cli_parse_public(const struct cli *c, const char *what, const char *s, uint8_t out[32])
{
	struct manne_key key;
	size_t len = 0;

	if (s == NULL) {
		fprintf(stderr, _("manne: --%s is needed\n"), what);
		return false;
	}
	if (strlen(s) == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &len, NULL) == 0 && len == 32)
		return true;
	if (access(s, F_OK) == 0 && cli_load_key(c, s, &key) == 0) {
		memcpy(out, key.public_key, 32);
		manne_key_wipe(&key);
		return true;
	}
	fprintf(stderr, _("manne: --%s must be a public key (64 hex characters) or a key file\n"), what);
	return false;
}

int cli_prompt_secret(const char *prompt, char *out, size_t size)
{
	return keyfile_prompt_secret(prompt, out, size);
}

int cli_read_passphrase_file(const struct cli *c, char *out, size_t size)
{
	return cli_read_secret_line(cli_value(c, OPT_PASSPHRASE_FILE), out, size);
}

int cli_read_secret_line(const char *path, char *out, size_t size)
{
	return keyfile_read_passphrase(path, out, size);
}

/* The passphrase: from --passphrase-file, or asked on the terminal without echo. */
static bool read_passphrase(const struct cli *c, const char *path, char *out, size_t size)
{
	char prompt[600];

	if (cli_value(c, OPT_PASSPHRASE_FILE) != NULL)
		return cli_read_passphrase_file(c, out, size) == 0;
	snprintf(prompt, sizeof(prompt), _("passphrase for %s: "), path);
	return cli_prompt_secret(prompt, out, size) == 0 && out[0] != '\0';
}

int cli_load_key(const struct cli *c, const char *path, struct manne_key *out)
{
	char passphrase[PASSPHRASE_BYTES_MAX];
	enum manne_status status;
	char why[600];

	status = manne_key_file_read(path, NULL, out);
	if (status == MANNE_ERR_PASSPHRASE_NEEDED) {
		if (!read_passphrase(c, path, passphrase, sizeof(passphrase))) {
			sodium_memzero(passphrase, sizeof(passphrase));
			snprintf(why, sizeof(why), _("%s is sealed: give --passphrase-file or run on a terminal"), path);
			return cli_fail(c, MANNE_ERR_PASSPHRASE_NEEDED, why);
		}
		status = manne_key_file_read(path, passphrase, out);
		sodium_memzero(passphrase, sizeof(passphrase));
	}
	if (status != MANNE_OK) {
		snprintf(why, sizeof(why), _("%s: %s"), path,
			 status == MANNE_ERR_IO ? strerror(errno) : cli_status_text(status));
		/* A key file that cannot be read is a key file problem (exit 4, docs/cli.md). */
		return cli_fail(c, status == MANNE_ERR_IO ? MANNE_ERR_KEY_FILE : status, why);
	}
	return 0;
}

/* --host as given, or without the brackets of "[::1]" (as URLs write IPv6). */
static const char *host_of(const struct cli *c, char *buf, size_t size)
{
	const char *host = cli_value(c, OPT_HOST) != NULL ? cli_value(c, OPT_HOST) : "127.0.0.1";
	size_t len = strlen(host);

	if (len > 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < size) {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		return buf;
	}
	return host;
}

/* The connection the options ask for, pinned to --ledger when given: a
 * status, with *out closed on failure unless keep_on_failure (the caller
 * then reads its message). Bad options are MANNE_ERR_ARGUMENT; with `say`,
 * the pairing of --tls and --pin is said as a usage error. */
static enum manne_status open_ledger(const struct cli *c, struct manne **out, bool say, bool keep_on_failure)
{
	char buf[256];
	const char *host = host_of(c, buf, sizeof(buf));
	uint64_t port = 7411, timeout = 10000;
	enum manne_status status;

	*out = NULL;
	if ((cli_value(c, OPT_PORT) != NULL && !cli_parse_u64("port", cli_value(c, OPT_PORT), 1, 65535, &port)) ||
	    (cli_value(c, OPT_TIMEOUT_MS) != NULL &&
	     !cli_parse_u64("timeout-ms", cli_value(c, OPT_TIMEOUT_MS), 1, 600000, &timeout)))
		return MANNE_ERR_ARGUMENT;
	if (cli_flag(c, OPT_TLS) != (cli_value(c, OPT_PIN) != NULL)) {
		if (say)
			cli_usage_error(c, "--tls and --pin go together: the ledger's TLS port and its key's pin");
		return MANNE_ERR_ARGUMENT;
	}
	status = manne_open_tls(host, (uint16_t)port, (uint32_t)timeout, cli_value(c, OPT_PIN), out);
	if (status == MANNE_OK && cli_value(c, OPT_LEDGER) != NULL)
		status = manne_pin(*out, cli_value(c, OPT_LEDGER));
	if (status != MANNE_OK && !keep_on_failure) {
		manne_close(*out);
		*out = NULL;
	}
	return status;
}

int cli_connect_quiet(const struct cli *c, struct manne **out)
{
	return open_ledger(c, out, false, false);
}

int cli_connect(const struct cli *c, struct manne **out)
{
	enum manne_status status = open_ledger(c, out, true, true);
	int code;

	if (status == MANNE_ERR_ARGUMENT && *out == NULL)
		return EXIT_USAGE;
	if (status == MANNE_OK && !c->json) {
		/* Times for people in the ledger's local time: its day rules. */
		struct manne_ledger_status s;
		if (manne_status_get(*out, &s) == MANNE_OK)
			out_set_time_rules(s.utc_offset_minutes, s.eu_summer_time);
	}
	if (status != MANNE_OK) {
		code = cli_fail_detail(c, status, manne_message(*out));
		manne_close(*out);
		*out = NULL;
		return code;
	}
	return 0;
}

/* Connects and proves --key if one is given. */
int cli_connect_as(const struct cli *c, struct manne **m, struct manne_key *key, bool *have_key)
{
	enum manne_status status;
	int rc;

	*have_key = false;
	if (c->counts[OPT_KEY] > 1)
		return cli_usage_error(c, "one --key proves who reads");
	if (cli_value(c, OPT_KEY) != NULL) {
		rc = cli_load_key(c, cli_value(c, OPT_KEY), key);
		if (rc != 0)
			return rc;
		*have_key = true;
	}
	rc = cli_connect(c, m);
	if (rc == 0 && *have_key) {
		status = manne_authenticate(*m, key);
		if (status != MANNE_OK)
			rc = cli_fail_detail(c, status, manne_message(*m));
	}
	if (rc != 0) {
		manne_close(*m);
		*m = NULL;
		if (*have_key)
			manne_key_wipe(key);
	}
	return rc;
}

/* Wipes the key if one was loaded and closes; returns rc. */
int cli_disconnect(struct manne *m, struct manne_key *key, bool have_key, int rc)
{
	if (have_key)
		manne_key_wipe(key);
	manne_close(m);
	return rc;
}

bool cli_checkpoint_key(const struct cli *c, uint8_t out[32], bool *given)
{
	const char *s = cli_value(c, OPT_CHECKPOINT_KEY);
	size_t len = 0;

	*given = s != NULL;
	if (s == NULL)
		return true;
	if (strlen(s) == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &len, NULL) == 0 && len == 32)
		return true;
	if (manne_verifier_key_parse(s, NULL, out) == MANNE_OK)
		return true;
	if (access(s, F_OK) == 0)  /* the key file itself, on the ledger's own machine */
		return cli_parse_public(c, "checkpoint-key", s, out);
	fputs(_("manne: --checkpoint-key is 64 hex characters, a C2SP verifier key (name+id+key) or a key file\n"), stderr);
	return false;
}
