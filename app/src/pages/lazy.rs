//! The pages most visits never open, each in a wasm chunk of its own.
//!
//! The first load carries only what a band member needs at the door: the
//! login form and the list of setlists. `cargo leptos build --split` cuts
//! every split point below (and whatever only it uses) out of the main wasm;
//! the page fetches the chunk the first time it is needed, and the browser
//! keeps it. The data each page needs is fetched by the page itself once it
//! shows, as before.
//!
//! Four chunks, named by the first argument of `wasm_split`: `manager` (the
//! editor, the song library, members, the audit log), `drummer` (the
//! drummer's view of a setlist, `pages/setlist/mod.rs`), `gig` (a setlist's
//! page, which reads it and picks the view, with stage mode and the print
//! sheet, which read a setlist too) and `account` (a member's pass, password
//! and sessions), plus a few for the code some of them share. The setlist's
//! page has no chunk of its own: the code it shares with stage mode (reading
//! a setlist) would become more shared pieces, and stage mode opened by its
//! address on a venue's network waited a second longer for them. A chunk per page would be a
//! dozen small requests for a page that shares code with another, each a
//! round trip on a venue's network.
//!
//! The setlists page, once its list shows, fetches the chunks of the setlist
//! page and the view the member will open next; the setlist page, once its view has
//! arrived, fetches the gig's. The first load stops at the list, and opening
//! the next page still waits for nothing but its data.
//!
//! Stage mode must open with no signal, after a reload too: the page keeps
//! every file of the front end it loaded, its chunks included, for the
//! service worker (`offline::keep_shell`).
//!
//! A chunk can fail to arrive: the signal went between two songs. A failed
//! load is an `Err` here (`fallible`), shown as a message, and the next visit
//! tries again; without it the failure would abort the whole wasm, and the
//! app with it.

use leptos::{
    prelude::*,
    wasm_split::{SplitLoaderError, wasm_split},
};
use leptos_meta::Title;
use leptos_router::LazyRoute;

/// What a page shows when its code could not be fetched: the signal went,
/// or a new version of the app was installed since this tab loaded (the
/// server keeps only the current version's chunks). Reloading mends both.
pub fn unreachable_page(_: SplitLoaderError) -> AnyView {
    view! {
        <section class="card">
            <p class="error" role="alert">
                "This page could not be loaded. With no signal, open it again once you have one; if the app was updated meanwhile, reload it."
            </p>
            <p>
                <button type="button" on:click=|_| { let _ = window().location().reload(); }>
                    "Reload the app"
                </button>
            </p>
        </section>
    }
    .into_any()
}

/// A route whose view is one page, split off at `$view` into the chunk
/// `$chunk`, with its tab title (a page without one names itself).
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident, $chunk:ident, $view:ident, $preload:ident, $($title:literal,)? $page:path) => {
        $(#[$doc])*
        pub struct $route;

        #[wasm_split($chunk, wasm_split_path = ::leptos::wasm_split, fallible, preload($preload))]
        fn $view() -> Result<AnyView, SplitLoaderError> {
            Ok(view! { $(<Title text=$title/>)? <$page/> }.into_any())
        }

        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            async fn view(_this: Self) -> AnyView {
                $view().await.unwrap_or_else(unreachable_page)
            }

            async fn preload() {
                // A failure shows when the page is opened; nothing to do here.
                let _ = $preload().await;
            }
        }
    };
}

lazy_page!(
    /// One setlist, named after the show: the page that reads it and picks
    /// the editor or the drummer's view, each in a chunk of its own. In the
    /// gig's chunk, fetched with the view's once the list of setlists shows.
    SetlistRoute, gig, setlist_page, preload_setlist_page, super::setlist::SetlistPage
);
lazy_page!(
    /// The manager's song library.
    SongsRoute, manager, songs_page, preload_songs_page, "Song library", super::songs::Songs
);
lazy_page!(
    /// The manager's band members and their sessions.
    MembersRoute, manager, members_page, preload_members_page, "Band members", super::members::Members
);
lazy_page!(
    /// The audit log, in words.
    AuditRoute, manager, audit_page, preload_audit_page, "Audit log", super::audit::Audit
);
lazy_page!(
    /// A member's backstage pass: the teaching view of their tokens.
    PassRoute, account, pass_page, preload_pass_page, "Your pass", super::pass::Pass
);
lazy_page!(
    /// Changing one's password.
    PasswordRoute, account, password_page, preload_password_page, "Password", super::password::ChangePassword
);
lazy_page!(
    /// A member's signed-in devices.
    SessionsRoute, account, sessions_page, preload_sessions_page, "Sessions", super::sessions::Sessions
);
/// Fetches the chunks of a setlist's page and of this member's view of it,
/// so that opening a setlist from the list waits for its data only.
pub async fn preload_setlist(manager: bool) {
    // A failure shows when the page is opened; nothing to do here.
    let _ = preload_setlist_page().await;
    super::setlist::preload_setlist_view(manager).await;
}

/// Which of the gig's pages.
#[derive(Clone, Copy)]
pub enum Gig {
    Stage,
    Print,
}

/// Stage mode or the print sheet, from the `gig` chunk.
///
/// Not a lazy route like the pages above: those sit behind the sign-in guard,
/// which shows them only once it has hydrated, but these open signed out and
/// with no signal. A lazy route opened by its address hydrates with its
/// chunk, and a chunk that cannot be fetched then (a reload with no signal
/// whose kept shell lacks it) would be a page that does not match the
/// server's HTML: a trap that stops the whole app. So the server and
/// hydration both show the loading line, and the chunk is fetched after.
#[component]
pub fn GigPage(gig: Gig) -> impl IntoView {
    if matches!(gig, Gig::Stage) {
        super::gig::hide_chrome_on_stage();
    }
    let hydrated = crate::use_hydrated();
    view! {
        <Suspense fallback=super::gig::loading_show>
            {move || if hydrated.get() {
                Suspend::new(async move {
                    match gig {
                        Gig::Stage => stage_page().await,
                        Gig::Print => print_page().await,
                    }
                    .unwrap_or_else(unreachable_page)
                })
                .into_any()
            } else {
                super::gig::loading_show().into_any()
            }}
        </Suspense>
    }
}

#[wasm_split(gig, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_stage_page))]
fn stage_page() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <super::gig::StagePage/> }.into_any())
}

#[wasm_split(gig, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_print_page))]
fn print_page() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <super::gig::PrintPage/> }.into_any())
}

/// Fetches the gig's chunk (stage mode and the print sheet), so that stage
/// mode opens at once from a setlist, and with no signal once the service
/// worker keeps it. A failure shows when the page is opened.
pub async fn preload_gig() {
    let _ = preload_stage_page().await;
}
