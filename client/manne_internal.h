/*
 * manne_internal.h: what the files of libmanne share and tills never see.
 *
 *   keys.c         keys and key files, plain and sealed
 *   connection.c   the handle: connect, authenticate, calls with retry
 *   transactions.c bodies of every kind, signing, submission, receipts
 *   describe.c     a body in words, for the board's sign step
 *   reads.c        account, history, tx, payment by reference, log, status
 *   verify.c       checkpoints, inclusion and consistency proofs
 *   export.c       the export file: writer, reader, manne_export
 */
#ifndef MANNE_INTERNAL_H
#define MANNE_INTERNAL_H

#include <stdarg.h>

#include "manne.h"
#include "manne.pb-c.h"
#include "manne_wire.h"

#define MANNE_HOST_BYTES 256U            /* a DNS name is at most 253 bytes */
#define MANNE_TIMEOUT_MS_DEFAULT 10000U
#define MANNE_ATTEMPTS_DEFAULT 5U
#define MANNE_ATTEMPTS_MAX 20U
#define MANNE_BACKOFF_MS_DEFAULT 200U
#define MANNE_BACKOFF_MS_CAP 5000U       /* the doubling stops here */
#define MANNE_BOARD_TX_VALID_MS_DEFAULT (7ULL * 24U * 3600U * 1000U)
#define MANNE_SIGNED_TX_BYTES_MAX (65535U - 16U)  /* a leaf is at most 65,535 bytes with its 16-byte header */

struct manne {
	struct manne_wire wire;          /* fd < 0 while not connected */
	char host[MANNE_HOST_BYTES];
	uint16_t port;
	uint32_t timeout_ms;
	uint32_t attempts;
	uint32_t backoff_ms;
	uint64_t next_request_id;
	char origin[MANNE_ORIGIN_BYTES_MAX + 1];
	uint8_t genesis_id[MANNE_TXIDBYTES];
	bool identified;                 /* origin and genesis id are known */
	bool pinned;                     /* ... given by the caller: every connection must match */
	bool tls;                        /* TLS 1.3 to a server holding the key of tls_pin */
	uint8_t tls_pin[32];
	bool authenticated;              /* auth_key is proved on this connection (and after reconnection) */
	bool connect_final;              /* the last connection failed for good (refused, unknown name) */
	struct manne_key auth_key;       /* wiped on close */
	char message[MANNE_MESSAGE_BYTES];
};

/* Sets m->message (printf) and returns status. */
enum manne_status manne_fail(struct manne *m, enum manne_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void manne_clear_error(struct manne *m);

/* Sends request (its id is set here) and takes the reply into *out (the
 * caller frees it with manne__response__free_unpacked). Reconnects when the
 * connection is gone, and tries again after a timeout, a lost connection or
 * OVERLOADED, up to m->attempts times: callers only pass requests that are
 * safe to repeat (reads, and submissions of the same bytes). extra_wait_ms
 * lengthens the reply timeout (a payment wait). A reply with another status
 * than OK is turned into that status with the ledger's message, and *out is
 * still set (NULL on any other error). */
enum manne_status manne_call(struct manne *m, Manne__Request *request, uint32_t extra_wait_ms,
			     Manne__Response **out) __attribute__((warn_unused_result));

/* Connects (with retry) if the handle does not know its ledger yet: a
 * handle whose manne_open() failed becomes usable once the ledger answers. */
enum manne_status manne_identify(struct manne *m) __attribute__((warn_unused_result));

/* Copies a text the ledger sent into a bounded buffer; false if too long or
 * not printable UTF-8 (a reply to distrust). */
bool manne_copy_text(char *dst, size_t dst_size, const char *src);
/* UTF-8 without control characters, at most max bytes (the ledger's rule). */
bool manne_text_ok(const char *s, size_t max);

/* Submits signed bytes with retry; checks the receipt against them. */
enum manne_status manne_submit_bytes(struct manne *m, const uint8_t *signed_tx, size_t len,
				     const uint8_t *body, size_t body_len, struct manne_receipt *receipt_out)
	__attribute__((warn_unused_result));

/* The account's next sequence: on the handle's connection when the ledger
 * answers it there (the card a till is charging), else on a connection of
 * its own that proves signer (the handle's own connection keeps its identity). */
enum manne_status manne_next_sequence(struct manne *m, const struct manne_key *signer, uint64_t *out)
	__attribute__((warn_unused_result));

uint64_t manne_now_ms(void);

#endif
