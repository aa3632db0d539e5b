//! One setlist: the manager's editor, or the drummer's read-only view with an
//! inline tempo and notes editor.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::{
    api::{
        Setlist, SetlistInput, Song, SongInput, SongPatch,
        client::{self, ApiFailure, Method},
        validation::{FieldErrors, field_label, validate_setlist},
    },
    components::{
        ErrorNotice, LoadFailure, RequireAuth, minutes_seconds, parse_minutes_seconds, show_length,
        songs_count,
    },
    session::{Session, use_session},
};

#[component]
pub fn SetlistPage() -> impl IntoView {
    view! {
        <RequireAuth>
            <SetlistLoader/>
        </RequireAuth>
    }
}

#[component]
fn SetlistLoader() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id")).unwrap_or_default();
    let setlist = LocalResource::new(move || {
        let id = id();
        async move {
            if id == "new" {
                Ok(None)
            } else {
                client::get::<Setlist>(session, &format!("/api/setlists/{id}"))
                    .await
                    .map(Some)
            }
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the setlist…"</p> }>
            {move || setlist.get().map(|result| match result {
                Err(failure) => view! {
                    <section class="card">
                        <LoadFailure failure/>
                        <a href="/setlists">"Back to the list"</a>
                    </section>
                }.into_any(),
                Ok(existing) if session.is_manager() => view! { <Editor existing/> }.into_any(),
                Ok(Some(setlist)) => view! { <DrummerView setlist/> }.into_any(),
                Ok(None) => view! {
                    <p class="error" role="alert">"Only managers can create setlists."</p>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// One song being edited; every field is its own signal.
#[derive(Clone, Copy)]
struct SongDraft {
    /// Stable key for the list while songs move around.
    uid: u64,
    id: RwSignal<Option<String>>,
    title: RwSignal<String>,
    artist: RwSignal<String>,
    length: RwSignal<String>,
    bpm: RwSignal<String>,
    key: RwSignal<String>,
    notes: RwSignal<String>,
}

impl SongDraft {
    fn new(uid: u64, song: Option<&Song>) -> SongDraft {
        SongDraft {
            uid,
            id: RwSignal::new(song.map(|s| s.id.clone())),
            title: RwSignal::new(song.map(|s| s.title.clone()).unwrap_or_default()),
            artist: RwSignal::new(song.map(|s| s.artist.clone()).unwrap_or_default()),
            length: RwSignal::new(song.map_or("3:00".into(), |s| minutes_seconds(s.duration_secs))),
            bpm: RwSignal::new(
                song.and_then(|s| s.bpm)
                    .map(|b| b.to_string())
                    .unwrap_or_default(),
            ),
            key: RwSignal::new(song.map(|s| s.key.clone()).unwrap_or_default()),
            notes: RwSignal::new(song.map(|s| s.notes.clone()).unwrap_or_default()),
        }
    }

    fn seconds(&self) -> Option<i64> {
        parse_minutes_seconds(&self.length.get())
    }

    fn to_input(self, position: usize, errors: &mut FieldErrors) -> SongInput {
        let duration_secs = self.seconds().unwrap_or_else(|| {
            errors.insert(
                format!("songs[{position}].duration_secs"),
                "must look like 3:45".into(),
            );
            0
        });
        let bpm_text = self.bpm.get();
        let bpm = match bpm_text.trim() {
            "" => None,
            text => text.parse().map(Some).unwrap_or_else(|_| {
                errors.insert(
                    format!("songs[{position}].bpm"),
                    "must be a whole number".into(),
                );
                None
            }),
        };
        SongInput {
            id: self.id.get(),
            title: self.title.get(),
            artist: self.artist.get(),
            duration_secs,
            bpm,
            key: self.key.get(),
            notes: self.notes.get(),
        }
    }
}

/// The manager's editor; `existing` is `None` for a new setlist.
#[component]
fn Editor(existing: Option<Setlist>) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let next_uid = StoredValue::new(0u64);
    let new_draft = move |song: Option<&Song>| {
        let uid = next_uid.get_value();
        next_uid.set_value(uid + 1);
        SongDraft::new(uid, song)
    };

    let id = RwSignal::new(existing.as_ref().map(|s| s.id.clone()));
    let version = RwSignal::new(existing.as_ref().map(|s| s.version));
    // The heading shows the name as saved, not as being typed.
    let saved_name = RwSignal::new(String::from("New setlist"));
    let name = RwSignal::new(String::new());
    let venue = RwSignal::new(String::new());
    let show_date = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let songs = RwSignal::new(Vec::<SongDraft>::new());
    let load = move |setlist: &Setlist| {
        saved_name.set(setlist.name.clone());
        version.set(Some(setlist.version));
        name.set(setlist.name.clone());
        venue.set(setlist.venue.clone());
        show_date.set(setlist.show_date.clone());
        notes.set(setlist.notes.clone());
        songs.set(setlist.songs.iter().map(|s| new_draft(Some(s))).collect());
    };
    if let Some(setlist) = &existing {
        load(setlist);
    }

    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    let conflict = RwSignal::new(None::<i64>);
    let busy = RwSignal::new(false);
    let confirm_delete = RwSignal::new(false);

    let total = move || songs.with(|list| list.iter().filter_map(SongDraft::seconds).sum::<i64>());
    let move_song = move |uid: u64, delta: isize| {
        songs.update(|list| {
            if let Some(from) = list.iter().position(|s| s.uid == uid) {
                let to = from as isize + delta;
                if (0..list.len() as isize).contains(&to) {
                    list.swap(from, to as usize);
                }
            }
        })
    };

    let input = move || -> Result<SetlistInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let song_inputs = songs
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, s)| s.to_input(i, &mut errors))
            .collect();
        let input = SetlistInput {
            name: name.get(),
            venue: venue.get(),
            show_date: show_date.get(),
            notes: notes.get(),
            version: version.get(),
            songs: song_inputs,
        };
        errors.extend(validate_setlist(&input));
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    };

    let save_navigate = navigate.clone();
    let save = move || {
        let navigate = save_navigate.clone();
        error.set(None);
        saved.set(None);
        let input = match input() {
            Ok(input) => input,
            Err(fields) => {
                error.set(Some(describe_fields(&fields)));
                return;
            }
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result: Result<Setlist, ApiFailure> = match id.get_untracked() {
                None => client::call(session, Method::Post, "/api/setlists", Some(&input)).await,
                Some(id) => {
                    client::call(
                        session,
                        Method::Put,
                        &format!("/api/setlists/{id}"),
                        Some(&input),
                    )
                    .await
                }
            };
            busy.set(false);
            match result {
                Ok(setlist) => {
                    conflict.set(None);
                    if id.get_untracked().is_none() {
                        navigate(&format!("/setlists/{}", setlist.id), Default::default());
                    } else {
                        load(&setlist);
                        saved.set(Some(format!("Saved (version {}).", setlist.version)));
                    }
                }
                Err(failure) if failure.code == "version_conflict" => {
                    conflict.set(failure.current_version)
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };

    let reload = move |_| {
        let Some(current_id) = id.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match client::get::<Setlist>(session, &format!("/api/setlists/{current_id}")).await {
                Ok(setlist) => {
                    load(&setlist);
                    conflict.set(None);
                    saved.set(Some(
                        "Loaded the latest version; your edits were discarded.".into(),
                    ));
                }
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };
    let overwrite_save = save.clone();
    let overwrite = move |_| {
        if let Some(current) = conflict.get_untracked() {
            version.set(Some(current));
            overwrite_save();
        }
    };
    let delete_navigate = navigate.clone();
    let delete = Callback::new(move |()| {
        let Some(current_id) = id.get_untracked() else {
            return;
        };
        let navigate = delete_navigate.clone();
        leptos::task::spawn_local(async move {
            let path = format!("/api/setlists/{current_id}");
            match client::call::<(), ()>(session, Method::Delete, &path, None).await {
                Ok(()) => navigate("/setlists", Default::default()),
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    });
    let submit_save = save.clone();

    view! {
        <section class="card">
            <p><a href="/setlists">"← Back to the list"</a></p>
            <h1>{move || saved_name.get()}</h1>
            // novalidate: the app's own checks run and are announced (role=alert).
            <form novalidate on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); submit_save(); }>
                <div class="row">
                    <div>
                        <label for="setlist-name">"Name"</label>
                        <input id="setlist-name" required maxlength="120" bind:value=name/>
                    </div>
                    <div>
                        <label for="setlist-venue">"Venue"</label>
                        <input id="setlist-venue" maxlength="120" bind:value=venue/>
                    </div>
                    <div>
                        <label for="setlist-date">"Show date"</label>
                        <input id="setlist-date" type="date" required bind:value=show_date/>
                    </div>
                </div>
                <label for="setlist-notes">"Notes"</label>
                <textarea id="setlist-notes" maxlength="2000" bind:value=notes></textarea>

                <h2>"Songs"</h2>
                <p data-testid="total-duration">
                    {move || format!("{} · total {} ({})", songs_count(songs.with(Vec::len)), minutes_seconds(total()), show_length(total()))}
                </p>
                <Show when=move || songs.with(Vec::is_empty)>
                    <p class="notice">"No songs yet: add the opener."</p>
                </Show>
                <ol class="songs">
                    <For each=move || songs.get() key=|song| song.uid let:song>
                        <SongEditor
                            song
                            number=Signal::derive(move || songs.with(|list| list.iter().position(|s| s.uid == song.uid).map_or(0, |i| i + 1)))
                            move_song
                            remove=move |uid| songs.update(|list| list.retain(|s| s.uid != uid))
                        />
                    </For>
                </ol>
                <p>
                    <button type="button" class="secondary" on:click=move |_| songs.update(|list| list.push(new_draft(None)))>
                        "Add song"
                    </button>
                </p>

                <ErrorNotice message=error/>
                <Show when=move || conflict.get().is_some()>
                    <div class="notice" role="alert">
                        <p>
                            "Someone else changed this setlist while you were editing (it is now at version "
                            {move || conflict.get().unwrap_or_default()}
                            "). Your edits are still here."
                        </p>
                        <button type="button" class="secondary" on:click=reload>"Reload their version"</button>
                        " "
                        <button type="button" on:click=overwrite.clone()>"Save mine over theirs"</button>
                    </div>
                </Show>
                <p role="status">{move || saved.get()}</p>
                <div class="row centered">
                    <p>
                        <button type="submit" disabled=move || busy.get()>
                            {move || if busy.get() { "Saving…" } else { "Save setlist" }}
                        </button>
                    </p>
                    <Show when=move || id.get().is_some()>
                        <p class="end">
                            <Show
                                when=move || confirm_delete.get()
                                fallback=move || view! {
                                    <button type="button" class="danger" on:click=move |_| confirm_delete.set(true)>"Delete setlist"</button>
                                }
                            >
                                <span>"Delete this setlist for good? "</span>
                                <button type="button" class="danger" on:click=move |_| delete.run(())>"Yes, delete"</button>
                                " "
                                <button type="button" class="secondary" on:click=move |_| confirm_delete.set(false)>"Cancel"</button>
                            </Show>
                        </p>
                    </Show>
                </div>
            </form>
        </section>
    }
}

/// One song of the editor, a group named by its place and title ("Song 2:
/// Everlong"), so that its fields can be told apart from the other songs'.
#[component]
fn SongEditor(
    song: SongDraft,
    /// 1-based place in the running order.
    number: Signal<usize>,
    move_song: impl Fn(u64, isize) + Copy + Send + Sync + 'static,
    remove: impl Fn(u64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let field = move |name: &str| format!("song-{}-{name}", song.uid);
    // Buttons say which song they act on; an untitled one by its place.
    let title = move || match song.title.get() {
        t if t.trim().is_empty() => format!("song {}", number.get()),
        t => t,
    };
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
        <li data-testid="song">
            <fieldset>
                <legend class="visually-hidden">
                    {move || match song.title.get() {
                        t if t.trim().is_empty() => format!("Song {}", number.get()),
                        t => format!("Song {}: {t}", number.get()),
                    }}
                </legend>
                <div class="row">
                    <div>
                        <label for=field("title")>"Title"</label>
                        <input id=field("title") required maxlength="200" bind:value=song.title/>
                    </div>
                    <div>
                        <label for=field("artist")>"Artist"</label>
                        <input id=field("artist") maxlength="200" bind:value=song.artist/>
                    </div>
                </div>
                <div class="row">
                    <div>
                        <label for=field("length")>"Length (m:ss)"</label>
                        <input id=field("length") inputmode="numeric" bind:value=song.length/>
                    </div>
                    <div>
                        <label for=field("bpm")>"BPM"</label>
                        <input id=field("bpm") inputmode="numeric" bind:value=song.bpm/>
                    </div>
                    <div>
                        <label for=field("key")>"Key"</label>
                        <input id=field("key") maxlength="16" bind:value=song.key/>
                    </div>
                </div>
                <label for=field("notes")>"Song notes"</label>
                <textarea id=field("notes") maxlength="2000" bind:value=song.notes></textarea>
                <p>
                    <button type="button" class="secondary icon" aria-label=move || format!("Move {} up", title())
                        on:click=move |ev| move_and_keep_focus(ev, -1)>"↑"</button>
                    " "
                    <button type="button" class="secondary icon" aria-label=move || format!("Move {} down", title())
                        on:click=move |ev| move_and_keep_focus(ev, 1)>"↓"</button>
                    " "
                    <button type="button" class="secondary" aria-label=move || format!("Remove {}", title())
                        on:click=move |_| remove(song.uid)>"Remove"</button>
                </p>
            </fieldset>
        </li>
    }
}

/// What a drummer sees: the running order, and the tempo and notes to set.
#[component]
fn DrummerView(setlist: Setlist) -> impl IntoView {
    let session = use_session();
    let total: i64 = setlist.songs.iter().map(|s| s.duration_secs).sum();
    let setlist_id = setlist.id.clone();
    view! {
        <section class="card">
            <p><a href="/setlists">"← Back to the list"</a></p>
            <h1>{setlist.name.clone()}</h1>
            <p class="muted">{format!("{} · {}", setlist.venue, setlist.show_date)}</p>
            {(!setlist.notes.is_empty()).then(|| view! {
                <p class="multiline">{setlist.notes.clone()}</p>
            })}
            <p data-testid="total-duration">
                {format!("{} · total {} ({})", songs_count(setlist.songs.len()), minutes_seconds(total), show_length(total))}
            </p>
            <ol class="songs">
                {setlist.songs.into_iter().map(|song| view! {
                    <TempoEditor session setlist_id=setlist_id.clone() song/>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn TempoEditor(session: Session, setlist_id: String, song: Song) -> impl IntoView {
    let bpm = RwSignal::new(song.bpm.map(|b| b.to_string()).unwrap_or_default());
    let notes = RwSignal::new(song.notes.clone());
    let status = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let path = format!("/api/setlists/{setlist_id}/songs/{}", song.id);
    let uid = song.id.clone();
    let title = song.title.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        status.set(None);
        let bpm_value = match bpm.get_untracked().trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    error.set(Some(
                        "The tempo must be a whole number of beats per minute.".into(),
                    ));
                    return;
                }
            },
        };
        let patch = SongPatch {
            bpm: Some(bpm_value),
            notes: Some(notes.get_untracked()),
            version: None,
        };
        let path = path.clone();
        leptos::task::spawn_local(async move {
            match client::call::<Setlist, _>(session, Method::Patch, &path, Some(&patch)).await {
                Ok(_) => status.set(Some("Saved.".into())),
                Err(failure) => error.set(Some(failure.describe())),
            }
        });
    };
    view! {
        <li data-testid="song">
            <div>
                <strong>{song.title.clone()}</strong>
                <span class="muted">
                    {
                        let length = minutes_seconds(song.duration_secs);
                        let details = [song.artist.as_str(), length.as_str(), song.key.as_str()];
                        let details: Vec<&str> = details.into_iter().filter(|d| !d.is_empty()).collect();
                        format!(" {}", details.join(" · "))
                    }
                </span>
                <form class="row" novalidate aria-label=title.clone() on:submit=save>
                    <div>
                        <label for=format!("bpm-{uid}")>"Tempo (BPM)"</label>
                        <input id=format!("bpm-{uid}") inputmode="numeric" bind:value=bpm/>
                    </div>
                    <div class="wide">
                        <label for=format!("notes-{uid}")>"Drummer's notes"</label>
                        <input id=format!("notes-{uid}") maxlength="2000" bind:value=notes/>
                    </div>
                    <div class="fit">
                        <button type="submit" aria-label=format!("Save tempo and notes for {title}")>"Save"</button>
                    </div>
                </form>
                <ErrorNotice message=error/>
                <p role="status" class="muted">{move || status.get()}</p>
            </div>
        </li>
    }
}

fn describe_fields(fields: &FieldErrors) -> String {
    let mut text = String::from("Please fix these before saving:");
    for (field, problem) in fields {
        text.push_str(&format!("\n• {} {problem}", field_label(field)));
    }
    text
}
