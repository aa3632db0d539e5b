mod audit;
mod home;
mod login;
mod members;
mod pass;
mod password;
pub(crate) mod sessions;
mod setlist;
mod setlists;

pub use audit::Audit;
pub use home::Home;
pub use login::Login;
pub use members::Members;
pub use pass::Pass;
pub use password::ChangePassword;
pub use sessions::Sessions;
pub use setlist::SetlistPage;
pub use setlists::Setlists;
