/*
 * req_status.c: version, log size and counters. Public.
 */
#include "dispatch.h"

static void req_status(struct slot *slot, const Manne__Request *request)
{
	struct server *s = conn_server(slot->conn);
	Manne__Response response = MANNE__RESPONSE__INIT;
	Manne__StatusInfo info = MANNE__STATUS_INFO__INIT;
	(void)request;

	info.version = (char *)MANNE_VERSION;
	info.tree_size = s->state.tree_size;
	info.connections = s->connection_count;
	info.applied = s->counters.applied;
	info.refused = s->counters.refused;
	info.batches = s->counters.batches;
	info.duplicates = s->counters.duplicates;
	info.card_key = (ProtobufCBinaryData){.len = sizeof(s->card_public), .data = s->card_public};
	info.utc_offset_minutes = s->state.utc_offset_minutes;
	info.eu_summer_time = s->state.eu_summer_time != 0;
	info.n_batch_size_histogram = BATCH_HISTOGRAM_BUCKETS;
	info.batch_size_histogram = s->counters.batch_sizes;
	response.kind_case = MANNE__RESPONSE__KIND_STATUS_INFO;
	response.status_info = &info;
	slot_reply(slot, &response);
}

const struct req_entry req_status_entry = {
	.name = "status",
	.run = req_status,
};
