//! Refresh-token families and their tokens (stored as hashes only).

use std::sync::LazyLock;

use app::api::validation::is_username_shaped;
use sqlx::{AnyConnection, AnyExecutor, FromRow};

use super::{
    DbResult, Pool,
    audit::{self, Event},
    is_postgres,
    users::UserRow,
};

#[derive(Clone, Debug, FromRow)]
pub struct FamilyRow {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub user_agent: String,
    pub ip: String,
}

/// A presented token, joined with its family and the member it belongs to
/// (one query: the refresh answer needs all three).
#[derive(Clone, Debug, FromRow)]
pub struct TokenRow {
    pub family_id: String,
    pub spent_at: Option<i64>,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    #[sqlx(flatten)]
    pub user: UserRow,
}

impl TokenRow {
    /// Its family may still refresh: neither revoked nor expired, and its
    /// member not disabled. Says nothing of whether the token itself is spent.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at > now && self.user.disabled_at.is_none()
    }
}

/// The member as a new session starts: the role its first access token
/// carries, and the cut-off that dates it (`http::auth::dated`).
pub struct Starting {
    pub role: String,
    pub tokens_valid_after_ms: i64,
}

/// Why a login checked a moment ago starts no session: while it was checked,
/// the member was disabled, or given a new password (or removed).
#[derive(Debug, PartialEq)]
pub enum LostRace {
    Disabled,
    NewPassword,
}

/// Writes a fresh login's family and first token, and returns the member as
/// the session starts; nothing is written if the login lost a race.
pub async fn create_family(
    pool: &Pool,
    family: &FamilyRow,
    checked_password_hash: &str,
    token_hash: &str,
    event: &Event<'_>,
) -> DbResult<Result<Starting, LostRace>> {
    let mut tx = pool.begin().await?;
    // Stops a login that was checked just before a disable or a password
    // reset from keeping a session past it: the family is only written if the
    // member is still enabled with the password that was checked. On
    // PostgreSQL the row is read under `MEMBER_LOCK`: a disable, reset, role
    // change or member revoke under way is waited for and then read; one that
    // starts after this read waits for this commit, and ends the new family
    // too. The role read here is the one the first token carries: the one
    // read before the password check may have been changed meanwhile, and a
    // token issued after the change's cut-off would keep the old role. The
    // cut-off read with it dates that token (`http::auth::dated`).
    let lock = if is_postgres(&tx) { MEMBER_LOCK } else { "" };
    let member: Option<(String, i64, Option<i64>, String)> = sqlx::query_as(&format!(
        "SELECT role, tokens_valid_after_ms, disabled_at, password_hash FROM users u WHERE id = $1{lock}"
    ))
    .bind(&family.user_id)
    .fetch_optional(&mut *tx)
    .await?;
    let starting = match member {
        Some((_, _, Some(_), _)) => return Ok(Err(LostRace::Disabled)),
        Some((role, tokens_valid_after_ms, None, hash)) if hash == checked_password_hash => {
            Starting {
                role,
                tokens_valid_after_ms,
            }
        }
        _ => return Ok(Err(LostRace::NewPassword)),
    };
    sqlx::query(
        "INSERT INTO refresh_families (id, user_id, created_at, last_used_at, expires_at, user_agent, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&family.id)
    .bind(&family.user_id)
    .bind(family.created_at)
    .bind(family.last_used_at)
    .bind(family.expires_at)
    .bind(&family.user_agent)
    .bind(&family.ip)
    .execute(&mut *tx)
    .await?;
    insert_token(&mut tx, &family.id, token_hash, family.created_at).await?;
    audit::record(&mut tx, event, family.created_at).await?;
    tx.commit().await?;
    Ok(Ok(starting))
}

async fn insert_token(
    tx: &mut AnyConnection,
    family_id: &str,
    token_hash: &str,
    now: i64,
) -> DbResult<()> {
    Ok(sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, issued_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(now)
    .execute(tx)
    .await
    .map(|_| ())?)
}

/// A token `t` with its family and member, as `TokenRow`.
pub(super) const TOKEN_COLUMNS: &str = "t.family_id, t.spent_at, f.expires_at, f.revoked_at, \
     u.id, u.username, u.display_name, u.role, u.instrument, u.password_hash, u.tokens_valid_after_ms, \
     u.disabled_at";
pub(super) const TOKEN_JOINS: &str =
    "JOIN refresh_families f ON f.id = t.family_id JOIN users u ON u.id = f.user_id";

/// How a session's start or refresh reads the member's row `u` on
/// PostgreSQL. Every change to a member (role, disable, password, revoke)
/// takes that row before it stamps its cut-off (`revoke::cut_off_tokens`),
/// so the read waits for a change under way and sees it, and a change that
/// comes later waits for the token to be committed and stamps a cut-off
/// after it. Without it, a refresh begun just after a demotion's stamp but
/// read before its commit issued a token with the old role, dated after the
/// cut-off: accepted until it expired.
const MEMBER_LOCK: &str = " FOR SHARE OF u";

static FIND: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {TOKEN_COLUMNS} FROM refresh_tokens t {TOKEN_JOINS} WHERE t.token_hash = $1")
});

pub async fn find_token(db: impl AnyExecutor<'_>, token_hash: &str) -> DbResult<Option<TokenRow>> {
    Ok(sqlx::query_as(&FIND)
        .bind(token_hash)
        .fetch_optional(db)
        .await?)
}

/// `find_token` inside the transaction that spends the token, reading the
/// member under `MEMBER_LOCK`: the access token is built from this row.
pub async fn find_token_to_spend(
    tx: &mut AnyConnection,
    token_hash: &str,
) -> DbResult<Option<TokenRow>> {
    static FIND_LOCKED: LazyLock<String> = LazyLock::new(|| format!("{}{MEMBER_LOCK}", *FIND));
    let query = if is_postgres(tx) { &FIND_LOCKED } else { &FIND };
    Ok(sqlx::query_as(query)
        .bind(token_hash)
        .fetch_optional(tx)
        .await?)
}

/// What spending a presented refresh token did (`db::spend`: one by one, or in a batch).
pub enum SpendOutcome {
    /// The token was live: it is spent, its successor added, the event recorded.
    Done(TokenRow),
    /// Nothing changed: the token is unknown, spent, or its family dead.
    NotLive(Option<TokenRow>),
}

/// Spends `old_hash` and adds `new_hash` to the family, in the caller's
/// transaction `tx`, which commits on true. Returns false when the token was
/// already spent or the family is no longer live, and the caller rolls back:
/// exactly one concurrent refresh can win, because the conditional UPDATEs
/// are the race's arbiters.
///
/// The family is touched first: on PostgreSQL that UPDATE locks its row, and
/// re-checks the condition if a revoke committed meanwhile, so a refresh
/// racing a logout or a revoke never adds a token to a revoked family.
pub async fn rotate(
    tx: &mut AnyConnection,
    family_id: &str,
    old_hash: &str,
    new_hash: &str,
    now: i64,
    event: &Event<'_>,
) -> DbResult<bool> {
    let live = sqlx::query(
        "UPDATE refresh_families SET last_used_at = $1 \
         WHERE id = $2 AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(family_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if live != 1 {
        return Ok(false);
    }
    let spent = sqlx::query(
        "UPDATE refresh_tokens SET spent_at = $1 WHERE token_hash = $2 AND spent_at IS NULL",
    )
    .bind(now)
    .bind(old_hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if spent != 1 {
        return Ok(false);
    }
    insert_token(tx, family_id, new_hash, now).await?;
    audit::record(tx, event, now).await?;
    Ok(true)
}

/// The storage key of the family's one unspent token, if it has one.
pub async fn live_token(db: impl AnyExecutor<'_>, family_id: &str) -> DbResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT token_hash FROM refresh_tokens WHERE family_id = $1 AND spent_at IS NULL",
    )
    .bind(family_id)
    .fetch_optional(db)
    .await?)
}

/// Sessions revoked after `since` (unix seconds), with when: the instances'
/// lists of sessions whose access tokens are refused.
pub async fn revoked_after(pool: &Pool, since: i64) -> DbResult<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT id, revoked_at FROM refresh_families WHERE revoked_at > $1")
            .bind(since)
            .fetch_all(pool)
            .await?,
    )
}

const FAMILY_COLUMNS: &str =
    "id, user_id, created_at, last_used_at, expires_at, revoked_at, user_agent, ip";

/// A user's sessions that can still refresh, most recently used first.
pub async fn live_families(pool: &Pool, user_id: &str, now: i64) -> DbResult<Vec<FamilyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FAMILY_COLUMNS} FROM refresh_families \
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
         ORDER BY last_used_at DESC, id"
    ))
    .bind(user_id)
    .bind(now)
    .fetch_all(pool)
    .await?)
}

pub async fn find_family(pool: &Pool, id: &str) -> DbResult<Option<FamilyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FAMILY_COLUMNS} FROM refresh_families WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// The addresses `username`'s sessions started from since `since`, for the
/// login throttle (`auth::throttle::Subjects::signed_in_from`).
pub async fn session_addresses(pool: &Pool, username: &str, since: i64) -> DbResult<Vec<String>> {
    // As in `users::find_by_username`: no other spelling of a member's name.
    if !is_username_shaped(username) {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT f.ip FROM refresh_families f JOIN users u ON u.id = f.user_id \
         WHERE lower(u.username) = lower($1) AND f.created_at > $2",
    )
    .bind(username)
    .bind(since)
    .fetch_all(pool)
    .await?)
}
