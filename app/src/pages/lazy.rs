//! The pages most visits never open, each in a wasm chunk of its own.
//!
//! The first load carries only what a band member needs at the door: the
//! login form, the setlists, a setlist, the gig views. `cargo leptos build
//! --split` cuts every `#[lazy_route]` view (and whatever only it uses) out of
//! the main wasm; the router fetches the chunk the first time the route is
//! visited, and reuses it afterwards. The data each page needs is fetched by
//! the page itself once it shows, as before.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{LazyRoute, lazy_route};

/// A route whose view is one page with its tab title.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident, $title:literal, $page:path) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <Title text=$title/> <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(
    /// The manager's song library.
    SongsRoute, "Song library", super::songs::Songs
);
lazy_page!(
    /// The manager's band members and their sessions.
    MembersRoute, "Band members", super::members::Members
);
lazy_page!(
    /// The audit log, in words.
    AuditRoute, "Audit log", super::audit::Audit
);
lazy_page!(
    /// A member's backstage pass: the teaching view of their tokens.
    PassRoute, "Your pass", super::pass::Pass
);
lazy_page!(
    /// Changing one's password.
    PasswordRoute, "Password", super::password::ChangePassword
);
lazy_page!(
    /// A member's signed-in devices.
    SessionsRoute, "Sessions", super::sessions::Sessions
);
