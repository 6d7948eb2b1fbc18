/*
 * base45.c: RFC 9285. Two bytes n = a * 256 + b become three characters
 * c, d, e with n = c + d * 45 + e * 45^2; a last odd byte becomes two.
 */
#include "base45.h"

#include <string.h>

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

void base45_encode(const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i += 2) {
		unsigned n = i + 1 < len ? (unsigned)in[i] * 256U + in[i + 1] : in[i];
		*out++ = alphabet[n % 45];
		*out++ = alphabet[n / 45 % 45];
		if (i + 1 < len)
			*out++ = alphabet[n / 2025];
	}
}

static int digit(char c)
{
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;
	return p != NULL ? (int)(p - alphabet) : -1;
}

long base45_decode(const char *text, size_t len, uint8_t *out, size_t out_size)
{
	size_t n_out = 0;

	if (len % 3 == 1)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		size_t group = len - i >= 3 ? 3 : 2;
		unsigned value = 0, scale = 1;
		for (size_t k = 0; k < group; k++) {
			int d = digit(text[i + k]);
			if (d < 0)
				return -1;
			value += (unsigned)d * scale;
			scale *= 45;
		}
		if (value > (group == 3 ? 0xffffU : 0xffU) || n_out + group - 1 > out_size)
			return -1;
		if (group == 3)
			out[n_out++] = (uint8_t)(value >> 8);
		out[n_out++] = (uint8_t)value;
	}
	return (long)n_out;
}
