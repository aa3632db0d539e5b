//! Optimistic concurrency, as every versioned resource (setlists, library
//! songs) does it: the version a write expects comes from the body or
//! `If-Match`, and every answer carries the version it shows as its `ETag`.

use app::api::validation::FieldErrors;
use axum::{
    body::Bytes,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};

use crate::error::{ApiError, ApiResult};

/// 422 naming every field that breaks a rule, when any does.
pub fn validated(errors: FieldErrors) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The version a write was made against: the body's `version`, or
/// `If-Match: "3"`. An `If-Match` that is not one version, or that disagrees
/// with the body, is refused: ignoring it would turn a conditional write
/// into an unconditional one.
pub fn expected_version(body: Option<i64>, headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let mut lines = headers.get_all(header::IF_MATCH).iter();
    let Some(value) = lines.next() else {
        return Ok(body);
    };
    // Two lines are one list (RFC 9110), refused like `"3", "1"`: reading
    // only the first would let a proxy and this server see different conditions.
    if lines.next().is_some() {
        return Err(bad_if_match());
    }
    let header = match value.to_str().map(str::trim) {
        // RFC 9110: `*` matches whatever is current, so it asks for no
        // particular version; the body's, if any, still counts.
        Ok("*") => return Ok(body),
        Ok(tag) => strong_version(tag)?,
        Err(_) => return Err(bad_if_match()),
    };
    match body {
        Some(body) if body != header => Err(ApiError::BadRequest(
            "the body's version and If-Match disagree".into(),
        )),
        _ => Ok(Some(header)),
    }
}

/// The version in one strong entity tag, `"3"`, exactly as `ETag` gives it.
fn strong_version(tag: &str) -> ApiResult<i64> {
    // RFC 9110 compares If-Match strongly: a weak tag never matches, so
    // taking `W/"3"` as 3 would let a write through that should not be.
    if tag.starts_with("W/") {
        return Err(ApiError::BadRequest(
            "If-Match compares strong ETags: send the ETag as given, like \"3\", not W/\"3\""
                .into(),
        ));
    }
    tag.strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        // Strong comparison is byte for byte: `"05"` is not the ETag `"5"`.
        .filter(|digits| *digits == "0" || !digits.starts_with('0'))
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(bad_if_match)
}

fn bad_if_match() -> ApiError {
    ApiError::BadRequest("If-Match must be one version, like \"3\"".into())
}

/// A resource's version as its `ETag`, for `If-Match` on the next write.
pub fn with_version(mut response: Response, version: i64) -> Response {
    if let Ok(etag) = HeaderValue::try_from(format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// JSON that is already serialised (by the read cache).
pub fn json_body(body: Bytes) -> Response {
    let json = HeaderValue::from_static("application/json");
    ([(header::CONTENT_TYPE, json)], body).into_response()
}

/// The version a `PUT` replaces: required, and reported with the body's
/// other field `errors` when missing.
pub fn version_to_replace(
    body: Option<i64>,
    headers: &HeaderMap,
    mut errors: FieldErrors,
) -> ApiResult<i64> {
    let expected = expected_version(body, headers)?;
    if expected.is_none() {
        // `If-Match: *` names no version: a replace needs the one it replaces.
        let said = if headers.contains_key(header::IF_MATCH) {
            "is required: If-Match: * names no version; send the one you edited, like \"3\""
        } else {
            "is required: send the version you edited (or If-Match)"
        };
        errors.insert("version".into(), said.into());
    }
    validated(errors)?;
    Ok(expected.unwrap_or_default())
}
