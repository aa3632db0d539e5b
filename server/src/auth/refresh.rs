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

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::{
    self, Pool,
    audit::{Event, EventKind, Origin},
    refresh::FamilyRow,
};

/// A token for the cookie, and who it belongs to.
pub struct Issued {
    pub token: String,
    pub family_id: String,
    pub user_id: String,
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
        // Bounded: a header is attacker-controlled text we store.
        user_agent: origin.user_agent.chars().take(256).collect(),
        ip: origin.ip.clone(),
    };
    let origin = origin.by(user_id);
    let event = session_event(EventKind::LoginSucceeded, &origin, user_id, &family.id);
    db::refresh::create_family(pool, &family, &hash, &event).await?;
    Ok(Issued {
        token,
        family_id: family.id,
        user_id: family.user_id,
    })
}

/// Spends `presented` and returns its successor.
pub async fn rotate(
    pool: &Pool,
    presented: &str,
    grace_secs: i64,
    origin: &Origin,
    now: i64,
) -> Result<Issued, RefreshError> {
    let presented_hash = hash(presented);
    let found = db::refresh::find_token(pool, &presented_hash)
        .await?
        .ok_or(RefreshError::Invalid)?;
    if found.revoked_at.is_some() || found.expires_at <= now {
        return Err(RefreshError::Invalid);
    }
    let origin = origin.by(&found.user_id);
    let (token, new_hash) = new_token();
    let refreshed = session_event(
        EventKind::Refreshed,
        &origin,
        &found.user_id,
        &found.family_id,
    );
    if found.spent_at.is_none()
        && db::refresh::rotate(
            pool,
            &found.family_id,
            &presented_hash,
            &new_hash,
            now,
            &refreshed,
        )
        .await?
    {
        return Ok(issued(token, found.family_id, found.user_id));
    }
    // Spent already (maybe a split second ago by a concurrent request): re-read when.
    let spent_at = db::refresh::find_token(pool, &presented_hash)
        .await?
        .and_then(|row| row.spent_at)
        .unwrap_or(now);
    if now - spent_at < grace_secs {
        db::refresh::add_token(pool, &found.family_id, &new_hash, now, &refreshed).await?;
        return Ok(issued(token, found.family_id, found.user_id));
    }
    let reuse = session_event(
        EventKind::RefreshReuseDetected,
        &origin,
        &found.user_id,
        &found.family_id,
    );
    db::refresh::revoke_family(pool, &found.family_id, now, &reuse).await?;
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
    let origin = origin.by(&found.user_id);
    let event = session_event(
        EventKind::LoggedOut,
        &origin,
        &found.user_id,
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

fn issued(token: String, family_id: String, user_id: String) -> Issued {
    Issued {
        token,
        family_id,
        user_id,
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
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
