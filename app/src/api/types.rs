use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::objects::{objects, optional_objects, some_objects};

/// What a band member may do. Unknown roles never deserialise: a token with
/// `"role": "admin"` is refused, not treated as some default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Drummer,
    Manager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Drummer => "drummer",
            Role::Manager => "manager",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "drummer" => Some(Role::Drummer),
            "manager" => Some(Role::Manager),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// A disabled member can neither log in nor refresh.
    #[serde(default)]
    pub disabled: bool,
    /// What they play ("drums"), apart from their role; left out when
    /// empty (no token carries it: `/api/me` answers it from the stored row).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instrument: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    #[cfg_attr(feature = "ssr", schema(max_length = 64))]
    pub username: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 256))]
    pub password: String,
}

/// The answer to a login or a refresh.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub user: User,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// A misspelt or unsupported field (`"disabled": true`) is a 422, not an
// account made without it.
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._-]+$")
    )]
    pub username: String,
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 120,
            pattern = r"[^\s\u0000-\u001F\u007F-\u009F\u00AD\u0300-\u036F\u061C\u115F\u1160\u17B4\u17B5\u180E\u1AB0-\u1AFF\u1DC0-\u1DFF\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u20D0-\u20FF\u2800\u3164\uFE00-\uFE0F\uFE20-\uFE2F\uFFA0\uFFF9-\uFFFB\uDC00-\uDFFF\uDB40]"
        )
    )]
    pub display_name: String,
    #[cfg_attr(feature = "ssr", schema(pattern = "^(drummer|manager)$"))]
    pub role: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 10, max_length = 256))]
    pub password: String,
    /// What they play: "vocals", "guitar", "drums"… (optional, up to 40 characters).
    #[cfg_attr(feature = "ssr", schema(max_length = 40))]
    #[serde(default)]
    pub instrument: String,
}

/// `PATCH /api/users/{id}`: what a manager changes about a member; absent
/// fields stay as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = "^(drummer|manager)$", nullable = false)
    )]
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub role: Option<String>,
    #[cfg_attr(
        feature = "ssr",
        schema(
            nullable = false,
            min_length = 1,
            max_length = 120,
            pattern = r"[^\s\u0000-\u001F\u007F-\u009F\u00AD\u0300-\u036F\u061C\u115F\u1160\u17B4\u17B5\u180E\u1AB0-\u1AFF\u1DC0-\u1DFF\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u20D0-\u20FF\u2800\u3164\uFE00-\uFE0F\uFE20-\uFE2F\uFFA0\uFFF9-\uFFFB\uDC00-\uDFFF\uDB40]"
        )
    )]
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
    /// What they play; `""` clears it.
    #[cfg_attr(feature = "ssr", schema(max_length = 40, nullable = false))]
    #[serde(
        default,
        deserialize_with = "text_not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub instrument: Option<String>,
    #[cfg_attr(feature = "ssr", schema(nullable = false))]
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub disabled: Option<bool>,
}

/// `POST /api/users/{id}/password`: a manager sets a member's new password.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    #[cfg_attr(feature = "ssr", schema(min_length = 10, max_length = 256))]
    pub password: String,
}

/// `POST /api/me/password`: a member changes their own password.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 10, max_length = 256))]
    pub new_password: String,
}

/// One row of the setlists overview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SetlistSummary {
    pub id: String,
    pub name: String,
    pub venue: String,
    pub show_date: String,
    pub song_count: i64,
    pub total_duration_secs: i64,
    /// Songs of length 0: the total leaves them out, so it says how many.
    pub untimed_count: i64,
    pub version: i64,
    pub updated_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(Default))]
pub struct Setlist {
    pub id: String,
    pub name: String,
    pub venue: String,
    pub show_date: String,
    pub notes: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// The whole running order, every set's songs one after the other.
    pub songs: Vec<Song>,
    /// The same songs by set ("Set 1", "Set 2", "Encore"): one set for a
    /// show planned without sets.
    pub sets: Vec<SetOfSongs>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(Default))]
pub struct SetOfSongs {
    pub name: String,
    pub songs: Vec<Song>,
    /// The time the set has on stage, in seconds, when one is planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_secs: Option<i64>,
}

/// The name of the only set of a show planned without sets.
pub const FIRST_SET: &str = "Set 1";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(Default))]
pub struct Song {
    pub id: String,
    pub title: String,
    pub artist: String,
    pub duration_secs: i64,
    pub bpm: Option<i64>,
    pub key: String,
    /// The manager's notes on the song.
    pub notes: String,
    /// The drummer's own notes: set only by a song `PATCH`, kept when a
    /// manager's `PUT` sends the song back (with its id) without them.
    #[serde(default)]
    pub drummer_notes: String,
    /// The song's entry in the library (`/api/songs`), once it has one.
    #[serde(default)]
    pub library_id: Option<String>,
}

/// The body of `POST /api/setlists` and `PUT /api/setlists/{id}`.
/// Numbers are `i64` so that out-of-range values reach validation and get a
/// 422 naming the field, instead of a bare deserialisation error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SetlistInput {
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 120,
            pattern = r"[^\s\u0000-\u001F\u007F-\u009F\u00AD\u0300-\u036F\u061C\u115F\u1160\u17B4\u17B5\u180E\u1AB0-\u1AFF\u1DC0-\u1DFF\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u20D0-\u20FF\u2800\u3164\uFE00-\uFE0F\uFE20-\uFE2F\uFFA0\uFFF9-\uFFFB\uDC00-\uDFFF\uDB40]"
        )
    )]
    pub name: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 120))]
    #[serde(default)]
    pub venue: String,
    #[cfg_attr(feature = "ssr", schema(format = Date, pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub show_date: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    #[serde(default)]
    pub notes: String,
    /// Required by `PUT` (or `If-Match`), ignored by `POST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The running order. Alone: a show of one set. Beside `sets`: the
    /// show's songs, each kept in its set by id (`[]` only when `sets` holds
    /// no song either). Leave it out to take the songs from `sets`.
    #[cfg_attr(feature = "ssr", schema(max_items = 200, nullable = false))]
    #[serde(
        default,
        deserialize_with = "some_objects",
        skip_serializing_if = "Option::is_none"
    )]
    pub songs: Option<Vec<SongInput>>,
    /// A show of one or more sets, each with its songs (200 in all).
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 10))]
    #[serde(
        default,
        deserialize_with = "optional_objects",
        skip_serializing_if = "Option::is_none"
    )]
    pub sets: Option<Vec<SetInput>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SetInput {
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 40,
            pattern = r"[^\s\u0000-\u001F\u007F-\u009F\u00AD\u0300-\u036F\u061C\u115F\u1160\u17B4\u17B5\u180E\u1AB0-\u1AFF\u1DC0-\u1DFF\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u20D0-\u20FF\u2800\u3164\uFE00-\uFE0F\uFE20-\uFE2F\uFFA0\uFFF9-\uFFFB\uDC00-\uDFFF\uDB40]"
        )
    )]
    pub name: String,
    #[serde(default, deserialize_with = "objects")]
    pub songs: Vec<SongInput>,
    /// The time the set has on stage, in seconds (1 minute to 10 hours).
    #[cfg_attr(feature = "ssr", schema(minimum = 60, maximum = 36000))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_secs: Option<i64>,
}

impl SetlistInput {
    /// The sets' names, and every song with the index of its set.
    /// - `songs` alone: one set called "Set 1".
    /// - `sets` alone: the sets as sent.
    /// - both (a read setlist sent back with its `songs` edited by a client
    ///   that knows no sets): the songs and their order from `songs`, each
    ///   in the set `sets` has it in (by id), a new one in the set of the
    ///   song before it; the running order is then set by set. Sets are
    ///   never lost to an older client. (`songs: []` beside sets that hold
    ///   songs is refused by validation: see `validate_setlist`.)
    pub fn running_order(&self) -> (Vec<&str>, Vec<(usize, &SongInput)>) {
        let Some(sets) = &self.sets else {
            return (
                vec![FIRST_SET],
                self.flat_songs().iter().map(|song| (0, song)).collect(),
            );
        };
        let names = sets.iter().map(|set| set.name.as_str()).collect();
        if !self.songs_from_flat_list() {
            let songs = sets.iter().enumerate();
            let songs = songs.flat_map(|(i, set)| set.songs.iter().map(move |song| (i, song)));
            return (names, songs.collect());
        }
        let set_of = |id: &str| {
            sets.iter()
                .position(|set| set.songs.iter().any(|s| s.id.as_deref() == Some(id)))
        };
        let mut current = 0;
        let mut songs: Vec<(usize, &SongInput)> = self
            .flat_songs()
            .iter()
            .map(|song| {
                if let Some(set) = song.id.as_deref().and_then(set_of) {
                    current = set;
                }
                (current, song)
            })
            .collect();
        // The running order is set after set; within a set, as `songs` has it.
        songs.sort_by_key(|(set, _)| *set);
        (names, songs)
    }

    /// Each set's slot on stage, in the order of `running_order`'s names.
    pub fn set_slots(&self) -> Vec<Option<i64>> {
        match &self.sets {
            Some(sets) => sets.iter().map(|set| set.slot_secs).collect(),
            None => vec![None],
        }
    }

    /// A new setlist with the same show: named "… (copy)", every song and
    /// set as here, no ids or version (they are the original's).
    pub fn as_copy(&self) -> SetlistInput {
        let name: String = format!("{} (copy)", self.name.trim_end());
        let fresh = |songs: &[SongInput]| -> Vec<SongInput> {
            songs
                .iter()
                .map(|song| SongInput {
                    id: None,
                    ..song.clone()
                })
                .collect()
        };
        SetlistInput {
            name: name
                .chars()
                .take(crate::api::validation::NAME_MAX)
                .collect(),
            version: None,
            songs: self.songs.as_deref().map(fresh),
            sets: self.sets.as_ref().map(|sets| {
                sets.iter()
                    .map(|set| SetInput {
                        songs: fresh(&set.songs),
                        ..set.clone()
                    })
                    .collect()
            }),
            ..self.clone()
        }
    }

    /// Whether the songs come from `songs` (see `running_order`).
    pub fn songs_from_flat_list(&self) -> bool {
        self.sets.is_none() || self.songs.is_some()
    }

    /// The songs of `songs`, none when it is absent.
    pub fn flat_songs(&self) -> &[SongInput] {
        self.songs.as_deref().unwrap_or_default()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SongInput {
    /// Present for a song that already exists: it keeps its id.
    #[cfg_attr(feature = "ssr", schema(format = "uuid"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
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
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 3600))]
    #[serde(default)]
    pub duration_secs: i64,
    #[cfg_attr(feature = "ssr", schema(minimum = 20, maximum = 400))]
    #[serde(default)]
    pub bpm: Option<i64>,
    #[cfg_attr(feature = "ssr", schema(max_length = 16))]
    #[serde(default)]
    pub key: String,
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    #[serde(default)]
    pub notes: String,
}

impl From<&Song> for SongInput {
    fn from(song: &Song) -> Self {
        SongInput {
            id: Some(song.id.clone()),
            title: song.title.clone(),
            artist: song.artist.clone(),
            duration_secs: song.duration_secs,
            bpm: song.bpm,
            key: song.key.clone(),
            notes: song.notes.clone(),
        }
    }
}

/// A member's edit of one song: `PATCH /api/setlists/{id}/songs/{song_id}`
/// (and `PATCH /api/songs/{id}`). `bpm` absent leaves it alone, `null`
/// clears it; `notes` are the song's (API.md lets a drummer set them),
/// `drummer_notes` the drummer's own, which nothing else writes. With a
/// `version` (or `If-Match`), the edit applies only to that version of the
/// setlist (409 otherwise); without, it applies to whatever is current, since
/// it sets only these fields of one song. Other fields are ignored (a client
/// may send the whole song back); a patch with none of these is refused.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SongPatch {
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<i64>, minimum = 20, maximum = 400))]
    pub bpm: Option<Option<i64>>,
    #[cfg_attr(feature = "ssr", schema(max_length = 2000, nullable = false))]
    #[serde(
        default,
        deserialize_with = "text_not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub notes: Option<String>,
    #[cfg_attr(feature = "ssr", schema(max_length = 2000, nullable = false))]
    #[serde(
        default,
        deserialize_with = "text_not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub drummer_notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// Text that may be left out but is refused as `null`: read as "left out",
/// a patch of only `"notes": null` would be refused for changing nothing,
/// under another field's name.
fn text_not_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        Some(text) => Ok(Some(text)),
        None => Err(serde::de::Error::custom(
            "must be text, not null (send \"\" to clear it)",
        )),
    }
}

/// A field that may be left out but is refused as `null`: read as "left
/// out", `{"role": null}` would answer 200 and change nothing, and the
/// client would believe its change was made.
fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "must not be null (leave the field out to keep it as it is)",
        )),
    }
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Every error of the API has this body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

/// The `code` of an error body (API.md, Errors): what a client matches on.
/// One enum for the server that sends it and the browser that reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    ValidationFailed,
    InvalidCredentials,
    InvalidToken,
    MissingToken,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    VersionConflict,
    LastManager,
    PayloadTooLarge,
    RequestTimeout,
    HeadersTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Unavailable,
    Internal,
    /// The browser's own: the server was not reached. Never sent, so no
    /// answer is read as one (and the OpenAPI spec leaves it out).
    #[serde(skip_deserializing)]
    Network,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// One session: a login on one device (a refresh-token family).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: String,
    pub created_at: String,
    pub last_used_at: String,
    pub expires_at: String,
    pub user_agent: String,
    pub ip: String,
    /// The session of the access token that asked.
    pub current: bool,
}

/// The event types of the audit trail, as the API names them: one enum for
/// the server that records them and the browser that filters by them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    Refreshed,
    RefreshReuseDetected,
    LoggedOut,
    SessionRevoked,
    MemberRevoked,
    MemberCreated,
    SigningKeyRotated,
    MemberDisabled,
    MemberEnabled,
    MemberRoleChanged,
    MemberRenamed,
    MemberInstrumentChanged,
    PasswordReset,
    PasswordChanged,
    SetlistCreated,
    SetlistChanged,
    SetlistDeleted,
    SongAdded,
    SongChanged,
    SongDeleted,
    SongsImported,
}

impl AuditKind {
    pub const ALL: [AuditKind; 24] = [
        AuditKind::LoginSucceeded,
        AuditKind::LoginFailed,
        AuditKind::LoginThrottled,
        AuditKind::Refreshed,
        AuditKind::RefreshReuseDetected,
        AuditKind::LoggedOut,
        AuditKind::SessionRevoked,
        AuditKind::MemberRevoked,
        AuditKind::MemberCreated,
        AuditKind::SigningKeyRotated,
        AuditKind::MemberDisabled,
        AuditKind::MemberEnabled,
        AuditKind::MemberRoleChanged,
        AuditKind::MemberRenamed,
        AuditKind::MemberInstrumentChanged,
        AuditKind::PasswordReset,
        AuditKind::PasswordChanged,
        AuditKind::SetlistCreated,
        AuditKind::SetlistChanged,
        AuditKind::SetlistDeleted,
        AuditKind::SongAdded,
        AuditKind::SongChanged,
        AuditKind::SongDeleted,
        AuditKind::SongsImported,
    ];

    /// The name in API.md (and in the database's `kind` column).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::LoginSucceeded => "login_succeeded",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::LoginThrottled => "login_throttled",
            AuditKind::Refreshed => "refreshed",
            AuditKind::RefreshReuseDetected => "refresh_reuse_detected",
            AuditKind::LoggedOut => "logged_out",
            AuditKind::SessionRevoked => "session_revoked",
            AuditKind::MemberRevoked => "member_revoked",
            AuditKind::MemberCreated => "member_created",
            AuditKind::SigningKeyRotated => "signing_key_rotated",
            AuditKind::MemberDisabled => "member_disabled",
            AuditKind::MemberEnabled => "member_enabled",
            AuditKind::MemberRoleChanged => "member_role_changed",
            AuditKind::MemberRenamed => "member_renamed",
            AuditKind::MemberInstrumentChanged => "member_instrument_changed",
            AuditKind::PasswordReset => "password_reset",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::SetlistCreated => "setlist_created",
            AuditKind::SetlistChanged => "setlist_changed",
            AuditKind::SetlistDeleted => "setlist_deleted",
            AuditKind::SongAdded => "song_added",
            AuditKind::SongChanged => "song_changed",
            AuditKind::SongDeleted => "song_deleted",
            AuditKind::SongsImported => "songs_imported",
        }
    }

    pub fn parse(text: &str) -> Option<AuditKind> {
        AuditKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: String,
    pub at: String,
    #[serde(rename = "type")]
    pub kind: AuditKind,
    pub actor_id: Option<String>,
    pub subject_id: Option<String>,
    pub ip: String,
    pub user_agent: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub detail: Detail,
}

/// An event's detail, a small JSON object (ids and names), kept as the text
/// the database holds: the browser only shows it, so it is never parsed into
/// a tree.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Detail(Box<serde_json::value::RawValue>);

impl Detail {
    /// Takes JSON text; anything else (which the server never writes) becomes `{}`.
    pub fn from_json(json: String) -> Detail {
        use serde_json::value::RawValue;
        Detail(
            RawValue::from_string(json)
                .unwrap_or_else(|_| RawValue::from_string("{}".to_owned()).expect("{} is JSON")),
        )
    }

    pub fn as_str(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for Detail {
    fn eq(&self, other: &Detail) -> bool {
        self.as_str() == other.as_str()
    }
}

/// A signing key named by its id: the `kid` of a JWT header, or one entry of
/// the published JWK Set (whose other members the browser does not need).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct KeyId {
    pub kid: String,
}

/// `GET /.well-known/jwks.json`, as far as the browser reads it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PublishedKeys {
    pub keys: Vec<KeyId>,
}

/// A page of the audit log, newest first; pass `next_before` as `before` for the next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next_before: Option<String>,
}

/// The data of the live stream's setlist events (`GET /api/events`):
/// `setlist_created`, `setlist_changed` and `setlist_deleted` (no version),
/// and `song_patched` (with the song). `by` is the display name of the member
/// who made the change, so a page can say "Max reordered the set"; `by_id`
/// their id, by which a page knows its own member's changes (two members may
/// share a display name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetlistEvent {
    #[serde(alias = "setlist_id")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub song_id: Option<String>,
    #[serde(default)]
    pub by: String,
    #[serde(default)]
    pub by_id: String,
}

/// The data of the live stream's `library_changed` event (someone added,
/// changed, deleted or imported library songs) and `members_changed` (a
/// manager added or changed a member): `by` is their display name, `by_id`
/// their id. Neither has an id or is replayed: a page that reconnects reads
/// its list again.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangedBy {
    pub by: String,
    #[serde(default)]
    pub by_id: String,
}

/// What a member is doing on a setlist page, as others see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
// Read as a string first: serde_json calls a `null` or a number where an
// enum goes a syntax error, which was a 400 for well-formed JSON, not the
// 422 naming the field that any other value of the wrong type gets.
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum Activity {
    Viewing,
    /// Has unsaved changes in the editor.
    Editing,
    Left,
}

impl TryFrom<String> for Activity {
    type Error = &'static str;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        match text.as_str() {
            "viewing" => Ok(Activity::Viewing),
            "editing" => Ok(Activity::Editing),
            "left" => Ok(Activity::Left),
            _ => Err("must be viewing, editing or left"),
        }
    }
}

/// How often an open setlist page says `POST /api/presence` while it stays
/// open; the server lets a page go after a minute of silence.
pub const PRESENCE_HEARTBEAT_MS: u64 = 25_000;

/// `POST /api/presence`: "I am on this setlist page, doing this".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PresenceInput {
    pub setlist_id: String,
    pub activity: Activity,
    /// An id the page chose for itself (up to 64 letters, digits, `-` and
    /// `_`): a member on two tabs stays until both are closed, and a hello
    /// that its own goodbye overtook is not taken. Without it, a member is
    /// one page per setlist.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub page: String,
}

/// One member on a setlist page; also the data of the `presence` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Presence {
    pub setlist_id: String,
    pub user_id: String,
    pub name: String,
    pub activity: Activity,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activity_reads_back_what_it_writes() {
        for activity in [Activity::Viewing, Activity::Editing, Activity::Left] {
            let written = serde_json::to_string(&activity).unwrap();
            assert_eq!(
                serde_json::from_str::<Activity>(&written).unwrap(),
                activity
            );
        }
    }

    #[test]
    fn an_audit_detail_passes_through_as_written_and_never_as_invalid_json() {
        let detail = Detail::from_json(r#"{"session_id":"s-1"}"#.to_owned());
        assert_eq!(detail.as_str(), r#"{"session_id":"s-1"}"#);
        assert_eq!(
            serde_json::to_string(&detail).unwrap(),
            r#"{"session_id":"s-1"}"#,
            "serialised as the object itself, not as a string"
        );
        assert_eq!(Detail::from_json("not json".to_owned()).as_str(), "{}");
    }
}
