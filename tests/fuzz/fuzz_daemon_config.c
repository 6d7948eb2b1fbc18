/*
 * fuzz_daemon_config.c: libFuzzer target for manne-ledger's config file
 * (ledger/server/config.c, docs/daemon.md), which an operator may copy from
 * a web page or a colleague. Besides no crash: a refused file always says
 * why; an accepted one leaves every text setting terminated inside its
 * field, every port and bound within its documented range, and reading the
 * same text again gives the same settings.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int load(const uint8_t *data, size_t size, struct server_config *c, char *why, size_t why_size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	int rc;

	config_defaults(c);
	why[0] = '\0';
	if (f == NULL)
		return -2;
	rc = config_load_stream(c, f, "fuzz.conf", why, why_size);
	fclose(f);
	return rc;
}

static void terminated(const char *field, size_t size)
{
	if (memchr(field, '\0', size) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct server_config c, again;
	char why[512], why_again[512];
	int rc;

	if (size == 0 || size > 1U << 16)
		return 0;
	rc = load(data, size, &c, why, sizeof(why));
	if (rc == -2)
		return 0;
	if (rc != 0) {
		if (why[0] == '\0')
			abort(); /* refused without a word */
		return 0;
	}
	terminated(c.data_dir, sizeof(c.data_dir));
	terminated(c.listen_host, sizeof(c.listen_host));
	terminated(c.tls_listen_host, sizeof(c.tls_listen_host));
	terminated(c.tls_cert, sizeof(c.tls_cert));
	terminated(c.tls_key, sizeof(c.tls_key));
	terminated(c.metrics_host, sizeof(c.metrics_host));
	terminated(c.port_file, sizeof(c.port_file));
	terminated(c.checkpoint_key_file, sizeof(c.checkpoint_key_file));
	terminated(c.card_key_file, sizeof(c.card_key_file));
	if (c.listen_host[0] == '\0' || c.fee_bp > 10000 || c.utc_offset_minutes < -14 * 60 ||
	    c.utc_offset_minutes > 14 * 60 || c.frame_bytes_max == 0 || c.connections_max == 0)
		abort();
	if (load(data, size, &again, why_again, sizeof(why_again)) != 0 || memcmp(&c, &again, sizeof(c)) != 0)
		abort();
	return 0;
}
