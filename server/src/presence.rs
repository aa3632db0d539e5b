//! Who has a setlist page open: "Dee is viewing", "Max is editing".
//!
//! Presence is told, never stored: a page says `POST /api/presence`
//! (`crate::http::presence`) when it
//! opens, every `PRESENCE_HEARTBEAT_MS` while it stays open, when its activity changes
//! (unsaved edits make "viewing" "editing") and when it closes. Every instance
//! keeps the board in memory — on PostgreSQL the news travels through the same
//! NOTIFY channel as the changes (`db::changes`) — and tells its open streams
//! with a `presence` event. A page that stops saying so (a closed laptop sends
//! no goodbye) lapses after `LAPSES_AFTER_MS`, and its viewers hear `left`.
//! A page whose session ends (a revoke, a disable, a logout elsewhere)
//! cannot say goodbye, its token refused: it goes with its session.

use std::{collections::HashMap, sync::Mutex};

use app::api::{Activity, PRESENCE_HEARTBEAT_MS, Presence};

/// A page not heard of for this long has left.
const LAPSES_AFTER_MS: i64 = 60_000;
// One heartbeat lost on the way must not make a page look gone.
const _: () = assert!(LAPSES_AFTER_MS > 2 * PRESENCE_HEARTBEAT_MS as i64);
/// Pages (and goodbyes remembered) one member can have at once; one more
/// replaces the oldest, so a member cannot grow the board without bound
/// (memory exhaustion).
const PAGES_PER_MEMBER: usize = 16;

/// One page a member has open, or said goodbye from.
struct Page {
    setlist_id: String,
    /// The id the page chose for itself ("" from a client that names none).
    page: String,
    /// The session (refresh family) whose token announced it.
    session_id: String,
    /// `Left` for a page that said goodbye: remembered until it lapses, so
    /// that its own hello, overtaken on the way by that goodbye, cannot
    /// bring it back for a minute.
    activity: Activity,
    heard_ms: i64,
}

#[derive(Default)]
pub struct Board {
    /// By member: their name and the pages they are on.
    members: Mutex<HashMap<String, (String, Vec<Page>)>>,
}

impl Board {
    /// Records what one page of a member said. Answers what to tell the
    /// others when it is news: the member's presence on that setlist, over
    /// all their pages (editing on one tab, viewing on another: editing;
    /// one of two tabs closed: still viewing), not a heartbeat.
    pub fn record(
        &self,
        presence: &Presence,
        page: &str,
        session_id: &str,
        at_ms: i64,
    ) -> Option<Presence> {
        let mut members = self.members.lock().expect("presence lock poisoned");
        let (name, pages) = members
            .entry(presence.user_id.clone())
            .or_insert_with(|| (presence.name.clone(), Vec::new()));
        name.clone_from(&presence.name);
        let setlist = presence.setlist_id.as_str();
        let before = activity_on(pages, setlist);
        let known = pages
            .iter_mut()
            .find(|p| p.setlist_id == setlist && p.page == page);
        match (known, presence.activity) {
            // A hello from a page that said goodbye: the goodbye overtook it.
            (Some(known), _) if known.activity == Activity::Left => {
                known.heard_ms = known.heard_ms.max(at_ms);
            }
            (Some(known), activity) => {
                known.activity = activity;
                known.heard_ms = known.heard_ms.max(at_ms);
                // Signed in again on the same page: it goes with the new session.
                session_id.clone_into(&mut known.session_id);
            }
            // A goodbye from a page that names none has nothing to remember.
            (None, Activity::Left) if page.is_empty() => {}
            (None, activity) => {
                if pages.len() == PAGES_PER_MEMBER {
                    pages.remove(0);
                }
                pages.push(Page {
                    setlist_id: setlist.to_owned(),
                    page: page.to_owned(),
                    session_id: session_id.to_owned(),
                    activity,
                    heard_ms: at_ms,
                });
            }
        }
        let after = activity_on(pages, setlist);
        // A page that names none is gone with its goodbye.
        pages.retain(|p| !(p.page.is_empty() && p.activity == Activity::Left));
        if pages.is_empty() {
            members.remove(&presence.user_id);
        }
        (before != after).then(|| Presence {
            activity: after.unwrap_or(Activity::Left),
            ..presence.clone()
        })
    }

    /// Who is on a setlist page now, one entry per member.
    pub fn on(&self, setlist_id: &str) -> Vec<Presence> {
        let members = self.members.lock().expect("presence lock poisoned");
        members
            .iter()
            .filter_map(|(user_id, (name, pages))| {
                Some(Presence {
                    setlist_id: setlist_id.to_owned(),
                    user_id: user_id.clone(),
                    name: name.clone(),
                    activity: activity_on(pages, setlist_id)?,
                })
            })
            .collect()
    }

    /// Forgets the pages not heard of since `LAPSES_AFTER_MS`; answers
    /// what that changes for the others (mostly goodbyes).
    pub fn lapse(&self, now_ms: i64) -> Vec<Presence> {
        self.forget(|_, page| now_ms - page.heard_ms >= LAPSES_AFTER_MS)
    }

    /// Forgets the pages of sessions that ended; answers the goodbyes.
    pub fn sessions_ended(&self, ids: &[&str]) -> Vec<Presence> {
        self.forget(|_, page| ids.contains(&page.session_id.as_str()))
    }

    /// Forgets every page of a member whose sessions all ended; answers the goodbyes.
    pub fn member_signed_out(&self, user_id: &str) -> Vec<Presence> {
        self.forget(|member, _| member == user_id)
    }

    /// Forgets the pages `gone` names (by member id and page); answers what
    /// that changes for the others.
    fn forget(&self, gone: impl Fn(&str, &Page) -> bool) -> Vec<Presence> {
        let mut members = self.members.lock().expect("presence lock poisoned");
        let mut told = Vec::new();
        members.retain(|user_id, (name, pages)| {
            // Each setlist a lapsed page was on, with the member's presence there before.
            let mut touched: Vec<(String, Option<Activity>)> = Vec::new();
            let is_gone = |page: &Page| gone(user_id, page);
            for page in pages.iter().filter(|page| is_gone(page)) {
                if !touched.iter().any(|(id, _)| *id == page.setlist_id) {
                    let before = activity_on(pages, &page.setlist_id);
                    touched.push((page.setlist_id.clone(), before));
                }
            }
            pages.retain(|page| !is_gone(page));
            for (setlist_id, before) in touched {
                let after = activity_on(pages, &setlist_id);
                if before != after {
                    told.push(Presence {
                        setlist_id,
                        user_id: user_id.clone(),
                        name: name.clone(),
                        activity: after.unwrap_or(Activity::Left),
                    });
                }
            }
            !pages.is_empty()
        });
        told
    }
}

/// A member's presence on a setlist over their open pages: editing on any
/// of them is editing; `None` when none is open.
fn activity_on(pages: &[Page], setlist_id: &str) -> Option<Activity> {
    pages
        .iter()
        .filter(|p| p.setlist_id == setlist_id && p.activity != Activity::Left)
        .map(|p| p.activity)
        .max_by_key(|activity| *activity == Activity::Editing)
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

    /// What the others are told: the activity, if anything.
    fn told(
        board: &Board,
        setlist_id: &str,
        page: &str,
        activity: Activity,
        at_ms: i64,
    ) -> Option<Activity> {
        board
            .record(&dee(setlist_id, activity), page, "session-1", at_ms)
            .map(|presence| presence.activity)
    }

    #[test]
    fn only_news_is_told_and_silent_pages_lapse() {
        let board = Board::default();
        assert_eq!(
            told(&board, "s1", "p1", Activity::Viewing, 0),
            Some(Activity::Viewing)
        );
        assert_eq!(
            told(&board, "s1", "p1", Activity::Viewing, 25_000),
            None,
            "a heartbeat"
        );
        assert_eq!(
            told(&board, "s1", "p1", Activity::Editing, 30_000),
            Some(Activity::Editing)
        );
        assert_eq!(board.on("s1"), vec![dee("s1", Activity::Editing)]);
        assert!(board.lapse(89_999).is_empty(), "heard of at 30 s");
        assert_eq!(board.lapse(90_000), vec![dee("s1", Activity::Left)]);
        assert!(board.on("s1").is_empty());
        assert_eq!(
            told(&board, "s1", "p1", Activity::Left, 0),
            None,
            "nothing to leave"
        );
    }

    #[test]
    fn a_hello_overtaken_by_its_own_goodbye_does_not_bring_the_page_back() {
        let board = Board::default();
        assert_eq!(told(&board, "s1", "p1", Activity::Left, 0), None);
        assert_eq!(
            told(&board, "s1", "p1", Activity::Viewing, 1),
            None,
            "the late hello"
        );
        assert!(board.on("s1").is_empty());
        // A reload is a new page: its hello counts.
        assert_eq!(
            told(&board, "s1", "p2", Activity::Viewing, 2),
            Some(Activity::Viewing)
        );
        // The goodbye is forgotten with time, silently.
        assert!(board.lapse(60_001).is_empty());
        assert_eq!(board.on("s1"), vec![dee("s1", Activity::Viewing)]);
        assert_eq!(board.members.lock().unwrap()["u-dee"].1.len(), 1);
    }

    #[test]
    fn a_member_on_two_tabs_is_there_until_both_are_closed() {
        let board = Board::default();
        told(&board, "s1", "tab-1", Activity::Viewing, 0);
        assert_eq!(
            told(&board, "s1", "tab-2", Activity::Editing, 1),
            Some(Activity::Editing)
        );
        assert_eq!(
            told(&board, "s1", "tab-2", Activity::Left, 2),
            Some(Activity::Viewing)
        );
        assert_eq!(board.on("s1"), vec![dee("s1", Activity::Viewing)]);
        assert_eq!(
            told(&board, "s1", "tab-1", Activity::Left, 3),
            Some(Activity::Left)
        );
        // An editing tab that goes quiet leaves the other one viewing.
        told(&board, "s2", "tab-3", Activity::Viewing, 0);
        told(&board, "s2", "tab-4", Activity::Editing, 50_000);
        told(&board, "s2", "tab-3", Activity::Viewing, 60_000);
        assert_eq!(board.lapse(110_000), vec![dee("s2", Activity::Viewing)]);
    }

    #[test]
    fn a_page_that_names_none_can_leave_and_come_back() {
        let board = Board::default();
        told(&board, "s1", "", Activity::Viewing, 0);
        assert_eq!(
            told(&board, "s1", "", Activity::Left, 1),
            Some(Activity::Left)
        );
        assert_eq!(
            told(&board, "s1", "", Activity::Viewing, 2),
            Some(Activity::Viewing)
        );
    }

    #[test]
    fn a_page_goes_with_its_session_and_every_page_with_a_member_signed_out() {
        let board = Board::default();
        let on = |page: &str, session: &str| {
            board.record(&dee("s1", Activity::Viewing), page, session, 0);
        };
        on("phone", "session-1");
        on("laptop", "session-2");
        assert!(
            board.sessions_ended(&["session-1", "other"]).is_empty(),
            "still on the laptop"
        );
        assert_eq!(board.on("s1"), vec![dee("s1", Activity::Viewing)]);
        assert_eq!(
            board.sessions_ended(&["session-2"]),
            vec![dee("s1", Activity::Left)]
        );
        assert!(board.on("s1").is_empty());
        on("phone", "session-3");
        assert!(board.member_signed_out("u-someone-else").is_empty());
        assert_eq!(
            board.member_signed_out("u-dee"),
            vec![dee("s1", Activity::Left)]
        );
        assert!(board.on("s1").is_empty());
    }

    #[test]
    fn a_member_holds_a_bounded_number_of_pages() {
        let board = Board::default();
        for page in 0..20 {
            told(&board, &format!("s{page}"), "p", Activity::Viewing, page);
        }
        let members = board.members.lock().unwrap();
        let pages = &members["u-dee"].1;
        assert_eq!(pages.len(), PAGES_PER_MEMBER);
        assert_eq!(pages[0].setlist_id, "s4", "the oldest went first");
    }
}
