use leptos::prelude::*;

/// The landing page. Its tap-tempo button only reacts once the wasm has
/// hydrated the page, which makes it the end-to-end proof that hydration works.
#[component]
pub fn Home() -> impl IntoView {
    let taps = RwSignal::new(0u32);
    view! {
        <section class="card">
            <h1>"Backstage"</h1>
            <p>"Setlists for the whole band, from the first rehearsal to the encore."</p>
            <button type="button" on:click=move |_| taps.update(|n| *n += 1)>
                "Count in"
            </button>
            <p aria-live="polite" data-testid="count-in">
                {move || match taps.get() {
                    0 => "Ready when you are.".to_string(),
                    n => format!("{n}… ({})", if n >= 4 { "go!" } else { "counting" }),
                }}
            </p>
        </section>
    }
}
