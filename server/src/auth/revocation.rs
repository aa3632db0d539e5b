//! Revoking access tokens that are already out there.
//!
//! A JWT is valid until it expires. Two lists strike passes off before that:
//! - **members**: each user has a cut-off time (`users.tokens_valid_after_ms`,
//!   set by a member revoke, a disable, a role change or a password reset):
//!   their tokens issued at or before it are refused. The comparison is to the
//!   millisecond (`Verified::issued_at_ms`), so that a member who logs in again
//!   right after a revoke, within the same second, gets a token that works.
//! - **sessions**: a session (refresh family) that was revoked — logout,
//!   ending it on the sessions page, reuse detection — refuses every access
//!   token that carries its id (`sid`). A family that merely expires needs no
//!   entry: its tokens never outlive it (`tokens::NewToken::session_expires_at`).
//!
//! Checking the database on every request would undo the point of stateless
//! tokens, so every instance keeps the entries that can still matter (younger
//! than the access-token lifetime) in a small in-memory map, read without a
//! database round trip.
//!
//! Keeping instances in step: the instance that revokes writes the database
//! first (announcing the revoke in the same transaction), then its own map.
//! Every other instance applies the announcement when it arrives, and
//! re-reads the recent entries now and then (`crate::sync`), merging them in
//! and keeping the later of two cut-offs: a revoke this instance recorded a
//! moment ago is never undone by a read that began before it committed.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use super::tokens::Verified;
use crate::db::{self, DbResult, Pool};

#[derive(Default)]
pub struct Revocations {
    lists: RwLock<Arc<Lists>>,
}

/// Both maps hold unix milliseconds: a member's cut-off, a session's revoke.
#[derive(Clone, Default)]
struct Lists {
    members: HashMap<String, i64>,
    sessions: HashMap<String, i64>,
}

impl Revocations {
    /// True when the token's member was cut off after it was issued, or its
    /// session has ended.
    pub fn is_revoked(&self, token: &Verified) -> bool {
        let lists = self.lists.read().expect("revocation lock poisoned");
        let member_cut_off = !lists.members.is_empty()
            && lists
                .members
                .get(&token.user_id)
                .is_some_and(|&cutoff_ms| token.issued_at_ms <= cutoff_ms);
        // Most of the time nothing is revoked: an empty map costs no hashing.
        member_cut_off
            || (!lists.sessions.is_empty() && lists.sessions.contains_key(&token.session_id))
    }

    /// Applies a member cut-off made by this instance at once.
    pub fn record_member(&self, user_id: &str, cutoff_ms: i64) {
        self.update(|lists| merge(&mut lists.members, user_id.to_string(), cutoff_ms));
    }

    /// Applies session revokes made by this instance at once.
    pub fn record_sessions<'a>(&self, session_ids: impl IntoIterator<Item = &'a str>, at_ms: i64) {
        self.update(|lists| {
            for id in session_ids {
                merge(&mut lists.sessions, id.to_string(), at_ms);
            }
        });
    }

    /// Merges the database's entries younger than `since_ms` into the maps
    /// and forgets the older ones (their tokens have expired).
    pub async fn sync(&self, pool: &Pool, since_ms: i64) -> DbResult<()> {
        let members = db::users::cutoffs_after(pool, since_ms).await?;
        let sessions = db::refresh::revoked_after(pool, since_ms.div_euclid(1000)).await?;
        self.update(|lists| {
            lists.members.retain(|_, &mut at| at > since_ms);
            lists.sessions.retain(|_, &mut at| at > since_ms);
            for (user_id, cutoff_ms) in members {
                merge(&mut lists.members, user_id, cutoff_ms);
            }
            for (session_id, revoked_at) in sessions {
                // Whole seconds in the database; the entry only has to outlive its tokens.
                merge(&mut lists.sessions, session_id, revoked_at * 1000 + 999);
            }
        });
        Ok(())
    }

    /// Readers keep the old snapshot while a writer builds the new one.
    fn update(&self, change: impl FnOnce(&mut Lists)) {
        let mut lists = self.lists.write().expect("revocation lock poisoned");
        change(Arc::make_mut(&mut lists));
    }
}

/// Keeps the later of two times: a stale read never undoes a fresh revoke.
fn merge(map: &mut HashMap<String, i64>, key: String, at_ms: i64) {
    let entry = map.entry(key).or_insert(at_ms);
    *entry = (*entry).max(at_ms);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(user_id: &str, session_id: &str, issued_at_ms: i64) -> Verified {
        Verified {
            user_id: user_id.into(),
            username: String::new(),
            name: String::new(),
            role: app::api::Role::Drummer,
            session_id: session_id.into(),
            issued_at_ms,
            expires_at: 0,
        }
    }

    #[test]
    fn a_cut_off_refuses_tokens_issued_up_to_its_millisecond() {
        let revocations = Revocations::default();
        revocations.record_member("u", 1_000);

        assert!(revocations.is_revoked(&token("u", "s", 1_000)));
        assert!(!revocations.is_revoked(&token("u", "s", 1_001)));
        assert!(!revocations.is_revoked(&token("other", "s", 10)));
    }

    #[test]
    fn an_ended_session_refuses_all_of_its_tokens_and_only_those() {
        let revocations = Revocations::default();
        revocations.record_sessions(["s1"], 1_000);

        assert!(revocations.is_revoked(&token("u", "s1", 5_000)));
        assert!(!revocations.is_revoked(&token("u", "s2", 5_000)));
    }

    #[test]
    fn merging_keeps_the_later_cut_off() {
        let revocations = Revocations::default();
        revocations.record_member("u", 2_000);
        // What a sync read from before the revoke committed would bring.
        revocations.update(|lists| merge(&mut lists.members, "u".into(), 1_000));

        assert!(revocations.is_revoked(&token("u", "s", 1_500)));
    }
}
