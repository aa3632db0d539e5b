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
    AuditRoute, Gig, GigPage, MembersRoute, PassRoute, PasswordRoute, SessionsRoute, SetlistRoute,
    SongsRoute,
};
pub use login::Login;
pub use setlists::Setlists;
