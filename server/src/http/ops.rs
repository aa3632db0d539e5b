//! Operational routes: liveness, readiness, the public keys and the API's own
//! description.

use axum::{Json, Router, extract::State, routing::get};

use crate::{db, error::ApiError, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(super::auth::jwks_router())
}

pub fn api_router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi))
}

/// Up when the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "The database answers", body = String),
              (status = 503, description = "The database does not answer", body = app::api::ErrorBody)))]
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    db::ping(&state.db).await.map_err(|e| {
        tracing::warn!(error = %e, "database not reachable");
        ApiError::Unavailable
    })?;
    Ok("ready")
}

/// This API as OpenAPI 3.1, generated from the handlers' annotations.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(super::openapi::document())
}
