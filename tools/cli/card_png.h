/*
 * card_png.h: a card as a printable QR image with the account's short id.
 */
#ifndef MANNE_CARD_PNG_H
#define MANNE_CARD_PNG_H

#include <stddef.h>
#include <stdint.h>

/* The image carries the account's short id (manne_short_id) under the code.
 * Writes the image to path (which must not exist): 0, or -1 with why. */
int card_png_write(const char *path, const char *card_text, const uint8_t account[32], char *why, size_t why_size);

#endif
