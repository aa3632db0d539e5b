-- The second pass of the security core (SECURITY.md, issue 15).

-- Keys are published before they sign (verifiers holding a cached JWKS must
-- know a key before they meet its tokens), and a compromised key can be
-- revoked at once: its tokens are refused from then on. Private halves are
-- sealed with a key-encryption key that never enters the database, and
-- erased ('') when their key stops signing.
ALTER TABLE signing_keys ADD COLUMN activates_at BIGINT NOT NULL DEFAULT 0;
UPDATE signing_keys SET activates_at = created_at;
ALTER TABLE signing_keys ADD COLUMN revoked_at BIGINT;

-- A disabled member can neither log in nor refresh.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- Every instance reads the recently revoked sessions to refuse their access tokens.
CREATE INDEX refresh_families_revoked ON refresh_families (revoked_at);

-- The failed-login throttle shared by every instance on PostgreSQL. Subjects
-- are hashes of fixed size: an attacker's 512 KiB username costs 32 bytes.
CREATE TABLE login_throttle (
    subject        TEXT PRIMARY KEY,
    window_started BIGINT NOT NULL,
    failures       BIGINT NOT NULL,
    -- 1 once this window's refusal was audited: one event per window, not per attempt.
    reported       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX login_throttle_window ON login_throttle (window_started);
