/*
 * cli_util.h: running the real `manne` binary in tests: each command in a
 * new session without a terminal (a prompt can never wait), its stdout and
 * stderr in out_buf and err_buf, under the locale cli_lang when set
 * (LANG and LC_ALL; NULL: the test's own).
 */
#ifndef MANNE_TESTS_CLI_UTIL_H
#define MANNE_TESTS_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

extern char dir[128], out_buf[65536], err_buf[16384];  /* dir: where files of the test go */
extern const char *cli;                                 /* the manne binary */
extern const char *cli_lang;

void read_file(const char *path, char *buf, size_t size);
void write_file(const char *path, const char *text);
/* Runs manne with the NULL-terminated arguments; returns its exit code. */
int run_argv(const char *const *args);
#define RUN(...) run_argv((const char *const[]){__VA_ARGS__, NULL})
/* Asserts the exit code, printing what the command said otherwise. */
#define EXPECT_EXIT(code, ...)                                                                            \
	do {                                                                                              \
		int rc_ = RUN(__VA_ARGS__);                                                               \
		if (rc_ != (code))                                                                        \
			fail_msg("exit %d, want %d\nstdout: %s\nstderr: %s", rc_, (code), out_buf, err_buf); \
	} while (0)

/* The one JSON object a --json command printed (caller decrefs), and its members. */
json_t *json_out(void);
const char *jstr(json_t *j, const char *key);
json_int_t jint(json_t *j, const char *key);
bool jbool(json_t *j, const char *key);
/* dir/name */
void path_of(char *out, size_t size, const char *name);
/* keygen of dir/name (checked 0600); its public key in pub. */
void keygen(const char *name, char *path, size_t size, char pub[65]);

#endif
