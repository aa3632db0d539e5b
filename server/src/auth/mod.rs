//! Authentication, in the order a request meets it:
//!
//! 1. [`throttle`]: a login first reserves an attempt; past a limit it is
//!    refused (429, `Retry-After`) before any password is checked.
//! 2. [`password`]: the password is checked with argon2id.
//! 3. [`refresh`]: a login starts a refresh-token family (the session); the
//!    browser keeps its token in an HttpOnly cookie and trades it for new
//!    access tokens.
//! 4. [`keys`] and [`tokens`]: access tokens are short-lived JWTs signed with
//!    the active Ed25519 key and published as a JWKS.
//! 5. [`extract`]: every authenticated API route proves itself with
//!    `Authorization: Bearer` (refresh and logout use the cookie instead),
//!    verified in memory; the database is read only when a token names a key
//!    this instance does not know yet (at most once a second). A token
//!    verified once is remembered per thread ([`recent`])...
//! 6. [`revocation`]: ...except for small in-memory lists of members whose
//!    older tokens were struck off and of sessions that have ended.
//! 7. [`sealing`]: not on a request's path. The one secret outside the
//!    database (the key-encryption key): it seals the private signing keys at
//!    rest and derives the refresh-successor secret.
//!
//! [`error`] is what all of these can fail with; `crate::error` maps it to HTTP.

pub mod error;
pub mod extract;
pub mod keys;
pub mod password;
pub mod recent;
pub mod refresh;
pub mod revocation;
pub mod sealing;
pub mod throttle;
pub mod tokens;
