/*
 * auth.c: proving a key on a connection (SPEC §6). The server gives a fresh
 * nonce; the client signs "MANNE-AUTH-V1" || 0x00 || genesis id || server
 * nonce || client nonce. The domain differs from transactions', so a proof
 * can never be a valid transaction signature, and the server nonce makes it
 * good for this connection only (it is replaced after each attempt).
 */
#include <string.h>

#include "reads.h"

#define AUTH_DOMAIN "MANNE-AUTH-V1"
#define AUTH_DOMAIN_BYTES 14U /* with its NUL, the 0x00 separator */
#define AUTH_NONCE_BYTES 32U

static void req_auth_challenge(struct slot *slot, const Manne__Request *request)
{
	struct server *s = conn_server(slot->conn);
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__AuthChallenge challenge = MANNE__AUTH_CHALLENGE__INIT;
	(void)request;

	challenge.server_nonce = (ProtobufCBinaryData){.len = AUTH_NONCE_BYTES,
						       .data = (uint8_t *)conn_server_nonce(slot->conn)};
	challenge.genesis_id = (ProtobufCBinaryData){.len = TXID_BYTES, .data = s->state.genesis_id};
	response.kind_case = MANNE__RESPONSE__KIND_AUTH_CHALLENGE;
	response.auth_challenge = &challenge;
	slot_reply(slot, &response);
}

/* Who the key reads as, and (for an account) its role. */
static enum reader reader_of(struct server *s, const uint8_t key[KEY_BYTES], Manne__Role *role)
{
	struct store_txn *txn;
	struct account a;
	int rc;

	*role = MANNE__ROLE__ROLE_UNSPECIFIED;
	for (uint32_t i = 0; i < s->state.board_count; i++)
		if (memcmp(s->state.board[i], key, KEY_BYTES) == 0)
			return READER_BOARD;
	if (store_begin(s->ledger->store, false, &txn) != STORE_OK)
		return READER_ANYONE;
	rc = store_account_get(txn, key, &a);
	store_abort(txn);
	if (rc != STORE_OK)
		return READER_ANYONE;
	*role = (Manne__Role)a.role;
	return a.role == ROLE_AUDITOR ? READER_AUDITOR : READER_ACCOUNT;
}

static void req_authenticate(struct slot *slot, const Manne__Request *request)
{
	const Manne__AuthenticateRequest *r = request->authenticate;
	struct conn *c = slot->conn;
	struct server *s = conn_server(c);
	uint8_t message[AUTH_DOMAIN_BYTES + TXID_BYTES + 2 * AUTH_NONCE_BYTES];
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__AuthResult result = MANNE__AUTH_RESULT__INIT;
	enum reader reader;
	Manne__Role role;

	if (r->key.len != KEY_BYTES || r->client_nonce.len != AUTH_NONCE_BYTES ||
	    r->signature.len != crypto_sign_BYTES) {
		slot_reply_status(slot, MANNE_ERR_MALFORMED, "key 32, client nonce 32 and signature 64 bytes");
		return;
	}
	memcpy(message, AUTH_DOMAIN, AUTH_DOMAIN_BYTES);
	memcpy(message + AUTH_DOMAIN_BYTES, s->state.genesis_id, TXID_BYTES);
	memcpy(message + AUTH_DOMAIN_BYTES + TXID_BYTES, conn_server_nonce(c), AUTH_NONCE_BYTES);
	memcpy(message + AUTH_DOMAIN_BYTES + TXID_BYTES + AUTH_NONCE_BYTES, r->client_nonce.data, AUTH_NONCE_BYTES);
	int bad = crypto_sign_verify_detached(r->signature.data, message, sizeof(message), r->key.data);
	conn_forget_nonce(c);
	if (bad != 0) {
		slot_reply_status(slot, MANNE_ERR_BAD_SIGNATURE, "the proof does not verify for this connection");
		return;
	}
	reader = reader_of(s, r->key.data, &role);
	if (reader == READER_ANYONE) {
		slot_reply_status(slot, MANNE_ERR_UNKNOWN_ACCOUNT, "this key is neither an account nor the board's");
		return;
	}
	conn_set_auth(c, reader, r->key.data);
	result.role = role; /* unspecified for a board key */
	response.kind_case = MANNE__RESPONSE__KIND_AUTH_RESULT;
	response.auth_result = &result;
	slot_reply(slot, &response);
}

const struct req_entry req_auth_challenge_entry = {
	.name = "auth_challenge",
	.run = req_auth_challenge,
};

const struct req_entry req_authenticate_entry = {
	.name = "authenticate",
	.run = req_authenticate,
};
