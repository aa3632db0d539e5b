//! The song library's part of the contract (`API.md`, "Song library and
//! sets"): every song the band plays, once.

use std::{borrow::Borrow, collections::BTreeMap};

use serde::{Deserialize, Serialize};

use super::validation::folded;

/// A song of the repertoire. `times_played` and `last_played` count the
/// setlists of past shows (before today) that play it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(Default))]
pub struct LibrarySong {
    pub id: String,
    pub title: String,
    pub artist: String,
    pub key: String,
    pub bpm: Option<i64>,
    pub duration_secs: i64,
    /// The manager's notes on the song.
    pub notes: String,
    /// The drummer's own notes (set by `PATCH` only).
    #[serde(default)]
    pub drummer_notes: String,
    pub tags: Vec<String>,
    pub version: i64,
    pub times_played: i64,
    /// The date of the last past show that played it.
    pub last_played: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl LibrarySong {
    /// The search of `GET /api/songs?q=&tag=` (and of the library page):
    /// `needle`, `folded`, in the title, the artist or a tag; and `tag`.
    pub fn matches(&self, needle: &str, tag: Option<&str>) -> bool {
        self.matches_folded(needle, tag, || self.folded_text())
    }

    /// The title and artist as the search compares them.
    pub fn folded_text(&self) -> (String, String) {
        (folded(&self.title), folded(&self.artist))
    }

    /// `matches`, with the song's `folded_text` from `text`, asked for only
    /// when there is text to find: a page that searches at every key keeps
    /// it, and folds each song once, not at every key.
    pub fn matches_folded<T: Borrow<(String, String)>>(
        &self,
        needle: &str,
        tag: Option<&str>,
        text: impl FnOnce() -> T,
    ) -> bool {
        let tagged = tag.is_none_or(|tag| self.tags.iter().any(|t| t == tag));
        if needle.is_empty() || !tagged {
            return tagged;
        }
        let text = text();
        let (title, artist) = text.borrow();
        title.contains(needle)
            || artist.contains(needle)
            || self.tags.iter().any(|t| t.contains(needle))
    }
}

/// The body of `POST /api/songs` and `PUT /api/songs/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LibrarySongInput {
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"[^\s\u0000-\u001F\u007F-\u009F\u00AD\u0300-\u036F\u061C\u115F\u1160\u17B4\u17B5\u180E\u1AB0-\u1AFF\u1DC0-\u1DFF\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u20D0-\u20FF\u2800\u3164\uFE00-\uFE0F\uFE20-\uFE2F\uFFA0\uFFF9-\uFFFB\uDC00-\uDFFF\uDB40]"
        )
    )]
    pub title: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    #[serde(default)]
    pub artist: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 16))]
    #[serde(default)]
    pub key: String,
    #[cfg_attr(feature = "ssr", schema(minimum = 20, maximum = 400))]
    #[serde(default)]
    pub bpm: Option<i64>,
    /// 0 is untimed.
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 3600))]
    #[serde(default)]
    pub duration_secs: i64,
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    #[serde(default)]
    pub notes: String,
    /// Stored trimmed, lower-case and composed (NFC), each once; no commas.
    #[cfg_attr(feature = "ssr", schema(max_items = 16))]
    #[serde(default)]
    pub tags: Vec<String>,
    /// Required by `PUT` (or `If-Match`), ignored by `POST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

impl From<&LibrarySong> for LibrarySongInput {
    fn from(song: &LibrarySong) -> Self {
        LibrarySongInput {
            title: song.title.clone(),
            artist: song.artist.clone(),
            key: song.key.clone(),
            bpm: song.bpm,
            duration_secs: song.duration_secs,
            notes: song.notes.clone(),
            tags: song.tags.clone(),
            version: Some(song.version),
        }
    }
}

/// `POST /api/songs/import`: a CSV file's text, with a header row naming
/// the columns (`title` is required; `artist`, `key`, `bpm`, `length`,
/// `tags`, `notes` are read when present). With `dry_run`, nothing is
/// written: the answer is the preview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// A misspelt `"dryrun": true`, ignored, would be a real import.
#[serde(deny_unknown_fields)]
pub struct SongImport {
    pub csv: String,
    #[serde(default)]
    pub dry_run: bool,
}

/// What became (or, in a dry run, would become) of each row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// A new song for the library.
    New,
    /// A song with this title and artist is already there; it is left alone.
    Existing,
    /// The row breaks a rule (see `errors`); it is skipped.
    Invalid,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportRow {
    /// The row's line in the file (the header is line 1).
    pub line: i64,
    pub title: String,
    pub artist: String,
    pub outcome: ImportOutcome,
    /// Column → what is wrong with it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub dry_run: bool,
    /// Songs added (0 in a dry run).
    pub created: i64,
    pub rows: Vec<ImportRow>,
}

impl ImportReport {
    /// How many rows came to `outcome`.
    pub fn rows_that(&self, outcome: ImportOutcome) -> usize {
        self.rows
            .iter()
            .filter(|row| row.outcome == outcome)
            .count()
    }
}
