//! The built front end (`/pkg`: the wasm, its JavaScript glue, the
//! stylesheet), served under a path that names its content.
//!
//! At start-up the server hashes the files cargo-leptos built and serves them
//! at `/pkg/{version}/…`; pages link to that path. A URL therefore never
//! changes meaning, so browsers may keep the files for a year without asking
//! again (`Cache-Control: immutable`), and a new build is a new URL: nobody
//! runs a stale wasm against a newer server. `cargo leptos build --release
//! --precompress` writes `.br` and `.gz` next to each file, which are sent to
//! browsers that accept them, with no compression work per request.

use std::path::Path;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::Response,
};
use sha2::{Digest, Sha256};
use tower_http::services::{ServeDir, ServeFile};

use crate::state::AppState;

/// Twelve hex digits of SHA-256 over the code the browser runs: the wasm and
/// its lazily loaded chunks, their JavaScript, the stylesheet (their `.br`
/// and `.gz` copies follow from them; the split manifest and type
/// declarations are never served to a page). No files, as in the integration
/// tests, which do not build the front end, is a version too. Two builds of
/// one commit may differ in bytes (the chunk loader's import order), so the
/// instances behind one address must run the same build.
pub fn version(pkg_dir: &Path) -> String {
    let mut names: Vec<_> = std::fs::read_dir(pkg_dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            [".wasm", ".js", ".css"]
                .iter()
                .any(|ext| name.ends_with(ext))
        })
        .collect();
    // Directory order is the file system's: sort, so every instance agrees.
    names.sort_unstable();
    let mut hasher = Sha256::new();
    for name in names {
        hasher.update(name.as_bytes());
        hasher.update(std::fs::read(pkg_dir.join(name)).unwrap_or_default());
    }
    hasher.finalize()[..6]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `/{site_pkg_dir}/…` (that is, `/pkg/{version}/…`) from the `pkg` folder.
pub fn router(state: &AppState) -> Router<AppState> {
    let pkg_dir = Path::new(state.leptos.site_root.as_ref()).join("pkg");
    // No directory answers: `/pkg/{version}/.` was a redirect to `/./`, off
    // the prefix, and `//./` is an open redirect's shape.
    let files = ServeDir::new(pkg_dir)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service(&format!("/{}", state.leptos.site_pkg_dir), files)
        .layer(axum::middleware::map_response(cache_forever))
}

/// A service worker runs under its own script's policy: the default
/// `default-src 'none'` would refuse the fetches it makes to keep the app
/// shell. This one lets it fetch from this origin and nothing else.
const WORKER_CSP: &str = "default-src 'none'; connect-src 'self'";

/// `/sw.js` (`assets/sw.js`): stage mode's offline shell (`app/src/offline.rs`).
pub fn worker_router(state: &AppState) -> Router<AppState> {
    let worker = ServeFile::new(Path::new(state.leptos.site_root.as_ref()).join("sw.js"));
    Router::new()
        .route_service("/sw.js", worker)
        .layer(axum::middleware::map_response(
            |mut response: Response| async move {
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(WORKER_CSP),
                );
                // Asked for again on every visit, so a new worker is seen at once.
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            },
        ))
}

/// Only a file that was found may be cached; a 404 must be asked again.
async fn cache_forever(mut response: Response) -> Response {
    if response.status().is_success() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}
