//! The editor's unsaved work, kept in this browser so that a session that
//! ends mid-edit (a revoke, an expiry, a sign-out elsewhere) or a reload
//! does not lose it: it comes back, merged with whatever changed meanwhile,
//! the next time this member opens the setlist here.
//!
//! What is kept is setlist data only — the version edited, the fields and
//! the sets as typed — never a token, under a key naming the member, so that another
//! member signing in on this browser never sees it. Leaving on purpose (a
//! link or Back answered "leave", or Log out) forgets it.

use serde::{Deserialize, Serialize};

use super::state::SetHead;
use crate::pages::setlist::draft::Draft;

#[derive(Serialize, Deserialize)]
pub struct KeptDraft {
    /// The setlist as saved when the editing started.
    pub base: Draft,
    /// The fields as typed.
    pub mine: Draft,
    /// The sets as typed, each with its number of songs in `mine`'s order
    /// (none in a draft kept before sets were).
    #[serde(default)]
    pub(super) sets: Vec<(SetHead, usize)>,
}

/// The storage key of `member`'s draft of `setlist` ("new" for a new one).
fn key(member: &str, setlist: &str) -> String {
    format!("backstage.draft.{member}.{setlist}")
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Keeps `draft` (replacing an earlier one).
pub fn keep(member: &str, setlist: &str, draft: &KeptDraft) {
    #[cfg(feature = "hydrate")]
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(draft)) {
        // A full storage only means the draft is not kept; the page goes on.
        let _ = storage.set_item(&key(member, setlist), &text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key(member, setlist), draft);
}

/// The kept draft, if there is one.
pub fn kept(member: &str, setlist: &str) -> Option<KeptDraft> {
    #[cfg(feature = "hydrate")]
    {
        let text = storage()?.get_item(&key(member, setlist)).ok().flatten()?;
        serde_json::from_str(&text).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key(member, setlist);
        None
    }
}

pub fn forget(member: &str, setlist: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&key(member, setlist));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = key(member, setlist);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_kept_before_sets_existed_still_reads() {
        let draft = KeptDraft {
            base: Draft::default(),
            mine: Draft {
                name: "Friday".into(),
                ..Draft::default()
            },
            sets: vec![(SetHead::named("Set 1"), 0)],
        };
        let mut old = serde_json::to_value(&draft).unwrap();
        old.as_object_mut().unwrap().remove("sets");
        let read: KeptDraft = serde_json::from_value(old).unwrap();
        assert_eq!(read.mine.name, "Friday");
        assert!(read.sets.is_empty(), "no sets: the editor keeps its own");
    }
}
