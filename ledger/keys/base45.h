/*
 * base45.h: RFC 9285 Base45, the encoding whose 45 characters are exactly
 * QR code's alphanumeric set (0-9 A-Z space $ % * + - . / :), so that a card
 * prints as a compact alphanumeric QR code and reads back from any scanner.
 */
#ifndef MANNE_BASE45_H
#define MANNE_BASE45_H

#include <stddef.h>
#include <stdint.h>

/* Characters for len bytes: 3 per pair, 2 for a last odd byte. */
#define BASE45_ENCODED_LEN(len) ((len) / 2 * 3 + (len) % 2 * 2)

/* Writes BASE45_ENCODED_LEN(len) characters (no NUL). */
void base45_encode(const uint8_t *in, size_t len, char *out);
/* Decodes text of length len into out (at most out_size bytes): the byte
 * count, or -1 for a character outside the set, a group of one character, a
 * group over its value, or too small an out. */
long base45_decode(const char *text, size_t len, uint8_t *out, size_t out_size);

#endif
