/*
 * audit_online.c: auditing the ledger over the network, through libmanne,
 * as an auditor account or a board member (the raw log is theirs only).
 *
 * Nothing the server says is believed until checked: its latest checkpoint
 * is parsed but believed only once the replay reaches its size and its
 * signature verifies under the key the log puts in force there; its
 * consistency with the anchor (the checkpoint this auditor verified last
 * time) is an RFC 9162 proof checked against both roots; its leaves are
 * replayed; its account figures are compared with the replay's. When a
 * tree disagrees, RFC 9162 consistency proofs from the replay store's own
 * prefixes to the server's checkpoint find the first leaf that differs, in
 * log2(size) requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "ledger/keys/keyfile.h"

#define PASSPHRASE_BYTES_MAX 1024U

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static bool network_status(enum manne_status s)
{
	return s == MANNE_ERR_CONNECT || s == MANNE_ERR_TIMEOUT || s == MANNE_ERR_PROTOCOL || s == MANNE_ERR_OVERLOADED;
}

/* `doing` is a msgid (N_() at the call); the library's detail stays as it comes. */
static int fail_call(struct audit *a, struct manne *m, enum manne_status s, const char *doing)
{
	if (s == MANNE_ERR_NOT_PERMITTED)
		return audit_key_failure(a, "%s: %s (the raw log and accounts are for an auditor account or the board: "
					    "--key)",
					 _(doing), manne_message(m));
	return audit_unreachable(a, "%s: %s", _(doing), manne_message(m));
}

static int connect_ledger(struct audit *a, struct manne **out)
{
	char passphrase[PASSPHRASE_BYTES_MAX];
	struct manne_key key;
	enum manne_status s;

	s = manne_open(a->host, a->port, a->timeout_ms, out);
	if (s != MANNE_OK)
		return audit_unreachable(a, "cannot reach the ledger at %s:%u: %s", a->host, a->port,
					 manne_message(*out));
	if (a->key_file == NULL)
		return 0;
	if (a->passphrase_file != NULL && keyfile_read_passphrase(a->passphrase_file, passphrase, sizeof(passphrase)) != 0) {
		sodium_memzero(passphrase, sizeof(passphrase));
		return audit_key_failure(a, "cannot read --passphrase-file %s", a->passphrase_file);
	}
	s = manne_key_file_read(a->key_file, a->passphrase_file != NULL ? passphrase : NULL, &key);
	sodium_memzero(passphrase, sizeof(passphrase));
	if (s != MANNE_OK)
		return audit_key_failure(a, "%s: %s", a->key_file, _(manne_status_message(s)));
	s = manne_authenticate(*out, &key);
	manne_key_wipe(&key);
	if (s != MANNE_OK)
		return network_status(s) ? fail_call(a, *out, s, N_("authenticating"))
					 : audit_key_failure(a, "the ledger refuses %s: %s", a->key_file, manne_message(*out));
	return 0;
}

static void to_manne(const struct audit_checkpoint *cp, struct manne_checkpoint *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->origin, sizeof(out->origin), "%s", cp->c.origin);
	out->tree_size = cp->c.tree_size;
	memcpy(out->root, cp->c.root, MANNE_HASHBYTES);
}

/* Whether the replay store's first `size` leaves are the first `size` of
 * b's tree: an RFC 9162 consistency proof from our own root at that size. */
static int prefix_good(struct audit *a, struct manne *m, uint64_t size, const struct audit_checkpoint *b, bool *good)
{
	struct manne_checkpoint *ours, *theirs;
	enum manne_status s;
	int rc = 0;

	if (size == 0) {
		*good = true;
		return 0;
	}
	ours = malloc(sizeof(*ours));
	theirs = malloc(sizeof(*theirs));
	if (ours == NULL || theirs == NULL) {
		free(ours);
		free(theirs);
		return audit_local_failure(a, "out of memory");
	}
	to_manne(b, theirs);
	to_manne(b, ours);
	ours->tree_size = size;
	if (ledger_root(a->ledger, size, ours->root) != 0) {
		rc = audit_local_failure(a, "the replay store has no root for %llu leaves", (unsigned long long)size);
	} else if (size == b->c.tree_size) {
		*good = sodium_memcmp(ours->root, b->c.root, MANNE_HASHBYTES) == 0;
	} else {
		s = manne_consistency_check(m, ours, theirs);
		if (s == MANNE_OK || s == MANNE_ERR_VERIFY)
			*good = s == MANNE_OK;
		else
			rc = fail_call(a, m, s, N_("fetching a consistency proof"));
	}
	free(ours);
	free(theirs);
	return rc;
}

/* The first leaf where the replay store and b's tree part, knowing that
 * their first `good` leaves agree and their first `bad` do not. */
static int first_divergence(struct audit *a, struct manne *m, uint64_t good, uint64_t bad,
			    const struct audit_checkpoint *b, uint64_t *leaf)
{
	while (bad - good > 1) {
		uint64_t mid = good + (bad - good) / 2;
		bool ok = false;
		if (prefix_good(a, m, mid, b, &ok) != 0)
			return -1;
		if (ok)
			good = mid;
		else
			bad = mid;
	}
	*leaf = bad - 1;
	return 0;
}

static int fetch_target(struct audit *a, struct manne *m)
{
	struct manne_checkpoint *mc = malloc(sizeof(*mc));
	char published[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	enum manne_status s;
	int rc = 0;

	if (mc == NULL)
		return audit_local_failure(a, "out of memory");
	/* Under the key the ledger publishes, which proves nothing: the replay
	 * decides which key must have signed it. */
	s = manne_checkpoint_fetch(m, NULL, mc, published);
	if (s == MANNE_ERR_VERIFY) {
		audit_finding(a, "signature", false, 0, N_("a checkpoint signed by the key the ledger publishes"),
			      N_("one that is not"), "the ledger's checkpoint does not verify even under its own published key");
		rc = -1;
	} else if (s != MANNE_OK) {
		rc = fail_call(a, m, s, N_("fetching the checkpoint"));
	} else if (audit_note_parse(mc->note, strlen(mc->note), &a->target) != 0) {
		audit_finding(a, "checkpoint", false, 0, N_("a tlog-checkpoint"), N_("something else"),
			      "the ledger's checkpoint cannot be read");
		rc = -1;
	} else {
		snprintf(a->target.source, sizeof(a->target.source), _("the ledger's checkpoint (%s:%u)"), a->host,
			 a->port);
		a->have_target = true;
	}
	free(mc);
	return rc;
}

/* The latest key this auditor knows: the one in force at the replay store's size. */
static bool verify_latest(struct audit *a, struct audit_checkpoint *cp)
{
	const struct ledger_state *s = &a->ledger->state;
	uint8_t key[KEY_BYTES];

	if (cp->c.tree_size <= s->tree_size && audit_key_at(a, cp->c.tree_size, key) == 0)
		cp->verified = audit_note_verify(cp, key) == 0;
	else
		cp->verified = !a->ledger->empty && audit_note_verify(cp, s->checkpoint_key) == 0;
	return cp->verified;
}

/* The new checkpoint against the anchor, before anything is replayed:
 * 0 when it extends it, -1 when a finding (or a failure) stops the run. */
static int check_extends_anchor(struct audit *a, struct manne *m)
{
	struct audit_checkpoint *A = &a->anchor, *B = &a->target;
	struct manne_checkpoint *older, *newer;
	enum manne_status s = MANNE_OK;
	uint64_t leaf = 0;
	bool extends;

	if (!a->have_anchor) {
		a->anchor_extended = true;  /* a first run: nothing to extend yet */
		return 0;
	}
	if (B->c.tree_size < A->c.tree_size) {
		verify_latest(a, B);
		audit_finding(a, "consistency", false, 0, N_("a log that keeps what it signed"),
			      N_("a checkpoint of fewer leaves"),
			      "the ledger now shows %llu leaves, but this auditor verified a checkpoint of %llu: "
			      "history was cut; both are evidence%s",
			      (unsigned long long)B->c.tree_size, (unsigned long long)A->c.tree_size,
			      B->verified ? "" : _(" (the newer one is not signed by a key this auditor knows)"));
		audit_evidence(a, A, B);
		return -1;
	}
	if (B->c.tree_size == A->c.tree_size) {
		extends = sodium_memcmp(A->c.root, B->c.root, MANNE_HASHBYTES) == 0;
	} else {
		older = malloc(sizeof(*older));
		newer = malloc(sizeof(*newer));
		if (older == NULL || newer == NULL) {
			free(older);
			free(newer);
			return audit_local_failure(a, "out of memory");
		}
		to_manne(A, older);
		to_manne(B, newer);
		s = manne_consistency_check(m, older, newer);
		free(older);
		free(newer);
		if (s != MANNE_OK && s != MANNE_ERR_VERIFY)
			return fail_call(a, m, s, N_("fetching the consistency proof from the last checkpoint verified"));
		extends = s == MANNE_OK;
	}
	if (extends) {
		a->anchor_extended = true;
		return 0;
	}
	/* A fork: two checkpoints of one ledger that cannot both be true. Where
	 * the histories part, the replay store (which holds A's leaves) tells. */
	verify_latest(a, B);
	if (A->c.tree_size <= a->ledger->state.tree_size &&
	    first_divergence(a, m, 0, A->c.tree_size, B, &leaf) != 0)
		return -1;
	audit_finding(a, "consistency", A->c.tree_size <= a->ledger->state.tree_size, leaf,
		      N_("a checkpoint that extends the one verified before"), N_("one that rewrites history"),
		      "the ledger's checkpoint of %llu leaves does not extend the checkpoint of %llu leaves this auditor "
		      "verified: history was rewritten from leaf %llu; both are evidence%s",
		      (unsigned long long)B->c.tree_size, (unsigned long long)A->c.tree_size, (unsigned long long)leaf,
		      B->verified ? "" : _(" (the newer one is not signed by a key this auditor knows)"));
	audit_evidence(a, A, B);
	return -1;
}

struct feed {
	struct replay *r;
	uint64_t fed;
};

static int feed_leaf(void *ctx, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct feed *f = ctx;
	(void)index;  /* the replay checks each leaf's own index against its place */
	f->fed++;
	return replay_leaf(f->r, leaf, len);
}

static int replay_to_target(struct audit *a, struct manne *m)
{
	uint64_t from = a->ledger->state.tree_size, to = a->target.c.tree_size, start = now_ms();
	struct feed f = {0};
	enum manne_status s;
	int rc;

	if (from > to) {
		audit_finding(a, "consistency", false, 0, N_("a checkpoint of at least the leaves already served"),
			      N_("a checkpoint of fewer"),
			      "the ledger's checkpoint covers %llu leaves, but it served %llu to this auditor before",
			      (unsigned long long)to, (unsigned long long)from);
		return -1;
	}
	if (a->replay_to == 0)
		a->replay_from = from;
	if (replay_open(a, &f.r) != 0)
		return -1;
	s = manne_log_read(m, from, to, feed_leaf, &f);
	rc = replay_finish(f.r);
	replay_close(f.r);
	a->replay_to = a->ledger->state.tree_size;
	a->replay_ms += now_ms() - start;
	if (s == MANNE_ERR_ARGUMENT && rc != 0)
		return -1;  /* the replay stopped at a finding or a fault, recorded */
	if (s != MANNE_OK)
		return fail_call(a, m, s, N_("reading the log"));
	return rc;
}

/* Checks the target at its size, and names the first leaf the ledger's tree
 * does not share with the replay when the roots differ. */
static void check_target(struct audit *a, struct manne *m)
{
	struct store_txn *txn;
	size_t before = a->finding_count;
	uint64_t leaf;

	if (store_begin(a->ledger->store, false, &txn) != STORE_OK) {
		audit_local_failure(a, "the replay store cannot be read");
		return;
	}
	a->target_ok = audit_check_at_size(a, &a->target, &a->ledger->state, txn, false);
	store_abort(txn);
	for (size_t i = before; i < a->finding_count; i++) {
		struct audit_finding *f = &a->findings[i];
		if (strcmp(f->check, "root") != 0)
			continue;
		uint64_t good = a->have_anchor && a->anchor_extended ? a->anchor.c.tree_size : 0;
		if (first_divergence(a, m, good, a->target.c.tree_size, &a->target, &leaf) != 0)
			return;
		f->has_leaf = true;
		f->leaf_index = leaf;
		size_t n = strlen(f->what);
		snprintf(f->what + n, sizeof(f->what) - n,
			 _(": leaf %llu served is not the leaf the checkpoint's tree holds"), (unsigned long long)leaf);
	}
}

/* ---- Balances ---- */

static const char *role_name(unsigned role)
{
	static const char *const names[] = {"none", "member", "shop", "producer", "auditor", "association", "counter"};
	return role < sizeof(names) / sizeof(names[0]) ? names[role] : "unknown";
}

static const char *state_name(unsigned state)
{
	static const char *const names[] = {"none", "active", "frozen", "closed"};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

struct compare {
	struct audit *a;
	struct manne *m;
	struct store_txn *txn;
	uint64_t differ;
	bool stop;
};

/* The last leaf that concerns an account: where the replay last changed it. */
static bool last_leaf_of(const struct account *account, uint64_t *leaf)
{
	if (account->history_last == 0)
		return false;
	*leaf = account->history_last - 1;
	return true;
}

/* Appends "name value" to a list of differences. */
static void diff(char *out, size_t size, const char *name, const char *value)
{
	size_t n = strlen(out);
	if (n < size)
		snprintf(out + n, size - n, "%s%s %s", n > 0 ? ", " : "", name, value);
}

static void diff_u64(char *mine, char *theirs, size_t size, const char *name, uint64_t a, uint64_t b, bool amount)
{
	char x[32], y[32];

	if (a == b)
		return;
	if (amount) {
		audit_amount(a, x, sizeof(x));
		audit_amount(b, y, sizeof(y));
	} else {
		snprintf(x, sizeof(x), "%llu", (unsigned long long)a);
		snprintf(y, sizeof(y), "%llu", (unsigned long long)b);
	}
	diff(mine, size, name, x);
	diff(theirs, size, name, y);
}

static int compare_account(void *ctx, const uint8_t key[KEY_BYTES], const struct account *mine)
{
	struct compare *c = ctx;
	struct manne_account theirs;
	char expected[256] = "", found[256] = "", hex[65], succ_a[65], succ_b[65];
	enum manne_status s = manne_account(c->m, key, &theirs);
	uint64_t leaf = 0;
	bool has_leaf;

	audit_hex32(key, hex);
	if (s == MANNE_ERR_UNKNOWN_ACCOUNT) {
		has_leaf = last_leaf_of(mine, &leaf);
		audit_finding(c->a, "account", has_leaf, leaf, N_("an account"), N_("unknown to the ledger"),
			      "account %s: the log opened it, the ledger does not know it", hex);
		c->differ++;
		return 0;
	}
	if (s != MANNE_OK) {
		fail_call(c->a, c->m, s, N_("reading an account"));
		c->stop = true;
		return 1;
	}
	c->a->accounts_compared++;
	if (theirs.role != mine->role) {
		diff(expected, sizeof(expected), "role", role_name(mine->role));
		diff(found, sizeof(found), "role", role_name((unsigned)theirs.role));
	}
	if ((unsigned)theirs.state != mine->state) {
		diff(expected, sizeof(expected), "state", state_name(mine->state));
		diff(found, sizeof(found), "state", state_name((unsigned)theirs.state));
	}
	diff_u64(expected, found, sizeof(expected), "balance", mine->balance, theirs.balance, true);
	diff_u64(expected, found, sizeof(expected), "pending", mine->pending, theirs.pending_redemptions, true);
	diff_u64(expected, found, sizeof(expected), "max_payment", mine->max_payment, theirs.max_payment, true);
	diff_u64(expected, found, sizeof(expected), "max_daily", mine->max_daily, theirs.max_daily, true);
	diff_u64(expected, found, sizeof(expected), "next_sequence", mine->next_sequence, theirs.next_sequence, false);
	if ((mine->card_held != 0) != theirs.card_held) {
		diff(expected, sizeof(expected), "card_held", mine->card_held ? "yes" : "no");
		diff(found, sizeof(found), "card_held", theirs.card_held ? "yes" : "no");
	}
	if ((mine->has_successor != 0) != theirs.has_successor ||
	    (theirs.has_successor && memcmp(mine->successor, theirs.successor, KEY_BYTES) != 0)) {
		audit_hex32(mine->successor, succ_a);
		audit_hex32(theirs.successor, succ_b);
		diff(expected, sizeof(expected), "successor", mine->has_successor ? succ_a : "none");
		diff(found, sizeof(found), "successor", theirs.has_successor ? succ_b : "none");
	}
	if (expected[0] != '\0' || found[0] != '\0') {
		has_leaf = last_leaf_of(mine, &leaf);
		audit_finding(c->a, "account", has_leaf, leaf, expected, found,
			      "account %s: the ledger's figures are not those of its own log (last changed by leaf "
			      "%llu)",
			      hex, (unsigned long long)leaf);
		c->differ++;
	}
	return 0;
}

/* Compares every account the log knows with what the server says; the
 * number that differ goes to *differ. */
static int compare_accounts(struct audit *a, struct manne *m, uint64_t *differ)
{
	struct compare c = {.a = a, .m = m};
	int rc;

	if (store_begin(a->ledger->store, false, &c.txn) != STORE_OK)
		return audit_local_failure(a, "the replay store cannot be read");
	rc = store_account_each(c.txn, compare_account, &c);
	store_abort(c.txn);
	*differ = c.differ;
	if (c.stop)
		return -1;
	return rc == STORE_OK ? 0 : audit_local_failure(a, "the replay store's accounts cannot be read");
}

int audit_online(struct audit *a)
{
	struct manne *m = NULL;
	struct manne_ledger_status status;
	uint64_t differ = 0;
	int rc = -1;

	if (connect_ledger(a, &m) != 0)
		goto out;
	if (strcmp(manne_origin(m), a->origin) != 0) {
		audit_finding(a, "trust", false, 0, a->origin, manne_origin(m),
			      "the ledger at %s:%u is not the ledger of the pinned key", a->host, a->port);
		goto out;
	}
	for (unsigned attempt = 0;; attempt++) {
		size_t findings_before = a->finding_count;

		if (fetch_target(a, m) != 0 || check_extends_anchor(a, m) != 0 || replay_to_target(a, m) != 0)
			goto out;
		check_target(a, m);
		if (a->finding_count > findings_before || a->local_failure || a->unreachable || a->skip_accounts)
			break;
		if (compare_accounts(a, m, &differ) != 0)
			goto out;
		if (differ == 0)
			break;
		/* A difference may only mean the ledger moved on since its
		 * checkpoint: then catch up with a newer one and compare again. */
		enum manne_status s = manne_status_get(m, &status);
		if (s != MANNE_OK) {
			fail_call(a, m, s, N_("reading the ledger's status"));
			goto out;
		}
		if (status.tree_size == a->target.c.tree_size)
			break;  /* it did not move: the differences stand */
		if (attempt + 1 >= AUDIT_CATCH_UP_MAX) {
			/* Still moving: nothing proved either way about these balances. */
			a->finding_count = findings_before;
			a->accounts_moving = true;
			snprintf(a->failure, sizeof(a->failure), "%s",
				 _("the ledger kept moving while balances were compared: run again when it is quiet"));
			break;
		}
		for (size_t i = findings_before; i < a->finding_count; i++) {
			free(a->findings[i].evidence[0]);
			free(a->findings[i].evidence[1]);
		}
		a->finding_count = findings_before;
		a->accounts_compared = 0;
		/* The checkpoint just checked is the anchor the next one must extend. */
		a->anchor = a->target;
		a->have_anchor = true;
	}
	rc = 0;
out:
	manne_close(m);
	return rc;
}
