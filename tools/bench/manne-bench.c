/*
 * manne-bench: throughput and latency of durable signed payments against a
 * running manne-ledger (a --demo ledger: the board keys come from its
 * DIR/keys), with the Ed25519 verification ceiling measured in the same run.
 *
 * Setup (not timed): N members and S shops are opened, the fund receives
 * euros, every member is issued credits. Then M payments are signed (not
 * timed), member i paying shop i mod S, each member's payments on one
 * connection so that its sequence numbers arrive in order. The timed run
 * sends them over C connections, each keeping D requests in flight
 * (pipelining), optionally paced to a total rate; every receipt is checked.
 * With --rounds R, R rounds of M payments run one after the other on the
 * same ledger, each with its own ceiling, and the median round is reported.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ledger/keys/keyfile.h"
#include "client/manne_wire.h"
#include "ledger/core/tx_sign.h"

#define ORIGIN_MAX 129
#define CREDIT_PER_MEMBER 1000000ULL /* 10,000.00 Manne: enough for any run */

struct options {
	const char *host;
	uint16_t port;
	const char *keys_dir;
	unsigned members, shops, connections, depth;
	uint64_t payments;
	double rate;          /* payments per second in total; 0 = as fast as possible */
	int pid;              /* the daemon, for RssAnon; 0 = not sampled */
	unsigned setup_depth;
	const char *seed;     /* account keys derive from it: reuse an existing population */
	int skip_setup;
	unsigned rounds;      /* timed rounds of `payments` each; the medians are reported */
};

struct signed_tx {
	uint8_t *bytes;
	size_t len;
};

struct bench {
	struct options o;
	struct manne_keypair board[2];
	char origin[ORIGIN_MAX];
	uint8_t genesis_id[32];
	struct manne_keypair *members, *shops;
	uint64_t nonce;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *why)
{
	fprintf(stderr, "manne-bench: %s\n", why);
	exit(1);
}

static void derive_key(const char *seed, const char *kind, uint64_t i, struct manne_keypair *kp)
{
	uint8_t h[32];
	char text[128];
	int n = snprintf(text, sizeof(text), "%s/%s/%llu", seed, kind, (unsigned long long)i);
	crypto_hash_sha256(h, (const uint8_t *)text, (size_t)n);
	crypto_sign_seed_keypair(kp->public_key, kp->secret_key, h);
}

static void body_common(struct bench *b, Manne__TxBody *body, uint64_t valid_ms)
{
	manne__tx_body__init(body);
	body->origin = b->origin;
	body->genesis_id = (ProtobufCBinaryData){.len = 32, .data = b->genesis_id};
	body->last_valid_ms = (uint64_t)time(NULL) * 1000 + valid_ms;
}

static void body_board(struct bench *b, Manne__TxBody *body, uint8_t nonce[16])
{
	body_common(b, body, 31ULL * 24 * 3600 * 1000);
	body->signer_case = MANNE__TX_BODY__SIGNER_BOARD;
	body->board = true;
	randombytes_buf(nonce, 8);
	memcpy(nonce + 8, &b->nonce, 8);
	b->nonce++;
	body->nonce = (ProtobufCBinaryData){.len = 16, .data = nonce};
}

static struct signed_tx sign(const Manne__TxBody *body, const struct manne_keypair *const *signers, size_t n)
{
	struct signed_tx t;
	if (tx_sign(body, signers, n, &t.bytes, &t.len, NULL) != 0)
		die("out of memory while signing");
	return t;
}

static void request_for(Manne__Request *request, Manne__SubmitRequest *submit, const struct signed_tx *t,
			uint64_t id)
{
	manne__request__init(request);
	manne__submit_request__init(submit);
	submit->signed_tx = (ProtobufCBinaryData){.len = t->len, .data = t->bytes};
	request->id = id;
	request->kind_case = MANNE__REQUEST__KIND_SUBMIT;
	request->submit = submit;
}

/* Proves board0's key on the connection: authenticated connections may keep
 * more requests in flight than anonymous ones (ledger_limits.h). */
static void authenticate(struct bench *b, struct manne_wire *w)
{
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__AuthChallengeRequest challenge = MANNE__AUTH_CHALLENGE_REQUEST__INIT;
	Manne__AuthenticateRequest auth = MANNE__AUTHENTICATE_REQUEST__INIT;
	uint8_t message[14 + 32 + 64], client_nonce[32], signature[64];
	Manne__Response *r;

	request.kind_case = MANNE__REQUEST__KIND_AUTH_CHALLENGE;
	request.auth_challenge = &challenge;
	r = manne_wire_call(w, &request);
	if (r == NULL || r->kind_case != MANNE__RESPONSE__KIND_AUTH_CHALLENGE || r->auth_challenge->server_nonce.len != 32)
		die("no challenge");
	randombytes_buf(client_nonce, sizeof(client_nonce));
	memcpy(message, "MANNE-AUTH-V1", 14);
	memcpy(message + 14, b->genesis_id, 32);
	memcpy(message + 46, r->auth_challenge->server_nonce.data, 32);
	memcpy(message + 78, client_nonce, 32);
	manne__response__free_unpacked(r, NULL);
	crypto_sign_detached(signature, NULL, message, sizeof(message), b->board[0].secret_key);
	auth.key = (ProtobufCBinaryData){.len = 32, .data = b->board[0].public_key};
	auth.client_nonce = (ProtobufCBinaryData){.len = 32, .data = client_nonce};
	auth.signature = (ProtobufCBinaryData){.len = 64, .data = signature};
	request.kind_case = MANNE__REQUEST__KIND_AUTHENTICATE;
	request.authenticate = &auth;
	r = manne_wire_call(w, &request);
	if (r == NULL || r->status != MANNE__STATUS__OK)
		die("authentication refused");
	manne__response__free_unpacked(r, NULL);
}

/* Frames every request up front (like signing, not timed): the timed loop
 * then only moves bytes, many frames per system call, as a busy till or a
 * gateway would. */
static uint8_t *frame_all(const struct signed_tx *txs, uint64_t count, size_t *offsets)
{
	size_t total = 0;
	uint8_t *buf;
	for (uint64_t k = 0; k < count; k++) {
		Manne__Request request;
		Manne__SubmitRequest submit;
		request_for(&request, &submit, &txs[k], k + 1);
		offsets[k] = total;
		total += 4 + manne__request__get_packed_size(&request);
	}
	offsets[count] = total;
	if ((buf = malloc(total ? total : 1)) == NULL)
		die("out of memory");
	for (uint64_t k = 0; k < count; k++) {
		Manne__Request request;
		Manne__SubmitRequest submit;
		size_t len = offsets[k + 1] - offsets[k] - 4;
		request_for(&request, &submit, &txs[k], k + 1);
		buf[offsets[k]] = (uint8_t)(len >> 24);
		buf[offsets[k] + 1] = (uint8_t)(len >> 16);
		buf[offsets[k] + 2] = (uint8_t)(len >> 8);
		buf[offsets[k] + 3] = (uint8_t)len;
		manne__request__pack(&request, buf + offsets[k] + 4);
	}
	return buf;
}

/* Sends a list pipelined with `depth` in flight on one connection; returns
 * how many were refused (duplicates count as applied: a rerun is harmless). */
static uint64_t send_pipelined(struct bench *b, struct signed_tx *txs, uint64_t count, unsigned depth,
			       double *latencies, double pace_s)
{
	struct manne_wire w;
	uint64_t sent = 0, received = 0, refused = 0;
	size_t *offsets = malloc(sizeof(size_t) * (count + 1));
	double *sent_at = calloc(count ? count : 1, sizeof(double));
	double start;
	size_t in_len = 0, in_size = 1 << 20, out_done = 0;
	uint8_t *in = malloc(in_size), *frames;

	if (offsets == NULL || sent_at == NULL || in == NULL)
		die("out of memory");
	frames = frame_all(txs, count, offsets);
	if (manne_wire_connect(&w, b->o.host, b->o.port, 30000) != 0)
		die("cannot connect");
	authenticate(b, &w);
	start = now_s();
	while (received < count) {
		/* Release what the window (and the pace) allows, then send it in as
		 * few calls as the socket takes. */
		uint64_t allowed = received + depth < count ? received + depth : count;
		if (pace_s > 0) {
			/* Request k is due at start + k * pace: an open-loop rate. */
			uint64_t due = (uint64_t)((now_s() - start) / pace_s) + 1;
			if (due < allowed)
				allowed = due;
		}
		for (; sent < allowed; sent++)
			sent_at[sent] = now_s();
		if (out_done < offsets[sent]) {
			ssize_t n = send(w.fd, frames + out_done, offsets[sent] - out_done, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				out_done += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("send failed");
		}
		struct pollfd pfd = {.fd = w.fd, .events = POLLIN | (out_done < offsets[sent] ? POLLOUT : 0)};
		int timeout = sent < count && sent < received + depth && pace_s > 0 ? (int)(pace_s * 1000) + 1 : 30000;
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
			die("poll failed");
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = recv(w.fd, in + in_len, in_size - in_len, MSG_DONTWAIT);
		if (n == 0)
			die("the ledger closed the connection");
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die("recv failed");
		}
		in_len += (size_t)n;
		double t = now_s();
		size_t pos = 0;
		while (in_len - pos >= 4) {
			size_t len = (size_t)in[pos] << 24 | (size_t)in[pos + 1] << 16 | (size_t)in[pos + 2] << 8 | in[pos + 3];
			if (len > in_size - 4)
				die("reply too large");
			if (in_len - pos < 4 + len)
				break;
			Manne__Response *r = manne__response__unpack(NULL, len, in + pos + 4);
			if (r == NULL || r->id != received + 1)
				die("a reply is malformed or out of order");
			if (latencies != NULL)
				latencies[received] = t - sent_at[received];
			if (r->status != MANNE__STATUS__OK) {
				if (refused < 3)
					fprintf(stderr, "refused: %s\n", r->message);
				refused++;
			}
			received++;
			manne__response__free_unpacked(r, NULL);
			pos += 4 + len;
		}
		memmove(in, in + pos, in_len - pos);
		in_len -= pos;
	}
	manne_wire_close(&w);
	free(frames);
	free(offsets);
	free(sent_at);
	free(in);
	return refused;
}

struct worker {
	struct bench *b;
	struct signed_tx *txs;
	uint64_t count;
	unsigned depth;
	double *latencies;
	double pace_s;
	uint64_t refused;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w->refused = send_pipelined(w->b, w->txs, w->count, w->depth, w->latencies, w->pace_s);
	return NULL;
}

/* Runs per-connection lists in parallel. */
static uint64_t run_parallel(struct bench *b, struct signed_tx **lists, uint64_t *counts, unsigned n, unsigned depth,
			     double **latencies, double pace_s)
{
	pthread_t threads[256];
	struct worker workers[256];
	uint64_t refused = 0;
	for (unsigned i = 0; i < n; i++) {
		workers[i] = (struct worker){b, lists[i], counts[i], depth, latencies ? latencies[i] : NULL, pace_s, 0};
		if (pthread_create(&threads[i], NULL, worker_main, &workers[i]) != 0)
			die("cannot start a thread");
	}
	for (unsigned i = 0; i < n; i++) {
		pthread_join(threads[i], NULL);
		refused += workers[i].refused;
	}
	return refused;
}

static void free_lists(struct signed_tx **lists, uint64_t *counts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		for (uint64_t k = 0; k < counts[i]; k++)
			free(lists[i][k].bytes);
		free(lists[i]);
	}
}

static void setup(struct bench *b)
{
	unsigned n = b->o.connections;
	uint64_t accounts = (uint64_t)b->o.members + b->o.shops;
	struct signed_tx *lists[256];
	uint64_t counts[256] = {0};
	uint64_t funded_needed = (uint64_t)b->o.members * CREDIT_PER_MEMBER;
	double t0 = now_s();

	for (unsigned i = 0; i < n; i++)
		if ((lists[i] = calloc(accounts * 2 / n + 16, sizeof(struct signed_tx))) == NULL)
			die("out of memory");
	/* Opening: board (2 keys) and the new key sign. */
	for (uint64_t i = 0; i < accounts; i++) {
		const struct manne_keypair *kp = i < b->o.members ? &b->members[i] : &b->shops[i - b->o.members];
		const struct manne_keypair *signers[] = {&b->board[0], &b->board[1], kp};
		Manne__TxBody body;
		Manne__OpenAccount open = MANNE__OPEN_ACCOUNT__INIT;
		uint8_t nonce[16];
		body_board(b, &body, nonce);
		open.key = (ProtobufCBinaryData){.len = 32, .data = (uint8_t *)kp->public_key};
		open.role = i < b->o.members ? MANNE__ROLE__ROLE_MEMBER : MANNE__ROLE__ROLE_SHOP;
		body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
		body.open_account = &open;
		lists[i % n][counts[i % n]++] = sign(&body, signers, 3);
	}
	if (run_parallel(b, lists, counts, n, b->o.setup_depth, NULL, 0) > 0)
		fprintf(stderr, "note: some accounts existed already (a rerun with the same --seed)\n");
	free_lists(lists, counts, n);

	/* Funding: in chunks of at most 10^11 centimes, then one issue per member. */
	const struct manne_keypair *board[] = {&b->board[0], &b->board[1]};
	memset(counts, 0, sizeof(counts));
	if ((lists[0] = calloc(accounts * 2 / n + 16, sizeof(struct signed_tx))) == NULL)
		die("out of memory");
	for (uint64_t left = funded_needed; left > 0;) {
		uint64_t chunk = left > 100000000000ULL ? 100000000000ULL : left;
		Manne__TxBody body;
		Manne__FundReserve fund = MANNE__FUND_RESERVE__INIT;
		uint8_t nonce[16];
		body_board(b, &body, nonce);
		fund.amount = chunk;
		fund.bank_reference = (char *)"BENCH-FUND";
		body.kind_case = MANNE__TX_BODY__KIND_FUND_RESERVE;
		body.fund_reserve = &fund;
		if (counts[0] >= accounts * 2 / n + 16)
			die("too many fund chunks");
		lists[0][counts[0]++] = sign(&body, board, 2);
		left -= chunk;
	}
	for (uint64_t i = 0; i < b->o.members; i++) {
		Manne__TxBody body;
		Manne__Issue issue = MANNE__ISSUE__INIT;
		uint8_t nonce[16];
		body_board(b, &body, nonce);
		issue.account = (ProtobufCBinaryData){.len = 32, .data = b->members[i].public_key};
		issue.amount = CREDIT_PER_MEMBER;
		issue.reason = MANNE__ISSUE_REASON__ISSUE_ALLOWANCE;
		issue.programme = (char *)"bench";
		body.kind_case = MANNE__TX_BODY__KIND_ISSUE;
		body.issue = &issue;
		lists[0][counts[0]++] = sign(&body, board, 2);
		if (counts[0] == accounts * 2 / n + 8) { /* keep the list bounded: send as we go */
			if (send_pipelined(b, lists[0], counts[0], b->o.setup_depth, NULL, 0) > 0)
				die("funding or issuing was refused");
			free_lists(lists, counts, 1);
			counts[0] = 0;
			if ((lists[0] = calloc(accounts * 2 / n + 16, sizeof(struct signed_tx))) == NULL)
				die("out of memory");
		}
	}
	if (send_pipelined(b, lists[0], counts[0], b->o.setup_depth, NULL, 0) > 0)
		die("funding or issuing was refused");
	free_lists(lists, counts, 1);
	fprintf(stderr, "setup: %llu accounts opened, funded and issued in %.1f s\n",
		(unsigned long long)accounts, now_s() - t0);
}

struct verify_worker {
	double seconds;
	uint64_t done;
};

static void *verify_main(void *arg)
{
	struct verify_worker *v = arg;
	struct manne_keypair kp;
	uint8_t message[160], sig[64];
	crypto_sign_keypair(kp.public_key, kp.secret_key);
	randombytes_buf(message, sizeof(message));
	crypto_sign_detached(sig, NULL, message, sizeof(message), kp.secret_key);
	double end = now_s() + v->seconds;
	while (now_s() < end) {
		for (int i = 0; i < 64; i++)
			if (crypto_sign_verify_detached(sig, message, sizeof(message), kp.public_key) != 0)
				die("verification failed");
		v->done += 64;
	}
	return NULL;
}

/* The Ed25519 verification ceiling: verifications per second on all cores. */
static double verify_ceiling(double seconds)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t threads[64];
	struct verify_worker workers[64];
	uint64_t total = 0;
	if (cores < 1 || cores > 64)
		cores = cores < 1 ? 1 : 64;
	double t0 = now_s();
	for (long i = 0; i < cores; i++) {
		workers[i] = (struct verify_worker){seconds, 0};
		pthread_create(&threads[i], NULL, verify_main, &workers[i]);
	}
	for (long i = 0; i < cores; i++) {
		pthread_join(threads[i], NULL);
		total += workers[i].done;
	}
	return (double)total / (now_s() - t0);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static Manne__Response *status(struct bench *b)
{
	struct manne_wire w;
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__StatusRequest s = MANNE__STATUS_REQUEST__INIT;
	Manne__Response *r;
	request.kind_case = MANNE__REQUEST__KIND_STATUS;
	request.status = &s;
	if (manne_wire_connect(&w, b->o.host, b->o.port, 5000) != 0)
		die("cannot connect");
	r = manne_wire_call(&w, &request);
	manne_wire_close(&w);
	if (r == NULL || r->kind_case != MANNE__RESPONSE__KIND_STATUS_INFO)
		die("no status");
	return r;
}

static uint64_t rss_anon_kib(int pid)
{
	char path[64], line[256];
	uint64_t kib = 0;
	FILE *f;
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssAnon: %llu", (unsigned long long *)&kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void learn_ledger(struct bench *b)
{
	struct manne_wire w;
	Manne__Request request = MANNE__REQUEST__INIT;
	Manne__CheckpointRequest cr = MANNE__CHECKPOINT_REQUEST__INIT;
	Manne__AuthChallengeRequest ac = MANNE__AUTH_CHALLENGE_REQUEST__INIT;
	Manne__Response *r;

	if (manne_wire_connect(&w, b->o.host, b->o.port, 5000) != 0)
		die("cannot connect to the ledger");
	request.kind_case = MANNE__REQUEST__KIND_AUTH_CHALLENGE;
	request.auth_challenge = &ac;
	r = manne_wire_call(&w, &request);
	if (r == NULL || r->kind_case != MANNE__RESPONSE__KIND_AUTH_CHALLENGE || r->auth_challenge->genesis_id.len != 32)
		die("no genesis id");
	memcpy(b->genesis_id, r->auth_challenge->genesis_id.data, 32);
	manne__response__free_unpacked(r, NULL);
	request.kind_case = MANNE__REQUEST__KIND_CHECKPOINT;
	request.checkpoint = &cr;
	r = manne_wire_call(&w, &request);
	if (r == NULL || r->kind_case != MANNE__RESPONSE__KIND_CHECKPOINT)
		die("no checkpoint");
	/* The origin is the checkpoint's first line. */
	size_t len = strcspn(r->checkpoint->note, "\n");
	if (len == 0 || len >= ORIGIN_MAX)
		die("bad checkpoint");
	memcpy(b->origin, r->checkpoint->note, len);
	b->origin[len] = '\0';
	manne__response__free_unpacked(r, NULL);
	manne_wire_close(&w);
}

struct round_result {
	double tps, ceiling, p50, p99, p999, max, elapsed;
	uint64_t refused, batches;
	uint64_t sizes[64];
	uint64_t rss_before, rss_after;
};

/* Signs M payments (not timed), member i paying shop i mod S on connection
 * i mod C, measures the verification ceiling, then sends them. */
static struct round_result run_round(struct bench *b, uint64_t *sequence)
{
	unsigned n = b->o.connections;
	struct signed_tx *lists[256];
	uint64_t counts[256] = {0};
	double *latencies[256];
	struct round_result res = {0};

	for (unsigned i = 0; i < n; i++) {
		lists[i] = calloc(b->o.payments / n + b->o.members + 1, sizeof(struct signed_tx));
		latencies[i] = calloc(b->o.payments / n + b->o.members + 1, sizeof(double));
		if (lists[i] == NULL || latencies[i] == NULL)
			die("out of memory");
	}
	for (uint64_t k = 0; k < b->o.payments; k++) {
		uint64_t m = k % b->o.members;
		const struct manne_keypair *signers[] = {&b->members[m]};
		Manne__TxBody body;
		Manne__Pay pay = MANNE__PAY__INIT;
		body_common(b, &body, 24ULL * 3600 * 1000);
		body.signer_case = MANNE__TX_BODY__SIGNER_ACCOUNT;
		body.account = (ProtobufCBinaryData){.len = 32, .data = b->members[m].public_key};
		body.sequence = ++sequence[m];
		pay.payee = (ProtobufCBinaryData){.len = 32, .data = b->shops[m % b->o.shops].public_key};
		pay.amount = 1 + k % 500;
		pay.memo = (char *)"panier";
		body.kind_case = MANNE__TX_BODY__KIND_PAY;
		body.pay = &pay;
		lists[m % n][counts[m % n]++] = sign(&body, signers, 1);
	}

	res.ceiling = verify_ceiling(2.0);
	Manne__Response *before = status(b);
	res.rss_before = rss_anon_kib(b->o.pid);
	double pace = b->o.rate > 0 ? (double)n / b->o.rate : 0;
	double t0 = now_s();
	res.refused = run_parallel(b, lists, counts, n, b->o.depth, latencies, pace);
	res.elapsed = now_s() - t0;
	res.rss_after = rss_anon_kib(b->o.pid);
	Manne__Response *after = status(b);

	double *all = malloc(sizeof(double) * b->o.payments);
	uint64_t filled = 0;
	if (all == NULL)
		die("out of memory");
	for (unsigned i = 0; i < n; i++)
		for (uint64_t k = 0; k < counts[i]; k++)
			all[filled++] = latencies[i][k];
	qsort(all, filled, sizeof(double), compare_double);
	res.tps = (double)b->o.payments / res.elapsed;
	res.p50 = all[filled / 2];
	res.p99 = all[filled * 99 / 100];
	res.p999 = all[filled * 999 / 1000];
	res.max = all[filled - 1];
	res.batches = after->status_info->batches - before->status_info->batches;
	for (size_t k = 0; k < after->status_info->n_batch_size_histogram && k < 64; k++)
		res.sizes[k] = after->status_info->batch_size_histogram[k] -
			       (k < before->status_info->n_batch_size_histogram ? before->status_info->batch_size_histogram[k]
										  : 0);
	manne__response__free_unpacked(before, NULL);
	manne__response__free_unpacked(after, NULL);
	free_lists(lists, counts, n);
	for (unsigned i = 0; i < n; i++)
		free(latencies[i]);
	free(all);
	return res;
}

static int by_ratio(const void *a, const void *b)
{
	const struct round_result *x = a, *y = b;
	double rx = x->tps / x->ceiling, ry = y->tps / y->ceiling;
	return (rx > ry) - (rx < ry);
}

static int by_tps(const void *a, const void *b)
{
	const struct round_result *x = a, *y = b;
	return (x->tps > y->tps) - (x->tps < y->tps);
}

/* The median round's figures (by throughput; the ratio is the median ratio). */
static void report(const struct bench *b, struct round_result *results, uint64_t refused)
{
	unsigned r = b->o.rounds;
	qsort(results, r, sizeof(*results), by_ratio);
	double ratio = results[r / 2].tps / results[r / 2].ceiling, ceiling = results[r / 2].ceiling;
	qsort(results, r, sizeof(*results), by_tps);
	const struct round_result *m = &results[r / 2];

	printf("payments        %llu over %u connections, depth %u%s%s\n", (unsigned long long)b->o.payments,
	       b->o.connections, b->o.depth, b->o.rate > 0 ? ", paced" : "", r > 1 ? "; the median of the rounds:" : "");
	printf("accounts        %u members, %u shops\n", b->o.members, b->o.shops);
	printf("refused         %llu\n", (unsigned long long)refused); /* in all rounds */
	printf("elapsed         %.3f s\n", m->elapsed);
	printf("throughput      %.0f payments/s\n", m->tps);
	printf("latency         p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms\n", m->p50 * 1e3, m->p99 * 1e3,
	       m->p999 * 1e3, m->max * 1e3);
	printf("batches         %llu, mean %.1f transactions\n", (unsigned long long)m->batches,
	       m->batches ? (double)b->o.payments / (double)m->batches : 0.0);
	printf("batch sizes     ");
	for (size_t k = 0; k < 64; k++)
		if (m->sizes[k] > 0)
			printf("[%llu..%llu]:%llu ", 1ULL << k, (2ULL << k) - 1, (unsigned long long)m->sizes[k]);
	printf("\nverify ceiling  %.0f verifications/s on %ld cores\n", ceiling, sysconf(_SC_NPROCESSORS_ONLN));
	printf("ratio           %.1f%% of the ceiling\n", 100.0 * ratio);
	if (b->o.pid > 0)
		printf("daemon RssAnon  %.1f MiB before, %.1f MiB after\n", (double)m->rss_before / 1024.0,
		       (double)m->rss_after / 1024.0);
}

static void usage(void)
{
	puts("usage: manne-bench --port P --keys DIR/keys [--host 127.0.0.1] [--members N] [--shops S]\n"
	     "                   [--payments M] [--rounds R] [--connections C] [--depth D] [--rate TX_PER_S]\n"
	     "                   [--pid DAEMON_PID] [--seed TEXT] [--skip-setup]\n"
	     "Defaults: 1000 members, 100 shops, 50000 payments, 8 connections, depth 64.");
}

int main(int argc, char **argv)
{
	static struct bench b;
	char path[512];

	b.o = (struct options){.host = "127.0.0.1", .members = 1000, .shops = 100, .connections = 8, .depth = 64,
			       .payments = 50000, .setup_depth = 256, .seed = "bench", .rounds = 1};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0) {
			usage();
			return 0;
		} else if (strcmp(a, "--skip-setup") == 0) {
			b.o.skip_setup = 1;
			continue;
		}
		if (v == NULL) {
			usage();
			return 2;
		}
		i++;
		if (strcmp(a, "--host") == 0)
			b.o.host = v;
		else if (strcmp(a, "--port") == 0)
			b.o.port = (uint16_t)atoi(v);
		else if (strcmp(a, "--keys") == 0)
			b.o.keys_dir = v;
		else if (strcmp(a, "--members") == 0)
			b.o.members = (unsigned)atoi(v);
		else if (strcmp(a, "--shops") == 0)
			b.o.shops = (unsigned)atoi(v);
		else if (strcmp(a, "--payments") == 0)
			b.o.payments = strtoull(v, NULL, 10);
		else if (strcmp(a, "--rounds") == 0)
			b.o.rounds = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--connections") == 0)
			b.o.connections = (unsigned)atoi(v);
		else if (strcmp(a, "--depth") == 0)
			b.o.depth = (unsigned)atoi(v);
		else if (strcmp(a, "--rate") == 0)
			b.o.rate = atof(v);
		else if (strcmp(a, "--pid") == 0)
			b.o.pid = atoi(v);
		else if (strcmp(a, "--seed") == 0)
			b.o.seed = v;
		else {
			usage();
			return 2;
		}
	}
	if (b.o.port == 0 || b.o.keys_dir == NULL || b.o.members == 0 || b.o.shops == 0 || b.o.connections == 0 ||
	    b.o.connections > 256 || b.o.depth == 0 || b.o.payments == 0 || b.o.rounds == 0 || b.o.rounds > 99) {
		usage();
		return 2;
	}
	if (sodium_init() < 0)
		die("libsodium failed");
	snprintf(path, sizeof(path), "%s/board0.key", b.o.keys_dir);
	if (keyfile_read(path, &b.board[0]) != 0)
		die("cannot read board0.key");
	snprintf(path, sizeof(path), "%s/board1.key", b.o.keys_dir);
	if (keyfile_read(path, &b.board[1]) != 0)
		die("cannot read board1.key");
	learn_ledger(&b);

	b.members = malloc(sizeof(*b.members) * b.o.members);
	b.shops = malloc(sizeof(*b.shops) * b.o.shops);
	if (b.members == NULL || b.shops == NULL)
		die("out of memory");
	for (uint64_t i = 0; i < b.o.members; i++)
		derive_key(b.o.seed, "member", i, &b.members[i]);
	for (uint64_t i = 0; i < b.o.shops; i++)
		derive_key(b.o.seed, "shop", i, &b.shops[i]);
	if (!b.o.skip_setup)
		setup(&b);

	/* R rounds of M payments on the same ledger; each round's figures, then
	 * the medians: one noisy second of a shared machine does not make the
	 * figure. */
	uint64_t *sequence = calloc(b.o.members, sizeof(uint64_t));
	struct round_result *results = calloc(b.o.rounds, sizeof(*results));
	uint64_t refused = 0;
	if (sequence == NULL || results == NULL)
		die("out of memory");
	if (b.o.skip_setup)
		fprintf(stderr, "note: --skip-setup: payments start at sequence 1 (a fresh population is needed)\n");
	for (unsigned r = 0; r < b.o.rounds; r++) {
		results[r] = run_round(&b, sequence);
		refused += results[r].refused;
		if (b.o.rounds > 1)
			printf("round %u: %.0f payments/s, %.1f%% of %.0f verifications/s, p50 %.2f ms, p99 %.2f ms\n", r + 1,
			       results[r].tps, 100.0 * results[r].tps / results[r].ceiling, results[r].ceiling,
			       results[r].p50 * 1e3, results[r].p99 * 1e3);
	}
	report(&b, results, refused);
	free(results);
	free(sequence);
	free(b.members);
	free(b.shops);
	return refused == 0 ? 0 : 1;
}
