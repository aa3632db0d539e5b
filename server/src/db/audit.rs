//! The audit trail: who did what, from where. `record` takes the transaction
//! of the change being recorded, so an event exists exactly when its change does.

pub use app::api::AuditKind;
use sqlx::{AnyConnection, FromRow};

use super::{DbResult, Pool};

/// Who caused an event and from where. Never holds a secret; the user agent
/// arrives bounded (`http::extract`).
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub actor_id: Option<String>,
    pub ip: String,
    pub user_agent: String,
}

impl Origin {
    /// A change made from the command line or at start-up.
    pub fn system() -> Origin {
        Origin {
            actor_id: None,
            ip: String::new(),
            user_agent: "server".to_string(),
        }
    }

    pub fn by(&self, actor_id: &str) -> Origin {
        Origin {
            actor_id: Some(actor_id.to_string()),
            ..self.clone()
        }
    }
}

pub struct Event<'a> {
    pub kind: AuditKind,
    pub origin: &'a Origin,
    pub subject_id: Option<&'a str>,
    /// A small JSON object: ids and names, never secrets.
    pub detail: serde_json::Value,
}

impl<'a> Event<'a> {
    /// An event about band data (a setlist, a song): the detail names it.
    pub fn new(kind: AuditKind, origin: &'a Origin, detail: serde_json::Value) -> Self {
        Event {
            kind,
            origin,
            subject_id: None,
            detail,
        }
    }

    /// An event about one session (a refresh-token family) of `user_id`.
    pub fn session(kind: AuditKind, origin: &'a Origin, user_id: &'a str, family_id: &str) -> Self {
        Event {
            kind,
            origin,
            subject_id: Some(user_id),
            detail: serde_json::json!({ "session_id": family_id }),
        }
    }
}

#[derive(Debug, FromRow)]
pub struct EventRow {
    pub id: String,
    pub at: i64,
    pub kind: String,
    pub actor_id: Option<String>,
    pub subject_id: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub detail: String,
}

pub async fn record(conn: &mut AnyConnection, event: &Event<'_>, now: i64) -> DbResult<()> {
    Ok(sqlx::query(
        "INSERT INTO audit_events (id, at, kind, actor_id, subject_id, ip, user_agent, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now)
    .bind(event.kind.as_str())
    .bind(event.origin.actor_id.as_deref())
    .bind(event.subject_id)
    .bind(&event.origin.ip)
    .bind(&event.origin.user_agent)
    .bind(event.detail.to_string())
    .execute(conn)
    .await
    .map(|_| ())?)
}

/// Records `event` in the transaction of its change, and commits both.
pub async fn record_and_commit(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    event: &Event<'_>,
    now: i64,
) -> DbResult<()> {
    record(&mut tx, event, now).await?;
    Ok(tx.commit().await?)
}

/// Records an event that changes nothing else (a failed login, say).
pub async fn record_alone(pool: &Pool, event: &Event<'_>, now: i64) -> DbResult<()> {
    let mut conn = pool.acquire().await?;
    record(&mut conn, event, now).await
}

pub struct Filter<'a> {
    /// Events this user caused or was the subject of.
    pub user_id: Option<&'a str>,
    pub kind: Option<AuditKind>,
    /// Only events older than this event id (the previous page's `next_before`).
    pub before: Option<&'a str>,
    pub limit: i64,
}

pub async fn list(pool: &Pool, filter: &Filter<'_>) -> DbResult<Vec<EventRow>> {
    // NULL parameters switch their condition off, so one statement serves every filter.
    Ok(sqlx::query_as(
        "SELECT id, at, kind, actor_id, subject_id, ip, user_agent, detail FROM audit_events \
         WHERE ($1 IS NULL OR actor_id = $1 OR subject_id = $1) \
         AND ($2 IS NULL OR kind = $2) \
         AND ($3 IS NULL OR id < $3) \
         ORDER BY id DESC LIMIT $4",
    )
    .bind(filter.user_id)
    .bind(filter.kind.map(AuditKind::as_str))
    .bind(filter.before)
    .bind(filter.limit)
    .fetch_all(pool)
    .await?)
}

/// The addresses wrong passwords for member `member_id` came from since
/// `since`: where a login lockout of theirs may stand.
pub async fn failed_login_addresses(
    pool: &Pool,
    member_id: &str,
    since: i64,
) -> DbResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT ip FROM audit_events WHERE subject_id = $1 AND kind = $2 AND at >= $3",
    )
    .bind(member_id)
    .bind(AuditKind::LoginFailed.as_str())
    .bind(since)
    .fetch_all(pool)
    .await?)
}

/// Deletes events older than `cutoff` (retention).
pub async fn prune(pool: &Pool, cutoff: i64) -> DbResult<u64> {
    Ok(sqlx::query("DELETE FROM audit_events WHERE at < $1")
        .bind(cutoff)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_name_and_parses_back() {
        for (i, kind) in AuditKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "ALL is in declaration order");
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
            // The API's JSON name is the stored name.
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(AuditKind::LoginSucceeded.as_str(), "login_succeeded");
        assert_eq!(AuditKind::SigningKeyRotated.as_str(), "signing_key_rotated");
        assert_eq!(AuditKind::parse("nonsense"), None);
    }
}
