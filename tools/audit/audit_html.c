/*
 * audit_html.c: the monthly report for the board and funders (SPEC §12,
 * docs/treasurer.md): one standalone HTML file, in French, charts drawn
 * from the data as inline SVG, no script, printable on A4. It ends with the
 * signed checkpoint the replay verified and its verifier key, so that a
 * reader can check every figure. Each figure also carries its value in
 * centimes (data-figure, data-value) for tools and tests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "ledger/core/ledger_day.h"

#define MONTHS_SHOWN 12

static const char *const month_names[12] = {"janvier", "février", "mars", "avril", "mai", "juin",
					    "juillet", "août", "septembre", "octobre", "novembre", "décembre"};
static const char *const month_short[12] = {"janv.", "févr.", "mars", "avr.", "mai", "juin",
					    "juil.", "août", "sept.", "oct.", "nov.", "déc."};
static const char *const reasons[5] = {"autre", "participation", "aide alimentaire", "achat", "subvention"};

/* "12 345,67" with a narrow no-break space between thousands. */
static void fr_amount(uint64_t centimes, char *out, size_t size)
{
	char digits[32];
	size_t n = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, centimes / 100), o = 0;
	for (size_t i = 0; i < n && o + 8 < size; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			o += (size_t)snprintf(out + o, size - o, "&#8239;");
		out[o++] = digits[i];
	}
	snprintf(out + o, size - o, ",%02" PRIu64, centimes % 100);
}

static void figure(FILE *f, const char *name, uint64_t centimes)
{
	char text[64];
	fr_amount(centimes, text, sizeof(text));
	fprintf(f, "<span data-figure=\"%s\" data-value=\"%" PRIu64 "\">%s&#160;Manne</span>", name, centimes, text);
}

static void escape(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len && s[i] != '\0'; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f);
		}
	}
}

/* ---- what the report reads ---- */

struct month_totals {
	int32_t year;
	uint32_t month;
	struct audit_month_row row;
	uint64_t outstanding, reserve;  /* at the month's end */
};

struct html {
	FILE *f;
	int32_t year;
	uint32_t month;
	uint32_t index;                 /* year * 12 + month - 1 of the report's month */
	struct month_totals shown[MONTHS_SHOWN];
	/* Running sums over every month up to the one being read. */
	uint64_t issued, retired, reconverted, funded, out_of_fund;
	uint64_t by_reason[5];
	struct store_txn *txn;
};

static int month_fn(void *ctx, int32_t year, uint32_t month, const struct audit_month_row *r)
{
	struct html *h = ctx;
	uint32_t idx = (uint32_t)year * 12U + month - 1U;
	uint64_t released = 0;

	if (idx > h->index)
		return 1;
	for (unsigned i = 0; i < AUDIT_RELEASE_REASONS; i++)
		released += r->released[i];
	h->issued += r->issued;
	h->retired += r->retired_paid + r->retired_reversed + r->retired_dormant;
	h->reconverted += r->reconverted;
	h->funded += r->funded;
	h->out_of_fund += r->paid_out + released;
	for (uint32_t k = 0; k < MONTHS_SHOWN; k++) {
		if (h->index - (MONTHS_SHOWN - 1 - k) == idx) {
			h->shown[k].row = *r;
		}
	}
	/* Months with no row keep the totals of the month before (filled below). */
	for (uint32_t k = 0; k < MONTHS_SHOWN; k++) {
		uint32_t at = h->index - (MONTHS_SHOWN - 1 - k);
		if (at >= idx) {
			h->shown[k].outstanding = h->issued - h->retired - h->reconverted;
			h->shown[k].reserve = h->funded - h->out_of_fund;
		}
	}
	return 0;
}

static int issue_fn(void *ctx, int32_t year, uint32_t month, unsigned reason, const char *programme,
		    const struct audit_issue_row *row)
{
	struct html *h = ctx;
	char a[64];
	if ((uint32_t)year != (uint32_t)h->year || month != h->month)
		return 0;
	h->by_reason[reason <= 4 ? reason : 0] += row->amount;
	fr_amount(row->amount, a, sizeof(a));
	fprintf(h->f, "<tr><td>%s</td><td>", reasons[reason <= 4 ? reason : 0]);
	escape(h->f, programme, PROGRAMME_BYTES_MAX);
	fprintf(h->f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%s</td></tr>\n", row->count, a);
	return 0;
}

static int counter_fn(void *ctx, const uint8_t key[KEY_BYTES], const struct audit_counter_row *row)
{
	struct html *h = ctx;
	char a[64], id[MANNE_SHORT_ID_BYTES];
	fr_amount(row->taken, a, sizeof(a));
	manne_short_id(key, id);
	fprintf(h->f, "<tr><td>%s</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%s</td></tr>\n", id,
		row->count, a);
	return 0;
}

static int partner_fn(void *ctx, const uint8_t key[KEY_BYTES], const struct audit_partner_row *row)
{
	struct html *h = ctx;
	char r[64], c[64], fee[64], id[MANNE_SHORT_ID_BYTES];
	fr_amount(row->redeemed, r, sizeof(r));
	fr_amount(row->reconverted, c, sizeof(c));
	fr_amount(row->fees, fee, sizeof(fee));
	manne_short_id(key, id);
	fprintf(h->f, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
		id, r, c, fee);
	return 0;
}

/* ---- the charts, drawn from the data ---- */

static void svg_open(FILE *f, const char *title, int width, int height)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" "
		   "aria-label=\"%s\" font-family=\"sans-serif\" font-size=\"11\">\n", width, height, title);
}

/* Coverage (reserve / outstanding) at each month's end against 100 %. */
static void chart_coverage(struct html *h)
{
	const int w = 640, hgt = 220, left = 40, bottom = 190, top = 20;
	uint64_t max_bp = 20000;
	uint64_t bp[MONTHS_SHOWN];
	for (int k = 0; k < MONTHS_SHOWN; k++) {
		bp[k] = h->shown[k].outstanding > 0
				? (uint64_t)((unsigned __int128)h->shown[k].reserve * 10000U / h->shown[k].outstanding)
				: 0;
		if (bp[k] > max_bp)
			max_bp = bp[k] - bp[k] % 5000 + 5000;
	}
	svg_open(h->f, "Couverture des Manne en circulation par le fonds de garantie", w, hgt);
	int y100 = bottom - (int)((uint64_t)(bottom - top) * 10000U / max_bp);
	fprintf(h->f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#b3261e\" stroke-dasharray=\"6 4\"/>"
		      "<text x=\"2\" y=\"%d\">100&#160;%%</text>\n", left, y100, w - 10, y100, y100 + 4);
	/* The line starts with the first month that had Manne in circulation. */
	fprintf(h->f, "<polyline fill=\"none\" stroke=\"#2f6b3a\" stroke-width=\"3\" points=\"");
	for (int k = 0; k < MONTHS_SHOWN; k++)
		if (h->shown[k].outstanding > 0)
			fprintf(h->f, "%d,%d ", left + 20 + k * 50, bottom - (int)((uint64_t)(bottom - top) * bp[k] / max_bp));
	fputs("\"/>\n", h->f);
	for (int k = 0; k < MONTHS_SHOWN; k++) {
		uint32_t at = h->index - (uint32_t)(MONTHS_SHOWN - 1 - k);
		fprintf(h->f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", left + 20 + k * 50, bottom + 16,
			month_short[at % 12]);
		if (h->shown[k].outstanding > 0) {
			int y = bottom - (int)((uint64_t)(bottom - top) * bp[k] / max_bp);
			fprintf(h->f, "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#2f6b3a\"/>"
				      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"9\">%" PRIu64 "&#160;%%</text>",
				left + 20 + k * 50, y, left + 20 + k * 50, y - 8, bp[k] / 100);
		}
	}
	fputs("\n</svg>\n", h->f);
}

/* Horizontal bars, one per value, scaled to the largest. */
static void chart_bars(FILE *f, const char *title, const char *const *labels, const uint64_t *values, int n)
{
	const int w = 640, row = 28;
	uint64_t max = 1;
	for (int i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	svg_open(f, title, w, row * n + 10);
	for (int i = 0; i < n; i++) {
		char a[64];
		int len = (int)((uint64_t)(w - 300) * values[i] / max);
		fr_amount(values[i], a, sizeof(a));
		fprintf(f, "<text x=\"0\" y=\"%d\">%s</text><rect x=\"140\" y=\"%d\" width=\"%d\" height=\"18\" "
			   "fill=\"#2f6b3a\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
			i * row + 18, labels[i], i * row + 5, len, 146 + len, i * row + 18, a);
	}
	fputs("</svg>\n", f);
}

/* Payments per week of the month (ledger days from Monday). */
static int chart_weeks(struct html *h)
{
	int64_t first = days_from_civil((struct civil_date){h->year, h->month, 1});
	int64_t next = h->month == 12 ? days_from_civil((struct civil_date){h->year + 1, 1, 1})
				      : days_from_civil((struct civil_date){h->year, h->month + 1, 1});
	const char *labels[6];
	char names[6][32];
	uint64_t values[6];
	int n = 0;
	for (int64_t from = first; from < next && n < 6; n++) {
		int64_t weekday = ((from % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday: Monday is 0 */
		int64_t to = from + 7 - weekday;
		struct audit_day_row sum;
		if (to > next)
			to = next;
		if (audit_tables_days(h->txn, from, to, &sum) != 0)
			return -1;
		struct civil_date d = civil_from_days(from);
		snprintf(names[n], sizeof(names[n]), "semaine du %u", d.day);
		labels[n] = names[n];
		values[n] = sum.pay;
		from = to;
	}
	chart_bars(h->f, "Paiements par semaine", labels, values, n);
	return 0;
}

int audit_html_write(struct audit *a, const char *path, int32_t year, uint32_t month)
{
	struct html h = {.year = year, .month = month, .index = (uint32_t)year * 12U + month - 1U};
	struct store_txn *txn;
	int rc = -1;

	if (store_begin(a->ledger->store, false, &txn) != STORE_OK)
		return -1;
	h.txn = txn;
	h.f = fopen(path, "wx");
	if (h.f == NULL || audit_tables_each_month(txn, month_fn, &h) != 0)
		goto done;
	const struct month_totals *end = &h.shown[MONTHS_SHOWN - 1];
	FILE *f = h.f;
	uint64_t bp = end->outstanding > 0 ? (uint64_t)((unsigned __int128)end->reserve * 10000U / end->outstanding) : 0;
	int64_t after = month == 12 ? days_from_civil((struct civil_date){year + 1, 1, 1})
				    : days_from_civil((struct civil_date){year, month + 1, 1});
	struct civil_date window = civil_from_days(after);
	struct audit_day_row twelve;
	if (audit_tables_days(txn, days_from_civil((struct civil_date){window.year - 1, window.month, window.day}), after,
			      &twelve) != 0)
		goto done;

	fprintf(f, "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\"/>\n"
		   "<title>La Manne : rapport de %s %d</title>\n<style>\n"
		   "@page { size: A4; margin: 15mm; }\n"
		   "body { font-family: sans-serif; font-size: 11pt; color: #1b1b1b; max-width: 180mm; margin: auto; }\n"
		   "h1 { color: #2f6b3a; font-size: 18pt; } h2 { color: #2f6b3a; font-size: 13pt; margin-top: 18pt; }\n"
		   "table { border-collapse: collapse; width: 100%%; } td, th { border-bottom: 1px solid #ccc; padding: 2pt 4pt; text-align: left; }\n"
		   ".n { text-align: right; } pre { font-size: 8pt; white-space: pre-wrap; word-break: break-all; }\n"
		   "section { break-inside: avoid; }\n</style>\n</head>\n<body>\n",
		month_names[month - 1], (int)year);
	fprintf(f, "<h1>La Manne : rapport de %s %d</h1>\n<p>Registre <code>", month_names[month - 1], (int)year);
	escape(f, a->ledger->state.origin, ORIGIN_BYTES_MAX);
	struct civil_date last = civil_from_days(after - 1);
	fprintf(f, "</code>. Chiffres arrêtés au %u %s %d (jour du registre), tirés du journal vérifié : "
		   "le point de contrôle signé figure à la fin.</p>\n",
		last.day, month_names[last.month - 1], (int)last.year);

	fprintf(f, "<section>\n<h2>Couverture</h2>\n<p>Fonds de garantie ");
	figure(f, "reserve", end->reserve);
	fputs(" pour ", f);
	figure(f, "outstanding", end->outstanding);
	fprintf(f, " en circulation : couverture <strong data-figure=\"coverage_bp\" data-value=\"%" PRIu64
		   "\">%" PRIu64 ",%02" PRIu64 "&#160;%%</strong>.</p>\n",
		bp, bp / 100, bp % 100);
	chart_coverage(&h);
	fputs("</section>\n", f);

	fputs("<section>\n<h2>Émissions du mois</h2>\n<table>\n<tr><th>motif</th><th>programme</th><th class=\"n\">"
	      "émissions</th><th class=\"n\">Manne</th></tr>\n",
	      f);
	if (audit_tables_each_issue(txn, issue_fn, &h) != 0)
		goto done;
	fputs("</table>\n", f);
	const char *reason_labels[4] = {"participation", "aide alimentaire", "achat", "subvention"};
	uint64_t reason_values[4] = {h.by_reason[1], h.by_reason[2], h.by_reason[3], h.by_reason[4]};
	fputs("<p>Gagnées en participant et données en aide :</p>\n", f);
	chart_bars(f, "Émissions par motif", reason_labels, reason_values, 4);
	fputs("<p>Total émis dans le mois : ", f);
	figure(f, "issued_month", end->row.issued);
	fputs(".</p>\n</section>\n", f);

	uint64_t partners = 0;
	if (audit_tables_partners_paid(txn, year, month, &partners) != 0)
		goto done;
	fputs("<section>\n<h2>Circulation</h2>\n<p>Payé dans le mois : ", f);
	figure(f, "paid_month", end->row.pay);
	fprintf(f, " en %" PRIu64 " paiements, à <span data-figure=\"partners_paid\" data-value=\"%" PRIu64
		   "\">%" PRIu64 "</span> commerces et producteurs ; remboursé : ",
		end->row.pay_count, partners, partners);
	figure(f, "refunded_month", end->row.refund);
	fputs(".</p>\n", f);
	if (chart_weeks(&h) != 0)
		goto done;
	fputs("<p>Encaissé par les comptoirs de l'association (depuis l'origine) :</p>\n<table>\n<tr><th>comptoir</th>"
	      "<th class=\"n\">paiements</th><th class=\"n\">Manne</th></tr>\n",
	      f);
	if (audit_tables_each_counter(txn, counter_fn, &h) != 0)
		goto done;
	fputs("</table>\n</section>\n", f);

	fputs("<section>\n<h2>Reconversions et frais</h2>\n<p>Dans le mois : reconverti ", f);
	figure(f, "reconverted_month", end->row.reconverted);
	fputs(", frais ", f);
	figure(f, "fees_month", end->row.fees);
	fputs(".</p>\n<table>\n<tr><th>partenaire (depuis l'origine)</th><th class=\"n\">demandé</th><th class=\"n\">"
	      "reconverti</th><th class=\"n\">frais</th></tr>\n",
	      f);
	if (audit_tables_each_partner(txn, partner_fn, &h) != 0)
		goto done;
	fputs("</table>\n</section>\n", f);

	fputs("<section>\n<h2>Seuils réglementaires</h2>\n<p>Paiements des douze mois : ", f);
	figure(f, "payments_12_months", twelve.pay + twelve.refund);
	fputs(" ; en circulation : ", f);
	figure(f, "outstanding", end->outstanding);
	fputs(" ; seuil : 1&#8239;000&#8239;000,00&#160;Manne chacun.</p>\n", f);
	const char *reg_labels[3] = {"paiements 12 mois", "en circulation", "seuil"};
	uint64_t reg_values[3] = {twelve.pay + twelve.refund, end->outstanding, AUDIT_THRESHOLD_CENTIMES};
	chart_bars(f, "Seuils réglementaires", reg_labels, reg_values, 3);
	fputs("</section>\n", f);

	fprintf(f, "<section>\n<h2>Point de contrôle</h2>\n<p>Ces chiffres viennent du journal jusqu'à la feuille %" PRIu64
		   ", couvert par ce point de contrôle signé ; la clé de vérification publiée par l'association est "
		   "<code>",
		a->ledger->state.tree_size);
	escape(f, a->pinned_vkey, sizeof(a->pinned_vkey));
	fputs("</code>. <code>manne-audit</code> le vérifie.</p>\n<pre>", f);
	escape(f, a->target.note, a->target.note_len);
	fputs("</pre>\n</section>\n</body>\n</html>\n", f);
	rc = ferror(f) ? -1 : 0;
done:
	if (h.f != NULL && fclose(h.f) != 0)
		rc = -1;
	store_abort(txn);
	return rc;
}
