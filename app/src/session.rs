//! The browser's session: who is signed in and their access token, held in
//! memory only — never in localStorage, sessionStorage or a readable cookie,
//! where any injected script could steal it. The refresh token is an HttpOnly
//! cookie the browser attaches to `/api/auth/*` by itself.
//!
//! - On page load the session is restored with one silent refresh.
//! - Shortly before the access token expires it is refreshed again.
//! - Refreshes are single-flight: concurrent callers share the one request in
//!   flight. Each refresh spends the cookie; the server forgives a second
//!   refresh with the same cookie only within its short grace window (other
//!   tabs), and after that it counts as a stolen token being replayed.
//! - The server renders every page as `Restoring`, and so does the first
//!   client render: the HTML matches and hydration stays clean.

use leptos::prelude::*;

use crate::api::{
    KeyId, LoginRequest, Role, TokenResponse, User,
    transport::{self, ApiFailure, Method},
};

/// Whether the request that rendered the page carried the session-hint
/// cookie: a flag (no secret) set at login, for as long as the session lasts,
/// and cleared with the refresh cookie. The refresh cookie itself is confined to `/api/auth`, so pages
/// never see it; the hint lets the browser skip the silent refresh, and the
/// 401 it would log, for visitors who have no session at all.
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionHint(pub bool);

pub const SESSION_HINT_COOKIE: &str = "backstage_session";

/// The username of a login form that the server refused (`POST /login`,
/// before the app had arrived): the login page it redirects to is rendered
/// with it filled in, so only the password is typed again. Kept a minute in
/// a cookie, never in the URL (URLs end up in logs and histories).
#[derive(Clone, Debug)]
pub struct TypedUsername(pub String);

pub const TYPED_USERNAME_COOKIE: &str = "backstage_login_name";
/// The `<meta>` through which the shell hands the hint to the browser.
pub const SESSION_HINT_META: &str = "backstage-session";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not yet known: the silent refresh is under way (and always during SSR).
    Restoring,
    SignedOut,
    SignedIn,
}

#[derive(Clone, Debug, PartialEq)]
struct AccessToken {
    value: String,
    /// Milliseconds since the epoch, by the browser's clock.
    expires_at_ms: f64,
    /// When the silent refresh is due.
    refresh_at_ms: f64,
}

/// What the "Your pass" page shows of the current token: its decoded parts
/// and its timing, never the token itself.
#[derive(Clone, Debug, PartialEq)]
pub struct PassView {
    /// The JSON of the token's header and claims, indented for reading.
    pub header: String,
    pub claims: String,
    /// The signing key's id, from the header.
    pub kid: String,
    pub expires_at_ms: f64,
    pub refresh_at_ms: f64,
}

/// A handle to the session, provided as context; cheap to copy.
#[derive(Clone, Copy)]
pub struct Session {
    status: RwSignal<Status>,
    user: RwSignal<Option<User>>,
    token: RwSignal<Option<AccessToken>>,
    /// A refresh the server asked us to repeat is scheduled.
    retry_pending: RwSignal<bool>,
    /// Why the member was signed out without asking, for the login page.
    notice: RwSignal<Option<&'static str>>,
    /// "Log out" was pressed: the stream that ends with it is no news.
    leaving: RwSignal<bool>,
    /// The last refresh got no usable answer; one is scheduled.
    unreachable: RwSignal<bool>,
    /// The page came with the session hint: there is a session to restore.
    hinted: bool,
    /// Refreshes in a row that got no answer at all.
    no_signal_tries: StoredValue<u32>,
}

/// Refresh this long before the token expires.
const REFRESH_AHEAD_MS: f64 = 30_000.0;

/// How soon a refresh that got no answer (no signal) is tried again: 3 s,
/// then twice as long each time, up to half a minute.
fn no_signal_retry_secs(tries: u32) -> u64 {
    (3u64 << tries.min(4)).min(30)
}

impl Session {
    /// Creates the session, provides it to the app and, in the browser, starts
    /// the silent restore.
    pub fn provide() -> Session {
        let session = Session {
            status: RwSignal::new(Status::Restoring),
            user: RwSignal::new(None),
            token: RwSignal::new(None),
            retry_pending: RwSignal::new(false),
            notice: RwSignal::new(None),
            leaving: RwSignal::new(false),
            unreachable: RwSignal::new(false),
            hinted: page_hints_a_session(),
            no_signal_tries: StoredValue::new(0),
        };
        provide_context(session);
        Effect::new(move |_| {
            if session.hinted {
                leptos::task::spawn_local(async move {
                    let _ = session.refresh_now().await;
                });
            } else {
                session.status.set(Status::SignedOut);
            }
        });
        session
    }

    pub fn status(&self) -> Status {
        self.status.get()
    }

    /// Whether to offer "Log in": signed out, or a visitor with no session to
    /// restore. A member whose session is being restored, or whose server
    /// cannot be reached, is not told to log in again.
    pub fn offers_login(&self) -> bool {
        match self.status() {
            Status::SignedOut => true,
            Status::Restoring => !self.hinted,
            Status::SignedIn => false,
        }
    }

    pub fn status_untracked(&self) -> Status {
        self.status.get_untracked()
    }

    /// The server ended this session (a revoke, a logout elsewhere, a
    /// disabled account): signed out, with a word for the login page.
    pub fn ended_elsewhere(&self) {
        if self.leaving.get_untracked() {
            return self.forget();
        }
        self.notice.set(Some(
            "Your session has ended: it was signed out elsewhere or by a manager. Log in again to continue.",
        ));
        self.forget();
    }

    /// "Log out" was pressed and is under way.
    pub fn is_leaving(&self) -> bool {
        self.leaving.get_untracked()
    }

    /// Why the member was signed out, if it was not their doing.
    pub fn notice(&self) -> Option<&'static str> {
        self.notice.get()
    }

    pub fn user(&self) -> Option<User> {
        self.user.get()
    }

    /// Whether `user_id` is the signed-in member's (untracked). Changes are
    /// known to be one's own by id: two members may share a display name.
    pub fn is_me(&self, user_id: &str) -> bool {
        self.user
            .with_untracked(|user| user.as_ref().is_some_and(|me| me.id == user_id))
    }

    /// The current token, decoded for display (tracked: changes on refresh).
    pub fn pass(&self) -> Option<PassView> {
        self.token.with(|token| {
            let token = token.as_ref()?;
            let mut parts = token.value.split('.');
            let header = decode_segment(parts.next()?)?;
            let claims = decode_segment(parts.next()?)?;
            Some(PassView {
                kid: serde_json::from_str::<KeyId>(&header).ok()?.kid,
                header: indented(&header)?,
                claims: indented(&claims)?,
                expires_at_ms: token.expires_at_ms,
                refresh_at_ms: token.refresh_at_ms,
            })
        })
    }

    pub fn is_manager(&self) -> bool {
        self.user
            .with(|user| user.as_ref().is_some_and(|u| u.role == Role::Manager))
    }

    pub async fn login(&self, username: String, password: String) -> Result<(), ApiFailure> {
        let request = LoginRequest { username, password };
        let answer = transport::send(Method::Post, "/api/auth/login", None, Some(&request)).await?;
        self.accept(answer);
        Ok(())
    }

    /// Revokes this device's own session from the sessions page: a leaving,
    /// like "Log out". The server ends the live stream as soon as the session
    /// is revoked, which must not be taken for a reason to refresh (and be
    /// refused) before the answer to `revoking` arrives.
    pub async fn revoke_own(
        &self,
        revoking: impl Future<Output = Result<(), ApiFailure>>,
    ) -> Result<(), ApiFailure> {
        self.leaving.set(true);
        match revoking.await {
            Ok(()) => {
                // The family is revoked already: however the logout goes,
                // this device is signed out here.
                let _ = self.logout().await;
                Ok(())
            }
            Err(failure) => {
                self.leaving.set(false);
                Err(failure)
            }
        }
    }

    /// Ends the session on the server (revoking the refresh family) and here.
    pub async fn logout(&self) -> Result<(), ApiFailure> {
        self.leaving.set(true);
        // Taken now: a request refused meanwhile may sign this page out first.
        let member = self
            .user
            .with_untracked(|user| user.as_ref().map(|u| u.id.clone()));
        let result = transport::send::<(), ()>(Method::Post, "/api/auth/logout", None, None).await;
        if let Some(member) = member {
            crate::kept::forget_all_of(&member);
        }
        self.forget();
        result
    }

    /// A token good for at least a few more seconds, refreshing if needed.
    pub async fn access_token(&self) -> Result<String, ApiFailure> {
        match self.fresh_token() {
            Some(token) => Ok(token),
            None => self.refresh_now().await,
        }
    }

    /// The token in hand if it is good for a few more seconds; never a
    /// refresh (a page being closed has no time to wait for one).
    pub fn fresh_token(&self) -> Option<String> {
        self.token.with_untracked(|token| {
            token
                .as_ref()
                .filter(|t| t.expires_at_ms - now_ms() > 2_000.0)
                .map(|t| t.value.clone())
        })
    }

    /// Trades the refresh cookie for a new access token (single-flight).
    /// A refusal signs the user out. A network error does not, nor does a
    /// server that asks to be asked again (busy, its database away, shutting
    /// down): the refresh is tried again after its `Retry-After`, so a
    /// database outage of a few seconds signs nobody out. With no answer at
    /// all (no signal) it is tried again after 3 s, then less and less often
    /// (up to every 30 s): a page restoring its session would otherwise wait
    /// on "Checking…" until a reload, and a phone at a gig with no signal
    /// would spend its battery asking every few seconds.
    pub async fn refresh_now(&self) -> Result<String, ApiFailure> {
        match single_flight_refresh().await {
            Ok(answer) => {
                let token = answer.access_token.clone();
                self.accept(answer);
                Ok(token)
            }
            Err(failure) => {
                if failure.asks_to_retry() {
                    self.refresh_again_after(failure.retry_after_secs.unwrap_or(2));
                } else if failure.status == 0 {
                    // Counted once per request, however many callers shared it.
                    if !self.retry_pending.get_untracked() {
                        let tries = self.no_signal_tries.get_value();
                        self.no_signal_tries.set_value(tries + 1);
                        self.refresh_again_after(no_signal_retry_secs(tries));
                    }
                } else {
                    // Refused where a session was known (signed in, or the
                    // page's hint): revoked, disabled or reset meanwhile, and
                    // the login page says so.
                    if self.hinted || self.status.get_untracked() == Status::SignedIn {
                        self.ended_elsewhere();
                    } else {
                        self.forget();
                    }
                    return Err(failure);
                }
                set_if_changed(self.unreachable, true);
                Err(failure)
            }
        }
    }

    /// The last refresh got no usable answer and another is scheduled
    /// (tracked): the sign-in guard says so rather than only "Checking…".
    pub fn unreachable(&self) -> bool {
        self.unreachable.get()
    }

    /// One retry pending at a time, however many calls saw the failure.
    fn refresh_again_after(&self, seconds: u64) {
        if self.retry_pending.get_untracked() {
            return;
        }
        self.retry_pending.set(true);
        let session = *self;
        let retry = move || {
            session.retry_pending.set(false);
            leptos::task::spawn_local(async move {
                let _ = session.refresh_now().await;
            });
        };
        #[cfg(feature = "hydrate")]
        set_timeout(retry, std::time::Duration::from_secs(seconds.clamp(1, 30)));
        #[cfg(not(feature = "hydrate"))]
        let _ = (retry, seconds);
    }

    fn accept(&self, answer: TokenResponse) {
        self.no_signal_tries.set_value(0);
        self.notice.set(None);
        self.leaving.set(false);
        set_if_changed(self.unreachable, false);
        let lifetime_ms = answer.expires_in as f64 * 1000.0;
        let expires_at_ms = now_ms() + lifetime_ms;
        let refresh_at_ms = now_ms() + refresh_delay_ms(lifetime_ms);
        self.token.set(Some(AccessToken {
            value: answer.access_token,
            expires_at_ms,
            refresh_at_ms,
        }));
        // Set only what changed: a refresh must not re-render the signed-in
        // page (and dispose the work in flight on it) when nothing changed.
        if self
            .user
            .with_untracked(|user| user.as_ref() != Some(&answer.user))
        {
            self.user.set(Some(answer.user));
        }
        if self.status.get_untracked() != Status::SignedIn {
            self.status.set(Status::SignedIn);
        }
        self.schedule_refresh(expires_at_ms, refresh_at_ms - now_ms());
    }

    fn forget(&self) {
        // The shows kept for the gig go with the session that read them.
        crate::offline::forget_all();
        self.token.set(None);
        self.user.set(None);
        set_if_changed(self.unreachable, false);
        self.status.set(Status::SignedOut);
    }

    /// Refreshes ahead of expiry, unless a newer token has arrived meanwhile.
    fn schedule_refresh(&self, expires_at_ms: f64, delay_ms: f64) {
        let session = *self;
        let due = move || {
            let current = session
                .token
                .with_untracked(|t| t.as_ref().map(|t| t.expires_at_ms));
            if current == Some(expires_at_ms) {
                leptos::task::spawn_local(async move {
                    let _ = session.refresh_now().await;
                });
            }
        };
        #[cfg(feature = "hydrate")]
        set_timeout(due, std::time::Duration::from_millis(delay_ms as u64));
        #[cfg(not(feature = "hydrate"))]
        let _ = (due, delay_ms);
    }
}

/// Sets `signal` only when the value changes: its readers are not told
/// of a retry that changed nothing.
fn set_if_changed(signal: RwSignal<bool>, value: bool) {
    if signal.get_untracked() != value {
        signal.set(value);
    }
}

/// Refresh `REFRESH_AHEAD_MS` before expiry, but never in the first 80% of
/// a (short) lifetime, and never sooner than a second from now.
fn refresh_delay_ms(lifetime_ms: f64) -> f64 {
    (lifetime_ms - REFRESH_AHEAD_MS)
        .max(lifetime_ms * 0.8)
        .max(1_000.0)
}

/// A JWT segment (base64url JSON) as its JSON text.
fn decode_segment(segment: &str) -> Option<String> {
    String::from_utf8(base64url_decode(segment)?).ok()
}

/// JSON re-indented by the browser's own `JSON`, so the wasm carries no JSON
/// tree or pretty-printer of its own.
#[cfg(feature = "hydrate")]
fn indented(json: &str) -> Option<String> {
    use leptos::wasm_bindgen::JsValue;

    let value = js_sys::JSON::parse(json).ok()?;
    js_sys::JSON::stringify_with_replacer_and_space(&value, &JsValue::NULL, &JsValue::from(2))
        .ok()?
        .as_string()
}

/// The server renders no pass (the token lives only in the browser).
#[cfg(not(feature = "hydrate"))]
fn indented(json: &str) -> Option<String> {
    Some(json.to_owned())
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.bytes() {
        buffer = (buffer << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

#[cfg(feature = "hydrate")]
fn page_hints_a_session() -> bool {
    leptos::prelude::document()
        .query_selector(&format!("meta[name={SESSION_HINT_META}]"))
        .ok()
        .flatten()
        .and_then(|meta| meta.get_attribute("content"))
        .is_some_and(|content| content == "1")
}

/// On the server, the request's own hint: both renders of the page agree.
#[cfg(not(feature = "hydrate"))]
fn page_hints_a_session() -> bool {
    use_context::<SessionHint>().is_some_and(|hint| hint.0)
}

#[cfg(feature = "hydrate")]
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(not(feature = "hydrate"))]
pub fn now_ms() -> f64 {
    0.0
}

#[cfg(feature = "hydrate")]
mod flight {
    use std::cell::RefCell;

    use futures::future::{FutureExt, LocalBoxFuture, Shared};

    use super::*;

    type Refresh = Shared<LocalBoxFuture<'static, Result<TokenResponse, ApiFailure>>>;

    thread_local! {
        /// The refresh in flight, shared by everyone who asks meanwhile.
        static IN_FLIGHT: RefCell<Option<Refresh>> = const { RefCell::new(None) };
    }

    pub async fn single_flight_refresh() -> Result<TokenResponse, ApiFailure> {
        let refresh = IN_FLIGHT.with(|slot| {
            slot.borrow_mut()
                .get_or_insert_with(|| {
                    async {
                        let answer = transport::send::<TokenResponse, ()>(
                            Method::Post,
                            "/api/auth/refresh",
                            None,
                            None,
                        )
                        .await;
                        IN_FLIGHT.with(|slot| slot.borrow_mut().take());
                        answer
                    }
                    .boxed_local()
                    .shared()
                })
                .clone()
        });
        refresh.await
    }
}

#[cfg(feature = "hydrate")]
use flight::single_flight_refresh;

#[cfg(not(feature = "hydrate"))]
async fn single_flight_refresh() -> Result<TokenResponse, ApiFailure> {
    transport::send(Method::Post, "/api/auth/refresh", None, None::<&()>).await
}

#[cfg(test)]
mod tests;
