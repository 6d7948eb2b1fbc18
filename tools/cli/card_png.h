/*
 * card_png.h: a card as a printable QR image with the account's short id.
 */
#ifndef MANNE_CARD_PNG_H
#define MANNE_CARD_PNG_H

#include <stddef.h>
#include <stdint.h>

/* "3FA2 91C0": the first eight hex digits of the account key. */
#define CARD_SHORT_ID_BYTES 10U
void card_short_id(const uint8_t account[32], char out[CARD_SHORT_ID_BYTES]);

/* Writes the image to path (which must not exist): 0, or -1 with why. */
int card_png_write(const char *path, const char *card_text, const uint8_t account[32], char *why, size_t why_size);

#endif
