/*
 * cli_out.c: what the CLI prints. For people: "label: value" lines, amounts
 * in Manne. With --json: exactly one JSON object on stdout, amounts in
 * centimes, keys and hashes in hex, so that scripts never parse prose.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "ledger/core/ledger_day.h"

/* Whether the next member of the current JSON object or array needs a comma. */
static bool need_comma[16];
static unsigned depth;

static void comma(void)
{
	if (need_comma[depth])
		fputc(',', stdout);
	need_comma[depth] = true;
}

static void push(char open)
{
	fputc(open, stdout);
	if (depth + 1 < sizeof(need_comma) / sizeof(need_comma[0]))
		depth++;
	need_comma[depth] = false;
}

static void pop(char close)
{
	fputc(close, stdout);
	if (depth > 0)
		depth--;
}

void json_string(const char *s)
{
	fputc('"', stdout);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			fputc(*p, stdout);
	}
	fputc('"', stdout);
}

static void key(const char *k)
{
	comma();
	json_string(k);
	fputc(':', stdout);
}

void out_begin(const struct cli *c)
{
	depth = 0;
	need_comma[0] = false;
	if (c->json)
		push('{');
}

void out_end(const struct cli *c)
{
	if (c->json) {
		pop('}');
		fputc('\n', stdout);
	}
	fflush(stdout);
}

/* "label: value" for people; the label through the catalogue (xgettext
 * reads the label argument of every out_* call, po/meson.build), and the
 * colon the language's way ("label : valeur" in French). */
static void line(const char *label, const char *value)
{
	/* TRANSLATORS: a label and its value, one per line. */
	printf(_("%s: %s\n"), _(label), value);
}

void out_str(const struct cli *c, const char *k, const char *label, const char *value)
{
	if (c->json) {
		if (k != NULL) {
			key(k);
			json_string(value);
		}
	} else if (label != NULL) {
		line(label, value);
	}
}

void out_u64(const struct cli *c, const char *k, const char *label, uint64_t value)
{
	char text[24];

	if (c->json) {
		if (k != NULL) {
			key(k);
			printf("%llu", (unsigned long long)value);
		}
	} else if (label != NULL) {
		snprintf(text, sizeof(text), "%llu", (unsigned long long)value);
		line(label, text);
	}
}

void format_amount(char *out, size_t size, uint64_t centimes)
{
	i18n_amount(out, size, centimes, "Manne");
}

void format_euros(char *out, size_t size, uint64_t cents)
{
	i18n_amount(out, size, cents, "EUR");
}

/* Centimes of a unit: the number in JSON, the amount written the reader's way for people. */
static void out_centimes(const struct cli *c, const char *k, const char *label, uint64_t centimes, const char *unit)
{
	char text[128];

	if (c->json)
		out_u64(c, k, NULL, centimes);
	else if (label != NULL)
		line(label, i18n_amount(text, sizeof(text), centimes, unit));
}

void out_amount(const struct cli *c, const char *k, const char *label, uint64_t centimes)
{
	out_centimes(c, k, label, centimes, "Manne");
}

void out_euros(const struct cli *c, const char *k, const char *label, uint64_t cents)
{
	out_centimes(c, k, label, cents, "EUR");
}

void out_bool(const struct cli *c, const char *k, const char *label, bool value)
{
	if (c->json) {
		if (k != NULL) {
			key(k);
			fputs(value ? "true" : "false", stdout);
		}
	} else if (label != NULL) {
		line(label, value ? _("yes") : _("no"));
	}
}

void out_hex(const struct cli *c, const char *k, const char *label, const uint8_t *bytes, size_t len)
{
	char hex[2 * 64 + 1];

	if (len > 64)
		len = 64;
	sodium_bin2hex(hex, sizeof(hex), bytes, len);
	out_str(c, k, label, hex);
}

/* Times for people are in the ledger's local time, by the genesis's rules
 * (SPEC §5: a standard offset and EU summer time), learnt on connecting;
 * until then, and in JSON, UTC. */
static struct day_rules time_rules;
static bool time_rules_known;

void out_set_time_rules(int32_t utc_offset_minutes, bool eu_summer_time)
{
	time_rules = (struct day_rules){utc_offset_minutes, eu_summer_time};
	time_rules_known = true;
}

void format_time(char *out, size_t size, uint64_t ms)
{
	int32_t offset = 0;
	struct tm tm;
	time_t t;

	if (ms / 1000U > 253402300799ULL - 86400U) {
		snprintf(out, size, "%llu ms", (unsigned long long)ms);
		return;
	}
	if (time_rules_known)
		offset = time_rules.utc_offset_minutes + (time_rules.eu_summer_time && eu_summer_time_at((int64_t)ms) ? 60 : 0);
	t = (time_t)(ms / 1000U) + (time_t)offset * 60;
	if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		snprintf(out, size, "%llu ms", (unsigned long long)ms);
		return;
	}
	size_t n = strlen(out);
	if (!time_rules_known)
		snprintf(out + n, size - n, " UTC");
	else
		snprintf(out + n, size - n, " (UTC%c%02d:%02d)", offset < 0 ? '-' : '+', abs(offset) / 60, abs(offset) % 60);
}

void out_time(const struct cli *c, const char *k, const char *label, uint64_t ms)
{
	char when[64];

	if (c->json) {
		out_u64(c, k, NULL, ms);
		return;
	}
	format_time(when, sizeof(when), ms);
	if (label != NULL)
		line(label, when);
}

void out_array_begin(const struct cli *c, const char *k)
{
	if (c->json) {
		key(k);
		push('[');
	}
}

void out_array_str(const struct cli *c, const char *value)
{
	if (c->json) {
		comma();
		json_string(value);
	} else {
		printf("%s\n", value);
	}
}

void out_array_end(const struct cli *c)
{
	if (c->json)
		pop(']');
}

void out_object_begin(const struct cli *c)
{
	if (c->json) {
		comma();
		push('{');
	}
}

void out_object_end(const struct cli *c)
{
	if (c->json)
		pop('}');
	else
		fputc('\n', stdout);
}

void out_text(const struct cli *c, const char *text)
{
	if (!c->json)
		fputs(text, stdout);
}

void out_receipt(const struct cli *c, const char *kind, const struct manne_receipt *r)
{
	out_bool(c, "ok", NULL, true);
	out_str(c, "kind", NULL, kind);
	if (!c->json)
		printf(r->duplicate ? _("%s: already in the log (original receipt)\n") : _("%s: applied\n"), kind);
	out_hex(c, "txid", "txid", r->txid, sizeof(r->txid));
	out_u64(c, "leaf_index", "leaf", r->leaf_index);
	out_hex(c, "leaf_hash", "leaf hash", r->leaf_hash, sizeof(r->leaf_hash));
	out_time(c, "time_ms", "time", r->time_ms);
	out_bool(c, "duplicate", NULL, r->duplicate);
	out_str(c, "checkpoint", NULL, r->checkpoint);
}

static const char *const kinds[][2] = {
	{"genesis", N_("genesis")},
	{"open_account", N_("account opened")},
	{"set_account", N_("account changed")},
	{"freeze", N_("account frozen")},
	{"recover_account", N_("account recovered")},
	{"fund_reserve", N_("euros into the fund")},
	{"release_reserve", N_("euros out of the fund")},
	{"issue", N_("credits issued")},
	{"reverse_issue", N_("issue reversed")},
	{"retire_dormant", N_("dormant credits retired")},
	{"pay", N_("payment")},
	{"refund", N_("refund")},
	{"redeem", N_("reconversion asked")},
	{"settle_redemption", N_("reconversion settled")},
	{"set_ledger", N_("fee changed")},
	{"set_board", N_("board renewed")},
	{"set_checkpoint_key", N_("checkpoint key changed")},
	{"void", N_("prepared transaction cancelled")},
	{"set_card", N_("card registered or unlocked")},
};

const char *kind_words(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i][0]) == 0)
			return _(kinds[i][1]);
	return kind;
}

static bool same_key(bool has, const uint8_t *a, const uint8_t *b)
{
	return has && b != NULL && memcmp(a, b, 32) == 0;
}

/* Which way an entry moved the viewing account's credits: "in", "out",
 * "taken" (a counter's, for the association), or NULL (none). `account`
 * must be a party to it. */
static const char *direction(const struct manne_entry *e, const uint8_t *account)
{
	bool signer = same_key(e->has_signer, e->signer, account);
	if (strcmp(e->kind, "pay") == 0) {
		if (signer)
			return "out";
		if (same_key(e->has_counter, e->counter, account))
			return "taken";
		return "in";
	}
	if (strcmp(e->kind, "refund") == 0)
		return signer ? "out" : "in";
	if (strcmp(e->kind, "issue") == 0)
		return "in";
	if (strcmp(e->kind, "reverse_issue") == 0 || strcmp(e->kind, "retire_dormant") == 0 ||
	    strcmp(e->kind, "redeem") == 0)
		return "out";
	/* A rejected reconversion gives the credits back; a paid one destroys
	 * credits that left the balance when the redeem was applied. */
	if (strcmp(e->kind, "settle_redemption") == 0 && e->outcome == 2)
		return "in";
	return NULL;
}

bool entry_balance_before(const struct manne_entry *e, const uint8_t *account, uint64_t after, uint64_t *before)
{
	const char *way = direction(e, account);
	/* What these moved is not in the entry: the balance before them is not known from it. */
	if (strcmp(e->kind, "retire_dormant") == 0 || strcmp(e->kind, "recover_account") == 0)
		return false;
	if (way != NULL && strcmp(way, "in") == 0)
		return after >= e->amount && ((*before = after - e->amount), true);
	if (way != NULL && strcmp(way, "out") == 0)
		return !__builtin_add_overflow(after, e->amount, before);
	*before = after;
	return true;
}

static const char *const reason_words[] = {"", N_("participation (worksite hours)"), N_("allowance (food allowance)"),
					   N_("purchase (euros paid in)"), N_("grant")};
static const char *const redemption_states[] = {"", "pending", "paid", "rejected"};
static const char *const redemption_state_words[] = {"", N_("pending: euros to wire"), N_("paid"),
						     N_("rejected: credits returned")};

/* A reconversion: the euros to wire are the amount less the fee fixed when
 * it was asked (SPEC §2). */
static void out_reconversion(const struct cli *c, const struct manne_entry *e)
{
	bool settle = strcmp(e->kind, "settle_redemption") == 0;

	if (strcmp(e->kind, "redeem") != 0 && !settle)
		return;
	if (settle) {
		if (e->has_redeem_txid)
			out_hex(c, "redeem_txid", "reconversion asked in", e->redeem_txid, 32);
		out_str(c, "outcome", NULL, e->outcome == 1 ? "paid" : e->outcome == 2 ? "rejected" : "");
		out_str(c, NULL, "outcome",
			e->outcome == 1 ? _("paid: euros wired, credits destroyed")
					: e->outcome == 2 ? _("rejected: credits returned to the partner") : "");
	} else if (e->redemption_state >= 1 && e->redemption_state <= 3) {
		out_str(c, "redemption_state", NULL, redemption_states[e->redemption_state]);
		out_str(c, NULL, "state", _(redemption_state_words[e->redemption_state]));
	}
	out_euros(c, "fee", "fee kept by the association", e->fee);
	/* Wired once paid; a rejected one has nothing to wire (JSON keeps the figure). */
	if (settle ? e->outcome == 1 : e->redemption_state != 3)
		out_euros(c, "to_wire", settle || e->redemption_state == 2 ? N_("euros wired") : N_("euros to wire"),
			  e->amount - e->fee);
	else
		out_u64(c, "to_wire", NULL, e->amount - e->fee);
}

void out_entry_for(const struct cli *c, const struct manne_entry *e, const uint8_t *account,
		   const uint64_t *balance_after)
{
	/* The ledger names the other party from the reader's side: to a payee,
	 * the payer is both signer and counterparty. */
	bool seen_from_payee = e->has_signer && e->has_counterparty && memcmp(e->signer, e->counterparty, 32) == 0;
	bool party = account != NULL && (same_key(e->has_signer, e->signer, account) ||
					 same_key(e->has_counterparty, e->counterparty, account) ||
					 same_key(e->has_counter, e->counter, account) || seen_from_payee);
	const char *way = party ? direction(e, account) : NULL;
	char text[128];

	out_hex(c, "txid", "txid", e->txid, sizeof(e->txid));
	out_u64(c, "leaf_index", "leaf", e->leaf_index);
	if (e->has_leaf_hash)
		out_hex(c, "leaf_hash", "leaf hash", e->leaf_hash, sizeof(e->leaf_hash));
	out_time(c, "time_ms", "time", e->time_ms);
	out_str(c, "kind", NULL, e->kind);
	out_str(c, NULL, "kind", kind_words(e->kind));
	if (strcmp(e->kind, "fund_reserve") == 0 || strcmp(e->kind, "release_reserve") == 0)
		out_euros(c, "amount", "amount", e->amount);  /* euros into or out of the fund */
	else
		out_amount(c, "amount", way == NULL ? "amount" : NULL, e->amount);
	if (way != NULL) {
		/* For people the amount carries its sign from the account's side. */
		format_amount(text, sizeof(text), e->amount);
		if (!c->json) {
			char signed_text[160];
			snprintf(signed_text, sizeof(signed_text), "%s%s%s", strcmp(way, "out") == 0 ? "-" : strcmp(way, "in") == 0 ? "+" : "",
				 text, strcmp(way, "taken") == 0 ? _(" (taken for the association)") : "");
			out_str(c, NULL, "amount", signed_text);
		}
		out_str(c, "direction", NULL, way);
	}
	if (balance_after != NULL)
		out_amount(c, "balance_after", "balance after", *balance_after);
	if (c->json) {
		if (e->has_signer)
			out_hex(c, "signer", NULL, e->signer, sizeof(e->signer));
		if (e->has_counterparty)
			out_hex(c, "counterparty", NULL, e->counterparty, sizeof(e->counterparty));
	} else if (party) {
		/* The other party, from the reader's side; a board act has none. */
		const uint8_t *other = NULL;
		if (e->has_counterparty && !same_key(true, e->counterparty, account))
			other = e->counterparty;
		else if (e->has_signer && !same_key(true, e->signer, account))
			other = e->signer;
		if (other != NULL)
			out_hex(c, NULL,
				way != NULL && strcmp(way, "out") == 0 ? N_("to") : way != NULL ? N_("from") : N_("other party"),
				other, 32);
		else if (!e->has_signer)
			out_str(c, NULL, "by", _("the association's board"));
	} else {
		if (e->has_signer)
			out_hex(c, NULL, "signed by", e->signer, sizeof(e->signer));
		if (e->has_counterparty)
			out_hex(c, NULL,
				strcmp(e->kind, "settle_redemption") == 0 || strcmp(e->kind, "redeem") == 0 ? N_("partner")
													 : N_("other party"),
				e->counterparty, sizeof(e->counterparty));
	}
	if (e->has_counter)
		out_hex(c, "counter", "taken at counter", e->counter, sizeof(e->counter));
	out_reconversion(c, e);
	if (e->memo[0] != '\0' || c->json)
		out_str(c, "memo", "memo", e->memo);
	if (e->payee_reference[0] != '\0' || c->json)
		out_str(c, "payee_reference", "payee reference", e->payee_reference);
	if (e->programme[0] != '\0' || c->json)
		out_str(c, "programme", "programme", e->programme);
	if (e->reference[0] != '\0' || c->json)
		out_str(c, "reference", strcmp(e->kind, "settle_redemption") == 0 ? N_("bank reference") : N_("reference"),
			e->reference);
	if (e->issue_reason != 0 || c->json)
		out_u64(c, "issue_reason", NULL, (uint64_t)e->issue_reason);
	if (e->issue_reason >= 1 && e->issue_reason <= 4) {
		out_str(c, "issue_reason_name", NULL, reason_words[e->issue_reason]);
		out_str(c, NULL, "issue reason", _(reason_words[e->issue_reason]));
	}
}

void out_entry(const struct cli *c, const struct manne_entry *e)
{
	out_entry_for(c, e, NULL, NULL);
}

void out_checkpoint(const struct cli *c, const struct manne_checkpoint *cp)
{
	const struct manne_totals *t = &cp->totals;

	out_str(c, "origin", "ledger", cp->origin);
	out_u64(c, "tree_size", "tree size", cp->tree_size);
	out_hex(c, "root", "root", cp->root, sizeof(cp->root));
	out_amount(c, "issued", "issued", t->issued);
	out_amount(c, "retired", "retired", t->retired);
	out_amount(c, "reconverted", "reconverted", t->reconverted);
	out_euros(c, "fees", "fees", t->fees);
	out_amount(c, "pending", "pending", t->pending);
	out_euros(c, "funded", "funded", t->funded);
	out_euros(c, "paid_out", "paid out", t->paid_out);
	out_euros(c, "released", "released", t->released);
	out_amount(c, "outstanding", "outstanding", t->outstanding);
	out_euros(c, "reserve", "reserve", t->reserve);
	out_str(c, "note", NULL, cp->note);
}
