/*
 * card_unlock.c: the writer's side of a card unlock (SPEC §10,
 * docs/cards.md; req_card_unlock.c is the request's). The writer opens it,
 * compares the PIN proof with the card's sealed PIN check, and counts a
 * wrong PIN in the batch it commits, so that the answer leaves only once
 * the count is durable. The fifth wrong PIN in a row locks the card until a
 * board act (set_card CARD_UNLOCK) starts a new generation.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "server.h"
#include "ledger/keys/card.h"

struct card_job {
	uint8_t account[32];
	uint8_t till[32];            /* the key proved on the connection */
	uint8_t sealed[CARD_UNLOCK_SEALED_BYTES];
	/* The outcome. */
	const char *message;
	uint32_t tries_left;
	uint8_t nonce[CARD_REPLY_NONCE_BYTES];
	uint8_t box[CARD_REPLY_BOX_BYTES];
};

size_t card_job_size(void)
{
	return sizeof(struct card_job);
}

struct card_job *card_job_new(const uint8_t account[32], const uint8_t till[32], const uint8_t *sealed)
{
	struct card_job *job = calloc(1, sizeof(*job));
	if (job == NULL)
		return NULL;
	memcpy(job->account, account, 32);
	memcpy(job->till, till, 32);
	memcpy(job->sealed, sealed, CARD_UNLOCK_SEALED_BYTES);
	return job;
}

static enum manne_status refuse(struct card_job *job, enum manne_status status, const char *message)
{
	job->message = message;
	return status;
}

/* Wrong PINs of the card's current generation. */
static int tries_now(struct store_txn *txn, const uint8_t account[32], const struct card_record *card,
		     struct card_tries *out)
{
	int rc = store_card_tries_get(txn, account, out);
	if (rc == STORE_NOT_FOUND || (rc == STORE_OK && out->generation != card->generation)) {
		memset(out, 0, sizeof(*out));
		out->generation = card->generation;
		return STORE_OK;
	}
	return rc;
}

static enum manne_status compare(struct server *s, struct store_txn *txn, struct card_job *job,
				 const struct card_record *card, struct card_tries *tries, uint64_t now_ms,
				 const uint8_t proof[CARD_PIN_PROOF_BYTES], const uint8_t reply_key[32])
{
	uint8_t account[32], expected[CARD_PIN_PROOF_BYTES], secret[CARD_SECRET_BYTES];
	int rc;

	if (card_pin_check_open(card->pin_check, s->card_public, s->card_secret, account, expected, secret) != 0 ||
	    memcmp(account, job->account, 32) != 0)
		return refuse(job, MANNE_ERR_INTERNAL,
			      "this ledger's card key does not open the card's PIN check (restored without its keys?)");
	if (sodium_memcmp(proof, expected, CARD_PIN_PROOF_BYTES) == 0) {
		card_reply_seal(secret, reply_key, job->nonce, job->box);
		sodium_memzero(secret, sizeof(secret));
		job->tries_left = CARD_WRONG_PINS_MAX;
		if (tries->wrong == 0)
			return MANNE_OK;
		tries->wrong = 0;
		rc = store_card_tries_put(txn, job->account, tries);
		return rc == STORE_OK ? MANNE_OK : refuse(job, rc == STORE_FULL ? MANNE_ERR_STORAGE_FULL : MANNE_ERR_INTERNAL, NULL);
	}
	sodium_memzero(secret, sizeof(secret));
	tries->wrong++;
	tries->last_wrong_ms = now_ms;
	job->tries_left = CARD_WRONG_PINS_MAX - tries->wrong;
	rc = store_card_tries_put(txn, job->account, tries);
	if (rc != STORE_OK)
		return refuse(job, rc == STORE_FULL ? MANNE_ERR_STORAGE_FULL : MANNE_ERR_INTERNAL, NULL);
	if (tries->wrong >= CARD_WRONG_PINS_MAX)
		return refuse(job, MANNE_ERR_CARD_LOCKED, "wrong PIN: the card is now locked until the board unlocks it");
	return refuse(job, MANNE_ERR_WRONG_PIN, "wrong PIN");
}

enum manne_status card_unlock_apply(struct server *s, struct store_txn *txn, struct card_job *job, uint64_t now_ms)
{
	uint8_t account[32], till[32], proof[CARD_PIN_PROOF_BYTES], reply_key[32];
	struct card_record card;
	struct card_tries tries;
	struct account a;
	enum manne_status status;
	int rc;

	if (card_unlock_open(job->sealed, s->card_public, s->card_secret, account, till, proof, reply_key) != 0)
		return refuse(job, MANNE_ERR_MALFORMED, "the unlock request is not sealed to this ledger's card key");
	if (memcmp(account, job->account, 32) != 0 || memcmp(till, job->till, 32) != 0) {
		status = refuse(job, MANNE_ERR_MALFORMED, "the sealed request is for another card or another till");
		goto done;
	}
	rc = store_account_get(txn, job->account, &a);
	if (rc == STORE_OK && a.card_held)
		rc = store_card_get(txn, job->account, &card);
	else if (rc == STORE_OK)
		rc = STORE_NOT_FOUND;
	if (rc != STORE_OK) {
		status = rc == STORE_NOT_FOUND ? refuse(job, MANNE_ERR_NOT_FOUND, "no card is registered for this account")
					       : refuse(job, MANNE_ERR_INTERNAL, NULL);
		goto done;
	}
	if (a.state != ACCOUNT_ACTIVE) {
		status = refuse(job, MANNE_ERR_NOT_ACTIVE, "the card's account is frozen or closed");
		goto done;
	}
	if (tries_now(txn, job->account, &card, &tries) != STORE_OK) {
		status = refuse(job, MANNE_ERR_INTERNAL, NULL);
		goto done;
	}
	if (tries.wrong >= CARD_WRONG_PINS_MAX) {
		status = refuse(job, MANNE_ERR_CARD_LOCKED, "the card is locked after too many wrong PINs: the board unlocks it");
		goto done;
	}
	if (tries.wrong > 0 && now_ms >= tries.last_wrong_ms && now_ms - tries.last_wrong_ms < CARD_TRY_INTERVAL_MS) {
		job->tries_left = CARD_WRONG_PINS_MAX - tries.wrong;
		status = refuse(job, MANNE_ERR_TOO_MANY_TRIES, "a wrong PIN was just tried on this card: try again in a second");
		goto done;
	}
	status = compare(s, txn, job, &card, &tries, now_ms, proof, reply_key);
done:
	sodium_memzero(proof, sizeof(proof));
	sodium_memzero(reply_key, sizeof(reply_key));
	return status;
}

void card_unlock_reply(struct slot *slot, enum manne_status status, const struct card_job *job)
{
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__CardUnlockResult result = MANNE__CARD_UNLOCK_RESULT__INIT;

	response.status = (Manne__Status)status;
	response.message = (char *)(job->message != NULL ? job->message : manne_status_message(status));
	if (status == MANNE_OK || status == MANNE_ERR_WRONG_PIN || status == MANNE_ERR_CARD_LOCKED ||
	    status == MANNE_ERR_TOO_MANY_TRIES) {
		result.tries_left = status == MANNE_ERR_CARD_LOCKED ? 0 : job->tries_left;
		if (status == MANNE_OK) {
			result.nonce = (ProtobufCBinaryData){.len = sizeof(job->nonce), .data = (uint8_t *)job->nonce};
			result.secret_box = (ProtobufCBinaryData){.len = sizeof(job->box), .data = (uint8_t *)job->box};
		}
		response.kind_case = MANNE__RESPONSE__KIND_CARD_UNLOCK;
		response.card_unlock = &result;
	}
	slot_reply(slot, &response);
}

