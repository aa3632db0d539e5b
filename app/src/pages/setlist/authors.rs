//! Who made the changes a page is about to show. A page re-reads its setlist
//! when it hears of a change, and the version it reads may hold the next
//! change too (two drummers a moment apart, or this member's own save): the
//! difference is theirs together, not the first one's alone.

use leptos::prelude::*;

use crate::live::Author;

/// The authors of the changes heard of and not shown yet, by version.
#[derive(Clone, Copy)]
pub(super) struct Authors(StoredValue<Vec<(i64, Author)>>);

impl Authors {
    pub(super) fn new() -> Authors {
        Authors(StoredValue::new(Vec::new()))
    }

    /// A change to `version` made by `by` was heard of.
    pub(super) fn heard(&self, version: i64, by: &Author) {
        self.0
            .update_value(|heard| heard.push((version, by.clone())));
    }

    /// Who made the changes after version `from` up to `to`, each once, with
    /// the page's own member last ("Mia and you", as people say it);
    /// `fallback` alone when none was heard of (a re-read after missed
    /// events). Forgets those changes.
    pub(super) fn between(&self, from: i64, to: i64, fallback: Author) -> Vec<Author> {
        let mut authors: Vec<Author> = Vec::new();
        self.0.update_value(|heard| {
            for (version, author) in heard.iter() {
                if *version > from && *version <= to && !authors.contains(author) {
                    authors.push(author.clone());
                }
            }
            heard.retain(|(version, _)| *version > to);
        });
        if let Some(at) = authors.iter().position(|author| *author == Author::You) {
            let you = authors.remove(at);
            authors.push(you);
        }
        if authors.is_empty() {
            authors.push(fallback);
        }
        authors
    }

    /// The author of every change after `from` up to `to`, when each was
    /// heard of and all are theirs: a change not heard of (its event still
    /// on its way, or missed) may be anyone's.
    pub(super) fn sole(&self, from: i64, to: i64) -> Option<Author> {
        self.0.with_value(|heard| {
            let mut versions = Vec::new();
            let mut sole: Option<&Author> = None;
            for (version, author) in heard.iter().filter(|(v, _)| *v > from && *v <= to) {
                if sole.is_some_and(|sole| sole != author) {
                    return None;
                }
                sole = Some(author);
                versions.push(*version);
            }
            versions.sort_unstable();
            versions.dedup();
            (versions.len() as i64 == to - from).then(|| sole.cloned())?
        })
    }
}

/// `authors` as the start of a sentence: "Someone", "You", "Mia, Dan and you".
pub(super) fn joint_subject(authors: &[Author]) -> String {
    let names: Vec<&str> = authors
        .iter()
        .enumerate()
        .map(|(at, author)| match author {
            Author::You if at > 0 => "you",
            Author::Unknown if at > 0 => "someone",
            author => author.subject("Someone"),
        })
        .collect();
    match names.as_slice() {
        [] => "Someone".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str) -> Author {
        Author::Member {
            id: format!("u-{name}"),
            name: name.to_owned(),
        }
    }

    #[test]
    fn changes_read_together_name_everyone_who_made_them() {
        let owner = Owner::new();
        owner.with(|| {
            let authors = Authors::new();
            let said = |from, to, fallback| joint_subject(&authors.between(from, to, fallback));
            authors.heard(5, &member("Dan the drummer"));
            authors.heard(6, &member("Mia the manager"));
            authors.heard(7, &Author::You);
            assert_eq!(said(4, 5, Author::Unknown), "Dan the drummer");
            assert_eq!(said(5, 7, Author::Unknown), "Mia the manager and you");
            authors.heard(8, &Author::You);
            authors.heard(9, &member("Max the manager"));
            assert_eq!(said(7, 9, Author::Unknown), "Max the manager and you");
            assert_eq!(said(9, 10, Author::Unknown), "Someone", "none heard");
            authors.heard(11, &member("Dan the drummer"));
            authors.heard(12, &member("Dan the drummer"));
            assert_eq!(
                said(10, 12, Author::Unknown),
                "Dan the drummer",
                "once each"
            );
            authors.heard(13, &Author::You);
            assert_eq!(said(12, 13, Author::Unknown), "You");
        });
    }

    #[test]
    fn one_author_is_named_only_when_every_change_was_theirs_and_heard() {
        let owner = Owner::new();
        owner.with(|| {
            let authors = Authors::new();
            authors.heard(2, &member("Max"));
            authors.heard(3, &member("Max"));
            assert_eq!(authors.sole(1, 3), Some(member("Max")));
            assert_eq!(authors.sole(1, 4), None, "version 4 not heard of yet");
            authors.heard(4, &Author::You);
            assert_eq!(authors.sole(1, 4), None, "two authors");
            assert_eq!(authors.sole(3, 4), Some(Author::You));
        });
    }

    #[test]
    fn members_who_share_a_name_are_two_authors() {
        let owner = Owner::new();
        owner.with(|| {
            let authors = Authors::new();
            let dan = |id: &str| Author::Member {
                id: id.to_owned(),
                name: "Dan".to_owned(),
            };
            authors.heard(2, &dan("u-1"));
            authors.heard(3, &dan("u-2"));
            assert_eq!(
                joint_subject(&authors.between(1, 3, Author::Unknown)),
                "Dan and Dan"
            );
        });
    }
}
