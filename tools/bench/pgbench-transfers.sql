-- pgbench custom script: one durable payment, the logical work of one
-- manne-ledger payment (tools/bench/manne-bench.c), in one transaction committed
-- with synchronous_commit = on (the cluster's setting, see run-pgbench.sh).
--
-- Needs pgbench -D members=N -D shops=S (run-pgbench.sh passes them), and the
-- schema of pg-setup.sql.
--
-- Not done here, on purpose: no signature verification. A service built on
-- PostgreSQL would have to verify the Ed25519 signature (and the sequence
-- number against it) somewhere else, and the ledger does it in the timed
-- path, so this comparison favours PostgreSQL. The txid and signature are
-- stand-in bytes of the right size (sha256 / sha512 of the payer and its new
-- sequence number), only so that the row is as large as a real one.

\set payer random(1, :members)
\set payee :members + random(1, :shops)
\set amount random(1, 500)

BEGIN;
-- Debit with the non-negative check (the CHECK constraint on balance is a
-- second guard), and bump the payer's sequence number in the same row.
UPDATE accounts SET balance = balance - :amount, seq = seq + 1
	WHERE id = :payer AND balance >= :amount
	RETURNING seq AS newseq \gset
UPDATE accounts SET balance = balance + :amount WHERE id = :payee;
INSERT INTO transfers (txid, payer, payee, amount, seq, created_at, signature)
	VALUES (sha256(int8send(:payer) || int8send(:newseq)), :payer, :payee, :amount, :newseq, now(),
		sha512(int8send(:payer) || int8send(:newseq)));
END;
