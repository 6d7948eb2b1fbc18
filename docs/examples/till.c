/*
 * till.c: a shop's till on libmanne, the example of docs/till-guide.md.
 *
 *   cc till.c $(pkg-config --cflags --libs manne) -o till
 *   ./till HOST PORT SHOP.key MEMBER.key CHECKPOINT_PUBLIC_KEY_HEX
 *
 * It takes a payment of 12.50 Manne for a new order from a member (whose
 * key would come from the member's app or card), proves the payment is in
 * the ledger's log with the receipt's checkpoint and inclusion proof,
 * refunds 2.50 Manne of it, and finds the payment again by its order number
 * and amount.
 * Every outcome a till meets is handled; the exit status is 0 when the sale
 * went through, 1 when the ledger refused it, 2 on bad arguments, 3 when it
 * could not be settled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/random.h>

#include <manne.h>

/* What the till says to the customer and the cashier for each outcome. */
static int explain(struct manne *m, enum manne_status status)
{
	switch (status) {
	case MANNE_OK:
		return 0;
	case MANNE_ERR_INSUFFICIENT_FUNDS:
		fprintf(stderr, "till: not enough Manne on the account; pay the rest another way\n");
		return 1;
	case MANNE_ERR_LIMIT_EXCEEDED:
		fprintf(stderr, "till: over the account's limit per payment or per day\n");
		return 1;
	case MANNE_ERR_NOT_ACTIVE:
	case MANNE_ERR_UNKNOWN_ACCOUNT:
	case MANNE_ERR_CARD_LOCKED:
		fprintf(stderr, "till: this account cannot pay now (frozen, closed, unknown or locked): see the association\n");
		return 1;
	case MANNE_ERR_ROLE_FORBIDDEN:
	case MANNE_ERR_COUNTERPARTY_NOT_ACTIVE:
		fprintf(stderr, "till: this payment is not allowed between these accounts\n");
		return 1;
	case MANNE_ERR_REFERENCE_USED:
		/* Someone paid first with this order number: make a new one. */
		fprintf(stderr, "till: this order number was already paid; start a new order\n");
		return 1;
	case MANNE_ERR_PAYMENT_MISMATCH:
		/* A payment with this order number exists but is not this
		 * order's (another amount or payer): do not hand over the goods. */
		fprintf(stderr, "till: %s\n", manne_message(m));
		return 1;
	case MANNE_ERR_CONNECT:
	case MANNE_ERR_TIMEOUT:
		/* The library already resent the same bytes several times. The
		 * payment may or may not be in: never ask the customer to pay
		 * again; look it up by its order number (below) once the ledger
		 * is back. */
		fprintf(stderr, "till: the ledger does not answer (%s)\n", manne_message(m));
		return 3;
	case MANNE_ERR_VERIFY:
		fprintf(stderr, "till: the ledger's proof does not verify: keep the receipt and call the association\n");
		return 3;
	default:
		/* Every other code has a fixed number and sentence (manne.h). */
		fprintf(stderr, "till: refused: %s (%s)\n", manne_status_name(status), manne_message(m));
		return (int)status < MANNE_STATUS_COUNT ? 1 : 3;
	}
}

/* An order number nobody can guess (SPEC §5: anyone may pay first with a
 * payee reference): "CMD-" and 12 characters from 36, about 62 bits, from
 * the kernel's random source. */
static int new_order_number(char out[MANNE_PAYEE_REFERENCE_BYTES_MAX + 1])
{
	static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	unsigned char byte;
	int n = 4;

	memcpy(out, "CMD-", 4);
	while (n < 16) {
		if (getrandom(&byte, 1, 0) != 1)
			return -1;
		if (byte < 252) /* 7 x 36: every character equally likely */
			out[n++] = alphabet[byte % 36];
	}
	out[16] = '\0';
	return 0;
}

static int read_hex32(const char *hex, uint8_t out[32])
{
	if (strlen(hex) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct manne *m = NULL;
	struct manne_key shop, member;
	struct manne_receipt receipt, refund;
	struct manne_checkpoint checkpoint;
	struct manne_entry found;
	char order[MANNE_PAYEE_REFERENCE_BYTES_MAX + 1];
	uint8_t member_public[MANNE_PUBLICKEYBYTES];
	uint8_t checkpoint_key[32];
	enum manne_status status;
	char *end = NULL;
	unsigned long port;
	int rc;

	if (argc != 6 || (port = strtoul(argv[2], &end, 10)) == 0 || port > 65535 || *end != '\0' ||
	    read_hex32(argv[5], checkpoint_key) != 0) {
		fprintf(stderr, "usage: till HOST PORT SHOP.key MEMBER.key CHECKPOINT_PUBLIC_KEY_HEX\n");
		return 2;
	}
	if (manne_init() != MANNE_OK)
		return 3;

	/* The shop's key stays on the till; the handle keeps a copy to prove it
	 * again after a reconnection, and wipes it on close. */
	status = manne_key_file_read(argv[3], NULL, &shop);
	if (status != MANNE_OK) {
		fprintf(stderr, "till: %s: %s\n", argv[3], manne_status_message(status));
		return 2;
	}
	status = manne_open(argv[1], (uint16_t)port, 5000, &m);
	if (status == MANNE_OK)
		status = manne_authenticate(m, &shop);  /* card payments need the payee's connection */
	if (status != MANNE_OK) {
		rc = explain(m, status);
		goto out;
	}

	/* The member's key, from the app or the card; wiped right after signing. */
	status = manne_key_file_read(argv[4], NULL, &member);
	if (status != MANNE_OK) {
		fprintf(stderr, "till: %s: %s\n", argv[4], manne_status_message(status));
		rc = 2;
		goto out;
	}
	memcpy(member_public, member.public_key, sizeof(member_public));
	if (new_order_number(order) != 0) {
		manne_key_wipe(&member);
		rc = 3;
		goto out;
	}
	status = manne_pay(m, &member, shop.public_key, 1250, "panier de legumes", order, &receipt);
	manne_key_wipe(&member);
	if (status == MANNE_ERR_TIMEOUT) {
		/* Settle the unknown: did this order's payment land? Wait up to 30 s
		 * for it, and check it is of the amount charged. */
		status = manne_payment_by_reference(m, shop.public_key, order, 30000, 1250, member_public, &found);
		rc = explain(m, status);
		if (rc == 0)
			printf("paid (found by its order number): %llu centimes\n", (unsigned long long)found.amount);
		goto out;
	}
	if ((rc = explain(m, status)) != 0)
		goto out;
	printf("paid: 12.50 Manne, leaf %llu%s\n", (unsigned long long)receipt.leaf_index,
	       receipt.duplicate ? " (already in: original receipt)" : "");

	/* Proof of payment: the checkpoint is signed by the ledger's key (pinned
	 * in the till's configuration) and its Merkle root includes our leaf. */
	status = manne_receipt_verify(&receipt, manne_origin(m), checkpoint_key, &checkpoint);
	if ((rc = explain(m, status)) != 0)
		goto out;
	printf("proved: leaf %llu is in the log of %llu leaves; outstanding %llu, reserve %llu centimes\n",
	       (unsigned long long)receipt.leaf_index, (unsigned long long)checkpoint.tree_size,
	       (unsigned long long)checkpoint.totals.outstanding, (unsigned long long)checkpoint.totals.reserve);

	/* A damaged item: 2.50 back to the member, signed by the shop. */
	status = manne_refund(m, &shop, receipt.txid, 250, "une botte abimee", &refund);
	if ((rc = explain(m, status)) != 0)
		goto out;
	printf("refunded: 2.50 Manne, leaf %llu\n", (unsigned long long)refund.leaf_index);

	/* The cashier looks the order up later. */
	status = manne_payment_by_reference(m, shop.public_key, order, 0, 1250, member_public, &found);
	if ((rc = explain(m, status)) != 0)
		goto out;
	printf("order %s: %s of %llu centimes, memo \"%s\"\n", order, found.kind, (unsigned long long)found.amount,
	       found.memo);
out:
	manne_key_wipe(&shop);
	manne_close(m);
	return rc;
}
