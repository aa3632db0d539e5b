//! Who made the changes a page is about to show. A page re-reads its setlist
//! when it hears of a change, and the version it reads may hold the next
//! change too (two drummers a moment apart, or this member's own save): the
//! difference is theirs together, not the first one's alone.

use leptos::prelude::*;

/// The authors of the changes heard of and not shown yet, by version.
#[derive(Clone, Copy)]
pub(super) struct Authors(StoredValue<Vec<(i64, String)>>);

impl Authors {
    pub(super) fn new() -> Authors {
        Authors(StoredValue::new(Vec::new()))
    }

    /// A change to `version` made by `by` (a display name, or "you": the
    /// live stream knows this member's own changes by id) was heard of.
    pub(super) fn heard(&self, version: i64, by: &str) {
        self.0
            .update_value(|heard| heard.push((version, by.to_owned())));
    }

    /// Who made the changes after version `from` up to `to`, in words;
    /// `fallback` when none was heard of (a reload after missed events).
    /// Forgets those changes.
    pub(super) fn between(&self, from: i64, to: i64, fallback: &str) -> String {
        let mut names: Vec<String> = Vec::new();
        self.0.update_value(|heard| {
            for (version, name) in heard.iter() {
                if *version > from && *version <= to && !names.contains(name) {
                    names.push(name.clone());
                }
            }
            heard.retain(|(version, _)| *version > to);
        });
        // "Mia and you", as people say it.
        if let Some(at) = names.iter().position(|name| name == "you") {
            let you = names.remove(at);
            names.push(you);
        }
        match names.as_slice() {
            [] => fallback.to_owned(),
            [one] => one.clone(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_together_name_everyone_who_made_them() {
        let owner = Owner::new();
        owner.with(|| {
            let authors = Authors::new();
            authors.heard(5, "Dan the drummer");
            authors.heard(6, "Mia the manager");
            authors.heard(7, "you");
            assert_eq!(authors.between(4, 5, ""), "Dan the drummer");
            assert_eq!(authors.between(5, 7, ""), "Mia the manager and you");
            authors.heard(8, "you");
            authors.heard(9, "Max the manager");
            assert_eq!(authors.between(7, 9, ""), "Max the manager and you");
            assert_eq!(authors.between(9, 10, "Someone"), "Someone", "none heard");
            authors.heard(11, "Dan the drummer");
            authors.heard(12, "Dan the drummer");
            assert_eq!(authors.between(10, 12, ""), "Dan the drummer", "once each");
        });
    }
}
