/*
 * demo.c: --demo on an empty data directory creates a working ledger in one
 * command: origin manne.demo/v1, three board keys with threshold 2, a
 * checkpoint key and the association's key, all written under DIR/keys with
 * mode 0600, and the genesis signed by the whole board as leaf 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ledger/core/tx_sign.h"
#include "ledger/keys/keyfile.h"
#include "server.h"

#define DEMO_ORIGIN "manne.demo/v1"

static int make_key(const char *dir, const char *name, struct manne_keypair *kp)
{
	char path[DATA_DIR_BYTES + 64];
	snprintf(path, sizeof(path), "%s/keys/%s.key", dir, name);
	if (keyfile_read(path, kp) == 0)
		return 0;
	return keyfile_create(path, kp);
}

int demo_create(struct server *s, char *why, size_t why_size)
{
	static const char *const names[] = {"board0", "board1", "board2", "checkpoint", "association"};
	struct manne_keypair kp[5];
	const struct manne_keypair *board[3] = {&kp[0], &kp[1], &kp[2]};
	Manne__TxBody body = MANNE__TX_BODY__INIT;
	Manne__Genesis g = MANNE__GENESIS__INIT;
	Manne__DayRules rules = MANNE__DAY_RULES__INIT;
	ProtobufCBinaryData keys[3];
	char path[DATA_DIR_BYTES + 16];
	uint8_t nonce[BOARD_NONCE_BYTES], *bytes;
	struct receipt receipt;
	struct batch batch;
	enum manne_status status;
	size_t len;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/keys", s->config.data_dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(why, why_size, _("cannot create %s"), path);
		return -1;
	}
	for (int i = 0; i < 5; i++) {
		if (make_key(s->config.data_dir, names[i], &kp[i]) != 0) {
			snprintf(why, why_size, _("cannot write %s/%s.key"), path, names[i]);
			goto out;
		}
	}
	for (int i = 0; i < 3; i++)
		keys[i] = (ProtobufCBinaryData){.len = 32, .data = kp[i].public_key};
	g.n_board_keys = 3;
	g.board_keys = keys;
	g.threshold = 2;
	g.checkpoint_key = (ProtobufCBinaryData){.len = 32, .data = kp[3].public_key};
	g.association_key = (ProtobufCBinaryData){.len = 32, .data = kp[4].public_key};
	rules.utc_offset_minutes = s->config.utc_offset_minutes;
	rules.eu_summer_time = s->config.eu_summer_time;
	g.day_rules = &rules;
	g.fee_bp = s->config.fee_bp;
	randombytes_buf(nonce, sizeof(nonce));
	body.origin = (char *)DEMO_ORIGIN;
	body.signer_case = MANNE__TX_BODY__SIGNER_BOARD;
	body.board = true;
	body.nonce = (ProtobufCBinaryData){.len = sizeof(nonce), .data = nonce};
	body.last_valid_ms = clock_now_ms() + 60 * 60 * 1000;
	body.kind_case = MANNE__TX_BODY__KIND_GENESIS;
	body.genesis = &g;
	if (tx_sign(&body, board, 3, &bytes, &len, NULL) != 0) {
		snprintf(why, why_size, "%s", _("out of memory"));
		goto out;
	}
	if (ledger_batch_begin(s->ledger, &batch) != 0) {
		free(bytes);
		snprintf(why, why_size, "%s", _("cannot write the store"));
		goto out;
	}
	status = ledger_batch_submit(&batch, bytes, len, clock_now_ms(), &receipt);
	free(bytes);
	if (ledger_batch_commit(&batch) != STORE_OK || status != MANNE_OK) {
		snprintf(why, why_size, _("the genesis was refused: %s"), manne_status_name(status));
		goto out;
	}
	log_line("info", "demo_created", "origin=%s board=3 threshold=2 keys=%s", DEMO_ORIGIN, path);
	rc = 0;
out:
	sodium_memzero(kp, sizeof(kp));
	return rc;
}
