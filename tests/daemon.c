/*
 * daemon.c: see daemon.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ledger/core/tx_sign.h"
#include "ledger/keys/keyfile.h"

#define ORIGIN "manne.demo/v1"

/* Forks and execs the daemon on d->dir with extra flags; its port file's path
 * goes into port_file. */
static void spawn_exec(struct daemon *d, const char *const *extra, char *port_file, size_t port_file_size)
{
	const char *exe = getenv("MANNE_LEDGER_EXE");
	const char *argv[32];
	int argc = 0;

	assert_non_null(exe);
	snprintf(port_file, port_file_size, "%s/port", d->dir);
	unlink(port_file);
	argv[argc++] = exe;
	argv[argc++] = "--data";
	argv[argc++] = d->dir;
	argv[argc++] = "--demo";
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--port-file";
	argv[argc++] = port_file;
	for (int i = 0; extra != NULL && extra[i] != NULL && argc < 30; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		char log[128];
		snprintf(log, sizeof(log), "%s/daemon.log", d->dir);
		if (freopen(log, "a", stderr) == NULL)
			_exit(127);
		/* Under ASan, also catch a pointer kept to a returned frame (ignored otherwise). */
		setenv("ASAN_OPTIONS", "detect_stack_use_after_return=1", 0);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
}

/* Polls every poll_us for the port file: 0 once the daemon listens; its exit
 * status if it exited at start-up. */
static int spawn_wait(struct daemon *d, const char *port_file, unsigned poll_us)
{
	for (unsigned waited_us = 0; waited_us < 10u * 1000 * 1000; waited_us += poll_us) {
		FILE *f = fopen(port_file, "r");
		unsigned port = 0;
		if (f != NULL) {
			int n = fscanf(f, "%u", &port);
			fclose(f);
			if (n == 1 && port > 0) {
				d->port = (uint16_t)port;
				return 0;
			}
		}
		int status;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 128;
		}
		struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)poll_us * 1000L};
		nanosleep(&ts, NULL);
	}
	fail_msg("manne-ledger did not start");
	return -1;
}

/* 0 once the daemon listens; its exit status if it exited at start-up. */
static int spawn_try(struct daemon *d, const char *const *extra)
{
	char port_file[128];
	spawn_exec(d, extra, port_file, sizeof(port_file));
	return spawn_wait(d, port_file, 10000);
}

static void spawn(struct daemon *d, const char *const *extra)
{
	if (spawn_try(d, extra) != 0)
		fail_msg("manne-ledger exited at start-up; see %s/daemon.log", d->dir);
}

static void load_keys(struct daemon *d)
{
	static const char *const names[] = {"board0", "board1", "board2", "checkpoint", "association"};
	struct manne_keypair *kps[] = {&d->board[0], &d->board[1], &d->board[2], &d->checkpoint, &d->association};
	char path[160];
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/keys/%s.key", d->dir, names[i]);
		assert_int_equal(keyfile_read(path, kps[i]), 0);
	}
}

void daemon_start(struct daemon *d, const char *const *extra_flags)
{
	struct manne_wire w;
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__AuthChallengeRequest challenge = MANNE__AUTH_CHALLENGE_REQUEST__INIT;
	Manne__Response *r;

	memset(d, 0, sizeof(*d));
	assert_true(sodium_init() >= 0);
	strcpy(d->dir, "/tmp/manne-daemon-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	/* A later --listen wins: the harness connects where the daemon listens. */
	d->host = "127.0.0.1";
	for (size_t i = 0; extra_flags != NULL && extra_flags[i] != NULL; i++)
		if (strcmp(extra_flags[i], "--listen") == 0 && extra_flags[i + 1] != NULL &&
		    strncmp(extra_flags[i + 1], "[::1]:", 6) == 0)
			d->host = "::1";
	spawn(d, extra_flags);
	load_keys(d);
	/* The genesis id, as any client learns it. */
	daemon_connect(d, &w);
	request.kind_case = MANNE__REQUEST__KIND_AUTH_CHALLENGE;
	request.auth_challenge = &challenge;
	r = manne_wire_call(&w, &request);
	assert_non_null(r);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_AUTH_CHALLENGE);
	assert_int_equal(r->auth_challenge->genesis_id.len, 32);
	memcpy(d->genesis_id, r->auth_challenge->genesis_id.data, 32);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
}

void daemon_restart(struct daemon *d)
{
	spawn(d, NULL);
}

int daemon_restart_and_stop_at_once(struct daemon *d)
{
	char port_file[128];
	spawn_exec(d, NULL, port_file, sizeof(port_file));
	if (spawn_wait(d, port_file, 100) != 0)
		fail_msg("manne-ledger exited at start-up; see %s/daemon.log", d->dir);
	return daemon_stop(d);
}

int daemon_stop(struct daemon *d)
{
	int status = -1;
	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	assert_int_equal(waitpid(d->pid, &status, 0), d->pid);
	d->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void daemon_cleanup(struct daemon *d)
{
	char cmd[128];
	if (d->pid > 0)
		daemon_stop(d);
	if (getenv("MANNE_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
		assert_int_equal(system(cmd), 0);
	}
}

void daemon_connect(struct daemon *d, struct manne_wire *w)
{
	assert_int_equal(manne_wire_connect(w, d->host, d->port, 5000), 0);
}

int daemon_authenticate(struct manne_wire *w, const struct manne_keypair *key)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__AuthChallengeRequest challenge = MANNE__AUTH_CHALLENGE_REQUEST__INIT;
	Manne__AuthenticateRequest auth = MANNE__AUTHENTICATE_REQUEST__INIT;
	uint8_t message[14 + 32 + 64], client_nonce[32], signature[64];
	Manne__Response *r;
	int status;

	request.kind_case = MANNE__REQUEST__KIND_AUTH_CHALLENGE;
	request.auth_challenge = &challenge;
	r = manne_wire_call(w, &request);
	assert_non_null(r);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_AUTH_CHALLENGE);
	randombytes_buf(client_nonce, sizeof(client_nonce));
	memcpy(message, "MANNE-AUTH-V1", 14);
	memcpy(message + 14, r->auth_challenge->genesis_id.data, 32);
	memcpy(message + 46, r->auth_challenge->server_nonce.data, 32);
	memcpy(message + 78, client_nonce, 32);
	manne__response__free_unpacked(r, NULL);
	crypto_sign_detached(signature, NULL, message, sizeof(message), key->secret_key);
	auth.key = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)key->public_key};
	auth.client_nonce = (ProtobufCBinaryData){.len = 32, .data = client_nonce};
	auth.signature = (ProtobufCBinaryData){.len = 64, .data = signature};
	request.kind_case = MANNE__REQUEST__KIND_AUTHENTICATE;
	request.authenticate = &auth;
	r = manne_wire_call(w, &request);
	assert_non_null(r);
	status = r->status;
	manne__response__free_unpacked(r, NULL);
	return status;
}

static void body_common(struct daemon *d, Manne__TxBody *body)
{
	manne__tx_body__init(body);
	body->origin = (char *)ORIGIN;
	body->genesis_id = (ProtobufCBinaryData){.len = 32, .data = d->genesis_id};
	body->last_valid_ms = (uint64_t)time(NULL) * 1000 + 10 * 60 * 1000;
}

void daemon_body_board(struct daemon *d, Manne__TxBody *body, uint8_t nonce[16])
{
	body_common(d, body);
	body->signer_case = MANNE__TX_BODY__SIGNER_BOARD;
	body->board = true;
	randombytes_buf(nonce, 16);
	body->nonce = (ProtobufCBinaryData){.len = 16, .data = nonce};
}

void daemon_body_account(struct daemon *d, Manne__TxBody *body, const struct manne_keypair *signer,
			 uint64_t sequence)
{
	body_common(d, body);
	body->signer_case = MANNE__TX_BODY__SIGNER_ACCOUNT;
	body->account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)signer->public_key};
	body->sequence = sequence;
}

Manne__Response *daemon_submit(struct manne_wire *w, const Manne__TxBody *body,
			       const struct manne_keypair *const *signers, size_t n, uint8_t txid[32])
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__SubmitRequest submit = MANNE__SUBMIT_REQUEST__INIT;
	uint8_t *bytes;
	size_t len;
	Manne__Response *r;

	assert_int_equal(tx_sign(body, signers, n, &bytes, &len, txid), 0);
	submit.signed_tx = (ProtobufCBinaryData){.len = len, .data = bytes};
	request.kind_case = MANNE__REQUEST__KIND_SUBMIT;
	request.submit = &submit;
	r = manne_wire_call(w, &request);
	free(bytes);
	return r;
}

/* ---- More helpers ---- */

int daemon_try_restart(struct daemon *d, const char *const *extra_flags)
{
	return spawn_try(d, extra_flags);
}

void daemon_assert_log_clean(struct daemon *d)
{
	static const char *const bad[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
					  "WARNING: ThreadSanitizer"};
	char path[128], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/daemon.log", d->dir);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strstr(line, bad[i]) != NULL) {
				fclose(f);
				fail_msg("%s/daemon.log: %s", d->dir, line);
			}
		}
	}
	fclose(f);
}

void daemon_finish(struct daemon *d)
{
	int status = daemon_stop(d);
	daemon_assert_log_clean(d);
	if (status != 0)
		fail_msg("manne-ledger exited %d; see %s/daemon.log", status, d->dir);
}

void daemon_keypair(struct manne_keypair *kp)
{
	crypto_sign_keypair(kp->public_key, kp->secret_key);
}

void daemon_expect(Manne__Response *r, int status)
{
	assert_non_null(r);
	if ((int)r->status != status)
		fail_msg("expected status %d, got %d (%s)", status, r->status, r->message);
	manne__response__free_unpacked(r, NULL);
}

Manne__Response *daemon_call(struct manne_wire *w, Manne__Request *request)
{
	Manne__Response *r = manne_wire_call(w, request);
	if (r == NULL)
		fail_msg("no response to request %llu (kind %d)", (unsigned long long)request->id, request->kind_case);
	assert_int_equal(r->id, request->id);
	return r;
}

Manne__Response *daemon_read_account(struct manne_wire *w, const uint8_t key[32])
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__AccountRequest a = MANNE__ACCOUNT_REQUEST__INIT;
	a.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)key};
	request.id = 17;
	request.kind_case = MANNE__REQUEST__KIND_ACCOUNT;
	request.account = &a;
	return daemon_call(w, &request);
}

Manne__Response *daemon_read_history(struct manne_wire *w, const uint8_t key[32], uint64_t before, uint32_t limit)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__HistoryRequest h = MANNE__HISTORY_REQUEST__INIT;
	h.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)key};
	h.before_index = before;
	h.limit = limit;
	request.id = 18;
	request.kind_case = MANNE__REQUEST__KIND_HISTORY;
	request.history = &h;
	return daemon_call(w, &request);
}

Manne__Response *daemon_read_tx(struct manne_wire *w, const uint8_t txid[32])
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__TxRequest t = MANNE__TX_REQUEST__INIT;
	t.txid = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)txid};
	request.id = 19;
	request.kind_case = MANNE__REQUEST__KIND_TX;
	request.tx = &t;
	return daemon_call(w, &request);
}

Manne__Response *daemon_read_payment(struct manne_wire *w, const uint8_t payee[32], const char *reference,
				     uint32_t wait_ms)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__PaymentByReferenceRequest p = MANNE__PAYMENT_BY_REFERENCE_REQUEST__INIT;
	p.payee = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)payee};
	p.payee_reference = (char *)reference;
	p.wait_ms = wait_ms;
	request.id = 20;
	request.kind_case = MANNE__REQUEST__KIND_PAYMENT_BY_REFERENCE;
	request.payment_by_reference = &p;
	return daemon_call(w, &request);
}

Manne__Response *daemon_read_log(struct manne_wire *w, uint64_t from, uint32_t limit)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__LogEntriesRequest l = MANNE__LOG_ENTRIES_REQUEST__INIT;
	l.from_index = from;
	l.limit = limit;
	request.id = 24;
	request.kind_case = MANNE__REQUEST__KIND_LOG_ENTRIES;
	request.log_entries = &l;
	return daemon_call(w, &request);
}

Manne__Response *daemon_read_status(struct manne_wire *w)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest st = MANNE__STATUS_REQUEST__INIT;
	request.id = 25;
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &st;
	return daemon_call(w, &request);
}

Manne__Response *daemon_read_inclusion(struct manne_wire *w, uint64_t leaf_index, uint64_t tree_size)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__InclusionProofRequest p = MANNE__INCLUSION_PROOF_REQUEST__INIT;
	p.leaf_index = leaf_index;
	p.tree_size = tree_size;
	request.id = 22;
	request.kind_case = MANNE__REQUEST__KIND_INCLUSION_PROOF;
	request.inclusion_proof = &p;
	return daemon_call(w, &request);
}

Manne__Response *daemon_read_consistency(struct manne_wire *w, uint64_t old_size, uint64_t new_size)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__ConsistencyProofRequest p = MANNE__CONSISTENCY_PROOF_REQUEST__INIT;
	p.old_size = old_size;
	p.new_size = new_size;
	request.id = 23;
	request.kind_case = MANNE__REQUEST__KIND_CONSISTENCY_PROOF;
	request.consistency_proof = &p;
	return daemon_call(w, &request);
}

void daemon_parse_checkpoint(const char *note, const uint8_t checkpoint_key[32], struct checkpoint *out)
{
	struct note_verifier v;
	char vkey[256];
	size_t text_len;

	assert_int_equal(note_verifier_format(ORIGIN, checkpoint_key, vkey, sizeof(vkey)), 0);
	assert_int_equal(note_verifier_parse(vkey, &v), 0);
	if (note_verify(note, strlen(note), &v, &text_len) != 0)
		fail_msg("the checkpoint does not verify under the expected key:\n%s", note);
	assert_int_equal(checkpoint_parse(note, text_len, out), 0);
	assert_string_equal(out->origin, ORIGIN);
}

void daemon_read_checkpoint(struct manne_wire *w, const uint8_t checkpoint_key[32], struct checkpoint *out)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__CheckpointRequest c = MANNE__CHECKPOINT_REQUEST__INIT;
	struct note_verifier v;
	char vkey[256];
	size_t text_len;
	Manne__Response *r;

	request.id = 21;
	request.kind_case = MANNE__REQUEST__KIND_CHECKPOINT;
	request.checkpoint = &c;
	r = daemon_call(w, &request);
	if (r->status != MANNE__STATUS__OK)
		fail_msg("checkpoint: %d %s", r->status, r->message);
	assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_CHECKPOINT);
	/* The note verifies under the verifier key the ledger publishes... */
	assert_int_equal(note_verifier_parse(r->checkpoint->verifier_key, &v), 0);
	assert_int_equal(note_verify(r->checkpoint->note, strlen(r->checkpoint->note), &v, &text_len), 0);
	/* ...which is the checkpoint key the test expects. */
	assert_int_equal(note_verifier_format(ORIGIN, checkpoint_key, vkey, sizeof(vkey)), 0);
	assert_string_equal(r->checkpoint->verifier_key, vkey);
	daemon_parse_checkpoint(r->checkpoint->note, checkpoint_key, out);
	manne__response__free_unpacked(r, NULL);
}

Manne__Response *daemon_submit_board(struct daemon *d, struct manne_wire *w, const Manne__TxBody *body,
				     const struct manne_keypair *cosigner, uint8_t txid[32])
{
	const struct manne_keypair *signers[] = {&d->board[0], &d->board[1], cosigner};
	return daemon_submit(w, body, signers, cosigner != NULL ? 3 : 2, txid);
}

void daemon_open_account(struct daemon *d, struct manne_wire *w, const struct manne_keypair *kp, Manne__Role role,
			 bool card_held, const char *reference)
{
	Manne__TxBody body;
	Manne__OpenAccount o = MANNE__OPEN_ACCOUNT__INIT;
	uint8_t nonce[16];

	daemon_body_board(d, &body, nonce);
	o.key = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)kp->public_key};
	o.role = role;
	o.card_held = card_held;
	if (reference != NULL)
		o.reference = (ProtobufCBinaryData){.len = strlen(reference), .data = (uint8_t *)reference};
	body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
	body.open_account = &o;
	daemon_expect(daemon_submit_board(d, w, &body, kp, NULL), MANNE__STATUS__OK);
}

void daemon_fund(struct daemon *d, struct manne_wire *w, uint64_t amount)
{
	Manne__TxBody body;
	Manne__FundReserve f = MANNE__FUND_RESERVE__INIT;
	uint8_t nonce[16];

	daemon_body_board(d, &body, nonce);
	f.amount = amount;
	f.bank_reference = (char *)"VIR-TEST";
	body.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
	body.fund_reserve = &f;
	daemon_expect(daemon_submit_board(d, w, &body, NULL, NULL), MANNE__STATUS__OK);
}

void daemon_issue(struct daemon *d, struct manne_wire *w, const uint8_t account[32], uint64_t amount,
		  uint8_t txid[32])
{
	Manne__TxBody body;
	Manne__Issue is = MANNE__ISSUE__INIT;
	uint8_t nonce[16];

	daemon_body_board(d, &body, nonce);
	is.account = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)account};
	is.amount = amount;
	is.reason = MANNE__ISSUE_REASON__ISSUE_ALLOWANCE;
	is.programme = (char *)"test-programme";
	body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
	body.issue = &is;
	daemon_expect(daemon_submit_board(d, w, &body, NULL, txid), MANNE__STATUS__OK);
}

void daemon_sign_pay(struct daemon *d, const struct manne_keypair *payer, uint64_t sequence, const uint8_t payee[32],
		     uint64_t amount, const char *memo, const char *reference, uint8_t **bytes, size_t *len,
		     uint8_t txid[32])
{
	const struct manne_keypair *signers[] = {payer};
	Manne__TxBody body;
	Manne__Pay pay = MANNE__PAY__INIT;

	daemon_body_account(d, &body, payer, sequence);
	pay.payee = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)payee};
	pay.amount = amount;
	if (memo != NULL)
		pay.memo = (char *)memo;
	if (reference != NULL)
		pay.payee_reference = (char *)reference;
	body.kind_case = MANNE__TX_BODY__KIND_PAY;
	body.pay = &pay;
	assert_int_equal(tx_sign(&body, signers, 1, bytes, len, txid), 0);
}

void daemon_send_submit(struct manne_wire *w, uint64_t id, const uint8_t *bytes, size_t len, bool want_proof)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__SubmitRequest submit = MANNE__SUBMIT_REQUEST__INIT;
	submit.signed_tx = (ProtobufCBinaryData){.len = len, .data = (uint8_t *)bytes};
	submit.want_proof = want_proof;
	request.id = id;
	request.kind_case = MANNE__REQUEST__KIND_SUBMIT;
	request.submit = &submit;
	assert_int_equal(manne_wire_send(w, &request), 0);
}

int daemon_run_program(const char *const *argv, char *out, size_t out_size)
{
	char sink[256];
	size_t used = 0;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		if (out != NULL && used + 1 < out_size)
			n = read(fds[0], out + used, out_size - 1 - used);
		else
			n = read(fds[0], sink, sizeof(sink));
		if (n <= 0)
			break;
		if (out != NULL && used + 1 < out_size)
			used += (size_t)n;
	}
	close(fds[0]);
	if (out != NULL)
		out[used] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

uint32_t daemon_connections(struct daemon *d)
{
	struct manne_wire w;
	Manne__Response *r;
	uint32_t n;
	daemon_connect(d, &w);
	r = daemon_read_status(&w);
	n = (uint32_t)r->status_info->connections;
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
	return n - 1;
}
