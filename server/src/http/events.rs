//! `GET /api/events`: a `text/event-stream` of the band's changes, for the
//! pages that show them as they happen.
//!
//! Auth on a long-lived connection: the stream is opened with the in-memory
//! access token in `Authorization` (never in the URL), and re-checks that
//! token several times a second — expiry, a member or session revoke, a
//! revoked signing key all end it, with an event saying why. The browser
//! reconnects with its refreshed token and the last id it saw.

use std::{collections::VecDeque, convert::Infallible, sync::Arc, time::Duration};

use app::api::Role;
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::get,
};
use tokio::sync::broadcast;

use crate::{
    auth::{
        extract::{AuthUser, bearer_from, kid_of, still_valid},
        tokens::Verified,
    },
    db,
    error::{ApiError, ApiResult},
    live::{LiveEvent, MEMBERS_CHANGED, Missed, OpenStream},
    state::AppState,
};

/// How often an open stream re-checks its token.
const RECHECK_EVERY: Duration = Duration::from_millis(250);

pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

#[utoipa::path(get, path = "/api/events", tag = "live", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "The id of the last event seen: what came after it is sent first")),
    responses((status = 200, description = "A text/event-stream: what was missed since Last-Event-ID, then ready (its id: the newest change), then setlist_created, setlist_changed, setlist_deleted and song_patched (data: ids, versions, `by`, the name of who changed it, and `by_id`, their id: a page knows its own member's changes by it), presence (no id: who is on a setlist page, see POST /api/presence), library_changed (no id, not replayed: `by` (and `by_id`) added, changed, deleted or imported library songs; read GET /api/songs again, and again after a reconnect), members_changed (managers' streams only; no id, not replayed: `by` (and `by_id`; both empty for the command line's create-user) added or changed a member; read GET /api/users again, and again after a reconnect), reload (more was missed than is kept), token_expired and session_ended (the stream ends), reconnect (this instance is shutting down: the stream ends, open it again)", content_type = "text/event-stream"),
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
        .ok_or(ApiError::TooManyStreams)?;
    if let Ok(counter) = db::setlists::change_counter(&state.db).await {
        state.live.learn_latest(counter);
    }
    // An id this server never issued (no number, or past any counter) is
    // taken as one ahead of the newest change: the browser re-reads all.
    let last_seen = headers.get("last-event-id").map(|value| {
        let id = value
            .to_str()
            .ok()
            .and_then(|id| id.trim().parse::<i64>().ok());
        id.unwrap_or(i64::MAX)
    });
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
    let headers = response.headers_mut();
    // nginx buffers answers by default; an event stream must flow at once.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    // Events name members (`by`, presence): no cache may keep them
    // (axum's `no-cache` would let one store them).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
                    // Who joined the band, or was renamed, disabled or
                    // promoted, is the managers' business: a drummer's
                    // stream would tell when accounts change. The role is
                    // the token's: a manager demoted since is cut off.
                    Ok(event) if event.name == MEMBERS_CHANGED && !self.hears_members() => {}
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

    /// Whether this stream's member may hear of member changes: a manager
    /// whose token is still good (checked now, not at the last re-check).
    fn hears_members(&self) -> bool {
        self.caller.role == Role::Manager && still_valid(&self.state, &self.caller, &self.kid)
    }

    /// Why this stream must end now, if it must. Synchronous, so that an
    /// idle stream's future holds no database call's state (memory per
    /// stream: README, Performance).
    fn why_it_ends(&self) -> Option<&'static str> {
        if self.caller.is_expired(crate::clock::now()) {
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
