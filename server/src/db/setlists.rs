//! Setlists and their ordered songs. Every write runs in one transaction and
//! starts with the conditional UPDATE of the setlist row: that statement is
//! the optimistic-concurrency check (`WHERE version = expected`) and, on
//! SQLite, takes the write lock first, so concurrent writers queue instead of
//! deadlocking.

use app::api::{FIRST_SET, SetOfSongs, Setlist, SetlistInput, SetlistSummary, Song, SongInput};
use bytes::Bytes;
use sqlx::{Any, AnyConnection, FromRow, Transaction};

use super::{
    DbError, DbResult, Pool,
    audit::{self, AuditKind, Event, Origin},
    changes::{Author, Change, announce},
    library,
};
use crate::clock::rfc3339;
use serde_json::json;

#[derive(FromRow)]
struct SetlistRow {
    id: String,
    name: String,
    venue: String,
    show_date: String,
    notes: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    set_names: String,
    set_slots: String,
}

#[derive(FromRow)]
struct SongRow {
    id: String,
    title: String,
    artist: String,
    duration_secs: i64,
    bpm: Option<i64>,
    song_key: String,
    notes: String,
    drummer_notes: String,
    library_id: Option<String>,
    set_index: i64,
}

/// A setlist as the API answers it: its JSON, and its version for the `ETag`.
#[derive(Clone)]
pub struct SetlistJson {
    pub body: Bytes,
    pub version: i64,
}

impl SetlistJson {
    pub fn of(setlist: &Setlist) -> SetlistJson {
        SetlistJson {
            body: super::to_json(setlist),
            version: setlist.version,
        }
    }
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("no such setlist or song")]
    NotFound,
    #[error("the setlist is at version {current_version} now")]
    Conflict { current_version: i64 },
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<sqlx::Error> for WriteError {
    fn from(error: sqlx::Error) -> Self {
        WriteError::Database(error.into())
    }
}

/// One row of the overview.
#[derive(FromRow)]
struct SummaryRow {
    id: String,
    name: String,
    venue: String,
    show_date: String,
    version: i64,
    song_count: i64,
    total_duration_secs: i64,
    untimed_count: i64,
    updated_at: i64,
}

/// A part of the overview. Paged, the overview stops growing with the band's
/// history: its first page is every show from today on and the latest past
/// ones; older shows are read a page at a time after a given show.
pub enum OverviewPage<'a> {
    /// Every show, unpaged: API.md's list, for a client that did not ask for pages.
    Everything,
    First {
        today: &'a str,
        past: i64,
    },
    After {
        show: &'a ShowKey,
        limit: i64,
    },
}

/// Where a show stands in the overview's order.
pub struct ShowKey {
    id: String,
    show_date: String,
    created_at: i64,
}

/// The overview position of setlist `id`, if there is one: where it stands,
/// or stood when it was deleted (a cursor naming it must not break the next
/// page of a list read before the delete).
pub async fn show_key(pool: &Pool, id: &str) -> DbResult<Option<ShowKey>> {
    let key = sqlx::query_as::<_, (String, i64)>(
        "SELECT show_date, created_at FROM setlists WHERE id = $1 \
         UNION ALL SELECT show_date, created_at FROM deleted_setlists \
         WHERE id = $1 AND show_date IS NOT NULL AND NOT EXISTS (SELECT 1 FROM setlists WHERE id = $1)",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(key.map(|(show_date, created_at)| ShowKey {
        id: id.to_string(),
        show_date,
        created_at,
    }))
}

/// The overview's order: newest show first. `created_at` and `id` never
/// change, so a page read after an edit neither skips nor repeats a show.
const SUMMARY_QUERY: &str = "SELECT s.id, s.name, s.venue, s.show_date, s.version, s.song_count, \
     s.total_duration_secs, s.updated_at, \
     (SELECT COUNT(*) FROM songs WHERE songs.setlist_id = s.id \
      AND songs.duration_secs = 0) AS untimed_count \
     FROM setlists s";
const SUMMARY_ORDER: &str = " ORDER BY s.show_date DESC, s.created_at DESC, s.id";

/// The shows of `page`, in overview order.
async fn list(pool: &Pool, page: &OverviewPage<'_>) -> DbResult<Vec<SetlistSummary>> {
    // Untimed songs are counted here, not kept in a column: the unpaged list
    // and the first page are read from the cache (`read_cache`), so this
    // runs once per change.
    let rows: Vec<SummaryRow> = match *page {
        OverviewPage::Everything => {
            sqlx::query_as(&format!("{SUMMARY_QUERY}{SUMMARY_ORDER}"))
                .fetch_all(pool)
                .await?
        }
        OverviewPage::First { today, past } => {
            sqlx::query_as(&format!(
                "{SUMMARY_QUERY}{SUMMARY_ORDER} \
                 LIMIT (SELECT COUNT(*) FROM setlists WHERE show_date >= $1) + $2"
            ))
            .bind(today)
            .bind(past)
            .fetch_all(pool)
            .await?
        }
        OverviewPage::After { show, limit } => {
            sqlx::query_as(&format!(
                "{SUMMARY_QUERY} WHERE s.show_date < $1 OR (s.show_date = $1 \
                 AND (s.created_at < $2 OR (s.created_at = $2 AND s.id > $3))){SUMMARY_ORDER} LIMIT $4"
            ))
            .bind(&show.show_date)
            .bind(show.created_at)
            .bind(&show.id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|row| SetlistSummary {
            updated_at: rfc3339(row.updated_at),
            id: row.id,
            name: row.name,
            venue: row.venue,
            show_date: row.show_date,
            song_count: row.song_count,
            total_duration_secs: row.total_duration_secs,
            untimed_count: row.untimed_count,
            version: row.version,
        })
        .collect())
}

/// A page of the overview as the API answers it: its JSON, and the show the
/// next page starts after (`None` on the last page).
#[derive(Clone)]
pub struct OverviewJson {
    pub body: Bytes,
    pub next_after: Option<String>,
}

pub async fn overview(pool: &Pool, page: &OverviewPage<'_>) -> DbResult<OverviewJson> {
    // One show more than asked for: whether it exists says if there is a next
    // page. Past shows count towards the page; a first page's upcoming ones,
    // those from `today` on, do not.
    let (asked, one_more, upcoming_from) = match *page {
        OverviewPage::Everything => {
            return Ok(OverviewJson {
                body: super::to_json(&list(pool, page).await?),
                next_after: None,
            });
        }
        OverviewPage::First { today, past } => (
            past,
            OverviewPage::First {
                today,
                past: past + 1,
            },
            Some(today),
        ),
        OverviewPage::After { show, limit } => (
            limit,
            OverviewPage::After {
                show,
                limit: limit + 1,
            },
            None,
        ),
    };
    let mut shows = list(pool, &one_more).await?;
    let paged = shows
        .iter()
        .filter(|s| upcoming_from.is_none_or(|today| s.show_date.as_str() < today))
        .count();
    let next_after = if paged as i64 > asked {
        shows.pop();
        shows.last().map(|show| show.id.clone())
    } else {
        None
    };
    Ok(OverviewJson {
        body: super::to_json(&shows),
        next_after,
    })
}

pub async fn get(pool: &Pool, id: &str) -> DbResult<Option<Setlist>> {
    let mut tx = pool.begin().await?;
    let setlist = read(&mut tx, id).await?;
    tx.commit().await?;
    Ok(setlist)
}

/// What `insert` did.
pub enum Inserted {
    New(Setlist, Change),
    /// A setlist with that id was there already (a create sent again with
    /// its `Idempotency-Key`): nothing changed; the setlist as stored.
    Before(Setlist),
}

pub async fn insert(
    pool: &Pool,
    id: &str,
    input: &SetlistInput,
    now: i64,
    by: &Author,
    origin: &Origin,
) -> DbResult<Inserted> {
    let mut tx = pool.begin().await?;
    let (set_names, songs) = input.running_order();
    let (song_count, total) = totals(&songs);
    // A second try with the first one's id changes nothing; one that comes
    // while the first is being written waits for it (the id's index), then
    // finds its setlist. An id that was deleted (a keyed create sent again
    // after its setlist went) continues from the deleted one's last version:
    // a page still holding that version gets 409, not a write over this one.
    let inserted = sqlx::query(
        "INSERT INTO setlists (id, name, venue, show_date, notes, version, song_count, \
         total_duration_secs, created_at, updated_at, set_names, set_slots) \
         VALUES ($1, $2, $3, $4, $5, \
                 COALESCE((SELECT version FROM deleted_setlists WHERE id = $1), 0) + 1, \
                 $6, $7, $8, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(&input.name)
    .bind(&input.venue)
    .bind(&input.show_date)
    .bind(&input.notes)
    .bind(song_count)
    .bind(total)
    .bind(now)
    .bind(stored_set_names(&set_names))
    .bind(stored_set_slots(&input.set_slots()))
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        let setlist = read(&mut tx, id).await?.ok_or(sqlx::Error::RowNotFound)?;
        return Ok(Inserted::Before(setlist));
    }
    insert_songs(&mut tx, id, &songs, &[], now).await?;
    let detail = json!({ "setlist_id": id, "name": input.name, "songs": songs.len() });
    audit::record(
        &mut tx,
        &Event::new(AuditKind::SetlistCreated, origin, detail),
        now,
    )
    .await?;
    let setlist = read(&mut tx, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    let change = record_change(&mut tx, id, Written::Created(setlist.version), None, by).await?;
    tx.commit().await?;
    Ok(Inserted::New(setlist, change))
}

/// Replaces everything but the id, if the stored version is `expected`.
pub async fn replace(
    pool: &Pool,
    id: &str,
    expected: i64,
    input: &SetlistInput,
    now: i64,
    by: &Author,
    origin: &Origin,
) -> Result<(Setlist, Change), WriteError> {
    let mut tx = pool.begin().await?;
    let (set_names, songs) = input.running_order();
    let (song_count, total) = totals(&songs);
    // The sets as they were, for the audit ("who cut the encore's slot?"):
    // at the version the caller read, or nothing is written.
    let sets_before: Option<(String, String)> =
        sqlx::query_as("SELECT set_names, set_slots FROM setlists WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(expected)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((names_before, slots_before)) = sets_before else {
        return Err(why_not_written(&mut tx, id).await);
    };
    let updated = sqlx::query(
        "UPDATE setlists SET name = $1, venue = $2, show_date = $3, notes = $4, \
         song_count = $5, total_duration_secs = $6, updated_at = $7, version = version + 1, \
         set_names = $10, set_slots = $11 WHERE id = $8 AND version = $9",
    )
    .bind(&input.name)
    .bind(&input.venue)
    .bind(&input.show_date)
    .bind(&input.notes)
    .bind(song_count)
    .bind(total)
    .bind(now)
    .bind(id)
    .bind(expected)
    .bind(stored_set_names(&set_names))
    .bind(stored_set_slots(&input.set_slots()))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(why_not_written(&mut tx, id).await);
    }
    let existing: Vec<StoredSong> = sqlx::query_as(
        "SELECT id, title, artist, drummer_notes, library_id, set_index FROM songs \
         WHERE setlist_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM songs WHERE setlist_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    insert_songs(&mut tx, id, &songs, &existing, now).await?;
    let setlist = read(&mut tx, id).await?.ok_or(WriteError::NotFound)?;
    let sets_before = stored_sets(&names_before, &slots_before);
    let detail = what_changed(&setlist, &existing, &sets_before);
    audit::record(
        &mut tx,
        &Event::new(AuditKind::SetlistChanged, origin, detail),
        now,
    )
    .await?;
    let change = record_change(&mut tx, id, Written::Changed(setlist.version), None, by).await?;
    tx.commit().await?;
    Ok((setlist, change))
}

/// A member's edit of one song's tempo and notes.
pub struct SongPatchRequest {
    pub setlist_id: String,
    pub song_id: String,
    /// Only if the stored version is this one.
    pub expected: Option<i64>,
    /// `Some(None)` clears the tempo; `None` leaves it.
    pub bpm: Option<Option<i64>>,
    pub notes: Option<String>,
    pub drummer_notes: Option<String>,
    pub now: i64,
    /// Who made it, for the live event.
    pub by: Author,
}

/// Applies a song patch and bumps the version, in a transaction of its own.
/// PostgreSQL's way; SQLite batches them (`db::patch_batch`).
pub async fn patch_song(
    pool: &Pool,
    request: &SongPatchRequest,
) -> Result<(Setlist, Change), WriteError> {
    let SongPatchRequest {
        setlist_id: id,
        song_id,
        expected,
        now,
        by,
        ..
    } = request;
    let mut tx = pool.begin().await?;
    let bumped = sqlx::query(
        "UPDATE setlists SET version = version + 1, updated_at = $1 \
         WHERE id = $2 AND ($3 IS NULL OR version = $3)",
    )
    .bind(now)
    .bind(id)
    .bind(expected)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if bumped == 0 {
        return Err(why_not_written(&mut tx, id).await);
    }
    let (set_bpm, bpm) = match request.bpm {
        Some(bpm) => (1i64, bpm),
        None => (0, None),
    };
    let changed = sqlx::query(
        "UPDATE songs SET bpm = CASE WHEN $1 = 1 THEN $2 ELSE bpm END, \
         notes = COALESCE($3, notes), drummer_notes = COALESCE($6, drummer_notes) \
         WHERE id = $4 AND setlist_id = $5",
    )
    .bind(set_bpm)
    .bind(bpm)
    .bind(request.notes.as_deref())
    .bind(song_id)
    .bind(id)
    .bind(request.drummer_notes.as_deref())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(WriteError::NotFound);
    }
    let setlist = read(&mut tx, id).await?.ok_or(WriteError::NotFound)?;
    let change = record_change(
        &mut tx,
        id,
        Written::Changed(setlist.version),
        Some(song_id),
        by,
    )
    .await?;
    tx.commit().await?;
    Ok((setlist, change))
}

/// Deletes the setlist: the change to announce, or why nothing was deleted
/// (`why_not_written`: no such setlist, or not the version expected).
pub async fn delete(
    pool: &Pool,
    id: &str,
    expected: Option<i64>,
    now: i64,
    by: &Author,
    origin: &Origin,
) -> Result<Change, WriteError> {
    let mut tx = pool.begin().await?;
    // With `If-Match`, only the version the manager saw: a delete decided on a
    // stale page must not take another manager's newer edit with it.
    let deleted: Option<(String, i64, String, i64)> = sqlx::query_as(
        "DELETE FROM setlists WHERE id = $1 AND ($2 IS NULL OR version = $2) \
         RETURNING name, version, show_date, created_at",
    )
    .bind(id)
    .bind(expected)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((name, version, show_date, created_at)) = deleted else {
        return Err(why_not_written(&mut tx, id).await);
    };
    // The version stops a stale write to a setlist made again with this id
    // (see `insert`); the place keeps a cursor naming it working (`show_key`).
    sqlx::query(
        "INSERT INTO deleted_setlists (id, version, show_date, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, \
         show_date = excluded.show_date, created_at = excluded.created_at",
    )
    .bind(id)
    .bind(version)
    .bind(show_date)
    .bind(created_at)
    .execute(&mut *tx)
    .await?;
    let detail = json!({ "setlist_id": id, "name": name });
    audit::record(
        &mut tx,
        &Event::new(AuditKind::SetlistDeleted, origin, detail),
        now,
    )
    .await?;
    let change = record_change(&mut tx, id, Written::Deleted, None, by).await?;
    tx.commit().await?;
    Ok(change)
}

/// What a write did to a setlist, with its version after it.
pub(super) enum Written {
    Created(i64),
    Changed(i64),
    Deleted,
}

/// Counts every committed change to setlists and announces it, so that each
/// instance's read cache notices changes made by other instances: at once
/// through the announcement, and by the counter if one was missed
/// (`crate::read_cache`, `crate::sync`).
/// Returns the announcement, for this instance's own live streams.
pub(super) async fn record_change(
    tx: &mut Transaction<'_, Any>,
    id: &str,
    written: Written,
    song_id: Option<&str>,
    by: &Author,
) -> DbResult<Change> {
    let (version, created) = match written {
        Written::Created(version) => (Some(version), true),
        Written::Changed(version) => (Some(version), false),
        Written::Deleted => (None, false),
    };
    let seq: i64 = sqlx::query_scalar(
        "UPDATE change_counters SET value = value + 1 WHERE name = 'setlists' RETURNING value",
    )
    .fetch_one(&mut **tx)
    .await?;
    let change = Change::Setlist {
        id: id.to_string(),
        version,
        seq,
        song_id: song_id.map(str::to_string),
        by: by.clone(),
        created,
    };
    announce(tx, &change).await?;
    Ok(change)
}

pub async fn change_counter(pool: &Pool) -> DbResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT value FROM change_counters WHERE name = 'setlists'")
            .fetch_one(pool)
            .await?,
    )
}

async fn why_not_written(tx: &mut Transaction<'_, Any>, id: &str) -> WriteError {
    let current: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT version FROM setlists WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await;
    match current {
        Ok(Some(current_version)) => WriteError::Conflict { current_version },
        Ok(None) => WriteError::NotFound,
        Err(e) => WriteError::Database(e.into()),
    }
}

fn totals(songs: &[(usize, &SongInput)]) -> (i64, i64) {
    (
        songs.len() as i64,
        songs.iter().map(|(_, song)| song.duration_secs).sum(),
    )
}

/// The audit detail of a replace: the songs it removed and added (by
/// title: "who deleted that song?"), whether the others moved, and when the
/// sets' names, slots or songs changed, the sets before and after ("who cut
/// the encore's slot?"; without them such a save read as "no song added,
/// removed or moved").
fn what_changed(
    after: &Setlist,
    before: &[StoredSong],
    sets_before: &[SetOfSongs],
) -> serde_json::Value {
    let kept = |id: &str| after.songs.iter().any(|song| song.id == id);
    let removed: Vec<&str> = before
        .iter()
        .filter(|song| !kept(&song.id))
        .map(|song| song.title.as_str())
        .collect();
    let added: Vec<&str> = after
        .songs
        .iter()
        .filter(|song| before.iter().all(|old| old.id != song.id))
        .map(|song| song.title.as_str())
        .collect();
    let order_before = before
        .iter()
        .map(|song| song.id.as_str())
        .filter(|id| kept(id));
    let order_after = after.songs.iter().map(|song| song.id.as_str());
    let order_after = order_after.filter(|id| before.iter().any(|old| old.id == *id));
    let mut detail = json!({
        "setlist_id": after.id,
        "name": after.name,
        "removed": removed,
        "added": added,
        "reordered": !order_before.eq(order_after),
    });
    let outline = |sets: &[SetOfSongs]| -> Vec<serde_json::Value> {
        let sets = sets.iter();
        sets.map(|set| json!({ "name": set.name, "slot_secs": set.slot_secs }))
            .collect()
    };
    let moved_between_sets = after.sets.iter().enumerate().any(|(index, set)| {
        set.songs.iter().any(|song| {
            before
                .iter()
                .any(|old| old.id == song.id && old.set_index != index as i64)
        })
    });
    let (sets, sets_before) = (outline(&after.sets), outline(sets_before));
    if sets != sets_before || moved_between_sets {
        detail["sets"] = json!(sets);
        detail["sets_before"] = json!(sets_before);
    }
    detail
}

/// The sets as stored (`stored_set_names`, `stored_set_slots`), no songs yet.
fn stored_sets(names: &str, slots: &str) -> Vec<SetOfSongs> {
    let names = match names {
        "" => vec![FIRST_SET],
        names => names.split('\n').collect(),
    };
    let slots = slots.split(',').chain(std::iter::repeat(""));
    names
        .into_iter()
        .zip(slots)
        .map(|(name, slot)| SetOfSongs {
            name: name.to_string(),
            songs: Vec::new(),
            slot_secs: slot.parse().ok(),
        })
        .collect()
}

/// The sets' names as stored: one per line, and '' for the usual one set.
fn stored_set_names(names: &[&str]) -> String {
    if names == [FIRST_SET] {
        String::new()
    } else {
        names.join("\n")
    }
}

/// The sets' slots as stored: seconds, comma-separated, empty for a set
/// without one; '' when no set has one (every setlist before slots).
fn stored_set_slots(slots: &[Option<i64>]) -> String {
    if slots.iter().all(Option::is_none) {
        return String::new();
    }
    let slots: Vec<String> = slots
        .iter()
        .map(|slot| slot.map(|secs| secs.to_string()).unwrap_or_default())
        .collect();
    slots.join(",")
}

/// A song of the setlist as stored before a `PUT` replaces them.
#[derive(FromRow)]
struct StoredSong {
    id: String,
    title: String,
    artist: String,
    drummer_notes: String,
    library_id: Option<String>,
    set_index: i64,
}

/// Inserts `songs` in order. A song keeps the id it was sent with when that id
/// was one of this setlist's (`existing`), and with it its drummer's notes
/// (the body is the manager's) and, while its title and artist are as they
/// were, its library entry (renamed in the library meanwhile, it is still
/// that song; unlinked, it stays so). Any other id (another setlist's, a
/// deleted song's; one that is not a UUID never gets here) is replaced, so a
/// client cannot move or overwrite another setlist's songs. Any other song is
/// linked to the library entry of its title and artist, which is created when
/// there is none.
async fn insert_songs(
    tx: &mut Transaction<'_, Any>,
    setlist_id: &str,
    songs: &[(usize, &SongInput)],
    existing: &[StoredSong],
    now: i64,
) -> DbResult<()> {
    let mut used: Vec<&str> = Vec::with_capacity(songs.len());
    for (position, &(set_index, song)) in songs.iter().enumerate() {
        let kept = song
            .id
            .as_deref()
            .and_then(|id| uuid::Uuid::try_parse(id).ok())
            .map(|id| id.hyphenated().to_string())
            .and_then(|id| existing.iter().find(|stored| stored.id == id))
            .filter(|stored| !used.contains(&stored.id.as_str()));
        let id = kept.map_or_else(|| uuid::Uuid::new_v4().to_string(), |kept| kept.id.clone());
        let drummer_notes = kept.map_or("", |kept| kept.drummer_notes.as_str());
        let unchanged =
            kept.filter(|kept| library::same_song(kept.title.as_str(), kept.artist.as_str(), song));
        let library_id = match unchanged {
            Some(kept) if kept.library_id.is_some() => kept.library_id.clone(),
            // Unlinked when its entry was deleted: linked again only to an
            // entry that is there now, so a save of the setlist for another
            // reason does not bring a deleted song back into the library.
            Some(_) => library::known_entry(tx, song).await?,
            None => Some(library::entry_for(tx, song, now).await?),
        };
        sqlx::query(
            "INSERT INTO songs (id, setlist_id, position, title, artist, duration_secs, bpm, song_key, \
             notes, library_id, set_index, drummer_notes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(setlist_id)
        .bind(position as i64)
        .bind(&song.title)
        .bind(&song.artist)
        .bind(song.duration_secs)
        .bind(song.bpm)
        .bind(&song.key)
        .bind(&song.notes)
        .bind(&library_id)
        .bind(set_index as i64)
        .bind(drummer_notes)
        .execute(&mut **tx)
        .await?;
        if let Some(kept) = kept {
            used.push(kept.id.as_str());
        }
    }
    Ok(())
}

pub(super) async fn read(conn: &mut AnyConnection, id: &str) -> DbResult<Option<Setlist>> {
    let row: Option<SetlistRow> = sqlx::query_as(
        "SELECT id, name, venue, show_date, notes, version, created_at, updated_at, set_names, \
         set_slots FROM setlists WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let songs: Vec<SongRow> = sqlx::query_as(
        "SELECT id, title, artist, duration_secs, bpm, song_key, notes, drummer_notes, library_id, set_index FROM songs \
         WHERE setlist_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut sets = stored_sets(&row.set_names, &row.set_slots);
    let songs: Vec<(i64, Song)> = songs
        .into_iter()
        .map(|song| {
            let set_index = song.set_index;
            let song = Song {
                id: song.id,
                title: song.title,
                artist: song.artist,
                duration_secs: song.duration_secs,
                bpm: song.bpm,
                key: song.song_key,
                notes: song.notes,
                drummer_notes: song.drummer_notes,
                library_id: song.library_id,
            };
            (set_index, song)
        })
        .collect();
    for (set_index, song) in &songs {
        let last = sets.len() - 1;
        sets[usize::try_from(*set_index).unwrap_or(last).min(last)]
            .songs
            .push(song.clone());
    }
    Ok(Some(Setlist {
        id: row.id,
        name: row.name,
        venue: row.venue,
        show_date: row.show_date,
        notes: row.notes,
        version: row.version,
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
        songs: songs.into_iter().map(|(_, song)| song).collect(),
        sets,
    }))
}
