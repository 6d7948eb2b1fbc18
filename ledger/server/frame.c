/*
 * frame.c: see frame.h.
 */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "ledger/log/bytes.h"

enum frame_result frame_take(struct evbuffer *in, uint32_t frame_bytes_max, uint8_t **out, size_t *len)
{
	uint8_t prefix[4];
	uint32_t body_len;
	uint8_t *body;

	if (evbuffer_copyout(in, prefix, sizeof(prefix)) < (ssize_t)sizeof(prefix))
		return FRAME_NEED_MORE;
	body_len = load_be32(prefix);
	if (body_len == 0 || body_len > frame_bytes_max)
		return FRAME_BROKEN;
	if (evbuffer_get_length(in) < sizeof(prefix) + (size_t)body_len)
		return FRAME_NEED_MORE;
	body = malloc(body_len);
	if (body == NULL)
		return FRAME_BROKEN;
	evbuffer_drain(in, sizeof(prefix));
	evbuffer_remove(in, body, body_len);
	*out = body;
	*len = body_len;
	return FRAME_OK;
}

uint8_t *frame_wrap(const uint8_t *bytes, size_t len, size_t *out_len)
{
	uint8_t *framed = malloc(4 + len);
	if (framed == NULL)
		return NULL;
	store_be32(framed, (uint32_t)len);
	memcpy(framed + 4, bytes, len);
	*out_len = 4 + len;
	return framed;
}
