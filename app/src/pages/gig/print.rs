//! The sheet for the stage floor: large type, numbered songs with key and
//! tempo, no app chrome when printed (a PDF is the browser's "Save as PDF"),
//! and the same as plain text for the band's group chat.

use leptos::prelude::*;

use super::{Show, notes, song_notes, use_show, with_show};
use crate::{
    api::{SetOfSongs, Setlist, Song, validation::on_one_line},
    components::{minutes_seconds, show_date_long, show_length},
};

#[component]
pub fn PrintPage() -> impl IntoView {
    let (show, _) = use_show();
    with_show(show, "Print", |show| view! { <Sheet show/> }.into_any())
}

#[component]
fn Sheet(show: Show) -> impl IntoView {
    let as_of = show.kept.then(|| show.as_of());
    let setlist = show.setlist;
    let text = plain_text(&setlist);
    let copied = RwSignal::new(None::<&'static str>);
    let text_details = NodeRef::<leptos::html::Details>::new();
    let text_box = NodeRef::<leptos::html::Textarea>::new();
    let copy_text = StoredValue::new(text.clone());
    let copy = move |_| {
        let copying = copy_text.with_value(|text| copy_to_clipboard(text));
        // `try_`: the page may have gone while the browser answered.
        leptos::task::spawn_local(async move {
            if copying.await {
                copied.try_set(Some("Copied."));
                return;
            }
            // Refused (no permission, the page not focused, no clipboard on
            // plain http): the text itself, open and selected, to copy by hand.
            copied.try_set(Some(
                "The browser did not take it: the text is below, selected. Copy it from there.",
            ));
            if let (Some(details), Some(text_box)) = (
                text_details.try_get_untracked().flatten(),
                text_box.try_get_untracked().flatten(),
            ) {
                details.set_open(true);
                let _ = text_box.focus();
                text_box.select();
            }
        });
    };
    let total = sheet_total(&setlist.songs);
    view! {
        <section class="sheet" data-testid="sheet">
            <div class="no-print row centered">
                <p><a href=format!("/setlists/{}", setlist.id)>"← Back to the setlist"</a></p>
                <p class="fit">
                    <button type="button" on:click=|_| print_page()>"Print"</button>
                    " "
                    <button type="button" class="secondary" on:click=copy>"Copy as text"</button>
                </p>
                <p role="status" class="muted">{move || copied.get()}</p>
            </div>
            <h1>{setlist.name.clone()}</h1>
            <p class="sheet-when">
                {[setlist.venue.clone(), show_date_long(&setlist.show_date)].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" · ")}
                {as_of.map(|as_of| format!(" (offline, {as_of})"))}
            </p>
            {notes("", &setlist.notes)}
            // Numbers run on through the sets; a show of one set has no set heading.
            {numbered_sets(&setlist).into_iter().map(|(first_number, set)| view! {
                {(setlist.sets.len() > 1).then(|| view! { <h2 class="sheet-set">{set.name.clone()}</h2> })}
                <ol class="sheet-songs" start=first_number>
                    {set.songs.iter().map(|song| view! {
                        <li data-testid="sheet-song">
                            // The space keeps a screen reader from reading the title into its key.
                            <span class="sheet-title">{song.title.clone()}</span>" "
                            <span class="sheet-details">{song_details(song.key.as_str(), song.bpm, song.duration_secs)}</span>
                            {song_notes(song)}
                        </li>
                    }).collect_view()}
                </ol>
            }).collect_view()}
            <p class="sheet-total">{total}</p>
            <details class="no-print" node_ref=text_details>
                <summary>"Plain text"</summary>
                <label for="sheet-text">"The setlist as text, for the group chat"</label>
                <textarea id="sheet-text" readonly rows="12" node_ref=text_box>{text}</textarea>
            </details>
        </section>
    }
}

fn song_details(key: &str, bpm: Option<i64>, duration_secs: i64) -> String {
    let mut parts = Vec::new();
    if !key.is_empty() {
        parts.push(key.to_string());
    }
    if let Some(bpm) = bpm {
        parts.push(format!("{bpm} BPM"));
    }
    if duration_secs > 0 {
        parts.push(minutes_seconds(duration_secs));
    }
    parts.join(" · ")
}

/// "Friday at the Roxy — The Roxy, Friday 4 December 2026", then one line per song.
fn plain_text(setlist: &Setlist) -> String {
    let mut text = setlist.name.clone();
    let when: Vec<String> = [setlist.venue.clone(), show_date_long(&setlist.show_date)]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    if !when.is_empty() {
        text.push_str(&format!(" — {}", when.join(", ")));
    }
    text.push('\n');
    push_note(&mut text, "", "", &setlist.notes);
    for (first_number, set) in numbered_sets(setlist) {
        if setlist.sets.len() > 1 {
            text.push_str(&format!("\n{}\n", set.name));
        }
        for (number, song) in (first_number..).zip(&set.songs) {
            let details = song_details(&song.key, song.bpm, song.duration_secs);
            // One line a song, whatever the API stored as its title.
            let title = on_one_line(&song.title);
            // A song with no facts yet is its title alone, not "Title ()".
            match details.as_str() {
                "" => text.push_str(&format!("{number}. {title}\n")),
                details => text.push_str(&format!("{number}. {title} ({details})\n")),
            }
            // As on the sheet: the song's notes, then the drummer's.
            push_note(&mut text, "   ", "", &song.notes);
            push_note(&mut text, "   ", "Drummer: ", &song.drummer_notes);
        }
    }
    text.push_str(&sheet_total(&setlist.songs));
    text.push('\n');
    text
}

/// A note on lines of its own, each `indent`ed, `who` wrote it; nothing
/// when blank.
fn push_note(text: &mut String, indent: &str, who: &str, note: &str) {
    if note.trim().is_empty() {
        return;
    }
    for (i, line) in note.trim().lines().enumerate() {
        let who = if i == 0 { who } else { "" };
        text.push_str(&format!("{indent}{who}{line}\n"));
    }
}

/// "Total 20:35 (21 min) + 1 untimed": a song without a length is said, not
/// counted as nothing.
fn sheet_total(songs: &[Song]) -> String {
    let total: i64 = songs.iter().map(|s| s.duration_secs).sum();
    let untimed = songs.iter().filter(|s| s.duration_secs == 0).count();
    let mut text = format!("Total {} ({})", minutes_seconds(total), show_length(total));
    if untimed > 0 {
        text.push_str(&format!(" + {untimed} untimed"));
    }
    text
}

/// Each set with the number of its first song (counted from 1 through the show).
fn numbered_sets(setlist: &Setlist) -> Vec<(usize, &SetOfSongs)> {
    let mut next = 1;
    setlist
        .sets
        .iter()
        .map(|set| {
            let first = next;
            next += set.songs.len();
            (first, set)
        })
        .collect()
}

fn print_page() {
    let _ = window().print();
}

/// Starts copying `text` (`navigator.clipboard.writeText`) in the click's
/// own turn: a browser may refuse a write started later, outside the
/// gesture. The future says whether the browser took it (its promise
/// fulfilled): it is refused without the permission or with the page not
/// focused, and on plain http there is no clipboard at all.
fn copy_to_clipboard(text: &str) -> impl Future<Output = bool> + use<> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::{JsCast, JsValue};
        let clipboard =
            js_sys::Reflect::get(&window().navigator(), &JsValue::from_str("clipboard"))
                .ok()
                .filter(|c| !c.is_undefined());
        let write = clipboard.as_ref().and_then(|c| {
            js_sys::Reflect::get(c, &JsValue::from_str("writeText"))
                .ok()?
                .dyn_into::<js_sys::Function>()
                .ok()
        });
        let written = match (clipboard, write) {
            (Some(clipboard), Some(write)) => {
                write.call1(&clipboard, &JsValue::from_str(text)).ok()
            }
            _ => None,
        };
        let promise = written.and_then(|promise| promise.dyn_into::<js_sys::Promise>().ok());
        async move {
            match promise {
                Some(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.is_ok(),
                None => false,
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        std::future::ready(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_text_has_every_song_in_order_with_its_details() {
        let song = |title: &str, key: &str, bpm| Song {
            id: title.into(),
            title: title.into(),
            artist: String::new(),
            duration_secs: 250,
            bpm,
            key: key.into(),
            notes: String::new(),
            drummer_notes: String::new(),
            library_id: None,
        };
        let songs = vec![
            song("Everlong", "D", Some(158)),
            song("My Hero", "", None),
            Song {
                duration_secs: 0,
                ..song("Encore Anthem", "", None)
            },
        ];
        let setlist = Setlist {
            id: "s".into(),
            name: "Friday at the Roxy".into(),
            venue: "The Roxy".into(),
            show_date: "2026-12-04".into(),
            notes: String::new(),
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
            songs: songs.clone(),
            sets: vec![SetOfSongs {
                name: "Set 1".into(),
                songs,
                slot_secs: None,
            }],
        };
        assert_eq!(
            plain_text(&setlist),
            "Friday at the Roxy — The Roxy, Friday 4 December 2026\n\
             1. Everlong (D · 158 BPM · 4:10)\n\
             2. My Hero (4:10)\n\
             3. Encore Anthem\n\
             Total 8:20 (8 min) + 1 untimed\n"
        );
        let two_sets = Setlist {
            sets: vec![
                SetOfSongs {
                    name: "Set 1".into(),
                    songs: vec![song("Everlong", "D", Some(158))],
                    slot_secs: None,
                },
                SetOfSongs {
                    name: "Encore".into(),
                    songs: vec![song("My Hero", "", None)],
                    slot_secs: None,
                },
            ],
            ..setlist
        };
        assert!(
            plain_text(&two_sets)
                .contains("\nSet 1\n1. Everlong (D · 158 BPM · 4:10)\n\nEncore\n2. My Hero"),
            "{}",
            plain_text(&two_sets)
        );
    }

    #[test]
    fn the_plain_text_carries_the_shows_and_the_songs_notes() {
        let song = Song {
            title: "Ever\nlong".into(),
            notes: "Long intro\nwatch Max".into(),
            drummer_notes: "Count in 4".into(),
            ..Song::default()
        };
        let setlist = Setlist {
            name: "Friday".into(),
            notes: "Load in 18:00".into(),
            songs: vec![song.clone()],
            sets: vec![SetOfSongs {
                name: "Set 1".into(),
                songs: vec![song],
                slot_secs: None,
            }],
            ..Setlist::default()
        };
        assert_eq!(
            plain_text(&setlist),
            "Friday\nLoad in 18:00\n\
             1. Ever long\n   Long intro\n   watch Max\n   Drummer: Count in 4\n\
             Total 0:00 (0 min) + 1 untimed\n"
        );
    }

    #[test]
    fn the_total_says_how_many_songs_have_no_length() {
        let song = |duration_secs| Song {
            duration_secs,
            ..Song::default()
        };
        assert_eq!(
            sheet_total(&[song(250), song(0)]),
            "Total 4:10 (4 min) + 1 untimed"
        );
        assert_eq!(sheet_total(&[song(3600)]), "Total 60:00 (1 h 00 min)");
    }
}
