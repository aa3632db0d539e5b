//! The manager's editor. It remembers the version it started from, so that
//! changes from others — heard live, or met as a 409 on save — are merged
//! field by field (`draft::merge`) instead of overwriting anyone: the
//! drummer's tempos arrive while the manager types, and only a field both
//! changed asks which value to keep.

use leptos::prelude::*;
use leptos_router::{NavigateOptions, hooks::use_navigate};

use super::{
    GigLinks,
    authors::{Authors, joint_subject},
    describe_fields,
    draft::{Conflict, Draft, DraftSong, Field, catch_up, describe_change, merge},
    presence::PresenceLine,
    song_editor::{LibraryPicks, SongDraft, field_id},
};
use crate::{
    api::validation::{FieldErrors, SONGS_MAX, TYPED_MEANWHILE},
    api::{
        Activity, ErrorCode, Setlist, SetlistInput, Song, SongInput,
        client::{self, ApiFailure, Method},
        transport,
    },
    components::{
        ErrorNotice, RefusedFields, focus_soon, focus_soon_below, keep_focus, parse_slot, refocus,
        refocus_selected, running_time, said_until_typing, show_date_long, slot_verdict,
    },
    kept::{self as browser, Work},
    live::{Author, LiveMessage, ToSetlistPage, use_live},
    session::{Session, use_session},
    unsaved::UnsavedWork,
};

mod kept;
mod order;
mod running_order;
pub(super) mod state;

use kept::KeptDraft;
use running_order::{Reorder, ReorderHelp, SongRow, handle_id};
use state::{EditorState, Removed, SetHead};

/// The id of the Undo that follows a Remove (where the focus goes).
const UNDO_REMOVE: &str = "undo-remove";
/// Said beside "Add song" when the setlist has all the songs it may hold.
const FULL: &str = "setlist-full";
/// Where the focus goes once a conflict is settled: the next one, or Save.
const FIRST_CONFLICT: &str = "first-conflict";
const SAVE: &str = "save-setlist";
/// "Save as a new setlist", offered once someone else deleted this one.
const RECREATE: &str = "save-as-new";
const NAME: &str = "setlist-name";
/// What the editor says about a refused save: the fields it names point at it.
pub(super) const EDITOR_ERROR: &str = "editor-error";
/// Said when Save meets a change both people made, open to a choice.
const CHOOSE_FIRST: &str =
    "You and someone else both changed the same thing: choose yours or theirs for each, then save.";

/// Whether `made`, the answer to a create, holds what `input` sent: not so
/// when the create was sent again after more was typed, and the answer is
/// the setlist its first try made.
fn made_from(made: &Setlist, input: &SetlistInput) -> bool {
    let (set_names, songs) = input.running_order();
    let same_song = |(song, (_, sent)): (&Song, &(usize, &SongInput))| {
        (&song.title, &song.artist, &song.key, &song.notes)
            == (&sent.title, &sent.artist, &sent.key, &sent.notes)
            && (song.duration_secs, song.bpm) == (sent.duration_secs, sent.bpm)
    };
    // Each set's name, slot and number of songs: a set break moved counts.
    let sent_sets = set_names.iter().zip(input.set_slots()).enumerate();
    let sent_sets = sent_sets.map(|(at, (name, slot))| {
        let size = songs.iter().filter(|(set, _)| *set == at).count();
        (*name, slot, size)
    });
    let made_sets = made.sets.iter();
    let made_sets = made_sets.map(|set| (set.name.as_str(), set.slot_secs, set.songs.len()));
    (&made.name, &made.venue, &made.show_date, &made.notes)
        == (&input.name, &input.venue, &input.show_date, &input.notes)
        && made_sets.eq(sent_sets)
        && made.songs.len() == songs.len()
        && made.songs.iter().zip(&songs).all(same_song)
}

/// How many times a save merges and retries before asking.
const SAVE_ATTEMPTS: usize = 3;

/// The show date field: a copy opens on it.
const SHOW_DATE: &str = "setlist-date";
/// A copy's "Set its date": the date field's first description while it shows.
const COPY_PROMPT: &str = "copy-prompt";

thread_local! {
    /// The setlist a Duplicate has just made: its editor opens asking for
    /// the date, which a copy almost always needs changed.
    static JUST_COPIED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The manager's editor; `existing` is `None` for a new setlist.
#[component]
pub fn Editor(existing: Option<Setlist>) -> impl IntoView {
    let session = use_session();
    let live = use_live();
    let navigate = use_navigate();
    let state = EditorState::new(existing.as_ref().map(|s| s.id.clone()));
    if let Some(setlist) = &existing {
        state.load(setlist);
    }
    let copy_prompt = RwSignal::new(existing.as_ref().and_then(|setlist| {
        JUST_COPIED.with_borrow_mut(|id| id.take_if(|id| *id == setlist.id))?;
        focus_soon_below(SHOW_DATE, COPY_PROMPT);
        Some(format!("Copied: this is “{}”. Set its date.", setlist.name))
    }));
    // Asked until answered: a date picked puts the prompt away.
    let copied_date = state.show_date.get_untracked();
    said_until_typing(
        move || state.show_date.with(|date| *date != copied_date),
        copy_prompt,
    );
    // The heading shows the name as saved, not as being typed.
    let saved_name = Memo::new(move |_| {
        state
            .base
            .with(|b| b.as_ref().map(|(d, _)| d.name.clone()))
            .unwrap_or_else(|| "New setlist".into())
    });
    let unsaved = Memo::new(move |_| {
        let draft = state.draft();
        let sets_changed = state.base_sets.with(|base| *base != state.set_sizes());
        sets_changed
            || state
                .base
                .with(|b| b.as_ref().is_none_or(|(base, _)| *base != draft))
    });
    // Leaving asks first while there is work to lose (for a new setlist,
    // once anything is typed), and the work is kept in this browser.
    let work_to_lose = Memo::new(move |_| {
        unsaved.get() && (state.id.get().is_some() || state.draft() != Draft::default())
    });
    UnsavedWork::track(work_to_lose);

    // Answers arrive in tasks that outlive nothing: they check that the
    // editor is still on screen, and make new songs under its owner (so that
    // they are freed with it).
    let owner = StoredValue::new(Owner::current().expect("the editor runs inside the app"));
    let on_screen = move || state.name.try_get_untracked().is_some();
    // A change heard while our own save is in flight is read after it.
    let heard_while_saving = StoredValue::new(false);
    // Our own delete in flight: a delete heard meanwhile is kept (by whom)
    // and told only if ours fails, as someone else's was first (or ours was
    // made and its answer lost); otherwise it was our own delete's echo.
    let deleting = StoredValue::new(false);
    let heard_delete = StoredValue::new(None::<Author>);

    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    said_until_typing(move || unsaved.get(), saved);
    let conflicts = RwSignal::new(Vec::<Conflict>::new());
    // The base (and its sets) from before the version that opened the
    // questions: kept with the draft while they are open, so that a reload
    // asks them again instead of saving over the other person's change.
    let asked_over = RwSignal::new(None::<BaseBefore>);
    let deleted = RwSignal::new(None::<String>);
    // "Choose first" is about the open questions: once none is left, it goes.
    let questions_gone = move || {
        if error.with_untracked(|said| said.as_deref() == Some(CHOOSE_FIRST)) {
            error.set(None);
        }
    };
    let busy = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);
    let cancel_delete = move || {
        confirm_delete.set(false);
        refocus("delete-setlist".into());
    };
    let restored = keep_unsaved_work(session, state, work_to_lose, conflicts, asked_over);

    let authors = Authors::new();
    // Someone else's version: merged into what is typed here, never over it.
    let merge_theirs = move |theirs: &Setlist, by: Author| -> bool {
        // A re-read that answers after the setlist was deleted would ask
        // questions about a setlist that is gone.
        if !on_screen() || deleted.with_untracked(Option::is_some) {
            return false;
        }
        let Some((base, version)) = state.base.get_untracked() else {
            return false;
        };
        if theirs.version <= version {
            return false; // already here (our own save, or an overtaken answer)
        }
        transport::clear_if_no_connection(error);
        let theirs_draft = Draft::of(theirs);
        let merged = merge(&base, &state.draft(), &theirs_draft);
        let base_before = (base.clone(), state.base_sets.get_untracked());
        // Their reorder moves rows, and a moved field loses the focus.
        keep_focus();
        let sets = owner.with_value(|owner| owner.with(|| state.take_merge(&merged.draft, theirs)));
        let by = joint_subject(&authors.between(version, theirs.version, by));
        let mut said = describe_change(&by, &base, &theirs_draft, sets.changed);
        if !merged.kept.is_empty() {
            said.push_str(&format!(
                " They removed {}, which you had changed: your copy stays, as a new song.",
                merged.kept.join(", ")
            ));
        }
        let both_changed: Vec<Conflict> =
            merged.conflicts.into_iter().chain(sets.conflict).collect();
        if !both_changed.is_empty() {
            said.push_str(" You both changed the same thing: choose yours or theirs for each.");
            if conflicts.with_untracked(Vec::is_empty) {
                asked_over.set(Some(base_before));
            }
        }
        conflicts.update(|open| {
            open.retain(|old| both_changed.iter().all(|new| new.field != old.field));
            open.extend(both_changed);
        });
        // Said by the status line beside Save, a live region of its own: the
        // app's would have a screen reader read it twice.
        saved.set(Some(said));
        true
    };

    // Someone deleted the setlist: nothing is left to choose from or act on
    // but the edits (their version, a duplicate or a delete of what is gone,
    // a reread of the restored edits' base). Said by the alert that shows it,
    // once (see the drummer's page).
    let gone = move |by: &Author| {
        conflicts.set(Vec::new());
        saved.set(None);
        restored.set(false);
        questions_gone();
        deleted.set(Some(format!(
            "{} deleted this setlist. Your edits are still here: “Save as a new setlist” keeps them.",
            by.subject("Someone")
        )));
        refocus(RECREATE.into());
    };

    let this_setlist = state.id.get_untracked();
    // The network, or the server, is back: "could not reach it" is no
    // longer true (Save is still there, and so is what was typed).
    let connection_back = move || transport::clear_if_no_connection(error);
    transport::on_back_online(connection_back);
    live.subscribe(move |message| {
        if *message == LiveMessage::Connected {
            connection_back();
        }
        let Some(this_setlist) = this_setlist.as_deref() else {
            return;
        };
        let by = match message.to_setlist_page(this_setlist, |id| session.is_me(id)) {
            Some(ToSetlistPage::Changed { by, version }) => {
                if let Some(version) = version {
                    authors.heard(version, &by);
                }
                by
            }
            Some(ToSetlistPage::Deleted { by }) => {
                if deleting.get_value() {
                    heard_delete.set_value(Some(by));
                } else {
                    gone(&by);
                }
                return;
            }
            None => return,
        };
        if busy.get_untracked() {
            // Perhaps our own save's echo: its answer comes first.
            heard_while_saving.set_value(true);
            return;
        }
        let path = format!("/api/setlists/{this_setlist}");
        leptos::task::spawn_local(async move {
            if let Some(theirs) = client::reread::<Setlist>(session, &path, on_screen).await {
                // A save began while this was read (after a retry, perhaps):
                // merged now, our own new songs would come back as theirs.
                // The save reads again after it.
                if busy.try_get_untracked() == Some(true) {
                    heard_while_saving.try_set_value(true);
                } else {
                    merge_theirs(&theirs, by);
                }
            }
        });
    });

    // The fields a save was refused for are marked, the first focused.
    let refused = RefusedFields::default();
    provide_context(refused);
    let refuse = move |fields: &FieldErrors| refused.refuse(state.open_songs_named_in(fields));
    let save_navigate = navigate.clone();
    let save = move || {
        // One save at a time (Enter in a field submits too).
        if busy.get_untracked() {
            return;
        }
        let navigate = save_navigate.clone();
        error.set(None);
        saved.set(None);
        refused.clear();
        // Saving over an open question would quietly undo the other person's
        // change (the drummer's tempo): each one is answered first.
        if !conflicts.with_untracked(Vec::is_empty) {
            error.set(Some(CHOOSE_FIRST.into()));
            focus_soon(FIRST_CONFLICT.into());
            return;
        }
        if let Err(fields) = state.input() {
            error.set(Some(describe_fields(&fields)));
            refuse(&fields);
            return;
        }
        busy.set(true);
        heard_while_saving.set_value(false);
        leptos::task::spawn_local(async move {
            let mut result: Result<Setlist, ApiFailure> = Err(ApiFailure::network());
            let mut sent = None;
            let is_new = state.id.get_untracked().is_none();
            // Set when a create sent again found its first try's setlist
            // changed since by someone else: what was typed after stays out of it.
            let mut made_before = false;
            for _ in 0..SAVE_ATTEMPTS {
                let Ok(input) = state.input() else { break };
                sent = Some(state.sent());
                result = match state.id.get_untracked() {
                    None => {
                        let key = state.create_key.get_value();
                        match client::create(session, "/api/setlists", &input, &key).await {
                            // The setlist a first try made, from what was
                            // typed then (a reload while it was on its way):
                            // what was typed since goes over it while nobody
                            // else has changed it (a drummer's tempo would be
                            // written back).
                            Ok(made) if !made_from(&made, &input) => {
                                let path = format!("/api/setlists/{}", made.id);
                                let over = SetlistInput {
                                    version: Some(1),
                                    ..input.clone()
                                };
                                let saved_over = if made.version == 1 {
                                    Some(
                                        client::call(session, Method::Put, &path, Some(&over))
                                            .await,
                                    )
                                } else {
                                    None
                                };
                                match saved_over {
                                    Some(Ok(setlist)) => Ok(setlist),
                                    Some(Err(failure))
                                        if failure.code != ErrorCode::VersionConflict =>
                                    {
                                        Err(failure)
                                    }
                                    // Changed by someone else since: theirs, as it is.
                                    _ => {
                                        made_before = true;
                                        Ok(made)
                                    }
                                }
                            }
                            answer => answer,
                        }
                    }
                    Some(id) => {
                        let path = format!("/api/setlists/{id}");
                        client::call(session, Method::Put, &path, Some(&input)).await
                    }
                };
                if !on_screen() {
                    return;
                }
                // Stale: merge the newer version in, and save again unless
                // both changed the same field.
                let Err(failure) = &result else { break };
                if failure.code != ErrorCode::VersionConflict {
                    break;
                }
                let Some(id) = state.id.get_untracked() else {
                    break;
                };
                match client::get::<Setlist>(session, &format!("/api/setlists/{id}")).await {
                    Ok(theirs) => {
                        if !on_screen() {
                            return;
                        }
                        merge_theirs(&theirs, Author::Unknown);
                    }
                    Err(failure) => {
                        result = Err(failure);
                        break;
                    }
                }
                if !conflicts.with_untracked(Vec::is_empty) {
                    break;
                }
            }
            // Gone while a read after a refusal was on its way: nothing to say it on.
            if !on_screen() {
                return;
            }
            busy.set(false);
            match result {
                Ok(setlist) => {
                    // A choice left open was saved as yours: say so.
                    let kept_mine = conflicts.with_untracked(|open| {
                        open.iter().map(|c| c.label.clone()).collect::<Vec<_>>()
                    });
                    conflicts.set(Vec::new());
                    // The restored edits are saved: nothing is left to discard.
                    restored.set(false);
                    if is_new {
                        // The page is drawn anew at its address: the app's
                        // live region outlives it and says what happened.
                        live.announce(if made_before {
                            format!(
                                "“{}” was saved before the page was reloaded, and someone has \
                                 changed it since: here it is as it is now; anything typed \
                                 after the reload was not saved.",
                                setlist.name
                            )
                        } else {
                            format!("Saved “{}”.", setlist.name)
                        });
                        // In place of the empty form: Back goes to where the
                        // manager came from, not to a form that would make another.
                        let in_place = NavigateOptions {
                            replace: true,
                            ..Default::default()
                        };
                        navigate(&format!("/setlists/{}", setlist.id), in_place);
                    } else {
                        let sent = sent.expect("a save that answered was sent");
                        let typed_since = owner
                            .with_value(|owner| owner.with(|| state.load_saved(&setlist, &sent)));
                        let mut said = match kept_mine.as_slice() {
                            [] => "Saved.".to_string(),
                            fields => format!("Saved, with yours for {}.", fields.join(", ")),
                        };
                        if typed_since {
                            said.push_str(TYPED_MEANWHILE);
                        }
                        saved.set(Some(said));
                        if heard_while_saving.get_value() {
                            // Someone else's change may have come meanwhile.
                            let path = format!("/api/setlists/{}", setlist.id);
                            if let Ok(theirs) = client::get::<Setlist>(session, &path).await {
                                merge_theirs(&theirs, Author::Unknown);
                            }
                        }
                    }
                }
                // Merged, but both changed the same field: the choices show.
                Err(failure)
                    if failure.code == ErrorCode::VersionConflict
                        && !conflicts.with_untracked(Vec::is_empty) =>
                {
                    error.set(Some(CHOOSE_FIRST.into()));
                    focus_soon(FIRST_CONFLICT.into());
                }
                Err(failure)
                    if failure.code == ErrorCode::NotFound
                        && deleted.with_untracked(Option::is_some) =>
                {
                    error.set(Some(
                        "This setlist was deleted; “Save as a new setlist” keeps your edits."
                            .into(),
                    ))
                }
                Err(failure) => {
                    refuse(&failure.fields);
                    error.set(Some(failure.describe()));
                }
            }
        });
    };

    let discard = move |_| {
        let Some(current_id) = state.id.get_untracked() else {
            // A new setlist: back to empty, so its kept copy goes too, and
            // its create gets a new name: the next save is another setlist.
            state.show(&Draft::default());
            state.create_key.set_value(super::random_name());
            conflicts.set(Vec::new());
            restored.set(false);
            saved.set(Some("Your edits were discarded.".into()));
            // The button went with its notice: the keyboard goes on to the form.
            refocus(NAME.into());
            return;
        };
        leptos::task::spawn_local(async move {
            match client::get::<Setlist>(session, &format!("/api/setlists/{current_id}")).await {
                Ok(setlist) if on_screen() => {
                    owner.with_value(|owner| owner.with(|| state.load(&setlist)));
                    conflicts.set(Vec::new());
                    restored.set(false);
                    saved.set(Some(
                        "Loaded the latest version; your edits were discarded.".into(),
                    ));
                    refocus(NAME.into());
                }
                Ok(_) => {} // the editor has gone meanwhile
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };
    let save_as_new = save.clone();
    let recreate = move |_| {
        state.id.set(None);
        state.base.set(None);
        state
            .songs
            .with_untracked(|songs| songs.iter().for_each(|s| s.id.set(None)));
        deleted.set(None);
        save_as_new();
    };
    let delete_navigate = navigate.clone();
    let delete = Callback::new(move |()| {
        // One at a time: a second click's 404 would be told as someone
        // else's delete.
        if deleting.get_value() {
            return;
        }
        // Sent with the version on screen: a change made meanwhile is
        // refused with 409 instead of deleted unseen.
        let version = state
            .base
            .with_untracked(|base| base.as_ref().map(|(_, v)| *v));
        let (Some(current_id), Some(version)) = (state.id.get_untracked(), version) else {
            return;
        };
        let navigate = delete_navigate.clone();
        deleting.set_value(true);
        leptos::task::spawn_local(async move {
            let path = format!("/api/setlists/{current_id}");
            let answer = client::delete_at(session, &path, version).await;
            // Left meanwhile: the answer takes nobody anywhere.
            if !on_screen() {
                return;
            }
            // Gone either way (ours, or someone else's first: 404): an echo
            // that comes after the answer is not news.
            let not_found = answer.as_ref().is_err_and(|failure| failure.status == 404);
            deleting.set_value(answer.is_ok() || not_found);
            let heard = heard_delete.get_value();
            heard_delete.set_value(None);
            match answer {
                Ok(()) => navigate("/setlists", Default::default()),
                // Someone else's came first; named if their echo was heard.
                Err(_) if heard.is_some() || not_found => gone(heard.as_ref().unwrap_or(&Author::Unknown)),
                Err(failure) if failure.current_version.is_some() => error.set(Some(
                    "Not deleted: someone changed this setlist meanwhile. Look at their change, then delete again if you still mean to.".into(),
                )),
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    });
    // The next show with the same songs: a new setlist from what is on
    // screen, named "… (copy)", opened at once to set its date.
    let duplicate_navigate = navigate.clone();
    let leaving_check = use_context::<UnsavedWork>();
    let duplicate = Callback::new(move |()| {
        // One copy per click, however fast the clicks come.
        if busy.get_untracked() {
            return;
        }
        let input = match state.input() {
            Ok(input) => input,
            Err(fields) => return error.set(Some(describe_fields(&fields))),
        };
        // The copy takes what is typed; this setlist is left without it,
        // so ask as every other way out does.
        if leaving_check.is_some_and(|work| !work.may_leave()) {
            return;
        }
        let copy = input.as_copy();
        let navigate = duplicate_navigate.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match client::call::<Setlist, _>(session, Method::Post, "/api/setlists", Some(&copy))
                .await
            {
                Ok(setlist) => {
                    JUST_COPIED.set(Some(setlist.id.clone()));
                    navigate(&format!("/setlists/{}", setlist.id), Default::default());
                }
                Err(failure) => {
                    error.try_set(Some(failure.describe()));
                }
            }
            busy.try_set(false);
        });
    });
    let submit_save = save.clone();
    let songs = state.songs;
    // A length the field cannot read counts as untimed here and is flagged at the field.
    let total = move || {
        songs.with(|list| running_time(list.iter().map(|song| song.seconds().unwrap_or(0))))
    };
    // The song removed last, and its place: "Undo" puts it back as it was,
    // with what others saved in it meanwhile (a tempo heard live).
    let removed = RwSignal::new(None::<Removed>);
    // All the songs a setlist may hold: "Add song" says so instead of a refused save.
    let full = move || songs.with(Vec::len) >= SONGS_MAX;
    // The saved version of a song, as the editor's base has it now.
    let saved_song = move |song: &SongDraft| {
        let id = song.id.get_untracked()?;
        state
            .base
            .with_untracked(|base| base.as_ref()?.0.song(&id).cloned())
    };
    let saved_when_removed = StoredValue::new(None::<DraftSong>);
    let remove = move |uid| {
        if let Some(gone) = state.remove_song(uid) {
            saved_when_removed.set_value(saved_song(&gone.song));
            removed.set(Some(gone));
            refocus(UNDO_REMOVE.into());
        }
    };
    let undo_remove = move |_| {
        if let Some(gone) = removed.get_untracked() {
            removed.set(None);
            let song = &gone.song;
            if let (Some(then), Some(now)) = (saved_when_removed.get_value(), saved_song(song)) {
                song.show(&catch_up(&then, &song.data(), &now));
            }
            let uid = song.uid;
            state.restore_song(gone);
            refocus(handle_id(uid));
        }
    };
    let reorder = Reorder::new(state, live);
    // The form's ↑/↓: a swap with the neighbour, said aloud like a move in
    // the running order (the button keeps the focus, so nothing else would).
    let move_song = move |uid: u64, delta: isize| {
        let moved = songs.try_update(|list| {
            let from = list.iter().position(|s| s.uid == uid)?;
            let to = usize::try_from(from as isize + delta)
                .ok()
                .filter(|to| *to < list.len())?;
            list.swap(from, to);
            Some(())
        });
        match moved.flatten() {
            Some(()) => reorder.say_where(uid, "Moved", ""),
            None => reorder.say_where(uid, "Cannot move further:", ""),
        }
    };
    let all_open = Memo::new(move |_| songs.with(|list| list.iter().all(|song| song.open.get())));
    let activity = Signal::derive(move || {
        if unsaved.get() {
            Activity::Editing
        } else {
            Activity::Viewing
        }
    });
    let (name, venue, show_date, notes) = (state.name, state.venue, state.show_date, state.notes);

    view! {
        <section class="card">
            <p><a class="back" href="/setlists">"← Back to the list"</a></p>
            <h1>{move || saved_name.get()}</h1>
            {move || copy_prompt.get().map(|text| view! { <p class="notice" role="status" id=COPY_PROMPT data-testid="copied">{text}</p> })}
            {move || state.id.get().map(|id| view! {
                <PresenceLine setlist_id=id.clone() activity/>
                <GigLinks id/>
            })}
            // novalidate: the app's own checks run and are announced (role=alert).
            <form novalidate on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); submit_save(); }>
                <div class="row top">
                    <div>
                        <label for=NAME>"Name"</label>
                        <input id=NAME required maxlength="120" bind:value=name
                            aria-describedby=EDITOR_ERROR aria-invalid=refused.mark(NAME.into())/>
                    </div>
                    <div>
                        <label for="setlist-venue">"Venue"</label>
                        <input id="setlist-venue" maxlength="120" bind:value=venue
                            aria-describedby=EDITOR_ERROR aria-invalid=refused.mark("setlist-venue".into())/>
                    </div>
                    <div>
                        <label for=SHOW_DATE>"Show date"</label>
                        <input id=SHOW_DATE type="date" required aria-describedby="copy-prompt setlist-date-words editor-error" bind:value=show_date
                            aria-invalid=refused.mark(SHOW_DATE.into())/>
                        // The picker writes the date the browser's way; the app's way is said under it.
                        <p class="muted" id="setlist-date-words" data-testid="show-date-words">{move || show_date_long(&show_date.get())}</p>
                    </div>
                </div>
                <label for="setlist-notes">"Notes"</label>
                <textarea id="setlist-notes" maxlength="2000" bind:value=notes
                    aria-describedby=EDITOR_ERROR aria-invalid=refused.mark("setlist-notes".into())></textarea>

                <h2>"Songs"</h2>
                <p data-testid="total-duration">
                    {total}
                </p>
                <Show when=move || songs.with(Vec::is_empty)>
                    <p class="notice">"No songs yet: add the opener."</p>
                </Show>
                <LibraryPicks/>
                <Show when=move || !songs.with(Vec::is_empty)>
                    <ReorderHelp/>
                    <p>
                        <button type="button" class="secondary" on:click=move |_| {
                            let open = !all_open.get_untracked();
                            songs.with_untracked(|list| list.iter().for_each(|song| song.open.set(open)));
                        }>
                            {move || if all_open.get() { "Close all songs" } else { "Edit all songs" }}
                        </button>
                    </p>
                </Show>
                <Show
                    when=move || state.sets.with(|breaks| !breaks.later.is_empty())
                    fallback=move || view! { <SetHeading state opener=None place=0 alone=true/> }
                >
                    <SetHeading state opener=None place=0/>
                </Show>
                <ol class="songs">
                    <For each=move || songs.get() key=|song| song.uid let:song>
                        {move || state.set_opened_by(song.uid).map(|(place, _)| view! {
                            <li class="set-break"><SetHeading state opener=Some(song.uid) place/></li>
                        })}
                        <SongRow
                            song
                            reorder
                            number=Signal::derive(move || songs.with(|list| list.iter().position(|s| s.uid == song.uid).map_or(0, |i| i + 1)))
                            move_song
                            remove
                            opens_set=Signal::derive(move || state.set_opened_by(song.uid).is_some())
                            start_set=move |uid| {
                                // The button goes (the song opens a set now): the
                                // keyboard goes on to the new set's name, selected.
                                if let Some((place, head)) = state.start_set(uid) {
                                    live.announce(format!("New set “{}” starts here.", head.name));
                                    refocus_selected(format!("set-{place}-name"));
                                }
                            }
                        />
                    </For>
                </ol>
                {move || removed.get().map(|Removed { song, .. }| {
                    let title = song.data().title;
                    let what = if title.trim().is_empty() { "the song".to_string() } else { format!("“{title}”") };
                    view! {
                        <p class="notice" role="status" data-testid="removed">
                            {format!("Removed {what}. ")}
                            // Not past the songs a setlist may hold (a song added since).
                            <button type="button" id=UNDO_REMOVE class="secondary" disabled=full
                                aria-describedby=move || full().then_some(FULL) on:click=undo_remove>"Undo"</button>
                        </p>
                    }
                })}
                <p>
                    <button type="button" class="secondary" disabled=full aria-describedby=move || full().then_some(FULL) on:click=move |_| {
                        let song = state.new_song(DraftSong::default());
                        song.open.set(true);
                        songs.update(|list| list.push(song));
                        focus_soon(field_id(song.uid, "title"));
                    }>
                        "Add song"
                    </button>
                    {move || full().then(|| view! {
                        <span class="muted" id=FULL>{format!(" A setlist holds at most {SONGS_MAX} songs.")}</span>
                    })}
                </p>

                // Pinned to the screen's foot while it says something: the
                // focus goes to the first field refused, far above it on a phone.
                <div id=EDITOR_ERROR class:pinned-foot=move || error.with(Option::is_some)><ErrorNotice message=error/></div>
                // Pinned to the screen's foot: on a phone the manager may be
                // far up the song list when someone else deletes the show.
                {move || deleted.get().map(|text| view! {
                    <div class="notice pinned-foot" role="alert">
                        <p>{text}</p>
                        <button type="button" id=RECREATE on:click=recreate.clone()>"Save as a new setlist"</button>
                    </div>
                })}
                <Show when=move || !conflicts.with(Vec::is_empty)>
                    <div class="notice" data-testid="conflicts">
                        <p>"You and someone else both changed these. Choose for each before saving:"</p>
                        <ul>
                            {move || conflicts.get().into_iter().enumerate().map(|(at, conflict)| {
                                let theirs = conflict.clone();
                                let dismiss = conflict.field.clone();
                                // The list is drawn anew: the keyboard goes on to the next choice, or to Save.
                                let forget = move |field: &Field| {
                                    conflicts.update(|open| open.retain(|c| c.field != *field));
                                    // Answered: a reload must not ask it again.
                                    asked_over.update(|before| {
                                        let (Some((draft, sets)), Some((now, _))) = (before.as_mut(), state.base.get_untracked()) else {
                                            return;
                                        };
                                        match field {
                                            Field::Sets => *sets = state.base_sets.get_untracked(),
                                            field => draft.adopt(field, &now),
                                        }
                                    });
                                    let settled = conflicts.with_untracked(Vec::is_empty);
                                    if settled {
                                        // The status asked to choose: nothing is left to.
                                        saved.set(None);
                                        questions_gone();
                                    }
                                    refocus(if settled { SAVE } else { FIRST_CONFLICT }.into());
                                };
                                let forget_too = forget;
                                view! {
                                    <li>
                                        <strong>{conflict.label.clone()}</strong>
                                        {format!(": yours “{}”, theirs “{}” ", conflict.mine, conflict.theirs)}
                                        <button type="button" class="secondary" id=(at == 0).then_some(FIRST_CONFLICT)
                                            aria-label=format!("Keep mine for {}", conflict.label)
                                            on:click=move |_| forget(&dismiss)>"Keep mine"</button>
                                        " "
                                        <button type="button" class="secondary" aria-label=format!("Use theirs for {}", conflict.label)
                                            on:click=move |_| { state.take_theirs(&theirs); forget_too(&theirs.field); }>"Use theirs"</button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <button type="button" class="secondary" on:click=discard>"Discard all my edits"</button>
                    </div>
                </Show>
                <Show when=move || restored.get()>
                    <div class="notice" role="status" data-testid="restored">
                        <p>"Your unsaved edits from before are back (your session had ended, the page was closed, or your role changed). Save them, or drop them."</p>
                        <button type="button" class="secondary" on:click=discard>"Discard the restored edits"</button>
                    </div>
                </Show>
                <p role="status" data-testid="editor-status">{move || saved.get()}</p>
                <div class="row centered">
                    <p>
                        // Gone with the setlist: "Save as a new setlist" above keeps the edits.
                        <Show when=move || deleted.with(Option::is_none)>
                            <button type="submit" id=SAVE aria-disabled=move || busy.get().then_some("true")>
                                {move || if busy.get() { "Saving…" } else { "Save setlist" }}
                            </button>
                        </Show>
                        // Said exactly while leaving would ask: a new setlist once anything is typed.
                        <Show when=move || work_to_lose.get()>
                            <span class="muted unsaved" data-testid="unsaved">" Unsaved changes"</span>
                        </Show>
                    </p>
                    <Show when=move || state.id.get().is_some() && deleted.with(Option::is_none)>
                        <p>
                            <button type="button" class="secondary" aria-disabled=move || busy.get().then_some("true") on:click=move |_| duplicate.run(())>"Duplicate"</button>
                        </p>
                        <p class="end">
                            <Show
                                when=move || confirm_delete.get()
                                fallback=move || view! {
                                    <button type="button" id="delete-setlist" class="danger" on:click=move |_| {
                                        confirm_delete.set(true);
                                        refocus("cancel-delete".into());
                                    }>"Delete setlist"</button>
                                }
                            >
                                // Escape answers "no", as it would in a dialog.
                                // The question names the group and describes its buttons:
                                // the focus lands on "Cancel", which alone says nothing.
                                <span role="group" aria-labelledby="delete-question" on:keydown=move |ev| if ev.key() == "Escape" { cancel_delete() }>
                                    <span id="delete-question">"Delete this setlist for good? "</span>
                                    <button type="button" class="danger" aria-describedby="delete-question" on:click=move |_| delete.run(())>"Yes, delete"</button>
                                    " "
                                    <button type="button" id="cancel-delete" class="secondary" aria-describedby="delete-question" on:click=move |_| cancel_delete()>"Cancel"</button>
                                </span>
                            </Show>
                        </p>
                    </Show>
                </div>
            </form>
        </section>
    }
}

/// The heading of a set after the first (`opener` is its first song) or of
/// the first (`None`): its name, its slot on stage, its length against that
/// slot, and a way to join it to the set before. A show of one set (`alone`)
/// shows only the slot, and how the show fits it.
#[component]
fn SetHeading(
    state: EditorState,
    opener: Option<u64>,
    place: usize,
    #[prop(optional)] alone: bool,
) -> impl IntoView {
    let head = move || match opener {
        None => Some(state.sets.with(|breaks| breaks.first.clone())),
        Some(uid) => state.set_opened_by(uid).map(|(_, head)| head),
    };
    let name = move || head().map(|head| head.name).unwrap_or_default();
    let slot = move || head().map(|head| head.slot).unwrap_or_default();
    let length = move || {
        let sets = state.running_sets();
        let place = match opener {
            None => 0,
            Some(uid) => state.set_opened_by(uid).map_or(0, |(place, _)| place),
        };
        let (head, songs) = sets.get(place)?;
        let lengths = songs.iter().map(|song| song.seconds().unwrap_or(0));
        // Alone, the show's total is already above the running order.
        let mut parts = Vec::new();
        if !alone {
            parts.push(running_time(lengths.clone()));
        }
        match parse_slot(&head.slot) {
            Ok(Some(slot)) => parts.push(slot_verdict(lengths.sum(), slot)),
            Ok(None) => {}
            Err(problem) => parts.push(format!("the slot {problem}")),
        }
        Some(parts.join(" · "))
    };
    let over = move || length().is_some_and(|text| text.contains(" over the "));
    let (field, slot_field) = (format!("set-{place}-name"), format!("set-{place}-slot"));
    let length_id = format!("set-{place}-length");
    let refused = use_context::<RefusedFields>().unwrap_or_default();
    let live = use_live();
    let slot_refused = slot_field.clone();
    let slot_label = if alone {
        "Slot on stage (minutes)".to_string()
    } else {
        format!("Set {} slot (minutes)", place + 1)
    };
    view! {
        <div class="set-heading row centered" data-testid=(!alone).then_some("set-heading")>
            {(!alone).then(|| view! {
                <div>
                    <label for=field.clone()>{format!("Set {} name", place + 1)}</label>
                    <input id=field.clone() maxlength="40" prop:value=name aria-describedby=EDITOR_ERROR aria-invalid=refused.mark(field.clone())
                        on:input=move |ev| state.edit_set(opener, |head| head.name = event_target_value(&ev))/>
                </div>
            })}
            <div class="slot">
                <label for=slot_field.clone()>{slot_label}</label>
                // Text, not numeric: a phone's number pad has no ":" for "45:30".
                <input id=slot_field maxlength="6" placeholder="none" prop:value=slot
                    aria-describedby=format!("{length_id} {EDITOR_ERROR}")
                    aria-invalid=move || (parse_slot(&slot()).is_err() || refused.is_refused(&slot_refused)).then_some("true")
                    on:input=move |ev| state.edit_set(opener, |head| head.slot = event_target_value(&ev))/>
            </div>
            <p class="muted" id=length_id class:over=over data-testid="set-length">{length}</p>
            {opener.map(|uid| view! {
                <p class="fit">
                    <button type="button" class="secondary" on:click=move |_| {
                        let joined = name();
                        state.join_set(uid);
                        live.announce(format!("“{joined}” joined to the set before."));
                        refocus(handle_id(uid));
                    }>
                        {move || format!("Join “{}” to the set before", name())}
                    </button>
                </p>
            })}
        </div>
    }
}

/// A saved version as a merge starts from: its fields, and its sets by size.
type BaseBefore = (Draft, Vec<(SetHead, usize)>);

/// Keeps the editor's unsaved work in this browser while it is unsaved
/// (`kept`), and brings back what was kept for this setlist when the editor
/// opens, merged with the version now saved. A setlist never saved is kept
/// too (under "new"), so a session that ends before its first save does not
/// lose what was typed. Whether work came back.
fn keep_unsaved_work(
    session: Session,
    state: EditorState,
    unsaved: Memo<bool>,
    conflicts: RwSignal<Vec<Conflict>>,
    asked_over: RwSignal<Option<BaseBefore>>,
) -> RwSignal<bool> {
    let restored = RwSignal::new(false);
    let Some(member) = untrack(|| session.user()).map(|user| user.id) else {
        return restored;
    };
    // A setlist never saved is kept under "new", over an empty one.
    let is_new = state.id.get_untracked().is_none();
    let setlist = state.id.get_untracked().unwrap_or_else(|| "new".into());
    let saved_or_empty = move |base: Option<(Draft, i64)>| {
        base.map(|(saved, _)| saved)
            .or_else(|| is_new.then(Draft::default))
    };
    let now_saved = saved_or_empty(state.base.get_untracked());
    let kept = browser::kept::<KeptDraft>(Work::Draft, &member, &setlist);
    if let (Some(kept), Some(saved)) = (kept, now_saved) {
        if let Some(key) = &kept.create_key {
            state.create_key.set_value(key.clone());
        }
        // What changed since is merged in, as a live change would be; the
        // sets as typed come back when the songs still add up to them.
        let merged = merge(&kept.base, &kept.mine, &saved);
        let fields_typed = merged.draft != saved;
        if fields_typed {
            state.show(&merged.draft);
        }
        let sets_back = state.restore_kept_sets(&kept.sets, &kept.base_sets);
        if fields_typed || sets_back.is_some() {
            let sets_conflict = sets_back.and_then(|back| back.conflict);
            let open: Vec<Conflict> = merged.conflicts.into_iter().chain(sets_conflict).collect();
            if !open.is_empty() {
                asked_over.set(Some((kept.base, kept.base_sets)));
            }
            conflicts.set(open);
            restored.set(true);
        }
    }
    let to_keep = (member.clone(), setlist.clone());
    Effect::new(move |_| {
        let (member, setlist) = &to_keep;
        match saved_or_empty(state.base.get()) {
            Some(base) if unsaved.get() => {
                let (base, base_sets) = match asked_over.get() {
                    Some(before) if !conflicts.with(Vec::is_empty) => before,
                    _ => (base, state.base_sets.get()),
                };
                let (mine, sets) = (state.draft(), state.set_sizes());
                let draft = KeptDraft {
                    base,
                    mine,
                    sets,
                    base_sets,
                    create_key: is_new.then(|| state.create_key.get_value()),
                };
                browser::keep(Work::Draft, member, setlist, &draft);
            }
            _ => browser::forget(Work::Draft, member, setlist),
        }
    });
    browser::forget_when_left(session, Work::Draft, member, setlist);
    restored
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{SetInput, SetOfSongs};

    fn song(title: &str, bpm: Option<i64>) -> Song {
        Song {
            id: format!("id-{title}"),
            title: title.into(),
            artist: "Foo Fighters".into(),
            duration_secs: 240,
            bpm,
            key: String::new(),
            notes: String::new(),
            drummer_notes: String::new(),
            library_id: None,
        }
    }

    /// What the first try made: two sets, "Everlong" then "My Hero" | "Times Like These".
    fn made() -> Setlist {
        let set = |name: &str, songs: Vec<Song>| SetOfSongs {
            name: name.into(),
            songs,
            slot_secs: None,
        };
        let (one, two, three) = (
            song("Everlong", Some(158)),
            song("My Hero", None),
            song("Times Like These", None),
        );
        Setlist {
            id: "s-1".into(),
            name: "Friday".into(),
            venue: "The Roundhouse".into(),
            show_date: "2027-03-05".into(),
            notes: String::new(),
            version: 1,
            created_at: "2026-12-06T12:00:00Z".into(),
            updated_at: "2026-12-06T12:00:00Z".into(),
            songs: vec![one.clone(), two.clone(), three.clone()],
            sets: vec![set("Set 1", vec![one, two]), set("Encore", vec![three])],
        }
    }

    /// The input the page would send for `made`, as sets of new songs.
    fn sent(made: &Setlist) -> SetlistInput {
        let new_song = |song: &Song| SongInput {
            id: None,
            ..SongInput::from(song)
        };
        let sets = made.sets.iter().map(|set| SetInput {
            name: set.name.clone(),
            songs: set.songs.iter().map(new_song).collect(),
            slot_secs: set.slot_secs,
        });
        SetlistInput {
            name: made.name.clone(),
            venue: made.venue.clone(),
            show_date: made.show_date.clone(),
            notes: made.notes.clone(),
            version: None,
            songs: None,
            sets: Some(sets.collect()),
        }
    }

    #[test]
    fn a_create_is_made_from_the_input_that_holds_what_it_made() {
        let made = made();
        assert!(made_from(&made, &sent(&made)));
    }

    /// What changed, and the change.
    type Change = (&'static str, fn(&mut SetlistInput));

    #[test]
    fn anything_typed_after_the_first_try_makes_a_different_input() {
        let made = made();
        let changes: [Change; 6] = [
            ("the name", |input| input.name.push('!')),
            ("a song's tempo", |input| {
                input.sets.as_mut().unwrap()[0].songs[1].bpm = Some(140)
            }),
            ("a song's notes", |input| {
                input.sets.as_mut().unwrap()[1].songs[0].notes = "slow".into()
            }),
            ("a set's slot", |input| {
                input.sets.as_mut().unwrap()[1].slot_secs = Some(600)
            }),
            ("a set break moved", |input| {
                let sets = input.sets.as_mut().unwrap();
                let moved = sets[0].songs.pop().unwrap();
                sets[1].songs.insert(0, moved);
            }),
            ("a song added", |input| {
                let added = SongInput::from(&song("Learn to Fly", None));
                input.sets.as_mut().unwrap()[1].songs.push(added);
            }),
        ];
        for (what, change) in changes {
            let mut input = sent(&made);
            change(&mut input);
            assert!(
                !made_from(&made, &input),
                "{what} changed, yet the input counts as made"
            );
        }
    }
}
