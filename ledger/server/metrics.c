/*
 * metrics.c: the daemon's figures in the Prometheus text exposition format
 * (version 0.0.4), on a loopback HTTP listener of its own (libevent's
 * evhttp), GET /metrics. Off unless metrics-listen is set. Names carry the
 * manne_ prefix and base units; counters end in _total. No figure is ever
 * about one account: only kinds, outcomes and sizes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "ledger/core/tx.h"
#include "server.h"

static const char *request_name(unsigned kind)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(&manne__request__descriptor, kind);
	return f != NULL && kind >= MANNE__REQUEST__KIND_SUBMIT ? f->name : NULL;
}

static void counters_out(struct evbuffer *b, const struct server *s)
{
	const struct counters *c = &s->counters;

	evbuffer_add_printf(b, "# HELP manne_requests_total Requests received, by kind.\n"
			       "# TYPE manne_requests_total counter\n");
	for (unsigned k = 0; k < KIND_SLOTS; k++)
		if (request_name(k) != NULL)
			evbuffer_add_printf(b, "manne_requests_total{kind=\"%s\"} %llu\n", request_name(k),
					    (unsigned long long)c->requests[k]);
	evbuffer_add_printf(b, "# HELP manne_transactions_total Transactions submitted, by kind and outcome "
			       "(ok: applied; duplicates are counted apart).\n"
			       "# TYPE manne_transactions_total counter\n");
	for (unsigned k = 0; k < KIND_SLOTS; k++) {
		const char *kind = k == 0 ? "unknown" : tx_kind_name((Manne__TxBody__KindCase)k);
		if (k != 0 && strcmp(kind, "unknown") == 0)
			continue;
		for (unsigned st = 0; st < MANNE_STATUS_COUNT; st++)
			if (c->transactions[k][st] != 0 || (st == 0 && k != 0))
				evbuffer_add_printf(b, "manne_transactions_total{kind=\"%s\",status=\"%s\"} %llu\n", kind,
						    manne_status_name((enum manne_status)st),
						    (unsigned long long)c->transactions[k][st]);
	}
	evbuffer_add_printf(b, "# HELP manne_duplicates_total Transactions sent again, answered with their receipt.\n"
			       "# TYPE manne_duplicates_total counter\nmanne_duplicates_total %llu\n",
			    (unsigned long long)c->duplicates);

	/* The batch sizes: powers of two, cumulative as Prometheus wants. */
	uint64_t sum = 0, batches = 0;
	evbuffer_add_printf(b, "# HELP manne_batch_transactions Transactions in one store commit.\n"
			       "# TYPE manne_batch_transactions histogram\n");
	for (unsigned i = 0; i < BATCH_HISTOGRAM_BUCKETS; i++) {
		batches += c->batch_sizes[i];
		sum += c->batch_sizes[i] << i; /* a lower bound of the sum: the bucket's floor */
		if (i + 1 < BATCH_HISTOGRAM_BUCKETS)
			evbuffer_add_printf(b, "manne_batch_transactions_bucket{le=\"%llu\"} %llu\n",
					    (unsigned long long)((2ULL << i) - 1), (unsigned long long)batches);
	}
	evbuffer_add_printf(b, "manne_batch_transactions_bucket{le=\"+Inf\"} %llu\nmanne_batch_transactions_sum %llu\n"
			       "manne_batch_transactions_count %llu\n",
			    (unsigned long long)batches, (unsigned long long)sum, (unsigned long long)batches);

	uint64_t commits = 0;
	evbuffer_add_printf(b, "# HELP manne_commit_seconds Time of one store commit (with fsync).\n"
			       "# TYPE manne_commit_seconds histogram\n");
	for (unsigned i = 0; i < COMMIT_BUCKETS; i++) {
		commits += c->commit_buckets[i];
		if (i + 1 < COMMIT_BUCKETS)
			evbuffer_add_printf(b, "manne_commit_seconds_bucket{le=\"%g\"} %llu\n", commit_bucket_us[i] / 1e6,
					    (unsigned long long)commits);
	}
	evbuffer_add_printf(b, "manne_commit_seconds_bucket{le=\"+Inf\"} %llu\nmanne_commit_seconds_sum %.6f\n"
			       "manne_commit_seconds_count %llu\n",
			    (unsigned long long)commits, c->commit_us_total / 1e6, (unsigned long long)commits);
}

static void gauges_out(struct evbuffer *b, struct server *s)
{
	uint64_t used = 0, map = 0;
	double age = s->checkpoint_ms == 0 ? 0 : ((double)time(NULL) * 1000 - (double)s->checkpoint_ms) / 1000;

	evbuffer_add_printf(b, "# HELP manne_verify_queue Submissions waiting to be verified or applied.\n"
			       "# TYPE manne_verify_queue gauge\nmanne_verify_queue %zu\n",
			    pipeline_queued(s));
	evbuffer_add_printf(b, "# HELP manne_connections Connections open, by whether they proved a key.\n"
			       "# TYPE manne_connections gauge\n"
			       "manne_connections{authenticated=\"yes\"} %u\nmanne_connections{authenticated=\"no\"} %u\n",
			    s->connection_count - s->anonymous_count, s->anonymous_count);
	evbuffer_add_printf(b, "# HELP manne_connections_refused_total Connections closed at accept (bounds).\n"
			       "# TYPE manne_connections_refused_total counter\nmanne_connections_refused_total %llu\n",
			    (unsigned long long)s->counters.refused_at_accept);
	evbuffer_add_printf(b, "# HELP manne_connections_deadline_total Connections closed for a frame or an "
			       "authentication not finished in time.\n"
			       "# TYPE manne_connections_deadline_total counter\nmanne_connections_deadline_total %llu\n",
			    (unsigned long long)s->counters.closed_deadline);
	evbuffer_add_printf(b, "# HELP manne_log_leaves Leaves in the log.\n# TYPE manne_log_leaves gauge\n"
			       "manne_log_leaves %llu\n",
			    (unsigned long long)s->state.tree_size);
	if (store_usage(s->ledger->store, &used, &map) == STORE_OK)
		evbuffer_add_printf(b, "# HELP manne_store_used_bytes Bytes the store uses.\n"
				       "# TYPE manne_store_used_bytes gauge\nmanne_store_used_bytes %llu\n"
				       "# HELP manne_store_map_bytes The most the store may grow to (map-size).\n"
				       "# TYPE manne_store_map_bytes gauge\nmanne_store_map_bytes %llu\n",
				    (unsigned long long)used, (unsigned long long)map);
	evbuffer_add_printf(b, "# HELP manne_checkpoint_age_seconds Since the checkpoint served was signed.\n"
			       "# TYPE manne_checkpoint_age_seconds gauge\nmanne_checkpoint_age_seconds %.3f\n",
			    age < 0 ? 0 : age);
	{
		unsigned long long count = 0, when = 0;
		if (backup_stamp_read(s->config.data_dir, &count, &when) != 0)
			count = when = 0;
		evbuffer_add_printf(b, "# HELP manne_backups_total Backups taken with manne-ledger backup.\n"
				       "# TYPE manne_backups_total counter\nmanne_backups_total %llu\n"
				       "# HELP manne_last_backup_timestamp_seconds When the last backup was taken (0: never).\n"
				       "# TYPE manne_last_backup_timestamp_seconds gauge\n"
				       "manne_last_backup_timestamp_seconds %llu\n",
				    count, when);
	}
	evbuffer_add_printf(b, "# HELP manne_reply_bytes Replies not yet read, all connections.\n"
			       "# TYPE manne_reply_bytes gauge\nmanne_reply_bytes %llu\n",
			    (unsigned long long)s->reply_bytes);
}

static void metrics_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	struct evbuffer *b;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET ||
	    strcmp(evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)), "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "GET /metrics");
		return;
	}
	b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	counters_out(b, s);
	gauges_out(b, s);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

int metrics_start(struct server *s, uint16_t *port)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct in_addr addr;

	/* Loopback only: a scraper on another machine goes through a proxy or
	 * a tunnel the operator sets up. */
	if (inet_pton(AF_INET, s->config.metrics_host, &addr) != 1 || (ntohl(addr.s_addr) >> 24) != 127)
		return -1;
	s->metrics = evhttp_new(s->base);
	if (s->metrics == NULL)
		return -1;
	evhttp_set_allowed_methods(s->metrics, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(s->metrics, 8192);
	evhttp_set_max_body_size(s->metrics, 0);
	evhttp_set_timeout(s->metrics, 10);
	evhttp_set_gencb(s->metrics, metrics_request, s);
	bound = evhttp_bind_socket_with_handle(s->metrics, s->config.metrics_host, s->config.metrics_port);
	if (bound == NULL ||
	    getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sin, &len) != 0) {
		evhttp_free(s->metrics);
		s->metrics = NULL;
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return 0;
}

void metrics_stop(struct server *s)
{
	if (s->metrics != NULL)
		evhttp_free(s->metrics);
	s->metrics = NULL;
}
