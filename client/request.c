/*
 * request.c: payment requests (SPEC §11), the URI a checkout page shows as
 * a QR code and any wallet reads:
 *
 *   manne:<payee, 64 hex>?amount=<centimes>&reference=<order>&origin=<ledger>[&counter=<64 hex>]
 *
 * values percent-encoded. Parsing is strict: each parameter once, nothing
 * unknown, every value within the ledger's own bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "manne_internal.h"

#define SCHEME "manne:"

/* Percent-decodes [s, end) into out (NUL-terminated, at most max bytes). */
static bool decode(const char *s, const char *end, char *out, size_t max)
{
	size_t n = 0;
	while (s < end) {
		int ch = (unsigned char)*s;
		if (ch == '%') {
			uint8_t byte;
			size_t got = 0;
			if (end - s < 3 || sodium_hex2bin(&byte, 1, s + 1, 2, NULL, &got, NULL) != 0 || got != 1)
				return false;
			ch = byte;
			s += 3;
		} else {
			s++;
		}
		if (ch == 0 || n >= max)
			return false;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return true;
}

static bool key_of_hex(const char *s, size_t len, uint8_t out[32])
{
	size_t got = 0;
	return len == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &got, NULL) == 0 && got == 32;
}

enum manne_status manne_request_parse(const char *uri, struct manne_payment_request *out)
{
	const char *q, *p;
	bool have_amount = false, have_reference = false, have_origin = false;
	char value[MANNE_ORIGIN_BYTES_MAX + 1];

	if (uri == NULL || out == NULL)
		return MANNE_ERR_ARGUMENT;
	memset(out, 0, sizeof(*out));
	if (strlen(uri) > 1024 || strncmp(uri, SCHEME, strlen(SCHEME)) != 0)
		return MANNE_ERR_ARGUMENT;
	p = uri + strlen(SCHEME);
	q = strchr(p, '?');
	if (q == NULL || !key_of_hex(p, (size_t)(q - p), out->payee))
		return MANNE_ERR_ARGUMENT;
	for (p = q + 1; *p != '\0';) {
		const char *amp = strchr(p, '&'), *end = amp != NULL ? amp : p + strlen(p), *eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || !decode(eq + 1, end, value, sizeof(value) - 1))
			return MANNE_ERR_ARGUMENT;
		size_t name_len = (size_t)(eq - p);
		if (name_len == 6 && memcmp(p, "amount", 6) == 0 && !have_amount) {
			char *stop;
			unsigned long long v = strtoull(value, &stop, 10);
			if (value[0] < '1' || value[0] > '9' || *stop != '\0' || v > MANNE_AMOUNT_CENTIMES_MAX)
				return MANNE_ERR_ARGUMENT;
			out->amount = v;
			have_amount = true;
		} else if (name_len == 9 && memcmp(p, "reference", 9) == 0 && !have_reference) {
			if (value[0] == '\0' || !manne_text_ok(value, MANNE_PAYEE_REFERENCE_BYTES_MAX))
				return MANNE_ERR_ARGUMENT;
			snprintf(out->reference, sizeof(out->reference), "%s", value);
			have_reference = true;
		} else if (name_len == 6 && memcmp(p, "origin", 6) == 0 && !have_origin) {
			size_t len = strlen(value);
			if (len == 0 || len > MANNE_ORIGIN_BYTES_MAX)
				return MANNE_ERR_ARGUMENT;
			for (size_t i = 0; i < len; i++)
				if ((unsigned char)value[i] <= 0x20 || (unsigned char)value[i] >= 0x7f || value[i] == '+')
					return MANNE_ERR_ARGUMENT;
			memcpy(out->origin, value, len + 1);
			have_origin = true;
		} else if (name_len == 7 && memcmp(p, "counter", 7) == 0 && !out->has_counter) {
			if (!key_of_hex(value, strlen(value), out->counter))
				return MANNE_ERR_ARGUMENT;
			out->has_counter = true;
		} else {
			return MANNE_ERR_ARGUMENT; /* unknown or repeated */
		}
		p = amp != NULL ? amp + 1 : end;
	}
	return have_amount && have_reference && have_origin ? MANNE_OK : MANNE_ERR_ARGUMENT;
}

static void append_encoded(char *out, size_t size, size_t *n, const char *value)
{
	for (; *value != '\0' && *n + 4 < size; value++) {
		unsigned char ch = (unsigned char)*value;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '.' || ch == '_' || ch == '~')
			out[(*n)++] = (char)ch;
		else
			*n += (size_t)snprintf(out + *n, size - *n, "%%%02X", ch);
	}
	out[*n] = '\0';
}

enum manne_status manne_request_format(const struct manne_payment_request *r, char *out, size_t size)
{
	char hex[65];
	size_t n;

	if (r == NULL || out == NULL || size < MANNE_REQUEST_URI_BYTES || r->amount == 0 ||
	    r->amount > MANNE_AMOUNT_CENTIMES_MAX || r->reference[0] == '\0' || r->origin[0] == '\0')
		return MANNE_ERR_ARGUMENT;
	n = (size_t)snprintf(out, size, SCHEME "%s?amount=%llu&reference=", sodium_bin2hex(hex, sizeof(hex), r->payee, 32),
			     (unsigned long long)r->amount);
	append_encoded(out, size, &n, r->reference);
	n += (size_t)snprintf(out + n, size - n, "&origin=");
	append_encoded(out, size, &n, r->origin);
	if (r->has_counter)
		n += (size_t)snprintf(out + n, size - n, "&counter=%s", sodium_bin2hex(hex, sizeof(hex), r->counter, 32));
	return n < size ? MANNE_OK : MANNE_ERR_ARGUMENT;
}
