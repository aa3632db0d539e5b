//! The browser entry point: cargo-leptos builds this crate to wasm and the
//! server's HTML shell calls `hydrate()` once the module has loaded.

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // No panic hook: the release wasm is built to trap on a panic without
    // formatting a message (scripts/env.sh), so a hook would never run.
    //
    // Hydration is asynchronous: some pages arrive in wasm chunks of
    // their own (`app/src/pages/lazy.rs`), and a page opened at one of them
    // must have its chunk before it can take over the server's HTML.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document()
            .body()
            .expect("a page has a body");
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        app::mark_hydrated();
        // Lets end-to-end tests wait for the page to be live instead of guessing.
        let _ = js_sys::Reflect::set(
            &js_sys::global(),
            &"__backstage_hydrated".into(),
            &true.into(),
        );
    });
}
