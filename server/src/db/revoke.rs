//! Every query that ends sessions or refuses access tokens, in one place: a
//! reader checking what a revoke does (which rows, which announcement to the
//! other instances, which audit event, one transaction) reads only this file.

use sqlx::{Acquire, Any, AnyConnection};

use super::{
    DbResult, Pool,
    audit::{self, Event},
    changes::{Change, announce},
    is_postgres,
};
use crate::clock::now_ms;

/// Revokes a live family and records `event`; a family that is already
/// revoked stays as it is, and nothing is recorded.
pub async fn revoke_family<'c>(
    db: impl Acquire<'c, Database = Any>,
    family_id: &str,
    now: i64,
    event: &Event<'_>,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    let revoked = sqlx::query(
        "UPDATE refresh_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // Already over (a logout after the session was revoked): nothing happened.
    if revoked == 1 {
        audit::record(&mut tx, event, now).await?;
        let change = Change::SessionsEnded {
            ids: vec![family_id.to_string()],
            at_ms: now_ms(),
        };
        announce(&mut tx, &change).await?;
    }
    Ok(tx.commit().await?)
}

/// Revokes every live family of a user but `except` (the caller's own
/// session, on a password change); returns their ids. Part of a larger
/// transaction (`db::users`).
pub async fn revoke_families_of_user(
    tx: &mut AnyConnection,
    user_id: &str,
    except: Option<&str>,
    now: i64,
) -> DbResult<Vec<String>> {
    let ended: Vec<String> = sqlx::query_scalar(
        "UPDATE refresh_families SET revoked_at = $1 \
         WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3 RETURNING id",
    )
    .bind(now)
    .bind(user_id)
    .bind(except.unwrap_or(""))
    .fetch_all(&mut *tx)
    .await?;
    if !ended.is_empty() {
        let change = Change::SessionsEnded {
            ids: ended.clone(),
            at_ms: now_ms(),
        };
        announce(tx, &change).await?;
    }
    Ok(ended)
}

/// A member revoke: their access tokens issued until now are cut off, every
/// session of theirs is revoked, and the revoke recorded, in one
/// transaction. Returns the cut-off (unix milliseconds).
///
/// The member's row first, as every change to a member does: a login or
/// refresh reads that row (`refresh::MEMBER_LOCK`) before its session's row,
/// and taking them in the other order could deadlock with it.
pub async fn revoke_member(pool: &Pool, id: &str, now: i64, event: &Event<'_>) -> DbResult<i64> {
    let mut tx = pool.begin().await?;
    let cutoff_ms = cut_off_tokens(&mut tx, id).await?;
    revoke_families_of_user(&mut tx, id, None, now).await?;
    audit::record(&mut tx, event, now).await?;
    tx.commit().await?;
    Ok(cutoff_ms)
}

/// Refuses the member's access tokens issued until now; returns the cut-off.
///
/// The clock is read once the member's row is held (on PostgreSQL): a
/// refresh or login that read the row first has committed by then, began
/// earlier still, and is dated from its start (`http::auth::dated`), so the
/// cut-off refuses what it issued; one that reads the row later sees the
/// cut-off and the change that came with it.
///
/// Each cut-off is later than the one before, even when this clock is behind
/// the one that stamped it (another instance's, or one set back): a token is
/// dated after the cut-off it was built under, and a later change with a
/// lower stamp would leave such a token, with the role from before the
/// change, still accepted.
pub(super) async fn cut_off_tokens(tx: &mut AnyConnection, id: &str) -> DbResult<i64> {
    if is_postgres(tx) {
        // What an UPDATE of the row takes; a no-op when this transaction
        // changed the row already.
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let cutoff_ms: i64 = sqlx::query_scalar(
        "UPDATE users SET tokens_valid_after_ms = CASE \
           WHEN tokens_valid_after_ms >= $1 THEN tokens_valid_after_ms + 1 ELSE $1 END \
         WHERE id = $2 RETURNING tokens_valid_after_ms",
    )
    .bind(now_ms())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let change = Change::MemberCutOff {
        user_id: id.to_string(),
        at_ms: cutoff_ms,
    };
    announce(tx, &change).await?;
    Ok(cutoff_ms)
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
) -> DbResult<PasswordChanged> {
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
    let ended_sessions = revoke_families_of_user(&mut tx, id, except, now).await?;
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
