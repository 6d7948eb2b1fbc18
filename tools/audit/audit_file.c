/*
 * audit_file.c: auditing an export (docs/export.md) offline, read with
 * libmanne's export reader in two passes over the file:
 *
 *   1. the whole file, hashed as it passes: the leaves' RFC 6962 root, the
 *      root of the prefix this auditor replayed before (which must be its
 *      own: the export extends the anchor), the note at the end;
 *   2. the new leaves only, fed to the replay.
 *
 * Reading twice costs a hash per leaf; it means that a file whose history
 * differs from what was verified before is never replayed over it, and that
 * the leaf where it differs is found exactly, by comparing bytes with the
 * leaves in the replay store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

/* The file's format is a finding when it breaks (the file is the log's
 * evidence); a file that cannot be read at all is a local failure. */
static int reader_failed(struct audit *a, struct manne_export_reader *r, enum manne_status s)
{
	if (s == MANNE_ERR_MALFORMED) {
		audit_finding(a, "format", true, manne_export_leaf_count(r), N_("an export (docs/export.md)"),
			      N_("a broken file"), "%s: %s", a->file, manne_export_message(r));
		return -1;
	}
	return audit_local_failure(a, "%s", manne_export_message(r));
}

struct first_pass {
	uint64_t count;
	uint8_t root[MANNE_HASHBYTES];
	uint8_t prefix_root[MANNE_HASHBYTES];  /* of the first `prefix` leaves */
	uint64_t prefix;
};

static int pass_one(struct audit *a, struct first_pass *p)
{
	struct manne_export_reader *r = NULL;
	const uint8_t *leaf;
	const char *note;
	size_t len, note_len;
	enum manne_status s = manne_export_open(a->file, &r);
	int rc = -1;

	if (s != MANNE_OK)
		goto out;
	if (p->prefix == 0)
		crypto_hash_sha256(p->prefix_root, NULL, 0);
	for (;;) {
		s = manne_export_next(r, &leaf, &len);
		if (s != MANNE_OK || leaf == NULL)
			break;
		if (manne_export_leaf_count(r) == p->prefix && manne_export_root(r, p->prefix_root) != MANNE_OK)
			break;
	}
	if (s != MANNE_OK)
		goto out;
	p->count = manne_export_leaf_count(r);
	if (manne_export_root(r, p->root) != MANNE_OK)
		goto out;
	note = manne_export_note(r, &note_len);
	if (note == NULL || audit_note_parse(note, note_len, &a->target) != 0) {
		audit_finding(a, "checkpoint", false, 0, N_("a tlog-checkpoint signed note"), N_("something else"),
			      "%s: the checkpoint at the end of the file cannot be read", a->file);
		manne_export_close(r);
		return -1;
	}
	snprintf(a->target.source, sizeof(a->target.source), "%s", a->file);
	a->have_target = true;
	rc = 0;
out:
	if (rc != 0 && s != MANNE_OK)
		reader_failed(a, r, s);
	manne_export_close(r);
	return rc;
}

/* The first leaf of the file that is not the replay store's own (the prefix
 * roots differ, so there is one below `limit`). */
static int first_different_leaf(struct audit *a, uint64_t limit, uint64_t *leaf)
{
	struct manne_export_reader *r = NULL;
	struct store_txn *txn = NULL;
	const uint8_t *mine, *theirs;
	size_t mine_len, theirs_len;
	enum manne_status s = manne_export_open(a->file, &r);
	int rc = -1;

	if (s != MANNE_OK || store_begin(a->ledger->store, false, &txn) != STORE_OK)
		goto out;
	for (uint64_t i = 0; i < limit; i++) {
		s = manne_export_next(r, &theirs, &theirs_len);
		if (s != MANNE_OK || theirs == NULL || store_leaf_get(txn, i, &mine, &mine_len) != STORE_OK)
			goto out;
		if (theirs_len != mine_len || memcmp(theirs, mine, mine_len) != 0) {
			*leaf = i;
			rc = 0;
			goto out;
		}
	}
out:
	store_abort(txn);
	manne_export_close(r);
	return rc;
}

/* Replays the file's leaves [from, to): never one its checkpoint does not cover. */
static int pass_two(struct audit *a, uint64_t from, uint64_t to)
{
	struct manne_export_reader *r = NULL;
	struct replay *replay = NULL;
	const uint8_t *leaf;
	size_t len;
	uint64_t start = now_ms();
	enum manne_status s = manne_export_open(a->file, &r);
	int rc = -1;

	a->replay_from = from;
	if (s != MANNE_OK) {
		reader_failed(a, r, s);
		manne_export_close(r);
		return -1;
	}
	if (replay_open(a, &replay) != 0) {
		manne_export_close(r);
		return -1;
	}
	for (;;) {
		s = manne_export_next(r, &leaf, &len);
		if (s != MANNE_OK || leaf == NULL)
			break;
		if (manne_export_leaf_count(r) > to)
			break;
		if (manne_export_leaf_count(r) > from && replay_leaf(replay, leaf, len) != 0)
			break;
	}
	rc = replay_finish(replay);
	replay_close(replay);
	if (s != MANNE_OK && rc == 0) {
		reader_failed(a, r, s);
		rc = -1;
	}
	manne_export_close(r);
	a->replay_to = a->ledger->state.tree_size;
	a->replay_ms = now_ms() - start;
	return rc;
}

int audit_file(struct audit *a)
{
	struct first_pass p = {.prefix = a->ledger->state.tree_size};
	struct audit_checkpoint *A = &a->anchor, *B = &a->target;
	uint8_t mine[MERKLE_HASH_BYTES];
	char hex_a[65], hex_b[65], expected[32], found[32];
	struct store_txn *txn;
	uint64_t leaf = 0;
	bool root_ok, count_ok;

	if (pass_one(a, &p) != 0)
		return -1;
	count_ok = p.count == B->c.tree_size;
	root_ok = sodium_memcmp(p.root, B->c.root, MANNE_HASHBYTES) == 0;

	/* The export must hold every leaf this auditor replayed before, unchanged. */
	if (p.count < p.prefix) {
		snprintf(expected, sizeof(expected), _("%llu leaves"), (unsigned long long)p.prefix);
		snprintf(found, sizeof(found), _("%llu leaves"), (unsigned long long)p.count);
		audit_finding(a, "consistency", true, p.count, expected, found,
			      "%s holds fewer leaves than this auditor replayed before: history was cut%s", a->file,
			      a->have_anchor ? _("; both checkpoints are evidence") : "");
		if (a->have_anchor)
			audit_evidence(a, A, B);
		return -1;
	}
	if (p.prefix > 0) {
		if (ledger_root(a->ledger, p.prefix, mine) != 0)
			return audit_local_failure(a, "the replay store has no root for %llu leaves",
						   (unsigned long long)p.prefix);
		if (sodium_memcmp(mine, p.prefix_root, MANNE_HASHBYTES) != 0) {
			if (first_different_leaf(a, p.prefix, &leaf) != 0)
				return audit_local_failure(a, "%s cannot be compared with the replay store", a->file);
			audit_finding(a, "consistency", true, leaf, N_("the leaf verified before"), N_("another leaf"),
				      "%s rewrites the history this auditor verified: leaf %llu differs%s", a->file,
				      (unsigned long long)leaf,
				      a->have_anchor ? _("; the two checkpoints are evidence") : "");
			if (a->have_anchor) {
				B->verified = audit_note_verify(B, a->ledger->state.checkpoint_key) == 0;
				audit_evidence(a, A, B);
			}
			return -1;
		}
	}
	a->anchor_extended = true;

	if (pass_two(a, p.prefix, p.count < B->c.tree_size ? p.count : B->c.tree_size) != 0)
		return -1;
	/* The leaves replayed are the file's; the note must sign exactly them. */
	if (!count_ok) {
		snprintf(expected, sizeof(expected), _("%llu leaves"), (unsigned long long)B->c.tree_size);
		snprintf(found, sizeof(found), _("%llu leaves"), (unsigned long long)p.count);
		audit_finding(a, "format", true, p.count < B->c.tree_size ? p.count : B->c.tree_size, expected, found,
			      "%s holds another number of leaves than its checkpoint signs (a leaf dropped or added)",
			      a->file);
		return -1;
	}
	if (store_begin(a->ledger->store, false, &txn) != STORE_OK)
		return audit_local_failure(a, "the replay store cannot be read");
	a->target_ok = audit_check_at_size(a, B, &a->ledger->state, txn, false);
	store_abort(txn);
	if (!root_ok && a->target_ok) {
		/* Cannot happen: the replay store's root is the file's. Say so rather than pass. */
		audit_hex32(p.root, hex_a);
		audit_hex32(B->c.root, hex_b);
		audit_finding(a, "root", false, 0, hex_b, hex_a, "%s: its leaves do not hash to its checkpoint's root",
			      a->file);
		a->target_ok = false;
	}
	return 0;
}
