/*
 * fuzz_request.c: libFuzzer target for a Request as the daemon decodes it
 * from a frame (ledger/server/request_decode.c, SPEC §6), every kind: see
 * request_check.c for what an accepted request is held to.
 */
#include <stdint.h>

#include "ledger/server/request_decode.h"
#include "request_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size <= FRAME_BYTES_MAX_CEILING)
		(void)request_check(data, size);
	return 0;
}
