/*
 * test_wire_strict.c: the strict protobuf check and the arena allocator.
 *
 * Every refusal is paired with the same bytes with the defect repaired, which
 * must pass: a check that refused everything would otherwise look perfect.
 * Accepted bytes are also decoded by protobuf-c, since the check promises
 * that what it accepts decodes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "manne.pb-c.h"
#include "ledger/core/wire_strict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct wire_limit test_limits[] = {
	{ &manne__pay__descriptor, 3, 80 },
	{ &manne__pay__descriptor, 4, 16 },
	{ &manne__tx_body__descriptor, 1, 128 },
	{ &manne__signed_tx__descriptor, 1, 4096 },
};

static const struct wire_rules rules = {
	.limits = test_limits,
	.limit_count = sizeof(test_limits) / sizeof(test_limits[0]),
	.default_max = 256,
	.depth_max = 4,
};

/* ------------------------------------------------------------------ */
/* Helpers */

/* Checked from an exact-size heap copy, so a read past the end trips ASan. */
static int check_copy(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t n,
		      const struct wire_rules *r)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	if (n)
		memcpy(copy, b, n);
	rc = wire_strict_check(d, copy, n, r);
	free(copy);
	return rc;
}

static void expect(const ProtobufCMessageDescriptor *d, const struct wire_rules *r, const uint8_t *b,
		   size_t n, int want, const char *what, const char *file, int line)
{
	int rc = check_copy(d, b, n, r);

	if (rc != want)
		print_error("%s:%d: %s: wire_strict_check gave %d, expected %d\n", file, line, what,
			    rc, want);
	_assert_int_equal(cast_to_largest_integral_type(rc), cast_to_largest_integral_type(want),
			  file, line);
	/* Hand-made descriptors below have no message_init and cannot be decoded. */
	if (want == 0 && d->message_init != NULL) {
		ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, n, b);

		_assert_true(cast_ptr_to_largest_integral_type(m), "protobuf-c decodes what passed",
			     file, line);
		protobuf_c_message_free_unpacked(m, NULL);
	}
}

#define EXPECT_RULES(d, r, b, n, want, what) expect(d, r, b, n, want, what, __FILE__, __LINE__)
#define EXPECT(d, b, n, want, what) EXPECT_RULES(d, &rules, b, n, want, what)
#define REFUSE(d, ...)                                                                      \
	do {                                                                                \
		static const uint8_t b_[] = { __VA_ARGS__ };                               \
		EXPECT(d, b_, sizeof(b_), -1, #__VA_ARGS__);                                \
	} while (0)
#define ACCEPT(d, ...)                                                                      \
	do {                                                                                \
		static const uint8_t b_[] = { __VA_ARGS__ };                               \
		EXPECT(d, b_, sizeof(b_), 0, #__VA_ARGS__);                                 \
	} while (0)

#define TXBODY (&manne__tx_body__descriptor)

/* A byte builder for hand-made messages. */
struct bb {
	uint8_t b[1024];
	size_t n;
};

static void bb_bytes(struct bb *o, const void *p, size_t n)
{
	assert_true(n <= sizeof(o->b) - o->n);
	if (n)
		memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void bb_varint(struct bb *o, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;

		v >>= 7;
		if (v)
			c |= 0x80;
		bb_bytes(o, &c, 1);
	} while (v);
}

static void bb_tag(struct bb *o, uint32_t field, unsigned wire_type)
{
	bb_varint(o, ((uint64_t)field << 3) | wire_type);
}

static void bb_len(struct bb *o, uint32_t field, const void *p, size_t n)
{
	bb_tag(o, field, 2);
	bb_varint(o, n);
	bb_bytes(o, p, n);
}

static void bb_sub(struct bb *o, uint32_t field, const struct bb *sub)
{
	bb_len(o, field, sub->b, sub->n);
}

/* TxBody field numbers. */
enum {
	F_ORIGIN = 1,
	F_GENESIS_ID = 2,
	F_ACCOUNT = 3,
	F_BOARD = 4,
	F_SEQUENCE = 5,
	F_NONCE = 6,
	F_LAST_VALID = 7,
	F_GENESIS = 16,
	F_OPEN_ACCOUNT = 17,
	F_ISSUE = 23,
	F_PAY = 26,
	F_REFUND = 27,
};

/* TxBody { pay { <field> = s } } */
static void pay_string(struct bb *o, uint32_t field, const void *s, size_t n)
{
	struct bb pay = { .n = 0 };

	bb_len(&pay, field, s, n);
	o->n = 0;
	bb_sub(o, F_PAY, &pay);
}

static uint8_t *pack_alloc(const ProtobufCMessage *m, size_t *n)
{
	uint8_t *b;

	*n = protobuf_c_message_get_packed_size(m);
	b = malloc(*n ? *n : 1);
	assert_non_null(b);
	assert_int_equal(protobuf_c_message_pack(m, b), *n);
	return b;
}

static uint8_t genesis_id[32], account[32], payee[32], nonce[16];
static uint8_t board_key[3][32], checkpoint_key[32], association_key[32];
static uint8_t sig_key[2][32], sig[2][64], reference[8];

static int setup_data(void **state)
{
	(void)state;
	memset(genesis_id, 0x11, sizeof(genesis_id));
	memset(account, 0x22, sizeof(account));
	memset(payee, 0x33, sizeof(payee));
	memset(nonce, 0x44, sizeof(nonce));
	for (int i = 0; i < 3; i++)
		memset(board_key[i], 0x50 + i, sizeof(board_key[i]));
	memset(checkpoint_key, 0x66, sizeof(checkpoint_key));
	memset(association_key, 0x77, sizeof(association_key));
	for (int i = 0; i < 2; i++) {
		memset(sig_key[i], 0x80 + i, sizeof(sig_key[i]));
		memset(sig[i], 0x90 + i, sizeof(sig[i]));
	}
	memset(reference, 0xa5, sizeof(reference));
	return 0;
}

#define BIN(a) ((ProtobufCBinaryData){ .len = sizeof(a), .data = (a) })

/* Which TxBody fields build_pay_body sets, in field-number order. */
enum {
	PB_ORIGIN = 1 << 0,
	PB_GENESIS_ID = 1 << 1,
	PB_ACCOUNT = 1 << 2,
	PB_SEQUENCE = 1 << 3,
	PB_LAST_VALID = 1 << 4,
	PB_PAY = 1 << 5,
	PB_ALL = (1 << 6) - 1,
};

static const char pay_memo[] = "pain, fromage \xe2\x80\x94 2 kg";

static uint8_t *build_pay_body(unsigned fields, size_t *n)
{
	Manne__Pay pay = MANNE__PAY__INIT;
	Manne__TxBody body = MANNE__TX_BODY__INIT;
	char memo[sizeof(pay_memo)], ref[] = "A-17", origin[] = "manne.example/ledger";

	memcpy(memo, pay_memo, sizeof(memo));
	pay.payee = BIN(payee);
	pay.amount = 1234;
	pay.memo = memo;
	pay.payee_reference = ref;
	if (fields & PB_ORIGIN)
		body.origin = origin;
	if (fields & PB_GENESIS_ID)
		body.genesis_id = BIN(genesis_id);
	if (fields & PB_ACCOUNT) {
		body.signer_case = MANNE__TX_BODY__SIGNER_ACCOUNT;
		body.account = BIN(account);
	}
	if (fields & PB_SEQUENCE)
		body.sequence = 7;
	if (fields & PB_LAST_VALID)
		body.last_valid_ms = UINT64_C(1767225600000);
	if (fields & PB_PAY) {
		body.kind_case = MANNE__TX_BODY__KIND_PAY;
		body.pay = &pay;
	}
	return pack_alloc(&body.base, n);
}

static uint8_t *build_genesis_body(size_t *n)
{
	Manne__DayRules day = MANNE__DAY_RULES__INIT;
	Manne__Genesis genesis = MANNE__GENESIS__INIT;
	Manne__TxBody body = MANNE__TX_BODY__INIT;
	ProtobufCBinaryData keys[3] = { BIN(board_key[0]), BIN(board_key[1]), BIN(board_key[2]) };
	char origin[] = "manne.example/ledger";

	day.utc_offset_minutes = -720;
	day.eu_summer_time = 1;
	genesis.n_board_keys = 3;
	genesis.board_keys = keys;
	genesis.threshold = 2;
	genesis.checkpoint_key = BIN(checkpoint_key);
	genesis.association_key = BIN(association_key);
	genesis.day_rules = &day;
	genesis.fee_bp = 150;
	body.origin = origin;
	body.signer_case = MANNE__TX_BODY__SIGNER_BOARD;
	body.board = 1;
	body.nonce = BIN(nonce);
	body.kind_case = MANNE__TX_BODY__KIND_GENESIS;
	body.genesis = &genesis;
	return pack_alloc(&body.base, n);
}

static uint8_t *build_open_account_body(size_t *n)
{
	Manne__OpenAccount open = MANNE__OPEN_ACCOUNT__INIT;
	Manne__TxBody body = MANNE__TX_BODY__INIT;
	char origin[] = "manne.example/ledger";

	open.key = BIN(account);
	open.role = MANNE__ROLE__ROLE_SHOP;
	open.max_payment = 5000;
	open.max_daily = 20000;
	open.card_held = 1;
	open.reference = BIN(reference);
	body.origin = origin;
	body.genesis_id = BIN(genesis_id);
	body.signer_case = MANNE__TX_BODY__SIGNER_BOARD;
	body.board = 1;
	body.nonce = BIN(nonce);
	body.last_valid_ms = 99;
	body.kind_case = MANNE__TX_BODY__KIND_OPEN_ACCOUNT;
	body.open_account = &open;
	return pack_alloc(&body.base, n);
}

/* which: bit 0 the body, bits 1 and 2 each signature. */
static uint8_t *build_signed_tx(unsigned which, size_t *n)
{
	Manne__SignedTx tx = MANNE__SIGNED_TX__INIT;
	Manne__Signature s[2] = { MANNE__SIGNATURE__INIT, MANNE__SIGNATURE__INIT };
	Manne__Signature *sp[2];
	size_t body_len, k = 0;
	uint8_t *body = build_genesis_body(&body_len);
	uint8_t *out;

	for (int i = 0; i < 2; i++) {
		s[i].key = BIN(sig_key[i]);
		s[i].signature = BIN(sig[i]);
		if (which & (2U << i))
			sp[k++] = &s[i];
	}
	if (which & 1)
		tx.body = (ProtobufCBinaryData){ .len = body_len, .data = body };
	tx.n_signatures = k;
	tx.signatures = sp;
	out = pack_alloc(&tx.base, n);
	free(body);
	return out;
}

/* ------------------------------------------------------------------ */
/* Valid messages */

static void test_valid_messages(void **state)
{
	uint8_t *b, *inner;
	size_t n, inner_n;
	Manne__TxBody *body;
	Manne__SignedTx *tx;

	(void)state;
	b = build_pay_body(PB_ALL, &n);
	EXPECT(TXBODY, b, n, 0, "pay");
	body = manne__tx_body__unpack(NULL, n, b);
	assert_non_null(body);
	assert_int_equal(body->kind_case, MANNE__TX_BODY__KIND_PAY);
	assert_string_equal(body->pay->memo, pay_memo);
	manne__tx_body__free_unpacked(body, NULL);
	free(b);

	b = build_genesis_body(&n);
	EXPECT(TXBODY, b, n, 0, "genesis");
	free(b);

	b = build_open_account_body(&n);
	EXPECT(TXBODY, b, n, 0, "open_account");
	free(b);

	b = build_signed_tx(7, &n);
	EXPECT(&manne__signed_tx__descriptor, b, n, 0, "signed tx");
	tx = manne__signed_tx__unpack(NULL, n, b);
	assert_non_null(tx);
	assert_int_equal(tx->n_signatures, 2);
	inner = build_genesis_body(&inner_n);
	assert_int_equal(tx->body.len, inner_n);
	assert_memory_equal(tx->body.data, inner, inner_n);
	EXPECT(TXBODY, tx->body.data, tx->body.len, 0, "signed body");
	free(inner);
	manne__signed_tx__free_unpacked(tx, NULL);
	free(b);

	/* The empty message is well formed: proto3 reads it as all defaults. */
	assert_int_equal(wire_strict_check(TXBODY, NULL, 0, &rules), 0);
}

/* ------------------------------------------------------------------ */
/* One refusal rule per test */

static void test_unknown_field(void **state)
{
	(void)state;
	REFUSE(TXBODY, 0x40, 0x01);                   /* field 8, in the gap before 16 */
	ACCEPT(TXBODY, 0x38, 0x01);                   /* field 7 */
	REFUSE(TXBODY, 0x78, 0x01);                   /* field 15 */
	REFUSE(TXBODY, 0x9a, 0x02, 0x00);             /* field 35, one past set_card */
	ACCEPT(TXBODY, 0x92, 0x02, 0x00);             /* field 34, set_card */
	ACCEPT(TXBODY, 0x8a, 0x02, 0x00);             /* field 33, void_tx */
	REFUSE(TXBODY, 0xd2, 0x01, 0x02, 0x30, 0x01); /* pay { field 6 } */
	ACCEPT(TXBODY, 0xd2, 0x01, 0x02, 0x2a, 0x00); /* pay { counter } */
	ACCEPT(TXBODY, 0xd2, 0x01, 0x02, 0x10, 0x01); /* pay { amount } */
	REFUSE(TXBODY, 0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01); /* the largest field number */
}

static void test_wrong_wire_type(void **state)
{
	(void)state;
	/* sequence is a uint64: only a varint will do. */
	REFUSE(TXBODY, 0x2a, 0x01, 0x00);
	REFUSE(TXBODY, 0x29, 1, 0, 0, 0, 0, 0, 0, 0);
	REFUSE(TXBODY, 0x2d, 1, 0, 0, 0);
	ACCEPT(TXBODY, 0x28, 0x01);
	/* origin is a string */
	REFUSE(TXBODY, 0x08, 0x01);
	REFUSE(TXBODY, 0x0d, 'a', 'b', 'c', 'd');
	ACCEPT(TXBODY, 0x0a, 0x01, 'a');
	/* pay is a message */
	REFUSE(TXBODY, 0xd0, 0x01, 0x00);
	ACCEPT(TXBODY, 0xd2, 0x01, 0x00);
	/* A singular bool is not a packed run. */
	REFUSE(TXBODY, 0x22, 0x01, 0x01);
	ACCEPT(TXBODY, 0x20, 0x01);
	/* A repeated bytes field is not packable either: each element is its own record. */
	REFUSE(&manne__genesis__descriptor, 0x08, 0x01);
	ACCEPT(&manne__genesis__descriptor, 0x0a, 0x01, 0x01);
}

static void test_singular_twice(void **state)
{
	(void)state;
	REFUSE(TXBODY, 0x28, 0x01, 0x28, 0x02);
	REFUSE(TXBODY, 0x28, 0x01, 0x28, 0x01); /* even with the same value */
	ACCEPT(TXBODY, 0x28, 0x01, 0x38, 0x02);
	REFUSE(TXBODY, 0x0a, 0x01, 'a', 0x0a, 0x01, 'b');
	ACCEPT(TXBODY, 0x0a, 0x01, 'a', 0x12, 0x01, 'b');
	/* protobuf-c would merge two copies of a message */
	REFUSE(TXBODY, 0xd2, 0x01, 0x00, 0xd2, 0x01, 0x00);
	ACCEPT(TXBODY, 0xd2, 0x01, 0x00);
	REFUSE(TXBODY, 0xd2, 0x01, 0x04, 0x10, 0x01, 0x10, 0x02);
	ACCEPT(TXBODY, 0xd2, 0x01, 0x04, 0x10, 0x01, 0x1a, 0x00);
	/* Repeated fields may repeat. */
	ACCEPT(TXBODY, 0x82, 0x01, 0x06, 0x0a, 0x01, 0xaa, 0x0a, 0x01, 0xbb);
	ACCEPT(&manne__signed_tx__descriptor, 0x12, 0x00, 0x12, 0x00, 0x0a, 0x00);
	REFUSE(&manne__signed_tx__descriptor, 0x12, 0x00, 0x0a, 0x00, 0x0a, 0x00);
}

static void test_oneof(void **state)
{
	(void)state;
	/* kind: pay and issue */
	REFUSE(TXBODY, 0xd2, 0x01, 0x00, 0xba, 0x01, 0x00);
	REFUSE(TXBODY, 0xba, 0x01, 0x00, 0xd2, 0x01, 0x00);
	ACCEPT(TXBODY, 0xd2, 0x01, 0x00);
	ACCEPT(TXBODY, 0xba, 0x01, 0x00);
	/* signer: account and board, either order */
	REFUSE(TXBODY, 0x1a, 0x01, 0xaa, 0x20, 0x01);
	REFUSE(TXBODY, 0x20, 0x01, 0x1a, 0x01, 0xaa);
	REFUSE(TXBODY, 0x20, 0x00, 0x1a, 0x00); /* zero values are still members */
	ACCEPT(TXBODY, 0x1a, 0x01, 0xaa);
	ACCEPT(TXBODY, 0x20, 0x01);
	/* One member of each oneof is fine. */
	ACCEPT(TXBODY, 0x1a, 0x01, 0xaa, 0xd2, 0x01, 0x00);
	ACCEPT(TXBODY, 0x20, 0x01, 0x82, 0x01, 0x00);
}

static void test_truncated_varint(void **state)
{
	(void)state;
	REFUSE(TXBODY, 0x28, 0x81);
	ACCEPT(TXBODY, 0x28, 0x81, 0x01);
	REFUSE(TXBODY, 0x28); /* tag without its value */
	REFUSE(TXBODY, 0xd2); /* a tag cut short */
	ACCEPT(TXBODY, 0xd2, 0x01, 0x00);
	REFUSE(TXBODY, 0x0a, 0x80); /* a length cut short */
	ACCEPT(TXBODY, 0x0a, 0x80, 0x00);
	REFUSE(TXBODY, 0xd2, 0x01, 0x02, 0x10, 0x81); /* inside a nested message */
	ACCEPT(TXBODY, 0xd2, 0x01, 0x03, 0x10, 0x81, 0x01);
}

static void test_long_varint(void **state)
{
	(void)state;
	/* 11 bytes */
	REFUSE(TXBODY, 0x28, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
	/* 10 bytes: the longest there is, even padded */
	ACCEPT(TXBODY, 0x28, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
	ACCEPT(TXBODY, 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	/* 10 bytes but 65 bits */
	REFUSE(TXBODY, 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02);
	/* protobuf-c reads tags and lengths of five bytes at most */
	REFUSE(TXBODY, 0xa8, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01);
	ACCEPT(TXBODY, 0xa8, 0x80, 0x80, 0x80, 0x00, 0x01);
	REFUSE(TXBODY, 0x0a, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 'a');
	ACCEPT(TXBODY, 0x0a, 0x81, 0x80, 0x80, 0x80, 0x00, 'a');
	/* a tag over 32 bits, which protobuf-c would truncate */
	REFUSE(TXBODY, 0xa8, 0x80, 0x80, 0x80, 0x10, 0x01);
}

static void test_length_past_end(void **state)
{
	(void)state;
	REFUSE(TXBODY, 0x0a, 0x05, 'a', 'b');
	REFUSE(TXBODY, 0x0a, 0x03, 'a', 'b');
	ACCEPT(TXBODY, 0x0a, 0x02, 'a', 'b');
	REFUSE(TXBODY, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a');
	REFUSE(TXBODY, 0x0a, 0x80, 0x80, 0x80, 0x80, 0x10, 'a'); /* 2^32 */
	/* a nested message past the end */
	REFUSE(TXBODY, 0xd2, 0x01, 0x04, 0x10, 0x01);
	ACCEPT(TXBODY, 0xd2, 0x01, 0x02, 0x10, 0x01);
	/* a field running past the end of its message, though not of the buffer */
	REFUSE(TXBODY, 0xd2, 0x01, 0x03, 0x1a, 0x05, 'a', 'b', 'c', 'd', 'e');
	ACCEPT(TXBODY, 0xd2, 0x01, 0x07, 0x1a, 0x05, 'a', 'b', 'c', 'd', 'e');
}

struct text {
	const char *s;
	size_t n;
	const char *why;
};

#define T(lit, why) { lit, sizeof(lit) - 1, why }

static const struct text bad_utf8[] = {
	T("\xc0\xaf", "overlong '/' (2 bytes)"),
	T("\xc1\xbf", "overlong U+007F"),
	T("\xe0\x80\xaf", "overlong '/' (3 bytes)"),
	T("\xe0\x9f\xbf", "overlong U+07FF"),
	T("\xf0\x80\x80\xaf", "overlong '/' (4 bytes)"),
	T("\xf0\x8f\xbf\xbf", "overlong U+FFFF"),
	T("\xed\xa0\x80", "surrogate U+D800"),
	T("\xed\xbf\xbf", "surrogate U+DFFF"),
	T("\xed\xa0\xbd\xed\xb8\x80", "surrogate pair (CESU-8)"),
	T("\xf4\x90\x80\x80", "U+110000"),
	T("\xf5\x80\x80\x80", "lead F5"),
	T("\xfe", "FE"),
	T("\xff", "FF"),
	T("\xc3", "truncated 2-byte"),
	T("caf\xc3", "truncated 2-byte at the end"),
	T("\xe2\x82", "truncated 3-byte"),
	T("\xf0\x9f\x8d", "truncated 4-byte"),
	T("\xef\xbf", "truncated U+FFFF"),
	T("\xf4\x8f\xbf", "truncated U+10FFFF"),
	T("\xc3" "a", "lead then ASCII"),
	T("\x80", "lone continuation"),
	T("a\xbf" "b", "continuation in ASCII"),
};

static const struct text good_utf8[] = {
	T("", "empty"),
	T("caf\xc3\xa9", "e acute"),
	T("\xe2\x82\xac", "euro sign"),
	T("\xf0\x9f\x8d\x9e", "bread, 4 bytes"),
	T("\xdf\xbf", "U+07FF"),
	T("\xe0\xa0\x80", "U+0800"),
	T("\xed\x9f\xbf", "U+D7FF"),
	T("\xee\x80\x80", "U+E000"),
	T("\xef\xbf\xbf", "U+FFFF"),
	T("\xf0\x90\x80\x80", "U+10000"),
	T("\xf4\x8f\xbf\xbf", "U+10FFFF"),
	T("\xc2\xa0", "U+00A0"),
};

static const struct text control[] = {
	T("\x00", "NUL"),
	T("a\x00" "b", "NUL inside"),
	T("\x01", "SOH"),
	T("\t", "TAB"),
	T("a\nb", "LF"),
	T("\r", "CR"),
	T("\x1b[2J", "ESC"),
	T("\x1f", "U+001F"),
	T("\x7f", "DEL"),
	T("\xc2\x80", "U+0080"),
	T("\xc2\x85", "U+0085 NEL"),
	T("\xc2\x9b", "U+009B CSI"),
	T("\xc2\x9f", "U+009F"),
};

static const struct text printable[] = {
	T(" ", "space"),
	T("~", "tilde"),
	T("a b", "inner space"),
	T("\xc2\xa0", "U+00A0"),
	T("\xc2\xa1", "U+00A1"),
};

static void expect_texts(const struct text *t, size_t count, int want)
{
	struct bb b;

	for (size_t i = 0; i < count; i++) {
		pay_string(&b, 3, t[i].s, t[i].n);
		EXPECT(TXBODY, b.b, b.n, want, t[i].why);
		b.n = 0;
		bb_len(&b, F_ORIGIN, t[i].s, t[i].n);
		EXPECT(TXBODY, b.b, b.n, want, t[i].why);
	}
}

static void test_bad_utf8(void **state)
{
	(void)state;
	expect_texts(bad_utf8, sizeof(bad_utf8) / sizeof(bad_utf8[0]), -1);
	expect_texts(good_utf8, sizeof(good_utf8) / sizeof(good_utf8[0]), 0);
}

static void test_control_characters(void **state)
{
	(void)state;
	expect_texts(control, sizeof(control) / sizeof(control[0]), -1);
	expect_texts(printable, sizeof(printable) / sizeof(printable[0]), 0);
	/* Bytes fields carry anything. */
	ACCEPT(TXBODY, 0x12, 0x03, 0x00, 0x7f, 0xff);
}

static void test_unknown_enum(void **state)
{
	(void)state;
	/* open_account { role } */
	REFUSE(TXBODY, 0x8a, 0x01, 0x02, 0x10, 0x07);
	ACCEPT(TXBODY, 0x8a, 0x01, 0x02, 0x10, 0x06);
	ACCEPT(TXBODY, 0x8a, 0x01, 0x02, 0x10, 0x00);
	/* -1 */
	REFUSE(TXBODY, 0x8a, 0x01, 0x0b, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	       0xff, 0x01);
	/* 2^32 + 2, which protobuf-c would truncate to ROLE_SHOP */
	REFUSE(TXBODY, 0x8a, 0x01, 0x06, 0x10, 0x82, 0x80, 0x80, 0x80, 0x10);
	ACCEPT(TXBODY, 0x8a, 0x01, 0x06, 0x10, 0x82, 0x80, 0x80, 0x80, 0x00);
	/* issue { reason } */
	REFUSE(TXBODY, 0xba, 0x01, 0x02, 0x18, 0x05);
	ACCEPT(TXBODY, 0xba, 0x01, 0x02, 0x18, 0x04);
}

static void test_bool_range(void **state)
{
	(void)state;
	REFUSE(TXBODY, 0x20, 0x02);
	ACCEPT(TXBODY, 0x20, 0x01);
	ACCEPT(TXBODY, 0x20, 0x00);
	ACCEPT(TXBODY, 0x20, 0x81, 0x00); /* 1, padded */
	/* 2^32 + 1: protobuf-c would read true */
	REFUSE(TXBODY, 0x20, 0x81, 0x80, 0x80, 0x80, 0x10);
	/* genesis { day_rules { eu_summer_time } } */
	REFUSE(TXBODY, 0x82, 0x01, 0x04, 0x2a, 0x02, 0x10, 0x02);
	ACCEPT(TXBODY, 0x82, 0x01, 0x04, 0x2a, 0x02, 0x10, 0x01);
	/* open_account { card_held } */
	REFUSE(TXBODY, 0x8a, 0x01, 0x02, 0x28, 0x7f);
	ACCEPT(TXBODY, 0x8a, 0x01, 0x02, 0x28, 0x01);
}

static void test_32_bit_range(void **state)
{
	(void)state;
	/* genesis { threshold }: uint32 */
	REFUSE(TXBODY, 0x82, 0x01, 0x06, 0x10, 0x80, 0x80, 0x80, 0x80, 0x10);
	ACCEPT(TXBODY, 0x82, 0x01, 0x06, 0x10, 0xff, 0xff, 0xff, 0xff, 0x0f);
	/* genesis { day_rules { utc_offset_minutes } }: sint32 */
	REFUSE(TXBODY, 0x82, 0x01, 0x08, 0x2a, 0x06, 0x08, 0x80, 0x80, 0x80, 0x80, 0x10);
	ACCEPT(TXBODY, 0x82, 0x01, 0x08, 0x2a, 0x06, 0x08, 0xff, 0xff, 0xff, 0xff, 0x0f);
}

static void test_length_limits(void **state)
{
	char text[300];
	uint8_t bytes[300];
	struct bb b;
	static const struct wire_rules small_default = {
		.limits = test_limits,
		.limit_count = sizeof(test_limits) / sizeof(test_limits[0]),
		.default_max = 32,
		.depth_max = 4,
	};

	(void)state;
	memset(text, 'x', sizeof(text));
	memset(bytes, 0xee, sizeof(bytes));

	/* Pay.memo: table entry {Pay, 3, 80} */
	pay_string(&b, 3, text, 80);
	EXPECT(TXBODY, b.b, b.n, 0, "memo of 80");
	pay_string(&b, 3, text, 81);
	EXPECT(TXBODY, b.b, b.n, -1, "memo of 81");
	/* Pay.payee_reference: {Pay, 4, 16} */
	pay_string(&b, 4, text, 16);
	EXPECT(TXBODY, b.b, b.n, 0, "payee_reference of 16");
	pay_string(&b, 4, text, 17);
	EXPECT(TXBODY, b.b, b.n, -1, "payee_reference of 17");
	/* Refund.memo is field 3 too, but of another message: the default applies. */
	{
		struct bb refund = { .n = 0 };

		bb_len(&refund, 3, text, 81);
		b.n = 0;
		bb_sub(&b, F_REFUND, &refund);
		EXPECT(TXBODY, b.b, b.n, 0, "refund memo of 81");
		refund.n = 0;
		bb_len(&refund, 3, text, 257);
		b.n = 0;
		bb_sub(&b, F_REFUND, &refund);
		EXPECT(TXBODY, b.b, b.n, -1, "refund memo of 257");
	}
	/* bytes fall under the default */
	b.n = 0;
	bb_len(&b, F_GENESIS_ID, bytes, 256);
	EXPECT(TXBODY, b.b, b.n, 0, "genesis_id of 256");
	b.n = 0;
	bb_len(&b, F_GENESIS_ID, bytes, 257);
	EXPECT(TXBODY, b.b, b.n, -1, "genesis_id of 257");
	b.n = 0;
	bb_len(&b, F_ACCOUNT, bytes, 32);
	EXPECT_RULES(TXBODY, &small_default, b.b, b.n, 0, "account of 32");
	b.n = 0;
	bb_len(&b, F_ACCOUNT, bytes, 33);
	EXPECT_RULES(TXBODY, &small_default, b.b, b.n, -1, "account of 33");
	/* each element of a repeated field */
	{
		struct bb genesis = { .n = 0 };

		bb_len(&genesis, 1, bytes, 32);
		bb_len(&genesis, 1, bytes, 32);
		b.n = 0;
		bb_sub(&b, F_GENESIS, &genesis);
		EXPECT_RULES(TXBODY, &small_default, b.b, b.n, 0, "board keys of 32");
		bb_len(&genesis, 1, bytes, 33);
		b.n = 0;
		bb_sub(&b, F_GENESIS, &genesis);
		EXPECT_RULES(TXBODY, &small_default, b.b, b.n, -1, "board key of 33");
	}
	/* an entry may be larger than the default */
	b.n = 0;
	bb_len(&b, 1, bytes, 300);
	EXPECT_RULES(&manne__signed_tx__descriptor, &small_default, b.b, b.n, 0, "body of 300");
}

static void test_depth(void **state)
{
	struct wire_rules r = rules;
	/* TxBody > genesis > day_rules is three deep */
	static const uint8_t deep[] = { 0x82, 0x01, 0x04, 0x2a, 0x02, 0x10, 0x01 };
	static const uint8_t two[] = { 0x82, 0x01, 0x02, 0x30, 0x01 };
	static const uint8_t one[] = { 0x28, 0x01 };
	static const uint8_t empty_pay[] = { 0xd2, 0x01, 0x00 };

	(void)state;
	r.depth_max = 3;
	EXPECT_RULES(TXBODY, &r, deep, sizeof(deep), 0, "depth 3 of 3");
	r.depth_max = 2;
	EXPECT_RULES(TXBODY, &r, deep, sizeof(deep), -1, "depth 3 of 2");
	EXPECT_RULES(TXBODY, &r, two, sizeof(two), 0, "depth 2 of 2");
	r.depth_max = 1;
	EXPECT_RULES(TXBODY, &r, two, sizeof(two), -1, "depth 2 of 1");
	EXPECT_RULES(TXBODY, &r, empty_pay, sizeof(empty_pay), -1, "an empty message still nests");
	EXPECT_RULES(TXBODY, &r, one, sizeof(one), 0, "depth 1 of 1");
	r.depth_max = 0;
	EXPECT_RULES(TXBODY, &r, one, sizeof(one), -1, "depth 1 of 0");
	assert_int_equal(wire_strict_check(TXBODY, NULL, 0, &r), -1);
}

static void test_groups_and_undefined_wire_types(void **state)
{
	(void)state;
	REFUSE(TXBODY, 0x2b, 0x28, 0x01, 0x2c); /* a group in field 5 */
	REFUSE(TXBODY, 0x2b);
	REFUSE(TXBODY, 0x2c);
	REFUSE(TXBODY, 0xd3, 0x01, 0xd4, 0x01); /* pay as a group */
	REFUSE(TXBODY, 0x2e, 0x01);
	REFUSE(TXBODY, 0x2f, 0x01);
	ACCEPT(TXBODY, 0x28, 0x01);
	ACCEPT(TXBODY, 0xd2, 0x01, 0x00);
}

static void test_field_zero(void **state)
{
	(void)state;
	REFUSE(TXBODY, 0x00, 0x00);
	REFUSE(TXBODY, 0x02, 0x00);
	REFUSE(TXBODY, 0x80, 0x00, 0x00); /* field 0, padded tag */
	REFUSE(TXBODY, 0x28, 0x01, 0x00, 0x00);
	ACCEPT(TXBODY, 0x0a, 0x00);
	ACCEPT(TXBODY, 0x28, 0x01);
}

/* ------------------------------------------------------------------ */
/* Field shapes manne.proto does not use (yet): packed runs, required, int32 */

static const ProtobufCFieldDescriptor synth_fields[] = {
	{ .name = "u32", .id = 1, .label = PROTOBUF_C_LABEL_REPEATED, .type = PROTOBUF_C_TYPE_UINT32,
	  .flags = PROTOBUF_C_FIELD_FLAG_PACKED },
	{ .name = "flag", .id = 2, .label = PROTOBUF_C_LABEL_REPEATED, .type = PROTOBUF_C_TYPE_BOOL,
	  .flags = PROTOBUF_C_FIELD_FLAG_PACKED },
	{ .name = "f32", .id = 3, .label = PROTOBUF_C_LABEL_REPEATED, .type = PROTOBUF_C_TYPE_FIXED32,
	  .flags = PROTOBUF_C_FIELD_FLAG_PACKED },
	{ .name = "role", .id = 4, .label = PROTOBUF_C_LABEL_REPEATED, .type = PROTOBUF_C_TYPE_ENUM,
	  .descriptor = &manne__role__descriptor, .flags = PROTOBUF_C_FIELD_FLAG_PACKED },
	{ .name = "s64", .id = 5, .label = PROTOBUF_C_LABEL_REPEATED, .type = PROTOBUF_C_TYPE_SINT64 },
	{ .name = "f64", .id = 6, .label = PROTOBUF_C_LABEL_REPEATED, .type = PROTOBUF_C_TYPE_DOUBLE,
	  .flags = PROTOBUF_C_FIELD_FLAG_PACKED },
	{ .name = "text", .id = 7, .label = PROTOBUF_C_LABEL_REPEATED, .type = PROTOBUF_C_TYPE_STRING },
	{ .name = "need", .id = 8, .label = PROTOBUF_C_LABEL_REQUIRED, .type = PROTOBUF_C_TYPE_INT32 },
	{ .name = "opt", .id = 9, .label = PROTOBUF_C_LABEL_OPTIONAL, .type = PROTOBUF_C_TYPE_FLOAT },
};

static const ProtobufCIntRange synth_ranges[] = { { 1, 0 }, { 0, 9 } };

static const ProtobufCMessageDescriptor synth = {
	.magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
	.name = "test.Synth",
	.short_name = "Synth",
	.c_name = "Synth",
	.package_name = "test",
	.sizeof_message = sizeof(ProtobufCMessage),
	.n_fields = 9,
	.fields = synth_fields,
	.n_field_ranges = 1,
	.field_ranges = synth_ranges,
};

/* Every synthetic message carries the required field 8 (0x40 0x00) last. */
#define SYNTH (&synth)
#define NEED 0x40, 0x00

static void test_packed(void **state)
{
	(void)state;
	ACCEPT(SYNTH, 0x0a, 0x03, 0x01, 0xac, 0x02, NEED); /* [1, 300] */
	ACCEPT(SYNTH, 0x0a, 0x00, NEED);
	ACCEPT(SYNTH, 0x08, 0x01, 0x08, 0x02, 0x0a, 0x01, 0x03, NEED); /* unpacked, then mixed */
	REFUSE(SYNTH, 0x0a, 0x05, 0x80, 0x80, 0x80, 0x80, 0x10, NEED); /* 2^32 */
	ACCEPT(SYNTH, 0x0a, 0x05, 0xff, 0xff, 0xff, 0xff, 0x0f, NEED);
	REFUSE(SYNTH, 0x0a, 0x02, 0x01, 0x80, NEED); /* a varint cut by the run's end */
	ACCEPT(SYNTH, 0x0a, 0x02, 0x01, 0x01, NEED);
	REFUSE(SYNTH, NEED, 0x0a, 0x03, 0x01, 0x01); /* run past the end */

	ACCEPT(SYNTH, 0x12, 0x02, 0x00, 0x01, NEED);
	REFUSE(SYNTH, 0x12, 0x01, 0x02, NEED);
	REFUSE(SYNTH, 0x12, 0x02, 0x81, 0x00, NEED); /* protobuf-c reads packed bools bytewise */
	ACCEPT(SYNTH, 0x10, 0x81, 0x00, NEED);      /* but a lone one as a varint */

	ACCEPT(SYNTH, 0x1a, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, NEED);
	REFUSE(SYNTH, 0x1a, 0x06, 1, 2, 3, 4, 5, 6, NEED);
	ACCEPT(SYNTH, 0x1d, 1, 2, 3, 4, NEED);
	REFUSE(SYNTH, NEED, 0x1d, 1, 2, 3);
	REFUSE(SYNTH, 0x18, 0x01, NEED);

	ACCEPT(SYNTH, 0x22, 0x02, 0x01, 0x06, NEED);
	REFUSE(SYNTH, 0x22, 0x02, 0x01, 0x07, NEED);
	ACCEPT(SYNTH, 0x20, 0x04, NEED);
	REFUSE(SYNTH, 0x20, 0x07, NEED);

	ACCEPT(SYNTH, 0x2a, 0x02, 0x01, 0x02, NEED); /* packable, though not flagged packed */
	ACCEPT(SYNTH, 0x28, 0x03, NEED);

	ACCEPT(SYNTH, 0x31, 1, 2, 3, 4, 5, 6, 7, 8, NEED);
	REFUSE(SYNTH, NEED, 0x31, 1, 2, 3, 4, 5, 6, 7);
	ACCEPT(SYNTH, 0x32, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, NEED);
	REFUSE(SYNTH, 0x32, 0x04, 1, 2, 3, 4, NEED);
	REFUSE(SYNTH, 0x30, 0x01, NEED);

	ACCEPT(SYNTH, 0x3a, 0x01, 'a', 0x3a, 0x01, 'b', NEED);
	REFUSE(SYNTH, 0x3a, 0x01, 'a', 0x3a, 0x01, 0x01, NEED);
	REFUSE(SYNTH, 0x38, 0x01, NEED);
}

static void test_required_and_int32(void **state)
{
	(void)state;
	assert_int_equal(check_copy(SYNTH, (const uint8_t *)"", 0, &rules), -1);
	REFUSE(SYNTH, 0x08, 0x01);
	ACCEPT(SYNTH, 0x08, 0x01, NEED);
	REFUSE(SYNTH, NEED, NEED);
	ACCEPT(SYNTH, NEED, 0x4d, 0, 0, 0x80, 0x3f);
	REFUSE(SYNTH, NEED, 0x4d, 0, 0, 0x80, 0x3f, 0x4d, 0, 0, 0x80, 0x3f);

	/* int32: negative values are sign-extended to ten bytes */
	ACCEPT(SYNTH, 0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	ACCEPT(SYNTH, 0x40, 0x80, 0x80, 0x80, 0x80, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01);
	REFUSE(SYNTH, 0x40, 0xff, 0xff, 0xff, 0xff, 0xf7, 0xff, 0xff, 0xff, 0xff, 0x01);
	ACCEPT(SYNTH, 0x40, 0xff, 0xff, 0xff, 0xff, 0x07);
	REFUSE(SYNTH, 0x40, 0x80, 0x80, 0x80, 0x80, 0x08);
	REFUSE(SYNTH, 0x40, 0xff, 0xff, 0xff, 0xff, 0x0f); /* -1 in five bytes */
}

static void test_bad_arguments(void **state)
{
	static const uint8_t one[] = { 0x28, 0x01 };
	struct wire_rules r = rules;

	(void)state;
	assert_int_equal(wire_strict_check(NULL, one, sizeof(one), &rules), -1);
	assert_int_equal(wire_strict_check(TXBODY, one, sizeof(one), NULL), -1);
	assert_int_equal(wire_strict_check(TXBODY, NULL, 1, &rules), -1);
	assert_int_equal(wire_strict_check(TXBODY, NULL, 0, &rules), 0);
	r.limits = NULL;
	assert_int_equal(wire_strict_check(TXBODY, one, sizeof(one), &r), -1);
	r.limit_count = 0;
	assert_int_equal(wire_strict_check(TXBODY, one, sizeof(one), &r), 0);
}

/* ------------------------------------------------------------------ */
/* The arena */

static void test_arena_bounds(void **state)
{
	uint8_t raw[128];
	uint8_t *base = raw + 3; /* deliberately misaligned */
	const size_t size = 100;
	struct arena a;
	ProtobufCAllocator al;
	void *first, *p;
	size_t used;
	int count = 0;

	(void)state;
	arena_init(&a, base, size);
	al = arena_allocator(&a);
	assert_ptr_equal(al.allocator_data, &a);

	first = al.alloc(al.allocator_data, 1);
	assert_non_null(first);
	assert_int_equal((uintptr_t)first % 16, 0);
	assert_null(al.alloc(al.allocator_data, SIZE_MAX));
	assert_null(al.alloc(al.allocator_data, SIZE_MAX - 8));
	assert_null(al.alloc(al.allocator_data, size));
	while ((p = al.alloc(al.allocator_data, 7)) != NULL) {
		assert_int_equal((uintptr_t)p % 16, 0);
		assert_true((uint8_t *)p >= base && (uint8_t *)p + 7 <= base + size);
		memset(p, 0xcc, 7);
		count++;
	}
	assert_true(count >= 4);
	assert_true(a.used <= a.size);
	used = a.used;
	al.free(al.allocator_data, first); /* no-op: nothing comes back */
	assert_int_equal(a.used, used);

	arena_reset(&a);
	assert_int_equal(a.used, 0);
	assert_ptr_equal(al.alloc(al.allocator_data, 1), first);
	p = al.alloc(al.allocator_data, 0);
	assert_non_null(p);
	assert_ptr_not_equal(p, first);

	arena_init(&a, NULL, 100);
	assert_int_equal(a.size, 0);
	assert_null(al.alloc(al.allocator_data, 1));
	arena_init(&a, raw, 0);
	assert_null(al.alloc(al.allocator_data, 0));
	assert_null(al.alloc(al.allocator_data, 1));
}

/* What decoding takes from an arena whose base sits `off` bytes past a 16-byte boundary. */
static size_t arena_need(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t n, size_t off)
{
	static uint8_t big[(1 << 16) + 16] __attribute__((aligned(16)));
	struct arena a;
	ProtobufCAllocator al = arena_allocator(&a);
	ProtobufCMessage *m;

	arena_init(&a, big + off, sizeof(big) - 16);
	m = protobuf_c_message_unpack(d, &al, n, b);
	assert_non_null(m);
	assert_true(a.used > 0 && a.used < a.size);
	protobuf_c_message_free_unpacked(m, &al);
	return a.used;
}

/*
 * Unpack under an arena of every size up to what it needs: each smaller one
 * fails cleanly. The buffers are exact-size heap blocks so that a write past
 * the arena trips ASan; malloc's alignment is not assumed, so the need is
 * measured at the same alignment.
 */
static void unpack_sizes(const ProtobufCMessageDescriptor *d, const uint8_t *b, size_t n)
{
	size_t need[16] = { 0 };
	struct arena a;
	ProtobufCAllocator al = arena_allocator(&a);

	assert_int_equal(wire_strict_check(d, b, n, &rules), 0);
	for (size_t size = 0;; size++) {
		uint8_t *mem = malloc(size ? size : 1);
		ProtobufCMessage *m;
		size_t off;

		assert_non_null(mem);
		off = (uintptr_t)mem % 16;
		if (need[off] == 0)
			need[off] = arena_need(d, b, n, off);
		arena_init(&a, mem, size);
		m = protobuf_c_message_unpack(d, &al, n, b);
		assert_true(a.used <= a.size);
		if (size < need[off]) {
			assert_null(m);
			free(mem);
			continue;
		}
		assert_non_null(m);
		assert_int_equal(protobuf_c_message_get_packed_size(m), n);
		protobuf_c_message_free_unpacked(m, &al);
		free(mem);
		break;
	}
}

static void test_arena_unpack(void **state)
{
	uint8_t *b;
	size_t n;
	struct arena a;
	ProtobufCAllocator al;
	static uint8_t mem[1 << 14] __attribute__((aligned(16)));
	Manne__TxBody *body;

	(void)state;
	b = build_pay_body(PB_ALL, &n);
	arena_init(&a, mem, sizeof(mem));
	al = arena_allocator(&a);
	body = manne__tx_body__unpack(&al, n, b);
	assert_non_null(body);
	assert_true((uint8_t *)body >= mem && (uint8_t *)body < mem + sizeof(mem));
	assert_int_equal(body->kind_case, MANNE__TX_BODY__KIND_PAY);
	assert_int_equal(body->pay->amount, 1234);
	assert_string_equal(body->pay->memo, pay_memo);
	assert_memory_equal(body->account.data, account, sizeof(account));
	manne__tx_body__free_unpacked(body, &al);
	/* reuse after reset */
	arena_reset(&a);
	body = manne__tx_body__unpack(&al, n, b);
	assert_non_null(body);
	assert_ptr_equal(body, mem);
	unpack_sizes(TXBODY, b, n);
	free(b);

	b = build_genesis_body(&n);
	unpack_sizes(TXBODY, b, n);
	free(b);
	b = build_signed_tx(7, &n);
	unpack_sizes(&manne__signed_tx__descriptor, b, n);
	free(b);
}

/* ------------------------------------------------------------------ */
/* Truncation */

/*
 * A prefix that ends between two top-level fields is itself a well-formed
 * message (protobuf has no end marker); every other prefix must be refused.
 * The field boundaries come from packing each field alone: protobuf-c packs
 * in field-number order, so the pieces concatenate to the whole.
 */
static void expect_prefixes(const ProtobufCMessageDescriptor *d, const uint8_t *whole, size_t n,
			    const size_t *bounds, size_t n_bounds)
{
	for (size_t p = 0; p < n; p++) {
		bool boundary = false;

		for (size_t i = 0; i < n_bounds; i++)
			boundary |= bounds[i] == p;
		EXPECT(d, whole, p, boundary ? 0 : -1, "prefix");
	}
}

static void test_prefix_truncation(void **state)
{
	static const unsigned parts[] = { PB_ORIGIN, PB_GENESIS_ID, PB_ACCOUNT,
					  PB_SEQUENCE, PB_LAST_VALID, PB_PAY };
	size_t bounds[8], nb = 0, n, at = 0;
	uint8_t *whole, *part;

	(void)state;
	whole = build_pay_body(PB_ALL, &n);
	bounds[nb++] = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t pn;

		part = build_pay_body(parts[i], &pn);
		assert_true(at + pn <= n);
		assert_memory_equal(whole + at, part, pn);
		at += pn;
		bounds[nb++] = at;
		free(part);
	}
	assert_int_equal(at, n);
	expect_prefixes(TXBODY, whole, n, bounds, nb);
	free(whole);

	/* SignedTx: body, signature, signature */
	whole = build_signed_tx(7, &n);
	nb = 0;
	at = 0;
	bounds[nb++] = 0;
	for (unsigned w = 1; w <= 4; w <<= 1) {
		size_t pn;

		part = build_signed_tx(w, &pn);
		assert_memory_equal(whole + at, part, pn);
		at += pn;
		bounds[nb++] = at;
		free(part);
	}
	assert_int_equal(at, n);
	expect_prefixes(&manne__signed_tx__descriptor, whole, n, bounds, nb);
	free(whole);

	/* One top-level field: no proper prefix but the empty one survives. */
	{
		Manne__Pay pay = MANNE__PAY__INIT;
		Manne__TxBody body = MANNE__TX_BODY__INIT;
		char memo[] = "caf\xc3\xa9 \xe2\x82\xac";

		pay.payee = BIN(payee);
		pay.amount = 1;
		pay.memo = memo;
		body.kind_case = MANNE__TX_BODY__KIND_PAY;
		body.pay = &pay;
		whole = pack_alloc(&body.base, &n);
		bounds[0] = 0;
		expect_prefixes(TXBODY, whole, n, bounds, 1);
		EXPECT(TXBODY, whole, n, 0, "whole");
		free(whole);
	}
}

/* ------------------------------------------------------------------ */
/* The fuzz harness under deterministic mutations */

static uint64_t next_random(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static size_t mutate(uint64_t *rng, uint8_t *buf, size_t n, size_t cap)
{
	static const uint8_t interesting[] = { 0x00, 0x01, 0x02, 0x06, 0x0a, 0x12, 0x1a, 0x20,
					       0x28, 0x7f, 0x80, 0x81, 0xc2, 0xd2, 0xed, 0xff };
	unsigned ops = 1 + (unsigned)(next_random(rng) % 3);

	while (ops--) {
		uint64_t r = next_random(rng);
		size_t pos, len;

		switch (r % 7) {
		case 0:
			if (n)
				buf[(r >> 8) % n] ^= (uint8_t)(1U << ((r >> 40) % 8));
			break;
		case 1:
			if (n)
				buf[(r >> 8) % n] = interesting[(r >> 40) % sizeof(interesting)];
			break;
		case 2:
			if (n < cap) {
				pos = (r >> 8) % (n + 1);
				memmove(buf + pos + 1, buf + pos, n - pos);
				buf[pos] = (uint8_t)(r >> 40);
				n++;
			}
			break;
		case 3:
			if (n) {
				pos = (r >> 8) % n;
				memmove(buf + pos, buf + pos + 1, n - pos - 1);
				n--;
			}
			break;
		case 4:
			n = (r >> 8) % (n + 1);
			break;
		case 5:
			if (n) {
				pos = (r >> 8) % n;
				len = 1 + (r >> 40) % 8;
				if (len > n - pos)
					len = n - pos;
				if (len <= cap - n) {
					memmove(buf + pos + len, buf + pos, n - pos);
					n += len;
				}
			}
			break;
		default:
			if (n)
				buf[(r >> 8) % n] = (uint8_t)(r >> 40);
			break;
		}
	}
	return n;
}

static void test_fuzz_mutations(void **state)
{
	enum { ROUNDS = 4000, SLACK = 64 };
	uint8_t *seeds[5];
	size_t seed_len[5];
	uint64_t rng = UINT64_C(0x6d616e6e65);
	unsigned accepted = 0, refused = 0;

	(void)state;
	seeds[0] = build_pay_body(PB_ALL, &seed_len[0]);
	seeds[1] = build_genesis_body(&seed_len[1]);
	seeds[2] = build_open_account_body(&seed_len[2]);
	seeds[3] = build_signed_tx(7, &seed_len[3]);
	seeds[4] = build_signed_tx(1, &seed_len[4]);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(LLVMFuzzerTestOneInput(seeds[i], seed_len[i]), 0);
		assert_int_equal(wire_strict_check(i < 3 ? TXBODY : &manne__signed_tx__descriptor,
						   seeds[i], seed_len[i], &rules), 0);
	}

	for (unsigned round = 0; round < ROUNDS; round++) {
		unsigned which = (unsigned)(next_random(&rng) % 5);
		size_t cap = seed_len[which] + SLACK;
		uint8_t *work = malloc(cap);
		uint8_t *exact;
		size_t n;

		assert_non_null(work);
		memcpy(work, seeds[which], seed_len[which]);
		n = mutate(&rng, work, seed_len[which], cap);
		exact = malloc(n ? n : 1);
		assert_non_null(exact);
		if (n)
			memcpy(exact, work, n);
		assert_int_equal(LLVMFuzzerTestOneInput(exact, n), 0);
		if (wire_strict_check(which < 3 ? TXBODY : &manne__signed_tx__descriptor, exact, n,
				      &rules) == 0)
			accepted++;
		else
			refused++;
		free(exact);
		free(work);
	}
	/* Both outcomes must occur, or the mutations test nothing. */
	assert_true(accepted > ROUNDS / 20);
	assert_true(refused > ROUNDS / 20);

	/* Arbitrary bytes, not only near-valid ones. */
	for (unsigned round = 0; round < ROUNDS / 4; round++) {
		size_t n = (size_t)(next_random(&rng) % 96);
		uint8_t *b = malloc(n ? n : 1);

		assert_non_null(b);
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)next_random(&rng);
		assert_int_equal(LLVMFuzzerTestOneInput(b, n), 0);
		free(b);
	}
	for (int i = 0; i < 5; i++)
		free(seeds[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_messages),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_wrong_wire_type),
		cmocka_unit_test(test_singular_twice),
		cmocka_unit_test(test_oneof),
		cmocka_unit_test(test_truncated_varint),
		cmocka_unit_test(test_long_varint),
		cmocka_unit_test(test_length_past_end),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_unknown_enum),
		cmocka_unit_test(test_bool_range),
		cmocka_unit_test(test_32_bit_range),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_groups_and_undefined_wire_types),
		cmocka_unit_test(test_field_zero),
		cmocka_unit_test(test_packed),
		cmocka_unit_test(test_required_and_int32),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_arena_bounds),
		cmocka_unit_test(test_arena_unpack),
		cmocka_unit_test(test_prefix_truncation),
		cmocka_unit_test(test_fuzz_mutations),
	};

	return cmocka_run_group_tests(tests, setup_data, NULL);
}
