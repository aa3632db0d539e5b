//! The browser's API client. Every call carries the in-memory access token as
//! `Authorization: Bearer`; a 401 triggers one silent refresh and one retry.
//! On the server (SSR) there is no token and no fetch: calls fail politely,
//! and pages only make them from client-side resources and actions.

use std::collections::BTreeMap;

use leptos::prelude::{Get, LocalResource, Signal};
use serde::{Serialize, de::DeserializeOwned};

use crate::session::Session;

/// Why a call failed, in words a page can show.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiFailure {
    /// 0 when the server was not reached.
    pub status: u16,
    pub code: String,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub current_version: Option<i64>,
    pub retry_after_secs: Option<u64>,
}

impl ApiFailure {
    /// The server could not answer now and said so (408, 429, 5xx): the
    /// request may be repeated, and nothing about the session was decided.
    pub fn asks_to_retry(&self) -> bool {
        matches!(self.status, 408 | 429 | 500..=599)
    }

    pub fn network(detail: impl std::fmt::Display) -> ApiFailure {
        ApiFailure {
            status: 0,
            code: "network".into(),
            message: format!(
                "Could not reach the server ({detail}). Check your connection and try again."
            ),
            fields: BTreeMap::new(),
            current_version: None,
            retry_after_secs: None,
        }
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
                code: "internal".into(),
                message: format!("The server answered {status}."),
                fields: BTreeMap::new(),
                current_version: None,
                retry_after_secs,
            },
        }
    }

    /// The message with the field problems spelled out.
    pub fn describe(&self) -> String {
        let mut text = self.message.clone();
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
    decode(&call_json(session, method, path, body.as_deref()).await?)
}

pub async fn get<T: DeserializeOwned>(session: Session, path: &str) -> Result<T, ApiFailure> {
    call::<T, ()>(session, Method::Get, path, None).await
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
    LocalResource::new(move || {
        let path = path.get();
        async move {
            if path.is_empty() {
                std::future::pending::<()>().await;
            }
            get::<T>(session, &path).await
        }
    })
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
    decode(&exchange(method, path, token, body.as_deref()).await?)
}

// The generic functions above only encode and decode; the requests are made
// by the two below, which take and give JSON text. One copy of them serves
// every type, instead of one per answer type in the wasm.

fn encode<B: Serialize>(body: Option<&B>) -> Result<Option<String>, ApiFailure> {
    body.map(|body| serde_json::to_string(body).map_err(ApiFailure::network))
        .transpose()
}

fn decode<T: DeserializeOwned>(text: &str) -> Result<T, ApiFailure> {
    // 204 has no body; `()` decodes from `null`.
    let text = if text.is_empty() { "null" } else { text };
    serde_json::from_str(text).map_err(ApiFailure::network)
}

async fn call_json(
    session: Session,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> Result<String, ApiFailure> {
    let token = session.access_token().await?;
    match exchange(method, path, Some(&token), body).await {
        Err(failure) if failure.status == 401 => {
            // The token expired or was revoked: refresh once, then retry once.
            let token = session.refresh_now().await?;
            exchange(method, path, Some(&token), body).await
        }
        other => other,
    }
}

#[cfg(feature = "hydrate")]
async fn exchange(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<String, ApiFailure> {
    use gloo_net::http::{Method as HttpMethod, RequestBuilder};

    let http_method = match method {
        Method::Get => HttpMethod::GET,
        Method::Post => HttpMethod::POST,
        Method::Put => HttpMethod::PUT,
        Method::Patch => HttpMethod::PATCH,
        Method::Delete => HttpMethod::DELETE,
    };
    let mut builder = RequestBuilder::new(path).method(http_method);
    if let Some(token) = token {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => builder
            .header("Content-Type", "application/json")
            .body(body.to_string()),
        None => builder.build(),
    }
    .map_err(ApiFailure::network)?;
    let response = request.send().await.map_err(ApiFailure::network)?;
    let status = response.status();
    let text = response.text().await.map_err(ApiFailure::network)?;
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

#[cfg(not(feature = "hydrate"))]
async fn exchange(
    _: Method,
    _: &str,
    _: Option<&str>,
    _: Option<&str>,
) -> Result<String, ApiFailure> {
    Err(ApiFailure::network(
        "the API is called from the browser only",
    ))
}
