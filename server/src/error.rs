//! The HTTP edge of every error. The layers below have their own types
//! (`auth::error::AuthError`, `db::DbError`, `db::setlists::WriteError`…) and
//! know nothing of status codes; this file is the one place that maps them to
//! the contract's JSON body and status. A 500 logs its cause, with the chain of
//! sources, and shows none of it.

use crate::{
    accounts::CreateUserError,
    auth::{error::AuthError, keys::KeyError},
    db::{DbError, library::LibraryWriteError, setlists::WriteError},
};
use app::api::{ErrorBody, ErrorCode, ErrorDetail, validation::FieldErrors};
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

#[derive(Debug, thiserror::Error)]
#[error("{}", self.parts().2)]
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
    /// A body with a `Content-Encoding` (gzip, br…): none is decoded here.
    EncodedBody,
    RateLimited {
        retry_after_secs: u64,
    },
    /// A member with `live::STREAMS_PER_MEMBER` live streams open asked for another.
    TooManyStreams,
    Unavailable,
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
        ApiError::Internal(error.into())
    }

    pub fn code(&self) -> ErrorCode {
        self.parts().1
    }

    fn parts(&self) -> (StatusCode, ErrorCode, String) {
        use ApiError::*;
        let (status, code, message) = match self {
            BadRequest(why) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest, why.as_str()),
            Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
                "some fields are not valid",
            ),
            InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidCredentials,
                "wrong username or password",
            ),
            InvalidToken => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidToken,
                "the token is invalid or has expired",
            ),
            MissingToken => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::MissingToken,
                "this route needs a token",
            ),
            Forbidden => (
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "you are not allowed to do this",
            ),
            AccountDisabled => (
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "this account is disabled; ask a manager to enable it",
            ),
            NotFound => (
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such resource",
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "this route does not answer that method",
            ),
            VersionConflict { .. } => (
                StatusCode::CONFLICT,
                ErrorCode::VersionConflict,
                "someone else changed this meanwhile; reload it or save on top of the new version",
            ),
            LastManager => (
                StatusCode::CONFLICT,
                ErrorCode::LastManager,
                "the band needs at least one enabled manager",
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                "the request body is larger than 1 MiB",
            ),
            RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::RequestTimeout,
                "the request took too long",
            ),
            HeadersTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                ErrorCode::HeadersTooLarge,
                "the request's headers are larger than 16 KiB",
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "the body must be application/json",
            ),
            EncodedBody => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
                "the body must be sent uncompressed (no Content-Encoding)",
            ),
            RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "too many attempts; wait and try again",
            ),
            TooManyStreams => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                "too many live streams open for this member; close a tab and try again",
            ),
            Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "the server cannot answer right now; try again shortly",
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "something went wrong on our side",
            ),
        };
        (status, code, message.to_string())
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::Unavailable
            }
            query => ApiError::internal(query),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        DbError::from(error).into()
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::MissingToken => ApiError::MissingToken,
            AuthError::InvalidToken => ApiError::InvalidToken,
            AuthError::Forbidden => ApiError::Forbidden,
            AuthError::Database(db) => db.into(),
            internal => ApiError::internal(internal),
        }
    }
}

/// The extractors in `auth::extract` reject with `AuthError`; axum answers
/// with this.
impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::NotFound => ApiError::NotFound,
            WriteError::Conflict { current_version } => {
                ApiError::VersionConflict { current_version }
            }
            WriteError::Database(db) => db.into(),
        }
    }
}

impl From<LibraryWriteError> for ApiError {
    fn from(error: LibraryWriteError) -> Self {
        match error {
            LibraryWriteError::Duplicate => ApiError::Validation(
                [(
                    "title".to_string(),
                    "is already in the library (with this artist)".to_string(),
                )]
                .into(),
            ),
            LibraryWriteError::Write(write) => write.into(),
        }
    }
}

impl From<CreateUserError> for ApiError {
    fn from(error: CreateUserError) -> Self {
        match error {
            CreateUserError::Auth(auth) => auth.into(),
            CreateUserError::Database(db) => db.into(),
            taken => ApiError::internal(taken),
        }
    }
}

impl From<KeyError> for ApiError {
    fn from(error: KeyError) -> Self {
        match error {
            KeyError::Database(db) => db.into(),
            other => ApiError::internal(other),
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
            tracing::error!(cause = %Chain(cause.as_ref()), "internal error");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code,
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
        // About this request only: no browser or proxy may answer another
        // with it (the limits' answers come before /api's no-store layer).
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
            // RFC 9110 §15.5.16: which codings a request may use instead.
            ApiError::EncodedBody => {
                headers.insert(
                    header::ACCEPT_ENCODING,
                    HeaderValue::from_static("identity"),
                );
            }
            ApiError::RateLimited { retry_after_secs } => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_secs.max(1)),
                );
            }
            // A closed tab's stream is let go at once: a few seconds is enough.
            ApiError::TooManyStreams => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(5));
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

/// An error and its sources, `outer: inner: innermost`, for the log.
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}
