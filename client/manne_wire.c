/*
 * manne_wire.c: see manne_wire.h.
 */
#include "manne_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <sodium.h>

#include "ledger/keys/tls_pin.h"

#define WIRE_REPLY_BYTES_MAX (16U << 20)

static int wait_for(int fd, short events, uint32_t timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int rc;
	do
		rc = poll(&p, 1, (int)(timeout_ms > INT32_MAX ? INT32_MAX : timeout_ms));
	while (rc < 0 && errno == EINTR);
	return rc == 1 ? 0 : -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

/* What is left until deadline; 0 once it has passed. */
static uint32_t left_ms(uint64_t deadline)
{
	uint64_t now = now_ms();
	return now >= deadline ? 0 : (uint32_t)(deadline - now > UINT32_MAX ? UINT32_MAX : deadline - now);
}

/* OpenSSL writes with write(2), so a peer gone away raises SIGPIPE, which
 * would kill the till. The library changes no process-wide handler: SIGPIPE
 * is blocked on this thread around each write and, if the write raised it,
 * taken back before it is unblocked. */
struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t pipe_set, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t pipe_set;
	const struct timespec now = {0, 0};
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (!g->was_pending)
		while (sigtimedwait(&pipe_set, NULL, &now) == SIGPIPE)
			;
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* One address: 0 and the socket, or the error (errno's ECONNREFUSED told apart). */
static int connect_one(const struct addrinfo *ai, uint64_t deadline, int *out)
{
	int fd, err = 0, one = 1;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return WIRE_CONNECT_TIMEOUT;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		err = errno;
		if (err == EINPROGRESS) {
			err = wait_for(fd, POLLOUT, left_ms(deadline)) != 0 ? ETIMEDOUT : 0;
			if (err == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
				err = EIO;
		}
	}
	if (err != 0) {
		close(fd);
		return err == ECONNREFUSED ? WIRE_CONNECT_REFUSED : WIRE_CONNECT_TIMEOUT;
	}
	*out = fd;
	return 0;
}

int manne_wire_connect(struct manne_wire *w, const char *host, uint16_t port, uint32_t timeout_ms)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *list = NULL;
	char service[8];
	uint64_t deadline = now_ms() + timeout_ms;
	int rc = WIRE_CONNECT_UNKNOWN, fd = -1;

	w->fd = -1;
	w->ssl = NULL;
	w->timeout_ms = timeout_ms;
	w->frame_bytes_max = WIRE_REPLY_BYTES_MAX;
	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &list) != 0)
		return WIRE_CONNECT_UNKNOWN;
	/* Every address in turn ("localhost" may be ::1 and 127.0.0.1): refused
	 * only when each of them refuses. */
	bool refused = true;
	for (const struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
		rc = connect_one(ai, deadline, &fd);
		refused &= rc == WIRE_CONNECT_REFUSED;
		if (rc != 0 && left_ms(deadline) == 0)
			break;
	}
	freeaddrinfo(list);
	if (fd < 0)
		return refused ? WIRE_CONNECT_REFUSED : WIRE_CONNECT_TIMEOUT;
	w->fd = fd;
	return 0;
}

void manne_wire_close(struct manne_wire *w)
{
	if (w->ssl != NULL) {
		struct sigpipe_guard g;
		sigpipe_block(&g);
		SSL_shutdown(w->ssl);  /* close_notify if the socket takes it now; no wait */
		sigpipe_restore(&g);
		SSL_free(w->ssl);
		w->ssl = NULL;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* After an OpenSSL call that returned rc <= 0: wait for what it wants, or -1. */
static int tls_wait(struct manne_wire *w, int rc, uint64_t deadline)
{
	switch (SSL_get_error(w->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return wait_for(w->fd, POLLIN, left_ms(deadline));
	case SSL_ERROR_WANT_WRITE:
		return wait_for(w->fd, POLLOUT, left_ms(deadline));
	default:
		return -1;
	}
}

int manne_wire_start_tls(struct manne_wire *w, const uint8_t pin[32])
{
	uint64_t deadline = now_ms() + w->timeout_ms;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	uint8_t got[TLS_PIN_BYTES];
	X509 *cert;
	int rc, same;

	if (ctx == NULL)
		return -1;
	/* TLS 1.3 only. The certificate chain is not checked against any
	 * authority: the pin says which key the ledger's server holds. */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 || (w->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(w->ssl, w->fd) != 1) {
		SSL_CTX_free(ctx);
		manne_wire_close(w);
		return -1;
	}
	SSL_CTX_free(ctx); /* the session keeps its own reference */
	SSL_set_verify(w->ssl, SSL_VERIFY_NONE, NULL);
	for (;;) {
		struct sigpipe_guard g;
		sigpipe_block(&g);
		rc = SSL_connect(w->ssl);
		sigpipe_restore(&g);
		if (rc == 1)
			break;
		if (tls_wait(w, rc, deadline) != 0) {
			manne_wire_close(w);
			return -1;
		}
	}
	cert = SSL_get1_peer_certificate(w->ssl);
	rc = tls_pin_of_cert(cert, got);
	X509_free(cert);
	same = rc == 0 && sodium_memcmp(got, pin, TLS_PIN_BYTES) == 0;
	if (!same) {
		manne_wire_close(w);
		return -2;
	}
	return 0;
}

int manne_wire_tls_binding(struct manne_wire *w, uint8_t out[32])
{
	if (w->ssl == NULL || SSL_export_keying_material(w->ssl, out, TLS_BINDING_BYTES, TLS_BINDING_LABEL,
							  strlen(TLS_BINDING_LABEL), NULL, 0, 0) != 1)
		return -1;
	return 0;
}

/* The whole message must go within the timeout: a peer that reads one byte
 * at a time cannot hold the caller longer. */
int manne_wire_send_raw(struct manne_wire *w, const uint8_t *bytes, size_t len)
{
	uint64_t deadline = now_ms() + w->timeout_ms;
	size_t done = 0;
	while (done < len) {
		if (w->ssl != NULL) {
			size_t n = 0;
			struct sigpipe_guard g;
			sigpipe_block(&g);
			int rc = SSL_write_ex(w->ssl, bytes + done, len - done, &n);
			sigpipe_restore(&g);
			if (rc == 1) {
				done += n;
				continue;
			}
			if (tls_wait(w, rc, deadline) == 0)
				continue;
			return -1;
		}
		ssize_t n = send(w->fd, bytes + done, len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR) && wait_for(w->fd, POLLOUT, left_ms(deadline)) == 0)
			continue;
		return -1;
	}
	return 0;
}

int manne_wire_send(struct manne_wire *w, const Manne__Request *request)
{
	size_t len = manne__request__get_packed_size(request);
	uint8_t *buf = malloc(4 + len);
	int rc;
	if (buf == NULL)
		return -1;
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	manne__request__pack(request, buf + 4);
	rc = manne_wire_send_raw(w, buf, 4 + len);
	free(buf);
	return rc;
}

static int receive_exact(struct manne_wire *w, uint8_t *buf, size_t len, uint64_t deadline)
{
	size_t done = 0;
	while (done < len) {
		if (w->ssl != NULL) {
			size_t n = 0;
			struct sigpipe_guard g;
			/* On an unexpected EOF OpenSSL writes an alert: guarded too. */
			sigpipe_block(&g);
			int rc = SSL_read_ex(w->ssl, buf + done, len - done, &n);
			sigpipe_restore(&g);
			if (rc == 1) {
				done += n;
				continue;
			}
			if (tls_wait(w, rc, deadline) == 0)
				continue;
			return -1;
		}
		ssize_t n = recv(w->fd, buf + done, len - done, 0);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR) && wait_for(w->fd, POLLIN, left_ms(deadline)) == 0)
			continue;
		return -1;
	}
	return 0;
}

/* The whole reply must come within the timeout: a peer that sends one byte
 * at a time cannot hold the caller longer. */
Manne__Response *manne_wire_receive(struct manne_wire *w)
{
	uint8_t prefix[4], *body;
	uint32_t len;
	Manne__Response *r;
	uint64_t deadline = now_ms() + w->timeout_ms;

	if (receive_exact(w, prefix, 4, deadline) != 0)
		return NULL;
	len = (uint32_t)prefix[0] << 24 | (uint32_t)prefix[1] << 16 | (uint32_t)prefix[2] << 8 | prefix[3];
	if (len > w->frame_bytes_max)
		return NULL;
	body = malloc(len ? len : 1);
	if (body == NULL || receive_exact(w, body, len, deadline) != 0) {
		free(body);
		return NULL;
	}
	r = manne__response__unpack(NULL, len, body);
	free(body);
	return r;
}

Manne__Response *manne_wire_call(struct manne_wire *w, const Manne__Request *request)
{
	if (manne_wire_send(w, request) != 0)
		return NULL;
	return manne_wire_receive(w);
}
