//! Refresh tokens: their issue time, then 256 bits (random for a login's
//! first token, an HMAC of the spent token for its successors), opaque to the
//! client, sent only in an HttpOnly cookie (JavaScript, and so an XSS payload,
//! cannot read it), stored only as their issue time and a SHA-256 hash
//! (`storage_key`: a database leak yields no usable token).
//!
//! Tokens come in families: one login on one device starts a family with an
//! absolute lifetime, and every refresh spends the presented token and adds its
//! successor. A spent token presented again means two parties hold the same
//! token — one of them stole it — so the whole family is revoked (reuse
//! detection). One exception: two tabs of the same browser may refresh at the
//! same moment with the same cookie, and a client may retry a refresh whose
//! answer the network lost; within a grace window of a few seconds
//! (`Config::refresh_grace`) of the spend, such a late request gets an access
//! token for the same session and the *same* successor the first request got
//! (`successor_of`), never a second one: a family is one chain, so a thief
//! replaying a token at the right moment cannot start a chain of their own
//! that reuse detection would never see.

use std::fmt::Write;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{
    clock::now_ms,
    db::{
        self, DbError, DbResult, Pool,
        audit::{AuditKind, Event, Origin},
        refresh::{FamilyRow, LostRace, SpendOutcome, Starting, TokenRow},
        spend::{RotationRequest, SpendLive},
        users::UserRow,
    },
};

/// A token for the cookie, and the session (family) it belongs to.
pub struct Issued {
    pub token: String,
    pub family_id: String,
    pub family_expires_at: i64,
    /// The member as the session started (see `db::refresh::create_family`).
    pub member: Starting,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Unknown, expired or revoked.
    #[error("the refresh token is unknown, expired or revoked")]
    Invalid,
    /// A spent token came back: the family has just been revoked.
    #[error("a spent refresh token came back; session {family_id} is revoked")]
    Reused { family_id: String },
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<sqlx::Error> for RefreshError {
    fn from(error: sqlx::Error) -> Self {
        RefreshError::Database(error.into())
    }
}

/// Starts a family for a fresh login from `origin`'s device; `LostRace` if
/// `user` was disabled or given a new password since their password was
/// checked (the login lost a race with that change).
pub async fn start(
    pool: &Pool,
    user: &UserRow,
    lifetime_secs: i64,
    origin: &Origin,
    now: i64,
) -> DbResult<Result<Issued, LostRace>> {
    let (token, hash) = new_token();
    let family = FamilyRow {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        created_at: now,
        last_used_at: now,
        expires_at: now + lifetime_secs,
        revoked_at: None,
        user_agent: origin.user_agent.clone(),
        ip: origin.ip.clone(),
    };
    let origin = origin.by(&user.id);
    let event = Event::session(AuditKind::LoginSucceeded, &origin, &user.id, &family.id);
    let started =
        db::refresh::create_family(pool, &family, &user.password_hash, &hash, &event).await?;
    Ok(started.map(|member| Issued {
        token,
        family_id: family.id,
        family_expires_at: family.expires_at,
        member,
    }))
}

/// What a refresh hands back: the cookie's new token, and the session.
pub struct Rotated {
    /// The successor for the cookie; `None` for a late request in the grace
    /// window whose chain has already moved on (it keeps its cookie).
    pub token: Option<String>,
    pub family_id: String,
    pub family_expires_at: i64,
    /// Answered by the grace path (a concurrent refresh), not rotated now.
    pub in_grace: bool,
}

/// The key of successor derivation (`Kek::successor_secret`).
pub type SuccessorSecret = [u8; 32];

/// Spends `presented` and returns its successor, with the member it belongs to.
///
/// The rule, in order: a live token is spent and its successor handed out;
/// an unknown or dead token is refused; a spent one inside the grace window
/// gets the same successor again (the family stays one chain); a spent one
/// after it is reuse, and the whole family is revoked.
///
/// `spender` stores the common case (`db::spend`); a first read can take it
/// as "one transaction that spends the token if it is live".
pub async fn rotate(
    spender: &impl SpendLive,
    pool: &Pool,
    secret: &SuccessorSecret,
    presented: &str,
    grace_secs: i64,
    origin: &Origin,
    started_ms: i64,
) -> Result<(Rotated, UserRow), RefreshError> {
    let now = started_ms.div_euclid(1000);
    let presented_key = storage_key(presented);
    let successor = successor_of(secret, presented, started_ms);
    let request = RotationRequest {
        old_hash: presented_key.clone(),
        new_hash: storage_key(&successor),
        now,
        origin: origin.clone(),
    };

    // Live: spent now, and its successor goes into the cookie.
    let found = match spender.spend_if_live(request).await? {
        SpendOutcome::Done(found) => return Ok(rotated(Some(successor), found, false)),
        SpendOutcome::NotLive(found) => found,
    };

    // Unknown, expired, revoked, or its member disabled: refused. Anything
    // that is not plainly spent is a refusal, never the grace path (fail closed).
    let found = found
        .filter(|found| found.is_live(now))
        .ok_or(RefreshError::Invalid)?;
    let spent_at = found.spent_at.ok_or(RefreshError::Invalid)?;
    let user_id = found.user.id.as_str();
    let origin = origin.by(user_id);

    // Spent a moment ago: a second tab, or a retry whose answer was lost.
    if now - spent_at < grace_secs {
        // The family's one live token, handed out again if it is this
        // token's successor; if the chain moved on since, no cookie at all.
        let live = db::refresh::live_token(pool, &found.family_id).await?;
        let token = live.and_then(|key| {
            let candidate = successor_of(secret, presented, issued_ms_of_key(&key)?);
            (storage_key(&candidate) == key).then_some(candidate)
        });
        // Changes nothing but the trail: every refresh answered is recorded.
        let refreshed = Event::session(AuditKind::Refreshed, &origin, user_id, &found.family_id);
        db::audit::record_alone(pool, &refreshed, now).await?;
        return Ok(rotated(token, found, true));
    }

    // Spent earlier: two parties hold this token, one of them a thief.
    let kind = AuditKind::RefreshReuseDetected;
    let reuse = Event::session(kind, &origin, user_id, &found.family_id);
    db::revoke::revoke_family(pool, &found.family_id, now, &reuse).await?;
    Err(RefreshError::Reused {
        family_id: found.family_id,
    })
}

fn rotated(token: Option<String>, found: TokenRow, in_grace: bool) -> (Rotated, UserRow) {
    let rotated = Rotated {
        token,
        family_id: found.family_id,
        family_expires_at: found.expires_at,
        in_grace,
    };
    (rotated, found.user)
}

/// Logout: revokes the presented token's family and returns its id.
/// Unknown tokens are ignored.
pub async fn end(
    pool: &Pool,
    presented: &str,
    origin: &Origin,
    now: i64,
) -> DbResult<Option<String>> {
    let Some(found) = db::refresh::find_token(pool, &storage_key(presented)).await? else {
        return Ok(None);
    };
    let origin = origin.by(&found.user.id);
    let event = Event::session(
        AuditKind::LoggedOut,
        &origin,
        &found.user.id,
        &found.family_id,
    );
    db::revoke::revoke_family(pool, &found.family_id, now, &event).await?;
    Ok(Some(found.family_id))
}

/// Ends one session from the sessions page: its next refresh fails.
pub async fn revoke(pool: &Pool, family: &FamilyRow, origin: &Origin, now: i64) -> DbResult<()> {
    let event = Event::session(
        AuditKind::SessionRevoked,
        origin,
        &family.user_id,
        &family.id,
    );
    db::revoke::revoke_family(pool, &family.id, now, &event).await
}

/// A login's first token and its storage key. A token is its issue time (8
/// bytes, milliseconds) and 256 bits: random for a login's first token. The
/// time is no secret; it is there so that keys sort by issue time (see
/// `storage_key`).
fn new_token() -> (String, String) {
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes[..8].copy_from_slice(&now_ms().to_be_bytes());
    getrandom::fill(&mut bytes[8..]).expect("the OS random number generator");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let key = storage_key(&token);
    (token, key)
}

/// The successor of `spent`, issued at `issued_ms`: its 256 bits are an
/// HMAC of the spent token under a key only the servers hold. So the server
/// can give the very same successor to a retry in the grace window without
/// storing it, and nobody can compute it from the spent token alone.
fn successor_of(secret: &SuccessorSecret, spent: &str, issued_ms: i64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(spent.as_bytes());
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes[..8].copy_from_slice(&issued_ms.to_be_bytes());
    bytes[8..].copy_from_slice(&mac.finalize().into_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The issue time a storage key begins with (`None` for a key from before
/// the time prefix).
fn issued_ms_of_key(key: &str) -> Option<i64> {
    let hex = key.get(..16).filter(|_| key.len() == 16 + 64)?;
    u64::from_str_radix(hex, 16).ok().map(|ms| ms as i64)
}

const TOKEN_BYTES: usize = 8 + 32;

/// What the database stores for a token: its issue time in hex, then the
/// SHA-256 of the whole token; never the token (a database leak yields no
/// usable token). Keys of new tokens sort by time, so each lands on the last
/// page of the primary-key index instead of a random one (the reason UUIDv7
/// beats UUIDv4 as a key): a group commit writes one page of that index, not
/// one per refresh.
/// A token from before the time prefix (32 bytes) is stored as its hash alone.
pub fn storage_key(token: &str) -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    let decoded = URL_SAFE_NO_PAD.decode_slice(token, &mut bytes);
    let mut key = String::with_capacity(16 + 64);
    if decoded == Ok(TOKEN_BYTES) {
        push_hex(&mut key, &bytes[..8]);
    }
    push_hex(&mut key, &Sha256::digest(token.as_bytes()));
    key
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for byte in bytes {
        write!(out, "{byte:02x}").expect("writing to a String cannot fail");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tokens_are_stored_under_keys_that_sort_by_issue_time() {
        let (first, first_key) = new_token();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let (second, second_key) = new_token();

        assert!(first_key < second_key);
        for (token, key) in [(first, first_key), (second, second_key)] {
            assert_eq!(key, storage_key(&token));
            assert!(!key.contains(&token), "the key must not reveal the token");
            assert_eq!(key.len(), 16 + 64);
        }
    }

    #[test]
    fn a_successor_is_the_same_for_the_same_spent_token_and_secret_only() {
        let (spent, _) = new_token();
        let first = successor_of(&[1; 32], &spent, 1_000);

        assert_eq!(first, successor_of(&[1; 32], &spent, 1_000));
        assert_ne!(first, successor_of(&[2; 32], &spent, 1_000));
        let (other, _) = new_token();
        assert_ne!(first, successor_of(&[1; 32], &other, 1_000));
        assert_eq!(issued_ms_of_key(&storage_key(&first)), Some(1_000));
    }

    #[test]
    fn a_token_from_before_the_time_prefix_keeps_its_plain_hash() {
        let token = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let mut hash = String::new();
        push_hex(&mut hash, &Sha256::digest(token.as_bytes()));

        assert_eq!(storage_key(&token), hash);
    }
}
