/*
 * test_daemon_hostile.c: one hostile host against the daemon (SPEC §13),
 * on loopback only. Linux routes all of 127.0.0.0/8 to loopback, so the
 * hostile host binds its sockets to 127.0.0.2 and up, and the tills stay on
 * 127.0.0.1. Each test asserts the bound and that a till is still served
 * within a stated time. Counts and durations are bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "daemon.h"

#define FLOOD 1000U
#define HOSTS 17U               /* 127.0.0.2 .. 127.0.0.18: under the cap of 64 each */
#define SERVED_WITHIN_MS 1000U  /* a till's request, answered */

static struct daemon d;
static int hostile[FLOOD + 64];
static unsigned hostile_count;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A connection from 127.0.0.<host> (blocking connect), or -1. */
static int connect_from(unsigned host, unsigned rcvbuf)
{
	struct sockaddr_in from = {.sin_family = AF_INET}, to = {.sin_family = AF_INET, .sin_port = htons(d.port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	from.sin_addr.s_addr = htonl(0x7f000000U | host);
	to.sin_addr.s_addr = htonl(0x7f000001U);
	if (rcvbuf != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* True once the daemon has closed fd (EOF or reset) within ms. */
static bool closed_within(int fd, unsigned ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t deadline = now_ms() + ms;
	char buf[4096];
	while (now_ms() < deadline) {
		if (poll(&p, 1, (int)(deadline - now_ms())) == 1) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
				return true;
		}
	}
	return false;
}

static void close_hostile(void)
{
	for (unsigned i = 0; i < hostile_count; i++)
		if (hostile[i] >= 0)
			close(hostile[i]);
	hostile_count = 0;
}

/* A till on 127.0.0.1: connect, authenticate as a board key, read the
 * status; asserts it was served within SERVED_WITHIN_MS. */
static void till_served(void)
{
	uint64_t start = now_ms();
	struct manne_wire w;
	Manne__Response *r;

	assert_int_equal(manne_wire_connect(&w, "127.0.0.1", d.port, SERVED_WITHIN_MS), 0);
	assert_int_equal(daemon_authenticate(&w, &d.board[0]), MANNE__STATUS__OK);
	r = daemon_read_status(&w);
	assert_int_equal(r->status, MANNE__STATUS__OK);
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
	print_message("till served in %llu ms\n", (unsigned long long)(now_ms() - start));
	assert_true(now_ms() - start < SERVED_WITHIN_MS);
}

static long rss_anon_kib(void)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)d.pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static int setup(void **state)
{
	static const char *const flags[] = {"--frame-timeout-ms", "2000", "--auth-timeout-ms", "60000", NULL};
	struct rlimit rl;
	(void)state;
	/* The flood needs more descriptors than a shell's soft limit; the
	 * daemon, our child, inherits the raised limit too. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 4096 && (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 4096)) {
		rl.rlim_cur = 4096;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	daemon_start(&d, flags);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close_hostile();
	daemon_finish(&d);
	daemon_cleanup(&d);
	return 0;
}

/* 1,000 idle connections from many addresses: they fill the anonymous
 * share (1024 - 64 kept); later ones get a kept slot on probation and are
 * closed after 2 s unless they authenticate; a till still connects and
 * authenticates. */
static void test_idle_flood(void **state)
{
	unsigned opened = 0;
	(void)state;

	for (unsigned i = 0; i < FLOOD; i++) {
		hostile[hostile_count] = connect_from(2 + i % HOSTS, 0);
		opened += hostile[hostile_count] >= 0;
		hostile_count++;
	}
	assert_int_equal(opened, FLOOD);
	sleep_ms(200);
	assert_int_equal(daemon_connections(&d), FLOOD);
	till_served();
	/* The ones on probation (past 960 anonymous) are closed within ~2 s. */
	sleep_ms(2500);
	assert_int_equal(daemon_connections(&d), 1024 - 64);
	till_served();
	close_hostile();
}

/* 100 connections that send a frame one byte a second: each is closed by
 * the frame deadline (2 s here), and a till is served meanwhile. */
static void test_slow_loris(void **state)
{
	const uint8_t frame[] = {0, 0, 0, 8, 8, 1, 0x52, 0, 0, 0, 0, 0};
	uint64_t start = now_ms();
	unsigned closed = 0;
	(void)state;

	for (unsigned i = 0; i < 100; i++)
		hostile[hostile_count++] = connect_from(20 + i % 4, 0);
	for (unsigned second = 0; second < 4 && closed < 100; second++) {
		for (unsigned i = 0; i < 100; i++)
			if (hostile[i] >= 0 && send(hostile[i], frame + second, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				close(hostile[i]);
				hostile[i] = -1;
				closed++;
			}
		if (second == 1)
			till_served();
		sleep_ms(1000);
	}
	for (unsigned i = 0; i < 100; i++)
		if (hostile[i] >= 0 && closed_within(hostile[i], 1000))
			closed++;
	print_message("slow loris: %u of 100 closed in %llu ms\n", closed, (unsigned long long)(now_ms() - start));
	assert_int_equal(closed, 100);
	close_hostile();
	till_served();
}

/* One address over its cap (64): the 65th and later are closed at accept. */
static void test_address_cap(void **state)
{
	unsigned accepted = 0;
	(void)state;

	for (unsigned i = 0; i < 70; i++)
		hostile[hostile_count++] = connect_from(30, 0);
	for (unsigned i = 0; i < 70; i++)
		accepted += hostile[i] >= 0 && !closed_within(hostile[i], 200);
	assert_int_equal(accepted, 64);
	till_served();
	close_hostile();
}

/* 1,000 unauthenticated clients pipeline checkpoint reads and never read
 * the replies: each holds at most 64 KiB of replies, all together at most
 * reply-bytes-max; the daemon's anonymous memory stays under 200 MiB and a
 * till is served. */
static void test_readers_that_never_read(void **state)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__CheckpointRequest checkpoint = MANNE__CHECKPOINT_REQUEST__INIT;
	uint8_t frame[32], burst[64 * 32];
	size_t frame_len, burst_len = 0;
	long before = rss_anon_kib(), after;
	uint64_t start;
	(void)state;

	request.id = 1;
	request.kind_case = MANNE__REQUEST__KIND_CHECKPOINT;
	request.checkpoint = &checkpoint;
	frame_len = manne__request__get_packed_size(&request);
	assert_true(frame_len + 4 <= sizeof(frame));
	frame[0] = frame[1] = frame[2] = 0;
	frame[3] = (uint8_t)frame_len;
	manne__request__pack(&request, frame + 4);
	frame_len += 4;
	while (burst_len + frame_len <= sizeof(burst)) {
		memcpy(burst + burst_len, frame, frame_len);
		burst_len += frame_len;
	}
	for (unsigned i = 0; i < FLOOD; i++) {
		hostile[hostile_count] = connect_from(40 + i % HOSTS, 4096);
		assert_true(hostile[hostile_count] >= 0);
		fcntl(hostile[hostile_count], F_SETFL, O_NONBLOCK);
		hostile_count++;
	}
	start = now_ms();
	while (now_ms() - start < 3000)
		for (unsigned i = 0; i < hostile_count; i++)
			(void)send(hostile[i], burst, burst_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	after = rss_anon_kib();
	print_message("RssAnon: %ld KiB before, %ld KiB with %u clients that never read\n", before, after, FLOOD);
	assert_true(after - before < 200 * 1024);
	till_served();
	close_hostile();
}

/* A client that half-closes after pipelining still gets every reply. */
static void test_replies_after_half_close(void **state)
{
	struct manne_wire w;
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest status = MANNE__STATUS_REQUEST__INIT;
	(void)state;

	daemon_connect(&d, &w);
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &status;
	for (uint64_t id = 1; id <= 20; id++) {
		request.id = id;
		assert_int_equal(manne_wire_send(&w, &request), 0);
	}
	assert_int_equal(shutdown(w.fd, SHUT_WR), 0);
	for (uint64_t id = 1; id <= 20; id++) {
		Manne__Response *r = manne_wire_receive(&w);
		assert_non_null(r);
		assert_int_equal(r->id, id);
		assert_int_equal(r->status, MANNE__STATUS__OK);
		manne__response__free_unpacked(r, NULL);
	}
	assert_null(manne_wire_receive(&w)); /* then it closes */
	manne_wire_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies_after_half_close),
		cmocka_unit_test(test_address_cap),
		cmocka_unit_test(test_slow_loris),
		cmocka_unit_test(test_idle_flood),
		cmocka_unit_test(test_readers_that_never_read),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
