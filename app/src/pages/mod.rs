mod home;
mod login;
mod members;
mod setlist;
mod setlists;

pub use home::Home;
pub use login::Login;
pub use members::Members;
pub use setlist::SetlistPage;
pub use setlists::Setlists;
