//! The HTTP layer: one module per resource, each owning its routes. Handlers
//! extract, call one domain function, and map the result.

pub mod assets;
mod audit;
pub(crate) mod auth;
mod events;
mod extract;
pub mod headers;
mod login_form;
pub mod observe;
mod openapi;
mod ops;
mod presence;
mod sessions;
mod setlists;
mod songs;
mod users;
mod versions;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderValue, header},
    response::Response,
    routing::any,
};

use crate::{error::ApiError, state::AppState};

/// Request bodies larger than this are refused with 413 before being read.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Everything under `/api`, plus the operational routes at the root
/// (`/metrics` among them unless it has an address of its own).
pub fn router(metrics_on_own_address: bool) -> Router<AppState> {
    let api = Router::new()
        .merge(auth::router())
        .merge(setlists::router())
        .merge(songs::router())
        .merge(users::router())
        .merge(sessions::router())
        .merge(audit::router())
        .merge(openapi::router())
        .merge(events::router())
        .merge(presence::router())
        // No HTML or plain-text answers under /api: unknown routes get the contract's body.
        .fallback(|| async { ApiError::NotFound });
    let api = errors_in_json(api)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(no_store_by_default));
    Router::new()
        .nest("/api", api)
        // `nest` leaves the bare prefix with a trailing slash to the pages.
        .route("/api/", any(|| async { ApiError::NotFound }))
        .merge(ops::router(metrics_on_own_address))
        .merge(login_form::router())
}

pub use ops::metrics_router;

/// A known route asked with the wrong method gets the contract's error body
/// (and `Allow`), not an empty 405: under `/api` and on the operational
/// routes at the root (the JWKS among them), which clients read as JSON.
fn errors_in_json(router: Router<AppState>) -> Router<AppState> {
    router.method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
}

/// API answers carry tokens and personal data: no browser or proxy may keep
/// a copy (a shared computer's cache, a CDN) unless a route says otherwise.
async fn no_store_by_default(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
