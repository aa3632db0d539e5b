//! One HTTP exchange with the API, and nothing about who is signed in: the
//! token, if any, is the caller's to give. `session` (login, refresh, logout)
//! and `client` (every call as the signed-in member) are both built on this.
//! On the server (SSR) there is no fetch: calls fail politely.

use std::collections::BTreeMap;

use leptos::prelude::{RwSignal, Set, WithUntracked};
use serde::{Serialize, de::DeserializeOwned};

use super::ErrorCode;

/// Why a call failed, in words a page can show.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiFailure {
    /// 0 when the server was not reached.
    pub status: u16,
    pub code: ErrorCode,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub current_version: Option<i64>,
    pub retry_after_secs: Option<u64>,
}

/// What a failure to reach the server says. A page that hears from the
/// server again (a live change) takes it down: it is no longer true.
pub const NO_CONNECTION: &str = "Could not reach the server. Check your connection and try again.";

/// What a body over the server's limit (`BODY_LIMIT`, 1 MiB) says.
pub const TOO_LARGE: &str = "That is more than the server takes at once (about 1 MB). Make it smaller (a CSV file can be split into several) and send it again.";

/// Takes `error` down if it only said the server could not be reached.
pub fn clear_if_no_connection(error: RwSignal<Option<String>>) {
    if error.with_untracked(|said| said.as_deref() == Some(NO_CONNECTION)) {
        error.set(None);
    }
}

/// Runs `then` when the browser has a network again (its `online` event)
/// while the page is on screen.
pub fn on_back_online(then: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let back = leptos::prelude::window_event_listener(leptos::ev::online, move |_| then());
        leptos::prelude::on_cleanup(move || back.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = then;
}

impl ApiFailure {
    /// The server could not answer now and said so (408, 429, 5xx): the
    /// request may be repeated, and nothing about the session was decided.
    pub fn asks_to_retry(&self) -> bool {
        matches!(self.status, 408 | 429 | 500..=599)
    }

    /// No signal, or the server asked for the request again: the same
    /// read may well succeed in a while.
    pub fn worth_repeating(&self) -> bool {
        self.status == 0 || self.asks_to_retry()
    }

    /// The server was not reached (or its answer not read).
    pub fn network() -> ApiFailure {
        ApiFailure {
            status: 0,
            code: ErrorCode::Network,
            message: NO_CONNECTION.into(),
            fields: BTreeMap::new(),
            current_version: None,
            retry_after_secs: None,
        }
    }

    /// `network`, with the browser's reason ("TypeError: Failed to fetch")
    /// sent to the console: it means nothing to a band member.
    fn failed_to_reach(reason: impl std::fmt::Display) -> ApiFailure {
        leptos::logging::warn!("request failed: {reason}");
        ApiFailure::network()
    }

    #[cfg(feature = "hydrate")]
    fn from_body(
        status: u16,
        body: Option<super::ErrorBody>,
        retry_after_secs: Option<u64>,
    ) -> ApiFailure {
        match body {
            Some(body) => ApiFailure {
                status,
                code: body.error.code,
                message: body.error.message,
                fields: body.error.fields.unwrap_or_default(),
                current_version: body.current_version,
                retry_after_secs,
            },
            None => ApiFailure {
                status,
                code: ErrorCode::Internal,
                message: format!("The server answered {status}."),
                fields: BTreeMap::new(),
                current_version: None,
                retry_after_secs,
            },
        }
    }

    /// The message with the field problems spelled out; a refusal that
    /// names fields reads like the checks a form makes before sending.
    pub fn describe(&self) -> String {
        // By status, not code: a proxy's 413 carries no body of ours.
        if self.status == 413 {
            return TOO_LARGE.into();
        }
        let mut text = if self.fields.is_empty() {
            self.message.clone()
        } else {
            "Please check:".to_string()
        };
        for (field, problem) in &self.fields {
            text.push_str(&format!(
                "\n• {} {problem}",
                super::validation::field_label(field)
            ));
        }
        text
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    #[cfg(feature = "hydrate")]
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Sends one request, with `token` if given, and decodes the answer.
pub async fn send<T, B>(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&B>,
) -> Result<T, ApiFailure>
where
    T: DeserializeOwned,
    B: Serialize,
{
    let body = encode(body)?;
    decode(&exchange(method, path, token, body.as_deref(), Guard::None).await?)
}

// The generic functions only encode and decode; the requests are made by
// `exchange`, which takes and gives JSON text. One copy of it serves every
// type, instead of one per answer type in the wasm.

pub(super) fn encode<B: Serialize>(body: Option<&B>) -> Result<Option<String>, ApiFailure> {
    body.map(|body| serde_json::to_string(body).map_err(ApiFailure::failed_to_reach))
        .transpose()
}

pub(super) fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiFailure> {
    // 204 has no body; `()` decodes from `null`.
    let text = if text.is_empty() { "null" } else { text };
    serde_json::from_str(text).map_err(ApiFailure::failed_to_reach)
}

/// What makes a write safe to send: the version it was decided on
/// (`If-Match`: refused once another change came first), or the client's
/// name for a create (`Idempotency-Key`: sent again, it makes nothing new).
#[derive(Clone, Copy)]
pub enum Guard<'a> {
    None,
    IfMatch(i64),
    IdempotencyKey(&'a str),
}

/// Sends one request and gives the answer's body as text.
#[cfg(feature = "hydrate")]
pub(super) async fn exchange(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    guard: Guard<'_>,
) -> Result<String, ApiFailure> {
    // The path goes to fetch as it is: gloo-net's builder would append a
    // stray `&` to a path that has a query.
    let request = request_init(method, token, body, guard)
        .and_then(|init| web_sys::Request::new_with_str_and_init(path, &init))
        .map_err(|error| ApiFailure::failed_to_reach(format!("{error:?}")))?;
    let request = gloo_net::http::Request::from(request);
    let response = request.send().await.map_err(ApiFailure::failed_to_reach)?;
    let status = response.status();
    let text = response.text().await.map_err(ApiFailure::failed_to_reach)?;
    if response.ok() {
        return Ok(text);
    }
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.parse().ok());
    let body = serde_json::from_str::<super::ErrorBody>(&text).ok();
    Err(ApiFailure::from_body(status, body, retry_after))
}

/// The fetch options of one API request: its method, the bearer token, a
/// JSON body, its `Guard`. `exchange` and `post_while_leaving` both send them.
#[cfg(feature = "hydrate")]
fn request_init(
    method: Method,
    token: Option<&str>,
    body: Option<&str>,
    guard: Guard<'_>,
) -> Result<web_sys::RequestInit, wasm_bindgen::JsValue> {
    let headers = web_sys::Headers::new()?;
    if let Some(token) = token {
        headers.set("Authorization", &format!("Bearer {token}"))?;
    }
    match guard {
        Guard::None => {}
        Guard::IfMatch(version) => headers.set("If-Match", &format!("\"{version}\""))?,
        Guard::IdempotencyKey(key) => headers.set("Idempotency-Key", key)?,
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_str());
    if let Some(body) = body {
        headers.set("Content-Type", "application/json")?;
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
    }
    init.set_headers_headers(&headers);
    Ok(init)
}

/// Posts `body` with a request that outlives the page (`fetch` with
/// `keepalive`): a goodbye from a page being closed, whose answer nobody
/// waits for. gloo-net cannot ask for `keepalive`, nor can `sendBeacon` carry
/// the bearer token.
#[cfg(feature = "hydrate")]
pub fn post_while_leaving<B: Serialize>(path: &str, token: &str, body: &B) {
    use wasm_bindgen::JsValue;

    let Ok(Some(body)) = encode(Some(body)) else {
        return;
    };
    let Ok(init) = request_init(Method::Post, Some(token), Some(&body), Guard::None) else {
        return;
    };
    let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
    let sent = leptos::prelude::window().fetch_with_str_and_init(path, &init);
    // Its failure (no signal) is handled here, not logged as uncaught: the
    // server lets a silent page go after a minute anyway.
    wasm_bindgen_futures::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(sent).await;
    });
}

/// Waits `delay` before a read is made again. The server renders pages and
/// never reads again: it does not wait.
pub(super) async fn pause(delay: std::time::Duration) {
    #[cfg(feature = "hydrate")]
    gloo_timers::future::sleep(delay).await;
    #[cfg(not(feature = "hydrate"))]
    let _ = delay;
}

#[cfg(not(feature = "hydrate"))]
pub(super) async fn exchange(
    _: Method,
    _: &str,
    _: Option<&str>,
    _: Option<&str>,
    _: Guard<'_>,
) -> Result<String, ApiFailure> {
    Err(ApiFailure::network())
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::{GetUntracked, Owner};

    #[test]
    fn a_live_change_takes_down_only_the_no_connection_message() {
        // An owner of its own: with the server's features the signals live
        // in per-request arenas.
        Owner::new().with(|| {
            let error = RwSignal::new(Some(NO_CONNECTION.to_string()));
            clear_if_no_connection(error);
            assert_eq!(error.get_untracked(), None, "the server answered meanwhile");
            let refusal = Some("Only a manager can do that.".to_string());
            error.set(refusal.clone());
            clear_if_no_connection(error);
            assert_eq!(error.get_untracked(), refusal, "a refusal still stands");
        });
    }

    #[test]
    fn a_refusal_naming_fields_reads_like_a_forms_own_checks() {
        let refusal = |fields: &[(&str, &str)]| ApiFailure {
            status: 422,
            code: ErrorCode::ValidationFailed,
            message: "some fields are not valid".into(),
            fields: fields
                .iter()
                .map(|(field, problem)| (field.to_string(), problem.to_string()))
                .collect(),
            current_version: None,
            retry_after_secs: None,
        };
        assert_eq!(
            refusal(&[("title", "is already in the library (with this artist)")]).describe(),
            "Please check:\n• title is already in the library (with this artist)"
        );
        assert_eq!(refusal(&[]).describe(), "some fields are not valid");
    }

    #[test]
    fn a_body_over_the_limit_says_so_whoever_refused_it() {
        // Ours, and a proxy's in front of the server (a page of its own, no code).
        for (code, message) in [
            (
                ErrorCode::PayloadTooLarge,
                "the request body is larger than 1 MiB",
            ),
            (ErrorCode::Internal, "The server answered 413."),
        ] {
            let refusal = ApiFailure {
                status: 413,
                code,
                message: message.into(),
                ..ApiFailure::network()
            };
            assert_eq!(refusal.describe(), TOO_LARGE);
        }
    }
}
