/*
 * cli_replay.c: `manne replay-export` (SPEC §7, §8): a restored ledger that
 * is behind a checkpoint it published gets its missing leaves back from an
 * export of the log (`manne export`, or another auditor's copy), with the
 * daemon stopped. Nothing is written before the export is proved to be the
 * published history: its checkpoint verifies under the pinned key, its
 * leaves give that checkpoint's root, and its first leaves give the store's
 * own root. Then the missing leaves are replayed with the ledger's own
 * state machine, the result must have the checkpoint's root, and the
 * checkpoint becomes the data directory's checkpoint file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "ledger/core/ledger.h"

#define REPLAY_MAP_BYTES (8ULL << 30)
#define REPLAY_BATCH_LEAVES 4096U

/* First pass: the export's checkpoint verifies, its leaves give its root,
 * and its first `have` leaves give root_have. */
static int check_export(const struct cli *c, const char *path, const uint8_t key[32], uint64_t have,
			const uint8_t root_have[32], struct manne_checkpoint *cp)
{
	struct manne_export_reader *r = NULL;
	enum manne_status status = manne_export_open(path, &r);
	const uint8_t *leaf;
	uint8_t root[32];
	const char *note;
	size_t len, note_len;
	bool prefix_ok = have == 0;
	int rc = 0;

	while (status == MANNE_OK) {
		if (manne_export_leaf_count(r) == have && have > 0) {
			status = manne_export_root(r, root);
			prefix_ok = status == MANNE_OK && sodium_memcmp(root, root_have, 32) == 0;
		}
		status = manne_export_next(r, &leaf, &len);
		if (status == MANNE_OK && leaf == NULL)
			break;
	}
	if (status != MANNE_OK) {
		rc = cli_fail_detail(c, status, manne_export_message(r));
	} else if ((note = manne_export_note(r, &note_len)) == NULL ||
		   manne_checkpoint_verify(note, note_len, NULL, key, cp) != MANNE_OK) {
		rc = cli_fail(c, MANNE_ERR_VERIFY, "the export's checkpoint does not verify under the pinned key");
	} else if (manne_export_root(r, root) != MANNE_OK || cp->tree_size != manne_export_leaf_count(r) ||
		   sodium_memcmp(root, cp->root, 32) != 0) {
		rc = cli_fail(c, MANNE_ERR_VERIFY, "the export's leaves do not give its checkpoint's root");
	} else if (cp->tree_size < have || !prefix_ok) {
		rc = cli_fail(c, MANNE_ERR_VERIFY,
			      "the export is not this store's history (its first leaves give another root): "
			      "nothing was written");
	}
	manne_export_close(r);
	return rc;
}

/* Writes the verified checkpoint as DIR/checkpoint, 0600, replacing it. */
static int write_checkpoint(const struct cli *c, const char *data, const struct manne_checkpoint *cp)
{
	char path[512], tmp[520];
	size_t len = strlen(cp->note);
	int fd;

	snprintf(path, sizeof(path), "%s/checkpoint", data);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, cp->note, len) != (ssize_t)len || fsync(fd) != 0 || close(fd) != 0 ||
	    rename(tmp, path) != 0)
		return cli_fail(c, MANNE_ERR_IO, "cannot write the checkpoint file");
	return 0;
}

int cmd_replay_export(struct cli *c)
{
	const char *data = cli_value(c, OPT_DATA), *file = cli_value(c, OPT_FILE);
	struct store_options options = {.map_bytes = REPLAY_MAP_BYTES, .no_sync = false};
	struct manne_export_reader *r = NULL;
	struct manne_checkpoint cp;
	struct ledger *ledger = NULL;
	struct batch batch;
	char store_dir[512];
	uint8_t key[32], root_have[32];
	uint64_t have, added = 0;
	bool given, in_batch = false;
	int rc;

	if (data == NULL || file == NULL)
		return cli_usage_error(c, "--data DIR (the restored ledger, daemon stopped) and --file EXPORT are needed");
	if (!cli_checkpoint_key(c, key, &given))
		return EXIT_USAGE;
	if (!given)
		return cli_usage_error(c, "--checkpoint-key: the key the export's checkpoint must be signed with");
	snprintf(store_dir, sizeof(store_dir), "%s/store", data);
	if (ledger_open(store_dir, &options, &ledger) != 0 || ledger->empty) {
		ledger_close(ledger);
		return cli_fail(c, MANNE_ERR_IO, "no ledger store in that data directory");
	}
	have = ledger->state.tree_size;
	if (ledger_root(ledger, have, root_have) != 0) {
		ledger_close(ledger);
		return cli_fail(c, MANNE_ERR_INTERNAL, "the store's root cannot be computed");
	}
	rc = check_export(c, file, key, have, root_have, &cp);
	if (rc != 0) {
		ledger_close(ledger);
		return rc;
	}
	/* Second pass: replay the leaves the store lacks. */
	enum manne_status status = manne_export_open(file, &r);
	const uint8_t *leaf;
	size_t len;
	while (status == MANNE_OK) {
		status = manne_export_next(r, &leaf, &len);
		if (status != MANNE_OK || leaf == NULL)
			break;
		if (manne_export_leaf_count(r) <= have)
			continue;
		if (!in_batch) {
			if (ledger_batch_begin(ledger, &batch) != 0) {
				status = MANNE_ERR_INTERNAL;
				break;
			}
			in_batch = true;
		}
		status = ledger_batch_replay(&batch, leaf, len);
		if (status != MANNE_OK)
			break;
		added++;
		if (added % REPLAY_BATCH_LEAVES == 0) {
			in_batch = false;
			if (ledger_batch_commit(&batch) != STORE_OK)
				status = MANNE_ERR_STORAGE_FULL;
		}
	}
	if (in_batch) {
		if (status == MANNE_OK) {
			if (ledger_batch_commit(&batch) != STORE_OK)
				status = MANNE_ERR_STORAGE_FULL;
		} else {
			ledger_batch_abort(&batch);
		}
	}
	manne_export_close(r);
	if (status != MANNE_OK) {
		ledger_close(ledger);
		return cli_fail(c, status, "a leaf of the export does not replay on this store");
	}
	if (ledger->state.tree_size != cp.tree_size || ledger_root(ledger, cp.tree_size, root_have) != 0 ||
	    sodium_memcmp(root_have, cp.root, 32) != 0) {
		ledger_close(ledger);
		return cli_fail(c, MANNE_ERR_VERIFY, "the replayed store does not have the checkpoint's root");
	}
	ledger_close(ledger);
	rc = write_checkpoint(c, data, &cp);
	if (rc != 0)
		return rc;
	out_begin(c);
	out_bool(c, "ok", NULL, true);
	out_u64(c, "leaves_added", "leaves brought back", added);
	out_u64(c, "tree_size", "log size", cp.tree_size);
	out_end(c);
	return 0;
}
