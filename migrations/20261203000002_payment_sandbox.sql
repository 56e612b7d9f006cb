-- The built-in test payment provider's own records (what a real provider keeps on its side), in
-- the database rather than in one process's memory: every web replica sees the same charges, so
-- a charge waiting for the cardholder's confirmation can be confirmed through any of them.
CREATE TABLE sandbox_charges (
    idempotency_key text PRIMARY KEY,
    reference       text NOT NULL UNIQUE,
    amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
    currency        text NOT NULL CHECK (currency IN ('EUR', 'USD', 'GBP')),
    outcome         text NOT NULL CHECK (outcome IN ('succeeded', 'requires_action', 'declined')),
    decline_code    text,
    captured        boolean NOT NULL,
    refunded_minor  bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sandbox_refunds (
    idempotency_key  text PRIMARY KEY,
    charge_reference text NOT NULL REFERENCES sandbox_charges (reference),
    reference        text NOT NULL UNIQUE,
    amount_minor     bigint NOT NULL CHECK (amount_minor > 0)
);
