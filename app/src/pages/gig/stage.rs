//! Stage mode: the current song in type that fills a phone held sideways,
//! its key and tempo, the next song; forward and back by tap, swipe, arrow
//! keys, Page Up/Down or a Bluetooth foot pedal (which sends those keys). A
//! dot pulses at the song's tempo for the count-in; a click can be switched
//! on. The screen is kept awake, the app's chrome is hidden, and leaving is
//! one deliberate tap on "Exit stage mode".

use leptos::prelude::*;

use super::{Show, song_notes, use_show, with_show};
use crate::{api::SetOfSongs, components::length_field};

/// The set of each song in the running order ("Set 1", "Encore"); none for
/// a show of one set, which has no breaks to tell of.
fn set_of_each_song(sets: &[SetOfSongs]) -> Vec<String> {
    if sets.len() < 2 {
        return Vec::new();
    }
    let each = sets.iter();
    each.flat_map(|set| set.songs.iter().map(|_| set.name.clone()))
        .collect()
}

/// Sets `offline` when the browser loses the network (the signal went in the
/// middle of the set: the band should know the copy may be out of date), and
/// clears it when the network is back (the show is read again then).
fn follow_the_signal(offline: RwSignal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        if !window().navigator().on_line() {
            offline.set(true);
        }
        let gone = window_event_listener(leptos::ev::offline, move |_| offline.set(true));
        let back = window_event_listener(leptos::ev::online, move |_| offline.set(false));
        on_cleanup(move || {
            gone.remove();
            back.remove();
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = offline;
}

/// A horizontal move longer than this is a swipe, not a tap.
const SWIPE_PX: i32 = 50;

#[component]
pub fn StagePage() -> impl IntoView {
    let (show, deleted_by) = use_show();
    // The place in the show and the Click outlive a re-read (a change made
    // meanwhile, the network coming back).
    let at = RwSignal::new(0usize);
    let click_on = RwSignal::new(false);
    with_show(show, "Stage", move |show| {
        view! { <Stage show at click_on deleted_by/> }.into_any()
    })
}

#[component]
fn Stage(
    show: Show,
    at: RwSignal<usize>,
    click_on: RwSignal<bool>,
    deleted_by: RwSignal<Option<String>>,
) -> impl IntoView {
    // A kept copy says so until a fresh one replaces it.
    let (from_kept_copy, as_of) = (show.kept, format!("Offline, {}", show.as_of()));
    let offline = RwSignal::new(false);
    follow_the_signal(offline);
    let setlist = show.setlist;
    let count = setlist.songs.len();
    // Back to the song that was on stage before a reload, wherever it now is.
    let kept =
        place::kept(&setlist.id).and_then(|song| setlist.songs.iter().position(|s| s.id == song));
    let sets = StoredValue::new(set_of_each_song(&setlist.sets));
    let songs = StoredValue::new(setlist.songs);
    at.update(|i| *i = kept.unwrap_or(*i).min(count.saturating_sub(1)));
    let step = move |delta: isize| {
        at.update(|i| {
            *i = (*i as isize + delta).clamp(0, count.saturating_sub(1) as isize) as usize
        })
    };

    // Keys, and the foot pedals that send them.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        // Space on a focused control is the control's own (the Click box).
        if ev.key() == " " && on_a_control(&ev) {
            return;
        }
        let delta = match ev.key().as_str() {
            "ArrowRight" | "ArrowDown" | "PageDown" | " " => 1,
            "ArrowLeft" | "ArrowUp" | "PageUp" => -1,
            _ => return,
        };
        ev.prevent_default();
        step(delta);
    });
    on_cleanup(move || keys.remove());

    // A swipe left goes forward; a tap goes forward, or back on the left third.
    let touch_x = StoredValue::new(None::<i32>);
    let swiped = StoredValue::new(false);
    let on_touch_start = move |ev: leptos::ev::TouchEvent| {
        touch_x.set_value(touch_x_of(&ev));
        swiped.set_value(false);
    };
    let on_touch_end = move |ev: leptos::ev::TouchEvent| {
        let (Some(start), Some(end)) = (touch_x.get_value(), touch_x_of(&ev)) else {
            return;
        };
        if (end - start).abs() > SWIPE_PX {
            swiped.set_value(true);
            step(if end < start { 1 } else { -1 });
        }
    };
    let on_tap = move |ev: leptos::ev::MouseEvent| {
        if swiped.get_value() {
            swiped.set_value(false);
            return;
        }
        let width = window()
            .inner_width()
            .ok()
            .and_then(|w| w.as_f64())
            .unwrap_or(1.0);
        step(if (ev.client_x() as f64) < width / 3.0 {
            -1
        } else {
            1
        });
    };

    let wake = keep_awake();
    on_cleanup(move || wake.release());
    let metronome = Metronome::new();

    let song = move |offset: usize| songs.with_value(|s| s.get(at.get() + offset).cloned());
    let bpm = move || song(0).and_then(|s| s.bpm);
    Effect::new(move |_| metronome.follow(if click_on.get() { bpm() } else { None }));
    on_cleanup(move || metronome.follow(None));

    let id = setlist.id.clone();
    let setlist_id = id.clone();
    Effect::new(move |_| {
        if let Some(current) = song(0) {
            place::keep(&setlist_id, &current.id);
        }
    });
    view! {
        <section class="stage" data-testid="stage">
            <div class="stage-bar">
                <a class="stage-exit" href=format!("/setlists/{id}")>"Exit stage mode"</a>
                <label class="stage-click" on:click=let_go_after_a_tap>
                    <input type="checkbox" id="stage-click" bind:checked=click_on/>
                    " Click track"
                </label>
                {move || (from_kept_copy || offline.get()).then(|| view! {
                    <span class="stage-as-of" data-testid="as-of">{as_of.clone()}</span>
                })}
                <span class="stage-as-of" role="status">{move || deleted_by.get()}</span>
            </div>
            <div
                class="stage-area"
                role="region"
                aria-label="Current song: tap, swipe or use the arrow keys to move"
                aria-live="polite"
                on:click=on_tap
                on:touchstart=on_touch_start
                on:touchend=on_touch_end
            >
                {move || match song(0) {
                    None => view! { <p class="stage-title">"No songs in this show yet"</p> }.into_any(),
                    Some(current) => view! {
                        <p class="stage-place">{
                            let place = format!("Song {} of {count}", at.get() + 1);
                            match sets.with_value(|sets| sets.get(at.get()).cloned()) {
                                Some(set) => format!("{set} · {place}"),
                                None => place,
                            }
                        }</p>
                        // Sizes set through the CSSOM: the page's CSP refuses style attributes.
                        <h1 class="stage-title" style:font-size=title_size(&current.title) data-testid="stage-title">{current.title.clone()}</h1>
                        // The dots between the facts are the stylesheet's: a
                        // song with no key must not start with one.
                        <p class="stage-meta">
                            {(!current.key.is_empty()).then(|| view! {
                                <span class="stage-fact">{format!("Key {}", current.key)}</span>
                            })}
                            {current.bpm.map(|bpm| view! {
                                <span class="stage-fact">
                                    {format!("{bpm} BPM")}
                                    <span class="beat" data-testid="beat" aria-hidden="true"
                                        style:animation-duration=format!("{:.4}s", 60.0 / bpm as f64)></span>
                                </span>
                            })}
                            {(current.duration_secs > 0).then(|| view! {
                                <span class="stage-fact">{length_field(current.duration_secs)}</span>
                            })}
                        </p>
                        <div class="stage-notes">{song_notes(&current)}</div>
                    }.into_any(),
                }}
                <p class="stage-next" data-testid="stage-next">
                    {move || match song(1) {
                        // The break comes first: say which set the next song opens.
                        Some(next) => match sets.with_value(|sets| {
                            let (this, then) = (sets.get(at.get())?, sets.get(at.get() + 1)?);
                            (this != then).then(|| then.clone())
                        }) {
                            Some(set) => format!("Next, {set}: {}", next.title),
                            None => format!("Next: {}", next.title),
                        },
                        None if count > 0 => "Last song".to_string(),
                        None => String::new(),
                    }}
                </p>
            </div>
        </section>
    }
}

/// After a tap or a mouse click on the Click box, the focus leaves it: kept
/// there, a pedal's Space would toggle the Click instead of turning the page.
/// A click made with a key (Space on the focused box) has no `detail` (no
/// count of presses) and keeps the focus where the keyboard put it. After
/// the click's own steps: a tap on the label's text focuses the box last.
fn let_go_after_a_tap(ev: leptos::ev::MouseEvent) {
    use leptos::wasm_bindgen::JsCast;
    if ev.detail() == 0 {
        return;
    }
    set_timeout(
        || {
            let focused = document().active_element();
            let click_box = focused.filter(|element| element.id() == "stage-click");
            if let Some(element) =
                click_box.and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = element.blur();
            }
        },
        std::time::Duration::ZERO,
    );
}

/// Whether a key went to a control (a link, a button, a field, the Click box).
fn on_a_control(ev: &leptos::ev::KeyboardEvent) -> bool {
    use leptos::wasm_bindgen::JsCast;
    ev.target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .and_then(|element| element.closest("a, button, input, select, textarea").ok())
        .flatten()
        .is_some()
}

/// The song on stage, kept for this tab (session storage), so that a page
/// reloaded mid-gig comes back to it instead of to song 1.
mod place {
    fn key(setlist: &str) -> String {
        format!("backstage.stage.{setlist}")
    }

    #[cfg(feature = "hydrate")]
    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok().flatten()
    }

    /// The id of the song last on stage in `setlist`.
    pub fn kept(setlist: &str) -> Option<String> {
        #[cfg(feature = "hydrate")]
        return storage()?.get_item(&key(setlist)).ok().flatten();
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = key(setlist);
            None
        }
    }

    pub fn keep(setlist: &str, song: &str) {
        #[cfg(feature = "hydrate")]
        if let Some(storage) = storage() {
            // A full or refused storage only means a reload starts at song 1.
            let _ = storage.set_item(&key(setlist), song);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (key(setlist), song);
    }
}

/// Where the finger that started or ended `ev` is, across the screen.
fn touch_x_of(ev: &leptos::ev::TouchEvent) -> Option<i32> {
    #[cfg(feature = "hydrate")]
    return ev.changed_touches().get(0).map(|touch| touch.client_x());
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}

/// The title's type: as big as fits the screen's width and the 40 % of its
/// height the title may take, on as many lines (up to eight) as gives the
/// biggest type. Only CSS knows the screen's shape, so each number of lines
/// is one `min(width, height)` and CSS's `max()` picks the best of them.
/// The height is counted in `--title-vh`, a `vh` the stylesheet shrinks on a
/// short screen (a phone held sideways), where 40 % left no room for "Next".
fn title_size(title: &str) -> String {
    let choices: Vec<String> = title_size_choices(title)
        .map(|(vw, vh)| format!("min({vw:.1}vw, calc({vh:.1} * var(--title-vh)))"))
        .collect();
    format!("max({})", choices.join(", "))
}

/// For one to eight lines, the type size (in vw, in vh) that fits them: a
/// line holds the longest word (up to 16 characters; a longer one breaks)
/// or its share of the title, with a fifth to spare for uneven wrapping; a
/// character of this bold type is taken as 1/130 of the width per vw.
fn title_size_choices(title: &str) -> impl Iterator<Item = (f64, f64)> {
    let chars = widths(title).max(1.0);
    let longest_word = title
        .split_whitespace()
        .map(widths)
        .fold(0.0, f64::max)
        .clamp(4.0, 16.0);
    (1..=8u8).map(move |lines| {
        let lines = f64::from(lines);
        let share = if lines == 1.0 {
            chars
        } else {
            chars / lines * 1.2
        };
        (130.0 / longest_word.max(share), 40.0 / lines)
    })
}

/// A text's width in average characters: an `m` or a `w` is about one and a
/// half of them (with a wide fallback font, "number" broke into "numbe/r").
fn widths(text: &str) -> f64 {
    text.chars()
        .map(|c| {
            if matches!(c, 'm' | 'w' | 'M' | 'W') {
                1.4
            } else {
                1.0
            }
        })
        .sum()
}

/// The screen wake lock, where the browser has one.
#[derive(Clone, Copy)]
struct WakeLock {
    #[cfg(feature = "hydrate")]
    sentinel: StoredValue<Option<leptos::wasm_bindgen::JsValue>, LocalStorage>,
}

#[cfg(feature = "hydrate")]
fn keep_awake() -> WakeLock {
    use leptos::wasm_bindgen::JsCast;

    let lock = WakeLock {
        sentinel: StoredValue::new_local(None),
    };
    let navigator = window().navigator();
    let request = js::get(&navigator, "wakeLock").and_then(|wake_lock| {
        let request: js_sys::Function = js::get(&wake_lock, "request")?.dyn_into().ok()?;
        request
            .call1(&wake_lock, &"screen".into())
            .ok()?
            .dyn_into::<js_sys::Promise>()
            .ok()
    });
    if let Some(request) = request {
        leptos::task::spawn_local(async move {
            if let Ok(sentinel) = wasm_bindgen_futures::JsFuture::from(request).await {
                lock.sentinel.try_set_value(Some(sentinel));
            }
        });
    }
    lock
}

#[cfg(not(feature = "hydrate"))]
fn keep_awake() -> WakeLock {
    WakeLock {}
}

impl WakeLock {
    fn release(self) {
        #[cfg(feature = "hydrate")]
        if let Some(Some(sentinel)) = self.sentinel.try_get_value() {
            js::call(&sentinel, "release", &[]);
        }
    }
}

/// An audible click at a tempo (Web Audio), off unless switched on.
#[derive(Clone, Copy)]
struct Metronome {
    #[cfg(feature = "hydrate")]
    running: StoredValue<Option<(leptos::wasm_bindgen::JsValue, IntervalHandle)>, LocalStorage>,
}

impl Metronome {
    fn new() -> Metronome {
        Metronome {
            #[cfg(feature = "hydrate")]
            running: StoredValue::new_local(None),
        }
    }

    /// Clicks at `bpm`, or stops.
    fn follow(self, bpm: Option<i64>) {
        #[cfg(feature = "hydrate")]
        {
            if let Some(Some((context, timer))) = self.running.try_get_value() {
                timer.clear();
                js::call(&context, "close", &[]);
            }
            self.running.try_set_value(None);
            let Some(bpm) = bpm.filter(|b| *b > 0) else {
                return;
            };
            let Some(context) = js::construct("AudioContext") else {
                return;
            };
            let beat = context.clone();
            let period = std::time::Duration::from_secs_f64(60.0 / bpm as f64);
            if let Ok(timer) = set_interval_with_handle(move || js::blip(&beat), period) {
                self.running.try_set_value(Some((context, timer)));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (self, bpm);
    }
}

/// The few browser APIs stage mode calls that web-sys would need unstable
/// features for: reached through `Reflect`.
#[cfg(feature = "hydrate")]
mod js {
    use leptos::wasm_bindgen::{JsCast, JsValue};

    pub fn get(target: &JsValue, name: &str) -> Option<JsValue> {
        js_sys::Reflect::get(target, &name.into())
            .ok()
            .filter(|value| !value.is_undefined())
    }

    pub fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
        let function: js_sys::Function = get(target, method)?.dyn_into().ok()?;
        let args: js_sys::Array = args.iter().collect();
        function.apply(target, &args).ok()
    }

    pub fn construct(class: &str) -> Option<JsValue> {
        let class: js_sys::Function = get(&leptos::prelude::window(), class)?.dyn_into().ok()?;
        js_sys::Reflect::construct(&class, &js_sys::Array::new()).ok()
    }

    /// A 30 ms tick at 1 kHz.
    pub fn blip(context: &JsValue) {
        let (Some(oscillator), Some(now)) = (
            call(context, "createOscillator", &[]),
            get(context, "currentTime").and_then(|t| t.as_f64()),
        ) else {
            return;
        };
        if let Some(frequency) = get(&oscillator, "frequency") {
            let _ = js_sys::Reflect::set(&frequency, &"value".into(), &1000.into());
        }
        if let Some(destination) = get(context, "destination") {
            call(&oscillator, "connect", &[destination]);
        }
        call(&oscillator, "start", &[now.into()]);
        call(&oscillator, "stop", &[(now + 0.03).into()]);
    }
}

#[cfg(test)]
mod tests {
    use super::{set_of_each_song, title_size, title_size_choices};
    use crate::api::{SetOfSongs, Song};

    #[test]
    fn each_song_knows_its_set_when_there_are_breaks() {
        let song = |title: &str| Song {
            title: title.into(),
            ..Song::default()
        };
        let set = |name: &str, songs: Vec<Song>| SetOfSongs {
            name: name.into(),
            songs,
            slot_secs: None,
        };
        let mut sets = vec![
            set("Set 1", vec![song("A"), song("B")]),
            set("Encore", vec![song("C")]),
        ];
        assert_eq!(set_of_each_song(&sets), ["Set 1", "Set 1", "Encore"]);
        sets.truncate(1);
        assert!(set_of_each_song(&sets).is_empty());
    }

    /// The size in pixels the CSS gives on a `width` × `height` screen, with
    /// `--title-vh` as style/main.css sets it (0.75vh up to 500 px high).
    fn pixels(title: &str, width: f64, height: f64) -> f64 {
        let title_vh = if height <= 500.0 { 0.75 } else { 1.0 } * height / 100.0;
        title_size_choices(title)
            .map(|(vw, vh)| (vw * width / 100.0).min(vh * title_vh))
            .fold(0.0, f64::max)
    }

    #[test]
    fn a_title_gets_the_biggest_type_that_fits_on_up_to_eight_lines() {
        assert!(
            title_size("Everlong").starts_with("max(min(16.2vw, calc(40.0 * var(--title-vh))), ")
        );
        // Sideways on a phone a short title stops at the 30 % of the height
        // it may take there, leaving room for the key, the tempo, the notes
        // and what is next (40 % on a taller screen).
        assert!((pixels("Short", 844.0, 390.0) - 117.0).abs() < 0.01);
        assert!((pixels("Short", 1280.0, 800.0) - 320.0).abs() < 0.01);
        // "Everlong" fills a phone's width without running past it.
        assert!((58.0..60.0).contains(&pixels("Everlong", 360.0, 740.0)));
        // 33 characters: four lines of big type in portrait, not one of 9 px.
        assert!(pixels("Everybody Wants to Rule the World", 360.0, 740.0) > 45.0);
        // "number" in a wide bold font (DejaVu Sans Bold: 4.35 em) stays whole
        // on a phone, inside the stage's 3vw margins.
        assert!(pixels("Song number 1", 390.0, 844.0) * 4.35 < 390.0 * 0.94);
        // A very long title is still readable from a drum stool.
        let long = "The Extraordinarily Long-Named Song That Goes On and On About \
                    Nothing In Particular At All Really, Yes Truly, Long Indeed";
        assert!(pixels(long, 360.0, 740.0) > 20.0);
        // Sideways, with 30 % of the height for the title: about 24 px.
        assert!(pixels(long, 844.0, 390.0) > 23.0);
    }
}
