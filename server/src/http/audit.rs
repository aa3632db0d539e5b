//! `GET /api/audit`: the audit trail for managers, newest first, paged by
//! event id (`before` = the previous page's `next_before`).

use app::api::{AuditEvent, AuditPage, Detail};
use axum::{Json, Router, extract::State, routing::get};
use serde::Deserialize;

use super::extract::{ApiQuery, Page, invalid_parameter, parse_id};
use crate::{
    auth::extract::Manager,
    clock::rfc3339,
    db::{self, audit::AuditKind},
    error::{ApiError, ApiResult},
    state::AppState,
};

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

#[derive(Deserialize)]
struct AuditQuery {
    user: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/audit", tag = "audit", security(("bearer" = [])),
    params(("user" = Option<String>, Query, description = "Events this member caused or was the subject of"),
           ("type" = Option<String>, Query, description = "One event type"),
           ("before" = Option<String>, Query, description = "The previous page's `next_before`"),
           ("limit" = Option<i64>, Query, description = "1 to 200, default 50")),
    responses((status = 200, description = "Events, newest first (manager only)", body = AuditPage)))]
async fn list(
    State(state): State<AppState>,
    _: Manager,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let present = |value: Option<String>| value.filter(|v| !v.is_empty());
    let user = present(query.user)
        .map(|id| parse_id(&id).map_err(|_| invalid_parameter("user", "a member's id")))
        .transpose()?;
    let kind = present(query.kind)
        .map(|kind| {
            AuditKind::parse(&kind).ok_or_else(|| invalid_parameter("type", "an audit event type"))
        })
        .transpose()?;
    let Page { before, limit } = Page::parse(query.before, query.limit, MAX_LIMIT)?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let filter = db::audit::Filter {
        user_id: user.as_deref(),
        kind,
        before: before.as_deref(),
        // One more than the page: whether it exists says if there is a next page.
        limit: limit + 1,
    };
    let mut rows = db::audit::list(&state.db, &filter).await?;
    let next_before = (rows.len() as i64 > limit)
        .then(|| {
            rows.truncate(limit as usize);
            rows.last().map(|row| row.id.clone())
        })
        .flatten();
    let events = rows
        .into_iter()
        .map(|row| {
            let kind = AuditKind::parse(&row.kind)
                .ok_or_else(|| ApiError::internal(format!("unknown audit kind {:?}", row.kind)))?;
            Ok(AuditEvent {
                at: rfc3339(row.at),
                detail: Detail::from_json(row.detail),
                id: row.id,
                kind,
                actor_id: row.actor_id,
                subject_id: row.subject_id,
                ip: row.ip,
                user_agent: row.user_agent,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Json(AuditPage {
        events,
        next_before,
    }))
}
