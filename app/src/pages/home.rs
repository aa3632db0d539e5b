use leptos::prelude::*;

/// The landing page, where the logo leads. Its one link is to the setlists:
/// a member is there at once, a visitor is asked to log in first and then
/// brought there. A plain link, so it works before the app has loaded.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Backstage"</h1>
            <p>"Setlists for the whole band, from the first rehearsal to the encore."</p>
            <p><a class="button" href="/setlists">"Open the setlists"</a></p>
        </section>
    }
}
