/*
 * fuzz_verifier_key.c: libFuzzer target for C2SP verifier keys (SPEC §7):
 * the trust root an auditor is given on the command line or in a file. A
 * key that parses formats to a text that parses to the same key (the key
 * id's hex digits may come in either case, as Go's reader takes them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ledger/log/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[1024], again[1024];
	struct note_verifier v, back;

	memset(&v, 0, sizeof(v));
	memset(&back, 0, sizeof(back));

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (note_verifier_parse(text, &v) != 0)
		return 0;
	if (note_verifier_format(v.name, v.public_key, again, sizeof(again)) != 0 ||
	    note_verifier_parse(again, &back) != 0 || strcmp(v.name, back.name) != 0 ||
	    memcmp(v.key_id, back.key_id, sizeof(v.key_id)) != 0 || memcmp(v.public_key, back.public_key, 32) != 0 || strcasecmp(again, text) != 0)
		abort();
	return 0;
}
