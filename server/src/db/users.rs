//! Band members.

use app::api::validation::is_username_shaped;
use sqlx::{Any, FromRow, Transaction};

use super::{
    DbResult, Pool,
    audit::{self, Event},
    changes::{self, Author, Change},
};

#[derive(Clone, Debug, FromRow)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    /// What they play: free text, shown next to their name.
    pub instrument: String,
    pub password_hash: String,
    /// Access tokens issued at or before this instant (unix milliseconds) are refused.
    pub tokens_valid_after_ms: i64,
    /// Set while the member is disabled: no login, no refresh.
    pub disabled_at: Option<i64>,
}

const COLUMNS: &str = "id, username, display_name, role, instrument, password_hash, tokens_valid_after_ms, disabled_at";

pub async fn count(pool: &Pool) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await?)
}

/// Inserts a member, added `by` someone; `Ok(false)` when the username is
/// taken (case-insensitively).
pub async fn insert(
    pool: &Pool,
    user: &UserRow,
    by: &Author,
    now: i64,
    event: &Event<'_>,
) -> DbResult<bool> {
    let mut tx = pool.begin().await?;
    let result = sqlx::query(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at, instrument) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(&user.role)
    .bind(&user.password_hash)
    .bind(now)
    .bind(&user.instrument)
    .execute(&mut *tx)
    .await;
    match result {
        Ok(_) => {
            audit::record(&mut tx, event, now).await?;
            announce_write(&mut tx, by).await?;
            tx.commit().await?;
            Ok(true)
        }
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The member called `username`, in any case. A name no member could have
/// finds nobody before the database is asked: PostgreSQL lowercases "İ" to
/// "i" where the login throttle's Rust sees "i̇", so "mİke" would be mike's
/// password guessed on a throttle budget of its own.
pub async fn find_by_username(pool: &Pool, username: &str) -> DbResult<Option<UserRow>> {
    if !is_username_shaped(username) {
        return Ok(None);
    }
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE lower(username) = lower($1)"
    ))
    .bind(username)
    .fetch_optional(pool)
    .await?)
}

pub async fn find_by_id(pool: &Pool, id: &str) -> DbResult<Option<UserRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn list(pool: &Pool) -> DbResult<Vec<UserRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users ORDER BY lower(username)"
    ))
    .fetch_all(pool)
    .await?)
}

/// A manager's change to a member (`PATCH /api/users/{id}`); `None` keeps a field.
pub struct MemberChange<'a> {
    pub role: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub instrument: Option<&'a str>,
    pub disabled: Option<bool>,
}

pub enum ChangeOutcome {
    Changed {
        after: UserRow,
        /// Set when the member's live tokens were cut off (a new role or a disable).
        cutoff_ms: Option<i64>,
        /// Whether anything changed (and was announced): a patch may set
        /// what is already there.
        news: bool,
    },
    NotFound,
    /// It would leave the band without an enabled manager.
    LastManager,
}

/// Applies `change`, made `by` a manager, in one transaction, with what it
/// implies: a new role or a disable cuts the member's tokens off; a disable
/// also ends every session. `events` describes the change for the audit
/// trail; none, and the change is not announced (nothing changed).
pub async fn change_member<'e>(
    pool: &Pool,
    id: &str,
    change: &MemberChange<'_>,
    by: &Author,
    now: i64,
    events: impl FnOnce(&UserRow, &UserRow) -> Vec<Event<'e>>,
) -> DbResult<ChangeOutcome> {
    let mut tx = pool.begin().await?;
    // Two managers demoting each other at once must not both succeed: on
    // PostgreSQL the enabled managers' rows are locked first, so the second
    // change waits and then counts again. (SQLite runs one writer at a time.)
    if super::is_postgres(&tx) {
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
    if let Some(instrument) = change.instrument {
        after.instrument = instrument.to_string();
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
    sqlx::query(
        "UPDATE users SET role = $1, display_name = $2, disabled_at = $3, instrument = $5 WHERE id = $4",
    )
    .bind(&after.role)
    .bind(&after.display_name)
    .bind(after.disabled_at)
    .bind(id)
    .bind(&after.instrument)
        .execute(&mut *tx)
        .await?;
    // After the row is changed (and, on PostgreSQL, locked): a login under
    // way either committed its session before, and it is ended here, or
    // reads the disabled row and writes none (`refresh::create_family`).
    if newly_disabled {
        super::revoke::revoke_families_of_user(&mut tx, id, None, now).await?;
    }
    let cutoff_ms = if newly_disabled || after.role != before.role {
        let cutoff_ms = super::revoke::cut_off_tokens(&mut tx, id).await?;
        after.tokens_valid_after_ms = cutoff_ms;
        Some(cutoff_ms)
    } else {
        None
    };
    let events = events(&before, &after);
    for event in &events {
        audit::record(&mut tx, event, now).await?;
    }
    // A patch that changed nothing is no news (each change is one event).
    let news = !events.is_empty();
    if news {
        announce_write(&mut tx, by).await?;
    }
    tx.commit().await?;
    Ok(ChangeOutcome::Changed {
        after,
        cutoff_ms,
        news,
    })
}

/// Tells every instance that the members changed, with the transaction that
/// changes them (PostgreSQL: heard when, and only if, it commits).
async fn announce_write(tx: &mut Transaction<'_, Any>, by: &Author) -> DbResult<()> {
    changes::announce(tx, &Change::Members { by: by.clone() }).await
}

/// Cut-offs that can still refuse a live token (newer than `since_ms`).
pub async fn cutoffs_after(pool: &Pool, since_ms: i64) -> DbResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, tokens_valid_after_ms FROM users WHERE tokens_valid_after_ms > $1",
    )
    .bind(since_ms)
    .fetch_all(pool)
    .await?)
}
