-- Portable SQL: the same migration runs on SQLite and PostgreSQL.
-- Times are unix seconds (BIGINT), ids are UUID strings (TEXT).

CREATE TABLE users (
    id                 TEXT PRIMARY KEY,
    username           TEXT NOT NULL,
    display_name       TEXT NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('drummer', 'manager')),
    password_hash      TEXT NOT NULL,
    -- Access tokens issued at or before this instant are refused (member revoke).
    tokens_valid_after BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_ci ON users (lower(username));

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_key TEXT NOT NULL, -- PKCS#8 DER, base64
    public_key  TEXT NOT NULL, -- raw Ed25519 public key, base64url (the JWK "x")
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT         -- set when a newer key takes over signing
);

-- A family is one login on one device: every rotated refresh token of that login.
CREATE TABLE refresh_families (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    user_agent   TEXT NOT NULL,
    ip           TEXT NOT NULL
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);

-- Only a SHA-256 of each token is stored: a database leak yields no usable token.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    issued_at  BIGINT NOT NULL,
    spent_at   BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
