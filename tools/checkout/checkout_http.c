/*
 * checkout_http.c: the page's routes and its security (SPEC §11). Every
 * request must name this server in Host (no DNS rebinding); every
 * state-changing call is a POST from the page itself: same Origin, and the
 * token made at start, which the page reads from its own HTML. Every answer
 * carries a strict Content-Security-Policy (no inline script, nothing from
 * elsewhere) and is never cached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "checkout.h"

#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
	    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* ---- the security of the page ---- */

static void common_headers(struct evhttp_request *req, const char *content_type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", content_type);
	evhttp_add_header(h, "Content-Security-Policy", CSP);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
}

static void refuse(struct evhttp_request *req, int code, const char *why)
{
	struct evbuffer *b = evbuffer_new();
	common_headers(req, "application/json");
	if (b != NULL) {
		json_begin(b);
		json_bool(b, "ok", false);
		json_str(b, "message", why);
		json_end(b);
	}
	evhttp_send_reply(req, code, why, b);
	if (b != NULL)
		evbuffer_free(b);
}

/* Host must name this server: a page from elsewhere that resolves its own
 * name to 127.0.0.1 (DNS rebinding) is not served. */
static bool host_ok(const struct checkout *co, struct evhttp_request *req)
{
	const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	char localhost[64];
	snprintf(localhost, sizeof(localhost), "localhost:%u", co->port);
	return host != NULL && (strcmp(host, co->host) == 0 || strcmp(host, localhost) == 0);
}

/* A state-changing call: from this page (Origin is this server), with the token. */
static bool post_ok(const struct checkout *co, struct evhttp_request *req)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *host = evhttp_find_header(in, "Host");
	const char *origin = evhttp_find_header(in, "Origin");
	const char *site = evhttp_find_header(in, "Sec-Fetch-Site");
	const char *token = evhttp_find_header(in, "X-Manne-Token");
	char expected[80];

	if (host == NULL || origin == NULL || token == NULL || strlen(token) != CHECKOUT_TOKEN_HEX)
		return false;
	snprintf(expected, sizeof(expected), "http://%s", host);
	if (strcmp(origin, expected) != 0 || (site != NULL && strcmp(site, "same-origin") != 0))
		return false;
	return sodium_memcmp(token, co->token, CHECKOUT_TOKEN_HEX) == 0;
}

static void send_json(struct evhttp_request *req, struct evbuffer *b)
{
	common_headers(req, "application/json");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
}

static void serve_file(struct checkout *co, struct evhttp_request *req, const struct checkout_file *file)
{
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (strcmp(file->path, "/") == 0) {
		/* The token goes into the page's own HTML, which no other site can read. */
		const char *marker = "{{TOKEN}}", *text = (const char *)file->data;
		const char *at = memmem(text, file->len, marker, strlen(marker));
		if (at == NULL) {
			evbuffer_add(b, file->data, file->len);
		} else {
			evbuffer_add(b, text, (size_t)(at - text));
			evbuffer_add(b, co->token, CHECKOUT_TOKEN_HEX);
			evbuffer_add(b, at + strlen(marker), file->len - (size_t)(at - text) - strlen(marker));
		}
	} else {
		evbuffer_add(b, file->data, file->len);
	}
	common_headers(req, file->content_type);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void info(struct checkout *co, struct evbuffer *b)
{
	char short_id[MANNE_SHORT_ID_BYTES];
	manne_short_id(co->key.public_key, short_id);
	json_begin(b);
	json_bool(b, "ok", true);
	json_str(b, "role", co->counter ? "counter" : co->role == MANNE_ROLE_PRODUCER ? "producer" : "shop");
	json_str(b, "short_id", short_id);
	json_str(b, "origin", co->origin);
	json_end(b);
}

static void route(struct evhttp_request *req, void *arg)
{
	struct checkout *co = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct checkout_form *form;
	struct evbuffer *b;

	if (path == NULL || !host_ok(co, req)) {
		refuse(req, 403, "wrong host");
		return;
	}
	if (method == EVHTTP_REQ_GET) {
		for (size_t i = 0; i < checkout_file_count; i++) {
			if (strcmp(path, checkout_files[i].path) == 0) {
				serve_file(co, req, &checkout_files[i]);
				return;
			}
		}
		if ((b = evbuffer_new()) == NULL) {
			evhttp_send_error(req, HTTP_INTERNAL, NULL);
			return;
		}
		if (strcmp(path, "/api/info") == 0) {
			info(co, b);
			send_json(req, b);
		} else if (strcmp(path, "/api/day") == 0) {
			checkout_day(co, b);
			send_json(req, b);
		} else if (strcmp(path, "/day.csv") == 0) {
			checkout_day_csv(co, b);
			common_headers(req, "text/csv; charset=utf-8");
			evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Disposition",
					  "attachment; filename=\"encaissements-du-jour.csv\"");
			evhttp_send_reply(req, HTTP_OK, "OK", b);
		} else {
			refuse(req, HTTP_NOTFOUND, "not found");
		}
		evbuffer_free(b);
		return;
	}
	if (method != EVHTTP_REQ_POST || strncmp(path, "/api/", 5) != 0) {
		refuse(req, 405, "method not allowed");
		return;
	}
	if (!post_ok(co, req)) {
		refuse(req, 403, "not from this page: token or origin missing");
		return;
	}
	if ((form = checkout_form_read(evhttp_request_get_input_buffer(req))) == NULL) {
		refuse(req, 400, "not a form");
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		checkout_form_free(form);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (strcmp(path, "/api/card") == 0)
		checkout_card(co, form, b);
	else if (strcmp(path, "/api/request") == 0)
		checkout_request(co, form, b);
	else if (strcmp(path, "/api/check") == 0)
		checkout_check(co, form, b);
	else if (strcmp(path, "/api/order") == 0)
		checkout_new_order(b);
	else if (strcmp(path, "/api/refund") == 0)
		checkout_refund(co, form, b);
	if (evbuffer_get_length(b) == 0)
		refuse(req, HTTP_NOTFOUND, "not found");
	else
		send_json(req, b);
	checkout_form_free(form);
	evbuffer_free(b);
}

int checkout_serve(struct checkout *co, const char *listen_host, uint16_t listen_port, const char *port_file)
{
	struct event_base *base = event_base_new();
	struct evhttp *http = base != NULL ? evhttp_new(base) : NULL;
	struct evhttp_bound_socket *sock;

	if (http == NULL)
		return -1;
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(http, CHECKOUT_FORM_BYTES_MAX);
	evhttp_set_max_headers_size(http, 16384);
	evhttp_set_timeout(http, 30);
	evhttp_set_gencb(http, route, co);
	sock = evhttp_bind_socket_with_handle(http, listen_host, listen_port);
	if (sock == NULL) {
		fprintf(stderr, "manne-checkout: cannot listen on %s:%u\n", listen_host, listen_port);
		return -1;
	}
	struct sockaddr_storage ss;
	ev_socklen_t ss_len = sizeof(ss);
	getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &ss_len);
	co->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(co->host, sizeof(co->host), "%s:%u", listen_host, co->port);
	if (port_file != NULL) {
		FILE *f = fopen(port_file, "w");
		if (f == NULL || fprintf(f, "%u\n", co->port) < 0 || fclose(f) != 0)
			return -1;
	}
	printf("manne-checkout: open http://%s/ in the browser of this machine\n", co->host);
	fflush(stdout);
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
