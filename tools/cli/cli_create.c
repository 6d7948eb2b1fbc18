/*
 * cli_create.c: `manne create`, a new ledger made offline, as the daemon's
 * --demo does but with the board's own keys and rules: the genesis (origin,
 * board keys and threshold, checkpoint key, association account, ledger-day
 * rules, fee) signed by every board key, applied as leaf 0 of a new store in
 * DATA/store by the ledger's own code. manne-ledger --data DATA then serves
 * it and signs the first checkpoint at start-up.
 *
 * Every board member's key must be here, once: the genesis is the one act
 * the whole board signs (SPEC §3). The checkpoint key's secret is not kept:
 * only its public half goes into the genesis.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "ledger/core/ledger.h"
#include "ledger/core/tx_sign.h"

#define MAP_BYTES (8ULL << 30)

static int apply_genesis(const struct cli *c, const char *store_dir, const uint8_t *bytes, size_t len,
			 uint8_t genesis_id[32])
{
	struct store_options options = {.map_bytes = MAP_BYTES, .no_sync = false};
	struct ledger *ledger = NULL;
	struct receipt receipt;
	struct batch batch;
	enum manne_status status;
	char why[256];
	int rc;

	if (ledger_open(store_dir, &options, &ledger) != 0)
		return cli_fail(c, MANNE_ERR_IO, "cannot open a store there");
	if (!ledger->empty) {
		ledger_close(ledger);
		return cli_fail(c, MANNE_ERR_IO, "the store already holds a ledger");
	}
	if (ledger_batch_begin(ledger, &batch) != 0) {
		ledger_close(ledger);
		return cli_fail(c, MANNE_ERR_IO, "cannot write the store");
	}
	status = ledger_batch_submit(&batch, bytes, len, (uint64_t)time(NULL) * 1000U, &receipt);
	if (status != MANNE_OK) {
		ledger_batch_abort(&batch);
		ledger_close(ledger);
		snprintf(why, sizeof(why), _("the genesis is refused: %s"), cli_status_text(status));
		return cli_fail(c, status, why);
	}
	rc = ledger_batch_commit(&batch);
	if (rc == 0)
		memcpy(genesis_id, ledger->state.genesis_id, 32);
	ledger_close(ledger);
	return rc == 0 ? 0 : cli_fail(c, MANNE_ERR_IO, "cannot commit the store");
}

int cmd_create(struct cli *c)
{
	const char *data = cli_value(c, OPT_DATA), *origin = cli_value(c, OPT_ORIGIN);
	struct manne_keypair *board = NULL;
	const struct manne_keypair *signers[MANNE_BOARD_KEYS_MAX];
	ProtobufCBinaryData board_fields[MANNE_BOARD_KEYS_MAX];
	Manne__TxBody body = MANNE__TX_BODY__INIT;
	Manne__Genesis genesis = MANNE__GENESIS__INIT;
	Manne__DayRules rules = MANNE__DAY_RULES__INIT;
	uint8_t checkpoint[32], association[32], nonce[16], genesis_id[32], *bytes = NULL;
	char store_dir[4096];
	uint64_t threshold = 0, fee_bp = 200, offset = 60;
	size_t n = c->counts[OPT_BOARD_KEY], len = 0;
	const char *offset_text = cli_value(c, OPT_UTC_OFFSET), *summer = cli_value(c, OPT_EU_SUMMER);
	bool negative = offset_text != NULL && offset_text[0] == '-';
	int rc = 0;

	if (data == NULL || origin == NULL || n == 0)
		return cli_usage_error(c, "create needs --data DIR, --origin NAME and every --board-key");
	if (n > MANNE_BOARD_KEYS_MAX)
		return cli_usage_error(c, "a board has at most %u keys", MANNE_BOARD_KEYS_MAX);
	if (!cli_parse_u64("threshold", cli_value(c, OPT_THRESHOLD), 1, n, &threshold) ||
	    (cli_value(c, OPT_FEE_BP) != NULL && !cli_parse_u64("fee-bp", cli_value(c, OPT_FEE_BP), 0, 10000, &fee_bp)) ||
	    (offset_text != NULL &&
	     !cli_parse_u64("utc-offset-minutes", offset_text + negative, 0, negative ? 720 : 840, &offset)))
		return EXIT_USAGE;
	if (summer != NULL && strcmp(summer, "yes") != 0 && strcmp(summer, "no") != 0)
		return cli_usage_error(c, "--eu-summer-time is yes or no");
	if (!cli_parse_public(c, "checkpoint-key", cli_value(c, OPT_CHECKPOINT_KEY), checkpoint) ||
	    !cli_parse_public(c, "association", cli_value(c, OPT_ASSOCIATION), association))
		return EXIT_USAGE;
	if ((size_t)snprintf(store_dir, sizeof(store_dir), "%s/store", data) >= sizeof(store_dir))
		return cli_usage_error(c, "--data is too long");
	board = sodium_malloc(n * sizeof(*board));  /* guarded pages: the whole board's secrets */
	if (board == NULL)
		return cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct manne_key key;
		rc = cli_load_key(c, c->values[OPT_BOARD_KEY][i], &key);
		if (rc == 0) {
			memcpy(board[i].public_key, key.public_key, 32);
			memcpy(board[i].secret_key, key.secret_key, 64);
			manne_key_wipe(&key);
			signers[i] = &board[i];
			board_fields[i] = (ProtobufCBinaryData){.len = 32, .data = board[i].public_key};
		}
	}
	if (rc != 0)
		goto out;
	if (mkdir(data, 0700) != 0 && errno != EEXIST) {
		rc = cli_fail(c, MANNE_ERR_IO, "cannot create the --data directory");
		goto out;
	}
	genesis.n_board_keys = n;
	genesis.board_keys = board_fields;
	genesis.threshold = (uint32_t)threshold;
	genesis.checkpoint_key = (ProtobufCBinaryData){.len = 32, .data = checkpoint};
	genesis.association_key = (ProtobufCBinaryData){.len = 32, .data = association};
	rules.utc_offset_minutes = negative ? -(int32_t)offset : (int32_t)offset;
	rules.eu_summer_time = summer == NULL || strcmp(summer, "yes") == 0;
	genesis.day_rules = &rules;
	genesis.fee_bp = (uint32_t)fee_bp;
	randombytes_buf(nonce, sizeof(nonce));
	body.origin = (char *)origin;
	body.signer_case = MANNE__TX_BODY__SIGNER_BOARD;
	body.board = true;
	body.nonce = (ProtobufCBinaryData){.len = sizeof(nonce), .data = nonce};
	body.last_valid_ms = (uint64_t)time(NULL) * 1000U + 3600U * 1000U;
	body.kind_case = MANNE__TX_BODY__KIND_GENESIS;
	body.genesis = &genesis;
	if (tx_sign(&body, signers, n, &bytes, &len, NULL) != 0) {
		rc = cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
		goto out;
	}
	rc = apply_genesis(c, store_dir, bytes, len, genesis_id);
	if (rc == 0) {
		out_begin(c);
		out_bool(c, "ok", NULL, true);
		out_str(c, "origin", "created", origin);
		out_hex(c, "genesis_id", "genesis id", genesis_id, 32);
		out_u64(c, "board_keys", "board keys", n);
		out_u64(c, "threshold", "threshold", threshold);
		out_hex(c, "checkpoint_key", "checkpoint key", checkpoint, 32);
		out_str(c, "store", "store", store_dir);
		out_text(c, _("next: manne-ledger --data DIR --checkpoint-key CHECKPOINT.key\n"));
		out_end(c);
	}
out:
	free(bytes);
	sodium_free(board);
	return rc;
}
