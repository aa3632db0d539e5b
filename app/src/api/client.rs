//! The browser's API client. Every call carries the in-memory access token as
//! `Authorization: Bearer`; a 401 triggers one silent refresh and one retry.
//! Pages only make calls from client-side resources and actions.

use leptos::prelude::{
    Get, LocalResource, Signal, WithUntracked, on_cleanup, window_event_listener,
};
use serde::{Serialize, de::DeserializeOwned};

pub use super::transport::{ApiFailure, Method};
use super::{
    ErrorCode,
    transport::{decode, encode, exchange},
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
    decode(&call_json(session, method, path, body.as_deref(), None).await?)
}

/// `DELETE path`, only if the resource is still at `version` (`If-Match`):
/// a delete decided on a stale page gets 409 instead of taking a newer edit.
pub async fn delete_at(session: Session, path: &str, version: i64) -> Result<(), ApiFailure> {
    call_json(session, Method::Delete, path, None, Some(version))
        .await
        .map(drop)
}

pub async fn get<T: DeserializeOwned>(session: Session, path: &str) -> Result<T, ApiFailure> {
    call::<T, ()>(session, Method::Get, path, None).await
}

/// `GET path`'s body as text (a CSV export, say).
pub async fn get_text(session: Session, path: &str) -> Result<String, ApiFailure> {
    call_json(session, Method::Get, path, None, None).await
}

/// `GET path` as a resource: fetched in the browser (where the access token
/// lives), again whenever `path` changes; an empty path fetches nothing and
/// stays loading. Every page's list goes through here, so the wasm holds one
/// copy of the resource code per answer type, not one per page.
pub fn get_resource<T>(
    session: Session,
    path: Signal<String>,
) -> LocalResource<Result<T, ApiFailure>>
where
    T: DeserializeOwned + 'static,
{
    let resource = LocalResource::new(move || {
        let path = path.get();
        async move {
            if path.is_empty() {
                std::future::pending::<()>().await;
            }
            get::<T>(session, &path).await
        }
    });
    read_again_when_online(resource);
    resource
}

/// A read that failed for want of signal is made again when the browser
/// says the signal is back, instead of the page showing the failure until
/// it is reloaded.
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

async fn call_json(
    session: Session,
    method: Method,
    path: &str,
    body: Option<&str>,
    if_match: Option<i64>,
) -> Result<String, ApiFailure> {
    let token = session.access_token().await?;
    match exchange(method, path, Some(&token), body, if_match).await {
        // Not for a wrong current password (`invalid_credentials`): sent
        // again, it would count twice against the login throttle.
        Err(failure) if failure.status == 401 && failure.code != ErrorCode::InvalidCredentials => {
            // The token expired or was revoked: refresh once, then retry once.
            let token = session.refresh_now().await?;
            exchange(method, path, Some(&token), body, if_match).await
        }
        other => other,
    }
}
