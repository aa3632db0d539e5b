//! Announcing a change to every instance. On PostgreSQL the transaction that
//! makes a change also sends `NOTIFY backstage_changes, '<json>'`: PostgreSQL
//! delivers it to every listening instance when — and only if — the
//! transaction commits, so an announcement never runs ahead of its data and
//! a rolled-back write announces nothing. `crate::sync` listens and applies.
//!
//! On SQLite there is one instance, which applies its own changes in memory
//! as it makes them; announcing is a no-op.
//!
//! Payloads carry ids, times and the display name of a change's author, never
//! the band's data: PostgreSQL caps them at 8000 bytes, and a notification is
//! visible to every role that can `LISTEN`. Fields are only ever added (with a
//! default), so instances of two versions, mid-upgrade, still read each other.

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
        #[serde(flatten)]
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
    Library {
        #[serde(flatten)]
        by: Author,
    },
    /// A member was added or changed: the managers' members pages read again.
    Members {
        #[serde(flatten)]
        by: Author,
    },
    /// Too much to say in one payload: re-read everything.
    Resync,
}

/// Who made a change, as the live events name them. A page knows its own
/// member's changes by the id: two members may share a display name. In a
/// payload, `by` (the name, as before the id was added) and `by_id`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Author {
    #[serde(rename = "by_id", default)]
    pub id: String,
    #[serde(rename = "by", default)]
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

    #[test]
    fn the_author_is_two_fields_an_older_version_reads_and_writes() {
        let by = Author {
            id: "u1".into(),
            name: "Max".into(),
        };
        let change = Change::Library { by: by.clone() };
        let payload: serde_json::Value = serde_json::to_value(&change).unwrap();
        assert_eq!(
            payload,
            serde_json::json!({ "kind": "library", "by": "Max", "by_id": "u1" })
        );
        let written = Change::Setlist {
            id: "s".into(),
            version: Some(2),
            seq: 5,
            song_id: None,
            by,
            created: false,
        };
        assert_eq!(
            Change::parse(&serde_json::to_string(&written).unwrap()),
            written
        );
        // From an instance that names the author only.
        let older = r#"{"kind":"setlist","id":"s","version":2,"seq":5,"song_id":null,"by":"Max"}"#;
        let Change::Setlist { by, .. } = Change::parse(older) else {
            panic!("an older version's change is read, not a resync");
        };
        assert_eq!((by.id.as_str(), by.name.as_str()), ("", "Max"));
    }
}
