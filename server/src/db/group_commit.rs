//! Group commit for refreshes on SQLite.
//!
//! A refresh is a small write: spend the presented token, add its successor,
//! touch the session, record the event. On SQLite its fixed costs outweighed
//! the statements: every query is a round trip to the connection's own thread
//! (a hand-over each way), and every transaction a commit (WAL frames written,
//! locks taken and released). Under load, much of a refresh's CPU went to
//! thread wake-ups and context switches (`scripts/bench.sh refresh`; figures
//! in README, Performance).
//!
//! So refreshes queue here, and one task runs whatever has queued as one
//! transaction: one round trip and one commit for up to `MAX_BATCH` refreshes.
//! Nobody waits for a batch to fill: an idle server runs a batch of one, and
//! the refreshes that arrive while a batch runs form the next one.
//!
//! Only the common case, a live token, is done here (the `db::spend` seam).
//! Anything else (unknown, spent, dead family) changes nothing, and
//! `auth::refresh` handles it with the portable queries.

use std::sync::LazyLock;

use sqlx::{Any, FromRow, Row, pool::PoolConnection};
use tokio::sync::{mpsc, oneshot};

use super::{
    DbError, DbResult, Pool,
    audit::AuditKind,
    refresh::{Rotation, TOKEN_COLUMNS, TOKEN_JOINS, TokenRow},
    spend::{RotationRequest, SpendLive},
};

/// The most refreshes in one transaction: the benchmark's 32 connections fit
/// in one, and a longer batch would hold SQLite's one connection longer.
const MAX_BATCH: usize = 32;

struct Job {
    request: RotationRequest,
    reply: oneshot::Sender<DbResult<Rotation>>,
}

/// The handle of the task that runs the batches; the task ends with the last handle.
pub struct RefreshBatcher {
    jobs: mpsc::Sender<Job>,
}

impl RefreshBatcher {
    pub fn start(pool: Pool) -> RefreshBatcher {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run_batches(pool, queue));
        RefreshBatcher { jobs }
    }
}

impl SpendLive for RefreshBatcher {
    /// The batch runs in its own task, so a client hanging up cannot stop it
    /// between its BEGIN and COMMIT.
    async fn spend_if_live(&self, request: RotationRequest) -> DbResult<Rotation> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { request, reply })
            .await
            .map_err(stopped)?;
        answer.await.map_err(stopped)?
    }
}

/// The batch task is gone: the server is shutting down.
fn stopped<E>(_: E) -> DbError {
    DbError::Unavailable(sqlx::Error::PoolClosed)
}

async fn run_batches(pool: Pool, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let conn = pool.acquire().await;
        // Refreshes that queued while the connection was busy join this batch.
        while batch.len() < MAX_BATCH {
            let Ok(job) = queue.try_recv() else { break };
            batch.push(job);
        }
        // A client that hung up (or timed out) would never get its successor,
        // and its next refresh, with the spent token, could look like reuse.
        batch.retain(|job| !job.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        let outcome = match conn {
            Ok(conn) => run_batch(conn, &batch).await,
            Err(error) => Err(error),
        };
        // A send fails only when the client hung up: nobody is left to tell.
        match outcome {
            Ok(rotations) => {
                for (job, rotation) in batch.drain(..).zip(rotations) {
                    let _ = job.reply.send(rotation);
                }
            }
            // sqlx errors cannot be cloned: each waiter gets the cause in words,
            // and the batch's failure is worth a retry (a 503) to each of them.
            Err(error) => {
                let error = error.to_string();
                for job in batch.drain(..) {
                    let cause = sqlx::Error::Protocol(format!("refresh batch failed: {error}"));
                    let _ = job.reply.send(Err(DbError::Unavailable(cause)));
                }
            }
        }
    }
}

/// The answer to one refresh of the batch (its place in the batch: `job`).
#[derive(FromRow)]
struct RotationRow {
    /// 1 when that refresh spent its token and did everything that goes with it.
    rotated: i64,
    #[sqlx(flatten)]
    token: TokenRow,
}

/// Each refresh's answer, once the batch is committed; an error when it was not.
async fn run_batch(
    mut conn: PoolConnection<Any>,
    batch: &[Job],
) -> Result<Vec<DbResult<Rotation>>, sqlx::Error> {
    // The batch travels as one JSON array, one row per refresh: one bound
    // value and one prepared statement whatever the batch's size.
    let jobs: Vec<_> = batch
        .iter()
        .map(|Job { request, .. }| {
            (
                &request.old_hash,
                &request.new_hash,
                request.now,
                uuid::Uuid::now_v7().to_string(),
                &request.origin.ip,
                &request.origin.user_agent,
            )
        })
        .collect();
    let jobs = serde_json::to_string(&jobs).map_err(|error| sqlx::Error::Encode(error.into()))?;
    let query = sqlx::query(&BATCH)
        .bind(jobs)
        .bind(AuditKind::Refreshed.as_str());
    // fetch_all, not fetch_optional: sqlx stops a query at the row limit,
    // and the COMMIT comes after the rows.
    let rows = match query.fetch_all(&mut *conn).await {
        Ok(rows) => rows,
        Err(error) => {
            // A batch that failed part-way may have left its transaction
            // open: drop the connection rather than reason about its state.
            conn.close_on_drop();
            return Err(error);
        }
    };
    // Committed by now: a row that cannot be read fails its own refresh only.
    // A token nobody issued has no row: it stays NotLive(None).
    let mut rotations: Vec<_> = batch.iter().map(|_| Ok(Rotation::NotLive(None))).collect();
    for row in rows {
        let job: i64 = row.try_get("job")?;
        let slot = usize::try_from(job)
            .ok()
            .and_then(|job| rotations.get_mut(job))
            .ok_or_else(|| sqlx::Error::Protocol("a batch row for no refresh".into()))?;
        *slot = RotationRow::from_row(&row)
            .map(|row| match row.rotated {
                1 => Rotation::Done(row.token),
                _ => Rotation::NotLive(Some(row.token)),
            })
            .map_err(DbError::from);
    }
    Ok(rotations)
}

/// One transaction for the whole batch, whatever its size: the batch is
/// copied from `$1` into a table of its own (in memory: `temp_store`), and
/// five statements each work on every refresh at once. `$2` is the event kind.
///
/// A refresh rotated if and only if its successor exists: the successors
/// are inserted first, for live tokens only (and for the first of two
/// refreshes that present the same token: `BEGIN IMMEDIATE` holds the write
/// lock, so nothing else changes the tokens meanwhile), and the statements
/// after it follow it.
/// The audit row must match what `audit::record` writes for `auth::refresh`'s
/// event (the test `a_refresh_is_audited_with_its_session` compares them on
/// both backends). `CROSS JOIN` keeps `jobs` the outer loop, so each refresh
/// costs index lookups whatever the tables' sizes.
static BATCH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "CREATE TEMP TABLE IF NOT EXISTS refresh_batch (job INTEGER PRIMARY KEY, \
          old TEXT, new TEXT, now INTEGER, event_id TEXT, ip TEXT, user_agent TEXT); \
         BEGIN IMMEDIATE; \
         INSERT INTO refresh_batch SELECT key, value->>0, value->>1, value->>2, value->>3, \
          value->>4, value->>5 FROM json_each($1); \
         INSERT INTO refresh_tokens (token_hash, family_id, issued_at) \
          SELECT jobs.new, t.family_id, jobs.now FROM refresh_batch jobs \
          CROSS JOIN refresh_tokens t ON t.token_hash = jobs.old \
          JOIN refresh_families f ON f.id = t.family_id \
          WHERE t.spent_at IS NULL AND f.revoked_at IS NULL AND f.expires_at > jobs.now \
          AND NOT EXISTS (SELECT 1 FROM refresh_batch twin WHERE twin.old = jobs.old AND twin.job < jobs.job); \
         UPDATE refresh_tokens SET spent_at = jobs.now FROM refresh_batch jobs \
          WHERE refresh_tokens.token_hash = jobs.old \
          AND EXISTS (SELECT 1 FROM refresh_tokens s WHERE s.token_hash = jobs.new); \
         UPDATE refresh_families SET last_used_at = rotated.now \
          FROM (SELECT s.family_id, max(jobs.now) AS now FROM refresh_batch jobs \
          CROSS JOIN refresh_tokens s ON s.token_hash = jobs.new GROUP BY s.family_id) AS rotated \
          WHERE refresh_families.id = rotated.family_id; \
         INSERT INTO audit_events (id, at, kind, actor_id, subject_id, ip, user_agent, detail) \
          SELECT jobs.event_id, jobs.now, $2, f.user_id, f.user_id, jobs.ip, jobs.user_agent, \
          json_object('session_id', f.id) FROM refresh_batch jobs \
          CROSS JOIN refresh_tokens s ON s.token_hash = jobs.new \
          JOIN refresh_families f ON f.id = s.family_id; \
         SELECT jobs.job, \
          EXISTS (SELECT 1 FROM refresh_tokens s WHERE s.token_hash = jobs.new) AS rotated, \
          {TOKEN_COLUMNS} FROM refresh_batch jobs CROSS JOIN refresh_tokens t ON t.token_hash = jobs.old {TOKEN_JOINS}; \
         DELETE FROM refresh_batch; \
         COMMIT;"
    )
});
