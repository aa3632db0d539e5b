//! `GET /api/events`: a `text/event-stream` of the band's changes, for the
//! pages that show them as they happen.
//!
//! Where the events come from: every setlist write announces itself
//! (`db::changes`) with the value of the setlists' change counter that its
//! transaction took. That number is the event's id on every instance (the
//! counter is the database's, and commits take it in order), so a browser
//! that reconnects to another instance can still say where it stopped
//! (`Last-Event-ID`). On PostgreSQL the announcements arrive through
//! `crate::sync`'s listener; on SQLite the one instance publishes its own
//! writes as it makes them.
//!
//! Auth on a long-lived connection: the stream is opened with the in-memory
//! access token in `Authorization` (never in the URL), and re-checks that
//! token several times a second — expiry, a member or session revoke, a
//! revoked signing key all end it, with an event saying why. The browser
//! reconnects with its refreshed token and the last id it saw.

use std::{
    collections::{HashMap, VecDeque},
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::get,
};
use tokio::sync::broadcast;

use app::api::{Presence, SetlistEvent};

use crate::{
    auth::extract::{AuthUser, bearer_from, kid_of, still_valid},
    auth::tokens::Verified,
    db::{self, changes::Change},
    error::{ApiError, ApiResult},
    presence,
    state::AppState,
};

/// Events kept for reconnecting browsers; one further back gets `reload`.
const BACKLOG: usize = 512;
/// Open streams per member (tabs, devices); one more is answered 429.
pub const STREAMS_PER_MEMBER: usize = 8;
/// How often an open stream re-checks its token.
const RECHECK_EVERY: Duration = Duration::from_millis(250);

/// One change, as the stream sends it.
#[derive(Debug)]
pub struct LiveEvent {
    /// The setlists' change counter after the change: the SSE id. Presence
    /// is not a change to the band's data and has none (nor a replay).
    pub seq: Option<i64>,
    pub name: &'static str,
    pub data: String,
}

impl LiveEvent {
    /// The event a setlist change becomes; `None` for other changes.
    pub fn from_change(change: &Change) -> Option<LiveEvent> {
        let Change::Setlist {
            id,
            version,
            seq,
            song_id,
            by,
        } = change
        else {
            return None;
        };
        let name = match (version, song_id) {
            (None, _) => "setlist_deleted",
            (Some(_), Some(_)) => "song_patched",
            (Some(1), None) => "setlist_created",
            (Some(_), None) => "setlist_changed",
        };
        let data = SetlistEvent {
            id: id.clone(),
            version: *version,
            song_id: song_id.clone(),
            by: by.clone(),
        };
        Some(LiveEvent {
            seq: Some(*seq),
            name,
            data: serde_json::to_string(&data).expect("an event serialises"),
        })
    }
}

pub struct Live {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    recent: Mutex<Recent>,
    streams: Mutex<HashMap<String, usize>>,
    pub presence: presence::Board,
}

#[derive(Default)]
struct Recent {
    events: VecDeque<Arc<LiveEvent>>,
    /// The newest change counter known here (published or read at start).
    latest: Option<i64>,
    /// The newest change published here: an event at or below it is one we
    /// heard again. Kept apart from `latest`, which a stream's start may
    /// raise past a change that has committed but is not published yet.
    published: Option<i64>,
}

impl Default for Live {
    fn default() -> Live {
        Live {
            sender: broadcast::channel(BACKLOG).0,
            recent: Mutex::default(),
            streams: Mutex::default(),
            presence: presence::Board::default(),
        }
    }
}

/// What a reconnecting browser missed.
enum Missed {
    Events(Vec<Arc<LiveEvent>>),
    /// More than the backlog holds, or from before this instance knew.
    TooMuch,
}

impl Live {
    /// Sends a change to every open stream here.
    pub fn publish(&self, change: &Change) {
        let Some(event) = LiveEvent::from_change(change) else {
            return;
        };
        let event = Arc::new(event);
        let seq = event.seq.expect("a setlist change has a seq");
        let mut recent = self.recent.lock().expect("live lock poisoned");
        if recent.published.is_some_and(|published| seq <= published) {
            return; // already published (our own write, heard again)
        }
        recent.published = Some(seq);
        recent.latest = recent.latest.max(Some(seq));
        if recent.events.len() == BACKLOG {
            recent.events.pop_front();
        }
        recent.events.push_back(event.clone());
        // Sent under the lock, so a stream that subscribed while reading the
        // backlog sees every event exactly once.
        let _ = self.sender.send(event);
    }

    /// Records a member's presence and, when it is news, tells the streams here.
    pub fn tell_presence(&self, presence: &Presence, at_ms: i64) {
        if self.presence.record(presence, at_ms) {
            self.send_presence(presence);
        }
    }

    /// Tells the streams here of the pages that went quiet.
    pub fn lapse_presence(&self, now_ms: i64) {
        for gone in self.presence.lapse(now_ms) {
            self.send_presence(&gone);
        }
    }

    fn send_presence(&self, presence: &Presence) {
        let event = LiveEvent {
            seq: None,
            name: "presence",
            data: serde_json::to_string(presence).expect("presence serialises"),
        };
        let _ = self.sender.send(Arc::new(event));
    }

    /// Subscribes, and says what was missed since `last_seen`.
    fn subscribe(
        &self,
        last_seen: Option<i64>,
    ) -> (broadcast::Receiver<Arc<LiveEvent>>, Missed, Option<i64>) {
        let recent = self.recent.lock().expect("live lock poisoned");
        let receiver = self.sender.subscribe();
        let missed = match (last_seen, recent.latest) {
            (None, _) => Missed::Events(Vec::new()),
            (Some(seen), Some(latest)) if seen >= latest => Missed::Events(Vec::new()),
            (Some(seen), Some(_))
                if recent
                    .events
                    .front()
                    .is_some_and(|oldest| oldest.seq <= Some(seen + 1)) =>
            {
                let events = recent.events.iter().filter(|e| e.seq > Some(seen)).cloned();
                Missed::Events(events.collect())
            }
            _ => Missed::TooMuch,
        };
        (receiver, missed, recent.latest)
    }

    /// Remembers the counter read at a stream's start, if nothing newer came.
    fn learn_latest(&self, counter: i64) {
        let mut recent = self.recent.lock().expect("live lock poisoned");
        if recent.latest.is_none_or(|latest| latest < counter) && recent.events.is_empty() {
            recent.latest = Some(counter);
        }
    }

    /// Counts a member's stream until the guard is dropped; `None` past the cap.
    fn open(self: &Arc<Self>, user_id: &str) -> Option<OpenStream> {
        let mut streams = self.streams.lock().expect("live lock poisoned");
        let count = streams.entry(user_id.to_string()).or_default();
        if *count >= STREAMS_PER_MEMBER {
            return None;
        }
        *count += 1;
        Some(OpenStream {
            live: self.clone(),
            user_id: user_id.to_string(),
        })
    }
}

struct OpenStream {
    live: Arc<Live>,
    user_id: String,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        let mut streams = self.live.streams.lock().expect("live lock poisoned");
        if let Some(count) = streams.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                streams.remove(&self.user_id);
            }
        }
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

#[utoipa::path(get, path = "/api/events", tag = "live", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "The id of the last event seen: what came after it is sent first")),
    responses((status = 200, description = "A text/event-stream: what was missed since Last-Event-ID, then ready (its id: the newest change), then setlist_created, setlist_changed, setlist_deleted and song_patched (data: ids, versions and `by`, the name of who changed it), presence (no id: who is on a setlist page, see POST /api/presence), reload (more was missed than is kept), token_expired and session_ended (the stream ends)", content_type = "text/event-stream"),
              (status = 429, description = "rate_limited: this member has too many streams open", body = app::api::ErrorBody)))]
async fn events(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    // The stream keeps the verified claims and the key's id, not the token.
    let kid = kid_of(bearer_from(&headers)?).ok_or(ApiError::InvalidToken)?;
    let open = state
        .live
        .open(&caller.user_id)
        .ok_or(ApiError::RateLimited {
            retry_after_secs: 5,
        })?;
    if let Ok(counter) = db::setlists::change_counter(&state.db).await {
        state.live.learn_latest(counter);
    }
    let last_seen = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok()?.trim().parse::<i64>().ok());
    let (receiver, missed, latest) = state.live.subscribe(last_seen);
    // What was missed, then `ready`: its id (the newest change known here)
    // is where a browser that saw nothing yet resumes from.
    let first = match missed {
        Missed::Events(events) => {
            let mut first: Vec<Event> = events.iter().map(|e| event_of(e)).collect();
            first.push(marked("ready", latest));
            first
        }
        Missed::TooMuch => vec![marked("reload", latest)],
    };
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stream = Stream {
        state: state.clone(),
        caller,
        kid,
        receiver,
        recheck,
        first: first.into(),
        ended: false,
        _open: open,
    };
    let body = futures_util::stream::unfold(stream, Stream::next);
    let mut response = Sse::new(body)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    // nginx buffers answers by default; an event stream must flow at once.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

fn event_of(event: &LiveEvent) -> Event {
    let sse = Event::default().event(event.name).data(&event.data);
    match event.seq {
        Some(seq) => sse.id(seq.to_string()),
        None => sse,
    }
}

/// An event without data, carrying the newest id known, if any.
fn marked(name: &'static str, latest: Option<i64>) -> Event {
    let event = Event::default().event(name).data("{}");
    match latest {
        Some(latest) => event.id(latest.to_string()),
        None => event,
    }
}

/// One open stream's state.
struct Stream {
    state: AppState,
    caller: Arc<Verified>,
    kid: String,
    receiver: broadcast::Receiver<Arc<LiveEvent>>,
    recheck: tokio::time::Interval,
    first: VecDeque<Event>,
    ended: bool,
    _open: OpenStream,
}

impl Stream {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Stream)> {
        if self.ended {
            return None;
        }
        if let Some(event) = self.first.pop_front() {
            return Some((Ok(event), self));
        }
        loop {
            tokio::select! {
                received = self.receiver.recv() => match received {
                    Ok(event) => return Some((Ok(event_of(&event)), self)),
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        return Some((Ok(marked("reload", None)), self));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = self.recheck.tick() => {
                    if let Some(why) = self.why_it_ends() {
                        self.ended = true;
                        return Some((Ok(Event::default().event(why).data("{}")), self));
                    }
                }
            }
        }
    }

    /// Why this stream must end now, if it must. Synchronous, so that an
    /// idle stream's future holds no database call's state (memory per
    /// stream: README, Performance).
    fn why_it_ends(&self) -> Option<&'static str> {
        if crate::clock::now() >= self.caller.expires_at {
            return Some("token_expired");
        }
        if self.state.drain.is_draining() {
            return Some("reconnect");
        }
        if still_valid(&self.state, &self.caller, &self.kid) {
            None
        } else {
            Some("session_ended")
        }
    }
}
