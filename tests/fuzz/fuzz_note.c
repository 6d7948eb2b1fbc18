/*
 * fuzz_note.c: libFuzzer target for signed notes and checkpoints (SPEC §7):
 * what a ledger, a receipt or another auditor hands an auditor. A note is
 * verified under a fixed key and its text parsed as a checkpoint; neither
 * crashes, and a parsed checkpoint formats back to the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/log/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct note_verifier verifier;
	static int ready;
	struct checkpoint c;
	char again[NOTE_BYTES_MAX];
	size_t len;

	if (!ready) {
		uint8_t pk[32] = {0};
		char vkey[256];
		pk[0] = 1; /* any key: verification fails, parsing is what is fuzzed */
		if (note_verifier_format("manne.demo/v1", pk, vkey, sizeof(vkey)) != 0 ||
		    note_verifier_parse(vkey, &verifier) != 0)
			abort();
		ready = 1;
	}
	if (size > NOTE_BYTES_MAX)
		return 0;
	size_t text_len;
	/* No input is signed by this key: verifying must refuse, never crash. */
	if (note_verify((const char *)data, size, &verifier, &text_len) == 0)
		abort();
	if (checkpoint_parse((const char *)data, size, &c) == 0) {
		if (checkpoint_format(&c, again, sizeof(again), &len) != 0 || len != size || memcmp(again, data, size) != 0)
			abort();
	}
	return 0;
}
