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

/// How an attempt in flight ends, for its subjects' counters.
#[derive(Clone, Copy)]
pub enum Settled {
    /// A wrong password: a failure of every subject.
    Failed,
    /// A right password: the first `cleared` subjects start again at no
    /// failures (and a later lockout in the window is audited again).
    Succeeded { cleared: usize },
    /// No answer (an error on the way): as if it had never been made.
    GivenBack,
}

/// Why an attempt was not counted.
#[derive(Debug, PartialEq)]
pub enum Refused {
    /// Failures reached a limit: wait `secs`, the rest of its window.
    /// `first` marks the window's first lockout, the one audited.
    LockedOut { secs: i64, first: bool },
    /// Failures and attempts in flight together fill a limit: places come
    /// free as those attempts are settled.
    Busy,
}

/// Counts one attempt in flight against each subject of `keys` (with its
/// limit in `limits`), atomically: all or none. Once counted, when each
/// subject's window started; otherwise why not (`Refused`).
///
/// Each upsert locks its subject's row until the transaction ends, so
/// concurrent attempts on one subject are counted one after the other, and
/// an attempt over a limit rolls back every count it made.
pub async fn reserve(
    pool: &Pool,
    keys: &[SubjectKey; 3],
    limits: &[u32; 3],
    window_secs: i64,
    now: i64,
) -> DbResult<Result<[i64; 3], Refused>> {
    let mut tx = pool.begin().await?;
    let mut windows = [now; 3];
    let mut locked_out = Vec::new();
    let mut wait = None;
    let mut busy = false;
    for ((key, limit), window) in keys.iter().zip(limits).zip(&mut windows) {
        let subject = hex(key);
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
        *window = started;
        let limit = i64::from(*limit);
        if failures >= limit {
            wait = wait.max(Some(started + window_secs - now));
            locked_out.push((subject, started));
        } else if failures + in_flight > limit {
            busy = true;
        }
    }
    if wait.is_none() && !busy {
        tx.commit().await?;
        return Ok(Ok(windows));
    }
    tx.rollback().await?;
    let mut first = false;
    for (subject, started) in locked_out {
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
    Ok(Err(match wait {
        Some(secs) => Refused::LockedOut { secs, first },
        None => Refused::Busy,
    }))
}

/// Settles one attempt in flight: `windows` are when its subjects' windows
/// started as it was counted, and a window that has started again since is
/// left alone (the attempt was never counted there).
pub async fn settle(
    pool: &Pool,
    keys: &[SubjectKey; 3],
    windows: &[i64; 3],
    how: Settled,
) -> DbResult<()> {
    let (failures, cleared) = match how {
        Settled::Failed => (1_i64, 0),
        Settled::Succeeded { cleared } => (0, cleared),
        Settled::GivenBack => (0, 0),
    };
    let mut tx = pool.begin().await?;
    for (at, (key, started)) in keys.iter().zip(windows).enumerate() {
        sqlx::query(
            "UPDATE login_throttle SET \
              in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END, \
              failures = CASE WHEN $3 THEN 0 ELSE failures + $2 END, \
              reported = CASE WHEN $3 THEN 0 ELSE reported END \
             WHERE subject = $1 AND window_started = $4",
        )
        .bind(hex(key))
        .bind(failures)
        .bind(at < cleared)
        .bind(started)
        .execute(&mut *tx)
        .await?;
    }
    Ok(tx.commit().await?)
}

/// Clears the failures counted against `keys`; their windows run on
/// (`LoginThrottle::forgive`).
pub async fn forgive(pool: &Pool, keys: &[SubjectKey]) -> DbResult<()> {
    let mut tx = pool.begin().await?;
    for key in keys {
        sqlx::query("UPDATE login_throttle SET failures = 0, reported = 0 WHERE subject = $1")
            .bind(hex(key))
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx.commit().await?)
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
