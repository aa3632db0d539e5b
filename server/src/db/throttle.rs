//! The failed-login throttle's counters, shared by every instance on
//! PostgreSQL (`auth::throttle` explains the counting).

use std::fmt::Write;

use super::{DbResult, Pool};

/// A subject's counter key: the first 16 bytes of a SHA-256 of the subject.
pub type SubjectKey = [u8; 16];

fn hex(key: &SubjectKey) -> String {
    key.iter().fold(String::with_capacity(32), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// Counts one attempt against each `(subject, limit)`, atomically: all or
/// none. `None` when counted; otherwise `Some((seconds to wait, first))`,
/// where `first` marks the window's first refusal.
///
/// Each upsert locks its subject's row until the transaction ends, so
/// concurrent attempts on one subject are counted one after the other, and
/// an attempt over a limit rolls back every count it made.
pub async fn reserve(
    pool: &Pool,
    limits: impl Iterator<Item = (SubjectKey, u32)>,
    window_secs: i64,
    now: i64,
) -> DbResult<Option<(i64, bool)>> {
    let mut tx = pool.begin().await?;
    let mut over = Vec::new();
    for (key, limit) in limits {
        let subject = hex(&key);
        let (started, failures): (i64, i64) = sqlx::query_as(
            "INSERT INTO login_throttle (subject, window_started, failures) VALUES ($1, $2, 1) \
             ON CONFLICT (subject) DO UPDATE SET \
              window_started = CASE WHEN login_throttle.window_started <= $3 \
               THEN $2 ELSE login_throttle.window_started END, \
              reported = CASE WHEN login_throttle.window_started <= $3 \
               THEN 0 ELSE login_throttle.reported END, \
              failures = CASE WHEN login_throttle.window_started <= $3 \
               THEN 1 ELSE login_throttle.failures + 1 END \
             RETURNING window_started, failures",
        )
        .bind(&subject)
        .bind(now)
        .bind(now - window_secs)
        .fetch_one(&mut *tx)
        .await?;
        if failures > i64::from(limit) {
            over.push((subject, started));
        }
    }
    if over.is_empty() {
        tx.commit().await?;
        return Ok(None);
    }
    tx.rollback().await?;
    let mut wait = 0;
    let mut first = false;
    for (subject, started) in over {
        wait = i64::max(wait, started + window_secs - now);
        first |= sqlx::query(
            "UPDATE login_throttle SET reported = 1 \
             WHERE subject = $1 AND window_started = $2 AND reported = 0",
        )
        .bind(subject)
        .bind(started)
        .execute(pool)
        .await?
        .rows_affected()
            == 1;
    }
    Ok(Some((wait, first)))
}

/// Undoes one reservation of each subject (the attempt never got an answer).
pub async fn give_back(pool: &Pool, keys: &[SubjectKey]) -> DbResult<()> {
    let mut tx = pool.begin().await?;
    for key in keys {
        sqlx::query(
            "UPDATE login_throttle SET failures = failures - 1 WHERE subject = $1 AND failures > 0",
        )
        .bind(hex(key))
        .execute(&mut *tx)
        .await?;
    }
    Ok(tx.commit().await?)
}

/// A correct password: the `cleared` subjects start again (the pair, and the
/// account unless its limit was lifted); the others get their reservation back.
pub async fn succeeded(
    pool: &Pool,
    cleared: &[SubjectKey],
    given_back: &[SubjectKey],
) -> DbResult<()> {
    let mut tx = pool.begin().await?;
    for key in cleared {
        sqlx::query("DELETE FROM login_throttle WHERE subject = $1")
            .bind(hex(key))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    give_back(pool, given_back).await
}

/// Forgets finished windows; run with the audit pruning.
pub async fn prune(pool: &Pool, window_secs: i64, now: i64) -> DbResult<u64> {
    Ok(
        sqlx::query("DELETE FROM login_throttle WHERE window_started <= $1")
            .bind(now - window_secs)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())?,
    )
}
