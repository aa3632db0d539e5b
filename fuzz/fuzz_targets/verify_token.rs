//! The token verification path, with an oracle: whatever the bytes, `verify`
//! never panics, and it accepts a token only if our key signed it and every
//! claim is right.
//!
//! The first input byte picks the mode. `0`: the rest is the token, as an
//! attacker without our key would send it. Anything else: the rest is a JOSE
//! header and a claims set (split at the first `0xFF`) that the target signs
//! with the real key, so the fuzzer explores what a *validly signed* token
//! may contain (wrong `alg`, missing claims, odd types, expired, foreign
//! `iss`…), which an attacker gets if they ever hold a leaked token to edit.

#![no_main]

use std::sync::LazyLock;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{Signer, SigningKey};
use libfuzzer_sys::fuzz_target;
use server::{
    auth::{keys::KeyStore, sealing::Kek, tokens},
    db::{self, audit},
};
use serde_json::Value;

const ISSUER: &str = "https://backstage.example";
const SEED: [u8; 32] = [7; 32];
const KID: &str = "fuzz-key";

struct Fixture {
    keys: KeyStore,
    verification: tokens::Verification,
    signer: SigningKey,
    _folder: tempfile::TempDir,
}

/// A key store holding one key whose seed we know, loaded the way the server loads it.
static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}/fuzz.db", folder.path().display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let signer = SigningKey::from_bytes(&SEED);
    let keys = runtime.block_on(async {
        let pool = db::connect(&url).await.unwrap();
        let mut pkcs8 = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        pkcs8.extend_from_slice(&SEED);
        let kek = std::sync::Arc::new(Kek::generate());
        let now = server::clock::now();
        let row = db::keys::KeyRow {
            kid: KID.into(),
            private_key: kek.seal(KID, &pkcs8),
            public_key: URL_SAFE_NO_PAD.encode(signer.verifying_key().to_bytes()),
            created_at: now,
            activates_at: now,
            retired_at: None,
        };
        let event = audit::Event {
            kind: audit::EventKind::SigningKeyRotated,
            origin: &audit::Origin::system(),
            subject_id: None,
            detail: serde_json::json!({}),
        };
        db::keys::install(&pool, &row, true, &event).await.unwrap();
        KeyStore::load(&pool, std::time::Duration::from_secs(300), kek).await.unwrap()
    });
    let verification = tokens::Verification::new(ISSUER, std::time::Duration::from_secs(300));
    Fixture { keys, verification, signer, _folder: folder }
});

fn signed_token(header: &[u8], claims: &[u8]) -> String {
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
    let signature = FIXTURE.signer.sign(signing_input.as_bytes()).to_bytes();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// What must hold of a token that `verify` accepted at `now`.
fn assert_acceptable(header: &[u8], claims: &[u8], now: i64) {
    let header: Value = serde_json::from_slice(header).expect("accepted a header that is not JSON");
    let claims: Value = serde_json::from_slice(claims).expect("accepted claims that are not JSON");
    assert_eq!(header["alg"], "EdDSA", "accepted another algorithm");
    assert_eq!(header["kid"], KID, "accepted an unknown kid");
    assert_eq!(claims["iss"], ISSUER, "accepted a foreign issuer");
    let audience_ok = claims["aud"] == ISSUER
        || claims["aud"].as_array().is_some_and(|list| list.iter().any(|aud| aud == ISSUER));
    assert!(audience_ok, "accepted a foreign audience");
    let leeway = tokens::LEEWAY_SECS as f64;
    let time = |name: &str| claims[name].as_f64().unwrap_or_else(|| panic!("accepted without a numeric {name}"));
    let now = now as f64;
    assert!(time("exp") > now, "accepted an expired token");
    assert!(time("nbf") - leeway <= now, "accepted a token before nbf");
    assert!(time("iat") - leeway <= now, "accepted a token issued in the future");
    assert!(time("exp") - time("iat") <= 300.0 + leeway, "accepted a lifetime longer than ours");
    assert!(["drummer", "manager"].contains(&claims["role"].as_str().unwrap()), "accepted an unknown role");
    for name in ["sub", "sid", "jti", "preferred_username"] {
        assert!(claims[name].is_string(), "accepted without {name}");
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else { return };
    let keys = FIXTURE.keys.current();
    let now = server::clock::now();
    if mode == 0 {
        let token = String::from_utf8_lossy(rest);
        let result = tokens::verify(&keys, &FIXTURE.verification, &token, now);
        assert!(result.is_err(), "accepted a token nobody signed: {token}");
        return;
    }
    let split = rest.iter().position(|&b| b == 0xFF).unwrap_or(rest.len());
    let (header, claims) = (&rest[..split], rest.get(split + 1..).unwrap_or_default());
    if tokens::verify(&keys, &FIXTURE.verification, &signed_token(header, claims), now).is_ok() {
        assert_acceptable(header, claims, now);
    }
});
