//! The Backstage server: the JSON API, authentication, the database and the
//! server-side rendering of the Leptos app. `main.rs` is a thin command line
//! over this library, so the integration tests can start the real thing.

pub mod accounts;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod library_csv;
pub mod lifecycle;
pub mod listener;
pub mod live;
pub mod metrics;
pub mod presence;
pub mod profiles;
pub mod proxies;
pub mod read_cache;
pub mod startup;
pub mod state;
pub mod sync;
