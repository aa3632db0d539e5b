//! `POST /api/presence`: a setlist page says who is on it (`crate::presence`).

use app::api::{
    Activity, Presence, PresenceInput,
    validation::{FieldErrors, validate_presence},
};
use axum::{Json, Router, extract::State, routing::post};

use super::{
    extract::{ApiJson, parse_id},
    versions::validated,
};
use crate::{
    auth::extract::AuthUser,
    clock::now_ms,
    db::changes::{self, Change},
    error::{ApiError, ApiResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/presence", post(announce))
}

#[utoipa::path(post, path = "/api/presence", tag = "live", security(("bearer" = [])), request_body = PresenceInput,
    responses((status = 200, description = "Told to every open stream (a `presence` event when it is news); the answer: who is on that setlist page now, the caller included", body = [Presence]),
              (status = 404, description = "No such setlist (a goodbye, `left`, is taken for any id)")))]
async fn announce(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ApiJson(input): ApiJson<PresenceInput>,
) -> ApiResult<Json<Vec<Presence>>> {
    // The name and id come from the token: nobody can appear as someone else.
    let presence = Presence {
        // An id in a body that cannot be one is that field's fault (422),
        // not a path naming nothing (404).
        setlist_id: parse_id(&input.setlist_id).map_err(|_| {
            let why = "must be a setlist id (a UUID)".to_string();
            ApiError::Validation(FieldErrors::from([("setlist_id".to_string(), why)]))
        })?,
        user_id: caller.user_id.clone(),
        name: caller.name.clone(),
        activity: input.activity,
    };
    validated(validate_presence(&input))?;
    // A page that names no setlist would have every stream hear of it: a
    // member could flood the band with made-up pages. A goodbye needs no
    // setlist, so leaving one deleted meanwhile still clears the board.
    if presence.activity != Activity::Left
        && state
            .reads
            .setlist(&state.db, &presence.setlist_id)
            .await?
            .is_none()
    {
        return Err(ApiError::NotFound);
    }
    let at_ms = now_ms();
    if state.changes_pushed_by_database {
        let change = Change::Presence {
            presence: presence.clone(),
            page: input.page.clone(),
            session_id: caller.session_id.clone(),
            at_ms,
        };
        changes::announce(&mut *state.db.acquire().await?, &change).await?;
    }
    // Told here at once; the database's echo is then no news.
    state
        .live
        .tell_presence(&presence, &input.page, &caller.session_id, at_ms);
    Ok(Json(state.live.presence.on(&presence.setlist_id)))
}
