/*
 * audit_bench_export.c: a large export for measuring manne-audit's replay
 * (`meson test --benchmark audit_replay`, or by hand, docs/audit.md):
 *
 *   audit_bench_export LEAVES FILE     prints the ledger's verifier key
 *
 * A food hub's log in miniature: 1000 members and 20 shops opened, the fund
 * fed, every member credited, then payments from members to shops (one
 * signature each, as most of a real log) until LEAVES leaves. Transactions
 * are signed once here and applied without verifying them again (this
 * program made them); the auditor verifies every one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ledger/core/ledger.h"
#include "manne.h"
#include "ledger/log/note.h"
#include "ledger/core/tx_sign.h"

#define ORIGIN "manne.bench/v1"
#define MEMBERS 1000U
#define SHOPS 20U
#define START_MS 1793613600000ULL  /* 2026-11-02 10:00 UTC */

static struct manne_keypair board[2], checkpoint, association, members[MEMBERS], shops[SHOPS];
static uint64_t sequences[MEMBERS];
static uint64_t now_ms = START_MS, nonce_counter;
static uint8_t genesis_id[32];

static void die(const char *why)
{
	fprintf(stderr, "audit_bench_export: %s\n", why);
	exit(1);
}

static void seeded(struct manne_keypair *kp, const char *name, unsigned i)
{
	uint8_t seed[32];
	char text[64];
	snprintf(text, sizeof(text), "%s-%u", name, i);
	crypto_hash_sha256(seed, (const uint8_t *)text, strlen(text));
	crypto_sign_seed_keypair(kp->public_key, kp->secret_key, seed);
}

static void body_init(Manne__TxBody *b, bool board_act, uint8_t nonce[16])
{
	manne__tx_body__init(b);
	b->origin = (char *)ORIGIN;
	if (nonce_counter > 0 || !board_act)
		b->genesis_id = (ProtobufCBinaryData){.len = 32, .data = genesis_id};
	b->last_valid_ms = now_ms + 600000;
	if (board_act) {
		b->signer_case = MANNE__TX_BODY__SIGNER_BOARD;
		b->board = true;
		memset(nonce, 0, 16);
		for (int i = 0; i < 8; i++)
			nonce[i] = (uint8_t)(nonce_counter >> (8 * i));
		b->nonce = (ProtobufCBinaryData){.len = 16, .data = nonce};
		nonce_counter++;
	}
}

struct run {
	struct ledger *ledger;
	struct batch batch;
	uint32_t in_batch;
	uint8_t *arena;
};

/* Applies signed bytes without verifying them again. */
static void apply(struct run *r, uint8_t *bytes, size_t len)
{
	struct tx_identity identity = ledger_identity(&r->batch.state, r->batch.state.tree_size == 0);
	struct arena arena;
	struct receipt receipt;
	struct tx tx;

	arena_init(&arena, r->arena, tx_arena_bytes(len));
	if (tx_decode(bytes, len, &identity, &arena, &tx) != MANNE_OK)
		die("a transaction does not decode");
	if (ledger_batch_apply(&r->batch, &tx, now_ms++, &receipt) != MANNE_OK)
		die("a transaction is refused");
	if (r->batch.state.tree_size == 1)
		memcpy(genesis_id, r->batch.state.genesis_id, 32);
	free(bytes);
	if (++r->in_batch == 2000) {
		if (ledger_batch_commit(&r->batch) != STORE_OK || ledger_batch_begin(r->ledger, &r->batch) != 0)
			die("the store cannot commit");
		r->in_batch = 0;
	}
}

static void submit(struct run *r, const Manne__TxBody *b, const struct manne_keypair *const *signers, size_t n)
{
	uint8_t *bytes;
	size_t len;
	if (tx_sign(b, signers, n, &bytes, &len, NULL) != 0)
		die("cannot sign");
	apply(r, bytes, len);
}

int main(int argc, char **argv)
{
	const struct manne_keypair *board_signers[] = {&board[0], &board[1], NULL};
	static const struct store_options options = {.map_bytes = 8ULL << 30, .no_sync = true};
	char dir[] = "/tmp/manne-bench-export-XXXXXX", cmd[128], vkey[256], text[NOTE_BYTES_MAX], note[NOTE_BYTES_MAX + 1];
	struct manne_export_writer *w;
	struct store_txn *txn;
	struct checkpoint c;
	struct run r = {0};
	uint64_t leaves;
	uint8_t nonce[16];
	size_t len;

	if (argc != 3 || (leaves = strtoull(argv[1], NULL, 10)) < 2 * MEMBERS + SHOPS + 10)
		die("usage: audit_bench_export LEAVES FILE (LEAVES >= 2030)");
	if (sodium_init() < 0 || mkdtemp(dir) == NULL || ledger_open(dir, &options, &r.ledger) != 0 ||
	    ledger_batch_begin(r.ledger, &r.batch) != 0 || (r.arena = malloc(tx_arena_bytes(SIGNED_TX_BYTES_MAX))) == NULL)
		die("cannot open a scratch ledger");
	seeded(&board[0], "board", 0);
	seeded(&board[1], "board", 1);
	seeded(&checkpoint, "checkpoint", 0);
	seeded(&association, "association", 0);

	{
		Manne__TxBody b;
		Manne__Genesis g = MANNE__GENESIS__INIT;
		Manne__DayRules rules = MANNE__DAY_RULES__INIT;
		ProtobufCBinaryData keys[2] = {{32, board[0].public_key}, {32, board[1].public_key}};
		body_init(&b, true, nonce);
		g.n_board_keys = 2;
		g.board_keys = keys;
		g.threshold = 2;
		g.checkpoint_key = (ProtobufCBinaryData){32, checkpoint.public_key};
		g.association_key = (ProtobufCBinaryData){32, association.public_key};
		rules.utc_offset_minutes = 60;
		rules.eu_summer_time = true;
		g.day_rules = &rules;
		g.fee_bp = 200;
		b.kind_case = MANNE__TX_BODY__KIND_GENESIS;
		b.genesis = &g;
		submit(&r, &b, board_signers, 2);
	}
	for (unsigned i = 0; i < MEMBERS + SHOPS; i++) {
		struct manne_keypair *kp = i < MEMBERS ? &members[i] : &shops[i - MEMBERS];
		const struct manne_keypair *signers[] = {&board[0], &board[1], kp};
		Manne__TxBody b;
		Manne__OpenAccount o = MANNE__OPEN_ACCOUNT__INIT;
		seeded(kp, i < MEMBERS ? "member" : "shop", i);
		body_init(&b, true, nonce);
		o.key = (ProtobufCBinaryData){32, kp->public_key};
		o.role = i < MEMBERS ? MANNE__ROLE__ROLE_MEMBER : MANNE__ROLE__ROLE_SHOP;
		b.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
		b.open_account = &o;
		submit(&r, &b, signers, 3);
	}
	{
		Manne__TxBody b;
		Manne__FundReserve fr = MANNE__FUND_RESERVE__INIT;
		body_init(&b, true, nonce);
		fr.amount = 100000000000ULL;
		fr.bank_reference = (char *)"VIR-BENCH";
		b.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
		b.fund_reserve = &fr;
		submit(&r, &b, board_signers, 2);
	}
	for (unsigned i = 0; i < MEMBERS; i++) {
		Manne__TxBody b;
		Manne__Issue is = MANNE__ISSUE__INIT;
		body_init(&b, true, nonce);
		is.account = (ProtobufCBinaryData){32, members[i].public_key};
		is.amount = 10000000;
		is.reason = MANNE__ISSUE_REASON__ISSUE_ALLOWANCE;
		is.programme = (char *)"panier-solidaire-2026-11";
		b.kind_case = MANNE__TX_BODY__KIND_ISSUE;
		b.issue = &is;
		submit(&r, &b, board_signers, 2);
		sequences[i] = 1;
	}
	for (uint64_t n = 0; r.batch.state.tree_size < leaves; n++) {
		unsigned m = (unsigned)(n % MEMBERS);
		const struct manne_keypair *signers[] = {&members[m]};
		Manne__TxBody b;
		Manne__Pay p = MANNE__PAY__INIT;
		body_init(&b, false, nonce);
		b.signer_case = MANNE__TX_BODY__SIGNER_ACCOUNT;
		b.account = (ProtobufCBinaryData){32, members[m].public_key};
		b.sequence = sequences[m]++;
		p.payee = (ProtobufCBinaryData){32, shops[n % SHOPS].public_key};
		p.amount = 100 + n % 900;
		p.memo = (char *)"panier";
		b.kind_case = MANNE__TX_BODY__KIND_PAY;
		b.pay = &p;
		submit(&r, &b, signers, 1);
	}
	if (ledger_batch_commit(&r.batch) != STORE_OK)
		die("the store cannot commit");

	/* The checkpoint, as the daemon signs it, and the export. */
	memset(&c, 0, sizeof(c));
	snprintf(c.origin, sizeof(c.origin), "%s", ORIGIN);
	c.tree_size = r.ledger->state.tree_size;
	const struct totals *t = &r.ledger->state.totals;
	c.totals = (struct checkpoint_totals){t->issued, t->retired, t->reconverted, t->fees, t->pending,
					      t->funded, t->paid_out, t->released, 0, 0};
	if (totals_outstanding(t, &c.totals.outstanding) != 0 || totals_reserve(t, &c.totals.reserve) != 0 ||
	    ledger_root(r.ledger, c.tree_size, c.root) != 0 || checkpoint_format(&c, text, sizeof(text), &len) != 0 ||
	    note_sign(text, len, ORIGIN, checkpoint.secret_key, note, sizeof(note)) != 0 ||
	    note_verifier_format(ORIGIN, checkpoint.public_key, vkey, sizeof(vkey)) != 0)
		die("cannot sign the checkpoint");
	if (manne_export_create(argv[2], &w) != MANNE_OK || store_begin(r.ledger->store, false, &txn) != STORE_OK)
		die("cannot create the export (it must not exist)");
	for (uint64_t i = 0; i < c.tree_size; i++) {
		const uint8_t *leaf;
		size_t leaf_len;
		if (store_leaf_get(txn, i, &leaf, &leaf_len) != STORE_OK || manne_export_add(w, leaf, leaf_len) != MANNE_OK)
			die("cannot write the export");
	}
	store_abort(txn);
	if (manne_export_finish(w, note, strlen(note), c.root) != MANNE_OK)
		die("cannot finish the export");
	ledger_close(r.ledger);
	free(r.arena);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		die("cannot remove the scratch ledger");
	printf("%s\n", vkey);
	return 0;
}
