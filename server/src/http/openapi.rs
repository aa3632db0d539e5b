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
        self, Content, HeaderBuilder, PathItem, Ref, RefOr, ResponseBuilder,
        path::Operation,
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
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
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Secure-backstage_refresh",
                "The refresh token. `backstage_refresh` on plain http (local development only), \
                 where a `__Secure-` cookie cannot be set",
            ))),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                add_error_responses(path, operation);
                add_answer_headers(method, path, operation);
            }
        }
    }
}

/// The headers the contract's answers carry (API.md): method, path,
/// status, header, what it says. Errors' headers go by status alone.
const ANSWER_HEADERS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "post",
        "/api/auth/login",
        "200",
        "Set-Cookie",
        REFRESH_COOKIE,
    ),
    (
        "post",
        "/api/auth/refresh",
        "200",
        "Set-Cookie",
        "The rotated refresh cookie: in the grace window, the successor the first request got, \
         or none when the session has moved on past it",
    ),
    (
        "post",
        "/api/auth/logout",
        "204",
        "Set-Cookie",
        "The refresh cookie, cleared",
    ),
    (
        "get",
        "/api/setlists",
        "200",
        "Link",
        "`<…?before=…&limit=…>; rel=\"next\"` while older shows remain",
    ),
    (
        "post",
        "/api/setlists",
        "201",
        "Location",
        "The new setlist's path",
    ),
    ("post", "/api/setlists", "201", "ETag", VERSION_TAG),
    // A create sent again with its Idempotency-Key: the one the first made.
    (
        "post",
        "/api/setlists",
        "200",
        "Location",
        "The setlist's path",
    ),
    ("post", "/api/setlists", "200", "ETag", VERSION_TAG),
    ("get", "/api/setlists/{id}", "200", "ETag", VERSION_TAG),
    ("put", "/api/setlists/{id}", "200", "ETag", VERSION_TAG),
    (
        "patch",
        "/api/setlists/{id}/songs/{song_id}",
        "200",
        "ETag",
        VERSION_TAG,
    ),
    (
        "post",
        "/api/songs",
        "201",
        "Location",
        "The new song's path",
    ),
    ("post", "/api/songs", "201", "ETag", VERSION_TAG),
    ("get", "/api/songs/{id}", "200", "ETag", VERSION_TAG),
    ("put", "/api/songs/{id}", "200", "ETag", VERSION_TAG),
    ("patch", "/api/songs/{id}", "200", "ETag", VERSION_TAG),
    (
        "*",
        "*",
        "401",
        "WWW-Authenticate",
        "`Bearer`, or `Bearer error=\"invalid_token\"` (RFC 6750)",
    ),
    ("*", "*", "405", "Allow", "The methods the path answers"),
    (
        "*",
        "*",
        "415",
        "Accept-Encoding",
        "`identity`, when the body came with a Content-Encoding (RFC 9110 §15.5.16)",
    ),
    ("*", "*", "429", "Retry-After", "Seconds to wait"),
    ("*", "*", "503", "Retry-After", "Seconds to wait"),
];
const REFRESH_COOKIE: &str = "The refresh cookie (HttpOnly; SameSite=Strict; Path=/api/auth; Secure on https; Max-Age the refresh lifetime at login, and the time the session has left once rotated), and the session hint the page reads";
const VERSION_TAG: &str = "The version, like `\"3\"`: send it back as `If-Match`";

fn add_answer_headers(method: &str, path: &str, operation: &mut Operation) {
    let applies = |(m, p, ..): &&(&str, &str, &str, &str, &str)| {
        (*m == "*" || *m == method) && (*p == "*" || *p == path)
    };
    for (_, _, status, name, description) in ANSWER_HEADERS.iter().filter(applies) {
        // A wrong password is `invalid_credentials`: no bearer token was asked for.
        if path == "/api/auth/login" && *name == "WWW-Authenticate" {
            continue;
        }
        if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status) {
            let header = HeaderBuilder::new().description(Some(*description)).build();
            response.headers.insert(name.to_string(), header);
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("post", &mut item.post),
        ("put", &mut item.put),
        ("patch", &mut item.patch),
        ("delete", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation.as_mut()?)))
}

/// The contract's error answers, by what the operation does.
fn add_error_responses(path: &str, operation: &mut Operation) {
    let security = operation.security.as_deref().unwrap_or_default();
    let secured = !security.is_empty();
    // `security((), …)`: the credential is optional (logout answers 204 without one).
    let optional = security.contains(&SecurityRequirement::default());
    // Every route here answers a wrong method with the contract's body (`errors_in_json`).
    let mut errors: Vec<(&str, &str)> = vec![
        ("500", "internal: something went wrong on our side"),
        ("405", "method_not_allowed"),
    ];
    if path.starts_with("/api/") {
        errors.push(("408", "request_timeout: the request took too long"));
        errors.push((
            "431",
            "headers_too_large: request line and headers over 16 KiB",
        ));
        // Checked before routing, so a route that reads no body says it too.
        errors.push(("413", "payload_too_large: a body over 1 MiB"));
    }
    if path == "/api/auth/login" {
        errors.push(("401", "invalid_credentials"));
        errors.push((
            "403",
            "forbidden: a cross-site request, or the right password for a disabled account",
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
    if secured && !optional && path != "/api/auth/login" {
        errors.push((
            "401",
            "missing_token or invalid_token, with WWW-Authenticate",
        ));
    }
    if secured && path != "/api/auth/login" {
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
        errors.push(("415", "unsupported_media_type: not application/json, or a Content-Encoding other than identity"));
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
