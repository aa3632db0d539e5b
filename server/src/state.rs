//! What every handler can reach. Cloning is one reference-count increment.

use std::{ops::Deref, sync::Arc};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio::sync::Semaphore;

use crate::{
    auth::{
        keys::KeyStore, refresh::SuccessorSecret, revocation::Revocations, throttle::LoginThrottle,
        tokens::Verification,
    },
    config::Config,
    db::{Pool, group_commit::RefreshBatcher},
    read_cache::ReadCache,
};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub db: Pool,
    /// SQLite only: refreshes of live tokens, committed in groups.
    pub refresh_batcher: Option<RefreshBatcher>,
    pub keys: KeyStore,
    pub verification: Verification,
    /// Derives refresh-token successors (`auth::refresh::successor_of`).
    pub successor_secret: zeroize::Zeroizing<SuccessorSecret>,
    pub revocations: Revocations,
    pub throttle: LoginThrottle,
    /// The setlist reads, answered from memory while nothing changed.
    pub reads: ReadCache,
    /// Bounds concurrent argon2 work: a login flood cannot take every core.
    pub hashing: Semaphore,
    pub leptos: LeptosOptions,
}

impl AppState {
    pub fn new(inner: Inner) -> AppState {
        AppState(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos.clone()
    }
}
