//! The one write of a refresh: spend a live token and add its successor.
//!
//! `auth::refresh::rotate` is the security rule; this is where its common
//! case, a live token, is stored, behind a small seam with two
//! implementations chosen at start-up (`db::spender::Spender`):
//!
//! - `OneByOne`: one transaction per refresh, with the portable queries of
//!   `db::refresh`. PostgreSQL uses it; read this one first.
//! - `refresh_batch::RefreshBatcher`: SQLite's (a `db::group_commit`). It exists because on SQLite a
//!   refresh's fixed costs (a hand-over to the connection's thread per query,
//!   a commit per transaction) outweighed its statements; refreshes that
//!   arrive together share one transaction. `scripts/bench.sh refresh` shows
//!   the difference; the figures are in README, Performance.
//!
//! Both answer the same way, and `tests/api/spend.rs` runs the same
//! scenarios against each.

use std::future::Future;

use super::{
    DbResult, Pool,
    audit::{AuditKind, Event, Origin},
    refresh::{self, SpendOutcome},
};

/// One refresh, as the store needs it: storage keys, never tokens.
pub struct RotationRequest {
    pub old_hash: String,
    pub new_hash: String,
    pub now: i64,
    /// Where the refresh came from, for the audit trail.
    pub origin: Origin,
}

pub trait SpendLive {
    /// If `old_hash` is live (unspent, its family neither revoked nor
    /// expired, its member enabled): spends it, adds `new_hash` to its family,
    /// touches the family and records the refresh, all committed before this
    /// returns (`SpendOutcome::Done`). Otherwise changes nothing and returns the
    /// token as it stands now (`SpendOutcome::NotLive`).
    fn spend_if_live(
        &self,
        request: RotationRequest,
    ) -> impl Future<Output = DbResult<SpendOutcome>> + Send;
}

/// One transaction per refresh.
pub struct OneByOne {
    pool: Pool,
}

impl OneByOne {
    pub fn new(pool: Pool) -> OneByOne {
        OneByOne { pool }
    }
}

impl SpendLive for OneByOne {
    async fn spend_if_live(&self, request: RotationRequest) -> DbResult<SpendOutcome> {
        // One transaction from the first read: the member read with the
        // token is the one the access token is built from, and on PostgreSQL
        // it stays locked until the successor is committed
        // (`refresh::find_token_to_spend`). Dropped uncommitted, it rolls back.
        let mut tx = self.pool.begin().await?;
        let Some(found) = refresh::find_token_to_spend(&mut tx, &request.old_hash).await? else {
            return Ok(SpendOutcome::NotLive(None));
        };
        if !found.is_live(request.now) || found.spent_at.is_some() {
            return Ok(SpendOutcome::NotLive(Some(found)));
        }
        let user_id = found.user.id.as_str();
        let origin = request.origin.by(user_id);
        let refreshed = Event::session(AuditKind::Refreshed, &origin, user_id, &found.family_id);
        let family_id = found.family_id.clone();
        let (old, new) = (&request.old_hash, &request.new_hash);
        if refresh::rotate(&mut tx, &family_id, old, new, request.now, &refreshed).await? {
            tx.commit().await?;
            return Ok(SpendOutcome::Done(found));
        }
        // Spent a moment ago by a concurrent refresh, or its family just
        // died: answer with the token as it is now.
        let again = refresh::find_token_to_spend(&mut tx, &request.old_hash).await?;
        Ok(SpendOutcome::NotLive(again))
    }
}
