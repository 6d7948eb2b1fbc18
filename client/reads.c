/*
 * reads.c: what a connection may read (manne.h): an account, its history, a
 * transaction by txid, a payment by the till's reference, the raw log and
 * the ledger's status. Every field that comes back is checked against its
 * bound before it is copied into the caller's structure: the reply is input
 * like any other.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "manne_internal.h"

/* The kinds of a reply must be the one asked for. */
static enum manne_status expect_kind(struct manne *m, const Manne__Response *r, Manne__Response__KindCase kind)
{
	if (r->kind_case != kind)
		return manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger answered with another kind of reply");
	return MANNE_OK;
}

static bool copy_key(uint8_t out[MANNE_PUBLICKEYBYTES], bool *has, const ProtobufCBinaryData *field)
{
	*has = false;
	if (field->len == 0)
		return true;
	if (field->len != MANNE_PUBLICKEYBYTES)
		return false;
	memcpy(out, field->data, MANNE_PUBLICKEYBYTES);
	*has = true;
	return true;
}

static enum manne_status take_entry(struct manne *m, const Manne__TxInfo *t, struct manne_entry *out)
{
	memset(out, 0, sizeof(*out));
	if (t->txid.len != MANNE_TXIDBYTES || !copy_key(out->counterparty, &out->has_counterparty, &t->counterparty) ||
	    !copy_key(out->signer, &out->has_signer, &t->signer) || !copy_key(out->counter, &out->has_counter, &t->counter) || !manne_copy_text(out->kind, sizeof(out->kind), t->kind) ||
	    !manne_copy_text(out->memo, sizeof(out->memo), t->memo) ||
	    !manne_copy_text(out->payee_reference, sizeof(out->payee_reference), t->payee_reference) ||
	    !manne_copy_text(out->programme, sizeof(out->programme), t->programme) ||
	    !manne_copy_text(out->reference, sizeof(out->reference), t->reference))
		return manne_fail(m, MANNE_ERR_PROTOCOL, "a transaction in the reply is over its bounds");
	memcpy(out->txid, t->txid.data, MANNE_TXIDBYTES);
	out->leaf_index = t->leaf_index;
	out->time_ms = t->time_ms;
	out->amount = t->amount;
	out->issue_reason = (int)t->issue_reason;
	out->fee = t->fee;
	out->outcome = (int)t->outcome;
	out->redemption_state = (int)t->redemption_state;
	if (t->redeem_txid.len != 0) {
		if (t->redeem_txid.len != MANNE_TXIDBYTES)
			return manne_fail(m, MANNE_ERR_PROTOCOL, "a redeem txid in the reply is not 32 bytes");
		memcpy(out->redeem_txid, t->redeem_txid.data, MANNE_TXIDBYTES);
		out->has_redeem_txid = true;
	}
	if (t->leaf_hash.len != 0) {
		if (t->leaf_hash.len != sizeof(out->leaf_hash))
			return manne_fail(m, MANNE_ERR_PROTOCOL, "a leaf hash in the reply is not 32 bytes");
		memcpy(out->leaf_hash, t->leaf_hash.data, sizeof(out->leaf_hash));
		out->has_leaf_hash = true;
	}
	if (out->fee > out->amount)
		return manne_fail(m, MANNE_ERR_PROTOCOL, "a fee in the reply is over its amount");
	return MANNE_OK;
}

static enum manne_status finish(Manne__Response *r, enum manne_status status)
{
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	return status;
}

enum manne_status manne_account(struct manne *m, const uint8_t account[MANNE_PUBLICKEYBYTES], struct manne_account *out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__AccountRequest a = MANNE__ACCOUNT_REQUEST__INIT;
	Manne__Response *r = NULL;
	const Manne__AccountInfo *info;
	enum manne_status status;

	if (m == NULL || account == NULL || out == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "an account key and room for the answer are needed");
	a.account = (ProtobufCBinaryData){.len = MANNE_PUBLICKEYBYTES, .data = (uint8_t *)account};
	request.kind_case = MANNE__REQUEST__KIND_ACCOUNT;
	request.account = &a;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK)
		status = expect_kind(m, r, MANNE__RESPONSE__KIND_ACCOUNT);
	if (status != MANNE_OK)
		return finish(r, status);
	info = r->account;
	memset(out, 0, sizeof(*out));
	if (info->account.len != MANNE_PUBLICKEYBYTES || memcmp(info->account.data, account, MANNE_PUBLICKEYBYTES) != 0 ||
	    !copy_key(out->successor, &out->has_successor, &info->successor))
		return finish(r, manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger answered about another account"));
	memcpy(out->account, account, MANNE_PUBLICKEYBYTES);
	out->role = (enum manne_role)info->role;
	out->state = (int)info->state;
	out->balance = info->balance;
	out->max_payment = info->max_payment;
	out->max_daily = info->max_daily;
	out->remaining_today = info->remaining_today;
	out->next_sequence = info->next_sequence;
	out->pending_redemptions = info->pending_redemptions;
	out->card_held = info->card_held;
	out->history_end = info->history_end;
	return finish(r, MANNE_OK);
}

enum manne_status manne_history(struct manne *m, const uint8_t account[MANNE_PUBLICKEYBYTES], uint64_t before_index,
				struct manne_entry *entries, size_t entries_max, size_t *count, uint64_t *next_index)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__HistoryRequest h = MANNE__HISTORY_REQUEST__INIT;
	Manne__Response *r = NULL;
	enum manne_status status;

	if (m == NULL || account == NULL || entries == NULL || entries_max == 0 || count == NULL || next_index == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "an account key and room for at least one entry are needed");
	*count = 0;
	*next_index = 0;
	h.account = (ProtobufCBinaryData){.len = MANNE_PUBLICKEYBYTES, .data = (uint8_t *)account};
	h.before_index = before_index;
	h.limit = (uint32_t)(entries_max > MANNE_PAGE_ENTRIES_MAX ? MANNE_PAGE_ENTRIES_MAX : entries_max);
	request.kind_case = MANNE__REQUEST__KIND_HISTORY;
	request.history = &h;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK)
		status = expect_kind(m, r, MANNE__RESPONSE__KIND_HISTORY);
	if (status != MANNE_OK)
		return finish(r, status);
	if (r->history->n_entries > h.limit)
		return finish(r, manne_fail(m, MANNE_ERR_PROTOCOL, "more entries than asked for"));
	for (size_t i = 0; i < r->history->n_entries; i++) {
		status = take_entry(m, r->history->entries[i], &entries[i]);
		if (status != MANNE_OK)
			return finish(r, status);
	}
	*count = r->history->n_entries;
	*next_index = r->history->next_index;
	return finish(r, MANNE_OK);
}

enum manne_status manne_tx_get(struct manne *m, const uint8_t txid[MANNE_TXIDBYTES], struct manne_entry *out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__TxRequest t = MANNE__TX_REQUEST__INIT;
	Manne__Response *r = NULL;
	enum manne_status status;

	if (m == NULL || txid == NULL || out == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a txid and room for the answer are needed");
	t.txid = (ProtobufCBinaryData){.len = MANNE_TXIDBYTES, .data = (uint8_t *)txid};
	request.kind_case = MANNE__REQUEST__KIND_TX;
	request.tx = &t;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK)
		status = expect_kind(m, r, MANNE__RESPONSE__KIND_TX);
	if (status == MANNE_OK)
		status = take_entry(m, r->tx, out);
	if (status == MANNE_OK && memcmp(out->txid, txid, MANNE_TXIDBYTES) != 0)
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger answered about another transaction");
	return finish(r, status);
}

enum manne_status manne_payment_by_reference(struct manne *m, const uint8_t payee[MANNE_PUBLICKEYBYTES],
					     const char *payee_reference, uint32_t wait_ms, uint64_t expected_amount,
					     const uint8_t *expected_payer, struct manne_entry *out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__PaymentByReferenceRequest p = MANNE__PAYMENT_BY_REFERENCE_REQUEST__INIT;
	Manne__Response *r = NULL;
	enum manne_status status;

	if (m == NULL || payee == NULL || out == NULL || payee_reference == NULL || payee_reference[0] == '\0' ||
	    !manne_text_ok(payee_reference, MANNE_PAYEE_REFERENCE_BYTES_MAX))
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a payee and a reference of 1..%u bytes are needed",
				  MANNE_PAYEE_REFERENCE_BYTES_MAX);
	if (wait_ms > 120000U)
		wait_ms = 120000U;  /* the ledger's own maximum */
	p.payee = (ProtobufCBinaryData){.len = MANNE_PUBLICKEYBYTES, .data = (uint8_t *)payee};
	p.payee_reference = (char *)payee_reference;
	p.wait_ms = wait_ms;
	request.kind_case = MANNE__REQUEST__KIND_PAYMENT_BY_REFERENCE;
	request.payment_by_reference = &p;
	status = manne_call(m, &request, wait_ms, &r);
	if (status == MANNE_OK)
		status = expect_kind(m, r, MANNE__RESPONSE__KIND_PAYMENT);
	if (status == MANNE_OK)
		status = take_entry(m, r->payment, out);
	if (status == MANNE_OK && (strcmp(out->payee_reference, payee_reference) != 0 || strcmp(out->kind, "pay") != 0))
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger answered with another payment");
	if (status == MANNE_OK && expected_amount != 0 && out->amount != expected_amount)
		status = manne_fail(m, MANNE_ERR_PAYMENT_MISMATCH,
				    "the payment with reference %s is of %llu centimes, not the %llu expected: it does not pay "
				    "this order",
				    payee_reference, (unsigned long long)out->amount, (unsigned long long)expected_amount);
	if (status == MANNE_OK && expected_payer != NULL &&
	    (!out->has_counterparty || sodium_memcmp(out->counterparty, expected_payer, MANNE_PUBLICKEYBYTES) != 0))
		status = manne_fail(m, MANNE_ERR_PAYMENT_MISMATCH,
				    "the payment with reference %s is from another payer: it does not pay this order",
				    payee_reference);
	return finish(r, status);
}

enum manne_status manne_log_read(struct manne *m, uint64_t from_index, uint64_t to_index, manne_leaf_fn fn, void *ctx)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__LogEntriesRequest l = MANNE__LOG_ENTRIES_REQUEST__INIT;
	uint64_t index = from_index;

	if (m == NULL || fn == NULL || from_index > to_index)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a callback and from <= to are needed");
	request.kind_case = MANNE__REQUEST__KIND_LOG_ENTRIES;
	request.log_entries = &l;
	while (index < to_index) {
		Manne__Response *r = NULL;
		enum manne_status status;
		size_t n;

		l.from_index = index;
		l.limit = to_index - index > MANNE_PAGE_ENTRIES_MAX ? MANNE_PAGE_ENTRIES_MAX : (uint32_t)(to_index - index);
		status = manne_call(m, &request, 0, &r);
		if (status == MANNE_OK)
			status = expect_kind(m, r, MANNE__RESPONSE__KIND_LOG_ENTRIES);
		if (status != MANNE_OK)
			return finish(r, status);
		n = r->log_entries->n_leaves;
		/* An empty page before to_index would loop for ever: the log is shorter than said. */
		if (n == 0 || n > l.limit)
			return finish(r, manne_fail(m, MANNE_ERR_PROTOCOL, "the log has no leaf %llu",
						    (unsigned long long)index));
		for (size_t i = 0; i < n; i++, index++) {
			if (fn(ctx, index, r->log_entries->leaves[i].data, r->log_entries->leaves[i].len) != 0)
				return finish(r, manne_fail(m, MANNE_ERR_ARGUMENT, "stopped at leaf %llu",
							    (unsigned long long)index));
		}
		manne__response__free_unpacked(r, NULL);
	}
	return MANNE_OK;
}

enum manne_status manne_status_get(struct manne *m, struct manne_ledger_status *out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest s = MANNE__STATUS_REQUEST__INIT;
	Manne__Response *r = NULL;
	enum manne_status status;

	if (m == NULL || out == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "room for the answer is needed");
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &s;
	status = manne_call(m, &request, 0, &r);
	if (status == MANNE_OK)
		status = expect_kind(m, r, MANNE__RESPONSE__KIND_STATUS_INFO);
	if (status != MANNE_OK)
		return finish(r, status);
	memset(out, 0, sizeof(*out));
	if (!manne_copy_text(out->version, sizeof(out->version), r->status_info->version))
		return finish(r, manne_fail(m, MANNE_ERR_PROTOCOL, "the version is over its bounds"));
	out->tree_size = r->status_info->tree_size;
	out->connections = r->status_info->connections;
	out->applied = r->status_info->applied;
	out->refused = r->status_info->refused;
	out->batches = r->status_info->batches;
	if (r->status_info->utc_offset_minutes < -14 * 60 || r->status_info->utc_offset_minutes > 14 * 60)
		return finish(r, manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger's UTC offset is out of range"));
	out->utc_offset_minutes = r->status_info->utc_offset_minutes;
	out->eu_summer_time = r->status_info->eu_summer_time;
	return finish(r, MANNE_OK);
}

enum manne_status manne_next_sequence(struct manne *m, const struct manne_key *signer, uint64_t *out)
{
	struct manne *side;
	struct manne_account account;
	enum manne_status status;

	/* Already proved on the handle: read there. */
	if (m->authenticated && memcmp(m->auth_key.public_key, signer->public_key, MANNE_PUBLICKEYBYTES) == 0) {
		status = manne_account(m, signer->public_key, &account);
		if (status == MANNE_OK)
			*out = account.next_sequence;
		return status;
	}
	/* A till charging a card learns the card's next sequence on its own
	 * connection, proved by the shop (SPEC §10): card-held keys never
	 * authenticate. */
	if (m->authenticated) {
		status = manne_account(m, signer->public_key, &account);
		if (status == MANNE_OK) {
			*out = account.next_sequence;
			return status;
		}
		if (status != MANNE_ERR_NOT_PERMITTED)
			return status;
		manne_clear_error(m);
	}
	/* Otherwise on a side connection, so that the handle's own connection
	 * keeps its identity (a till's stays its shop's) and never holds the
	 * payer's key. */
	side = calloc(1, sizeof(*side));
	if (side == NULL)
		return manne_fail(m, MANNE_ERR_NO_MEMORY, "out of memory");
	memcpy(side, m, sizeof(*side));
	side->wire.fd = -1;
	side->wire.ssl = NULL; /* the handle's own session: never shared */
	side->authenticated = false;
	sodium_memzero(&side->auth_key, sizeof(side->auth_key));
	status = manne_authenticate(side, signer);
	if (status == MANNE_OK)
		status = manne_account(side, signer->public_key, &account);
	if (status == MANNE_OK)
		*out = account.next_sequence;
	else
		manne_fail(m, status, "looking up the next sequence: %s", side->message);
	manne_close(side);
	return status;
}
