/*
 * checkout_main.c: manne-checkout's start: options, the till's key (a sealed
 * key file's passphrase is asked on the terminal), the connection to the
 * ledger (TLS with a pin when it is on another machine), then the page on
 * loopback until SIGTERM or Ctrl-C.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "checkout.h"
#include "ledger/keys/keyfile.h"

#define PASSPHRASE_BYTES 1024U

static const char usage[] =
	"usage: manne-checkout --key TILL.key [options]\n"
	"\n"
	"The checkout page of one shop, producer or association counter (docs/checkout.md).\n"
	"\n"
	"  --key FILE              the till's key: the shop's, producer's or counter's (asked for its passphrase if sealed)\n"
	"  --passphrase-file FILE  read that passphrase from the first line of FILE\n"
	"  --association KEY       a counter's: the association's account (64 hex characters or a key file)\n"
	"  --host H --port P       the ledger (default 127.0.0.1:7411)\n"
	"  --tls --pin PIN         TLS 1.3 to a ledger on another machine, pinned (manne tls-pin)\n"
	"  --ledger ORIGIN+ID      refuse a server that answers for another ledger\n"
	"  --listen HOST:PORT      the page (default 127.0.0.1:8080; port 0 picks one)\n"
	"  --port-file FILE        write the page's port there once it listens\n"
	"  --timeout-ms MS         the ledger's reply timeout (default 10000)\n";

struct options {
	const char *key, *passphrase_file, *association, *host, *pin, *ledger, *listen, *port_file;
	uint16_t port, listen_port;
	uint32_t timeout_ms;
	bool tls;
	char listen_host[64];
};

static int fail(const char *why)
{
	fprintf(stderr, "manne-checkout: %s\n", why);
	return 1;
}

static bool parse_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"key", required_argument, NULL, 'k'},       {"passphrase-file", required_argument, NULL, 'P'},
		{"association", required_argument, NULL, 'a'}, {"host", required_argument, NULL, 'h'},
		{"port", required_argument, NULL, 'p'},      {"tls", no_argument, NULL, 't'},
		{"pin", required_argument, NULL, 'n'},       {"ledger", required_argument, NULL, 'l'},
		{"listen", required_argument, NULL, 'L'},    {"port-file", required_argument, NULL, 'f'},
		{"timeout-ms", required_argument, NULL, 'T'}, {"help", no_argument, NULL, '?'},
		{NULL, 0, NULL, 0},
	};
	int ch;
	char *colon;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = 7411;
	o->timeout_ms = 10000;
	snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
	o->listen_port = 8080;
	while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (ch) {
		case 'k': o->key = optarg; break;
		case 'P': o->passphrase_file = optarg; break;
		case 'a': o->association = optarg; break;
		case 'h': o->host = optarg; break;
		case 'p':
			if (!parse_port(optarg, &o->port))
				return fail("--port is a number 0..65535");
			break;
		case 't': o->tls = true; break;
		case 'n': o->pin = optarg; break;
		case 'l': o->ledger = optarg; break;
		case 'L':
			colon = strrchr(optarg, ':');
			if (colon == NULL || (size_t)(colon - optarg) >= sizeof(o->listen_host) ||
			    !parse_port(colon + 1, &o->listen_port))
				return fail("--listen is HOST:PORT, e.g. 127.0.0.1:8080");
			snprintf(o->listen_host, sizeof(o->listen_host), "%.*s", (int)(colon - optarg), optarg);
			break;
		case 'f': o->port_file = optarg; break;
		case 'T': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v == 0 || v > 600000)
				return fail("--timeout-ms is 1..600000");
			o->timeout_ms = (uint32_t)v;
			break;
		}
		default:
			fputs(usage, ch == '?' && optopt == 0 ? stdout : stderr);
			return ch == '?' && optopt == 0 && strcmp(argv[optind - 1], "--help") == 0 ? 2 : 1;
		}
	}
	if (optind != argc || o->key == NULL)
		return fail("--key TILL.key is needed (manne-checkout --help)");
	if (o->tls != (o->pin != NULL))
		return fail("--tls and --pin go together: the page speaks to a ledger it has pinned");
	/* The page holds a key that pays out refunds: it stays on this machine
	 * unless the operator says otherwise. */
	if (strncmp(o->listen_host, "127.", 4) != 0)
		return fail("--listen is on loopback (127.0.0.1): the page holds the till's key");
	return 0;
}

static int load_key(const struct options *o, struct manne_key *key)
{
	char passphrase[PASSPHRASE_BYTES];
	enum manne_status s = manne_key_file_read(o->key, NULL, key);

	if (s == MANNE_ERR_PASSPHRASE_NEEDED) {
		int rc = o->passphrase_file != NULL ? keyfile_read_passphrase(o->passphrase_file, passphrase, sizeof(passphrase))
						    : keyfile_prompt_secret("passphrase of the till's key: ", passphrase,
									    sizeof(passphrase));
		if (rc != 0)
			return fail("the key is sealed: give --passphrase-file or start on a terminal");
		s = manne_key_file_read(o->key, passphrase, key);
		sodium_memzero(passphrase, sizeof(passphrase));
	}
	if (s != MANNE_OK) {
		fprintf(stderr, "manne-checkout: %s: %s\n", o->key, manne_status_message(s));
		return 1;
	}
	return 0;
}

static bool public_key(const char *s, uint8_t out[32])
{
	size_t got = 0;
	struct manne_key k;
	if (strlen(s) == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &got, NULL) == 0 && got == 32)
		return true;
	if (manne_key_file_read(s, NULL, &k) != MANNE_OK)
		return false;
	memcpy(out, k.public_key, 32);
	manne_key_wipe(&k);
	return true;
}

/* The till's account decides what the page takes: a shop or producer its
 * own payments, a counter payments to the association. */
static int connect_ledger(const struct options *o, struct checkout *co)
{
	struct manne_account self;
	enum manne_status s = o->tls ? manne_open_tls(o->host, o->port, o->timeout_ms, o->pin, &co->m)
				     : manne_open(o->host, o->port, o->timeout_ms, &co->m);
	if (s == MANNE_OK && o->ledger != NULL)
		s = manne_pin(co->m, o->ledger);
	if (s == MANNE_OK)
		s = manne_authenticate(co->m, &co->key);
	if (s == MANNE_OK)
		s = manne_account(co->m, co->key.public_key, &self);
	if (s != MANNE_OK) {
		fprintf(stderr, "manne-checkout: the ledger: %s\n", manne_message(co->m));
		return 1;
	}
	if (self.role != MANNE_ROLE_SHOP && self.role != MANNE_ROLE_PRODUCER && self.role != MANNE_ROLE_COUNTER)
		return fail("the key is not a shop's, a producer's or a counter's");
	co->role = self.role;
	co->counter = self.role == MANNE_ROLE_COUNTER;
	if (co->counter) {
		if (o->association == NULL || !public_key(o->association, co->payee))
			return fail("a counter takes payments to the association: give --association");
	} else {
		memcpy(co->payee, co->key.public_key, 32);
	}
	snprintf(co->origin, sizeof(co->origin), "%s", manne_origin(co->m));
	return 0;
}

static void stop(int sig)
{
	(void)sig;
	_exit(0); /* nothing to save: the ledger holds every payment */
}

int main(int argc, char **argv)
{
	static struct checkout co;
	struct options o;
	uint8_t token[32];
	int rc;

	if (manne_init() != MANNE_OK)
		return fail("libsodium failed to start");
	if ((rc = parse(argc, argv, &o)) != 0)
		return rc == 2 ? 0 : 2;
	if (load_key(&o, &co.key) != 0)
		return 4;
	if (connect_ledger(&o, &co) != 0)
		return 3;
	co.retries = 3;
	randombytes_buf(token, sizeof(token));
	sodium_bin2hex(co.token, sizeof(co.token), token, sizeof(token));
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	signal(SIGPIPE, SIG_IGN);
	rc = checkout_serve(&co, o.listen_host, o.listen_port, o.port_file);
	manne_key_wipe(&co.key);
	manne_close(co.m);
	return rc == 0 ? 0 : 1;
}
