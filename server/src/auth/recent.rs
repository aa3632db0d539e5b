//! Tokens this thread verified recently, so a client's next request with the
//! same token skips the signature check.
//!
//! Verifying an Ed25519 signature and parsing the claims is the largest cost
//! of an authenticated read (figures: README, Performance), and a client
//! sends the same access token for minutes. Each worker thread keeps a small direct-mapped table
//! (no lock, no sharing between threads) from the exact token text to what it
//! said. A hit still checks, on every request, what can change while a token
//! is remembered: its expiry, and, in the caller, revocation (a role change
//! is a member cut-off, so it arrives as a revocation).
//!
//! Why this is safe: an entry is only made from a token that passed full
//! verification, and a hit needs the byte-for-byte same token (compared in
//! constant time, so timing cannot reveal a remembered token), verified under
//! the same key set (`Arc::ptr_eq`; a new key snapshot, swapped in only when
//! the kids change, makes every entry miss).

//!
//! This is an optimisation a first read can skip: `tokens::verify` is the rule.

use std::{cell::RefCell, sync::Arc};

use subtle::ConstantTimeEq;

use super::error::{AuthError, AuthResult};
use super::{
    keys::KeySet,
    tokens::{self, Verification, Verified},
};

/// Entries per thread: more than the clients one thread serves at once.
const SLOTS: usize = 64;

struct Entry {
    token: Box<str>,
    keys: Arc<KeySet>,
    verified: Arc<Verified>,
}

thread_local! {
    static RECENT: RefCell<[Option<Entry>; SLOTS]> = const { RefCell::new([const { None }; SLOTS]) };
}

/// `tokens::verify`, answered from this thread's recent tokens when possible.
pub fn verify(
    keys: &Arc<KeySet>,
    rules: &Verification,
    token: &str,
    now: i64,
) -> AuthResult<Arc<Verified>> {
    let slot = slot_of(token);
    let remembered = RECENT.with_borrow(|recent| {
        recent[slot]
            .as_ref()
            .filter(|entry| {
                Arc::ptr_eq(&entry.keys, keys)
                    && entry.token.len() == token.len()
                    && bool::from(entry.token.as_bytes().ct_eq(token.as_bytes()))
            })
            .map(|entry| entry.verified.clone())
    });
    if let Some(verified) = remembered {
        if verified.is_expired(now) {
            return Err(AuthError::InvalidToken);
        }
        return Ok(verified);
    }
    let verified = Arc::new(tokens::verify(keys, rules, token, now)?);
    RECENT.with_borrow_mut(|recent| {
        recent[slot] = Some(Entry {
            token: token.into(),
            keys: keys.clone(),
            verified: verified.clone(),
        });
    });
    Ok(verified)
}

/// The slot is picked by the token's last bytes, which are signature bytes:
/// spread evenly, and free to read.
fn slot_of(token: &str) -> usize {
    let tail = token.as_bytes().iter().rev().take(4);
    tail.fold(0usize, |hash, &byte| {
        hash.wrapping_mul(31).wrapping_add(byte as usize)
    }) % SLOTS
}
