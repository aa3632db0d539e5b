//! What the editor keeps of its unsaved work (`crate::kept`): the version
//! edited, the fields and the sets as typed. It comes back merged with
//! whatever changed meanwhile.

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
    /// The sets of `base`, the same way: whether the sets were changed here
    /// (none in a draft kept before they were).
    #[serde(default)]
    pub(super) base_sets: Vec<(SetHead, usize)>,
    /// A new setlist's `create_key` (none for a saved one, or kept before).
    #[serde(default)]
    pub(super) create_key: Option<String>,
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
            base_sets: vec![(SetHead::named("Set 1"), 0)],
            create_key: None,
        };
        let mut old = serde_json::to_value(&draft).unwrap();
        old.as_object_mut().unwrap().remove("sets");
        old.as_object_mut().unwrap().remove("base_sets");
        let read: KeptDraft = serde_json::from_value(old).unwrap();
        assert_eq!(read.mine.name, "Friday");
        assert!(read.sets.is_empty(), "no sets: the editor keeps its own");
    }
}
