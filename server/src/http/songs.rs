//! `/api/songs`, the song library: any band member reads; managers add,
//! edit, delete and import; drummers may set a song's tempo and notes.

use app::api::{
    ImportOutcome, ImportReport, LibrarySong, LibrarySongInput, SongImport, SongPatch,
    validation::{
        IMPORT_ROWS_MAX, folded, normalized_tags, validate_library_song, validate_song_patch,
    },
};
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tower_http::compression::{CompressionLayer, predicate::SizeAbove};

use super::{
    extract::{ApiJson, ApiPath, ApiQuery, ClientOrigin, parse_id},
    versions::{expected_version, validated, version_to_replace, with_version},
};
use crate::{
    auth::extract::{AuthUser, Manager},
    clock::{now, today},
    db::{self, library::LibraryWriteError},
    error::{ApiError, ApiResult},
    library_csv,
    live::LIBRARY_CHANGED,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/songs", get(list).layer(compressed()).post(create))
        .route("/songs/import", post(import))
        .route("/songs/export", get(export).layer(compressed()))
        .route(
            "/songs/{id}",
            get(read).put(replace).patch(patch_song).delete(remove),
        )
}

/// The whole library is the API's one answer that grows with the band
/// unpaged: gzip, for a client that asks for it. Never on answers that hold
/// a token: compressing a secret beside text an attacker chose leaks it
/// (BREACH); these hold the band's songs only.
fn compressed() -> CompressionLayer<SizeAbove> {
    CompressionLayer::new().compress_when(SizeAbove::new(1024))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SongFilter {
    /// Part of the title, the artist or a tag, in any case.
    q: Option<String>,
    /// Only songs with this tag.
    tag: Option<String>,
}

#[utoipa::path(get, path = "/api/songs", tag = "songs", security(("bearer" = [])), params(SongFilter),
    responses((status = 200, description = "The library, by title; `times_played` and `last_played` count past shows", body = [LibrarySong]),
        (status = 400, description = "`bad_request`: the query's escapes are not UTF-8 (`q=%ff`)")))]
async fn list(
    State(state): State<AppState>,
    _: AuthUser,
    ApiQuery(filter): ApiQuery<SongFilter>,
) -> ApiResult<Json<Vec<LibrarySong>>> {
    let mut songs = db::library::list(&state.db, &today()).await?;
    let needle = folded(filter.q.as_deref().unwrap_or_default().trim());
    let tag = (filter.tag.as_deref().map(str::trim))
        .filter(|tag| !tag.is_empty())
        .map(folded);
    songs.retain(|song| song.matches(&needle, tag.as_deref()));
    Ok(Json(songs))
}

#[utoipa::path(post, path = "/api/songs", tag = "songs", security(("bearer" = [])), request_body = LibrarySongInput,
    responses((status = 201, description = "Added (manager only); `Location` names it", body = LibrarySong),
              (status = 422, description = "A rule is broken, or the library has a song of this title and artist", body = app::api::ErrorBody)))]
async fn create(
    State(state): State<AppState>,
    Manager(caller): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiJson(input): ApiJson<LibrarySongInput>,
) -> ApiResult<Response> {
    let input = with_normalized_tags(input);
    validated(validate_library_song(&input))?;
    let id = uuid::Uuid::new_v4().to_string();
    let origin = origin.by(&caller.user_id);
    let by = caller.author();
    if !db::library::add(&state.db, &id, &input, now(), &by, &origin).await? {
        return Err(LibraryWriteError::Duplicate.into());
    }
    state.written(LIBRARY_CHANGED, &by);
    let location = HeaderValue::try_from(format!("/api/songs/{id}")).map_err(ApiError::internal)?;
    let song = stored(&state, &id).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], song).into_response())
}

#[utoipa::path(get, path = "/api/songs/{id}", tag = "songs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Library song id (UUID)")),
    responses((status = 200, description = "The song; `ETag` carries its version", body = LibrarySong)))]
async fn read(
    State(state): State<AppState>,
    _: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    stored(&state, &parse_id(&id)?).await
}

#[utoipa::path(put, path = "/api/songs/{id}", tag = "songs", security(("bearer" = [])), request_body = LibrarySongInput,
    params(("id" = String, Path, description = "Library song id (UUID)"),
           ("If-Match" = Option<String>, Header, description = "The version edited, when not in the body")),
    responses((status = 200, description = "Replaced (manager only); version bumped", body = LibrarySong),
              (status = 409, description = "Stale version: nothing changed; `current_version` tells the new one", body = app::api::ErrorBody)))]
async fn replace(
    State(state): State<AppState>,
    Manager(caller): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<LibrarySongInput>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let input = with_normalized_tags(input);
    let expected = version_to_replace(input.version, &headers, validate_library_song(&input))?;
    let origin = origin.by(&caller.user_id);
    let by = caller.author();
    db::library::replace(&state.db, &id, expected, &input, now(), &by, &origin).await?;
    state.written(LIBRARY_CHANGED, &by);
    stored(&state, &id).await
}

#[utoipa::path(patch, path = "/api/songs/{id}", tag = "songs", security(("bearer" = [])), request_body = SongPatch,
    params(("id" = String, Path, description = "Library song id (UUID)"),
           ("If-Match" = Option<String>, Header, description = "The song's version the change was made on, like `\"3\"`, when not in the body; without either, the change applies to the current version")),
    responses((status = 200, description = "Tempo and notes set (drummer or manager); version bumped", body = LibrarySong),
              (status = 400, description = "`If-Match` is not one version, or not the body's `version`", body = app::api::ErrorBody),
              (status = 409, description = "A `version` or `If-Match` was sent and is stale: nothing changed", body = app::api::ErrorBody),
              (status = 422, description = "A tempo or notes out of range, or none of `bpm`, `notes` and `drummer_notes` sent (a patch that changes nothing)", body = app::api::ErrorBody)))]
async fn patch_song(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    ClientOrigin(origin): ClientOrigin,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<SongPatch>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    validated(validate_song_patch(&patch))?;
    let expected = expected_version(patch.version, &headers)?;
    let origin = origin.by(&caller.user_id);
    let by = caller.author();
    db::library::patch(&state.db, &id, expected, &patch, now(), &by, &origin).await?;
    state.written(LIBRARY_CHANGED, &by);
    stored(&state, &id).await
}

#[utoipa::path(delete, path = "/api/songs/{id}", tag = "songs", security(("bearer" = [])),
    params(("id" = String, Path, description = "Library song id (UUID)"),
           ("If-Match" = Option<String>, Header, description = "The version the delete was decided on, like `\"3\"`: a song changed since answers 409")),
    responses((status = 204, description = "Deleted (manager only); setlists keep their copy of the song, unlinked (each gets a new version)"),
              (status = 400, description = "`If-Match` is not one version", body = app::api::ErrorBody),
              (status = 409, description = "Changed since the `If-Match` version (`current_version`)", body = app::api::ErrorBody)))]
async fn remove(
    State(state): State<AppState>,
    Manager(caller): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let (id, expected) = (parse_id(&id)?, expected_version(None, &headers)?);
    let origin = origin.by(&caller.user_id);
    let by = caller.author();
    let unlinked = db::library::delete(&state.db, &id, expected, now(), &by, &origin).await?;
    for change in &unlinked {
        state.setlist_changed(change);
    }
    state.written(LIBRARY_CHANGED, &by);
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/songs/import", tag = "songs", security(("bearer" = [])), request_body = SongImport,
    responses((status = 200, description = "What became of each row (manager only): valid new songs are added, songs already in the library are left alone, invalid rows are skipped with their errors; a `dry_run` writes nothing", body = ImportReport),
              (status = 422, description = "The file cannot be read (`csv`: no title column, a column named twice, an unclosed quote, too many rows)", body = app::api::ErrorBody)))]
async fn import(
    State(state): State<AppState>,
    Manager(caller): Manager,
    ClientOrigin(origin): ClientOrigin,
    ApiJson(import): ApiJson<SongImport>,
) -> ApiResult<Json<ImportReport>> {
    let rows = library_csv::parse(&import.csv, IMPORT_ROWS_MAX)
        .map_err(|error| ApiError::Validation([("csv".to_string(), error.to_string())].into()))?;
    let valid: Vec<LibrarySongInput> = rows
        .iter()
        .filter(|row| row.errors.is_empty())
        .map(|row| row.song.clone())
        .collect();
    let origin = origin.by(&caller.user_id);
    let by = caller.author();
    let added =
        db::library::insert_all(&state.db, &valid, now(), import.dry_run, &by, &origin).await?;
    if added.contains(&true) && !import.dry_run {
        state.written(LIBRARY_CHANGED, &by);
    }
    let mut added = added.into_iter();
    let rows: Vec<_> = rows
        .iter()
        .map(|row| {
            let outcome = match row.errors.is_empty() {
                false => ImportOutcome::Invalid,
                true if added.next() == Some(true) => ImportOutcome::New,
                true => ImportOutcome::Existing,
            };
            row.report(outcome)
        })
        .collect();
    let new = rows.iter().filter(|row| row.outcome == ImportOutcome::New);
    Ok(Json(ImportReport {
        dry_run: import.dry_run,
        created: if import.dry_run {
            0
        } else {
            new.count() as i64
        },
        rows,
    }))
}

#[utoipa::path(get, path = "/api/songs/export", tag = "songs", security(("bearer" = [])),
    responses((status = 200, description = "The library as CSV, with the columns an import reads", content_type = "text/csv")))]
async fn export(State(state): State<AppState>, _: AuthUser) -> ApiResult<Response> {
    let songs = db::library::list(&state.db, &today()).await?;
    let csv = HeaderValue::from_static("text/csv; charset=utf-8");
    let file = HeaderValue::from_static("attachment; filename=\"songs.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, csv),
            (header::CONTENT_DISPOSITION, file),
        ],
        library_csv::export(&songs),
    )
        .into_response())
}

/// The input with its tags as the library keeps them, ready to validate.
fn with_normalized_tags(input: LibrarySongInput) -> LibrarySongInput {
    LibrarySongInput {
        tags: normalized_tags(input.tags.iter().map(String::as_str)),
        ..input
    }
}

/// The song as stored now, with its version as the `ETag`.
async fn stored(state: &AppState, id: &str) -> ApiResult<Response> {
    let song = db::library::get(&state.db, id, &today())
        .await?
        .ok_or(ApiError::NotFound)?;
    let version = song.version;
    Ok(with_version(Json(song).into_response(), version))
}
