-- Schema and population for tools/bench/run-pgbench.sh (PostgreSQL 15).
--
-- Variables (psql -v): members, shops, credit.
-- Members are accounts 1..members, shops members+1..members+shops, as in
-- tools/bench/manne-bench.c: every member starts with :credit cents (the ledger's
-- CREDIT_PER_MEMBER, 10,000.00), shops with 0. Every payment is 1..500 cents,
-- so no member can run dry within a bounded run.

SET client_min_messages = warning;
DROP TABLE IF EXISTS transfers;
DROP TABLE IF EXISTS accounts;

CREATE TABLE accounts (
	id      bigint PRIMARY KEY,
	balance bigint NOT NULL CHECK (balance >= 0),
	seq     bigint NOT NULL DEFAULT 0          -- the payer's last sequence number
);

-- One row per payment, sized like a ledger transaction record: a 32-byte
-- transaction id (unique, as the ledger's txids table) and a 64-byte
-- Ed25519-sized signature.
CREATE TABLE transfers (
	txid       bytea PRIMARY KEY,               -- 32 bytes
	payer      bigint NOT NULL,
	payee      bigint NOT NULL,
	amount     bigint NOT NULL CHECK (amount > 0),
	seq        bigint NOT NULL,
	created_at timestamptz NOT NULL,
	signature  bytea NOT NULL                   -- 64 bytes
);

INSERT INTO accounts (id, balance, seq)
	SELECT i, :credit, 0 FROM generate_series(1, :members) AS i;
INSERT INTO accounts (id, balance, seq)
	SELECT :members + i, 0, 0 FROM generate_series(1, :shops) AS i;

VACUUM ANALYZE accounts;
VACUUM ANALYZE transfers;
CHECKPOINT;
