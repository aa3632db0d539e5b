//! The two reads every band member's screen makes — the overview and one
//! setlist — kept in memory as the JSON they are answered with, so that a
//! repeated read costs no database round trip.
//!
//! Correctness rests on one number, the cache's generation:
//!
//! - A write made through this instance bumps it before the write's response
//!   is sent, so a client never reads older data after its own write, nor
//!   after any write whose answer it has seen.
//! - A write made through another instance announces itself (`db::changes`,
//!   PostgreSQL) and bumps the `change_counters` row in its transaction. An
//!   announcement bumps the generation at once; the counter, re-read by
//!   `crate::sync`'s poll, catches any announcement that was lost.
//! - While the database is unreachable nobody can write, so the generation
//!   stays and the cached answers keep being served.
//! - An answer is stored only if the generation did not move while it was
//!   read from the database, and is served only under the generation it was
//!   stored with. A read racing a write can therefore never keep stale data.
//!
//! Writes never trust the cache: the optimistic-concurrency check is the
//! database's `WHERE version = expected`, so a stale read can at worst lead to
//! a 409, never to a lost update.

use std::{
    collections::HashMap,
    sync::{
        RwLock,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
};

use prometheus::IntCounter;

use crate::{
    clock,
    db::{
        self, DbResult, Pool,
        setlists::{OverviewJson, OverviewPage, SetlistJson},
    },
};

pub struct ReadCache {
    generation: AtomicU64,
    answers: RwLock<Answers>,
    /// The database's change counter when last read (`NEVER_READ` before).
    counter_seen: AtomicI64,
    hits: IntCounter,
    misses: IntCounter,
}

const NEVER_READ: i64 = i64::MIN;

#[derive(Default)]
struct Answers {
    /// The generation these answers were read under.
    generation: u64,
    /// The overview's first page by (UTC day number, past shows), since
    /// which shows are upcoming changes at midnight; and unpaged by
    /// `(None, None)`, the same on any day. Only today's pages are kept.
    lists: HashMap<(Option<i64>, Option<i64>), OverviewJson>,
    setlists: HashMap<String, SetlistJson>,
}

impl ReadCache {
    pub fn new(hits: IntCounter, misses: IntCounter) -> ReadCache {
        ReadCache {
            generation: AtomicU64::new(0),
            answers: RwLock::default(),
            counter_seen: AtomicI64::new(NEVER_READ),
            hits,
            misses,
        }
    }

    /// Forgets every answer: something changed.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// `GET /api/setlists` on UTC day `day` (see `clock::utc_day`): every
    /// show, or with `past` the first page with that many past shows.
    pub async fn overview(
        &self,
        pool: &Pool,
        day: i64,
        past: Option<i64>,
    ) -> DbResult<OverviewJson> {
        let generation = self.generation.load(Ordering::Acquire);
        let key = (past.map(|_| day), past);
        if let Some(page) = self.lookup(generation, |answers| answers.lists.get(&key).cloned()) {
            self.hits.inc();
            return Ok(page);
        }
        self.misses.inc();
        let today = &clock::date_of(day);
        let page = match past {
            None => OverviewPage::Everything,
            Some(past) => OverviewPage::First { today, past },
        };
        let page = db::setlists::overview(pool, &page).await?;
        self.store(generation, |answers| {
            answers
                .lists
                .retain(|(read_on, _), _| read_on.is_none_or(|read_on| read_on == day));
            answers.lists.insert(key, page.clone());
        });
        Ok(page)
    }

    /// `GET /api/setlists/{id}` as JSON; `None` when there is no such setlist.
    pub async fn setlist(&self, pool: &Pool, id: &str) -> DbResult<Option<SetlistJson>> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(hit) = self.lookup(generation, |answers| answers.setlists.get(id).cloned()) {
            self.hits.inc();
            return Ok(Some(hit));
        }
        self.misses.inc();
        let Some(setlist) = db::setlists::get(pool, id).await? else {
            return Ok(None);
        };
        let cached = SetlistJson::of(&setlist);
        self.store(generation, |answers| {
            answers.setlists.insert(id.to_string(), cached.clone());
        });
        Ok(Some(cached))
    }

    fn lookup<T>(&self, generation: u64, read: impl FnOnce(&Answers) -> Option<T>) -> Option<T> {
        let answers = self.answers.read().expect("read cache lock poisoned");
        (answers.generation == generation)
            .then(|| read(&answers))
            .flatten()
    }

    /// Keeps an answer read under `generation`, unless a change came since.
    fn store(&self, generation: u64, write: impl FnOnce(&mut Answers)) {
        let mut answers = self.answers.write().expect("read cache lock poisoned");
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if answers.generation != generation {
            *answers = Answers {
                generation,
                ..Answers::default()
            };
        }
        write(&mut answers);
    }
}

impl ReadCache {
    /// Reads the database's change counter and forgets every answer if it
    /// moved. A failed read changes nothing: while the database is away
    /// nobody can write, and the next successful read tells.
    pub async fn follow_counter(&self, pool: &Pool) -> DbResult<()> {
        let counter = db::setlists::change_counter(pool).await?;
        if self.counter_seen.swap(counter, Ordering::AcqRel) != counter {
            self.invalidate();
        }
        Ok(())
    }
}
