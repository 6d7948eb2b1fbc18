/*
 * checkout_pay.c: taking a payment at the page (SPEC §10, §11). A card and
 * its PIN (libmanne opens the card, signs, wipes the key), or a payment
 * request shown as a QR code that a member's own wallet pays while the page
 * waits. The order number is the payee reference: before paying, and after
 * any answer that was lost, the page looks the order up, so a retry finds the
 * first payment and never charges twice. Refusals are told in French words,
 * never as a code; of the payer only the key's short id is shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>
#include <sodium.h>

#include "checkout.h"

#define CARD_TEXT_FIELD_MAX 1024U

bool checkout_parse_amount(const char *s, uint64_t *out)
{
	uint64_t units = 0, cents = 0;
	int decimals = -1;

	if (s == NULL || *s == '\0' || strlen(s) > 16)
		return false;
	for (; *s != '\0'; s++) {
		if ((*s == ',' || *s == '.') && decimals < 0) {
			decimals = 0;
		} else if (*s >= '0' && *s <= '9' && decimals < 2) {
			if (decimals < 0)
				units = units * 10 + (uint64_t)(*s - '0');
			else
				cents = cents * 10 + (uint64_t)(*s - '0'), decimals++;
		} else {
			return false;
		}
	}
	if (decimals == 1)
		cents *= 10;
	if (units > MANNE_AMOUNT_CENTIMES_MAX / 100)
		return false;
	*out = units * 100 + cents;
	return *out >= 1 && *out <= MANNE_AMOUNT_CENTIMES_MAX;
}

void checkout_format_amount(uint64_t centimes, char *out, size_t size)
{
	snprintf(out, size, "%llu,%02llu", (unsigned long long)(centimes / 100), (unsigned long long)(centimes % 100));
}

/* What the cashier reads: words, never a code. */
static void refusal_words(enum manne_status s, uint32_t tries_left, char *out, size_t size)
{
	const char *w;
	switch (s) {
	case MANNE_ERR_WRONG_PIN:
		snprintf(out, size, "Code faux : encore %u essai%s", tries_left, tries_left > 1 ? "s" : "");
		return;
	case MANNE_ERR_CARD_LOCKED: w = "Carte bloquée : voir l'association"; break;
	case MANNE_ERR_LIMIT_EXCEEDED: w = "Plafond du jour atteint"; break;
	case MANNE_ERR_INSUFFICIENT_FUNDS: w = "Solde insuffisant"; break;
	case MANNE_ERR_TOO_MANY_TRIES: w = "Trop d'essais d'affilée : attendez quelques secondes"; break;
	case MANNE_ERR_NOT_ACTIVE: w = "Carte gelée ou remplacée : voir l'association"; break;
	case MANNE_ERR_CARD_OPEN: w = "Carte remplacée par une nouvelle : voir l'association"; break;
	case MANNE_ERR_NOT_FOUND: w = "Carte inconnue du registre : voir l'association"; break;
	case MANNE_ERR_CARD_FORMAT:
	case MANNE_ERR_CARD_VERSION:
	case MANNE_ERR_CARD_LIMITS: w = "Ce n'est pas une carte La Manne lisible : scannez-la encore"; break;
	case MANNE_ERR_PIN_FORMAT: w = "Le code a 4 à 6 chiffres"; break;
	case MANNE_ERR_REFERENCE_USED:
	case MANNE_ERR_PAYMENT_MISMATCH: w = "Ce numéro de commande a déjà servi à un autre paiement : nouvelle commande"; break;
	case MANNE_ERR_CONNECT:
	case MANNE_ERR_TIMEOUT:
	case MANNE_ERR_OVERLOADED: w = "Le registre ne répond pas : réessayez, rien ne sera payé deux fois"; break;
	case MANNE_ERR_ROLE_FORBIDDEN: w = "Ce compte ne peut pas payer ici"; break;
	case MANNE_ERR_COUNTERPARTY_NOT_ACTIVE: w = "Le compte de cette caisse est gelé : appelez l'association"; break;
	case MANNE_ERR_NOT_PERMITTED: w = "Cette caisse ne peut pas encaisser cette carte : voir l'association"; break;
	case MANNE_ERR_EXPIRED: w = "L'heure de cette machine est fausse : réglez l'horloge"; break;
	case MANNE_ERR_ARGUMENT: w = "Montant ou numéro de commande incorrect"; break;
	default: w = "Paiement refusé : voir l'association"; break;
	}
	snprintf(out, size, "%s", w);
}

static void answer_paid(struct evbuffer *out, uint64_t amount, uint64_t leaf, const uint8_t payer[32], bool already)
{
	char text[32], short_id[MANNE_SHORT_ID_BYTES];
	checkout_format_amount(amount, text, sizeof(text));
	manne_short_id(payer, short_id);
	json_begin(out);
	json_bool(out, "ok", true);
	json_bool(out, "paid", true);
	json_bool(out, "already", already);
	json_u64(out, "amount", amount);
	json_str(out, "amount_text", text);
	json_u64(out, "leaf", leaf);
	json_str(out, "short_id", short_id);
	json_end(out);
}

static void answer_refused(struct evbuffer *out, enum manne_status s, uint32_t tries_left)
{
	char words[160];
	refusal_words(s, tries_left, words, sizeof(words));
	json_begin(out);
	json_bool(out, "ok", false);
	json_bool(out, "paid", false);
	json_str(out, "message", words);
	if (s == MANNE_ERR_WRONG_PIN)
		json_u64(out, "tries_left", tries_left);
	json_str(out, "state", s == MANNE_ERR_CARD_LOCKED ? "locked" : s == MANNE_ERR_WRONG_PIN ? "wrong_pin" : "refused");
	json_end(out);
}

/* The order's payment if it landed: MANNE_OK (paid), MANNE_ERR_NOT_FOUND,
 * MANNE_ERR_PAYMENT_MISMATCH (the order number paid something else), or why not. */
static enum manne_status find_order(struct checkout *co, const char *ref, uint64_t amount, uint32_t wait_ms,
				    struct manne_entry *e)
{
	return manne_payment_by_reference(co->m, co->payee, ref, wait_ms, amount, NULL, e);
}

static bool order_ok(const char *ref)
{
	size_t n = ref != NULL ? strlen(ref) : 0;
	if (n == 0 || n > MANNE_PAYEE_REFERENCE_BYTES_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ref[i] < 0x21 || ref[i] > 0x7e)
			return false;
	return true;
}

void checkout_card(struct checkout *co, const struct checkout_form *f, struct evbuffer *out)
{
	const char *text = checkout_form_get(f, "card"), *pin = checkout_form_get(f, "pin");
	const char *ref = checkout_form_get(f, "order");
	struct manne_card card;
	struct manne_entry e;
	struct manne_receipt receipt;
	uint64_t amount;
	uint32_t tries = 0;
	enum manne_status s;

	if (!checkout_parse_amount(checkout_form_get(f, "amount"), &amount) || !order_ok(ref) || text == NULL ||
	    pin == NULL || strlen(text) > CARD_TEXT_FIELD_MAX) {
		answer_refused(out, MANNE_ERR_ARGUMENT, 0);
		return;
	}
	if ((s = manne_card_parse(text, strlen(text), &card)) != MANNE_OK) {
		answer_refused(out, s, 0);
		return;
	}
	/* Paid already (an answer lost on the way)? Then it is shown as paid. */
	s = find_order(co, ref, amount, 0, &e);
	if (s == MANNE_OK && e.has_counterparty) {
		answer_paid(out, e.amount, e.leaf_index, e.counterparty, true);
		return;
	}
	if (s != MANNE_ERR_NOT_FOUND) {
		answer_refused(out, s, 0);
		return;
	}
	s = manne_card_pay(co->m, &card, pin, co->payee, co->counter ? co->key.public_key : NULL, amount, NULL, ref,
			   &tries, &receipt);
	if (s == MANNE_OK) {
		answer_paid(out, amount, receipt.leaf_index, card.account, receipt.duplicate);
		return;
	}
	if (s == MANNE_ERR_TIMEOUT || s == MANNE_ERR_CONNECT || s == MANNE_ERR_REFERENCE_USED) {
		/* It may have landed: the order number says. */
		for (uint32_t i = 0; i < co->retries; i++) {
			enum manne_status again = find_order(co, ref, amount, 1000, &e);
			if (again == MANNE_OK && e.has_counterparty) {
				answer_paid(out, e.amount, e.leaf_index, e.counterparty, true);
				return;
			}
			if (again == MANNE_ERR_PAYMENT_MISMATCH) {
				s = again;
				break;
			}
		}
	}
	answer_refused(out, s, tries);
}

/* The manne: URI of SPEC §11 (libmanne writes it). */
static bool request_uri(const struct checkout *co, uint64_t amount, const char *ref, char *uri, size_t size)
{
	struct manne_payment_request r = {.amount = amount, .has_counter = co->counter};
	memcpy(r.payee, co->payee, 32);
	snprintf(r.reference, sizeof(r.reference), "%s", ref);
	snprintf(r.origin, sizeof(r.origin), "%s", co->origin);
	if (co->counter)
		memcpy(r.counter, co->key.public_key, 32);
	return manne_request_format(&r, uri, size) == MANNE_OK;
}

/* The QR code as an SVG image in a data: URI (the page's CSP allows images
 * from itself and data: only). */
static bool qr_svg(const char *text, struct evbuffer *svg)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL)
		return false;
	int side = qr->width + 8;
	evbuffer_add_printf(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
			    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"", side, side, side, side);
	for (int y = 0; y < qr->width; y++)
		for (int x = 0; x < qr->width; x++)
			if (qr->data[y * qr->width + x] & 1)
				evbuffer_add_printf(svg, "M%d %dh1v1h-1z", x + 4, y + 4);
	evbuffer_add_printf(svg, "\"/></svg>");
	QRcode_free(qr);
	return true;
}

void checkout_request(struct checkout *co, const struct checkout_form *f, struct evbuffer *out)
{
	const char *ref = checkout_form_get(f, "order");
	char uri[MANNE_REQUEST_URI_BYTES];
	uint64_t amount;
	struct evbuffer *svg = evbuffer_new();

	if (svg == NULL || !checkout_parse_amount(checkout_form_get(f, "amount"), &amount) || !order_ok(ref) ||
	    !request_uri(co, amount, ref, uri, sizeof(uri)) || !qr_svg(uri, svg)) {
		if (svg != NULL)
			evbuffer_free(svg);
		answer_refused(out, MANNE_ERR_ARGUMENT, 0);
		return;
	}
	size_t len = evbuffer_get_length(svg);
	size_t b64_size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64_size + 32);
	if (b64 != NULL) {
		strcpy(b64, "data:image/svg+xml;base64,");
		sodium_bin2base64(b64 + strlen(b64), b64_size, evbuffer_pullup(svg, -1), len, sodium_base64_VARIANT_ORIGINAL);
		json_begin(out);
		json_bool(out, "ok", true);
		json_str(out, "uri", uri);
		json_str(out, "qr", b64);
		json_end(out);
		free(b64);
	} else {
		answer_refused(out, MANNE_ERR_NO_MEMORY, 0);
	}
	evbuffer_free(svg);
}

void checkout_check(struct checkout *co, const struct checkout_form *f, struct evbuffer *out)
{
	const char *ref = checkout_form_get(f, "order");
	struct manne_entry e;
	uint64_t amount;
	enum manne_status s;

	if (!checkout_parse_amount(checkout_form_get(f, "amount"), &amount) || !order_ok(ref)) {
		answer_refused(out, MANNE_ERR_ARGUMENT, 0);
		return;
	}
	/* Waits a little on the ledger (it answers the moment the payment lands). */
	s = find_order(co, ref, amount, 1500, &e);
	if (s == MANNE_OK && e.has_counterparty) {
		answer_paid(out, e.amount, e.leaf_index, e.counterparty, false);
	} else if (s == MANNE_ERR_NOT_FOUND) {
		json_begin(out);
		json_bool(out, "ok", true);
		json_bool(out, "paid", false);
		json_bool(out, "waiting", true);
		json_end(out);
	} else {
		answer_refused(out, s, 0);
	}
}

void checkout_new_order(struct evbuffer *out)
{
	static const char set[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char ref[CHECKOUT_ORDER_BYTES] = "CMD-";
	/* 12 characters from 32: 60 bits, so no one pays first with a guessed number. */
	for (size_t i = 4; i < CHECKOUT_ORDER_BYTES - 1; i++)
		ref[i] = set[randombytes_uniform(sizeof(set) - 1)];
	ref[CHECKOUT_ORDER_BYTES - 1] = '\0';
	json_begin(out);
	json_bool(out, "ok", true);
	json_str(out, "order", ref);
	json_end(out);
}
