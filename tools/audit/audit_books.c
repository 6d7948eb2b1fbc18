/*
 * audit_books.c: the treasurer's exports (SPEC §12, docs/treasurer.md),
 * from the replay's entry rows (audit_tables.c): one balanced entry per
 * money movement of the association, on the account plan below.
 *
 *   --fec FILE --year YYYY   the Fichier des Écritures Comptables (article
 *                            A47 A-1 of the LPF): the 18 columns, '|',
 *                            AAAAMMJJ, decimal commas, the year's opening
 *                            balances first ("à nouveaux"), then the
 *                            entries in leaf order; plain ASCII, which every
 *                            encoding the norm admits reads the same
 *   --paheko FILE            the same entries for Paheko's import of simple
 *                            entries (one debit account, one credit account,
 *                            one amount per line; an entry of three lines
 *                            becomes two), with --year if given
 *
 * The figures come from the verified log only: the exports are written
 * after a clean run, and each line names its leaf, which the checkpoint
 * covers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "audit.h"
#include "ledger/core/ledger_day.h"

/* The account plan (docs/treasurer.md gives the reasons). */
enum book_account {
	ACC_FUND,        /* 512100 the guarantee fund's bank account */
	ACC_BANK,        /* 512000 the association's current account */
	ACC_CIRCULATION, /* 467100 Manne held by members and partners */
	ACC_REDEEMING,   /* 467200 reconversions asked, not settled */
	ACC_TO_ASSIGN,   /* 467900 euros received into the fund, to assign */
	ACC_ALLOWANCE,   /* 657100 food allowance given in Manne */
	ACC_PARTICIPATION, /* 657200 participation (worksite hours) paid in Manne */
	ACC_GRANT,       /* 657400 grants given in Manne */
	ACC_BANK_FEES,   /* 627000 bank charges */
	ACC_FEES,        /* 706100 reconversion fees */
	ACC_SALES,       /* 706200 the association's services paid in Manne */
	ACC_DORMANT,     /* 758100 dormant Manne retired */
	ACC_CARRIED,     /* 110000 the results of earlier years, carried */
	ACC_COUNT
};

static const struct {
	const char *number;
	const char *label;    /* ASCII for the FEC */
	const char *label_fr; /* for Paheko (UTF-8) */
} accounts[ACC_COUNT] = {
	[ACC_FUND] = {"512100", "Fonds de garantie Manne (banque)", "Fonds de garantie Manne (banque)"},
	[ACC_BANK] = {"512000", "Banque compte courant", "Banque compte courant"},
	[ACC_CIRCULATION] = {"467100", "Manne en circulation", "Manne en circulation"},
	[ACC_REDEEMING] = {"467200", "Reconversions de Manne a payer", "Reconversions de Manne à payer"},
	[ACC_TO_ASSIGN] = {"467900", "Versements au fonds a affecter", "Versements au fonds à affecter"},
	[ACC_ALLOWANCE] = {"657100", "Aides alimentaires versees en Manne", "Aides alimentaires versées en Manne"},
	[ACC_PARTICIPATION] = {"657200", "Contreparties de participation en Manne",
			       "Contreparties de participation en Manne"},
	[ACC_GRANT] = {"657400", "Subventions versees en Manne", "Subventions versées en Manne"},
	[ACC_BANK_FEES] = {"627000", "Services bancaires", "Services bancaires"},
	[ACC_FEES] = {"706100", "Frais de reconversion de Manne", "Frais de reconversion de Manne"},
	[ACC_SALES] = {"706200", "Services de l'association regles en Manne", "Services de l'association réglés en Manne"},
	[ACC_DORMANT] = {"758100", "Manne dormante retiree", "Manne dormante retirée"},
	[ACC_CARRIED] = {"110000", "Report a nouveau", "Report à nouveau"},
};

struct book_line {
	enum book_account account;
	bool debit;
	uint64_t amount;
	bool auxiliary;     /* the partner (or counter) as auxiliary account */
};

/* The account an issue of this reason debits (a purchase: the euros the
 * member paid in, received into the fund). */
static enum book_account issue_account(uint8_t reason)
{
	switch (reason) {
	case 1: return ACC_PARTICIPATION;
	case 2: return ACC_ALLOWANCE;
	case 3: return ACC_TO_ASSIGN;
	default: return ACC_GRANT;
	}
}

static enum book_account release_account(uint8_t reason)
{
	switch (reason) {
	case 3: return ACC_BANK_FEES;    /* bank charges */
	case 4: return ACC_TO_ASSIGN;    /* a mistaken fund_reserve, undone */
	default: return ACC_BANK;        /* surplus, or the fees earned, to the current account */
	}
}

/* The lines of one entry: debits first. Returns their number (0: none). */
static size_t entry_lines(const struct audit_entry_row *e, struct book_line out[3])
{
	uint64_t a = e->amount;
	switch (e->movement) {
	case MOVE_FUND:
		out[0] = (struct book_line){ACC_FUND, true, a, false};
		out[1] = (struct book_line){ACC_TO_ASSIGN, false, a, false};
		return 2;
	case MOVE_RELEASE:
		out[0] = (struct book_line){release_account(e->reason), true, a, false};
		out[1] = (struct book_line){ACC_FUND, false, a, false};
		return 2;
	case MOVE_ISSUE:
		out[0] = (struct book_line){issue_account(e->reason), true, a, false};
		out[1] = (struct book_line){ACC_CIRCULATION, false, a, false};
		return 2;
	case MOVE_REVERSE:
		out[0] = (struct book_line){ACC_CIRCULATION, true, a, false};
		out[1] = (struct book_line){issue_account(e->reason), false, a, false};
		return 2;
	case MOVE_DORMANT:
		out[0] = (struct book_line){ACC_CIRCULATION, true, a, false};
		out[1] = (struct book_line){ACC_DORMANT, false, a, false};
		return 2;
	case MOVE_SALE:
		out[0] = (struct book_line){ACC_CIRCULATION, true, a, false};
		out[1] = (struct book_line){ACC_SALES, false, a, true};
		return 2;
	case MOVE_REDEEM:
		out[0] = (struct book_line){ACC_CIRCULATION, true, a, false};
		out[1] = (struct book_line){ACC_REDEEMING, false, a, true};
		return 2;
	case MOVE_SETTLE_PAID:
		out[0] = (struct book_line){ACC_REDEEMING, true, a, true};
		out[1] = (struct book_line){ACC_FUND, false, a - e->fee, false};
		if (e->fee == 0)
			return 2;
		out[2] = (struct book_line){ACC_FEES, false, e->fee, false};
		return 3;
	case MOVE_SETTLE_REJECTED:
		out[0] = (struct book_line){ACC_REDEEMING, true, a, true};
		out[1] = (struct book_line){ACC_CIRCULATION, false, a, false};
		return 2;
	default:
		return 0;
	}
}

static const char *entry_label(const struct audit_entry_row *e)
{
	static const char *const issue[] = {"Emission de Manne", "Emission participation", "Emission aide alimentaire",
					    "Emission achat de Manne", "Emission subvention"};
	static const char *const release[] = {"Sortie du fonds", "Sortie du fonds: excedent", "Sortie du fonds: frais",
					      "Sortie du fonds: frais bancaires", "Sortie du fonds: correction"};
	switch (e->movement) {
	case MOVE_FUND: return "Versement au fonds de garantie";
	case MOVE_RELEASE: return release[e->reason <= 4 ? e->reason : 0];
	case MOVE_ISSUE: return issue[e->reason <= 4 ? e->reason : 0];
	case MOVE_REVERSE: return "Reprise d'emission";
	case MOVE_DORMANT: return "Retrait de Manne dormante";
	case MOVE_SALE: return "Paiement en Manne a l'association";
	case MOVE_REDEEM: return "Reconversion demandee";
	case MOVE_SETTLE_PAID: return "Reconversion payee";
	case MOVE_SETTLE_REJECTED: return "Reconversion refusee";
	default: return "Mouvement";
	}
}

/* The entry's text (programme, bank reference), made safe for a '|' or ';'
 * separated file: printable ASCII only, separators replaced. */
static void entry_text(const struct audit_entry_row *e, char out[80])
{
	size_t n = 0;
	for (size_t i = 0; i < e->text_len && i < sizeof(e->text) && n + 1 < 80; i++) {
		char c = e->text[i];
		out[n++] = (c < 0x20 || c > 0x7e || c == '|' || c == ';' || c == '"') ? '_' : c;
	}
	out[n] = '\0';
}

static void amount_text(uint64_t centimes, char out[32])
{
	snprintf(out, 32, "%" PRIu64 ",%02" PRIu64, centimes / 100, centimes % 100);
}

struct books {
	struct audit *a;
	FILE *f;
	struct day_rules rules;
	int32_t year;             /* 0: every year (Paheko) */
	uint64_t number;          /* the next EcritureNum */
	int64_t balance[ACC_COUNT]; /* before the year: the opening entry */
	bool paheko;
	bool failed;
};

static struct civil_date date_of(const struct books *b, uint64_t time_ms)
{
	return civil_from_days(ledger_day(&b->rules, (int64_t)time_ms));
}

static int sum_before(void *ctx, uint64_t index, const struct audit_entry_row *e)
{
	struct books *b = ctx;
	struct book_line lines[3];
	(void)index;
	if (date_of(b, e->time_ms).year >= b->year)
		return 0;
	for (size_t i = 0, n = entry_lines(e, lines); i < n; i++)
		b->balance[lines[i].account] += lines[i].debit ? (int64_t)lines[i].amount : -(int64_t)lines[i].amount;
	return 0;
}

static void fec_line(struct books *b, const char *journal, const char *journal_lib, const char *date,
		     enum book_account acc, const char *aux, const char *piece, const char *label, bool debit,
		     uint64_t amount)
{
	char value[32], zero[] = "0,00";
	amount_text(amount, value);
	fprintf(b->f, "%s|%s|%" PRIu64 "|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|||%s||\r\n", journal, journal_lib, b->number, date,
		accounts[acc].number, accounts[acc].label, aux, aux[0] != '\0' ? "Partenaire ou comptoir Manne" : "", piece,
		date, label, debit ? value : zero, debit ? zero : value, date);
}

static int fec_entry(void *ctx, uint64_t index, const struct audit_entry_row *e)
{
	struct books *b = ctx;
	struct book_line lines[3];
	struct civil_date d = date_of(b, e->time_ms);
	char date[16], piece[32], label[160], text[80], aux[16] = "";
	size_t n;

	if (d.year != b->year || (n = entry_lines(e, lines)) == 0)
		return 0;
	snprintf(date, sizeof(date), "%04d%02u%02u", (int)d.year, d.month, d.day);
	snprintf(piece, sizeof(piece), "L%" PRIu64, index);
	entry_text(e, text);
	snprintf(label, sizeof(label), "%s%s%s", entry_label(e), text[0] != '\0' ? " " : "", text);
	if (!sodium_is_zero(e->party, KEY_BYTES))
		snprintf(aux, sizeof(aux), "M%02X%02X%02X%02X", e->party[0], e->party[1], e->party[2], e->party[3]);
	b->number++;
	for (size_t i = 0; i < n; i++)
		fec_line(b, "MAN", "Operations en Manne", date, lines[i].account, lines[i].auxiliary ? aux : "", piece,
			 label, lines[i].debit, lines[i].amount);
	return ferror(b->f) ? 1 : 0;
}

/* Paheko's simple entries: a debit account, a credit account, an amount. */
static int paheko_entry(void *ctx, uint64_t index, const struct audit_entry_row *e)
{
	struct books *b = ctx;
	struct book_line lines[3];
	struct civil_date d = date_of(b, e->time_ms);
	char value[32], text[80];
	size_t n;

	if ((b->year != 0 && d.year != b->year) || (n = entry_lines(e, lines)) == 0)
		return 0;
	entry_text(e, text);
	/* The one debit line balances each credit line in turn. */
	for (size_t i = 1; i < n; i++) {
		amount_text(lines[i].amount, value);
		fprintf(b->f, ",\"%s%s%s\",%02u/%02u/%04d,\"feuille %" PRIu64 " du journal de la Manne\",\"L%" PRIu64
			      "\",\"\",%s,%s,\"%s\"\r\n",
			entry_label(e), text[0] != '\0' ? " " : "", text, d.day, d.month, (int)d.year, index, index,
			accounts[lines[0].account].number, accounts[lines[i].account].number, value);
	}
	return ferror(b->f) ? 1 : 0;
}

static int write_fec(struct books *b, struct store_txn *txn, uint64_t tree_size)
{
	char date[16];
	fputs("JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|"
	      "PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise\r\n",
	      b->f);
	/* The opening balances of the year ("à nouveaux"), one entry. */
	if (audit_tables_each_entry(txn, 0, tree_size, sum_before, b) != 0)
		return -1;
	snprintf(date, sizeof(date), "%04d0101", (int)b->year);
	/* Charges and products of earlier years are carried as one result. */
	for (int acc = ACC_ALLOWANCE; acc < ACC_CARRIED; acc++) {
		b->balance[ACC_CARRIED] += b->balance[acc];
		b->balance[acc] = 0;
	}
	bool any = false;
	for (int acc = 0; acc < ACC_COUNT; acc++)
		any |= b->balance[acc] != 0;
	if (any) {
		b->number++;
		for (int acc = 0; acc < ACC_COUNT; acc++) {
			int64_t v = b->balance[acc];
			if (v != 0)
				fec_line(b, "AN", "A nouveaux", date, (enum book_account)acc, "", "AN", "Soldes reportes",
					 v > 0, (uint64_t)(v > 0 ? v : -v));
		}
	}
	return audit_tables_each_entry(txn, 0, tree_size, fec_entry, b);
}

int audit_books_write(struct audit *a, const char *fec_path, const char *paheko_path, int32_t year)
{
	struct store_txn *txn;
	struct books b = {.a = a, .rules = state_day_rules(&a->ledger->state), .year = year};
	int rc = 0;

	if (store_begin(a->ledger->store, false, &txn) != STORE_OK)
		return -1;
	if (fec_path != NULL) {
		b.f = fopen(fec_path, "wbx");
		if (b.f == NULL || write_fec(&b, txn, a->ledger->state.tree_size) != 0)
			rc = -1;
		if (b.f != NULL && fclose(b.f) != 0)
			rc = -1;
	}
	if (rc == 0 && paheko_path != NULL) {
		b.f = fopen(paheko_path, "wbx");
		b.number = 0;
		if (b.f == NULL)
			rc = -1;
		else {
			fputs("\"Numéro d'écriture\",\"Libellé\",\"Date\",\"Remarques\",\"Numéro pièce comptable\","
			      "\"Référence paiement\",\"Compte de débit\",\"Compte de crédit\",\"Montant\"\r\n",
			      b.f);
			if (audit_tables_each_entry(txn, 0, a->ledger->state.tree_size, paheko_entry, &b) != 0)
				rc = -1;
			if (fclose(b.f) != 0)
				rc = -1;
		}
	}
	store_abort(txn);
	return rc;
}
