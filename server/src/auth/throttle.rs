//! Failed-login throttling: stops online password guessing (brute force and
//! credential stuffing). Attempts are counted in fixed windows against three
//! subjects; past any one's limit, logins answer 429 with `Retry-After` before
//! any password is checked:
//! - one address guessing one account: the tight limit;
//! - one account guessed at from many addresses (a distributed attack);
//! - one address trying many accounts (password spraying).
//!
//! The account-wide and address-wide limits are looser on purpose: a stranger
//! must not be able to lock a member out with a handful of wrong guesses from
//! elsewhere, and a band sharing one office address must not lock each other
//! out with a few typos.
//!
//! An attempt is **reserved** atomically before its password is hashed: it
//! counts against the limit while it is in flight, becomes a failure if the
//! password was wrong and is given back if it was right. Checking first and
//! counting after the hash would let a parallel burst through: forty guesses
//! sent at once would all pass the check before the first one counted. When
//! failures and attempts in flight together fill a limit that failures alone
//! have not reached, the next attempt waits, on the server, for those to be
//! settled (`reserve_waiting`): six parallel logins with the right password
//! have failed nothing, and all six get in; six wrong ones are five checks,
//! and the sixth, let go once those have failed, meets the lockout. Only
//! failures lock for the window, and only that lockout is audited, once a
//! window.
//!
//! Where the counts live: in this instance's memory on SQLite (one instance),
//! in the `login_throttle` table on PostgreSQL, so that the limits hold for
//! the whole deployment rather than per instance. Subjects are hashed to 16
//! bytes each (three per attempt), whatever their length.

use std::{collections::HashMap, net::IpAddr, sync::Mutex, time::Duration};

use sha2::{Digest, Sha256};

use crate::{
    db::{
        self, DbResult, Pool,
        throttle::{Refused, Settled, SubjectKey},
    },
    proxies::client_block,
};

pub const PAIR_LIMIT: u32 = 5;
pub const USERNAME_LIMIT: u32 = 50;
pub const ADDRESS_LIMIT: u32 = 100;
pub const WINDOW_SECS: i64 = 15 * 60;
/// The hard cap on counters in memory, whatever an attacker sends.
const MAX_ENTRIES: usize = 100_000;

pub enum LoginThrottle {
    Memory(Mutex<HashMap<SubjectKey, Window>>),
    Shared(Pool),
}

/// How long an attempt waits, at most, for attempts in flight that fill a
/// limit to be settled (a password check takes a few tens of milliseconds,
/// queued behind the others for the hashing threads), and how soon it first
/// looks again: then half as often each time, down to twice a second, so
/// that a crowd of waiting attempts (each look is a transaction on
/// PostgreSQL) costs about a dozen looks each, not two hundred.
pub const BUSY_PATIENCE: Duration = Duration::from_secs(5);
const BUSY_FIRST_LOOK: Duration = Duration::from_millis(25);
const BUSY_LAST_LOOK: Duration = Duration::from_millis(500);
/// What a client is told to wait when that was not long enough.
pub const BUSY_RETRY_SECS: u64 = 1;

#[derive(Clone, Copy)]
pub struct Window {
    started: i64,
    /// Wrong passwords this window.
    failures: u32,
    /// Attempts reserved and not yet settled.
    in_flight: u32,
    /// This window's refusal has been audited (once per window, not per attempt).
    reported: bool,
}

impl Window {
    /// No failures this window; a later lockout in it is a new one, audited.
    fn clear_failures(&mut self) {
        self.failures = 0;
        self.reported = false;
    }
}

/// How long an address a member's session started from stays theirs: the
/// account-wide and address-wide limits do not hold it for that member
/// (`Subjects::signed_in_from`). The default lifetime of a session.
pub const KNOWN_ADDRESS_SECS: i64 = 30 * 24 * 60 * 60;

/// What a login attempt is counted against: pair, username, address, each
/// with its limit.
#[derive(Clone)]
pub struct Subjects {
    keys: [SubjectKey; 3],
    limits: [u32; 3],
    /// The address, or its IPv6 block.
    address: String,
}

const LIMITS: [u32; 3] = [PAIR_LIMIT, USERNAME_LIMIT, ADDRESS_LIMIT];
const USERNAME: usize = 1;
const ADDRESS: usize = 2;

/// The counter key of a subject named by `parts`.
fn subject_key(parts: &[&str]) -> SubjectKey {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize()[..16].try_into().expect("16 of 32 bytes")
}

fn pair_key(address_block: &str, username: &str) -> SubjectKey {
    subject_key(&["pair", address_block, username])
}

fn username_key(username: &str) -> SubjectKey {
    subject_key(&["user", username])
}

impl Subjects {
    pub fn new(username: &str, address: &str) -> Subjects {
        let username = username.to_lowercase();
        let address = address_block(address);
        Subjects {
            keys: [
                pair_key(&address, &username),
                username_key(&username),
                subject_key(&["addr", &address]),
            ],
            limits: LIMITS,
            address,
        }
    }

    /// `addresses`: where the account's sessions started lately. From one of
    /// them (its IPv6 block) neither the account-wide limit nor the
    /// address-wide one holds for this member: wrong guesses at their name
    /// from elsewhere, from as many addresses as an attacker has, must not
    /// lock them out where they sign in, nor guesses at made-up names from
    /// the venue's or the carrier's shared address lock the whole band out
    /// there. The pair limit (five a window) still holds, and the attempts
    /// still count: other names from that address stay under its limit.
    /// `None` when this address is not one of them.
    pub fn signed_in_from(&self, addresses: &[String]) -> Option<Subjects> {
        let known = addresses
            .iter()
            .any(|known| address_block(known) == self.address);
        let mut lifted = self.clone();
        lifted.limits[USERNAME] = u32::MAX;
        lifted.limits[ADDRESS] = u32::MAX;
        known.then_some(lifted)
    }

    /// How many of the keys a correct password clears: the pair's and the
    /// account's, or only the pair's where the account-wide limit was
    /// lifted. Cleared there, it would give a distributed guesser a fresh
    /// budget each time the member signs in.
    fn cleared_by_success(&self) -> usize {
        if self.limits[USERNAME] == u32::MAX {
            USERNAME
        } else {
            ADDRESS
        }
    }
}

/// An IPv6 client's addresses count as one (`client_block`): otherwise
/// every guess could come from a fresh address.
fn address_block(address: &str) -> String {
    match address.parse::<IpAddr>().map(client_block) {
        // Written out, not `Display`: the keys stored in the shared table stay
        // the ones older instances make ("2001:db8:1:0::/64").
        Ok(IpAddr::V6(block)) => {
            let [a, b, c, d, ..] = block.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        _ => address.to_string(),
    }
}

/// The throttle's answer to an attempt.
pub enum Verdict<'a> {
    /// Go ahead: the attempt is counted until it is settled.
    Go(Reservation<'a>),
    /// Over a limit: wait this long. `first` is set for the window's first
    /// lockout (failures at the limit), the only refusal worth an audit event.
    Wait { retry_after_secs: u64, first: bool },
    /// Attempts in flight, none failed, fill a limit (`Refused::Busy`).
    Busy,
}

/// A counted attempt. A wrong password makes it a failure (`failed`), a
/// right one gives it back (`succeeded`); dropped unsettled (an error on the
/// way, or a settling write that failed), it is given back too.
pub struct Reservation<'a> {
    throttle: &'a LoginThrottle,
    keys: [SubjectKey; 3],
    /// When each subject's window started: an attempt still in flight when
    /// its window started again settles nothing in the new one, where it
    /// was never counted (it would free a place that is not its own).
    windows: [i64; 3],
    /// How many of `keys` a correct password clears (`Subjects::cleared_by_success`).
    clears: usize,
    settled: bool,
}

impl Reservation<'_> {
    /// A wrong password: the attempt counts as a failure.
    pub async fn failed(self) -> DbResult<()> {
        self.settle(Settled::Failed).await
    }

    /// A correct password clears the pair's and the account's failures (not
    /// the address's: an attacker who owns one account must not reset their
    /// budget with it; nor the account's where its limit was lifted). Other
    /// attempts still in flight stay counted.
    pub async fn succeeded(self) -> DbResult<()> {
        let cleared = self.clears;
        self.settle(Settled::Succeeded { cleared }).await
    }

    async fn settle(mut self, how: Settled) -> DbResult<()> {
        let settled = match self.throttle {
            LoginThrottle::Memory(counters) => {
                let mut counters = counters.lock().expect("throttle lock poisoned");
                settle_in_memory(&mut counters, &self.keys, &self.windows, how);
                Ok(())
            }
            LoginThrottle::Shared(pool) => {
                db::throttle::settle(pool, &self.keys, &self.windows, how).await
            }
        };
        // A write that failed, or never finished, leaves it to `drop`.
        self.settled = settled.is_ok();
        settled
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (keys, windows) = (self.keys, self.windows);
        match self.throttle {
            LoginThrottle::Memory(counters) => settle_in_memory(
                &mut counters.lock().expect("throttle lock poisoned"),
                &keys,
                &windows,
                Settled::GivenBack,
            ),
            LoginThrottle::Shared(pool) => {
                let pool = pool.clone();
                tokio::spawn(async move {
                    let given_back =
                        db::throttle::settle(&pool, &keys, &windows, Settled::GivenBack);
                    if let Err(e) = given_back.await {
                        tracing::warn!(error = %e, "could not give back a login reservation");
                    }
                });
            }
        }
    }
}

fn settle_in_memory(
    counters: &mut HashMap<SubjectKey, Window>,
    keys: &[SubjectKey; 3],
    windows: &[i64; 3],
    how: Settled,
) {
    for (at, (key, started)) in keys.iter().zip(windows).enumerate() {
        let Some(window) = counters.get_mut(key).filter(|w| w.started == *started) else {
            continue;
        };
        window.in_flight = window.in_flight.saturating_sub(1);
        match how {
            Settled::Failed => window.failures += 1,
            Settled::Succeeded { cleared } if at < cleared => window.clear_failures(),
            Settled::Succeeded { .. } | Settled::GivenBack => {}
        }
    }
}

impl LoginThrottle {
    pub fn in_memory() -> LoginThrottle {
        LoginThrottle::Memory(Mutex::default())
    }

    /// `reserve`, waiting up to `patience` while the attempts in flight
    /// that fill a limit are settled: as they fail, the wait ends in a
    /// lockout; as they succeed, in a place of its own.
    pub async fn reserve_waiting(
        &self,
        subjects: &Subjects,
        now: i64,
        patience: Duration,
    ) -> DbResult<Verdict<'_>> {
        let deadline = tokio::time::Instant::now() + patience;
        let mut pause = BUSY_FIRST_LOOK;
        loop {
            match self.reserve(subjects, now).await? {
                Verdict::Busy if tokio::time::Instant::now() < deadline => {
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    tokio::time::sleep(pause.min(left)).await;
                    pause = (pause * 2).min(BUSY_LAST_LOOK);
                }
                verdict => return Ok(verdict),
            }
        }
    }

    /// A manager has set `username` a new password: the failures counted
    /// against the name, and against the name from each of `addresses`
    /// (where wrong passwords for it came from), start again. Guesses at the
    /// old password say nothing about the new one, and the member who asked
    /// for the reset must not stay locked out for the rest of the window.
    /// An address's own count (other names tried from it) stands.
    pub async fn forgive(&self, username: &str, addresses: &[String]) -> DbResult<()> {
        let username = username.to_lowercase();
        let pairs = addresses
            .iter()
            .map(|address| pair_key(&address_block(address), &username));
        let mut keys: Vec<SubjectKey> = pairs.chain([username_key(&username)]).collect();
        // One order for every reset: two at once lock PostgreSQL's rows alike.
        keys.sort_unstable();
        match self {
            LoginThrottle::Memory(counters) => {
                let mut counters = counters.lock().expect("throttle lock poisoned");
                for key in &keys {
                    if let Some(window) = counters.get_mut(key) {
                        window.clear_failures();
                    }
                }
                Ok(())
            }
            LoginThrottle::Shared(pool) => db::throttle::forgive(pool, &keys).await,
        }
    }

    /// Reserves an attempt against every subject, or says why not.
    pub async fn reserve(&self, subjects: &Subjects, now: i64) -> DbResult<Verdict<'_>> {
        let reserved = match self {
            LoginThrottle::Memory(counters) => reserve_in_memory(
                &mut counters.lock().expect("throttle lock poisoned"),
                subjects,
                now,
            ),
            LoginThrottle::Shared(pool) => {
                let (keys, limits) = (&subjects.keys, &subjects.limits);
                db::throttle::reserve(pool, keys, limits, WINDOW_SECS, now).await?
            }
        };
        Ok(match reserved {
            Ok(windows) => Verdict::Go(Reservation {
                throttle: self,
                keys: subjects.keys,
                windows,
                clears: subjects.cleared_by_success(),
                settled: false,
            }),
            Err(Refused::LockedOut { secs, first }) => Verdict::Wait {
                retry_after_secs: secs.max(1) as u64,
                first,
            },
            Err(Refused::Busy) => Verdict::Busy,
        })
    }
}

/// When each subject's window started, once reserved; otherwise why not.
fn reserve_in_memory(
    counters: &mut HashMap<SubjectKey, Window>,
    subjects: &Subjects,
    now: i64,
) -> Result<[i64; 3], Refused> {
    let live = |window: &Window| now < window.started + WINDOW_SECS;
    let mut wait = None;
    let mut first = false;
    let mut busy = false;
    for (key, limit) in subjects.keys.iter().zip(subjects.limits) {
        let Some(window) = counters.get_mut(key).filter(|w| live(w)) else {
            continue;
        };
        if window.failures >= limit {
            wait = wait.max(Some(window.started + WINDOW_SECS - now));
            first |= !window.reported;
            window.reported = true;
        } else if window.failures + window.in_flight >= limit {
            busy = true;
        }
    }
    if let Some(secs) = wait {
        return Err(Refused::LockedOut { secs, first });
    }
    if busy {
        return Err(Refused::Busy);
    }
    if counters.len() + subjects.keys.len() > MAX_ENTRIES {
        // Full: forget finished windows, then counts that lock nobody out
        // yet (a flood this size can reset a budget short of its limit).
        counters.retain(|_, window| live(window));
        if counters.len() + subjects.keys.len() > MAX_ENTRIES {
            counters.retain(|_, window| window.in_flight > 0 || window.failures >= PAIR_LIMIT);
        }
        if counters.len() + subjects.keys.len() > MAX_ENTRIES {
            // Every counter is throttling someone: refuse rather than grow.
            return Err(Refused::LockedOut {
                secs: WINDOW_SECS,
                first: false,
            });
        }
    }
    let mut windows = [now; 3];
    for (key, started) in subjects.keys.iter().zip(&mut windows) {
        let fresh = Window {
            started: now,
            failures: 0,
            in_flight: 0,
            reported: false,
        };
        let window = counters.entry(*key).or_insert(fresh);
        if !live(window) {
            *window = fresh;
        }
        window.in_flight += 1;
        *started = window.started;
    }
    Ok(windows)
}

#[cfg(test)]
mod tests;
