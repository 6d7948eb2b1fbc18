/*
 * config.c: manne-ledger's settings, from defaults, then a config file
 * (--config FILE: "name = value" lines, '#' comments, the same names as the
 * flags), then flags. Every value is checked against its range.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

void config_defaults(struct server_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->listen_host, "127.0.0.1");
	c->listen_port = 7411;
	c->frame_bytes_max = FRAME_BYTES_MAX_DEFAULT;
	c->connections_max = CONNECTIONS_MAX_DEFAULT;
	c->connections_reserved = UINT32_MAX; /* unset: a sixteenth of connections-max */
	c->connections_per_address = CONNECTIONS_PER_ADDRESS_DEFAULT;
	c->auth_timeout_ms = AUTH_TIMEOUT_MS_DEFAULT;
	c->frame_timeout_ms = FRAME_TIMEOUT_MS_DEFAULT;
	c->write_timeout_ms = WRITE_TIMEOUT_MS_DEFAULT;
	c->reply_bytes_total_max = REPLY_BYTES_TOTAL_MAX_DEFAULT;
	c->in_flight_max = IN_FLIGHT_MAX_DEFAULT;
	c->idle_timeout_ms = IDLE_TIMEOUT_MS_DEFAULT;
	c->map_bytes = MAP_BYTES_DEFAULT;
	c->utc_offset_minutes = 60;   /* the écopôles are in France */
	c->eu_summer_time = true;
	c->fee_bp = 200;
}

/* Sizes may say K, M or G (binary); counts, ports and times may not. */
static int parse_u64_as(const char *s, uint64_t min, uint64_t max, bool size, uint64_t *out);

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse_u64_as(s, min, max, false, out);
}

static int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse_u64_as(s, min, max, true, out);
}

static int parse_u64_as(const char *s, uint64_t min, uint64_t max, bool size, uint64_t *out)
{
	char *end;
	unsigned long long v;
	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (size && (*end == 'K' || *end == 'M' || *end == 'G')) {
		unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : 30;
		if (v > (max >> shift))
			return -1;
		v <<= shift;
		end++;
	}
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* HOST:PORT, or [IPv6]:PORT, into host (64 bytes, without brackets) and port. */
static int parse_listen(const char *v, char host[64], uint16_t *port)
{
	const char *colon = strrchr(v, ':'), *start = v, *end = colon;
	uint64_t p;
	if (colon == NULL || colon == v || parse_u64(colon + 1, 0, 65535, &p) != 0)
		return -1;
	if (v[0] == '[') {
		if (colon[-1] != ']')
			return -1;
		start = v + 1;
		end = colon - 1;
	} else if (memchr(v, ':', (size_t)(colon - v)) != NULL) {
		return -1; /* an IPv6 address needs its brackets: [::1]:7411 */
	}
	if (end <= start || (size_t)(end - start) >= 64)
		return -1;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int copy_path(char *dst, size_t size, const char *v)
{
	if (strlen(v) == 0 || strlen(v) >= size)
		return -1;
	strcpy(dst, v);
	return 0;
}

/* One setting by name. Returns 0, or -1 with why filled. */
static int set_one(struct server_config *c, const char *name, const char *value, char *why, size_t why_size)
{
	uint64_t v;
	int rc = -1;

	if (strcmp(name, "data") == 0) {
		rc = copy_path(c->data_dir, sizeof(c->data_dir), value);
	} else if (strcmp(name, "listen") == 0) {
		rc = parse_listen(value, c->listen_host, &c->listen_port);
	} else if (strcmp(name, "tls-listen") == 0) {
		rc = parse_listen(value, c->tls_listen_host, &c->tls_listen_port);
	} else if (strcmp(name, "metrics-listen") == 0) {
		rc = parse_listen(value, c->metrics_host, &c->metrics_port);
	} else if (strcmp(name, "tls-cert") == 0) {
		rc = copy_path(c->tls_cert, sizeof(c->tls_cert), value);
	} else if (strcmp(name, "tls-key") == 0) {
		rc = copy_path(c->tls_key, sizeof(c->tls_key), value);
	} else if (strcmp(name, "port-file") == 0) {
		rc = copy_path(c->port_file, sizeof(c->port_file), value);
	} else if (strcmp(name, "checkpoint-key") == 0) {
		rc = copy_path(c->checkpoint_key_file, sizeof(c->checkpoint_key_file), value);
	} else if (strcmp(name, "card-key") == 0) {
		rc = copy_path(c->card_key_file, sizeof(c->card_key_file), value);
	} else if (strcmp(name, "frame-max") == 0) {
		rc = parse_size(value, 1024, FRAME_BYTES_MAX_CEILING, &v);
		c->frame_bytes_max = (uint32_t)v;
	} else if (strcmp(name, "connections-max") == 0) {
		rc = parse_u64(value, 1, 65536, &v);
		c->connections_max = (uint32_t)v;
	} else if (strcmp(name, "connections-reserved") == 0) {
		rc = parse_u64(value, 0, 65535, &v);
		c->connections_reserved = (uint32_t)v;
	} else if (strcmp(name, "connections-per-address") == 0) {
		rc = parse_u64(value, 1, 65536, &v);
		c->connections_per_address = (uint32_t)v;
	} else if (strcmp(name, "auth-timeout-ms") == 0) {
		rc = parse_u64(value, 100, 86400000, &v);
		c->auth_timeout_ms = (uint32_t)v;
	} else if (strcmp(name, "frame-timeout-ms") == 0) {
		rc = parse_u64(value, 100, 86400000, &v);
		c->frame_timeout_ms = (uint32_t)v;
	} else if (strcmp(name, "write-timeout-ms") == 0) {
		rc = parse_u64(value, 100, 86400000, &v);
		c->write_timeout_ms = (uint32_t)v;
	} else if (strcmp(name, "reply-bytes-max") == 0) {
		rc = parse_size(value, 1 << 20, 1ULL << 34, &v);
		c->reply_bytes_total_max = v;
	} else if (strcmp(name, "in-flight-max") == 0) {
		rc = parse_u64(value, 1, 65536, &v);
		c->in_flight_max = (uint32_t)v;
	} else if (strcmp(name, "idle-timeout-ms") == 0) {
		rc = parse_u64(value, 100, 86400000, &v);
		c->idle_timeout_ms = (uint32_t)v;
	} else if (strcmp(name, "map-size") == 0) {
		rc = parse_size(value, 1 << 20, 1ULL << 40, &v);
		c->map_bytes = v;
	} else if (strcmp(name, "threads") == 0) {
		rc = parse_u64(value, 0, VERIFIER_THREADS_MAX, &v);
		c->verifier_threads = (unsigned)v;
	} else if (strcmp(name, "utc-offset-minutes") == 0) {
		/* Whole minutes, an optional minus sign and digits only: "60abc" or "" is no offset. */
		bool negative = value[0] == '-';
		uint64_t minutes;
		rc = parse_u64(value + negative, 0, negative ? -(int64_t)UTC_OFFSET_MINUTES_MIN : UTC_OFFSET_MINUTES_MAX,
			       &minutes);
		if (rc == 0)
			c->utc_offset_minutes = negative ? -(int32_t)minutes : (int32_t)minutes;
	} else if (strcmp(name, "eu-summer-time") == 0) {
		rc = strcmp(value, "yes") == 0 || strcmp(value, "no") == 0 ? 0 : -1;
		c->eu_summer_time = strcmp(value, "yes") == 0;
	} else if (strcmp(name, "fee-bp") == 0) {
		rc = parse_u64(value, 0, FEE_BP_MAX, &v);
		c->fee_bp = (uint32_t)v;
	} else {
		snprintf(why, why_size, _("unknown setting '%s' (see --help)"), name);
		return -1;
	}
	if (rc != 0)
		snprintf(why, why_size, _("bad value for %s: '%s' (see --help)"), name, value);
	return rc;
}

int config_load_stream(struct server_config *c, FILE *f, const char *path, char *why, size_t why_size)
{
	char line[512];
	unsigned number = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		char *name = line, *value, *end;
		number++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(why, why_size, _("%s:%u: line too long"), path, number);
			return -1;
		}
		line[strcspn(line, "#\r\n")] = '\0';
		while (*name == ' ' || *name == '\t')
			name++;
		if (*name == '\0')
			continue;
		value = strchr(name, '=');
		if (value == NULL) {
			snprintf(why, why_size, _("%s:%u: expected name = value"), path, number);
			return -1;
		}
		for (end = value; end > name && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		value++;
		while (*value == ' ' || *value == '\t')
			value++;
		for (end = value + strlen(value); end > value && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		if (strcmp(name, "demo") == 0 || strcmp(name, "insecure-plain") == 0) {
			*(strcmp(name, "demo") == 0 ? &c->demo : &c->insecure_plain) = strcmp(value, "yes") == 0;
			continue;
		}
		if (set_one(c, name, value, why, why_size) != 0) {
			return -1;
		}
	}
	return 0;
}

static int load_file(struct server_config *c, const char *path, char *why, size_t why_size)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		snprintf(why, why_size, _("cannot read config file %s"), path);
		return -1;
	}
	rc = config_load_stream(c, f, path, why, why_size);
	fclose(f);
	return rc;
}

int config_parse_args(struct server_config *c, int argc, char **argv, char *why, size_t why_size)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--config") == 0 && load_file(c, argv[i + 1], why, why_size) != 0)
			return -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--demo") == 0 || strcmp(arg, "--insecure-plain") == 0 ||
		    strcmp(arg, "--accept-unsigned-store") == 0) {
			*(strcmp(arg, "--demo") == 0		 ? &c->demo
			  : strcmp(arg, "--insecure-plain") == 0 ? &c->insecure_plain
								 : &c->accept_unsigned_store) = true;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || i + 1 >= argc) {
			snprintf(why, why_size, _("unexpected argument '%s' (see --help)"), arg);
			return -1;
		}
		if (strcmp(arg, "--config") != 0 && set_one(c, arg + 2, argv[i + 1], why, why_size) != 0)
			return -1;
		i++;
	}
	if (c->data_dir[0] == '\0') {
		snprintf(why, why_size, "%s", _("--data DIR is required"));
		return -1;
	}
	if (c->connections_reserved == UINT32_MAX)
		c->connections_reserved = c->connections_max / CONNECTIONS_RESERVED_SHARE;
	if (c->connections_reserved >= c->connections_max) {
		snprintf(why, why_size, "%s", _("connections-reserved must be under connections-max"));
		return -1;
	}
	if (c->tls_listen_host[0] != '\0' && (c->tls_cert[0] == '\0' || c->tls_key[0] == '\0')) {
		snprintf(why, why_size, "%s",
			 _("tls-listen needs tls-cert and tls-key (manne-ledger --make-tls-cert DIR makes them)"));
		return -1;
	}
	return 0;
}
