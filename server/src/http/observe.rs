//! Every request gets an id — in each log line written while it runs (a span
//! field) and in the `X-Request-Id` answer header, so a member's report
//! ("it failed at 18:04, request 0193…") leads to its log lines — and is
//! counted and timed for `/metrics` under its route template.

use std::{
    sync::{
        LazyLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, Method},
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

use crate::{clock::now_ms, state::AppState};

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Always ours, never the client's: a forged id cannot splice a request
    // into another one's log lines.
    let id = REQUEST_IDS.next();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    let span = tracing::info_span!("request", id = %id, method, path = request.uri().path());
    let started = Instant::now();
    let mut response = next.run(request).instrument(span).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    state
        .metrics
        .observe_request(route, method, response.status(), started.elapsed());
    let mut text = uuid::Uuid::encode_buffer();
    if let Ok(value) = HeaderValue::from_str(id.hyphenated().encode_lower(&mut text)) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    response
}

/// Request ids in the UUIDv7 layout (time-ordered, so log search by id
/// range works), whose random part is drawn once per process and then
/// counted: unique without a system call per request.
struct RequestIds {
    seed: [u8; 10],
    counter: AtomicU64,
}

static REQUEST_IDS: LazyLock<RequestIds> = LazyLock::new(|| {
    let mut seed = [0; 10];
    getrandom::fill(&mut seed).expect("the operating system's random numbers");
    RequestIds {
        seed,
        counter: AtomicU64::new(0),
    }
});

impl RequestIds {
    fn next(&self) -> uuid::Uuid {
        let count = self.counter.fetch_add(1, Ordering::Relaxed).to_be_bytes();
        let mut random = self.seed;
        for (byte, count) in random[2..].iter_mut().zip(count) {
            *byte ^= count;
        }
        uuid::Builder::from_unix_timestamp_millis(now_ms() as u64, &random).into_uuid()
    }
}

/// Known methods by name; anything else is one label, not one per invention.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
