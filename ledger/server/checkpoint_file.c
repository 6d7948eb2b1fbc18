/*
 * checkpoint_file.c: the daemon's checkpoints (SPEC §7). After each commit
 * the writer signs a C2SP tlog-checkpoint with the totals lines, as a signed
 * note whose key name is the origin, and keeps the last one in
 * DATA_DIR/checkpoint (written at most every CHECKPOINT_FILE_INTERVAL_MS
 * while batches follow each other, at once when the writer falls idle, and
 * at shut-down), outside the store: if the store is ever restored from
 * an older copy, start-up sees that the tree no longer extends what was
 * signed and refuses to run until the missing leaves are brought back.
 *
 * The file is replaced by rename, without fsync: it can only lag the store,
 * never lead it (a checkpoint is signed after its commit), so after a crash
 * it holds an older checkpoint that the store extends, or none if the
 * rename itself was lost, which start-up treats as a store never checked.
 * A third fsync per batch would cost every receipt a disk round trip for
 * nothing the store does not already guarantee.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

int checkpoint_sign(struct server *s, const struct ledger_state *state, char *out, size_t out_size, size_t *len)
{
	struct checkpoint c;
	const struct totals *t = &state->totals;
	char text[CHECKPOINT_NOTE_BYTES];
	size_t text_len;

	memset(&c, 0, sizeof(c));
	memcpy(c.origin, state->origin, state->origin_len);
	c.tree_size = state->tree_size;
	if (ledger_root(s->ledger, state->tree_size, c.root) != 0)
		return -1;
	c.totals = (struct checkpoint_totals){
		.issued = t->issued, .retired = t->retired, .reconverted = t->reconverted, .fees = t->fees,
		.pending = t->pending, .funded = t->funded, .paid_out = t->paid_out, .released = t->released,
	};
	if (totals_outstanding(t, &c.totals.outstanding) != 0 || totals_reserve(t, &c.totals.reserve) != 0)
		return -1;
	if (checkpoint_format(&c, text, sizeof(text), &text_len) != 0)
		return -1;
	if (note_sign(text, text_len, c.origin, s->checkpoint_secret, out, out_size) != 0)
		return -1;
	*len = strlen(out);
	return 0;
}

static void checkpoint_path(const char *data_dir, const char *suffix, char *out, size_t size)
{
	snprintf(out, size, "%s/checkpoint%s", data_dir, suffix);
}

uint64_t checkpoint_note_tree_size(const char *note, size_t len)
{
	const char *line = memchr(note, '\n', len);
	return line != NULL ? strtoull(line + 1, NULL, 10) : 0;
}

int checkpoint_file_save(const char *data_dir, const char *note, size_t len)
{
	char path[DATA_DIR_BYTES + 32], tmp[DATA_DIR_BYTES + 32];
	int fd, rc = -1;

	checkpoint_path(data_dir, "", path, sizeof(path));
	checkpoint_path(data_dir, ".tmp", tmp, sizeof(tmp));
	/* 0600 like every file of the data directory; never through a link
	 * someone planted in its place. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, note, len) == (ssize_t)len)
		rc = 0;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	return rc;
}

int checkpoint_file_load(const char *data_dir, char *out, size_t out_size, size_t *len)
{
	char path[DATA_DIR_BYTES + 32];
	ssize_t n;
	int fd;

	checkpoint_path(data_dir, "", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, out, out_size - 1);
	close(fd);
	if (n < 0 || (size_t)n >= out_size - 1)
		return -1;
	out[n] = '\0';
	*len = (size_t)n;
	return 0;
}

/* Reads the tree size and root a note signs, after checking its signature
 * by `key`. */
static int note_checkpoint(const struct ledger_state *state, const uint8_t key[KEY_BYTES], const char *note,
			   size_t len, struct checkpoint *out)
{
	struct note_verifier v;
	char vkey[256];
	size_t text_len;

	if (note_verifier_format(state->origin, key, vkey, sizeof(vkey)) != 0 || note_verifier_parse(vkey, &v) != 0 ||
	    note_verify(note, len, &v, &text_len) != 0)
		return -1;
	return checkpoint_parse(note, text_len, out);
}

int checkpoint_check_store(struct server *s, char *why, size_t why_size)
{
	char note[CHECKPOINT_NOTE_BYTES];
	uint8_t root[MERKLE_HASH_BYTES];
	struct checkpoint last;
	size_t len;
	int rc = checkpoint_file_load(s->config.data_dir, note, sizeof(note), &len);

	const struct ledger_state *state = &s->ledger->state;
	bool by_previous_key = false;

	if (rc == 1) {
		/* No checkpoint file. A ledger that holds only its genesis has
		 * published nothing beyond it; any other may be behind what it
		 * published (a restore without the file), and its next leaves
		 * would fork the public history: refused unless told. */
		if (state->tree_size <= 1)
			return 0;
		if (!s->config.accept_unsigned_store) {
			snprintf(why, why_size,
				 _("the store has %llu leaves but %s/checkpoint is missing: it may be behind what was "
				   "published. Put back the checkpoint file from the same backup, or, knowing this store is "
				   "the latest, start once with --accept-unsigned-store"),
				 (unsigned long long)state->tree_size, s->config.data_dir);
			return -1;
		}
		log_line("warn", "unsigned_store_accepted",
			 "tree_size=%llu why=\"no checkpoint file; started with --accept-unsigned-store: if this store "
			 "is behind a published checkpoint, the history forks from here\"",
			 (unsigned long long)state->tree_size);
		return 0;
	}
	/* The file is written without fsync, so a crash can leave it empty or cut
	 * short: what has no signature line at all is a torn write, not a
	 * checkpoint. It protects nothing, so it is set aside with a warning; a
	 * whole note that fails to verify is refused below. */
	if (rc == 0 && (len == 0 || memmem(note, len, "\n\n\xe2\x80\x94 ", 5) == NULL ||
			note[len - 1] != '\n')) {
		log_line("warn", "checkpoint_file_torn", "dir=%s bytes=%zu why=\"no whole signed note: a crash while "
			 "it was written; a new checkpoint is signed\"", s->config.data_dir, len);
		return 0;
	}
	/* After set_checkpoint_key the last checkpoint may be the old key's, for
	 * a tree from before the change: checked with that key, then the new key
	 * signs afresh. */
	if (rc == 0 && note_checkpoint(state, state->checkpoint_key, note, len, &last) != 0 &&
	    state->checkpoint_key_since > 0 &&
	    note_checkpoint(state, state->previous_checkpoint_key, note, len, &last) == 0 &&
	    last.tree_size < state->checkpoint_key_since)
		by_previous_key = true;
	else if (rc == 0 && note_checkpoint(state, state->checkpoint_key, note, len, &last) != 0)
		rc = -1;
	if (rc != 0) {
		snprintf(why, why_size, _("%s/checkpoint is not a checkpoint signed by this ledger's key"),
			 s->config.data_dir);
		return -1;
	}
	if (last.tree_size > s->ledger->state.tree_size) {
		snprintf(why, why_size,
			 _("the store has %llu leaves but checkpoint %llu was signed: the store is older than "
			   "what was published. Bring back the missing leaves first (a newer backup, or the leaves "
			   "replayed from an export of the log), or put back the checkpoint file of this store's backup"),
			 (unsigned long long)s->ledger->state.tree_size, (unsigned long long)last.tree_size);
		return -1;
	}
	if (ledger_root(s->ledger, last.tree_size, root) != 0 ||
	    sodium_memcmp(root, last.root, sizeof(root)) != 0) {
		snprintf(why, why_size, _("the store's tree at size %llu does not match the last signed checkpoint"),
			 (unsigned long long)last.tree_size);
		return -1;
	}
	if (!by_previous_key) {
		memcpy(s->checkpoint, note, len + 1);
		s->checkpoint_len = len;
	}
	return 0;
}
