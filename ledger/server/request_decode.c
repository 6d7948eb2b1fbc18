/*
 * request_decode.c: see request_decode.h. A string or bytes field not in
 * the table is a key, a txid or a nonce: 32 bytes at most.
 */
#include "request_decode.h"

#include <sodium.h>

#include "ledger/log/ledger_limits.h"

static const struct wire_limit request_limits[] = {
	{&manne__submit_request__descriptor, 1, SIGNED_TX_BYTES_MAX},
	{&manne__payment_by_reference_request__descriptor, 2, PAYEE_REFERENCE_BYTES_MAX},
	{&manne__authenticate_request__descriptor, 3, crypto_sign_BYTES},
	{&manne__card_unlock_request__descriptor, 2, CARD_UNLOCK_SEALED_BYTES},
};

static const struct wire_rules request_rules = {
	.limits = request_limits,
	.limit_count = sizeof(request_limits) / sizeof(request_limits[0]),
	.default_max = 32,
	.depth_max = 3,
};

Manne__Request *request_decode(const uint8_t *frame, size_t len, struct arena *arena)
{
	ProtobufCAllocator allocator = arena_allocator(arena);
	if (wire_strict_check(&manne__request__descriptor, frame, len, &request_rules) != 0)
		return NULL;
	return manne__request__unpack(&allocator, len, frame);
}
