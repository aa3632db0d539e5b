//! Unsaved work kept in this browser, so that a session that ends mid-edit
//! (a revoke, an expiry, a sign-out elsewhere) or a reload does not lose it:
//! it comes back the next time this member opens the setlist here.
//!
//! What is kept is setlist data only — never a token — under a key naming
//! the member, so that another member signing in on this browser never sees
//! it. Leaving on purpose (a link or Back answered "leave") forgets it;
//! logging out forgets all of the member's.

use serde::{Serialize, de::DeserializeOwned};

use crate::session::{Session, Status};

/// Whose work, on which page.
#[derive(Clone, Copy)]
pub enum Work {
    /// The manager's editor: the setlist as typed.
    Draft,
    /// The drummer's page: tempos and notes typed and not saved.
    Tempos,
}

/// The storage key of `member`'s `work` on `setlist` ("new" for a new one).
fn key(work: Work, member: &str, setlist: &str) -> String {
    let work = match work {
        Work::Draft => "draft",
        Work::Tempos => "tempos",
    };
    format!("backstage.{work}.{member}.{setlist}")
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Keeps `value` (replacing what was kept before).
pub fn keep<T: Serialize>(work: Work, member: &str, setlist: &str, value: &T) {
    #[cfg(feature = "hydrate")]
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(value)) {
        // A full storage only means the work is not kept; the page goes on.
        let _ = storage.set_item(&key(work, member, setlist), &text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key(work, member, setlist), value);
}

/// What was kept, if anything (and it still reads).
pub fn kept<T: DeserializeOwned>(work: Work, member: &str, setlist: &str) -> Option<T> {
    #[cfg(feature = "hydrate")]
    {
        let text = storage()?
            .get_item(&key(work, member, setlist))
            .ok()
            .flatten()?;
        serde_json::from_str(&text).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key(work, member, setlist);
        None
    }
}

/// Forgets all `member`'s kept work, on every setlist: they logged out on
/// purpose, and the next person at this browser should find none of it.
pub fn forget_all_of(member: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        for key in keys_of(&storage, member) {
            let _ = storage.remove_item(&key);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = member;
}

/// Whether any of `member`'s work is kept here (by any tab).
pub fn any_of(member: &str) -> bool {
    #[cfg(feature = "hydrate")]
    return storage().is_some_and(|storage| !keys_of(&storage, member).is_empty());
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = member;
        false
    }
}

/// The keys of `member`'s kept work, on every setlist.
#[cfg(feature = "hydrate")]
fn keys_of(storage: &web_sys::Storage, member: &str) -> Vec<String> {
    let theirs = [Work::Draft, Work::Tempos].map(|work| key(work, member, ""));
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| theirs.iter().any(|prefix| key.starts_with(prefix.as_str())))
        .collect()
}

pub fn forget(work: Work, member: &str, setlist: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&key(work, member, setlist));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = key(work, member, setlist);
}

/// When the page goes: leaving on purpose (asked first) or logging out
/// forgets the work; a session that ended by itself keeps it for the next
/// login.
pub fn forget_when_left(session: Session, work: Work, member: String, setlist: String) {
    leptos::prelude::on_cleanup(move || {
        let ended = session.status_untracked() == Status::SignedOut && !session.is_leaving();
        if !ended {
            forget(work, &member, &setlist);
        }
    });
}
