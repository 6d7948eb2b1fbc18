/*
 * checkout_json.c: the page's answers are small flat JSON objects (and one
 * array of them): written here, escaped, with no library.
 */
#include <string.h>

#include "checkout.h"

static void json_escape(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			evbuffer_add_printf(b, "\\%c", ch);
		else if (ch < 0x20)
			evbuffer_add_printf(b, "\\u%04x", ch);
		else
			evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "\"", 1);
}

static unsigned char last_char(struct evbuffer *b)
{
	struct evbuffer_ptr p;
	unsigned char last = 0;
	size_t n = evbuffer_get_length(b);
	if (n > 0 && evbuffer_ptr_set(b, &p, n - 1, EVBUFFER_PTR_SET) == 0)
		evbuffer_copyout_from(b, &p, &last, 1);
	return last;
}

/* A comma unless this is the first member of an object or array. */
static void separate(struct evbuffer *b)
{
	unsigned char last = last_char(b);
	if (last != 0 && last != '{' && last != '[' && last != ':')
		evbuffer_add(b, ",", 1);
}

static void json_key(struct evbuffer *b, const char *key)
{
	separate(b);
	json_escape(b, key);
	evbuffer_add(b, ":", 1);
}

void json_begin(struct evbuffer *b)
{
	separate(b);
	evbuffer_add(b, "{", 1);
}

void json_str(struct evbuffer *b, const char *key, const char *value)
{
	json_key(b, key);
	json_escape(b, value);
}

void json_u64(struct evbuffer *b, const char *key, uint64_t value)
{
	json_key(b, key);
	evbuffer_add_printf(b, "%llu", (unsigned long long)value);
}

void json_bool(struct evbuffer *b, const char *key, bool value)
{
	json_key(b, key);
	evbuffer_add_printf(b, "%s", value ? "true" : "false");
}

void json_array_begin(struct evbuffer *b, const char *key)
{
	json_key(b, key);
	evbuffer_add(b, "[", 1);
}

void json_array_end(struct evbuffer *b)
{
	evbuffer_add(b, "]", 1);
}

void json_end(struct evbuffer *b)
{
	evbuffer_add(b, "}", 1);
}

