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

static const char *const issue_reasons[AUDIT_ISSUE_REASONS + 1] = {"unspecified", "participation", "allowance",
								    "purchase", "grant"};
static const char *const release_reasons[AUDIT_RELEASE_REASONS] = {"surplus", "fees", "bank_charges", "correction"};

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
	audit_amount(centimes, out, size);
}

static void line_amount(const char *label, uint64_t centimes)
{
	char a[32];
	amount(a, sizeof(a), centimes);
	printf("  %-14s %16s\n", label, a);
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
	const char *why = reason <= AUDIT_ISSUE_REASONS ? issue_reasons[reason] : "unknown";
	char m[16], a[32];

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
		printf("  %s  %-13s %-34s %14s  (%" PRIu64 " issue%s)\n", m, why, programme[0] != '\0' ? programme : "-",
		       a, row->count, row->count == 1 ? "" : "s");
	}
	return 0;
}

static int counter_row(void *ctx, const uint8_t k[KEY_BYTES], const struct audit_counter_row *row)
{
	const struct walk *w = ctx;
	char hex[65], t[32];

	audit_hex32(k, hex);
	if (w->json) {
		open_obj(NULL);
		j_str("counter", hex);
		j_u64("payments", row->count);
		j_u64("taken", row->taken);
		close_obj();
	} else {
		amount(t, sizeof(t), row->taken);
		printf("  %s  %14s  (%" PRIu64 " payment%s)\n", hex, t, row->count, row->count == 1 ? "" : "s");
	}
	return 0;
}

static int partner_row(void *ctx, const uint8_t k[KEY_BYTES], const struct audit_partner_row *row)
{
	const struct walk *w = ctx;
	uint64_t settled = row->reconverted + row->rejected;
	uint64_t pending = row->redeemed >= settled ? row->redeemed - settled : 0;
	uint64_t paid = row->reconverted >= row->fees ? row->reconverted - row->fees : 0;
	char hex[65], r[32], c[32], f[32], p[32], j[32], q[32];

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
		printf("  %s\n    asked %s (%" PRIu64 "), reconverted %s, fees %s, paid out %s, rejected %s, pending %s\n",
		       hex, r, row->redeem_count, c, f, p, j, q);
	}
	return 0;
}

static int month_row(void *ctx, int32_t year, uint32_t month, const struct audit_month_row *row)
{
	const struct walk *w = ctx;
	char m[16], a[8][32];
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
		printf("  %s  funded %s, released %s, paid out %s (fees kept %s); issued %s, retired %s; "
		       "pay %s (%" PRIu64 "), refund %s (%" PRIu64 ")\n",
		       m, a[0], a[1], a[2], a[3], a[4], a[5], a[6], row->pay_count, a[7], row->refund_count);
		if (released > 0) {
			printf("           released:");
			for (unsigned i = 0; i < AUDIT_RELEASE_REASONS; i++) {
				amount(a[0], sizeof(a[0]), row->released[i]);
				printf(" %s %s%s", release_reasons[i], a[0], i + 1 < AUDIT_RELEASE_REASONS ? "," : "\n");
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
			fprintf(stderr, "manne-audit: DISCREPANCY at leaf %" PRIu64 " (%s): %s\n", f->leaf_index, f->check,
				f->what);
		else
			fprintf(stderr, "manne-audit: DISCREPANCY (%s): %s\n", f->check, f->what);
		if (f->expected[0] != '\0' || f->found[0] != '\0')
			fprintf(stderr, "manne-audit:   expected: %s\nmanne-audit:   found:    %s\n", f->expected, f->found);
	} else if (a->failure[0] != '\0') {
		fprintf(stderr, "manne-audit: %s\n", a->failure);
	}
}

static void findings_text(const struct audit *a)
{
	for (size_t i = 0; i < a->finding_count; i++) {
		const struct audit_finding *f = &a->findings[i];
		if (f->has_leaf)
			printf("  %zu. leaf %" PRIu64 " (%s): %s\n", i + 1, f->leaf_index, f->check, f->what);
		else
			printf("  %zu. (%s): %s\n", i + 1, f->check, f->what);
		if (f->expected[0] != '\0' || f->found[0] != '\0')
			printf("     expected: %s\n     found:    %s\n", f->expected, f->found);
		for (int e = 0; e < 2; e++)
			if (f->evidence[e] != NULL)
				printf("     evidence %d:\n%s", e + 1, f->evidence[e]);
	}
	if (a->findings_dropped > 0)
		printf("  ... and %" PRIu64 " more\n", a->findings_dropped);
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

static const char *checked_name(const struct audit_checkpoint *c)
{
	switch (c->checked) {
	case AUDIT_CHECKED_FULL:
		return "signature, root and totals";
	case AUDIT_CHECKED_ROOT:
		return "signature and root";
	case AUDIT_NEWER:
		return "newer than the log audited: not checked";
	default:
		return "not checked";
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

static void report_text(struct audit *a, struct store_txn *txn, const struct figures *f, int code)
{
	struct walk w = {.json = false};
	const struct ledger_state *s = &a->ledger->state;
	uint64_t payments = f->window.pay + f->window.refund;
	char hex[65], from[16], to[16], day[16], x[32];

	printf("La Manne audit of %s\n", s->origin);
	audit_hex32(s->genesis_id, hex);
	printf("  genesis id       %s\n", hex);
	printf("  trust root       %s\n", a->pinned_vkey);
	printf("  source           %s\n", a->file != NULL ? a->file : "the ledger over the network");
	if (a->have_target) {
		audit_hex32(a->target.c.root, hex);
		printf("  checkpoint       %" PRIu64 " leaves, root %s\n", a->target.c.tree_size, hex);
		printf("                   signature %s; root and totals %s\n",
		       a->target.verified ? "verified under the key the log puts in force" : "NOT verified",
		       a->target_ok ? "equal the replay's" : "NOT checked out");
	}
	if (a->have_anchor)
		printf("  last verified    %" PRIu64 " leaves: %s\n", a->anchor.c.tree_size,
		       a->anchor_extended ? "the checkpoint extends it (RFC 9162 consistency)" : "NOT extended");
	printf("  replayed         leaves %" PRIu64 " .. %" PRIu64 " in %" PRIu64 " ms\n", a->replay_from,
	       a->replay_to > a->replay_from ? a->replay_to : a->replay_from, a->replay_ms);
	if (a->file == NULL)
		printf("  accounts         %" PRIu64 " compared with the ledger's%s\n", a->accounts_compared,
		       a->skip_accounts ? " (skipped)" : a->accounts_moving ? " (the ledger kept moving: unsettled)" : "");
	for (size_t i = 0; i < a->collected_count; i++)
		printf("  collected        %s: %" PRIu64 " leaves, %s, %s\n", a->collected[i].source,
		       a->collected[i].c.tree_size, checked_name(&a->collected[i]),
		       a->collected[i].consistent ? "consistent" : a->collected[i].checked == AUDIT_NEWER ? "-" : "NOT consistent");

	if (a->have_target && s->tree_size < a->target.c.tree_size)
		printf("\nThe replay stopped at leaf %" PRIu64 ": the figures below are the log's up to there.\n",
		       s->tree_size);
	printf("\nTotals (Manne)\n");
	line_amount("issued", f->t.issued);
	line_amount("retired", f->t.retired);
	line_amount("reconverted", f->t.reconverted);
	line_amount("fees", f->t.fees);
	line_amount("pending", f->t.pending);
	line_amount("funded", f->t.funded);
	line_amount("paid out", f->t.paid_out);
	line_amount("released", f->t.released);
	line_amount("outstanding", f->outstanding);
	line_amount("reserve", f->reserve);
	if (f->coverage_known)
		printf("  %-14s %13" PRIu64 ".%02" PRIu64 " %% (reserve / outstanding)\n", "coverage",
		       f->coverage_bp / 100, f->coverage_bp % 100);
	else
		printf("  %-14s %16s (nothing outstanding)\n", "coverage", "-");

	printf("\nTransactions by kind\n");
	for (unsigned i = 0; i < AUDIT_KINDS; i++)
		if (f->kinds.count[i] > 0)
			printf("  %-20s %" PRIu64 "\n", kind_names[i], f->kinds.count[i]);
	printf("\nIssuance by month, reason and programme\n");
	audit_tables_each_issue(txn, issue_row, &w);
	printf("\nReconversions and fees by partner\n");
	audit_tables_each_partner(txn, partner_row, &w);
	printf("\nTaken by the association's counters\n");
	audit_tables_each_counter(txn, counter_row, &w);
	printf("\nReserve movements and circulation by month\n");
	audit_tables_each_month(txn, month_row, &w);

	date_text(f->day, day);
	date_text(f->window_from, from);
	date_text(f->day - 1, to);
	printf("\nRegulatory counters: the twelve ledger-calendar months before %s (%s .. %s)\n", day, from, to);
	line_amount("pay", f->window.pay);
	line_amount("refund", f->window.refund);
	amount(x, sizeof(x), AUDIT_THRESHOLD_CENTIMES);
	line_amount("pay + refund", payments);
	printf("  %-14s %16s: %s\n", "threshold", x, payments >= AUDIT_THRESHOLD_CENTIMES ? "REACHED" : "below");
	line_amount("outstanding", f->outstanding);
	printf("  %-14s %16s: %s\n", "threshold", x, f->outstanding >= AUDIT_THRESHOLD_CENTIMES ? "REACHED" : "below");

	printf("\nResult: %s\n", code == AUDIT_EXIT_CLEAN ? "clean: every check passed" : "NOT clean");
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
		printf("Result: NOT clean\n");
		findings_text(a);
		if (a->failure[0] != '\0')
			printf("  %s\n", a->failure);
	}
	fflush(stdout);
	store_abort(txn);
	return code;
}
