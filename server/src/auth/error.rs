//! What the auth layer can fail with. It knows nothing of HTTP: the edge
//! (`crate::error`) turns each case into the contract's status and code.

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` on a route that needs one.
    #[error("no bearer token")]
    MissingToken,
    /// Any token that is not a live one of ours; deliberately one case, so a
    /// forger learns nothing about which check failed.
    #[error("the token is invalid or has expired")]
    InvalidToken,
    /// A valid token whose role may not do this.
    #[error("the token's role may not do this")]
    Forbidden,
    #[error("signing a token failed")]
    Signing(#[source] serde_json::Error),
    #[error("the password hasher failed")]
    Hashing(#[source] argon2::password_hash::Error),
    /// A hashing thread died before answering (a panic in argon2).
    #[error("the password hashing threads stopped")]
    HashersStopped,
    #[error(transparent)]
    Database(#[from] DbError),
}

pub type AuthResult<T> = Result<T, AuthError>;
