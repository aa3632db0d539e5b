//! `/api/users`: band members, managed by managers.

use app::api::{NewUser, User, validation::validate_new_user};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};

use super::{
    auth::public_user,
    extract::{ApiJson, ClientOrigin, parse_id},
};
use crate::{
    auth::{extract::Manager, password},
    clock::{now, now_ms},
    db::{
        self,
        audit::{Event, EventKind, Origin},
        users::UserRow,
    },
    error::{ApiError, ApiResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}/revoke", post(revoke))
}

#[utoipa::path(get, path = "/api/users", tag = "members", security(("bearer" = [])),
    responses((status = 200, description = "Band members (manager only)", body = [User])))]
async fn list(State(state): State<AppState>, _: Manager) -> ApiResult<Json<Vec<User>>> {
    let rows = db::users::list(&state.db).await?;
    rows.iter()
        .map(public_user)
        .collect::<ApiResult<_>>()
        .map(Json)
}

#[utoipa::path(post, path = "/api/users", tag = "members", security(("bearer" = [])), request_body = NewUser,
    responses((status = 201, description = "Member added (manager only)", body = User)))]
async fn create(
    State(state): State<AppState>,
    Manager(manager): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiJson(new): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let errors = validate_new_user(&new.username, &new.display_name, &new.role, &new.password);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let row = create_user(&state.db, new, &origin.by(&manager.user_id)).await?;
    Ok((StatusCode::CREATED, Json(public_user(&row)?)))
}

/// Creates a member (also used by the `create-user` command and the demo seed).
/// A taken username is a validation error on `username`.
pub async fn create_user(pool: &db::Pool, new: NewUser, origin: &Origin) -> ApiResult<UserRow> {
    let row = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        username: new.username,
        display_name: new.display_name,
        role: new.role,
        password_hash: password::hash(new.password).await?,
        tokens_valid_after_ms: 0,
    };
    let event = Event {
        kind: EventKind::MemberCreated,
        origin,
        subject_id: Some(&row.id),
        detail: serde_json::json!({ "username": row.username, "role": row.role }),
    };
    if db::users::insert(pool, &row, now(), &event).await? {
        Ok(row)
    } else {
        let mut fields = app::api::validation::FieldErrors::new();
        fields.insert("username".into(), "is already taken".into());
        Err(ApiError::Validation(fields))
    }
}

/// Strikes a member's passes off the list: every session ends and every access
/// token issued until now is refused, on every instance within a second.
#[utoipa::path(post, path = "/api/users/{id}/revoke", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "Member id")),
    responses((status = 204, description = "Every session revoked; older access tokens refused within a second")))]
async fn revoke(
    State(state): State<AppState>,
    Manager(manager): Manager,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id)?;
    let member = db::users::find_by_id(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = now();
    let origin = origin.by(&manager.user_id);
    let event = Event {
        kind: EventKind::MemberRevoked,
        origin: &origin,
        subject_id: Some(&id),
        detail: serde_json::json!({ "username": member.username }),
    };
    db::users::revoke_sessions(&state.db, &id, now, &event).await?;
    // The cut-off is read after the sessions are revoked: a refresh or login
    // that passed its check before that commit began earlier still, and the
    // tokens it issues are dated from its start (`NewToken::issued_at_ms`).
    let cutoff_ms = now_ms();
    db::users::set_token_cutoff(&state.db, &id, cutoff_ms).await?;
    state.revocations.record(&id, cutoff_ms);
    // Tokens of the cut-off's own millisecond are refused (they may come from
    // a check made just before the commit). Answering once it has passed
    // means a login made after this answer is never caught by it.
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    Ok(StatusCode::NO_CONTENT)
}
