/*
 * main.c: manne-ledger. Start-up checks the store against the last signed
 * checkpoint and refuses one that does not check out; then the loop runs
 * until SIGTERM or SIGINT, which finish the batch in flight, answer, and
 * exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netinet/in.h>

#include <sodium.h>

#include "ledger/keys/card.h"
#include "ledger/keys/keyfile.h"
#include "ledger/keys/tls_pin.h"
#include "server.h"

/* For people: through the catalogue (po/), as the refusals below. */
static const char *const usage =
	N_("usage: manne-ledger --data DIR [--listen HOST:PORT] [--config FILE] [--demo] [settings]\n"
	   "       manne-ledger backup --data DIR --out FILE [--with-keys --passphrase-file F]  (while it serves)\n"
	   "       manne-ledger restore --in FILE --data NEWDIR [--passphrase-file F]\n"
	   "\n"
	   "  --data DIR               the ledger's directory: store/ (LMDB), checkpoint, keys/\n"
	   "  --listen HOST:PORT       plain TCP, default 127.0.0.1:7411; port 0 picks a free port;\n"
	   "                           loopback only unless --insecure-plain\n"
	   "  --tls-listen HOST:PORT   TLS 1.3 for tills on other machines, e.g. 0.0.0.0:7412\n"
	   "  --tls-cert FILE, --tls-key FILE  its PEM certificate and key\n"
	   "  --make-tls-cert DIR      write DIR/tls.crt and DIR/tls.key (self-signed), print the pin, exit\n"
	   "  --config FILE            'name = value' lines with the names below (flags win)\n"
	   "  --demo                   on an empty DIR, create the demo ledger manne.demo/v1\n"
	   "  --accept-unsigned-store  start on a store whose checkpoint file is missing (logged)\n"
	   "  --checkpoint-key FILE    default DIR/keys/checkpoint.key\n"
	   "  --card-key FILE          the key card PIN checks are sealed to; default DIR/keys/card.key (made if missing)\n"
	   "  --threads N              signature verifier threads (default: one per core)\n"
	   "  --map-size BYTES         the most the store may grow to (default 8G; K, M, G)\n"
	   "  --frame-max BYTES        largest request frame (default 65600)\n"
	   "  --connections-max N      default 1024\n"
	   "  --in-flight-max N        requests in flight per connection (default 256; 32 unauthenticated)\n"
	   "  --idle-timeout-ms MS     default 60000\n"
	   "  --utc-offset-minutes N   ledger day of a --demo ledger (default 60)\n"
	   "  --eu-summer-time yes|no  (default yes)\n"
	   "  --fee-bp N               reconversion fee of a --demo ledger (default 200)\n"
	   "  --metrics-listen HOST:PORT  Prometheus text on http://HOST:PORT/metrics (loopback only; off by default)\n"
	   "  --port-file FILE         write the bound port there, then \"tls PORT\" and \"metrics PORT\" lines\n");

static struct server server;

/* why is a msgid (po/meson.build reads fatal's argument) or text already in
 * the operator's language; the log line's shape and event stay as they are. */
static void fatal(const char *why)
{
	log_line("fatal", "start_refused", "why=\"%s\"", _(why));
	exit(1);
}

/* Per-address limits count an IPv4 client by its address and an IPv6 client
 * by its /64 (what one subscriber usually holds) and, more loosely, by its
 * /48 (what one site may hold, so that a routed prefix does not multiply the
 * cap by 65,536); each folded to 32 bits under a key drawn at start, so that
 * nobody can aim collisions at someone else's count. 0 when unknown or, for
 * the wide count of an IPv4 client, not counted. */
static uint8_t address_key[crypto_shorthash_KEYBYTES];

static uint32_t fold(const uint8_t *prefix, size_t len, uint8_t tag)
{
	uint8_t in[9], folded[crypto_shorthash_BYTES];
	uint32_t out;

	memcpy(in, prefix, len);
	in[len] = tag;  /* a /48 and the /64 that starts with it fold apart */
	crypto_shorthash(folded, in, len + 1, address_key);
	memcpy(&out, folded, sizeof(out));
	return out != 0 ? out : 1;
}

static struct client_address client_address(const struct sockaddr *addr, int len)
{
	struct client_address out = {0, 0};

	if (addr != NULL && addr->sa_family == AF_INET && len >= (int)sizeof(struct sockaddr_in)) {
		out.narrow = ((const struct sockaddr_in *)(const void *)addr)->sin_addr.s_addr;
		return out;
	}
	if (addr == NULL || addr->sa_family != AF_INET6 || len < (int)sizeof(struct sockaddr_in6))
		return out;
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		memcpy(&out.narrow, a6->s6_addr + 12, sizeof(out.narrow));
		return out;
	}
	out.narrow = fold(a6->s6_addr, 8, 64);
	out.wide = fold(a6->s6_addr, 6, 48);
	return out;
}

static void accept_callback(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *addr, int len,
			    void *arg)
{
	(void)listener;
	conn_accept(arg, fd, false, client_address(addr, len));
}

static void accept_tls_callback(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *addr, int len,
				void *arg)
{
	(void)listener;
	conn_accept(arg, fd, true, client_address(addr, len));
}

static struct event *drain;

/* After SIGTERM: connections close themselves once their replies are out
 * (or after two seconds); then the loop ends. */
static void drain_check(evutil_socket_t fd, short what, void *arg)
{
	static int rounds;
	struct server *s = arg;
	struct timeval soon = {0, 10000};
	(void)fd;
	(void)what;
	conn_finish_all(s);
	if (s->conns == NULL || ++rounds > 200) {
		event_base_loopbreak(s->base);
		return;
	}
	evtimer_add(drain, &soon);
}

/* SIGTERM: stop taking requests, let the writer finish what it has, answer,
 * flush replies, then leave the loop. */
static void signal_callback(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	struct timeval now = {0, 0};
	(void)what;

	if (s->shutting_down)
		return;
	s->shutting_down = true;
	log_line("info", "shutdown", "signal=%d", (int)sig);
	evconnlistener_disable(s->listener);
	if (s->tls_listener != NULL)
		evconnlistener_disable(s->tls_listener);
	pipeline_stop(s);
	drain = evtimer_new(s->base, drain_check, s);
	evtimer_add(drain, &now);
}

/* The data directory holds the store, the checkpoint and (often) the keys:
 * one that others may read or enter is refused, not silently used. */
static void check_data_dir(const char *dir)
{
	char why[DATA_DIR_BYTES + 128];
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		fatal("the data directory is not a directory");
	if (st.st_uid != geteuid())
		fatal("the data directory belongs to another user: it must be the daemon's own");
	if ((st.st_mode & 077) != 0) {
		snprintf(why, sizeof(why), _("the data directory %.255s may be read by others (mode %03o): chmod 700 it"),
			 dir, (unsigned)(st.st_mode & 0777));
		fatal(why);
	}
}

static void load_checkpoint_key(struct server *s)
{
	struct manne_keypair kp;
	char path[DATA_DIR_BYTES + 32];

	if (s->config.checkpoint_key_file[0] != '\0')
		snprintf(path, sizeof(path), "%s", s->config.checkpoint_key_file);
	else
		snprintf(path, sizeof(path), "%s/keys/checkpoint.key", s->config.data_dir);
	if (keyfile_read(path, &kp) != 0)
		fatal("cannot read the checkpoint key (a key file, mode 0600): set --checkpoint-key");
	if (memcmp(kp.public_key, s->ledger->state.checkpoint_key, 32) != 0)
		fatal("the checkpoint key file is not the ledger's checkpoint key in force");
	memcpy(s->checkpoint_secret, kp.secret_key, sizeof(s->checkpoint_secret));
	sodium_memzero(&kp, sizeof(kp));
	if (note_verifier_format(s->ledger->state.origin, s->ledger->state.checkpoint_key, s->verifier_key,
				 sizeof(s->verifier_key)) != 0)
		fatal("cannot format the verifier key");
}

/* The card key (SPEC §10): PIN checks are sealed to it, and it stays
 * outside the store, so that a copy of the store tests no PIN. A ledger
 * without one gets one, but only while it has no card: a new key would open
 * none of them (a store restored without its keys). A backup with
 * --with-keys keeps it (DIR/keys). */
static bool ledger_has_cards(struct server *s)
{
	struct store_txn *txn;
	int rc = STORE_ERROR;
	if (store_begin(s->ledger->store, false, &txn) == STORE_OK) {
		rc = store_cards_any(txn);
		store_abort(txn);
	}
	return rc != STORE_NOT_FOUND;
}

static void load_card_key(struct server *s)
{
	struct manne_keypair kp;
	char path[DATA_DIR_BYTES + 32], keys[DATA_DIR_BYTES + 16];

	if (s->config.card_key_file[0] != '\0') {
		snprintf(path, sizeof(path), "%s", s->config.card_key_file);
	} else {
		snprintf(keys, sizeof(keys), "%s/keys", s->config.data_dir);
		snprintf(path, sizeof(path), "%s/card.key", keys);
		if (mkdir(keys, 0700) != 0 && errno != EEXIST)
			fatal("cannot create the keys directory for the card key");
	}
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		if (ledger_has_cards(s))
			fatal("the card key is missing but cards are registered: restore DIR/keys/card.key from the backup "
			      "(manne-ledger restore with the passphrase), or give --card-key");
		if (keyfile_create(path, &kp) != 0)
			fatal("cannot create the card key");
		log_line("info", "card_key_created", "path=%s", path);
	} else if (keyfile_read(path, &kp) != 0) {
		fatal("cannot read the card key (a key file, mode 0600): set --card-key");
	}
	if (card_ledger_keypair(kp.secret_key, s->card_public, s->card_secret) != 0)
		fatal("the card key file holds no usable key");
	sodium_memzero(&kp, sizeof(kp));
}

static void write_port_file(struct server *s, uint16_t port, uint16_t tls_port)
{
	FILE *f;
	if (s->config.port_file[0] == '\0')
		return;
	f = fopen(s->config.port_file, "w");
	if (f == NULL || fprintf(f, "%u\n", port) < 0 || (tls_port != 0 && fprintf(f, "tls %u\n", tls_port) < 0) ||
	    (s->metrics != NULL && fprintf(f, "metrics %u\n", s->config.metrics_port) < 0) || fclose(f) != 0)
		fatal("cannot write the port file");
}

/* An IPv4 or IPv6 address (no brackets) and a port; false if neither. */
static bool socket_address(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return true;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return true;
	}
	return false;
}

/* Binds a listener; returns it and the bound port. */
static struct evconnlistener *listen_on(struct server *s, const char *host, uint16_t port, evconnlistener_cb cb,
					uint16_t *bound)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct evconnlistener *listener;

	if (!socket_address(host, port, &ss, &len))
		fatal("--listen and --tls-listen need an address, e.g. 127.0.0.1:7411 or [::1]:7411");
	listener = evconnlistener_new_bind(s->base, cb, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 512,
					   (struct sockaddr *)&ss, (int)len);
	if (listener == NULL)
		fatal("cannot listen on that address (in use?)");
	len = sizeof(ss);
	getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&ss, &len);
	*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	return listener;
}

/* SPEC §6: plain TCP carries keys' proofs and payments in clear, so it
 * stays on loopback unless the operator says otherwise. */
static void check_plain_listener(const struct server_config *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool loopback;

	if (!socket_address(c->listen_host, 0, &ss, &len))
		fatal("--listen needs an address, e.g. 127.0.0.1:7411 or [::1]:7411");
	if (ss.ss_family == AF_INET)
		loopback = (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
	else
		loopback = IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
	if (!loopback && !c->insecure_plain)
		fatal("plain TCP listens on loopback only: use --tls-listen for other machines (or --insecure-plain)");
}

/* Every connection is a descriptor: a soft limit of 1024 (systemd's, a
 * shell's) would refuse connections below connections-max. Raise it as far
 * as the hard limit allows. */
static void raise_file_limit(const struct server_config *c)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)c->connections_max + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_line("warn", "file_limit", "descriptors=%llu connections_max=%u",
			 (unsigned long long)rl.rlim_cur, c->connections_max);
}

/* manne-ledger backup --data DIR --out FILE [--with-keys --passphrase-file F]
 * manne-ledger restore --in FILE --data NEWDIR [--passphrase-file F] */
static int backup_command(int argc, char **argv)
{
	const char *data = NULL, *in = NULL, *out = NULL, *pass_file = NULL;
	char passphrase[1024];
	bool with_keys = false, backup = strcmp(argv[1], "backup") == 0;
	int rc;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--with-keys") == 0 && backup)
			with_keys = true;
		else if (i + 1 < argc && strcmp(argv[i], "--data") == 0)
			data = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], backup ? "--out" : "--in") == 0)
			*(backup ? &out : &in) = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--passphrase-file") == 0)
			pass_file = argv[++i];
		else
			data = NULL, i = argc; /* anything else: usage */
	}
	if (data == NULL || (backup ? out == NULL : in == NULL) || (backup && with_keys != (pass_file != NULL))) {
		fputs(_("usage: manne-ledger backup --data DIR --out FILE [--with-keys --passphrase-file F]\n"
			"       manne-ledger restore --in FILE --data NEWDIR [--passphrase-file F]\n"),
		      stderr);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if (pass_file != NULL && keyfile_read_passphrase(pass_file, passphrase, sizeof(passphrase)) != 0) {
		fprintf(stderr, _("manne-ledger: cannot read a passphrase from %s (its first line)\n"), pass_file);
		return 2;
	}
	rc = backup ? backup_run(data, out, pass_file != NULL ? passphrase : NULL)
		    : restore_run(in, data, pass_file != NULL ? passphrase : NULL);
	sodium_memzero(passphrase, sizeof(passphrase));
	return rc;
}

/* --make-tls-cert DIR: a first certificate, and the pin to publish. */
static int make_tls_cert(const char *dir)
{
	char pin[TLS_PIN_TEXT_BYTES], why[512];
	if (sodium_init() < 0 || tls_make_cert(dir, pin, why, sizeof(why)) != 0) {
		fprintf(stderr, _("manne-ledger: %s\n"), why);
		return 1;
	}
	printf(_("wrote %s/tls.crt and %s/tls.key (mode 0600)\npin: %s\n"), dir, dir, pin);
	fputs(_("Publish the pin beside the checkpoint verifier key: tills check it (manne --tls --pin PIN).\n"), stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct server *s = &server;
	char why[512], store_dir[DATA_DIR_BYTES + 16];
	struct store_options options;
	uint16_t port, tls_port = 0;

	i18n_init();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(_(usage), stdout);
			return 0;
		}
	}
	if (argc == 3 && strcmp(argv[1], "--make-tls-cert") == 0)
		return make_tls_cert(argv[2]);
	if (argc > 1 && (strcmp(argv[1], "backup") == 0 || strcmp(argv[1], "restore") == 0))
		return backup_command(argc, argv);
	config_defaults(&s->config);
	if (config_parse_args(&s->config, argc, argv, why, sizeof(why)) != 0) {
		fprintf(stderr, _("manne-ledger: %s\n"), why);
		return 2;
	}
	check_plain_listener(&s->config);
	raise_file_limit(&s->config);
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0 || evthread_use_pthreads() != 0)
		fatal("libsodium or libevent threads failed to start");
	randombytes_buf(address_key, sizeof(address_key));
	if (mkdir(s->config.data_dir, 0700) != 0 && errno != EEXIST)
		fatal("cannot create the data directory");
	check_data_dir(s->config.data_dir);
	snprintf(store_dir, sizeof(store_dir), "%.255s/store", s->config.data_dir);
	options = (struct store_options){.map_bytes = s->config.map_bytes, .no_sync = false};
	if (ledger_open(store_dir, &options, &s->ledger) != 0)
		fatal("the store cannot be opened or its totals do not check out");
	if (s->ledger->empty) {
		if (!s->config.demo)
			fatal("the store is empty: create a ledger first, or start with --demo");
		if (demo_create(s, why, sizeof(why)) != 0)
			fatal(why);
	}
	load_checkpoint_key(s);
	load_card_key(s);
	s->state = s->ledger->state;
	if (checkpoint_check_store(s, why, sizeof(why)) != 0)
		fatal(why);
	s->checkpoint_ms = (uint64_t)time(NULL) * 1000;
	/* The first checkpoint served covers the whole store: after a crash or a
	 * restore the file may lag it (it is written at most every 250 ms). */
	if (s->checkpoint_len == 0 ||
	    checkpoint_note_tree_size(s->checkpoint, s->checkpoint_len) < s->state.tree_size) {
		uint64_t was = s->checkpoint_len == 0 ? 0 : checkpoint_note_tree_size(s->checkpoint, s->checkpoint_len);
		if (checkpoint_sign(s, &s->state, s->checkpoint, sizeof(s->checkpoint), &s->checkpoint_len) != 0 ||
		    checkpoint_file_save(s->config.data_dir, s->checkpoint, s->checkpoint_len) != 0)
			fatal("cannot sign or save the checkpoint of the store");
		if (was != 0)
			log_line("info", "checkpoint_caught_up", "from=%llu to=%llu", (unsigned long long)was,
				 (unsigned long long)s->state.tree_size);
	}

	s->requests = &dispatch_handler;
	s->base = event_base_new();
	if (s->base == NULL)
		fatal("libevent failed to start");
	/* The handlers go in before the port exists: whoever learns the port may
	 * send SIGTERM at once, and that must be a clean shutdown, not a kill. */
	s->signal_term = evsignal_new(s->base, SIGTERM, signal_callback, s);
	s->signal_int = evsignal_new(s->base, SIGINT, signal_callback, s);
	if (s->signal_term == NULL || s->signal_int == NULL || evsignal_add(s->signal_term, NULL) != 0 ||
	    evsignal_add(s->signal_int, NULL) != 0)
		fatal("cannot install the SIGTERM and SIGINT handlers");
	s->listener = listen_on(s, s->config.listen_host, s->config.listen_port, accept_callback, &port);
	if (s->config.tls_listen_host[0] != '\0') {
		char pin[TLS_PIN_TEXT_BYTES];
		s->tls_ctx = tls_server_context(s->config.tls_cert, s->config.tls_key, pin, why, sizeof(why));
		if (s->tls_ctx == NULL)
			fatal(why);
		s->tls_listener = listen_on(s, s->config.tls_listen_host, s->config.tls_listen_port,
					    accept_tls_callback, &tls_port);
		log_line("info", "listening_tls", "address=%s:%u pin=%s", s->config.tls_listen_host, tls_port, pin);
	}
	if (pipeline_start(s) != 0)
		fatal("cannot start the verifier and writer threads");
	if (s->config.metrics_host[0] != '\0') {
		uint16_t metrics_port;
		if (metrics_start(s, &metrics_port) != 0)
			fatal("cannot serve metrics there: metrics-listen takes a loopback HOST:PORT not in use");
		log_line("info", "metrics", "address=%s:%u path=/metrics", s->config.metrics_host, metrics_port);
		s->config.metrics_port = metrics_port;
	}
	write_port_file(s, port, tls_port);
	log_line("info", "listening", "address=%s:%u origin=%s tree_size=%llu", s->config.listen_host, port,
		 s->ledger->state.origin, (unsigned long long)s->ledger->state.tree_size);

	event_base_dispatch(s->base);

	if (!s->shutting_down)
		pipeline_stop(s);
	metrics_stop(s);
	conn_close_all(s);
	evconnlistener_free(s->listener);
	if (s->tls_listener != NULL)
		evconnlistener_free(s->tls_listener);
	tls_context_free(s->tls_ctx);
	if (drain != NULL)
		event_free(drain);
	event_free(s->signal_term);
	event_free(s->signal_int);
	event_base_free(s->base);
	ledger_close(s->ledger);
	sodium_memzero(s->checkpoint_secret, sizeof(s->checkpoint_secret));
	sodium_memzero(s->card_secret, sizeof(s->card_secret));
	log_line("info", "stopped", "tree_size=%llu", (unsigned long long)s->state.tree_size);
	return 0;
}
