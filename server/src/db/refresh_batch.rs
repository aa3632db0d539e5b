//! Group commit for refreshes on SQLite (`db::group_commit`): the refreshes
//! that arrive together are spent in one transaction.
//!
//! Only the common case, a live token, is done here (the `db::spend` seam).
//! Anything else (unknown, spent, dead family) changes nothing, and
//! `auth::refresh` handles it with the portable queries.

use std::sync::LazyLock;

use sqlx::{AnyConnection, FromRow, Row};

use super::{
    DbError, DbResult,
    audit::AuditKind,
    group_commit::{Batch, GroupCommit},
    refresh::{SpendOutcome, TOKEN_COLUMNS, TOKEN_JOINS, TokenRow},
    spend::{RotationRequest, SpendLive},
};

/// Spends live refresh tokens (`SpendLive`), a batch at a time.
pub struct RefreshBatch;

pub type RefreshBatcher = GroupCommit<RefreshBatch>;

impl SpendLive for RefreshBatcher {
    async fn spend_if_live(&self, request: RotationRequest) -> DbResult<SpendOutcome> {
        self.submit(request).await
    }
}

impl Batch for RefreshBatch {
    type Job = RotationRequest;
    type Answer = DbResult<SpendOutcome>;

    /// Each refresh's answer, once the batch is committed.
    async fn run(
        conn: &mut AnyConnection,
        batch: &[RotationRequest],
    ) -> Result<Vec<DbResult<SpendOutcome>>, DbError> {
        // The batch travels as one JSON array, one row per refresh: one bound
        // value and one prepared statement whatever the batch's size.
        let jobs: Vec<_> = batch
            .iter()
            .map(|request| {
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
        let jobs =
            serde_json::to_string(&jobs).map_err(|error| sqlx::Error::Encode(error.into()))?;
        let query = sqlx::query(&BATCH)
            .bind(jobs)
            .bind(AuditKind::Refreshed.as_str());
        // fetch_all, not fetch_optional: sqlx stops a query at the row limit,
        // and the COMMIT comes after the rows.
        let rows = query.fetch_all(&mut *conn).await?;
        // Committed by now: a row that cannot be read fails its own refresh only.
        // A token nobody issued has no row: it stays NotLive(None).
        let mut rotations: Vec<_> = batch
            .iter()
            .map(|_| Ok(SpendOutcome::NotLive(None)))
            .collect();
        for row in rows {
            let job: i64 = row.try_get("job")?;
            let slot = usize::try_from(job)
                .ok()
                .and_then(|job| rotations.get_mut(job))
                .ok_or_else(|| {
                    DbError::Query(sqlx::Error::Protocol("a batch row for no refresh".into()))
                })?;
            *slot = RotationRow::from_row(&row)
                .map(|row| match row.rotated {
                    1 => SpendOutcome::Done(row.token),
                    _ => SpendOutcome::NotLive(Some(row.token)),
                })
                .map_err(DbError::from);
        }
        Ok(rotations)
    }

    fn failed(cause: DbError) -> DbResult<SpendOutcome> {
        Err(cause)
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

/// One transaction for the whole batch, whatever its size: the batch is
/// copied from `$1` into a table of its own (in memory: `temp_store`), and
/// five statements each work on every refresh at once. `$2` is the event kind.
///
/// A refresh rotated if and only if its token was live when the batch began
/// (`live`, marked first; of two refreshes that present the same token, the
/// first: `BEGIN IMMEDIATE` holds the write lock, so nothing else changes the
/// tokens meanwhile), and every statement after it acts on those jobs only.
/// Not "its successor exists": a successor is derived from the spent token
/// and the millisecond, so a replay in the millisecond its token was spent
/// would find the first refresh's successor and pass for a rotation (reuse
/// detection fooled; seen as a flaky `reusing_a_spent_refresh_token…` test).
/// The audit row must match what `audit::record` writes for `auth::refresh`'s
/// event (the test `a_refresh_is_audited_with_its_session` compares them on
/// both backends). `CROSS JOIN` keeps `jobs` the outer loop, so each refresh
/// costs index lookups whatever the tables' sizes.
static BATCH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "CREATE TEMP TABLE IF NOT EXISTS refresh_batch (job INTEGER PRIMARY KEY, \
          old TEXT, new TEXT, now INTEGER, event_id TEXT, ip TEXT, user_agent TEXT, \
          live INTEGER NOT NULL DEFAULT 0); \
         BEGIN IMMEDIATE; \
         INSERT INTO refresh_batch (job, old, new, now, event_id, ip, user_agent) \
          SELECT key, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 \
          FROM json_each($1); \
         UPDATE refresh_batch SET live = 1 WHERE EXISTS (SELECT 1 FROM refresh_tokens t \
          JOIN refresh_families f ON f.id = t.family_id JOIN users u ON u.id = f.user_id \
          WHERE t.token_hash = refresh_batch.old AND t.spent_at IS NULL AND f.revoked_at IS NULL \
          AND f.expires_at > refresh_batch.now AND u.disabled_at IS NULL) \
          AND NOT EXISTS (SELECT 1 FROM refresh_batch twin \
          WHERE twin.old = refresh_batch.old AND twin.job < refresh_batch.job); \
         INSERT INTO refresh_tokens (token_hash, family_id, issued_at) \
          SELECT jobs.new, t.family_id, jobs.now FROM refresh_batch jobs \
          CROSS JOIN refresh_tokens t ON t.token_hash = jobs.old WHERE jobs.live = 1; \
         UPDATE refresh_tokens SET spent_at = jobs.now FROM refresh_batch jobs \
          WHERE refresh_tokens.token_hash = jobs.old AND jobs.live = 1; \
         UPDATE refresh_families SET last_used_at = rotated.now \
          FROM (SELECT s.family_id, max(jobs.now) AS now FROM refresh_batch jobs \
          CROSS JOIN refresh_tokens s ON s.token_hash = jobs.new WHERE jobs.live = 1 \
          GROUP BY s.family_id) AS rotated \
          WHERE refresh_families.id = rotated.family_id; \
         INSERT INTO audit_events (id, at, kind, actor_id, subject_id, ip, user_agent, detail) \
          SELECT jobs.event_id, jobs.now, $2, f.user_id, f.user_id, jobs.ip, jobs.user_agent, \
          json_object('session_id', f.id) FROM refresh_batch jobs \
          CROSS JOIN refresh_tokens s ON s.token_hash = jobs.new \
          JOIN refresh_families f ON f.id = s.family_id WHERE jobs.live = 1; \
         SELECT jobs.job, jobs.live AS rotated, \
          {TOKEN_COLUMNS} FROM refresh_batch jobs CROSS JOIN refresh_tokens t ON t.token_hash = jobs.old {TOKEN_JOINS}; \
         DELETE FROM refresh_batch; \
         COMMIT;"
    )
});
