/*
 * audit_report.c: the report of SPEC §7, in words for people or as one JSON
 * object for machines (--json), and the first discrepancy on stderr either
 * way. Everything reported comes from the replay store, that is from the
 * log as this auditor replayed it, never from the server's own figures.
 *
 * The tables are walked with LMDB cursors and printed as they are read:
 * the report of a ledger with many months, partners and programmes needs no
 * more memory than one of a young one. Amounts are integers throughout:
 * centimes in JSON, Manne with two decimals for people; coverage is in basis
 * points (reserve x 10000 / outstanding, rounded down), never a float.
 *
 * The report for people is in the reader's language (gettext, po/), its
 * amounts written that language's way (1 234,50 in French); the JSON keeps
 * the names and numbers of the format whatever the locale.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"

static const char *const kind_names[AUDIT_KINDS] = {
	"genesis", "open_account", "set_account", "freeze", "recover_account", "fund_reserve",
	"release_reserve", "issue", "reverse_issue", "retire_dormant", "pay", "refund",
	"redeem", "settle_redemption", "set_ledger", "set_board", "set_checkpoint_key", "void", "set_card",
};

/* The names of the format; the report for people gives them translated. */
static const char *const issue_reasons[AUDIT_ISSUE_REASONS + 1] = {N_("unspecified"), N_("participation"),
								    N_("allowance"), N_("purchase"), N_("grant")};
static const char *const release_reasons[AUDIT_RELEASE_REASONS] = {N_("surplus"), N_("fees"), N_("bank_charges"),
								    N_("correction")};
/* The kinds in words, in kind_names' order (the same words as the CLI's). */
static const char *const kind_words[AUDIT_KINDS] = {
	N_("genesis"), N_("account opened"), N_("account changed"), N_("account frozen"), N_("account recovered"),
	N_("euros into the fund"), N_("euros out of the fund"), N_("credits issued"), N_("issue reversed"),
	N_("dormant credits retired"), N_("payment"), N_("refund"), N_("reconversion asked"),
	N_("reconversion settled"), N_("fee changed"), N_("board renewed"), N_("checkpoint key changed"),
	N_("prepared transaction cancelled"), N_("card registered or unlocked"),
};

/* ---- JSON ---- */

static void json_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);  /* UTF-8 passes as it is: the ledger allows only valid UTF-8 */
	}
	putchar('"');
}

/* "key": with a comma before every member but the first of its object. */
static bool first_member = true;

static void key(const char *k)
{
	if (!first_member)
		putchar(',');
	first_member = false;
	json_string(k);
	putchar(':');
}

static void open_obj(const char *k)
{
	if (k != NULL)
		key(k);
	else if (!first_member)
		putchar(',');
	putchar('{');
	first_member = true;
}

static void close_obj(void)
{
	putchar('}');
	first_member = false;
}

static void open_arr(const char *k)
{
	key(k);
	putchar('[');
	first_member = true;
}

static void close_arr(void)
{
	putchar(']');
	first_member = false;
}

static void j_u64(const char *k, uint64_t v)
{
	key(k);
	printf("%" PRIu64, v);
}

static void j_str(const char *k, const char *v)
{
	key(k);
	if (v == NULL)
		fputs("null", stdout);
	else
		json_string(v);
}

static void j_bool(const char *k, bool v)
{
	key(k);
	fputs(v ? "true" : "false", stdout);
}

static void j_null(const char *k)
{
	key(k);
	fputs("null", stdout);
}

static void j_hex(const char *k, const uint8_t v[32])
{
	char hex[65];
	audit_hex32(v, hex);
	j_str(k, hex);
}

/* ---- For people ---- */

static void amount(char *out, size_t size, uint64_t centimes)
{
	i18n_amount(out, size, centimes, NULL);
}

/* Columns a UTF-8 text takes on a terminal: one a character (the report's
 * words and amounts have no wide ones). printf's widths count bytes. */
static int columns(const char *s)
{
	int n = 0;
	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* s padded with spaces to `width` columns, on the left (right-aligned) or on the right. */
static void right(const char *s, int width)
{
	int pad = width - columns(s);
	printf("%*s%s", pad > 0 ? pad : 0, "", s);
}

static void left(const char *s, int width)
{
	int pad = width - columns(s);
	printf("%s%*s", s, pad > 0 ? pad : 0, "");
}

/* The label column of a block: at least `width`, or its longest label in
 * the reader's language, so that the figures line up in any language. */
static int label_width(const char *const *labels, int width)
{
	for (; *labels != NULL; labels++)
		if (columns(_(*labels)) > width)
			width = columns(_(*labels));
	return width;
}

/* "  label  amount": the label a msgid. */
/* unit: "Manne" for credits, "EUR" for the fund's euros. */
static void line_amount(const char *label, int width, uint64_t centimes, const char *unit)
{
	char a[64];
	amount(a, sizeof(a), centimes);
	printf("  ");
	left(_(label), width);
	putchar(' ');
	right(a, 16);
	printf(" %s\n", unit);
}

static void date_text(int64_t day, char out[16])
{
	struct civil_date d = civil_from_days(day);
	snprintf(out, 16, "%04d-%02u-%02u", (int)d.year, d.month, d.day);
}

/* ---- The tables ---- */

struct walk {
	bool json;
};

static int issue_row(void *ctx, int32_t year, uint32_t month, unsigned reason, const char *programme,
		     const struct audit_issue_row *row)
{
	const struct walk *w = ctx;
	const char *why = reason <= AUDIT_ISSUE_REASONS ? issue_reasons[reason] : N_("unknown");
	char m[16], a[64];

	snprintf(m, sizeof(m), "%04d-%02u", (int)year, month);
	if (w->json) {
		open_obj(NULL);
		j_str("month", m);
		j_str("reason", why);
		j_str("programme", programme);
		j_u64("amount", row->amount);
		j_u64("count", row->count);
		close_obj();
	} else {
		amount(a, sizeof(a), row->amount);
		printf("  %s  ", m);
		left(_(why), 13);
		putchar(' ');
		left(programme[0] != '\0' ? programme : "-", 34);
		putchar(' ');
		right(a, 14);
		printf(ngettext("  (%llu issue)\n", "  (%llu issues)\n", row->count), (unsigned long long)row->count);
	}
	return 0;
}

static int counter_row(void *ctx, const uint8_t k[KEY_BYTES], const struct audit_counter_row *row)
{
	const struct walk *w = ctx;
	char hex[65], t[64];

	audit_hex32(k, hex);
	if (w->json) {
		open_obj(NULL);
		j_str("counter", hex);
		j_u64("payments", row->count);
		j_u64("taken", row->taken);
		close_obj();
	} else {
		amount(t, sizeof(t), row->taken);
		printf("  %s  ", hex);
		right(t, 14);
		printf(ngettext("  (%llu payment)\n", "  (%llu payments)\n", row->count), (unsigned long long)row->count);
	}
	return 0;
}

static int partner_row(void *ctx, const uint8_t k[KEY_BYTES], const struct audit_partner_row *row)
{
	const struct walk *w = ctx;
	uint64_t settled = row->reconverted + row->rejected;
	uint64_t pending = row->redeemed >= settled ? row->redeemed - settled : 0;
	uint64_t paid = row->reconverted >= row->fees ? row->reconverted - row->fees : 0;
	char hex[65], r[64], c[64], f[64], p[64], j[64], q[64];

	audit_hex32(k, hex);
	if (w->json) {
		open_obj(NULL);
		j_str("partner", hex);
		j_u64("redeemed", row->redeemed);
		j_u64("requests", row->redeem_count);
		j_u64("reconverted", row->reconverted);
		j_u64("fees", row->fees);
		j_u64("paid_out", paid);
		j_u64("rejected", row->rejected);
		j_u64("pending", pending);
		close_obj();
	} else {
		amount(r, sizeof(r), row->redeemed);
		amount(c, sizeof(c), row->reconverted);
		amount(f, sizeof(f), row->fees);
		amount(p, sizeof(p), paid);
		amount(j, sizeof(j), row->rejected);
		amount(q, sizeof(q), pending);
		printf(_("  %s\n    asked %s (%llu), reconverted %s, fees %s, paid out %s, rejected %s, pending %s\n"),
		       hex, r, (unsigned long long)row->redeem_count, c, f, p, j, q);
	}
	return 0;
}

static int month_row(void *ctx, int32_t year, uint32_t month, const struct audit_month_row *row)
{
	const struct walk *w = ctx;
	char m[16], a[8][64];
	uint64_t released = 0;

	for (unsigned i = 0; i < AUDIT_RELEASE_REASONS; i++)
		released += row->released[i];
	snprintf(m, sizeof(m), "%04d-%02u", (int)year, month);
	if (w->json) {
		open_obj(NULL);
		j_str("month", m);
		j_u64("issued", row->issued);
		j_u64("issues", row->issue_count);
		j_u64("retired_paid", row->retired_paid);
		j_u64("retired_reversed", row->retired_reversed);
		j_u64("retired_dormant", row->retired_dormant);
		j_u64("redeemed", row->redeemed);
		j_u64("reconverted", row->reconverted);
		j_u64("fees", row->fees);
		j_u64("paid_out", row->paid_out);
		j_u64("rejected", row->rejected);
		j_u64("funded", row->funded);
		open_obj("released");
		for (unsigned i = 0; i < AUDIT_RELEASE_REASONS; i++)
			j_u64(release_reasons[i], row->released[i]);
		close_obj();
		j_u64("pay", row->pay);
		j_u64("pays", row->pay_count);
		j_u64("refund", row->refund);
		j_u64("refunds", row->refund_count);
		close_obj();
	} else {
		amount(a[0], sizeof(a[0]), row->funded);
		amount(a[1], sizeof(a[1]), released);
		amount(a[2], sizeof(a[2]), row->paid_out);
		amount(a[3], sizeof(a[3]), row->fees);
		amount(a[4], sizeof(a[4]), row->issued);
		amount(a[5], sizeof(a[5]), row->retired_paid + row->retired_reversed + row->retired_dormant);
		amount(a[6], sizeof(a[6]), row->pay);
		amount(a[7], sizeof(a[7]), row->refund);
		printf(_("  %s  funded %s, released %s, paid out %s (fees kept %s); issued %s, retired %s; "
			 "pay %s (%llu), refund %s (%llu)\n"),
		       m, a[0], a[1], a[2], a[3], a[4], a[5], a[6], (unsigned long long)row->pay_count, a[7],
		       (unsigned long long)row->refund_count);
		if (released > 0) {
			fputs(_("           released:"), stdout);
			for (unsigned i = 0; i < AUDIT_RELEASE_REASONS; i++) {
				amount(a[0], sizeof(a[0]), row->released[i]);
				printf(" %s %s%s", _(release_reasons[i]), a[0], i + 1 < AUDIT_RELEASE_REASONS ? "," : "\n");
			}
		}
	}
	return 0;
}

/* ---- Findings ---- */

static void print_first(const struct audit *a)
{
	const struct audit_finding *f = &a->findings[0];

	if (a->finding_count > 0) {
		if (f->has_leaf)
			fprintf(stderr, _("manne-audit: DISCREPANCY at leaf %llu (%s): %s\n"),
				(unsigned long long)f->leaf_index, f->check, f->what);
		else
			fprintf(stderr, _("manne-audit: DISCREPANCY (%s): %s\n"), f->check, f->what);
		if (f->expected[0] != '\0' || f->found[0] != '\0')
			fprintf(stderr, _("manne-audit:   expected: %s\nmanne-audit:   found:    %s\n"), f->expected,
				f->found);
	} else if (a->failure[0] != '\0') {
		fprintf(stderr, _("manne-audit: %s\n"), a->failure);
	}
}

static void findings_text(const struct audit *a)
{
	for (size_t i = 0; i < a->finding_count; i++) {
		const struct audit_finding *f = &a->findings[i];
		if (f->has_leaf)
			printf(_("  %zu. leaf %llu (%s): %s\n"), i + 1, (unsigned long long)f->leaf_index, f->check,
			       f->what);
		else
			printf(_("  %zu. (%s): %s\n"), i + 1, f->check, f->what);
		if (f->expected[0] != '\0' || f->found[0] != '\0')
			printf(_("     expected: %s\n     found:    %s\n"), f->expected, f->found);
		for (int e = 0; e < 2; e++)
			if (f->evidence[e] != NULL)
				printf(_("     evidence %d:\n%s"), e + 1, f->evidence[e]);
	}
	if (a->findings_dropped > 0)
		printf(_("  ... and %llu more\n"), (unsigned long long)a->findings_dropped);
}

static void findings_json(const struct audit *a)
{
	open_arr("findings");
	for (size_t i = 0; i < a->finding_count; i++) {
		const struct audit_finding *f = &a->findings[i];
		open_obj(NULL);
		j_str("check", f->check);
		if (f->has_leaf)
			j_u64("leaf_index", f->leaf_index);
		else
			j_null("leaf_index");
		j_str("what", f->what);
		j_str("expected", f->expected);
		j_str("found", f->found);
		open_arr("evidence");
		for (int e = 0; e < 2; e++) {
			if (f->evidence[e] != NULL) {
				if (!first_member)
					putchar(',');
				first_member = false;
				json_string(f->evidence[e]);
			}
		}
		close_arr();
		close_obj();
	}
	close_arr();
	j_u64("findings_dropped", a->findings_dropped);
}

/* The JSON's words; the report for people translates them. */
static const char *checked_name(const struct audit_checkpoint *c)
{
	switch (c->checked) {
	case AUDIT_CHECKED_FULL:
		return N_("signature, root and totals");
	case AUDIT_CHECKED_ROOT:
		return N_("signature and root");
	case AUDIT_NEWER:
		return N_("newer than the log audited: not checked");
	default:
		return N_("not checked");
	}
}

/* ---- The report ---- */

struct figures {
	struct totals t;
	uint64_t outstanding, reserve;
	bool coverage_known;
	uint64_t coverage_bp;
	int64_t day, window_from;
	struct audit_day_row window;
	struct audit_kind_row kinds;
};

static int figures(struct audit *a, struct store_txn *txn, struct figures *f)
{
	const struct ledger_state *s = &a->ledger->state;
	struct day_rules rules = state_day_rules(s);
	struct civil_date d;
	struct timespec now;

	memset(f, 0, sizeof(*f));
	f->t = s->totals;
	if (totals_outstanding(&f->t, &f->outstanding) != 0 || totals_reserve(&f->t, &f->reserve) != 0)
		return -1;
	if (f->outstanding > 0) {
		/* reserve <= 2^64 and 10^4 < 2^14: the product fits in 128 bits. */
		unsigned __int128 bp = (unsigned __int128)f->reserve * 10000U / f->outstanding;
		f->coverage_bp = bp > UINT64_MAX ? UINT64_MAX : (uint64_t)bp;
		f->coverage_known = true;
	}
	/* The report day is a ledger day (the genesis rules), never the machine's time zone. */
	if (a->report_day_given) {
		f->day = a->report_day;
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		f->day = ledger_day(&rules, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	}
	/* The twelve ledger-calendar months before the report day: from the same
	 * day twelve months earlier (the 1st of the next month when that day does
	 * not exist, as retire_dormant counts months) to the day before. */
	d = civil_from_days(f->day);
	f->window_from = days_from_civil((struct civil_date){d.year - 1, d.month, d.day});
	if (audit_tables_days(txn, f->window_from, f->day, &f->window) != 0 || audit_tables_kinds(txn, &f->kinds) != 0)
		return -1;
	return 0;
}

static void report_json(struct audit *a, struct store_txn *txn, const struct figures *f, int code)
{
	struct walk w = {.json = true};
	const struct ledger_state *s = a->ledger != NULL && !a->ledger->empty ? &a->ledger->state : NULL;
	char from[16], to[16], day[16];

	first_member = true;
	open_obj(NULL);
	j_bool("ok", code == AUDIT_EXIT_CLEAN);
	j_u64("exit", (uint64_t)code);
	j_str("origin", a->origin);
	j_str("trust_root", a->pinned_vkey);
	j_str("mode", a->file != NULL ? "file" : "online");
	if (a->file != NULL) {
		j_str("source", a->file);
	} else {
		char where[300];
		snprintf(where, sizeof(where), "%s:%u", a->host, a->port);
		j_str("source", where);
	}
	if (s != NULL)
		j_hex("genesis_id", s->genesis_id);
	else
		j_null("genesis_id");
	if (a->have_target) {
		open_obj("checkpoint");
		j_u64("tree_size", a->target.c.tree_size);
		j_hex("root", a->target.c.root);
		j_bool("verified", a->target.verified);
		j_bool("checked", a->target_ok);
		j_str("note", a->target.note);
		close_obj();
	} else {
		j_null("checkpoint");
	}
	if (a->have_anchor) {
		open_obj("anchor");
		j_u64("tree_size", a->anchor.c.tree_size);
		j_hex("root", a->anchor.c.root);
		j_bool("extended", a->anchor_extended);
		close_obj();
	} else {
		j_null("anchor");
	}
	open_obj("replayed");
	j_u64("from", a->replay_from);
	j_u64("to", a->replay_to > a->replay_from ? a->replay_to : a->replay_from);
	j_u64("leaves", a->replay_to > a->replay_from ? a->replay_to - a->replay_from : 0);
	j_u64("ms", a->replay_ms);
	close_obj();
	j_u64("tree_size", s != NULL ? s->tree_size : 0);
	j_u64("accounts_compared", a->accounts_compared);
	j_bool("accounts_unsettled", a->accounts_moving);
	open_arr("collected");
	for (size_t i = 0; i < a->collected_count; i++) {
		const struct audit_checkpoint *c = &a->collected[i];
		open_obj(NULL);
		j_str("source", c->source);
		j_u64("tree_size", c->c.tree_size);
		j_str("checked", checked_name(c));
		j_bool("verified", c->verified);
		j_bool("consistent", c->consistent);
		close_obj();
	}
	close_arr();
	if (f != NULL && txn != NULL) {
		uint64_t payments = f->window.pay + f->window.refund;
		open_obj("totals");
		j_u64("issued", f->t.issued);
		j_u64("retired", f->t.retired);
		j_u64("reconverted", f->t.reconverted);
		j_u64("fees", f->t.fees);
		j_u64("pending", f->t.pending);
		j_u64("funded", f->t.funded);
		j_u64("paid_out", f->t.paid_out);
		j_u64("released", f->t.released);
		j_u64("outstanding", f->outstanding);
		j_u64("reserve", f->reserve);
		close_obj();
		if (f->coverage_known)
			j_u64("coverage_bp", f->coverage_bp);
		else
			j_null("coverage_bp");
		open_obj("kinds");
		for (unsigned i = 0; i < AUDIT_KINDS; i++)
			j_u64(kind_names[i], f->kinds.count[i]);
		close_obj();
		open_arr("issuance");
		audit_tables_each_issue(txn, issue_row, &w);
		close_arr();
		open_arr("reconversions");
		audit_tables_each_partner(txn, partner_row, &w);
		close_arr();
		open_arr("counters");
		audit_tables_each_counter(txn, counter_row, &w);
		close_arr();
		open_arr("months");
		audit_tables_each_month(txn, month_row, &w);
		close_arr();
		date_text(f->day, day);
		date_text(f->window_from, from);
		date_text(f->day - 1, to);
		open_obj("regulatory");
		j_str("report_day", day);
		j_str("from", from);
		j_str("to", to);
		j_u64("pay", f->window.pay);
		j_u64("refund", f->window.refund);
		j_u64("payments", payments);
		j_u64("outstanding", f->outstanding);
		j_u64("threshold", AUDIT_THRESHOLD_CENTIMES);
		j_bool("payments_over", payments >= AUDIT_THRESHOLD_CENTIMES);
		j_bool("outstanding_over", f->outstanding >= AUDIT_THRESHOLD_CENTIMES);
		close_obj();
	}
	findings_json(a);
	j_str("failure", a->failure[0] != '\0' ? a->failure : NULL);
	close_obj();
	putchar('\n');
}

/* The labels of the two blocks of figures, for their column's width. */
static const char *const totals_labels[] = {N_("issued"), N_("retired"), N_("reconverted"), N_("fees"),
					    N_("pending"), N_("funded"), N_("paid out"), N_("released"),
					    N_("outstanding"), N_("reserve"), N_("coverage"), NULL};
static const char *const regulatory_labels[] = {N_("pay"), N_("refund"), N_("pay + refund"), N_("threshold"),
						N_("outstanding"), NULL};

static const char *const head_labels[] = {N_("genesis id"), N_("trust root"), N_("source"), N_("checkpoint"),
					  N_("last verified"), N_("replayed"), N_("accounts"), N_("collected"), NULL};

/* The head's "  label  value" lines: the label a msgid, padded to the value column. */
static void head(const char *label)
{
	printf("  ");
	left(_(label), label_width(head_labels, 16));
	putchar(' ');
}

static void report_text(struct audit *a, struct store_txn *txn, const struct figures *f, int code)
{
	struct walk w = {.json = false};
	const struct ledger_state *s = &a->ledger->state;
	uint64_t payments = f->window.pay + f->window.refund;
	char hex[65], from[16], to[16], day[16], x[64];
	int width = label_width(totals_labels, 14);

	printf(_("La Manne audit of %s\n"), s->origin);
	audit_hex32(s->genesis_id, hex);
	head(N_("genesis id"));
	printf("%s\n", hex);
	head(N_("trust root"));
	printf("%s\n", a->pinned_vkey);
	head(N_("source"));
	printf("%s\n", a->file != NULL ? a->file : _("the ledger over the network"));
	if (a->have_target) {
		audit_hex32(a->target.c.root, hex);
		head(N_("checkpoint"));
		printf(_("%llu leaves, root %s\n"), (unsigned long long)a->target.c.tree_size, hex);
		printf("%*s", label_width(head_labels, 16) + 3, "");  /* under the value above */
		printf(_("signature %s; root and totals %s\n"),
		       a->target.verified ? _("verified under the key the log puts in force") : _("NOT verified"),
		       a->target_ok ? _("equal the replay's") : _("NOT checked out"));
	}
	if (a->have_anchor) {
		head(N_("last verified"));
		printf(_("%llu leaves: %s\n"), (unsigned long long)a->anchor.c.tree_size,
		       a->anchor_extended ? _("the checkpoint extends it (RFC 9162 consistency)") : _("NOT extended"));
	}
	head(N_("replayed"));
	printf(_("leaves %llu .. %llu in %llu ms\n"), (unsigned long long)a->replay_from,
	       (unsigned long long)(a->replay_to > a->replay_from ? a->replay_to : a->replay_from),
	       (unsigned long long)a->replay_ms);
	if (a->file == NULL) {
		head(N_("accounts"));
		printf(_("%llu compared with the ledger's%s\n"), (unsigned long long)a->accounts_compared,
		       a->skip_accounts     ? _(" (skipped)")
		       : a->accounts_moving ? _(" (the ledger kept moving: unsettled)")
					    : "");
	}
	for (size_t i = 0; i < a->collected_count; i++) {
		const struct audit_checkpoint *c = &a->collected[i];
		head(N_("collected"));
		printf(_("%s: %llu leaves, %s, %s\n"), c->source, (unsigned long long)c->c.tree_size,
		       _(checked_name(c)),
		       c->consistent ? _("consistent") : c->checked == AUDIT_NEWER ? "-" : _("NOT consistent"));
	}

	if (a->have_target && s->tree_size < a->target.c.tree_size)
		printf(_("\nThe replay stopped at leaf %llu: the figures below are the log's up to there.\n"),
		       (unsigned long long)s->tree_size);
	fputs(_("\nTotals\n"), stdout);
	line_amount(N_("issued"), width, f->t.issued, "Manne");
	line_amount(N_("retired"), width, f->t.retired, "Manne");
	line_amount(N_("reconverted"), width, f->t.reconverted, "Manne");
	line_amount(N_("fees"), width, f->t.fees, "EUR");
	line_amount(N_("pending"), width, f->t.pending, "Manne");
	line_amount(N_("funded"), width, f->t.funded, "EUR");
	line_amount(N_("paid out"), width, f->t.paid_out, "EUR");
	line_amount(N_("released"), width, f->t.released, "EUR");
	line_amount(N_("outstanding"), width, f->outstanding, "Manne");
	line_amount(N_("reserve"), width, f->reserve, "EUR");
	printf("  ");
	left(_("coverage"), width);
	putchar(' ');
	if (f->coverage_known) {
		/* Basis points as a percentage with two decimals, the reader's decimal sign. */
		snprintf(x, sizeof(x), "%llu%s%02llu", (unsigned long long)(f->coverage_bp / 100), i18n_decimal_point(),
			 (unsigned long long)(f->coverage_bp % 100));
		right(x, 16);
		printf(" %% %s\n", _("(reserve / outstanding)"));
	} else {
		right("-", 16);
		printf(" %s\n", _("(nothing outstanding)"));
	}

	fputs(_("\nTransactions by kind\n"), stdout);
	for (unsigned i = 0; i < AUDIT_KINDS; i++) {
		if (f->kinds.count[i] > 0) {
			printf("  ");
			left(_(kind_words[i]), 30);
			printf(" %llu\n", (unsigned long long)f->kinds.count[i]);
		}
	}
	fputs(_("\nIssuance by month, reason and programme\n"), stdout);
	audit_tables_each_issue(txn, issue_row, &w);
	fputs(_("\nReconversions and fees by partner\n"), stdout);
	audit_tables_each_partner(txn, partner_row, &w);
	fputs(_("\nTaken by the association's counters\n"), stdout);
	audit_tables_each_counter(txn, counter_row, &w);
	fputs(_("\nReserve movements and circulation by month\n"), stdout);
	audit_tables_each_month(txn, month_row, &w);

	date_text(f->day, day);
	date_text(f->window_from, from);
	date_text(f->day - 1, to);
	printf(_("\nRegulatory counters: the twelve ledger-calendar months before %s (%s .. %s)\n"), day, from, to);
	width = label_width(regulatory_labels, 14);
	line_amount(N_("pay"), width, f->window.pay, "Manne");
	line_amount(N_("refund"), width, f->window.refund, "Manne");
	amount(x, sizeof(x), AUDIT_THRESHOLD_CENTIMES);
	line_amount(N_("pay + refund"), width, payments, "Manne");
	printf("  ");
	left(_("threshold"), width);
	putchar(' ');
	right(x, 16);
	printf(_(": %s\n"), payments >= AUDIT_THRESHOLD_CENTIMES ? _("REACHED") : _("below"));
	line_amount(N_("outstanding"), width, f->outstanding, "Manne");
	printf("  ");
	left(_("threshold"), width);
	putchar(' ');
	right(x, 16);
	printf(_(": %s\n"), f->outstanding >= AUDIT_THRESHOLD_CENTIMES ? _("REACHED") : _("below"));

	printf(_("\nResult: %s\n"), code == AUDIT_EXIT_CLEAN ? _("clean: every check passed") : _("NOT clean"));
	findings_text(a);
	if (a->failure[0] != '\0')
		printf("  %s\n", a->failure);
}

int audit_report(struct audit *a)
{
	struct store_txn *txn = NULL;
	struct figures f;
	bool have_figures = false;
	int code;

	/* Never "clean" without a checkpoint that checked out. */
	if (!a->target_ok && a->finding_count == 0 && !a->local_failure && !a->unreachable && !a->key_failure &&
	    !a->accounts_moving && a->state_dir != NULL && a->ledger != NULL)
		audit_local_failure(a, "the audit stopped before the checkpoint was checked");
	code = audit_exit_code(a);
	if (a->ledger != NULL && !a->ledger->empty && store_begin(a->ledger->store, false, &txn) == STORE_OK)
		have_figures = figures(a, txn, &f) == 0;
	print_first(a);
	if (a->json) {
		report_json(a, txn, have_figures ? &f : NULL, code);
	} else if (have_figures) {
		report_text(a, txn, &f, code);
	} else {
		printf(_("Result: %s\n"), _("NOT clean"));
		findings_text(a);
		if (a->failure[0] != '\0')
			printf("  %s\n", a->failure);
	}
	fflush(stdout);
	store_abort(txn);
	return code;
}
