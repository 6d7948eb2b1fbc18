/*
 * test_daemon_frames.c: bad bytes on the socket and what becomes of the
 * connection (SPEC §6, §8). A frame of length 0 or over --frame-max gets one
 * MALFORMED reply with id 0, then the connection ends. A frame that is not a
 * strictly valid Request gets MALFORMED and the connection goes on. A
 * truncated frame followed by silence ends at the idle timeout. A request
 * sent one byte at a time is answered. Past --connections-max, new
 * connections are closed at once and the others keep working. Throughout,
 * other connections are served.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "daemon.h"

static struct daemon d;
static struct manne_wire witness; /* one connection that lives through every case */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void start(const char *const *flags)
{
	daemon_start(&d, flags);
	daemon_connect(&d, &witness);
}

static int setup_frames(void **state)
{
	static const char *const flags[] = {"--frame-max", "2048", NULL};
	(void)state;
	start(flags);
	return 0;
}

static int setup_idle(void **state)
{
	static const char *const flags[] = {"--idle-timeout-ms", "300", NULL};
	(void)state;
	daemon_start(&d, flags);
	witness.fd = -1;
	return 0;
}

static int setup_connections(void **state)
{
	static const char *const flags[] = {"--connections-max", "4", NULL};
	(void)state;
	daemon_start(&d, flags);
	witness.fd = -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	manne_wire_close(&witness);
	daemon_finish(&d);
	daemon_cleanup(&d);
	return 0;
}

static void send_raw(struct manne_wire *w, const uint8_t *bytes, size_t len)
{
	assert_int_equal(manne_wire_send_raw(w, bytes, len), 0);
}

/* bytes with a 4-byte big-endian length before them, appended to out. */
static size_t frame(uint8_t *out, const uint8_t *bytes, size_t len)
{
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, bytes, len);
	return 4 + len;
}

static size_t status_request(uint8_t *out, uint64_t id)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest st = MANNE__STATUS_REQUEST__INIT;
	uint8_t packed[64];
	size_t len;
	request.id = id;
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &st;
	len = manne__request__get_packed_size(&request);
	assert_true(len <= sizeof(packed));
	manne__request__pack(&request, packed);
	return frame(out, packed, len);
}

static void expect_reply(struct manne_wire *w, uint64_t id, int status)
{
	Manne__Response *r = manne_wire_receive(w);
	if (r == NULL)
		fail_msg("no reply (expected id %llu status %d)", (unsigned long long)id, status);
	assert_int_equal(r->id, id);
	if ((int)r->status != status)
		fail_msg("id %llu: expected status %d, got %d (%s)", (unsigned long long)id, status, r->status,
			 r->message);
	if (status == MANNE__STATUS__OK)
		assert_int_equal(r->kind_case, MANNE__RESPONSE__KIND_STATUS_INFO);
	manne__response__free_unpacked(r, NULL);
}

static void expect_status_ok(struct manne_wire *w, uint64_t id)
{
	uint8_t buf[64];
	send_raw(w, buf, status_request(buf, id));
	expect_reply(w, id, MANNE__STATUS__OK);
}

/* The peer closed: recv gives 0 (or a reset) within timeout_ms. */
static void expect_closed(struct manne_wire *w, unsigned timeout_ms)
{
	struct pollfd p = {.fd = w->fd, .events = POLLIN};
	uint8_t byte;
	ssize_t n;
	int rc = poll(&p, 1, (int)timeout_ms);
	if (rc != 1)
		fail_msg("the connection is still open after %u ms", timeout_ms);
	n = recv(w->fd, &byte, 1, 0);
	if (!(n == 0 || (n < 0 && errno == ECONNRESET)))
		fail_msg("expected the connection closed, recv gave %zd (errno %d)", n, n < 0 ? errno : 0);
}

/* Other connections are served: the witness, and a new one. */
static void expect_serving(void)
{
	struct manne_wire w;
	static uint64_t id = 5000;
	if (witness.fd >= 0)
		expect_status_ok(&witness, ++id);
	daemon_connect(&d, &w);
	expect_status_ok(&w, ++id);
	manne_wire_close(&w);
}

static void test_length_zero(void **state)
{
	static const uint8_t zero[4] = {0, 0, 0, 0};
	struct manne_wire w;
	(void)state;

	daemon_connect(&d, &w);
	expect_status_ok(&w, 1);
	send_raw(&w, zero, sizeof(zero));
	expect_reply(&w, 0, MANNE__STATUS__MALFORMED);
	expect_closed(&w, 5000);
	/* Garbage after the close is harmless (the send may fail: the peer is gone). */
	{
		static const uint8_t junk[] = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9, 1, 2, 3};
		ssize_t n = send(w.fd, junk, sizeof(junk), MSG_NOSIGNAL);
		(void)n;
		sleep_ms(20);
		n = send(w.fd, junk, sizeof(junk), MSG_NOSIGNAL);
		(void)n;
	}
	manne_wire_close(&w);
	expect_serving();
}

static void test_length_over_maximum(void **state)
{
	struct manne_wire w;
	uint8_t prefix[4] = {0, 0, 0x08, 0x01}; /* 2049 > --frame-max 2048 */
	(void)state;

	daemon_connect(&d, &w);
	send_raw(&w, prefix, sizeof(prefix));
	expect_reply(&w, 0, MANNE__STATUS__MALFORMED);
	expect_closed(&w, 5000);
	manne_wire_close(&w);
	expect_serving();

	/* A huge length: the same. */
	daemon_connect(&d, &w);
	prefix[0] = 0xff;
	send_raw(&w, prefix, sizeof(prefix));
	expect_reply(&w, 0, MANNE__STATUS__MALFORMED);
	expect_closed(&w, 5000);
	manne_wire_close(&w);
	expect_serving();

	/* Exactly the maximum is a frame: a submission of 2048 bytes whose
	 * transaction is garbage is MALFORMED, and the connection goes on. */
	{
		Manne__Request request = MANNE__REQUEST__INIT;
		Manne__SubmitRequest submit = MANNE__SUBMIT_REQUEST__INIT;
		static uint8_t junk[2048], packed[2048], out[2052];
		size_t n = 2048 - 9, len;
		memset(junk, 0x5a, sizeof(junk));
		for (;;) {
			submit.signed_tx = (ProtobufCBinaryData){.len = n, .data = junk};
			request.id = 77;
			request.kind_case = MANNE__REQUEST__KIND_SUBMIT;
			request.submit = &submit;
			len = manne__request__get_packed_size(&request);
			if (len <= 2048)
				break;
			n--;
		}
		while (len < 2048) { /* grow to the exact size */
			submit.signed_tx.len = ++n;
			len = manne__request__get_packed_size(&request);
		}
		assert_int_equal(len, 2048);
		manne__request__pack(&request, packed);
		daemon_connect(&d, &w);
		send_raw(&w, out, frame(out, packed, len));
		expect_reply(&w, 77, MANNE__STATUS__MALFORMED);
		expect_status_ok(&w, 78);
		manne_wire_close(&w);
	}
	expect_serving();
}

static void test_bad_requests_keep_connection(void **state)
{
	struct manne_wire w;
	uint8_t buf[256];
	size_t n;
	(void)state;

	daemon_connect(&d, &w);
	/* Random bytes: not a Request. */
	{
		uint8_t junk[40];
		for (int round = 0; round < 20; round++) {
			randombytes_buf(junk, sizeof(junk));
			junk[0] = 0xff; /* field 31, wire type 7: never valid */
			send_raw(&w, buf, frame(buf, junk, sizeof(junk)));
			expect_reply(&w, 0, MANNE__STATUS__MALFORMED);
		}
		expect_status_ok(&w, 1);
	}
	/* A Request with an unknown field (99): strictly refused. */
	{
		static const uint8_t unknown[] = {0x08, 0x07, 0x98, 0x06, 0x01};
		send_raw(&w, buf, frame(buf, unknown, sizeof(unknown)));
		expect_reply(&w, 0, MANNE__STATUS__MALFORMED);
		expect_status_ok(&w, 2);
	}
	/* A Request with an id and no kind: MALFORMED, with its id. */
	{
		static const uint8_t no_kind[] = {0x08, 0x09};
		send_raw(&w, buf, frame(buf, no_kind, sizeof(no_kind)));
		expect_reply(&w, 9, MANNE__STATUS__MALFORMED);
		expect_status_ok(&w, 3);
	}
	/* The id given twice (a singular field repeated). */
	{
		static const uint8_t twice[] = {0x08, 0x01, 0x08, 0x02, 0xca, 0x01, 0x00};
		send_raw(&w, buf, frame(buf, twice, sizeof(twice)));
		expect_reply(&w, 0, MANNE__STATUS__MALFORMED);
		expect_status_ok(&w, 4);
	}
	/* A submission with an empty transaction, and one with garbage. */
	{
		static const uint8_t empty_submit[] = {0x08, 0x0a, 0x82, 0x01, 0x00};
		static const uint8_t junk_submit[] = {0x08, 0x0b, 0x82, 0x01, 0x04, 0x0a, 0x02, 0xff, 0xff};
		send_raw(&w, buf, frame(buf, empty_submit, sizeof(empty_submit)));
		expect_reply(&w, 10, MANNE__STATUS__MALFORMED);
		send_raw(&w, buf, frame(buf, junk_submit, sizeof(junk_submit)));
		expect_reply(&w, 11, MANNE__STATUS__MALFORMED);
		expect_status_ok(&w, 5);
	}
	/* A truncated Request inside a complete frame. */
	{
		static const uint8_t cut[] = {0x08, 0x0c, 0xca, 0x01, 0x05, 0x00};
		send_raw(&w, buf, frame(buf, cut, sizeof(cut)));
		expect_reply(&w, 0, MANNE__STATUS__MALFORMED);
		expect_status_ok(&w, 6);
	}
	/* Pipelined in one write: good, bad, good: answered in order. */
	{
		static const uint8_t junk[] = {0xff, 0xff, 0xff};
		n = status_request(buf, 100);
		n += frame(buf + n, junk, sizeof(junk));
		n += status_request(buf + n, 101);
		send_raw(&w, buf, n);
		expect_reply(&w, 100, MANNE__STATUS__OK);
		expect_reply(&w, 0, MANNE__STATUS__MALFORMED);
		expect_reply(&w, 101, MANNE__STATUS__OK);
	}
	manne_wire_close(&w);
	expect_serving();
}

static void test_split_byte_by_byte(void **state)
{
	struct manne_wire w;
	uint8_t buf[128];
	size_t n;
	(void)state;

	daemon_connect(&d, &w);
	/* Two requests, one byte per write. */
	n = status_request(buf, 42);
	n += status_request(buf + n, 43);
	for (size_t i = 0; i < n; i++) {
		send_raw(&w, buf + i, 1);
		sleep_ms(2);
		if (i == n / 2)
			expect_serving(); /* others are served meanwhile */
	}
	expect_reply(&w, 42, MANNE__STATUS__OK);
	expect_reply(&w, 43, MANNE__STATUS__OK);
	manne_wire_close(&w);
	expect_serving();
}

static void test_broken_frame_after_good_ones(void **state)
{
	struct manne_wire w;
	uint8_t buf[128];
	size_t n;
	(void)state;

	/* Good requests, then a length-0 frame: the good ones are answered
	 * first, in order, then the error, then the end. */
	daemon_connect(&d, &w);
	n = status_request(buf, 1);
	n += status_request(buf + n, 2);
	memset(buf + n, 0, 4);
	n += 4;
	send_raw(&w, buf, n);
	expect_reply(&w, 1, MANNE__STATUS__OK);
	expect_reply(&w, 2, MANNE__STATUS__OK);
	expect_reply(&w, 0, MANNE__STATUS__MALFORMED);
	expect_closed(&w, 5000);
	manne_wire_close(&w);
	expect_serving();

	/* A broken frame with garbage behind it in the same write: whatever the
	 * client sees (the error, or a reset), the daemon carries on. */
	daemon_connect(&d, &w);
	memset(buf, 0, 4);
	randombytes_buf(buf + 4, 60);
	send_raw(&w, buf, 64);
	{
		Manne__Response *r = manne_wire_receive(&w);
		if (r != NULL) {
			assert_int_equal(r->status, MANNE__STATUS__MALFORMED);
			assert_int_equal(r->id, 0);
			manne__response__free_unpacked(r, NULL);
		}
	}
	manne_wire_close(&w);
	expect_serving();
}

static void test_idle_timeout(void **state)
{
	struct manne_wire w, silent;
	uint8_t buf[64];
	uint64_t started;
	(void)state;

	/* A frame cut short, then silence: closed at the idle timeout. */
	daemon_connect(&d, &w);
	daemon_connect(&d, &silent);
	expect_status_ok(&w, 1);
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = 0;
	buf[3] = 100;
	memset(buf + 4, 0x08, 10);
	started = now_ms();
	send_raw(&w, buf, 14);
	expect_closed(&w, 5000);
	assert_true(now_ms() - started >= 250);
	manne_wire_close(&w);
	/* A connection that never says anything: the same. */
	expect_closed(&silent, 5000);
	manne_wire_close(&silent);
	expect_serving();

	/* A connection that keeps talking is not idle. */
	daemon_connect(&d, &w);
	for (int i = 0; i < 8; i++) {
		expect_status_ok(&w, 10 + (uint64_t)i);
		sleep_ms(100);
	}
	manne_wire_close(&w);
	expect_serving();
}

static uint64_t connections_now(void)
{
	struct manne_wire w;
	Manne__Response *r;
	uint64_t n;
	daemon_connect(&d, &w);
	r = daemon_read_status(&w);
	n = r->status_info->connections;
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
	return n;
}

static void test_connections_max(void **state)
{
	struct manne_wire c[4], extra;
	(void)state;

	/* Wait until the daemon has seen daemon_start's connection go. */
	for (int i = 0; i < 200 && connections_now() != 1; i++)
		sleep_ms(10);
	assert_int_equal(connections_now(), 1);
	sleep_ms(100); /* ...and the one that asked */
	for (int i = 0; i < 4; i++) {
		daemon_connect(&d, &c[i]);
		expect_status_ok(&c[i], 1);
	}
	/* A fifth: closed at once, with no reply. */
	for (int round = 0; round < 3; round++) {
		daemon_connect(&d, &extra);
		expect_closed(&extra, 5000);
		manne_wire_close(&extra);
	}
	/* The four keep working. */
	for (int i = 0; i < 4; i++) {
		Manne__Response *r = daemon_read_status(&c[i]);
		assert_int_equal(r->status_info->connections, 4);
		manne__response__free_unpacked(r, NULL);
	}
	/* One goes: there is room again. */
	manne_wire_close(&c[3]);
	{
		bool served = false;
		for (int i = 0; i < 200 && !served; i++) {
			struct manne_wire w;
			uint8_t buf[64];
			daemon_connect(&d, &w);
			send_raw(&w, buf, status_request(buf, 9));
			Manne__Response *r = manne_wire_receive(&w);
			if (r != NULL) {
				assert_int_equal(r->id, 9);
				assert_int_equal(r->status, MANNE__STATUS__OK);
				manne__response__free_unpacked(r, NULL);
				served = true;
			}
			manne_wire_close(&w);
			if (!served)
				sleep_ms(10);
		}
		assert_true(served);
	}
	for (int i = 0; i < 3; i++) {
		expect_status_ok(&c[i], 2);
		manne_wire_close(&c[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_length_zero, setup_frames, teardown),
		cmocka_unit_test_setup_teardown(test_length_over_maximum, setup_frames, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_keep_connection, setup_frames, teardown),
		cmocka_unit_test_setup_teardown(test_split_byte_by_byte, setup_frames, teardown),
		cmocka_unit_test_setup_teardown(test_broken_frame_after_good_ones, setup_frames, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup_idle, teardown),
		cmocka_unit_test_setup_teardown(test_connections_max, setup_connections, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
