//! Security headers on every response, and the limits of a request: its
//! headers' size, its announced body size and its time. The headers are tower-http's layers; the two
//! limits are small middleware of our own because the contract wants its JSON
//! error body (`headers_too_large`, `request_timeout`), where tower-http's
//! timeout answers with an empty one.
//!
//! HTML pages get a Content-Security-Policy built around a per-response nonce
//! (set while rendering, see `startup::provide_page_context`): only our own
//! scripts and the one inline hydration script carrying the nonce may run, so
//! injected markup cannot execute script (XSS). Every other response gets a
//! policy that allows nothing at all.

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{http::BODY_LIMIT, state::AppState};

/// For anything that is not an HTML page (JSON, static files): allow nothing.
const LOCKED_DOWN_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of an HTML page whose inline script carries `nonce`.
/// `wasm-unsafe-eval` lets the page compile our WebAssembly, nothing more.
/// `object-src 'none'`: no plugin content to run script through;
/// `base-uri 'none'`: an injected `<base>` cannot re-point our script URLs;
/// `form-action 'self'`: an injected form cannot post a typed password elsewhere;
/// `frame-ancestors 'none'`: no other site can frame the page (clickjacking).
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Headers a browser sends are a few KiB; more is an attack on our memory
/// (hyper alone would buffer about 400 KiB per connection).
pub const HEADER_LIMIT: usize = 16 * 1024;

/// Answers 431 when the request line and headers together exceed
/// `HEADER_LIMIT`, and 413 when the body they announce exceeds `BODY_LIMIT`.
pub async fn size_limits(request: Request, next: Next) -> Response {
    let target = request.uri().path_and_query();
    let size = target.map_or(0, |target| target.as_str().len())
        + request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len())
            .sum::<usize>();
    if size > HEADER_LIMIT {
        return crate::error::ApiError::HeadersTooLarge.into_response();
    }
    // Refused before a byte of it is read: otherwise a client announcing
    // gigabytes holds the connection until the request times out.
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|length| length > BODY_LIMIT as u64) {
        return crate::error::ApiError::PayloadTooLarge.into_response();
    }
    next.run(request).await
}

/// Answers 408 when the request (reading its body included) takes too long.
pub async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.config.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => crate::error::ApiError::RequestTimeout.into_response(),
    }
}

/// Security headers on every response, as tower-http layers (a header each;
/// no hand-written middleware). A policy set by the route (a page's CSP, the
/// worker's) is kept; the others are ours whatever a handler said.
pub fn security_headers<S>(router: Router<S>, over_tls: bool) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(LOCKED_DOWN_CSP),
        ))
        // MIME sniffing could turn an uploaded text into a script.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Paths (ids) never leak to other sites through the Referer header.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // Clickjacking, for browsers that predate frame-ancestors.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // No cross-origin window keeps a handle on ours (XS-Leaks, tabnabbing).
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ));
    if !over_tls {
        return router;
    }
    // Once seen over TLS, the browser refuses plain http (SSL stripping).
    router.layer(SetResponseHeaderLayer::overriding(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    ))
}

/// A header a browser sends at most once (`Origin`, `Sec-Fetch-Site`), if
/// it came at most once. Two lines of it are `Err`: what sits in front may
/// read one and a guard the other, and which one the browser sent cannot be
/// told, so neither is trusted (a guard that read the first let "ours, then a
/// forged one" through).
pub fn at_most_once(
    headers: &HeaderMap,
    name: impl header::AsHeaderName,
) -> Result<Option<&HeaderValue>, Repeated> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (value, None) => Ok(value),
        (_, Some(_)) => Err(Repeated),
    }
}

/// A header that `at_most_once` found more than once.
#[derive(Debug)]
pub struct Repeated;

/// The values of every cookie called `name` in the request's headers, in
/// order. A jar keeps one value per name; a planted second cookie of the same
/// name (cookie tossing) must be seen too.
pub fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(move |pair| {
            let (cookie, value) = pair.split_once('=')?;
            (cookie.trim() == name).then(|| value.trim())
        })
}
