-- Accounts an admin disabled (no sign-in, every session ended) and accounts their owner deleted
-- (anonymised in place: the row stays because orders keep pointing at it for accounting).
ALTER TABLE users
    ADD COLUMN disabled_at timestamptz,
    ADD COLUMN deleted_at  timestamptz;
