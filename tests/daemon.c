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

#include "keyfile.h"

#define ORIGIN "manne.demo/v1"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void spawn(struct daemon *d, const char *const *extra)
{
	const char *exe = getenv("MANNE_LEDGER");
	char port_file[128];
	const char *argv[32];
	int argc = 0;

	assert_non_null(exe);
	snprintf(port_file, sizeof(port_file), "%s/port", d->dir);
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
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(port_file, "r");
		unsigned port = 0;
		if (f != NULL) {
			int n = fscanf(f, "%u", &port);
			fclose(f);
			if (n == 1 && port > 0) {
				d->port = (uint16_t)port;
				return;
			}
		}
		int status;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid)
			fail_msg("manne-ledger exited at start-up; see %s/daemon.log", d->dir);
		sleep_ms(10);
	}
	fail_msg("manne-ledger did not start");
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
	assert_int_equal(manne_wire_connect(w, "127.0.0.1", d->port, 5000), 0);
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
