//! Persisted signing keys. The private half is stored sealed under the
//! key-encryption key (`auth::sealing`), which is never stored here, and is
//! erased ('') once its key stops signing.

use sqlx::FromRow;

use super::{
    DbResult, Pool,
    audit::{self, Event},
    changes::{Change, announce},
};

#[derive(Clone, Debug, FromRow)]
pub struct KeyRow {
    pub kid: String,
    /// Sealed PKCS#8 (`v1.`…), or '' once erased.
    pub private_key: String,
    /// The raw Ed25519 public key, base64url (the JWK "x").
    pub public_key: String,
    pub created_at: i64,
    /// When it starts to sign; published in the JWKS before.
    pub activates_at: i64,
    /// When the next key took over signing.
    pub retired_at: Option<i64>,
}

const COLUMNS: &str = "kid, private_key, public_key, created_at, activates_at, retired_at";

pub async fn count(pool: &Pool) -> DbResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM signing_keys")
        .fetch_one(pool)
        .await?)
}

/// Keys that may still have live tokens: never revoked, and either not
/// retired or retired after `since`.
pub async fn verifying(pool: &Pool, since: i64) -> DbResult<Vec<KeyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM signing_keys \
         WHERE revoked_at IS NULL AND (retired_at IS NULL OR retired_at > $1) \
         ORDER BY activates_at DESC, kid"
    ))
    .bind(since)
    .fetch_all(pool)
    .await?)
}

/// Adds `key`. Every older key that has not stopped signing stops when `key`
/// activates; with `revoke_others` they are revoked at once instead, and
/// their private halves erased.
pub async fn install(
    pool: &Pool,
    key: &KeyRow,
    revoke_others: bool,
    event: &Event<'_>,
) -> DbResult<()> {
    let mut tx = pool.begin().await?;
    if revoke_others {
        sqlx::query(
            "UPDATE signing_keys SET revoked_at = $1, retired_at = COALESCE(retired_at, $1), \
             private_key = '' WHERE revoked_at IS NULL",
        )
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL OR retired_at > $1",
        )
        .bind(key.activates_at)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_key, public_key, created_at, activates_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&key.kid)
    .bind(&key.private_key)
    .bind(&key.public_key)
    .bind(key.created_at)
    .bind(key.activates_at)
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, event, key.created_at).await?;
    announce(&mut tx, &Change::KeysChanged).await?;
    Ok(tx.commit().await?)
}

/// Erases the private halves of keys that no longer sign.
pub async fn erase_private(pool: &Pool, kids: &[&str]) -> DbResult<()> {
    let mut tx = pool.begin().await?;
    for kid in kids {
        sqlx::query("UPDATE signing_keys SET private_key = '' WHERE kid = $1")
            .bind(kid)
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx.commit().await?)
}

/// (kid, private key) of every key whose private half is stored, sealed or not.
async fn with_private(pool: &Pool) -> DbResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT kid, private_key FROM signing_keys WHERE private_key <> '' ORDER BY kid",
    )
    .fetch_all(pool)
    .await?)
}

/// Keys stored before sealing existed, in the clear.
pub async fn unsealed(pool: &Pool) -> DbResult<Vec<(String, String)>> {
    let mut rows = with_private(pool).await?;
    rows.retain(|(_, private)| crate::auth::sealing::is_plain(private));
    Ok(rows)
}

/// Keys whose sealed private half is stored.
pub async fn sealed(pool: &Pool) -> DbResult<Vec<(String, String)>> {
    let mut rows = with_private(pool).await?;
    rows.retain(|(_, private)| !crate::auth::sealing::is_plain(private));
    Ok(rows)
}

/// Replaces one private half, if it is still `old` (another instance may have
/// sealed it first).
pub async fn replace_private(pool: &Pool, kid: &str, old: &str, new: &str) -> DbResult<()> {
    replace_all_private(pool, &[(kid.to_string(), old.to_string(), new.to_string())]).await
}

/// (kid, old, new) for each key, in one transaction: all re-sealed or none.
pub async fn replace_all_private(pool: &Pool, keys: &[(String, String, String)]) -> DbResult<()> {
    let mut tx = pool.begin().await?;
    for (kid, old, new) in keys {
        sqlx::query("UPDATE signing_keys SET private_key = $1 WHERE kid = $2 AND private_key = $3")
            .bind(new)
            .bind(kid)
            .bind(old)
            .execute(&mut *tx)
            .await?;
    }
    Ok(tx.commit().await?)
}
