/*
 * conn.c: one client connection. Frames come in, each becomes a slot in
 * arrival order; replies leave in that same order, and a read runs only once
 * every earlier request of the connection is answered, so that it reflects
 * them (SPEC §6). Submissions go to the pipeline as they arrive; a read that
 * has to wait holds back the requests behind it.
 *
 * Bounds: requests and request bytes in flight (tighter before
 * authentication), unread reply bytes (tighter before authentication, and
 * for all connections together), and idle time. Past a bound the
 * connection is simply not read until replies drain (backpressure).
 * Deadlines (SPEC §13): a frame begun must be finished, a key proved after
 * accept, and replies owed must make progress, or the connection is closed.
 * At accept: a cap per client address, and slots kept for clients that
 * authenticate.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "frame.h"
#include "server.h"

struct conn {
	struct server *server;
	struct bufferevent *bev;
	struct conn *prev, *next;
	struct slot *head, *tail;
	uint32_t in_flight;
	size_t in_flight_bytes;
	bool reading_paused;
	bool closing;           /* a broken frame was answered: close once flushed */
	bool advancing;         /* conn_advance is on the stack */
	bool owed;              /* replies are owed: no read timeout meanwhile */
	enum reader reader;     /* as of reader_tree_size (auth.c refreshes it) */
	uint64_t reader_tree_size;
	bool proved;            /* key was proved on this connection */
	uint8_t key[32];
	bool nonce_made;
	uint8_t server_nonce[32];
	uint64_t leaves_seen;   /* one past the highest leaf receipted here */
	uint32_t bad_signatures; /* refused as BAD_SIGNATURE before authentication */
	bool tls;               /* accepted on the TLS listener */
	struct evbuffer_cb_entry *output_cb; /* adds the output's size to the server's */
	bool eof;               /* the client shut its side: answer what is owed, then close */
	uint32_t address;       /* the client's IPv4 address (network order), or its IPv6 /64 folded */
	uint32_t address_wide;  /* its IPv6 /48 folded; 0 for IPv4 */
	struct event *auth_deadline;  /* closes it unless a key is proved in time */
	struct event *frame_deadline; /* closes it unless a frame begun is finished in time */
};

static void conn_free(struct conn *c);

struct server *conn_server(const struct conn *c)
{
	return c->server;
}

enum reader conn_reader(const struct conn *c)
{
	return c->reader;
}

const uint8_t *conn_key(const struct conn *c)
{
	return c->reader == READER_ANYONE ? NULL : c->key;
}

const uint8_t *conn_proved_key(const struct conn *c)
{
	return c->proved ? c->key : NULL;
}

uint64_t conn_reader_tree_size(const struct conn *c)
{
	return c->reader_tree_size;
}

void conn_set_auth(struct conn *c, const uint8_t key[32], enum reader reader, uint64_t tree_size)
{
	if (!c->proved && key != NULL) {
		c->server->anonymous_count--;
		evtimer_del(c->auth_deadline);
	}
	c->proved = key != NULL;
	if (key != NULL)
		memcpy(c->key, key, 32);
	else
		sodium_memzero(c->key, sizeof(c->key));
	conn_set_reader(c, reader, tree_size);
}

void conn_set_reader(struct conn *c, enum reader reader, uint64_t tree_size)
{
	c->reader = reader;
	c->reader_tree_size = tree_size;
}

const uint8_t *conn_server_nonce(struct conn *c)
{
	if (!c->nonce_made) {
		randombytes_buf(c->server_nonce, sizeof(c->server_nonce));
		c->nonce_made = true;
	}
	return c->server_nonce;
}

void conn_saw_leaf(struct conn *c, uint64_t index)
{
	if (index + 1 > c->leaves_seen)
		c->leaves_seen = index + 1;
}

uint64_t conn_leaves_seen(const struct conn *c)
{
	return c->leaves_seen;
}

void conn_forget_nonce(struct conn *c)
{
	c->nonce_made = false;
	sodium_memzero(c->server_nonce, sizeof(c->server_nonce));
}

static uint32_t in_flight_max(const struct conn *c)
{
	if (c->reader == READER_ANYONE && c->server->config.in_flight_max > IN_FLIGHT_MAX_ANONYMOUS)
		return IN_FLIGHT_MAX_ANONYMOUS;
	return c->server->config.in_flight_max;
}

static void slot_free(struct slot *slot)
{
	if (slot->wait_timer != NULL)
		event_free(slot->wait_timer);
	free(slot->frame);
	free(slot->reply);
	free(slot);
}

void slot_reply(struct slot *slot, Manne__Response *response)
{
	size_t len;
	uint8_t *packed;

	response->id = slot->request_id;
	len = manne__response__get_packed_size(response);
	packed = malloc(len ? len : 1);
	free(slot->reply);
	slot->reply = NULL;
	if (packed != NULL) {
		manne__response__pack(response, packed);
		slot->reply = frame_wrap(packed, len, &slot->reply_len);
		free(packed);
	}
	if (slot->reply == NULL) {
		/* Out of memory: a bare frame with no fields still answers. */
		static const uint8_t empty[4] = {0, 0, 0, 0};
		slot->reply = malloc(sizeof(empty));
		if (slot->reply != NULL)
			memcpy(slot->reply, empty, sizeof(empty));
		slot->reply_len = slot->reply != NULL ? sizeof(empty) : 0;
	}
	slot->ready = true;
}

void slot_reply_status(struct slot *slot, enum manne_status status, const char *message)
{
	Manne__Response response = MANNE__RESPONSE__INIT;
	response.status = (Manne__Status)status;
	response.message = (char *)(message != NULL ? message : manne_status_message(status));
	slot_reply(slot, &response);
}

static void pause_reading(struct conn *c)
{
	if (!c->reading_paused) {
		bufferevent_disable(c->bev, EV_READ);
		c->reading_paused = true;
	}
}

static bool over_bounds(const struct conn *c)
{
	size_t owed = evbuffer_get_length(bufferevent_get_output(c->bev));
	return c->in_flight >= in_flight_max(c) || c->in_flight_bytes >= IN_FLIGHT_BYTES_MAX ||
	       owed >= (c->proved ? OUTPUT_BYTES_MAX : OUTPUT_BYTES_MAX_ANONYMOUS) ||
	       (owed > 0 && c->server->reply_bytes >= c->server->config.reply_bytes_total_max);
}

/* The output buffer's size, added up over all connections. */
static void output_changed(struct evbuffer *buffer, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	(void)buffer;
	c->server->reply_bytes += info->n_added;
	c->server->reply_bytes -= info->n_deleted;
}

static struct timeval timeval_of(uint32_t ms)
{
	return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
}

/* A frame begun and not finished in time, or no key proved in time. */
static void deadline_passed(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	c->server->counters.closed_deadline++;
	conn_free(c);
}

/* Slots are answered in the order they were appended. */
static void slot_append(struct conn *c, struct slot *slot)
{
	if (c->tail != NULL)
		c->tail->next = slot;
	else
		c->head = slot;
	c->tail = slot;
	c->in_flight++;
}

/* Reads nothing more; one last reply with id 0 after those owed, then the
 * connection ends. */
static void conn_close_with(struct conn *c, enum manne_status status, const char *message)
{
	struct slot *slot;
	if (c->closing)
		return;
	c->closing = true;
	pause_reading(c);
	evtimer_del(c->frame_deadline);
	evbuffer_drain(bufferevent_get_input(c->bev), evbuffer_get_length(bufferevent_get_input(c->bev)));
	slot = calloc(1, sizeof(*slot));
	if (slot == NULL)
		return; /* closing and nothing owed: conn_advance frees it */
	slot->conn = c;
	slot_reply_status(slot, status, message);
	slot_append(c, slot);
}

/* A broken frame: one error reply, then the connection ends. */
static void conn_break(struct conn *c)
{
	c->server->counters.frames_broken++;
	conn_close_with(c, MANNE_ERR_MALFORMED, "frame length is 0 or over the maximum; closing");
}

void conn_refused_signature(struct conn *c)
{
	if (c->reader != READER_ANYONE || ++c->bad_signatures <= BAD_SIGNATURES_ANONYMOUS_MAX)
		return;
	c->server->counters.closed_bad_signatures++;
	conn_close_with(c, MANNE_ERR_NOT_PERMITTED,
			"too many transactions with bad signatures before authentication; closing");
	/* the batch's server_retry_parked moves it on */
}

static void read_frames(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	while (!c->closing && !c->server->shutting_down && !over_bounds(c)) {
		uint8_t *frame;
		size_t len;
		enum frame_result r = frame_take(in, c->server->config.frame_bytes_max, &frame, &len);
		if (r == FRAME_NEED_MORE)
			break;
		if (r == FRAME_BROKEN) {
			conn_break(c);
			break;
		}
		struct slot *slot = calloc(1, sizeof(*slot));
		if (slot == NULL) {
			free(frame);
			conn_break(c);
			break;
		}
		slot->conn = c;
		slot->frame = frame;
		slot->frame_len = len;
		slot_append(c, slot);
		c->in_flight_bytes += len;
		c->server->requests->classify(slot);
		/* A whole frame: the next one's deadline starts with its first byte. */
		evtimer_del(c->frame_deadline);
	}
	if (!c->closing && over_bounds(c))
		pause_reading(c);
	/* Bytes of a frame not yet whole, while we read: they must all come in
	 * time. (While we do not read, the wait is ours, not the client's.) */
	if (!c->closing && !c->reading_paused && evbuffer_get_length(in) > 0) {
		if (!evtimer_pending(c->frame_deadline, NULL)) {
			struct timeval tv = timeval_of(c->server->config.frame_timeout_ms);
			evtimer_add(c->frame_deadline, &tv);
		}
	} else {
		evtimer_del(c->frame_deadline);
	}
}

static void flush_ready(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	while (c->head != NULL && c->head->ready) {
		struct slot *slot = c->head;
		if (slot->reply_len > 0)
			evbuffer_add(out, slot->reply, slot->reply_len);
		c->head = slot->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->in_flight--;
		c->in_flight_bytes -= slot->frame_len;
		slot_free(slot);
	}
}

void conn_advance(struct conn *c)
{
	bool earlier_unready = false;

	if (c->advancing)
		return;
	c->advancing = true;
	for (;;) {
		for (struct slot *slot = c->head; slot != NULL; slot = slot->next) {
			if (slot->ready)
				continue;
			if (!slot->started && (slot->is_submit || !earlier_unready)) {
				c->server->requests->run(slot);
			}
			if (slot->ready)
				continue;
			if (!slot->is_submit)
				break; /* a waiting read holds back what follows it */
			earlier_unready = true;
		}
		flush_ready(c);
		earlier_unready = false;
		if (c->closing || !c->reading_paused || over_bounds(c))
			break;
		/* Room again: take what is already buffered, then read on
		 * (nothing more comes after a half-close). */
		c->reading_paused = c->eof;
		if (!c->eof)
			bufferevent_enable(c->bev, EV_READ);
		size_t before = c->in_flight;
		read_frames(c);
		if (c->in_flight == before)
			break;
	}
	c->advancing = false;
	if ((c->head != NULL) != c->owed) {
		/* Not idle while a reply is owed: a parked read may wait longer. */
		struct timeval idle = {.tv_sec = c->server->config.idle_timeout_ms / 1000,
				       .tv_usec = (c->server->config.idle_timeout_ms % 1000) * 1000};
		struct timeval write = timeval_of(c->server->config.write_timeout_ms);
		c->owed = c->head != NULL;
		bufferevent_set_timeouts(c->bev, c->owed ? NULL : &idle, &write);
	}
	if ((c->closing || c->eof) && c->head == NULL &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_free(c);
}

void conn_slot_done(struct slot *slot)
{
	if (slot->conn == NULL) {
		slot_free(slot);  /* its connection went away while it was in the pipeline */
		return;
	}
	conn_advance(slot->conn);
}

void conn_slot_landed(struct slot *slot)
{
	if (slot->conn == NULL)
		slot_free(slot);
}

static void read_callback(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	(void)bev;
	read_frames(c);
	conn_advance(c);
}

static void write_callback(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	(void)bev;
	if (c->closing || c->eof) {
		if (c->head == NULL)
			conn_free(c);
		else if (c->eof)
			conn_advance(c);
		return;
	}
	if (c->reading_paused)
		conn_advance(c);
}

static void event_callback(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct conn *c = arg;
	if (what & BEV_EVENT_CONNECTED)
		return; /* a TLS handshake finished: frames follow */
	if ((what & BEV_EVENT_EOF) && !(what & (BEV_EVENT_ERROR | BEV_EVENT_WRITING)) && !c->eof) {
		/* A half-close: the client sends nothing more but may still
		 * read. Whole frames already here are served; the replies owed
		 * go out; then the connection closes (conn_advance). */
		c->eof = true;
		pause_reading(c);
		/* libevent's TLS bufferevent stops writing when it sees the
		 * close: start it again for the replies owed. */
		if (c->tls)
			bufferevent_enable(c->bev, EV_WRITE);
		read_frames(c);
		conn_advance(c);
		return;
	}
	/* An error, a timeout, a failed write (TLS reports a reset while
	 * writing as EOF|WRITING), or EOF again: the connection ends. */
	conn_free(c);
}

static void conn_free(struct conn *c)
{
	struct slot *slot = c->head;
	while (slot != NULL) {
		struct slot *next = slot->next;
		if (slot->is_submit && slot->started && !slot->ready) {
			slot->conn = NULL;   /* the pipeline still holds it */
			slot->next = NULL;
		} else {
			slot_free(slot);
		}
		slot = next;
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->server->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->server->connection_count--;
	if (!c->proved)
		c->server->anonymous_count--;
	/* Before the buffer goes: a drain during bufferevent_free must not
	 * reach this connection. */
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->output_cb);
	c->server->reply_bytes -= evbuffer_get_length(bufferevent_get_output(c->bev));
	event_free(c->auth_deadline);
	event_free(c->frame_deadline);
	bufferevent_free(c->bev);
	sodium_memzero(c->server_nonce, sizeof(c->server_nonce));
	free(c);
}

int conn_tls_binding(struct conn *c, uint8_t out[32])
{
	if (!c->tls)
		return 0;
	return tls_binding(c->bev, out) ? 1 : -1;
}

/* Whether a new connection from this address would pass a cap: the
 * address's own, and eight times it for the IPv6 /48 it is in. */
static bool over_address_caps(const struct server *s, struct client_address a)
{
	uint32_t narrow = 0, wide = 0;
	for (const struct conn *c = s->conns; c != NULL; c = c->next) {
		narrow += c->address == a.narrow;
		wide += a.wide != 0 && c->address_wide == a.wide;
	}
	return narrow >= s->config.connections_per_address ||
	       (a.wide != 0 && wide >= (uint64_t)s->config.connections_per_address * ADDRESS_WIDE_SHARE);
}

void conn_accept(struct server *s, int fd, bool tls, struct client_address address)
{
	struct conn *c;
	struct timeval idle = timeval_of(s->config.idle_timeout_ms);
	struct timeval write = timeval_of(s->config.write_timeout_ms);
	struct timeval auth;
	bool probation;

	/* A slot: under the total; under the address's cap; an anonymous one
	 * while they are under their share, else a kept one on probation. */
	probation = s->anonymous_count >= s->config.connections_max - s->config.connections_reserved;
	if (s->connection_count >= s->config.connections_max || s->shutting_down ||
	    over_address_caps(s, address)) {
		s->counters.refused_at_accept++;
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->server = s;
	c->address = address.narrow;
	c->address_wide = address.wide;
	/* Replies are small and each one ends a client's wait: send at once. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->tls = tls;
	c->bev = tls ? tls_accept(s->tls_ctx, s->base, fd) : bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->auth_deadline = evtimer_new(s->base, deadline_passed, c);
	c->frame_deadline = evtimer_new(s->base, deadline_passed, c);
	if (c->bev != NULL)
		c->output_cb = evbuffer_add_cb(bufferevent_get_output(c->bev), output_changed, c);
	if (c->bev == NULL || c->auth_deadline == NULL || c->frame_deadline == NULL || c->output_cb == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->auth_deadline != NULL)
			event_free(c->auth_deadline);
		if (c->frame_deadline != NULL)
			event_free(c->frame_deadline);
		free(c);
		return;
	}
	auth = timeval_of(probation ? RESERVED_AUTH_MS : s->config.auth_timeout_ms);
	evtimer_add(c->auth_deadline, &auth);
	bufferevent_setcb(c->bev, read_callback, write_callback, event_callback, c);
	bufferevent_set_timeouts(c->bev, &idle, &write);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = c;
	s->conns = c;
	s->connection_count++;
	s->anonymous_count++;
	s->counters.connections++;
}

void conn_close_all(struct server *s)
{
	while (s->conns != NULL)
		conn_free(s->conns);
}

void conn_finish_all(struct server *s)
{
	for (struct conn *c = s->conns, *next; c != NULL; c = next) {
		next = c->next;
		c->closing = true;
		pause_reading(c); /* no more requests: do not buffer what a client keeps sending */
		for (struct slot *slot = c->head; slot != NULL; slot = slot->next)
			if (!slot->ready && !slot->is_submit)
				slot_reply_status(slot, MANNE_ERR_NOT_FOUND, "the ledger is shutting down");
		conn_advance(c);
	}
}

void server_retry_parked(struct server *s)
{
	for (struct conn *c = s->conns, *next; c != NULL; c = next) {
		next = c->next;
		for (struct slot *slot = c->head; slot != NULL; slot = slot->next) {
			if (!slot->ready && !slot->is_submit) {
				if (slot->started)
					slot->started = false; /* look again */
				break;
			}
		}
		conn_advance(c);
	}
}
