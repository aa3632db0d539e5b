//! `/api/setlists`: any band member reads; managers write; drummers may set a
//! song's tempo and notes.

use app::api::{
    ErrorBody, Setlist, SetlistInput, SetlistSummary, SongPatch,
    validation::{validate_setlist, validate_song_patch},
};
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, patch},
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{
    extract::{
        ApiJson, ApiPath, ApiQuery, ClientOrigin, IdempotencyKey, Page, invalid_parameter, parse_id,
    },
    versions::{expected_version, json_body, validated, version_to_replace, with_version},
};
use crate::{
    auth::extract::{AuthUser, Manager},
    clock::{now, today, utc_day},
    db::{
        self,
        setlists::{Inserted, OverviewPage, SongPatchRequest},
    },
    error::{ApiError, ApiResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/setlists", get(list).post(create))
        .route("/setlists/{id}", get(read).put(replace).delete(remove))
        .route("/setlists/{id}/songs/{song_id}", patch(patch_song))
}

/// Past shows on a page of the overview, unless `limit` says otherwise.
/// Without `limit` or `before` the overview is unpaged, as API.md has it.
const PAST_PER_PAGE: i64 = 25;
const MAX_PER_PAGE: i64 = 200;

#[derive(Deserialize)]
struct OverviewQuery {
    before: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(get, path = "/api/setlists", tag = "setlists", security(("bearer" = [])),
    params(("before" = Option<String>, Query, description = "The id of the previous page's last show: the shows after it"),
           ("limit" = Option<i64>, Query, description = "1 to 200 shows; on the first page, the past shows after every upcoming one. \
        Default 25 with `before`; with neither, the list is not paged")),
    responses((status = 200, description = "Newest show first: every show; with `limit`, every show from today (UTC) on and \
        that many latest past ones, or with `before` the page after that show. `Link: <…>; rel=\"next\"` names the next \
        page of a paged list while there is one", body = [SetlistSummary])))]
async fn list(
    State(state): State<AppState>,
    _: AuthUser,
    ApiQuery(query): ApiQuery<OverviewQuery>,
) -> ApiResult<Response> {
    let Page { before, limit } = Page::parse(query.before, query.limit, MAX_PER_PAGE)?;
    let per_page = limit.unwrap_or(PAST_PER_PAGE);
    let page = match before {
        None if limit.is_none() => state.reads.overview(&state.db, utc_day(), None).await?,
        None if per_page == PAST_PER_PAGE => {
            state
                .reads
                .overview(&state.db, utc_day(), Some(per_page))
                .await?
        }
        None => {
            let first = OverviewPage::First {
                today: &today(),
                past: per_page,
            };
            db::setlists::overview(&state.db, &first).await?
        }
        Some(id) => {
            let show = db::setlists::show_key(&state.db, &id)
                .await?
                .ok_or_else(|| invalid_parameter("before", "no such setlist"))?;
            let after = OverviewPage::After {
                show: &show,
                limit: per_page,
            };
            db::setlists::overview(&state.db, &after).await?
        }
    };
    let mut response = json_body(page.body);
    if let Some(last) = page.next_after {
        let next = format!("</api/setlists?before={last}&limit={per_page}>; rel=\"next\"");
        let next = HeaderValue::from_str(&next).expect("an id and a number make a valid header");
        response.headers_mut().insert(header::LINK, next);
    }
    Ok(response)
}

#[utoipa::path(post, path = "/api/setlists", tag = "setlists", security(("bearer" = [])), request_body = SetlistInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "The client's name for this create (1 to 64 of `A-Za-z0-9-._~:`): \
        sent again, it answers with the setlist the first try made instead of making another")),
    responses((status = 201, description = "Created (manager only); `Location` names it", body = Setlist),
              (status = 200, description = "Made before by a request with the same `Idempotency-Key`: nothing new; the setlist as stored", body = Setlist),
              (status = 400, description = "An `Idempotency-Key` that is not 1 to 64 of `A-Za-z0-9-._~:`, or sent twice", body = ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    Manager(caller): Manager,
    ClientOrigin(origin): ClientOrigin,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(input): ApiJson<SetlistInput>,
) -> ApiResult<Response> {
    validated(validate_setlist(&input))?;
    let id = match &key {
        Some(key) => keyed_setlist_id(&caller.user_id, key),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let origin = origin.by(&caller.user_id);
    let inserted =
        db::setlists::insert(&state.db, &id, &input, now(), &caller.author(), &origin).await?;
    let (status, setlist) = match inserted {
        Inserted::New(setlist, change) => {
            state.setlist_changed(&change);
            (StatusCode::CREATED, setlist)
        }
        Inserted::Before(setlist) => (StatusCode::OK, setlist),
    };
    let location =
        HeaderValue::try_from(format!("/api/setlists/{id}")).map_err(ApiError::internal)?;
    Ok((status, [(header::LOCATION, location)], with_etag(setlist)).into_response())
}

/// The id of the setlist that `user`'s create named `key` makes: the same
/// for the same two, so a create sent again finds the first one's setlist
/// (a reload mid-save made the show twice), and no other member's key can
/// name it (the member's id is in the hash).
fn keyed_setlist_id(user: &str, key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"backstage setlist create\0")
        .chain_update(user.as_bytes())
        .chain_update(b"\0")
        .chain_update(key.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[utoipa::path(get, path = "/api/setlists/{id}", tag = "setlists", security(("bearer" = [])),
    params(("id" = String, Path, description = "Setlist id (UUID)")),
    responses((status = 200, description = "The setlist; `ETag` carries its version", body = Setlist)))]
async fn read(
    State(state): State<AppState>,
    _: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let setlist = state
        .reads
        .setlist(&state.db, &parse_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(with_version(json_body(setlist.body), setlist.version))
}

#[utoipa::path(put, path = "/api/setlists/{id}", tag = "setlists", security(("bearer" = [])), request_body = SetlistInput,
    params(("id" = String, Path, description = "Setlist id (UUID)"),
           ("If-Match" = Option<String>, Header, description = "The version edited, when not in the body")),
    responses((status = 200, description = "Replaced (manager only); version bumped", body = Setlist),
              (status = 409, description = "Stale version: nothing changed; `current_version` tells the new one", body = ErrorBody)))]
async fn replace(
    State(state): State<AppState>,
    Manager(caller): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SetlistInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let expected = version_to_replace(input.version, &headers, validate_setlist(&input))?;
    let origin = origin.by(&caller.user_id);
    let (setlist, change) = db::setlists::replace(
        &state.db,
        &id,
        expected,
        &input,
        now(),
        &caller.author(),
        &origin,
    )
    .await?;
    state.setlist_changed(&change);
    Ok(with_etag(setlist))
}

#[utoipa::path(patch, path = "/api/setlists/{id}/songs/{song_id}", tag = "setlists", security(("bearer" = [])), request_body = SongPatch,
    params(("id" = String, Path, description = "Setlist id"), ("song_id" = String, Path, description = "Song id"),
           ("If-Match" = Option<String>, Header, description = "The setlist's version the change was made on, like `\"3\"`, when not in the body; without either, the change applies to the current version")),
    responses((status = 200, description = "Tempo and notes set; version bumped", body = Setlist),
              (status = 400, description = "`If-Match` is not one version, or not the body's `version`", body = ErrorBody),
              (status = 409, description = "A `version` or `If-Match` was sent and is stale: nothing changed", body = ErrorBody),
              (status = 422, description = "A tempo or notes out of range, or none of `bpm`, `notes` and `drummer_notes` sent (a patch that changes nothing)", body = ErrorBody)))]
async fn patch_song(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ApiPath((id, song_id)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<SongPatch>,
) -> ApiResult<Response> {
    let (id, song_id) = (parse_id(&id)?, parse_id(&song_id)?);
    validated(validate_song_patch(&patch))?;
    let expected = expected_version(patch.version, &headers)?;
    let request = SongPatchRequest {
        setlist_id: id,
        song_id,
        expected,
        bpm: patch.bpm,
        notes: patch.notes,
        drummer_notes: patch.drummer_notes,
        now: now(),
        by: caller.author(),
    };
    let (setlist, change) = state.song_patcher.patch(request).await?;
    state.setlist_changed(&change);
    Ok(with_version(json_body(setlist.body), setlist.version))
}

#[utoipa::path(delete, path = "/api/setlists/{id}", tag = "setlists", security(("bearer" = [])),
    params(("id" = String, Path, description = "Setlist id"),
           ("If-Match" = Option<String>, Header, description = "The version the delete was decided on, like `\"3\"`: a setlist changed since answers 409")),
    responses((status = 204, description = "Deleted (manager only)"),
              (status = 400, description = "`If-Match` is not one version", body = ErrorBody),
              (status = 409, description = "Changed since the `If-Match` version (`current_version`)", body = ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    Manager(caller): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let (id, expected) = (parse_id(&id)?, expected_version(None, &headers)?);
    let origin = origin.by(&caller.user_id);
    let change =
        db::setlists::delete(&state.db, &id, expected, now(), &caller.author(), &origin).await?;
    state.setlist_changed(&change);
    Ok(StatusCode::NO_CONTENT)
}

fn with_etag(setlist: Setlist) -> Response {
    let version = setlist.version;
    with_version(Json(setlist).into_response(), version)
}
