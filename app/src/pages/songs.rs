//! The song library (`/songs`): every song the band plays, searchable by
//! title, artist or tag, with how often and when it was last played.
//! Managers add, edit, delete, import from CSV and export; a drummer sets a
//! song's tempo and their own notes.

use std::sync::{Arc, OnceLock};

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        ChangedBy, ImportOutcome, ImportReport, LibrarySong, LibrarySongInput, SongImport,
        client::{self, ApiFailure, Method},
        validation::{
            SOMEONE_ELSE, drummer_patch, field_label, folded, follow_theirs, normalized_tags,
            overtaken_said, parse_tempo_field, percent_encode, tempo_text, three_way,
            validate_library_song,
        },
    },
    components::{
        ErrorNotice, InFlight, LastRead, LoadFailure, RefusedFields, RowFocus, behind_notice,
        closes_on_escape, counted, focus_soon, length_field, parse_length_field, refocus,
        refocus_first, show_date_short, songs_count,
    },
    live::{Author, LiveMessage, use_live},
    session::{Session, use_session},
    unsaved::{UnsavedWork, confirm},
};

#[component]
pub fn Songs() -> impl IntoView {
    let session = use_session();
    let songs =
        client::get_resource::<Vec<LibrarySong>>(session, Signal::from("/api/songs".to_owned()));
    // The search lives in the page's address too (`?q=&tag=`): Back to the
    // library finds it as it was left. Written when a search is done with
    // (`change`: the field left, Enter, a tag picked), not at every letter.
    let query = use_query_map();
    let asked = move |name: &str| query.with_untracked(|q| q.get(name)).unwrap_or_default();
    let search = RwSignal::new(asked("q"));
    // As the server reads `?tag=`, and tags are kept: `/songs?tag=Rock`, a
    // link someone typed, is the tag "rock".
    let tag = RwSignal::new(folded(asked("tag").trim()));
    let wanted = Memo::new(move |_| Wanted::new(&search.get(), tag.get()));
    let remember_search = move || {
        remember_address(&search_address(
            &search.get_untracked(),
            &tag.get_untracked(),
        ))
    };
    // The song in the form: `Some(None)` a new one, `Some(Some(song))` an edit.
    let editing = RwSignal::new(None::<Option<LibrarySong>>);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    // Another song in the form replaces what is typed in it: ask first
    // (about the form alone: CSV text pasted below stays).
    let form_typed = RwSignal::new(false);
    let open_form = move |song: Option<LibrarySong>| {
        if !UnsavedWork::may_replace(form_typed) {
            return;
        }
        // The last save's "Saved …" is not about the form opened now.
        notice.set(None);
        editing.set(Some(song));
    };
    // Where the keyboard goes when the form or a deleted row is gone. A
    // drummer has no "Add a song": the search is their way on.
    let way_on = move || {
        if session.is_manager() {
            ADD_SONG
        } else {
            SEARCH
        }
    };
    // Cancel: back to the row's button that opened the form (the table is
    // as it was), not to the top of a long library.
    let close_form = move || {
        let opener = editing
            .get_untracked()
            .flatten()
            .map(|song| opener_id(&song.id));
        editing.set(None);
        // The row may be gone (a search typed meanwhile, a delete elsewhere).
        refocus_first(
            [opener, Some(way_on().into())]
                .into_iter()
                .flatten()
                .collect(),
        );
    };
    let escape_form = move || {
        if UnsavedWork::may_replace(form_typed) {
            close_form();
        }
    };

    let remove = move |song: LibrarySong| {
        let question = format!(
            "Delete “{}” from the library? Setlists keep their copy.",
            song.title
        );
        if !confirm(&question) {
            return;
        }
        notice.set(None);
        error.set(None);
        leptos::task::spawn_local(async move {
            let path = format!("/api/songs/{}", song.id);
            // Only the version in the table: a change made meanwhile is refused.
            match client::delete_at(session, &path, song.version).await {
                Ok(()) => notice.set(Some(format!("Deleted “{}”.", song.title))),
                Err(failure) if failure.current_version.is_some() => error.set(Some(format!(
                    "Not deleted: someone changed “{}” meanwhile. The list shows their change now; delete again if you still mean to.",
                    song.title
                ))),
                Err(failure) => error.set(Some(failure.describe())),
            }
            songs.refetch();
            // The row is drawn anew or gone once the list is read again: the
            // keyboard goes to "Add a song" now, not to the page's top then.
            focus_soon(ADD_SONG.into());
        });
    };
    // A form's save left the list behind: it saved, or it was refused for
    // a change made meanwhile. Either way the list is read again, to show
    // the song as it is now.
    let list_behind = Callback::new(move |why: ListBehind| {
        // Cancel (or another song's form) may have closed the form while
        // the save was on its way; the save still happened, so it is said,
        // but the form open now stays.
        if let ListBehind::Saved { message, form_open } = why {
            if form_open {
                editing.set(None);
                // The table is drawn anew once the list is read again, a
                // row's button with it: the keyboard waits above the table.
                refocus(way_on().into());
            }
            notice.set(Some(message));
        }
        songs.refetch();
    });
    // The row's button that had the focus when a live change re-read the
    // list: the table is drawn anew, and the keyboard goes back to it.
    let focused_row = RowFocus::default();
    let last_read = LastRead::<Vec<LibrarySong>>::default();
    Effect::new(move |_| {
        songs.track();
        focused_row.give_back(Some(way_on()));
    });
    let live = use_live();
    // Live: a library write, or a setlist's (which may add songs, and
    // changes what was played when), re-reads the list; the keyboard stays
    // on its row, and someone else's write is said. An open form keeps
    // what is typed: a save over a changed song is a 409 the form merges.
    live.subscribe(move |message| {
        match message {
            LiveMessage::LibraryChanged(data) => {
                let event = serde_json::from_str::<ChangedBy>(data);
                let ChangedBy { by, by_id } = event.unwrap_or_default();
                let by = Author::new(&by_id, &by, |id| session.is_me(id));
                if by != Author::You {
                    live.announce(format!(
                        "{} changed the song library.",
                        by.subject("Someone")
                    ));
                }
            }
            LiveMessage::SetlistCreated(_)
            | LiveMessage::SetlistChanged(_)
            | LiveMessage::SetlistDeleted(_)
            | LiveMessage::Reload => {}
            // Library events are not replayed: what a broken stream missed
            // is read (a first connection finds the list being read anyway).
            LiveMessage::Connected if songs.with_untracked(Option::is_some) => {}
            _ => return,
        }
        // Nothing, if the focus has left the table since (`give_back` then
        // leaves it where it went).
        focused_row.remember(ROW_CONTROL);
        songs.refetch();
    });
    // A screen reader hears how many songs a search leaves, once the typing
    // pauses (not at every key, over the echo of what is typed).
    let searches = StoredValue::new(0_u32);
    // The rows the search finds in the list on screen, and its length.
    let on_screen = StoredValue::new(None::<(Memo<Vec<usize>>, usize)>);
    Effect::new(move |searched: Option<()>| {
        wanted.track();
        if searched.is_none() {
            return;
        }
        let this_search = searches.get_value().wrapping_add(1);
        searches.set_value(this_search);
        let announce = move || {
            if searches.try_get_value() != Some(this_search) {
                return;
            }
            let Some((found, total)) = on_screen.get_value() else {
                return;
            };
            // Not the count's own words: the page shows those once.
            if let Some(shown) = found.try_with_untracked(Vec::len) {
                live.announce(format!("Songs found: {shown} (of {total})."));
            }
        };
        set_timeout(announce, std::time::Duration::from_millis(700));
    });

    view! {
        <section class="card">
            <div class="row centered">
                <h1>"Song library"</h1>
                <Show when=move || session.is_manager()>
                    <p class="fit">
                        <button type="button" id=ADD_SONG on:click=move |_| open_form(None)>"Add a song"</button>
                    </p>
                </Show>
            </div>
            <ErrorNotice message=error/>
            <p role="status">{move || notice.get()}</p>
            // Escape closes the form as Cancel does, but asks first when
            // something is typed: a stray key must not throw work away.
            <div on:keydown=move |ev| closes_on_escape(&ev, escape_form)>
                {move || editing.get().map(|song| match song {
                    // A drummer's Edit is the tempo and their notes: the rest is the manager's.
                    Some(song) if !session.is_manager() => view! { <TempoForm song list_behind typed_here=form_typed cancel=close_form/> }.into_any(),
                    song => view! { <SongForm song list_behind typed_here=form_typed cancel=close_form/> }.into_any(),
                })}
            </div>
            <div class="row">
                <label>"Search"
                    <input type="search" id=SEARCH placeholder="Title, artist or tag" prop:value=search
                        on:input=move |ev| search.set(event_target_value(&ev))
                        on:change=move |_| remember_search()/>
                </label>
                <label>"Tag"
                    <select on:change=move |ev| { tag.set(event_target_value(&ev)); remember_search(); } prop:value=tag>
                        <option value="">"Any tag"</option>
                        // Drawn anew with each read: the chosen tag is marked
                        // again, and stays while it filters, even once no song has it.
                        {move || {
                            let chosen = tag.get();
                            let list = songs.get().and_then(Result::ok).or_else(|| last_read.get());
                            let mut names = all_tags(&list.unwrap_or_default());
                            if !chosen.is_empty() && !names.contains(&chosen) {
                                names.push(chosen.clone());
                            }
                            names.into_iter()
                                .map(|name| view! { <option selected=name == chosen value=name.clone()>{name.clone()}</option> })
                                .collect_view()
                        }}
                    </select>
                </label>
            </div>
            // The row's button last focused, also one moved to while a re-read is on its way.
            <div on:focusin=move |_| focused_row.remember(ROW_CONTROL)>
            {move || behind_notice(songs.with(|read| last_read.shown_for(read.as_ref())))}
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading the library…"</p> }>
                {move || songs.get().map(|result| {
                    let list = match last_read.or_last(result) {
                        Ok(list) => list,
                        Err(failure) => return view! { <LoadFailure failure/> }.into_any(),
                    };
                    let total = list.len();
                    // A key typed in the search takes rows out of the table
                    // and puts them back; the rows left are not drawn anew
                    // (drawing a big library's table at every key froze the page).
                    let library: Arc<[Findable]> = list.into_iter().map(Findable::new).collect();
                    let found = Memo::new({
                        let library = library.clone();
                        move |_| wanted.with(|wanted| {
                            (0..library.len()).filter(|&row| library[row].found(wanted)).collect::<Vec<_>>()
                        })
                    });
                    on_screen.set_value(Some((found, total)));
                    view! {
                        <p class="muted" data-testid="library-count">{move || count_line(found.with(Vec::len), total)}</p>
                        <SongTable library found edit=move |song| open_form(Some(song)) remove/>
                    }.into_any()
                })}
            </Transition>
            </div>
        </section>
        <Show when=move || session.is_manager()>
            <CsvImport imported=move || songs.refetch()/>
        </Show>
        <ExportCsv/>
    }
}

/// The library's address with its search and tag, those that are set.
fn search_address(search: &str, tag: &str) -> String {
    let asked: Vec<String> = [("q", search), ("tag", tag)]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect();
    match asked.as_slice() {
        [] => "/songs".to_string(),
        _ => format!("/songs?{}", asked.join("&")),
    }
}

/// Puts `address` in place of the page's own in the browser's history, its
/// state kept (the router's): a letter typed is no page to go back to.
fn remember_address(address: &str) {
    let history = window().history();
    if let Ok(history) = history {
        let state = history
            .state()
            .unwrap_or(leptos::wasm_bindgen::JsValue::NULL);
        let _ = history.replace_state_with_url(&state, "", Some(address));
    }
}

/// What the search asks for: text (any case) and a tag (`None` for any).
#[derive(Clone, PartialEq)]
struct Wanted {
    needle: String,
    tag: Option<String>,
}

impl Wanted {
    fn new(search: &str, tag: String) -> Self {
        let needle = folded(search.trim());
        let tag = Some(tag).filter(|tag| !tag.is_empty());
        Wanted { needle, tag }
    }
}

/// A song of the table with its text folded for the search once, when it
/// is first searched (folding is a call into JavaScript).
struct Findable {
    song: LibrarySong,
    text: OnceLock<(String, String)>,
}

impl Findable {
    fn new(song: LibrarySong) -> Self {
        let text = OnceLock::new();
        Findable { song, text }
    }

    fn found(&self, wanted: &Wanted) -> bool {
        let text = || self.text.get_or_init(|| self.song.folded_text());
        self.song
            .matches_folded(&wanted.needle, wanted.tag.as_deref(), text)
    }
}

/// "3 of 120 songs".
fn count_line(shown: usize, total: usize) -> String {
    format!("{shown} of {}", songs_count(total))
}

/// The "Add a song" button's id: the keyboard's way back after the form.
const ADD_SONG: &str = "add-song";

/// Where the ids of a row's buttons start.
const ROW_CONTROL: &str = "song-";

/// The id of a row's button that opens the form for `song_id`.
fn opener_id(song_id: &str) -> String {
    format!("{ROW_CONTROL}edit-{song_id}")
}
const SEARCH: &str = "library-search";
/// What the song form says about a refused save: its fields point at it.
const SONG_ERROR: &str = "library-song-error";
/// What the drummer's tempo form says about a refused tempo.
const TEMPO_ERROR: &str = "library-tempo-error";
/// The import's Preview button: the keyboard's place once Import is done.
const IMPORT_PREVIEW: &str = "import-preview";

#[component]
fn SongTable(
    library: Arc<[Findable]>,
    /// The rows of `library` the search finds.
    found: Memo<Vec<usize>>,
    edit: impl Fn(LibrarySong) + Copy + Send + Sync + 'static,
    remove: impl Fn(LibrarySong) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    if library.is_empty() {
        return view! {
            <p class="notice">"The library is empty: the songs of saved setlists come in on their own."</p>
        }
        .into_any();
    }
    let none_found = move || found.with(Vec::is_empty);
    view! {
        {move || none_found().then(|| view! { <p class="notice">"No songs match."</p> })}
        // A phone scrolls the table, not the page.
        <div class="table-scroll" hidden=none_found>
        <table class="library stacked">
            <thead>
                <tr>
                    <th scope="col">"Title"</th>
                    <th scope="col">"Artist"</th>
                    <th scope="col" class="optional">"Key"</th>
                    <th scope="col">"BPM"</th>
                    <th scope="col">"Length"</th>
                    <th scope="col" class="optional">"Tags"</th>
                    <th scope="col">"Played"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                <For each=move || found.get() key=|row| *row children=move |row| {
                    let song = library[row].song.clone();
                    let played = match (&song.last_played, song.times_played) {
                        (Some(last), times) => format!("{times}× · last {}", show_date_short(last)),
                        (None, _) => "Not yet".to_string(),
                    };
                    let (for_edit, for_remove) = (song.clone(), song.clone());
                    let opener = opener_id(&song.id);
                    let remover = format!("{ROW_CONTROL}delete-{}", song.id);
                    let edit_label = format!("Edit “{}”", song.title);
                    let remove_label = format!("Delete “{}”", song.title);
                    let tempo_label = format!("Set the tempo and notes of “{}”", song.title);
                    let for_tempo = song.clone();
                    view! {
                        <tr data-testid="library-row">
                            <td>{song.title}</td>
                            <td data-label="Artist">{song.artist}</td>
                            <td class="optional" data-label="Key">{song.key}</td>
                            <td data-label="BPM">{song.bpm.map(|bpm| bpm.to_string())}</td>
                            <td data-label="Length">{length_field(song.duration_secs)}</td>
                            <td class="optional" data-label="Tags">{song.tags.join(", ")}</td>
                            <td data-label="Played">{played}</td>
                            <td class="actions">
                                <Show when=move || session.is_manager() fallback={
                                    let (label, song, opener) = (tempo_label.clone(), for_tempo.clone(), opener.clone());
                                    move || view! {
                                        <button type="button" class="secondary" id=opener.clone() aria-label=label.clone()
                                            on:click={let song = song.clone(); move |_| edit(song.clone())}>"Tempo and notes"</button>
                                    }
                                }>
                                    <button type="button" class="secondary" id=opener.clone() aria-label=edit_label.clone()
                                        on:click={let song = for_edit.clone(); move |_| edit(song.clone())}>"Edit"</button>
                                    <button type="button" class="danger" id=remover.clone() aria-label=remove_label.clone()
                                        on:click={let song = for_remove.clone(); move |_| remove(song.clone())}>"Delete"</button>
                                </Show>
                            </td>
                        </tr>
                    }
                }/>
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

/// Adds a song (`song` is `None`) or edits one, with the same fields the API
/// checks, checked here first.
#[component]
fn SongForm(
    song: Option<LibrarySong>,
    list_behind: Callback<ListBehind>,
    /// Whether something is typed here, for the page (`may_replace`).
    typed_here: RwSignal<bool>,
    cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    let start = song
        .as_ref()
        .map(LibrarySongInput::from)
        .unwrap_or_default();
    let id = song.map(|song| song.id);
    let heading = if id.is_some() {
        "Edit the song"
    } else {
        "Add a song"
    };
    let fields = form_fields(&start).map(RwSignal::new);
    let [title, artist, key, bpm, length, tags, notes] = fields;
    let error = RwSignal::new(None::<String>);
    // The fields the last Save was refused for (`FIELD_KEYS` places), marked
    // until the next Save, the first focused.
    let refused = RefusedFields::default();
    let refuse = move |mut places: Vec<usize>| {
        places.sort_unstable();
        places.dedup();
        refused.refuse(places.into_iter().map(field_id).collect());
    };
    // The form opens above the table: on a phone, an Edit far down the list
    // would open it out of sight. Focusing the title brings it into view.
    let title_field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(field) = title_field.get() {
            let _ = field.focus();
        }
    });
    // The version this form writes over, and the fields as they were in it:
    // a 409 moves both to theirs.
    let version = RwSignal::new(start.version);
    let as_loaded = RwSignal::new(fields.map(|field| field.get_untracked()));
    let sending = InFlight::default();
    // Leaving with something typed asks first, like the setlist editor.
    let unsaved = Memo::new(move |_| {
        as_loaded.with(|loaded| {
            fields
                .iter()
                .zip(loaded)
                .any(|(field, loaded)| field.with(|typed| typed != loaded))
        })
    });
    UnsavedWork::track_replaceable(unsaved, typed_here);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut problems = Vec::new();
        let mut places = Vec::new();
        let bpm = parse_tempo_field(&bpm.get_untracked()).unwrap_or_else(|_| {
            problems.push("• BPM must be a whole number".to_string());
            places.push(BPM);
            None
        });
        let duration_secs = parse_length_field(&length.get_untracked()).unwrap_or_else(|| {
            problems.push("• length must be minutes:seconds, like 4:15".to_string());
            places.push(LENGTH);
            0
        });
        let input = LibrarySongInput {
            title: title.get_untracked(),
            artist: artist.get_untracked(),
            key: key.get_untracked(),
            bpm,
            duration_secs,
            notes: notes.get_untracked(),
            tags: normalized_tags(tags.get_untracked().split(',')),
            version: version.get_untracked(),
        };
        let invalid = validate_library_song(&input);
        problems.extend(
            invalid
                .iter()
                .map(|(field, problem)| format!("• {} {problem}", field_label(field))),
        );
        places.extend(invalid.keys().filter_map(|field| field_place(field)));
        refuse(places);
        if !problems.is_empty() {
            error.set(Some(format!("Please check:\n{}", problems.join("\n"))));
            return;
        }
        let id = id.clone();
        sending.run(async move {
            let answer = match &id {
                Some(id) => {
                    let path = format!("/api/songs/{id}");
                    client::call::<LibrarySong, _>(session, Method::Put, &path, Some(&input)).await
                }
                None => {
                    client::call::<LibrarySong, _>(
                        session,
                        Method::Post,
                        "/api/songs",
                        Some(&input),
                    )
                    .await
                }
            };
            match answer {
                // `try_`: the page itself may be gone by now.
                Ok(song) => {
                    let form_open = version.try_get_untracked().is_some();
                    let message = format!("Saved “{}”.", song.title);
                    list_behind.try_run(ListBehind::Saved { message, form_open });
                }
                // Their version comes into the form where nothing was typed;
                // what is typed stays, and the next Save is made over theirs.
                Err(failure) if failure.current_version.is_some() => {
                    list_behind.try_run(ListBehind::ChangedMeanwhile);
                    let path = format!("/api/songs/{}", id.as_deref().unwrap_or_default());
                    let said = match client::get::<LibrarySong>(session, &path).await {
                        Ok(theirs) => {
                            // `None`: the form was closed meanwhile, its
                            // fields with it (reading them would panic).
                            let Some(loaded) = as_loaded.try_get_untracked() else {
                                return;
                            };
                            version.try_set(Some(theirs.version));
                            let theirs = form_fields(&LibrarySongInput::from(&theirs));
                            let typed = fields.map(|field| field.get_untracked());
                            let (merged, both) = merge_fields(&typed, &loaded, &theirs);
                            for (field, value) in fields.iter().zip(merged) {
                                field.try_set(value);
                            }
                            as_loaded.try_set(theirs);
                            match both.as_slice() {
                                [] => "Someone changed this song meanwhile: their changes are in the form now, with yours. Save again to save both.".to_string(),
                                both => format!(
                                    "Someone changed this song meanwhile. You both changed {}: yours is in the form. Save again to keep yours, or type theirs in first.",
                                    both.join(", ")
                                ),
                            }
                        }
                        Err(failure) => said_of(&failure),
                    };
                    error.try_set(Some(said));
                }
                Err(failure) => {
                    refuse(
                        failure
                            .fields
                            .keys()
                            .filter_map(|field| field_place(field))
                            .collect(),
                    );
                    if deleted_meanwhile(&failure) {
                        list_behind.try_run(ListBehind::ChangedMeanwhile);
                    }
                    error.try_set(Some(said_of(&failure)));
                }
            }
        });
    };
    let marked = move |place: usize| refused.mark(field_id(place));

    view! {
        // novalidate: the app's own checks run, every field they refuse marked.
        <form class="card inset" novalidate on:submit=submit aria-label=heading>
            <h2>{heading}</h2>
            <div id=SONG_ERROR><ErrorNotice message=error/></div>
            <div class="row">
                <label>"Title" <input required maxlength="200" node_ref=title_field bind:value=title
                    id=field_id(0) aria-describedby=SONG_ERROR aria-invalid=marked(0)/></label>
                <label>"Artist" <input maxlength="200" bind:value=artist id=field_id(1) aria-describedby=SONG_ERROR aria-invalid=marked(1)/></label>
            </div>
            <div class="row">
                <label>"Key" <input maxlength="16" bind:value=key id=field_id(2) aria-describedby=SONG_ERROR aria-invalid=marked(2)/></label>
                <label>"BPM" <input inputmode="numeric" bind:value=bpm id=field_id(BPM) aria-describedby=SONG_ERROR aria-invalid=marked(BPM)/></label>
                <label>"Length" <input placeholder="m:ss" bind:value=length id=field_id(LENGTH) aria-describedby=SONG_ERROR aria-invalid=marked(LENGTH)/></label>
            </div>
            <label>"Tags (comma-separated)" <input bind:value=tags placeholder="ballad, encore"
                id=field_id(5) aria-describedby=SONG_ERROR aria-invalid=marked(5)/></label>
            <label>"Notes" <textarea rows="3" maxlength="2000" bind:value=notes id=field_id(6) aria-describedby=SONG_ERROR aria-invalid=marked(6)></textarea></label>
            <div class="row">
                <button type="submit" aria-disabled=move || sending.busy().then_some("true")>"Save song"</button>
                <button type="button" class="secondary" on:click=move |_| cancel()>"Cancel"</button>
            </div>
        </form>
    }
}

/// A drummer's part of a library song: its tempo (the drummer's call) and
/// their own notes. Only what they changed is sent, with the version the
/// form was opened on: a change made meanwhile to another field is merged
/// in by sending again, and one to the field being typed in is said, not
/// silently replaced (a live update re-reads the list, never the form).
#[component]
fn TempoForm(
    song: LibrarySong,
    list_behind: Callback<ListBehind>,
    /// Whether something is typed here, for the page (`may_replace`).
    typed_here: RwSignal<bool>,
    cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let session = use_session();
    let form = TempoFields {
        loaded: RwSignal::new((tempo_text(song.bpm), song.drummer_notes.clone())),
        version: StoredValue::new(song.version),
        bpm: RwSignal::new(tempo_text(song.bpm)),
        notes: RwSignal::new(song.drummer_notes.clone()),
    };
    let TempoFields {
        loaded, bpm, notes, ..
    } = form;
    let error = RwSignal::new(None::<String>);
    let bpm_refused = RwSignal::new(false);
    let sending = InFlight::default();
    let unsaved = Memo::new(move |_| {
        loaded.with(|(was_bpm, was_notes)| {
            bpm.with(|typed| typed != was_bpm) || notes.with(|typed| typed != was_notes)
        })
    });
    UnsavedWork::track_replaceable(unsaved, typed_here);
    let bpm_field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(field) = bpm_field.get() {
            let _ = field.focus();
        }
    });
    let path = format!("/api/songs/{}", song.id);
    let title = song.title.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The fields are read-only while this is sent: what is sent is what
        // was typed, and Save's answer is about all of it.
        let typed = (bpm.get_untracked(), notes.get_untracked());
        let was = loaded.get_untracked();
        match drummer_patch((&typed.0, &typed.1), (&was.0, &was.1)) {
            Ok(Some(_)) => {}
            Ok(None) => return cancel(),
            Err(refused) => {
                bpm_refused.set(refused.tempo);
                error.set(Some(refused.message));
                return;
            }
        }
        // What an earlier Save was told is not about this one.
        error.set(None);
        bpm_refused.set(false);
        let (path, title) = (path.clone(), title.clone());
        sending.run(async move {
            match save_tempo(form, session, &path, typed).await {
                // `try_`: the page itself may be gone by now.
                Ok(()) => {
                    let form_open = loaded.try_get_untracked().is_some();
                    let message = format!("Saved the tempo and notes of “{title}”.");
                    list_behind.try_run(ListBehind::Saved { message, form_open });
                }
                Err(unsaved) => {
                    bpm_refused.try_set(unsaved.bpm_refused);
                    error.try_set(unsaved.said);
                    if unsaved.stale {
                        list_behind.try_run(ListBehind::ChangedMeanwhile);
                    }
                }
            }
        });
    };
    let heading = format!("Tempo and notes: {}", song.title);
    view! {
        <form class="card inset" novalidate on:submit=submit aria-label=heading.clone()>
            <h2>{heading.clone()}</h2>
            <div id=TEMPO_ERROR><ErrorNotice message=error/></div>
            <label>"BPM" <input inputmode="numeric" node_ref=bpm_field bind:value=bpm
                prop:readOnly=move || sending.busy()
                aria-invalid=move || bpm_refused.get().then_some("true") aria-describedby=TEMPO_ERROR/></label>
            <label>"Drummer's notes" <textarea rows="3" maxlength="2000" bind:value=notes
                prop:readOnly=move || sending.busy()></textarea></label>
            <div class="row">
                <button type="submit" aria-disabled=move || sending.busy().then_some("true")>"Save"</button>
                <button type="button" class="secondary" on:click=move |_| cancel()>"Cancel"</button>
            </div>
        </form>
    }
}

/// Why the page's list no longer shows a song as it is.
enum ListBehind {
    /// A form saved it: what to say, and whether that form is still open.
    Saved { message: String, form_open: bool },
    /// A form's save was refused (or stopped) because someone changed or
    /// deleted the song meanwhile.
    ChangedMeanwhile,
}

/// The drummer's form, as `save_tempo` reads it and brings it up to date.
#[derive(Clone, Copy)]
struct TempoFields {
    /// The tempo and notes as last read from the server.
    loaded: RwSignal<(String, String)>,
    /// The version they were read at: the next send is made over it.
    version: StoredValue<i64>,
    /// As typed (and as merged after a 409).
    bpm: RwSignal<String>,
    notes: RwSignal<String>,
}

/// Why a drummer's Save stopped unsaved.
struct Unsaved {
    /// What to tell the drummer; `None` when the form is gone.
    said: Option<String>,
    /// The tempo is what was refused (its field gets `aria-invalid`).
    bpm_refused: bool,
    /// The song changed or went meanwhile (`ListBehind::ChangedMeanwhile`).
    stale: bool,
}

/// Sends the drummer's `typed` tempo and notes: only what they changed from
/// the song as last read, over its version. A 409 reads theirs, merges it
/// in (`follow_theirs`) and sends again, at most `RESENDS` times: a band saving this
/// song over and over is said, not chased for ever. A field both changed
/// stops it, said, so that Save never silently replaces their change.
async fn save_tempo(
    form: TempoFields,
    session: Session,
    path: &str,
    mut typed: (String, String),
) -> Result<(), Unsaved> {
    let mut conflicts = 0;
    loop {
        // After a 409, any stop leaves the list behind.
        let retried = conflicts > 0;
        let stop = |said: String, bpm_refused: bool, stale: bool| Unsaved {
            said: Some(said),
            bpm_refused,
            stale: stale || retried,
        };
        // Each time against the fields as last read: only what the drummer
        // changed from them is sent. `None`: the form is gone, and with it
        // anyone to tell.
        let (Some(was), Some(version)) = (
            form.loaded.try_get_untracked(),
            form.version.try_get_value(),
        ) else {
            return Err(Unsaved {
                said: None,
                bpm_refused: false,
                stale: retried,
            });
        };
        let mut patch = match drummer_patch((&typed.0, &typed.1), (&was.0, &was.1)) {
            Ok(Some(patch)) => patch,
            // Someone saved just what was typed here, or nothing was typed.
            Ok(None) => return Ok(()),
            Err(refused) => return Err(stop(refused.message, refused.tempo, false)),
        };
        patch.version = Some(version);
        match client::call::<LibrarySong, _>(session, Method::Patch, path, Some(&patch)).await {
            Ok(_) => return Ok(()),
            Err(failure) if failure.current_version.is_some() && conflicts == RESENDS => {
                return Err(stop(KEEPS_CHANGING.into(), false, true));
            }
            // Changed meanwhile: read theirs, below.
            Err(failure) if failure.current_version.is_some() => conflicts += 1,
            Err(failure) => {
                let refused = failure.fields.contains_key("bpm");
                return Err(stop(
                    said_of(&failure),
                    refused,
                    deleted_meanwhile(&failure),
                ));
            }
        }
        let theirs = client::get::<LibrarySong>(session, path)
            .await
            .map_err(|failure| stop(said_of(&failure), false, true))?;
        form.version.try_set_value(theirs.version);
        let theirs = (tempo_text(theirs.bpm), theirs.drummer_notes);
        let (next, (tempo_overtaken, notes_overtaken)) = follow_theirs(
            (&typed.0, &typed.1),
            (&was.0, &was.1),
            (&theirs.0, &theirs.1),
        );
        // What is sent next is on screen too (the fields are read-only
        // while sending), as in the setlist view.
        form.bpm.try_set(next.0.clone());
        form.notes.try_set(next.1.clone());
        typed = next;
        let overtaken = overtaken_said(
            SOMEONE_ELSE,
            tempo_overtaken.then_some(theirs.0.as_str()),
            notes_overtaken.then_some(theirs.1.as_str()),
        );
        form.loaded.try_set(theirs);
        if let Some(said) = overtaken {
            return Err(stop(said, false, true));
        }
    }
}

/// How many times a drummer's Save is sent again after a 409.
const RESENDS: u32 = 2;

/// A third 409 in a row: said, not chased further.
const KEEPS_CHANGING: &str = "Someone else keeps saving this song. What you typed is kept, not saved: Save again in a moment.";

/// A failed save or read of one song, in words: a song deleted meanwhile
/// (404) is said as such, not as the server's "no such resource".
fn said_of(failure: &ApiFailure) -> String {
    if failure.status == 404 {
        "This song is no longer in the library: someone deleted it meanwhile. What you typed is still here, not saved.".into()
    } else {
        failure.describe()
    }
}

/// Whether a save was refused because someone deleted the song meanwhile.
/// (A change made meanwhile is a 409 with the song's `current_version`,
/// merged before this is asked.)
fn deleted_meanwhile(failure: &ApiFailure) -> bool {
    failure.status == 404
}

/// The form's fields as text, in `FIELD_NAMES` order.
fn form_fields(song: &LibrarySongInput) -> [String; 7] {
    [
        song.title.clone(),
        song.artist.clone(),
        song.key.clone(),
        tempo_text(song.bpm),
        length_field(song.duration_secs),
        song.tags.join(", "),
        song.notes.clone(),
    ]
}

const FIELD_NAMES: [&str; 7] = ["Title", "Artist", "Key", "BPM", "Length", "Tags", "Notes"];
/// The same fields as the validation and the server name them.
const FIELD_KEYS: [&str; 7] = [
    "title",
    "artist",
    "key",
    "bpm",
    "duration_secs",
    "tags",
    "notes",
];
const BPM: usize = 3;
const LENGTH: usize = 4;

/// Where a field named by the validation or a 422 is in the form.
fn field_place(field: &str) -> Option<usize> {
    FIELD_KEYS.iter().position(|key| *key == field)
}

/// The element id of the form's field at `place`.
fn field_id(place: usize) -> String {
    format!("library-{}", FIELD_KEYS[place])
}

/// A three-way merge after a 409: each field nobody here changed since
/// `loaded` takes `theirs`; a field both changed (differently) keeps what
/// is `typed`, and is named in the answer with their value, which the form
/// no longer shows.
fn merge_fields(
    typed: &[String; 7],
    loaded: &[String; 7],
    theirs: &[String; 7],
) -> ([String; 7], Vec<String>) {
    let mut both = Vec::new();
    let merged = std::array::from_fn(|at| {
        three_way(&loaded[at], &typed[at], &theirs[at])
            .unwrap_or_else(|| {
                both.push(match theirs[at].as_str() {
                    "" => format!("{} (theirs is empty)", FIELD_NAMES[at]),
                    value => format!("{} (theirs: “{value}”)", FIELD_NAMES[at]),
                });
                &typed[at]
            })
            .to_string()
    });
    (merged, both)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ImportRow;

    fn song(title: &str, key: &str, notes: &str) -> [String; 7] {
        form_fields(&LibrarySongInput {
            title: title.into(),
            key: key.into(),
            notes: notes.into(),
            ..LibrarySongInput::default()
        })
    }

    #[test]
    fn their_change_comes_in_where_nothing_was_typed_and_a_field_both_changed_is_named() {
        let loaded = song("Creep", "", "");
        let typed = song("Creep", "G", "mine");
        let theirs = song("Creep (live)", "", "theirs");
        let (merged, both) = merge_fields(&typed, &loaded, &theirs);
        assert_eq!(merged, song("Creep (live)", "G", "mine"));
        assert_eq!(both, ["Notes (theirs: “theirs”)"]);
    }

    #[test]
    fn a_preview_and_an_import_are_summed_up_in_one_sentence() {
        let row = |outcome| ImportRow {
            line: 2,
            title: "Creep".into(),
            artist: String::new(),
            outcome,
            errors: Default::default(),
        };
        let mut report = ImportReport {
            dry_run: true,
            created: 0,
            rows: vec![
                row(ImportOutcome::New),
                row(ImportOutcome::Invalid),
                row(ImportOutcome::New),
            ],
        };
        assert_eq!(
            import_summary(&report),
            "Preview: 2 songs to add, 0 already in the library, 1 not imported."
        );
        report.dry_run = false;
        report.created = 1;
        assert_eq!(import_summary(&report), "Imported 1 song.");
    }

    #[test]
    fn the_address_holds_the_search_and_tag_that_are_set() {
        assert_eq!(search_address("", ""), "/songs");
        assert_eq!(search_address("r&b ballad", ""), "/songs?q=r%26b%20ballad");
        assert_eq!(search_address("", "encore"), "/songs?tag=encore");
        assert_eq!(search_address("x", "slow=1"), "/songs?q=x&tag=slow%3D1");
    }

    #[test]
    fn a_search_finds_any_case_within_a_tag() {
        let song = |title: &str, tags: &[&str]| LibrarySong {
            title: title.into(),
            tags: tags.iter().map(|tag| tag.to_string()).collect(),
            ..LibrarySong::default()
        };
        let list = [
            song("Creep", &["ballad"]),
            song("Crazy", &[]),
            song("Karma Police", &["ballad"]),
        ];
        let titles = |search, tag: &str| -> Vec<&str> {
            let wanted = Wanted::new(search, tag.to_string());
            // As the server searches (`GET /api/songs?q=&tag=`).
            let found: Vec<&str> = list
                .iter()
                .filter(|song| song.matches(&wanted.needle, wanted.tag.as_deref()))
                .map(|song| song.title.as_str())
                .collect();
            // The page's rows, whose text is folded once, find the same.
            let rows: Vec<Findable> = list.iter().cloned().map(Findable::new).collect();
            let found_rows = rows.iter().filter(|row| row.found(&wanted));
            let titles: Vec<&str> = found_rows.map(|row| row.song.title.as_str()).collect();
            assert_eq!(titles, found);
            found
        };
        assert_eq!(titles(" CR ", ""), ["Creep", "Crazy"]);
        assert_eq!(titles("cr", "ballad"), ["Creep"]);
        assert_eq!(
            count_line(titles("", "ballad").len(), list.len()),
            "2 of 3 songs"
        );
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let loaded = song("Creep", "", "");
        let (merged, both) =
            merge_fields(&song("Creep", "G", ""), &loaded, &song("Creep", "G", ""));
        assert_eq!(merged, song("Creep", "G", ""));
        assert!(both.is_empty());
    }

    #[test]
    fn every_field_the_validation_refuses_has_its_place_in_the_form() {
        use crate::api::validation::{ARTIST_MAX, KEY_MAX, NOTES_MAX, TAGS_MAX};
        let wrong_everywhere = LibrarySongInput {
            title: String::new(),
            artist: "a".repeat(ARTIST_MAX + 1),
            key: "k".repeat(KEY_MAX + 1),
            bpm: Some(0),
            duration_secs: -1,
            tags: (0..=TAGS_MAX).map(|tag| tag.to_string()).collect(),
            notes: "n".repeat(NOTES_MAX + 1),
            version: None,
        };
        let places: Vec<_> = validate_library_song(&wrong_everywhere)
            .keys()
            .map(|field| field_place(field).unwrap_or_else(|| panic!("{field} has no place")))
            .collect();
        assert_eq!(places.len(), FIELD_KEYS.len());
        assert_eq!(field_id(BPM), "library-bpm");
        assert_eq!(field_id(LENGTH), "library-duration_secs");
    }
}

/// A repertoire from a spreadsheet: preview first (nothing is written, every
/// row says what would happen), then import the good rows.
#[component]
fn CsvImport(imported: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = use_session();
    let csv = RwSignal::new(String::new());
    let report = RwSignal::new(None::<ImportReport>);
    let error = RwSignal::new(None::<String>);
    let sending = InFlight::default();
    // Text pasted or read in and not imported yet is work a Reload would lose.
    let imported_text = RwSignal::new(String::new());
    UnsavedWork::track(Memo::new(move |_| {
        csv.with(|text| !text.trim().is_empty() && imported_text.with(|done| done != text))
    }));
    // A preview or a refusal is about the text it was given: a new file or
    // an edit puts both away.
    Effect::watch(
        move || csv.track(),
        move |_, _, _| {
            report.set(None);
            error.set(None);
        },
        false,
    );
    let send = move |dry_run: bool| {
        error.set(None);
        let body = SongImport {
            csv: csv.get_untracked(),
            dry_run,
        };
        sending.run(async move {
            let answer = client::call::<ImportReport, _>(
                session,
                Method::Post,
                "/api/songs/import",
                Some(&body),
            )
            .await;
            // `None`: the page itself is gone by now, and nobody to tell.
            let Some(text_kept) = csv.try_with_untracked(|now| *now == body.csv) else {
                return;
            };
            // A file read that ended meanwhile put other text in the box: a
            // preview of the text sent would be about nothing on screen.
            if dry_run && !text_kept {
                error.set(Some(PREVIEW_OVERTAKEN.into()));
                return;
            }
            match answer {
                Ok(answer) => {
                    if !dry_run {
                        imported_text.set(body.csv);
                        imported();
                        // Import takes itself away with the preview.
                        refocus(IMPORT_PREVIEW.into());
                    }
                    report.set(Some(answer));
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };
    let new_rows = move || {
        report.with(|report| {
            report
                .as_ref()
                .map_or(0, |r| r.rows_that(ImportOutcome::New))
        })
    };
    view! {
        <section class="card" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import from CSV"</h2>
            <p class="muted">"The first row names the columns: title (needed), artist, key, bpm, length (m:ss), tags, notes. Songs already in the library are left as they are."</p>
            <ErrorNotice message=error/>
            // The text stays as sent until its answer is in: an answer is
            // about the text it was given, and Import sends what is here.
            <label>"CSV file"
                <input type="file" accept=".csv,text/csv" on:change=move |ev| read_file(ev, csv, error)
                    disabled=move || sending.busy()/>
            </label>
            <label>"CSV text"
                <textarea rows="5" bind:value=csv prop:readOnly=move || sending.busy()></textarea>
            </label>
            <p>
                <button type="button" class="secondary" id=IMPORT_PREVIEW on:click=move |_| send(true)
                    disabled=move || csv.with(|text| text.trim().is_empty())>"Preview"</button>
            </p>
            // The outcome and the Import button above the rows: a phone
            // would scroll past thousands of them to reach it. The outcome's
            // region is always there, so a screen reader hears each one.
            <div role="status">
                {move || report.with(|report| report.as_ref().map(|report| view! { <p>{import_summary(report)}</p> }))}
            </div>
            {move || report.get().map(|report| view! {
                {report.dry_run.then(|| view! {
                    <p>
                        <button type="button" on:click=move |_| send(false) disabled=move || new_rows() == 0 || sending.busy()>
                            {move || format!("Import {}", counted(new_rows(), "new song"))}
                        </button>
                    </p>
                })}
                <ImportTable report/>
            })}
        </section>
    }
}

/// A preview dropped because a file came into the box while it was on its way.
const PREVIEW_OVERTAKEN: &str = "A file came in while the preview was on its way: that preview was of the text before it. Press Preview again for this one.";

/// What a preview or an import came to, in one sentence.
fn import_summary(report: &ImportReport) -> String {
    if !report.dry_run {
        return format!(
            "Imported {}.",
            songs_count(usize::try_from(report.created).unwrap_or_default())
        );
    }
    format!(
        "Preview: {} to add, {} already in the library, {} not imported.",
        songs_count(report.rows_that(ImportOutcome::New)),
        report.rows_that(ImportOutcome::Existing),
        report.rows_that(ImportOutcome::Invalid),
    )
}

#[component]
fn ImportTable(report: ImportReport) -> impl IntoView {
    view! {
        <table class="stacked" data-testid="import-preview">
            <thead>
                <tr><th scope="col">"Line"</th><th scope="col">"Title"</th><th scope="col">"Artist"</th><th scope="col">"Result"</th></tr>
            </thead>
            <tbody>
                {report.rows.into_iter().map(|row| {
                    let result = match row.outcome {
                        ImportOutcome::New if report.dry_run => "Will be added".to_string(),
                        ImportOutcome::New => "Added".to_string(),
                        ImportOutcome::Existing => "Already in the library".to_string(),
                        ImportOutcome::Invalid => {
                            let problems: Vec<String> = row.errors.iter().map(|(column, problem)| format!("{column} {problem}")).collect();
                            format!("Not imported: {}", problems.join("; "))
                        }
                    };
                    let class = if row.outcome == ImportOutcome::Invalid { "error" } else { "" };
                    view! {
                        <tr class=class>
                            <td data-label="Line">{row.line}</td><td data-label="Title">{row.title}</td>
                            <td data-label="Artist">{row.artist}</td><td data-label="Result">{result}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The library as a CSV file: fetched with the access token (the export is
/// not public), then handed to the browser as a download.
#[component]
fn ExportCsv() -> impl IntoView {
    let session = use_session();
    let link = NodeRef::<leptos::html::A>::new();
    let error = RwSignal::new(None::<String>);
    let export = move |_| {
        leptos::task::spawn_local(async move {
            match client::get_text(session, "/api/songs/export").await {
                Ok(file) => {
                    if let Some(link) = link.get_untracked() {
                        link.set_href(&format!(
                            "data:text/csv;charset=utf-8,{}",
                            percent_encode(&file)
                        ));
                        link.click();
                    }
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Export"</h2>
            <ErrorNotice message=error/>
            <button type="button" class="secondary" on:click=export>"Export the library as CSV"</button>
            <a node_ref=link download="songs.csv" hidden></a>
        </section>
    }
}

/// Every tag of the library, once, in order.
fn all_tags(songs: &[LibrarySong]) -> Vec<String> {
    let mut tags: Vec<String> = songs
        .iter()
        .flat_map(|song| song.tags.iter().cloned())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Puts a chosen file's text in the import box, or says why not in `error`.
fn read_file(ev: leptos::ev::Event, csv: RwSignal<String>, error: RwSignal<Option<String>>) {
    #[cfg(feature = "hydrate")]
    {
        let input: leptos::web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // Emptied, so that the same file chosen again (saved anew) is read again.
        input.set_value("");
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            let Some(text) = text.ok().and_then(|text| text.as_string()) else {
                return;
            };
            // `try_`: a large file may still be read when the page has gone.
            let refused = not_utf8(&text);
            error.try_set(refused.then(|| format!("“{}”{NOT_UTF8}", file.name())));
            if !refused {
                csv.try_set(text);
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, csv, error);
}

/// A file read as UTF-8 that was not (Excel's plain "CSV" is Windows-1252,
/// or it was no text at all) has U+FFFD where its bytes made no sense:
/// imported, "Soñando" would be stored as "So�ando".
#[cfg(feature = "hydrate")]
fn not_utf8(text: &str) -> bool {
    text.contains(char::REPLACEMENT_CHARACTER)
}

#[cfg(feature = "hydrate")]
const NOT_UTF8: &str = " is not UTF-8 text: its accented letters would come out as �. In Excel, save it as “CSV UTF-8 (comma delimited)”, then choose it again.";
