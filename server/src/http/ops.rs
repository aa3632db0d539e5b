//! Operational routes: liveness, readiness and the public keys.

use axum::{Router, extract::State, routing::get};

use crate::{db, error::ApiError, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .merge(super::auth::jwks_router())
}

/// Ready when the database answers.
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    db::ping(&state.db).await.map_err(|e| {
        tracing::warn!(error = %e, "database not reachable");
        ApiError::Unavailable
    })?;
    Ok("ready")
}
