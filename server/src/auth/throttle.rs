//! Failed-login throttling: stops online password guessing (brute force and
//! credential stuffing). Failures are counted per username (one account
//! attacked from many addresses) and per client address (one address trying
//! many accounts) in fixed windows; past the limit, logins answer 429 with
//! `Retry-After` before any password is checked.
//!
//! The counts live in this instance's memory. With several instances behind a
//! load balancer each counts on its own, so an attacker gets at most
//! `instances × limit` guesses per window: still a small, bounded number, and
//! it needs no shared store on the login path.

use std::{collections::HashMap, sync::Mutex};

pub const USERNAME_LIMIT: u32 = 5;
pub const ADDRESS_LIMIT: u32 = 20;
pub const WINDOW_SECS: i64 = 15 * 60;
/// Bounds the memory an attacker can make us spend on counters.
const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Window>>,
}

struct Window {
    started: i64,
    count: u32,
}

/// What a login attempt is counted against.
pub struct Subjects {
    username: String,
    address: String,
}

impl Subjects {
    pub fn new(username: &str, address: &str) -> Subjects {
        Subjects {
            username: format!("user:{}", username.to_lowercase()),
            address: format!("addr:{address}"),
        }
    }

    fn each(&self) -> [(&str, u32); 2] {
        [
            (&self.username, USERNAME_LIMIT),
            (&self.address, ADDRESS_LIMIT),
        ]
    }
}

impl LoginThrottle {
    /// `Err(seconds to wait)` when either subject is over its limit.
    pub fn check(&self, subjects: &Subjects, now: i64) -> Result<(), u64> {
        let failures = self.failures.lock().expect("throttle lock poisoned");
        let wait = subjects
            .each()
            .into_iter()
            .filter_map(|(key, limit)| {
                let window = failures.get(key)?;
                let ends = window.started + WINDOW_SECS;
                (window.count >= limit && now < ends).then_some(ends - now)
            })
            .max();
        match wait {
            Some(seconds) => Err(seconds as u64),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, subjects: &Subjects, now: i64) {
        let mut failures = self.failures.lock().expect("throttle lock poisoned");
        if failures.len() >= MAX_ENTRIES {
            failures.retain(|_, window| now < window.started + WINDOW_SECS);
        }
        for (key, _) in subjects.each() {
            let window = failures.entry(key.to_string()).or_insert(Window {
                started: now,
                count: 0,
            });
            if now >= window.started + WINDOW_SECS {
                *window = Window {
                    started: now,
                    count: 0,
                };
            }
            window.count += 1;
        }
    }

    /// A correct password clears the username's count (not the address's:
    /// an attacker who owns one account must not reset their budget with it).
    pub fn record_success(&self, subjects: &Subjects) {
        let mut failures = self.failures.lock().expect("throttle lock poisoned");
        failures.remove(&subjects.username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_guess_at_one_username_waits_for_the_window() {
        let throttle = LoginThrottle::default();
        let subjects = Subjects::new("Drummer", "10.0.0.1");
        for _ in 0..USERNAME_LIMIT {
            assert!(throttle.check(&subjects, 100).is_ok());
            throttle.record_failure(&subjects, 100);
        }
        assert_eq!(throttle.check(&subjects, 100), Err(WINDOW_SECS as u64));
        // Another address guessing the same (case-folded) username is throttled too.
        let elsewhere = Subjects::new("drummer", "10.0.0.2");
        assert!(throttle.check(&elsewhere, 101).is_err());
        assert!(throttle.check(&subjects, 100 + WINDOW_SECS).is_ok());
    }

    #[test]
    fn one_address_guessing_many_usernames_is_throttled() {
        let throttle = LoginThrottle::default();
        for i in 0..ADDRESS_LIMIT {
            throttle.record_failure(&Subjects::new(&format!("user{i}"), "10.0.0.9"), 5);
        }
        assert!(
            throttle
                .check(&Subjects::new("fresh", "10.0.0.9"), 6)
                .is_err()
        );
        assert!(
            throttle
                .check(&Subjects::new("fresh", "10.0.0.8"), 6)
                .is_ok()
        );
    }
}
