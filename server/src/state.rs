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
    clock::now_ms,
    config::Config,
    db::{
        Pool,
        changes::{Author, Change},
        patch_batch::SongPatcher,
        spender::Spender,
    },
    lifecycle::Drain,
    live::Live,
    metrics::{Metrics, Revoked},
    profiles::Profiles,
    read_cache::ReadCache,
};

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub db: Pool,
    /// Stores the refresh of a live token (`db::spend`): in groups on SQLite.
    pub refresh_spender: Spender,
    /// Stores the drummer's song patches: in groups on SQLite.
    pub song_patcher: SongPatcher,
    pub keys: KeyStore,
    pub verification: Verification,
    /// Derives refresh-token successors (`auth::refresh::successor_of`).
    pub successor_secret: zeroize::Zeroizing<SuccessorSecret>,
    pub revocations: Revocations,
    pub throttle: LoginThrottle,
    /// The setlist reads, answered from memory while nothing changed.
    pub reads: ReadCache,
    /// `GET /api/me`: each member as stored, kept a second.
    pub profiles: Profiles,
    /// Bounds concurrent login hashes to one per core; more queue briefly,
    /// then are shed (503).
    pub hashing: Semaphore,
    pub metrics: Metrics,
    /// Set by SIGTERM: new requests are refused while the others finish.
    pub drain: Arc<Drain>,
    /// The live event streams open here (`GET /api/events`).
    pub live: Arc<Live>,
    /// PostgreSQL: every change reaches this instance through `LISTEN`.
    pub changes_pushed_by_database: bool,
    pub leptos: LeptosOptions,
}

impl AppState {
    pub fn new(inner: Inner) -> AppState {
        AppState(Arc::new(inner))
    }
}

impl Inner {
    /// Refuses the sessions' access tokens on this instance at once, and
    /// takes their pages off the presence board; the others hear of it
    /// through `crate::sync`.
    pub fn sessions_ended<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let ids: Vec<&str> = ids.into_iter().collect();
        self.revocations
            .record_sessions(ids.iter().copied(), now_ms());
        self.live.tell_gone(self.live.presence.sessions_ended(&ids));
        self.metrics.revoked(Revoked::Session, ids.len());
    }

    /// A setlist write made through this instance: its cached reads are
    /// forgotten before the answer goes out. The live streams hear of it
    /// here on SQLite; on PostgreSQL through the listener, like every
    /// instance (`crate::sync`), so that events go out in commit order.
    pub fn setlist_changed(&self, change: &Change) {
        self.reads.invalidate();
        if !self.changes_pushed_by_database {
            self.live.publish(change);
        }
    }

    /// A library or members write made through this instance (`event`:
    /// `live::LIBRARY_CHANGED` or `live::MEMBERS_CHANGED`): the live streams
    /// hear of it here on SQLite, on PostgreSQL through the listener (the
    /// write's transaction announced it: `db::library`, `db::users`).
    pub fn written(&self, event: &'static str, by: &Author) {
        if !self.changes_pushed_by_database {
            self.live.tell_written(event, by);
        }
    }

    /// Refuses the member's tokens issued up to `cutoff_ms` on this instance at once.
    pub fn member_cut_off(&self, user_id: &str, cutoff_ms: i64) {
        self.revocations.record_member(user_id, cutoff_ms);
        self.metrics.revoked(Revoked::Member, 1);
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
