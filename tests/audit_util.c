/*
 * audit_util.c: see audit_util.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ledger/log/bytes.h"
#include "manne.h"

char audit_stderr[16384];

static char *read_all(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(max + 1);
	size_t n = 0;

	assert_non_null(buf);
	if (f != NULL) {
		n = fread(buf, 1, max, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

int audit_run(const char *const *args, json_t **out)
{
	const char *exe = getenv("MANNE_AUDIT");
	char out_path[64], err_path[64], *text, *err;
	const char *argv[80];
	json_error_t error;
	int argc = 0, status;
	pid_t pid;

	assert_non_null(exe);
	snprintf(out_path, sizeof(out_path), "/tmp/manne-audit-%d.out", (int)getpid());
	snprintf(err_path, sizeof(err_path), "/tmp/manne-audit-%d.err", (int)getpid());
	argv[argc++] = exe;
	for (int i = 0; args[i] != NULL && argc < 77; i++)
		argv[argc++] = args[i];
	argv[argc++] = "--json";
	argv[argc] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0)
			_exit(126);
		dup2(o, 1);
		dup2(e, 2);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	text = read_all(out_path, 4U << 20);
	err = read_all(err_path, sizeof(audit_stderr) - 1);
	snprintf(audit_stderr, sizeof(audit_stderr), "%s", err);
	if (getenv("MANNE_AUDIT_VERBOSE") != NULL)  /* what the auditor told people, when debugging a test */
		fprintf(stderr, "manne-audit exit %d:\n%s", WEXITSTATUS(status), err);
	free(err);
	unlink(out_path);
	unlink(err_path);
	assert_true(WIFEXITED(status));
	if (out != NULL) {
		*out = json_loads(text, 0, &error);
		if (*out == NULL)
			fail_msg("manne-audit printed no JSON (exit %d): %s\nstdout: %.2000s\nstderr: %s",
				 WEXITSTATUS(status), error.text, text, audit_stderr);
	}
	free(text);
	return WEXITSTATUS(status);
}

json_t *audit_json(json_t *j, const char *path)
{
	char part[64];
	const char *p = path;

	while (j != NULL && *p != '\0') {
		size_t n = strcspn(p, ".");
		assert_true(n < sizeof(part));
		memcpy(part, p, n);
		part[n] = '\0';
		if (json_is_array(j))
			j = json_array_get(j, (size_t)strtoul(part, NULL, 10));
		else
			j = json_object_get(j, part);
		p += n;
		if (*p == '.')
			p++;
	}
	if (j == NULL)
		fail_msg("no %s in the audit's JSON", path);
	return j;
}

uint64_t audit_json_u64(json_t *j, const char *path)
{
	json_t *v = audit_json(j, path);
	if (!json_is_integer(v))
		fail_msg("%s is not a number", path);
	return (uint64_t)json_integer_value(v);
}

const char *audit_json_str(json_t *j, const char *path)
{
	json_t *v = audit_json(j, path);
	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

bool audit_json_bool(json_t *j, const char *path)
{
	json_t *v = audit_json(j, path);
	if (!json_is_boolean(v))
		fail_msg("%s is not a boolean", path);
	return json_is_true(v);
}

void audit_vkey(const char *origin, const uint8_t public_key[32], char out[256])
{
	assert_int_equal(note_verifier_format(origin, public_key, out, 256), 0);
}

void audit_sign_checkpoint(struct ledger *ledger, const uint8_t secret_key[64], char note[NOTE_BYTES_MAX + 1])
{
	const struct ledger_state *s = &ledger->state;
	const struct totals *t = &s->totals;
	struct checkpoint c;
	char text[NOTE_BYTES_MAX];
	size_t len;

	memset(&c, 0, sizeof(c));
	memcpy(c.origin, s->origin, s->origin_len);
	c.tree_size = s->tree_size;
	assert_int_equal(ledger_root(ledger, s->tree_size, c.root), 0);
	c.totals = (struct checkpoint_totals){t->issued, t->retired, t->reconverted, t->fees, t->pending,
					      t->funded, t->paid_out, t->released, 0, 0};
	assert_int_equal(totals_outstanding(t, &c.totals.outstanding), 0);
	assert_int_equal(totals_reserve(t, &c.totals.reserve), 0);
	assert_int_equal(checkpoint_format(&c, text, sizeof(text), &len), 0);
	assert_int_equal(note_sign(text, len, c.origin, secret_key, note, NOTE_BYTES_MAX + 1), 0);
}

void audit_write_export(struct ledger *ledger, uint64_t size, const char *note, const char *path)
{
	struct manne_export_writer *w;
	struct store_txn *txn;
	uint8_t root[32];

	unlink(path);
	assert_int_equal(manne_export_create(path, &w), MANNE_OK);
	assert_int_equal(store_begin(ledger->store, false, &txn), STORE_OK);
	for (uint64_t i = 0; i < size; i++) {
		const uint8_t *leaf;
		size_t len;
		assert_int_equal(store_leaf_get(txn, i, &leaf, &len), STORE_OK);
		assert_int_equal(manne_export_add(w, leaf, len), MANNE_OK);
	}
	store_abort(txn);
	assert_int_equal(ledger_root(ledger, size, root), 0);
	assert_int_equal(manne_export_finish(w, note, strlen(note), root), MANNE_OK);
}

uint8_t *audit_file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void audit_file_write(const char *path, const uint8_t *bytes, size_t len)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

size_t audit_export_layout(const char *path, size_t *offsets, size_t max, size_t *note_at)
{
	size_t len, pos = 16, count = 0;
	uint8_t *bytes = audit_file_read(path, &len);

	for (;;) {
		uint32_t n;
		assert_true(pos + 4 <= len);
		n = load_be32(bytes + pos);
		if (n == 0)
			break;
		assert_true(count < max);
		offsets[count++] = pos;
		pos += 4 + n;
	}
	*note_at = pos + 4;
	free(bytes);
	return count;
}
