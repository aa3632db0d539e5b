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
//! gets its own back after the session ends. A closed (or hidden) tab's
//! copy is set aside for the next tab that opens its setlist.

use serde::{Serialize, de::DeserializeOwned};

use crate::{
    api::Role,
    session::{Session, Status},
};

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

#[cfg(feature = "hydrate")]
fn tab_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Where a tab's id waits while the page is hidden or gone.
#[cfg(feature = "hydrate")]
const TAB: &str = "backstage.tab";

#[cfg(feature = "hydrate")]
thread_local! {
    /// This tab's id. Taken out of sessionStorage while the page is shown:
    /// "Duplicate tab" copies sessionStorage, and the copy must not be
    /// mistaken for this tab.
    static THIS_TAB: String = {
        let saved = tab_storage().and_then(|tabs| {
            let id = tabs.get_item(TAB).ok().flatten()?;
            let _ = tabs.remove_item(TAB);
            Some(id)
        });
        saved.unwrap_or_else(|| format!("{:x}", (js_sys::Math::random() * 2f64.powi(52)) as u64))
    };
    /// This tab's copies (key, text): what to set aside when it is hidden
    /// and put back when it shows again. A few at most: a Vec will do.
    static LIVE_COPIES: std::cell::RefCell<Vec<(String, String)>> = Default::default();
}

#[cfg(feature = "hydrate")]
fn this_tab() -> String {
    THIS_TAB.with(String::clone)
}

/// Keeps `value` as this tab's copy (replacing what it kept before).
pub fn keep<T: Serialize>(work: Work, member: &str, setlist: &str, value: &T) {
    #[cfg(feature = "hydrate")]
    {
        let copy = Stamped {
            at: js_sys::Date::now(),
            work: value,
        };
        if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(&copy)) {
            keep_text(&storage, &setlist_prefix(work, member, setlist), text);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (setlist_prefix(work, member, setlist), value);
}

/// Stores `text` as this tab's copy under `prefix`.
#[cfg(feature = "hydrate")]
fn keep_text(storage: &web_sys::Storage, prefix: &str, text: String) {
    let live = format!("{prefix}{}", this_tab());
    let hidden = leptos::prelude::document().hidden();
    place(storage, &live, &text, hidden);
    LIVE_COPIES.with_borrow_mut(|copies| {
        copies.retain(|(key, _)| *key != live);
        copies.push((live, text));
    });
}

/// Stores a copy of this tab's under its `live` key, or under the closed
/// tab's key when set `aside`, and takes it from the other.
#[cfg(feature = "hydrate")]
fn place(storage: &web_sys::Storage, live: &str, text: &str, aside: bool) {
    let tab = this_tab();
    let prefix = live.strip_suffix(tab.as_str()).unwrap_or_default();
    let closed = format!("{prefix}{CLOSED}{tab}");
    let (to, from) = if aside {
        (closed.as_str(), live)
    } else {
        (live, closed.as_str())
    };
    // A full storage only means the work is not kept; the page goes on.
    let _ = storage.set_item(to, text);
    let _ = storage.remove_item(from);
}

/// What this tab kept (set aside by a reload, or not); else the newest copy
/// a closed tab left, which becomes this tab's (older ones left by closed
/// tabs are superseded by it, and go). Never a live tab's: its work is on
/// its screen, and taking it would show it here as this tab's own.
pub fn kept<T: DeserializeOwned>(work: Work, member: &str, setlist: &str) -> Option<T> {
    #[cfg(feature = "hydrate")]
    {
        let storage = storage()?;
        let (prefix, tab) = (setlist_prefix(work, member, setlist), this_tab());
        let text = match storage.get_item(&format!("{prefix}{tab}")).ok().flatten() {
            Some(text) => text,
            None => {
                let set_aside = format!("{prefix}{CLOSED}{tab}");
                let text = match storage.get_item(&set_aside).ok().flatten() {
                    Some(text) => text,
                    None => newest_copy(&storage, &format!("{prefix}{CLOSED}"))?,
                };
                for closed in keys_under(&storage, &[format!("{prefix}{CLOSED}")]) {
                    let _ = storage.remove_item(&closed);
                }
                keep_text(&storage, &prefix, text.clone());
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

/// While this tab is hidden or gone (another tab in front, the phone's home
/// screen, a reload, closed), its copies are a closed tab's: the next tab to
/// open that setlist takes one over, and so does this tab after a reload.
/// Hidden, not only gone: a phone's browser is often killed in the
/// background with no word to the page. Shown again, the tab puts them back.
#[cfg(feature = "hydrate")]
pub fn set_aside_when_hidden() {
    use leptos::prelude::{document, window_event_listener, window_event_listener_untyped};
    // The id is taken out of sessionStorage now, before a "Duplicate tab" can copy it.
    let _ = this_tab();
    let _ = window_event_listener(leptos::ev::pagehide, |_| set_aside(true));
    let _ = window_event_listener(leptos::ev::pageshow, |_| set_aside(false));
    // Fired at the document, heard here as it bubbles.
    let _ = window_event_listener_untyped("visibilitychange", |_| set_aside(document().hidden()));
}

/// Moves this tab's copies to the closed tab's keys (`aside`) or back, and
/// its id into sessionStorage for a reload (or out of it).
#[cfg(feature = "hydrate")]
fn set_aside(aside: bool) {
    let tab = this_tab();
    if let Some(tabs) = tab_storage() {
        let _ = if aside {
            tabs.set_item(TAB, &tab)
        } else {
            tabs.remove_item(TAB)
        };
    }
    let Some(storage) = storage() else {
        return;
    };
    LIVE_COPIES.with_borrow(|copies| {
        for (live, text) in copies {
            place(&storage, live, text, aside);
        }
    });
}

/// The text of the newest copy under `prefix`.
#[cfg(feature = "hydrate")]
fn newest_copy(storage: &web_sys::Storage, prefix: &str) -> Option<String> {
    keys_under(storage, &[prefix.to_owned()])
        .into_iter()
        .filter_map(|key| {
            let text = storage.get_item(&key).ok().flatten()?;
            let at = serde_json::from_str::<Stamped<serde::de::IgnoredAny>>(&text)
                .ok()?
                .at;
            Some((at, text))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, text)| text)
}

/// Forgets all `member`'s kept work, on every setlist: they logged out on
/// purpose, and the next person at this browser should find none of it.
pub fn forget_all_of(member: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        for key in keys_of(&storage, member) {
            let _ = storage.remove_item(&key);
            LIVE_COPIES.with_borrow_mut(|copies| copies.retain(|(live, _)| *live != key));
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
        let mine = format!("{prefix}{tab}");
        for key in [&mine, &format!("{prefix}{CLOSED}{tab}")] {
            let _ = storage.remove_item(key);
        }
        LIVE_COPIES.with_borrow_mut(|copies| copies.retain(|(live, _)| *live != mine));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = setlist_prefix(work, member, setlist);
}

/// When the page goes: leaving on purpose (asked first) or logging out
/// forgets the work; a session that ended by itself keeps it for the next
/// login, and a role changed by a manager (the page swapped for the other
/// role's view) keeps it for when the role comes back.
pub fn forget_when_left(session: Session, work: Work, member: String, setlist: String) {
    let was_manager = leptos::prelude::untrack(|| session.is_manager());
    leptos::prelude::on_cleanup(move || {
        let ended = session.status_untracked() == Status::SignedOut && !session.is_leaving();
        // Only while someone is signed in: signing out is no change of role.
        let role_changed = leptos::prelude::untrack(|| session.user())
            .is_some_and(|user| (user.role == Role::Manager) != was_manager);
        if !ended && !role_changed {
            forget(work, &member, &setlist);
        }
    });
}
