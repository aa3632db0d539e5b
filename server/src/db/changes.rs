//! Announcing a change to every instance. On PostgreSQL the transaction that
//! makes a change also sends `NOTIFY backstage_changes, '<json>'`: PostgreSQL
//! delivers it to every listening instance when — and only if — the
//! transaction commits, so an announcement never runs ahead of its data and
//! a rolled-back write announces nothing. `crate::sync` listens and applies.
//!
//! On SQLite there is one instance, which applies its own changes in memory
//! as it makes them; announcing is a no-op.
//!
//! Payloads carry ids and times only: PostgreSQL caps them at 8000 bytes, and
//! a notification is visible to every role that can `LISTEN`.

use app::api::Presence;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::DbResult;

/// The channel every instance listens on.
pub const CHANNEL: &str = "backstage_changes";

/// Below PostgreSQL's 8000-byte limit on a payload.
const MAX_PAYLOAD: usize = 7900;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// The member's access tokens issued up to `at_ms` are refused.
    MemberCutOff { user_id: String, at_ms: i64 },
    /// These sessions ended: their access tokens are refused.
    SessionsEnded { ids: Vec<String>, at_ms: i64 },
    /// A signing key was added or revoked: reload the key set.
    KeysChanged,
    /// A setlist was written; `version` is `None` when it was deleted,
    /// `song_id` names the song of a tempo or notes patch. `seq` is the
    /// setlists' change counter after the write: the live events' id. `by`:
    /// the member who wrote it. `created`: the write made it (its version is
    /// 1, or more when a deleted one's id came back).
    Setlist {
        id: String,
        version: Option<i64>,
        seq: i64,
        song_id: Option<String>,
        #[serde(default)]
        by: Author,
        #[serde(default)]
        created: bool,
    },
    /// A member is on a setlist page (or left it): not stored, only told.
    Presence {
        presence: Presence,
        #[serde(default)]
        page: String,
        /// The session whose token announced the page: it goes with it.
        #[serde(default)]
        session_id: String,
        at_ms: i64,
    },
    /// The song library was written: its pages read it again.
    Library { by: Author },
    /// Too much to say in one payload: re-read everything.
    Resync,
}

/// Who made a change, as the live events name them. A page knows its own
/// member's changes by the id: two members may share a display name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Author {
    pub id: String,
    pub name: String,
}

/// Sends `change` with the transaction `conn` is in (PostgreSQL only).
pub async fn announce(conn: &mut AnyConnection, change: &Change) -> DbResult<()> {
    if !super::is_postgres(conn) {
        return Ok(());
    }
    let mut payload = serde_json::to_string(change).expect("a change serialises");
    if payload.len() > MAX_PAYLOAD {
        // A member with hundreds of sessions: listeners re-read the lists.
        payload = serde_json::to_string(&Change::Resync).expect("a change serialises");
    }
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}

impl Change {
    /// Reads a payload; anything unreadable (another version's, say) is a resync.
    pub fn parse(payload: &str) -> Change {
        serde_json::from_str(payload).unwrap_or(Change::Resync)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_unknown_ones_resync() {
        let change = Change::SessionsEnded {
            ids: vec!["a".into(), "b".into()],
            at_ms: 7,
        };
        let payload = serde_json::to_string(&change).unwrap();
        assert_eq!(Change::parse(&payload), change);
        assert_eq!(
            Change::parse(r#"{"kind":"from_the_future"}"#),
            Change::Resync
        );
    }
}
