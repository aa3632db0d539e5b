//! Refresh tokens: 256 random bits after their issue time, opaque to the
//! client, sent only in an HttpOnly cookie (JavaScript, and so an XSS payload,
//! cannot read it), stored only as a SHA-256 hash (a database leak yields no
//! usable token).
//!
//! Tokens come in families: one login on one device starts a family with an
//! absolute lifetime, and every refresh spends the presented token and adds its
//! successor. A spent token presented again means two parties hold the same
//! token — one of them stole it — so the whole family is revoked (reuse
//! detection). One exception: two tabs of the same browser may refresh at the
//! same moment with the same cookie; within a grace window of a few seconds
//! (`Config::refresh_grace`) of the spend, the loser is given a fresh token in
//! the same family instead of a revocation.

use std::fmt::Write;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    clock::now_ms,
    db::{
        self, Pool,
        audit::{Event, EventKind, Origin},
        group_commit::{RefreshBatcher, RotationRequest},
        refresh::{FamilyRow, Rotation},
        users::UserRow,
    },
};

/// A token for the cookie, and the session (family) it belongs to.
pub struct Issued {
    pub token: String,
    pub family_id: String,
}

#[derive(Debug)]
pub enum RefreshError {
    /// Unknown, expired or revoked.
    Invalid,
    /// A spent token came back: the family has just been revoked.
    Reused {
        family_id: String,
    },
    Database(sqlx::Error),
}

impl From<sqlx::Error> for RefreshError {
    fn from(error: sqlx::Error) -> Self {
        RefreshError::Database(error)
    }
}

/// Starts a family for a fresh login from `origin`'s device.
pub async fn start(
    pool: &Pool,
    user_id: &str,
    lifetime_secs: i64,
    origin: &Origin,
    now: i64,
) -> Result<Issued, sqlx::Error> {
    let (token, hash) = new_token();
    let family = FamilyRow {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.to_string(),
        created_at: now,
        last_used_at: now,
        expires_at: now + lifetime_secs,
        revoked_at: None,
        user_agent: origin.user_agent.clone(),
        ip: origin.ip.clone(),
    };
    let origin = origin.by(user_id);
    let event = session_event(EventKind::LoginSucceeded, &origin, user_id, &family.id);
    db::refresh::create_family(pool, &family, &hash, &event).await?;
    Ok(Issued {
        token,
        family_id: family.id,
    })
}

/// Spends `presented` and returns its successor, with the member it belongs to.
/// `batcher` (SQLite only) does the common case, a live token, in a group commit.
pub async fn rotate(
    pool: &Pool,
    batcher: Option<&RefreshBatcher>,
    presented: &str,
    grace_secs: i64,
    origin: &Origin,
    now: i64,
) -> Result<(Issued, UserRow), RefreshError> {
    let presented_hash = storage_key(presented);
    let (token, new_hash) = new_token();
    let issued = |token, family_id: &str| Issued {
        token,
        family_id: family_id.to_string(),
    };
    // One connection for the rest of the exchange: every pool checkout and
    // return is a hand-over between threads.
    let (mut conn, found) = match batcher {
        Some(batcher) => {
            let request = RotationRequest {
                old_hash: presented_hash.clone(),
                new_hash: new_hash.clone(),
                now,
                ip: origin.ip.clone(),
                user_agent: origin.user_agent.clone(),
            };
            match batcher.rotate_if_live(request).await? {
                Rotation::Done(found) => return Ok((issued(token, &found.family_id), found.user)),
                // Acquired only now: SQLite's one connection was the batch's.
                Rotation::NotLive(found) => (pool.acquire().await?, found),
            }
        }
        None => {
            let mut conn = pool.acquire().await?;
            let found = db::refresh::find_token(&mut *conn, &presented_hash).await?;
            (conn, found)
        }
    };
    let found = found.ok_or(RefreshError::Invalid)?;
    if found.revoked_at.is_some() || found.expires_at <= now {
        return Err(RefreshError::Invalid);
    }
    let user_id = found.user.id.as_str();
    let origin = origin.by(user_id);
    let refreshed = session_event(EventKind::Refreshed, &origin, user_id, &found.family_id);
    if found.spent_at.is_none()
        && db::refresh::rotate(
            &mut *conn,
            &found.family_id,
            &presented_hash,
            &new_hash,
            now,
            &refreshed,
        )
        .await?
    {
        return Ok((issued(token, &found.family_id), found.user));
    }
    // Spent already (maybe a split second ago by a concurrent request): re-read when.
    let spent_at = db::refresh::find_token(&mut *conn, &presented_hash)
        .await?
        .and_then(|row| row.spent_at)
        .unwrap_or(now);
    if now - spent_at < grace_secs {
        db::refresh::add_token(&mut *conn, &found.family_id, &new_hash, now, &refreshed).await?;
        return Ok((issued(token, &found.family_id), found.user));
    }
    let reuse = session_event(
        EventKind::RefreshReuseDetected,
        &origin,
        user_id,
        &found.family_id,
    );
    db::refresh::revoke_family(&mut *conn, &found.family_id, now, &reuse).await?;
    Err(RefreshError::Reused {
        family_id: found.family_id,
    })
}

/// Logout: revokes the presented token's family. Unknown tokens are ignored.
pub async fn end(
    pool: &Pool,
    presented: &str,
    origin: &Origin,
    now: i64,
) -> Result<(), sqlx::Error> {
    let Some(found) = db::refresh::find_token(pool, &storage_key(presented)).await? else {
        return Ok(());
    };
    let origin = origin.by(&found.user.id);
    let event = session_event(
        EventKind::LoggedOut,
        &origin,
        &found.user.id,
        &found.family_id,
    );
    db::refresh::revoke_family(pool, &found.family_id, now, &event).await
}

/// Ends one session from the sessions page: its next refresh fails.
pub async fn revoke(
    pool: &Pool,
    family: &FamilyRow,
    origin: &Origin,
    now: i64,
) -> Result<(), sqlx::Error> {
    let event = session_event(
        EventKind::SessionRevoked,
        origin,
        &family.user_id,
        &family.id,
    );
    db::refresh::revoke_family(pool, &family.id, now, &event).await
}

fn session_event<'a>(
    kind: EventKind,
    origin: &'a Origin,
    user_id: &'a str,
    family_id: &str,
) -> Event<'a> {
    Event {
        kind,
        origin,
        subject_id: Some(user_id),
        detail: json!({ "session_id": family_id }),
    }
}

/// A new token and its storage key. The token is its issue time (8 bytes,
/// milliseconds) and 256 random bits. The time is no secret; it is there so
/// that keys sort by issue time (see `storage_key`).
fn new_token() -> (String, String) {
    let mut bytes = [0u8; TOKEN_BYTES];
    bytes[..8].copy_from_slice(&now_ms().to_be_bytes());
    getrandom::fill(&mut bytes[8..]).expect("the OS random number generator");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let key = storage_key(&token);
    (token, key)
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
    fn a_token_from_before_the_time_prefix_keeps_its_plain_hash() {
        let token = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let mut hash = String::new();
        push_hex(&mut hash, &Sha256::digest(token.as_bytes()));

        assert_eq!(storage_key(&token), hash);
    }
}
