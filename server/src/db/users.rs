//! Band members.

use sqlx::FromRow;

use super::{
    Pool,
    audit::{self, Event},
};

#[derive(Clone, Debug, FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    /// Access tokens issued at or before this instant (unix milliseconds) are refused.
    pub tokens_valid_after_ms: i64,
}

const COLUMNS: &str = "id, username, display_name, role, password_hash, tokens_valid_after_ms";

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

/// The first half of a member revoke: every session of the member is
/// revoked and the revoke recorded, in one transaction.
pub async fn revoke_sessions(
    pool: &Pool,
    id: &str,
    now: i64,
    event: &Event<'_>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    super::refresh::revoke_all_of_user(&mut tx, id, now).await?;
    audit::record(&mut tx, event, now).await?;
    tx.commit().await
}

/// The second half: access tokens issued at or before `cutoff_ms` stop verifying.
pub async fn set_token_cutoff(pool: &Pool, id: &str, cutoff_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET tokens_valid_after_ms = $1 WHERE id = $2")
        .bind(cutoff_ms)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Cut-offs that can still refuse a live token (newer than `since_ms`).
pub async fn cutoffs_after(pool: &Pool, since_ms: i64) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT id, tokens_valid_after_ms FROM users WHERE tokens_valid_after_ms > $1")
        .bind(since_ms)
        .fetch_all(pool)
        .await
}
