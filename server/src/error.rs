//! One error type for the whole API. Every failure becomes the contract's
//! JSON body with the matching status; a 500 logs its cause and shows none of it.

use app::api::{ErrorBody, ErrorDetail, validation::FieldErrors};
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Validation(FieldErrors),
    InvalidCredentials,
    InvalidToken,
    MissingToken,
    Forbidden,
    /// The right password for a disabled account.
    AccountDisabled,
    NotFound,
    MethodNotAllowed,
    VersionConflict {
        current_version: i64,
    },
    /// The change would leave the band without an enabled manager.
    LastManager,
    PayloadTooLarge,
    RequestTimeout,
    HeadersTooLarge,
    UnsupportedMediaType,
    RateLimited {
        retry_after_secs: u64,
    },
    Unavailable,
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(error.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        use ApiError::*;
        let (status, code, message) = match self {
            BadRequest(why) => (StatusCode::BAD_REQUEST, "bad_request", why.as_str()),
            Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "some fields are not valid",
            ),
            InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong username or password",
            ),
            InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the token is invalid or has expired",
            ),
            MissingToken => (
                StatusCode::UNAUTHORIZED,
                "missing_token",
                "this route needs a token",
            ),
            Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "you are not allowed to do this",
            ),
            AccountDisabled => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "this account is disabled; ask a manager to enable it",
            ),
            NotFound => (StatusCode::NOT_FOUND, "not_found", "no such resource"),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not answer that method",
            ),
            VersionConflict { .. } => (
                StatusCode::CONFLICT,
                "version_conflict",
                "someone else changed this setlist; reload it or save on top of the new version",
            ),
            LastManager => (
                StatusCode::CONFLICT,
                "last_manager",
                "the band needs at least one enabled manager",
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is larger than 1 MiB",
            ),
            RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request took too long",
            ),
            HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
                "the request's headers are larger than 16 KiB",
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be application/json",
            ),
            RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many attempts; wait and try again",
            ),
            Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the server cannot answer right now; try again shortly",
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side",
            ),
        };
        (status, code, message.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&error) {
            tracing::warn!(%error, "database unavailable");
            ApiError::Unavailable
        } else {
            ApiError::internal(error)
        }
    }
}

/// How soon a client may retry after a 503: about the time a restarted
/// database or a drained queue takes to come back.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        if let ApiError::Internal(cause) = &self {
            // Logged here, never sent: internals help attackers, not users.
            tracing::error!(%cause, "internal error");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                fields: match &self {
                    ApiError::Validation(fields) => Some(fields.clone()),
                    _ => None,
                },
            },
            current_version: match self {
                ApiError::VersionConflict { current_version } => Some(current_version),
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match self {
            ApiError::InvalidToken => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="invalid_token""#),
                );
            }
            ApiError::MissingToken => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::RateLimited { retry_after_secs } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_secs.max(1)),
                );
            }
            ApiError::Unavailable => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(UNAVAILABLE_RETRY_AFTER_SECS),
                );
            }
            _ => {}
        }
        response
    }
}
