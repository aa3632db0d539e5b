//! Operational routes: liveness, readiness, the metrics and the public keys.
//! (The API's own description is `openapi`'s.)

use axum::{Router, extract::State, http::header, response::IntoResponse, routing::get};

use crate::{db, error::ApiError, state::AppState};

pub fn router(metrics_on_own_address: bool) -> Router<AppState> {
    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(super::auth::jwks_router());
    let router = if metrics_on_own_address {
        router
    } else {
        router.merge(metrics_router())
    };
    super::errors_in_json(router)
}

/// `/metrics` alone: served on `BACKSTAGE_METRICS_ADDR` when that is set.
pub fn metrics_router() -> Router<AppState> {
    super::errors_in_json(Router::new().route("/metrics", get(metrics)))
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
    // A load balancer takes a draining instance out of rotation.
    if state.drain.is_draining() {
        return Err(ApiError::Unavailable);
    }
    db::ping(&state.db).await.map_err(|e| {
        tracing::warn!(error = %e, "database not reachable");
        ApiError::Unavailable
    })?;
    Ok("ready")
}

/// The Prometheus scrape (text format 0.0.4).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Counters, gauges and histograms in the Prometheus text format", content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&state.db),
    )
}
