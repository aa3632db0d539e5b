//! The browser's API client. Every call carries the in-memory access token as
//! `Authorization: Bearer`; a 401 triggers one silent refresh and one retry.
//! Pages only make calls from client-side resources and actions.

use std::{future::Future, time::Duration};

use leptos::prelude::{
    Get, GetValue, LocalResource, RwSignal, SetValue, Signal, StoredValue, Track, Update,
    UpdateValue, WithUntracked, on_cleanup, set_timeout, window_event_listener,
};
use serde::{Serialize, de::DeserializeOwned};

pub use super::transport::{ApiFailure, Method};
use super::{
    ErrorCode,
    transport::{Guard, decode, encode, exchange, pause},
};
use crate::session::Session;

/// Calls the API as the signed-in member and decodes the answer (`()` for 204).
pub async fn call<T, B>(
    session: Session,
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiFailure>
where
    T: DeserializeOwned,
    B: Serialize,
{
    let body = encode(body)?;
    decode(&call_json(session, method, path, body.as_deref(), Guard::None).await?)
}

/// `DELETE path`, only if the resource is still at `version` (`If-Match`):
/// a delete decided on a stale page gets 409 instead of taking a newer edit.
pub async fn delete_at(session: Session, path: &str, version: i64) -> Result<(), ApiFailure> {
    call_json(session, Method::Delete, path, None, Guard::IfMatch(version))
        .await
        .map(drop)
}

/// `POST path`, a create the client names `key` (`Idempotency-Key`): sent
/// again (a reload while it was on its way), it answers with what the first
/// one made instead of making another.
pub async fn create<T, B>(
    session: Session,
    path: &str,
    body: &B,
    key: &str,
) -> Result<T, ApiFailure>
where
    T: DeserializeOwned,
    B: Serialize,
{
    let body = encode(Some(body))?;
    let guard = Guard::IdempotencyKey(key);
    decode(&call_json(session, Method::Post, path, body.as_deref(), guard).await?)
}

pub async fn get<T: DeserializeOwned>(session: Session, path: &str) -> Result<T, ApiFailure> {
    call::<T, ()>(session, Method::Get, path, None).await
}

/// `GET path`'s body as text (a CSV export, say).
pub async fn get_text(session: Session, path: &str) -> Result<String, ApiFailure> {
    call_json(session, Method::Get, path, None, Guard::None).await
}

/// `GET path` as a resource: fetched in the browser (where the access token
/// lives), again whenever `path` changes. Every page's list goes through
/// here, so the wasm holds one copy of the resource code per answer type, not
/// one per page. (A page a member may not read yet makes its resource only
/// when they may: a future that never ends would hold the resource's loop,
/// and a new path would never be read.)
pub fn get_resource<T>(
    session: Session,
    path: Signal<String>,
) -> LocalResource<Result<T, ApiFailure>>
where
    T: DeserializeOwned + 'static,
{
    let read = move || {
        let path = path.get();
        async move { get::<T>(session, &path).await }
    };
    let resource = read_until_answered(read, worth_reading_again);
    read_again_when_online(resource);
    resource
}

/// A resource read again while `failed` says its answer is worth another
/// try: after 2, 4, 8 and 16 s, then every 30 s, until it is not. A failed
/// re-read after a live change would otherwise leave the page stale, or
/// showing the failure, until the next change came. (Scheduled by the read
/// itself: an effect watching the resource would draw the page once more.)
pub fn read_until_answered<T, Answer>(
    read: impl Fn() -> Answer + 'static,
    failed: impl Fn(&T) -> bool + Copy + 'static,
) -> LocalResource<T>
where
    T: 'static,
    Answer: Future<Output = T> + 'static,
{
    let again = RwSignal::new(0u32);
    let tries = StoredValue::new(0u32);
    LocalResource::new(move || {
        again.track();
        let answer = read();
        async move {
            let answer = answer.await;
            if failed(&answer) {
                tries.try_update_value(|tries| *tries += 1);
                let delay = retry_delay(tries.try_get_value().unwrap_or(1));
                // Not once the page has gone: its signals go with it.
                let read_again = move || {
                    again.try_update(|n| *n += 1);
                };
                set_timeout(read_again, delay);
            } else {
                tries.try_set_value(0);
            }
            answer
        }
    })
}

/// A read that failed for want of signal, or that the server asked to have
/// repeated (a 503 while the database is away).
pub fn worth_reading_again<T>(read: &Result<T, ApiFailure>) -> bool {
    matches!(read, Err(failure) if failure.worth_repeating())
}

/// A read that failed for want of signal is also made again at once when
/// the browser says the signal is back.
pub fn read_again_when_online<T: 'static>(resource: LocalResource<Result<T, ApiFailure>>) {
    let online = window_event_listener(leptos::ev::online, move |_| {
        let offline_failure = resource
            .with_untracked(|read| matches!(read, Some(Err(failure)) if failure.status == 0));
        if offline_failure {
            resource.refetch();
        }
    });
    on_cleanup(move || online.remove());
}

/// Reads `path` again after a live change until it can, with the delays of
/// `read_until_answered`, while `wanted()` (the page is still there). `None`: not to be had
/// (deleted, forbidden), or no longer wanted.
pub async fn reread<T: DeserializeOwned>(
    session: Session,
    path: &str,
    wanted: impl Fn() -> bool,
) -> Option<T> {
    let mut tries = 0;
    loop {
        match get(session, path).await {
            Ok(answer) => return Some(answer),
            Err(failure) if failure.worth_repeating() => tries += 1,
            Err(_) => return None,
        }
        pause(retry_delay(tries)).await;
        if !wanted() {
            return None;
        }
    }
}

/// 2, 4, 8, 16, then 30 s: soon for a blip, sparing a phone's battery for
/// an outage.
fn retry_delay(tries: u32) -> Duration {
    Duration::from_secs((1u64 << tries.clamp(1, 5)).min(30))
}

async fn call_json(
    session: Session,
    method: Method,
    path: &str,
    body: Option<&str>,
    guard: Guard<'_>,
) -> Result<String, ApiFailure> {
    let token = session.access_token().await?;
    match exchange(method, path, Some(&token), body, guard).await {
        // Not for a wrong current password (`invalid_credentials`): sent
        // again, it would count twice against the login throttle.
        Err(failure) if failure.status == 401 && failure.code != ErrorCode::InvalidCredentials => {
            // The token expired or was revoked: refresh once, then retry once.
            let token = session.refresh_now().await?;
            exchange(method, path, Some(&token), body, guard).await
        }
        other => other,
    }
}
