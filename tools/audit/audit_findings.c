/*
 * audit_findings.c: what every part of manne-audit reports through: findings
 * and their evidence, failures (local, unreachable, key) and the exit code
 * they earn, text helpers, and the checks both sources (the ledger online, an
 * export file) make of a checkpoint at its size. Called by audit_main.c and
 * the other audit_*.c; calls none of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"

/* ---- Findings and failures ---- */

void audit_finding(struct audit *a, const char *check, bool has_leaf, uint64_t leaf_index, const char *expected,
		   const char *found, const char *fmt, ...)
{
	struct audit_finding *f;
	va_list ap;

	if (a->finding_count == AUDIT_FINDINGS_MAX) {
		a->findings_dropped++;
		return;
	}
	f = &a->findings[a->finding_count++];
	memset(f, 0, sizeof(*f));
	f->check = check;
	f->has_leaf = has_leaf;
	f->leaf_index = leaf_index;
	/* Words of the sources come back translated; figures and keys made on
	 * the fly are in no catalogue and come back as they are. */
	snprintf(f->expected, sizeof(f->expected), "%s", expected != NULL && expected[0] != '\0' ? _(expected) : "");
	snprintf(f->found, sizeof(f->found), "%s", found != NULL && found[0] != '\0' ? _(found) : "");
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), _(fmt), ap);
	va_end(ap);
}

void audit_evidence_at(struct audit *a, int finding, const struct audit_checkpoint *one,
		       const struct audit_checkpoint *two)
{
	struct audit_finding *f;

	if (finding < 0 || (size_t)finding >= a->finding_count)
		return;
	f = &a->findings[finding];
	free(f->evidence[0]);
	free(f->evidence[1]);
	f->evidence[0] = strdup(one->note);
	f->evidence[1] = strdup(two->note);
}

void audit_evidence(struct audit *a, const struct audit_checkpoint *one, const struct audit_checkpoint *two)
{
	/* A finding over the cap was dropped: its evidence with it. */
	if (a->finding_count > 0 && a->findings_dropped == 0)
		audit_evidence_at(a, (int)a->finding_count - 1, one, two);
}

static int failure(struct audit *a, bool *flag, const char *fmt, va_list ap)
{
	if (!a->local_failure && !a->unreachable && !a->key_failure)
		vsnprintf(a->failure, sizeof(a->failure), _(fmt), ap);
	*flag = true;
	return -1;
}

int audit_local_failure(struct audit *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failure(a, &a->local_failure, fmt, ap);
	va_end(ap);
	return -1;
}

int audit_unreachable(struct audit *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failure(a, &a->unreachable, fmt, ap);
	va_end(ap);
	return -1;
}

int audit_key_failure(struct audit *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failure(a, &a->key_failure, fmt, ap);
	va_end(ap);
	return -1;
}

void audit_hex32(const uint8_t in[32], char out[65])
{
	sodium_bin2hex(out, 65, in, 32);
}

void audit_amount(uint64_t centimes, char *out, size_t size)
{
	snprintf(out, size, "%llu.%02llu", (unsigned long long)(centimes / 100), (unsigned long long)(centimes % 100));
}

/* ---- Checks at a tree size ---- */

int audit_note_verify(const struct audit_checkpoint *cp, const uint8_t key[KEY_BYTES])
{
	char vkey[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	struct note_verifier v;
	size_t text_len;

	if (note_verifier_format(cp->c.origin, key, vkey, sizeof(vkey)) != 0 || note_verifier_parse(vkey, &v) != 0)
		return -1;
	return note_verify(cp->note, cp->note_len, &v, &text_len);
}

void audit_verifier_key(const char *origin, const uint8_t key[KEY_BYTES], char *out, size_t size)
{
	if (note_verifier_format(origin, key, out, size) != 0)
		snprintf(out, size, "%s", _("(a key that cannot be written as a verifier key)"));
}

/* Appends "name value" to a list, cut at the buffer's end. */
static void append(char *out, size_t size, const char *name, uint64_t value)
{
	size_t n = strlen(out);

	if (n + 1 < size)
		snprintf(out + n, size - n, "%s%s %llu", n > 0 ? ", " : "", name, (unsigned long long)value);
}

bool audit_check_at_size(struct audit *a, struct audit_checkpoint *cp, const struct ledger_state *state,
			 struct store_txn *txn, bool collected)
{
	static const char *const names[] = {"issued", "retired", "reconverted", "fees", "pending",
					    "funded", "paid_out", "released", "outstanding", "reserve"};
	struct merkle_nodes nodes = store_merkle_nodes(txn);
	uint64_t size = cp->c.tree_size, last = size > 0 ? size - 1 : 0;
	uint8_t root[MERKLE_HASH_BYTES];
	char expected[256], found[256], hex_a[65], hex_b[65];
	bool ok = true;

	if (strcmp(cp->c.origin, state->origin) != 0) {
		audit_finding(a, "checkpoint", size > 0, last, state->origin, cp->c.origin,
			      "%s: the checkpoint names another ledger", cp->source);
		return false;
	}
	/* The log says which key signs at this size (SPEC §4 set_checkpoint_key). */
	cp->verified = audit_note_verify(cp, state->checkpoint_key) == 0;
	if (!cp->verified) {
		audit_verifier_key(state->origin, state->checkpoint_key, expected, sizeof(expected));
		audit_finding(a, "signature", size > 0, last, expected, N_("no valid signature by that key"),
			      "%s: the checkpoint of %llu leaves is not signed by the key the log puts in force at that "
			      "size",
			      cp->source, (unsigned long long)size);
		ok = false;
	}
	if (merkle_root(&nodes, size, root) != 0) {
		audit_local_failure(a, "the replay store has no Merkle root for %llu leaves", (unsigned long long)size);
		return false;
	}
	if (sodium_memcmp(root, cp->c.root, sizeof(root)) != 0) {
		audit_hex32(root, hex_a);
		audit_hex32(cp->c.root, hex_b);
		if (collected && cp->verified) {
			audit_finding(a, "consistency", false, 0, hex_a, hex_b,
				      "%s: a checkpoint signed by the ledger for %llu leaves is not consistent with the log "
				      "audited: it and the ledger's checkpoint are evidence",
				      cp->source, (unsigned long long)size);
			cp->finding = (int)a->finding_count - 1;
		} else {
			audit_finding(a, "root", false, 0, hex_a, hex_b,
				      "%s: the checkpoint's root is not the root of the %llu leaves replayed", cp->source,
				      (unsigned long long)size);
		}
		ok = false;
	}
	{
		const struct totals *t = &state->totals;
		struct checkpoint_totals mine = {t->issued, t->retired, t->reconverted, t->fees, t->pending,
						 t->funded, t->paid_out, t->released, 0, 0};
		uint64_t m[10], s[10];

		if (totals_outstanding(t, &mine.outstanding) != 0 || totals_reserve(t, &mine.reserve) != 0) {
			audit_local_failure(a, "the replayed totals do not derive (a damaged replay store)");
			return false;
		}
		memcpy(m, &mine, sizeof(m));
		memcpy(s, &cp->c.totals, sizeof(s));
		expected[0] = found[0] = '\0';
		for (size_t i = 0; i < 10; i++) {
			if (m[i] == s[i])
				continue;
			append(expected, sizeof(expected), names[i], m[i]);
			append(found, sizeof(found), names[i], s[i]);
		}
		if (expected[0] != '\0') {
			audit_finding(a, "totals", size > 0, last, expected, found,
				      "%s: the checkpoint's totals are not those of the replay at %llu leaves", cp->source,
				      (unsigned long long)size);
			ok = false;
		}
	}
	return ok;
}

_Static_assert(sizeof(struct checkpoint_totals) == 10 * sizeof(uint64_t), "ten totals lines");

void audit_collected_at_size(struct audit *a, const struct ledger_state *state, struct store_txn *txn)
{
	while (a->collected_next < a->collected_count &&
	       a->collected[a->collected_next].c.tree_size <= state->tree_size) {
		struct audit_checkpoint *c = &a->collected[a->collected_next++];
		if (c->c.tree_size != state->tree_size || c->checked != AUDIT_UNCHECKED)
			continue;
		c->checked = AUDIT_CHECKED_FULL;
		c->consistent = audit_check_at_size(a, c, state, txn, true);
	}
}

int audit_key_at(struct audit *a, uint64_t size, uint8_t key[KEY_BYTES])
{
	struct store_txn *txn;
	int rc;

	if (store_begin(a->ledger->store, false, &txn) != STORE_OK)
		return -1;
	rc = audit_tables_key_at(txn, size, key);
	store_abort(txn);
	return rc;
}

int audit_exit_code(const struct audit *a)
{
	if (a->finding_count > 0)
		return AUDIT_EXIT_DISCREPANCY;
	if (a->key_failure)
		return AUDIT_EXIT_KEY;
	if (a->local_failure)
		return AUDIT_EXIT_LOCAL;
	if (a->unreachable || a->accounts_moving)
		return AUDIT_EXIT_UNREACHABLE;
	return AUDIT_EXIT_CLEAN;
}
