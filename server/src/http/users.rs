//! `/api/users`: band members, managed by managers — and the account
//! lifecycle: disabling, changing roles, resetting and changing passwords.
//! Every change that takes something away from a member (a session, a role,
//! the account) also refuses their live access tokens within a second.

use app::api::{
    MemberPatch, NewUser, PasswordChange, PasswordReset, User,
    validation::{
        FieldErrors, validate_instrument, validate_member_patch, validate_new_password,
        validate_new_user, validate_password_change,
    },
};
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};

use super::{
    auth::{PasswordCheck, checked_password, public_user},
    extract::{ApiJson, ApiPath, ClientOrigin, parse_id},
};
use crate::{
    accounts::{self, CreateUserError},
    auth::{
        extract::{AuthUser, Manager},
        password, throttle,
    },
    clock::now,
    db::{
        self,
        audit::{AuditKind, Event, Origin},
        revoke::SessionsToEnd,
        users::{ChangeOutcome, MemberChange, UserRow},
    },
    error::{ApiError, ApiResult},
    live::MEMBERS_CHANGED,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", axum::routing::patch(change))
        .route("/users/{id}/revoke", post(revoke))
        .route("/users/{id}/password", post(reset_password))
        .route("/me/password", post(change_own_password))
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
    ApiJson(mut new): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    // " keys " and "keys" are one instrument.
    new.instrument = new.instrument.trim().to_string();
    let mut errors = validate_new_user(&new.username, &new.display_name, &new.role, &new.password);
    errors.extend(validate_instrument(&new.instrument));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let by = manager.author();
    let origin = origin.by(&manager.user_id);
    let row = match accounts::create_user(&state.db, new, &by, &origin).await {
        Err(CreateUserError::UsernameTaken) => {
            let mut fields = FieldErrors::new();
            fields.insert("username".into(), "is already taken".into());
            return Err(ApiError::Validation(fields));
        }
        created => created?,
    };
    state.written(MEMBERS_CHANGED, &by);
    Ok((StatusCode::CREATED, Json(public_user(&row)?)))
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
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id)?;
    let member = member(&state, &id).await?;
    let origin = origin.by(&manager.user_id);
    let event = Event {
        kind: AuditKind::MemberRevoked,
        origin: &origin,
        subject_id: Some(&id),
        detail: serde_json::json!({ "username": member.username }),
    };
    let cutoff_ms = db::revoke::revoke_member(&state.db, &id, now(), &event).await?;
    cut_off_member(&state, &id, cutoff_ms, true).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Applies a member's cut-off on this instance at once (the others hear of
/// it through `crate::sync`). With `sessions_ended` (a revoke, a disable, a
/// password reset: every session of theirs revoked) their pages leave the
/// presence board too; the other instances drop them by session, from the
/// sessions' end. After a role change they stay: the page goes on.
async fn cut_off_member(state: &AppState, id: &str, cutoff_ms: i64, sessions_ended: bool) {
    state.member_cut_off(id, cutoff_ms);
    if sessions_ended {
        state
            .live
            .tell_gone(state.live.presence.member_signed_out(id));
    }
    // Tokens of the cut-off's own millisecond are refused (they may come from
    // a check made just before the commit). Answering once it has passed
    // means a login made after this answer is never caught by it.
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
}

/// Changes a member's role, display name or whether they are disabled. A new
/// role refuses their tokens at once (the next refresh carries the new
/// role); a disable also ends every session and refuses login and refresh.
/// Nobody can demote or disable the last enabled manager (409).
#[utoipa::path(patch, path = "/api/users/{id}", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "Member id")), request_body = MemberPatch,
    responses((status = 200, description = "The member as changed (manager only)", body = User),
        (status = 409, description = "`last_manager`: the band would have no enabled manager", body = app::api::ErrorBody),
        (status = 422, description = "A field out of its rules, or none of `role`, `display_name`, `instrument` and `disabled` sent (a patch that changes nothing)", body = app::api::ErrorBody)))]
async fn change(
    State(state): State<AppState>,
    Manager(manager): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiPath(id): ApiPath<String>,
    ApiJson(mut patch): ApiJson<MemberPatch>,
) -> ApiResult<Json<User>> {
    let id = parse_id(&id)?;
    // " keys " and "keys" are one instrument, checked as stored.
    if let Some(instrument) = &mut patch.instrument {
        *instrument = instrument.trim().to_string();
    }
    let errors = validate_member_patch(&patch);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let change = MemberChange {
        role: patch.role.as_deref(),
        display_name: patch.display_name.as_deref(),
        instrument: patch.instrument.as_deref(),
        disabled: patch.disabled,
    };
    let origin = origin.by(&manager.user_id);
    let subject = id.as_str();
    let events = |before: &UserRow, after: &UserRow| change_events(&origin, subject, before, after);
    let by = manager.author();
    let outcome = db::users::change_member(&state.db, &id, &change, &by, now(), events).await?;
    match outcome {
        ChangeOutcome::Changed {
            after,
            cutoff_ms,
            news,
        } => {
            state.profiles.forget(&id);
            // The cut-off first: a demoted or disabled manager's streams
            // no longer pass `members_changed` on by the time it is told.
            if let Some(cutoff_ms) = cutoff_ms {
                let disabled = after.disabled_at.is_some();
                cut_off_member(&state, &id, cutoff_ms, disabled).await;
            }
            if news {
                state.written(MEMBERS_CHANGED, &by);
            }
            Ok(Json(public_user(&after)?))
        }
        ChangeOutcome::NotFound => Err(ApiError::NotFound),
        ChangeOutcome::LastManager => Err(ApiError::LastManager),
    }
}

/// One audit event per thing that changed.
fn change_events<'a>(
    origin: &'a Origin,
    subject: &'a str,
    before: &UserRow,
    after: &UserRow,
) -> Vec<Event<'a>> {
    let event = |kind, detail| Event {
        kind,
        origin,
        subject_id: Some(subject),
        detail,
    };
    let username = &after.username;
    let mut events = Vec::new();
    if before.role != after.role {
        events.push(event(
            AuditKind::MemberRoleChanged,
            serde_json::json!({ "username": username, "from": before.role, "to": after.role }),
        ));
    }
    if before.display_name != after.display_name {
        events.push(event(
            AuditKind::MemberRenamed,
            serde_json::json!({ "username": username, "from": before.display_name, "to": after.display_name }),
        ));
    }
    if before.instrument != after.instrument {
        events.push(event(
            AuditKind::MemberInstrumentChanged,
            serde_json::json!({ "username": username, "from": before.instrument, "to": after.instrument }),
        ));
    }
    match (before.disabled_at, after.disabled_at) {
        (None, Some(_)) => events.push(event(
            AuditKind::MemberDisabled,
            serde_json::json!({ "username": username }),
        )),
        (Some(_), None) => events.push(event(
            AuditKind::MemberEnabled,
            serde_json::json!({ "username": username }),
        )),
        _ => {}
    }
    events
}

/// A manager sets a member's new password (a member who forgot theirs, or an
/// account that may be compromised): every session of theirs ends.
#[utoipa::path(post, path = "/api/users/{id}/password", tag = "members", security(("bearer" = [])),
    params(("id" = String, Path, description = "Member id")), request_body = PasswordReset,
    responses((status = 204, description = "Password set; all of the member's sessions ended (manager only)")))]
async fn reset_password(
    State(state): State<AppState>,
    Manager(manager): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiPath(id): ApiPath<String>,
    ApiJson(reset): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id)?;
    let errors = validate_new_password("password", &reset.password);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let member = member(&state, &id).await?;
    let hash = password::hash(reset.password).await?;
    let origin = origin.by(&manager.user_id);
    let event = Event {
        kind: AuditKind::PasswordReset,
        origin: &origin,
        subject_id: Some(&id),
        detail: serde_json::json!({ "username": member.username }),
    };
    let sessions = SessionsToEnd::All;
    let now = now();
    let changed = db::revoke::set_password(&state.db, &id, &hash, sessions, now, &event).await?;
    if let Some(cutoff_ms) = changed.cutoff_ms {
        cut_off_member(&state, &id, cutoff_ms, true).await;
    }
    // The reset is done either way: a failure here is only logged.
    if let Err(error) = lift_lockout(&state, &id, &member.username, now).await {
        tracing::warn!(%error, "the reset member's login failures could not be cleared");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The member asked for a reset because they were locked out: their failures
/// of the window, by name and from each address they came from, are cleared,
/// so that the new password works at once.
async fn lift_lockout(state: &AppState, id: &str, username: &str, now: i64) -> db::DbResult<()> {
    let since = now - throttle::WINDOW_SECS;
    let addresses = db::audit::failed_login_addresses(&state.db, id, since).await?;
    state.throttle.forgive(username, &addresses).await
}

/// A member changes their own password, proving the current one (throttled
/// like a login). Their other sessions end; this one stays.
#[utoipa::path(post, path = "/api/me/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204, description = "Password changed; the caller's other sessions ended"),
        (status = 401, description = "`invalid_credentials`: the current password is wrong (no `WWW-Authenticate`: the token was good); or `missing_token` / `invalid_token`, with `WWW-Authenticate`")))]
async fn change_own_password(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ClientOrigin(origin): ClientOrigin,
    ApiJson(change): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    let errors = validate_password_change(&change);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let me = db::users::find_by_id(&state.db, &caller.user_id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let now = now();
    let current = change.current_password;
    checked_password(
        &state,
        &origin,
        &me.username,
        current,
        PasswordCheck::ChangeOwn,
        now,
    )
    .await?;
    let hash = password::hash(change.new_password).await?;
    let origin = origin.by(&me.id);
    let event = Event {
        kind: AuditKind::PasswordChanged,
        origin: &origin,
        subject_id: Some(&me.id),
        detail: serde_json::json!({ "username": me.username }),
    };
    let sessions = SessionsToEnd::AllBut(&caller.session_id);
    let changed = db::revoke::set_password(&state.db, &me.id, &hash, sessions, now, &event).await?;
    state.sessions_ended(changed.ended_sessions.iter().map(String::as_str));
    Ok(StatusCode::NO_CONTENT)
}

/// The member `id` names (an id already checked by `parse_id`), or 404.
pub(super) async fn member(state: &AppState, id: &str) -> ApiResult<UserRow> {
    db::users::find_by_id(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)
}
