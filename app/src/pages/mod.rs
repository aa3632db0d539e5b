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

pub use gig::{PrintPage, StagePage};
pub use home::Home;
pub use lazy::{AuditRoute, MembersRoute, PassRoute, PasswordRoute, SessionsRoute, SongsRoute};
pub use login::Login;
pub use setlist::SetlistPage;
pub use setlists::Setlists;
