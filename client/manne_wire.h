/*
 * manne_wire.h: a blocking connection to manne-ledger speaking SPEC §6
 * frames: connect with a timeout, send a Request, read the next Response.
 * One handle per thread; no global state.
 */
#ifndef MANNE_WIRE_H
#define MANNE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "manne.pb-c.h"

struct manne_wire {
	int fd;
	void *ssl;                 /* the TLS session (SSL *), NULL on plain TCP */
	uint32_t timeout_ms;       /* bounds the connection, each whole send and each whole reply */
	uint32_t frame_bytes_max;
};

/* Connects to host (a name, an IPv4 or an IPv6 address: every address it
 * resolves to, in turn, within timeout_ms in all). 0, or why not: */
enum wire_connect_error {
	WIRE_CONNECT_TIMEOUT = -1,   /* no answer in time */
	WIRE_CONNECT_REFUSED = -2,   /* every address answered "connection refused" */
	WIRE_CONNECT_UNKNOWN = -3,   /* the name does not resolve */
};
int manne_wire_connect(struct manne_wire *w, const char *host, uint16_t port, uint32_t timeout_ms)
	__attribute__((warn_unused_result));
void manne_wire_close(struct manne_wire *w);

/* Makes the connection TLS 1.3 and checks that the server's certificate
 * carries the pinned public key (the SHA-256 of its SubjectPublicKeyInfo)
 * before anything else is sent: 0, -1 (no TLS 1.3 handshake in time) or -2
 * (another key: the connection is closed). */
int manne_wire_start_tls(struct manne_wire *w, const uint8_t pin[32]) __attribute__((warn_unused_result));
/* The keying material of the TLS session an authentication signs: 0, or -1
 * on plain TCP. */
int manne_wire_tls_binding(struct manne_wire *w, uint8_t out[32]) __attribute__((warn_unused_result));

/* Sends raw bytes (tests use it to send broken frames). */
int manne_wire_send_raw(struct manne_wire *w, const uint8_t *bytes, size_t len) __attribute__((warn_unused_result));
int manne_wire_send(struct manne_wire *w, const Manne__Request *request) __attribute__((warn_unused_result));
/* The next response; the caller frees it with manne__response__free_unpacked(r, NULL).
 * NULL on timeout, a closed connection or a malformed reply. */
Manne__Response *manne_wire_receive(struct manne_wire *w);
/* Send, then receive. */
Manne__Response *manne_wire_call(struct manne_wire *w, const Manne__Request *request);

#endif
