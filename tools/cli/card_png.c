/*
 * card_png.c: a card as a printable image: its QR code (libqrencode, level
 * M, alphanumeric, version 10 at most) and, under it, the account's short id
 * (the first eight hex digits of its key, as the association files it), in a
 * small built-in digit font. No name, no amount: a lost card tells its
 * finder nothing. Written with libpng.
 */
#include "card_png.h"
#include "i18n/i18n.h"

#include "manne.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#define MODULE_PX 8   /* one QR module: 8 px, 2 mm at 100 dpi */
#define QUIET 4       /* modules of white around the code (ISO 18004) */
#define GLYPH_PX 4    /* one pixel of the 5x7 font */
#define QR_VERSION_MAX 10

/* 5x7 glyphs, one byte per row, the low 5 bits from left to right. */
static const uint8_t glyphs[17][7] = {
	{0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}, /* 0 */
	{0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}, /* 1 */
	{0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}, /* 2 */
	{0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}, /* 3 */
	{0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}, /* 4 */
	{0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}, /* 5 */
	{0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}, /* 6 */
	{0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}, /* 7 */
	{0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}, /* 8 */
	{0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}, /* 9 */
	{0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}, /* A */
	{0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e}, /* B */
	{0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e}, /* C */
	{0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c}, /* D */
	{0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}, /* E */
	{0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10}, /* F */
	{0, 0, 0, 0, 0, 0, 0},                      /* space */
};

static const uint8_t *glyph(char ch)
{
	if (ch >= '0' && ch <= '9')
		return glyphs[ch - '0'];
	if (ch >= 'A' && ch <= 'F')
		return glyphs[10 + ch - 'A'];
	return glyphs[16];
}

static void draw_text(uint8_t *image, size_t width, size_t top, const char *text)
{
	size_t len = strlen(text), text_width = len * 6 * GLYPH_PX;
	size_t left = width > text_width ? (width - text_width) / 2 : 0;
	for (size_t k = 0; k < len; k++) {
		const uint8_t *g = glyph(text[k]);
		for (size_t row = 0; row < 7 * GLYPH_PX; row++)
			for (size_t col = 0; col < 5 * GLYPH_PX; col++)
				if (g[row / GLYPH_PX] & (0x10 >> (col / GLYPH_PX)))
					image[(top + row) * width + left + k * 6 * GLYPH_PX + col] = 0;
	}
}

static int write_png(const char *path, const uint8_t *image, size_t width, size_t height)
{
	FILE *f = fopen(path, "wbx");
	png_structp png = NULL;
	png_infop info = NULL;
	int rc = -1;

	if (f == NULL)
		return -1;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png != NULL ? png_create_info_struct(png) : NULL;
	if (info != NULL && setjmp(png_jmpbuf(png)) == 0) {
		png_init_io(png, f);
		png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
			     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
		png_write_info(png, info);
		for (size_t y = 0; y < height; y++)
			png_write_row(png, image + y * width);
		png_write_end(png, info);
		rc = 0;
	}
	png_destroy_write_struct(&png, &info);
	if (fclose(f) != 0)
		rc = -1;
	if (rc != 0)
		remove(path);
	return rc;
}

int card_png_write(const char *path, const char *card_text, const uint8_t account[32], char *why, size_t why_size)
{
	char short_id[MANNE_SHORT_ID_BYTES];
	QRcode *qr = QRcode_encodeString(card_text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	uint8_t *image;
	size_t side, width, height;
	int rc;

	if (qr == NULL || qr->version > QR_VERSION_MAX) {
		snprintf(why, why_size, _("the card does not fit a version %d QR code"), QR_VERSION_MAX);
		QRcode_free(qr);
		return -1;
	}
	side = (size_t)qr->width + 2 * QUIET;
	width = side * MODULE_PX;
	height = width + 12 * GLYPH_PX;
	image = malloc(width * height);
	if (image == NULL) {
		QRcode_free(qr);
		snprintf(why, why_size, "%s", _("out of memory"));
		return -1;
	}
	memset(image, 255, width * height);
	for (size_t y = 0; y < (size_t)qr->width; y++)
		for (size_t x = 0; x < (size_t)qr->width; x++)
			if (qr->data[y * (size_t)qr->width + x] & 1)
				for (size_t dy = 0; dy < MODULE_PX; dy++)
					memset(image + ((y + QUIET) * MODULE_PX + dy) * width + (x + QUIET) * MODULE_PX, 0,
					       MODULE_PX);
	manne_short_id(account, short_id);
	draw_text(image, width, width, short_id);
	rc = write_png(path, image, width, height);
	if (rc != 0)
		snprintf(why, why_size, _("cannot create %s (it must not exist)"), path);
	free(image);
	QRcode_free(qr);
	return rc;
}
