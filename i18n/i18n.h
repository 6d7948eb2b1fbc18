/*
 * i18n.h: messages for people in their language (gettext, catalogue "manne"
 * in po/), and amounts written the way that language writes them. English
 * is the default and the text of the sources; LANG=fr_FR.UTF-8 gives French.
 *
 * Only what people read goes through here: JSON, logs meant for machines,
 * file formats and protocol names never change with the locale.
 */
#ifndef MANNE_I18N_H
#define MANNE_I18N_H

#include <stddef.h>
#include <stdint.h>

#include <libintl.h>

#define _(text) gettext(text)
#define N_(text) (text)  /* marked for the catalogue, translated where it is printed */

/* Takes the locale from the environment for messages and for the way
 * numbers are written, then puts LC_NUMERIC back to "C" so that no printf or
 * strtod in the program reads or writes a decimal comma by surprise. The
 * catalogue is looked up in $MANNE_LOCALEDIR (the build tree's, for tests)
 * or the installed locale directory. */
void i18n_init(void);

/* Back to English messages and C numbers, whatever the environment says
 * (JSON output: it never changes with the locale). */
void i18n_plain(void);

/* "1234.50" in C, "1 234,50" in French (the locale's own separators), of
 * centimes; `unit` (may be NULL) follows after a space. Always terminated;
 * returns out. */
char *i18n_amount(char *out, size_t size, uint64_t centimes, const char *unit);

/* The locale's decimal separator ("." or ","), for reading amounts back. */
const char *i18n_decimal_point(void);

#endif
