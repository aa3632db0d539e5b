//! One song in the manager's editor: every field its own signal, so that
//! typing in one re-renders nothing else.

use leptos::prelude::*;

use super::draft::{DraftSong, SongField};
use crate::{
    api::{
        LibrarySong, SongInput, client,
        validation::{FieldErrors, library_match_key, parse_tempo_field, tempo_text},
    },
    components::{RefusedFields, length_field, parse_length_field, refocus},
    session::use_session,
};

/// The library's songs, offered as the editor's titles are typed.
#[derive(Clone, Copy)]
struct Library(Signal<Vec<LibrarySong>>);

/// The type-ahead of every title field (`list="library-songs"`): the
/// library's titles, with their artists. Provides the songs to `SongEditor`.
#[component]
pub fn LibraryPicks() -> impl IntoView {
    // Read beside the page, not as a resource: a resource read under the
    // page's `Suspense` held the whole editor until the library had arrived,
    // which for a large library on a slow link is a long wait for no form.
    // The form is there at once; the suggestions follow (read in an effect:
    // the browser's).
    let songs = RwSignal::new(Vec::new());
    let session = use_session();
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            let on_screen = move || songs.try_with_untracked(|_| ()).is_some();
            if let Some(library) = client::reread(session, "/api/songs", on_screen).await {
                songs.try_set(library);
            }
        });
    });
    provide_context(Library(songs.into()));
    view! {
        <datalist id="library-songs">
            {move || songs.with(|songs| songs.iter().map(|song| view! {
                <option value=song.title.clone()>{song.artist.clone()}</option>
            }).collect_view())}
        </datalist>
    }
}

/// One song being edited.
#[derive(Clone, Copy)]
pub struct SongDraft {
    /// Stable key for the list while songs move around.
    pub uid: u64,
    pub id: RwSignal<Option<String>>,
    title: RwSignal<String>,
    artist: RwSignal<String>,
    length: RwSignal<String>,
    bpm: RwSignal<String>,
    key: RwSignal<String>,
    notes: RwSignal<String>,
    /// Read-only here: the drummer sets them on their own page.
    drummer_notes: RwSignal<String>,
    /// Whether its full form is open under its line in the running order.
    pub open: RwSignal<bool>,
}

impl SongDraft {
    pub fn new(uid: u64, song: DraftSong) -> SongDraft {
        SongDraft {
            uid,
            id: RwSignal::new(song.id),
            title: RwSignal::new(song.title),
            artist: RwSignal::new(song.artist),
            length: RwSignal::new(song.length),
            bpm: RwSignal::new(song.bpm),
            key: RwSignal::new(song.key),
            notes: RwSignal::new(song.notes),
            drummer_notes: RwSignal::new(song.drummer_notes),
            open: RwSignal::new(false),
        }
    }

    fn field(&self, field: SongField) -> RwSignal<String> {
        match field {
            SongField::Title => self.title,
            SongField::Artist => self.artist,
            SongField::Length => self.length,
            SongField::Bpm => self.bpm,
            SongField::Key => self.key,
            SongField::Notes => self.notes,
            SongField::DrummerNotes => self.drummer_notes,
        }
    }

    /// What is typed (tracked).
    pub fn data(&self) -> DraftSong {
        DraftSong {
            id: self.id.get(),
            title: self.title.get(),
            artist: self.artist.get(),
            length: self.length.get(),
            bpm: self.bpm.get(),
            key: self.key.get(),
            notes: self.notes.get(),
            drummer_notes: self.drummer_notes.get(),
        }
    }

    /// Shows `song`, setting only the fields that differ.
    pub fn show(&self, song: &DraftSong) {
        if self.id.with_untracked(|id| *id != song.id) {
            self.id.set(song.id.clone());
        }
        for field in SongField::ALL {
            let value = field.of(song);
            if self.field(field).with_untracked(|now| now != value) {
                self.field(field).set(value.clone());
            }
        }
    }

    pub fn set(&self, field: SongField, value: String) {
        self.field(field).set(value);
    }

    /// The library's artist, length, tempo and key, into the fields still
    /// empty: nothing typed is replaced.
    fn fill_from(&self, song: &LibrarySong) {
        let fields = [
            (self.artist, song.artist.clone()),
            (self.length, length_field(song.duration_secs)),
            (self.bpm, tempo_text(song.bpm)),
            (self.key, song.key.clone()),
        ];
        for (field, value) in fields {
            if field.with_untracked(|now| now.trim().is_empty()) {
                field.set(value);
            }
        }
    }

    /// The title as typed (tracked).
    pub fn title(&self) -> String {
        self.title.get()
    }

    /// What buttons call it (tracked): its title, or "song 3" by its place
    /// while it has none.
    pub fn named(&self, place: usize) -> String {
        match self.title.get() {
            title if title.trim().is_empty() => format!("song {place}"),
            title => title,
        }
    }

    /// Key, tempo and length in one line: "D · 158 BPM · 4:10" (tracked).
    pub fn facts(&self) -> String {
        let length = match self.seconds() {
            Some(0) => "untimed".to_string(),
            Some(seconds) => length_field(seconds),
            None => "length unreadable".to_string(),
        };
        let bpm = match self.bpm.with(|bpm| parse_tempo_field(bpm)) {
            Ok(bpm) => bpm.map(|bpm| format!("{bpm} BPM")),
            Err(_) => Some("tempo unreadable".to_string()),
        };
        [Some(self.key.get()), bpm, Some(length)]
            .into_iter()
            .flatten()
            .filter(|part| !part.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
    }

    pub fn seconds(&self) -> Option<i64> {
        parse_length_field(&self.length.get())
    }

    /// Whether the tempo typed reads as one, or is left out (tracked).
    fn tempo_readable(&self) -> bool {
        self.bpm.with(|bpm| parse_tempo_field(bpm).is_ok())
    }

    pub fn to_input(self, position: usize, errors: &mut FieldErrors) -> SongInput {
        let duration_secs = parse_length_field(&self.length.get_untracked()).unwrap_or_else(|| {
            errors.insert(
                format!("songs[{position}].duration_secs"),
                "must look like 3:45".into(),
            );
            0
        });
        let bpm = parse_tempo_field(&self.bpm.get_untracked()).unwrap_or_else(|_| {
            errors.insert(
                format!("songs[{position}].bpm"),
                "must be a whole number".into(),
            );
            None
        });
        SongInput {
            id: self.id.get_untracked(),
            title: self.title.get_untracked(),
            artist: self.artist.get_untracked(),
            duration_secs,
            bpm,
            key: self.key.get_untracked(),
            notes: self.notes.get_untracked(),
        }
    }
}

/// A field's `aria-describedby`: its hint while the hint shows (only an
/// element that is there), then the editor's list of problems.
fn described_by(hint: Option<String>) -> String {
    match hint {
        Some(hint) => format!("{hint} {}", super::editor::EDITOR_ERROR),
        None => super::editor::EDITOR_ERROR.to_string(),
    }
}

/// What a library song would fill in, the parts of "Foo Fighters · 4:10 · 158 BPM · D".
fn library_details(song: &LibrarySong) -> Vec<String> {
    let parts = [
        song.artist.clone(),
        length_field(song.duration_secs),
        song.bpm.map(|bpm| format!("{bpm} BPM")).unwrap_or_default(),
        song.key.clone(),
    ];
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// The id of song `uid`'s field `name` (`title`, `bpm`…).
pub(super) fn field_id(uid: u64, name: &str) -> String {
    format!("song-{uid}-{name}")
}

/// One song's full form, a group named by its place and title ("Song 2:
/// Everlong"), so that its fields can be told apart from the other songs'.
#[component]
pub fn SongEditor(
    song: SongDraft,
    /// 1-based place in the running order.
    number: Signal<usize>,
    move_song: impl Fn(u64, isize) + Copy + Send + Sync + 'static,
    remove: impl Fn(u64) + Copy + Send + Sync + 'static,
    /// Whether the song opens a set (other than the first).
    opens_set: Signal<bool>,
    /// Makes this song the first of a new set.
    start_set: impl Fn(u64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let field = move |name: &str| field_id(song.uid, name);
    let refused = use_context::<RefusedFields>().unwrap_or_default();
    let marked = move |name: &str| refused.mark(field(name));
    let (length_refused, bpm_refused) = (field("length"), field("bpm"));
    let title = move || song.named(number.get());
    let may_start_set = move || number.get() != 1 && !opens_set.get();
    // A title the library knows, on a song with no details yet: offer them
    // (a button, not a silent fill: nothing typed changes by surprise).
    let library = use_context::<Library>();
    let known = Memo::new(move |_| {
        let Library(songs) = library?;
        let title = song.title.get();
        let blank = [song.artist, song.length, song.bpm, song.key]
            .iter()
            .all(|field| field.with(|text| text.trim().is_empty()));
        if !blank || title.trim().is_empty() {
            return None;
        }
        let title = library_match_key(&title);
        // An entry with nothing to fill in (a copy saved without details) is
        // passed over for one that has them.
        songs.with(|songs| {
            songs
                .iter()
                .find(|known| {
                    library_match_key(&known.title) == title && !library_details(known).is_empty()
                })
                .cloned()
        })
    });
    // Tempo fields are text, not type=number: a number field reads "12e" as
    // empty, and saving would silently clear the tempo instead of saying so.
    // Moving re-inserts the song's element, which drops the focus: give it
    // back to the button, so that pressing it again moves the song again.
    let move_and_keep_focus = move |ev: leptos::ev::MouseEvent, delta: isize| {
        let button = event_target::<leptos::web_sys::HtmlElement>(&ev);
        move_song(song.uid, delta);
        // After the list has moved the element (effects run before timers).
        set_timeout(
            move || {
                let _ = button.focus();
            },
            std::time::Duration::ZERO,
        );
    };
    view! {
            <fieldset>
                <legend class="visually-hidden">
                    {move || match song.title.get() {
                        t if t.trim().is_empty() => format!("Song {}", number.get()),
                        t => format!("Song {}: {t}", number.get()),
                    }}
                </legend>
                <div class="row top">
                    <div>
                        <label for=field("title")>"Title"</label>
                        <input id=field("title") required maxlength="200" list="library-songs" autocomplete="off"
                            bind:value=song.title aria-describedby=super::editor::EDITOR_ERROR aria-invalid=marked("title")/>
                        {move || known.get().map(|known| {
                            let details = library_details(&known);
                            view! {
                                <button type="button" class="secondary" on:click=move |_| {
                                    song.fill_from(&known);
                                    // The button goes once the details are in.
                                    refocus(field("title"));
                                }>
                                    "Fill in from the library: "
                                    // Each part isolated, as in the drummer's view: a
                                    // right-to-left artist would pull the length into its run.
                                    {details.into_iter().enumerate().map(|(at, part)| view! {
                                        {(at > 0).then_some(" · ")}<bdi>{part}</bdi>
                                    }).collect_view()}
                                </button>
                            }
                        })}
                    </div>
                    <div>
                        <label for=field("artist")>"Artist"</label>
                        <input id=field("artist") maxlength="200" bind:value=song.artist aria-describedby=super::editor::EDITOR_ERROR aria-invalid=marked("artist")/>
                    </div>
                </div>
                <div class="row">
                    <div>
                        <label for=field("length")>"Length (m:ss)"</label>
                        // Flagged as typed: a length like "4.15" would otherwise drop out of the total.
                        // No numeric keypad: a phone's has no ":".
                        <input id=field("length") placeholder="untimed"
                            aria-invalid=move || (song.seconds().is_none() || refused.is_refused(&length_refused)).then_some("true")
                            aria-describedby=move || described_by(song.seconds().is_none().then(|| field("length-hint")))
                            bind:value=song.length/>
                        <Show when=move || song.seconds().is_none()>
                            <p class="error" id=field("length-hint")>"Write it like 3:45"</p>
                        </Show>
                    </div>
                    <div>
                        <label for=field("bpm")>"BPM"</label>
                        // Flagged as typed, like the length.
                        <input id=field("bpm") inputmode="numeric" bind:value=song.bpm
                            aria-describedby=move || described_by((!song.tempo_readable()).then(|| field("bpm-hint")))
                            aria-invalid=move || (!song.tempo_readable() || refused.is_refused(&bpm_refused)).then_some("true")/>
                        <Show when=move || !song.tempo_readable()>
                            <p class="error" id=field("bpm-hint")>"A whole number, like 120"</p>
                        </Show>
                    </div>
                    <div>
                        <label for=field("key")>"Key"</label>
                        <input id=field("key") maxlength="16" bind:value=song.key aria-describedby=super::editor::EDITOR_ERROR aria-invalid=marked("key")/>
                    </div>
                </div>
                <label for=field("notes")>"Song notes"</label>
                <textarea id=field("notes") maxlength="2000" bind:value=song.notes aria-describedby=super::editor::EDITOR_ERROR aria-invalid=marked("notes")></textarea>
                // The drummer's own notes: theirs to edit, shown here so that nobody repeats them.
                {move || song.drummer_notes.with(|notes| (!notes.is_empty()).then(|| view! {
                    <p class="multiline drummer-notes"><span class="muted">"Drummer's notes: "</span>{notes.clone()}</p>
                }))}
                <p>
                    <button type="button" class="secondary icon" aria-label=move || format!("Move {} up", title())
                        on:click=move |ev| move_and_keep_focus(ev, -1)>"↑"</button>
                    " "
                    <button type="button" class="secondary icon" aria-label=move || format!("Move {} down", title())
                        on:click=move |ev| move_and_keep_focus(ev, 1)>"↓"</button>
                    " "
                    <button type="button" class="secondary" aria-label=move || format!("Remove {}", title())
                        on:click=move |_| remove(song.uid)>"Remove"</button>
                    <Show when=may_start_set>
                        " "
                        <button type="button" class="secondary" aria-label=move || format!("Start a new set with {}", title())
                            on:click=move |_| start_set(song.uid)>"Start a new set"</button>
                    </Show>
                </p>
            </fieldset>
    }
}
