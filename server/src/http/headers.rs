//! Security headers on every response, and the limits of a request: its
//! headers' size and its time.
//!
//! HTML pages get a Content-Security-Policy built around a per-response nonce
//! (set while rendering, see `startup::provide_page_context`): only our own
//! scripts and the one inline hydration script carrying the nonce may run, so
//! injected markup cannot execute script (XSS). Every other response gets a
//! policy that allows nothing at all.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::state::AppState;

/// For anything that is not an HTML page (JSON, static files): allow nothing.
const LOCKED_DOWN_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of an HTML page whose inline script carries `nonce`.
/// `wasm-unsafe-eval` lets the page compile our WebAssembly, nothing more.
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

/// Answers 431 when the request line and headers together exceed `HEADER_LIMIT`.
pub async fn header_limit(request: Request, next: Next) -> Response {
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
    next.run(request).await
}

/// Answers 408 when the request (reading its body included) takes too long.
pub async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.config.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => crate::error::ApiError::RequestTimeout.into_response(),
    }
}

pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(LOCKED_DOWN_CSP));
    // MIME sniffing could turn an uploaded text into a script.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Paths (ids) never leak to other sites through the Referer header.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Clickjacking, for browsers that predate frame-ancestors.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // No cross-origin window keeps a handle on ours (XS-Leaks, tabnabbing).
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.config.secure_cookies() {
        // Once seen over TLS, the browser refuses plain http (SSL stripping).
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}
