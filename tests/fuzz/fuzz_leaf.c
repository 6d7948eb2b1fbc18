/*
 * fuzz_leaf.c: libFuzzer target for a log leaf as the auditor decodes it
 * from the ledger's log or an export (ledger_replay_decode, the pure half
 * of a replay in ledger/core/ledger.c): index and time, then the signed
 * transaction, decoded strictly, its signatures checked. Each input is
 * decoded as a new ledger's first leaf (only a genesis may be) and as a
 * later leaf of the ledger the corpus was exported from. Besides no crash:
 *  - a leaf shorter than its header or over 65,535 bytes is MALFORMED;
 *  - a transaction decoded from a leaf is the leaf's own bytes after the
 *    header (what the ordered half checks before applying it), its txid
 *    the SHA-256 of its body;
 *  - a first leaf that passes is a genesis; a later one that passes names
 *    this ledger's origin and genesis and is no genesis.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger/core/ledger.h"
#include "ledger/log/ledger_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The demo ledger the corpus's leaves come from (manne-ledger --demo). */
#define ORIGIN "manne.demo/v1"
static const uint8_t genesis_id[TXID_BYTES] = {
	0x39, 0xbc, 0x7a, 0x1c, 0xd6, 0x74, 0x24, 0x61, 0x4b, 0xd3, 0x16, 0xf9, 0x66, 0x7d, 0xf3, 0x42,
	0x49, 0x02, 0xaa, 0xf3, 0x07, 0x1a, 0x48, 0x89, 0x62, 0xbb, 0xa7, 0x63, 0x81, 0x98, 0xcd, 0x73,
};

static uint8_t scratch[TX_ARENA_BYTES(SIGNED_TX_BYTES_MAX)];

static void decode(const uint8_t *leaf, size_t len, const struct tx_identity *identity)
{
	struct arena arena;
	struct tx tx;
	uint8_t txid[TXID_BYTES];
	enum manne_status s;

	arena_init(&arena, scratch, sizeof(scratch));
	s = ledger_replay_decode(identity, leaf, len, &arena, &tx);
	if ((len < LEAF_HEADER_BYTES || len > LEAF_BYTES_MAX) && s != MANNE_ERR_MALFORMED)
		abort();
	if (s == MANNE_ERR_MALFORMED)
		return;
	if (tx.body == NULL || tx.signed_tx == NULL || tx.bytes != leaf + LEAF_HEADER_BYTES ||
	    tx.len != len - LEAF_HEADER_BYTES)
		abort();
	crypto_hash_sha256(txid, tx.signed_tx->body.data, tx.signed_tx->body.len);
	if (memcmp(txid, tx.txid, TXID_BYTES) != 0)
		abort();
	if (s == MANNE_ERR_WRONG_LEDGER)
		return;
	if (identity->genesis_id == NULL) {
		if (tx.kind != MANNE__TX_BODY__KIND_GENESIS)
			abort();
	} else if (tx.kind == MANNE__TX_BODY__KIND_GENESIS || strcmp(tx.body->origin, ORIGIN) != 0 ||
		   tx.body->genesis_id.len != TXID_BYTES || memcmp(tx.body->genesis_id.data, genesis_id, TXID_BYTES) != 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tx_identity first = {0};
	const struct tx_identity later = {.origin = ORIGIN, .origin_len = sizeof(ORIGIN) - 1, .genesis_id = genesis_id};

	if (size > LEAF_BYTES_MAX + 1)
		return 0;
	decode(data, size, &first);
	decode(data, size, &later);
	return 0;
}
