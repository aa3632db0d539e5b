//! Access tokens: short-lived JWTs signed with Ed25519 (`EdDSA`).
//!
//! Verification is strict on purpose. It pins the algorithm (stops `alg: none`
//! and the RS/HS key-confusion attack), looks the `kid` up in our own key set
//! only (header fields such as `jku`, `x5u` and `jwk` are never followed, so an
//! attacker cannot supply the key that verifies their forgery), refuses a
//! `crit` header (extensions we would have to understand), requires every
//! claim, and checks `iss`, `aud`, `exp`, `nbf` and `iat` (the last two with
//! a small leeway), and that the claims agree with each other (`jti`'s time
//! is `iat`, and the lifetime is no longer than ours).

use app::api::Role;
use jsonwebtoken::{Algorithm, Header, Validation, decode, decode_header};
use serde::{Deserialize, Serialize};

use super::error::{AuthError, AuthResult};
use super::keys::KeySet;
use crate::db::changes::Author;

/// Clock skew we tolerate between instances, in seconds. A token that an
/// instance with its clock ahead of ours has just issued must verify at once,
/// so `nbf` and `iat` may lie this far in our future. Expiry has none: a token
/// is dead from its `exp` on. An instance whose clock is behind still takes it
/// for up to this long, which is why no token may live into the last seconds
/// of its session (`session_left_secs`).
pub const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user's id.
    pub sub: String,
    /// The username (OpenID Connect's name for it) and the display name, as
    /// they were at issue: `/api/me` answers from them only while the
    /// database is away (`crate::profiles`).
    pub preferred_username: String,
    pub name: String,
    pub role: String,
    /// The session (refresh family) the token was issued for.
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

/// Who a verified token speaks for.
#[derive(Clone, Debug)]
pub struct Verified {
    pub user_id: String,
    pub username: String,
    pub name: String,
    pub role: Role,
    pub session_id: String,
    /// From `jti`, a UUIDv7: `iat` counts whole seconds, too coarse to tell a
    /// token issued just before a revoke from one issued just after it.
    pub issued_at_ms: i64,
    pub expires_at: i64,
}

impl Verified {
    pub fn is_expired(&self, now: i64) -> bool {
        expired(self.expires_at, now)
    }

    /// The member, as the live events name who made a change.
    pub fn author(&self) -> Author {
        Author {
            id: self.user_id.clone(),
            name: self.name.clone(),
        }
    }
}

/// A token is dead from its `exp` on (RFC 7519: used "before" it), with no
/// grace: a stolen token's last seconds are not an attacker's. Every check of
/// an access token's expiry is this one.
fn expired(exp: i64, now: i64) -> bool {
    now >= exp
}

/// The checks every token must pass, built once at start-up.
pub struct Verification {
    validation: Validation,
    /// The configured access-token lifetime: no genuine token lives longer.
    max_lifetime_secs: i64,
}

impl Verification {
    pub fn new(issuer: &str, access_ttl: std::time::Duration) -> Verification {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[issuer]);
        // The times are checked in `verify`, against the caller's clock:
        // jsonwebtoken reads its own, with one leeway for both directions.
        // `exp` and `nbf` must still be there, as numbers (required below;
        // `Claims` reads them as integers, so a string `exp` is refused).
        validation.validate_exp = false;
        validation.validate_nbf = false;
        // Unused while both are off; 0 so that turning one on brings no grace.
        validation.leeway = 0;
        validation.set_required_spec_claims(&["iss", "aud", "sub", "iat", "nbf", "exp"]);
        Verification {
            validation,
            max_lifetime_secs: access_ttl.as_secs() as i64,
        }
    }
}

pub struct NewToken<'a> {
    pub issuer: &'a str,
    pub user_id: &'a str,
    pub username: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub session_id: &'a str,
    /// When the request began, in unix milliseconds: before it checked that
    /// the member may have the token, so that a revoke committed after that
    /// check dates every token the check let through before its cut-off. Or
    /// just after a cut-off the check read, if later (`http::auth::dated`).
    pub issued_at_ms: i64,
    pub ttl_secs: i64,
    /// When the session ends: no token outlives its session (`exp` is capped,
    /// less the clock-skew leeway), so an expired session needs no revoke.
    pub session_expires_at: i64,
}

pub fn issue(keys: &KeySet, token: NewToken<'_>) -> AuthResult<String> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(keys.signer.kid.clone());
    let now = token.issued_at_ms.div_euclid(1000);
    let claims = Claims {
        iss: token.issuer.to_string(),
        aud: token.issuer.to_string(),
        sub: token.user_id.to_string(),
        preferred_username: token.username.to_string(),
        name: token.name.to_string(),
        role: token.role.as_str().to_string(),
        sid: token.session_id.to_string(),
        iat: now,
        nbf: now,
        exp: now + token.lifetime_secs(),
        // A UUIDv7 begins with the issue time in milliseconds (see `Verified`).
        jti: uuidv7_at(token.issued_at_ms).to_string(),
    };
    keys.signer
        .sign(&header, &claims)
        .map_err(AuthError::Signing)
}

impl NewToken<'_> {
    /// How long the token lives: its configured lifetime, or less in the
    /// last minutes of its session. The answer's `expires_in` says this
    /// too, or a client would plan its refresh after the token had died.
    pub fn lifetime_secs(&self) -> i64 {
        self.ttl_secs.min(session_left_secs(
            self.session_expires_at,
            self.issued_at_ms,
        ))
    }
}

/// How long a token issued at `now_ms` may live before its session ends,
/// less the clock-skew leeway (an instance whose clock is behind takes it
/// that much longer). Zero or less: the session can issue no token that
/// would live, so it has ended for every purpose.
pub fn session_left_secs(session_expires_at: i64, now_ms: i64) -> i64 {
    session_expires_at - LEEWAY_SECS as i64 - now_ms.div_euclid(1000)
}

/// Verifies a compact JWT. Any failure is `invalid_token`; a well-signed token
/// with a role we do not know is `forbidden` (never a default role).
pub fn verify(keys: &KeySet, rules: &Verification, token: &str, now: i64) -> AuthResult<Verified> {
    let header = decode_header(token).map_err(|_| AuthError::InvalidToken)?;
    // RFC 7515 §4.1.11: extensions named critical must be understood or the
    // token refused, and we understand none. (One such, `b64: false` of RFC
    // 7797, signs other bytes than the token shows.)
    if header.crit.is_some() {
        return Err(AuthError::InvalidToken);
    }
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| keys.verifiers.get(kid))
        .ok_or(AuthError::InvalidToken)?;
    let claims = decode::<Claims>(token, key, &rules.validation)
        .map_err(|_| AuthError::InvalidToken)?
        .claims;
    // Revocation compares `iat`, so it must not lie ahead any more than `nbf`.
    let ahead = now + LEEWAY_SECS as i64;
    if expired(claims.exp, now) || claims.nbf > ahead || claims.iat > ahead {
        return Err(AuthError::InvalidToken);
    }
    // Claims that disagree are a forgery's, never ours: a jti dated later
    // than iat would dodge a member's cut-off, and a lifetime longer than
    // ours would outlive the revocation lists (they keep one lifetime). No
    // leeway here: both ends are the issuer's, and ours are never longer.
    let issued_at_ms = issued_at_ms(&claims.jti)
        .filter(|ms| ms.div_euclid(1000) == claims.iat)
        .ok_or(AuthError::InvalidToken)?;
    if claims.exp - claims.iat > rules.max_lifetime_secs {
        return Err(AuthError::InvalidToken);
    }
    let role = Role::parse(&claims.role).ok_or(AuthError::Forbidden)?;
    Ok(Verified {
        user_id: claims.sub,
        username: claims.preferred_username,
        name: claims.name,
        role,
        session_id: claims.sid,
        issued_at_ms,
        expires_at: claims.exp,
    })
}

fn uuidv7_at(unix_ms: i64) -> uuid::Uuid {
    let (seconds, millis) = (unix_ms.div_euclid(1000), unix_ms.rem_euclid(1000));
    let at = uuid::Timestamp::from_unix(uuid::NoContext, seconds as u64, millis as u32 * 1_000_000);
    uuid::Uuid::new_v7(at)
}

/// The milliseconds a UUIDv7 `jti` begins with; `None` for any other id.
fn issued_at_ms(jti: &str) -> Option<i64> {
    let jti = uuid::Uuid::try_parse(jti).ok()?;
    if jti.get_version() != Some(uuid::Version::SortRand) {
        return None;
    }
    let (seconds, nanos) = jti.get_timestamp()?.to_unix();
    Some(seconds as i64 * 1000 + i64::from(nanos / 1_000_000))
}
