/*
 * checkout_form.c: the fields of a POST from the page
 * (application/x-www-form-urlencoded), bounded, and wiped when done: a card
 * payment's form holds the PIN.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "checkout.h"

struct checkout_form {
	struct evkeyvalq fields;
};

const char *checkout_form_get(const struct checkout_form *f, const char *name)
{
	return evhttp_find_header(&f->fields, name);
}

struct checkout_form *checkout_form_read(struct evbuffer *body)
{
	size_t len = evbuffer_get_length(body);
	char text[CHECKOUT_FORM_BYTES_MAX + 1];
	struct checkout_form *f;

	if (len > CHECKOUT_FORM_BYTES_MAX || (f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	TAILQ_INIT(&f->fields);
	evbuffer_copyout(body, text, len);
	text[len] = '\0';
	bool ok = memchr(text, '\0', len) == NULL && evhttp_parse_query_str(text, &f->fields) == 0;
	sodium_memzero(text, sizeof(text));
	if (!ok) {
		checkout_form_free(f);
		return NULL;
	}
	return f;
}

void checkout_form_free(struct checkout_form *f)
{
	struct evkeyval *kv;
	if (f == NULL)
		return;
	TAILQ_FOREACH(kv, &f->fields, next)
		sodium_memzero(kv->value, strlen(kv->value));
	evhttp_clear_headers(&f->fields);
	free(f);
}
