/*
 * test_daemon_backup.c: backup and restore (SPEC §8, §13). A backup taken
 * with `manne-ledger backup` while payments keep landing restores into a
 * new data directory, the daemon starts on it, and manne-audit, with the
 * board's key as reader, finds the restored ledger clean; the backup is
 * mode 0600 and holds no key unless asked, and then sealed; restore refuses
 * a damaged backup and an existing store.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit_util.h"
#include "daemon.h"
#include "ledger/keys/keyfile.h"

static struct daemon d;
static struct manne_keypair payer, shop;
static atomic_bool stop_load;
static atomic_uint paid;

/* Payments one after another until told to stop. */
static void *load(void *arg)
{
	struct manne_wire w;
	(void)arg;
	daemon_connect(&d, &w);
	for (uint64_t seq = 1; !atomic_load(&stop_load) && seq < 100000; seq++) {
		uint8_t *bytes;
		size_t len;
		Manne__Response *r;
		daemon_sign_pay(&d, &payer, seq, shop.public_key, 1, NULL, NULL, &bytes, &len, NULL);
		daemon_send_submit(&w, seq, bytes, len, false);
		free(bytes);
		r = manne_wire_receive(&w);
		assert_non_null(r);
		assert_int_equal(r->status, MANNE__STATUS__OK);
		manne__response__free_unpacked(r, NULL);
		atomic_fetch_add(&paid, 1);
	}
	manne_wire_close(&w);
	return NULL;
}

static int setup(void **state)
{
	struct manne_wire w;
	(void)state;
	daemon_start(&d, NULL);
	daemon_keypair(&payer);
	daemon_keypair(&shop);
	daemon_connect(&d, &w);
	daemon_open_account(&d, &w, &payer, MANNE__ROLE__ROLE_MEMBER, false, NULL);
	daemon_open_account(&d, &w, &shop, MANNE__ROLE__ROLE_SHOP, false, NULL);
	daemon_fund(&d, &w, 1000000);
	daemon_issue(&d, &w, payer.public_key, 1000000, NULL);
	manne_wire_close(&w);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	daemon_finish(&d);
	daemon_cleanup(&d);
	return 0;
}

static void test_backup_under_load_restores_and_audits(void **state)
{
	const char *exe = getenv("MANNE_LEDGER_EXE");
	char backup[128], restored[64], cmd[400], state_dir[160], vkey[256], key[160];
	struct daemon r;
	pthread_t thread;
	struct stat st;
	json_t *j = NULL;
	int rc;
	(void)state;

	snprintf(backup, sizeof(backup), "%s/nightly.backup", d.dir);
	atomic_store(&stop_load, false);
	assert_int_equal(pthread_create(&thread, NULL, load, NULL), 0);
	while (atomic_load(&paid) < 50)
		usleep(1000);
	unsigned before_backup = atomic_load(&paid), after_backup;
	{
		const char *argv[] = {exe, "backup", "--data", d.dir, "--out", backup, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
		after_backup = atomic_load(&paid);
		assert_int_equal(daemon_run_program(argv, NULL, 0), 1); /* never over an existing backup */
	}
	while (atomic_load(&paid) < after_backup + 50)
		usleep(1000);
	atomic_store(&stop_load, true);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(stat(backup, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	{
		/* No key in it: not the checkpoint key's secret, nor a board key's. */
		size_t len;
		uint8_t *bytes = audit_file_read(backup, &len);
		char hex[129];
		sodium_bin2hex(hex, sizeof(hex), d.checkpoint.secret_key, 32);
		assert_null(memmem(bytes, len, d.checkpoint.secret_key, 32));
		assert_null(memmem(bytes, len, hex, 64));
		assert_null(memmem(bytes, len, d.board[0].secret_key, 32));
		free(bytes);
	}

	/* Restore into a new directory, with the keys kept apart. */
	memset(&r, 0, sizeof(r));
	strcpy(r.dir, "/tmp/manne-restore-XXXXXX");
	assert_non_null(mkdtemp(r.dir));
	snprintf(restored, sizeof(restored), "%.40s/ledger", r.dir);
	{
		const char *argv[] = {exe, "restore", "--in", backup, "--data", restored, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
		assert_int_equal(daemon_run_program(argv, NULL, 0), 1); /* never over a store */
	}
	snprintf(cmd, sizeof(cmd), "cp -rp '%s/keys' '%s/keys'", d.dir, restored);
	assert_int_equal(system(cmd), 0);
	/* The restored daemon: the harness's directory is r.dir/ledger. */
	memcpy(r.board, d.board, sizeof(d.board));
	memcpy(&r.checkpoint, &d.checkpoint, sizeof(d.checkpoint));
	memcpy(r.genesis_id, d.genesis_id, sizeof(d.genesis_id));
	{
		struct daemon tmp = r;
		memcpy(tmp.dir, restored, sizeof(tmp.dir));
		assert_int_equal(daemon_try_restart(&tmp, NULL), 0);
		r = tmp;
	}
	/* What the backup holds: its checkpoint and every leaf up to at least it. */
	{
		struct manne_wire w;
		Manne__Response *resp;
		daemon_connect(&r, &w);
		resp = daemon_read_account(&w, shop.public_key);
		assert_int_equal(resp->status, MANNE__STATUS__NOT_PERMITTED); /* reads still need a key */
		manne__response__free_unpacked(resp, NULL);
		assert_int_equal(daemon_authenticate(&w, &r.board[0]), MANNE__STATUS__OK);
		resp = daemon_read_account(&w, shop.public_key);
		assert_int_equal(resp->status, MANNE__STATUS__OK);
		/* Every payment receipted before the backup began, none after it ended. */
		print_message("backup: %u paid before, %llu in the backup, %u after\n", before_backup,
			      (unsigned long long)resp->account->balance, after_backup);
		assert_true(resp->account->balance >= before_backup);
		assert_true(resp->account->balance <= after_backup + 1);
		manne__response__free_unpacked(resp, NULL);
		manne_wire_close(&w);
	}
	/* The auditor finds it clean, against the ledger's checkpoint key. */
	audit_vkey("manne.demo/v1", d.checkpoint.public_key, vkey);
	snprintf(state_dir, sizeof(state_dir), "%s/audit", r.dir);
	snprintf(key, sizeof(key), "%s/keys/board0.key", restored);
	{
		char port[16];
		snprintf(port, sizeof(port), "%u", r.port);
		rc = AUDIT_RUN(&j, "--state", state_dir, "--port", port, "--key", key, "--checkpoint-key", vkey);
	}
	if (rc != 0)
		fail_msg("manne-audit exit %d: %s", rc, audit_stderr);
	assert_true(audit_json_bool(j, "ok"));
	json_decref(j);
	daemon_finish(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r.dir);
	assert_int_equal(system(cmd), 0);
}

/* A damaged or truncated backup is refused, and nothing is left half-made. */
static void test_restore_refuses_damage(void **state)
{
	const char *exe = getenv("MANNE_LEDGER_EXE");
	char backup[128], cut[128], into[128];
	size_t len;
	uint8_t *bytes;
	(void)state;

	snprintf(backup, sizeof(backup), "%s/b.backup", d.dir);
	snprintf(cut, sizeof(cut), "%s/cut.backup", d.dir);
	snprintf(into, sizeof(into), "%s/restored", d.dir);
	{
		const char *argv[] = {exe, "backup", "--data", d.dir, "--out", backup, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	bytes = audit_file_read(backup, &len);
	audit_file_write(cut, bytes, len - 100);
	{
		const char *argv[] = {exe, "restore", "--in", cut, "--data", into, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 1);
		assert_int_equal(access(into, F_OK), -1);
	}
	bytes[0] = 'X';
	audit_file_write(cut, bytes, len);
	free(bytes);
	{
		char other[160];
		snprintf(other, sizeof(other), "%s/restored2", d.dir);
		const char *argv[] = {exe, "restore", "--in", cut, "--data", other, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 1);
		assert_int_equal(access(other, F_OK), -1);
	}
}

/* An older backup, restored, is behind what the ledger published since:
 * `manne replay-export` brings back the missing leaves from an export,
 * after proving the export is the published history; the daemon then
 * starts at the published size and the auditor finds it clean against the
 * last published checkpoint. An export of another history is refused with
 * nothing written. */
static void test_older_backup_plus_export(void **state)
{
	const char *exe = getenv("MANNE_LEDGER_EXE"), *cli = getenv("MANNE_CLI");
	char backup[128], export[128], restored[64], cmd[400], port[16], b0[160], vkey[256], state_dir[160];
	char latest[160], key_hex[65], top[64];
	struct daemon r;
	struct manne_wire w;
	Manne__Response *resp;
	uint64_t published;
	json_t *j = NULL;
	int rc;
	(void)state;

	snprintf(backup, sizeof(backup), "%s/older.backup", d.dir);
	snprintf(export, sizeof(export), "%s/log.export", d.dir);
	snprintf(b0, sizeof(b0), "%s/keys/board0.key", d.dir);
	{
		const char *argv[] = {exe, "backup", "--data", d.dir, "--out", backup, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	/* The ledger moves on and publishes. */
	daemon_connect(&d, &w);
	daemon_fund(&d, &w, 500);
	daemon_issue(&d, &w, payer.public_key, 500, NULL);
	resp = daemon_read_status(&w);
	published = resp->status_info->tree_size;
	manne__response__free_unpacked(resp, NULL);
	manne_wire_close(&w);
	snprintf(port, sizeof(port), "%u", d.port);
	sodium_bin2hex(key_hex, sizeof(key_hex), d.checkpoint.public_key, 32);
	{
		const char *argv[] = {cli, "export", export, "--port", port, "--key", b0, "--checkpoint-key", key_hex, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	snprintf(latest, sizeof(latest), "%s/checkpoint", d.dir);

	/* Restore the older backup; replay the export onto it. */
	memset(&r, 0, sizeof(r));
	strcpy(r.dir, "/tmp/manne-replay-XXXXXX");
	assert_non_null(mkdtemp(r.dir));
	memcpy(top, r.dir, sizeof(top));
	snprintf(restored, sizeof(restored), "%.40s/ledger", r.dir);
	{
		const char *argv[] = {exe, "restore", "--in", backup, "--data", restored, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	{
		/* The wrong key: refused, nothing written. */
		char other[65];
		sodium_bin2hex(other, sizeof(other), d.board[2].public_key, 32);
		const char *argv[] = {cli, "replay-export", "--data", restored, "--file", export, "--checkpoint-key", other, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 5);
	}
	{
		const char *argv[] = {cli, "replay-export", "--data", restored, "--file", export, "--checkpoint-key", key_hex, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	snprintf(cmd, sizeof(cmd), "cp -rp '%s/keys' '%s/keys'", d.dir, restored);
	assert_int_equal(system(cmd), 0);
	memcpy(r.board, d.board, sizeof(d.board));
	memcpy(&r.checkpoint, &d.checkpoint, sizeof(d.checkpoint));
	memcpy(r.dir, restored, sizeof(r.dir));
	assert_int_equal(daemon_try_restart(&r, NULL), 0);
	daemon_connect(&r, &w);
	resp = daemon_read_status(&w);
	assert_true(resp->status_info->tree_size >= published);
	manne__response__free_unpacked(resp, NULL);
	manne_wire_close(&w);
	/* Clean against the last checkpoint the ledger published. */
	audit_vkey("manne.demo/v1", d.checkpoint.public_key, vkey);
	snprintf(state_dir, sizeof(state_dir), "%s/audit-replay", d.dir);
	snprintf(port, sizeof(port), "%u", r.port);
	rc = AUDIT_RUN(&j, "--state", state_dir, "--port", port, "--key", b0, "--checkpoint-key", vkey, "--checkpoint",
		       latest);
	if (rc != 0)
		fail_msg("manne-audit exit %d: %s", rc, audit_stderr);
	assert_true(audit_json_bool(j, "ok"));
	json_decref(j);
	daemon_finish(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%.60s'", top);
	assert_int_equal(system(cmd), 0);
}

/* --with-keys: the keys sealed under a passphrase (no plain seed in the
 * file); restored with the passphrase they are the same keys and the
 * daemon starts with nothing copied by hand; without it they stay sealed;
 * a wrong passphrase is refused and leaves nothing behind. */
static void test_backup_with_keys(void **state)
{
	const char *exe = getenv("MANNE_LEDGER_EXE");
	char backup[128], pass[128], wrong[128], into[128], sealed[128], key_path[192], cmd[256];
	struct manne_keypair restored_key;
	struct daemon r;
	uint8_t *bytes, seed[32];
	size_t len;
	char seed_hex[65];
	FILE *f;
	(void)state;

	snprintf(backup, sizeof(backup), "%s/keys.backup", d.dir);
	snprintf(pass, sizeof(pass), "%s/passphrase", d.dir);
	snprintf(wrong, sizeof(wrong), "%s/wrong", d.dir);
	f = fopen(pass, "w");
	fputs("une longue phrase de passe\n", f);
	fclose(f);
	f = fopen(wrong, "w");
	fputs("une autre\n", f);
	fclose(f);
	{
		const char *argv[] = {exe, "backup", "--data", d.dir, "--out", backup, "--with-keys", NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 2); /* --with-keys needs a passphrase */
	}
	{
		const char *argv[] = {exe, "backup", "--data", d.dir, "--out", backup, "--with-keys", "--passphrase-file", pass,
				      NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	bytes = audit_file_read(backup, &len);
	crypto_sign_ed25519_sk_to_seed(seed, d.checkpoint.secret_key);
	sodium_bin2hex(seed_hex, sizeof(seed_hex), seed, 32);
	assert_null(memmem(bytes, len, seed_hex, 64));
	assert_null(memmem(bytes, len, seed, 32));
	assert_non_null(memmem(bytes, len, "manne-sealed-key-v1", 19));
	free(bytes);

	snprintf(into, sizeof(into), "%s/wrongly", d.dir);
	{
		const char *argv[] = {exe, "restore", "--in", backup, "--data", into, "--passphrase-file", wrong, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 1);
		assert_int_equal(access(into, F_OK), -1);
	}
	snprintf(sealed, sizeof(sealed), "%s/sealed", d.dir);
	{
		const char *argv[] = {exe, "restore", "--in", backup, "--data", sealed, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
		snprintf(key_path, sizeof(key_path), "%s/keys-sealed/checkpoint.key", sealed);
		assert_int_equal(access(key_path, F_OK), 0);
		assert_true(keyfile_read(key_path, &restored_key) != 0); /* sealed: no plain read */
	}
	memset(&r, 0, sizeof(r));
	strcpy(r.dir, "/tmp/manne-keys-XXXXXX");
	assert_non_null(mkdtemp(r.dir));
	assert_int_equal(rmdir(r.dir), 0); /* restore makes it */
	{
		const char *argv[] = {exe, "restore", "--in", backup, "--data", r.dir, "--passphrase-file", pass, NULL};
		assert_int_equal(daemon_run_program(argv, NULL, 0), 0);
	}
	snprintf(key_path, sizeof(key_path), "%s/keys/checkpoint.key", r.dir);
	assert_int_equal(keyfile_read(key_path, &restored_key), 0);
	assert_memory_equal(restored_key.secret_key, d.checkpoint.secret_key, 64);
	sodium_memzero(&restored_key, sizeof(restored_key));
	memcpy(r.board, d.board, sizeof(d.board));
	memcpy(&r.checkpoint, &d.checkpoint, sizeof(d.checkpoint));
	assert_int_equal(daemon_try_restart(&r, NULL), 0); /* no key copied by hand */
	daemon_finish(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r.dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup_under_load_restores_and_audits),
		cmocka_unit_test(test_restore_refuses_damage),
		cmocka_unit_test(test_older_backup_plus_export),
		cmocka_unit_test(test_backup_with_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
