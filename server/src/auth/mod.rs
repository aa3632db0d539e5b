//! Authentication, in the order a request meets it:
//!
//! 1. [`password`]: a login's password is checked with argon2id.
//! 2. [`throttle`]: repeated failures are slowed down.
//! 3. [`refresh`]: a login starts a refresh-token family (the session); the
//!    browser keeps its token in an HttpOnly cookie and trades it for new
//!    access tokens.
//! 4. [`keys`] and [`tokens`]: access tokens are short-lived JWTs signed with
//!    the active Ed25519 key and published as a JWKS.
//! 5. [`extract`]: every API request proves itself with `Authorization: Bearer`,
//!    verified without a database round trip...
//!    A token verified once is remembered per thread ([`recent`]).
//! 6. [`revocation`]: ...except for small in-memory lists of members whose
//!    older tokens were struck off and of sessions that have ended.
//! 7. [`sealing`]: the one secret outside the database (the key-encryption
//!    key), which seals the private signing keys at rest.

pub mod extract;
pub mod keys;
pub mod password;
pub mod recent;
pub mod refresh;
pub mod revocation;
pub mod sealing;
pub mod throttle;
pub mod tokens;
