//! Refresh tokens: 256 random bits, opaque, sent only in an HttpOnly cookie
//! (JavaScript, and so an XSS payload, cannot read it), stored only as a
//! SHA-256 hash (a database leak yields no usable token).
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

use crate::db::{
    self, Pool,
    audit::{Event, EventKind, Origin},
    refresh::{FamilyRow, Rotation},
    users::UserRow,
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
pub async fn rotate(
    pool: &Pool,
    presented: &str,
    grace_secs: i64,
    origin: &Origin,
    now: i64,
) -> Result<(Issued, UserRow), RefreshError> {
    let presented_hash = hash(presented);
    let (token, new_hash) = new_token();
    let issued = |token, family_id: &str| Issued {
        token,
        family_id: family_id.to_string(),
    };
    // One connection for the whole exchange: every pool checkout and return
    // is a hand-over between threads, and this is the hottest write path.
    let mut conn = pool.acquire().await?;
    let found = if conn.backend_name() == "SQLite" {
        let rotation;
        (conn, rotation) = db::refresh::rotate_if_live_sqlite(
            conn,
            presented_hash.clone(),
            new_hash.clone(),
            now,
            origin,
        )
        .await?;
        match rotation {
            Rotation::Done(found) => return Ok((issued(token, &found.family_id), found.user)),
            Rotation::NotLive(found) => found,
        }
    } else {
        db::refresh::find_token(&mut *conn, &presented_hash).await?
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
    let Some(found) = db::refresh::find_token(pool, &hash(presented)).await? else {
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

fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random number generator");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hashed = hash(&token);
    (token, hashed)
}

fn hash(token: &str) -> String {
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(token.as_bytes()) {
        write!(hex, "{byte:02x}").expect("writing to a String cannot fail");
    }
    hex
}
