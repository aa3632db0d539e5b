//! `/api/me/sessions` and `/api/users/{id}/sessions`: where a member is signed
//! in (one session per refresh family), and ending one of them.

use app::api::SessionInfo;
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{delete, get},
};

use super::extract::{ApiPath, ClientOrigin, parse_id};
use crate::{
    auth::{
        extract::{AuthUser, Manager},
        refresh,
    },
    clock::{now, rfc3339},
    db,
    error::{ApiError, ApiResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/me/sessions", get(own_sessions))
        .route("/me/sessions/{id}", delete(end_own_session))
        .route("/users/{id}/sessions", get(member_sessions))
        .route(
            "/users/{id}/sessions/{session_id}",
            delete(end_member_session),
        )
}

#[utoipa::path(get, path = "/api/me/sessions", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, description = "The caller's live sessions; `current` marks this one", body = [SessionInfo])))]
async fn own_sessions(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    list(&state, &caller.user_id, &caller.session_id)
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/api/users/{id}/sessions", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Member id")),
    responses((status = 200, description = "A member's live sessions (manager only)", body = [SessionInfo])))]
async fn member_sessions(
    State(state): State<AppState>,
    Manager(manager): Manager,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Vec<SessionInfo>>> {
    let id = parse_id(&id)?;
    super::users::member(&state, &id).await?;
    list(&state, &id, &manager.session_id).await.map(Json)
}

/// Only the caller's own sessions: anyone else's id is answered as not found,
/// so ids cannot be probed.
#[utoipa::path(delete, path = "/api/me/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses((status = 204, description = "Revoked: that device's next refresh fails")))]
async fn end_own_session(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ClientOrigin(origin): ClientOrigin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id)?;
    end_session(&state, &caller.user_id, &id, &origin.by(&caller.user_id)).await
}

/// A manager ends one of a member's sessions (a lost phone, say).
#[utoipa::path(delete, path = "/api/users/{id}/sessions/{session_id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Member id"), ("session_id" = String, Path, description = "Session id")),
    responses((status = 204, description = "Revoked: that device's next refresh fails and its access tokens are refused (manager only)")))]
async fn end_member_session(
    State(state): State<AppState>,
    Manager(manager): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiPath((id, session_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let (id, session_id) = (parse_id(&id)?, parse_id(&session_id)?);
    end_session(&state, &id, &session_id, &origin.by(&manager.user_id)).await
}

/// Ends `user_id`'s live session `session_id`: its next refresh fails and its
/// access tokens are refused from now on. Anyone else's session, or one
/// already over, is not found.
async fn end_session(
    state: &AppState,
    user_id: &str,
    session_id: &str,
    origin: &db::audit::Origin,
) -> ApiResult<StatusCode> {
    let now = now();
    let family = db::refresh::find_family(&state.db, session_id)
        .await?
        .filter(|family| {
            family.user_id == user_id && family.revoked_at.is_none() && family.expires_at > now
        })
        .ok_or(ApiError::NotFound)?;
    refresh::revoke(&state.db, &family, origin, now).await?;
    state.sessions_ended([session_id]);
    Ok(StatusCode::NO_CONTENT)
}

async fn list(
    state: &AppState,
    user_id: &str,
    current_session: &str,
) -> ApiResult<Vec<SessionInfo>> {
    let families = db::refresh::live_families(&state.db, user_id, now()).await?;
    Ok(families
        .into_iter()
        .map(|family| SessionInfo {
            current: family.id == current_session,
            created_at: rfc3339(family.created_at),
            last_used_at: rfc3339(family.last_used_at),
            expires_at: rfc3339(family.expires_at),
            id: family.id,
            user_agent: family.user_agent,
            ip: family.ip,
        })
        .collect())
}
