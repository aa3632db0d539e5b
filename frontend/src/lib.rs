//! The browser entry point: cargo-leptos builds this crate to wasm and the
//! server's HTML shell calls `hydrate()` once the module has loaded.

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets end-to-end tests wait for the page to be live instead of guessing.
    let _ = js_sys::Reflect::set(
        &js_sys::global(),
        &"__backstage_hydrated".into(),
        &true.into(),
    );
}
