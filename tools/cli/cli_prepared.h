/*
 * cli_prepared.h: the prepared-transaction file of the board's
 * one-signature-at-a-time flow (cli_tx.c; docs/cli.md), read and written.
 * The file comes from another member's hands: prepared_parse takes its text
 * apart without the rest of the CLI, so that tests/fuzz/fuzz_prepared.c
 * runs exactly what `manne show`, `sign` and `submit` run.
 *
 *   manne-prepared-v1
 *   body <hex of the TxBody bytes>
 *   signatures-needed <M>              (optional)
 *   signature <public key hex> <signature hex>   (one per signer)
 */
#ifndef MANNE_CLI_PREPARED_H
#define MANNE_CLI_PREPARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define PREPARED_MAGIC "manne-prepared-v1"
#define BODY_BYTES_MAX 65519U
#define PREPARED_FILE_BYTES_MAX (2U * BODY_BYTES_MAX + 64U + MANNE_SIGNATURES_MAX * 200U)

struct prepared {
	uint8_t *body;
	size_t body_len;
	uint64_t needed;  /* 0: not said */
	struct manne_signature sigs[MANNE_SIGNATURES_MAX];
	size_t sig_count;
};

void prepared_free(struct prepared *p);

/* Takes apart and checks the text of a prepared file: len bytes, and room
 * for one more (the text is cut up in place). Every signature must verify.
 * MANNE_OK, or a status with *why saying what is wrong (English, a msgid);
 * p holds nothing to free then. */
enum manne_status prepared_parse(char *text, size_t len, struct prepared *p, const char **why);

/* Reads and checks a prepared file; on failure prints why. Exit code or 0. */
int prepared_read(const struct cli *c, const char *path, struct prepared *p);

/* Writes the file whole to a temporary name, then renames it over path. */
int prepared_write(const struct cli *c, const char *path, const struct prepared *p, bool must_be_new);

#endif
