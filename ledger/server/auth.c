/*
 * auth.c: proving a key on a connection (SPEC §6). The server gives a fresh
 * nonce; the client signs "MANNE-AUTH-V1" || 0x00 || genesis id || server
 * nonce || client nonce, and on TLS the session's exported keying material.
 * The domain differs from transactions', so a proof can never be a valid
 * transaction signature, and the server nonce makes it good for this
 * connection only (it is replaced after each attempt).
 *
 * Rights follow the state in force at each request (SPEC §6): dispatch.c
 * calls auth_refresh before every request, and a key that is no longer the
 * board's, or an account no longer active, reads only what is public from
 * then on. Card-held keys never authenticate.
 */
#include <string.h>

#include "ledger/keys/tls_pin.h"
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

/* Who the key reads as now, and (for an account) its role: a key of the
 * board in force reads as the board; an active account by its role; any
 * other key (an account frozen, closed or recovered, a card-held key, a key
 * that left the board, an unknown key) only what is public. *why, when not
 * NULL, gets the status that refuses its authentication. */
static enum reader reader_of(struct server *s, const uint8_t key[KEY_BYTES], Manne__Role *role,
			     enum manne_status *why)
{
	struct store_txn *txn;
	struct account a;
	int rc;

	*role = MANNE__ROLE__ROLE_UNSPECIFIED;
	*why = MANNE_OK;
	for (uint32_t i = 0; i < s->state.board_count; i++)
		if (memcmp(s->state.board[i], key, KEY_BYTES) == 0)
			return READER_BOARD;
	if (store_begin(s->ledger->store, false, &txn) != STORE_OK) {
		*why = MANNE_ERR_INTERNAL;
		return READER_ANYONE;
	}
	rc = store_account_get(txn, key, &a);
	store_abort(txn);
	if (rc != STORE_OK) {
		*why = rc == STORE_NOT_FOUND ? MANNE_ERR_UNKNOWN_ACCOUNT : MANNE_ERR_INTERNAL;
		return READER_ANYONE;
	}
	*role = (Manne__Role)a.role;
	if (a.state != ACCOUNT_ACTIVE) {
		*why = MANNE_ERR_NOT_ACTIVE;
		return READER_ANYONE;
	}
	if (a.card_held) {
		*why = MANNE_ERR_NOT_PERMITTED;
		return READER_ANYONE;
	}
	return a.role == ROLE_AUDITOR ? READER_AUDITOR : READER_ACCOUNT;
}

/* What a refused authentication says, by status. */
static const char *refusal(enum manne_status why)
{
	switch (why) {
	case MANNE_ERR_UNKNOWN_ACCOUNT:
		return "this key is neither an account nor the board's";
	case MANNE_ERR_NOT_ACTIVE:
		return "this account is frozen or closed: it reads only what is public";
	case MANNE_ERR_NOT_PERMITTED:
		return "a card-held key does not authenticate: the till being paid learns the card's next sequence on "
		       "its own connection";
	default:
		return NULL;
	}
}

void auth_refresh(struct conn *c)
{
	struct server *s = conn_server(c);
	const uint8_t *key = conn_proved_key(c);
	enum manne_status why;
	Manne__Role role;

	/* Rights change only with a leaf: a board act, or a freeze by the
	 * account itself. */
	if (key == NULL || conn_reader_tree_size(c) == s->state.tree_size)
		return;
	conn_set_reader(c, reader_of(s, key, &role, &why), s->state.tree_size);
}

static void req_authenticate(struct slot *slot, const Manne__Request *request)
{
	const Manne__AuthenticateRequest *r = request->authenticate;
	struct conn *c = slot->conn;
	struct server *s = conn_server(c);
	uint8_t message[AUTH_DOMAIN_BYTES + TXID_BYTES + 2 * AUTH_NONCE_BYTES + TLS_BINDING_BYTES];
	size_t message_len = AUTH_DOMAIN_BYTES + TXID_BYTES + 2 * AUTH_NONCE_BYTES;
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__AuthResult result = MANNE__AUTH_RESULT__INIT;
	enum reader reader;
	enum manne_status why;
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
	/* On TLS the proof also signs this session's keying material: a proof
	 * seen by anyone else is worth nothing in another session. */
	switch (conn_tls_binding(c, message + message_len)) {
	case 1:
		message_len += TLS_BINDING_BYTES;
		break;
	case 0:
		break; /* plain TCP: loopback only */
	default:
		conn_forget_nonce(c);
		slot_reply_status(slot, MANNE_ERR_INTERNAL, "TLS gives no keying material to bind the proof to");
		return;
	}
	int bad = crypto_sign_verify_detached(r->signature.data, message, message_len, r->key.data);
	conn_forget_nonce(c);
	if (bad != 0) {
		slot_reply_status(slot, MANNE_ERR_BAD_SIGNATURE, "the proof does not verify for this connection");
		return;
	}
	reader = reader_of(s, r->key.data, &role, &why);
	if (reader == READER_ANYONE) {
		slot_reply_status(slot, why, refusal(why));
		return;
	}
	conn_set_auth(c, r->key.data, reader, s->state.tree_size);
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
