/*
 * audit_main.c: manne-audit (SPEC §7, docs/audit.md). The run, in order:
 *
 *   1. lock the state directory; read the trust root and the anchor (the
 *      last checkpoint verified) from DIR/state, or take the trust root from
 *      --checkpoint-key on a first run;
 *   2. read the checkpoints collected by others (--checkpoint), unverified;
 *   3. from the ledger (audit_online.c) or an export (audit_file.c): prove
 *      the new checkpoint extends the anchor, replay the new leaves, check
 *      the checkpoint's signature, root and totals against the replay,
 *      compare balances with the server's;
 *   4. check what the replay cannot check on the way: the anchor and the
 *      collected checkpoints older than this run against the log, and that
 *      the trust root is one of the log's checkpoint keys;
 *   5. save the new anchor if the checkpoint checked out, print the report,
 *      and exit non-zero naming the first discrepancy.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"

/* For people: through the catalogue (po/), as every message of manne-audit. */
static const char *const usage =
	N_("usage: manne-audit --state DIR --checkpoint-key VKEY [--key FILE] [--host H] [--port P] [options]\n"
	   "       manne-audit --state DIR --checkpoint-key VKEY --file EXPORT [options]\n"
	   "\n"
	   "Replays a La Manne ledger's log from leaf 0 with the ledger's own state machine and checks every\n"
	   "signature, rule, balance, total and the Merkle root against the signed checkpoint; proves the\n"
	   "checkpoint extends the last one verified (kept in DIR) and those collected by others; compares\n"
	   "balances with the server's. Run it again later: only the new leaves are replayed.\n"
	   "\n"
	   "  --state DIR              the auditor's directory: state file, replay store (created 0700)\n"
	   "  --checkpoint-key VKEY    the trust root: the ledger's C2SP verifier key (origin+id+key);\n"
	   "                           needed on the first run, then kept in DIR/state\n"
	   "  --file EXPORT            audit an export (manne export) offline instead of the ledger\n"
	   "  --key FILE               an auditor account's or a board member's key (reads the raw log)\n"
	   "  --passphrase-file FILE   the passphrase of a sealed --key\n"
	   "  --host H, --port P       the ledger (default 127.0.0.1:7411)\n"
	   "  --timeout-ms MS          connection and reply timeout (default 10000)\n"
	   "  --checkpoint FILE        a checkpoint collected by others (a receipt's note, another\n"
	   "                           auditor's state file); repeat, up to 256\n"
	   "  --report-day YYYY-MM-DD  the ledger day the regulatory window ends before (default: today)\n"
	   "  --skip-accounts          do not compare balances with the server's\n"
	   "  --rebuild                replay again from leaf 0 into a new replay store\n"
	   "  --threads N              signature verifier threads (default: one per core; 0: none)\n"
	   "  --map-size BYTES         the replay store's largest size (default 8G; K, M, G)\n"
	   "  --json                   one JSON object on stdout instead of the report for people\n"
	   "  --fec FILE --year YYYY   also write the year's FEC (Fichier des Ecritures Comptables) of the\n"
	   "                           association's Manne operations to FILE, a new file (docs/treasurer.md)\n"
	   "  --paheko FILE            also write the same entries as a CSV Paheko imports (all years, or --year)\n"
	   "  --html FILE --month YYYY-MM  also write the month's report for the board and funders (HTML, A4)\n"
	   "  --statement ACCOUNT --month YYYY-MM  also write the account's statement of the month as BASE.txt and\n"
	   "                           BASE.html (--statement-out BASE; default releve-SHORTID-YYYY-MM), for its\n"
	   "                           holder (default) or --statement-for board (issue reasons shown)\n"
	   "\n"
	   "Exit codes: 0 clean, 1 a discrepancy (the first is named), 2 bad command line, 3 the ledger\n"
	   "cannot be reached, 4 key file, 6 a local file or the replay store. docs/audit.md has more.\n");

/* ---- After the run: what the replay could not check on its way ---- */

/* A checkpoint older than this run's replay: its signature under the key in
 * force at its size, and its root against the replay store's tree. */
static void check_older(struct audit *a, struct audit_checkpoint *cp, bool is_anchor)
{
	uint8_t key[KEY_BYTES], root[MERKLE_HASH_BYTES];
	char hex_a[65], hex_b[65], expected[MANNE_VERIFIER_KEY_BYTES_MAX + 1];
	uint64_t size = cp->c.tree_size;

	cp->checked = AUDIT_CHECKED_ROOT;
	cp->consistent = false;
	if (strcmp(cp->c.origin, a->ledger->state.origin) != 0) {
		audit_finding(a, "checkpoint", false, 0, a->ledger->state.origin, cp->c.origin,
			      "%s: the checkpoint names another ledger", cp->source);
		return;
	}
	/* At the replay store's own size the totals can be checked too. */
	if (size == a->ledger->state.tree_size) {
		struct store_txn *txn;
		if (store_begin(a->ledger->store, false, &txn) != STORE_OK) {
			audit_local_failure(a, "the replay store cannot be read");
			return;
		}
		cp->checked = AUDIT_CHECKED_FULL;
		cp->consistent = audit_check_at_size(a, cp, &a->ledger->state, txn, !is_anchor);
		store_abort(txn);
		return;
	}
	if (audit_key_at(a, size, key) != 0 || ledger_root(a->ledger, size, root) != 0) {
		audit_local_failure(a, "the replay store cannot tell the key and root at %llu leaves",
				    (unsigned long long)size);
		return;
	}
	cp->verified = audit_note_verify(cp, key) == 0;
	if (!cp->verified) {
		audit_verifier_key(cp->c.origin, key, expected, sizeof(expected));
		audit_finding(a, is_anchor ? "anchor" : "signature", size > 0, size - 1, expected,
			      N_("no valid signature by that key"),
			      "%s: the checkpoint of %llu leaves is not signed by the key the log puts in force at that "
			      "size",
			      cp->source, (unsigned long long)size);
		return;
	}
	if (sodium_memcmp(root, cp->c.root, sizeof(root)) != 0) {
		audit_hex32(root, hex_a);
		audit_hex32(cp->c.root, hex_b);
		audit_finding(a, is_anchor ? "anchor" : "consistency", false, 0, hex_a, hex_b,
			      "%s: a checkpoint signed by the ledger for %llu leaves is not consistent with the log "
			      "audited: it and the ledger's checkpoint are evidence",
			      cp->source, (unsigned long long)size);
		cp->finding = (int)a->finding_count - 1;
		return;
	}
	cp->consistent = true;
}

/* A collected checkpoint the replay did not reach on its way: older than
 * this run (signature and root), or newer than the log audited. */
static void check_collected_after(struct audit *a, struct audit_checkpoint *c)
{
	const struct ledger_state *s = &a->ledger->state;

	if (c->c.tree_size <= s->tree_size && c->c.tree_size > 0) {
		check_older(a, c, false);
	} else if (c->c.tree_size > s->tree_size && a->file != NULL) {
		c->checked = AUDIT_NEWER;  /* the export is older than the receipt: nothing to say */
	} else if (c->c.tree_size > s->tree_size) {
		/* The ledger once signed more than it now shows: a rollback, if the note is its own. */
		c->checked = AUDIT_CHECKED_ROOT;
		c->verified = audit_note_verify(c, s->checkpoint_key) == 0;
		if (c->verified) {
			audit_finding(a, "consistency", false, 0, N_("a log that keeps what it signed"),
				      N_("a log shorter than a checkpoint it signed"),
				      "%s: the ledger signed %llu leaves but now shows %llu: both are evidence", c->source,
				      (unsigned long long)c->c.tree_size, (unsigned long long)s->tree_size);
			c->finding = (int)a->finding_count - 1;
		} else {
			audit_finding(a, "signature", false, 0, N_("a signature by the ledger's checkpoint key"), N_("none"),
				      "%s: a checkpoint of %llu leaves not signed by this ledger", c->source,
				      (unsigned long long)c->c.tree_size);
		}
	} else {
		audit_finding(a, "checkpoint", false, 0, N_("a tree of at least one leaf"), N_("0 leaves"), "%s: an empty checkpoint",
			      c->source);
	}
}

/* Whether cp checked out and the log puts the pinned key in force at its size. */
static bool signed_by_pinned(struct audit *a, const struct audit_checkpoint *cp, bool checked_out)
{
	uint8_t key[KEY_BYTES];

	return checked_out && cp->verified && cp->c.tree_size <= a->ledger->state.tree_size &&
	       audit_key_at(a, cp->c.tree_size, key) == 0 && sodium_memcmp(key, a->pinned_key, KEY_BYTES) == 0;
}

/* The trust root (docs/audit.md). The pinned key must be one the log puts
 * in force, and on a first run it must have signed a checkpoint seen in
 * this run: a genesis that merely names it proves nothing, since anyone can
 * write a genesis naming a public key, sign it with a board of their own,
 * and move to a checkpoint key of their own at once. Later runs start from
 * an anchor already verified this way. */
static void check_trust(struct audit *a)
{
	const struct ledger_state *s = &a->ledger->state;
	struct store_txn *txn;
	bool known = false, anchored;

	if (strcmp(a->origin, s->origin) != 0)
		audit_finding(a, "trust", false, 0, a->origin, s->origin, "the log is not the ledger of the pinned key");
	if (a->have_genesis_id && sodium_memcmp(a->genesis_id, s->genesis_id, TXID_BYTES) != 0)
		audit_finding(a, "trust", true, 0, N_("the genesis this auditor verified before"), N_("another genesis"),
			      "leaf 0 is not the genesis of the ledger audited before");
	/* The log's keys are all known only once the replay reached the checkpoint. */
	if (!a->have_target || s->tree_size < a->target.c.tree_size)
		return;
	if (store_begin(a->ledger->store, false, &txn) == STORE_OK) {
		known = audit_tables_key_known(txn, a->pinned_key);
		store_abort(txn);
	}
	if (!known) {
		audit_finding(a, "trust", false, 0, a->pinned_vkey, N_("not a checkpoint key of this log"),
			      "the pinned checkpoint key never signs checkpoints of this log");
	} else if (a->first_run) {
		anchored = signed_by_pinned(a, &a->target, a->target_ok);
		for (size_t i = 0; i < a->collected_count && !anchored; i++)
			anchored = signed_by_pinned(a, &a->collected[i], a->collected[i].consistent);
		if (!anchored)
			audit_finding(a, "trust", false, 0, N_("a checkpoint signed by the pinned key"),
				      N_("only checkpoints signed by keys the log put in force after it"),
				      "no checkpoint signed by the pinned key was seen: give one it signed (--checkpoint), "
				      "or pin the key in force (the ledger publishes it)");
	}
}

static void final_checks(struct audit *a)
{
	if (a->ledger->empty)
		return;
	/* The anchor: the checkpoint verified last time is still a prefix of the log. */
	if (a->have_anchor && a->anchor.c.tree_size <= a->ledger->state.tree_size)
		check_older(a, &a->anchor, true);
	/* Collected checkpoints the replay did not reach on its way. */
	for (size_t i = 0; i < a->collected_count; i++) {
		struct audit_checkpoint *c = &a->collected[i];
		if (c->checked == AUDIT_UNCHECKED)
			check_collected_after(a, c);
	}
	/* An inconsistent pair is evidence once both are the ledger's. */
	if (a->have_anchor && a->anchor.finding >= 0 && a->have_target && a->target.verified)
		audit_evidence_at(a, a->anchor.finding, &a->anchor, &a->target);
	for (size_t i = 0; i < a->collected_count; i++) {
		struct audit_checkpoint *c = &a->collected[i];
		if (c->finding >= 0 && c->verified && a->have_target && a->target.verified)
			audit_evidence_at(a, c->finding, c, &a->target);
	}
	check_trust(a);
}

/* ---- The command line ---- */

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_size(const char *s, uint64_t *out)
{
	char digits[32];
	size_t n = strlen(s);
	unsigned shift = 0;

	if (n == 0 || n >= sizeof(digits))
		return false;
	memcpy(digits, s, n + 1);
	switch (digits[n - 1]) {
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	default: break;
	}
	if (shift != 0)
		digits[n - 1] = '\0';
	if (!parse_u64(digits, UINT64_MAX >> shift, out))
		return false;
	*out <<= shift;
	return *out >= (1ULL << 20);
}

static bool parse_day(const char *s, int64_t *out)
{
	uint64_t y, m, d;
	char part[8];
	struct civil_date date, back;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	memcpy(part, s, 4);
	part[4] = '\0';
	if (!parse_u64(part, 9999, &y))
		return false;
	memcpy(part, s + 5, 2);
	part[2] = '\0';
	if (!parse_u64(part, 12, &m))
		return false;
	memcpy(part, s + 8, 2);
	if (!parse_u64(part, 31, &d) || m == 0 || d == 0)
		return false;
	date = (struct civil_date){(int32_t)y, (uint32_t)m, (uint32_t)d};
	*out = days_from_civil(date);
	back = civil_from_days(*out);
	return back.year == date.year && back.month == date.month && back.day == date.day;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(_("manne-audit: "), stderr);
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fputs(_(" (manne-audit --help)\n"), stderr);
	return AUDIT_EXIT_USAGE;
}

static int parse_args(struct audit *a, int argc, char **argv)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t v;

	a->host = "127.0.0.1";
	a->port = 7411;
	a->timeout_ms = 10000;
	a->map_bytes = AUDIT_MAP_BYTES_DEFAULT;
	a->threads = cores > 0 ? (unsigned)(cores > VERIFIER_THREADS_MAX ? VERIFIER_THREADS_MAX : cores) : 1;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (strcmp(o, "--json") == 0) {
			a->json = true;
			takes = false;
		} else if (strcmp(o, "--rebuild") == 0) {
			a->rebuild = true;
			takes = false;
		} else if (strcmp(o, "--skip-accounts") == 0) {
			a->skip_accounts = true;
			takes = false;
		} else if (val == NULL) {
			return usage_error("%s: unknown option, or its value is missing", o);
		} else if (strcmp(o, "--state") == 0) {
			a->state_dir = val;
		} else if (strcmp(o, "--file") == 0) {
			a->file = val;
		} else if (strcmp(o, "--host") == 0) {
			a->host = val;
		} else if (strcmp(o, "--port") == 0) {
			if (!parse_u64(val, 65535, &v) || v == 0)
				return usage_error("--port is 1..65535");
			a->port = (uint16_t)v;
		} else if (strcmp(o, "--timeout-ms") == 0) {
			if (!parse_u64(val, 600000, &v) || v == 0)
				return usage_error("--timeout-ms is 1..600000");
			a->timeout_ms = (uint32_t)v;
		} else if (strcmp(o, "--key") == 0) {
			a->key_file = val;
		} else if (strcmp(o, "--passphrase-file") == 0) {
			a->passphrase_file = val;
		} else if (strcmp(o, "--checkpoint-key") == 0) {
			if (manne_verifier_key_parse(val, a->origin, a->pinned_key) != MANNE_OK)
				return usage_error("--checkpoint-key is the ledger's C2SP verifier key: origin+keyid+base64");
			snprintf(a->pinned_vkey, sizeof(a->pinned_vkey), "%s", val);
			snprintf(a->state_vkey, sizeof(a->state_vkey), "%s", val);
			a->pinned = a->pinned_on_command_line = true;
		} else if (strcmp(o, "--checkpoint") == 0) {
			if (a->collected_file_count == AUDIT_COLLECTED_MAX)
				return usage_error("at most %u --checkpoint files", AUDIT_COLLECTED_MAX);
			a->collected_files[a->collected_file_count++] = val;
		} else if (strcmp(o, "--report-day") == 0) {
			if (!parse_day(val, &a->report_day))
				return usage_error("--report-day is a date YYYY-MM-DD");
			a->report_day_given = true;
		} else if (strcmp(o, "--fec") == 0) {
			a->fec_path = val;
		} else if (strcmp(o, "--paheko") == 0) {
			a->paheko_path = val;
		} else if (strcmp(o, "--html") == 0) {
			a->html_path = val;
		} else if (strcmp(o, "--statement") == 0) {
			size_t got = 0;
			if (val == NULL || strlen(val) != 64 ||
			    sodium_hex2bin(a->statement_account, KEY_BYTES, val, 64, NULL, &got, NULL) != 0 || got != KEY_BYTES)
				return usage_error("--statement is an account key (64 hex characters)");
			a->statement = true;
		} else if (strcmp(o, "--statement-for") == 0) {
			if (val == NULL || (strcmp(val, "holder") != 0 && strcmp(val, "board") != 0))
				return usage_error("--statement-for is holder or board");
			a->statement_privileged = strcmp(val, "board") == 0;
		} else if (strcmp(o, "--statement-out") == 0) {
			a->statement_out = val;
		} else if (strcmp(o, "--month") == 0) {
			int y, m;
			char tail;
			if (val == NULL || sscanf(val, "%4d-%2d%c", &y, &m, &tail) != 2 || y < 2000 || y > 9999 || m < 1 ||
			    m > 12 || strlen(val) != 7)
				return usage_error("--month is YYYY-MM, e.g. 2026-11");
			a->html_year = y;
			a->html_month = (uint32_t)m;
		} else if (strcmp(o, "--year") == 0) {
			if (val == NULL || !parse_u64(val, 9999, &v) || v < 2000)
				return usage_error("--year is a year, e.g. 2026");
			a->books_year = (int32_t)v;
		} else if (strcmp(o, "--threads") == 0) {
			if (!parse_u64(val, VERIFIER_THREADS_MAX, &v))
				return usage_error("--threads is 0..%u", VERIFIER_THREADS_MAX);
			a->threads = (unsigned)v;
		} else if (strcmp(o, "--map-size") == 0) {
			if (!parse_size(val, &a->map_bytes))
				return usage_error("--map-size is a size of at least 1M (K, M, G suffixes)");
		} else {
			return usage_error("%s: unknown option", o);
		}
		if (takes)
			i++;
	}
	if (a->state_dir == NULL)
		return usage_error("--state DIR is needed");
	if (a->file != NULL && a->key_file != NULL)
		return usage_error("--file is read offline: --key is for the ledger over the network");
	if (a->fec_path != NULL && a->books_year == 0)
		return usage_error("--fec writes one year's books: give --year YYYY");
	if (a->html_path != NULL && a->html_year == 0)
		return usage_error("--html writes one month's report: give --month YYYY-MM");
	if (a->statement && a->html_year == 0)
		return usage_error("--statement writes one month's statement: give --month YYYY-MM");
	return 0;
}

static int by_size(const void *x, const void *y)
{
	const struct audit_checkpoint *p = x, *q = y;
	return p->c.tree_size < q->c.tree_size ? -1 : p->c.tree_size > q->c.tree_size;
}

static int read_collected(struct audit *a)
{
	char why[256];

	if (a->collected_file_count == 0)
		return 0;
	a->collected = calloc(a->collected_file_count, sizeof(*a->collected));
	if (a->collected == NULL)
		return audit_local_failure(a, "out of memory");
	for (size_t i = 0; i < a->collected_file_count; i++) {
		if (audit_note_read(a->collected_files[i], &a->collected[a->collected_count], why, sizeof(why)) != 0)
			return audit_local_failure(a, "--checkpoint %s", why);
		a->collected_count++;
	}
	qsort(a->collected, a->collected_count, sizeof(*a->collected), by_size);
	return 0;
}

static bool log_sound(const struct audit *a)
{
	for (size_t i = 0; i < a->finding_count; i++)
		if (strcmp(a->findings[i].check, "account") != 0)
			return false;
	return a->findings_dropped == 0;
}

int main(int argc, char **argv)
{
	static struct audit audit;
	struct audit *a = &audit;
	int rc;

	i18n_init();
	/* JSON never changes with the locale: with --json, the findings and
	 * every message are the English ones. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			i18n_plain();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(_(usage), stdout);
			return AUDIT_EXIT_CLEAN;
		}
	}
	a->lock_fd = -1;
	rc = parse_args(a, argc, argv);
	if (rc != 0)
		return rc;
	if (manne_init() != MANNE_OK) {
		fputs(_("manne-audit: libsodium failed to start\n"), stderr);
		return AUDIT_EXIT_LOCAL;
	}
	if (audit_state_lock(a) == 0 && audit_state_load(a) == 0) {
		a->first_run = !a->have_anchor;
		if (!a->pinned) {
			audit_state_unlock(a);
			return usage_error("the first run in %s needs the trust root: --checkpoint-key", a->state_dir);
		}
		if (audit_store_open(a) == 0 && read_collected(a) == 0) {
			/* Collected checkpoints are checked when the replay reaches their
			 * size; those it never reaches, after it. */
			for (a->collected_next = 0; a->collected_next < a->collected_count &&
						    a->collected[a->collected_next].c.tree_size <= a->ledger->state.tree_size;)
				a->collected_next++;
			if (a->file != NULL)
				audit_file(a);
			else
				audit_online(a);
			if (!a->local_failure && !a->unreachable && !a->key_failure)
				final_checks(a);
			/* The next run starts from this checkpoint if it checked out; a
			 * server whose balances differ from its own log does not stop
			 * the log's checkpoint from being the new anchor. */
			if (a->target_ok && a->anchor_extended && !a->local_failure && !a->unreachable &&
			    log_sound(a))
				audit_state_save(a);
		}
	}
	rc = audit_report(a);
	/* The treasurer's exports, from a log that checked out only. */
	char base[64];
	if (a->statement && a->statement_out == NULL) {
		/* releve-C4208760-2026-11: the short id the card shows, and the month. */
		snprintf(base, sizeof(base), "releve-%02X%02X%02X%02X-%04d-%02u", a->statement_account[0],
			 a->statement_account[1], a->statement_account[2], a->statement_account[3], (int)a->html_year,
			 a->html_month);
		a->statement_out = base;
	}
	if (a->statement && a->ledger != NULL && rc == AUDIT_EXIT_CLEAN &&
	    audit_statement_write(a, a->statement_account, a->html_year, a->html_month, a->statement_privileged,
				  a->statement_out) != 0) {
		fputs(_("manne-audit: cannot write the statement (an unknown account, or the files exist)\n"), stderr);
		rc = AUDIT_EXIT_LOCAL;
	}
	if ((a->fec_path != NULL || a->paheko_path != NULL || a->html_path != NULL) && a->ledger != NULL) {
		if (rc != AUDIT_EXIT_CLEAN) {
			fputs(_("manne-audit: no export: the audit did not come out clean\n"), stderr);
		} else if ((a->html_path != NULL && audit_html_write(a, a->html_path, a->html_year, a->html_month) != 0) ||
			   ((a->fec_path != NULL || a->paheko_path != NULL) &&
			    audit_books_write(a, a->fec_path, a->paheko_path, a->books_year) != 0)) {
			fputs(_("manne-audit: cannot write the exports (new files: they must not exist)\n"), stderr);
			rc = AUDIT_EXIT_LOCAL;
		}
	}
	for (size_t i = 0; i < a->finding_count; i++) {
		free(a->findings[i].evidence[0]);
		free(a->findings[i].evidence[1]);
	}
	free(a->collected);
	audit_tables_free(a->tables);
	ledger_close(a->ledger);
	audit_state_unlock(a);
	return rc;
}
