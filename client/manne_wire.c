/*
 * manne_wire.c: see manne_wire.h.
 */
#include "manne_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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

int manne_wire_connect(struct manne_wire *w, const char *host, uint16_t port, uint32_t timeout_ms)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd, err = 0, one = 1;
	socklen_t len = sizeof(err);

	w->fd = -1;
	w->timeout_ms = timeout_ms;
	w->frame_bytes_max = WIRE_REPLY_BYTES_MAX;
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 &&
	    (errno != EINPROGRESS || wait_for(fd, POLLOUT, timeout_ms) != 0 ||
	     getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)) {
		close(fd);
		return -1;
	}
	w->fd = fd;
	return 0;
}

void manne_wire_close(struct manne_wire *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* The whole message must go within the timeout: a peer that reads one byte
 * at a time cannot hold the caller longer. */
int manne_wire_send_raw(struct manne_wire *w, const uint8_t *bytes, size_t len)
{
	uint64_t deadline = now_ms() + w->timeout_ms;
	size_t done = 0;
	while (done < len) {
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
