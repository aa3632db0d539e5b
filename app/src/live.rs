//! The browser's end of `GET /api/events`: one stream while a member is
//! signed in, read with `fetch` so that the in-memory access token travels
//! in `Authorization` — `EventSource` cannot send headers, and a token in
//! the URL would land in logs and history.
//!
//! The stream ends when its token expires; the loop reconnects with the
//! refreshed token and `Last-Event-ID`, so nothing in between is missed. A
//! stream ended by a revoke (`session_ended`) tries one refresh: a revoked
//! signing key only needs a new token, a revoked member or session is
//! signed out, and the login page says why.
//!
//! The tabs of one browser share one stream (`shared`): over HTTP/1.1 a
//! browser opens at most six connections to a host, and with a stream per
//! tab the sixth tab had none left to load its page, and Save hung in all.
//!
//! Pages subscribe with [`Live::subscribe`]; a subscription ends with the
//! component that made it.

#[cfg(feature = "hydrate")]
use std::rc::Rc;

use leptos::prelude::*;

use crate::{
    api::{Presence, SetlistEvent},
    session::Session,
};

/// `text` to put where `said` is: the same words again would change nothing
/// on the page, and a screen reader speaks changes only, so a no-break
/// space tells them apart.
pub fn said_anew(said: Option<&str>, mut text: String) -> String {
    if said == Some(text.as_str()) {
        text.push('\u{a0}');
    }
    text
}

/// What a page hears.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveMessage {
    SetlistCreated(SetlistEvent),
    SetlistChanged(SetlistEvent),
    SongPatched(SetlistEvent),
    SetlistDeleted(SetlistEvent),
    Presence(Presence),
    /// Library songs were added, changed, deleted or imported: the event's
    /// data, a `ChangedBy` read by the library page (its reader stays in
    /// the page's chunk, out of the first load's wasm).
    LibraryChanged(String),
    /// A manager added or changed a member (managers hear it): a `ChangedBy`,
    /// read by the members page.
    MembersChanged(String),
    /// More was missed than the server keeps: re-read what is shown.
    Reload,
    /// The stream is open (again): a page showing a copy kept offline can
    /// read the server now, even where the browser never said it was offline.
    Connected,
}

/// A live message, as a page showing one setlist takes it.
pub enum ToSetlistPage {
    /// It changed (by whom; to which version), or may have: after a
    /// `Reload` nobody is named and no version is known, so it is read.
    Changed {
        by: Author,
        version: Option<i64>,
    },
    Deleted {
        by: Author,
    },
}

/// Who made a change, as the page's member hears of it.
#[derive(Clone, Debug, PartialEq)]
pub enum Author {
    /// Nobody is named: a re-read after missed events, or an event from a
    /// server that did not name authors yet.
    Unknown,
    /// The page's own member, on any of their devices. Known by id, never
    /// by name: a display name may be anything, "you" included.
    You,
    /// Another member: two may share a display name, so the id goes along.
    Member { id: String, name: String },
}

impl Author {
    /// The author an event names by `id` and display `name`; `is_me` tells
    /// the page's own member by id.
    pub fn new(id: &str, name: &str, is_me: impl Fn(&str) -> bool) -> Author {
        if is_me(id) {
            Author::You
        } else if name.is_empty() {
            Author::Unknown
        } else {
            Author::Member {
                id: id.to_owned(),
                name: name.to_owned(),
            }
        }
    }

    /// How a sentence starts with them: "You", "Mia", or `unnamed`.
    pub fn subject<'a>(&'a self, unnamed: &'a str) -> &'a str {
        match self {
            Author::Unknown => unnamed,
            Author::You => "You",
            Author::Member { name, .. } => name,
        }
    }
}

impl LiveMessage {
    /// The message of one server-sent event; `None` for control events.
    #[cfg(any(feature = "hydrate", test))]
    fn of(event: &SseEvent) -> Option<LiveMessage> {
        let setlist = || serde_json::from_str::<SetlistEvent>(&event.data).ok();
        Some(match event.name.as_str() {
            "setlist_created" => LiveMessage::SetlistCreated(setlist()?),
            "setlist_changed" => LiveMessage::SetlistChanged(setlist()?),
            "song_patched" => LiveMessage::SongPatched(setlist()?),
            "setlist_deleted" => LiveMessage::SetlistDeleted(setlist()?),
            "presence" => LiveMessage::Presence(serde_json::from_str(&event.data).ok()?),
            "library_changed" => LiveMessage::LibraryChanged(event.data.clone()),
            "members_changed" => LiveMessage::MembersChanged(event.data.clone()),
            "reload" => LiveMessage::Reload,
            "connected" => LiveMessage::Connected,
            _ => return None,
        })
    }

    /// What it says to a page that shows the setlist `id`, if anything;
    /// `is_me` tells the page's member by id.
    pub fn to_setlist_page(&self, id: &str, is_me: impl Fn(&str) -> bool) -> Option<ToSetlistPage> {
        let by = |event: &SetlistEvent| Author::new(&event.by_id, &event.by, &is_me);
        match self {
            // More was missed than the stream keeps: perhaps a change to it.
            LiveMessage::Reload => Some(ToSetlistPage::Changed {
                by: Author::Unknown,
                version: None,
            }),
            _ if self.setlist_id() != Some(id) => None,
            LiveMessage::SetlistChanged(event) | LiveMessage::SongPatched(event) => {
                Some(ToSetlistPage::Changed {
                    by: by(event),
                    version: event.version,
                })
            }
            LiveMessage::SetlistDeleted(event) => Some(ToSetlistPage::Deleted { by: by(event) }),
            _ => None,
        }
    }

    /// The setlist it is about, if any.
    pub fn setlist_id(&self) -> Option<&str> {
        match self {
            LiveMessage::SetlistCreated(e)
            | LiveMessage::SetlistChanged(e)
            | LiveMessage::SongPatched(e)
            | LiveMessage::SetlistDeleted(e) => Some(&e.id),
            LiveMessage::Presence(p) => Some(&p.setlist_id),
            LiveMessage::LibraryChanged(_)
            | LiveMessage::MembersChanged(_)
            | LiveMessage::Reload
            | LiveMessage::Connected => None,
        }
    }
}

#[cfg(feature = "hydrate")]
type Listener = Rc<dyn Fn(&LiveMessage)>;

/// The tab's live feed, provided as context; cheap to copy.
#[derive(Clone, Copy)]
pub struct Live {
    /// In the browser only. The server renders a page and never dispatches;
    /// and a value in local storage there would be dropped with the page's
    /// owner on whichever thread finishes the response, which panics when it
    /// is not the thread that rendered it (the HTML stream broke off).
    #[cfg(feature = "hydrate")]
    listeners: StoredValue<Vec<(u64, Listener)>, LocalStorage>,
    #[cfg(feature = "hydrate")]
    next_listener: StoredValue<u64>,
    /// The text of the polite live region that announces changes.
    announcement: RwSignal<String>,
}

impl Live {
    pub fn provide(session: Session) -> Live {
        let live = Live {
            #[cfg(feature = "hydrate")]
            listeners: StoredValue::new_local(Vec::new()),
            #[cfg(feature = "hydrate")]
            next_listener: StoredValue::new(0),
            announcement: RwSignal::new(String::new()),
        };
        provide_context(live);
        #[cfg(feature = "hydrate")]
        {
            let running = StoredValue::new(false);
            Effect::new(move |_| {
                if session.status() == crate::session::Status::SignedIn && !running.get_value() {
                    running.set_value(true);
                    leptos::task::spawn_local(async move {
                        shared::follow(session, live).await;
                        running.set_value(false);
                    });
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = session;
        live
    }

    /// Calls `listener` with every message until the calling component goes.
    pub fn subscribe(&self, listener: impl Fn(&LiveMessage) + 'static) {
        #[cfg(feature = "hydrate")]
        {
            let id = self.next_listener.get_value();
            self.next_listener.set_value(id + 1);
            self.listeners
                .update_value(|all| all.push((id, Rc::new(listener))));
            let listeners = self.listeners;
            on_cleanup(move || {
                listeners.try_update_value(|all| all.retain(|(other, _)| *other != id));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = listener;
    }

    /// Says `text` through the polite live region (never moving focus).
    pub fn announce(&self, text: impl Into<String>) {
        let text = text.into();
        self.announcement
            .update(|said| *said = said_anew(Some(said.as_str()), text));
    }

    pub fn announcement(&self) -> Signal<String> {
        self.announcement.into()
    }

    #[cfg(feature = "hydrate")]
    fn dispatch(&self, message: &LiveMessage) {
        // Copied out first: a listener may subscribe or leave meanwhile.
        let listeners: Vec<Listener> = self
            .listeners
            .with_value(|all| all.iter().map(|(_, l)| l.clone()).collect());
        for listener in listeners {
            listener(message);
        }
    }
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

#[cfg(any(feature = "hydrate", test))]
/// One server-sent event, as far as this app reads them.
#[derive(Clone, Debug, Default, PartialEq)]
struct SseEvent {
    name: String,
    id: Option<String>,
    data: String,
}

/// Cuts a `text/event-stream` body into events as its chunks arrive.
#[cfg(any(feature = "hydrate", test))]
#[derive(Default)]
struct SseParser {
    pending: Vec<u8>,
}

#[cfg(any(feature = "hydrate", test))]
impl SseParser {
    fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.pending.extend_from_slice(chunk);
        let mut events = Vec::new();
        // A block ends with a blank line; it is whole UTF-8 even when the
        // chunks split a character.
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
            let block: Vec<u8> = self.pending.drain(..end + 2).collect();
            let text = String::from_utf8_lossy(&block);
            let mut event = SseEvent::default();
            for line in text.lines() {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "event" => event.name = value.to_string(),
                    "id" => event.id = Some(value.to_string()),
                    "data" if event.data.is_empty() => event.data = value.to_string(),
                    "data" => {
                        event.data.push('\n');
                        event.data.push_str(value);
                    }
                    _ => {} // comments (keep-alives) and unknown fields
                }
            }
            if !event.name.is_empty() || !event.data.is_empty() {
                events.push(event);
            }
        }
        events
    }
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The id of the last event seen: where a reconnect resumes.
    static LAST_EVENT_ID: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "hydrate")]
mod stream {
    use std::time::Duration;

    use futures::future::{Either, select};
    use gloo_net::http::RequestBuilder;
    use gloo_timers::future::sleep;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{BroadcastChannel, ReadableStreamDefaultReader};

    use super::*;
    use crate::session::Status;

    /// Twice the server's keep-alive interval.
    const SILENCE_LIMIT: Duration = Duration::from_secs(35);

    /// How a stream ended, and so what to do next.
    enum Ended {
        /// The token ran out, the server is draining, or the network broke.
        Reconnect,
        /// The server refused the token (401) or ended the stream over it.
        Refused,
        /// Too many streams (429) or a server error: wait first.
        WaitFor(Duration),
    }

    /// Follows the stream for as long as the member is signed in, telling
    /// the browser's other tabs what it hears through `relay`.
    pub async fn follow(session: Session, live: Live, relay: Option<&BroadcastChannel>) {
        let mut failures = 0u32;
        // A hidden tab hands the shared stream over (`shared`).
        let handing_over = || relay.is_some() && document().hidden();
        while session.status_untracked() == Status::SignedIn && !handing_over() {
            let Ok(token) = session.access_token().await else {
                // No signal, or the server away: ever longer waits, up to
                // half a minute, spare a phone's battery at a gig.
                failures += 1;
                sleep(Duration::from_secs(2 * u64::from(failures.min(15)))).await;
                continue;
            };
            match read_once(&token, live, relay).await {
                Ended::Reconnect => failures = 0,
                Ended::Refused => {
                    if session.status_untracked() != Status::SignedIn || session.is_leaving() {
                        return; // the member's own "Log out"
                    }
                    // A new key needs only a new token; a revoked member or
                    // session cannot get one and is signed out.
                    match session.refresh_now().await {
                        Ok(_) => {}
                        Err(failure) if !failure.worth_repeating() => {
                            session.ended_elsewhere();
                            return;
                        }
                        Err(_) => sleep(Duration::from_secs(2)).await,
                    }
                }
                Ended::WaitFor(pause) => {
                    failures += 1;
                    sleep(pause.max(Duration::from_secs(failures.min(10) as u64))).await;
                }
            }
        }
    }

    async fn read_once(token: &str, live: Live, relay: Option<&BroadcastChannel>) -> Ended {
        let mut request = RequestBuilder::new("/api/events")
            .header("Authorization", &format!("Bearer {token}"))
            .header("Accept", "text/event-stream");
        if let Some(id) = LAST_EVENT_ID.with(|last| last.borrow().clone()) {
            request = request.header("Last-Event-ID", &id);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(_) => return Ended::WaitFor(Duration::from_secs(1)),
        };
        match response.status() {
            200 => {
                live.dispatch(&LiveMessage::Connected);
                shared::tell_others(relay, &SseEvent::connected());
            }
            401 => return Ended::Refused,
            status => {
                let seconds = response
                    .headers()
                    .get("retry-after")
                    .and_then(|value| value.parse().ok())
                    .unwrap_or(if status == 429 { 5 } else { 2 });
                return Ended::WaitFor(Duration::from_secs(seconds));
            }
        }
        let Some(body) = response.body() else {
            return Ended::WaitFor(Duration::from_secs(1));
        };
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        shared::reading(&reader);
        let mut parser = SseParser::default();
        loop {
            // The server says something at least every 15 s (a keep-alive):
            // silence for longer is a connection that died unnoticed (a phone
            // moving from Wi-Fi to cellular). Give it up and reconnect.
            let read = JsFuture::from(reader.read());
            let chunk = match select(read, Box::pin(sleep(SILENCE_LIMIT))).await {
                Either::Left((Ok(chunk), _)) => chunk,
                Either::Left((Err(_), _)) => return Ended::Reconnect,
                Either::Right(_) => {
                    let _ = reader.cancel();
                    return Ended::Reconnect;
                }
            };
            let done = js_sys::Reflect::get(&chunk, &JsValue::from_str("done"))
                .ok()
                .and_then(|d| d.as_bool())
                .unwrap_or(true);
            if done {
                return Ended::Reconnect;
            }
            let Ok(value) = js_sys::Reflect::get(&chunk, &JsValue::from_str("value")) else {
                return Ended::Reconnect;
            };
            let bytes = js_sys::Uint8Array::new(&value).to_vec();
            for event in parser.push(&bytes) {
                // The stream's own control events stay here: this tab acts
                // on them for the browser's one session.
                match event.name.as_str() {
                    "session_ended" => return Ended::Refused,
                    "token_expired" | "reconnect" => return Ended::Reconnect,
                    _ => {}
                }
                hear(live, &event);
                shared::tell_others(relay, &event);
            }
        }
    }

    /// Remembers where a reconnect resumes and hands `event` to the pages.
    pub fn hear(live: Live, event: &SseEvent) {
        if let Some(id) = &event.id {
            LAST_EVENT_ID.with(|last| {
                let mut last = last.borrow_mut();
                // Relays from two tabs can cross: never step back.
                let superseded = |last: &str| match (last.parse::<i64>(), id.parse::<i64>()) {
                    (Ok(last), Ok(new)) => new > last,
                    _ => true,
                };
                if last.as_deref().is_none_or(superseded) {
                    *last = Some(id.clone());
                }
            });
        }
        if let Some(message) = LiveMessage::of(event) {
            live.dispatch(&message);
        }
    }
}

/// One stream per browser, not per tab. The tab that holds the Web Lock
/// `backstage-live` follows the stream and relays every event on the
/// BroadcastChannel of the same name; the other tabs hear it there and wait
/// in the lock's queue. When the following tab closes or signs out, the lock
/// passes to the next, which resumes at the last event id it heard: nothing
/// is missed in between. Where the browser has no Web Locks (a page served
/// over plain http from another machine is no secure context), each tab
/// follows its own stream, as before.
#[cfg(feature = "hydrate")]
mod shared {
    use js_sys::{Array, Function, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue, closure::Closure};
    use wasm_bindgen_futures::{JsFuture, future_to_promise};
    use web_sys::{BroadcastChannel, MessageEvent};

    use super::*;
    use crate::session::Status;

    const NAME: &str = "backstage-live";
    /// A tab that opens asks where the stream is, so that if it takes the
    /// stream over before any event came, it resumes there, not at "now".
    const HELLO: &str = "hello";

    thread_local! {
        static LEADING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        static READING: std::cell::RefCell<Option<web_sys::ReadableStreamDefaultReader>> =
            const { std::cell::RefCell::new(None) };
        /// Woken when the tab is shown again.
        static SHOWN: std::cell::RefCell<Option<futures::channel::oneshot::Sender<()>>> =
            const { std::cell::RefCell::new(None) };
    }

    /// Follows the stream, or hears another tab follow it, until signed out.
    /// A tab that is hidden lets the stream go to a tab that is shown: a
    /// phone suspends a background tab, which would keep the lock with its
    /// stream gone, and starve the tab in front.
    pub async fn follow(session: Session, live: Live) {
        let Some(channel) = BroadcastChannel::new(NAME).ok() else {
            return stream::follow(session, live, None).await;
        };
        let answer = channel.clone();
        let heard = Closure::<dyn Fn(MessageEvent)>::new(move |message: MessageEvent| {
            let data = message.data();
            if data.as_string().as_deref() == Some(HELLO) {
                if LEADING.get() {
                    tell_others(Some(&answer), &SseEvent::resume_point());
                }
            } else if let Some(event) = SseEvent::relayed(&data)
                && session.status_untracked() == Status::SignedIn
            {
                stream::hear(live, &event);
            }
        });
        channel.set_onmessage(Some(heard.as_ref().unchecked_ref()));
        let _ = channel.post_message(&JsValue::from_str(HELLO));
        let seen = Closure::<dyn Fn()>::new(|| {
            if !document().hidden() {
                SHOWN.take().map(|shown| shown.send(()));
            } else if LEADING.get() {
                READING.with_borrow(|reader| reader.as_ref().map(|r| r.cancel()));
            }
        });
        let _ = document()
            .add_event_listener_with_callback("visibilitychange", seen.as_ref().unchecked_ref());
        while session.status_untracked() == Status::SignedIn {
            if document().hidden() {
                let (shown, when_shown) = futures::channel::oneshot::channel();
                SHOWN.set(Some(shown));
                let _ = when_shown.await;
                continue;
            }
            let Some(request) = lock_request() else {
                stream::follow(session, live, None).await;
                break;
            };
            let relay = channel.clone();
            // The lock is held until the promise the callback returns
            // settles: while this tab follows the stream, signed in and shown.
            let lead = Closure::once_into_js(move |_lock: JsValue| -> Promise {
                future_to_promise(async move {
                    LEADING.set(true);
                    stream::follow(session, live, Some(&relay)).await;
                    LEADING.set(false);
                    Ok(JsValue::UNDEFINED)
                })
            });
            // Refused without a lock (site data blocked): a stream of its own.
            if JsFuture::from(request(lead)).await.is_err() {
                stream::follow(session, live, None).await;
                break;
            }
        }
        let _ = document()
            .remove_event_listener_with_callback("visibilitychange", seen.as_ref().unchecked_ref());
        channel.set_onmessage(None);
        channel.close();
    }

    /// The stream being read while this tab leads: cut when it is hidden.
    pub fn reading(reader: &web_sys::ReadableStreamDefaultReader) {
        READING.set(Some(reader.clone()));
    }

    /// `navigator.locks.request(NAME, callback)`, if the browser has Web
    /// Locks (web-sys has them only behind its unstable APIs).
    fn lock_request() -> Option<impl FnOnce(JsValue) -> Promise> {
        let locks = Reflect::get(&window().navigator(), &JsValue::from_str("locks")).ok()?;
        let request: Function = Reflect::get(&locks, &JsValue::from_str("request"))
            .ok()?
            .dyn_into()
            .ok()?;
        Some(move |callback: JsValue| {
            request
                .call2(&locks, &JsValue::from_str(NAME), &callback)
                .map_or_else(|error| Promise::reject(&error), JsCast::unchecked_into)
        })
    }

    /// Relays `event` to the browser's other tabs (a channel never hears
    /// its own messages).
    pub fn tell_others(relay: Option<&BroadcastChannel>, event: &SseEvent) {
        if let Some(relay) = relay {
            let id = event.id.as_deref().map_or(JsValue::NULL, JsValue::from_str);
            let message = Array::of3(
                &event.name.as_str().into(),
                &id,
                &event.data.as_str().into(),
            );
            let _ = relay.post_message(&message);
        }
    }

    impl SseEvent {
        /// The stream is open: pages showing a kept copy can read the server.
        pub fn connected() -> SseEvent {
            SseEvent {
                name: "connected".into(),
                ..SseEvent::default()
            }
        }

        /// The last event id heard, as the server's `ready` says it.
        fn resume_point() -> SseEvent {
            SseEvent {
                name: "ready".into(),
                id: LAST_EVENT_ID.with(|last| last.borrow().clone()),
                data: "{}".into(),
            }
        }

        /// An event `tell_others` relayed: `[name, id or null, data]`.
        fn relayed(message: &JsValue) -> Option<SseEvent> {
            let parts: &Array = message.dyn_ref()?;
            Some(SseEvent {
                name: parts.get(0).as_string()?,
                id: parts.get(1).as_string(),
                data: parts.get(2).as_string()?,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setlist_page_hears_its_own_changes_and_reloads() {
        let event = |id: &str, version| SetlistEvent {
            id: id.into(),
            version,
            song_id: None,
            by: "Max".into(),
            by_id: "u-max".into(),
        };
        let max = Author::Member {
            id: "u-max".into(),
            name: "Max".into(),
        };
        let changed = LiveMessage::SetlistChanged(event("s", Some(3)));
        assert!(matches!(
            changed.to_setlist_page("s", |id| id == "u-other-max"),
            Some(ToSetlistPage::Changed {
                by,
                version: Some(3)
            }) if by == max
        ));
        // Max's own change, made on another of his devices, is his by id.
        assert!(matches!(
            changed.to_setlist_page("s", |id| id == "u-max"),
            Some(ToSetlistPage::Changed {
                by: Author::You,
                ..
            })
        ));
        assert!(changed.to_setlist_page("other", |_| false).is_none());
        let deleted = LiveMessage::SetlistDeleted(event("s", None));
        assert!(matches!(
            deleted.to_setlist_page("s", |_| false),
            Some(ToSetlistPage::Deleted { by }) if by == max
        ));
        // Perhaps a change to any setlist: read to find out, by nobody named.
        assert!(matches!(
            LiveMessage::Reload.to_setlist_page("s", |_| false),
            Some(ToSetlistPage::Changed {
                by: Author::Unknown,
                version: None
            })
        ));
        assert!(
            LiveMessage::Connected
                .to_setlist_page("s", |_| false)
                .is_none()
        );
    }

    #[test]
    fn a_member_named_you_is_not_the_page_s_member() {
        let named_you = Author::new("u-2", "you", |id| id == "u-1");
        assert_eq!(named_you.subject("Someone"), "you");
        assert_ne!(named_you, Author::You);
        assert_eq!(Author::new("u-1", "you", |id| id == "u-1"), Author::You);
        assert_eq!(Author::new("", "", |_| false).subject("Someone"), "Someone");
    }

    #[test]
    fn events_are_cut_at_blank_lines_whatever_the_chunks() {
        let body = "event: setlist_changed\nid: 7\ndata: {\"id\":\"s\",\"version\":2,\"by\":\"Max\"}\n\n\
                    : keep-alive\n\nevent: presence\ndata: {}\n\n";
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        // One byte at a time: the worst a network can do.
        for byte in body.as_bytes() {
            events.extend(parser.push(std::slice::from_ref(byte)));
        }
        assert_eq!(events.len(), 2, "the comment is no event");
        assert_eq!(events[0].name, "setlist_changed");
        assert_eq!(events[0].id.as_deref(), Some("7"));
        assert_eq!(
            LiveMessage::of(&events[0]),
            Some(LiveMessage::SetlistChanged(SetlistEvent {
                id: "s".into(),
                version: Some(2),
                song_id: None,
                by: "Max".into(),
                by_id: String::new(),
            }))
        );
        assert_eq!(events[1].id, None, "presence carries no id");
        assert_eq!(
            LiveMessage::of(&events[1]),
            None,
            "unreadable presence is dropped"
        );
    }

    #[test]
    fn a_character_split_across_chunks_survives() {
        let body = "event: setlist_created\ndata: {\"id\":\"s\",\"by\":\"Zoë\"}\n\n".as_bytes();
        let split = body.iter().position(|&b| b == 0xc3).unwrap() + 1;
        let mut parser = SseParser::default();
        assert!(parser.push(&body[..split]).is_empty());
        let events = parser.push(&body[split..]);
        assert!(events[0].data.contains("Zoë"));
    }
}
