/*
 * i18n.c: see i18n.h.
 */
#include "i18n.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MANNE_LOCALEDIR
#define MANNE_LOCALEDIR "/usr/local/share/locale"
#endif

/* Copied from localeconv() while LC_NUMERIC is the user's: later calls see "C". */
static char decimal_point[8] = ".";
static char thousands_sep[8] = "";

static void copy_separator(char *dst, size_t size, const char *src)
{
	/* A separator is one character, at most a few UTF-8 bytes (U+202F in French). */
	if (src != NULL && strlen(src) < size && strchr(src, '%') == NULL)
		memcpy(dst, src, strlen(src) + 1);
}

void i18n_init(void)
{
	/* secure_getenv: a set-id program never takes its messages from the caller. */
	const char *dir = secure_getenv("MANNE_LOCALEDIR");

	if (setlocale(LC_ALL, "") == NULL)
		return; /* an unknown locale: English, C numbers */
	const struct lconv *lc = localeconv();
	copy_separator(decimal_point, sizeof(decimal_point), lc->decimal_point);
	copy_separator(thousands_sep, sizeof(thousands_sep), lc->thousands_sep);
	setlocale(LC_NUMERIC, "C");
	bindtextdomain("manne", dir != NULL && dir[0] != '\0' ? dir : MANNE_LOCALEDIR);
	bind_textdomain_codeset("manne", "UTF-8");
	textdomain("manne");
}

void i18n_plain(void)
{
	setlocale(LC_ALL, "C");
	memcpy(decimal_point, ".", 2);
	thousands_sep[0] = '\0';
}

const char *i18n_decimal_point(void)
{
	return decimal_point;
}

char *i18n_amount(char *out, size_t size, uint64_t centimes, const char *unit)
{
	char digits[24], grouped[96];
	size_t n = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)(centimes / 100));
	size_t sep = strlen(thousands_sep), at = 0;

	/* Groups of three from the left's remainder: 1234567 -> 1 234 567. */
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0 && sep > 0) {
			memcpy(grouped + at, thousands_sep, sep);
			at += sep;
		}
		grouped[at++] = digits[i];
	}
	grouped[at] = '\0';
	snprintf(out, size, "%s%s%02llu%s%s", grouped, decimal_point, (unsigned long long)(centimes % 100),
		 unit != NULL ? " " : "", unit != NULL ? unit : "");
	return out;
}
