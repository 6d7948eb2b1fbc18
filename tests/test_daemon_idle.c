/*
 * test_daemon_idle.c: the idle timeout closes silent connections, never one
 * the ledger still owes a reply: a till waiting for a payment by its
 * reference longer than the idle timeout gets its answer, and a connection
 * that owes nothing is closed once idle.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_wait_outlives_idle_timeout(void **state)
{
	const char *const flags[] = {"--idle-timeout-ms", "800", NULL};
	struct daemon d;
	struct manne_wire w;
	struct manne_keypair shop;
	Manne__Response *r;
	uint8_t byte;
	double t0;
	(void)state;

	daemon_start(&d, flags);
	daemon_keypair(&shop);
	daemon_connect(&d, &w);
	daemon_open_account(&d, &w, &shop, MANNE__ROLE__ROLE_SHOP, false, NULL);
	assert_int_equal(daemon_authenticate(&w, &shop), MANNE__STATUS__OK);

	/* 2 s of waiting on a connection that says nothing meanwhile. */
	t0 = now_s();
	r = daemon_read_payment(&w, shop.public_key, "T-42", 2000);
	assert_int_equal(r->status, MANNE__STATUS__NOT_FOUND);
	assert_true(now_s() - t0 >= 1.9);
	manne__response__free_unpacked(r, NULL);

	/* Owing nothing, the connection is closed once idle. */
	struct pollfd p = {.fd = w.fd, .events = POLLIN};
	t0 = now_s();
	assert_int_equal(poll(&p, 1, 3000), 1);
	assert_int_equal(recv(w.fd, &byte, 1, 0), 0);
	assert_true(now_s() - t0 < 3.0);
	manne_wire_close(&w);
	daemon_finish(&d);
	daemon_cleanup(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wait_outlives_idle_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
