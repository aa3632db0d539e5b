//! `GET /api/me`'s answer: the member as stored, not as their token says.
//!
//! A token's `name` was true when it was issued; a manager may have renamed
//! the member since, or changed what they play (which no token carries). A
//! new role or a disable cuts the token off instead (`auth::revocation`), so
//! those never reach here stale.
//!
//! Each member's answer is kept for a second, as the JSON it is sent as, so that a client asking again and
//! again costs no database round trip. A change made through this instance
//! forgets it at once; another instance's change shows within the second,
//! as revocations do. While the database is away the last row read, or else
//! the token's claims, answers.

use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};

use app::api::User;
use axum::body::Bytes;

use crate::{
    auth::tokens::Verified,
    db::{self, Pool, to_json},
    http::auth::public_user,
};

/// How long a row read answers without asking the database again.
const FRESH_FOR: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Profiles {
    kept: RwLock<HashMap<String, (Instant, Bytes)>>,
}

impl Profiles {
    /// The caller as stored, as JSON (the token's claims if the database is
    /// away and nothing was read before).
    pub async fn of(&self, pool: &Pool, caller: &Verified) -> Bytes {
        if let Some(json) = self.kept(&caller.user_id, |read_at| read_at.elapsed() < FRESH_FOR) {
            return json;
        }
        let read_at = Instant::now();
        let row = db::users::find_by_id(pool, &caller.user_id).await;
        let stored = row.ok().flatten().and_then(|row| public_user(&row).ok());
        let stored = stored.map(|user| to_json(&user));
        // The database is away: the last row read answers, and keeps
        // answering for a second without another wait for the pool.
        let Some(json) = stored.or_else(|| self.kept(&caller.user_id, |_| true)) else {
            return to_json(&from_claims(caller));
        };
        let mut kept = self.kept.write().expect("profiles lock poisoned");
        kept.insert(caller.user_id.clone(), (read_at, json.clone()));
        json
    }

    /// Forgets a member's row: it just changed.
    pub fn forget(&self, user_id: &str) {
        self.kept
            .write()
            .expect("profiles lock poisoned")
            .remove(user_id);
    }

    fn kept(&self, user_id: &str, usable: impl Fn(Instant) -> bool) -> Option<Bytes> {
        let kept = self.kept.read().expect("profiles lock poisoned");
        kept.get(user_id)
            .filter(|(read_at, _)| usable(*read_at))
            .map(|(_, json)| json.clone())
    }
}

/// What the token says: it carries no instrument, and was true when issued.
fn from_claims(caller: &Verified) -> User {
    User {
        id: caller.user_id.clone(),
        username: caller.username.clone(),
        display_name: caller.name.clone(),
        role: caller.role,
        disabled: false,
        instrument: String::new(),
    }
}
