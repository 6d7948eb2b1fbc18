/*
 * audit_state.c: the auditor's directory (docs/audit.md):
 *
 *   DIR/lock     held while a run goes on: one run at a time
 *   DIR/state    the trust root and the last checkpoint verified (the anchor)
 *   DIR/replay/  the replay store: the ledger's state as this auditor
 *                computed it, and the report's tables
 *
 * The state file is text, so that it can be read, mailed and given to
 * another auditor as a collected checkpoint:
 *
 *   manne-audit-state-v1
 *   origin <origin>
 *   genesis <genesis id, 64 hex>
 *   key <the pinned C2SP verifier key>
 *   size <tree size of the anchor>
 *   root <its root, 64 hex>
 *   note <length in bytes>
 *   <the anchor's signed note, exactly as signed>
 *
 * It is replaced atomically (write, fsync, rename) and read as untrusted
 * input: bounded, and every line checked. Its checkpoint is checked again
 * against the log at the end of every run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"

#define STATE_MAGIC "manne-audit-state-v1"
#define PATH_BYTES 4096U

static int dir_path(const struct audit *a, const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "%s/%s", a->state_dir, name);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int audit_state_lock(struct audit *a)
{
	char path[PATH_BYTES];

	if (mkdir(a->state_dir, 0700) != 0 && errno != EEXIST)
		return audit_local_failure(a, "cannot create the state directory %s: %s", a->state_dir, strerror(errno));
	if (dir_path(a, "lock", path, sizeof(path)) != 0)
		return audit_local_failure(a, "the state directory's name is too long");
	a->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (a->lock_fd < 0)
		return audit_local_failure(a, "cannot open %s: %s", path, strerror(errno));
	if (flock(a->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return audit_local_failure(a, "another manne-audit is running on %s", a->state_dir);
	return 0;
}

void audit_state_unlock(struct audit *a)
{
	if (a->lock_fd >= 0)
		close(a->lock_fd);  /* releases the lock */
	a->lock_fd = -1;
}

int audit_note_parse(const char *note, size_t len, struct audit_checkpoint *out)
{
	size_t text_len = 0;

	if (note == NULL || len == 0 || len > NOTE_BYTES_MAX || memchr(note, '\0', len) != NULL)
		return -1;
	/* The text ends at the last blank line (C2SP signed-note); the
	 * signatures follow it. A checkpoint's text holds no blank line. */
	for (size_t i = len; i >= 2; i--) {
		if (note[i - 1] == '\n' && note[i - 2] == '\n') {
			text_len = i - 1;
			break;
		}
	}
	if (text_len == 0 || checkpoint_parse(note, text_len, &out->c) != 0)
		return -1;
	memcpy(out->note, note, len);
	out->note[len] = '\0';
	out->note_len = len;
	out->verified = false;
	out->checked = AUDIT_UNCHECKED;
	out->consistent = false;
	out->finding = -1;
	return 0;
}

/* Reads a whole small file (at most max bytes) into buf, NUL-terminated. */
static int read_small(const char *path, char *buf, size_t max, size_t *len, char *why, size_t why_size)
{
	FILE *f = fopen(path, "rbe");
	size_t n;

	if (f == NULL) {
		snprintf(why, why_size, _("cannot open %s: %s"), path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		snprintf(why, why_size, "%s: %s", path, ferror(f) ? strerror(errno) : _("too large"));
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return 0;
}

/* The next line of text at *pos (without its newline); NULL at the end. */
static const char *next_line(const char *text, size_t len, size_t *pos, size_t *line_len)
{
	const char *line = text + *pos, *nl;

	if (*pos >= len)
		return NULL;
	nl = memchr(line, '\n', len - *pos);
	if (nl == NULL)
		return NULL;
	*line_len = (size_t)(nl - line);
	*pos += *line_len + 1;
	return line;
}

/* "name value" with the value copied (NUL-terminated) into out. */
static bool field(const char *text, size_t len, size_t *pos, const char *name, char *out, size_t out_size)
{
	size_t line_len, name_len = strlen(name);
	const char *line = next_line(text, len, pos, &line_len);

	if (line == NULL || line_len <= name_len + 1 || memcmp(line, name, name_len) != 0 || line[name_len] != ' ' ||
	    line_len - name_len - 1 >= out_size)
		return false;
	memcpy(out, line + name_len + 1, line_len - name_len - 1);
	out[line_len - name_len - 1] = '\0';
	return memchr(out, '\0', line_len - name_len - 1) == NULL;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static bool parse_hex32(const char *s, uint8_t out[32])
{
	size_t n = 0;
	return strlen(s) == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &n, NULL) == 0 && n == 32;
}

/* The state file's fields; the note is checked to say what the lines say. */
struct state_file {
	char origin[ORIGIN_BYTES_MAX + 1];
	uint8_t genesis_id[TXID_BYTES];
	char vkey[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	struct audit_checkpoint anchor;
};

static int state_parse(const char *text, size_t len, struct state_file *out)
{
	char value[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	uint8_t root[32];
	uint64_t size, note_len;
	size_t pos = 0, line_len;
	const char *line = next_line(text, len, &pos, &line_len);

	if (line == NULL || line_len != strlen(STATE_MAGIC) || memcmp(line, STATE_MAGIC, line_len) != 0)
		return -1;
	if (!field(text, len, &pos, "origin", out->origin, sizeof(out->origin)) ||
	    !field(text, len, &pos, "genesis", value, sizeof(value)) || !parse_hex32(value, out->genesis_id) ||
	    !field(text, len, &pos, "key", out->vkey, sizeof(out->vkey)) ||
	    !field(text, len, &pos, "size", value, sizeof(value)) || !parse_u64(value, &size) ||
	    !field(text, len, &pos, "root", value, sizeof(value)) || !parse_hex32(value, root) ||
	    !field(text, len, &pos, "note", value, sizeof(value)) || !parse_u64(value, &note_len))
		return -1;
	if (note_len == 0 || note_len > NOTE_BYTES_MAX || note_len != len - pos ||
	    audit_note_parse(text + pos, note_len, &out->anchor) != 0)
		return -1;
	if (out->anchor.c.tree_size != size || memcmp(out->anchor.c.root, root, 32) != 0 ||
	    strcmp(out->anchor.c.origin, out->origin) != 0)
		return -1;
	return 0;
}

int audit_note_read(const char *path, struct audit_checkpoint *out, char *why, size_t why_size)
{
	char *buf = malloc(AUDIT_STATE_BYTES_MAX + 1);
	struct state_file *sf = malloc(sizeof(*sf));
	size_t len;
	int rc = -1;

	if (buf == NULL || sf == NULL) {
		snprintf(why, why_size, "%s", _("out of memory"));
		goto out;
	}
	if (read_small(path, buf, AUDIT_STATE_BYTES_MAX, &len, why, why_size) != 0)
		goto out;
	/* Another auditor's state file gives its anchor; anything else must be a bare note. */
	if (len > strlen(STATE_MAGIC) && memcmp(buf, STATE_MAGIC "\n", strlen(STATE_MAGIC) + 1) == 0) {
		if (state_parse(buf, len, sf) != 0) {
			snprintf(why, why_size, _("%s is a damaged manne-audit state file"), path);
			goto out;
		}
		*out = sf->anchor;
	} else if (audit_note_parse(buf, len, out) != 0) {
		snprintf(why, why_size, _("%s is not a checkpoint note (C2SP signed note of a tlog-checkpoint)"), path);
		goto out;
	}
	snprintf(out->source, sizeof(out->source), "%.150s", path);
	rc = 0;
out:
	free(buf);
	free(sf);
	return rc;
}

int audit_state_load(struct audit *a)
{
	char path[PATH_BYTES], why[256];
	char *buf = malloc(AUDIT_STATE_BYTES_MAX + 1);
	struct state_file *sf = malloc(sizeof(*sf));
	uint8_t key[KEY_BYTES];
	char origin[ORIGIN_BYTES_MAX + 1];
	size_t len;
	int rc = -1;

	if (buf == NULL || sf == NULL) {
		audit_local_failure(a, "out of memory");
		goto out;
	}
	if (dir_path(a, "state", path, sizeof(path)) != 0) {
		audit_local_failure(a, "the state directory's name is too long");
		goto out;
	}
	if (access(path, F_OK) != 0) {
		rc = 0;  /* a first run */
		goto out;
	}
	if (read_small(path, buf, AUDIT_STATE_BYTES_MAX, &len, why, sizeof(why)) != 0) {
		audit_local_failure(a, "%s", why);
		goto out;
	}
	if (state_parse(buf, len, sf) != 0 || manne_verifier_key_parse(sf->vkey, origin, key) != MANNE_OK ||
	    strcmp(origin, sf->origin) != 0) {
		audit_local_failure(a, "%s is damaged: remove it (and run again with --checkpoint-key) or restore it", path);
		goto out;
	}
	/* A key given on the command line too must be of the same ledger; the
	 * log decides later whether it is one of its checkpoint keys. */
	if (a->pinned && strcmp(a->origin, sf->origin) != 0) {
		audit_local_failure(a, "--checkpoint-key names %s, but %s audits %s", a->origin, a->state_dir, sf->origin);
		goto out;
	}
	snprintf(a->state_vkey, sizeof(a->state_vkey), "%s", sf->vkey);
	if (!a->pinned) {
		snprintf(a->origin, sizeof(a->origin), "%s", sf->origin);
		memcpy(a->pinned_key, key, KEY_BYTES);
		snprintf(a->pinned_vkey, sizeof(a->pinned_vkey), "%s", sf->vkey);
		a->pinned = true;
	}
	memcpy(a->genesis_id, sf->genesis_id, TXID_BYTES);
	a->have_genesis_id = true;
	a->anchor = sf->anchor;
	a->anchor.verified = true;  /* by the run that saved it; checked against the log again at the end */
	snprintf(a->anchor.source, sizeof(a->anchor.source), "%s", _("the last checkpoint verified (state file)"));
	a->have_anchor = true;
	rc = 0;
out:
	free(buf);
	free(sf);
	return rc;
}

int audit_state_save(struct audit *a)
{
	char path[PATH_BYTES], tmp[PATH_BYTES], genesis[65], root[65];
	const struct audit_checkpoint *cp = &a->target;
	const struct ledger_state *s = &a->ledger->state;
	FILE *f;
	int fd, rc = 0;

	if (dir_path(a, "state", path, sizeof(path)) != 0 || dir_path(a, "state.tmp", tmp, sizeof(tmp)) != 0)
		return audit_local_failure(a, "the state directory's name is too long");
	audit_hex32(s->genesis_id, genesis);
	audit_hex32(cp->c.root, root);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return audit_local_failure(a, "cannot write %s: %s", tmp, strerror(errno));
	}
	if (fprintf(f, STATE_MAGIC "\norigin %s\ngenesis %s\nkey %s\nsize %llu\nroot %s\nnote %zu\n", s->origin, genesis,
		    a->state_vkey, (unsigned long long)cp->c.tree_size, root, cp->note_len) < 0 ||
	    fwrite(cp->note, 1, cp->note_len, f) != cp->note_len || fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		unlink(tmp);
		return audit_local_failure(a, "cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

int audit_store_open(struct audit *a)
{
	char dir[PATH_BYTES], file[PATH_BYTES + 16];
	struct store_options options = {.map_bytes = a->map_bytes, .no_sync = false, .audit_tables = true};

	if (dir_path(a, "replay", dir, sizeof(dir)) != 0)
		return audit_local_failure(a, "the state directory's name is too long");
	if (a->rebuild) {
		/* The two files of an LMDB environment; nothing else is ours there. */
		static const char *const files[] = {"data.mdb", "lock.mdb"};
		for (size_t i = 0; i < 2; i++) {
			snprintf(file, sizeof(file), "%s/%s", dir, files[i]);
			if (unlink(file) != 0 && errno != ENOENT)
				return audit_local_failure(a, "cannot remove %s: %s", file, strerror(errno));
		}
	}
	if (ledger_open(dir, &options, &a->ledger) != 0)
		return audit_local_failure(a, "cannot open the replay store %s (damaged? run with --rebuild)", dir);
	if (audit_tables_new(&a->tables) != 0)
		return audit_local_failure(a, "out of memory");
	return 0;
}
