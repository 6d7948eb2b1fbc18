/*
 * audit_statement.c: an account's monthly statement (SPEC §12), from the
 * verified replay: the opening balance, each entry of the month with the
 * balance after it, the closing balance. A partner reconciles its till with
 * it; a member keeps it. Written as text and as printable HTML.
 *
 * Redacted for the reader as SPEC §6 says: the holder sees who paid or was
 * paid (by short id) and what, never why the association issued (the
 * reason, the programme: whether someone is on aid is not the holder's
 * statement's business); the board and auditors see those too.
 *
 * The balance is rebuilt backwards from the account's balance now, leaf by
 * leaf down its history chain, so that a statement costs the account's own
 * leaves since the month began, not the whole log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "ledger/core/ledger_day.h"
#include "ledger/log/bytes.h"
#include "ledger/store/history.h"

#define PAGE 256U

struct line {
	uint64_t index, time_ms;
	int64_t delta;         /* centimes, to the account */
	int64_t after;         /* the balance after it */
	char what[160];
};

static const char *const months[12] = {"janvier", "février", "mars", "avril", "mai", "juin",
				       "juillet", "août", "septembre", "octobre", "novembre", "décembre"};
static const char *const reasons[5] = {"", "participation", "aide alimentaire", "achat", "subvention"};

static void signed_amount(int64_t v, char *out, size_t size)
{
	uint64_t m = v < 0 ? (uint64_t)(-v) : (uint64_t)v;
	snprintf(out, size, "%s%" PRIu64 ",%02" PRIu64, v < 0 ? "-" : "", m / 100, m % 100);
}

/* What one leaf did to the account, in words for its reader. */
static int effect(struct store_txn *txn, const uint8_t me[KEY_BYTES], uint64_t index, const struct tx *tx,
		  bool privileged, struct line *out)
{
	const Manne__TxBody *b = tx->body;
	bool signer = tx->signer != NULL && memcmp(tx->signer, me, KEY_BYTES) == 0;
	struct audit_entry_row row;
	char other[MANNE_SHORT_ID_BYTES] = "", text[128] = "";
	int64_t amount = (int64_t)tx_amount(tx);

	out->delta = 0;
	switch (tx->kind) {
	case MANNE__TX_BODY__KIND_PAY:
		if (signer) {
			manne_short_id(b->pay->payee.data, other);
			out->delta = -amount;
			snprintf(out->what, sizeof(out->what), "paiement à %s", other);
		} else if (memcmp(b->pay->payee.data, me, KEY_BYTES) == 0) {
			manne_short_id(tx->signer, other);
			out->delta = amount;
			snprintf(out->what, sizeof(out->what), "paiement reçu de %s", other);
		} else {
			/* A counter: taken for the association, not its own. */
			manne_short_id(tx->signer, other);
			snprintf(out->what, sizeof(out->what), "encaissé pour l'association de %s : %" PRId64 ",%02" PRId64,
				 other, amount / 100, amount % 100);
		}
		if (b->pay->payee_reference[0] != '\0') {
			snprintf(text, sizeof(text), " (commande %.16s)", b->pay->payee_reference);
			strncat(out->what, text, sizeof(out->what) - strlen(out->what) - 1);
		}
		break;
	case MANNE__TX_BODY__KIND_REFUND:
		out->delta = signer ? -amount : amount;
		snprintf(out->what, sizeof(out->what), signer ? "remboursement versé" : "remboursement reçu");
		break;
	case MANNE__TX_BODY__KIND_ISSUE:
		out->delta = amount;
		if (privileged)
			snprintf(out->what, sizeof(out->what), "émission (%s, %.64s)",
				 reasons[b->issue->reason <= 4 ? b->issue->reason : 0], b->issue->programme);
		else
			snprintf(out->what, sizeof(out->what), "crédit de l'association");
		break;
	case MANNE__TX_BODY__KIND_REVERSE_ISSUE:
	case MANNE__TX_BODY__KIND_RETIRE_DORMANT:
		if (audit_tables_entry_get(txn, index, &row) == STORE_OK)
			out->delta = -(int64_t)row.amount;
		snprintf(out->what, sizeof(out->what), tx->kind == MANNE__TX_BODY__KIND_RETIRE_DORMANT
							       ? "solde retiré (compte gelé depuis un an)"
							       : "reprise d'une émission par l'association");
		break;
	case MANNE__TX_BODY__KIND_REDEEM:
		out->delta = -amount;
		snprintf(out->what, sizeof(out->what), "reconversion en euros demandée");
		break;
	case MANNE__TX_BODY__KIND_SETTLE_REDEMPTION:
		if (audit_tables_entry_get(txn, index, &row) == STORE_OK && row.movement == MOVE_SETTLE_REJECTED) {
			out->delta = (int64_t)row.amount;
			snprintf(out->what, sizeof(out->what), "reconversion refusée : crédits rendus");
		} else {
			snprintf(out->what, sizeof(out->what), "reconversion payée en euros");
		}
		break;
	case MANNE__TX_BODY__KIND_RECOVER_ACCOUNT:
		if (audit_tables_entry_get(txn, index, &row) != STORE_OK)
			return -1;
		if (memcmp(b->recover_account->old_account.data, me, KEY_BYTES) == 0) {
			manne_short_id(b->recover_account->new_account.data, other);
			out->delta = -(int64_t)row.amount;
			snprintf(out->what, sizeof(out->what), "solde transféré à la nouvelle carte %s", other);
		} else {
			manne_short_id(b->recover_account->old_account.data, other);
			out->delta = (int64_t)row.amount;
			snprintf(out->what, sizeof(out->what), "solde repris de l'ancienne carte %s", other);
		}
		break;
	case MANNE__TX_BODY__KIND_OPEN_ACCOUNT:
		snprintf(out->what, sizeof(out->what), "ouverture du compte");
		break;
	case MANNE__TX_BODY__KIND_FREEZE:
		snprintf(out->what, sizeof(out->what), "compte gelé");
		break;
	case MANNE__TX_BODY__KIND_SET_ACCOUNT:
		snprintf(out->what, sizeof(out->what), "compte modifié par l'association");
		break;
	case MANNE__TX_BODY__KIND_SET_CARD:
		snprintf(out->what, sizeof(out->what), "carte enregistrée ou débloquée");
		break;
	default:
		snprintf(out->what, sizeof(out->what), "%s", tx_kind_name(tx->kind));
		break;
	}
	return 0;
}

static uint8_t decode_arena[TX_ARENA_BYTES(SIGNED_TX_BYTES_MAX)];

/* The month's lines (oldest first) and the balances around them. */
static int collect(struct store_txn *txn, const uint8_t me[KEY_BYTES], int64_t first_day, int64_t next_day,
		   const struct day_rules *rules, bool privileged, struct line **lines, size_t *count,
		   int64_t *opening, int64_t *closing)
{
	struct account a;
	uint64_t indexes[PAGE], before = 0, next = 0;
	size_t got = 0, room = 0;
	int64_t running;

	*lines = NULL;
	*count = 0;
	if (store_account_get(txn, me, &a) != STORE_OK)
		return -1;
	running = (int64_t)a.balance;
	*closing = running;
	for (;;) {
		if (history_page(txn, &a, before, indexes, PAGE, &got, &next) != STORE_OK)
			return -1;
		for (size_t i = 0; i < got; i++) {
			const uint8_t *leaf;
			size_t len;
			struct tx tx;
			struct arena arena;
			struct tx_identity any = {0};
			struct line l = {.index = indexes[i]};

			if (store_leaf_get(txn, indexes[i], &leaf, &len) != STORE_OK || len < LEAF_HEADER_BYTES)
				return -1;
			arena_init(&arena, decode_arena, sizeof(decode_arena));
			enum manne_status s = tx_decode(leaf + LEAF_HEADER_BYTES, len - LEAF_HEADER_BYTES, &any, &arena, &tx);
			if (s != MANNE_OK && s != MANNE_ERR_WRONG_LEDGER)
				return -1;
			l.time_ms = load_be64(leaf + 8);
			if (effect(txn, me, indexes[i], &tx, privileged, &l) != 0)
				return -1;
			int64_t day = ledger_day(rules, (int64_t)l.time_ms);
			if (day < first_day) {
				*opening = running;
				goto done;
			}
			l.after = running;
			running -= l.delta;
			if (day >= next_day) {
				*closing = running;
				continue;
			}
			if (*count == room) {
				room = room == 0 ? 64 : 2 * room;
				struct line *more = realloc(*lines, room * sizeof(*more));
				if (more == NULL)
					return -1;
				*lines = more;
			}
			(*lines)[(*count)++] = l;
		}
		if (next == 0)
			break;
		before = next;
	}
	*opening = running;
done:
	/* Newest first as walked: the statement reads oldest first. */
	for (size_t i = 0; i < *count / 2; i++) {
		struct line t = (*lines)[i];
		(*lines)[i] = (*lines)[*count - 1 - i];
		(*lines)[*count - 1 - i] = t;
	}
	return 0;
}

static void html_escape(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
}

int audit_statement_write(struct audit *a, const uint8_t account[KEY_BYTES], int32_t year, uint32_t month,
			  bool privileged, const char *base)
{
	struct day_rules rules = state_day_rules(&a->ledger->state);
	int64_t first = days_from_civil((struct civil_date){year, month, 1});
	int64_t next = month == 12 ? days_from_civil((struct civil_date){year + 1, 1, 1})
				   : days_from_civil((struct civil_date){year, month + 1, 1});
	struct store_txn *txn;
	struct line *lines = NULL;
	size_t count = 0;
	int64_t opening = 0, closing = 0;
	char path[1024], id[MANNE_SHORT_ID_BYTES], v[32], w[32];
	FILE *t = NULL, *h = NULL;
	int rc = -1;

	if (store_begin(a->ledger->store, false, &txn) != STORE_OK)
		return -1;
	if (collect(txn, account, first, next, &rules, privileged, &lines, &count, &opening, &closing) != 0)
		goto done;
	manne_short_id(account, id);
	snprintf(path, sizeof(path), "%s.txt", base);
	t = fopen(path, "wx");
	snprintf(path, sizeof(path), "%s.html", base);
	h = t != NULL ? fopen(path, "wx") : NULL;
	if (t == NULL || h == NULL)
		goto done;
	signed_amount(opening, v, sizeof(v));
	fprintf(t, "Relevé du compte %s — %s %d\nRegistre %s, journal vérifié jusqu'à la feuille %" PRIu64 "\n\n",
		id, months[month - 1], (int)year, a->ledger->state.origin, a->ledger->state.tree_size);
	fprintf(t, "Solde au 1er %s %d : %s Manne\n\n", months[month - 1], (int)year, v);
	fprintf(h, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>Relevé %s</title>\n"
		   "<style>@page { size: A4; margin: 15mm; } body { font-family: sans-serif; font-size: 11pt; } "
		   "table { border-collapse: collapse; width: 100%%; } td, th { border-bottom: 1px solid #ccc; "
		   "padding: 2pt 4pt; text-align: left; } .n { text-align: right; }</style>\n</head>\n<body>\n"
		   "<h1>Relevé du compte %s — %s %d</h1>\n<p>Registre <code>",
		id, id, months[month - 1], (int)year);
	html_escape(h, a->ledger->state.origin);
	fprintf(h, "</code>, journal vérifié jusqu'à la feuille %" PRIu64 ".</p>\n"
		   "<p>Solde au 1er %s %d : <strong data-figure=\"opening\" data-value=\"%" PRId64 "\">%s&#160;Manne</strong></p>\n"
		   "<table>\n<tr><th>date</th><th>opération</th><th class=\"n\">Manne</th><th class=\"n\">solde</th>"
		   "<th>feuille</th></tr>\n",
		a->ledger->state.tree_size, months[month - 1], (int)year, opening, v);
	for (size_t i = 0; i < count; i++) {
		struct civil_date d = civil_from_days(ledger_day(&rules, (int64_t)lines[i].time_ms));
		signed_amount(lines[i].delta, v, sizeof(v));
		signed_amount(lines[i].after, w, sizeof(w));
		fprintf(t, "%02u/%02u/%d  %-60s %12s %12s  feuille %" PRIu64 "\n", d.day, d.month, (int)d.year,
			lines[i].what, v, w, lines[i].index);
		fprintf(h, "<tr><td>%02u/%02u/%d</td><td>", d.day, d.month, (int)d.year);
		html_escape(h, lines[i].what);
		fprintf(h, "</td><td class=\"n\" data-value=\"%" PRId64 "\">%s</td><td class=\"n\">%s</td><td>%" PRIu64
			   "</td></tr>\n",
			lines[i].delta, v, w, lines[i].index);
	}
	signed_amount(closing, v, sizeof(v));
	fprintf(t, "\nSolde à la fin du mois : %s Manne (%zu opérations)\n", v, count);
	fprintf(h, "</table>\n<p>Solde à la fin du mois : <strong data-figure=\"closing\" data-value=\"%" PRId64
		   "\">%s&#160;Manne</strong> (%zu opérations).</p>\n</body>\n</html>\n",
		closing, v, count);
	rc = ferror(t) || ferror(h) ? -1 : 0;
done:
	if (t != NULL && fclose(t) != 0)
		rc = -1;
	if (h != NULL && fclose(h) != 0)
		rc = -1;
	free(lines);
	store_abort(txn);
	return rc;
}
