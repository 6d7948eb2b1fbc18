/*
 * fuzz_client_config.c: libFuzzer target for the client configuration file
 * (tools/cli/cli_config.c, docs/cli.md): a file a volunteer is given or
 * copies from a web page. Besides no crash: once a text is accepted, every
 * setting the commands take is 1 to SETTING_BYTES_MAX bytes on one line,
 * without blanks at either end, and reaches a command the same whatever
 * else the command takes; a pin brings --tls with it; and the settings
 * written back as "name = value" lines read back to the same.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/cli_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The names of the file, for the options they stand for (docs/cli.md). */
static const struct {
	const char *name;
	enum cli_opt option;
} names[] = {
	{"host", OPT_HOST}, {"port", OPT_PORT}, {"tls-pin", OPT_PIN},
	{"ledger-id", OPT_LEDGER}, {"checkpoint-key", OPT_CHECKPOINT_KEY}, {"key", OPT_KEY},
};
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

/* A command that takes every option (only NULL), or only those marked. */
static bool takes(enum cli_opt opt, const void *ctx)
{
	const bool *only = ctx;
	return only == NULL || only[opt];
}

/* The settings as such a command gets them, its command line empty. */
static void applied(struct cli *c, const bool *only)
{
	memset(c, 0, sizeof(*c));
	c->command = "status";
	if (cli_apply_settings(c, takes, only) != 0)
		abort();
}

/* A setting reaches a command the same whatever else the command takes:
 * a pin from the file brings TLS even when the file names the host too. */
static void check_alone(const struct cli *all)
{
	for (size_t i = 0; i < NAME_COUNT; i++) {
		enum cli_opt o = names[i].option;
		bool only[OPT_COUNT] = {false};
		struct cli alone;
		only[o] = only[OPT_TLS] = true;
		applied(&alone, only);
		if (alone.counts[o] != all->counts[o] || (all->counts[o] > 0 && alone.values[o][0] != all->values[o][0]))
			abort();
	}
}

static void check(const struct cli *c)
{
	for (size_t i = 0; i < NAME_COUNT; i++) {
		const char *v = c->counts[names[i].option] > 0 ? c->values[names[i].option][0] : NULL;
		size_t n;
		if (v == NULL)
			continue;
		n = strlen(v);
		if (n == 0 || n > SETTING_BYTES_MAX || strchr(v, '\n') != NULL || v[0] == ' ' || v[0] == '\t' ||
		    v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r')
			abort();
	}
	if (c->counts[OPT_PIN] > 0 && c->counts[OPT_TLS] == 0)
		abort();
}

/* Written back as the documentation shows them, the settings read back the
 * same. (Reading replaces the strings c points to: they are copied first.) */
static void round_trip(const struct cli *c)
{
	static char text[NAME_COUNT * (SETTING_BYTES_MAX + 32)], before[NAME_COUNT][SETTING_BYTES_MAX + 1];
	size_t len = 0;
	struct cli again;

	for (size_t i = 0; i < NAME_COUNT; i++) {
		before[i][0] = '\0';
		if (c->counts[names[i].option] == 0)
			continue;
		snprintf(before[i], sizeof(before[i]), "%s", c->values[names[i].option][0]);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s = %s\n", names[i].name, before[i]);
	}
	if (len >= sizeof(text) || cli_config_parse(c, "again", text, len) != 0)
		abort();
	applied(&again, NULL);
	for (size_t i = 0; i < NAME_COUNT; i++) {
		enum cli_opt o = names[i].option;
		if (again.counts[o] != c->counts[o] || (again.counts[o] > 0 && strcmp(again.values[o][0], before[i]) != 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct cli c = {.command = "status"};
	char *text;

	if (!ready) {
		/* Only the text given: no file of this machine's, no environment. */
		unsetenv("MANNE_CONFIG");
		unsetenv("MANNE_LEDGER");
		unsetenv("MANNE_TLS_PIN");
		unsetenv("MANNE_KEY");
		setenv("XDG_CONFIG_HOME", "/nonexistent/manne-fuzz", 1);
		ready = true;
	}
	if (size > CONFIG_BYTES_MAX + 1)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	if (cli_config_parse(&c, "client.conf", text, size) == 0) {
		applied(&c, NULL);
		check(&c);
		check_alone(&c);
		round_trip(&c);
	}
	free(text);
	return 0;
}
