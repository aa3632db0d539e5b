//! The server's integration tests, one binary: each module starts the real
//! server (`common::spawn_app`, or real processes in `common::instance`) and
//! drives it over HTTP. One binary links the server once, not once per file.
//! `log_hygiene` and `login_flood` stay binaries of their own: one installs a
//! process-wide log subscriber, the other needs the cores to itself.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod durability;
mod forged;
mod hardening;
mod keys;
mod live;
mod login;
mod login_form;
mod multi_instance;
mod ops;
mod refresh;
mod revocation;
mod sessions_audit;
mod setlist_input;
mod setlist_versions;
mod setlists;
mod sets;
mod songs;
mod spend;
