/*
 * client_util.h: what the tests that drive the daemon through libmanne
 * share: an expectation on a status that prints the library's message, a
 * libmanne key from a harness key pair, and a short sleep.
 */
#ifndef MANNE_TEST_CLIENT_UTIL_H
#define MANNE_TEST_CLIENT_UTIL_H

#include <string.h>
#include <time.h>

#include "ledger/keys/keyfile.h"
#include "manne.h"

#define EXPECT(m, call, want)                                                                              \
	do {                                                                                               \
		enum manne_status got_ = (call);                                                           \
		if (got_ != (want))                                                                        \
			fail_msg("%s: got %s (%s), want %s", #call, manne_status_name(got_), manne_message(m), \
				 manne_status_name(want));                                                 \
	} while (0)

static inline void key_of(const struct manne_keypair *kp, struct manne_key *out)
{
	memcpy(out->public_key, kp->public_key, 32);
	memcpy(out->secret_key, kp->secret_key, 64);
}

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

#endif
