//! Password hashing with argon2id at OWASP's parameters (m = 19456 KiB, t = 2,
//! p = 1: argon2 0.5's defaults). Hashing is slow and takes 19 MiB on purpose
//! (cost per login: README, Performance), so it runs on dedicated hashing
//! threads (one per core), never on the async runtime's workers: a login
//! never blocks the threads that answer other requests. Each hashing thread
//! keeps its argon2 memory between logins (`MEMORY`), an optimisation a first
//! read can skip.

use std::{
    cell::RefCell,
    sync::{LazyLock, Mutex, mpsc},
    thread,
};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, Version,
    password_hash::{Output, SaltString, rand_core::OsRng},
};

use zeroize::{Zeroize, Zeroizing};

use super::error::{AuthError, AuthResult};

/// Verified against when the username is unknown, so that an unknown user and
/// a wrong password cost the same time (stops user enumeration by timing).
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_now("not-a-real-password").expect("argon2 with default parameters"));

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

thread_local! {
    /// argon2's working memory, kept by each hashing thread between logins.
    /// Allocating 19 MiB afresh for every hash page-faults it all in again, a
    /// large share of the hash's CPU (`cargo bench -p server --bench tokens`);
    /// the peak memory is the same either way.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// What `PasswordVerifier::verify_password` does, but in this thread's
/// reused memory: recompute the hash with the stored parameters and salt,
/// then compare in constant time (`Output`'s equality).
fn verify_now(password: &[u8], phc: &str) -> Result<bool, argon2::password_hash::Error> {
    let stored = PasswordHash::new(phc)?;
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
        return Err(argon2::password_hash::Error::PhcStringField);
    };
    let params = Params::try_from(&stored)?;
    let argon2 = Argon2::new(
        Algorithm::try_from(stored.algorithm)?,
        Version::try_from(stored.version.unwrap_or(0x13))?,
        params.clone(),
    );
    let mut salt_bytes = [0u8; argon2::password_hash::Salt::MAX_LENGTH];
    let salt = salt.decode_b64(&mut salt_bytes)?;
    let mut computed = [0u8; Output::MAX_LENGTH];
    let computed = &mut computed[..expected.len()];
    MEMORY.with_borrow_mut(|memory| {
        memory.resize(params.block_count(), Block::default());
        let hashed =
            argon2.hash_password_into_with_memory(password, salt, computed, &mut memory[..]);
        // The blocks are derived from the password: wiped, not left for the
        // next reader of this memory (a core dump, a swap file).
        memory.iter_mut().for_each(Zeroize::zeroize);
        hashed
    })?;
    Ok(Output::new(computed)? == expected)
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads, fed through one queue.
static WORKERS: LazyLock<mpsc::Sender<Job>> = LazyLock::new(|| {
    let (sender, receiver) = mpsc::channel::<Job>();
    let receiver = std::sync::Arc::new(Mutex::new(receiver));
    for n in 0..thread::available_parallelism().map_or(1, |n| n.get()) {
        let receiver = receiver.clone();
        thread::Builder::new()
            .name(format!("argon2-{n}"))
            .spawn(move || {
                loop {
                    let job = receiver.lock().expect("hashing queue lock").recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })
            .expect("a hashing thread");
    }
    sender
});

/// Runs `work` on a hashing thread and awaits its result.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> AuthResult<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    WORKERS
        .send(Box::new(move || {
            let _ = done.send(work());
        }))
        .map_err(|_| AuthError::HashersStopped)?;
    result.await.map_err(|_| AuthError::HashersStopped)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: String) -> AuthResult<String> {
    let password = Zeroizing::new(password);
    off_runtime(move || hash_now(&password))
        .await?
        .map_err(AuthError::Hashing)
}

/// Checks `password` against `stored`, or against the dummy hash when there
/// is no such user; either way the same work is done.
pub async fn verify(password: String, stored: Option<String>) -> AuthResult<bool> {
    let password = Zeroizing::new(password);
    off_runtime(move || {
        let phc = stored.as_deref().unwrap_or(DUMMY_HASH.as_str());
        let matches = verify_now(password.as_bytes(), phc).map_err(AuthError::Hashing)?;
        Ok(matches && stored.is_some())
    })
    .await?
}

/// Builds the dummy hash now rather than during the first login.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify("correct horse".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse".into(), Some(phc)).await.unwrap());
    }

    #[tokio::test]
    async fn a_hash_made_with_other_parameters_still_verifies() {
        // Hashes from before a change of parameters keep working.
        let params = Params::new(8192, 1, 1, Some(24)).unwrap();
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"old password", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(
            verify("old password".into(), Some(old.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("old passworD".into(), Some(old)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_dummy_password() {
        assert!(!verify("not-a-real-password".into(), None).await.unwrap());
    }
}
