mod audit;
mod gig;
mod home;
pub(crate) mod lazy;
mod login;
mod members;
mod pass;
mod password;
pub(crate) mod sessions;
pub(crate) mod setlist;
mod setlists;
mod songs;

pub use home::Home;
pub use lazy::{
    AuditRoute, Gig, GigPage, MembersRoute, PassRoute, PasswordRoute, SessionsRoute, SongsRoute,
};
pub use login::Login;
pub use setlist::SetlistPage;
pub use setlists::Setlists;
