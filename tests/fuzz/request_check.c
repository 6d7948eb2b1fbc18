/*
 * request_check.c: see request_check.h. A Request the daemon accepts must:
 *  - name a kind the descriptor knows, or none (dispatch answers that one),
 *    and carry that kind's message: the handlers read it without a check;
 *  - hold every field a handler copies or measures within its bound: a
 *    submission fits a leaf, a payee reference is a C string of at most
 *    PAYEE_REFERENCE_BYTES_MAX bytes (req_payment.c takes its strlen), keys
 *    and txids (a redemptions cursor too) are at most 32 bytes, a sealed card unlock at most its size;
 *  - re-encode to bytes the daemon accepts again, that decode to the same
 *    request (a proxy or a log that re-encodes it changes nothing);
 * and a submission's transaction goes through the strict transaction decoder,
 * as the verifier threads run it, without a crash.
 */
#include "request_check.h"

#include <stdlib.h>
#include <string.h>

#include "ledger/core/tx.h"
#include "ledger/log/ledger_limits.h"
#include "ledger/server/request_decode.h"

/* Two requests decoded at once (the input and its re-encoding), then a transaction. */
static uint8_t scratch[2][REQUEST_ARENA_BYTES];
static uint8_t tx_scratch[TX_ARENA_BYTES(SIGNED_TX_BYTES_MAX)];

static void check_bytes(const ProtobufCBinaryData *b, size_t max)
{
	if (b->len > max || (b->len > 0 && b->data == NULL))
		abort();
}

static void check_kind(const Manne__Request *r)
{
	const ProtobufCFieldDescriptor *f;

	if (r->kind_case == MANNE__REQUEST__KIND__NOT_SET)
		return;
	f = protobuf_c_message_descriptor_get_field(&manne__request__descriptor, (unsigned)r->kind_case);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE || *(void *const *)((const char *)r + f->offset) == NULL)
		abort();
	switch (r->kind_case) {
	case MANNE__REQUEST__KIND_SUBMIT:
		check_bytes(&r->submit->signed_tx, SIGNED_TX_BYTES_MAX);
		break;
	case MANNE__REQUEST__KIND_ACCOUNT:
		check_bytes(&r->account->account, KEY_BYTES);
		break;
	case MANNE__REQUEST__KIND_HISTORY:
		check_bytes(&r->history->account, KEY_BYTES);
		break;
	case MANNE__REQUEST__KIND_TX:
		check_bytes(&r->tx->txid, TXID_BYTES);
		break;
	case MANNE__REQUEST__KIND_PAYMENT_BY_REFERENCE:
		check_bytes(&r->payment_by_reference->payee, KEY_BYTES);
		if (r->payment_by_reference->payee_reference == NULL ||
		    strnlen(r->payment_by_reference->payee_reference, PAYEE_REFERENCE_BYTES_MAX + 1) >
			    PAYEE_REFERENCE_BYTES_MAX)
			abort();
		break;
	case MANNE__REQUEST__KIND_AUTHENTICATE:
		check_bytes(&r->authenticate->key, KEY_BYTES);
		check_bytes(&r->authenticate->client_nonce, 32);
		check_bytes(&r->authenticate->signature, 64);
		break;
	case MANNE__REQUEST__KIND_CARD_UNLOCK:
		check_bytes(&r->card_unlock->account, KEY_BYTES);
		check_bytes(&r->card_unlock->sealed, CARD_UNLOCK_SEALED_BYTES);
		break;
	case MANNE__REQUEST__KIND_REDEMPTIONS:
		check_bytes(&r->redemptions->after_txid, TXID_BYTES);
		break;
	default:
		break; /* only numbers: the handlers bound what they do with them */
	}
}

/* The transaction of a submission, as a verifier thread decodes it. */
static void check_submission(const Manne__Request *r)
{
	struct tx_identity any = {0};
	struct arena arena;
	struct tx tx;

	if (r->kind_case != MANNE__REQUEST__KIND_SUBMIT)
		return;
	arena_init(&arena, tx_scratch, sizeof(tx_scratch));
	(void)!tx_decode(r->submit->signed_tx.data, r->submit->signed_tx.len, &any, &arena, &tx);
}

int request_check(const uint8_t *bytes, size_t len)
{
	struct arena a, b;
	Manne__Request *r, *again;
	uint8_t *packed, *repacked;
	size_t n;

	arena_init(&a, scratch[0], sizeof(scratch[0]));
	if ((r = request_decode(bytes, len, &a)) == NULL)
		return -1;
	check_kind(r);
	n = manne__request__get_packed_size(r);
	packed = malloc(n > 0 ? n : 1);
	repacked = malloc(n > 0 ? n : 1);
	if (packed == NULL || repacked == NULL || manne__request__pack(r, packed) != n)
		abort();
	arena_init(&b, scratch[1], sizeof(scratch[1]));
	again = request_decode(packed, n, &b);
	if (again == NULL || again->id != r->id || again->kind_case != r->kind_case ||
	    manne__request__get_packed_size(again) != n || manne__request__pack(again, repacked) != n ||
	    memcmp(packed, repacked, n) != 0)
		abort();
	free(packed);
	free(repacked);
	check_submission(r);
	return 0;
}
