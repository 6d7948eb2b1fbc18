/*
 * backup.c: `manne-ledger backup` and `manne-ledger restore` (SPEC §8, §13).
 *
 * A backup is one file, mode 0600:
 *
 *   manne-backup-v1\n
 *   checkpoint <bytes>\n<the checkpoint note>\n
 *   store <bytes>\n<a compacted copy of the LMDB store>
 *
 *   key <name> <bytes>\n<a sealed key file>     (only with --with-keys; repeated)
 *
 * taken while the daemon serves. The checkpoint file is read first and the
 * store copied after, so the store always extends the checkpoint (the
 * other order gives a backup the daemon refuses). Keys are in it only when
 * asked (--with-keys), each sealed under a passphrase (Argon2id, as any
 * sealed key file), so that a copied backup signs nothing.
 * Restore writes a data directory the daemon starts on; at start-up it
 * checks the store against the checkpoint and catches the checkpoint up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ledger/keys/keyfile.h"
#include "server.h"

#define BACKUP_MAGIC "manne-backup-v1\n"
#define PATH_BYTES (DATA_DIR_BYTES + 32)

/* `what` is a msgid (po/meson.build reads fail's first argument). */
static int fail(const char *what, const char *path)
{
	fprintf(stderr, _("manne-ledger: %s%s%s\n"), _(what), path != NULL ? " " : "", path != NULL ? path : "");
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

#define KEY_FILE_TEXT_MAX 1024U
#define KEY_NAME_MAX 64U

/* A key's name in a backup: letters, digits, '.', '_', '-', ending in
 * ".key"; never a path. */
static bool key_name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len < 5 || len > KEY_NAME_MAX || strcmp(name + len - 4, ".key") != 0 || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
		      ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* Reads a whole small file into text (NUL-terminated): its length, or -1. */
static long read_small(const char *path, char *text, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	if (fd < 0)
		return -1;
	n = read(fd, text, size - 1);
	close(fd);
	if (n < 0 || (size_t)n >= size - 1)
		return -1;
	text[n] = '\0';
	return n;
}

/* Every DIR/keys/NAME.key, sealed under the passphrase, as "key" sections. */
static int backup_keys(int out_fd, const char *data_dir, const char *out_path, const char *passphrase)
{
	char keys_dir[PATH_BYTES], path[PATH_BYTES + KEY_NAME_MAX + 2], sealed[PATH_BYTES + 16], text[KEY_FILE_TEXT_MAX];
	char header[KEY_NAME_MAX + 32];
	struct manne_keypair kp;
	uint8_t seed[crypto_sign_SEEDBYTES];
	struct dirent *e;
	DIR *dir;
	int rc = 0;
	unsigned count = 0;

	snprintf(keys_dir, sizeof(keys_dir), "%s/keys", data_dir);
	snprintf(sealed, sizeof(sealed), "%s.sealing", out_path);
	dir = opendir(keys_dir);
	if (dir == NULL)
		return fail("no keys directory in", data_dir);
	while (rc == 0 && (e = readdir(dir)) != NULL) {
		long len;
		if (!key_name_ok(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%.64s", keys_dir, e->d_name);
		if (keyfile_read(path, &kp) != 0) {
			rc = fail("cannot read the plain key file", path);
			break;
		}
		crypto_sign_ed25519_sk_to_seed(seed, kp.secret_key);
		sodium_memzero(&kp, sizeof(kp));
		unlink(sealed);
		if (keyfile_write_seed(sealed, seed, passphrase) != MANNE_OK ||
		    (len = read_small(sealed, text, sizeof(text))) < 0) {
			rc = fail("cannot seal", path);
		} else {
			snprintf(header, sizeof(header), "\nkey %.64s %ld\n", e->d_name, len);
			if (write_all(out_fd, header, strlen(header)) != 0 || write_all(out_fd, text, (size_t)len) != 0)
				rc = fail("cannot write the key sections of", out_path);
			count++;
		}
		unlink(sealed);
		sodium_memzero(seed, sizeof(seed));
	}
	closedir(dir);
	if (rc == 0)
		printf(_("keys: %u, sealed under the passphrase\n"), count);
	return rc;
}

/* DATA/backup-stamp: "<backups taken> <unix time of the last>", replaced
 * atomically; the daemon's metrics read it. A stamp that cannot be written
 * does not fail the backup. */
static void backup_stamp(const char *data_dir)
{
	char path[PATH_BYTES], tmp[PATH_BYTES + 8], text[64];
	unsigned long long count = 0, when = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/backup-stamp", data_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (backup_stamp_read(data_dir, &count, &when) != 0)
		count = 0;
	snprintf(text, sizeof(text), "%llu %llu\n", count + 1, (unsigned long long)time(NULL));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (write_all(fd, text, strlen(text)) != 0 || close(fd) != 0 || rename(tmp, path) != 0)
		unlink(tmp);
}

int backup_stamp_read(const char *data_dir, unsigned long long *count, unsigned long long *when)
{
	char path[PATH_BYTES], text[64];
	long n;
	snprintf(path, sizeof(path), "%s/backup-stamp", data_dir);
	n = read_small(path, text, sizeof(text));
	return n > 0 && sscanf(text, "%llu %llu", count, when) == 2 ? 0 : -1;
}

int backup_run(const char *data_dir, const char *out_path, const char *passphrase)
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
	    (passphrase != NULL && backup_keys(out_fd, data_dir, out_path, passphrase) != 0) || fsync(out_fd) != 0 ||
	    close(out_fd) != 0) {
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
	backup_stamp(data_dir);
	printf(_("backup %s: checkpoint %llu, store %llu bytes (compacted)\n"), out_path,
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

/* The "key" sections after the store: unsealed into DIR/keys with the
 * passphrase; without it, left sealed in DIR/keys-sealed. */
static int restore_keys(int in, const char *data_dir, const char *passphrase)
{
	char dir[PATH_BYTES + 16], line[KEY_NAME_MAX + 48], name[KEY_NAME_MAX + 1], text[KEY_FILE_TEXT_MAX];
	char path[PATH_BYTES + KEY_NAME_MAX + 32], tmp[PATH_BYTES + KEY_NAME_MAX + 48];
	uint8_t public_key[crypto_sign_PUBLICKEYBYTES], secret_key[crypto_sign_SECRETKEYBYTES];
	unsigned count = 0;
	char ch;

	snprintf(dir, sizeof(dir), "%s/%s", data_dir, passphrase != NULL ? "keys" : "keys-sealed");
	while (read_all(in, &ch, 1) == 0) {
		size_t n = 0;
		unsigned long len;
		char *sp;
		int fd;

		if (ch != '\n')
			return fail("bytes after the store that are no key section", NULL);
		while (n < sizeof(line) - 1 && read_all(in, &line[n], 1) == 0 && line[n] != '\n')
			n++;
		line[n] = '\0';
		if (strncmp(line, "key ", 4) != 0 || (sp = strrchr(line + 4, ' ')) == NULL ||
		    (size_t)(sp - (line + 4)) > KEY_NAME_MAX)
			return fail("a damaged key section", NULL);
		memcpy(name, line + 4, (size_t)(sp - (line + 4)));
		name[sp - (line + 4)] = '\0';
		errno = 0;
		len = strtoul(sp + 1, NULL, 10);
		if (!key_name_ok(name) || errno != 0 || len == 0 || len >= sizeof(text) ||
		    read_all(in, text, len) != 0)
			return fail("a damaged key section", NULL);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return fail("cannot create", dir);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		snprintf(tmp, sizeof(tmp), "%s.sealed", path);
		fd = open(passphrase != NULL ? tmp : path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || write_all(fd, text, len) != 0 || close(fd) != 0)
			return fail("cannot write", path);
		if (passphrase != NULL) {
			uint8_t seed[crypto_sign_SEEDBYTES];
			enum manne_status st = keyfile_read_keypair(tmp, passphrase, public_key, secret_key);
			unlink(tmp);
			if (st != MANNE_OK)
				return fail(st == MANNE_ERR_PASSPHRASE ? N_("wrong passphrase for the keys of the backup")
								       : N_("a damaged sealed key in the backup:"),
					    st == MANNE_ERR_PASSPHRASE ? NULL : name);
			crypto_sign_ed25519_sk_to_seed(seed, secret_key);
			sodium_memzero(secret_key, sizeof(secret_key));
			st = keyfile_write_seed(path, seed, NULL);
			sodium_memzero(seed, sizeof(seed));
			if (st != MANNE_OK)
				return fail("cannot write", path);
		}
		count++;
	}
	if (count > 0)
		printf(_("keys: %u restored%s\n"), count,
		       passphrase != NULL ? "" : _(" still sealed in keys-sealed/ (give --passphrase-file to unseal them)"));
	return 0;
}

/* After a failed restore into a directory it made: what it wrote there. */
static void remove_made(const char *data_dir)
{
	static const char *const dirs[] = {"keys", "keys-sealed"};
	char path[PATH_BYTES + KEY_NAME_MAX + 32];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		DIR *dir;
		struct dirent *e;
		snprintf(path, sizeof(path), "%s/%s", data_dir, dirs[i]);
		if ((dir = opendir(path)) == NULL)
			continue;
		while ((e = readdir(dir)) != NULL) {
			char file[sizeof(path) + 96];
			if (!key_name_ok(e->d_name) && strstr(e->d_name, ".key.sealed") == NULL)
				continue;
			snprintf(file, sizeof(file), "%s/%.80s", path, e->d_name);
			unlink(file);
		}
		closedir(dir);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/checkpoint", data_dir);
	unlink(path);
	rmdir(data_dir);
}

int restore_run(const char *in_path, const char *data_dir, const char *passphrase)
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
	if (restore_keys(in, data_dir, passphrase) != 0)
		goto out;
	if (note_len > 0 && checkpoint_file_save(data_dir, note, (size_t)note_len) != 0) {
		fail("cannot write the checkpoint file in", data_dir);
		goto out;
	}
	printf(_("restored %s into %s: start manne-ledger --data %s (with its checkpoint key)\n"), in_path, data_dir,
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
			remove_made(data_dir);
	}
	return rc;
}
