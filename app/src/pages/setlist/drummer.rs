//! What a drummer sees: the running order, and the tempo and the drummer's
//! own notes to set (the manager's song notes are shown, not edited). One
//! "Save all" saves every song typed in; each song can also be saved alone.
//! It follows the band live: the manager's reorders and edits appear as
//! they are saved, and a tempo or note being typed is never overwritten.

use leptos::prelude::*;

use std::collections::BTreeMap;

use super::{
    GigLinks,
    authors::{Authors, joint_subject},
    draft::{Draft, describe_change},
    editor::state::SetsById,
    presence::PresenceLine,
};
use crate::{
    api::{
        Activity, ErrorCode, Setlist, Song, SongPatch,
        client::{self, Method},
        transport,
        validation::{
            SOMEONE_ELSE, TYPED_MEANWHILE, drummer_notes_change_said, drummer_patch, follow_theirs,
            overtaken_said, tempo_change_said, tempo_text,
        },
    },
    components::{
        ErrorNotice, focus, keep_focus, length_field, running_time, said_until_typing,
        show_date_short, songs_count,
    },
    kept::{self as browser, Work},
    live::{Author, LiveMessage, ToSetlistPage, use_live},
    session::{Session, use_session},
    unsaved::UnsavedWork,
};

/// One song's row: what the server last said, and what is typed.
#[derive(Clone, Copy)]
struct TempoRow {
    song: RwSignal<Song>,
    bpm: RwSignal<String>,
    /// The drummer's notes, as typed.
    notes: RwSignal<String>,
    /// The tempo and notes as last saved: typing differs from them.
    saved: RwSignal<(String, String)>,
    /// The manager removed the song while something was typed in it.
    removed: RwSignal<bool>,
    /// The last save's outcome, or someone else's change, said in the row.
    status: RwSignal<Option<String>>,
    /// Who changed each field (tempo, notes) while the drummer had typed
    /// another value there, as the row names them: Save would replace
    /// their change.
    overtaken: StoredValue<(Option<String>, Option<String>)>,
    error: RwSignal<Option<String>>,
    /// The tempo typed is what the error is about (for `aria-invalid`).
    tempo_refused: RwSignal<bool>,
}

impl TempoRow {
    fn new(song: Song) -> TempoRow {
        let (bpm, notes) = (tempo_text(song.bpm), song.drummer_notes.clone());
        TempoRow {
            bpm: RwSignal::new(bpm.clone()),
            notes: RwSignal::new(notes.clone()),
            saved: RwSignal::new((bpm, notes)),
            song: RwSignal::new(song),
            removed: RwSignal::new(false),
            status: RwSignal::new(None),
            overtaken: StoredValue::new((None, None)),
            error: RwSignal::new(None),
            tempo_refused: RwSignal::new(false),
        }
    }

    fn id(&self) -> String {
        self.song.with_untracked(|s| s.id.clone())
    }

    fn is_typed_in(&self) -> bool {
        let typed = (self.bpm.get_untracked(), self.notes.get_untracked());
        self.saved.with_untracked(|saved| *saved != typed)
    }

    /// Whether something typed is not saved yet (tracked: for the marker).
    fn unsaved(&self) -> bool {
        self.saved.with(|(bpm, notes)| {
            self.bpm.with(|typed| typed != bpm) || self.notes.with(|typed| typed != notes)
        })
    }

    /// Takes the server's values, except in a field being typed in; the
    /// line says it with `subject` ("Max") and goes on about them with
    /// `also` ("They also"): `row_subject`.
    fn follow(&self, song: &Song, (subject, also): (&str, &str)) {
        let (bpm, notes) = (tempo_text(song.bpm), song.drummer_notes.clone());
        let (saved_bpm, saved_notes) = self.saved.get_untracked();
        let typed = (self.bpm.get_untracked(), self.notes.get_untracked());
        // A field typed in and changed by someone else meanwhile keeps what
        // is typed, but the drummer is told: Save would replace their change.
        let (next, overtaken_now) = follow_theirs(
            (&typed.0, &typed.1),
            (&saved_bpm, &saved_notes),
            (&bpm, &notes),
        );
        // A field said to be overtaken stays so, by whoever did it, while
        // what is typed in it is not what is saved now (an earlier change's
        // warning still holds).
        let (was_tempo, was_notes) = self.overtaken.get_value();
        let by = |was: Option<String>, now: bool, stands: bool| {
            stands
                .then(|| if now { Some(subject.to_owned()) } else { was })
                .flatten()
        };
        let overtaken = (
            by(was_tempo, overtaken_now.0, next.0 != bpm),
            by(was_notes, overtaken_now.1, next.1 != notes),
        );
        let mut followed = Vec::new();
        if next.0 != typed.0 {
            followed.push(tempo_change_said(&next.0));
            self.bpm.set(next.0);
        }
        if next.1 != typed.1 {
            followed.push(drummer_notes_change_said(&next.1));
            self.notes.set(next.1);
        }
        // Once the saved values change, an earlier line ("Saved.", an older
        // change) would speak of values that are gone: it gives way to what
        // this change took and what Save would still overwrite, or to nothing.
        if (&bpm, &notes) != (&saved_bpm, &saved_notes) {
            let followed =
                (!followed.is_empty()).then(|| format!("{subject} {}.", followed.join(" and ")));
            let overtakers = [
                overtaken.0.as_deref().map(|name| (name, overtaken_now.0)),
                overtaken.1.as_deref().map(|name| (name, overtaken_now.1)),
            ];
            let who = warning_subject(overtakers, (subject, also), followed.is_some());
            let warning = overtaken_said(
                who,
                overtaken.0.is_some().then_some(bpm.as_str()),
                overtaken.1.is_some().then_some(notes.as_str()),
            );
            let said: Vec<String> = followed.into_iter().chain(warning).collect();
            self.status.set((!said.is_empty()).then(|| said.join(" ")));
        }
        self.overtaken.set_value(overtaken);
        self.saved.set((bpm, notes));
        if self.song.with_untracked(|s| s != song) {
            self.song.set(song.clone());
        }
    }
}

impl TempoRow {
    /// The refused tempo was typed over: the refusal is about a value that
    /// is gone, so it no longer stands beside the field.
    fn tempo_mended(&self) {
        if self.tempo_refused.get_untracked() {
            self.tempo_refused.set(false);
            self.error.set(None);
        }
    }

    /// Saves what is typed in this song; whether it was saved.
    async fn save(self, target: SaveTarget) -> bool {
        self.error.set(None);
        self.status.set(None);
        self.tempo_refused.set(false);
        // What is sent becomes "saved": typing after Save stays unsaved.
        let sent = (self.bpm.get_untracked(), self.notes.get_untracked());
        let (saved_bpm, saved_notes) = self.saved.get_untracked();
        let patch = match drummer_patch((&sent.0, &sent.1), (&saved_bpm, &saved_notes)) {
            Ok(Some(patch)) => patch,
            Ok(None) => {
                self.status.set(Some("Saved.".into())); // as it was
                return true;
            }
            Err(refused) => {
                self.tempo_refused.set(refused.tempo);
                self.error.set(Some(refused.message));
                return false;
            }
        };
        let setlist_id = target.setlist_id.get_value();
        let path = format!("/api/setlists/{setlist_id}/songs/{}", self.id());
        let mut reread = false;
        loop {
            // The patch is for the version on screen: someone else's change
            // to this song that the live stream has not brought (a dropped
            // connection) is a 409, not overwritten without a word (lost update).
            let Some(version) = target.shown.try_with_untracked(|s| s.version) else {
                return false; // the page is gone
            };
            let patch = SongPatch {
                version: Some(version),
                ..patch.clone()
            };
            match client::call::<Setlist, _>(target.session, Method::Patch, &path, Some(&patch))
                .await
            {
                Ok(theirs) => {
                    if self.saved.try_set(sent).is_some() {
                        return true; // saved, and the page is gone
                    }
                    self.overtaken.set_value((None, None));
                    // The next save is for the version this one made.
                    target.follow.try_run((theirs, Author::You));
                    let typed_since = self.is_typed_in().then_some(TYPED_MEANWHILE);
                    self.status
                        .set(Some(format!("Saved.{}", typed_since.unwrap_or_default())));
                    return true;
                }
                // Read once what changed meanwhile: a change elsewhere in the
                // setlist only moved the version, and the patch goes again.
                Err(failure) if failure.code == ErrorCode::VersionConflict && !reread => {
                    reread = true;
                    let on_screen = move || target.shown.try_with_untracked(|_| ()).is_some();
                    let setlist = format!("/api/setlists/{setlist_id}");
                    let Some(theirs) = client::reread(target.session, &setlist, on_screen).await
                    else {
                        self.error.try_set(Some(NOT_READ_AGAIN.into()));
                        return false;
                    };
                    target.follow.try_run((theirs, Author::Unknown));
                    // Someone changed what is being saved since this patch
                    // was made (heard now, or by the live stream meanwhile):
                    // the row says so (`follow`), and Save replaces their
                    // change only when pressed again.
                    let Some(now_saved) = self.saved.try_get_untracked() else {
                        return false; // the page is gone
                    };
                    if !self.is_typed_in() {
                        return true; // they saved what is typed here
                    }
                    let theirs_tempo = now_saved.0 != saved_bpm && patch.bpm.is_some();
                    let theirs_notes = now_saved.1 != saved_notes && patch.drummer_notes.is_some();
                    if theirs_tempo || theirs_notes {
                        return false;
                    }
                }
                Err(failure) => {
                    self.tempo_refused
                        .try_set(failure.fields.contains_key("bpm"));
                    // The whole setlist, when its deletion was heard: not this song alone.
                    let setlist_gone = target.deleted.try_with_untracked(Option::is_some);
                    self.error.try_set(Some(match failure.code {
                        ErrorCode::NotFound if setlist_gone == Some(true) => {
                            "The setlist was deleted, so the tempo and notes were not saved. What you typed is still here.".into()
                        }
                        ErrorCode::NotFound => {
                            "This song is no longer in the setlist, so the tempo and notes were not saved. What you typed is still here.".into()
                        }
                        _ => failure.describe(),
                    }));
                    return false;
                }
            }
        }
    }
}

/// Who changed a row, when this member made some of the changes read.
const SOMEONE: &str = "Someone";

/// How a row's line names who changed it, and goes on about them: the one
/// author of every change read (`Authors::sole`); else "Someone else", or
/// just "Someone" where this member made some of them.
fn row_subject<'a>(sole: Option<&'a Author>, by: &[Author]) -> (&'a str, &'static str) {
    match sole {
        // Their own change, from another tab or device: a save made here
        // says "Saved." instead.
        Some(Author::You) => ("On another device or tab, you", "You also"),
        Some(author) => (author.subject(SOMEONE_ELSE), "They also"),
        None if by.contains(&Author::You) => (SOMEONE, "They also"),
        None => (SOMEONE_ELSE, "They also"),
    }
}

/// Who the warning about overtaken fields names, from who overtook each
/// field (tempo, notes) and whether that was this change: this change's
/// author (`subject`, or `also` after the sentence about what else they
/// changed) when it is all theirs; one named author when every field is
/// theirs, this change or an earlier one; else "Someone else" (two unnamed
/// someones may be two people).
fn warning_subject<'a>(
    overtakers: [Option<(&'a str, bool)>; 2],
    (subject, also): (&'a str, &'a str),
    followed: bool,
) -> &'a str {
    let this_change_only = overtakers.iter().flatten().all(|&(_, now)| now);
    let mut names = overtakers.iter().flatten().map(|&(name, _)| name);
    let first = names.next().unwrap_or(subject);
    let one_named = ![SOMEONE_ELSE, SOMEONE].contains(&first) && names.all(|name| name == first);
    match (this_change_only || one_named, first == subject) {
        (true, true) if followed => also,
        (true, true) => subject,
        (true, false) => first,
        (false, _) => SOMEONE_ELSE,
    }
}

/// The "Save all" button.
const SAVE_ALL: &str = "save-all";

/// Said in a song whose save found the setlist changed and could not read it again.
const NOT_READ_AGAIN: &str = "Not saved: the setlist changed meanwhile and could not be read again. What you typed is still here: save again.";

/// Where a row's save goes: the setlist on screen, whose version the patch
/// is for, and the page's way to follow the setlist a save reads back.
#[derive(Clone, Copy)]
struct SaveTarget {
    session: Session,
    setlist_id: StoredValue<String>,
    shown: RwSignal<Setlist>,
    follow: Callback<(Setlist, Author)>,
    /// Who deleted the setlist, in words, once heard of.
    deleted: RwSignal<Option<String>>,
}

#[component]
pub fn DrummerView(setlist: Setlist) -> impl IntoView {
    let session = use_session();
    let live = use_live();
    let id = setlist.id.clone();
    let rows = RwSignal::new(
        setlist
            .songs
            .iter()
            .cloned()
            .map(TempoRow::new)
            .collect::<Vec<_>>(),
    );
    let shown = RwSignal::new(setlist);
    let deleted = RwSignal::new(None::<String>);

    // Answers arrive in ownerless tasks: they check that the page is still
    // on screen, and make new rows under its owner (freed with it).
    let owner = StoredValue::new(Owner::current().expect("the drummer's view runs inside the app"));
    let authors = Authors::new();
    // Someone changed the setlist (`by`, when known): read it again and follow it.
    let follow = Callback::new(move |(theirs, by): (Setlist, Author)| {
        if shown
            .try_with_untracked(|s| s.version >= theirs.version)
            .unwrap_or(true)
        {
            return; // an older answer overtaken by a newer one
        }
        let before = shown.with_untracked(Draft::of);
        let from = shown.with_untracked(|s| s.version);
        let sole = authors.sole(from, theirs.version);
        let by = authors.between(from, theirs.version, by);
        let row_author = row_subject(sole.as_ref(), &by);
        let mut kept = Vec::new();
        let mut current = rows.get_untracked();
        // The server answers again: "could not reach it" is no longer true.
        for row in &current {
            transport::clear_if_no_connection(row.error);
        }
        let mut next = Vec::new();
        for song in &theirs.songs {
            match current.iter().position(|row| row.id() == song.id) {
                Some(at) => {
                    let row = current.remove(at);
                    row.follow(song, row_author);
                    next.push(row);
                }
                None => {
                    next.push(owner.with_value(|owner| owner.with(|| TempoRow::new(song.clone()))))
                }
            }
        }
        // Removed songs go, unless something is typed in them.
        for row in current.into_iter().filter(TempoRow::is_typed_in) {
            row.removed.set(true);
            kept.push(row);
        }
        next.extend(kept);
        // Their reorder moves rows, and a moved field loses the focus.
        keep_focus();
        rows.set(next);
        // This member's own change is no news to them; one nobody is named
        // for (a re-read after missed events, or after a 409) is said by the
        // rows it changed.
        if !matches!(by.as_slice(), [Author::You] | [Author::Unknown]) {
            let sets_changed = shown.with_untracked(SetsById::of) != SetsById::of(&theirs);
            live.announce(describe_change(
                &joint_subject(&by),
                &before,
                &Draft::of(&theirs),
                sets_changed,
            ));
        }
        shown.set(theirs);
    });
    // The network, or the server, is back: "could not reach it" is no
    // longer true (Save is still there, and so is what was typed).
    let connection_back = move || {
        rows.with_untracked(|rows| {
            for row in rows {
                transport::clear_if_no_connection(row.error);
            }
        })
    };
    transport::on_back_online(connection_back);
    let this_setlist = id.clone();
    live.subscribe(move |message| {
        if *message == LiveMessage::Connected {
            connection_back();
        }
        let by = match message.to_setlist_page(&this_setlist, |id| session.is_me(id)) {
            // Already shown (this version or a later one).
            Some(ToSetlistPage::Changed {
                version: Some(version),
                ..
            }) if Some(version) <= shown.try_with_untracked(|s| s.version) => return,
            Some(ToSetlistPage::Changed { by, version }) => {
                if let Some(version) = version {
                    authors.heard(version, &by);
                }
                by
            }
            Some(ToSetlistPage::Deleted { by }) => {
                let text = format!(
                    "{} deleted this setlist. What you typed is still here: copy what you need.",
                    by.subject("The manager")
                );
                // Said by the alert that shows it (an alert is read as it
                // appears): the app's live region too would say it twice.
                deleted.set(Some(text));
                return;
            }
            None => return,
        };
        let path = format!("/api/setlists/{this_setlist}");
        let on_screen = move || shown.try_with_untracked(|_| ()).is_some();
        leptos::task::spawn_local(async move {
            if let Some(theirs) = client::reread::<Setlist>(session, &path, on_screen).await {
                follow.try_run((theirs, by));
            }
        });
    });

    // Leaving asks first while a tempo or a note is typed and not saved.
    let unsaved_count =
        Memo::new(move |_| rows.with(|rows| rows.iter().filter(|row| row.unsaved()).count()));
    UnsavedWork::track(Memo::new(move |_| unsaved_count.get() > 0));
    let saving = RwSignal::new(false);
    let page_status = RwSignal::new(None::<String>);
    said_until_typing(move || unsaved_count.get() > 0, page_status);
    keep_typed_tempos(session, &id, rows, page_status);
    let target = SaveTarget {
        session,
        setlist_id: StoredValue::new(id.clone()),
        shown,
        follow,
        deleted,
    };
    let save_all = move |_| {
        let typed: Vec<TempoRow> = rows.with_untracked(|rows| {
            rows.iter()
                .filter(|row| row.is_typed_in())
                .copied()
                .collect()
        });
        if saving.get_untracked() || typed.is_empty() {
            return;
        }
        saving.set(true);
        page_status.set(None);
        leptos::task::spawn_local(async move {
            let mut failed = 0;
            for row in &typed {
                // Signed out or gone meanwhile: the rows left are no longer there to read.
                if rows.try_with_untracked(|_| ()).is_none() {
                    return;
                }
                if !row.save(target).await {
                    failed += 1;
                }
            }
            // The keyboard goes to the first tempo refused, as the editor's
            // Save does, unless it has moved on meanwhile.
            let first_refused = typed
                .iter()
                .find(|row| row.tempo_refused.try_get_untracked() == Some(true))
                .and_then(|row| row.song.try_with_untracked(|s| format!("bpm-{}", s.id)));
            let still_on_save = document()
                .active_element()
                .is_none_or(|element| element.id() == SAVE_ALL || element.tag_name() == "BODY");
            if let Some(field) = first_refused.filter(|_| still_on_save) {
                focus(&field);
            }
            let saved = typed.len() - failed;
            let typed_since = rows
                .try_with_untracked(|rows| rows.iter().any(TempoRow::is_typed_in))
                .unwrap_or_default();
            let meanwhile = if typed_since { TYPED_MEANWHILE } else { "" };
            page_status.try_set(Some(match (saved, failed) {
                (_, 0) => format!("Saved {}.{meanwhile}", songs_count(saved)),
                (0, _) => format!("{} not saved: see the messages below.", songs_count(failed)),
                _ => format!(
                    "Saved {}; {} not saved: see the messages below.",
                    songs_count(saved),
                    songs_count(failed)
                ),
            }));
            saving.try_set(false);
        });
    };
    let total = move || shown.with(|s| running_time(s.songs.iter().map(|song| song.duration_secs)));
    // A show of more than one set heads each set at its first song.
    let opens_set = move |song_id: &str| {
        shown.with(|s| {
            let sets = &s.sets;
            let opened = sets
                .iter()
                .find(|set| set.songs.first().is_some_and(|first| first.id == song_id));
            opened
                .filter(|_| sets.len() > 1)
                .map(|set| set.name.clone())
        })
    };
    view! {
        <section class="card">
            <p><a class="back" href="/setlists">"← Back to the list"</a></p>
            <h1>{move || shown.with(|s| s.name.clone())}</h1>
            <PresenceLine setlist_id=id.clone() activity=Signal::derive(|| Activity::Viewing)/>
            <GigLinks id=id.clone()/>
            <p class="muted">{move || shown.with(|s| {
                let date = show_date_short(&s.show_date);
                if s.venue.is_empty() { date } else { format!("{} · {date}", s.venue) }
            })}</p>
            {move || shown.with(|s| (!s.notes.is_empty()).then(|| view! {
                <p class="multiline">{s.notes.clone()}</p>
            }))}
            {move || deleted.get().map(|text| view! { <p class="notice" role="alert">{text}</p> })}
            <p data-testid="total-duration">
                {total}
            </p>
            <div class="save-all row centered">
                <button type="button" id=SAVE_ALL on:click=save_all
                    aria-disabled=move || (saving.get() || unsaved_count.get() == 0).then_some("true")>
                    {move || match unsaved_count.get() {
                        _ if saving.get() => "Saving…".to_string(),
                        0 => "Save all".to_string(),
                        n => format!("Save all ({})", songs_count(n)),
                    }}
                </button>
                <p role="status" class="muted">{move || page_status.get()}</p>
            </div>
            <ol class="songs">
                <For each=move || rows.get() key=|row| row.id() let:row>
                    {
                        let song_id = row.id();
                        move || opens_set(&song_id).map(|name| view! {
                            <li class="set-break"><h2 class="set-name">{name}</h2></li>
                        })
                    }
                    <TempoEditor target row page_status/>
                </For>
            </ol>
        </section>
    }
}

/// Song id → the tempo and notes as typed, for the songs not saved.
type TypedTempos = BTreeMap<String, (String, String)>;

/// Keeps the tempos and notes typed and not saved in this browser, and
/// brings back what was kept when the page opens: a session revoked or
/// expired mid-gig-prep does not lose them. They come back unsaved, to be
/// looked at and saved.
fn keep_typed_tempos(
    session: Session,
    setlist: &str,
    rows: RwSignal<Vec<TempoRow>>,
    page_status: RwSignal<Option<String>>,
) {
    let Some(member) = untrack(|| session.user()).map(|user| user.id) else {
        return;
    };
    let setlist = setlist.to_string();
    if let Some(typed) = browser::kept::<TypedTempos>(Work::Tempos, &member, &setlist) {
        let mut back = 0;
        for row in rows.get_untracked() {
            if let Some((bpm, notes)) = typed.get(&row.id()) {
                row.bpm.set(bpm.clone());
                row.notes.set(notes.clone());
                back += usize::from(row.is_typed_in());
            }
        }
        if back > 0 {
            page_status.set(Some(format!(
                "What you typed before is back, not saved yet: {}.",
                songs_count(back)
            )));
        }
    }
    let to_keep = (member.clone(), setlist.clone());
    Effect::new(move |_| {
        let (member, setlist) = &to_keep;
        let typed: TypedTempos = rows.with(|rows| {
            rows.iter()
                .filter(|row| row.unsaved())
                .map(|row| (row.id(), (row.bpm.get(), row.notes.get())))
                .collect()
        });
        if typed.is_empty() {
            browser::forget(Work::Tempos, member, setlist);
        } else {
            browser::keep(Work::Tempos, member, setlist, &typed);
        }
    });
    browser::forget_when_left(session, Work::Tempos, member, setlist);
}

#[component]
fn TempoEditor(
    target: SaveTarget,
    row: TempoRow,
    page_status: RwSignal<Option<String>>,
) -> impl IntoView {
    let TempoRow {
        song, bpm, notes, ..
    } = row;
    let uid = row.id();
    said_until_typing(move || row.unsaved(), row.status);
    let title = move || song.with(|s| s.title.clone());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The page's line is about an earlier save: it would contradict this one.
        page_status.set(None);
        leptos::task::spawn_local(async move {
            row.save(target).await;
        });
    };
    view! {
        <li data-testid="song">
            <div>
                // Each part isolated: a Hebrew or Arabic title or artist
                // would otherwise pull the length beside it into its own
                // right-to-left run ("3:05 · להקה").
                <strong><bdi>{title}</bdi></strong>
                <span class="muted">
                    {move || song.with(|song| {
                        let length = length_field(song.duration_secs);
                        let details = [song.artist.clone(), length, song.key.clone()];
                        let details = details.into_iter().filter(|d| !d.is_empty());
                        details.enumerate().map(|(at, detail)| view! {
                            {if at == 0 { " " } else { " · " }}<bdi>{detail}</bdi>
                        }).collect_view()
                    })}
                </span>
                {move || song.with(|song| (!song.notes.is_empty()).then(|| view! {
                    <p class="multiline song-notes"><span class="muted">"Song notes (the manager's): "</span>{song.notes.clone()}</p>
                }))}
                <Show when=move || row.removed.get()>
                    <p class="notice" role="status">"Removed from the setlist by the manager; what you typed is kept here."</p>
                </Show>
                <form class="row" novalidate aria-label=title on:submit=save>
                    <div>
                        <label for=format!("bpm-{uid}")>"Tempo (BPM)"</label>
                        <input id=format!("bpm-{uid}") inputmode="numeric" bind:value=bpm
                            aria-invalid=move || row.tempo_refused.get().then_some("true")
                            aria-describedby=format!("tempo-error-{uid}")
                            on:input=move |_| row.tempo_mended()/>
                    </div>
                    <div class="wide">
                        <label for=format!("notes-{uid}")>"Drummer's notes"</label>
                        // A textarea: an input would drop the line breaks of notes
                        // written in the song library when the drummer edits them.
                        <textarea id=format!("notes-{uid}") maxlength="2000" bind:value=notes></textarea>
                    </div>
                    <div class="fit">
                        <button type="submit" class="secondary" aria-label=move || format!("Save tempo and notes for {}", title())>"Save"</button>
                        <Show when=move || row.unsaved()>
                            <span class="muted" data-testid="unsaved">" Unsaved"</span>
                        </Show>
                    </div>
                </form>
                <div id=format!("tempo-error-{uid}")><ErrorNotice message=row.error/></div>
                <p role="status" class="muted">{move || row.status.get()}</p>
            </div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_names_whoever_overtook_every_field_it_is_about() {
        let max = ("Max", "They also");
        let now = |name| Some((name, true));
        let earlier = |name| Some((name, false));
        // This change only: its author, or "They also" after what else they did.
        assert_eq!(warning_subject([now("Max"), None], max, false), "Max");
        assert_eq!(warning_subject([None, now("Max")], max, true), "They also");
        let someone = (SOMEONE_ELSE, "They also");
        assert_eq!(
            warning_subject([now(SOMEONE_ELSE), now(SOMEONE_ELSE)], someone, false),
            SOMEONE_ELSE
        );
        // Standing from Max's earlier change while Dan's is said first.
        assert_eq!(
            warning_subject([earlier("Max"), None], ("Dan", "They also"), true),
            "Max"
        );
        // Max's earlier change and this one of Max's.
        assert_eq!(
            warning_subject([earlier("Max"), now("Max")], max, true),
            "They also"
        );
        // Two people's, or two someones who may be two people.
        assert_eq!(
            warning_subject([earlier("Max"), now("Dan")], ("Dan", "They also"), false),
            SOMEONE_ELSE
        );
        assert_eq!(
            warning_subject(
                [earlier(SOMEONE), now(SOMEONE)],
                (SOMEONE, "They also"),
                true
            ),
            SOMEONE_ELSE
        );
    }
}
