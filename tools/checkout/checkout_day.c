/*
 * checkout_day.c: the day's takings, from the ledger itself (the till's own
 * history, newest first, back to local midnight), so they survive a restart
 * of the page and agree with the books; a refund of a payment of the day;
 * and the day as CSV for the shop's own books (French: ';' and decimal
 * commas, as spreadsheets in France read them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "checkout.h"

#define DAY_PAGES_MAX 40U   /* 10,240 entries: more than a stall takes in a day */
#define DAY_ENTRIES_MAX (DAY_PAGES_MAX * MANNE_PAGE_ENTRIES_MAX)

struct day {
	struct manne_entry *entries;  /* payments taken and refunds made today, newest first */
	size_t count;
	uint64_t paid, refunded, payments;
};

static uint64_t local_midnight_ms(void)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return (uint64_t)mktime(&tm) * 1000U;
}

/* Payments to this till (a counter: taken through it) and its refunds. */
static bool counts(const struct checkout *co, const struct manne_entry *e)
{
	bool own = e->has_signer && memcmp(e->signer, co->key.public_key, 32) == 0;
	if (strcmp(e->kind, "pay") == 0)
		return !own;
	return strcmp(e->kind, "refund") == 0 && own;
}

static enum manne_status day_read(struct checkout *co, struct day *d)
{
	uint64_t since = local_midnight_ms(), before = 0, next = 0;
	size_t got = 0;
	enum manne_status s = MANNE_OK;

	memset(d, 0, sizeof(*d));
	d->entries = calloc(MANNE_PAGE_ENTRIES_MAX, sizeof(*d->entries));
	struct manne_entry *page = calloc(MANNE_PAGE_ENTRIES_MAX, sizeof(*page));
	if (d->entries == NULL || page == NULL) {
		free(page);
		return MANNE_ERR_NO_MEMORY;
	}
	size_t room = MANNE_PAGE_ENTRIES_MAX;
	for (unsigned p = 0; p < DAY_PAGES_MAX; p++) {
		s = manne_history(co->m, co->key.public_key, before, page, MANNE_PAGE_ENTRIES_MAX, &got, &next);
		if (s != MANNE_OK)
			break;
		bool older = false;
		for (size_t i = 0; i < got && !older; i++) {
			if (page[i].time_ms < since) {
				older = true;
				break;
			}
			if (!counts(co, &page[i]))
				continue;
			if (d->count == room) {
				struct manne_entry *more = realloc(d->entries, 2 * room * sizeof(*more));
				if (more == NULL) {
					s = MANNE_ERR_NO_MEMORY;
					break;
				}
				d->entries = more;
				room *= 2;
			}
			d->entries[d->count++] = page[i];
			if (strcmp(page[i].kind, "pay") == 0) {
				d->paid += page[i].amount;
				d->payments++;
			} else {
				d->refunded += page[i].amount;
			}
		}
		if (s != MANNE_OK || older || next == 0)
			break;
		before = next;
	}
	free(page);
	return s;
}

static void hhmm(uint64_t ms, char out[6])
{
	time_t t = (time_t)(ms / 1000U);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 6, "%H:%M", &tm);
}

void checkout_day(struct checkout *co, struct evbuffer *out)
{
	struct day d;
	char text[32], at[6], txid[65], short_id[MANNE_SHORT_ID_BYTES];
	enum manne_status s = day_read(co, &d);

	json_begin(out);
	json_bool(out, "ok", s == MANNE_OK);
	if (s != MANNE_OK) {
		json_str(out, "message", "Le registre ne répond pas : les encaissements du jour s'afficheront plus tard");
	} else {
		uint64_t net = d.paid >= d.refunded ? d.paid - d.refunded : 0;
		json_u64(out, "count", d.payments);
		json_u64(out, "sum", net);
		checkout_format_amount(net, text, sizeof(text));
		json_str(out, "sum_text", text);
		json_bool(out, "can_refund", !co->counter);
		json_array_begin(out, "entries");
		for (size_t i = 0; i < d.count; i++) {
			const struct manne_entry *e = &d.entries[i];
			bool pay = strcmp(e->kind, "pay") == 0;
			json_begin(out);
			json_str(out, "kind", pay ? "paiement" : "remboursement");
			hhmm(e->time_ms, at);
			json_str(out, "time", at);
			json_str(out, "order", e->payee_reference);
			json_u64(out, "amount", e->amount);
			checkout_format_amount(e->amount, text, sizeof(text));
			json_str(out, "amount_text", text);
			json_str(out, "txid", sodium_bin2hex(txid, sizeof(txid), e->txid, 32));
			json_u64(out, "leaf", e->leaf_index);
			if (pay && e->has_signer) {
				manne_short_id(e->signer, short_id);
				json_str(out, "short_id", short_id);
			}
			json_end(out);
		}
		json_array_end(out);
	}
	json_end(out);
	free(d.entries);
}

void checkout_day_csv(struct checkout *co, struct evbuffer *out)
{
	struct day d;
	char text[32], at[6], txid[65], short_id[MANNE_SHORT_ID_BYTES] = "", date[11];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	evbuffer_add_printf(out, "date;heure;operation;commande;montant_manne;payeur;txid;feuille\r\n");
	if (day_read(co, &d) != MANNE_OK) {
		free(d.entries);
		return;
	}
	for (size_t i = d.count; i-- > 0;) { /* oldest first, as books read */
		const struct manne_entry *e = &d.entries[i];
		bool pay = strcmp(e->kind, "pay") == 0;
		hhmm(e->time_ms, at);
		checkout_format_amount(e->amount, text, sizeof(text));
		if (pay && e->has_signer)
			manne_short_id(e->signer, short_id);
		else
			short_id[0] = '\0';
		/* Order numbers are printable ASCII without ';' issues: quoted anyway. */
		evbuffer_add_printf(out, "%s;%s;%s;\"%s\";%s%s;%s;%s;%llu\r\n", date, at, pay ? "paiement" : "remboursement",
				    e->payee_reference, pay ? "" : "-", text, short_id,
				    sodium_bin2hex(txid, sizeof(txid), e->txid, 32), (unsigned long long)e->leaf_index);
	}
	free(d.entries);
}

void checkout_refund(struct checkout *co, const struct checkout_form *f, struct evbuffer *out)
{
	const char *hex = checkout_form_get(f, "txid");
	uint8_t txid[32];
	size_t got = 0;
	uint64_t amount;
	struct manne_receipt r;
	enum manne_status s;
	const char *words = NULL;

	if (co->counter)
		words = "Un comptoir de l'association ne rembourse pas : voir l'association";
	else if (hex == NULL || strlen(hex) != 64 || sodium_hex2bin(txid, 32, hex, 64, NULL, &got, NULL) != 0 ||
		 got != 32 || !checkout_parse_amount(checkout_form_get(f, "amount"), &amount))
		words = "Remboursement incorrect";
	else if ((s = manne_refund(co->m, &co->key, txid, amount, "remboursement", &r)) != MANNE_OK)
		words = s == MANNE_ERR_REFUND_EXCEEDS_PAYMENT ? "Plus que ce qui reste de ce paiement"
			: s == MANNE_ERR_INSUFFICIENT_FUNDS   ? "Solde de la boutique insuffisant"
			: s == MANNE_ERR_CONNECT || s == MANNE_ERR_TIMEOUT
				? "Le registre ne répond pas : réessayez, rien ne sera remboursé deux fois"
				: "Remboursement refusé : voir l'association";
	json_begin(out);
	json_bool(out, "ok", words == NULL);
	if (words != NULL) {
		json_str(out, "message", words);
	} else {
		char text[32];
		checkout_format_amount(amount, text, sizeof(text));
		json_str(out, "amount_text", text);
		json_u64(out, "leaf", r.leaf_index);
	}
	json_end(out);
}
