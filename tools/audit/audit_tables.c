/*
 * audit_tables.c: what each leaf the replay applied adds to the report
 * (SPEC §7): issuance by month, reason and programme; reconversions and fees
 * by partner; reserve movements by month; pay and refund sums by ledger day
 * for the regulatory counters; the checkpoint keys the log puts in force.
 *
 * Amounts come from the replay itself, not from the transaction's fields,
 * wherever the state machine may move less than was asked (a reverse_issue
 * takes at most the balance, a settlement moves what the redemption
 * recorded): the difference of the totals before and after the leaf. So the
 * report's sums add up to the totals the checkpoint signs.
 *
 * Rows live in the replay store's audit tables (store_audit_*), keyed by a
 * one-letter table name and big-endian numbers so that LMDB's order is the
 * report's. The rows every payment touches (its day, its month, the count of
 * kinds) are cached here between commits; the rest are read and written
 * through the batch's transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "ledger/log/bytes.h"

#define TABLE_KEYS 'K'     /* 'K' since (u64)                         -> checkpoint public key */
#define TABLE_MONTH 'M'    /* 'M' month (u32)                         -> audit_month_row */
#define TABLE_ISSUE 'I'    /* 'I' month (u32) reason (u8) programme   -> audit_issue_row */
#define TABLE_PARTNER 'P'  /* 'P' key (32)                            -> audit_partner_row */
#define TABLE_DAY 'D'      /* 'D' day (u64, biased)                   -> audit_day_row */
#define TABLE_KINDS 'C'    /* 'C'                                     -> audit_kind_row */
#define TABLE_COUNTER 'T'  /* 'T' key (32)                            -> audit_counter_row */
#define TABLE_ENTRY 'E'    /* 'E' index (u64)                         -> audit_entry_row */
#define TABLE_PAID 'Y'     /* 'Y' month (u32) payee (32)              -> audit_issue_row (amount, count) */
#define TABLE_ISSUE_REASON 'R' /* 'R' issue txid (32)                 -> reason (u8): what a reversal reverses */

#define DAY_BIAS (UINT64_C(1) << 63)  /* ledger days may be negative: biased so that byte order is numeric */

_Static_assert(sizeof(struct audit_month_row) <= STORE_AUDIT_VALUE_BYTES_MAX, "a month row fits");
_Static_assert(sizeof(struct audit_kind_row) <= STORE_AUDIT_VALUE_BYTES_MAX, "the kinds row fits");
_Static_assert(1U + 4U + 1U + PROGRAMME_BYTES_MAX <= STORE_AUDIT_KEY_BYTES_MAX, "an issue key fits");

/* A cached row: its key, its value, whether it was read, whether it changed. */
struct cached {
	uint8_t key[16];
	size_t key_len;
	bool loaded, dirty;
};

struct audit_tables {
	struct cached month_at, day_at, kinds_at;
	struct audit_month_row month;
	struct audit_day_row day;
	struct audit_kind_row kinds;
	bool overflow;
};

int audit_tables_new(struct audit_tables **out)
{
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? 0 : -1;
}

void audit_tables_free(struct audit_tables *t)
{
	free(t);
}

/* Sums are checked like every sum of the ledger (SPEC §2); an overflow stops the run. */
static void add(struct audit_tables *t, uint64_t *sum, uint64_t v)
{
	if (__builtin_add_overflow(*sum, v, sum))
		t->overflow = true;
}

static uint64_t delta(const uint64_t after, const uint64_t before)
{
	return after >= before ? after - before : 0;
}

static int row_flush(struct cached *c, struct store_txn *txn, const void *row, size_t size)
{
	int rc = STORE_OK;

	if (c->loaded && c->dirty)
		rc = store_audit_put(txn, c->key, c->key_len, row, size);
	c->loaded = false;
	c->dirty = false;
	return rc == STORE_OK ? 0 : -1;
}

/* Makes `key` the cached row, writing back the previous one. */
static int row_use(struct cached *c, struct store_txn *txn, const uint8_t *key, size_t key_len, void *row,
		   size_t size)
{
	int rc;

	if (c->loaded && c->key_len == key_len && memcmp(c->key, key, key_len) == 0)
		return 0;
	if (row_flush(c, txn, row, size) != 0)
		return -1;
	rc = store_audit_get(txn, key, key_len, row, size);
	if (rc == STORE_NOT_FOUND)
		memset(row, 0, size);
	else if (rc != STORE_OK)
		return -1;
	memcpy(c->key, key, key_len);
	c->key_len = key_len;
	c->loaded = true;
	c->dirty = true;
	return 0;
}

int audit_tables_flush(struct audit_tables *t, struct store_txn *txn)
{
	int rc = row_flush(&t->month_at, txn, &t->month, sizeof(t->month));
	rc |= row_flush(&t->day_at, txn, &t->day, sizeof(t->day));
	rc |= row_flush(&t->kinds_at, txn, &t->kinds, sizeof(t->kinds));
	return rc;
}

void audit_tables_drop(struct audit_tables *t)
{
	t->month_at.loaded = t->day_at.loaded = t->kinds_at.loaded = false;
	t->month_at.dirty = t->day_at.dirty = t->kinds_at.dirty = false;
}

static uint32_t month_index(const struct civil_date *d)
{
	return (uint32_t)d->year * 12U + (d->month - 1U);
}

static void key_u64(uint8_t *key, char table, uint64_t v)
{
	key[0] = (uint8_t)table;
	store_be64(key + 1, v);
}

/* Read-modify-write of a row that is not cached. */
static int row_add(struct store_txn *txn, const uint8_t *key, size_t key_len, void *row, size_t size,
		   void (*change)(void *row, const void *arg), const void *arg)
{
	int rc = store_audit_get(txn, key, key_len, row, size);

	if (rc == STORE_NOT_FOUND)
		memset(row, 0, size);
	else if (rc != STORE_OK)
		return -1;
	change(row, arg);
	return store_audit_put(txn, key, key_len, row, size) == STORE_OK ? 0 : -1;
}

struct issue_change {
	struct audit_tables *t;
	uint64_t amount;
};

static void issue_add(void *row, const void *arg)
{
	const struct issue_change *c = arg;
	struct audit_issue_row *r = row;
	add(c->t, &r->amount, c->amount);
	add(c->t, &r->count, 1);
}

struct partner_change {
	struct audit_tables *t;
	uint64_t redeemed, reconverted, fees, rejected;
};

static void partner_add(void *row, const void *arg)
{
	const struct partner_change *c = arg;
	struct audit_partner_row *r = row;
	add(c->t, &r->redeemed, c->redeemed);
	add(c->t, &r->redeem_count, c->redeemed > 0);
	add(c->t, &r->reconverted, c->reconverted);
	add(c->t, &r->fees, c->fees);
	add(c->t, &r->rejected, c->rejected);
}

static int partner(struct store_txn *txn, const uint8_t key[KEY_BYTES], const struct partner_change *change)
{
	uint8_t k[1 + KEY_BYTES];
	struct audit_partner_row row;

	k[0] = TABLE_PARTNER;
	memcpy(k + 1, key, KEY_BYTES);
	return row_add(txn, k, sizeof(k), &row, sizeof(row), partner_add, change);
}

struct counter_change {
	struct audit_tables *t;
	uint64_t amount;
};

static void counter_add(void *row, const void *arg)
{
	const struct counter_change *c = arg;
	struct audit_counter_row *r = row;
	add(c->t, &r->taken, c->amount);
	add(c->t, &r->count, 1);
}

/* A payment to the association names the counter that took it. */
static int counter(struct store_txn *txn, const uint8_t key[KEY_BYTES], const struct counter_change *change)
{
	uint8_t k[1 + KEY_BYTES];
	struct audit_counter_row row;

	k[0] = TABLE_COUNTER;
	memcpy(k + 1, key, KEY_BYTES);
	return row_add(txn, k, sizeof(k), &row, sizeof(row), counter_add, change);
}

_Static_assert(sizeof(struct audit_entry_row) == 128, "an entry row has no padding");

/* The movement's row; fee only for a reconversion paid out. */
static int entry(struct store_txn *txn, uint64_t index, uint64_t time_ms, enum audit_movement movement,
		 uint64_t amount, uint64_t fee, uint8_t reason, const uint8_t *party, const char *text)
{
	struct audit_entry_row row;
	uint8_t key[9];

	if (amount == 0)
		return 0; /* nothing moved (a reversal of an empty balance) */
	memset(&row, 0, sizeof(row));
	row.time_ms = time_ms;
	row.amount = amount;
	row.fee = fee;
	row.movement = (uint8_t)movement;
	row.reason = reason;
	if (party != NULL)
		memcpy(row.party, party, KEY_BYTES);
	if (text != NULL) {
		size_t len = strnlen(text, sizeof(row.text));
		memcpy(row.text, text, len);
		row.text_len = (uint8_t)len;
	}
	key_u64(key, TABLE_ENTRY, index);
	return store_audit_put(txn, key, sizeof(key), &row, sizeof(row)) == STORE_OK ? 0 : -1;
}

int audit_tables_leaf(struct audit_tables *t, struct batch *batch, const struct totals *before, const struct tx *tx,
		      uint64_t time_ms)
{
	const struct ledger_state *s = &batch->state;
	const struct totals *after = &s->totals;
	const Manne__TxBody *b = tx->body;
	struct store_txn *txn = batch->txn;
	struct day_rules rules = state_day_rules(s);
	int64_t day = ledger_day(&rules, (int64_t)time_ms);
	struct civil_date date = civil_from_days(day);
	uint8_t key[1 + 4 + 1 + PROGRAMME_BYTES_MAX];
	struct audit_month_row *m = &t->month;
	struct tx_record record;
	unsigned kind = (unsigned)tx->kind;
	uint64_t index = s->tree_size - 1; /* the leaf just applied */
	uint8_t reason_key[1 + TXID_BYTES];

	/* The day, month and kinds rows; every leaf touches the last two. */
	key[0] = TABLE_MONTH;
	store_be32(key + 1, month_index(&date));
	if (row_use(&t->month_at, txn, key, 5, m, sizeof(*m)) != 0)
		return -1;
	key[0] = TABLE_KINDS;
	if (row_use(&t->kinds_at, txn, key, 1, &t->kinds, sizeof(t->kinds)) != 0)
		return -1;
	if (kind >= 16U && kind < 16U + AUDIT_KINDS)
		add(t, &t->kinds.count[kind - 16U], 1);

	switch (tx->kind) {
	case MANNE__TX_BODY__KIND_GENESIS:
	case MANNE__TX_BODY__KIND_SET_CHECKPOINT_KEY:
		/* The log says from which tree size each key signs (SPEC §4). */
		key_u64(key, TABLE_KEYS, s->checkpoint_key_since);
		if (store_audit_put(txn, key, 9, s->checkpoint_key, KEY_BYTES) != STORE_OK)
			return -1;
		break;
	case MANNE__TX_BODY__KIND_ISSUE: {
		size_t programme_len = strlen(b->issue->programme);
		struct issue_change change = {t, delta(after->issued, before->issued)};
		struct audit_issue_row row;

		if (programme_len > PROGRAMME_BYTES_MAX)
			return -1;  /* tx_decode bounds it: a broken invariant */
		key[0] = TABLE_ISSUE;
		store_be32(key + 1, month_index(&date));
		key[5] = (uint8_t)b->issue->reason;
		memcpy(key + 6, b->issue->programme, programme_len);
		if (row_add(txn, key, 6 + programme_len, &row, sizeof(row), issue_add, &change) != 0)
			return -1;
		add(t, &m->issued, change.amount);
		add(t, &m->issue_count, 1);
		/* What a later reversal of it reverses. */
		uint8_t reason = (uint8_t)b->issue->reason;
		reason_key[0] = TABLE_ISSUE_REASON;
		memcpy(reason_key + 1, tx->txid, TXID_BYTES);
		if (store_audit_put(txn, reason_key, sizeof(reason_key), &reason, 1) != STORE_OK ||
		    entry(txn, index, time_ms, MOVE_ISSUE, change.amount, 0, reason, b->issue->account.data,
			  b->issue->programme) != 0)
			return -1;
		break;
	}
	case MANNE__TX_BODY__KIND_REVERSE_ISSUE: {
		uint64_t taken = delta(after->retired, before->retired);
		uint8_t reason = 0;
		add(t, &m->retired_reversed, taken);
		reason_key[0] = TABLE_ISSUE_REASON;
		memcpy(reason_key + 1, b->reverse_issue->issue_txid.data, TXID_BYTES);
		if (store_audit_get(txn, reason_key, sizeof(reason_key), &reason, 1) != STORE_OK ||
		    entry(txn, index, time_ms, MOVE_REVERSE, taken, 0, reason, NULL, b->reverse_issue->reason) != 0)
			return -1;
		break;
	}
	case MANNE__TX_BODY__KIND_RETIRE_DORMANT:
		add(t, &m->retired_dormant, delta(after->retired, before->retired));
		if (entry(txn, index, time_ms, MOVE_DORMANT, delta(after->retired, before->retired), 0, 0,
			  b->retire_dormant->account.data, b->retire_dormant->reason) != 0)
			return -1;
		break;
	case MANNE__TX_BODY__KIND_FUND_RESERVE:
		add(t, &m->funded, delta(after->funded, before->funded));
		if (entry(txn, index, time_ms, MOVE_FUND, delta(after->funded, before->funded), 0, 0, NULL,
			  b->fund_reserve->bank_reference) != 0)
			return -1;
		break;
	case MANNE__TX_BODY__KIND_RELEASE_RESERVE: {
		unsigned reason = (unsigned)b->release_reserve->reason;
		if (reason < 1 || reason > AUDIT_RELEASE_REASONS)
			return -1;
		add(t, &m->released[reason - 1], delta(after->released, before->released));
		if (entry(txn, index, time_ms, MOVE_RELEASE, delta(after->released, before->released), 0, (uint8_t)reason,
			  NULL, b->release_reserve->bank_reference) != 0)
			return -1;
		break;
	}
	case MANNE__TX_BODY__KIND_PAY:
	case MANNE__TX_BODY__KIND_REFUND: {
		bool pay = tx->kind == MANNE__TX_BODY__KIND_PAY;
		uint64_t amount = pay ? b->pay->amount : b->refund->amount;
		key_u64(key, TABLE_DAY, (uint64_t)day ^ DAY_BIAS);
		if (row_use(&t->day_at, txn, key, 9, &t->day, sizeof(t->day)) != 0)
			return -1;
		add(t, pay ? &t->day.pay : &t->day.refund, amount);
		add(t, pay ? &m->pay : &m->refund, amount);
		add(t, pay ? &m->pay_count : &m->refund_count, 1);
		/* Credits paid to the association's own services are retired (SPEC §2). */
		add(t, &m->retired_paid, delta(after->retired, before->retired));
		if (pay && b->pay->counter.len == KEY_BYTES) {
			struct counter_change change = {t, amount};
			if (counter(txn, b->pay->counter.data, &change) != 0)
				return -1;
		}
		/* The partners paid each month (the report counts them). */
		if (pay && delta(after->retired, before->retired) == 0) {
			uint8_t k[1 + 4 + KEY_BYTES];
			struct issue_change change = {t, amount};
			struct audit_issue_row paid;
			k[0] = TABLE_PAID;
			store_be32(k + 1, month_index(&date));
			memcpy(k + 5, b->pay->payee.data, KEY_BYTES);
			if (row_add(txn, k, sizeof(k), &paid, sizeof(paid), issue_add, &change) != 0)
				return -1;
		}
		if (entry(txn, index, time_ms, MOVE_SALE, delta(after->retired, before->retired), 0, 0,
			  pay && b->pay->counter.len == KEY_BYTES ? b->pay->counter.data : NULL, NULL) != 0)
			return -1;
		break;
	}
	case MANNE__TX_BODY__KIND_REDEEM: {
		struct partner_change change = {.t = t, .redeemed = b->redeem->amount};
		if (partner(txn, tx->signer, &change) != 0 ||
		    entry(txn, index, time_ms, MOVE_REDEEM, change.redeemed, 0, 0, tx->signer, NULL) != 0)
			return -1;
		add(t, &m->redeemed, change.redeemed);
		break;
	}
	case MANNE__TX_BODY__KIND_SETTLE_REDEMPTION: {
		struct partner_change change = {.t = t};
		/* The redemption's record names the partner that asked and what was settled. */
		if (store_record_get(txn, b->settle_redemption->redeem_txid.data, &record) != STORE_OK)
			return -1;
		change.reconverted = delta(after->reconverted, before->reconverted);
		change.fees = delta(after->fees, before->fees);
		change.rejected = record.state == REDEMPTION_REJECTED ? record.amount : 0;
		if (partner(txn, record.party, &change) != 0)
			return -1;
		add(t, &m->reconverted, change.reconverted);
		add(t, &m->fees, change.fees);
		add(t, &m->paid_out, delta(after->paid_out, before->paid_out));
		add(t, &m->rejected, change.rejected);
		if (change.rejected > 0) {
			if (entry(txn, index, time_ms, MOVE_SETTLE_REJECTED, change.rejected, 0, 0, record.party, NULL) != 0)
				return -1;
		} else {
			if (entry(txn, index, time_ms, MOVE_SETTLE_PAID, change.reconverted, change.fees, 0, record.party,
				  b->settle_redemption->bank_reference) != 0)
				return -1;
		}
		break;
	}
	case MANNE__TX_BODY__KIND_RECOVER_ACCOUNT: {
		/* The balance moved, which the leaf does not say: the new account holds it now. */
		struct account moved;
		if (store_account_get(txn, b->recover_account->new_account.data, &moved) != STORE_OK ||
		    entry(txn, index, time_ms, MOVE_RECOVER, moved.balance, 0, 0, b->recover_account->new_account.data,
			  NULL) != 0)
			return -1;
		break;
	}
	default:
		break;
	}
	return t->overflow ? -1 : 0;
}

struct count_walk {
	uint64_t count;
};

static int count_fn(void *ctx, const uint8_t *k, size_t k_len, const uint8_t *v, size_t v_len)
{
	(void)k;
	(void)k_len;
	(void)v;
	(void)v_len;
	((struct count_walk *)ctx)->count++;
	return 0;
}

int audit_tables_partners_paid(struct store_txn *txn, int32_t year, uint32_t month, uint64_t *count)
{
	uint8_t prefix[5];
	struct count_walk w = {0};
	prefix[0] = TABLE_PAID;
	store_be32(prefix + 1, (uint32_t)year * 12U + (month - 1U));
	if (store_audit_each(txn, prefix, sizeof(prefix), NULL, 0, count_fn, &w) != STORE_OK)
		return -1;
	*count = w.count;
	return 0;
}

int audit_tables_entry_get(struct store_txn *txn, uint64_t index, struct audit_entry_row *out)
{
	uint8_t key[9];
	key_u64(key, TABLE_ENTRY, index);
	return store_audit_get(txn, key, sizeof(key), out, sizeof(*out));
}

/* ---- Reading for the report ---- */

struct key_search {
	uint64_t size;
	uint8_t key[KEY_BYTES];
	bool found;
	const uint8_t *wanted;
};

static int key_at_fn(void *ctx, const uint8_t *k, size_t k_len, const uint8_t *v, size_t v_len)
{
	struct key_search *s = ctx;
	if (k_len != 9 || v_len != KEY_BYTES)
		return 1;
	if (s->wanted != NULL) {
		if (memcmp(v, s->wanted, KEY_BYTES) == 0) {
			s->found = true;
			return 1;
		}
		return 0;
	}
	if (load_be64(k + 1) > s->size)
		return 1;
	memcpy(s->key, v, KEY_BYTES);
	s->found = true;
	return 0;
}

int audit_tables_key_at(struct store_txn *txn, uint64_t size, uint8_t key[KEY_BYTES])
{
	const uint8_t prefix = TABLE_KEYS;
	struct key_search s = {.size = size};

	if (store_audit_each(txn, &prefix, 1, NULL, 0, key_at_fn, &s) != STORE_OK || !s.found)
		return -1;
	memcpy(key, s.key, KEY_BYTES);
	return 0;
}

bool audit_tables_key_known(struct store_txn *txn, const uint8_t key[KEY_BYTES])
{
	const uint8_t prefix = TABLE_KEYS;
	struct key_search s = {.wanted = key};

	return store_audit_each(txn, &prefix, 1, NULL, 0, key_at_fn, &s) == STORE_OK && s.found;
}

struct month_walk {
	int (*fn)(void *ctx, int32_t year, uint32_t month, const struct audit_month_row *row);
	void *ctx;
	bool bad;
};

static int month_fn(void *ctx, const uint8_t *k, size_t k_len, const uint8_t *v, size_t v_len)
{
	struct month_walk *w = ctx;
	struct audit_month_row row;
	uint32_t index;

	if (k_len != 5 || v_len != sizeof(row)) {
		w->bad = true;
		return 1;
	}
	memcpy(&row, v, sizeof(row));
	index = load_be32(k + 1);
	return w->fn(w->ctx, (int32_t)(index / 12U), index % 12U + 1U, &row);
}

int audit_tables_each_month(struct store_txn *txn,
			    int (*fn)(void *ctx, int32_t year, uint32_t month, const struct audit_month_row *row),
			    void *ctx)
{
	const uint8_t prefix = TABLE_MONTH;
	struct month_walk w = {fn, ctx, false};
	return store_audit_each(txn, &prefix, 1, NULL, 0, month_fn, &w) == STORE_OK && !w.bad ? 0 : -1;
}

struct issue_walk {
	int (*fn)(void *ctx, int32_t year, uint32_t month, unsigned reason, const char *programme,
		  const struct audit_issue_row *row);
	void *ctx;
	bool bad;
};

static int issue_fn(void *ctx, const uint8_t *k, size_t k_len, const uint8_t *v, size_t v_len)
{
	struct issue_walk *w = ctx;
	struct audit_issue_row row;
	char programme[PROGRAMME_BYTES_MAX + 1];
	uint32_t index;

	if (k_len < 6 || k_len > 6 + PROGRAMME_BYTES_MAX || v_len != sizeof(row)) {
		w->bad = true;
		return 1;
	}
	memcpy(&row, v, sizeof(row));
	memcpy(programme, k + 6, k_len - 6);
	programme[k_len - 6] = '\0';
	index = load_be32(k + 1);
	return w->fn(w->ctx, (int32_t)(index / 12U), index % 12U + 1U, k[5], programme, &row);
}

int audit_tables_each_issue(struct store_txn *txn,
			    int (*fn)(void *ctx, int32_t year, uint32_t month, unsigned reason, const char *programme,
				      const struct audit_issue_row *row),
			    void *ctx)
{
	const uint8_t prefix = TABLE_ISSUE;
	struct issue_walk w = {fn, ctx, false};
	return store_audit_each(txn, &prefix, 1, NULL, 0, issue_fn, &w) == STORE_OK && !w.bad ? 0 : -1;
}

struct partner_walk {
	int (*fn)(void *ctx, const uint8_t key[KEY_BYTES], const struct audit_partner_row *row);
	void *ctx;
	bool bad;
};

static int partner_fn(void *ctx, const uint8_t *k, size_t k_len, const uint8_t *v, size_t v_len)
{
	struct partner_walk *w = ctx;
	struct audit_partner_row row;

	if (k_len != 1 + KEY_BYTES || v_len != sizeof(row)) {
		w->bad = true;
		return 1;
	}
	memcpy(&row, v, sizeof(row));
	return w->fn(w->ctx, k + 1, &row);
}

int audit_tables_each_partner(struct store_txn *txn,
			      int (*fn)(void *ctx, const uint8_t key[KEY_BYTES], const struct audit_partner_row *row),
			      void *ctx)
{
	const uint8_t prefix = TABLE_PARTNER;
	struct partner_walk w = {fn, ctx, false};
	return store_audit_each(txn, &prefix, 1, NULL, 0, partner_fn, &w) == STORE_OK && !w.bad ? 0 : -1;
}

struct counter_walk {
	int (*fn)(void *ctx, const uint8_t key[KEY_BYTES], const struct audit_counter_row *row);
	void *ctx;
	bool bad;
};

static int counter_fn(void *ctx, const uint8_t *k, size_t k_len, const uint8_t *v, size_t v_len)
{
	struct counter_walk *w = ctx;
	struct audit_counter_row row;

	if (k_len != 1 + KEY_BYTES || v_len != sizeof(row)) {
		w->bad = true;
		return 1;
	}
	memcpy(&row, v, sizeof(row));
	return w->fn(w->ctx, k + 1, &row);
}

int audit_tables_each_counter(struct store_txn *txn,
			      int (*fn)(void *ctx, const uint8_t key[KEY_BYTES], const struct audit_counter_row *row),
			      void *ctx)
{
	const uint8_t prefix = TABLE_COUNTER;
	struct counter_walk w = {fn, ctx, false};
	return store_audit_each(txn, &prefix, 1, NULL, 0, counter_fn, &w) == STORE_OK && !w.bad ? 0 : -1;
}

struct entry_walk {
	int (*fn)(void *ctx, uint64_t index, const struct audit_entry_row *row);
	void *ctx;
	uint64_t to;
	bool bad;
};

static int entry_fn(void *ctx, const uint8_t *k, size_t k_len, const uint8_t *v, size_t v_len)
{
	struct entry_walk *w = ctx;
	struct audit_entry_row row;
	uint64_t index;

	if (k_len != 9 || v_len != sizeof(row)) {
		w->bad = true;
		return 1;
	}
	index = load_be64(k + 1);
	if (index >= w->to)
		return 1;
	memcpy(&row, v, sizeof(row));
	return w->fn(w->ctx, index, &row);
}

int audit_tables_each_entry(struct store_txn *txn, uint64_t from, uint64_t to,
			    int (*fn)(void *ctx, uint64_t index, const struct audit_entry_row *row), void *ctx)
{
	const uint8_t prefix = TABLE_ENTRY;
	uint8_t start[9];
	struct entry_walk w = {fn, ctx, to, false};
	key_u64(start, TABLE_ENTRY, from);
	return store_audit_each(txn, &prefix, 1, start, sizeof(start), entry_fn, &w) == STORE_OK && !w.bad ? 0 : -1;
}

struct day_walk {
	uint64_t to;  /* biased, exclusive */
	struct audit_day_row sum;
	bool bad, overflow;
};

static int day_fn(void *ctx, const uint8_t *k, size_t k_len, const uint8_t *v, size_t v_len)
{
	struct day_walk *w = ctx;
	struct audit_day_row row;

	if (k_len != 9 || v_len != sizeof(row)) {
		w->bad = true;
		return 1;
	}
	if (load_be64(k + 1) >= w->to)
		return 1;
	memcpy(&row, v, sizeof(row));
	w->overflow |= __builtin_add_overflow(w->sum.pay, row.pay, &w->sum.pay);
	w->overflow |= __builtin_add_overflow(w->sum.refund, row.refund, &w->sum.refund);
	return 0;
}

int audit_tables_days(struct store_txn *txn, int64_t from, int64_t to, struct audit_day_row *sum)
{
	const uint8_t prefix = TABLE_DAY;
	uint8_t start[9];
	struct day_walk w = {.to = (uint64_t)to ^ DAY_BIAS};

	key_u64(start, TABLE_DAY, (uint64_t)from ^ DAY_BIAS);
	if (store_audit_each(txn, &prefix, 1, start, sizeof(start), day_fn, &w) != STORE_OK || w.bad || w.overflow)
		return -1;
	*sum = w.sum;
	return 0;
}

int audit_tables_kinds(struct store_txn *txn, struct audit_kind_row *out)
{
	const uint8_t key = TABLE_KINDS;
	int rc = store_audit_get(txn, &key, 1, out, sizeof(*out));

	if (rc == STORE_NOT_FOUND) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return rc == STORE_OK ? 0 : -1;
}
