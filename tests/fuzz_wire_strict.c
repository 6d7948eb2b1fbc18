/*
 * fuzz_wire_strict.c: libFuzzer entry point for the strict decoder.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined it runs alone;
 * test_wire_strict links it and feeds it mutations so that it keeps building
 * and keeps passing between fuzzing campaigns.
 *
 * Besides "no crash", it holds the checker to its promise: bytes that
 * wire_strict_check accepts must decode with protobuf-c, and what they decode
 * to must re-encode into bytes that are accepted again. A broken promise
 * aborts, which is how libFuzzer is told.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ledger/log/ledger_limits.h"
#include "manne.pb-c.h"
#include "ledger/core/wire_strict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keys, txids and nonces are 32 bytes or less, signatures 64. */
#define FUZZ_DEFAULT_MAX 64U

static const struct wire_limit fuzz_limits[] = {
	{ &manne__signed_tx__descriptor, 1, SIGNED_TX_BYTES_MAX },
	{ &manne__tx_body__descriptor, 1, ORIGIN_BYTES_MAX },
	{ &manne__open_account__descriptor, 6, ACCOUNT_REFERENCE_BYTES_MAX },
	{ &manne__fund_reserve__descriptor, 2, REFERENCE_BYTES_MAX },
	{ &manne__release_reserve__descriptor, 2, REFERENCE_BYTES_MAX },
	{ &manne__issue__descriptor, 4, PROGRAMME_BYTES_MAX },
	{ &manne__issue__descriptor, 5, REFERENCE_BYTES_MAX },
	{ &manne__reverse_issue__descriptor, 3, REFERENCE_BYTES_MAX },
	{ &manne__retire_dormant__descriptor, 2, REFERENCE_BYTES_MAX },
	{ &manne__pay__descriptor, 3, MEMO_BYTES_MAX },
	{ &manne__pay__descriptor, 4, PAYEE_REFERENCE_BYTES_MAX },
	{ &manne__refund__descriptor, 3, MEMO_BYTES_MAX },
	{ &manne__settle_redemption__descriptor, 3, REFERENCE_BYTES_MAX },
};

static const struct wire_rules fuzz_rules = {
	.limits = fuzz_limits,
	.limit_count = sizeof(fuzz_limits) / sizeof(fuzz_limits[0]),
	.default_max = FUZZ_DEFAULT_MAX,
	.depth_max = WIRE_DEPTH_MAX,
};

/*
 * protobuf-c's bookkeeping for a maximal input (one 32-byte scan record plus
 * one array slot per repeated element, 16-byte aligned) stays under 8 MiB;
 * two halves: the signed body is decoded while its envelope is still alive.
 */
#define FUZZ_ARENA_HALF ((size_t)8 << 20)
static uint8_t fuzz_arena[2 * FUZZ_ARENA_HALF] __attribute__((aligned(16)));

static void decode(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size,
		   uint8_t *mem, size_t mem_size)
{
	struct arena a;
	ProtobufCAllocator alloc;
	ProtobufCMessage *msg;
	uint8_t *again;
	size_t n;

	if (wire_strict_check(desc, data, size, &fuzz_rules) != 0)
		return;

	arena_init(&a, mem, mem_size);
	alloc = arena_allocator(&a);
	msg = protobuf_c_message_unpack(desc, &alloc, size, data);
	if (msg == NULL)
		abort();

	n = protobuf_c_message_get_packed_size(msg);
	again = alloc.alloc(alloc.allocator_data, n);
	if (again == NULL || protobuf_c_message_pack(msg, again) != n ||
	    wire_strict_check(desc, again, n, &fuzz_rules) != 0)
		abort();

	if (desc == &manne__signed_tx__descriptor) {
		const Manne__SignedTx *tx = (const Manne__SignedTx *)msg;

		decode(&manne__tx_body__descriptor, tx->body.data, tx->body.len,
		       fuzz_arena + FUZZ_ARENA_HALF, FUZZ_ARENA_HALF);
	}
	protobuf_c_message_free_unpacked(msg, &alloc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The ledger refuses anything longer before it decodes. */
	if (size > SIGNED_TX_BYTES_MAX)
		return 0;
	decode(&manne__tx_body__descriptor, data, size, fuzz_arena, FUZZ_ARENA_HALF);
	decode(&manne__signed_tx__descriptor, data, size, fuzz_arena, FUZZ_ARENA_HALF);
	return 0;
}
