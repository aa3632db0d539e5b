//! The database: one connection pool for SQLite or PostgreSQL (chosen by the
//! URL's scheme), migrations embedded in the binary, and one module of queries
//! per table group. Handlers never write SQL; they call these functions.
//!
//! The SQL is written once for both databases: `$n` placeholders, TEXT ids,
//! BIGINT unix-second timestamps.

pub mod audit;
pub mod changes;
pub mod group_commit;
pub mod keys;
pub mod library;
pub mod patch_batch;
pub mod refresh;
pub mod refresh_batch;
pub mod revoke;
pub mod setlists;
pub mod spend;
pub mod spender;
pub mod throttle;
pub mod users;

use std::{path::Path, time::Duration};

use bytes::Bytes;
use sqlx::{
    AnyConnection, AnyPool, Executor,
    any::{AnyPoolOptions, install_default_drivers},
};

pub type Pool = AnyPool;

/// What a query can fail with, sorted for the layers above: a database that is
/// away or overloaded (worth a retry, a 503 at the HTTP edge) or anything else
/// (a bug, a 500). The sqlx error stays attached as the source.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("a database query failed")]
    Query(#[source] sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            DbError::Unavailable(error)
        } else {
            DbError::Query(error)
        }
    }
}

impl From<sqlx::migrate::MigrateError> for DbError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        DbError::Query(error.into())
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// PostgreSQL, where several connections write at once and row locks order
/// them; SQLite runs one writer at a time, so its queries need none.
pub fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name() == "PostgreSQL"
}

/// How long a request waits for a connection before it is answered 503. A
/// database that is down or saturated fails requests fast instead of holding
/// them (and the client) for the pool's default 30 s; the wait includes
/// reconnecting, so a restarted database is picked up by the next request.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Connects, creating a missing SQLite file (and its folder), and migrates.
pub async fn connect(url: &str) -> DbResult<Pool> {
    install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    let url = if sqlite {
        prepare_sqlite_file(url)?
    } else {
        url.to_string()
    };
    let pool = AnyPoolOptions::new()
        // SQLite lets one connection write at a time; others that try spin
        // in its busy handler, sleeping 1, 2, 5, 10… ms. One connection turns
        // that into an orderly queue of async waiters and keeps one warm page
        // cache. Reads queue too, but the hot ones are served from memory
        // (`read_cache`, remembered tokens); README's "Performance" has the
        // figures. So never ask the pool for a second connection
        // while holding one (pass the transaction down instead): it would
        // wait for itself until `acquire_timeout` fails the request.
        .max_connections(if sqlite { 1 } else { 16 })
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A pooled PostgreSQL connection can die with the network, so it is
        // pinged before use; an embedded SQLite connection cannot, and the
        // ping would cost a round trip to its worker thread on every query.
        .test_before_acquire(!sqlite)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    // WAL lets readers run while one writer commits. FULL
                    // syncs the log at every commit, so a write that was
                    // answered 2xx survives a power cut too, not only a crash
                    // of the process (NORMAL's promise); the group commit of
                    // refreshes shares one sync among a batch.
                    // Temporary tables (the refresh batch) live in memory, not
                    // in files opened and closed for every batch.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                         PRAGMA temp_store = MEMORY;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Makes sure the folder exists and asks SQLite to create the file (`mode=rwc`).
fn prepare_sqlite_file(url: &str) -> Result<String, sqlx::Error> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    let folder = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = folder.filter(|_| path != ":memory:") {
        std::fs::create_dir_all(dir)?;
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// True when `error` says the database is away or overloaded — worth a
/// `503` and a retry — rather than a bug in a query (a `500`).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    use sqlx::Error::*;
    match error {
        PoolTimedOut | PoolClosed | Io(_) | Tls(_) | Protocol(_) | WorkerCrashed => true,
        Database(e) => e.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs for a lost or refused connection, a shutdown and
/// exhausted resources; SQLite's primary codes for busy, locked, I/O, full,
/// cannot open, and the locking protocol (the WAL index's locks held by a
/// process that hung or died holding them: SQLite gives up after retrying).
fn unavailable_code(code: &str) -> bool {
    const POSTGRES: [&str; 5] = ["08", "53", "57P01", "57P02", "57P03"];
    if POSTGRES.iter().any(|prefix| code.starts_with(prefix)) {
        return true;
    }
    // SQLite reports extended codes; the primary code is the low byte.
    code.parse::<i32>()
        .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6 | 10 | 13 | 14 | 15))
}

/// Why a backup was not written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// PostgreSQL has its own tools (`pg_dump`), which see every table.
    #[error("this is a PostgreSQL database: back it up with pg_dump (see README, Operations)")]
    NotSqlite,
    /// The target exists: a backup never overwrites anything.
    #[error("{} exists; choose a new file", .0.display())]
    Exists(std::path::PathBuf),
    #[error("cannot write the backup")]
    Io(#[source] std::io::Error),
    #[error("the backup failed")]
    Database(#[source] sqlx::Error),
}

/// Writes a consistent copy of a SQLite database to `target` while the
/// server keeps running: `VACUUM INTO` reads one snapshot (WAL lets writers
/// go on meanwhile) and writes a compact database file. The file is created
/// owner-only first (it holds password hashes) and removed if the copy fails.
pub async fn backup(pool: &Pool, target: &Path) -> Result<(), BackupError> {
    if pool.connect_options().database_url.scheme() != "sqlite" {
        return Err(BackupError::NotSqlite);
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(target) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::Exists(target.to_path_buf()));
        }
        Err(e) => return Err(BackupError::Io(e)),
    }
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(target.to_string_lossy().into_owned())
        .execute(pool)
        .await;
    if let Err(e) = copied {
        let _ = std::fs::remove_file(target);
        return Err(BackupError::Database(e));
    }
    Ok(())
}

/// An answer serialised once, to be sent many times.
pub fn to_json(value: &impl serde::Serialize) -> Bytes {
    serde_json::to_vec(value)
        .expect("API types serialise to JSON")
        .into()
}

/// `GET /readyz`: one round trip.
pub async fn ping(pool: &Pool) -> DbResult<()> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::unavailable_code;

    #[test]
    fn an_outage_is_told_from_a_bad_query_by_its_code() {
        // SQLite: busy, busy (recovery), locked, I/O (read), full, cannot open, locking protocol.
        for code in ["5", "261", "6", "266", "13", "14", "15"] {
            assert!(unavailable_code(code), "SQLite {code}");
        }
        // PostgreSQL: connection failure, too many connections, admin shutdown.
        for code in ["08006", "53300", "57P01"] {
            assert!(unavailable_code(code), "PostgreSQL {code}");
        }
        // A constraint, a syntax error, a misuse: the query's fault, a 500.
        for code in ["19", "2067", "1", "21", "23505", "42601"] {
            assert!(!unavailable_code(code), "{code}");
        }
    }
}
