/*
 * audit_util.h: what the auditor's tests share: running the real
 * manne-audit binary ($MANNE_AUDIT) and reading its JSON, signing a
 * checkpoint of an in-process ledger, writing it as an export, and changing
 * an export file the way an attacker would.
 */
#ifndef MANNE_TEST_AUDIT_UTIL_H
#define MANNE_TEST_AUDIT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ledger/core/ledger.h"
#include "ledger/log/note.h"

/* What the last run printed on stderr (the first discrepancy, in words). */
extern char audit_stderr[16384];

/* Runs manne-audit with the NULL-terminated arguments and --json; the one
 * JSON object it printed goes to *out (the caller decrefs it). Returns its
 * exit status. */
int audit_run(const char *const *args, json_t **out);
#define AUDIT_RUN(out, ...) audit_run((const char *const[]){__VA_ARGS__, NULL}, (out))

/* A value of the JSON by a dotted path ("totals.issued", "findings.0.check"). */
json_t *audit_json(json_t *j, const char *path);
uint64_t audit_json_u64(json_t *j, const char *path);
const char *audit_json_str(json_t *j, const char *path);
bool audit_json_bool(json_t *j, const char *path);

/* The C2SP verifier key of (origin, public key). */
void audit_vkey(const char *origin, const uint8_t public_key[32], char out[256]);
/* Signs the checkpoint of the ledger at `size` leaves (totals: the committed
 * state's, which must be at that size) with secret_key. */
void audit_sign_checkpoint(struct ledger *ledger, const uint8_t secret_key[64], char note[NOTE_BYTES_MAX + 1]);
/* Writes the export of the ledger's first `size` leaves with `note`. */
void audit_write_export(struct ledger *ledger, uint64_t size, const char *note, const char *path);

/* The byte offsets of an export's records: offsets[i] is where leaf i's
 * length prefix starts; returns the number of leaves. The note's prefix is at *note_at. */
size_t audit_export_layout(const char *path, size_t *offsets, size_t max, size_t *note_at);
/* Reads and writes a whole (test-sized) file. */
uint8_t *audit_file_read(const char *path, size_t *len);
void audit_file_write(const char *path, const uint8_t *bytes, size_t len);

#endif
