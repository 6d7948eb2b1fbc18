/*
 * fuzz_tx.c: libFuzzer target for the strict transaction decoder (SPEC §4):
 * what a submission or a leaf carries. Decoding never crashes, and a
 * transaction it accepts has its signatures checked without a crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ledger/core/tx.h"
#include "ledger/core/wire_strict.h"
#include "ledger/log/ledger_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t scratch[TX_ARENA_BYTES(SIGNED_TX_BYTES_MAX)];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_identity any = {0};
	struct arena arena;
	struct tx tx;

	if (size > SIGNED_TX_BYTES_MAX)
		return 0;
	arena_init(&arena, scratch, sizeof(scratch));
	enum manne_status s = tx_decode(data, size, &any, &arena, &tx);
	if (s == MANNE_OK || s == MANNE_ERR_WRONG_LEDGER) {
		if (tx.body == NULL || tx.signed_tx == NULL)
			abort();
		enum manne_status v = tx_verify_signatures(&tx, NULL);
		if (v != MANNE_OK && v != MANNE_ERR_BAD_SIGNATURE && v != MANNE_ERR_NOT_ENOUGH_SIGNATURES)
			abort();
	}
	return 0;
}
