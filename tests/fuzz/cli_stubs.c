/*
 * cli_stubs.c: the CLI's two failure printers for the fuzz targets that
 * link one file of tools/cli (fuzz_prepared.c, fuzz_client_config.c) and
 * not the CLI's output. They format the message as the real ones do, so a
 * format that reads past its arguments still shows, and print nothing.
 */
#include <stdarg.h>
#include <stdio.h>

#include "tools/cli/cli.h"

int cli_fail(const struct cli *c, enum manne_status status, const char *message)
{
	(void)c;
	(void)status;
	(void)message;
	return EXIT_REFUSED;
}

int cli_usage_error(const struct cli *c, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	(void)c;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}
