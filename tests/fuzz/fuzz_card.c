/*
 * fuzz_card.c: libFuzzer target for the card parser (ledger/keys/card.c,
 * SPEC §10): any bytes a scanner hands a till. Besides "no crash", a card
 * that parses must print back to exactly the bytes it came from (one text
 * per card), and the limits it names must be within the caps: a broken
 * promise aborts, which is how libFuzzer is told. No Argon2id here: the
 * parser is what meets untrusted bytes first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/keys/card.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct card card;
	char text[CARD_TEXT_BYTES + 1];
	enum manne_status status = card_parse((const char *)data, size, &card);

	if (status != MANNE_OK) {
		if (status != MANNE_ERR_CARD_FORMAT && status != MANNE_ERR_CARD_VERSION && status != MANNE_ERR_CARD_LIMITS)
			abort();
		return 0;
	}
	if (card.ops < CARD_OPS_MIN || card.ops > CARD_OPS_MAX || card.mem_log2_kib < CARD_MEM_LOG2_KIB_MIN ||
	    card.mem_log2_kib > CARD_MEM_LOG2_KIB_MAX)
		abort();
	card_format(&card, text);
	if (size != CARD_TEXT_BYTES || memcmp(text, data, size) != 0)
		abort();
	return 0;
}
