//! Band members.

use sqlx::{AnyConnection, FromRow};

use super::{
    Pool,
    audit::{self, Event},
    changes::{Change, announce},
};
use crate::clock::now_ms;

#[derive(Clone, Debug, FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    /// Access tokens issued at or before this instant (unix milliseconds) are refused.
    pub tokens_valid_after_ms: i64,
    /// Set while the member is disabled: no login, no refresh.
    pub disabled_at: Option<i64>,
}

const COLUMNS: &str =
    "id, username, display_name, role, password_hash, tokens_valid_after_ms, disabled_at";

pub async fn count(pool: &Pool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await
}

/// Inserts a member; `Ok(false)` when the username is taken (case-insensitively).
pub async fn insert(
    pool: &Pool,
    user: &UserRow,
    now: i64,
    event: &Event<'_>,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let result = sqlx::query(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(&user.role)
    .bind(&user.password_hash)
    .bind(now)
    .execute(&mut *tx)
    .await;
    match result {
        Ok(_) => {
            audit::record(&mut tx, event, now).await?;
            tx.commit().await?;
            Ok(true)
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn find_by_username(pool: &Pool, username: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE lower(username) = lower($1)"
    ))
    .bind(username)
    .fetch_optional(pool)
    .await
}

pub async fn find_by_id(pool: &Pool, id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn list(pool: &Pool) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users ORDER BY lower(username)"
    ))
    .fetch_all(pool)
    .await
}

/// A member revoke: every session of the member is revoked, their access
/// tokens issued until now are cut off, and the revoke recorded, in one
/// transaction. Returns the cut-off (unix milliseconds).
pub async fn revoke_member(
    pool: &Pool,
    id: &str,
    now: i64,
    event: &Event<'_>,
) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    super::refresh::revoke_families_of_user(&mut tx, id, None, now).await?;
    let cutoff_ms = cut_off_tokens(&mut tx, id).await?;
    audit::record(&mut tx, event, now).await?;
    tx.commit().await?;
    Ok(cutoff_ms)
}

/// Refuses the member's access tokens issued until now; returns the cut-off.
/// Read after the sessions were revoked in the same transaction: a refresh or
/// login that passed its check before began earlier still, and the tokens it
/// issues are dated from its start (`NewToken::issued_at_ms`).
async fn cut_off_tokens(tx: &mut AnyConnection, id: &str) -> Result<i64, sqlx::Error> {
    let cutoff_ms = now_ms();
    sqlx::query("UPDATE users SET tokens_valid_after_ms = $1 WHERE id = $2")
        .bind(cutoff_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let change = Change::MemberCutOff {
        user_id: id.to_string(),
        at_ms: cutoff_ms,
    };
    announce(tx, &change).await?;
    Ok(cutoff_ms)
}

/// A manager's change to a member (`PATCH /api/users/{id}`); `None` keeps a field.
pub struct MemberChange<'a> {
    pub role: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub disabled: Option<bool>,
}

pub enum ChangeOutcome {
    Changed {
        after: UserRow,
        /// Set when the member's live tokens were cut off (a new role or a disable).
        cutoff_ms: Option<i64>,
    },
    NotFound,
    /// It would leave the band without an enabled manager.
    LastManager,
}

/// Applies `change` in one transaction, with what it implies: a new role or
/// a disable cuts the member's tokens off; a disable also ends every
/// session. `events` describes the change for the audit trail.
pub async fn change_member<'e>(
    pool: &Pool,
    id: &str,
    change: &MemberChange<'_>,
    now: i64,
    events: impl FnOnce(&UserRow, &UserRow) -> Vec<Event<'e>>,
) -> Result<ChangeOutcome, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // Two managers demoting each other at once must not both succeed: on
    // PostgreSQL the enabled managers' rows are locked first, so the second
    // change waits and then counts again. (SQLite runs one writer at a time.)
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM users WHERE role = 'manager' AND disabled_at IS NULL ORDER BY id FOR UPDATE")
            .fetch_all(&mut *tx)
            .await?;
    }
    let Some(before) =
        sqlx::query_as::<_, UserRow>(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(ChangeOutcome::NotFound);
    };
    let mut after = before.clone();
    if let Some(role) = change.role {
        after.role = role.to_string();
    }
    if let Some(name) = change.display_name {
        after.display_name = name.to_string();
    }
    if let Some(disabled) = change.disabled {
        after.disabled_at = disabled.then(|| before.disabled_at.unwrap_or(now));
    }
    let is_manager = |row: &UserRow| row.role == "manager" && row.disabled_at.is_none();
    if is_manager(&before) && !is_manager(&after) {
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'manager' AND disabled_at IS NULL AND id <> $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if others == 0 {
            return Ok(ChangeOutcome::LastManager);
        }
    }
    let newly_disabled = before.disabled_at.is_none() && after.disabled_at.is_some();
    if newly_disabled {
        super::refresh::revoke_families_of_user(&mut tx, id, None, now).await?;
    }
    sqlx::query("UPDATE users SET role = $1, display_name = $2, disabled_at = $3 WHERE id = $4")
        .bind(&after.role)
        .bind(&after.display_name)
        .bind(after.disabled_at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let cutoff_ms = if newly_disabled || after.role != before.role {
        let cutoff_ms = cut_off_tokens(&mut tx, id).await?;
        after.tokens_valid_after_ms = cutoff_ms;
        Some(cutoff_ms)
    } else {
        None
    };
    for event in events(&before, &after) {
        audit::record(&mut tx, &event, now).await?;
    }
    tx.commit().await?;
    Ok(ChangeOutcome::Changed { after, cutoff_ms })
}

/// Which sessions a new password ends.
pub enum SessionsToEnd<'a> {
    /// A manager's reset: every session, and every access token until now.
    All,
    /// A member's own change: every session but the one they changed it from.
    AllBut(&'a str),
}

/// What a password change ended, for the in-memory revocation lists.
pub struct PasswordChanged {
    pub ended_sessions: Vec<String>,
    pub cutoff_ms: Option<i64>,
}

/// Stores a new password hash and ends sessions, in one transaction.
pub async fn set_password(
    pool: &Pool,
    id: &str,
    password_hash: &str,
    sessions: SessionsToEnd<'_>,
    now: i64,
    event: &Event<'_>,
) -> Result<PasswordChanged, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let except = match sessions {
        SessionsToEnd::All => None,
        SessionsToEnd::AllBut(session_id) => Some(session_id),
    };
    let ended_sessions = super::refresh::revoke_families_of_user(&mut tx, id, except, now).await?;
    let cutoff_ms = match except {
        None => Some(cut_off_tokens(&mut tx, id).await?),
        Some(_) => None,
    };
    audit::record(&mut tx, event, now).await?;
    tx.commit().await?;
    Ok(PasswordChanged {
        ended_sessions,
        cutoff_ms,
    })
}

/// Cut-offs that can still refuse a live token (newer than `since_ms`).
pub async fn cutoffs_after(pool: &Pool, since_ms: i64) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT id, tokens_valid_after_ms FROM users WHERE tokens_valid_after_ms > $1")
        .bind(since_ms)
        .fetch_all(pool)
        .await
}
