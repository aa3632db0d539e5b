//! Extractors that authenticate a request, so that a handler's signature
//! states who may call it: `AuthUser` for any band member, `Manager` for
//! managers only. A handler without one of them is public.
//!
//! The token is read from `Authorization: Bearer` only, never from a query
//! string (it would end up in logs and browser history) or a cookie (that
//! would make every API route open to CSRF).

use std::sync::Arc;

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, request::Parts},
};

use super::error::{AuthError, AuthResult};
use super::{keys::KeySet, recent, tokens::Verified};
use crate::{clock::now, state::AppState};

/// Any authenticated band member.
pub struct AuthUser(pub Arc<Verified>);

/// A band member with the manager role.
pub struct Manager(pub Arc<Verified>);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AuthResult<Self> {
        let token = bearer_from(&parts.headers)?;
        authenticate(state, token).await.map(AuthUser)
    }
}

/// Checks a bearer token: signature, claims, key, revocation. The extractor
/// runs it once per request.
pub async fn authenticate(state: &AppState, token: &str) -> AuthResult<Arc<Verified>> {
    match check_now(state, token) {
        Err(AuthError::InvalidToken) if names_unknown_key(&state.keys.current(), token) => {
            // Perhaps a key another instance just published: look once.
            if !state.keys.reload_for_unknown_kid(&state.db).await {
                return Err(AuthError::InvalidToken);
            }
            check_now(state, token)
        }
        verified => verified,
    }
}

/// `authenticate` against what this instance holds now.
fn check_now(state: &AppState, token: &str) -> AuthResult<Arc<Verified>> {
    let verified = recent::verify(&state.keys.current(), &state.verification, token, now())?;
    if state.revocations.is_revoked(&verified) {
        return Err(AuthError::InvalidToken);
    }
    Ok(verified)
}

impl FromRequestParts<AppState> for Manager {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AuthResult<Self> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        match user.role {
            app::api::Role::Manager => Ok(Manager(user)),
            app::api::Role::Drummer => Err(AuthError::Forbidden),
        }
    }
}

/// A token verified earlier, checked again without its text and without
/// waiting on the database — an open event stream does this several times a
/// second: not expired, its signing key still held (a revoked key is gone
/// from the set), its member and session not revoked.
pub fn still_valid(state: &AppState, verified: &Verified, kid: &str) -> bool {
    !verified.is_expired(now())
        && state.keys.current().verifiers.contains_key(kid)
        && !state.revocations.is_revoked(verified)
}

/// The `kid` of a token's header.
pub fn kid_of(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok()?.kid
}

/// True when the token's header names a kid this key set does not have.
fn names_unknown_key(keys: &KeySet, token: &str) -> bool {
    kid_of(token).is_some_and(|kid| !keys.verifiers.contains_key(&kid))
}

/// The token of `Authorization: Bearer <token>`.
pub fn bearer_from(headers: &HeaderMap) -> AuthResult<&str> {
    let mut all = headers.get_all(axum::http::header::AUTHORIZATION).iter();
    let header = all.next().ok_or(AuthError::MissingToken)?;
    // Two of them is refused: a proxy that checks the last one and this
    // server the first would each be fooled by the other's token.
    if all.next().is_some() {
        return Err(AuthError::InvalidToken);
    }
    let value = header.to_str().map_err(|_| AuthError::InvalidToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::MissingToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingToken);
    }
    match token.trim() {
        "" => Err(AuthError::InvalidToken),
        token => Ok(token),
    }
}
