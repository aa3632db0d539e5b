//! The limits of `API.md`, checked in one place. The server enforces them;
//! the browser uses the same functions to explain a problem before sending.

use std::collections::BTreeMap;

use super::{LibrarySongInput, PresenceInput, SetlistInput, SongInput, SongPatch};

pub const NAME_MAX: usize = 120;
pub const VENUE_MAX: usize = 120;
pub const TITLE_MAX: usize = 200;
pub const ARTIST_MAX: usize = 200;
pub const KEY_MAX: usize = 16;
pub const NOTES_MAX: usize = 2000;
pub const DURATION_MAX: i64 = 3600;
pub const BPM_MIN: i64 = 20;
pub const BPM_MAX: i64 = 400;
pub const SONGS_MAX: usize = 200;
pub const SETS_MAX: usize = 10;
pub const SET_NAME_MAX: usize = 40;
/// A set's slot on stage: a minute to ten hours, in seconds.
pub const SLOT_SECS: std::ops::RangeInclusive<i64> = 60..=36_000;
pub const USERNAME_MAX: usize = 64;

fn username_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.')
}

/// Whether `name` could be a member's username: safe as it is in a cookie
/// or an attribute.
pub fn is_username_shaped(name: &str) -> bool {
    (1..=USERNAME_MAX).contains(&name.len()) && name.chars().all(username_char)
}
pub const DISPLAY_NAME_MAX: usize = 120;
pub const INSTRUMENT_MAX: usize = 40;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 256;
pub const TAGS_MAX: usize = 16;
pub const TAG_MAX: usize = 32;
/// Rows of one CSV import.
pub const IMPORT_ROWS_MAX: usize = 2000;
pub const PAGE_ID_MAX: usize = 64;

/// The OpenAPI pattern of a required text, the JavaScript regular
/// expression of `!shows_nothing` (JavaScript's `\s` has U+FEFF, not U+0085),
/// written out in each schema attribute (utoipa takes a literal only; the
/// OpenAPI test holds them to this). It must compile with and without the
/// `u` flag (validators differ). Without it JavaScript sees UTF-16: plane 14
/// (tags, variation selectors) is the high surrogate U+DB40, and a low
/// surrogate never stands alone, so the class leaves both out and an emoji
/// still shows by its high surrogate. With it, a lone surrogate matches
/// nothing (U+DB40 comes last so that it is not read as the start of a
/// pair), and a text of plane-14 characters only, or of the few format
/// characters outside the first plane, is left to the server to refuse.
pub const SHOWS_SOMETHING: &str = r"[^\s\u0000-\u001F\u007F-\u009F\u00AD\u0300-\u036F\u061C\u115F\u1160\u17B4\u17B5\u180E\u1AB0-\u1AFF\u1DC0-\u1DFF\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u20D0-\u20FF\u2800\u3164\uFE00-\uFE0F\uFE20-\uFE2F\uFFA0\uFFF9-\uFFFB\uDC00-\uDFFF\uDB40]";

/// True for text that is only spaces and characters drawn as nothing: the
/// zero-width ones and the word joiner, direction marks and embeddings, a
/// byte order mark, a soft hyphen, invisible operators, blank fillers (the
/// Hangul fillers, the blank Braille pattern), combining marks with nothing
/// to sit on, variation selectors and tags, control characters and the other
/// format characters that draw nothing (interlinear annotation marks, the
/// musical beams', the shorthand and hieroglyph format controls). Such a
/// name would be a row that nobody can see or click.
pub fn shows_nothing(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '\u{00AD}'
                    | '\u{0300}'..='\u{036F}'
                    | '\u{061C}'
                    | '\u{115F}'
                    | '\u{1160}'
                    | '\u{17B4}'
                    | '\u{17B5}'
                    | '\u{180E}'
                    | '\u{1AB0}'..='\u{1AFF}'
                    | '\u{1DC0}'..='\u{1DFF}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{2064}'
                    | '\u{2066}'..='\u{206F}'
                    | '\u{20D0}'..='\u{20FF}'
                    | '\u{2800}'
                    | '\u{3164}'
                    | '\u{FE00}'..='\u{FE0F}'
                    | '\u{FE20}'..='\u{FE2F}'
                    | '\u{FEFF}'
                    | '\u{FFA0}'
                    | '\u{FFF9}'..='\u{FFFB}'
                    | '\u{110BD}'
                    | '\u{110CD}'
                    | '\u{13430}'..='\u{1343F}'
                    | '\u{1BCA0}'..='\u{1BCA3}'
                    | '\u{1D173}'..='\u{1D17A}'
                    | '\u{E0000}'..='\u{E03FF}'
            )
    })
}

/// A line or paragraph break of any kind (U+2028 and U+0085 break a line
/// as `\n` does).
pub fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// A bidirectional override: U+202D (left-to-right), U+202E (right-to-left).
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202D}' | '\u{202E}')
}

/// True for text on one line.
pub fn is_one_line(text: &str) -> bool {
    !text.contains(is_line_break)
}

/// `text` on one line, each break (and the spaces around it) as one space:
/// a spreadsheet cell wrapped with Alt+Enter, a title stored on two lines.
pub fn on_one_line(text: &str) -> String {
    text.split(is_line_break)
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// How the song library compares a title or an artist: the server, to keep
/// every song once, and the editor, to offer a known song's details. Made in
/// Rust, not by the database, to be the same on both backends (SQLite's
/// `lower` knows only ASCII letters, and `trim` takes only spaces): `ÉVERLONG`,
/// `éverlong ` and a tab before `Everlong` are one song. Any run of white
/// space inside counts as one space: two spaces, a tab or a no-break space
/// look alike on a page, and a line break is how the CSV export and import
/// carry a title stored on two lines (through the API), which must be found
/// by its line again, not imported as a second entry.
pub fn library_match_key(text: &str) -> String {
    folded(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `text` as the song library searches and compares it: lower-case, and in
/// Unicode's composed form (NFC), so that "é" sent as one character or as
/// "e" and a combining accent (two devices may send either) is one text.
/// Titles and artists are stored as sent, and only compared folded; tags
/// are stored folded (`normalized_tags`).
pub fn folded(text: &str) -> String {
    // Composed last: lower-casing can leave a letter and its accent apart.
    composed(&text.to_lowercase())
}

/// The browser's own NFC: no normalisation tables in the wasm.
#[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
fn composed(text: &str) -> String {
    js_sys::JsString::from(text).normalize("NFC").into()
}

#[cfg(not(all(feature = "hydrate", target_arch = "wasm32")))]
fn composed(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

/// Field name → what is wrong with it. Empty means valid.
pub type FieldErrors = BTreeMap<String, String>;

/// Collects field errors; `check` records a message when a rule fails.
#[derive(Default)]
struct Checker(FieldErrors);

impl Checker {
    fn check(&mut self, field: impl Into<String>, ok: bool, message: impl Into<String>) {
        if !ok {
            self.0.entry(field.into()).or_insert_with(|| message.into());
        }
    }

    /// A required field (`min` > 0) must show something: a setlist or a
    /// member called "   " (or a zero-width space) would show as nothing at
    /// all. No text may hold a control character but a tab or a line break:
    /// U+0000 because PostgreSQL cannot store it (the query would fail) and a
    /// C-string reader of an export would cut the text there; the others
    /// because an escape sequence in a title would reach the terminal of
    /// whoever reads an export or a log with `cat` (terminal injection).
    /// Nor a bidirectional override: a name holding U+202E draws the rest of
    /// every line it is quoted in backwards ("… changed the role of …" in
    /// the audit log), which spoofs what is said (Trojan Source). Text
    /// needs no override; the embeddings and isolates that a paste of
    /// right-to-left text or of a phone's contact brings stay allowed.
    fn text(&mut self, field: impl Into<String>, value: &str, min: usize, max: usize) {
        let len = value.chars().count();
        let blank = min > 0 && shows_nothing(value);
        let control = value
            .chars()
            .find(|&c| (c.is_control() && c != '\t' && !is_line_break(c)) || is_bidi_override(c));
        let message = if blank {
            "must not be empty".to_string()
        } else if let Some(control) = control {
            format!(
                "must not contain the character U+{:04X}",
                u32::from(control)
            )
        } else {
            format!("must be at most {max} characters")
        };
        let ok = !blank && control.is_none() && len >= min && len <= max;
        self.check(field, ok, message);
    }

    /// A member's display name. The pages call each member's own changes
    /// "You" ("You set the tempo…"): a member named so would read as the
    /// reader themself, in words and to a screen reader alike.
    fn display_name(&mut self, value: &str) {
        self.text("display_name", value, 1, DISPLAY_NAME_MAX);
        self.check(
            "display_name",
            !value.trim().eq_ignore_ascii_case("you"),
            "cannot be “You”: the app says “You” to each member about their own changes",
        );
    }

    /// `text` on one line: a set's name is typed into a one-line field,
    /// which cannot hold a line break.
    fn line(&mut self, field: impl Into<String>, value: &str, min: usize, max: usize) {
        // A required field of only a line break is said to be empty.
        if is_one_line(value) || (min > 0 && shows_nothing(value)) {
            self.text(field, value, min, max);
        } else {
            self.check(field, false, "must be one line");
        }
    }

    fn password(&mut self, field: impl Into<String>, password: &str) {
        let len = password.chars().count();
        if len > 0 && shows_nothing(password) {
            // Ten spaces (or zero-width spaces) pass a length rule and fall
            // to the first guess.
            return self.check(field, false, "must not be only spaces");
        }
        if password.contains('\0') {
            // As for any text: a form or a C-string reader cuts it there.
            return self.check(field, false, "must not contain the character U+0000");
        }
        self.check(
            field,
            (PASSWORD_MIN..=PASSWORD_MAX).contains(&len),
            format!("must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        );
    }

    /// A setlist's song, its fields named `{at}.title` and so on.
    fn song(&mut self, at: &str, song: &SongInput) {
        if let Some(id) = &song.id {
            self.check(
                format!("{at}.id"),
                is_uuid(id),
                "must be a song id as the API gave it (a UUID), or left out for a new song",
            );
        }
        self.text(format!("{at}.title"), &song.title, 1, TITLE_MAX);
        self.text(format!("{at}.artist"), &song.artist, 0, ARTIST_MAX);
        self.text(format!("{at}.key"), &song.key, 0, KEY_MAX);
        self.text(format!("{at}.notes"), &song.notes, 0, NOTES_MAX);
        self.duration(format!("{at}.duration_secs"), song.duration_secs);
        self.bpm(format!("{at}.bpm"), song.bpm);
    }

    /// A song's length. The API counts seconds and the forms m:ss: the
    /// message speaks both.
    fn duration(&mut self, field: impl Into<String>, secs: i64) {
        self.check(
            field,
            (0..=DURATION_MAX).contains(&secs),
            format!(
                "must be between 0 and {DURATION_MAX} seconds (0:00 to {}:00)",
                DURATION_MAX / 60
            ),
        );
    }

    fn bpm(&mut self, field: impl Into<String>, bpm: Option<i64>) {
        let ok = bpm.is_none_or(|bpm| (BPM_MIN..=BPM_MAX).contains(&bpm));
        self.check(
            field,
            ok,
            format!("must be between {BPM_MIN} and {BPM_MAX}"),
        );
    }
}

/// A field as the forms label it: `songs[2].duration_secs` → `Song 3
/// length`, `sets[1].songs[0].title` → `Set 2 song 1 title`.
pub fn field_label(field: &str) -> String {
    let (set, rest) = match field
        .strip_prefix("sets[")
        .and_then(|rest| rest.split_once("]."))
    {
        Some((index, rest)) => (index.parse::<usize>().ok().map(|i| i + 1), rest),
        None => (None, field),
    };
    let (song, name) = match rest
        .strip_prefix("songs[")
        .and_then(|rest| rest.split_once("]."))
    {
        Some((index, name)) => (index.parse::<usize>().ok().map(|i| i + 1), name),
        None => (None, rest),
    };
    let label = match name {
        "duration_secs" => "length",
        "show_date" => "show date",
        "display_name" => "display name",
        "bpm" => "BPM",
        "drummer_notes" => "drummer's notes",
        "slot_secs" => "slot",
        other => other,
    };
    match (set, song) {
        (Some(set), Some(song)) => format!("Set {set} song {song} {label}"),
        (Some(set), None) => format!("Set {set} {label}"),
        (None, Some(song)) => format!("Song {song} {label}"),
        (None, None) => label.to_string(),
    }
}

pub fn validate_setlist(input: &SetlistInput) -> FieldErrors {
    let mut c = Checker::default();
    c.text("name", &input.name, 1, NAME_MAX);
    c.text("venue", &input.venue, 0, VENUE_MAX);
    // An empty date is a date not picked yet (the browser's picker shows no
    // YYYY-MM-DD to compare with).
    let date_problem = if input.show_date.is_empty() {
        "must be picked"
    } else {
        "must be a date as YYYY-MM-DD"
    };
    c.check(
        "show_date",
        is_calendar_date(&input.show_date),
        date_problem,
    );
    c.text("notes", &input.notes, 0, NOTES_MAX);
    if input.songs_from_flat_list() {
        c.check(
            "songs",
            input.flat_songs().len() <= SONGS_MAX,
            format!("must be at most {SONGS_MAX} in a setlist"),
        );
        for (i, song) in input.flat_songs().iter().enumerate() {
            c.song(&format!("songs[{i}]"), song);
        }
    }
    let Some(sets) = &input.sets else {
        return c.0;
    };
    c.check(
        "sets",
        (1..=SETS_MAX).contains(&sets.len()),
        format!("must be 1 to {SETS_MAX} in a show"),
    );
    for (i, set) in sets.iter().enumerate() {
        c.line(format!("sets[{i}].name"), &set.name, 1, SET_NAME_MAX);
        c.check(
            format!("sets[{i}].slot_secs"),
            set.slot_secs.is_none_or(|slot| SLOT_SECS.contains(&slot)),
            format!(
                "must be {} to {} minutes",
                SLOT_SECS.start() / 60,
                SLOT_SECS.end() / 60
            ),
        );
    }
    if !input.songs_from_flat_list() {
        let songs: usize = sets.iter().map(|set| set.songs.len()).sum();
        c.check(
            "sets",
            songs <= SONGS_MAX,
            format!("must hold at most {SONGS_MAX} songs in all"),
        );
        for (i, set) in sets.iter().enumerate() {
            for (j, song) in set.songs.iter().enumerate() {
                c.song(&format!("sets[{i}].songs[{j}]"), song);
            }
        }
    } else {
        // `songs: []` beside sets that hold songs: "remove every song", or
        // "take them from `sets`"? The app's editor before 6 December sent
        // it for the second, and a tab still running that build would empty
        // the show; a client that knows no sets, for the first. Neither is
        // guessed.
        c.check(
            "songs",
            !input.flat_songs().is_empty() || sets.iter().all(|set| set.songs.is_empty()),
            "is empty while `sets` holds songs: leave `songs` out to take the songs from `sets`, or send `sets` without songs to remove them all",
        );
        // Both lists: the songs come from `songs` (`running_order`), and
        // `sets` only says which set each is in, by id. A new song in `sets`
        // would be dropped without a word.
        for (i, set) in sets.iter().enumerate() {
            for (j, song) in set.songs.iter().enumerate() {
                c.check(
                    format!("sets[{i}].songs[{j}]"),
                    song.id.is_some(),
                    "is a new song while `songs` is sent too: send the songs in `songs` or in `sets`, not both",
                );
            }
        }
    }
    c.0
}

/// A drummer's tempo as a field shows it ("" for none).
pub fn tempo_text(bpm: Option<i64>) -> String {
    bpm.map(|bpm| bpm.to_string()).unwrap_or_default()
}

/// What someone else did to a drummer's tempo, in words.
pub fn tempo_change_said(theirs: &str) -> String {
    match theirs {
        "" => "cleared the tempo".to_string(),
        theirs => format!("set the tempo to {theirs}"),
    }
}

/// Who changed a song meanwhile, as the drummer is told.
pub const SOMEONE_ELSE: &str = "Someone else";

/// Added to "Saved." when more was typed while the save was on its way.
pub const TYPED_MEANWHILE: &str = " What you typed meanwhile is not saved yet.";

/// What someone else did to the drummer's notes, in words.
pub fn drummer_notes_change_said(theirs: &str) -> String {
    format!("changed the drummer's notes to “{theirs}”")
}

/// What to tell a drummer whose typed tempo or notes Save would put in
/// place of someone else's change: their value, for each such field. `who`
/// is "Someone else", or "They also" after a sentence about what else that
/// someone changed.
pub fn overtaken_said(who: &str, tempo: Option<&str>, notes: Option<&str>) -> Option<String> {
    let said: Vec<String> = (tempo.map(tempo_change_said).into_iter())
        .chain(notes.map(drummer_notes_change_said))
        .collect();
    (!said.is_empty()).then(|| {
        format!(
            "{who} {} meanwhile. What you typed is kept, not saved: Save puts yours in its place.",
            said.join(" and ")
        )
    })
}

/// One value merged three ways: theirs where this side left it as it was
/// (or made the same change), mine where they left it; `None` when both
/// changed it, each differently. Setlist drafts, the library's song form and
/// a drummer's tempo and notes all merge with it.
pub fn three_way<'a>(base: &str, mine: &'a str, theirs: &'a str) -> Option<&'a str> {
    if mine == base || mine == theirs {
        Some(theirs)
    } else if theirs == base {
        Some(mine)
    } else {
        None
    }
}

/// The drummer's tempo and notes once someone else saved theirs (as typed,
/// as loaded, as they saved them): each field merged by `three_way`, a
/// field both changed keeping what is typed. And which fields (tempo,
/// notes) are overtaken: those both changed, so that Save would replace
/// their change.
pub fn follow_theirs(
    typed: (&str, &str),
    loaded: (&str, &str),
    theirs: (&str, &str),
) -> ((String, String), (bool, bool)) {
    let tempo = three_way(loaded.0, typed.0, theirs.0);
    let notes = three_way(loaded.1, typed.1, theirs.1);
    (
        (
            tempo.unwrap_or(typed.0).to_string(),
            notes.unwrap_or(typed.1).to_string(),
        ),
        (tempo.is_none(), notes.is_none()),
    )
}

/// Why the browser will not send a drummer's tempo and notes.
#[derive(Debug, PartialEq)]
pub struct PatchRefused {
    /// The tempo is what is wrong (its field gets `aria-invalid`).
    pub tempo: bool,
    pub message: String,
}

/// A tempo as typed in a form: none when left out, else a whole number.
pub fn parse_tempo_field(text: &str) -> Result<Option<i64>, std::num::ParseIntError> {
    match text.trim() {
        "" => Ok(None),
        text => text.parse().map(Some),
    }
}

/// A drummer's tempo and notes as typed, against what was last saved: the
/// patch of what changed, `None` when nothing did, or why the server would
/// refuse it. A field left alone is not sent back, so it cannot undo a
/// change this page has not heard of yet.
pub fn drummer_patch(
    typed: (&str, &str),
    saved: (&str, &str),
) -> Result<Option<SongPatch>, PatchRefused> {
    let bpm = parse_tempo_field(typed.0).map_err(|_| PatchRefused {
        tempo: true,
        message: format!("The BPM must be a whole number between {BPM_MIN} and {BPM_MAX}."),
    })?;
    let patch = SongPatch {
        bpm: (typed.0 != saved.0).then_some(bpm),
        drummer_notes: (typed.1 != saved.1).then(|| typed.1.to_string()),
        ..SongPatch::default()
    };
    if patch.bpm.is_none() && patch.drummer_notes.is_none() {
        return Ok(None);
    }
    match validate_song_patch(&patch).into_iter().next() {
        Some((field, problem)) => Err(PatchRefused {
            tempo: field == "bpm",
            message: format!("The {} {problem}.", field_label(&field)),
        }),
        None => Ok(Some(patch)),
    }
}

pub fn validate_song_patch(patch: &SongPatch) -> FieldErrors {
    let mut c = Checker::default();
    // Every applied patch bumps the version: an empty one would only make
    // the other editors' next saves conflict.
    let changes_something =
        patch.bpm.is_some() || patch.notes.is_some() || patch.drummer_notes.is_some();
    c.check(
        "bpm",
        changes_something,
        "send at least one of bpm, notes and drummer_notes: this patch changes nothing",
    );
    if let Some(bpm) = patch.bpm {
        c.bpm("bpm", bpm);
    }
    if let Some(notes) = &patch.notes {
        c.text("notes", notes, 0, NOTES_MAX);
    }
    if let Some(notes) = &patch.drummer_notes {
        c.text("drummer_notes", notes, 0, NOTES_MAX);
    }
    c.0
}

/// A library song. Its tags are checked as `normalized_tags` leaves them.
pub fn validate_library_song(song: &LibrarySongInput) -> FieldErrors {
    let mut c = Checker::default();
    c.text("title", &song.title, 1, TITLE_MAX);
    c.text("artist", &song.artist, 0, ARTIST_MAX);
    c.text("key", &song.key, 0, KEY_MAX);
    c.text("notes", &song.notes, 0, NOTES_MAX);
    c.duration("duration_secs", song.duration_secs);
    c.bpm("bpm", song.bpm);
    c.check(
        "tags",
        song.tags.len() <= TAGS_MAX,
        format!("must be at most {TAGS_MAX}"),
    );
    for tag in &song.tags {
        c.check("tags", !tag.contains(','), "a tag may not contain a comma");
        c.line("tags", tag, 1, TAG_MAX);
    }
    c.0
}

/// Tags as the library keeps them: trimmed, `folded` (so "café" typed on two
/// devices is one tag), each once, and none that shows nothing (a zero-width
/// space is dropped as a blank one is).
pub fn normalized_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for tag in tags {
        let tag = folded(tag.trim());
        if !shows_nothing(&tag) && !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    kept
}

pub fn validate_new_user(
    username: &str,
    display_name: &str,
    role: &str,
    password: &str,
) -> FieldErrors {
    let mut c = Checker::default();
    c.text("username", username, 1, USERNAME_MAX);
    c.check(
        "username",
        username.chars().all(username_char),
        "may only contain letters, digits, '-', '_' and '.'",
    );
    c.display_name(display_name);
    c.check(
        "role",
        super::Role::parse(role).is_some(),
        "must be drummer or manager",
    );
    c.password("password", password);
    c.0
}

/// A page's presence: its id is kept in memory and sent between instances,
/// so it is short and plain (a member cannot fill the board or the channel
/// with it). The setlist id is the server's to parse.
pub fn validate_presence(input: &PresenceInput) -> FieldErrors {
    let mut c = Checker::default();
    let plain = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    c.check(
        "page",
        input.page.len() <= PAGE_ID_MAX && input.page.bytes().all(plain),
        "must be at most 64 letters, digits, '-' or '_'",
    );
    c.0
}

/// A manager's change to a member: only the fields present are checked.
/// What a member plays: optional, one line, up to `INSTRUMENT_MAX` characters.
pub fn validate_instrument(instrument: &str) -> FieldErrors {
    let mut c = Checker::default();
    c.text("instrument", instrument, 0, INSTRUMENT_MAX);
    c.check("instrument", is_one_line(instrument), "must be on one line");
    c.0
}

pub fn validate_member_patch(patch: &super::MemberPatch) -> FieldErrors {
    let mut c = Checker::default();
    // As a song patch: a client's mistake (a misspelt field is refused, an
    // empty body would pass) is said, not answered 200.
    let changes_something = patch.role.is_some()
        || patch.display_name.is_some()
        || patch.instrument.is_some()
        || patch.disabled.is_some();
    c.check(
        "role",
        changes_something,
        "send at least one of role, display_name, instrument and disabled: this patch changes nothing",
    );
    if let Some(display_name) = &patch.display_name {
        c.display_name(display_name);
    }
    if let Some(role) = &patch.role {
        c.check(
            "role",
            super::Role::parse(role).is_some(),
            "must be drummer or manager",
        );
    }
    let mut errors = c.0;
    if let Some(instrument) = &patch.instrument {
        errors.extend(validate_instrument(instrument));
    }
    errors
}

/// A new password, under `field`'s name.
pub fn validate_new_password(field: &str, password: &str) -> FieldErrors {
    let mut c = Checker::default();
    c.password(field, password);
    c.0
}

/// A member's own password change. The same password again would change
/// nothing but still sign out every other device (the stage phone too).
pub fn validate_password_change(change: &super::PasswordChange) -> FieldErrors {
    let mut c = Checker::default();
    c.password("new_password", &change.new_password);
    c.check(
        "new_password",
        change.new_password != change.current_password,
        "must differ from the current password",
    );
    c.0
}

/// A UUID as the API writes ids (hyphenated; either case). A song sent with
/// anything else was a client's mistake, refused rather than stored as a new
/// song under an id the client never learns.
fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `YYYY-MM-DD` naming a real day of the Gregorian calendar, from the year 1
/// (a browser's date field cannot hold the year 0: the editor would show the
/// date as not picked).
pub fn is_calendar_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    if year == 0 {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only same-site paths may be returned to after login (stops open
/// redirects). Browsers drop tabs and newlines from a URL and read `\` as
/// `/`, so `/<tab>/evil.example` and `/\evil.example` are `//evil.example`, another
/// host: a path of anything but visible ASCII is refused too (a real path
/// arrives percent-encoded), which also keeps it a valid `Location` header.
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|path| {
        path.starts_with('/')
            && !path.starts_with("//")
            && path
                .bytes()
                .all(|byte| byte.is_ascii_graphic() && byte != b'\\')
    })
    .unwrap_or_else(|| "/setlists".to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/setlists/abc".into())), "/setlists/abc");
        assert_eq!(safe_next(Some("//evil.example".into())), "/setlists");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/setlists");
        assert_eq!(safe_next(None), "/setlists");
        assert_eq!(
            safe_next(Some("/setlists?page=2".into())),
            "/setlists?page=2"
        );
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/a\rb",
            "/a\0b",
            "/ /x",
            "/é",
        ] {
            assert_eq!(safe_next(Some(hostile.into())), "/setlists", "{hostile:?}");
        }
    }

    use super::*;
    use crate::api::{SetInput, SongInput};

    #[test]
    fn a_page_id_is_short_and_plain() {
        let page = |page: &str| PresenceInput {
            setlist_id: String::new(),
            activity: crate::api::Activity::Viewing,
            page: page.into(),
        };
        assert!(validate_presence(&page("")).is_empty(), "optional");
        assert!(validate_presence(&page("tab-1_A")).is_empty());
        assert!(validate_presence(&page(&"a".repeat(PAGE_ID_MAX))).is_empty());
        for bad in [
            "a".repeat(PAGE_ID_MAX + 1),
            "a b".into(),
            "é".into(),
            "a\nb".into(),
        ] {
            assert!(
                validate_presence(&page(&bad)).contains_key("page"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fields_are_named_as_the_forms_label_them() {
        assert_eq!(field_label("songs[2].duration_secs"), "Song 3 length");
        assert_eq!(field_label("songs[0].title"), "Song 1 title");
        assert_eq!(field_label("show_date"), "show date");
        assert_eq!(field_label("name"), "name");
        assert_eq!(field_label("sets[1].songs[0].title"), "Set 2 song 1 title");
        assert_eq!(field_label("sets[0].name"), "Set 1 name");
    }

    fn song(title: &str) -> SongInput {
        SongInput {
            id: None,
            title: title.into(),
            artist: String::new(),
            duration_secs: 0,
            bpm: None,
            key: String::new(),
            notes: String::new(),
        }
    }

    fn setlist(name: &str) -> SetlistInput {
        SetlistInput {
            name: name.into(),
            venue: String::new(),
            show_date: "2026-12-04".into(),
            notes: String::new(),
            version: None,
            songs: None,
            sets: None,
        }
    }

    #[test]
    fn a_limit_reads_as_a_sentence_after_its_field() {
        let mut input = setlist("Friday");
        input.songs = Some(vec![song("Everlong"); SONGS_MAX + 1]);
        let said =
            |errors: FieldErrors, field: &str| format!("{} {}", field_label(field), errors[field]);
        let errors = validate_setlist(&input);
        assert_eq!(
            said(errors, "songs"),
            "songs must be at most 200 in a setlist"
        );
        input.songs = None;
        input.sets = Some(Vec::new());
        assert_eq!(
            said(validate_setlist(&input), "sets"),
            "sets must be 1 to 10 in a show"
        );
        let set = |songs| SetInput {
            name: "Main".into(),
            slot_secs: None,
            songs,
        };
        input.sets = Some(vec![
            set(vec![song("Everlong"); SONGS_MAX]),
            set(vec![song("Creep")]),
        ]);
        assert_eq!(
            said(validate_setlist(&input), "sets"),
            "sets must hold at most 200 songs in all"
        );
        let song = LibrarySongInput {
            title: "Everlong".into(),
            tags: (0..=TAGS_MAX).map(|tag| tag.to_string()).collect(),
            ..Default::default()
        };
        let tags = said(validate_library_song(&song), "tags");
        assert_eq!(tags, "tags must be at most 16");
    }

    #[test]
    fn a_song_sent_with_an_id_must_send_a_uuid() {
        let mut input = setlist("Friday");
        let with_id = |id: &str| SongInput {
            id: Some(id.into()),
            ..song("Everlong")
        };
        let mut songs = vec![
            with_id("0f8fad5b-d9cb-469f-a165-70867728950e"),
            with_id("0F8FAD5B-D9CB-469F-A165-70867728950E"),
            song("new"),
        ];
        input.songs = Some(songs.clone());
        assert!(validate_setlist(&input).is_empty());
        for wrong in [
            "",
            "x",
            "0f8fad5bd9cb469fa16570867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950",
            "0f8fad5b-d9cb-469f-a165-70867728950g",
            "0f8fad5b_d9cb-469f-a165-70867728950e",
        ] {
            songs[1] = with_id(wrong);
            input.songs = Some(songs.clone());
            let errors = validate_setlist(&input);
            assert_eq!(errors.len(), 1, "{wrong:?}");
            assert!(
                errors["songs[1].id"].starts_with("must be a song id"),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn names_are_checked_at_and_past_their_edges() {
        assert!(validate_setlist(&setlist(&"x".repeat(NAME_MAX))).is_empty());
        let errors = validate_setlist(&setlist(&"x".repeat(NAME_MAX + 1)));
        assert_eq!(errors["name"], "must be at most 120 characters");
        assert_eq!(validate_setlist(&setlist(""))["name"], "must not be empty");
        // Each of these draws nothing: spaces, zero-width and direction
        // marks, a lone combining accent, Hangul and Braille blanks, a
        // variation selector, tag characters.
        for nothing in [
            "  \t",
            "\u{200B}",
            " \u{FEFF}\u{2060} ",
            "\u{00AD}",
            "\u{200E}\u{200B}",
            "\u{200F}",
            "\u{0301}",
            "\u{3164}",
            "\u{2800}",
            "\u{FE0F}",
            "\u{E0041}\u{E007F}",
            "\u{2066}\u{2069}",
            "\u{1}",
            "\u{7F}\u{90}\u{9F}",
            "\u{200B}\u{1B}",
            "\u{FFF9}\u{FFFB}",
            "\u{1D173}\u{1BCA0}\u{13437}\u{110BD}",
        ] {
            assert_eq!(
                validate_setlist(&setlist(nothing))["name"],
                "must not be empty",
                "{nothing:?}"
            );
        }
        assert!(validate_setlist(&setlist("\u{200B}x")).is_empty());
        // A letter with its accent, and an emoji with its variation selector, show.
        assert!(validate_setlist(&setlist("e\u{0301}")).is_empty());
        assert!(validate_setlist(&setlist("\u{2764}\u{FE0F}")).is_empty());
    }

    #[test]
    fn a_line_break_of_any_kind_is_more_than_one_line() {
        for broken in [
            "a\nb",
            "a\rb",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{85}b",
            "a\u{0B}b",
        ] {
            assert!(!is_one_line(broken), "{broken:?}");
        }
        assert!(is_one_line("Encores \u{2013} the loud ones"));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(validate_setlist(&setlist(&"é".repeat(NAME_MAX))).is_empty());
    }

    #[test]
    fn song_numbers_are_checked_at_and_past_their_edges() {
        let mut input = setlist("Show");
        let mut ok = song("A");
        ok.duration_secs = DURATION_MAX;
        ok.bpm = Some(BPM_MAX);
        let mut bad = song("B");
        bad.duration_secs = DURATION_MAX + 1;
        bad.bpm = Some(BPM_MIN - 1);
        input.songs = Some(vec![ok, bad]);
        let errors = validate_setlist(&input);
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["songs[1].bpm", "songs[1].duration_secs"]
        );
    }

    #[test]
    fn control_characters_are_refused_but_tabs_and_line_breaks() {
        for (name, code) in [
            ("Fri\u{0}day", "U+0000"),
            ("\u{1B}[31mRed", "U+001B"),
            ("Bell\u{7}", "U+0007"),
            ("Next\u{9B}2J", "U+009B"),
            ("\u{202E}reggub", "U+202E"),
            ("Forced \u{202D}abc", "U+202D"),
        ] {
            assert_eq!(
                validate_setlist(&setlist(name))["name"],
                format!("must not contain the character {code}"),
                "{name:?}"
            );
        }
        let mut input = setlist("Show");
        input.notes = "Line one\r\n\tindented, \u{200F}שלום, \u{202A}+44 20 7946 0000\u{202C} \u{2068}x\u{2069}".into();
        assert!(validate_setlist(&input).is_empty());
    }

    #[test]
    fn tags_that_show_nothing_are_dropped_and_a_tag_is_one_line() {
        let tags = normalized_tags([" Rock ", "", "\u{200B}", "\u{1}", "rock", "Ballad"]);
        assert_eq!(tags, ["rock", "ballad"]);
        let accents = normalized_tags(["Caf\u{e9}", "cafe\u{301}", "CAFE\u{301}"]);
        assert_eq!(accents, ["caf\u{e9}"]);
        let song = LibrarySongInput {
            title: "Everlong".into(),
            tags: vec!["slow\nburn".into()],
            ..Default::default()
        };
        assert_eq!(validate_library_song(&song)["tags"], "must be one line");
    }

    #[test]
    fn dates_must_exist() {
        assert!(is_calendar_date("2028-02-29"));
        assert!(!is_calendar_date("2027-02-29"));
        assert!(!is_calendar_date("2026-13-01"));
        assert!(!is_calendar_date("2026-1-01x"));
        assert!(!is_calendar_date("+026-01-01"));
        assert!(!is_calendar_date("0000-01-01"));
        assert!(is_calendar_date("0001-01-01"));
        let mut input = setlist("Show");
        input.show_date = String::new();
        assert_eq!(validate_setlist(&input)["show_date"], "must be picked");
        input.show_date = "2027-02-29".into();
        assert_eq!(
            validate_setlist(&input)["show_date"],
            "must be a date as YYYY-MM-DD"
        );
    }

    #[test]
    fn patch_may_clear_bpm_but_not_set_it_out_of_range() {
        let clear = SongPatch {
            bpm: Some(None),
            ..SongPatch::default()
        };
        assert!(validate_song_patch(&clear).is_empty());
        let fast = SongPatch {
            bpm: Some(Some(BPM_MAX + 1)),
            ..SongPatch::default()
        };
        assert!(validate_song_patch(&fast).contains_key("bpm"));
    }

    #[test]
    fn a_drummer_patch_sends_only_what_changed() {
        let patch = drummer_patch((" 120 ", "Rim shot"), ("", "Rim shot")).unwrap();
        assert_eq!(patch.unwrap().bpm, Some(Some(120)));
        let patch = drummer_patch(("90", "Brushes"), ("90", ""))
            .unwrap()
            .unwrap();
        assert_eq!(
            (patch.bpm, patch.drummer_notes.as_deref()),
            (None, Some("Brushes"))
        );
        assert_eq!(drummer_patch(("", "x"), ("", "x")), Ok(None));
        // Clearing the tempo is a change: sent as null.
        assert_eq!(
            drummer_patch(("", ""), ("90", "")).unwrap().unwrap().bpm,
            Some(None)
        );
    }

    #[test]
    fn a_drummer_patch_names_a_refused_tempo() {
        let typed = drummer_patch(("fast", ""), ("", "")).unwrap_err();
        assert!(typed.tempo && typed.message.contains("whole number"));
        let slow = drummer_patch(("5", ""), ("", "")).unwrap_err();
        assert!(slow.tempo && slow.message.starts_with("The BPM must be between"));
        let long = drummer_patch(("", &"x".repeat(NOTES_MAX + 1)), ("", "")).unwrap_err();
        assert!(!long.tempo && long.message.starts_with("The drummer's notes"));
    }

    #[test]
    fn a_patch_that_changes_nothing_is_refused() {
        let empty = SongPatch {
            version: Some(3),
            ..SongPatch::default()
        };
        assert!(validate_song_patch(&empty)["bpm"].contains("changes nothing"));
    }

    #[test]
    fn only_a_field_both_changed_differently_is_overtaken() {
        // (tempo, notes): typed, as loaded, as someone else saved them.
        let overtaken = |typed, loaded, theirs| follow_theirs(typed, loaded, theirs).1;
        assert_eq!(
            overtaken(("177", ""), ("100", ""), ("100", "ride")),
            (false, false),
            "theirs is another field"
        );
        assert_eq!(
            overtaken(("140", ""), ("100", ""), ("140", "")),
            (false, false),
            "both typed the same"
        );
        assert_eq!(
            overtaken(("100", ""), ("100", ""), ("140", "")),
            (false, false),
            "nothing typed here"
        );
        assert_eq!(
            overtaken(("177", "mine"), ("100", ""), ("", "theirs")),
            (true, true)
        );
        assert_eq!(
            overtaken_said(SOMEONE_ELSE, Some(""), Some("theirs")).as_deref(),
            Some(
                "Someone else cleared the tempo and changed the drummer's notes to “theirs” meanwhile. \
                 What you typed is kept, not saved: Save puts yours in its place."
            )
        );
        assert_eq!(overtaken_said(SOMEONE_ELSE, None, None), None);
    }

    #[test]
    fn a_field_nobody_typed_in_follows_theirs_and_one_typed_in_keeps_what_is_typed() {
        // (tempo, notes): typed, as loaded, as someone else saved them.
        let fields = |typed, loaded, theirs| follow_theirs(typed, loaded, theirs).0;
        assert_eq!(
            fields(("140", ""), ("100", ""), ("100", "ride")),
            ("140".into(), "ride".into()),
            "their notes come in beside the typed tempo"
        );
        assert_eq!(
            fields(("100", ""), ("100", ""), ("", "ride")),
            (String::new(), "ride".into()),
            "nothing typed: theirs, a cleared tempo too"
        );
        assert_eq!(
            fields(("140", ""), ("100", ""), ("120", "")),
            ("140".into(), String::new()),
            "the typed tempo stays"
        );
    }

    #[test]
    fn a_password_of_spaces_is_refused_whatever_its_length() {
        assert_eq!(
            validate_new_password("password", &" ".repeat(12))["password"],
            "must not be only spaces"
        );
        assert_eq!(
            validate_new_password("password", &"\u{200B}".repeat(12))["password"],
            "must not be only spaces"
        );
        assert_eq!(
            validate_new_password("password", "twelve\0chars!")["password"],
            "must not contain the character U+0000"
        );
        assert!(validate_new_password("password", " spaced out pass ").is_empty());
        assert!(validate_new_password("password", "").contains_key("password"));
    }
}
