//! The key-encryption key (KEK): the one secret that never enters the
//! database, so that a copy of the database (a backup, a dump, a stolen
//! disk) cannot mint tokens.
//!
//! - Private signing keys are sealed with it at rest (XChaCha20-Poly1305, an
//!   AEAD: tampering is detected), with the key's `kid` bound as associated
//!   data, so a sealed key copied onto another key's row does not open.
//! - Refresh-token successors are derived from it (`successor_secret`), so the
//!   server can hand the same successor out again without storing it.
//!
//! It comes from `BACKSTAGE_KEK` (base64, 32 bytes) or from the file named by
//! `BACKSTAGE_KEK_FILE`; production refuses to start without one. Development
//! creates a file next to the database, readable by its owner only.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// Where the KEK comes from (see `Config::kek`).
#[derive(Clone, PartialEq, Eq)]
pub enum KekSource {
    /// `BACKSTAGE_KEK`: the key itself, base64.
    Inline(String),
    /// `BACKSTAGE_KEK_FILE`: a file that must exist.
    File(PathBuf),
    /// Development without either: this file, created when missing.
    CreateIfMissing(PathBuf),
}

/// Never prints the key itself (a `Config` may be logged).
impl std::fmt::Debug for KekSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KekSource::Inline(_) => f.write_str("Inline(<redacted>)"),
            KekSource::File(path) => write!(f, "File({})", path.display()),
            KekSource::CreateIfMissing(path) => write!(f, "CreateIfMissing({})", path.display()),
        }
    }
}

/// Sealed values start with this, so a plain (pre-sealing) key is recognised.
const SEALED_PREFIX: &str = "v1.";
const NONCE_BYTES: usize = 24;

pub struct Kek {
    key: Zeroizing<[u8; 32]>,
}

#[derive(Debug)]
pub struct SealError(pub String);

impl std::fmt::Display for SealError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SealError {}

impl Kek {
    pub fn load(source: &KekSource) -> Result<Kek, SealError> {
        match source {
            KekSource::Inline(text) => Kek::parse(text, "BACKSTAGE_KEK"),
            KekSource::File(path) => read_file(path),
            KekSource::CreateIfMissing(path) if path.exists() => read_file(path),
            KekSource::CreateIfMissing(path) => {
                let kek = Kek::generate();
                kek.write_new_file(path)?;
                tracing::warn!(path = %path.display(),
                    "created a key-encryption key for development (owner-only); production needs BACKSTAGE_KEK_FILE");
                Ok(kek)
            }
        }
    }

    pub fn generate() -> Kek {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).expect("the OS random number generator");
        Kek { key }
    }

    fn parse(text: &str, from: &str) -> Result<Kek, SealError> {
        let mut bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| SealError(format!("{from}: the key-encryption key is not base64")))?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SealError(format!("{from}: the key-encryption key must be 32 bytes")))?;
        bytes.zeroize();
        Ok(Kek {
            key: Zeroizing::new(key),
        })
    }

    /// Writes the key to a new file that only its owner can read.
    pub fn write_new_file(&self, path: &Path) -> Result<(), SealError> {
        let failed = |e: std::io::Error| SealError(format!("{}: {e}", path.display()));
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(folder).map_err(failed)?;
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(failed)?;
        let text = Zeroizing::new(STANDARD.encode(self.key.as_slice()));
        writeln!(file, "{}", text.as_str()).map_err(failed)?;
        file.sync_all().map_err(failed)
    }

    /// Seals `secret` for the row of `kid`: `v1.` + base64(nonce ‖ ciphertext).
    pub fn seal(&self, kid: &str, secret: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the OS random number generator");
        let sealed = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: kid.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any message of this size");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", STANDARD.encode(out))
    }

    /// Opens what `seal` made for the same `kid`; fails on any tampering,
    /// on another row's value, and under another KEK.
    pub fn open(&self, kid: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let refused = || SealError(format!("signing key {kid} does not open with this KEK"));
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|bytes| bytes.len() > NONCE_BYTES)
            .ok_or_else(refused)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| refused())?;
        self.cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: kid.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| refused())
    }

    /// The MAC key of refresh-token successors, derived so that the KEK
    /// itself is used for one purpose only.
    pub fn successor_secret(&self) -> Zeroizing<[u8; 32]> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(b"backstage refresh-token successors v1");
        Zeroizing::new(mac.finalize().into_bytes().into())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.key.as_slice().into())
    }
}

/// True for a value that `seal` made (rather than a plain key from before sealing).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED_PREFIX)
}

/// True for a value stored before sealing existed (see `KeyStore::load`);
/// empty is an erased key, neither plain nor sealed.
pub fn is_plain(private_key: &str) -> bool {
    !private_key.is_empty() && !is_sealed(private_key)
}

fn read_file(path: &Path) -> Result<Kek, SealError> {
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| {
        SealError(format!(
            "cannot read the key-encryption key {}: {e}",
            path.display()
        ))
    })?);
    Kek::parse(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_for_its_kid_and_under_its_kek() {
        let kek = Kek::generate();
        let sealed = kek.seal("kid-1", b"private");

        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("private"));
        assert_eq!(kek.open("kid-1", &sealed).unwrap().as_slice(), b"private");
        assert!(kek.open("kid-2", &sealed).is_err(), "bound to its kid");
        assert!(
            Kek::generate().open("kid-1", &sealed).is_err(),
            "another KEK"
        );
        let mut tampered = sealed.clone();
        tampered.replace_range(10..11, if &sealed[10..11] == "A" { "B" } else { "A" });
        assert!(
            kek.open("kid-1", &tampered).is_err(),
            "tampering is detected"
        );
    }

    #[test]
    fn a_kek_file_round_trips_and_is_owner_only() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("sub/backstage.kek");
        let created = Kek::load(&KekSource::CreateIfMissing(path.clone())).unwrap();
        let read = Kek::load(&KekSource::File(path.clone())).unwrap();

        assert_eq!(created.key.as_slice(), read.key.as_slice());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(Kek::load(&KekSource::Inline("c2hvcnQ=".into())).is_err());
    }
}
