//! The browser entry point: cargo-leptos builds this crate to wasm and the
//! server's HTML shell calls `hydrate()` once the module has loaded.

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // No panic hook: the release wasm is built to trap on a panic without
    // formatting a message (scripts/env.sh), so a hook would never run.
    leptos::mount::hydrate_body(app::App);
    // Lets end-to-end tests wait for the page to be live instead of guessing.
    let _ = js_sys::Reflect::set(
        &js_sys::global(),
        &"__backstage_hydrated".into(),
        &true.into(),
    );
}
