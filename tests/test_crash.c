/*
 * test_crash.c: the promises of SPEC §8 under SIGKILL. Payers send payments
 * on loopback as fast as the ledger receipts them; the daemon is killed
 * (SIGKILL) at a random moment while it commits, and restarted on the same
 * store, MANNE_CRASH_ROUNDS times (5 in CI; docs/testing.md gives a long
 * run). After each restart: every payment that got a receipt is in the log;
 * each payer's account has no gap (its balance is exactly what its next
 * sequence says was paid); the first checkpoint served covers the whole
 * store. At the end manne-audit replays the log and finds it clean.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"

#define PAYERS 4
#define RECEIPTS_MAX 200000
#define ISSUED 100000000ULL

static struct daemon d;
static struct manne_keypair payers[PAYERS], shop;
static uint8_t (*receipted)[32];
static atomic_size_t receipted_count;
static atomic_bool stop;

struct payer {
	int index;
	uint64_t next_sequence;
};

static void *pay_loop(void *arg)
{
	struct payer *p = arg;
	struct manne_wire w;

	if (manne_wire_connect(&w, "127.0.0.1", d.port, 2000) != 0)
		return NULL;
	for (uint64_t n = 0; !atomic_load(&stop); n++) {
		uint8_t *bytes, txid[32];
		size_t len;
		daemon_sign_pay(&d, &payers[p->index], p->next_sequence, shop.public_key, 1, NULL, NULL, &bytes, &len, txid);
		daemon_send_submit(&w, n + 1, bytes, len, false);
		free(bytes);
		Manne__Response *r = manne_wire_receive(&w);
		if (r == NULL)
			break; /* the daemon is gone */
		if (r->status == MANNE__STATUS__OK) {
			size_t at = atomic_fetch_add(&receipted_count, 1);
			if (at < RECEIPTS_MAX)
				memcpy(receipted[at], txid, 32);
			p->next_sequence++;
		}
		manne__response__free_unpacked(r, NULL);
	}
	manne_wire_close(&w);
	return NULL;
}

static uint64_t next_sequence_of(struct manne_wire *w, const struct manne_keypair *kp, uint64_t *balance)
{
	assert_int_equal(daemon_authenticate(w, kp), MANNE__STATUS__OK);
	Manne__Response *r = daemon_read_account(w, kp->public_key);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	uint64_t next = r->account->next_sequence;
	*balance = r->account->balance;
	manne__response__free_unpacked(r, NULL);
	return next;
}

/* Every receipted payment is in the log, no payer has a gap, and the first
 * checkpoint served covers the whole store. */
static void check_after_restart(struct payer *state)
{
	struct manne_wire w;
	struct checkpoint cp;
	uint64_t balance;

	daemon_connect(&d, &w);
	daemon_read_checkpoint(&w, d.checkpoint.public_key, &cp);
	Manne__Response *st = daemon_read_status(&w);
	assert_int_equal(cp.tree_size, st->status_info->tree_size);
	manne__response__free_unpacked(st, NULL);
	assert_int_equal(daemon_authenticate(&w, &d.board[0]), MANNE__STATUS__OK);
	size_t count = atomic_load(&receipted_count);
	for (size_t i = 0; i < count && i < RECEIPTS_MAX; i++) {
		Manne__Response *r = daemon_read_tx(&w, receipted[i]);
		if (r->status != MANNE__STATUS__OK)
			fail_msg("receipted payment %zu of %zu is not in the log after a crash", i, count);
		manne__response__free_unpacked(r, NULL);
	}
	manne_wire_close(&w);
	for (int i = 0; i < PAYERS; i++) {
		daemon_connect(&d, &w);
		uint64_t next = next_sequence_of(&w, &payers[i], &balance);
		manne_wire_close(&w);
		/* Sequences have no gap: what was paid is exactly next - 1 payments of 1. */
		assert_int_equal(balance, ISSUED - (next - 1));
		/* Nothing receipted is lost: the ledger is at least where the payer got to. */
		assert_true(next >= state[i].next_sequence);
		state[i].next_sequence = next;
	}
}

static void test_crash_under_load(void **state)
{
	(void)state;
	const char *env = getenv("MANNE_CRASH_ROUNDS");
	int rounds = env != NULL ? atoi(env) : 5;
	struct payer p[PAYERS];
	struct manne_wire w;

	receipted = calloc(RECEIPTS_MAX, 32);
	assert_non_null(receipted);
	daemon_start(&d, NULL);
	daemon_keypair(&shop);
	daemon_connect(&d, &w);
	daemon_open_account(&d, &w, &shop, MANNE__ROLE__ROLE_SHOP, false, NULL);
	daemon_fund(&d, &w, PAYERS * ISSUED);
	for (int i = 0; i < PAYERS; i++) {
		daemon_keypair(&payers[i]);
		daemon_open_account(&d, &w, &payers[i], MANNE__ROLE__ROLE_MEMBER, false, NULL);
		daemon_issue(&d, &w, payers[i].public_key, ISSUED, NULL);
		p[i] = (struct payer){.index = i, .next_sequence = 1};
	}
	manne_wire_close(&w);

	for (int round = 0; round < rounds; round++) {
		pthread_t threads[PAYERS];
		atomic_store(&stop, false);
		for (int i = 0; i < PAYERS; i++)
			assert_int_equal(pthread_create(&threads[i], NULL, pay_loop, &p[i]), 0);
		/* A random moment under load: 100 to 600 ms in. */
		struct timespec t = {.tv_sec = 0, .tv_nsec = (long)(100 + randombytes_uniform(500)) * 1000000L};
		nanosleep(&t, NULL);
		int status;
		assert_int_equal(kill(d.pid, SIGKILL), 0);
		assert_int_equal(waitpid(d.pid, &status, 0), d.pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		d.pid = 0;
		atomic_store(&stop, true);
		for (int i = 0; i < PAYERS; i++)
			pthread_join(threads[i], NULL);
		daemon_restart(&d);
		check_after_restart(p);
	}
	assert_true(atomic_load(&receipted_count) > (size_t)rounds * 10); /* the load did run */
	printf("crash: %d SIGKILLs under load, %zu receipted payments, none lost\n", rounds,
	       atomic_load(&receipted_count));

	/* The auditor replays the whole log and finds it clean. */
	{
		char state_dir[128], port[16], key[160], vkey[256];
		struct checkpoint cp;
		daemon_connect(&d, &w);
		Manne__Request request = MANNE__REQUEST__INIT;
		Manne__CheckpointRequest c = MANNE__CHECKPOINT_REQUEST__INIT;
		request.id = 1;
		request.kind_case = MANNE__REQUEST__KIND_CHECKPOINT;
		request.checkpoint = &c;
		Manne__Response *r = daemon_call(&w, &request);
		snprintf(vkey, sizeof(vkey), "%s", r->checkpoint->verifier_key);
		manne__response__free_unpacked(r, NULL);
		daemon_read_checkpoint(&w, d.checkpoint.public_key, &cp);
		manne_wire_close(&w);
		snprintf(state_dir, sizeof(state_dir), "%s/audit", d.dir);
		snprintf(port, sizeof(port), "%u", d.port);
		snprintf(key, sizeof(key), "%s/keys/board0.key", d.dir);
		const char *argv[] = {getenv("MANNE_AUDIT"), "--state", state_dir, "--checkpoint-key", vkey, "--key", key,
				      "--port", port, NULL};
		assert_non_null(argv[0]);
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	daemon_finish(&d);
	daemon_cleanup(&d);
	free(receipted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_under_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
