/*
 * export.c: the export file of docs/export.md, written and read in one
 * place so that the exporter (manne_export, manne export) and every reader
 * (manne-audit, a partner's own tools) agree on every byte.
 *
 * The file is untrusted input for a reader: every length is bounded before
 * anything is read or allocated, and the reader holds one leaf at a time, so
 * a file of any size is read in constant memory. The RFC 6962 root of the
 * leaves is computed as they pass, with the stack of complete subtrees (at
 * most 64 hashes whatever the log's size).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "manne_internal.h"
#include "ledger/log/merkle.h"

#define EXPORT_MAGIC "MANNE-EXPORT-V1\n"
#define EXPORT_MAGIC_BYTES 16U
#define EXPORT_LEAF_BYTES_MAX 65535U     /* SPEC §7 */
#define EXPORT_LEAF_HEADER_BYTES 16U     /* u64 index, u64 time */
#define EXPORT_TREE_LEVELS 64U           /* a tree of < 2^64 leaves */

_Static_assert(sizeof(EXPORT_MAGIC) - 1U == EXPORT_MAGIC_BYTES, "the magic is 16 bytes");

/* RFC 6962 root of a stream of leaves: complete subtrees, largest first. */
struct root_stack {
	uint8_t hash[EXPORT_TREE_LEVELS][MANNE_HASHBYTES];
	unsigned level[EXPORT_TREE_LEVELS];
	size_t depth;
};

static int root_stack_push(struct root_stack *s, const uint8_t *leaf, size_t len)
{
	uint8_t hash[MANNE_HASHBYTES];
	unsigned level = 0;

	merkle_leaf_hash(leaf, len, hash);
	while (s->depth > 0 && s->level[s->depth - 1] == level) {
		merkle_node_hash(s->hash[s->depth - 1], hash, hash);
		s->depth--;
		level++;
	}
	if (s->depth >= EXPORT_TREE_LEVELS)
		return -1;
	memcpy(s->hash[s->depth], hash, MANNE_HASHBYTES);
	s->level[s->depth++] = level;
	return 0;
}

static void root_stack_root(const struct root_stack *s, uint8_t root[MANNE_HASHBYTES])
{
	if (s->depth == 0) {
		crypto_hash_sha256(root, NULL, 0);
		return;
	}
	memcpy(root, s->hash[s->depth - 1], MANNE_HASHBYTES);
	for (size_t i = s->depth - 1; i-- > 0;)
		merkle_node_hash(s->hash[i], root, root);
}

static uint32_t get_be32(const uint8_t in[4])
{
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

static void put_be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

/* ---- Writing ---- */

struct manne_export_writer {
	FILE *f;
	char *path;
	uint64_t count;
	struct root_stack stack;
};

enum manne_status manne_export_create(const char *path, struct manne_export_writer **out)
{
	struct manne_export_writer *w;
	int fd;

	if (path == NULL || out == NULL)
		return MANNE_ERR_ARGUMENT;
	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->path = strdup(path)) == NULL) {
		free(w);
		return MANNE_ERR_NO_MEMORY;
	}
	/* 0600 and never over an existing file: the raw log is for the board and auditors only (SPEC §6). */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	w->f = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (w->f == NULL) {
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(w->path);
		free(w);
		return MANNE_ERR_IO;
	}
	if (fwrite(EXPORT_MAGIC, 1, EXPORT_MAGIC_BYTES, w->f) != EXPORT_MAGIC_BYTES) {
		manne_export_abort(w);
		return MANNE_ERR_IO;
	}
	*out = w;
	return MANNE_OK;
}

enum manne_status manne_export_add(struct manne_export_writer *w, const uint8_t *leaf, size_t len)
{
	uint8_t prefix[4];

	if (w == NULL || leaf == NULL)
		return MANNE_ERR_ARGUMENT;
	/* A leaf starts with its own index (SPEC §7): the leaves come in order, none missing. */
	if (len < EXPORT_LEAF_HEADER_BYTES || len > EXPORT_LEAF_BYTES_MAX || get_be64(leaf) != w->count)
		return MANNE_ERR_MALFORMED;
	put_be32(prefix, (uint32_t)len);
	if (fwrite(prefix, 1, 4, w->f) != 4 || fwrite(leaf, 1, len, w->f) != len)
		return MANNE_ERR_IO;
	if (root_stack_push(&w->stack, leaf, len) != 0)
		return MANNE_ERR_MALFORMED;
	w->count++;
	return MANNE_OK;
}

void manne_export_abort(struct manne_export_writer *w)
{
	if (w == NULL)
		return;
	fclose(w->f);
	/* Never leave a file that looks like an export but is not one. */
	unlink(w->path);
	free(w->path);
	free(w);
}

enum manne_status manne_export_finish(struct manne_export_writer *w, const char *note, size_t note_len,
				      const uint8_t root[MANNE_HASHBYTES])
{
	uint8_t computed[MANNE_HASHBYTES], prefix[4];
	bool failed = false;

	if (w == NULL)
		return MANNE_ERR_ARGUMENT;
	if (note == NULL || root == NULL || note_len == 0 || note_len > MANNE_NOTE_BYTES_MAX) {
		manne_export_abort(w);
		return MANNE_ERR_ARGUMENT;
	}
	root_stack_root(&w->stack, computed);
	if (sodium_memcmp(computed, root, MANNE_HASHBYTES) != 0) {
		manne_export_abort(w);
		return MANNE_ERR_VERIFY;
	}
	/* The end of the leaves, then the checkpoint they were checked against. */
	put_be32(prefix, 0);
	failed |= fwrite(prefix, 1, 4, w->f) != 4;
	put_be32(prefix, (uint32_t)note_len);
	failed |= fwrite(prefix, 1, 4, w->f) != 4 || fwrite(note, 1, note_len, w->f) != note_len;
	failed |= fflush(w->f) != 0 || fsync(fileno(w->f)) != 0;
	if (failed) {
		manne_export_abort(w);
		return MANNE_ERR_IO;
	}
	if (fclose(w->f) != 0) {
		unlink(w->path);
		failed = true;
	}
	free(w->path);
	free(w);
	return failed ? MANNE_ERR_IO : MANNE_OK;
}

/* ---- Reading ---- */

struct manne_export_reader {
	FILE *f;
	uint8_t leaf[EXPORT_LEAF_BYTES_MAX];
	char note[MANNE_NOTE_BYTES_MAX + 1];
	size_t note_len;
	uint64_t count;
	bool ended;         /* the end marker and the note were read */
	bool broken;        /* an error was returned: nothing more is read */
	struct root_stack stack;
	char message[MANNE_MESSAGE_BYTES];
};

static enum manne_status reader_fail(struct manne_export_reader *r, enum manne_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum manne_status reader_fail(struct manne_export_reader *r, enum manne_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	r->broken = true;
	return status;
}

/* Reads exactly n bytes; false at the end of the file or on an error (ferror tells). */
static bool read_exactly(FILE *f, void *out, size_t n)
{
	return fread(out, 1, n, f) == n;
}

enum manne_status manne_export_open(const char *path, struct manne_export_reader **out)
{
	struct manne_export_reader *r;
	uint8_t magic[EXPORT_MAGIC_BYTES];

	if (path == NULL || out == NULL)
		return MANNE_ERR_ARGUMENT;
	*out = r = calloc(1, sizeof(*r));
	if (r == NULL)
		return MANNE_ERR_NO_MEMORY;
	r->f = fopen(path, "rbe");
	if (r->f == NULL)
		return reader_fail(r, MANNE_ERR_IO, "cannot open %s: %s", path, strerror(errno));
	if (!read_exactly(r->f, magic, sizeof(magic)) || memcmp(magic, EXPORT_MAGIC, EXPORT_MAGIC_BYTES) != 0)
		return reader_fail(r, ferror(r->f) ? MANNE_ERR_IO : MANNE_ERR_MALFORMED,
				   "%s is not a La Manne export (no MANNE-EXPORT-V1 magic)", path);
	return MANNE_OK;
}

/* After the zero length: the note, then nothing. */
static enum manne_status read_note(struct manne_export_reader *r)
{
	uint8_t prefix[4], extra;
	uint32_t n;

	if (!read_exactly(r->f, prefix, 4))
		return reader_fail(r, ferror(r->f) ? MANNE_ERR_IO : MANNE_ERR_MALFORMED,
				   "the file ends after %llu leaves, before the checkpoint", (unsigned long long)r->count);
	n = get_be32(prefix);
	if (n == 0 || n > MANNE_NOTE_BYTES_MAX)
		return reader_fail(r, MANNE_ERR_MALFORMED, "the checkpoint's length %lu is not 1..%u", (unsigned long)n,
				   MANNE_NOTE_BYTES_MAX);
	if (!read_exactly(r->f, r->note, n))
		return reader_fail(r, ferror(r->f) ? MANNE_ERR_IO : MANNE_ERR_MALFORMED,
				   "the file ends inside the checkpoint");
	if (memchr(r->note, '\0', n) != NULL)
		return reader_fail(r, MANNE_ERR_MALFORMED, "the checkpoint holds a NUL byte");
	r->note[n] = '\0';
	r->note_len = n;
	if (fread(&extra, 1, 1, r->f) != 0 || ferror(r->f))
		return reader_fail(r, ferror(r->f) ? MANNE_ERR_IO : MANNE_ERR_MALFORMED,
				   "bytes follow the checkpoint");
	r->ended = true;
	return MANNE_OK;
}

enum manne_status manne_export_next(struct manne_export_reader *r, const uint8_t **leaf, size_t *len)
{
	uint8_t prefix[4];
	uint32_t n;
	enum manne_status status;

	if (r == NULL || leaf == NULL || len == NULL)
		return MANNE_ERR_ARGUMENT;
	*leaf = NULL;
	*len = 0;
	if (r->broken)
		return MANNE_ERR_ARGUMENT;
	if (r->ended)
		return MANNE_OK;
	if (!read_exactly(r->f, prefix, 4))
		return reader_fail(r, ferror(r->f) ? MANNE_ERR_IO : MANNE_ERR_MALFORMED,
				   "the file ends at leaf %llu, without the end of the leaves", (unsigned long long)r->count);
	n = get_be32(prefix);
	if (n == 0) {
		status = read_note(r);
		return status;
	}
	if (n > EXPORT_LEAF_BYTES_MAX)
		return reader_fail(r, MANNE_ERR_MALFORMED, "leaf %llu: length %lu is over 65,535",
				   (unsigned long long)r->count, (unsigned long)n);
	if (!read_exactly(r->f, r->leaf, n))
		return reader_fail(r, ferror(r->f) ? MANNE_ERR_IO : MANNE_ERR_MALFORMED,
				   "the file ends inside leaf %llu", (unsigned long long)r->count);
	if (root_stack_push(&r->stack, r->leaf, n) != 0)
		return reader_fail(r, MANNE_ERR_MALFORMED, "more leaves than a tree can hold");
	r->count++;
	*leaf = r->leaf;
	*len = n;
	return MANNE_OK;
}

const char *manne_export_note(const struct manne_export_reader *r, size_t *len)
{
	if (r == NULL || !r->ended)
		return NULL;
	if (len != NULL)
		*len = r->note_len;
	return r->note;
}

uint64_t manne_export_leaf_count(const struct manne_export_reader *r)
{
	return r != NULL ? r->count : 0;
}

enum manne_status manne_export_root(const struct manne_export_reader *r, uint8_t root[MANNE_HASHBYTES])
{
	if (r == NULL || root == NULL)
		return MANNE_ERR_ARGUMENT;
	root_stack_root(&r->stack, root);
	return MANNE_OK;
}

const char *manne_export_message(const struct manne_export_reader *r)
{
	return r != NULL ? r->message : "out of memory";
}

void manne_export_close(struct manne_export_reader *r)
{
	if (r == NULL)
		return;
	if (r->f != NULL)
		fclose(r->f);
	free(r);
}

/* ---- From the ledger ---- */

struct export_ctx {
	struct manne_export_writer *w;
	enum manne_status status;
};

static int export_leaf(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct export_ctx *x = arg;

	(void)index;  /* manne_export_add checks the leaf's own index against the count */
	x->status = manne_export_add(x->w, leaf, len);
	return x->status == MANNE_OK ? 0 : -1;
}

enum manne_status manne_export(struct manne *m, const uint8_t checkpoint_key[MANNE_PUBLICKEYBYTES], const char *path,
			       struct manne_checkpoint *checkpoint_out)
{
	struct manne_checkpoint local, *c = checkpoint_out != NULL ? checkpoint_out : &local;
	struct export_ctx x = {0};
	enum manne_status status;

	if (m == NULL || path == NULL)
		return manne_fail(m, MANNE_ERR_ARGUMENT, "a file name is needed");
	status = manne_checkpoint_fetch(m, checkpoint_key, c, NULL);
	if (status != MANNE_OK)
		return status;
	status = manne_export_create(path, &x.w);
	if (status == MANNE_ERR_NO_MEMORY)
		return manne_fail(m, status, "out of memory");
	if (status != MANNE_OK)
		return manne_fail(m, MANNE_ERR_IO, "cannot create %s (it must not exist)", path);
	status = manne_log_read(m, 0, c->tree_size, export_leaf, &x);
	if (status == MANNE_ERR_ARGUMENT)  /* the callback stopped: a write failed or a leaf was wrong */
		status = x.status == MANNE_ERR_IO ? manne_fail(m, MANNE_ERR_IO, "cannot write %s", path)
						  : manne_fail(m, MANNE_ERR_PROTOCOL, "the ledger sent a leaf out of place");
	if (status != MANNE_OK) {
		manne_export_abort(x.w);
		return status;
	}
	status = manne_export_finish(x.w, c->note, strlen(c->note), c->root);
	if (status == MANNE_ERR_VERIFY)
		return manne_fail(m, status, "the leaves sent do not hash to the checkpoint's root");
	if (status != MANNE_OK)
		return manne_fail(m, MANNE_ERR_IO, "cannot write %s", path);
	manne_clear_error(m);
	return MANNE_OK;
}
