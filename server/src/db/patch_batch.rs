//! Song patches (the drummer's tempo and notes) and how they are stored:
//! one transaction each on PostgreSQL (`setlists::patch_song`), a group
//! commit on SQLite (`db::group_commit`), where a band's phones patching
//! during a soundcheck would otherwise queue one synced commit each.

use std::sync::LazyLock;

use serde::Deserialize;
use sqlx::{AnyConnection, Connection};

use super::{
    DbError, Pool,
    changes::Change,
    group_commit::{Batch, GroupCommit},
    setlists::{self, SetlistJson, SongPatchRequest, WriteError},
};

/// What a patch gets back: the setlist as it stands after it.
pub type PatchAnswer = Result<(SetlistJson, Change), WriteError>;

/// The implementation chosen at start-up.
pub enum SongPatcher {
    OneByOne(Pool),
    Batched(GroupCommit<PatchBatch>),
}

impl SongPatcher {
    /// SQLite batches; PostgreSQL commits in its own process and has
    /// connections to spare, so it goes one by one.
    pub fn for_backend(pool: &Pool, sqlite: bool) -> SongPatcher {
        if sqlite {
            SongPatcher::Batched(GroupCommit::start(pool.clone()))
        } else {
            SongPatcher::OneByOne(pool.clone())
        }
    }

    /// Sets the song's tempo and notes and bumps the setlist's version
    /// (only from `expected`, when given); committed before this returns.
    pub async fn patch(&self, request: SongPatchRequest) -> PatchAnswer {
        match self {
            SongPatcher::OneByOne(pool) => {
                let (setlist, change) = setlists::patch_song(pool, &request).await?;
                Ok((SetlistJson::of(&setlist), change))
            }
            SongPatcher::Batched(batcher) => batcher.submit(request).await,
        }
    }
}

pub struct PatchBatch;

/// What the batch found for one patch (a JSON array, in the batch's order).
#[derive(Deserialize)]
struct Outcome {
    /// The setlist's version just before this patch; `None`: no such setlist.
    current: Option<i64>,
    /// The version this patch made; `None` when it was refused.
    version: Option<i64>,
    /// The change counter after it (the live event's id).
    seq: Option<i64>,
}

impl Batch for PatchBatch {
    type Job = SongPatchRequest;
    type Answer = PatchAnswer;

    async fn run(
        conn: &mut AnyConnection,
        batch: &[SongPatchRequest],
    ) -> Result<Vec<PatchAnswer>, DbError> {
        let jobs: Vec<_> = batch
            .iter()
            .map(|patch| {
                (
                    &patch.setlist_id,
                    &patch.song_id,
                    patch.expected,
                    patch.bpm.is_some(),
                    patch.bpm.flatten(),
                    &patch.notes,
                    patch.now,
                    &patch.drummer_notes,
                )
            })
            .collect();
        let jobs =
            serde_json::to_string(&jobs).map_err(|error| sqlx::Error::Encode(error.into()))?;
        let mut tx = conn.begin().await?;
        // One row (a JSON array) for the whole batch: every row is a
        // hand-over from the connection's thread. fetch_all: asked for one
        // row, sqlx gives up on a multi-statement query before its SELECT.
        let outcomes: Vec<String> = sqlx::query_scalar(&BATCH)
            .bind(jobs)
            .fetch_all(&mut *tx)
            .await?;
        let outcomes: Vec<Outcome> = outcomes
            .first()
            .and_then(|outcomes| serde_json::from_str(outcomes).ok())
            .filter(|outcomes: &Vec<Outcome>| outcomes.len() == batch.len())
            .ok_or_else(|| {
                DbError::Query(sqlx::Error::Protocol("a patch batch lost a row".into()))
            })?;
        // Every patched setlist, read once, in the same transaction: the
        // answer of each patch to it (a consistent snapshot that includes the
        // batch's later patches to it, and their version).
        let mut snapshots: Vec<(&str, SetlistJson)> = Vec::new();
        for (outcome, patch) in outcomes.iter().zip(batch) {
            let id = patch.setlist_id.as_str();
            let unread = !snapshots.iter().any(|(read, _)| *read == id);
            if outcome.version.is_some()
                && unread
                && let Some(setlist) = setlists::read(&mut tx, id).await?
            {
                snapshots.push((id, SetlistJson::of(&setlist)));
            }
        }
        tx.commit().await?;
        Ok(outcomes
            .into_iter()
            .zip(batch)
            .map(|(outcome, patch)| answer(outcome, patch, &snapshots))
            .collect())
    }

    fn failed(cause: DbError) -> PatchAnswer {
        Err(WriteError::Database(cause))
    }
}

/// One patch's answer, with the same refusals as `setlists::patch_song`: a
/// stale `expected` is a conflict, a missing setlist or song is not found.
fn answer(
    outcome: Outcome,
    patch: &SongPatchRequest,
    snapshots: &[(&str, SetlistJson)],
) -> PatchAnswer {
    let (Some(version), Some(seq)) = (outcome.version, outcome.seq) else {
        return Err(match outcome.current {
            Some(current) if patch.expected.is_some_and(|e| e != current) => WriteError::Conflict {
                current_version: current,
            },
            _ => WriteError::NotFound,
        });
    };
    let (_, setlist) = snapshots
        .iter()
        .find(|(id, _)| *id == patch.setlist_id)
        .ok_or(WriteError::NotFound)?;
    let change = Change::Setlist {
        id: patch.setlist_id.clone(),
        version: Some(version),
        seq,
        song_id: Some(patch.song_id.clone()),
        by: patch.by.clone(),
        created: false,
    };
    Ok((setlist.clone(), change))
}

/// The patches are copied from `$1` into a table of their own (in memory:
/// `temp_store`), in order; a trigger applies each as it is inserted, so a
/// patch sees the ones before it: two patches to one setlist bump its
/// version twice, and a second patch that expected the version the first
/// one replaced is refused. Each patch does what `setlists::patch_song`
/// does: bump the version (only from `expected`, when given), set the
/// song's fields, count the change.
static BATCH: LazyLock<String> = LazyLock::new(|| {
    let applied = "(SELECT version FROM patch_batch WHERE job = NEW.job) IS NOT NULL";
    format!(
        "CREATE TEMP TABLE IF NOT EXISTS patch_batch (job INTEGER PRIMARY KEY, \
          setlist_id TEXT, song_id TEXT, expected INTEGER, set_bpm INTEGER, bpm INTEGER, \
          notes TEXT, now INTEGER, drummer_notes TEXT, current INTEGER, found INTEGER, version INTEGER, seq INTEGER); \
         CREATE TEMP TRIGGER IF NOT EXISTS patch_batch_apply AFTER INSERT ON patch_batch BEGIN \
          UPDATE patch_batch SET current = (SELECT version FROM setlists WHERE id = NEW.setlist_id), \
           found = EXISTS (SELECT 1 FROM songs WHERE id = NEW.song_id AND setlist_id = NEW.setlist_id) \
           WHERE job = NEW.job; \
          UPDATE patch_batch SET version = current + 1 \
           WHERE job = NEW.job AND found AND (expected IS NULL OR expected = current); \
          UPDATE setlists SET version = version + 1, updated_at = NEW.now \
           WHERE id = NEW.setlist_id AND {applied}; \
          UPDATE songs SET bpm = CASE WHEN NEW.set_bpm THEN NEW.bpm ELSE bpm END, \
           notes = COALESCE(NEW.notes, notes), drummer_notes = COALESCE(NEW.drummer_notes, drummer_notes) \
           WHERE id = NEW.song_id AND setlist_id = NEW.setlist_id AND {applied}; \
          UPDATE change_counters SET value = value + 1 WHERE name = 'setlists' AND {applied}; \
          UPDATE patch_batch SET seq = (SELECT value FROM change_counters WHERE name = 'setlists') \
           WHERE job = NEW.job AND version IS NOT NULL; \
         END; \
         DELETE FROM patch_batch; \
         INSERT INTO patch_batch (job, setlist_id, song_id, expected, set_bpm, bpm, notes, now, drummer_notes) \
          SELECT key, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7 \
          FROM json_each($1) ORDER BY key; \
         SELECT json_group_array(json_array(current, version, seq)) \
          FROM (SELECT current, version, seq FROM patch_batch ORDER BY job);"
    )
});
