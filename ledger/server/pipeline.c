/*
 * pipeline.c: verifier threads and the single writer (SPEC §8 group commit).
 *
 * Submissions join one queue in arrival order. Verifier threads take them in
 * turn, decode them and check their signatures (pure work, in parallel). The
 * writer takes the longest verified run from the head of the queue, at most
 * BATCH_TRANSACTIONS_MAX, applies it in arrival order inside one LMDB write
 * transaction, commits with fsync, signs a checkpoint, then hands the run
 * back to the loop thread, which replies. So a batch is whatever arrived
 * while the previous commit synced: no timer, no artificial delay. If the
 * commit fails, no receipt of the batch says success.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "server.h"

struct submission {
	struct submission *next;
	struct slot *slot;
	struct card_job *card;      /* a card unlock (card_unlock.c) rather than a transaction */
	uint8_t *bytes;
	size_t len;
	bool want_proof;
	bool authenticated;
	uint8_t auth_key[32];
	bool verified;
	uint8_t *arena_buffer;
	struct arena arena;
	struct tx tx;
	enum manne_status status;
	struct receipt receipt;
};

struct pipeline {
	struct server *server;
	pthread_mutex_t lock;
	pthread_cond_t work;        /* verifiers wait here */
	pthread_cond_t verified;    /* the writer waits here */
	struct submission *head, *tail;
	struct submission *unclaimed;
	size_t queued, queued_bytes;
	bool stopping;
	unsigned verifier_count;
	pthread_t verifiers[VERIFIER_THREADS_MAX];
	pthread_t writer;
	/* Handed back to the loop thread. */
	struct submission *done_head, *done_tail;
	struct ledger_state done_state;
	char done_checkpoint[CHECKPOINT_NOTE_BYTES];
	size_t done_checkpoint_len;
	uint64_t done_batches;
	uint64_t done_batch_sizes[BATCH_HISTOGRAM_BUCKETS];
	uint64_t done_commit_buckets[COMMIT_BUCKETS];
	uint64_t done_commit_us;
	uint64_t last_commit_us;    /* the writer's own: the commit just made */
	struct event *done_event;
	/* The verifiers' own copy: the writer rewrites the ledger's state. */
	struct tx_identity identity;
	/* The board as of the last commit, under lock: verifier threads check a
	 * board act's signatures against a copy (apply.c checks the board in
	 * force again), so that the writer verifies nothing for them. */
	uint8_t board[BOARD_KEYS_MAX][KEY_BYTES];
	uint32_t board_count;
	char origin[ORIGIN_BYTES_MAX + 1];
	uint8_t genesis_id[TXID_BYTES];
	char *leaf_scratch;     /* the checkpoint being signed */
	char *unsaved;          /* the last checkpoint signed, when the file lacks it */
	size_t unsaved_len;     /* 0: the file is up to date */
	uint64_t saved_ms;      /* when the file was last written (monotonic clock) */
	bool key_retired;       /* the key held is no longer the ledger's checkpoint key */
};

static void submission_free(struct submission *sub)
{
	if (sub->card != NULL)
		sodium_memzero(sub->card, card_job_size());
	free(sub->card);
	free(sub->bytes);
	free(sub->arena_buffer);
	free(sub);
}

/* Decoding and signature checks: pure work, done without the lock. */
static void verify_one(struct pipeline *p, struct submission *sub, const struct tx_board *board)
{
	if (sub->card != NULL)
		return; /* nothing to decode: the writer opens it */
	sub->status = tx_decode(sub->bytes, sub->len, &p->identity, &sub->arena, &sub->tx);
	if (sub->status == MANNE_OK)
		sub->status = tx_verify_signatures(&sub->tx, board);
}

/* Takes the next unclaimed submission and checks it; called and returns
 * with the lock held, which it drops while working. */
static void claim_and_verify(struct pipeline *p)
{
	struct submission *sub = p->unclaimed;
	uint8_t board[BOARD_KEYS_MAX][KEY_BYTES];
	struct tx_board snapshot = {board, p->board_count};

	p->unclaimed = sub->next;
	memcpy(board, p->board, (size_t)p->board_count * KEY_BYTES);
	pthread_mutex_unlock(&p->lock);
	verify_one(p, sub, &snapshot);
	pthread_mutex_lock(&p->lock);
	sub->verified = true;
	if (sub == p->head)
		pthread_cond_signal(&p->verified);
}

static void *verifier_main(void *arg)
{
	struct pipeline *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->unclaimed == NULL && !p->stopping)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->unclaimed == NULL)
			break;
		claim_and_verify(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* SPEC §10: a card-held key pays only on a connection authenticated as the
 * payee (the till being paid), or, for a payment to the association, as the
 * counter the payment names (SPEC §3; apply checks that it is an active
 * counter). A rule of admission, not of the log. */
static enum manne_status admission(struct batch *batch, const struct submission *sub)
{
	struct account payer;
	uint64_t index;
	if (sub->tx.kind != MANNE__TX_BODY__KIND_PAY)
		return MANNE_OK;
	if (store_account_get(batch->txn, sub->tx.signer, &payer) != STORE_OK || !payer.card_held)
		return MANNE_OK;
	const Manne__Pay *pay = sub->tx.body->pay;
	if (sub->authenticated && (memcmp(sub->auth_key, pay->payee.data, 32) == 0 ||
				   (pay->counter.len == 32 && memcmp(sub->auth_key, pay->counter.data, 32) == 0)))
		return MANNE_OK;
	/* A payment already applied is answered with its original receipt
	 * wherever it is sent again (SPEC §5 duplicates). */
	if (sub->tx.body->sequence < payer.next_sequence && store_txid_get(batch->txn, sub->tx.txid, &index) == STORE_OK)
		return MANNE_OK;
	return MANNE_ERR_NOT_PERMITTED;
}

#define CHECKPOINT_LATER SIZE_MAX

/* Signs a checkpoint of the committed tree into p->leaf_scratch and
 * publishes it to the loop thread; returns its length, or 0. */
static size_t sign_checkpoint(struct pipeline *p)
{
	struct server *s = p->server;
	size_t len;

	if (checkpoint_sign(s, &s->ledger->state, p->leaf_scratch, CHECKPOINT_NOTE_BYTES, &len) != 0) {
		log_line("error", "checkpoint_failed", "tree_size=%llu", (unsigned long long)s->ledger->state.tree_size);
		return 0;
	}
	pthread_mutex_lock(&p->lock);
	memcpy(p->done_checkpoint, p->leaf_scratch, len + 1);
	p->done_checkpoint_len = len;
	pthread_mutex_unlock(&p->lock);
	return len;
}

/* Applies and commits a run; returns the length of the checkpoint it signed
 * into p->leaf_scratch (to be saved to the file), CHECKPOINT_LATER when one
 * is to be signed once the replies are out, or 0. */
static uint64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000U + (uint64_t)ts.tv_nsec / 1000U;
}

const uint64_t commit_bucket_us[COMMIT_BUCKETS - 1] = {250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000,
							 250000, 1000000};

/* Whether the store has come into the board's reserve (server_limits.h). */
static bool board_reserve_reached(struct server *s)
{
	uint64_t used, map, reserve;
	if (store_usage(s->ledger->store, &used, &map) != STORE_OK)
		return false;
	reserve = map / STORAGE_BOARD_RESERVE_SHARE;
	if (reserve < STORAGE_BOARD_RESERVE_MIN)
		reserve = STORAGE_BOARD_RESERVE_MIN;
	if (reserve > STORAGE_BOARD_RESERVE_MAX)
		reserve = STORAGE_BOARD_RESERVE_MAX;
	return used + reserve >= map;
}

/* In the board's reserve, a transaction an account signs is refused, unless
 * it was applied before (its original receipt writes nothing). */
static enum manne_status reserve_admission(struct batch *batch, const struct submission *sub)
{
	struct account signer;
	uint64_t index;
	if (sub->tx.signer == NULL)
		return MANNE_OK;
	if (store_account_get(batch->txn, sub->tx.signer, &signer) == STORE_OK &&
	    sub->tx.body->sequence < signer.next_sequence && store_txid_get(batch->txn, sub->tx.txid, &index) == STORE_OK)
		return MANNE_OK;
	return MANNE_ERR_STORAGE_FULL;
}

static size_t apply_run(struct pipeline *p, struct submission *run)
{
	struct server *s = p->server;
	struct batch batch;
	uint64_t now = clock_now_ms();
	uint32_t applied = 0;
	bool reserve = board_reserve_reached(s);
	int rc;

	if (ledger_batch_begin(s->ledger, &batch) != 0) {
		for (struct submission *sub = run; sub != NULL; sub = sub->next)
			if (sub->status == MANNE_OK)
				sub->status = MANNE_ERR_INTERNAL;
		return 0;
	}
	for (struct submission *sub = run; sub != NULL; sub = sub->next) {
		if (sub->card != NULL) {
			bool wrote;
			sub->status = card_unlock_apply(s, batch.txn, sub->card, now, &wrote);
			batch.other_writes |= wrote;
			continue;
		}
		if (sub->status == MANNE_OK && reserve)
			sub->status = reserve_admission(&batch, sub);
		if (sub->status == MANNE_OK)
			sub->status = admission(&batch, sub);
		if (sub->status != MANNE_OK) {
			memcpy(sub->receipt.txid, sub->tx.txid, TXID_BYTES);
			continue;
		}
		sub->status = ledger_batch_apply(&batch, &sub->tx, now, &sub->receipt);
		applied += sub->status == MANNE_OK && !sub->receipt.duplicate;
	}
	uint64_t commit_start = monotonic_us();
	rc = ledger_batch_commit(&batch);
	p->last_commit_us = monotonic_us() - commit_start;
	if (rc != STORE_OK) {
		enum manne_status failed = rc == STORE_FULL ? MANNE_ERR_STORAGE_FULL : MANNE_ERR_INTERNAL;
		log_line("error", "commit_failed", "result=%s transactions=%u",
			 rc == STORE_FULL ? "storage_full" : "error", applied);
		/* A card's wrong PIN that was not kept is not answered as counted. */
		for (struct submission *sub = run; sub != NULL; sub = sub->next)
			if (sub->status == MANNE_OK || sub->card != NULL)
				sub->status = failed;
		return 0;
	}
	if (applied > 0 && sodium_memcmp(s->ledger->state.checkpoint_key, s->checkpoint_secret + 32, 32) != 0) {
		/* set_checkpoint_key: the log says the new key signs from now on and
		 * this daemon holds only the old one, which must not sign again. The
		 * last checkpoint stays the published one until a restart with the
		 * new key (--checkpoint-key). */
		if (!p->key_retired) {
			log_line("error", "checkpoint_key_retired",
				 "tree_size=%llu why=\"the checkpoint key changed: no checkpoint is signed until a "
				 "restart with the new key (--checkpoint-key)\"",
				 (unsigned long long)s->ledger->state.tree_size);
			p->key_retired = true;
		}
	} else if (applied > 0) {
		/* A receipt that carries a proof needs the checkpoint now; plain
		 * receipts go first and the checkpoint follows (writer_main). */
		bool proof_wanted = false;
		for (struct submission *sub = run; sub != NULL; sub = sub->next)
			proof_wanted |= sub->want_proof && sub->status == MANNE_OK;
		if (!proof_wanted)
			return CHECKPOINT_LATER;
		return sign_checkpoint(p);
	}
	return 0;
}

/* The checkpoint file (checkpoint_file.c) may lag the store, never lead
 * it: while batches follow each other it is written at most every
 * CHECKPOINT_FILE_INTERVAL_MS, and when the writer falls idle. Replacing it
 * after every commit cost a lone till a fifth of its payments per second:
 * the rename starts a disk write of its own between the commit's two syncs. */
static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static void save_checkpoint_file(struct pipeline *p)
{
	if (checkpoint_file_save(p->server->config.data_dir, p->unsaved, p->unsaved_len) != 0)
		log_line("error", "checkpoint_save_failed", "dir=%s", p->server->config.data_dir);
	p->unsaved_len = 0;
	p->saved_ms = monotonic_ms();
}

/* Idle, with a checkpoint the file lacks: waits for work until it is time to
 * write the file, and writes it if no work came. Called and returns with the
 * lock held. */
static void idle_save(struct pipeline *p)
{
	uint64_t due = p->saved_ms + CHECKPOINT_FILE_INTERVAL_MS, now = monotonic_ms();

	if (now < due) {
		struct timespec until = {.tv_sec = (time_t)(due / 1000), .tv_nsec = (long)(due % 1000) * 1000000L};
		if (pthread_cond_timedwait(&p->verified, &p->lock, &until) == 0)
			return; /* woken: look at the queue first */
	}
	pthread_mutex_unlock(&p->lock);
	save_checkpoint_file(p);
	pthread_mutex_lock(&p->lock);
}

static void *writer_main(void *arg)
{
	struct pipeline *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while ((p->head == NULL || !p->head->verified) && !(p->stopping && p->head == NULL)) {
			/* Idle while the head waits for a verifier: check it here, one
			 * thread hand-off fewer for a lone till paying one at a time. */
			if (p->head != NULL && p->unclaimed == p->head) {
				claim_and_verify(p);
				continue;
			}
			if (p->unsaved_len > 0 && p->head == NULL)
				idle_save(p);
			else
				pthread_cond_wait(&p->verified, &p->lock);
		}
		if (p->head == NULL)
			break;
		struct submission *run = p->head, *last = run;
		size_t count = 1, bytes = run->len;
		while (last->next != NULL && last->next->verified && count < BATCH_TRANSACTIONS_MAX) {
			last = last->next;
			count++;
			bytes += last->len;
		}
		p->head = last->next;
		if (p->head == NULL)
			p->tail = NULL;
		last->next = NULL;
		p->queued -= count;
		p->queued_bytes -= bytes;
		pthread_mutex_unlock(&p->lock);

		size_t checkpoint_len = apply_run(p, run);

		pthread_mutex_lock(&p->lock);
		p->done_state = p->server->ledger->state;
		memcpy(p->board, p->done_state.board, sizeof(p->board));
		p->board_count = p->done_state.board_count;
		p->done_batches++;
		{
			unsigned b = 0;
			while (b < COMMIT_BUCKETS - 1 && p->last_commit_us > commit_bucket_us[b])
				b++;
			p->done_commit_buckets[b]++;
			p->done_commit_us += p->last_commit_us;
		}
		p->done_batch_sizes[count >= (1U << (BATCH_HISTOGRAM_BUCKETS - 1)) ? BATCH_HISTOGRAM_BUCKETS - 1
										    : (unsigned)(63 - __builtin_clzll(count))]++;
		if (p->done_tail != NULL)
			p->done_tail->next = run;
		else
			p->done_head = run;
		p->done_tail = last;
		pthread_mutex_unlock(&p->lock);
		event_active(p->done_event, EV_READ, 0);
		if (checkpoint_len == CHECKPOINT_LATER) {
			checkpoint_len = sign_checkpoint(p);
			if (checkpoint_len > 0)
				event_active(p->done_event, EV_READ, 0); /* publish it to readers */
		}
		/* The replies go out meanwhile. Only a checkpoint signed whole is kept. */
		if (checkpoint_len > 0) {
			memcpy(p->unsaved, p->leaf_scratch, checkpoint_len);
			p->unsaved_len = checkpoint_len;
			if (monotonic_ms() >= p->saved_ms + CHECKPOINT_FILE_INTERVAL_MS)
				save_checkpoint_file(p);
		}
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	if (p->unsaved_len > 0)
		save_checkpoint_file(p); /* shutting down: the last one */
	return NULL;
}

static void fill_receipt(struct server *s, struct submission *sub, Manne__Receipt *r,
			 uint8_t proof[][MERKLE_HASH_BYTES], ProtobufCBinaryData *proof_fields)
{
	r->txid = (ProtobufCBinaryData){.len = 32, .data = sub->receipt.txid};
	r->leaf_index = sub->receipt.leaf_index;
	r->leaf_hash = (ProtobufCBinaryData){.len = 32, .data = sub->receipt.leaf_hash};
	r->time_ms = sub->receipt.time_ms;
	r->duplicate = sub->receipt.duplicate;
	if (!sub->want_proof || s->checkpoint_len == 0)
		return;
	/* The proof is to the tree size the published checkpoint signs (its
	 * second line): every leaf handed back so far, unless no checkpoint could
	 * be signed since (a failure, or a retired checkpoint key). */
	uint64_t size = checkpoint_note_tree_size(s->checkpoint, s->checkpoint_len);
	if (sub->receipt.leaf_index >= size)
		return;
	struct store_txn *txn;
	size_t count = 0;
	if (store_begin(s->ledger->store, false, &txn) != STORE_OK)
		return;
	struct merkle_nodes nodes = store_merkle_nodes(txn);
	if (merkle_inclusion_proof(&nodes, sub->receipt.leaf_index, size, proof, &count) == 0) {
		for (size_t i = 0; i < count; i++)
			proof_fields[i] = (ProtobufCBinaryData){.len = MERKLE_HASH_BYTES, .data = proof[i]};
		r->n_inclusion_proof = count;
		r->inclusion_proof = proof_fields;
		r->checkpoint = s->checkpoint;
	}
	store_abort(txn);
}

static void done_callback(evutil_socket_t fd, short what, void *arg)
{
	struct pipeline *p = arg;
	struct server *s = p->server;
	struct submission *sub, *next;
	(void)fd;
	(void)what;

	pthread_mutex_lock(&p->lock);
	sub = p->done_head;
	p->done_head = p->done_tail = NULL;
	s->state = p->done_state;
	if (p->done_checkpoint_len > 0) {
		uint64_t before = checkpoint_note_tree_size(s->checkpoint, s->checkpoint_len);
		memcpy(s->checkpoint, p->done_checkpoint, p->done_checkpoint_len + 1);
		s->checkpoint_len = p->done_checkpoint_len;
		if (checkpoint_note_tree_size(s->checkpoint, s->checkpoint_len) != before)
			s->checkpoint_ms = (uint64_t)time(NULL) * 1000;
	}
	s->counters.batches = p->done_batches;
	memcpy(s->counters.batch_sizes, p->done_batch_sizes, sizeof(s->counters.batch_sizes));
	memcpy(s->counters.commit_buckets, p->done_commit_buckets, sizeof(s->counters.commit_buckets));
	s->counters.commit_us_total = p->done_commit_us;
	pthread_mutex_unlock(&p->lock);

	for (; sub != NULL; sub = next) {
		Manne__Response response = MANNE__RESPONSE__INIT;
		Manne__Receipt receipt = MANNE__RECEIPT__INIT;
		uint8_t proof[MERKLE_PROOF_HASHES_MAX][MERKLE_HASH_BYTES];
		ProtobufCBinaryData proof_fields[MERKLE_PROOF_HASHES_MAX];

		next = sub->next;
		if (sub->card != NULL) {
			card_unlock_reply(sub->slot, sub->status, sub->card);
			conn_slot_landed(sub->slot);
			submission_free(sub);
			continue;
		}
		response.status = (Manne__Status)sub->status;
		/* Applied (not duplicates) and refused, by kind and status. */
		if ((unsigned)sub->status < MANNE_STATUS_COUNT && !(sub->status == MANNE_OK && sub->receipt.duplicate))
			s->counters.transactions[(unsigned)sub->tx.kind < KIND_SLOTS ? sub->tx.kind : 0][sub->status]++;
		response.message = (char *)manne_status_message(sub->status);
		if (sub->status == MANNE_OK) {
			if (sub->slot->conn != NULL)
				conn_saw_leaf(sub->slot->conn, sub->receipt.leaf_index);
			fill_receipt(s, sub, &receipt, proof, proof_fields);
			response.kind_case = MANNE__RESPONSE__KIND_RECEIPT;
			response.receipt = &receipt;
			if (sub->receipt.duplicate)
				s->counters.duplicates++;
			else
				s->counters.applied++;
		} else {
			s->counters.refused++;
		}
		struct conn *c = sub->slot->conn;
		slot_reply(sub->slot, &response);
		conn_slot_landed(sub->slot);
		if (c != NULL && sub->status == MANNE_ERR_BAD_SIGNATURE && !sub->authenticated)
			conn_refused_signature(c);
		submission_free(sub);
	}
	server_retry_parked(s);
}

/* Appends a prepared submission to the queue. */
static void enqueue(struct pipeline *p, struct submission *sub)
{
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = sub;
	else
		p->head = sub;
	p->tail = sub;
	if (p->unclaimed == NULL)
		p->unclaimed = sub;
	p->queued++;
	p->queued_bytes += sub->len;
	pthread_cond_signal(&p->work);
	if (p->head == sub)
		pthread_cond_signal(&p->verified); /* an idle writer may check it itself */
	pthread_mutex_unlock(&p->lock);
}

enum manne_status pipeline_submit(struct server *s, struct slot *slot, const uint8_t *signed_tx, size_t len,
				  bool want_proof)
{
	struct pipeline *p = s->pipeline;
	struct submission *sub;
	size_t arena_size = tx_arena_bytes(len);
	const uint8_t *key = slot->conn != NULL ? conn_key(slot->conn) : NULL;

	if (len == 0 || len > SIGNED_TX_BYTES_MAX)
		return MANNE_ERR_MALFORMED;
	if (p == NULL)
		return MANNE_ERR_OVERLOADED; /* shutting down */
	pthread_mutex_lock(&p->lock);
	bool full = p->queued >= SUBMISSIONS_QUEUED_MAX || p->queued_bytes + len > SUBMISSIONS_QUEUED_BYTES_MAX ||
		    p->stopping;
	pthread_mutex_unlock(&p->lock);
	if (full)
		return MANNE_ERR_OVERLOADED;

	sub = calloc(1, sizeof(*sub));
	if (sub == NULL)
		return MANNE_ERR_OVERLOADED;
	sub->bytes = malloc(len);
	sub->arena_buffer = malloc(arena_size);
	if (sub->bytes == NULL || sub->arena_buffer == NULL) {
		submission_free(sub);
		return MANNE_ERR_OVERLOADED;
	}
	memcpy(sub->bytes, signed_tx, len);
	sub->len = len;
	arena_init(&sub->arena, sub->arena_buffer, arena_size);
	sub->slot = slot;
	sub->want_proof = want_proof;
	if (key != NULL) {
		sub->authenticated = true;
		memcpy(sub->auth_key, key, 32);
	}

	enqueue(p, sub);
	return MANNE_OK;
}

enum manne_status pipeline_card_unlock(struct server *s, struct slot *slot, struct card_job *job)
{
	struct pipeline *p = s->pipeline;
	struct submission *sub;

	bool stopping = true;
	if (p != NULL) {
		pthread_mutex_lock(&p->lock);
		stopping = p->stopping || p->queued >= SUBMISSIONS_QUEUED_MAX;
		pthread_mutex_unlock(&p->lock);
	}
	if (stopping || (sub = calloc(1, sizeof(*sub))) == NULL) {
		sodium_memzero(job, card_job_size());
		free(job);
		return MANNE_ERR_OVERLOADED;
	}
	sub->card = job;
	sub->slot = slot;
	sub->len = card_job_size();
	enqueue(p, sub);
	return MANNE_OK;
}

int pipeline_start(struct server *s)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (p == NULL)
		return -1;
	p->server = s;
	memcpy(p->origin, s->ledger->state.origin, s->ledger->state.origin_len);
	memcpy(p->genesis_id, s->ledger->state.genesis_id, TXID_BYTES);
	p->identity = (struct tx_identity){
		.origin = p->origin,
		.origin_len = s->ledger->state.origin_len,
		.genesis_id = p->genesis_id,
	};
	p->done_state = s->ledger->state;
	memcpy(p->board, p->done_state.board, sizeof(p->board));
	p->board_count = p->done_state.board_count;
	p->leaf_scratch = malloc(CHECKPOINT_NOTE_BYTES);
	p->unsaved = malloc(CHECKPOINT_NOTE_BYTES);
	p->verifier_count = s->config.verifier_threads ? s->config.verifier_threads : (unsigned)(cores > 0 ? cores : 1);
	if (p->verifier_count > VERIFIER_THREADS_MAX)
		p->verifier_count = VERIFIER_THREADS_MAX;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC); /* idle_save's deadline */
	pthread_cond_init(&p->verified, &monotonic);
	pthread_condattr_destroy(&monotonic);
	p->done_event = event_new(s->base, -1, 0, done_callback, p);
	if (p->leaf_scratch == NULL || p->unsaved == NULL || p->done_event == NULL)
		return -1;
	s->pipeline = p;
	for (unsigned i = 0; i < p->verifier_count; i++)
		if (pthread_create(&p->verifiers[i], NULL, verifier_main, p) != 0)
			return -1;
	if (pthread_create(&p->writer, NULL, writer_main, p) != 0)
		return -1;
	return 0;
}

void pipeline_stop(struct server *s)
{
	struct pipeline *p = s->pipeline;
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->verified);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->verifier_count; i++)
		pthread_join(p->verifiers[i], NULL);
	pthread_join(p->writer, NULL);
	/* Answer what the writer finished, in this thread, before the loop ends. */
	done_callback(-1, 0, p);
	event_free(p->done_event);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->verified);
	free(p->leaf_scratch);
	free(p->unsaved);
	free(p);
	s->pipeline = NULL;
}

size_t pipeline_queued(struct server *s)
{
	struct pipeline *p = s->pipeline;
	size_t n;
	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->lock);
	n = p->queued;
	pthread_mutex_unlock(&p->lock);
	return n;
}
