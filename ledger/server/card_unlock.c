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

/* Who tried which card: the first eight hex digits of both keys (the short
 * ids the association files), so that a till that tries cards it never saw
 * can be found. No PIN, no proof. */
static void log_try(const char *event, const struct card_job *job, uint32_t tries_left)
{
	log_line("warn", event, "till=%02x%02x%02x%02x card=%02x%02x%02x%02x tries_left=%u", job->till[0], job->till[1],
		 job->till[2], job->till[3], job->account[0], job->account[1], job->account[2], job->account[3],
		 tries_left);
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

static bool is_till(const struct account *a)
{
	return a->state == ACCOUNT_ACTIVE &&
	       (a->role == ROLE_SHOP || a->role == ROLE_PRODUCER || a->role == ROLE_COUNTER);
}

/* The PIN proof against the card's check. Every try that gets this far
 * writes the count, right or wrong, so that no answer depends on a write
 * only one of them makes (a full store answers both the same way). */
static enum manne_status compare(struct server *s, struct store_txn *txn, struct card_job *job,
				 const struct card_record *card, struct card_tries *tries, uint64_t now_ms,
				 const struct card_unlock *request, bool *wrote)
{
	struct card_check check;
	enum manne_status status;
	int rc;

	if (card_pin_check_open(card->pin_check, s->card_public, s->card_secret, &check) != 0 ||
	    memcmp(check.account, job->account, 32) != 0) {
		sodium_memzero(&check, sizeof(check));
		return refuse(job, MANNE_ERR_INTERNAL,
			      "this ledger's card key does not open the card's PIN check (another card key?)");
	}
	/* Only the card gives its tag: a try from someone who never saw it
	 * (the account key is no secret) is refused and not counted. */
	if (sodium_memcmp(request->tag, check.tag, 32) != 0) {
		sodium_memzero(&check, sizeof(check));
		log_try("card_not_this_card", job, CARD_WRONG_PINS_MAX - tries->wrong);
		return refuse(job, MANNE_ERR_NOT_FOUND, "not the card registered for this account (replaced?)");
	}
	if (sodium_memcmp(request->proof, check.proof, CARD_PIN_PROOF_BYTES) == 0) {
		card_reply_seal(check.secret, request->reply_key, job->nonce, job->box);
		tries->wrong = 0;
		job->tries_left = CARD_WRONG_PINS_MAX;
		status = MANNE_OK;
	} else {
		tries->wrong++;
		tries->last_wrong_ms = now_ms;
		job->tries_left = CARD_WRONG_PINS_MAX - tries->wrong;
		status = tries->wrong >= CARD_WRONG_PINS_MAX
				 ? refuse(job, MANNE_ERR_CARD_LOCKED, "wrong PIN: the card is now locked until the board unlocks it")
				 : refuse(job, MANNE_ERR_WRONG_PIN, "wrong PIN");
		log_try(status == MANNE_ERR_CARD_LOCKED ? "card_locked" : "card_wrong_pin", job, job->tries_left);
	}
	sodium_memzero(&check, sizeof(check));
	rc = store_card_tries_put(txn, job->account, tries);
	*wrote = true;
	if (rc != STORE_OK) {
		sodium_memzero(job->box, sizeof(job->box));
		return refuse(job, rc == STORE_FULL ? MANNE_ERR_STORAGE_FULL : MANNE_ERR_INTERNAL, NULL);
	}
	return status;
}

enum manne_status card_unlock_apply(struct server *s, struct store_txn *txn, struct card_job *job, uint64_t now_ms,
				    bool *wrote)
{
	struct card_unlock request;
	struct card_record card;
	struct card_tries tries;
	struct account a, till;
	enum manne_status status;
	int rc;

	*wrote = false;
	if (card_unlock_open(job->sealed, s->card_public, s->card_secret, &request) != 0)
		return refuse(job, MANNE_ERR_MALFORMED, "the unlock request is not sealed to this ledger's card key");
	if (memcmp(request.account, job->account, 32) != 0 || memcmp(request.till, job->till, 32) != 0) {
		status = refuse(job, MANNE_ERR_MALFORMED, "the sealed request is for another card or another till");
		goto done;
	}
	/* The till again, as of this batch: frozen since it asked, it tries nothing. */
	if (store_account_get(txn, job->till, &till) != STORE_OK || !is_till(&till)) {
		status = refuse(job, MANNE_ERR_NOT_PERMITTED, "only an active shop, producer or counter unlocks a card");
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
	status = compare(s, txn, job, &card, &tries, now_ms, &request, wrote);
done:
	sodium_memzero(&request, sizeof(request));
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

