//! Unsaved work kept in this browser, so that a session that ends mid-edit
//! (a revoke, an expiry, a sign-out elsewhere) or a reload does not lose it:
//! it comes back the next time this member opens the setlist here.
//!
//! What is kept is setlist data only — never a token — under a key naming
//! the member, so that another member signing in on this browser never sees
//! it. Leaving on purpose (a link or Back answered "leave") forgets it;
//! logging out forgets all of the member's.
//!
//! Each tab keeps its own copy, under the tab's id (kept in the tab's
//! sessionStorage, which a reload keeps and another tab does not share):
//! two tabs on one setlist never write over each other's work, and each
//! gets its own back after the session ends. A closed tab's copy is set
//! aside for the next tab that opens its setlist.

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

fn work_name(work: Work) -> &'static str {
    match work {
        Work::Draft => "draft",
        Work::Tempos => "tempos",
    }
}

/// The start of the storage keys of `member`'s `work`.
fn prefix(work: Work, member: &str) -> String {
    format!("backstage.{}.{member}.", work_name(work))
}

/// The start of the storage keys of every tab's copy of `member`'s `work`
/// on `setlist` ("new" for a new one). A live tab's copy ends in the tab's
/// id, a closed tab's in `CLOSED` and the id.
fn setlist_prefix(work: Work, member: &str, setlist: &str) -> String {
    format!("{}{setlist}.", prefix(work, member))
}

#[cfg(feature = "hydrate")]
const CLOSED: &str = "closed-";

/// A copy as stored: when it was written, so that the newest wins.
#[cfg(feature = "hydrate")]
#[derive(serde::Serialize, serde::Deserialize)]
struct Stamped<T> {
    at: f64,
    work: T,
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// This tab's id, from the tab's sessionStorage (made on first use).
#[cfg(feature = "hydrate")]
fn this_tab() -> String {
    const TAB: &str = "backstage.tab";
    let tab_storage = web_sys::window().and_then(|window| window.session_storage().ok().flatten());
    match &tab_storage {
        Some(tabs) => tabs.get_item(TAB).ok().flatten().unwrap_or_else(|| {
            let id = format!("{:x}", (js_sys::Math::random() * 2f64.powi(52)) as u64);
            let _ = tabs.set_item(TAB, &id);
            id
        }),
        // No sessionStorage: one copy for all tabs, as better than none.
        None => "tab".to_owned(),
    }
}

/// Keeps `value` as this tab's copy (replacing what it kept before).
pub fn keep<T: Serialize>(work: Work, member: &str, setlist: &str, value: &T) {
    #[cfg(feature = "hydrate")]
    {
        let copy = Stamped {
            at: js_sys::Date::now(),
            work: value,
        };
        let (prefix, tab) = (setlist_prefix(work, member, setlist), this_tab());
        if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(&copy)) {
            // A full storage only means the work is not kept; the page goes on.
            let _ = storage.set_item(&format!("{prefix}{tab}"), &text);
            // What it set aside before a reload is superseded.
            let _ = storage.remove_item(&format!("{prefix}{CLOSED}{tab}"));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (setlist_prefix(work, member, setlist), value);
}

/// What this tab kept (set aside by a reload, or not); else the newest copy
/// a closed tab left, which becomes this tab's. Never a live tab's: its work
/// is on its screen, and taking it would show it here as this tab's own.
pub fn kept<T: DeserializeOwned>(work: Work, member: &str, setlist: &str) -> Option<T> {
    #[cfg(feature = "hydrate")]
    {
        let storage = storage()?;
        let (prefix, tab) = (setlist_prefix(work, member, setlist), this_tab());
        let mine = format!("{prefix}{tab}");
        let text = match storage.get_item(&mine).ok().flatten() {
            Some(text) => text,
            None => {
                let set_aside = format!("{prefix}{CLOSED}{tab}");
                let (closed, text) = match storage.get_item(&set_aside).ok().flatten() {
                    Some(text) => (set_aside, text),
                    None => newest_copy(&storage, &format!("{prefix}{CLOSED}"))?,
                };
                let _ = storage.remove_item(&closed);
                let _ = storage.set_item(&mine, &text);
                text
            }
        };
        serde_json::from_str::<Stamped<T>>(&text)
            .ok()
            .map(|copy| copy.work)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = setlist_prefix(work, member, setlist);
        None
    }
}

/// When this tab goes (closed, reloaded, or off to another site), its copies
/// become a closed tab's: the next tab to open that setlist takes one over,
/// and so does this tab after a reload. A tab that vanishes without a word
/// (a crash) leaves its copies where no tab takes them, until logout.
#[cfg(feature = "hydrate")]
pub fn set_aside_when_closed() {
    let _ = leptos::prelude::window_event_listener(leptos::ev::pagehide, |_| {
        let (Some(storage), tab) = (storage(), this_tab()) else {
            return;
        };
        let works =
            [Work::Draft, Work::Tempos].map(|work| format!("backstage.{}.", work_name(work)));
        for key in keys_under(&storage, &works) {
            let Some(prefix) = key.strip_suffix(tab.as_str()).filter(|p| p.ends_with('.')) else {
                continue;
            };
            if let Some(text) = storage.get_item(&key).ok().flatten() {
                let _ = storage.set_item(&format!("{prefix}{CLOSED}{tab}"), &text);
                let _ = storage.remove_item(&key);
            }
        }
    });
}

/// The key and text of the newest copy under `prefix`.
#[cfg(feature = "hydrate")]
fn newest_copy(storage: &web_sys::Storage, prefix: &str) -> Option<(String, String)> {
    keys_under(storage, &[prefix.to_owned()])
        .into_iter()
        .filter_map(|key| {
            let text = storage.get_item(&key).ok().flatten()?;
            let at = serde_json::from_str::<Stamped<serde::de::IgnoredAny>>(&text)
                .ok()?
                .at;
            Some((at, key, text))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, key, text)| (key, text))
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

/// The keys of `member`'s kept work, on every setlist, by every tab.
#[cfg(feature = "hydrate")]
fn keys_of(storage: &web_sys::Storage, member: &str) -> Vec<String> {
    keys_under(
        storage,
        &[Work::Draft, Work::Tempos].map(|work| prefix(work, member)),
    )
}

/// The keys that start with one of `prefixes`.
#[cfg(feature = "hydrate")]
fn keys_under(storage: &web_sys::Storage, prefixes: &[String]) -> Vec<String> {
    let count = storage.length().unwrap_or(0);
    (0..count)
        .filter_map(|i| storage.key(i).ok().flatten())
        .filter(|key| {
            prefixes
                .iter()
                .any(|prefix| key.starts_with(prefix.as_str()))
        })
        .collect()
}

/// Forgets this tab's copy (another tab's work is that tab's to save).
pub fn forget(work: Work, member: &str, setlist: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let (prefix, tab) = (setlist_prefix(work, member, setlist), this_tab());
        let _ = storage.remove_item(&format!("{prefix}{tab}"));
        let _ = storage.remove_item(&format!("{prefix}{CLOSED}{tab}"));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = setlist_prefix(work, member, setlist);
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
