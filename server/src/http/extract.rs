//! Request parts the handlers share: JSON bodies and path ids that fail with
//! the contract's errors instead of axum's plain-text rejections, and the
//! client's address.

use std::net::SocketAddr;

use app::api::validation::FieldErrors;
use axum::{
    body::Bytes,
    extract::{
        ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request,
        rejection::{JsonDataError, JsonRejection, JsonSyntaxError, PathRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::headers::at_most_once;
use crate::{db::audit::Origin, error::ApiError, state::AppState};

/// `axum::Json`, with rejections mapped to 400 / 413 / 415, and well-formed
/// JSON that does not fit the request (a field missing or of the wrong type)
/// to 422 with the field named, like any other validation error.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        if !is_json_in_utf8(&request) {
            return Err(ApiError::UnsupportedMediaType);
        }
        refuse_encoded(request.headers())?;
        // axum's checks next: the size, the JSON syntax. Not its
        // `Json` extractor: its own Content-Type check refuses what RFC 9110
        // allows (`application/json ; charset=utf-8`).
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| json_rejection(rejection.into()))?;
        let axum::Json(body) =
            axum::Json::<Box<RawValue>>::from_bytes(&body).map_err(json_rejection)?;
        // serde also fills a struct from an array, field by field in order
        // (`["drummer","pass"]` was a login): every body here is an object.
        if !body.get().starts_with('{') {
            return Err(ApiError::BadRequest(
                "the request body must be a JSON object".into(),
            ));
        }
        match axum::Json::<T>::from_bytes(body.get().as_bytes()) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// Refuses a body sent with a `Content-Encoding` (gzip, br…): none is
/// decoded here. Read as it came it is garbage at best; at worst a proxy that
/// decodes it and this server that does not see two different bodies.
pub(super) fn refuse_encoded(headers: &HeaderMap) -> Result<(), ApiError> {
    let identity = |coding: &HeaderValue| {
        coding
            .to_str()
            .is_ok_and(|coding| coding.trim().eq_ignore_ascii_case("identity"))
    };
    if headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .all(identity)
    {
        Ok(())
    } else {
        Err(ApiError::EncodedBody)
    }
}

/// Whether the body is labelled `application/json`, once, in UTF-8 if it
/// names a charset. axum alone takes any `…+json` type too, and reads a body
/// labelled latin1 or UTF-16 as UTF-8 all the same.
fn is_json_in_utf8(request: &Request) -> bool {
    let mut labels = request.headers().get_all(header::CONTENT_TYPE).iter();
    // Two labels are refused: a proxy could check the one this server ignores.
    let (Some(value), None) = (labels.next(), labels.next()) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        && parts.all(|parameter| match parameter.split_once('=') {
            Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => charset
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("utf-8"),
            _ => true,
        })
}

/// `axum::extract::Path`, with a segment that does not decode (not UTF-8)
/// answered like any id that names nothing: 404 with the contract's body,
/// not axum's plain text.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError::NotFound),
            Err(other) => Err(ApiError::internal(other)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let fields = match &rejection {
        JsonRejection::JsonDataError(error) => field_errors(error),
        JsonRejection::JsonSyntaxError(error) => number_out_of_range(error),
        _ => None,
    };
    if let Some(fields) = fields {
        return ApiError::Validation(fields);
    }
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        _ => ApiError::BadRequest(rejection.body_text()),
    }
}

/// The field a data error is about, keyed like `validate_setlist`'s errors
/// (`songs[0].bpm`). axum finds the path with serde_path_to_error and keeps
/// that error in the rejection's source chain.
fn field_errors(rejection: &JsonDataError) -> Option<FieldErrors> {
    let error = path_error(rejection)?;
    let path = error.path().to_string();
    // serde_json appends " at line 1 column 9": no use to a client.
    let message = error.inner().to_string();
    let message = message.split(" at line ").next().unwrap_or_default();
    // serde names a missing or repeated field in its message, not its path.
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix('`'))
    };
    let (field, message) = match (named("missing field `"), named("duplicate field `")) {
        (Some(name), _) => (name, "is required".to_string()),
        (_, Some(name)) => (name, "is given twice".to_string()),
        // The body itself is not an object: malformed, not a field's fault.
        _ if path == "." => return None,
        _ => return Some(FieldErrors::from([(path, without_rust_types(message))])),
    };
    let field = match path.as_str() {
        "." => field.to_string(),
        path => format!("{path}.{field}"),
    };
    Some(FieldErrors::from([(field, message)]))
}

type PathError = serde_path_to_error::Error<serde_json::Error>;

/// The error as serde_path_to_error saw it, with the path to the value.
fn path_error<'a>(rejection: &'a (dyn std::error::Error + 'static)) -> Option<&'a PathError> {
    let mut source = rejection.source();
    loop {
        let error = source?;
        if let Some(error) = error.downcast_ref::<PathError>() {
            return Some(error);
        }
        source = error.source();
    }
}

/// `1e400` is valid JSON that no field can hold. serde_json calls it a
/// syntax error; to a client it is a field's value, as a whole number too
/// large for the field is (422).
fn number_out_of_range(rejection: &JsonSyntaxError) -> Option<FieldErrors> {
    let error = path_error(rejection)?;
    let path = error.path().to_string();
    let out_of_range = error.inner().to_string().starts_with("number out of range");
    (out_of_range && path != ".")
        .then(|| FieldErrors::from([(path, "is a number out of range".to_string())]))
}

/// serde names what it expected in Rust's words; a client needs JSON's.
fn without_rust_types(message: &str) -> String {
    match message.split_once(", expected struct ") {
        Some((found, _)) => format!("{found}, expected an object"),
        None if too_large_for_a_whole_number(message) => "is a number out of range".to_string(),
        None => message.replace("expected i64", "expected a whole number"),
    }
}

/// A whole number past 64 bits where one is expected: serde_json reads one
/// past `u64` as a float (`1e+23`), and one past `i64` fails as a value. A
/// fraction (`1.5`) is of the wrong type, not too large.
fn too_large_for_a_whole_number(message: &str) -> bool {
    if !message.ends_with(", expected i64") {
        return false;
    }
    let past_u64 = message
        .strip_prefix("invalid type: floating point `")
        .and_then(|rest| rest.split_once('`'))
        .and_then(|(number, _)| number.parse::<f64>().ok())
        .is_some_and(|number| number.fract() == 0.0 && number.abs() >= 2f64.powi(63));
    past_u64 || message.starts_with("invalid value: integer `")
}

/// A path id that must be a UUID in the form the API hands out (lower-case,
/// hyphenated); anything else cannot exist, so it is 404. One resource has
/// one address: `{…}`, `urn:uuid:…` or upper-case spellings of an id would
/// each be another URL for caches and logs to tell apart.
pub fn parse_id(text: &str) -> Result<String, ApiError> {
    uuid::Uuid::try_parse(text)
        .map(|id| id.hyphenated().to_string())
        .ok()
        .filter(|canonical| canonical == text)
        .ok_or(ApiError::NotFound)
}

/// Where a paged list continues and how much of it to give.
pub struct Page {
    /// The id of the previous page's last item.
    pub before: Option<String>,
    /// How many items; `None` when the client did not say.
    pub limit: Option<i64>,
}

impl Page {
    /// Reads `before` (an id) and `limit` (1 to `max`) from a query; empty
    /// values count as absent.
    pub fn parse(
        before: Option<String>,
        limit: Option<String>,
        max: i64,
    ) -> Result<Page, ApiError> {
        let before = before
            .filter(|id| !id.is_empty())
            .map(|id| parse_id(&id).map_err(|_| invalid_parameter("before", "an id from the list")))
            .transpose()?;
        let limit = limit
            .filter(|n| !n.is_empty())
            .map(|text| {
                // Digits only: `+5` is a typo, not five.
                app::components::digits(&text)
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        invalid_parameter("limit", &format!("a whole number from 1 to {max}"))
                    })
            })
            .transpose()?;
        Ok(Page { before, limit })
    }
}

/// A query parameter that breaks its rule, named with the rule.
pub fn invalid_parameter(name: &str, rule: &str) -> ApiError {
    ApiError::BadRequest(format!("invalid {name} parameter: {rule}"))
}

/// `axum::Query`, with rejections mapped to 400 `bad_request`.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // `Query` decodes escapes lossily: `q=%ff` would search for U+FFFD.
        if !parts.uri.query().is_none_or(escapes_decode_to_utf8) {
            return Err(ApiError::BadRequest(
                "the query string's escapes are not UTF-8".into(),
            ));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
    }
}

/// Whether a query's `%XX` escapes decode to UTF-8 (a query with none, the
/// usual case, is not copied).
fn escapes_decode_to_utf8(query: &str) -> bool {
    if !query.contains('%') {
        return true;
    }
    let mut decoded = Vec::with_capacity(query.len());
    let mut rest = query.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let escaped = match tail {
            [high, low, ..] if byte == b'%' => hex_value(*high).zip(hex_value(*low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                decoded.push(high << 4 | low);
                rest = &tail[2..];
            }
            None => {
                decoded.push(byte);
                rest = tail;
            }
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|value| value as u8)
}

/// Where a request comes from (the client's address, see `crate::proxies`, and the
/// user agent), for login throttling, the sessions page and the audit trail.
pub struct ClientOrigin(pub Origin);

impl FromRequestParts<AppState> for ClientOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ConnectInfo(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .copied()
            .ok_or_else(|| ApiError::internal("server started without connect info"))?;
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            // A header is bytes: a phone that names itself in UTF-8 is kept, not blanked.
            .map(|value| String::from_utf8_lossy(value.as_bytes()))
            .unwrap_or_default();
        let forwarded_for = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .map(HeaderValue::as_bytes);
        let ip = state
            .config
            .trusted_proxies
            .client_ip(peer.ip(), forwarded_for);
        Ok(ClientOrigin(Origin {
            actor_id: None,
            ip: ip.to_string(),
            // Bounded once, here: a header is attacker-controlled text we store.
            user_agent: user_agent.chars().take(256).collect(),
        }))
    }
}

/// `Idempotency-Key` (the IETF httpapi draft): the client's name for one
/// create, sent again unchanged when it cannot tell whether the first try
/// arrived (a reload while the save was on its way, a dropped connection).
/// Up to 64 letters, digits and `-._~:`, bare or as a quoted string.
pub struct IdempotencyKey(pub Option<String>);

const IDEMPOTENCY_KEY_MAX: usize = 64;

impl FromRequestParts<AppState> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let refused = |why: &str| ApiError::BadRequest(format!("Idempotency-Key {why}"));
        let Some(value) = at_most_once(&parts.headers, "idempotency-key")
            .map_err(|_| refused("must be sent once"))?
        else {
            return Ok(IdempotencyKey(None));
        };
        let value = value.to_str().unwrap_or_default();
        let key = value
            .strip_prefix('"')
            .and_then(|quoted| quoted.strip_suffix('"'))
            .unwrap_or(value);
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:".contains(c);
        if key.is_empty() || key.len() > IDEMPOTENCY_KEY_MAX || !key.chars().all(allowed) {
            return Err(refused(
                "must be 1 to 64 letters, digits or the characters - . _ ~ :",
            ));
        }
        Ok(IdempotencyKey(Some(key.to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::escapes_decode_to_utf8;

    #[test]
    fn a_query_is_utf8_once_its_escapes_are_decoded() {
        for fine in [
            "",
            "q=Everlong",
            "q=caf%C3%A9",
            "q=100%",
            "q=%zz",
            "q=%e2%82%ac&limit=5",
        ] {
            assert!(escapes_decode_to_utf8(fine), "{fine}");
        }
        for broken in ["q=%ff", "q=caf%C3", "q=%C3%28", "limit=1&q=%80"] {
            assert!(!escapes_decode_to_utf8(broken), "{broken}");
        }
    }
}
