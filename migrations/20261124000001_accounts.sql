-- Accounts and access: users with a role, rotating refresh tokens (stored hashed, grouped in
-- families so reuse of a spent one revokes the whole family), password resets, sign-in
-- throttling, the audit log of staff and admin writes, and the outbox that notifications
-- (the password reset email first) are written to in the same transaction as the change.

CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    -- Normalised (trimmed, lowercased) by the server; unique as such.
    email               text NOT NULL UNIQUE CHECK (email = lower(btrim(email)) AND email LIKE '%_@_%'),
    password_hash       text NOT NULL,
    role                text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'staff', 'admin')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,           -- the token's `jti`
    family_id   uuid NOT NULL,              -- one sign-in; every rotation stays in it
    user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    token_hash  bytea NOT NULL,             -- SHA-256 of the whole token
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,                -- rotated: presenting it again is reuse
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE password_resets (
    token_hash  bytea PRIMARY KEY,          -- SHA-256 of the emailed token
    user_id     uuid NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);

-- One row per throttled key (`sign-in:account:<email>`, `sign-in:ip:<addr>`, …): attempts in
-- the current one-hour window, and the run of consecutive failures that sets the delay.
CREATE TABLE auth_throttle (
    key                  text PRIMARY KEY,
    window_start         timestamptz NOT NULL,
    attempts             integer NOT NULL,
    consecutive_failures integer NOT NULL DEFAULT 0,
    last_failure_at      timestamptz
);

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid REFERENCES users ON DELETE SET NULL,  -- none: a command on the server
    actor_role  text NOT NULL,
    ip          inet,
    action      text NOT NULL,              -- e.g. `user.role.update`
    entity      text NOT NULL,              -- e.g. `user`
    entity_id   text NOT NULL,
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

-- Events for later delivery (emails, feeds). Written in the transaction of the change that
-- caused them; a delivery job marks them delivered.
CREATE TABLE outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at   timestamptz NOT NULL DEFAULT now(),
    topic        text NOT NULL,             -- e.g. `email.password_reset`
    payload      jsonb NOT NULL,
    delivered_at timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE delivered_at IS NULL;
