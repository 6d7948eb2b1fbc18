/*
 * manne-demo.c: the ledger on its embedded default, in one command. Creates
 * (or reopens) a ledger under DIR (default ./var), then plays one round of a
 * food hub's life through the state machine, each transaction durably
 * committed on its own: a member joins, the fund receives euros, the member
 * is credited for worksite hours, pays a shop, the shop refunds part and
 * turns credits back into euros. It ends by replaying the whole log into a
 * scratch store, as an auditor would, and comparing state and root.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ledger/keys/keyfile.h"
#include "ledger/core/ledger.h"
#include "ledger/core/tx_sign.h"

#define DEMO_ORIGIN "manne.demo/v1"
#define PATH_BYTES 512

static const struct store_options demo_store = {.map_bytes = 1ULL << 30, .no_sync = false};

#define DIR_BYTES 256

struct demo {
	char dir[DIR_BYTES];
	struct ledger *ledger;
	struct manne_keypair board[3], checkpoint, association, shop, member;
	char member_name[32];
	uint8_t last_txid[32];
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "manne-demo: %s\n", what);
	exit(1);
}

static void key_path(const struct demo *d, const char *name, char out[PATH_BYTES])
{
	snprintf(out, PATH_BYTES, "%s/keys/%s.key", d->dir, name);
}

static void key_load_or_create(const struct demo *d, const char *name, struct manne_keypair *kp)
{
	char path[PATH_BYTES];
	key_path(d, name, path);
	if (keyfile_read(path, kp) == 0)
		return;
	if (keyfile_create(path, kp) != 0)
		die("cannot write a key file under DIR/keys");
}

static void hex8(const uint8_t *key, char out[17])
{
	sodium_bin2hex(out, 17, key, 8);
}

static void body_init(struct demo *d, Manne__TxBody *body, const struct manne_keypair *signer,
		      uint64_t sequence, uint8_t nonce[16])
{
	manne__tx_body__init(body);
	body->origin = (char *)DEMO_ORIGIN;
	if (!d->ledger->empty) {
		body->genesis_id.data = d->ledger->state.genesis_id;
		body->genesis_id.len = 32;
	}
	body->last_valid_ms = now_ms() + 10 * 60 * 1000;
	if (signer != NULL) {
		body->signer_case = MANNE__TX_BODY__SIGNER_ACCOUNT;
		body->account.data = (uint8_t *)signer->public_key;
		body->account.len = 32;
		body->sequence = sequence;
	} else {
		body->signer_case = MANNE__TX_BODY__SIGNER_BOARD;
		body->board = true;
		randombytes_buf(nonce, 16);
		body->nonce.data = nonce;
		body->nonce.len = 16;
	}
}

/* Signs, applies in a batch of its own, commits durably, prints the line. */
static enum manne_status submit(struct demo *d, const Manne__TxBody *body, const struct manne_keypair *const *signers,
				size_t n, const char *what)
{
	struct batch batch;
	struct receipt receipt;
	enum manne_status status;
	uint8_t *bytes;
	size_t len;

	if (tx_sign(body, signers, n, &bytes, &len, d->last_txid) != 0 || ledger_batch_begin(d->ledger, &batch) != 0)
		die("out of memory or store unavailable");
	status = ledger_batch_submit(&batch, bytes, len, now_ms(), &receipt);
	free(bytes);
	if (ledger_batch_commit(&batch) != STORE_OK)
		die("the store refused the commit");
	if (status == MANNE_OK)
		printf("  leaf %-4llu %-44s ok\n", (unsigned long long)receipt.leaf_index, what);
	else
		printf("  refused   %-44s %s: %s\n", what, manne_status_name(status), manne_status_message(status));
	return status;
}

static ProtobufCBinaryData key_field(const struct manne_keypair *kp)
{
	return (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)kp->public_key};
}

static void create_ledger(struct demo *d)
{
	const struct manne_keypair *all[] = {&d->board[0], &d->board[1], &d->board[2]};
	Manne__Genesis g = MANNE__GENESIS__INIT;
	Manne__DayRules rules = MANNE__DAY_RULES__INIT;
	Manne__OpenAccount open = MANNE__OPEN_ACCOUNT__INIT;
	ProtobufCBinaryData board[3];
	Manne__TxBody body;
	uint8_t nonce[16];

	for (int i = 0; i < 3; i++)
		board[i] = key_field(&d->board[i]);
	g.n_board_keys = 3;
	g.board_keys = board;
	g.threshold = 2;
	g.checkpoint_key = key_field(&d->checkpoint);
	g.association_key = key_field(&d->association);
	rules.utc_offset_minutes = 60; /* Paris: UTC+1, and EU summer time */
	rules.eu_summer_time = true;
	g.day_rules = &rules;
	g.fee_bp = 200;
	body_init(d, &body, NULL, 0, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_GENESIS;
	body.genesis = &g;
	if (submit(d, &body, all, 3, "genesis: board of 3, threshold 2, fee 2%") != MANNE_OK)
		die("the genesis was refused");

	const struct manne_keypair *open_signers[] = {&d->board[0], &d->board[1], &d->shop};
	open.key = key_field(&d->shop);
	open.role = MANNE__ROLE__ROLE_SHOP;
	body_init(d, &body, NULL, 0, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
	body.open_account = &open;
	submit(d, &body, open_signers, 3, "open_account: the partner shop");
}

static void play_round(struct demo *d)
{
	const struct manne_keypair *board2[] = {&d->board[0], &d->board[1]};
	const struct manne_keypair *open_signers[] = {&d->board[0], &d->board[1], &d->member};
	const struct manne_keypair *member[] = {&d->member};
	const struct manne_keypair *shop[] = {&d->shop};
	struct account shop_account;
	struct store_txn *txn;
	Manne__TxBody body;
	Manne__OpenAccount open = MANNE__OPEN_ACCOUNT__INIT;
	Manne__FundReserve fund = MANNE__FUND_RESERVE__INIT;
	Manne__Issue issue = MANNE__ISSUE__INIT;
	Manne__Pay pay = MANNE__PAY__INIT;
	Manne__Refund refund = MANNE__REFUND__INIT;
	Manne__Redeem redeem = MANNE__REDEEM__INIT;
	Manne__SettleRedemption settle = MANNE__SETTLE_REDEMPTION__INIT;
	uint8_t nonce[16], pay_txid[32], redeem_txid[32];
	uint64_t shop_sequence;
	char line[96];

	if (store_begin(d->ledger->store, false, &txn) != STORE_OK ||
	    store_account_get(txn, d->shop.public_key, &shop_account) != STORE_OK)
		die("the shop's account is missing");
	store_abort(txn);
	shop_sequence = shop_account.next_sequence;

	open.key = key_field(&d->member);
	open.role = MANNE__ROLE__ROLE_MEMBER;
	open.max_daily = 5000;
	body_init(d, &body, NULL, 0, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
	body.open_account = &open;
	snprintf(line, sizeof(line), "open_account: %s, at most 50.00 a day", d->member_name);
	submit(d, &body, open_signers, 3, line);

	fund.amount = 5000;
	fund.bank_reference = (char *)"VIR-FONDATION-2026";
	body_init(d, &body, NULL, 0, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
	body.fund_reserve = &fund;
	submit(d, &body, board2, 2, "fund_reserve: 50.00 EUR into the fund");

	issue.account = key_field(&d->member);
	issue.amount = 2000;
	issue.reason = MANNE__ISSUE_REASON__ISSUE_PARTICIPATION;
	issue.programme = (char *)"jardin-partage-2026";
	issue.reference = (char *)"chantier-4h";
	body_init(d, &body, NULL, 0, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	body.issue = &issue;
	submit(d, &body, board2, 2, "issue: 20.00 for 4 h on the garden worksite");

	pay.payee = key_field(&d->shop);
	pay.amount = 750;
	pay.memo = (char *)"panier de legumes";
	pay.payee_reference = (char *)"T-0001";
	body_init(d, &body, &d->member, 1, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_PAY;
	body.pay = &pay;
	submit(d, &body, member, 1, "pay: 7.50 to the shop for a basket");
	memcpy(pay_txid, d->last_txid, 32);

	pay.amount = 5000;
	pay.payee_reference = (char *)"T-0002";
	body_init(d, &body, &d->member, 2, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_PAY;
	body.pay = &pay;
	submit(d, &body, member, 1, "pay: 50.00, over the daily maximum");

	refund.payment_txid = (ProtobufCBinaryData){.len = 32, .data = pay_txid};
	refund.amount = 100;
	refund.memo = (char *)"poireaux manquants";
	body_init(d, &body, &d->shop, shop_sequence++, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_REFUND;
	body.refund = &refund;
	submit(d, &body, shop, 1, "refund: 1.00 back to the member");

	redeem.amount = 500;
	body_init(d, &body, &d->shop, shop_sequence++, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_REDEEM;
	body.redeem = &redeem;
	submit(d, &body, shop, 1, "redeem: the shop asks 5.00 in euros");
	memcpy(redeem_txid, d->last_txid, 32);

	settle.redeem_txid = (ProtobufCBinaryData){.len = 32, .data = redeem_txid};
	settle.outcome = MANNE__SETTLE_OUTCOME__SETTLE_PAID;
	settle.bank_reference = (char *)"VIR-RECONV-0001";
	body_init(d, &body, NULL, 0, nonce);
	body.kind_case = MANNE__TX_BODY__KIND_SETTLE_REDEMPTION;
	body.settle_redemption = &settle;
	submit(d, &body, board2, 2, "settle_redemption: paid 4.90 (fee 0.10)");
}

/* The auditor's path: every leaf replayed from 0 into a scratch store. */
static void replay_check(struct demo *d)
{
	char scratch[PATH_BYTES], cmd[PATH_BYTES + 16];
	struct ledger *fresh;
	struct store_txn *txn;
	struct batch batch;
	uint64_t size = d->ledger->state.tree_size;
	uint8_t root[32], root_replayed[32];
	char root_hex[65];

	snprintf(scratch, sizeof(scratch), "%s/replay-check", d->dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (system(cmd) != 0 ||
	    ledger_open(scratch, &(struct store_options){.map_bytes = 1ULL << 30, .no_sync = true}, &fresh) != 0)
		die("cannot open a scratch store");
	if (store_begin(d->ledger->store, false, &txn) != STORE_OK || ledger_batch_begin(fresh, &batch) != 0)
		die("cannot read the log");
	for (uint64_t i = 0; i < size; i++) {
		const uint8_t *leaf;
		size_t len;
		enum manne_status status;
		if (store_leaf_get(txn, i, &leaf, &len) != STORE_OK)
			die("a leaf is missing");
		status = ledger_batch_replay(&batch, leaf, len);
		if (status != MANNE_OK) {
			fprintf(stderr, "manne-demo: leaf %llu does not replay: %s\n", (unsigned long long)i,
				manne_status_name(status));
			exit(1);
		}
	}
	store_abort(txn);
	if (ledger_batch_commit(&batch) != STORE_OK || ledger_root(d->ledger, size, root) != 0 ||
	    ledger_root(fresh, size, root_replayed) != 0)
		die("replay failed");
	sodium_bin2hex(root_hex, sizeof(root_hex), root, 32);
	bool same = memcmp(root, root_replayed, 32) == 0 &&
		    memcmp(&fresh->state, &d->ledger->state, sizeof(fresh->state)) == 0;
	printf("\nreplay of all %llu leaves from leaf 0: %s\nroot %s\n", (unsigned long long)size,
	       same ? "same state, same totals, same root" : "DIFFERENT", root_hex);
	ledger_close(fresh);
	if (system(cmd) != 0 || !same)
		exit(1);
}

static void print_totals(const struct ledger_state *s)
{
	const struct totals *t = &s->totals;
	uint64_t outstanding = 0, reserve = 0;
	(void)totals_outstanding(t, &outstanding);
	(void)totals_reserve(t, &reserve);
	printf("\ntotals (centimes): issued %llu, retired %llu, reconverted %llu, fees %llu, pending %llu\n"
	       "                   funded %llu, paid_out %llu, released %llu\n"
	       "                   outstanding %llu <= reserve %llu\n",
	       (unsigned long long)t->issued, (unsigned long long)t->retired, (unsigned long long)t->reconverted,
	       (unsigned long long)t->fees, (unsigned long long)t->pending, (unsigned long long)t->funded,
	       (unsigned long long)t->paid_out, (unsigned long long)t->released, (unsigned long long)outstanding,
	       (unsigned long long)reserve);
}

static unsigned count_members(const struct demo *d)
{
	char path[PATH_BYTES];
	unsigned n = 0;
	DIR *dir;
	struct dirent *e;
	snprintf(path, sizeof(path), "%s/keys", d->dir);
	dir = opendir(path);
	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL)
		n += strncmp(e->d_name, "member-", 7) == 0;
	closedir(dir);
	return n;
}

int main(int argc, char **argv)
{
	static struct demo d;
	char path[PATH_BYTES], hex[17];

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--help") == 0)) {
		printf("usage: manne-demo [DIR]\n"
		       "Creates or reopens the demo ledger under DIR (default ./var), plays one round\n"
		       "of payments through the state machine, and checks the log by replaying it.\n");
		return argc == 2 ? 0 : 2;
	}
	if (sodium_init() < 0)
		die("libsodium failed to start");
	if (argc == 2 && strlen(argv[1]) >= DIR_BYTES)
		die("the directory name is too long");
	snprintf(d.dir, sizeof(d.dir), "%s", argc == 2 ? argv[1] : "var");
	snprintf(path, sizeof(path), "%s/keys", d.dir);
	if ((mkdir(d.dir, 0700) != 0 && errno != EEXIST) || (mkdir(path, 0700) != 0 && errno != EEXIST))
		die("cannot create the data directory");
	snprintf(path, sizeof(path), "%s/ledger", d.dir);
	if (ledger_open(path, &demo_store, &d.ledger) != 0)
		die("cannot open the store (or it does not check out)");

	key_load_or_create(&d, "board0", &d.board[0]);
	key_load_or_create(&d, "board1", &d.board[1]);
	key_load_or_create(&d, "board2", &d.board[2]);
	key_load_or_create(&d, "checkpoint", &d.checkpoint);
	key_load_or_create(&d, "association", &d.association);
	key_load_or_create(&d, "shop", &d.shop);
	snprintf(d.member_name, sizeof(d.member_name), "member-%u", count_members(&d) + 1);
	key_load_or_create(&d, d.member_name, &d.member);

	printf("La Manne demo ledger in %s/ledger (LMDB), keys in %s/keys (mode 0600)\n", d.dir, d.dir);
	if (d.ledger->empty) {
		printf("\ncreating the ledger %s\n", DEMO_ORIGIN);
		create_ledger(&d);
	} else {
		printf("\nreopened: %llu leaves\n", (unsigned long long)d.ledger->state.tree_size);
	}
	hex8(d.member.public_key, hex);
	printf("\na round of payments (%s, key %s...)\n", d.member_name, hex);
	play_round(&d);
	print_totals(&d.ledger->state);
	replay_check(&d);
	printf("\nrun it again to play another round on the same ledger; ./run-tests runs every test\n");
	ledger_close(d.ledger);
	return 0;
}
