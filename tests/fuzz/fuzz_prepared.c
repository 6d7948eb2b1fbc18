/*
 * fuzz_prepared.c: libFuzzer target for prepared-transaction files
 * (tools/cli/cli_prepared.c, docs/cli.md): what a board member is handed to
 * sign. Besides no crash: a refused file leaves nothing behind and says why;
 * an accepted one holds a body of 1 to 65,519 bytes and at most
 * MANNE_SIGNATURES_MAX signatures, and written back by the CLI's own writer
 * (as `manne sign` does) it reads back to the same body, count and
 * signatures; its body is then described in words and its validity read,
 * as `show` and `sign` do, a description ending within its buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli/cli_prepared.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DESCRIPTION_BYTES 16384U

static char dir[] = "/tmp/fuzz_prepared.XXXXXX";
static char path[sizeof(dir) + 8];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

/* What `manne sign` does with an accepted file: write it back, read it again. */
static void round_trip(const struct prepared *p)
{
	struct cli c = {.command = "sign"};
	struct prepared again;

	if (prepared_write(&c, path, p, false) != 0 || prepared_read(&c, path, &again) != 0)
		abort();
	if (again.body_len != p->body_len || memcmp(again.body, p->body, p->body_len) != 0 ||
	    again.needed != p->needed || again.sig_count != p->sig_count ||
	    memcmp(again.sigs, p->sigs, p->sig_count * sizeof(p->sigs[0])) != 0)
		abort();
	prepared_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char description[DESCRIPTION_BYTES];
	struct prepared p;
	const char *why;
	uint8_t txid[32];
	uint64_t last_valid;
	char *text;

	if (path[0] == '\0') {
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/act", dir);
		atexit(cleanup);
	}
	if (size > PREPARED_FILE_BYTES_MAX + 1)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	if (prepared_parse(text, size, &p, &why) != MANNE_OK) {
		if (why == NULL || p.body != NULL)
			abort();
		free(text);
		return 0;
	}
	free(text);
	if (p.body == NULL || p.body_len == 0 || p.body_len > BODY_BYTES_MAX || p.sig_count > MANNE_SIGNATURES_MAX ||
	    p.needed > MANNE_SIGNATURES_MAX)
		abort();
	round_trip(&p);
	if (manne_body_describe(p.body, p.body_len, description, sizeof(description), txid) == MANNE_OK &&
	    strnlen(description, sizeof(description)) == sizeof(description))
		abort();
	(void)!manne_body_last_valid(p.body, p.body_len, &last_valid);
	prepared_free(&p);
	return 0;
}
