//! The song library: every song of the band's repertoire, once per title and
//! artist (compared by a key made in Rust, `validation::library_match_key`,
//! and stored beside them, so that both backends and every query agree).
//! Setlist songs point at their entry (`songs.library_id`), which is how an
//! entry knows when it was played.

use std::cmp::Ordering;

use app::api::{
    LibrarySong, LibrarySongInput, SongInput, SongPatch,
    validation::{library_match_key as match_key, normalized_tags},
};
use sqlx::{Any, Executor, FromRow, Transaction};

use serde_json::json;

use super::{
    DbError, DbResult, Pool,
    audit::{self, AuditKind, Event, Origin},
    changes::{self, Author, Change},
    setlists::{self, WriteError, Written},
};
use crate::clock::rfc3339;

#[derive(FromRow)]
struct LibraryRow {
    id: String,
    title: String,
    artist: String,
    song_key: String,
    bpm: Option<i64>,
    duration_secs: i64,
    notes: String,
    drummer_notes: String,
    tags: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    times_played: i64,
    last_played: Option<String>,
}

impl From<LibraryRow> for LibrarySong {
    fn from(row: LibraryRow) -> Self {
        LibrarySong {
            id: row.id,
            title: row.title,
            artist: row.artist,
            key: row.song_key,
            bpm: row.bpm,
            duration_secs: row.duration_secs,
            notes: row.notes,
            drummer_notes: row.drummer_notes,
            // As kept now: a tag stored before tags were composed (NFC)
            // is found, and listed, as one typed today.
            tags: normalized_tags(row.tags.split(',')),
            version: row.version,
            times_played: row.times_played,
            last_played: row.last_played,
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        }
    }
}

/// An entry with what past shows (before `$1`, today) say about it. The
/// PostgreSQL planner accepts `l.*` under `GROUP BY l.id`: the id is the key.
const SELECT_SONGS: &str = "SELECT l.id, l.title, l.artist, l.song_key, l.bpm, l.duration_secs, \
     l.notes, l.drummer_notes, l.tags, l.version, l.created_at, l.updated_at, \
     COUNT(DISTINCT st.id) AS times_played, MAX(st.show_date) AS last_played \
     FROM library_songs l \
     LEFT JOIN songs s ON s.library_id = l.id \
     LEFT JOIN setlists st ON st.id = s.setlist_id AND st.show_date < $1";

/// Brings every entry's comparison key up to `library_match_key`: entries
/// keyed by an older rule (lower-casing ASCII only, a line break or a run of
/// white space kept inside) would not be found by a setlist's save or an
/// import, which would add a look-alike twin. An entry whose new key another
/// entry holds already keeps its old one: which of the two to keep is the
/// band's call (both are in the library; saving that entry is refused as the
/// other's duplicate until it is renamed). Run at start-up; returns the
/// entries left on their old key, as "“title” by artist (id)".
pub async fn rekey(pool: &Pool) -> DbResult<Vec<String>> {
    let rows: Vec<(String, String, String, String, String)> =
        sqlx::query_as("SELECT id, title, artist, match_title, match_artist FROM library_songs")
            .fetch_all(pool)
            .await?;
    let mut left = Vec::new();
    for (id, title, artist, old_title, old_artist) in rows {
        let (key_title, key_artist) = (match_key(&title), match_key(&artist));
        if (&key_title, &key_artist) == (&old_title, &old_artist) {
            continue;
        }
        // Only if the entry still has the title and artist read above: a
        // rename by another instance meanwhile wrote its own key.
        let moved = sqlx::query(
            "UPDATE library_songs SET match_title = $1, match_artist = $2 \
             WHERE id = $3 AND title = $4 AND artist = $5 \
             AND NOT EXISTS (SELECT 1 FROM library_songs other \
             WHERE other.match_title = $1 AND other.match_artist = $2 AND other.id <> $3)",
        )
        .bind(&key_title)
        .bind(&key_artist)
        .bind(&id)
        .bind(&title)
        .bind(&artist)
        .execute(pool)
        .await;
        let twin = match moved {
            Ok(done) => {
                done.rows_affected() == 0 && still_there(pool, &id, &title, &artist).await?
            }
            // Another instance starting at once re-keyed the twin first.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => true,
            Err(e) => return Err(e.into()),
        };
        if twin {
            left.push(format!("“{title}” by {artist} ({id})"));
        }
    }
    Ok(left)
}

/// Whether the entry `id` still has this title and artist.
async fn still_there(pool: &Pool, id: &str, title: &str, artist: &str) -> DbResult<bool> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM library_songs WHERE id = $1 AND title = $2 AND artist = $3",
    )
    .bind(id)
    .bind(title)
    .bind(artist)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Every entry, by title then artist as people read them ("Song 2" before
/// "Song 10"). Sorted here, not by the database: SQLite and PostgreSQL
/// collate text differently.
pub async fn list(pool: &Pool, today: &str) -> DbResult<Vec<LibrarySong>> {
    let rows: Vec<LibraryRow> = sqlx::query_as(&format!("{SELECT_SONGS} GROUP BY l.id"))
        .bind(today)
        .fetch_all(pool)
        .await?;
    let mut songs: Vec<_> = rows
        .into_iter()
        .map(|row| {
            (
                match_key(&row.title),
                match_key(&row.artist),
                LibrarySong::from(row),
            )
        })
        .collect();
    songs.sort_by(
        |(title, artist, song), (other_title, other_artist, other)| {
            natural_order(title, other_title)
                .then_with(|| natural_order(artist, other_artist))
                .then_with(|| song.id.cmp(&other.id))
        },
    );
    Ok(songs.into_iter().map(|(_, _, song)| song).collect())
}

/// Compares as people read: a run of digits by its value ("2" before "10"),
/// anything else character by character.
fn natural_order(mut a: &str, mut b: &str) -> Ordering {
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let ((number, rest), (other_number, other_rest)) = (digits(a), digits(b));
                let (number, other_number) = (
                    number.trim_start_matches('0'),
                    other_number.trim_start_matches('0'),
                );
                let order = number
                    .len()
                    .cmp(&other_number.len())
                    .then_with(|| number.cmp(other_number));
                if order.is_ne() {
                    return order;
                }
                (a, b) = (rest, other_rest);
            }
            (Some(x), Some(y)) if x != y => return x.cmp(&y),
            (Some(x), Some(_)) => (a, b) = (&a[x.len_utf8()..], &b[x.len_utf8()..]),
        }
    }
}

/// The run of ASCII digits `text` starts with, and what follows it.
fn digits(text: &str) -> (&str, &str) {
    text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    )
}

pub async fn get(pool: &Pool, id: &str, today: &str) -> DbResult<Option<LibrarySong>> {
    let row: Option<LibraryRow> =
        sqlx::query_as(&format!("{SELECT_SONGS} WHERE l.id = $2 GROUP BY l.id"))
            .bind(today)
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(LibrarySong::from))
}

/// Adds a song, audited; `false` when one with its title and artist is there
/// already (nothing is written then).
pub async fn add(
    pool: &Pool,
    id: &str,
    song: &LibrarySongInput,
    now: i64,
    by: &Author,
    origin: &Origin,
) -> DbResult<bool> {
    let mut tx = pool.begin().await?;
    if !insert(&mut *tx, id, song, now).await? {
        return Ok(false);
    }
    announce_write(&mut tx, by).await?;
    let detail = song_detail(id, &song.title, &song.artist);
    audit::record_and_commit(tx, &Event::new(AuditKind::SongAdded, origin, detail), now).await?;
    Ok(true)
}

/// Adds a song; `false` when one with its title and artist is there already.
async fn insert<'e>(
    executor: impl Executor<'e, Database = Any>,
    id: &str,
    song: &LibrarySongInput,
    now: i64,
) -> DbResult<bool> {
    let inserted = sqlx::query(
        "INSERT INTO library_songs (id, match_title, match_artist, title, artist, song_key, bpm, \
         duration_secs, notes, tags, version, created_at, updated_at) \
         VALUES ($3, $10, $11, $1, $2, $4, $5, $6, $7, $8, 1, $9, $9) \
         ON CONFLICT (match_title, match_artist) DO NOTHING",
    )
    .bind(song.title.trim())
    .bind(song.artist.trim())
    .bind(id)
    .bind(&song.key)
    .bind(song.bpm)
    .bind(song.duration_secs)
    .bind(&song.notes)
    .bind(song.tags.join(","))
    .bind(now)
    .bind(match_key(&song.title))
    .bind(match_key(&song.artist))
    .execute(executor)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Why a library write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum LibraryWriteError {
    #[error("another song of the library has this title and artist")]
    Duplicate,
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<sqlx::Error> for LibraryWriteError {
    fn from(error: sqlx::Error) -> Self {
        LibraryWriteError::Write(error.into())
    }
}

/// Replaces every field, if the stored version is `expected` and no other
/// entry has the new title and artist.
pub async fn replace(
    pool: &Pool,
    id: &str,
    expected: i64,
    song: &LibrarySongInput,
    now: i64,
    by: &Author,
    origin: &Origin,
) -> Result<(), LibraryWriteError> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE library_songs SET match_title = $11, match_artist = $12, \
         title = $1, artist = $2, song_key = $3, bpm = $4, duration_secs = $5, \
         notes = $6, tags = $7, updated_at = $8, version = version + 1 \
         WHERE id = $9 AND version = $10 AND NOT EXISTS (SELECT 1 FROM library_songs other \
         WHERE other.match_title = $11 AND other.match_artist = $12 AND other.id <> $9)",
    )
    .bind(song.title.trim())
    .bind(song.artist.trim())
    .bind(&song.key)
    .bind(song.bpm)
    .bind(song.duration_secs)
    .bind(&song.notes)
    .bind(song.tags.join(","))
    .bind(now)
    .bind(id)
    .bind(expected)
    .bind(match_key(&song.title))
    .bind(match_key(&song.artist))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 1 {
        announce_write(&mut tx, by)
            .await
            .map_err(WriteError::Database)?;
        let detail = song_detail(id, &song.title, &song.artist);
        audit::record_and_commit(tx, &Event::new(AuditKind::SongChanged, origin, detail), now)
            .await
            .map_err(WriteError::Database)?;
        return Ok(());
    }
    drop(tx);
    match current_version(pool, id)
        .await
        .map_err(WriteError::Database)?
    {
        None => Err(WriteError::NotFound.into()),
        Some(current_version) if current_version != expected => {
            Err(WriteError::Conflict { current_version }.into())
        }
        Some(_) => Err(LibraryWriteError::Duplicate),
    }
}

/// A member's edit: tempo (`Some(None)` clears it), notes and the drummer's
/// notes, only from the `expected` version when one is given.
pub async fn patch(
    pool: &Pool,
    id: &str,
    expected: Option<i64>,
    edit: &SongPatch,
    now: i64,
    by: &Author,
    origin: &Origin,
) -> Result<(), WriteError> {
    let mut tx = pool.begin().await?;
    let title: Option<String> = sqlx::query_scalar(
        "UPDATE library_songs SET bpm = CASE WHEN $1 = 1 THEN $2 ELSE bpm END, \
         notes = COALESCE($3, notes), drummer_notes = COALESCE($7, drummer_notes), \
         updated_at = $4, version = version + 1 \
         WHERE id = $5 AND ($6 IS NULL OR version = $6) RETURNING title",
    )
    .bind(i64::from(edit.bpm.is_some()))
    .bind(edit.bpm.flatten())
    .bind(edit.notes.as_deref())
    .bind(now)
    .bind(id)
    .bind(expected)
    .bind(edit.drummer_notes.as_deref())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(title) = title {
        let sent = [
            (edit.bpm.is_some(), "bpm"),
            (edit.notes.is_some(), "notes"),
            (edit.drummer_notes.is_some(), "drummer_notes"),
        ];
        let fields: Vec<&str> = sent
            .into_iter()
            .filter_map(|(sent, field)| sent.then_some(field))
            .collect();
        announce_write(&mut tx, by).await?;
        let detail = json!({ "song_id": id, "title": title, "fields": fields });
        audit::record_and_commit(tx, &Event::new(AuditKind::SongChanged, origin, detail), now)
            .await?;
        return Ok(());
    }
    drop(tx);
    Err(why_not_written(pool, id).await)
}

/// Deletes an entry, audited, only from the `expected` version when one is
/// given. Setlists that play it keep their copy of the song, no longer
/// linked: that is a change to each of them (a new version, so that an
/// `ETag` never stands for two bodies), and the changes are the answer.
pub async fn delete(
    pool: &Pool,
    id: &str,
    expected: Option<i64>,
    now: i64,
    by: &Author,
    origin: &Origin,
) -> Result<Vec<Change>, WriteError> {
    let mut tx = pool.begin().await?;
    // Found before the delete: the foreign key unlinks the songs as it runs.
    let unlinked: Vec<(String, i64)> = sqlx::query_as(
        "UPDATE setlists SET version = version + 1, updated_at = $2 \
         WHERE id IN (SELECT setlist_id FROM songs WHERE library_id = $1) RETURNING id, version",
    )
    .bind(id)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let deleted: Option<(String, String)> = sqlx::query_as(
        "DELETE FROM library_songs WHERE id = $1 AND ($2 IS NULL OR version = $2) \
         RETURNING title, artist",
    )
    .bind(id)
    .bind(expected)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((title, artist)) = deleted else {
        drop(tx);
        return Err(why_not_written(pool, id).await);
    };
    let mut changes = Vec::with_capacity(unlinked.len());
    for (setlist_id, version) in &unlinked {
        changes.push(
            setlists::record_change(&mut tx, setlist_id, Written::Changed(*version), None, by)
                .await?,
        );
    }
    announce_write(&mut tx, by).await?;
    let detail = song_detail(id, &title, &artist);
    audit::record_and_commit(tx, &Event::new(AuditKind::SongDeleted, origin, detail), now).await?;
    Ok(changes)
}

/// Tells every instance that the library changed, with the transaction that
/// changes it (PostgreSQL: heard when, and only if, it commits).
async fn announce_write(tx: &mut Transaction<'_, Any>, by: &Author) -> DbResult<()> {
    let change = Change::Library { by: by.clone() };
    changes::announce(tx, &change).await
}

/// Adds the songs in one transaction; for each, whether it was new. A dry
/// run rolls the transaction back: the same answer, nothing written.
pub async fn insert_all(
    pool: &Pool,
    songs: &[LibrarySongInput],
    now: i64,
    dry_run: bool,
    by: &Author,
    origin: &Origin,
) -> DbResult<Vec<bool>> {
    let mut tx = pool.begin().await?;
    let mut added = Vec::with_capacity(songs.len());
    for song in songs {
        let id = uuid::Uuid::new_v4().to_string();
        added.push(insert(&mut *tx, &id, song, now).await?);
    }
    if dry_run {
        tx.rollback().await?;
        return Ok(added);
    }
    let count = added.iter().filter(|new| **new).count();
    if count > 0 {
        announce_write(&mut tx, by).await?;
    }
    let detail = json!({ "new": count, "already_there": added.len() - count });
    audit::record_and_commit(
        tx,
        &Event::new(AuditKind::SongsImported, origin, detail),
        now,
    )
    .await?;
    Ok(added)
}

/// The library entry of a setlist's song, created from it when the library
/// has none yet: adding a song to a show adds it to the repertoire.
pub(super) async fn entry_for(
    tx: &mut Transaction<'_, Any>,
    song: &SongInput,
    now: i64,
) -> DbResult<String> {
    if let Some(id) = known_entry(tx, song).await? {
        return Ok(id);
    }
    let entry = LibrarySongInput {
        title: song.title.clone(),
        artist: song.artist.clone(),
        key: song.key.clone(),
        bpm: song.bpm,
        duration_secs: song.duration_secs,
        ..LibrarySongInput::default()
    };
    insert(&mut **tx, &uuid::Uuid::new_v4().to_string(), &entry, now).await?;
    // Inserted, or added by a save running alongside: either way it is there.
    known_entry(tx, song)
        .await?
        .ok_or(DbError::Query(sqlx::Error::RowNotFound))
}

/// Whether `song` has the title and artist given, as the library compares them.
pub(super) fn same_song(title: &str, artist: &str, song: &SongInput) -> bool {
    match_key(title) == match_key(&song.title) && match_key(artist) == match_key(&song.artist)
}

/// The entry with the song's title and artist; for a song typed without an
/// artist, failing that, the first with its title, so that a blank copy
/// does not shadow the entry that has the details.
pub(super) async fn known_entry(
    tx: &mut Transaction<'_, Any>,
    song: &SongInput,
) -> DbResult<Option<String>> {
    let id = sqlx::query_scalar(
        "SELECT id FROM library_songs WHERE match_title = $1 AND (match_artist = $2 OR $2 = '') \
         ORDER BY CASE WHEN match_artist = $2 THEN 0 ELSE 1 END, created_at, id LIMIT 1",
    )
    .bind(match_key(&song.title))
    .bind(match_key(&song.artist))
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id)
}

/// The audit detail naming a library song.
fn song_detail(id: &str, title: &str, artist: &str) -> serde_json::Value {
    json!({ "song_id": id, "title": title.trim(), "artist": artist.trim() })
}

/// Why a conditional write to entry `id` changed nothing.
async fn why_not_written(pool: &Pool, id: &str) -> WriteError {
    match current_version(pool, id).await {
        Ok(None) => WriteError::NotFound,
        Ok(Some(current_version)) => WriteError::Conflict { current_version },
        Err(error) => WriteError::Database(error),
    }
}

async fn current_version(pool: &Pool, id: &str) -> Result<Option<i64>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT version FROM library_songs WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_titles_sort_by_their_value() {
        let mut titles = [
            "song 10", "song 2", "song 1", "song 02b", "song", "sóng 3", "10 years", "9 lives",
        ];
        titles.sort_by(|a, b| natural_order(a, b));
        assert_eq!(
            titles,
            [
                "9 lives", "10 years", "song", "song 1", "song 2", "song 02b", "song 10", "sóng 3"
            ]
        );
        assert_eq!(natural_order("a 007", "a 7"), Ordering::Equal);
        assert_eq!(
            natural_order("x 99999999999999999999999999999999999999999", "x 100"),
            Ordering::Greater
        );
    }
}
