//! The OpenAPI 3.1 document, generated from the `#[utoipa::path]` annotation
//! on each handler and the `ToSchema` derives on the shared API types. The
//! error answers every route shares are added here once, by rule, instead of
//! being repeated on every handler.

use app::api::{
    Activity, AuditEvent, AuditPage, ErrorBody, ErrorDetail, ImportOutcome, ImportReport,
    ImportRow, LibrarySong, LibrarySongInput, LoginRequest, MemberPatch, NewUser, PasswordChange,
    PasswordReset, Presence, PresenceInput, Role, SessionInfo, SetInput, SetOfSongs, Setlist,
    SetlistInput, SetlistSummary, Song, SongImport, SongInput, SongPatch, TokenResponse, User,
};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, Content, PathItem, Ref, ResponseBuilder,
        path::Operation,
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use axum::{Json, Router, routing::get};

use super::{audit, auth, events, ops, presence, sessions, setlists, songs, users};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Backstage",
        description = "The band setlist manager: JWT access tokens, rotating refresh cookies, drummer and manager roles."
    ),
    paths(
        auth::login, auth::refresh_session, auth::logout, auth::me, auth::jwks,
        setlists::list, setlists::create, setlists::read, setlists::replace, setlists::patch_song, setlists::remove,
        songs::list, songs::create, songs::read, songs::replace, songs::patch_song, songs::remove,
        songs::import, songs::export,
        users::list, users::create, users::change, users::revoke, users::reset_password,
        users::change_own_password,
        sessions::own_sessions, sessions::end_own_session, sessions::member_sessions,
        sessions::end_member_session,
        audit::list,
        ops::healthz, ops::readyz, ops::metrics, serve,
        events::events, presence::announce,
    ),
    components(schemas(
        AuditEvent, AuditPage, ErrorBody, ErrorDetail, LoginRequest, MemberPatch, NewUser,
        PasswordChange, PasswordReset, Role, SessionInfo, Setlist, SetlistInput, SetlistSummary,
        Song, SongInput, SongPatch, TokenResponse, User, Activity, Presence, PresenceInput,
        LibrarySong, LibrarySongInput, SongImport, ImportOutcome, ImportRow, ImportReport,
        SetInput, SetOfSongs,
    )),
    modifiers(&SecurityAndErrors),
)]
struct ApiDoc;

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(serve))
}

/// This API as OpenAPI 3.1, generated from the handlers' annotations.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json")))]
async fn serve() -> Json<openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

struct SecurityAndErrors;

impl Modify for SecurityAndErrors {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "refresh_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("backstage_refresh"))),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            for operation in operations(item) {
                add_error_responses(path, operation);
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The contract's error answers, by what the operation does.
fn add_error_responses(path: &str, operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut errors: Vec<(&str, &str)> = vec![("500", "internal: something went wrong on our side")];
    if path.starts_with("/api/") {
        errors.push(("405", "method_not_allowed"));
        errors.push(("408", "request_timeout: the request took too long"));
        errors.push((
            "431",
            "headers_too_large: request line and headers over 16 KiB",
        ));
    }
    if path == "/api/auth/login" {
        errors.push(("401", "invalid_credentials"));
        errors.push((
            "403",
            "forbidden: the right password for a disabled account",
        ));
        errors.push(("429", "rate_limited, with Retry-After"));
        errors.push((
            "503",
            "unavailable, with Retry-After: too many logins at once, the database is away, or the server is shutting down",
        ));
    } else {
        errors.push((
            "503",
            "unavailable, with Retry-After: the database is away or the server is shutting down",
        ));
    }
    if secured && path != "/api/auth/login" {
        errors.push((
            "401",
            "missing_token or invalid_token, with WWW-Authenticate",
        ));
        errors.push((
            "403",
            "forbidden: the role may not do this, or a cross-site request",
        ));
    }
    if operation.request_body.is_some() {
        errors.push((
            "400",
            "bad_request: malformed JSON, or JSON that is not an object",
        ));
        errors.push(("413", "payload_too_large: over 1 MiB"));
        errors.push(("415", "unsupported_media_type: not application/json"));
        errors.push((
            "422",
            "validation_failed, with a `fields` map: a rule broken, a field missing or of the wrong type",
        ));
    }
    if path.contains('{') {
        errors.push(("404", "not_found"));
    }
    // The paged lists: `limit` out of range, a `before` that names nothing.
    if path == "/api/audit" || (path == "/api/setlists" && operation.request_body.is_none()) {
        errors.push(("400", "bad_request: an invalid query parameter"));
    }
    if path == "/api/me/password" {
        errors.push((
            "429",
            "rate_limited, with Retry-After: too many wrong current passwords",
        ));
    }
    for (status, description) in errors {
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            )
            .build();
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| response.into());
    }
}
