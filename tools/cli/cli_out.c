/*
 * cli_out.c: what the CLI prints. For people: "label: value" lines, amounts
 * in Manne. With --json: exactly one JSON object on stdout, amounts in
 * centimes, keys and hashes in hex, so that scripts never parse prose.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"

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

void out_str(const struct cli *c, const char *k, const char *label, const char *value)
{
	if (c->json) {
		key(k);
		json_string(value);
	} else if (label != NULL) {
		printf("%s: %s\n", label, value);
	}
}

void out_u64(const struct cli *c, const char *k, const char *label, uint64_t value)
{
	if (c->json) {
		key(k);
		printf("%llu", (unsigned long long)value);
	} else if (label != NULL) {
		printf("%s: %llu\n", label, (unsigned long long)value);
	}
}

void format_amount(char *out, size_t size, uint64_t centimes)
{
	snprintf(out, size, "%llu.%02llu Manne", (unsigned long long)(centimes / 100),
		 (unsigned long long)(centimes % 100));
}

void out_amount(const struct cli *c, const char *k, const char *label, uint64_t centimes)
{
	char text[48];

	if (c->json) {
		out_u64(c, k, NULL, centimes);
		return;
	}
	format_amount(text, sizeof(text), centimes);
	if (label != NULL)
		printf("%s: %s\n", label, text);
}

void out_bool(const struct cli *c, const char *k, const char *label, bool value)
{
	if (c->json) {
		key(k);
		fputs(value ? "true" : "false", stdout);
	} else if (label != NULL) {
		printf("%s: %s\n", label, value ? "yes" : "no");
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

void out_time(const struct cli *c, const char *k, const char *label, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000U);
	struct tm tm;
	char when[64];

	if (c->json) {
		out_u64(c, k, NULL, ms);
		return;
	}
	if (ms / 1000U > 253402300799ULL || gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof(when), "%llu ms", (unsigned long long)ms);
	if (label != NULL)
		printf("%s: %s\n", label, when);
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
		printf(r->duplicate ? "%s: already in the log (original receipt)\n" : "%s: applied\n", kind);
	out_hex(c, "txid", "txid", r->txid, sizeof(r->txid));
	out_u64(c, "leaf_index", "leaf", r->leaf_index);
	out_hex(c, "leaf_hash", "leaf hash", r->leaf_hash, sizeof(r->leaf_hash));
	out_time(c, "time_ms", "time", r->time_ms);
	out_bool(c, "duplicate", NULL, r->duplicate);
	out_str(c, "checkpoint", NULL, r->checkpoint);
}

/* Which way an entry moved the viewing account's credits: "in", "out",
 * "taken" (a counter's, for the association), or NULL (none, or not known
 * from the entry: a settlement). */
static const char *direction(const struct manne_entry *e, const uint8_t *account)
{
	bool signer = e->has_signer && memcmp(e->signer, account, 32) == 0;
	if (strcmp(e->kind, "pay") == 0) {
		if (signer)
			return "out";
		if (e->has_counter && memcmp(e->counter, account, 32) == 0)
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
	return NULL;
}

static const char *const reason_words[] = {"", "participation (worksite hours)", "allowance (food allowance)",
					   "purchase (euros paid in)", "grant"};

void out_entry_for(const struct cli *c, const struct manne_entry *e, const uint8_t *account)
{
	const char *way = account != NULL ? direction(e, account) : NULL;
	char text[64];
	out_hex(c, "txid", "txid", e->txid, sizeof(e->txid));
	out_u64(c, "leaf_index", "leaf", e->leaf_index);
	out_time(c, "time_ms", "time", e->time_ms);
	out_str(c, "kind", "kind", e->kind);
	out_amount(c, "amount", way == NULL ? "amount" : NULL, e->amount);
	if (way != NULL) {
		/* For people the amount carries its sign from the account's side. */
		format_amount(text, sizeof(text), e->amount);
		if (!c->json)
			printf("amount: %s%s%s\n", strcmp(way, "out") == 0 ? "-" : strcmp(way, "in") == 0 ? "+" : "", text,
			       strcmp(way, "taken") == 0 ? " (taken for the association)" : "");
		if (c->json)
			out_str(c, "direction", NULL, way);
	}
	if (e->has_signer)
		out_hex(c, "signer", "signer", e->signer, sizeof(e->signer));
	if (e->has_counterparty)
		out_hex(c, "counterparty", "counterparty", e->counterparty, sizeof(e->counterparty));
	if (e->has_counter)
		out_hex(c, "counter", "taken at counter", e->counter, sizeof(e->counter));
	if (e->memo[0] != '\0' || c->json)
		out_str(c, "memo", "memo", e->memo);
	if (e->payee_reference[0] != '\0' || c->json)
		out_str(c, "payee_reference", "payee reference", e->payee_reference);
	if (e->programme[0] != '\0' || c->json)
		out_str(c, "programme", "programme", e->programme);
	if (e->reference[0] != '\0' || c->json)
		out_str(c, "reference", "reference", e->reference);
	if (e->issue_reason != 0 || c->json)
		out_u64(c, "issue_reason", NULL, (uint64_t)e->issue_reason);
	if (e->issue_reason >= 1 && e->issue_reason <= 4)
		out_str(c, "issue_reason_name", "issue reason", reason_words[e->issue_reason]);
}

void out_entry(const struct cli *c, const struct manne_entry *e)
{
	out_entry_for(c, e, NULL);
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
	out_amount(c, "fees", "fees", t->fees);
	out_amount(c, "pending", "pending", t->pending);
	out_amount(c, "funded", "funded", t->funded);
	out_amount(c, "paid_out", "paid out", t->paid_out);
	out_amount(c, "released", "released", t->released);
	out_amount(c, "outstanding", "outstanding", t->outstanding);
	out_amount(c, "reserve", "reserve", t->reserve);
	out_str(c, "note", NULL, cp->note);
}
