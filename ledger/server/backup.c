/*
 * backup.c: `manne-ledger backup` and `manne-ledger restore` (SPEC §8, §13).
 *
 * A backup is one file, mode 0600:
 *
 *   manne-backup-v1\n
 *   checkpoint <bytes>\n<the checkpoint note>\n
 *   store <bytes>\n<a compacted copy of the LMDB store>
 *
 * taken while the daemon serves. The checkpoint file is read first and the
 * store copied after, so the store always extends the checkpoint (the
 * other order gives a backup the daemon refuses). Keys are not in it: the
 * checkpoint key, board keys and TLS key are backed up apart (docs).
 * Restore writes a data directory the daemon starts on; at start-up it
 * checks the store against the checkpoint and catches the checkpoint up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server.h"

#define BACKUP_MAGIC "manne-backup-v1\n"
#define PATH_BYTES (DATA_DIR_BYTES + 32)

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "manne-ledger: %s%s%s\n", what, path != NULL ? " " : "", path != NULL ? path : "");
	return 1;
}

static int write_all(int fd, const void *bytes, size_t len)
{
	const uint8_t *p = bytes;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *bytes, size_t len)
{
	uint8_t *p = bytes;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies len bytes from in to out. */
static int copy_bytes(int in, int out, uint64_t len)
{
	static uint8_t buffer[1 << 16];
	while (len > 0) {
		size_t chunk = len > sizeof(buffer) ? sizeof(buffer) : (size_t)len;
		if (read_all(in, buffer, chunk) != 0 || write_all(out, buffer, chunk) != 0)
			return -1;
		len -= chunk;
	}
	return 0;
}

int backup_run(const char *data_dir, const char *out_path)
{
	char store_dir[PATH_BYTES], tmp_path[PATH_BYTES + 8], note[CHECKPOINT_NOTE_BYTES], header[64];
	size_t note_len = 0;
	int copy_fd = -1, out_fd = -1, rc = 1;
	struct stat st;

	if (strlen(data_dir) >= DATA_DIR_BYTES || strlen(out_path) >= DATA_DIR_BYTES)
		return fail("path too long:", NULL);
	snprintf(store_dir, sizeof(store_dir), "%s/store", data_dir);
	snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", out_path);
	/* The checkpoint first: the store copied after it can only extend it. */
	switch (checkpoint_file_load(data_dir, note, sizeof(note), &note_len)) {
	case 0:
		break;
	case 1:
		note_len = 0; /* a ledger with its genesis only */
		break;
	default:
		return fail("cannot read the checkpoint file in", data_dir);
	}
	/* The store's copy goes to a file beside the backup, unlinked at once. */
	copy_fd = open(tmp_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (copy_fd < 0) {
		fail("cannot create (it must not exist)", tmp_path);
		goto out;
	}
	unlink(tmp_path);
	if (store_copy(store_dir, copy_fd) != STORE_OK || fstat(copy_fd, &st) != 0 ||
	    lseek(copy_fd, 0, SEEK_SET) != 0) {
		fail("cannot copy the store in", store_dir);
		goto out;
	}
	out_fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out_fd < 0) {
		fail("cannot create", tmp_path);
		goto out;
	}
	snprintf(header, sizeof(header), "%scheckpoint %zu\n", BACKUP_MAGIC, note_len);
	if (write_all(out_fd, header, strlen(header)) != 0 || write_all(out_fd, note, note_len) != 0 ||
	    snprintf(header, sizeof(header), "\nstore %llu\n", (unsigned long long)st.st_size) < 0 ||
	    write_all(out_fd, header, strlen(header)) != 0 || copy_bytes(copy_fd, out_fd, (uint64_t)st.st_size) != 0 ||
	    fsync(out_fd) != 0 || close(out_fd) != 0) {
		out_fd = -1;
		unlink(tmp_path);
		fail("cannot write", tmp_path);
		goto out;
	}
	out_fd = -1;
	/* Never over an existing backup: a nightly job names each by date. */
	if (link(tmp_path, out_path) != 0) {
		unlink(tmp_path);
		fail("cannot create (it must not exist)", out_path);
		goto out;
	}
	unlink(tmp_path);
	printf("backup %s: checkpoint %llu, store %llu bytes (compacted)\n", out_path,
	       (unsigned long long)(note_len > 0 ? checkpoint_note_tree_size(note, note_len) : 0),
	       (unsigned long long)st.st_size);
	rc = 0;
out:
	if (copy_fd >= 0)
		close(copy_fd);
	if (out_fd >= 0)
		close(out_fd);
	return rc;
}

/* "name <decimal>\n": the number, at most max. */
static int read_section(int fd, const char *name, uint64_t max, uint64_t *len)
{
	char line[48];
	size_t n = 0, name_len = strlen(name);
	char *end;

	while (n < sizeof(line) - 1) {
		if (read_all(fd, &line[n], 1) != 0)
			return -1;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	if (n < name_len + 3 || strncmp(line, name, name_len) != 0 || line[name_len] != ' ' ||
	    line[n - 1] != '\n' || line[name_len + 1] < '0' || line[name_len + 1] > '9')
		return -1;
	errno = 0;
	*len = strtoull(line + name_len + 1, &end, 10);
	return errno == 0 && *end == '\n' && *len <= max ? 0 : -1;
}

int restore_run(const char *in_path, const char *data_dir)
{
	char store_dir[PATH_BYTES], path[PATH_BYTES + 16], magic[sizeof(BACKUP_MAGIC) - 1], note[CHECKPOINT_NOTE_BYTES];
	uint64_t note_len, store_len;
	int in = -1, out = -1, rc = 1;
	bool made_dir = false, made_store = false;
	char newline;
	struct stat st;

	if (strlen(data_dir) >= DATA_DIR_BYTES)
		return fail("path too long:", NULL);
	in = open(in_path, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) != 0)
		return fail("cannot read", in_path);
	if (read_all(in, magic, sizeof(magic)) != 0 || memcmp(magic, BACKUP_MAGIC, sizeof(magic)) != 0 ||
	    read_section(in, "checkpoint", CHECKPOINT_NOTE_BYTES - 1, &note_len) != 0 ||
	    read_all(in, note, (size_t)note_len) != 0 || read_all(in, &newline, 1) != 0 || newline != '\n' ||
	    read_section(in, "store", (uint64_t)st.st_size, &store_len) != 0) {
		fail("not a manne-ledger backup:", in_path);
		goto out;
	}
	/* Into a new data directory only: never over a ledger. */
	if (mkdir(data_dir, 0700) == 0)
		made_dir = true;
	else if (errno != EEXIST) {
		fail("cannot create", data_dir);
		goto out;
	}
	snprintf(store_dir, sizeof(store_dir), "%s/store", data_dir);
	if (mkdir(store_dir, 0700) != 0) {
		fail("a store is there already (restore into a new directory):", store_dir);
		goto out;
	}
	made_store = true;
	snprintf(path, sizeof(path), "%s/%s", store_dir, STORE_DATA_FILE);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0 || copy_bytes(in, out, store_len) != 0 || fsync(out) != 0) {
		fail("cannot write", path);
		goto out;
	}
	if (read_all(in, &newline, 1) == 0) {
		fail("bytes after the store: not a whole backup:", in_path);
		goto out;
	}
	if (note_len > 0 && checkpoint_file_save(data_dir, note, (size_t)note_len) != 0) {
		fail("cannot write the checkpoint file in", data_dir);
		goto out;
	}
	printf("restored %s into %s: start manne-ledger --data %s (with its checkpoint key)\n", in_path, data_dir,
	       data_dir);
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc != 0 && made_store) {
		/* Nothing half-made is left to start a daemon on. */
		unlink(path);
		rmdir(store_dir);
		if (made_dir)
			rmdir(data_dir);
	}
	return rc;
}
