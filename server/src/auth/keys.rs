//! The signing key set: one active Ed25519 key signs new access tokens; every
//! key that may still have live tokens verifies them and is published in the
//! JWKS. Keys live in the database, so they survive restarts and are shared by
//! every instance; each instance reloads them when told a key changed and
//! re-reads them at least every `sync::LONGEST_KEY_POLL` (`crate::sync`).
//!
//! A key's life:
//! 1. **Published** (`rotate`): it is in the JWKS and verifies, but does not
//!    sign yet, for `PUBLISH_AHEAD`: longer than a verifier may cache our
//!    JWKS plus our own sync interval, so nobody meets a token of a key they
//!    have not heard of.
//! 2. **Signing** from `activates_at`. Its private half is stored sealed
//!    (`sealing`): a database dump alone cannot sign.
//! 3. **Retired** when the next key activates: its private half is erased
//!    from the database, and it keeps verifying until its last token expires.
//!
//! An emergency rotation skips step 1 and **revokes** every older key at
//! once: their tokens are refused (browsers recover by a silent refresh).

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{Signer as _, SigningKey};
use jsonwebtoken::DecodingKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::sealing::{Kek, SealError};
use crate::{
    clock::{now, now_ms},
    db::{
        self, DbError, Pool,
        audit::{AuditKind, Event, Origin},
        keys::KeyRow,
    },
};

/// How long verifiers may cache our JWKS (its `Cache-Control: max-age`).
pub const JWKS_MAX_AGE_SECS: i64 = 60;
/// The JWKS answer's `Cache-Control`; must say `JWKS_MAX_AGE_SECS` (tested).
pub const JWKS_CACHE_CONTROL: &str = "public, max-age=60";

/// A new key is published this long before it signs: the JWKS cache
/// lifetime, the sync interval, and a margin for clock skew.
pub const PUBLISH_AHEAD_SECS: i64 = JWKS_MAX_AGE_SECS + 15;

/// PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410): this prefix, then 32 bytes.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

pub struct Signer {
    pub kid: String,
    /// Parsed once. jsonwebtoken's `encode` would re-read the PKCS#8 key and
    /// derive its public half again on every call, work as large as the
    /// signature itself (`cargo bench -p server --bench tokens`; figures in
    /// README, Performance).
    key: SigningKey,
}

impl Signer {
    /// A compact JWS (RFC 7515): base64url(header).base64url(claims).base64url(signature).
    /// `header.alg` must be EdDSA; the verifier pins it anyway. (Any header
    /// that serialises, so that tests can forge the ones `Header` cannot.)
    pub fn sign(
        &self,
        header: &impl Serialize,
        claims: &impl Serialize,
    ) -> serde_json::Result<String> {
        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header)?);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims)?, &mut token);
        let signature = self.key.sign(token.as_bytes());
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature.to_bytes(), &mut token);
        Ok(token)
    }
}

/// An immutable snapshot; a change of keys swaps in a new one.
pub struct KeySet {
    pub signer: Signer,
    pub verifiers: HashMap<String, DecodingKey>,
    /// The public JWK Set, serialised once.
    pub jwks: Arc<str>,
    /// The signer's kid, then every verifier's (not a digest): a sync that
    /// rebuilds the same list keeps the current snapshot (and the tokens
    /// remembered under it).
    kids: Vec<String>,
}

pub struct KeyStore {
    current: RwLock<Arc<KeySet>>,
    kek: Arc<Kek>,
    /// Keys retired longer ago than this have no live tokens left.
    access_ttl: Duration,
    /// When a token with an unknown kid last made us re-read the keys.
    last_unknown_kid_reload_ms: AtomicI64,
    /// Held from reading the keys to swapping them in.
    syncing: tokio::sync::Mutex<()>,
}

/// Why the keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing keys: cannot read or write them")]
    Database(#[from] DbError),
    #[error("signing keys: {0}")]
    Sealing(#[from] SealError),
    #[error("signing keys: {0}")]
    Invalid(String),
}

/// When a rotation's new key starts to sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// After `PUBLISH_AHEAD_SECS`; older keys verify until their tokens expire.
    Scheduled,
    /// At once, and every older key is revoked: for a key that leaked.
    Emergency,
}

impl KeyStore {
    /// Loads the keys, sealing any stored before sealing existed and creating
    /// the first signer if the database has none.
    pub async fn load(
        pool: &Pool,
        access_ttl: Duration,
        kek: Arc<Kek>,
    ) -> Result<KeyStore, KeyError> {
        for (kid, plain) in db::keys::unsealed(pool).await? {
            let pkcs8 = Zeroizing::new(
                base64::engine::general_purpose::STANDARD
                    .decode(&plain)
                    .map_err(|_| KeyError::Invalid(format!("key {kid} is not base64")))?,
            );
            db::keys::replace_private(pool, &kid, &plain, &kek.seal(&kid, &pkcs8)).await?;
            tracing::info!(%kid, "sealed a signing key stored in the clear");
        }
        if db::keys::count(pool).await? == 0 {
            install(pool, &kek, &Origin::system(), Rotation::Emergency).await?;
        }
        let set = read_key_set(pool, &kek, access_ttl).await?;
        Ok(KeyStore {
            current: RwLock::new(Arc::new(set)),
            kek,
            access_ttl,
            last_unknown_kid_reload_ms: AtomicI64::new(0),
            syncing: tokio::sync::Mutex::new(()),
        })
    }

    pub fn current(&self) -> Arc<KeySet> {
        self.current.read().expect("key lock poisoned").clone()
    }

    /// Re-reads the whole key set (opening the signer's key, erasing the
    /// private halves of keys that stopped signing); swaps the snapshot only
    /// when the signer or the set of kids changed.
    pub async fn sync(&self, pool: &Pool) -> Result<(), KeyError> {
        // One sync at a time: two overlapping ones could swap in the older
        // read last, trusting a revoked key again until the next sync.
        let _one_at_a_time = self.syncing.lock().await;
        let set = read_key_set(pool, &self.kek, self.access_ttl).await?;
        if set.kids != self.current().kids {
            *self.current.write().expect("key lock poisoned") = Arc::new(set);
        }
        Ok(())
    }

    /// A token names a kid we do not know: perhaps a key rotated elsewhere a
    /// moment ago. Re-reads the keys at most once a second (a flood of made-up
    /// kids costs one query a second); true when it did.
    pub async fn reload_for_unknown_kid(&self, pool: &Pool) -> bool {
        let now = now_ms();
        let last = self.last_unknown_kid_reload_ms.load(Ordering::Relaxed);
        if now - last < 1000
            || self
                .last_unknown_kid_reload_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return false;
        }
        match self.sync(pool).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "key reload for an unknown kid failed");
                false
            }
        }
    }

    /// Adds a new signing key (see `Rotation`) and returns its kid.
    pub async fn rotate(
        &self,
        pool: &Pool,
        origin: &Origin,
        rotation: Rotation,
    ) -> Result<String, KeyError> {
        install(pool, &self.kek, origin, rotation).await
    }
}

async fn install(
    pool: &Pool,
    kek: &Kek,
    origin: &Origin,
    rotation: Rotation,
) -> Result<String, KeyError> {
    let created_at = now();
    let activates_at = match rotation {
        Rotation::Scheduled => created_at + PUBLISH_AHEAD_SECS,
        Rotation::Emergency => created_at,
    };
    let key = generate_key(kek, created_at, activates_at);
    let event = Event {
        kind: AuditKind::SigningKeyRotated,
        origin,
        subject_id: None,
        detail: serde_json::json!({
            "kid": key.kid,
            "activates_at": activates_at,
            "emergency": rotation == Rotation::Emergency,
        }),
    };
    db::keys::install(pool, &key, rotation == Rotation::Emergency, &event).await?;
    Ok(key.kid)
}

async fn read_key_set(pool: &Pool, kek: &Kek, access_ttl: Duration) -> Result<KeySet, KeyError> {
    let now = now();
    // A small margin covers clock skew between instances.
    let oldest_live = now - access_ttl.as_secs() as i64 - 60;
    let rows = db::keys::verifying(pool, oldest_live).await?;
    let can_sign = |row: &&KeyRow| !row.private_key.is_empty();
    let signing = |row: &&KeyRow| {
        row.activates_at <= now && row.retired_at.is_none_or(|retired| retired > now)
    };
    // The newest key whose time has come; failing that (a clock behind the
    // others'), the newest that can sign at all.
    let active = rows
        .iter()
        .filter(can_sign)
        .filter(signing)
        .max_by_key(|row| row.activates_at)
        .or_else(|| {
            rows.iter()
                .filter(can_sign)
                .max_by_key(|row| row.activates_at)
        })
        .ok_or_else(|| {
            KeyError::Invalid("no key can sign; run `server rotate-keys --emergency`".into())
        })?;
    let pkcs8 = kek.open(&active.kid, &active.private_key)?;
    let seed = pkcs8
        .strip_prefix(&PKCS8_ED25519_PREFIX[..])
        .and_then(|seed| <[u8; 32]>::try_from(seed).ok())
        .map(Zeroizing::new)
        .ok_or_else(|| KeyError::Invalid(format!("key {} is not PKCS#8 Ed25519", active.kid)))?;
    let signer = Signer {
        kid: active.kid.clone(),
        key: SigningKey::from_bytes(&seed),
    };
    // A key that stopped signing loses its private half: a later dump of the
    // database (with the KEK) cannot sign with it.
    let stopped: Vec<&str> = rows
        .iter()
        .filter(can_sign)
        .filter(|row| row.kid != active.kid && row.retired_at.is_some_and(|r| r <= now))
        .map(|row| row.kid.as_str())
        .collect();
    if !stopped.is_empty() {
        db::keys::erase_private(pool, &stopped).await?;
    }
    let mut verifiers = HashMap::new();
    let mut jwks = Vec::new();
    let mut kids = vec![active.kid.clone()];
    for row in &rows {
        let key = DecodingKey::from_ed_components(&row.public_key)
            .map_err(|e| KeyError::Invalid(format!("key {}: {e}", row.kid)))?;
        verifiers.insert(row.kid.clone(), key);
        jwks.push(serde_json::json!({
            "kty": "OKP", "crv": "Ed25519", "x": row.public_key,
            "kid": row.kid, "alg": "EdDSA", "use": "sig",
        }));
        kids.push(row.kid.clone());
    }
    Ok(KeySet {
        signer,
        verifiers,
        jwks: serde_json::json!({ "keys": jwks }).to_string().into(),
        kids,
    })
}

/// A fresh Ed25519 key from the OS's randomness, its private half sealed;
/// its kid is the RFC 7638 thumbprint.
fn generate_key(kek: &Kek, created_at: i64, activates_at: i64) -> KeyRow {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).expect("the OS random number generator");
    let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let mut pkcs8 = Zeroizing::new(PKCS8_ED25519_PREFIX.to_vec());
    pkcs8.extend_from_slice(seed.as_slice());
    let x = URL_SAFE_NO_PAD.encode(public);
    let thumbprint_input = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint_input.as_bytes()));
    KeyRow {
        private_key: kek.seal(&kid, &pkcs8),
        kid,
        public_key: x,
        created_at,
        activates_at,
        retired_at: None,
    }
}

/// Re-seals every private key still stored under `new`; one transaction.
pub async fn rewrap(pool: &Pool, old: &Kek, new: &Kek) -> Result<usize, KeyError> {
    let mut rewrapped = Vec::new();
    for (kid, sealed) in db::keys::sealed(pool).await? {
        let plain = old.open(&kid, &sealed)?;
        rewrapped.push((kid.clone(), sealed, new.seal(&kid, &plain)));
    }
    db::keys::replace_all_private(pool, &rewrapped).await?;
    Ok(rewrapped.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwks_cache_lifetime_is_the_one_the_schedule_is_built_on() {
        assert_eq!(
            JWKS_CACHE_CONTROL,
            format!("public, max-age={JWKS_MAX_AGE_SECS}")
        );
        assert!(
            PUBLISH_AHEAD_SECS > JWKS_MAX_AGE_SECS + crate::sync::LONGEST_KEY_POLL.as_secs() as i64
        );
    }
}
