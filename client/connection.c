/*
 * connection.c: the handle (manne.h): connecting with a timeout, learning
 * which ledger answers, proving a key, and calls with retry.
 *
 * Retry is safe because every request the library repeats is either a read
 * or the submission of the very same signed bytes: a transaction that landed
 * the first time comes back as its original receipt, marked duplicate
 * (SPEC §5). After a timeout the connection is closed and a new one made, so
 * a late reply to the first attempt can never be taken for the reply to the
 * second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ledger/keys/tls_pin.h"
#include "manne_internal.h"

#define AUTH_DOMAIN "MANNE-AUTH-V1"
#define AUTH_DOMAIN_BYTES 14U /* with its NUL, the 0x00 separator */
#define AUTH_NONCE_BYTES 32U

enum manne_status manne_fail(struct manne *m, enum manne_status status, const char *fmt, ...)
{
	va_list ap;

	if (m == NULL)
		return status;
	va_start(ap, fmt);
	vsnprintf(m->message, sizeof(m->message), fmt, ap);
	va_end(ap);
	return status;
}

void manne_clear_error(struct manne *m)
{
	m->message[0] = '\0';
}

uint64_t manne_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000U, .tv_nsec = (long)(ms % 1000U) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool manne_text_ok(const char *s, size_t max)
{
	size_t len;

	if (s == NULL)
		return true;
	len = strlen(s);
	if (len > max)
		return false;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1fU;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0fU;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07U;
		} else {
			return false;
		}
		if (n > len - i - 1)
			return false;
		for (size_t k = 1; k <= n; k++) {
			unsigned char cc = (unsigned char)s[i + k];
			if ((cc & 0xc0U) != 0x80U)
				return false;
			cp = (cp << 6) | (cc & 0x3fU);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8; C1 controls are controls. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += n + 1;
	}
	return true;
}

bool manne_copy_text(char *dst, size_t dst_size, const char *src)
{
	size_t len;

	dst[0] = '\0';
	if (src == NULL)
		return true;
	len = strlen(src);
	if (len >= dst_size || !manne_text_ok(src, dst_size - 1))
		return false;
	memcpy(dst, src, len + 1);
	return true;
}

static void disconnect(struct manne *m)
{
	manne_wire_close(&m->wire);
}

/* One request, one reply on the current connection; closes it on failure. */
static enum manne_status exchange(struct manne *m, Manne__Request *request, uint32_t extra_wait_ms,
				  Manne__Response **out)
{
	Manne__Response *r;
	uint32_t timeout = m->wire.timeout_ms;

	*out = NULL;
	request->id = ++m->next_request_id;
	if (manne_wire_send(&m->wire, request) != 0) {
		disconnect(m);
		return manne_fail(m, MANNE_ERR_TIMEOUT, "the connection to %s:%u was lost while sending", m->host,
				  m->port);
	}
	/* A payment wait may legitimately take longer than the timeout. */
	m->wire.timeout_ms = extra_wait_ms > UINT32_MAX - timeout ? UINT32_MAX : timeout + extra_wait_ms;
	r = manne_wire_receive(&m->wire);
	m->wire.timeout_ms = timeout;
	if (r == NULL) {
		disconnect(m);
		return manne_fail(m, MANNE_ERR_TIMEOUT, "no reply from %s:%u within %u ms, or the connection was lost",
				  m->host, m->port, timeout + extra_wait_ms);
	}
	if (r->id != request->id) {
		manne__response__free_unpacked(r, NULL);
		disconnect(m);
		return manne_fail(m, MANNE_ERR_PROTOCOL, "a reply to another request (id %llu, not %llu)",
				  (unsigned long long)r->id, (unsigned long long)request->id);
	}
	*out = r;
	return MANNE_OK;
}

/* The ledger's status in a reply, with its message kept for manne_message(). */
static enum manne_status reply_status(struct manne *m, const Manne__Response *r)
{
	int status = (int)r->status;
	char text[MANNE_MESSAGE_BYTES];

	if (status == MANNE_OK)
		return MANNE_OK;
	if (status < 0 || status >= MANNE_STATUS_COUNT)
		return manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger answered an unknown status %d", status);
	if (r->message == NULL || r->message[0] == '\0' || !manne_copy_text(text, sizeof(text), r->message))
		snprintf(text, sizeof(text), "%s", manne_status_message((enum manne_status)status));
	return manne_fail(m, (enum manne_status)status, "%s: %s", manne_status_name((enum manne_status)status), text);
}

/* auth_challenge: the server nonce and the genesis id. */
static enum manne_status challenge(struct manne *m, uint8_t server_nonce[AUTH_NONCE_BYTES],
				   uint8_t genesis_id[MANNE_TXIDBYTES])
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__AuthChallengeRequest c = MANNE__AUTH_CHALLENGE_REQUEST__INIT;
	Manne__Response *r;
	enum manne_status status;

	request.kind_case = MANNE__REQUEST__KIND_AUTH_CHALLENGE;
	request.auth_challenge = &c;
	status = exchange(m, &request, 0, &r);
	if (status != MANNE_OK)
		return status;
	status = reply_status(m, r);
	if (status == MANNE_OK &&
	    (r->kind_case != MANNE__RESPONSE__KIND_AUTH_CHALLENGE ||
	     r->auth_challenge->server_nonce.len != AUTH_NONCE_BYTES ||
	     r->auth_challenge->genesis_id.len != MANNE_TXIDBYTES))
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger's challenge is not 32-byte nonce and genesis id");
	if (status == MANNE_OK) {
		memcpy(server_nonce, r->auth_challenge->server_nonce.data, AUTH_NONCE_BYTES);
		memcpy(genesis_id, r->auth_challenge->genesis_id.data, MANNE_TXIDBYTES);
	}
	manne__response__free_unpacked(r, NULL);
	return status;
}

/* Proves key on the current connection (no retry: the caller reconnects). */
static enum manne_status prove_key(struct manne *m, const struct manne_key *key)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__AuthenticateRequest a = MANNE__AUTHENTICATE_REQUEST__INIT;
	uint8_t message[AUTH_DOMAIN_BYTES + MANNE_TXIDBYTES + 2 * AUTH_NONCE_BYTES + TLS_BINDING_BYTES];
	size_t message_len = AUTH_DOMAIN_BYTES + MANNE_TXIDBYTES + 2 * AUTH_NONCE_BYTES;
	uint8_t server_nonce[AUTH_NONCE_BYTES], client_nonce[AUTH_NONCE_BYTES], genesis_id[MANNE_TXIDBYTES];
	uint8_t signature[crypto_sign_BYTES];
	Manne__Response *r;
	enum manne_status status;

	status = challenge(m, server_nonce, genesis_id);
	if (status != MANNE_OK)
		return status;
	/* A proof names the ledger: never sign one for another ledger than this handle's. */
	if (m->identified && memcmp(genesis_id, m->genesis_id, MANNE_TXIDBYTES) != 0) {
		disconnect(m);
		return manne_fail(m, MANNE_ERR_WRONG_LEDGER, "%s:%u now serves another ledger (genesis id differs)",
				  m->host, m->port);
	}
	randombytes_buf(client_nonce, sizeof(client_nonce));
	memcpy(message, AUTH_DOMAIN, AUTH_DOMAIN_BYTES);
	memcpy(message + AUTH_DOMAIN_BYTES, genesis_id, MANNE_TXIDBYTES);
	memcpy(message + AUTH_DOMAIN_BYTES + MANNE_TXIDBYTES, server_nonce, AUTH_NONCE_BYTES);
	memcpy(message + AUTH_DOMAIN_BYTES + MANNE_TXIDBYTES + AUTH_NONCE_BYTES, client_nonce, AUTH_NONCE_BYTES);
	/* On TLS the proof binds this session (SPEC §6): it is worth nothing in another. */
	if (m->tls) {
		if (manne_wire_tls_binding(&m->wire, message + message_len) != 0)
			return manne_fail(m, MANNE_ERR_TLS, "TLS gives no keying material to bind the proof to");
		message_len += TLS_BINDING_BYTES;
	}
	crypto_sign_detached(signature, NULL, message, message_len, key->secret_key);
	a.key = (ProtobufCBinaryData){.len = MANNE_PUBLICKEYBYTES, .data = (uint8_t *)key->public_key};
	a.client_nonce = (ProtobufCBinaryData){.len = AUTH_NONCE_BYTES, .data = client_nonce};
	a.signature = (ProtobufCBinaryData){.len = sizeof(signature), .data = signature};
	request.kind_case = MANNE__REQUEST__KIND_AUTHENTICATE;
	request.authenticate = &a;
	status = exchange(m, &request, 0, &r);
	if (status != MANNE_OK)
		return status;
	status = reply_status(m, r);
	if (status == MANNE_OK && r->kind_case != MANNE__RESPONSE__KIND_AUTH_RESULT)
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger did not answer the proof of key");
	manne__response__free_unpacked(r, NULL);
	return status;
}

/* The origin is the first line of the checkpoint (and the note's key name). */
static enum manne_status learn_origin(struct manne *m)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__CheckpointRequest c = MANNE__CHECKPOINT_REQUEST__INIT;
	Manne__Response *r;
	enum manne_status status;
	const char *nl;
	size_t len;

	request.kind_case = MANNE__REQUEST__KIND_CHECKPOINT;
	request.checkpoint = &c;
	status = exchange(m, &request, 0, &r);
	if (status != MANNE_OK)
		return status;
	status = reply_status(m, r);
	if (status == MANNE_OK && r->kind_case != MANNE__RESPONSE__KIND_CHECKPOINT)
		status = manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger did not send a checkpoint");
	if (status == MANNE_OK) {
		nl = strchr(r->checkpoint->note, '\n');
		len = nl == NULL ? 0 : (size_t)(nl - r->checkpoint->note);
		if (len == 0 || len > MANNE_ORIGIN_BYTES_MAX)
			status = manne_fail(m, MANNE_ERR_PROTOCOL, "the checkpoint does not start with an origin");
		for (size_t i = 0; status == MANNE_OK && i < len; i++) {
			unsigned char ch = (unsigned char)r->checkpoint->note[i];
			if (ch <= ' ' || ch > '~' || ch == '+')
				status = manne_fail(m, MANNE_ERR_PROTOCOL, "the checkpoint's origin is not printable ASCII");
		}
		if (status == MANNE_OK) {
			memcpy(m->origin, r->checkpoint->note, len);
			m->origin[len] = '\0';
		}
	}
	manne__response__free_unpacked(r, NULL);
	return status;
}

/* Makes a connection if there is none, learning the ledger on the first one
 * and proving the handle's key again on later ones. */
static enum manne_status ensure_connected(struct manne *m)
{
	uint8_t nonce[AUTH_NONCE_BYTES], genesis_id[MANNE_TXIDBYTES];
	enum manne_status status;

	if (m->wire.fd >= 0)
		return MANNE_OK;
	int rc = manne_wire_connect(&m->wire, m->host, m->port, m->timeout_ms);
	if (rc != 0) {
		m->wire.fd = -1;
		/* Refused or unknown: said at once, not retried (nothing listens
		 * there, or the name is wrong); no answer: the caller retries. */
		m->connect_final = rc == WIRE_CONNECT_REFUSED || rc == WIRE_CONNECT_UNKNOWN;
		if (rc == WIRE_CONNECT_REFUSED)
			return manne_fail(m, MANNE_ERR_CONNECT, "%s:%u refused the connection: is manne-ledger running "
								"there, on that port?", m->host, m->port);
		if (rc == WIRE_CONNECT_UNKNOWN)
			return manne_fail(m, MANNE_ERR_CONNECT, "the host name %s does not resolve", m->host);
		return manne_fail(m, MANNE_ERR_CONNECT, "no answer from %s:%u within %u ms", m->host, m->port,
				  m->timeout_ms);
	}
	if (m->tls) {
		int rc = manne_wire_start_tls(&m->wire, m->tls_pin);
		if (rc == -2)
			return manne_fail(m, MANNE_ERR_TLS, "%s:%u does not hold the pinned TLS key: nothing was sent",
					  m->host, m->port);
		if (rc != 0)
			return manne_fail(m, MANNE_ERR_TLS, "no TLS 1.3 handshake with %s:%u within %u ms", m->host,
					  m->port, m->timeout_ms);
	}
	/* A pinned handle checks every new connection before sending anything
	 * else; another learns the ledger on its first one. */
	if (!m->identified || m->pinned) {
		status = challenge(m, nonce, genesis_id);
		if (status == MANNE_OK && m->pinned && memcmp(genesis_id, m->genesis_id, MANNE_TXIDBYTES) != 0)
			status = manne_fail(m, MANNE_ERR_WRONG_LEDGER,
					    "%s:%u serves another ledger than the one pinned (%s): nothing was sent", m->host,
					    m->port, m->origin);
		if (status == MANNE_OK && !m->identified)
			status = learn_origin(m);
		if (status != MANNE_OK) {
			disconnect(m);
			return status;
		}
		if (!m->identified) {
			memcpy(m->genesis_id, genesis_id, MANNE_TXIDBYTES);
			m->identified = true;
		}
	}
	if (m->authenticated) {
		status = prove_key(m, &m->auth_key);
		if (status != MANNE_OK) {
			disconnect(m);
			return status;
		}
	}
	return MANNE_OK;
}

enum manne_status manne_call(struct manne *m, Manne__Request *request, uint32_t extra_wait_ms,
			     Manne__Response **out)
{
	uint32_t backoff = m->backoff_ms;
	enum manne_status status = MANNE_ERR_TIMEOUT;

	*out = NULL;
	for (uint32_t attempt = 0; attempt < m->attempts; attempt++) {
		Manne__Response *r = NULL;

		if (attempt > 0) {
			sleep_ms(backoff);
			backoff = backoff > MANNE_BACKOFF_MS_CAP / 2 ? MANNE_BACKOFF_MS_CAP : backoff * 2;
		}
		status = ensure_connected(m);
		if (status == MANNE_ERR_CONNECT && m->connect_final)
			return status;
		if (status == MANNE_ERR_CONNECT || status == MANNE_ERR_TIMEOUT)
			continue;
		if (status != MANNE_OK)
			return status;
		status = exchange(m, request, extra_wait_ms, &r);
		if (status == MANNE_ERR_TIMEOUT)
			continue;
		if (status != MANNE_OK)
			return status;
		status = reply_status(m, r);
		if (status == MANNE_ERR_OVERLOADED && attempt + 1 < m->attempts) {
			manne__response__free_unpacked(r, NULL);
			continue;
		}
		if (status == MANNE_OK)
			manne_clear_error(m);
		*out = r;
		return status;
	}
	return status;
}

enum manne_status manne_identify(struct manne *m)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest st = MANNE__STATUS_REQUEST__INIT;
	Manne__Response *r = NULL;
	enum manne_status status;

	if (m->identified)
		return MANNE_OK;
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &st;
	status = manne_call(m, &request, 0, &r);  /* connecting learns the ledger */
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	return status;
}

enum manne_status manne_open(const char *host, uint16_t port, uint32_t timeout_ms, struct manne **out)
{
	return manne_open_tls(host, port, timeout_ms, NULL, out);
}

enum manne_status manne_open_tls(const char *host, uint16_t port, uint32_t timeout_ms, const char *pin,
				 struct manne **out)
{
	struct manne *m;
	enum manne_status status;

	if (out == NULL)
		return MANNE_ERR_ARGUMENT;
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return MANNE_ERR_NO_MEMORY;
	*out = m;
	m->wire.fd = -1;
	m->timeout_ms = timeout_ms == 0 ? MANNE_TIMEOUT_MS_DEFAULT : timeout_ms;
	m->attempts = MANNE_ATTEMPTS_DEFAULT;
	m->backoff_ms = MANNE_BACKOFF_MS_DEFAULT;
	m->port = port;
	if (host == NULL || strlen(host) >= sizeof(m->host))
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a host is a name or an address, at most %u bytes",
				  (unsigned)sizeof(m->host) - 1);
	strcpy(m->host, host);
	if (pin != NULL) {
		if (tls_pin_parse(pin, m->tls_pin) != 0)
			return manne_fail(m, MANNE_ERR_ARGUMENT, "a TLS pin is SHA256:<base64> or 64 hex characters");
		m->tls = true;
	}
	status = ensure_connected(m);
	if (status == MANNE_OK)
		manne_clear_error(m);
	return status;
}

void manne_close(struct manne *m)
{
	if (m == NULL)
		return;
	disconnect(m);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

enum manne_status manne_set_retry(struct manne *m, uint32_t attempts, uint32_t backoff_ms)
{
	if (m == NULL)
		return MANNE_ERR_ARGUMENT;
	if (attempts == 0 || attempts > MANNE_ATTEMPTS_MAX || backoff_ms > MANNE_BACKOFF_MS_CAP)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "attempts 1..%u, backoff at most %u ms", MANNE_ATTEMPTS_MAX,
				  MANNE_BACKOFF_MS_CAP);
	m->attempts = attempts;
	m->backoff_ms = backoff_ms;
	return MANNE_OK;
}

const char *manne_message(const struct manne *m)
{
	return m == NULL ? "no handle (out of memory)" : m->message;
}

const char *manne_origin(const struct manne *m)
{
	return m != NULL && m->identified ? m->origin : "";
}

const uint8_t *manne_genesis_id(const struct manne *m)
{
	static const uint8_t none[MANNE_TXIDBYTES];
	return m != NULL && m->identified ? m->genesis_id : none;
}

enum manne_status manne_authenticate(struct manne *m, const struct manne_key *key)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest st = MANNE__STATUS_REQUEST__INIT;
	Manne__Response *r = NULL;
	enum manne_status status;

	if (m == NULL || key == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a handle and a key are needed");
	/* A fresh connection, so that no earlier proof lingers; connecting
	 * proves the key (with the retries of any call), and a status request
	 * is the cheapest call to carry it. */
	disconnect(m);
	m->auth_key = *key;
	m->authenticated = true;
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &st;
	status = manne_call(m, &request, 0, &r);
	if (r != NULL)
		manne__response__free_unpacked(r, NULL);
	if (status != MANNE_OK) {
		disconnect(m);
		m->authenticated = false;
		sodium_memzero(&m->auth_key, sizeof(m->auth_key));
	}
	return status;
}

/* "ORIGIN+GENESIS_ID": the origin (SPEC §3: printable ASCII without space or
 * '+') and the genesis id in 64 hex characters. */
static bool parse_ledger_id(const char *ledger, char origin[MANNE_ORIGIN_BYTES_MAX + 1],
			    uint8_t genesis_id[MANNE_TXIDBYTES])
{
	const char *plus = ledger != NULL ? strchr(ledger, '+') : NULL;
	size_t origin_len, hex_len, got = 0;

	if (plus == NULL)
		return false;
	origin_len = (size_t)(plus - ledger);
	hex_len = strlen(plus + 1);
	if (origin_len == 0 || origin_len > MANNE_ORIGIN_BYTES_MAX || hex_len != 2 * MANNE_TXIDBYTES)
		return false;
	for (size_t i = 0; i < origin_len; i++)
		if ((unsigned char)ledger[i] <= ' ' || (unsigned char)ledger[i] > '~')
			return false;
	if (sodium_hex2bin(genesis_id, MANNE_TXIDBYTES, plus + 1, hex_len, NULL, &got, NULL) != 0 ||
	    got != MANNE_TXIDBYTES)
		return false;
	memcpy(origin, ledger, origin_len);
	origin[origin_len] = '\0';
	return true;
}

enum manne_status manne_pin(struct manne *m, const char *ledger)
{
	char origin[MANNE_ORIGIN_BYTES_MAX + 1];
	uint8_t genesis_id[MANNE_TXIDBYTES];
	bool other;

	if (m == NULL)
		return MANNE_ERR_ARGUMENT;
	manne_clear_error(m);
	if (!parse_ledger_id(ledger, origin, genesis_id))
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a ledger is named ORIGIN+GENESIS_ID (64 hex characters)");
	other = m->identified && (strcmp(origin, m->origin) != 0 ||
				  sodium_memcmp(genesis_id, m->genesis_id, MANNE_TXIDBYTES) != 0);
	/* Pinned whatever the answer: no later call on this handle may sign
	 * for the ledger the server claimed. */
	memcpy(m->origin, origin, strlen(origin) + 1);
	memcpy(m->genesis_id, genesis_id, MANNE_TXIDBYTES);
	m->identified = true;
	m->pinned = true;
	if (other) {
		disconnect(m);
		return manne_fail(m, MANNE_ERR_WRONG_LEDGER,
				  "%s:%u serves another ledger than the one pinned (%s): nothing was sent", m->host, m->port,
				  origin);
	}
	return MANNE_OK;
}

enum manne_status manne_ledger_id(const struct manne *m, char *out, size_t size)
{
	char hex[2 * MANNE_TXIDBYTES + 1];
	int n;

	if (m == NULL || out == NULL || !m->identified)
		return MANNE_ERR_ARGUMENT;
	sodium_bin2hex(hex, sizeof(hex), m->genesis_id, MANNE_TXIDBYTES);
	n = snprintf(out, size, "%s+%s", m->origin, hex);
	return n > 0 && (size_t)n < size ? MANNE_OK : MANNE_ERR_ARGUMENT;
}

enum manne_status manne_tls_pin_of_cert(const char *cert_path, char *out, size_t size)
{
	uint8_t pin[TLS_PIN_BYTES];
	if (cert_path == NULL || out == NULL || size < TLS_PIN_TEXT_BYTES)
		return MANNE_ERR_ARGUMENT;
	if (tls_pin_of_cert_file(cert_path, pin) != 0)
		return MANNE_ERR_IO;
	tls_pin_format(pin, out);
	return MANNE_OK;
}
