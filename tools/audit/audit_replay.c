/*
 * audit_replay.c: the replay of SPEC §7 with the daemon's own code, split as
 * the daemon splits it (docs/daemon.md): verifier threads decode each leaf
 * strictly and check its signatures (ledger_replay_decode: pure work, in
 * parallel), and this thread applies the leaves in log order
 * (ledger_batch_replay_decoded) into the replay store, committing every
 * AUDIT_COMMIT_LEAVES leaves with a sync. When the next leaf to apply is not
 * verified yet, this thread verifies rather than sleeps: signature checks are
 * nine tenths of the replay's work, and a sleeping thread is a core lost.
 *
 * Leaves wait in a ring of AUDIT_RING_SLOTS slots, each holding its leaf and
 * its decoding arena in one allocation, freed as soon as the leaf is
 * applied; the bytes in flight are bounded by AUDIT_INFLIGHT_BYTES_MAX, so a
 * log of any length replays in bounded memory.
 *
 * The first leaf that does not apply as the log says is a finding: the
 * replay stops there, and what was applied before it is committed, so the
 * next run starts again at that leaf and finds it again.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "ledger/log/bytes.h"

struct slot {
	uint8_t *buffer;            /* the leaf, then its decoding arena */
	size_t len, bytes;
	struct arena arena;
	struct tx tx;
	enum manne_status status;
	bool verified;
};

struct replay {
	struct audit *a;
	struct batch batch;
	bool batch_open;
	uint32_t uncommitted;
	/* The verifiers' identity of the ledger, fixed once the genesis is applied. */
	struct tx_identity identity;
	char origin[ORIGIN_BYTES_MAX + 1];
	uint8_t genesis_id[TXID_BYTES];
	bool identity_set;
	/* The ring: slots [head, tail) are in flight; [claim, tail) wait for a verifier. */
	struct slot slots[AUDIT_RING_SLOTS];
	uint64_t head, tail, claim;
	size_t inflight_bytes;
	pthread_mutex_t lock;
	pthread_cond_t work;        /* verifiers wait here */
	pthread_cond_t verified;    /* this thread waits here for the head */
	pthread_t threads[VERIFIER_THREADS_MAX];
	unsigned thread_count;
	bool stopping;
	bool stopped;               /* a finding or a fault: nothing more is applied */
};

/* Claims the oldest slot no one verifies yet and verifies it. Called and
 * returns with the lock held; claim < tail. */
static void verify_next(struct replay *r)
{
	uint64_t seq = r->claim++;
	struct slot *s = &r->slots[seq % AUDIT_RING_SLOTS];

	pthread_mutex_unlock(&r->lock);
	s->status = ledger_replay_decode(&r->identity, s->buffer, s->len, &s->arena, &s->tx);
	pthread_mutex_lock(&r->lock);
	s->verified = true;
	if (seq == r->head)
		pthread_cond_signal(&r->verified);
}

static void *verifier_main(void *arg)
{
	struct replay *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (r->claim == r->tail && !r->stopping)
			pthread_cond_wait(&r->work, &r->lock);
		if (r->stopping)
			break;
		verify_next(r);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* The origin and genesis id every later leaf must name: copies, since the
 * batch's state changes under the verifiers. */
static void identity_set(struct replay *r)
{
	const struct ledger_state *s = &r->batch.state;

	memcpy(r->origin, s->origin, s->origin_len);
	r->origin[s->origin_len] = '\0';
	memcpy(r->genesis_id, s->genesis_id, TXID_BYTES);
	r->identity = (struct tx_identity){.origin = r->origin, .origin_len = s->origin_len,
					   .genesis_id = r->genesis_id};
	r->identity_set = true;
}

static int batch_begin(struct replay *r)
{
	if (ledger_batch_begin(r->a->ledger, &r->batch) != 0)
		return audit_local_failure(r->a, "the replay store cannot begin a write (disk full? --map-size)");
	r->batch_open = true;
	r->uncommitted = 0;
	return 0;
}

/* Commits what was applied; with `again`, opens the next batch. */
static int commit(struct replay *r, bool again)
{
	bool failed = r->batch.failed != MANNE_OK;
	int rc;

	if (!r->batch_open)
		return 0;
	if (!failed && audit_tables_flush(r->a->tables, r->batch.txn) != 0) {
		audit_tables_drop(r->a->tables);
		ledger_batch_abort(&r->batch);
		r->batch_open = false;
		return audit_local_failure(r->a, "the report's tables cannot be written to the replay store");
	}
	audit_tables_drop(r->a->tables);
	rc = ledger_batch_commit(&r->batch);
	r->batch_open = false;
	/* A batch failed by a leaf (its finding is recorded) is simply not kept. */
	if (rc != STORE_OK && !failed)
		return audit_local_failure(r->a, "the replay store cannot commit (%s)",
					   rc == STORE_FULL ? _("full: raise --map-size") : _("write error"));
	return again && !failed ? batch_begin(r) : 0;
}

static const char *kind_of(const struct slot *s)
{
	return s->tx.body != NULL ? tx_kind_name(s->tx.kind) : "transaction";
}

/* Names what is wrong with leaf `index` (its position in the log). */
static void leaf_finding(struct replay *r, uint64_t index, const struct slot *s, enum manne_status status)
{
	struct audit *a = r->a;
	const struct ledger_state *st = &r->batch.state;
	char expected[64], found[64];

	if (s->len < LEAF_HEADER_BYTES || s->len > LEAF_BYTES_MAX) {
		snprintf(found, sizeof(found), _("%zu bytes"), s->len);
		audit_finding(a, "leaf", true, index, N_("16 .. 65,535 bytes"), found,
			      "leaf %llu is not a leaf of this size", (unsigned long long)index);
	} else if (load_be64(s->buffer) != index) {
		/* A leaf dropped or inserted before it, or the log served out of order. */
		snprintf(expected, sizeof(expected), _("index %llu"), (unsigned long long)index);
		snprintf(found, sizeof(found), _("index %llu"), (unsigned long long)load_be64(s->buffer));
		audit_finding(a, "leaf", true, index, expected, found,
			      "leaf %llu carries another index: a leaf is missing or out of place", (unsigned long long)index);
	} else if (load_be64(s->buffer + 8) < st->last_time_ms || load_be64(s->buffer + 8) > INT64_MAX) {
		snprintf(expected, sizeof(expected), _("time >= %llu"), (unsigned long long)st->last_time_ms);
		snprintf(found, sizeof(found), _("time %llu"), (unsigned long long)load_be64(s->buffer + 8));
		audit_finding(a, "leaf", true, index, expected, found, "leaf %llu goes back in time",
			      (unsigned long long)index);
	} else if (status == MANNE_ERR_BAD_SIGNATURE || status == MANNE_ERR_NOT_ENOUGH_SIGNATURES) {
		audit_finding(a, "signature", true, index, N_("every signature verifies"), manne_status_name(status),
			      "leaf %llu (%s): %s", (unsigned long long)index, kind_of(s), _(manne_status_message(status)));
	} else if (status == MANNE_ERR_ALREADY_SETTLED && s->tx.body != NULL && r->batch_open &&
		   store_txid_get(r->batch.txn, s->tx.txid, &(uint64_t){0}) == STORE_OK) {
		audit_finding(a, "replay", true, index, N_("a transaction not applied before"),
			      N_("a repeated transaction"), "leaf %llu (%s) repeats a transaction already in the log",
			      (unsigned long long)index, kind_of(s));
	} else {
		audit_finding(a, "replay", true, index, N_("applies, as the log says"), manne_status_name(status),
			      "leaf %llu (%s): the state machine refuses it: %s", (unsigned long long)index, kind_of(s),
			      _(manne_status_message(status)));
	}
}

static void slot_release(struct replay *r, struct slot *s)
{
	free(s->buffer);
	r->inflight_bytes -= s->bytes;
	s->buffer = NULL;
	s->bytes = 0;
	s->verified = false;
}

/* Applies one decoded leaf; on success adds it to the report's tables. */
static int apply_slot(struct replay *r, struct slot *s)
{
	uint64_t index = r->batch.state.tree_size;
	struct totals before = r->batch.state.totals;
	enum manne_status status = s->status;

	if (status == MANNE_OK)
		status = ledger_batch_replay_decoded(&r->batch, s->buffer, s->len, &s->tx);
	if (status != MANNE_OK) {
		leaf_finding(r, index, s, status);
		r->stopped = true;
		return -1;
	}
	if (audit_tables_leaf(r->a->tables, &r->batch, &before, &s->tx, load_be64(s->buffer + 8)) != 0) {
		r->stopped = true;
		return audit_local_failure(r->a, "leaf %llu: the report's tables cannot be written (or a sum overflows)",
					   (unsigned long long)index);
	}
	audit_collected_at_size(r->a, &r->batch.state, r->batch.txn);
	if (++r->uncommitted >= AUDIT_COMMIT_LEAVES && commit(r, true) != 0) {
		r->stopped = true;
		return -1;
	}
	return 0;
}

/* Waits for the head's verifier, applies it, frees its slot. */
static int apply_head(struct replay *r)
{
	struct slot *s = &r->slots[r->head % AUDIT_RING_SLOTS];
	int rc;

	pthread_mutex_lock(&r->lock);
	while (!s->verified) {
		/* Rather than wait, verify here: one thread per core in all, not one too many. */
		if (r->claim < r->tail)
			verify_next(r);
		else
			pthread_cond_wait(&r->verified, &r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	rc = r->stopped ? -1 : apply_slot(r, s);
	slot_release(r, s);
	pthread_mutex_lock(&r->lock);
	r->head++;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int replay_open(struct audit *a, struct replay **out)
{
	struct replay *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL)
		return audit_local_failure(a, "out of memory");
	r->a = a;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->verified, NULL);
	if (batch_begin(r) != 0) {
		replay_close(r);
		return -1;
	}
	if (!a->ledger->empty)
		identity_set(r);
	for (unsigned i = 0; i < a->threads && i < VERIFIER_THREADS_MAX; i++) {
		if (pthread_create(&r->threads[i], NULL, verifier_main, r) != 0)
			break;
		r->thread_count++;
	}
	*out = r;
	return 0;
}

int replay_leaf(struct replay *r, const uint8_t *leaf, size_t len)
{
	struct slot *s;
	size_t bytes;

	if (r->stopped)
		return -1;
	if (len < LEAF_HEADER_BYTES || len > LEAF_BYTES_MAX) {
		/* Named at its place in the log, after every leaf before it. */
		while (r->head < r->tail)
			if (apply_head(r) != 0)
				return -1;
		struct slot bad = {.len = len};
		leaf_finding(r, r->batch.state.tree_size, &bad, MANNE_ERR_MALFORMED);
		r->stopped = true;
		return -1;
	}
	bytes = len + tx_arena_bytes(len);
	while (r->tail - r->head == AUDIT_RING_SLOTS ||
	       (r->tail > r->head && r->inflight_bytes + bytes > AUDIT_INFLIGHT_BYTES_MAX))
		if (apply_head(r) != 0)
			return -1;
	s = &r->slots[r->tail % AUDIT_RING_SLOTS];
	s->buffer = malloc(bytes);
	if (s->buffer == NULL) {
		r->stopped = true;
		return audit_local_failure(r->a, "out of memory");
	}
	s->bytes = bytes;
	s->len = len;
	r->inflight_bytes += bytes;
	memcpy(s->buffer, leaf, len);
	arena_init(&s->arena, s->buffer + len, bytes - len);
	memset(&s->tx, 0, sizeof(s->tx));

	/* The genesis decides what every later leaf must name: it is decoded
	 * here (for an empty ledger) and applied before anything else. */
	if (!r->identity_set) {
		struct tx_identity empty = ledger_identity(&r->batch.state, true);
		int rc;
		s->status = ledger_replay_decode(&empty, s->buffer, len, &s->arena, &s->tx);
		rc = apply_slot(r, s);
		slot_release(r, s);
		if (rc == 0)
			identity_set(r);
		return rc;
	}
	if (r->thread_count == 0) {
		s->status = ledger_replay_decode(&r->identity, s->buffer, len, &s->arena, &s->tx);
		s->verified = true;
	}
	pthread_mutex_lock(&r->lock);
	r->tail++;
	pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int replay_finish(struct replay *r)
{
	int rc = 0;

	while (rc == 0 && r->head < r->tail)
		rc = apply_head(r);
	/* What applied before a finding is committed: a valid prefix of the log. */
	if (commit(r, false) != 0)
		rc = -1;
	return rc != 0 || r->stopped ? -1 : 0;
}

void replay_close(struct replay *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->lock);
	for (unsigned i = 0; i < r->thread_count; i++)
		pthread_join(r->threads[i], NULL);
	for (uint64_t seq = r->head; seq < r->tail; seq++)
		slot_release(r, &r->slots[seq % AUDIT_RING_SLOTS]);
	if (r->batch_open) {
		audit_tables_drop(r->a->tables);
		ledger_batch_abort(&r->batch);
	}
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->verified);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
