//! Who has a setlist page open: "Dee is viewing", "Max is editing".
//!
//! Presence is told, never stored: a page says `POST /api/presence`
//! (`crate::http::presence`) when it
//! opens, every `HEARTBEAT` while it stays open, when its activity changes
//! (unsaved edits make "viewing" "editing") and when it closes. Every instance
//! keeps the board in memory — on PostgreSQL the news travels through the same
//! NOTIFY channel as the changes (`db::changes`) — and tells its open streams
//! with a `presence` event. A page that stops saying so (a closed laptop sends
//! no goodbye) lapses after `LAPSES_AFTER_MS`, and its viewers hear `left`.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use app::api::{Activity, Presence};

/// How often an open page says it is still there (the browser's timer).
pub const HEARTBEAT: Duration = Duration::from_secs(25);
/// A page not heard of for this long has left.
const LAPSES_AFTER_MS: i64 = 60_000;
/// Pages one member can be on at once; a ninth replaces the oldest, so a
/// member cannot grow the board without bound (memory exhaustion).
const PAGES_PER_MEMBER: usize = 8;

#[derive(Default)]
pub struct Board {
    /// By member: the pages they are on, each with when it was last heard of.
    members: Mutex<HashMap<String, Vec<(Presence, i64)>>>,
}

impl Board {
    /// Records what a member said; true when it is news for the others (a
    /// new page, another activity, a goodbye) rather than a heartbeat.
    pub fn record(&self, presence: &Presence, at_ms: i64) -> bool {
        let mut members = self.members.lock().expect("presence lock poisoned");
        let pages = members.entry(presence.user_id.clone()).or_default();
        let known = pages
            .iter()
            .position(|(p, _)| p.setlist_id == presence.setlist_id);
        let news = match (known, presence.activity) {
            (Some(i), Activity::Left) => {
                pages.remove(i);
                true
            }
            (None, Activity::Left) => false,
            (Some(i), activity) => {
                let (page, heard) = &mut pages[i];
                *heard = at_ms.max(*heard);
                std::mem::replace(&mut page.activity, activity) != activity
            }
            (None, _) => {
                if pages.len() == PAGES_PER_MEMBER {
                    pages.remove(0);
                }
                pages.push((presence.clone(), at_ms));
                true
            }
        };
        if pages.is_empty() {
            members.remove(&presence.user_id);
        }
        news
    }

    /// Who is on a setlist page now.
    pub fn on(&self, setlist_id: &str) -> Vec<Presence> {
        let members = self.members.lock().expect("presence lock poisoned");
        members
            .values()
            .flatten()
            .filter(|(p, _)| p.setlist_id == setlist_id)
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Removes the pages not heard of since `LAPSES_AFTER_MS`, as goodbyes.
    pub fn lapse(&self, now_ms: i64) -> Vec<Presence> {
        let mut members = self.members.lock().expect("presence lock poisoned");
        let mut gone = Vec::new();
        members.retain(|_, pages| {
            pages.retain(|(page, heard)| {
                let live = now_ms - heard < LAPSES_AFTER_MS;
                if !live {
                    gone.push(Presence {
                        activity: Activity::Left,
                        ..page.clone()
                    });
                }
                live
            });
            !pages.is_empty()
        });
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dee(setlist_id: &str, activity: Activity) -> Presence {
        Presence {
            setlist_id: setlist_id.into(),
            user_id: "u-dee".into(),
            name: "Dee".into(),
            activity,
        }
    }

    #[test]
    fn only_news_is_told_and_silent_pages_lapse() {
        let board = Board::default();
        assert!(board.record(&dee("s1", Activity::Viewing), 0));
        assert!(
            !board.record(&dee("s1", Activity::Viewing), 25_000),
            "a heartbeat"
        );
        assert!(board.record(&dee("s1", Activity::Editing), 30_000));
        assert_eq!(board.on("s1"), vec![dee("s1", Activity::Editing)]);
        assert!(board.lapse(89_999).is_empty(), "heard of at 30 s");
        assert_eq!(board.lapse(90_000), vec![dee("s1", Activity::Left)]);
        assert!(board.on("s1").is_empty());
        assert!(
            !board.record(&dee("s1", Activity::Left), 0),
            "nothing to leave"
        );
    }

    #[test]
    fn a_member_holds_a_bounded_number_of_pages() {
        let board = Board::default();
        for page in 0..20 {
            board.record(&dee(&format!("s{page}"), Activity::Viewing), page);
        }
        let members = board.members.lock().unwrap();
        assert_eq!(members["u-dee"].len(), PAGES_PER_MEMBER);
        assert_eq!(
            members["u-dee"][0].0.setlist_id, "s12",
            "the oldest went first"
        );
    }
}
