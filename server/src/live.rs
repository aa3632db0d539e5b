//! The live hub: the changes this instance has heard of, kept for
//! reconnecting browsers, and sent to every open event stream here.
//!
//! Where the events come from: every setlist write announces itself
//! (`db::changes`) with the value of the setlists' change counter that its
//! transaction took. That number is the event's id on every instance (the
//! counter is the database's, and commits take it in order), so a browser
//! that reconnects to another instance can still say where it stopped
//! (`Last-Event-ID`). On PostgreSQL the announcements arrive through
//! `crate::sync`'s listener; on SQLite the one instance publishes its own
//! writes as it makes them.
//!
//! The HTTP side, `GET /api/events` and how a stream re-checks its token,
//! is `crate::http::events`.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::broadcast;

use app::api::{ChangedBy, Presence, SetlistEvent};

use crate::{
    db::changes::{Author, Change},
    presence,
};

/// Events kept for reconnecting browsers; one further back gets `reload`.
const BACKLOG: usize = 512;
/// Open streams per member (tabs, devices); one more is answered 429.
pub const STREAMS_PER_MEMBER: usize = 8;
/// How long a change waits for an earlier one to be published. Handlers
/// publish microseconds apart; an earlier change still missing after this
/// had its request dropped between its commit and its publication.
const GAP_WAIT: Duration = Duration::from_secs(1);
/// The events of library and members writes. Like presence they have no id
/// and no replay: a page that reconnects reads its list again. Members
/// changes reach managers' streams only (`http::events`).
pub const LIBRARY_CHANGED: &str = "library_changed";
pub const MEMBERS_CHANGED: &str = "members_changed";

impl From<&Author> for ChangedBy {
    fn from(by: &Author) -> ChangedBy {
        ChangedBy {
            by: by.name.clone(),
            by_id: by.id.clone(),
        }
    }
}

/// One change, as the stream sends it.
#[derive(Debug)]
pub struct LiveEvent {
    /// The setlists' change counter after the change: the SSE id. Presence
    /// is not a change to the band's data and has none (nor a replay).
    pub seq: Option<i64>,
    pub name: &'static str,
    pub data: String,
}

impl LiveEvent {
    /// The event a setlist change becomes; `None` for other changes.
    pub fn from_change(change: &Change) -> Option<LiveEvent> {
        let Change::Setlist {
            id,
            version,
            seq,
            song_id,
            by,
            created,
        } = change
        else {
            return None;
        };
        let name = match (version, song_id) {
            (None, _) => "setlist_deleted",
            (Some(_), Some(_)) => "song_patched",
            (Some(_), None) if *created => "setlist_created",
            (Some(_), None) => "setlist_changed",
        };
        let data = SetlistEvent {
            id: id.clone(),
            version: *version,
            song_id: song_id.clone(),
            by: by.name.clone(),
            by_id: by.id.clone(),
        };
        Some(LiveEvent {
            seq: Some(*seq),
            name,
            data: serde_json::to_string(&data).expect("an event serialises"),
        })
    }
}

pub struct Live {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    recent: Mutex<Recent>,
    streams: Mutex<HashMap<String, usize>>,
    pub presence: presence::Board,
}

#[derive(Default)]
struct Recent {
    events: VecDeque<Arc<LiveEvent>>,
    /// The newest change counter known here (published or read at start).
    latest: Option<i64>,
    /// The newest change published here: an event at or below it is one we
    /// heard again. Kept apart from `latest`, which a stream's start may
    /// raise past a change that has committed but is not published yet.
    published: Option<i64>,
    /// Changes that came before an earlier one (by counter), each with when
    /// it came: they wait for it, since a stream's ids must only rise.
    waiting: BTreeMap<i64, (Arc<LiveEvent>, Instant)>,
}

impl Recent {
    fn send(&mut self, sender: &broadcast::Sender<Arc<LiveEvent>>, event: Arc<LiveEvent>) {
        let seq = event.seq.expect("a setlist change has a seq");
        self.published = Some(seq);
        self.latest = self.latest.max(Some(seq));
        if self.events.len() == BACKLOG {
            self.events.pop_front();
        }
        self.events.push_back(event.clone());
        // Sent under the lock, so a stream that subscribed while reading the
        // backlog sees every event exactly once.
        let _ = sender.send(event);
    }

    /// Sends the waiting changes that no longer wait for an earlier one.
    fn send_next_waiting(&mut self, sender: &broadcast::Sender<Arc<LiveEvent>>) {
        while let Some(entry) = self.waiting.first_entry() {
            if Some(*entry.key()) != self.published.map(|published| published + 1) {
                return;
            }
            let (event, _) = entry.remove();
            self.send(sender, event);
        }
    }
}

impl Default for Live {
    fn default() -> Live {
        Live {
            sender: broadcast::channel(BACKLOG).0,
            recent: Mutex::default(),
            streams: Mutex::default(),
            presence: presence::Board::default(),
        }
    }
}

/// What a reconnecting browser missed.
pub enum Missed {
    Events(Vec<Arc<LiveEvent>>),
    /// More than the backlog holds, or from before this instance knew.
    TooMuch,
}

impl Live {
    /// A hub whose next change is the one after `counter`, the setlists'
    /// change counter read at start (SQLite: this instance publishes its own
    /// writes, and the first two may reach it in either order).
    pub fn counting_from(counter: i64) -> Live {
        Live {
            recent: Mutex::new(Recent {
                published: Some(counter),
                latest: Some(counter),
                ..Recent::default()
            }),
            ..Live::default()
        }
    }

    /// Sends a change to every open stream here, in the order of the
    /// counter. Writes commit in that order, but their handlers publish in
    /// whatever order they wake up (a batch of song patches commits
    /// together); a browser that saw 7 and then reconnected from 7 would
    /// never get a 6 published after it.
    pub fn publish(self: &Arc<Self>, change: &Change) {
        let Some(event) = LiveEvent::from_change(change) else {
            return;
        };
        let seq = event.seq.expect("a setlist change has a seq");
        let mut recent = self.recent.lock().expect("live lock poisoned");
        match recent.published {
            Some(published) if seq <= published => return, // heard again
            Some(published) if seq > published + 1 => {
                if recent.waiting.is_empty() {
                    let live = self.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(GAP_WAIT).await;
                        live.give_up_waiting(Instant::now());
                    });
                }
                recent
                    .waiting
                    .insert(seq, (Arc::new(event), Instant::now()));
                return;
            }
            _ => {}
        }
        recent.send(&self.sender, Arc::new(event));
        recent.send_next_waiting(&self.sender);
    }

    /// An earlier change that has not come after `GAP_WAIT` never will
    /// (its request was dropped after its commit): the streams are told to
    /// re-read, which covers it, and what waited for it goes out.
    fn give_up_waiting(&self, now: Instant) {
        let mut recent = self.recent.lock().expect("live lock poisoned");
        let overdue = recent
            .waiting
            .first_key_value()
            .is_some_and(|(_, (_, since))| now.duration_since(*since) >= GAP_WAIT);
        if overdue {
            Self::lost(&mut recent, &self.sender);
        } // else the gap closed (a younger wait has its own timer)
    }

    /// Announcements may have been lost (the listener was away from the
    /// database): the backlog has a hole. It is dropped, so a browser that
    /// resumes from before the hole is told to reload, and the streams open
    /// here are told so now.
    pub fn announcements_lost(&self) {
        let mut recent = self.recent.lock().expect("live lock poisoned");
        Self::lost(&mut recent, &self.sender);
        // The next announcement is taken as it comes: the ones between were lost.
        recent.published = None;
    }

    /// The backlog has a hole: it is dropped and the open streams are told
    /// to re-read, which covers the hole; what waited for it goes out.
    fn lost(recent: &mut Recent, sender: &broadcast::Sender<Arc<LiveEvent>>) {
        recent.events.clear();
        let reload = LiveEvent {
            seq: None,
            name: "reload",
            data: "{}".into(),
        };
        // Under the lock, as `publish` sends.
        let _ = sender.send(Arc::new(reload));
        for (event, _) in std::mem::take(&mut recent.waiting).into_values() {
            recent.send(sender, event);
        }
    }

    /// Records a member's presence and, when it is news, tells the streams here.
    pub fn tell_presence(&self, presence: &Presence, page: &str, session_id: &str, at_ms: i64) {
        if let Some(news) = self.presence.record(presence, page, session_id, at_ms) {
            self.send_presence(&news);
        }
    }

    /// Tells the streams here what pages that went (quiet, or with their
    /// session: `presence::Board`) change.
    pub fn tell_gone(&self, gone: Vec<Presence>) {
        for presence in gone {
            self.send_presence(&presence);
        }
    }

    fn send_presence(&self, presence: &Presence) {
        self.send_unnumbered("presence", presence);
    }

    /// Tells the streams here that `by` wrote the library or the members
    /// (`event`: `LIBRARY_CHANGED` or `MEMBERS_CHANGED`).
    pub fn tell_written(&self, event: &'static str, by: &Author) {
        self.send_unnumbered(event, &ChangedBy::from(by));
    }

    /// Sends an event that is not a setlist change: no id, not kept.
    fn send_unnumbered(&self, name: &'static str, data: &impl serde::Serialize) {
        let data = serde_json::to_string(data).expect("an event serialises");
        let event = LiveEvent {
            seq: None,
            name,
            data,
        };
        let _ = self.sender.send(Arc::new(event));
    }

    /// Subscribes, and says what was missed since `last_seen`.
    pub fn subscribe(
        &self,
        last_seen: Option<i64>,
    ) -> (broadcast::Receiver<Arc<LiveEvent>>, Missed, Option<i64>) {
        let recent = self.recent.lock().expect("live lock poisoned");
        let receiver = self.sender.subscribe();
        let missed = match (last_seen, recent.latest) {
            (None, _) => Missed::Events(Vec::new()),
            (Some(seen), Some(latest)) if seen == latest => Missed::Events(Vec::new()),
            // An id never issued: the counter went back (a restored backup),
            // so what the browser holds cannot be resumed from.
            (Some(seen), Some(latest)) if seen > latest => Missed::TooMuch,
            (Some(seen), Some(_))
                if recent
                    .events
                    .front()
                    .is_some_and(|oldest| oldest.seq <= Some(seen + 1)) =>
            {
                let events = recent.events.iter().filter(|e| e.seq > Some(seen)).cloned();
                Missed::Events(events.collect())
            }
            _ => Missed::TooMuch,
        };
        (receiver, missed, recent.latest)
    }

    /// Remembers the counter read at a stream's start, if nothing newer came.
    pub fn learn_latest(&self, counter: i64) {
        let mut recent = self.recent.lock().expect("live lock poisoned");
        if recent.latest.is_none_or(|latest| latest < counter) && recent.events.is_empty() {
            recent.latest = Some(counter);
        }
    }

    /// Counts a member's stream until the guard is dropped; `None` past the cap.
    pub fn open(self: &Arc<Self>, user_id: &str) -> Option<OpenStream> {
        let mut streams = self.streams.lock().expect("live lock poisoned");
        let count = streams.entry(user_id.to_string()).or_default();
        if *count >= STREAMS_PER_MEMBER {
            return None;
        }
        *count += 1;
        Some(OpenStream {
            live: self.clone(),
            user_id: user_id.to_string(),
        })
    }
}

pub struct OpenStream {
    live: Arc<Live>,
    user_id: String,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        let mut streams = self.live.streams.lock().expect("live lock poisoned");
        if let Some(count) = streams.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                streams.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(seq: i64) -> Change {
        Change::Setlist {
            id: "s1".into(),
            version: Some(2),
            seq,
            song_id: None,
            by: Author {
                id: "u1".into(),
                name: "Manager".into(),
            },
            created: false,
        }
    }

    fn missed_seqs(missed: Missed) -> Option<Vec<i64>> {
        match missed {
            Missed::Events(events) => Some(events.iter().filter_map(|e| e.seq).collect()),
            Missed::TooMuch => None,
        }
    }

    fn received(
        stream: &mut broadcast::Receiver<Arc<LiveEvent>>,
    ) -> Vec<(&'static str, Option<i64>)> {
        std::iter::from_fn(|| stream.try_recv().ok())
            .map(|event| (event.name, event.seq))
            .collect()
    }

    #[tokio::test]
    async fn changes_published_out_of_order_go_out_in_the_counters_order() {
        let live = Arc::new(Live::counting_from(10));
        let (mut stream, _, _) = live.subscribe(None);
        live.publish(&written(12));
        live.publish(&written(13));
        assert_eq!(received(&mut stream), vec![]);
        live.publish(&written(11));
        assert_eq!(
            received(&mut stream),
            [11, 12, 13].map(|seq| ("setlist_changed", Some(seq)))
        );
        // Heard again: nothing more.
        live.publish(&written(12));
        assert_eq!(received(&mut stream), vec![]);
        let (_, missed, _) = live.subscribe(Some(11));
        assert_eq!(missed_seqs(missed), Some(vec![12, 13]));
    }

    #[tokio::test]
    async fn a_change_that_never_comes_is_given_up_and_the_streams_reread() {
        let live = Arc::new(Live::counting_from(10));
        let (mut stream, _, _) = live.subscribe(None);
        live.publish(&written(12));
        // Not yet: the gap may still close.
        live.give_up_waiting(Instant::now());
        assert_eq!(received(&mut stream), vec![]);
        live.give_up_waiting(Instant::now() + GAP_WAIT);
        assert_eq!(
            received(&mut stream),
            vec![("reload", None), ("setlist_changed", Some(12))]
        );
        // Too late to be sent: the reload covered it.
        live.publish(&written(11));
        live.publish(&written(13));
        assert_eq!(received(&mut stream), vec![("setlist_changed", Some(13))]);
        // Resuming from before the hole is a reload too.
        let (_, missed, _) = live.subscribe(Some(10));
        assert_eq!(missed_seqs(missed), None);
    }

    #[test]
    fn a_browser_resumes_from_the_backlog() {
        let live = Arc::new(Live::default());
        for seq in 1..=3 {
            live.publish(&written(seq));
        }
        let (_, missed, latest) = live.subscribe(Some(1));
        assert_eq!(missed_seqs(missed), Some(vec![2, 3]));
        assert_eq!(latest, Some(3));
    }

    #[test]
    fn after_lost_announcements_a_browser_from_before_them_is_told_to_reload() {
        let live = Arc::new(Live::default());
        live.publish(&written(1));
        live.publish(&written(2));
        let (mut open_stream, _, _) = live.subscribe(None);
        live.announcements_lost();
        // The stream open across the outage is told at once.
        let told = open_stream
            .try_recv()
            .expect("an event for the open stream");
        assert_eq!(told.name, "reload");
        // A stream's start reads the counter, which moved on meanwhile (a
        // write on another instance): resuming from before it is a reload.
        live.learn_latest(5);
        let (_, missed, latest) = live.subscribe(Some(2));
        assert_eq!(missed_seqs(missed), None);
        assert_eq!(latest, Some(5));
        // One that already saw the newest change has nothing to re-read.
        let (_, missed, _) = live.subscribe(Some(5));
        assert_eq!(missed_seqs(missed), Some(vec![]));
    }
}
