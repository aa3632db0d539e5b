//! Backstage's user interface: the HTML shell rendered by the server and the
//! components that hydrate in the browser.

// The editor's view type is deep; the default limit of 128 is not enough.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
mod kept;
pub mod live;
mod offline;
mod pages;
pub mod session;
mod unsaved;

use std::sync::atomic::{AtomicBool, Ordering};

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, ParamSegment, StaticSegment,
    components::{Outlet, ParentRoute, Route, Router, Routes},
};

use crate::{
    components::{FocusAfterNavigation, RequireAuth, RoleChangeNotice, TopBar},
    session::Session,
};

/// Whether this page has hydrated: set by the browser's entry point
/// (`frontend/src/lib.rs`) once hydration is done. Never set on the server.
static HYDRATED: AtomicBool = AtomicBool::new(false);

/// Called once, when hydration has finished.
pub fn mark_hydrated() {
    HYDRATED.store(true, Ordering::Relaxed);
}

/// True once this component has hydrated, or at once for a component created
/// after hydration (any later page). Until then it must render what the
/// server sent: an effect runs only after its component has hydrated.
pub(crate) fn use_hydrated() -> RwSignal<bool> {
    let hydrated = RwSignal::new(HYDRATED.load(Ordering::Relaxed));
    if !hydrated.get_untracked() {
        Effect::new(move |_| hydrated.set(true));
    }
    hydrated
}

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
    // Before the router: its Back handler must run first.
    unsaved::UnsavedWork::provide();
    let live = live::Live::provide(Session::provide());
    // The service worker keeps the app shell for stage mode with no signal.
    #[cfg(feature = "hydrate")]
    Effect::new(|_| offline::register_worker());
    // A tab that closes leaves its unsaved work to the next tab (`kept`).
    #[cfg(feature = "hydrate")]
    kept::set_aside_when_hidden();
    view! {
        // Each page names itself in the tab: "Setlists · Backstage".
        <Title formatter=|page: String| if page.is_empty() { "Backstage".to_string() } else { format!("{page} · Backstage") }/>
        <Router>
            <FocusAfterNavigation/>
            <TopBar/>
            // Live changes are announced here, politely: never stealing focus.
            <p class="visually-hidden" role="status" aria-live="polite" data-testid="live-announcer">
                {move || live.announcement().get()}
            </p>
            <main id="content" tabindex="-1">
                <Routes fallback=|| view! {
                    <Title text="Page not found"/>
                    <section class="card">
                        <h1>"Page not found"</h1>
                        <p><a href="/">"Back to the stage"</a></p>
                    </section>
                }>
                    <Route path=StaticSegment("") view=|| view! { <Title text=""/> <pages::Home/> }/>
                    <Route path=StaticSegment("login") view=|| view! { <Title text="Log in"/> <pages::Login/> }/>
                    // The gig's pages open from the offline cache too, signed in or not.
                    <Route path=(StaticSegment("setlists"), ParamSegment("id"), StaticSegment("stage")) view=|| view! { <Title text="Stage"/> <pages::GigPage gig=pages::Gig::Stage/> }/>
                    <Route path=(StaticSegment("setlists"), ParamSegment("id"), StaticSegment("print")) view=|| view! { <Title text="Print"/> <pages::GigPage gig=pages::Gig::Print/> }/>
                    // Every other page needs a signed-in member: one guard for all.
                    <ParentRoute path=StaticSegment("") view=SignedIn>
                        <Route path=StaticSegment("setlists") view=|| view! { <Title text="Setlists"/> <pages::Setlists/> }/>
                        // Pages past the list load on demand (pages/lazy.rs).
                        <Route path=(StaticSegment("setlists"), ParamSegment("id")) view={Lazy::<pages::SetlistRoute>::new()}/>
                        <Route path=StaticSegment("songs") view={Lazy::<pages::SongsRoute>::new()}/>
                        <Route path=StaticSegment("members") view={Lazy::<pages::MembersRoute>::new()}/>
                        <Route path=StaticSegment("pass") view={Lazy::<pages::PassRoute>::new()}/>
                        <Route path=StaticSegment("password") view={Lazy::<pages::PasswordRoute>::new()}/>
                        <Route path=StaticSegment("sessions") view={Lazy::<pages::SessionsRoute>::new()}/>
                        <Route path=StaticSegment("audit") view={Lazy::<pages::AuditRoute>::new()}/>
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
            <RoleChangeNotice/>
            <Outlet/>
        </RequireAuth>
    }
}
