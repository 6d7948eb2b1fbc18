/*
 * cli_prepared.c: see cli_prepared.h. The body bytes are never rebuilt
 * after prepare: every member signs the same bytes, and a file that holds a
 * signature that does not verify is refused whole.
 */
#include "cli_prepared.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void prepared_free(struct prepared *p)
{
	free(p->body);
	p->body = NULL;
}

static enum manne_status refuse(const char **why, enum manne_status status, const char *message)
{
	*why = message;
	return status;
}

/* 1..MANNE_SIGNATURES_MAX in decimal digits only, as --signatures-needed takes it. */
static bool parse_needed(const char *s, uint64_t *out)
{
	size_t n = strlen(s);
	unsigned long long v;

	if (n == 0 || strspn(s, "0123456789") != n)
		return false;
	v = strtoull(s, NULL, 10);  /* ULLONG_MAX past it: over the maximum too */
	if (v < 1 || v > MANNE_SIGNATURES_MAX)
		return false;
	*out = v;
	return true;
}

enum manne_status prepared_parse(char *text, size_t len, struct prepared *p, const char **why)
{
	enum manne_status status = MANNE_OK;
	char *line, *save = NULL;
	size_t got;

	memset(p, 0, sizeof(*p));
	*why = NULL;
	if (len > PREPARED_FILE_BYTES_MAX || memchr(text, '\0', len) != NULL)
		return refuse(why, MANNE_ERR_MALFORMED, N_("not a prepared transaction file (too long or binary)"));
	text[len] = '\0';
	line = strtok_r(text, "\n", &save);
	if (line == NULL || strcmp(line, PREPARED_MAGIC) != 0)
		status = refuse(why, MANNE_ERR_MALFORMED, N_("not a prepared transaction file (no manne-prepared-v1 line)"));
	while (status == MANNE_OK && (line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *word = strtok_r(line, " ", &line);
		if (word != NULL && strcmp(word, "body") == 0 && p->body == NULL) {
			size_t hex_len = strlen(line);
			p->body = malloc(hex_len / 2 + 1);
			if (p->body == NULL || hex_len == 0 || hex_len % 2 != 0 || hex_len / 2 > BODY_BYTES_MAX ||
			    sodium_hex2bin(p->body, hex_len / 2, line, hex_len, NULL, &got, NULL) != 0 || got != hex_len / 2)
				status = refuse(why, MANNE_ERR_MALFORMED, N_("the body line is not hex of at most 65519 bytes"));
			p->body_len = hex_len / 2;
		} else if (word != NULL && strcmp(word, "signatures-needed") == 0 && p->needed == 0) {
			if (!parse_needed(line, &p->needed))
				status = refuse(why, MANNE_ERR_MALFORMED, N_("bad signatures-needed line"));
		} else if (word != NULL && strcmp(word, "signature") == 0 && p->sig_count < MANNE_SIGNATURES_MAX) {
			struct manne_signature *s = &p->sigs[p->sig_count];
			char *pub = strtok_r(line, " ", &line), *sig = line;
			if (pub == NULL || strlen(pub) != 64 || strlen(sig) != 128 ||
			    sodium_hex2bin(s->public_key, 32, pub, 64, NULL, &got, NULL) != 0 || got != 32 ||
			    sodium_hex2bin(s->signature, 64, sig, 128, NULL, &got, NULL) != 0 || got != 64)
				status = refuse(why, MANNE_ERR_MALFORMED,
						N_("a signature line is not two hex fields of 32 and 64 bytes"));
			p->sig_count++;
		} else {
			status = refuse(why, MANNE_ERR_MALFORMED, N_("an unknown or repeated line in the prepared file"));
		}
	}
	if (status == MANNE_OK && p->body == NULL)
		status = refuse(why, MANNE_ERR_MALFORMED, N_("the prepared file has no body"));
	/* Every signature must verify now: a file changed after someone signed is refused whole. */
	for (size_t i = 0; status == MANNE_OK && i < p->sig_count; i++) {
		for (size_t k = 0; k < i; k++)
			if (memcmp(p->sigs[k].public_key, p->sigs[i].public_key, 32) == 0)
				status = refuse(why, MANNE_ERR_BAD_SIGNATURE, N_("a key signed twice"));
		if (status == MANNE_OK && manne_body_verify(p->body, p->body_len, &p->sigs[i]) != 0)
			status = refuse(why, MANNE_ERR_VERIFY,
					N_("a signature in the file does not verify: the body was changed after it was signed"));
	}
	if (status != MANNE_OK)
		prepared_free(p);
	return status;
}

int prepared_read(const struct cli *c, const char *path, struct prepared *p)
{
	enum manne_status status;
	const char *why;
	char *text;
	size_t len;
	FILE *f;

	memset(p, 0, sizeof(*p));
	f = fopen(path, "r");
	if (f == NULL)
		return cli_fail(c, MANNE_ERR_IO, strerror(errno));
	text = malloc(PREPARED_FILE_BYTES_MAX + 1);
	if (text == NULL) {
		fclose(f);
		return cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	}
	len = fread(text, 1, PREPARED_FILE_BYTES_MAX + 1, f);
	fclose(f);
	status = prepared_parse(text, len, p, &why);
	free(text);
	return status == MANNE_OK ? 0 : cli_fail(c, status, why);
}

int prepared_write(const struct cli *c, const char *path, const struct prepared *p, bool must_be_new)
{
	char tmp[4096], hex[129];
	char *body_hex;
	FILE *f;
	bool ok;

	if (must_be_new) {
		f = fopen(path, "wx");
		if (f == NULL)
			return cli_fail(c, MANNE_ERR_IO, "cannot create the file (it must not exist)");
		fclose(f);
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return cli_fail(c, MANNE_ERR_IO, "file name too long");
	body_hex = malloc(2 * p->body_len + 1);
	f = body_hex != NULL ? fopen(tmp, "w") : NULL;
	if (f == NULL) {
		free(body_hex);
		if (must_be_new)
			remove(path);
		return cli_fail(c, MANNE_ERR_IO, "cannot write the prepared file");
	}
	sodium_bin2hex(body_hex, 2 * p->body_len + 1, p->body, p->body_len);
	ok = fprintf(f, "%s\nbody %s\n", PREPARED_MAGIC, body_hex) > 0;
	if (p->needed != 0)
		ok = ok && fprintf(f, "signatures-needed %llu\n", (unsigned long long)p->needed) > 0;
	for (size_t i = 0; ok && i < p->sig_count; i++) {
		sodium_bin2hex(hex, sizeof(hex), p->sigs[i].public_key, 32);
		ok = fprintf(f, "signature %s ", hex) > 0;
		sodium_bin2hex(hex, sizeof(hex), p->sigs[i].signature, 64);
		ok = ok && fprintf(f, "%s\n", hex) > 0;
	}
	free(body_hex);
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		remove(tmp);
		if (must_be_new)
			remove(path);
		return cli_fail(c, MANNE_ERR_IO, "cannot write the prepared file");
	}
	return 0;
}
