//! Revoking access tokens that are already out there.
//!
//! A JWT is valid until it expires; to strike a member's passes off the list
//! anyway, each user has a cut-off time (`users.tokens_valid_after_ms`): tokens
//! issued at or before it are refused. The comparison is to the millisecond
//! (`Verified::issued_at_ms`), so that a member who logs in again right after
//! a revoke, within the same second, gets a token that works. Checking the database on every request
//! would undo the point of stateless tokens, so every instance keeps the
//! cut-offs that can still matter (those younger than the access-token
//! lifetime) in a small in-memory map, read without a database round trip.
//!
//! Keeping instances in step: the instance that revokes writes the database
//! first, then its own map. Every instance re-reads the live cut-offs every
//! `REVOCATION_POLL` (one indexed query), so a revoke made anywhere takes effect
//! everywhere within that bound. Since the database is the source of truth and
//! each poll replaces the map wholesale, an instance that missed an update or
//! restarted is correct again after one poll.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Duration,
};

use crate::db::{self, Pool};

/// The bound on how long a revoke made on another instance takes to arrive.
pub const REVOCATION_POLL: Duration = Duration::from_millis(250);

#[derive(Default)]
pub struct Revocations {
    cutoffs: RwLock<Arc<HashMap<String, i64>>>,
}

impl Revocations {
    /// True when the token was issued at or before its user's cut-off.
    pub fn is_revoked(&self, user_id: &str, issued_at_ms: i64) -> bool {
        let cutoffs = self.cutoffs.read().expect("revocation lock poisoned");
        cutoffs
            .get(user_id)
            .is_some_and(|&cutoff_ms| issued_at_ms <= cutoff_ms)
    }

    /// Applies a revoke made by this instance at once.
    pub fn record(&self, user_id: &str, cutoff_ms: i64) {
        let mut cutoffs = self.cutoffs.write().expect("revocation lock poisoned");
        Arc::make_mut(&mut cutoffs).insert(user_id.to_string(), cutoff_ms);
    }

    /// Replaces the map with the database's cut-offs younger than `since_ms`.
    pub async fn sync(&self, pool: &Pool, since_ms: i64) -> Result<(), sqlx::Error> {
        let fresh: HashMap<String, i64> = db::users::cutoffs_after(pool, since_ms)
            .await?
            .into_iter()
            .collect();
        *self.cutoffs.write().expect("revocation lock poisoned") = Arc::new(fresh);
        Ok(())
    }
}
