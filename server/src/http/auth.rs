//! `/api/auth/*`, `/api/me` and the JWKS: logging in, trading the refresh
//! cookie for access tokens, logging out.

use std::time::Duration;

use app::api::{
    LoginRequest, Role, TokenResponse, User,
    validation::{FieldErrors, PASSWORD_MAX, USERNAME_MAX},
};
use axum::{
    Json, Router,
    extract::{FromRequestParts, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower_cookies::{
    Cookie, Cookies,
    cookie::{SameSite, time::Duration as CookieDuration},
};

use super::{
    extract::{ApiJson, ClientOrigin},
    headers::{at_most_once, cookie_values},
    versions::json_body,
};
use crate::{
    auth::{
        extract::AuthUser,
        keys, password,
        refresh::{self, RefreshError},
        throttle::{
            BUSY_PATIENCE, BUSY_RETRY_SECS, KNOWN_ADDRESS_SECS, Reservation, Subjects, Verdict,
        },
        tokens::{self, NewToken},
    },
    clock::{now, now_ms},
    db::{
        self,
        audit::{AuditKind, Event, Origin},
        refresh::LostRace,
        users::UserRow,
    },
    error::{ApiError, ApiResult},
    metrics::{LoginOutcome, RefreshOutcome},
    state::AppState,
};

/// The refresh cookie is sent to these routes only, never to the rest of the API.
const REFRESH_COOKIE_PATH: &str = "/api/auth";
/// How long a login may wait for a free password-hashing slot before shedding.
const HASHING_WAIT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh_session))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
}

pub fn jwks_router() -> Router<AppState> {
    Router::new().route("/.well-known/jwks.json", get(jwks))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Signed in; sets the refresh cookie", body = TokenResponse)))]
async fn login(
    State(state): State<AppState>,
    // Login CSRF: another site must not sign a browser in as someone else.
    _: FromOurSite,
    ClientOrigin(origin): ClientOrigin,
    cookies: Cookies,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    log_in(&state, &origin, &cookies, request).await.map(Json)
}

/// Checks the credentials, starts a session and sets its cookies; counted in
/// the metrics by outcome. The JSON route and the form route both come here.
pub(super) async fn log_in(
    state: &AppState,
    origin: &Origin,
    cookies: &Cookies,
    request: LoginRequest,
) -> ApiResult<TokenResponse> {
    let answer = start_session(state, origin, cookies, request).await;
    state.metrics.login(match &answer {
        Ok(_) => LoginOutcome::Ok,
        Err(ApiError::AccountDisabled) => LoginOutcome::Disabled,
        Err(ApiError::RateLimited { .. }) => LoginOutcome::Throttled,
        Err(ApiError::Unavailable) => LoginOutcome::Shed,
        Err(ApiError::Internal(_)) => LoginOutcome::Error,
        Err(_) => LoginOutcome::Invalid,
    });
    answer
}

async fn start_session(
    state: &AppState,
    origin: &Origin,
    cookies: &Cookies,
    request: LoginRequest,
) -> ApiResult<TokenResponse> {
    let started_ms = now_ms();
    let now = started_ms.div_euclid(1000);
    let mut user = checked_password(
        state,
        origin,
        &request.username,
        request.password,
        PasswordCheck::LogIn,
        now,
    )
    .await?;
    let lifetime = state.config.refresh_ttl.as_secs() as i64;
    let issued = match refresh::start(&state.db, &user, lifetime, origin, now).await? {
        Ok(issued) => issued,
        // Disabled while this login was checked: said as a moment later.
        Err(LostRace::Disabled) => {
            audit_disabled(state, origin, &user, now).await?;
            return Err(ApiError::AccountDisabled);
        }
        // Given a new password meanwhile: the one checked is not it any more.
        Err(LostRace::NewPassword) => return Err(ApiError::InvalidCredentials),
    };
    // The role as the session started, not as the password check read it.
    user.role = issued.member.role;
    user.tokens_valid_after_ms = issued.member.tokens_valid_after_ms;
    set_session_cookies(state, cookies, issued.token);
    token_response(
        state,
        &user,
        &issued.family_id,
        issued.family_expires_at,
        started_ms,
    )
}

/// Why a password is checked; the audit log tells a wrong current password
/// apart from a failed login (both are `login_failed`, API.md's type).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum PasswordCheck {
    LogIn,
    ChangeOwn,
}

impl PasswordCheck {
    /// The body's field that holds the password checked.
    fn field(self) -> &'static str {
        match self {
            PasswordCheck::LogIn => "password",
            PasswordCheck::ChangeOwn => "current_password",
        }
    }
}

/// Reserves a password check in the failed-login throttle
/// (`auth::throttle`), or refuses it: 429 with `Retry-After`.
async fn reserve_attempt<'a>(
    state: &'a AppState,
    origin: &Origin,
    username: &str,
    now: i64,
) -> ApiResult<Reservation<'a>> {
    let throttle = &state.throttle;
    let mut subjects = Subjects::new(username, &origin.ip);
    let mut verdict = throttle.reserve(&subjects, now).await?;
    // Refused, or busy: perhaps by the account-wide or address-wide limit,
    // which do not hold where the member's sessions started lately (else
    // guesses from elsewhere, or at made-up names from a shared address,
    // failed or kept in flight, would lock the member out there). Looked up
    // only now, so that an attempt let through costs no query.
    let mut lockout_to_audit = false;
    if !matches!(verdict, Verdict::Go(_)) {
        lockout_to_audit = matches!(verdict, Verdict::Wait { first: true, .. });
        let since = now - KNOWN_ADDRESS_SECS;
        let known = db::refresh::session_addresses(&state.db, username, since).await?;
        if let Some(lifted) = subjects.signed_in_from(&known) {
            subjects = lifted;
            verdict = throttle.reserve(&subjects, now).await?;
        }
    }
    // Attempts in flight, none failed, fill a limit: their outcome decides.
    if matches!(verdict, Verdict::Busy) {
        verdict = throttle
            .reserve_waiting(&subjects, now, BUSY_PATIENCE)
            .await?;
    }
    let answer = match verdict {
        Verdict::Go(reservation) => Ok(reservation),
        Verdict::Wait {
            retry_after_secs,
            first,
        } => {
            lockout_to_audit |= first;
            Err(ApiError::RateLimited { retry_after_secs })
        }
        // Still in flight after all that time: the server is slow, not the client wrong.
        Verdict::Busy => Err(ApiError::RateLimited {
            retry_after_secs: BUSY_RETRY_SECS,
        }),
    };
    // One event per window (the first lockout marks it reported): a flood
    // cannot fill the disk or hog SQLite's writer. Recorded also when the
    // member is then let through where they sign in: the lockout this attempt
    // marked reported (a spray of names from their address) is not told again.
    if lockout_to_audit {
        let member = db::users::find_by_username(&state.db, username).await?;
        let subject = member.as_ref().map(|m| m.id.as_str());
        let event = login_event(AuditKind::LoginThrottled, origin, subject, username);
        db::audit::record_alone(&state.db, &event, now).await?;
    }
    answer
}

/// Checks `username`'s `password` behind the failed-login throttle: the one
/// path every password check takes (logging in, changing one's password).
/// Unknown user or wrong password: the same work, the same answer (no
/// enumeration). A disabled member's right password is a 403, counted as a
/// failure.
pub(super) async fn checked_password(
    state: &AppState,
    origin: &Origin,
    username: &str,
    password: String,
    check: PasswordCheck,
    now: i64,
) -> ApiResult<UserRow> {
    // Attacker-sized credentials are refused before any hashing or
    // bookkeeping: they would cost memory in the throttle and the audit.
    let mut oversized = FieldErrors::new();
    if username.chars().count() > USERNAME_MAX {
        oversized.insert(
            "username".into(),
            format!("must be at most {USERNAME_MAX} characters"),
        );
    }
    if password.chars().count() > PASSWORD_MAX {
        oversized.insert(
            check.field().into(),
            format!("must be at most {PASSWORD_MAX} characters"),
        );
    }
    if !oversized.is_empty() {
        return Err(ApiError::Validation(oversized));
    }
    // A phone's keyboard puts a space after a word it suggested; no
    // username has one at either end (`is_username_shaped`).
    // PostgreSQL cannot hold U+0000, in the lookup, the throttle or the
    // audit (a 503 there): a name with one matches no member, as U+FFFD.
    let username = &username.trim().replace('\0', "\u{FFFD}");
    let reservation = reserve_attempt(state, origin, username, now).await?;
    let queued = state.metrics.queued_for_hashing();
    let _permit = tokio::time::timeout(HASHING_WAIT, state.hashing.acquire())
        .await
        .map_err(|_| ApiError::Unavailable)?
        .map_err(ApiError::internal)?;
    drop(queued);
    let user = db::users::find_by_username(&state.db, username).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    if !password::verify(password, stored_hash).await? {
        reservation.failed().await?;
        let subject = user.as_ref().map(|u| u.id.as_str());
        let mut event = login_event(AuditKind::LoginFailed, origin, subject, username);
        if check == PasswordCheck::ChangeOwn {
            event.detail["changing_password"] = true.into();
        }
        db::audit::record_alone(&state.db, &event, now).await?;
        return Err(ApiError::InvalidCredentials);
    }
    let user = user.ok_or(ApiError::InvalidCredentials)?;
    // A disabled member's right password counts as a failed attempt:
    // whoever still holds it is throttled like any guesser.
    if user.disabled_at.is_some() {
        reservation.failed().await?;
        audit_disabled(state, origin, &user, now).await?;
        return Err(ApiError::AccountDisabled);
    }
    reservation.succeeded().await?;
    Ok(user)
}

#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", security(("refresh_cookie" = [])),
    responses((status = 200, description = "A new access token; rotates the refresh cookie", body = TokenResponse)))]
async fn refresh_session(
    State(state): State<AppState>,
    _: FromOurSite,
    ClientOrigin(origin): ClientOrigin,
    headers: HeaderMap,
    cookies: Cookies,
) -> ApiResult<Json<TokenResponse>> {
    let presented = presented_refresh_token(&state, &headers)?;
    let started_ms = now_ms();
    let grace = state.config.refresh_grace.as_secs() as i64;
    let (spender, secret) = (&state.refresh_spender, &state.successor_secret);
    let rotated = refresh::rotate(
        spender, &state.db, secret, &presented, grace, &origin, started_ms,
    )
    .await;
    let (rotated, user) = match rotated {
        Ok(rotated) => rotated,
        Err(RefreshError::Database(e)) => return Err(e.into()),
        Err(RefreshError::Invalid) => {
            state.metrics.refresh(RefreshOutcome::Invalid);
            clear_session_cookies(&state, &cookies);
            return Err(ApiError::InvalidToken);
        }
        Err(RefreshError::Reused { family_id }) => {
            tracing::warn!(%family_id, "refresh token reuse detected; family revoked");
            state.metrics.refresh(RefreshOutcome::ReuseDetected);
            // The thief's access tokens die with the family, not in five minutes.
            state.sessions_ended([family_id.as_str()]);
            clear_session_cookies(&state, &cookies);
            return Err(ApiError::InvalidToken);
        }
    };
    // In its last seconds a session can give no token that would live: it
    // has ended. A token with `expires_in: 0` would have the client refresh
    // again at once, in a loop, until the session's very end.
    let session_left =
        tokens::session_left_secs(rotated.family_expires_at, dated(started_ms, &user));
    if session_left <= 0 {
        state.metrics.refresh(RefreshOutcome::Invalid);
        clear_session_cookies(&state, &cookies);
        return Err(ApiError::InvalidToken);
    }
    state.metrics.refresh(if rotated.in_grace {
        RefreshOutcome::Grace
    } else {
        RefreshOutcome::Rotated
    });
    // Only the token changes: the hint set at login lives as long as the
    // session. A late request in the grace window may get no token: the
    // cookie the first request set is the family's one live token.
    if let Some(token) = rotated.token {
        // The session's time left, not a fresh lifetime: a dead session's
        // token is not kept for weeks in the jar of a shared or lost device.
        cookies.add(with_lifetime(refresh_cookie(&state, token), session_left));
    }
    let session = (&rotated.family_id, rotated.family_expires_at);
    token_response(&state, &user, session.0, session.1, started_ms).map(Json)
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security((), ("refresh_cookie" = [])),
    responses((status = 204, description = "Session revoked and cookie cleared; also 204 without a cookie or with an unknown one (logging out twice is not an error)")))]
async fn logout(
    State(state): State<AppState>,
    _: FromOurSite,
    ClientOrigin(origin): ClientOrigin,
    headers: HeaderMap,
    cookies: Cookies,
) -> ApiResult<StatusCode> {
    // Every session presented ends: with a planted second cookie (cookie
    // tossing), ending only one could leave ours alive, its cookie cleared.
    // A few at most: a header full of cookies is not a way to make work.
    let mut ended = Vec::new();
    let presented = cookie_values(&headers, state.config.refresh_cookie_name());
    for token in presented.take(4) {
        if let Some(family_id) = refresh::end(&state.db, token, &origin, now()).await? {
            ended.push(family_id);
        }
    }
    // The sessions' access tokens stop working now, not when they expire.
    state.sessions_ended(ended.iter().map(String::as_str));
    clear_session_cookies(&state, &cookies);
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in member as stored: a rename or a new instrument shows at once", body = User)))]
/// The member as stored, not as the token says (`crate::profiles`): the
/// same `user` object as the login's, and it still answers while the
/// database is away.
async fn me(State(state): State<AppState>, AuthUser(caller): AuthUser) -> Response {
    json_body(state.profiles.of(&state.db, &caller).await)
}

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "The public keys that verify access tokens (RFC 7517)", content_type = "application/json")))]
async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    let key_set = state.keys.current();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            // Short, so that clients pick up a rotated key within a minute;
            // new keys are published longer than this before they sign.
            (header::CACHE_CONTROL, keys::JWKS_CACHE_CONTROL),
        ],
        key_set.jwks.to_string(),
    )
}

/// The part of a user row that may leave the server.
pub fn public_user(row: &UserRow) -> ApiResult<User> {
    Ok(User {
        id: row.id.clone(),
        username: row.username.clone(),
        display_name: row.display_name.clone(),
        role: Role::parse(&row.role)
            .ok_or_else(|| ApiError::internal("unknown role in database"))?,
        disabled: row.disabled_at.is_some(),
        instrument: row.instrument.clone(),
    })
}

/// When an access token built from `member`, as this request read it, is
/// dated: when the request started, or just after the member's cut-off if
/// that is later. A role change made while the request ran, and read by it,
/// has its cut-off after the start: a token dated from the start would carry
/// the new role and still be refused as one from before the change. (One
/// built from the row as it was before the change keeps the start, before
/// that cut-off, and is refused.) A cut-off stamped by an instance whose
/// clock runs ahead is the same case.
fn dated(started_ms: i64, member: &UserRow) -> i64 {
    started_ms.max(member.tokens_valid_after_ms + 1)
}

fn token_response(
    state: &AppState,
    user: &UserRow,
    session_id: &str,
    session_expires_at: i64,
    started_ms: i64,
) -> ApiResult<TokenResponse> {
    let public = public_user(user)?;
    let token = NewToken {
        issuer: &state.config.issuer,
        user_id: &user.id,
        username: &user.username,
        name: &user.display_name,
        role: public.role,
        session_id,
        issued_at_ms: dated(started_ms, user),
        ttl_secs: state.config.access_ttl.as_secs() as i64,
        session_expires_at,
    };
    let expires_in = token.lifetime_secs().max(0) as u64;
    Ok(TokenResponse {
        access_token: tokens::issue(&state.keys.current(), token)?,
        token_type: "Bearer".to_string(),
        expires_in,
        user: public,
    })
}

/// The refresh token the request presents. Two cookies of that name mean
/// that a sibling subdomain planted one (cookie tossing, which `__Secure-`
/// does not stop): which is ours cannot be told, so neither is used — nor
/// cleared, which would leave the planted one alone.
fn presented_refresh_token(state: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    let mut presented = cookie_values(headers, state.config.refresh_cookie_name());
    match (presented.next(), presented.next()) {
        (Some(token), None) => Ok(token.to_string()),
        (None, _) => Err(ApiError::MissingToken),
        (Some(_), Some(_)) => Err(ApiError::InvalidToken),
    }
}

/// A guard for the routes that read or set the session's cookies: it stops
/// CSRF (and login CSRF). A browser always sends `Origin` on a cross-site
/// POST, and it must be ours (a `null` origin is not); `Sec-Fetch-Site`, when
/// sent, must be one of the browser's values other than `cross-site`. Either
/// header sent twice is refused (`at_most_once`). Listed before the body's
/// extractor, a cross-site request is refused before its body is read.
struct FromOurSite;

impl FromRequestParts<AppState> for FromOurSite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<FromOurSite> {
        let origin_ok = at_most_once(&parts.headers, header::ORIGIN).is_ok_and(|origin| {
            origin.is_none_or(|origin| state.config.is_public_origin(origin.as_bytes()))
        });
        // The values a browser sends, but `cross-site`: a joined line such as
        // "same-origin, cross-site" is none of them.
        let fetch_site_ok = at_most_once(&parts.headers, "sec-fetch-site").is_ok_and(|site| {
            site.is_none_or(|site| {
                matches!(site.as_bytes(), b"same-origin" | b"same-site" | b"none")
            })
        });
        if origin_ok && fetch_site_ok {
            Ok(FromOurSite)
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

fn refresh_cookie(state: &AppState, value: String) -> Cookie<'static> {
    hardened_cookie(state, state.config.refresh_cookie_name(), value)
        .path(REFRESH_COOKIE_PATH)
        .build()
}

/// The hint cookie: "this browser has a session", no secret in it. Pages read
/// it (server-side) to decide whether a silent refresh is worth trying.
fn hint_cookie(state: &AppState, value: &'static str) -> Cookie<'static> {
    hardened_cookie(
        state,
        state.config.session_hint_cookie_name(),
        value.to_string(),
    )
    .path("/")
    .build()
}

pub(super) fn hardened_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
) -> tower_cookies::cookie::CookieBuilder<'static> {
    Cookie::build((name, value))
        // HttpOnly: script (and so XSS) cannot read the refresh token.
        .http_only(true)
        // Strict: the browser never attaches it to a request another site starts (CSRF).
        .same_site(SameSite::Strict)
        // Secure: never sent over plain http, except in local development.
        .secure(state.config.secure_cookies())
}

/// A login's cookies: the refresh token and the hint that a session exists.
fn set_session_cookies(state: &AppState, cookies: &Cookies, token: String) {
    let lifetime = state.config.refresh_ttl.as_secs() as i64;
    for cookie in [refresh_cookie(state, token), hint_cookie(state, "1")] {
        cookies.add(with_lifetime(cookie, lifetime));
    }
}

fn with_lifetime(mut cookie: Cookie<'static>, seconds: i64) -> Cookie<'static> {
    cookie.set_max_age(CookieDuration::seconds(seconds));
    cookie
}

fn clear_session_cookies(state: &AppState, cookies: &Cookies) {
    for mut cookie in [refresh_cookie(state, String::new()), hint_cookie(state, "")] {
        cookie.set_max_age(CookieDuration::ZERO);
        cookies.add(cookie);
    }
}

/// A disabled member's right password, kept in the audit log: whoever still
/// holds a removed member's password is a manager's business.
async fn audit_disabled(
    state: &AppState,
    origin: &Origin,
    user: &UserRow,
    now: i64,
) -> ApiResult<()> {
    let mut event = login_event(
        AuditKind::LoginFailed,
        origin,
        Some(&user.id),
        &user.username,
    );
    event.detail["disabled"] = true.into();
    db::audit::record_alone(&state.db, &event, now).await?;
    Ok(())
}

/// A login attempt for the audit trail: the member's username, never the
/// password, nor a name no member has.
fn login_event<'a>(
    kind: AuditKind,
    origin: &'a Origin,
    subject_id: Option<&'a str>,
    username: &str,
) -> Event<'a> {
    // A name no member has is not kept: people type their password into the
    // username field, and the audit log must never hold a password.
    let detail = match subject_id {
        Some(_) => serde_json::json!({ "username": username }),
        None => serde_json::json!({ "unknown_username": true }),
    };
    Event {
        kind,
        origin,
        subject_id,
        detail,
    }
}
