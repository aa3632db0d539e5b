//! The JSON contract of `API.md`, shared by the server (which serialises it)
//! and the browser (which deserialises it): one definition, no drift.

pub mod client;
mod library;
mod objects;
pub mod transport;
mod types;
pub mod validation;

pub use library::*;
pub use types::*;
