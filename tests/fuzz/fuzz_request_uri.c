/*
 * fuzz_request_uri.c: libFuzzer target for payment requests (SPEC §11):
 * the manne: URI a wallet scans from a checkout page. Parsing never
 * crashes, and a request it accepts formats back to a URI that parses to
 * the same request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manne.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[2048], again[MANNE_REQUEST_URI_BYTES];
	struct manne_payment_request r, back;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (manne_request_parse(text, &r) != MANNE_OK)
		return 0;
	if (manne_request_format(&r, again, sizeof(again)) != MANNE_OK || manne_request_parse(again, &back) != MANNE_OK ||
	    memcmp(&r, &back, sizeof(r)) != 0)
		abort();
	return 0;
}
