-- A member revoke is compared with an access token's issue time to the
-- millisecond (the token's jti is a UUIDv7, which begins with it). In whole
-- seconds, a member who logged in again within the second of a revoke was
-- given a token that never worked. Existing cut-offs move to the end of their
-- second, so no token they refused becomes valid.
ALTER TABLE users RENAME COLUMN tokens_valid_after TO tokens_valid_after_ms;
UPDATE users SET tokens_valid_after_ms = tokens_valid_after_ms * 1000 + 999
 WHERE tokens_valid_after_ms > 0;
