/*
 * test_daemon_tls.c: the ledger between machines (SPEC §6). The daemon
 * serves TLS 1.3 with a certificate made by --make-tls-cert; libmanne with
 * the right pin pays and reads across it; a wrong pin fails before anything
 * is sent; a plain client on the TLS port gets no service; TLS 1.2 is
 * refused; an authentication proof is bound to its TLS session; a plain
 * listener on an address that is not loopback is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "ledger/keys/tls_pin.h"
#include "client_util.h"
#include "manne.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

static struct daemon d;
static char cert_dir[64], cert[160], key[160], pin[TLS_PIN_TEXT_BYTES];
static uint16_t tls_port;
static struct manne_key board[3], member, shop;

static void read_tls_port(void)
{
	char path[128];
	unsigned plain, tls;
	FILE *f;
	snprintf(path, sizeof(path), "%s/port", d.dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%u tls %u", &plain, &tls), 2);
	fclose(f);
	tls_port = (uint16_t)tls;
}

static int setup(void **state)
{
	const char *exe = getenv("MANNE_LEDGER_EXE");
	char output[1024], *p;
	struct manne *m;
	struct manne_receipt r;
	const struct manne_key *b2[] = {&board[0], &board[1]};
	(void)state;

	assert_int_equal(manne_init(), MANNE_OK);
	strcpy(cert_dir, "/tmp/manne-tls-XXXXXX");
	assert_non_null(mkdtemp(cert_dir));
	{
		char dir[128];
		snprintf(dir, sizeof(dir), "%s/tls", cert_dir);
		const char *argv[] = {exe, "--make-tls-cert", dir, NULL};
		assert_int_equal(daemon_run_program(argv, output, sizeof(output)), 0);
		snprintf(cert, sizeof(cert), "%s/tls.crt", dir);
		snprintf(key, sizeof(key), "%s/tls.key", dir);
	}
	p = strstr(output, "pin: ");
	assert_non_null(p);
	memcpy(pin, p + 5, TLS_PIN_TEXT_BYTES - 1);
	pin[TLS_PIN_TEXT_BYTES - 1] = '\0';
	{
		struct stat st;
		uint8_t from_file[TLS_PIN_BYTES], printed[TLS_PIN_BYTES];
		assert_int_equal(stat(key, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(tls_pin_of_cert_file(cert, from_file), 0);
		assert_int_equal(tls_pin_parse(pin, printed), 0);
		assert_memory_equal(from_file, printed, TLS_PIN_BYTES);
	}
	const char *flags[] = {"--tls-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, NULL};
	daemon_start(&d, flags);
	read_tls_port();
	for (int i = 0; i < 3; i++) {
		memcpy(board[i].public_key, d.board[i].public_key, 32);
		memcpy(board[i].secret_key, d.board[i].secret_key, 64);
	}
	manne_key_generate(&member);
	manne_key_generate(&shop);
	EXPECT(m, manne_open_tls("127.0.0.1", tls_port, 5000, pin, &m), MANNE_OK);
	EXPECT(m, manne_open_account(m, b2, 2, &member, MANNE_ROLE_MEMBER, 0, 0, false, NULL, &r), MANNE_OK);
	EXPECT(m, manne_open_account(m, b2, 2, &shop, MANNE_ROLE_SHOP, 0, 0, false, NULL, &r), MANNE_OK);
	EXPECT(m, manne_fund_reserve(m, b2, 2, 100000, "VIR-TLS", &r), MANNE_OK);
	EXPECT(m, manne_issue(m, b2, 2, member.public_key, 5000, MANNE_ISSUE_ALLOWANCE, "p", NULL, &r), MANNE_OK);
	manne_close(m);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];
	(void)state;
	daemon_finish(&d);
	daemon_cleanup(&d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cert_dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static uint64_t tree_size(void)
{
	struct manne_wire w;
	Manne__Response *r;
	uint64_t size;
	daemon_connect(&d, &w);
	r = daemon_read_status(&w);
	size = r->status_info->tree_size;
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
	return size;
}

/* The right pin: a payment across TLS, then the balances read across it. */
static void test_pay_over_tls(void **state)
{
	struct manne *m = NULL;
	struct manne_receipt r;
	struct manne_account a;
	(void)state;

	EXPECT(m, manne_open_tls("127.0.0.1", tls_port, 5000, pin, &m), MANNE_OK);
	EXPECT(m, manne_authenticate(m, &shop), MANNE_OK);
	EXPECT(m, manne_pay(m, &member, shop.public_key, 1250, "panier", NULL, &r), MANNE_OK);
	EXPECT(m, manne_account(m, shop.public_key, &a), MANNE_OK);
	assert_int_equal(a.balance, 1250);
	EXPECT(m, manne_authenticate(m, &member), MANNE_OK);
	EXPECT(m, manne_account(m, member.public_key, &a), MANNE_OK);
	assert_int_equal(a.balance, 5000 - 1250);
	manne_close(m);
}

/* A wrong pin: refused after the handshake, before any request; the same
 * for the plain port (no TLS there). Nothing is applied. */
static void test_wrong_pin(void **state)
{
	struct manne *m = NULL;
	uint8_t other[TLS_PIN_BYTES];
	char other_text[TLS_PIN_TEXT_BYTES], hex[2 * TLS_PIN_BYTES + 1];
	uint64_t size = tree_size();
	(void)state;

	assert_int_equal(tls_pin_parse(pin, other), 0);
	other[5] ^= 0x20;
	tls_pin_format(other, other_text);
	EXPECT(m, manne_open_tls("127.0.0.1", tls_port, 5000, other_text, &m), MANNE_ERR_TLS);
	assert_non_null(strstr(manne_message(m), "pinned"));
	manne_close(m);
	m = NULL;
	/* The pin in hex is the same pin. */
	assert_int_equal(tls_pin_parse(pin, other), 0);
	sodium_bin2hex(hex, sizeof(hex), other, TLS_PIN_BYTES);
	EXPECT(m, manne_open_tls("127.0.0.1", tls_port, 5000, hex, &m), MANNE_OK);
	manne_close(m);
	m = NULL;
	EXPECT(m, manne_open_tls("127.0.0.1", d.port, 2000, pin, &m), MANNE_ERR_TLS);
	manne_close(m);
	m = NULL;
	EXPECT(m, manne_open_tls("127.0.0.1", tls_port, 2000, "SHA256:short", &m), MANNE_ERR_ARGUMENT);
	manne_close(m);
	assert_int_equal(tree_size(), size);
}

/* A plain client on the TLS port gets no service: its frame is not TLS. */
static void test_plain_client_on_tls_port(void **state)
{
	struct manne_wire w;
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest status = MANNE__STATUS_REQUEST__INIT;
	(void)state;

	assert_int_equal(manne_wire_connect(&w, "127.0.0.1", tls_port, 2000), 0);
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &status;
	request.id = 1;
	assert_null(manne_wire_call(&w, &request));
	manne_wire_close(&w);
}

/* openssl s_client: TLS 1.2 is refused, TLS 1.3 completes. */
static void test_openssl_versions(void **state)
{
	char port[16], connect[64], out[16384];
	(void)state;

	if (access("/usr/bin/openssl", X_OK) != 0) {
		print_message("skipped: no /usr/bin/openssl\n");
		return;
	}
	snprintf(port, sizeof(port), "%u", tls_port);
	snprintf(connect, sizeof(connect), "127.0.0.1:%s", port);
	{
		const char *argv[] = {"/usr/bin/openssl", "s_client", "-connect", connect, "-tls1_2", "-brief", NULL};
		daemon_run_program(argv, out, sizeof(out));
		assert_null(strstr(out, "Protocol version: TLSv1.2"));
		assert_non_null(strstr(out, "alert"));
	}
	{
		const char *argv[] = {"/usr/bin/openssl", "s_client", "-connect", connect, "-tls1_3", "-brief", NULL};
		daemon_run_program(argv, out, sizeof(out));
		assert_non_null(strstr(out, "Protocol version: TLSv1.3"));
	}
}

/* The proof names the TLS session: one signed over another session's keying
 * material is refused, one over this session's is accepted. */
static void test_auth_bound_to_session(void **state)
{
	struct manne_wire a, b;
	uint8_t expected[TLS_PIN_BYTES], binding_a[32], binding_b[32];
	uint8_t message[14 + 32 + 32 + 32 + 32], client_nonce[32], signature[64];
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__AuthChallengeRequest challenge = MANNE__AUTH_CHALLENGE_REQUEST__INIT;
	Manne__AuthenticateRequest auth = MANNE__AUTHENTICATE_REQUEST__INIT;
	Manne__Response *r;
	(void)state;

	assert_int_equal(tls_pin_parse(pin, expected), 0);
	assert_int_equal(manne_wire_connect(&a, "127.0.0.1", tls_port, 5000), 0);
	assert_int_equal(manne_wire_start_tls(&a, expected), 0);
	assert_int_equal(manne_wire_connect(&b, "127.0.0.1", tls_port, 5000), 0);
	assert_int_equal(manne_wire_start_tls(&b, expected), 0);
	assert_int_equal(manne_wire_tls_binding(&a, binding_a), 0);
	assert_int_equal(manne_wire_tls_binding(&b, binding_b), 0);
	assert_memory_not_equal(binding_a, binding_b, 32);

	for (int attempt = 0; attempt < 3; attempt++) {
		/* 0: A's binding on B; 1: no binding on B; 2: B's own binding. */
		size_t len = attempt == 1 ? 14 + 96 : sizeof(message);
		request.kind_case = MANNE__REQUEST__KIND_AUTH_CHALLENGE;
		request.auth_challenge = &challenge;
		r = manne_wire_call(&b, &request);
		assert_non_null(r);
		randombytes_buf(client_nonce, sizeof(client_nonce));
		memcpy(message, "MANNE-AUTH-V1", 14);
		memcpy(message + 14, r->auth_challenge->genesis_id.data, 32);
		memcpy(message + 46, r->auth_challenge->server_nonce.data, 32);
		memcpy(message + 78, client_nonce, 32);
		memcpy(message + 110, attempt == 0 ? binding_a : binding_b, 32);
		manne__response__free_unpacked(r, NULL);
		crypto_sign_detached(signature, NULL, message, len, board[0].secret_key);
		auth.key = (ProtobufCBinaryData){.len = 32, .data = board[0].public_key};
		auth.client_nonce = (ProtobufCBinaryData){.len = 32, .data = client_nonce};
		auth.signature = (ProtobufCBinaryData){.len = 64, .data = signature};
		request.kind_case = MANNE__REQUEST__KIND_AUTHENTICATE;
		request.authenticate = &auth;
		r = manne_wire_call(&b, &request);
		assert_non_null(r);
		assert_int_equal(r->status, attempt == 2 ? MANNE__STATUS__OK : MANNE__STATUS__BAD_SIGNATURE);
		manne__response__free_unpacked(r, NULL);
	}
	manne_wire_close(&a);
	manne_wire_close(&b);
}

/* A TLS client that pipelines and then sends close_notify still gets every
 * reply; one that resets the connection with replies owed is let go at
 * once, not held. */
static void test_tls_close_with_replies_owed(void **state)
{
	uint8_t expected[TLS_PIN_BYTES];
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest status = MANNE__STATUS_REQUEST__INIT;
	struct manne_wire w;
	uint32_t before = daemon_connections(&d);
	(void)state;

	assert_int_equal(tls_pin_parse(pin, expected), 0);
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &status;
	assert_int_equal(manne_wire_connect(&w, "127.0.0.1", tls_port, 5000), 0);
	assert_int_equal(manne_wire_start_tls(&w, expected), 0);
	for (uint64_t id = 1; id <= 300; id++) {
		request.id = id;
		assert_int_equal(manne_wire_send(&w, &request), 0);
	}
	SSL_shutdown(w.ssl); /* close_notify: we send nothing more */
	for (uint64_t id = 1; id <= 300; id++) {
		Manne__Response *r = manne_wire_receive(&w);
		if (r == NULL)
			fail_msg("reply %llu of 300 lost after close_notify", (unsigned long long)id);
		assert_int_equal(r->id, id);
		manne__response__free_unpacked(r, NULL);
	}
	manne_wire_close(&w);

	/* 3000 reads pipelined and never read, then a reset: let go at once
	 * (not held until a deadline). */
	assert_int_equal(manne_wire_connect(&w, "127.0.0.1", tls_port, 5000), 0);
	assert_int_equal(manne_wire_start_tls(&w, expected), 0);
	for (uint64_t id = 1; id <= 3000; id++) {
		request.id = id;
		if (manne_wire_send(&w, &request) != 0)
			break;
	}
	{
		struct linger hard = {.l_onoff = 1, .l_linger = 0};
		setsockopt(w.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
		SSL_free(w.ssl);
		w.ssl = NULL;
		manne_wire_close(&w); /* RST with replies owed */
	}
	for (int i = 0; i < 200 && daemon_connections(&d) != before; i++)
		usleep(10000);
	assert_int_equal(daemon_connections(&d), before);
}

/* The daemon closes an idle TLS connection without close_notify; the
 * client's next call reconnects (and is not killed by SIGPIPE). */
static void test_tls_idle_closed_then_reused(void **state)
{
	struct manne *m = NULL;
	struct manne_ledger_status st;
	const char *flags[] = {"--tls-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, "--idle-timeout-ms",
			       "300", NULL};
	(void)state;
	assert_int_equal(daemon_stop(&d), 0);
	assert_int_equal(daemon_try_restart(&d, flags), 0);
	read_tls_port();
	EXPECT(m, manne_open_tls("127.0.0.1", tls_port, 5000, pin, &m), MANNE_OK);
	EXPECT(m, manne_status_get(m, &st), MANNE_OK);
	usleep(800000); /* closed by the daemon meanwhile */
	EXPECT(m, manne_status_get(m, &st), MANNE_OK);
	usleep(800000);
	EXPECT(m, manne_authenticate(m, &member), MANNE_OK);
	manne_close(m);
}

/* Plain TCP on an address that is not loopback is refused at start (the
 * daemon exits before binding anything). */
static void test_plain_listener_loopback_only(void **state)
{
	const char *flags[] = {"--listen", "0.0.0.0:0", NULL};
	(void)state;
	assert_int_equal(daemon_stop(&d), 0);
	assert_true(daemon_try_restart(&d, flags) > 0);
	const char *tls_flags[] = {"--tls-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, NULL};
	assert_int_equal(daemon_try_restart(&d, tls_flags), 0);
	read_tls_port();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pay_over_tls),
		cmocka_unit_test(test_wrong_pin),
		cmocka_unit_test(test_plain_client_on_tls_port),
		cmocka_unit_test(test_openssl_versions),
		cmocka_unit_test(test_auth_bound_to_session),
		cmocka_unit_test(test_tls_close_with_replies_owed),
		cmocka_unit_test(test_plain_listener_loopback_only),
		cmocka_unit_test(test_tls_idle_closed_then_reused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
