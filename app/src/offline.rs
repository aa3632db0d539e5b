//! Shows kept for the gig: the setlists a member opened in stage mode or
//! the print view, in the browser's Cache Storage, so that stage mode works
//! with no signal, after a reload too (`/sw.js` keeps the app shell).
//!
//! The auth story's rules hold: what is kept is setlist data only — never a
//! token, which lives in memory — and it is deleted when the member logs out
//! or their session ends (`Session::forget`). A show read from here says how
//! old it is, and is read again from the server as soon as the network is back.

use serde::{Deserialize, Serialize};

use crate::api::Setlist;

/// The Cache Storage cache that holds the shows.
#[cfg(feature = "hydrate")]
const SHOWS_CACHE: &str = "backstage-shows";

/// A show as kept: the setlist and when it was read from the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeptShow {
    pub saved_at_ms: f64,
    pub setlist: Setlist,
}

#[cfg(feature = "hydrate")]
fn key(id: &str) -> String {
    format!("/offline/setlists/{id}")
}

/// The service worker's cache of the app shell (the same name as in `assets/sw.js`).
#[cfg(feature = "hydrate")]
const SHELL_CACHE: &str = "backstage-shell-v1";

/// Where the built front end is served from (`/pkg/{version}/…`), as in `assets/sw.js`.
#[cfg(feature = "hydrate")]
const PKG_PATH: &str = "/pkg/";

#[cfg(feature = "hydrate")]
mod storage {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Cache, PerformanceEntry, Response};

    use super::*;

    async fn open_cache(name: &str) -> Option<Cache> {
        let caches = leptos::prelude::window().caches().ok()?;
        JsFuture::from(caches.open(name))
            .await
            .ok()?
            .dyn_into()
            .ok()
    }

    async fn open() -> Option<Cache> {
        open_cache(SHOWS_CACHE).await
    }

    /// This page's HTML and every file of the built front end it loaded
    /// (stylesheet, JS, wasm, the chunk loader and the chunks of a lazily
    /// loaded page, `pages/lazy.rs`), into the service worker's cache: a page
    /// reached by an in-app link, or loaded before the worker took control,
    /// never went through the worker, and a reload with no signal needs all
    /// of it. The browser's resource timing lists what the page loaded, so no
    /// chunk's name is hard-coded here (its size: `register_worker`).
    pub async fn keep_shell() {
        let window = leptos::prelude::window();
        let (Ok(page), Ok(origin)) = (window.location().pathname(), window.location().origin())
        else {
            return;
        };
        let pkg = format!("{origin}{PKG_PATH}");
        let mut urls = vec![page];
        if let Some(performance) = window.performance() {
            urls.extend(
                performance
                    .get_entries_by_type("resource")
                    .iter()
                    .filter_map(|entry| entry.dyn_into::<PerformanceEntry>().ok())
                    .map(|entry| entry.name())
                    .filter(|url| url.starts_with(&pkg)),
            );
        }
        let Some(cache) = open_cache(SHELL_CACHE).await else {
            return;
        };
        for url in urls {
            let _ = JsFuture::from(cache.add_with_str(&url)).await;
        }
    }

    pub async fn keep(setlist: &Setlist) {
        let kept = KeptShow {
            saved_at_ms: js_sys::Date::now(),
            setlist: setlist.clone(),
        };
        let (Some(cache), Ok(json)) = (open().await, serde_json::to_string(&kept)) else {
            return;
        };
        if let Ok(response) = Response::new_with_opt_str(Some(&json)) {
            let _ = JsFuture::from(cache.put_with_str(&key(&setlist.id), &response)).await;
        }
    }

    pub async fn kept(id: &str) -> Option<KeptShow> {
        let found = JsFuture::from(open().await?.match_with_str(&key(id)))
            .await
            .ok()?;
        let response: Response = found.dyn_into().ok()?;
        let text = JsFuture::from(response.text().ok()?).await.ok()?;
        serde_json::from_str(&text.as_string()?).ok()
    }

    pub fn forget_all() {
        if let Ok(caches) = leptos::prelude::window().caches() {
            let _ = caches.delete(SHOWS_CACHE);
        }
    }

    /// Registers `/sw.js`, which keeps the app shell for a reload offline.
    pub fn register_worker() {
        let window = leptos::prelude::window();
        // `keep_shell` reads the resource timing list, which by default stops
        // at 250 entries: an evening of API calls would crowd out a chunk
        // loaded late.
        if let Some(performance) = window.performance() {
            performance.set_resource_timing_buffer_size(10_000);
        }
        let navigator = window.navigator();
        let Ok(container) = js_sys::Reflect::get(&navigator, &JsValue::from_str("serviceWorker"))
        else {
            return;
        };
        let Ok(register) = js_sys::Reflect::get(&container, &JsValue::from_str("register")) else {
            return;
        };
        if let Ok(register) = register.dyn_into::<js_sys::Function>() {
            let _ = register.call1(&container, &JsValue::from_str("/sw.js"));
        }
    }
}

#[cfg(feature = "hydrate")]
pub use storage::{forget_all, keep, keep_shell, kept, register_worker};

#[cfg(not(feature = "hydrate"))]
pub async fn keep(_: &Setlist) {}

#[cfg(not(feature = "hydrate"))]
pub async fn kept(_: &str) -> Option<KeptShow> {
    None
}

#[cfg(not(feature = "hydrate"))]
pub fn forget_all() {}

#[cfg(not(feature = "hydrate"))]
pub async fn keep_shell() {}
