//! The running order: one line per song (number, title, key, tempo, length)
//! with its full form opening on demand, and songs moved within and between
//! sets by dragging their handle (mouse, pen or finger) or by keyboard alone:
//! Space picks a song up, the arrow keys move it, Space drops it and Escape
//! puts it back. Every move is said through the live region.

use leptos::{
    ev,
    prelude::*,
    wasm_bindgen::JsCast,
    web_sys::{Element, KeyboardEvent, PointerEvent},
};

use super::{
    order::{self, Slot},
    state::{EditorState, SetBreaks},
};
use crate::{
    components::refocus,
    live::Live,
    pages::setlist::song_editor::{SongDraft, SongEditor},
};

/// Where a dragged song would land, drawn as a line on a row's edge.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Marker {
    Before(u64),
    After(u64),
}

/// The moving of songs, shared by every line of the running order.
#[derive(Clone, Copy)]
pub(super) struct Reorder {
    state: EditorState,
    live: Live,
    /// The song picked up by keyboard, and the running order (song uids and
    /// set breaks) it started from: Escape puts that back.
    picked: RwSignal<Option<(u64, Vec<u64>, SetBreaks)>>,
    /// The song dragged by a pointer, and where it would land.
    dragging: RwSignal<Option<u64>>,
    landing: RwSignal<Option<(Slot, Option<Marker>)>>,
    /// The window's pointer listeners while a drag lasts.
    listeners: StoredValue<Vec<WindowListenerHandle>>,
    /// The window's key listener, for as long as the editor is open.
    keys: StoredValue<Option<WindowListenerHandle>>,
}

impl Reorder {
    pub(super) fn new(state: EditorState, live: Live) -> Reorder {
        let reorder = Reorder {
            state,
            live,
            picked: RwSignal::new(None),
            dragging: RwSignal::new(None),
            landing: RwSignal::new(None),
            listeners: StoredValue::new(Vec::new()),
            keys: StoredValue::new(None),
        };
        // Keys are heard on the window, not on the handle: moving a row
        // re-inserts it and the focus falls to the page for a moment, and a
        // key pressed then must still move the song.
        let keys = window_event_listener(ev::keydown, move |event| reorder.key(&event));
        reorder.keys.set_value(Some(keys));
        on_cleanup(move || {
            reorder.stop_listening();
            reorder
                .keys
                .try_update_value(|keys| keys.take().map(WindowListenerHandle::remove));
        });
        reorder
    }

    /// Whether song `uid` is being moved (tracked).
    fn is_moving(&self, uid: u64) -> bool {
        self.dragging.get() == Some(uid)
            || self
                .picked
                .with(|p| p.as_ref().is_some_and(|(song, ..)| *song == uid))
    }

    fn marker(&self) -> Option<Marker> {
        self.landing
            .with(|landing| landing.and_then(|(_, marker)| marker))
    }

    /// Says where song `uid` now stands: "Moved “Everlong”: 4 of 12, first
    /// in Encore." followed by `then`.
    pub(super) fn say_where(&self, uid: u64, what: &str, then: &str) {
        let title = self.state.songs.with_untracked(|songs| {
            songs
                .iter()
                .find(|song| song.uid == uid)
                .map(|song| untrack(|| song.data().label()))
        });
        let Some(title) = title else { return };
        let place = self.state.place_of(uid);
        self.live
            .announce(format!("{what} {title}: {place}.{then}"));
    }

    /// A key pressed anywhere: on a handle, Space or Enter picks its song
    /// up; while a song is picked up, the arrows, Space, Enter and Escape are
    /// for it, on its handle or on the page (where the focus falls while its
    /// row moves). A key in any other control ends the pick and is its own.
    fn key(&self, event: &KeyboardEvent) {
        let target = event.target().and_then(|t| t.dyn_into::<Element>().ok());
        let on_handle = target
            .as_ref()
            .and_then(|element| element.get_attribute("data-reorder"))
            .and_then(|uid| uid.parse::<u64>().ok());
        let on_page = target.is_none_or(|element| element.tag_name() == "BODY");
        let picked = self
            .picked
            .with_untracked(|p| p.as_ref().map(|(song, ..)| *song));
        let key = event.key();
        // A held key repeats: Space held down must not pick up and drop in turn.
        if event.repeat() && matches!(key.as_str(), " " | "Enter") {
            if on_handle.is_some() {
                event.prevent_default();
            }
            return;
        }
        let handled = match picked {
            None => match (on_handle, key.as_str()) {
                (Some(uid), " " | "Enter") => {
                    self.pick(uid);
                    Some(uid)
                }
                _ => None,
            },
            Some(uid) if on_handle.is_some() || on_page => {
                match key.as_str() {
                    " " | "Enter" => self.drop_picked(uid),
                    "ArrowUp" | "ArrowDown" => self.step(uid, key == "ArrowDown"),
                    "Escape" => self.put_back(uid),
                    _ => return,
                }
                Some(uid)
            }
            Some(uid) => {
                if key == "Escape" {
                    self.put_back(uid);
                } else {
                    self.drop_picked(uid);
                }
                None
            }
        };
        if let Some(uid) = handled {
            event.prevent_default();
            // A move re-inserts the row, which drops the focus: give it back,
            // unless it went somewhere else meanwhile (the next handle, say).
            refocus(handle_id(uid));
        }
    }

    /// A click on song `uid`'s handle (a screen reader in browse mode sends
    /// one for Enter): picks it up, or drops it when it is the one picked up.
    fn click(&self, uid: u64) {
        let picked = self
            .picked
            .with_untracked(|p| p.as_ref().map(|(song, ..)| *song));
        if let Some(song) = picked {
            self.drop_picked(song);
        }
        if picked != Some(uid) {
            self.pick(uid);
        }
    }

    fn pick(&self, uid: u64) {
        let order = self
            .state
            .songs
            .with_untracked(|songs| songs.iter().map(|song| song.uid).collect());
        self.picked
            .set(Some((uid, order, self.state.sets.get_untracked())));
        self.say_where(
            uid,
            "Picked up",
            " The up and down arrows move it, Space drops it, Escape puts it back.",
        );
    }

    fn step(&self, uid: u64, down: bool) {
        let (rest, Some(from)) = order::without(&self.state.set_uids(), uid) else {
            return;
        };
        match order::step(&rest, from, down) {
            Some(to) => {
                let emptied = self.state.move_to(uid, to);
                self.say_where(uid, "Moved", &set_gone(emptied));
            }
            None => self.say_where(uid, "Cannot move further:", ""),
        }
    }

    fn drop_picked(&self, uid: u64) {
        self.picked.set(None);
        self.say_where(uid, "Dropped", "");
    }

    /// Puts the running order back as it was when `uid` was picked up. Only
    /// the order and the breaks: a song added meanwhile (a live change) stays,
    /// after the others, and a song removed meanwhile stays removed.
    fn put_back(&self, uid: u64) {
        let Some((_, order, breaks)) = self.picked.get_untracked() else {
            return;
        };
        self.picked.set(None);
        let place = |uid: u64| order.iter().position(|o| *o == uid).unwrap_or(usize::MAX);
        self.state
            .songs
            .update(|songs| songs.sort_by_key(|song| place(song.uid)));
        let present = self
            .state
            .songs
            .with_untracked(|songs| songs.iter().map(|song| song.uid).collect::<Vec<_>>());
        self.state.sets.set(SetBreaks {
            later: (breaks.later.into_iter())
                .filter(|(opener, _)| present.contains(opener))
                .collect(),
            ..breaks
        });
        self.say_where(uid, "Put back", "");
    }

    /// The main button pressed on song `uid`'s handle: follows the pointer
    /// through the whole window until it is let go.
    fn start_drag(&self, uid: u64, event: &PointerEvent) {
        if event.button() != 0 {
            return;
        }
        // No text selection and, with the handle's touch-action, no scrolling.
        event.prevent_default();
        self.stop_listening();
        self.dragging.set(Some(uid));
        let this = *self;
        self.listeners.set_value(vec![
            window_event_listener(ev::pointermove, move |event| this.drag_over(&event)),
            window_event_listener(ev::pointerup, move |_| this.drop_dragged()),
            window_event_listener(ev::pointercancel, move |_| this.end_drag()),
        ]);
        self.drag_over(event);
    }

    fn drag_over(&self, event: &PointerEvent) {
        let Some(uid) = self.dragging.get_untracked() else {
            return;
        };
        // Let go where the window did not see it (another window took the
        // pointer): the drag ends there, and a later click moves nothing.
        if event.buttons() == 0 {
            return self.end_drag();
        }
        let y = f64::from(event.client_y());
        let (rest, _) = order::without(&self.state.set_uids(), uid);
        let landing = Some(landing(&rest, y));
        if self.landing.get_untracked() != landing {
            self.landing.set(landing);
        }
        // Near the window's edge the page scrolls, so that a long show can
        // be crossed in one drag.
        let height = window()
            .inner_height()
            .ok()
            .and_then(|h| h.as_f64())
            .unwrap_or(0.0);
        let edge = 48.0;
        if y < edge {
            window().scroll_by_with_x_and_y(0.0, -16.0);
        } else if y > height - edge {
            window().scroll_by_with_x_and_y(0.0, 16.0);
        }
    }

    fn drop_dragged(&self) {
        let (dragged, landing) = (self.dragging.get_untracked(), self.landing.get_untracked());
        self.end_drag();
        let (Some(uid), Some((to, _))) = (dragged, landing) else {
            return;
        };
        let (_, from) = order::without(&self.state.set_uids(), uid);
        if from != Some(to) {
            let emptied = self.state.move_to(uid, to);
            self.say_where(uid, "Moved", &set_gone(emptied));
        }
    }

    fn end_drag(&self) {
        self.stop_listening();
        self.dragging.set(None);
        self.landing.set(None);
    }

    fn stop_listening(&self) {
        self.listeners.try_update_value(|listeners| {
            listeners.drain(..).for_each(WindowListenerHandle::remove)
        });
    }
}

fn row_id(uid: u64) -> String {
    format!("song-row-{uid}")
}

/// " Set 2 had no songs left, and went." when a move emptied a set.
fn set_gone(emptied: Option<String>) -> String {
    emptied
        .map(|name| format!(" {name} had no songs left, and went."))
        .unwrap_or_default()
}

pub(super) fn handle_id(uid: u64) -> String {
    format!("song-{uid}-handle")
}

/// Where a song dropped at height `y` (in the window) lands among `rest`,
/// the show without it, and the line that shows it. Above the middle of a
/// row is before it; above the middle of a set's heading is the end of the
/// set before.
fn landing(rest: &[Vec<u64>], y: f64) -> (Slot, Option<Marker>) {
    let middle = |id: &str| {
        document().get_element_by_id(id).map(|element| {
            let rect = element.get_bounding_client_rect();
            rect.top() + rect.height() / 2.0
        })
    };
    let end_of = |set: usize| {
        let songs = &rest[set];
        let slot = Slot {
            set,
            place: songs.len(),
        };
        (slot, songs.last().copied().map(Marker::After))
    };
    for (set, songs) in rest.iter().enumerate() {
        if set > 0 && middle(&format!("set-{set}-name")).is_some_and(|m| y < m) {
            return end_of(set - 1);
        }
        for (place, uid) in songs.iter().enumerate() {
            if middle(&row_id(*uid)).is_some_and(|m| y < m) {
                return (Slot { set, place }, Some(Marker::Before(*uid)));
            }
        }
    }
    match rest.len() {
        0 => (Slot { set: 0, place: 0 }, None),
        sets => end_of(sets - 1),
    }
}

/// The instructions every handle points to (`aria-describedby`), shown to
/// everyone above the running order.
#[component]
pub(super) fn ReorderHelp() -> impl IntoView {
    view! {
        <p id="reorder-help" class="muted">
            "Drag a song by its handle ⠿ to move it, also into another set. By keyboard: Space on the handle picks the song up, the up and down arrows move it, Space drops it, Escape puts it back."
        </p>
    }
}

/// One line of the running order, and the song's full form when opened.
#[component]
pub(super) fn SongRow(
    song: SongDraft,
    reorder: Reorder,
    /// 1-based place in the running order.
    number: Signal<usize>,
    move_song: impl Fn(u64, isize) + Copy + Send + Sync + 'static,
    remove: impl Fn(u64) + Copy + Send + Sync + 'static,
    /// Whether the song opens a set (other than the first).
    opens_set: Signal<bool>,
    start_set: impl Fn(u64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let uid = song.uid;
    // Buttons say which song they act on; an untitled one by its place.
    let title = move || song.named(number.get());
    let form_id = format!("song-{uid}-form");
    let open = song.open;
    view! {
        <li id=row_id(uid) data-testid="song"
            class:moving=move || reorder.is_moving(uid)
            class:drop-before=move || reorder.marker() == Some(Marker::Before(uid))
            class:drop-after=move || reorder.marker() == Some(Marker::After(uid))>
            <div>
                <div class="song-line">
                    <button type="button" class="secondary icon handle" id=handle_id(uid)
                        data-reorder=uid.to_string()
                        aria-label=move || format!("Reorder {}", title())
                        aria-describedby="reorder-help"
                        on:pointerdown=move |event| reorder.start_drag(uid, &event)
                        on:click=move |_| reorder.click(uid)>"⠿"</button>
                    <p class="song-summary">
                        <span class="song-title" data-testid="song-title">{move || match song.title() {
                            t if t.trim().is_empty() => "Untitled".to_string(),
                            t => t,
                        }}</span>
                        " "
                        <span class="song-facts">{move || song.facts()}</span>
                    </p>
                    <button type="button" class="secondary"
                        aria-expanded=move || open.get().to_string()
                        aria-controls=form_id.clone()
                        aria-label=move || format!("{} {}", if open.get() { "Close" } else { "Edit" }, title())
                        on:click=move |_| open.update(|open| *open = !*open)>
                        {move || if open.get() { "Close" } else { "Edit" }}
                    </button>
                </div>
                <div id=form_id>
                    <Show when=move || open.get()>
                        <SongEditor song number move_song remove opens_set start_set/>
                    </Show>
                </div>
            </div>
        </li>
    }
}
