/*
 * cli_config.c: what a volunteer sets once instead of on every command
 * (docs/cli.md): the ledger's address, its TLS pin, its identity, the
 * checkpoint verifier key and the default key file, from the client
 * configuration file and the environment. A flag on the command line wins
 * over the environment, which wins over the file; a setting applies only to
 * the commands that take its option.
 *
 *   file: $MANNE_CONFIG, else $XDG_CONFIG_HOME/manne/client.conf, else
 *         ~/.config/manne/client.conf; "name = value" lines, '#' comments:
 *         host, port, tls-pin, ledger-id, checkpoint-key, key
 *   environment: MANNE_LEDGER (HOST or HOST:PORT, [IPv6]:PORT),
 *         MANNE_TLS_PIN, MANNE_KEY
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_config.h"

enum setting { SET_HOST, SET_PORT, SET_PIN, SET_LEDGER_ID, SET_CHECKPOINT_KEY, SET_KEY, SET_COUNT };

static const struct {
	const char *name;     /* in the file */
	enum cli_opt option;  /* what it stands for */
} settings[SET_COUNT] = {
	[SET_HOST] = {"host", OPT_HOST},
	[SET_PORT] = {"port", OPT_PORT},
	[SET_PIN] = {"tls-pin", OPT_PIN},
	[SET_LEDGER_ID] = {"ledger-id", OPT_LEDGER},
	[SET_CHECKPOINT_KEY] = {"checkpoint-key", OPT_CHECKPOINT_KEY},
	[SET_KEY] = {"key", OPT_KEY},
};

/* Kept for the program's life: the options point into them. */
static char *values[SET_COUNT];

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int set(enum setting which, const char *value)
{
	char *copy = strdup(value);
	if (copy == NULL)
		return -1;
	free(values[which]);
	values[which] = copy;
	return 0;
}

static const char *config_path(char *buf, size_t size)
{
	const char *explicit_path = getenv("MANNE_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (explicit_path != NULL && explicit_path[0] != '\0')
		return explicit_path;
	if (xdg != NULL && xdg[0] != '\0')
		snprintf(buf, size, "%s/manne/client.conf", xdg);
	else if (home != NULL && home[0] != '\0')
		snprintf(buf, size, "%s/.config/manne/client.conf", home);
	else
		return NULL;
	return buf;
}

int cli_config_parse(const struct cli *c, const char *path, char *text, size_t len)
{
	char *line, *save = NULL;
	unsigned number = 0;

	if (len > CONFIG_BYTES_MAX || memchr(text, '\0', len) != NULL)
		return cli_usage_error(c, "%s is not a client configuration (too long, or binary)", path);
	text[len] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *eq, *name, *value;
		size_t which;
		number++;
		line = trim(line);
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((eq = strchr(line, '=')) == NULL)
			return cli_usage_error(c, "%s:%u: a line is \"name = value\"", path, number);
		*eq = '\0';
		name = trim(line);
		value = trim(eq + 1);
		for (which = 0; which < SET_COUNT; which++)
			if (strcmp(name, settings[which].name) == 0)
				break;
		if (which == SET_COUNT)
			return cli_usage_error(c, "%s:%u: no setting '%s' (host, port, tls-pin, ledger-id, "
						  "checkpoint-key, key)", path, number, name);
		if (value[0] == '\0' || strlen(value) > SETTING_BYTES_MAX)
			return cli_usage_error(c, "%s:%u: the value of %s is empty or too long", path, number, name);
		/* Said here, with the file and the line, rather than as a bad --port later. */
		if (which == SET_PORT && (strspn(value, "0123456789") != strlen(value) || strlen(value) > 5 ||
					  atoi(value) < 1 || atoi(value) > 65535))
			return cli_usage_error(c, "%s:%u: port is a number from 1 to 65535", path, number);
		if (set((enum setting)which, value) != 0)
			return cli_usage_error(c, "%s:%u: out of memory", path, number);
	}
	return 0;
}

static int read_file(const struct cli *c, const char *path)
{
	char text[CONFIG_BYTES_MAX + 1];
	FILE *f = fopen(path, "r");
	size_t len;

	if (f == NULL)
		return errno == ENOENT && getenv("MANNE_CONFIG") == NULL ? 0
									 : cli_usage_error(c, "cannot read %s", path);
	len = fread(text, 1, CONFIG_BYTES_MAX + 1, f);
	fclose(f);
	return cli_config_parse(c, path, text, len);
}

/* MANNE_LEDGER: HOST, HOST:PORT or [IPv6]:PORT. */
static int read_address(const struct cli *c, const char *address)
{
	char host[SETTING_BYTES_MAX + 1];
	const char *port = NULL;

	if (strlen(address) > SETTING_BYTES_MAX)
		return cli_usage_error(c, "MANNE_LEDGER is too long");
	if (address[0] == '[') {
		const char *close = strchr(address, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return cli_usage_error(c, "MANNE_LEDGER is HOST, HOST:PORT or [IPv6]:PORT");
		snprintf(host, sizeof(host), "%.*s", (int)(close - address - 1), address + 1);
		port = close[1] == ':' ? close + 2 : NULL;
	} else if (strchr(address, ':') != strrchr(address, ':')) {
		snprintf(host, sizeof(host), "%s", address); /* a bare IPv6 address */
	} else {
		const char *colon = strchr(address, ':');
		snprintf(host, sizeof(host), "%.*s", colon != NULL ? (int)(colon - address) : (int)strlen(address), address);
		port = colon != NULL ? colon + 1 : NULL;
	}
	if (host[0] == '\0' || set(SET_HOST, host) != 0 || (port != NULL && set(SET_PORT, port) != 0))
		return cli_usage_error(c, "MANNE_LEDGER is HOST, HOST:PORT or [IPv6]:PORT");
	return 0;
}

int cli_apply_settings(struct cli *c, bool (*takes)(enum cli_opt opt, const void *ctx), const void *ctx)
{
	char buf[4096];
	const char *path = config_path(buf, sizeof(buf)), *env;
	/* Asked before the loop below gives host and port from the settings. */
	bool address_given = c->counts[OPT_HOST] > 0 || c->counts[OPT_PORT] > 0;
	int rc;

	if (path != NULL && (rc = read_file(c, path)) != 0)
		return rc;
	if ((env = getenv("MANNE_LEDGER")) != NULL && env[0] != '\0' && (rc = read_address(c, env)) != 0)
		return rc;
	if ((env = getenv("MANNE_TLS_PIN")) != NULL && env[0] != '\0' && set(SET_PIN, env) != 0)
		return cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	if ((env = getenv("MANNE_KEY")) != NULL && env[0] != '\0' && set(SET_KEY, env) != 0)
		return cli_fail(c, MANNE_ERR_NO_MEMORY, NULL);
	for (size_t i = 0; i < SET_COUNT; i++) {
		enum cli_opt opt = settings[i].option;
		if (values[i] == NULL || !takes(opt, ctx) || c->counts[opt] > 0)
			continue;
		/* A body prepared for others to sign (--out) is signed by no one
		 * the command line did not name. */
		if (opt == OPT_KEY && c->counts[OPT_OUT] > 0)
			continue;
		/* A pin comes with TLS, unless the command line chose plain TCP by
		 * giving the ledger's address itself. */
		if (opt == OPT_PIN && address_given)
			continue;
		c->values[opt][0] = values[i];
		c->counts[opt] = 1;
		if (opt == OPT_PIN && takes(OPT_TLS, ctx) && c->counts[OPT_TLS] == 0) {
			c->values[OPT_TLS][0] = "";
			c->counts[OPT_TLS] = 1;
		}
	}
	return 0;
}
