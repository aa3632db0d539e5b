//! Persisted signing keys. The private half never leaves the server.

use sqlx::FromRow;

use super::{
    Pool,
    audit::{self, Event},
};

#[derive(Clone, Debug, FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub private_key: String,
    pub public_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// Keys that may still have live tokens: the signer and those retired after `since`.
pub async fn verifying(pool: &Pool, since: i64) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kid, private_key, public_key, created_at, retired_at FROM signing_keys \
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC, kid",
    )
    .bind(since)
    .fetch_all(pool)
    .await
}

/// Makes `key` the signer and retires every other key, atomically.
pub async fn install_signer(
    pool: &Pool,
    key: &KeyRow,
    event: &Event<'_>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_key, public_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&key.kid)
    .bind(&key.private_key)
    .bind(&key.public_key)
    .bind(key.created_at)
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, event, key.created_at).await?;
    tx.commit().await
}

/// A cheap fingerprint of the key table, polled to notice rotations made elsewhere.
pub async fn generation(pool: &Pool) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(created_at), 0) FROM signing_keys")
        .fetch_one(pool)
        .await
}
