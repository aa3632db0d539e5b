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

/// Counts one attempt in flight against each `(subject, limit)`, atomically:
/// all or none. `None` when counted; otherwise `Some((seconds to wait,
/// first))`, where `first` marks the window's first refusal. Failures that
/// reach a limit wait for the end of its window; attempts in flight that
/// fill it, `busy_secs`.
///
/// Each upsert locks its subject's row until the transaction ends, so
/// concurrent attempts on one subject are counted one after the other, and
/// an attempt over a limit rolls back every count it made.
pub async fn reserve(
    pool: &Pool,
    limits: impl Iterator<Item = (SubjectKey, u32)>,
    window_secs: i64,
    busy_secs: i64,
    now: i64,
) -> DbResult<Option<(i64, bool)>> {
    let mut tx = pool.begin().await?;
    let mut refused = Vec::new();
    let mut wait = None;
    for (key, limit) in limits {
        let subject = hex(&key);
        // A finished window starts again; the counts of the new one are this attempt.
        let (started, failures, in_flight): (i64, i64, i64) = sqlx::query_as(
            "INSERT INTO login_throttle (subject, window_started, failures, in_flight) \
             VALUES ($1, $2, 0, 1) \
             ON CONFLICT (subject) DO UPDATE SET \
              window_started = CASE WHEN login_throttle.window_started <= $3 \
               THEN $2 ELSE login_throttle.window_started END, \
              reported = CASE WHEN login_throttle.window_started <= $3 \
               THEN 0 ELSE login_throttle.reported END, \
              failures = CASE WHEN login_throttle.window_started <= $3 \
               THEN 0 ELSE login_throttle.failures END, \
              in_flight = CASE WHEN login_throttle.window_started <= $3 \
               THEN 1 ELSE login_throttle.in_flight + 1 END \
             RETURNING window_started, failures, in_flight",
        )
        .bind(&subject)
        .bind(now)
        .bind(now - window_secs)
        .fetch_one(&mut *tx)
        .await?;
        let limit = i64::from(limit);
        if failures >= limit {
            wait = wait.max(Some(started + window_secs - now));
        } else if failures + in_flight <= limit {
            continue;
        }
        refused.push((subject, started));
    }
    if refused.is_empty() {
        tx.commit().await?;
        return Ok(None);
    }
    tx.rollback().await?;
    let mut first = false;
    for (subject, started) in refused {
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
    Ok(Some((wait.unwrap_or(busy_secs), first)))
}

/// Settles one attempt in flight of each subject in `keys`: `failures`
/// adds 1 (a wrong password) or 0 (given back); the first `cleared` of them
/// start again at no failures (a right password).
async fn settle(pool: &Pool, keys: &[SubjectKey], failures: i64, cleared: usize) -> DbResult<()> {
    let mut tx = pool.begin().await?;
    for (at, key) in keys.iter().enumerate() {
        // An attempt from a window that has since started again may find
        // nothing in flight: it takes nobody else's place.
        sqlx::query(
            "UPDATE login_throttle SET \
              in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END, \
              failures = CASE WHEN $3 THEN 0 ELSE failures + $2 END \
             WHERE subject = $1",
        )
        .bind(hex(key))
        .bind(failures)
        .bind(at < cleared)
        .execute(&mut *tx)
        .await?;
    }
    Ok(tx.commit().await?)
}

/// Undoes one reservation of each subject (the attempt never got an answer).
pub async fn give_back(pool: &Pool, keys: &[SubjectKey]) -> DbResult<()> {
    settle(pool, keys, 0, 0).await
}

/// A wrong password: the reservation becomes a failure of each subject.
pub async fn failed(pool: &Pool, keys: &[SubjectKey]) -> DbResult<()> {
    settle(pool, keys, 1, 0).await
}

/// A correct password: the first `cleared` subjects start again at no
/// failures (the pair, and the account unless its limit was lifted); every
/// subject gets its reservation back.
pub async fn succeeded(pool: &Pool, keys: &[SubjectKey], cleared: usize) -> DbResult<()> {
    settle(pool, keys, 0, cleared).await
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
