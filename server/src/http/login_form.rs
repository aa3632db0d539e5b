//! `POST /login`: the login form, for a browser whose wasm has not arrived
//! yet (a slow network) or never will (scripts off). The form posts here
//! like any HTML form; the answer sets the same cookies as
//! `POST /api/auth/login` and redirects (303) to the page the member wanted.
//! No access token is ever put in the page: the app, once loaded, gets one
//! by the usual silent refresh. A failure redirects back to the login page,
//! which says why.
//!
//! Login CSRF (a foreign page logging the victim into the attacker's
//! account) is refused: the post must come from one of our own pages.

use app::{
    api::{
        ErrorCode, LoginRequest,
        validation::{is_username_shaped, percent_encode, safe_next},
    },
    session::TYPED_USERNAME_COOKIE,
};
use axum::{
    Form, Router,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use serde::Deserialize;
use tower_cookies::{Cookie, Cookies, cookie::time::Duration};

use super::{
    auth::{hardened_cookie, log_in},
    extract::{ClientOrigin, refuse_encoded},
    headers::at_most_once,
};
use crate::{error::ApiError, state::AppState};

/// Stops memory and CPU spent on a huge body posted at the login route: a
/// login form is two short fields and a path (the form extractor's own
/// default, 2 MiB, would read twice the API's limit).
const FORM_LIMIT: usize = 16 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(submit))
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// Where to go afterwards (the login page's `?next=`), a local path only.
    #[serde(default)]
    next: String,
}

async fn submit(
    State(state): State<AppState>,
    ClientOrigin(origin): ClientOrigin,
    cookies: Cookies,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    // Login CSRF: a foreign page posting the form is refused.
    if !from_our_page(&state, &headers) {
        return ApiError::Forbidden.into_response();
    }
    if let Err(encoded) = refuse_encoded(&headers) {
        return encoded.into_response();
    }
    // Never an open redirect: anything but a local path goes to the setlists.
    let next = safe_next(Some(form.next));
    let typed = form.username.trim().to_string();
    let request = LoginRequest {
        username: form.username,
        password: form.password,
    };
    let to = match log_in(&state, &origin, &cookies, request).await {
        Ok(_) => {
            cookies.add(typed_username_cookie(&state, String::new(), Duration::ZERO));
            next
        }
        Err(error) => {
            // The page it goes back to has the username filled in. Only
            // what could be a username: hostile text must not reach a cookie
            // (header injection) or the page it is drawn back into (XSS).
            if is_username_shaped(&typed) {
                cookies.add(typed_username_cookie(&state, typed, Duration::minutes(1)));
            }
            back_to_login(&error, &next)
        }
    };
    // The answer sets the refresh cookie: no cache may keep it.
    ([(header::CACHE_CONTROL, "no-store")], Redirect::to(&to)).into_response()
}

/// The username of a refused attempt, for the login page only, for `lasting`.
fn typed_username_cookie(state: &AppState, name: String, lasting: Duration) -> Cookie<'static> {
    hardened_cookie(state, TYPED_USERNAME_COOKIE, name)
        .path("/login")
        .max_age(lasting)
        .build()
}

/// Whether the browser says the form was posted by a page of ours (login
/// CSRF). A form post from our page carries `Origin: null` (our pages'
/// Referrer-Policy is `no-referrer`), so the browser's `Sec-Fetch-Site`
/// decides; a browser too old to send that must send our `Origin`. Another
/// site's `Origin` is refused whatever else the request says, and so is
/// either header sent twice (`at_most_once`). A client that is not a browser
/// sends neither, and is no CSRF vector.
fn from_our_page(state: &AppState, headers: &HeaderMap) -> bool {
    let ours = |origin: &[u8]| state.config.is_public_origin(origin);
    let (Ok(origin), Ok(site)) = (
        at_most_once(headers, header::ORIGIN),
        at_most_once(headers, "sec-fetch-site"),
    ) else {
        return false;
    };
    let origin = origin.map(HeaderValue::as_bytes);
    match site {
        Some(site) => {
            site.as_bytes() == b"same-origin" && origin.is_none_or(|o| ours(o) || o == b"null")
        }
        None => origin.is_none_or(ours),
    }
}

/// The login page again, told why (`?error=` is an API error code) and
/// where to go afterwards. Neither the username nor the password goes in the
/// URL: URLs end up in logs and histories.
fn back_to_login(error: &ApiError, next: &str) -> String {
    let mut url = format!("/login?error={}", code_name(error.code()));
    if let ApiError::RateLimited { retry_after_secs } = error {
        url.push_str(&format!("&retry_after={retry_after_secs}"));
    }
    if next != "/setlists" {
        url.push_str("&next=");
        url.push_str(&percent_encode(next));
    }
    url
}

/// The code as the API spells it (its serde name).
fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_else(|| "internal".to_string())
}
