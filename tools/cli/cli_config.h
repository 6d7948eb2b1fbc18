/*
 * cli_config.h: the text of a client configuration file (cli_config.c),
 * apart from finding and reading the file, so that
 * tests/fuzz/fuzz_client_config.c runs the very parser `manne` runs.
 */
#ifndef MANNE_CLI_CONFIG_H
#define MANNE_CLI_CONFIG_H

#include <stddef.h>

#include "cli.h"

#define CONFIG_BYTES_MAX 65536U
#define SETTING_BYTES_MAX 1024U

/* Takes "name = value" lines and '#' comments from text: len bytes, and
 * room for one more unless len is over CONFIG_BYTES_MAX (the text is cut up
 * in place). Each setting replaces the one read before, for
 * cli_apply_settings. path names the file in messages. 0, or the exit code
 * after saying which line is wrong. */
int cli_config_parse(const struct cli *c, const char *path, char *text, size_t len);

#endif
