//! Keeping this instance's in-memory copies — the revocation lists, the
//! signing keys, the read cache — in step with the database, which other
//! instances (and the `server rotate-keys` command) change too.
//!
//! Two channels, one for speed and one for certainty:
//! - **Push** (PostgreSQL): every change is announced with `NOTIFY` by the
//!   transaction that makes it (`db::changes`); a dedicated connection
//!   `LISTEN`s and applies each one within milliseconds.
//! - **Poll**, the safety net: the lists, the keys and the setlists' change
//!   counter are re-read every few seconds anyway. Notifications sent while
//!   the listener was disconnected are lost, so every (re)connection starts
//!   with a full re-read as well.
//!
//! On SQLite there is no push: the one instance applies its own changes as
//! it makes them, and polls often (the reads are local and cheap) so that
//! another process on the same file is noticed quickly.

use std::time::{Duration, Instant};

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use crate::{
    clock::{now, now_ms},
    db::{
        self, DbResult,
        changes::{CHANNEL, Change},
    },
    live::{LIBRARY_CHANGED, MEMBERS_CHANGED},
    state::AppState,
};

/// The longest an instance goes without re-reading the keys (PostgreSQL's
/// safety net); a new key is published longer than this before it signs.
pub const LONGEST_KEY_POLL: Duration = Duration::from_secs(5);

/// How often to re-read when nobody said anything changed.
struct Polls {
    lists: Duration,
    keys: Duration,
}

const POSTGRES_POLLS: Polls = Polls {
    lists: Duration::from_secs(5),
    keys: LONGEST_KEY_POLL,
};
const SQLITE_POLLS: Polls = Polls {
    lists: Duration::from_millis(250),
    keys: Duration::from_secs(1),
};

/// How long the listener waits before reconnecting to a database that is away.
const RECONNECT_AFTER: Duration = Duration::from_millis(500);

/// How often pages that stopped saying they are open are let go.
const PRESENCE_LAPSES_EVERY: Duration = Duration::from_secs(5);

/// How often audit events and throttle entries past their time are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Starts the background tasks; they run for the life of the server.
pub fn spawn(state: &AppState) {
    let postgres = !state.config.database_url.starts_with("sqlite:");
    let polls = if postgres {
        POSTGRES_POLLS
    } else {
        SQLITE_POLLS
    };
    if postgres {
        tokio::spawn(listen(state.clone()));
    }
    let lists = state.clone();
    every(polls.lists, move || {
        let state = lists.clone();
        async move { poll_lists(&state).await }
    });
    let keys = state.clone();
    every(polls.keys, move || {
        let state = keys.clone();
        async move {
            if let Err(e) = state.keys.sync(&state.db).await {
                tracing::warn!(error = %e, "signing key sync failed");
            }
        }
    });
    let presence = state.clone();
    every(PRESENCE_LAPSES_EVERY, move || {
        let state = presence.clone();
        async move { state.live.tell_gone(state.live.presence.lapse(now_ms())) }
    });
    let prune = state.clone();
    every(PRUNE_EVERY, move || {
        let state = prune.clone();
        async move { prune_expired(&state).await }
    });
}

fn every<F, Fut>(period: Duration, mut task: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            task().await;
        }
    });
}

/// Re-reads the revocation lists and the setlists' change counter. The time
/// it waits for a connection is the pool-wait metric: a sample of what a
/// request would wait at that moment.
async fn poll_lists(state: &AppState) {
    let started = Instant::now();
    match state.db.acquire().await {
        Ok(connection) => drop(connection),
        Err(e) => {
            tracing::warn!(error = %e, "database unreachable; serving what memory can");
            return;
        }
    }
    state.metrics.observe_pool_wait(started.elapsed());
    if let Err(e) = sync_revocations(state).await {
        tracing::warn!(error = %e, "revocation sync failed");
    }
    if let Err(e) = state.reads.follow_counter(&state.db).await {
        tracing::warn!(error = %e, "change counter poll failed");
    }
}

/// Merges the revocations that can still refuse a live token.
pub async fn sync_revocations(state: &AppState) -> DbResult<()> {
    let oldest_live_ms = now_ms() - state.config.access_ttl.as_millis() as i64 - 60_000;
    state.revocations.sync(&state.db, oldest_live_ms).await
}

/// Re-reads everything that may have changed unannounced.
async fn resync(state: &AppState) {
    state.reads.invalidate();
    if let Err(e) = sync_revocations(state).await {
        tracing::warn!(error = %e, "revocation resync failed");
    }
    if let Err(e) = state.keys.sync(&state.db).await {
        tracing::warn!(error = %e, "signing key resync failed");
    }
}

/// Applies one announced change. Changes this instance made itself arrive
/// too; applying them again is harmless (the lists keep the later time).
async fn apply(state: &AppState, change: Change) {
    match change {
        Change::MemberCutOff { user_id, at_ms } => {
            state.revocations.record_member(&user_id, at_ms);
        }
        Change::SessionsEnded { ids, at_ms } => {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            state
                .revocations
                .record_sessions(ids.iter().copied(), at_ms);
            state
                .live
                .tell_gone(state.live.presence.sessions_ended(&ids));
        }
        Change::KeysChanged => {
            if let Err(e) = state.keys.sync(&state.db).await {
                tracing::warn!(error = %e, "signing key sync failed");
            }
        }
        Change::Setlist { .. } => {
            state.reads.invalidate();
            state.live.publish(&change);
        }
        Change::Presence {
            presence,
            page,
            session_id,
            at_ms,
        } => state
            .live
            .tell_presence(&presence, &page, &session_id, at_ms),
        Change::Library { by } => state.live.tell_written(LIBRARY_CHANGED, &by),
        Change::Members { by } => state.live.tell_written(MEMBERS_CHANGED, &by),
        Change::Resync => resync(state).await,
    }
}

/// Listens for announcements for the life of the server, reconnecting after
/// the database comes back (and re-reading everything when it does).
async fn listen(state: AppState) {
    // sqlx's own `PgListener::connect` retries a refused connection for 30 s
    // before it says so; meanwhile the database may be back, and every
    // announcement made then lost. Each try here gives up after
    // `RECONNECT_AFTER`, so the listener is back within about a second.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(RECONNECT_AFTER)
        .connect_lazy(&state.config.database_url);
    let pool = match pool {
        Ok(pool) => pool,
        Err(e) => return tracing::error!(error = %e, "change listener cannot start"),
    };
    // An outage fails every try: said once, not twice a second.
    let mut failing = false;
    loop {
        match connect_listener(&pool).await {
            Ok(listener) => {
                failing = false;
                match listen_on(&state, listener).await {
                    Ok(()) => tracing::warn!("change listener disconnected; reconnecting"),
                    Err(e) => tracing::warn!(error = %e, "change listener failed; reconnecting"),
                }
            }
            Err(e) if !failing => {
                tracing::warn!(error = %e, "change listener cannot connect; retrying");
                failing = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

async fn connect_listener(pool: &PgPool) -> DbResult<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// One connection's worth of listening; returns when it is lost.
async fn listen_on(state: &AppState, mut listener: PgListener) -> DbResult<()> {
    tracing::info!("change listener connected");
    // What was announced while nobody listened is lost: catch up first, and
    // have the pages that follow the band here read what they show again.
    resync(state).await;
    state.live.announcements_lost();
    // `try_recv` says `None` when the connection drops (where `recv` would
    // reconnect quietly and hide the gap).
    while let Some(notification) = listener.try_recv().await? {
        apply(state, Change::parse(notification.payload())).await;
    }
    Ok(())
}

async fn prune_expired(state: &AppState) {
    let cutoff = now() - state.config.audit_retention.as_secs() as i64;
    match db::audit::prune(&state.db, cutoff).await {
        Ok(0) => {}
        Ok(pruned) => tracing::info!(pruned, "pruned audit events past retention"),
        Err(e) => tracing::warn!(error = %e, "audit pruning failed"),
    }
    let window = crate::auth::throttle::WINDOW_SECS;
    if let Err(e) = db::throttle::prune(&state.db, window, now()).await {
        tracing::warn!(error = %e, "throttle pruning failed");
    }
}
