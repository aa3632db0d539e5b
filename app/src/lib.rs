//! Backstage's user interface: the HTML shell rendered by the server and the
//! components that hydrate in the browser.

// The editor's view type is deep; the default limit of 128 is not enough.
#![recursion_limit = "256"]

pub mod api;
mod components;
pub mod live;
mod offline;
mod pages;
pub mod session;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, StaticSegment,
    components::{Outlet, ParentRoute, Route, Router, Routes},
};

use crate::{
    components::{RequireAuth, TopBar},
    session::Session,
};

/// The document the server sends; `HydrationScripts` loads the wasm.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let hint = use_context::<session::SessionHint>().unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name=session::SESSION_HINT_META content=if hint.0 { "1" } else { "0" }/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                // The server versions the pkg folder by content (server/src/http/assets.rs).
                <link rel="stylesheet" href=format!("/{}/backstage.css", options.site_pkg_dir)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let live = live::Live::provide(Session::provide());
    // The service worker keeps the app shell for stage mode with no signal.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| offline::register_worker());
    view! {
        <Title text="Backstage"/>
        <Router>
            <TopBar/>
            // Live changes are announced here, politely: never stealing focus.
            <p class="visually-hidden" role="status" aria-live="polite" data-testid="live-announcer">
                {move || live.announcement().get()}
            </p>
            <main>
                <Routes fallback=|| view! {
                    <section class="card">
                        <h1>"Page not found"</h1>
                        <p><a href="/">"Back to the stage"</a></p>
                    </section>
                }>
                    <Route path=StaticSegment("") view=pages::Home/>
                    <Route path=StaticSegment("login") view=pages::Login/>
                    // The gig's pages open from the offline cache too, signed in or not.
                    <Route path=(StaticSegment("setlists"), ParamSegment("id"), StaticSegment("stage")) view=pages::StagePage/>
                    <Route path=(StaticSegment("setlists"), ParamSegment("id"), StaticSegment("print")) view=pages::PrintPage/>
                    // Every other page needs a signed-in member: one guard for all.
                    <ParentRoute path=StaticSegment("") view=SignedIn>
                        <Route path=StaticSegment("setlists") view=pages::Setlists/>
                        <Route path=(StaticSegment("setlists"), ParamSegment("id")) view=pages::SetlistPage/>
                        <Route path=StaticSegment("members") view=pages::Members/>
                        <Route path=StaticSegment("pass") view=pages::Pass/>
                        <Route path=StaticSegment("password") view=pages::ChangePassword/>
                        <Route path=StaticSegment("sessions") view=pages::Sessions/>
                        <Route path=StaticSegment("audit") view=pages::Audit/>
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}

/// The parent of every page that needs a signed-in member: the page shows
/// in the `Outlet` once the session is restored; anyone signed out goes to
/// the login page, which brings them back here afterwards.
#[component]
fn SignedIn() -> impl IntoView {
    view! {
        <RequireAuth>
            <Outlet/>
        </RequireAuth>
    }
}
