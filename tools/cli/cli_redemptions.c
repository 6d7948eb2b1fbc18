/*
 * cli_redemptions.c: what the treasurer wires. `manne redemptions
 * [--pending]` lists the reconversions (board or auditor key) oldest first,
 * each with its partner, the amount, the fee fixed when it was asked and the
 * euros to wire, and their totals; a settlement's `show` and `sign` print
 * the same figures of the redeem it settles, read from the ledger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "ledger/log/note.h"

/* More than any association's pending list; the walk stops there and says so. */
#define REDEMPTIONS_MAX 100000U

struct collected {
	struct manne_redemption *items;
	size_t count, room;
	bool truncated, out_of_memory;
};

static int collect(void *ctx, const struct manne_redemption *r)
{
	struct collected *all = ctx;

	if (all->count == REDEMPTIONS_MAX) {
		all->truncated = true;
		return 1;
	}
	if (all->count == all->room) {
		size_t room = all->room == 0 ? 64 : 2 * all->room;
		struct manne_redemption *more = realloc(all->items, room * sizeof(*more));
		if (more == NULL) {
			all->out_of_memory = true;
			return 1;
		}
		all->items = more;
		all->room = room;
	}
	all->items[all->count++] = *r;
	return 0;
}

static int by_leaf(const void *a, const void *b)
{
	const struct manne_redemption *x = a, *y = b;
	return x->leaf_index < y->leaf_index ? -1 : x->leaf_index > y->leaf_index;
}

/* An account reference is opaque bytes: text when it is printable UTF-8. */
static void reference_text(const struct manne_redemption *r, char *out, size_t size)
{
	out[0] = '\0';
	if (r->partner_reference_len > 0 && r->partner_reference_len < size &&
	    note_text_printable((const char *)r->partner_reference, r->partner_reference_len)) {
		memcpy(out, r->partner_reference, r->partner_reference_len);
		out[r->partner_reference_len] = '\0';
	}
}

static const char *const state_names[] = {"", "pending", "paid", "rejected"};
static const char *const state_words[] = {"", N_("pending: euros to wire"), N_("paid"), N_("rejected")};

int cmd_redemptions(struct cli *c)
{
	struct manne *m = NULL;
	struct manne_key key;
	struct collected all = {0};
	uint64_t amount = 0, fee = 0, wire = 0;
	enum manne_status status;
	bool have_key, pending = cli_flag(c, OPT_PENDING);
	char text[128], reference[MANNE_ACCOUNT_REFERENCE_BYTES_MAX + 1], id[MANNE_SHORT_ID_BYTES];
	int rc = cli_connect_as(c, &m, &key, &have_key);

	if (rc != 0)
		return rc;
	if (!have_key) {
		rc = cli_usage_error(c, "--key: a board member's or an auditor's key (the list is theirs only)");
		goto out;
	}
	status = manne_redemptions(m, !pending, collect, &all);
	if (all.out_of_memory) {
		rc = cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
		goto out;
	}
	if (status != MANNE_OK && !all.truncated) {
		rc = cli_fail_detail(c, status, manne_message(m));
		goto out;
	}
	if (all.count > 1)  /* (an empty list has no array to give qsort) */
		qsort(all.items, all.count, sizeof(*all.items), by_leaf);
	out_begin(c);
	out_bool(c, "ok", NULL, true);
	out_array_begin(c, "redemptions");
	for (size_t i = 0; i < all.count; i++) {
		const struct manne_redemption *r = &all.items[i];
		uint64_t to_wire = r->amount - r->fee;  /* fee <= amount, checked by libmanne */
		/* Totals of the list; the euros to wire are the pending ones'. */
		if (__builtin_add_overflow(amount, r->amount, &amount) || __builtin_add_overflow(fee, r->fee, &fee) ||
		    __builtin_add_overflow(wire, r->state == MANNE_REDEMPTION_PENDING ? to_wire : 0, &wire)) {
			rc = cli_fail(c, MANNE_ERR_PROTOCOL, "the totals overflow: the ledger's answer makes no sense");
			goto out;
		}
		reference_text(r, reference, sizeof(reference));
		out_object_begin(c);
		manne_short_id(r->partner, id);
		if (!c->json) {
			snprintf(text, sizeof(text), "%s%s%s", reference[0] != '\0' ? reference : "", reference[0] != '\0' ? " · " : "", id);
			out_str(c, NULL, "partner", text);
		}
		out_hex(c, "partner", "partner key", r->partner, 32);
		out_str(c, "partner_reference", NULL, reference);
		out_time(c, "time_ms", "asked on", r->time_ms);
		out_amount(c, "amount", "amount", r->amount);
		out_euros(c, "fee", "fee kept by the association", r->fee);
		/* What is still to wire, or what was wired; a rejected one has none. */
		if (r->state == MANNE_REDEMPTION_PENDING)
			out_euros(c, "to_wire", "euros to wire", to_wire);
		else if (r->state == MANNE_REDEMPTION_PAID)
			out_euros(c, "to_wire", "euros wired", to_wire);
		else
			out_u64(c, "to_wire", NULL, to_wire);
		out_str(c, "state", NULL, state_names[r->state]);
		if (!pending)
			out_str(c, NULL, "state", _(state_words[r->state]));
		out_hex(c, "txid", "txid (settle --redeem)", r->txid, 32);
		out_u64(c, "leaf_index", NULL, r->leaf_index);
		out_object_end(c);
	}
	out_array_end(c);
	out_u64(c, "count", pending ? N_("reconversions pending") : N_("reconversions"), all.count);
	out_amount(c, "total_amount", "total amount", amount);
	out_euros(c, "total_fee", "total fees", fee);
	out_euros(c, "total_to_wire", "total euros to wire", wire);
	out_bool(c, "complete", NULL, !all.truncated);
	if (all.truncated && !c->json)
		printf(_("(only the first %u: the list goes on)\n"), REDEMPTIONS_MAX);
	out_end(c);
out:
	free(all.items);
	return cli_disconnect(m, &key, have_key, rc);
}

/* The redeem a settlement settles, so that whoever signs sees to whom and
 * how many euros. The partner and the amount come from the redeem's own
 * leaf, checked against the txid the settlement names (a board key reads
 * the log), and the leaf is proved in the latest checkpoint; only the fee
 * and the state are the ledger's word. On stderr (sign, whose stdout may be
 * JSON) or in the output (show). */
void cli_settle_figures(const struct cli *c, const uint8_t *body, size_t body_len, const struct manne_key *reader,
			bool to_stderr)
{
	uint8_t redeem[32];
	struct manne *m = NULL;
	struct manne_entry e;
	struct cli_leaf leaf;
	enum manne_status status;
	bool pinned = false, proved;
	char amount[128], fee[128], wire[128], hex[65], partner[96];
	FILE *people = to_stderr ? stderr : c->json ? NULL : stdout;

	if (manne_body_redeem_txid(body, body_len, redeem) != MANNE_OK)
		return;
	status = reader == NULL ? MANNE_ERR_NOT_PERMITTED : cli_connect_quiet(c, &m);
	if (status == MANNE_OK)
		status = manne_authenticate(m, reader);
	if (status == MANNE_OK)
		status = manne_tx_get(m, redeem, &e);
	if (status == MANNE_OK && strcmp(e.kind, "redeem") != 0)
		status = MANNE_ERR_NOT_FOUND;
	if (status == MANNE_OK)
		status = cli_leaf_read(m, e.leaf_index, redeem, &leaf);
	/* The ledger's figures must be the leaf's: anything else is a lie to the signer. */
	if (status == MANNE_OK && (leaf.kind != MANNE_KIND_REDEEM || !leaf.has_signer || leaf.amount != e.amount ||
				   e.fee > leaf.amount))
		status = MANNE_ERR_VERIFY;
	sodium_bin2hex(hex, sizeof(hex), redeem, 32);
	if (status != MANNE_OK) {
		if (people != NULL)
			fprintf(people,
				status == MANNE_ERR_VERIFY
					? _("The ledger's figures of this reconversion do not match its own signed bytes "
					    "(%s): do not sign, and tell the board (redeem %s).\n")
					: _("The reconversion's figures could not be read from the ledger (%s): check the "
					    "partner and the euros to wire with `manne tx %s` before signing.\n"),
				manne_status_name(status), hex);
		if (!to_stderr)
			out_bool(c, "redeem_known", NULL, false);
		manne_close(m);
		return;
	}
	proved = cli_leaf_prove(c, m, &leaf, &pinned) == MANNE_OK;
	format_amount(amount, sizeof(amount), leaf.amount);
	format_euros(fee, sizeof(fee), e.fee);
	format_euros(wire, sizeof(wire), leaf.amount - e.fee);
	/* The short id, as the pending list shows it beside the partner's name. */
	char id[MANNE_SHORT_ID_BYTES];
	manne_short_id(leaf.signer, id);
	sodium_bin2hex(hex, sizeof(hex), leaf.signer, 32);
	snprintf(partner, sizeof(partner), "%s (%s)", id, hex);
	if (people != NULL)
		fprintf(people,
			_("The reconversion it settles, from its own signed bytes:\n  partner: %s\n  amount: %s\n  "
			  "fee kept by the association (as the ledger reports it): %s\n  euros to wire: %s\n  state: "
			  "%s\n  in the log: %s\n"),
			partner, amount, fee, wire,
			e.redemption_state >= 1 && e.redemption_state <= 3 ? _(state_words[e.redemption_state]) : "?",
			!proved  ? _("NOT proved: do not sign before checking it")
			: pinned ? _("proved under the pinned checkpoint key")
				 : _("proved under the key the ledger publishes only (pin --checkpoint-key)"));
	if (!to_stderr && c->json) {
		out_bool(c, "redeem_known", NULL, true);
		out_hex(c, "partner", NULL, leaf.signer, 32);
		out_u64(c, "amount", NULL, leaf.amount);
		out_u64(c, "fee", NULL, e.fee);
		out_u64(c, "to_wire", NULL, leaf.amount - e.fee);
		if (e.redemption_state >= 1 && e.redemption_state <= 3)
			out_str(c, "redemption_state", NULL, state_names[e.redemption_state]);
		out_bool(c, "proved", NULL, proved);
		out_bool(c, "pinned", NULL, pinned);
	}
	manne_close(m);
}
