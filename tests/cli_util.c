/*
 * cli_util.c: see cli_util.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_util.h"

char dir[128], out_buf[65536], err_buf[16384];
const char *cli;
const char *cli_lang;

void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	if (f != NULL) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Runs manne with the NULL-terminated arguments; stdout and stderr go to out_buf and err_buf. */
int run_argv(const char *const *args)
{
	char out_path[192], err_path[192];
	const char *argv[64];
	int argc = 0, status;
	pid_t pid;

	argv[argc++] = cli;
	for (int i = 0; args[i] != NULL && argc < 63; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	snprintf(out_path, sizeof(out_path), "%s/stdout", dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int in = open("/dev/null", O_RDONLY);
		if (out < 0 || err < 0 || in < 0 || setsid() < 0)
			_exit(126);
		dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		if (cli_lang != NULL) {
			setenv("LANG", cli_lang, 1);
			setenv("LC_ALL", cli_lang, 1);
		}
		execv(cli, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	read_file(out_path, out_buf, sizeof(out_buf));
	read_file(err_path, err_buf, sizeof(err_buf));
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}


/* The one JSON object a --json command printed (caller decrefs). */
json_t *json_out(void)
{
	json_error_t error;
	json_t *j = json_loads(out_buf, 0, &error);
	if (j == NULL || !json_is_object(j))
		fail_msg("not one JSON object: %s (%s)", out_buf, error.text);
	return j;
}

const char *jstr(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	if (!json_is_string(v))
		fail_msg("no string %s in %s", key, out_buf);
	return json_string_value(v);
}

json_int_t jint(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	if (!json_is_integer(v))
		fail_msg("no integer %s in %s", key, out_buf);
	return json_integer_value(v);
}

bool jbool(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	if (!json_is_boolean(v))
		fail_msg("no boolean %s in %s", key, out_buf);
	return json_is_true(v);
}

void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

void keygen(const char *name, char *path, size_t size, char pub[65])
{
	struct stat st;
	json_t *j;

	path_of(path, size, name);
	EXPECT_EXIT(0, "keygen", path, "--json");
	j = json_out();
	assert_true(jbool(j, "ok"));
	assert_false(jbool(j, "sealed"));
	assert_int_equal(strlen(jstr(j, "public_key")), 64);
	strcpy(pub, jstr(j, "public_key"));
	json_decref(j);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

