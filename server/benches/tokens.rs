//! Micro-benchmarks of the token hot path: signing an access token, and what
//! every API request pays before its query — verifying the token, checking
//! the revocation cut-offs and the role.
//!
//! `cargo bench -p server --bench tokens` (also: the argon2id floor of a login)

use std::borrow::Borrow;

use app::api::Role;
use server::{
    auth::{
        keys::KeyStore,
        recent,
        revocation::Revocations,
        sealing::Kek,
        tokens::{self, NewToken},
    },
    clock::{now, now_ms},
    db,
};

fn main() {
    divan::main();
}

struct Fixture {
    keys: KeyStore,
    verification: tokens::Verification,
    revocations: Revocations,
    token: String,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}/bench.db", folder.path().display());
    let keys = runtime.block_on(async {
        let pool = db::connect(&url).await.unwrap();
        let kek = std::sync::Arc::new(Kek::generate());
        KeyStore::load(&pool, std::time::Duration::from_secs(300), kek)
            .await
            .unwrap()
    });
    let token = tokens::issue(&keys.current(), new_token(now_ms())).unwrap();
    let revocations = Revocations::default();
    // Realistic lists: some other members and sessions were revoked recently.
    for i in 0..50 {
        revocations.record_member(&format!("someone-else-{i}"), now_ms());
        revocations.record_sessions([format!("session-{i}").as_str()], now_ms());
    }
    Fixture {
        keys,
        verification: tokens::Verification::new(
            "https://backstage.example",
            std::time::Duration::from_secs(300),
        ),
        revocations,
        token,
    }
}

fn new_token(now_ms: i64) -> NewToken<'static> {
    NewToken {
        issuer: "https://backstage.example",
        user_id: "0b7e4a52-64b6-4c5c-9d8b-3f1f4f0c2a11",
        username: "manager",
        name: "Max the Manager",
        role: Role::Manager,
        session_id: "6f1d2c3b-8a9e-4f70-b1c2-d3e4f5a6b7c8",
        issued_at_ms: now_ms,
        ttl_secs: 300,
        session_expires_at: now_ms / 1000 + 30 * 24 * 3600,
    }
}

#[divan::bench]
fn sign(bencher: divan::Bencher) {
    let fixture = fixture();
    let keys = fixture.keys.current();
    bencher.bench(|| tokens::issue(&keys, new_token(divan::black_box(now_ms()))).unwrap());
}

/// What every authenticated request pays on its first use of a token: the
/// signature and claims, then the revocation cut-offs and the role.
#[divan::bench]
fn verify_and_authorize(bencher: divan::Bencher) {
    verify_then_authorize(bencher, |f, token| {
        tokens::verify(&f.keys.current(), &f.verification, token, now()).unwrap()
    });
}

/// The same for a token this thread verified before (`auth::recent`).
#[divan::bench]
fn verify_and_authorize_remembered(bencher: divan::Bencher) {
    verify_then_authorize(bencher, |f, token| {
        recent::verify(&f.keys.current(), &f.verification, token, now()).unwrap()
    });
}

fn verify_then_authorize<V: Borrow<tokens::Verified>>(
    bencher: divan::Bencher,
    verify: impl Fn(&Fixture, &str) -> V + Sync,
) {
    let fixture = fixture();
    bencher.bench(|| {
        let verified = verify(&fixture, divan::black_box(&fixture.token));
        authorize(&fixture, verified.borrow())
    });
}

fn authorize(fixture: &Fixture, verified: &tokens::Verified) -> bool {
    assert!(!fixture.revocations.is_revoked(verified));
    verified.role == Role::Manager
}

/// The floor for a login's CPU: one bare argon2id verification at the same
/// parameters; on one thread, and on two at once (as under the load
/// benchmark, where both cores hash and share the memory bandwidth).
#[divan::bench(threads = [1, 2])]
fn argon2id_verify_floor(bencher: divan::Bencher) {
    use argon2::{
        Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString,
    };
    let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").unwrap();
    let phc = Argon2::default()
        .hash_password(b"backstage-pass-1", &salt)
        .unwrap()
        .to_string();
    let parsed = PasswordHash::new(&phc).unwrap();
    bencher.bench(|| {
        Argon2::default()
            .verify_password(b"backstage-pass-1", &parsed)
            .is_ok()
    });
}
