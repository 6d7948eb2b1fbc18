/*
 * fuzz_checkout_form.c: libFuzzer target for the checkout page's request
 * parser (tools/checkout/checkout_form.c): any bytes a browser, or a page
 * that is not ours, posts to it. Reading the fields never crashes.
 */
#include <stdint.h>
#include <stdlib.h>

#include <event2/buffer.h>

#include "tools/checkout/checkout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"card", "pin", "amount", "order", "txid"};
	struct evbuffer *b = evbuffer_new();
	struct checkout_form *f;

	if (b == NULL || evbuffer_add(b, data, size) != 0)
		abort();
	f = checkout_form_read(b);
	if (f != NULL) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			(void)checkout_form_get(f, names[i]);
		checkout_form_free(f);
	}
	evbuffer_free(b);
	return 0;
}
