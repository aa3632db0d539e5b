//! Failed-login throttling: stops online password guessing (brute force and
//! credential stuffing). Failures are counted in fixed windows against three
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
//! The counts live in this instance's memory. With several instances behind a
//! load balancer each counts on its own, so an attacker gets at most
//! `instances × limit` guesses per window: still a small, bounded number, and
//! it needs no shared store on the login path.

use std::{collections::HashMap, net::IpAddr, sync::Mutex};

pub const PAIR_LIMIT: u32 = 5;
pub const USERNAME_LIMIT: u32 = 50;
pub const ADDRESS_LIMIT: u32 = 100;
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
    pair: String,
    username: String,
    address: String,
}

impl Subjects {
    pub fn new(username: &str, address: &str) -> Subjects {
        let username = username.to_lowercase();
        let address = address_block(address);
        Subjects {
            pair: format!("pair:{address} {username}"),
            username: format!("user:{username}"),
            address: format!("addr:{address}"),
        }
    }

    fn each(&self) -> [(&str, u32); 3] {
        [
            (&self.pair, PAIR_LIMIT),
            (&self.username, USERNAME_LIMIT),
            (&self.address, ADDRESS_LIMIT),
        ]
    }
}

/// An IPv6 client usually holds a whole /64, so its addresses count as one:
/// otherwise every guess could come from a fresh address.
fn address_block(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        _ => address.to_string(),
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

    /// A correct password clears the account's counts (not the address's:
    /// an attacker who owns one account must not reset their budget with it).
    pub fn record_success(&self, subjects: &Subjects) {
        let mut failures = self.failures.lock().expect("throttle lock poisoned");
        failures.remove(&subjects.pair);
        failures.remove(&subjects.username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_guess_from_one_address_at_one_account_waits_for_the_window() {
        let throttle = LoginThrottle::default();
        let subjects = Subjects::new("Drummer", "10.0.0.1");
        for _ in 0..PAIR_LIMIT {
            assert!(throttle.check(&subjects, 100).is_ok());
            throttle.record_failure(&subjects, 100);
        }
        assert_eq!(throttle.check(&subjects, 100), Err(WINDOW_SECS as u64));
        // The username is case-folded.
        assert!(
            throttle
                .check(&Subjects::new("drummer", "10.0.0.1"), 101)
                .is_err()
        );
        // The member, elsewhere, is not locked out by someone else's guesses.
        assert!(
            throttle
                .check(&Subjects::new("drummer", "10.0.0.2"), 101)
                .is_ok()
        );
        assert!(throttle.check(&subjects, 100 + WINDOW_SECS).is_ok());
    }

    #[test]
    fn an_account_guessed_at_from_many_addresses_is_throttled() {
        let throttle = LoginThrottle::default();
        for i in 0..USERNAME_LIMIT {
            throttle.record_failure(&Subjects::new("manager", &format!("10.1.0.{i}")), 5);
        }
        assert!(
            throttle
                .check(&Subjects::new("manager", "10.2.0.1"), 6)
                .is_err()
        );
        assert!(
            throttle
                .check(&Subjects::new("drummer", "10.2.0.1"), 6)
                .is_ok()
        );
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

    #[test]
    fn a_correct_password_clears_the_accounts_counts_but_not_the_addresss() {
        let throttle = LoginThrottle::default();
        let subjects = Subjects::new("drummer", "10.0.0.1");
        for _ in 0..PAIR_LIMIT - 1 {
            throttle.record_failure(&subjects, 5);
        }
        throttle.record_success(&subjects);
        throttle.record_failure(&subjects, 5);
        assert!(
            throttle.check(&subjects, 6).is_ok(),
            "the count started again"
        );
        let failures = throttle.failures.lock().unwrap();
        let before_and_after_the_success = (PAIR_LIMIT - 1) + 1;
        assert_eq!(
            failures["addr:10.0.0.1"].count,
            before_and_after_the_success
        );
    }

    #[test]
    fn the_addresses_of_one_ipv6_block_count_as_one() {
        let throttle = LoginThrottle::default();
        for i in 0..ADDRESS_LIMIT {
            let address = format!("2001:db8:1:2::{i:x}");
            throttle.record_failure(&Subjects::new(&format!("user{i}"), &address), 5);
        }
        let same_block = Subjects::new("fresh", "2001:db8:1:2:ffff::1");
        assert!(throttle.check(&same_block, 6).is_err());
        let next_block = Subjects::new("fresh", "2001:db8:1:3::1");
        assert!(throttle.check(&next_block, 6).is_ok());
    }
}
