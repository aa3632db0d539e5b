//! The audit log in words: each event's name, and its detail as a sentence.

use serde::Deserialize;

use crate::api::{AuditEvent, AuditKind};
use crate::components::{counted, show_length};

/// What the server's details may hold (`detail` is a small JSON object);
/// any field an event lacks is empty.
#[derive(Default, Deserialize)]
#[serde(default)]
struct Facts {
    username: String,
    role: String,
    from: String,
    to: String,
    emergency: bool,
    name: String,
    title: String,
    songs: usize,
    removed: Vec<String>,
    added: Vec<String>,
    reordered: bool,
    /// A setlist's sets after and before a save that changed them.
    sets: Vec<SetFacts>,
    sets_before: Vec<SetFacts>,
    fields: Vec<String>,
    new: usize,
    already_there: usize,
    changing_password: bool,
    disabled: bool,
    unknown_username: bool,
}

/// A set as a setlist's audit detail names it.
#[derive(Default, Deserialize, PartialEq)]
#[serde(default)]
struct SetFacts {
    name: String,
    slot_secs: Option<i64>,
}

/// What a setlist's save did to its sets, if anything.
fn sets_changed(facts: &Facts) -> Option<String> {
    let outline = |sets: &[SetFacts]| {
        let sets: Vec<String> = sets
            .iter()
            .map(|set| match set.slot_secs {
                Some(slot) => format!("“{}” ({} slot)", set.name, show_length(slot)),
                None => format!("“{}”", set.name),
            })
            .collect();
        sets.join(", ")
    };
    if facts.sets.is_empty() {
        None
    } else if facts.sets == facts.sets_before {
        Some("moved songs between the sets".into())
    } else {
        Some(format!(
            "changed the sets from {} to {}",
            outline(&facts.sets_before),
            outline(&facts.sets)
        ))
    }
}

/// The event's name as a person says it.
pub fn event_name(kind: AuditKind) -> &'static str {
    match kind {
        AuditKind::LoginSucceeded => "Logged in",
        AuditKind::LoginFailed => "Failed login",
        AuditKind::LoginThrottled => "Logins held back",
        AuditKind::Refreshed => "Pass renewed",
        AuditKind::RefreshReuseDetected => "Old pass reused",
        AuditKind::LoggedOut => "Logged out",
        AuditKind::SessionRevoked => "Session ended",
        AuditKind::MemberRevoked => "Member signed out everywhere",
        AuditKind::MemberCreated => "Member added",
        AuditKind::SigningKeyRotated => "Signing key rotated",
        AuditKind::MemberDisabled => "Member disabled",
        AuditKind::MemberEnabled => "Member enabled",
        AuditKind::MemberRoleChanged => "Role changed",
        AuditKind::MemberRenamed => "Member renamed",
        AuditKind::MemberInstrumentChanged => "Instrument changed",
        AuditKind::PasswordReset => "Password reset",
        AuditKind::PasswordChanged => "Password changed",
        AuditKind::SetlistCreated => "Setlist created",
        AuditKind::SetlistChanged => "Setlist edited",
        AuditKind::SetlistDeleted => "Setlist deleted",
        AuditKind::SongAdded => "Song added to the library",
        AuditKind::SongChanged => "Library song changed",
        AuditKind::SongDeleted => "Song deleted from the library",
        AuditKind::SongsImported => "Songs imported",
    }
}

/// The event's detail as a sentence: "“Gig”: removed “Everlong”."
pub fn sentence(event: &AuditEvent) -> String {
    let facts: Facts = serde_json::from_str(event.detail.as_str()).unwrap_or_default();
    let quoted = |titles: &[String]| {
        let titles: Vec<String> = titles.iter().map(|t| format!("“{t}”")).collect();
        titles.join(", ")
    };
    let (who, name, title) = (&facts.username, &facts.name, &facts.title);
    match event.kind {
        AuditKind::LoginFailed if facts.changing_password => {
            format!("Wrong current password from {who}, changing it.")
        }
        AuditKind::LoginFailed if facts.unknown_username => {
            "Wrong username: no member has the name typed (not kept: it may have been a password)."
                .into()
        }
        AuditKind::LoginFailed if facts.disabled => {
            format!("The right password for “{who}”, whose account is disabled: refused.")
        }
        AuditKind::LoginFailed => format!("Wrong username or password for “{who}”."),
        AuditKind::LoginThrottled if facts.unknown_username => {
            "Too many failed logins with a name no member has: held back for a while.".into()
        }
        AuditKind::LoginThrottled => {
            format!("Too many failed logins for “{who}”: held back for a while.")
        }
        AuditKind::RefreshReuseDetected => "A pass already used was shown again: that session \
             was ended (a stolen pass, or a replay)."
            .into(),
        AuditKind::MemberRevoked => format!("{who} was signed out on every device."),
        AuditKind::MemberCreated => format!("{who} joined as {}.", facts.role),
        AuditKind::SigningKeyRotated if facts.emergency => {
            "A new signing key, at once (emergency).".into()
        }
        AuditKind::SigningKeyRotated => "A new signing key, published ahead of use.".into(),
        AuditKind::MemberDisabled => format!("{who} can no longer log in."),
        AuditKind::MemberEnabled => format!("{who} can log in again."),
        AuditKind::MemberRoleChanged => format!("{who}: from {} to {}.", facts.from, facts.to),
        AuditKind::MemberRenamed => format!("{who}: from “{}” to “{}”.", facts.from, facts.to),
        AuditKind::MemberInstrumentChanged => {
            let played = |instrument: &str| match instrument {
                "" => "no instrument".to_string(),
                instrument => format!("“{instrument}”"),
            };
            format!(
                "{who}: from {} to {}.",
                played(&facts.from),
                played(&facts.to)
            )
        }
        AuditKind::PasswordReset => format!("A manager set a new password for {who}."),
        AuditKind::SetlistCreated => format!("“{name}”, with {}.", counted(facts.songs, "song")),
        AuditKind::SetlistChanged => {
            let mut parts = Vec::new();
            if !facts.removed.is_empty() {
                parts.push(format!("removed {}", quoted(&facts.removed)));
            }
            if !facts.added.is_empty() {
                parts.push(format!("added {}", quoted(&facts.added)));
            }
            if facts.reordered {
                parts.push("changed the order".into());
            }
            parts.extend(sets_changed(&facts));
            if parts.is_empty() {
                format!(
                    "“{name}”: the show's details or the songs' own (no song added, removed or moved)."
                )
            } else {
                format!("“{name}”: {}.", parts.join("; "))
            }
        }
        AuditKind::SetlistDeleted | AuditKind::SongAdded | AuditKind::SongDeleted => {
            format!("“{}”.", if name.is_empty() { title } else { name })
        }
        AuditKind::SongChanged if facts.fields.is_empty() => format!("“{title}”."),
        AuditKind::SongChanged => format!("“{title}”: {}.", facts.fields.join(" and ")),
        AuditKind::SongsImported => format!(
            "{} ({} already in the library).",
            counted(facts.new, "new song"),
            facts.already_there
        ),
        AuditKind::LoginSucceeded
        | AuditKind::Refreshed
        | AuditKind::LoggedOut
        | AuditKind::SessionRevoked
        | AuditKind::PasswordChanged => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Detail;

    fn failed_login(detail: &str) -> AuditEvent {
        AuditEvent {
            id: "1".into(),
            at: "2026-12-04T10:00:00Z".into(),
            kind: AuditKind::LoginFailed,
            actor_id: None,
            subject_id: None,
            ip: "127.0.0.1".into(),
            user_agent: String::new(),
            detail: Detail::from_json(detail.into()),
        }
    }

    #[test]
    fn a_wrong_current_password_is_not_called_a_failed_login() {
        assert_eq!(
            sentence(&failed_login(r#"{"username":"dee"}"#)),
            "Wrong username or password for “dee”."
        );
        assert_eq!(
            sentence(&failed_login(
                r#"{"username":"dee","changing_password":true}"#
            )),
            "Wrong current password from dee, changing it."
        );
    }

    #[test]
    fn one_song_is_one_song() {
        let event = |kind, detail: &str| AuditEvent {
            kind,
            detail: Detail::from_json(detail.into()),
            ..failed_login("{}")
        };
        let created = |songs| {
            event(
                AuditKind::SetlistCreated,
                &format!(r#"{{"name":"Fri","songs":{songs}}}"#),
            )
        };
        assert_eq!(sentence(&created(1)), "“Fri”, with 1 song.");
        assert_eq!(sentence(&created(2)), "“Fri”, with 2 songs.");
        let imported = event(AuditKind::SongsImported, r#"{"new":1,"already_there":0}"#);
        assert_eq!(
            sentence(&imported),
            "1 new song (0 already in the library)."
        );
    }

    #[test]
    fn a_change_of_the_sets_names_them_as_they_are_now() {
        let changed = |detail: &str| AuditEvent {
            kind: AuditKind::SetlistChanged,
            detail: Detail::from_json(detail.into()),
            ..failed_login("{}")
        };
        assert_eq!(
            sentence(&changed(
                r#"{"name":"Fri","removed":[],"added":[],"reordered":false,"sets":[{"name":"Set 1","slot_secs":2700},{"name":"Encore","slot_secs":null}],"sets_before":[{"name":"Set 1","slot_secs":null}]}"#
            )),
            "“Fri”: changed the sets from “Set 1” to “Set 1” (45 min slot), “Encore”."
        );
        let two_sets = r#"[{"name":"Set 1","slot_secs":null},{"name":"Encore","slot_secs":null}]"#;
        assert_eq!(
            sentence(&changed(&format!(
                r#"{{"name":"Fri","reordered":false,"sets":{two_sets},"sets_before":{two_sets}}}"#
            ))),
            "“Fri”: moved songs between the sets."
        );
        assert!(
            sentence(&changed(r#"{"name":"Fri","reordered":false}"#)).contains("no song added")
        );
    }

    #[test]
    fn a_name_no_member_has_is_said_without_it() {
        let sentence = sentence(&failed_login(r#"{"unknown_username":true}"#));
        assert!(
            sentence.starts_with("Wrong username: no member has"),
            "{sentence}"
        );
    }
}
