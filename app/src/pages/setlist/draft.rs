//! The editor's model as plain data, and the three-way merge that lets two
//! members edit one setlist at once.
//!
//! An editor remembers the version it started from (`base`). When someone
//! else's change arrives (`theirs`, live or as a 409 on save), every field
//! is merged on its own: what only they changed is taken, what only this
//! editor changed is kept, and only a field both changed differently is a
//! conflict — which keeps this editor's value until the person chooses.
//! So the manager's reorder and the drummer's tempo merge without asking,
//! and a manager's save never erases a tempo the manager did not touch.

use crate::{
    api::{
        Setlist, Song,
        validation::{tempo_text, three_way},
    },
    components::length_field,
};

/// A setlist as an editor holds it: the text of every field.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Draft {
    pub name: String,
    pub venue: String,
    pub show_date: String,
    pub notes: String,
    pub songs: Vec<DraftSong>,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DraftSong {
    /// `None` for a song added here and not saved yet.
    pub id: Option<String>,
    pub title: String,
    pub artist: String,
    /// As typed: "3:45".
    pub length: String,
    pub bpm: String,
    pub key: String,
    pub notes: String,
    /// Shown to the manager, never edited here: the merge always takes theirs.
    pub drummer_notes: String,
}

impl DraftSong {
    pub fn of(song: &Song) -> DraftSong {
        DraftSong {
            id: Some(song.id.clone()),
            title: song.title.clone(),
            artist: song.artist.clone(),
            length: length_field(song.duration_secs),
            bpm: tempo_text(song.bpm),
            key: song.key.clone(),
            notes: song.notes.clone(),
            drummer_notes: song.drummer_notes.clone(),
        }
    }

    /// A song title for messages: the title, or "an untitled song".
    pub fn label(&self) -> String {
        match self.title.trim() {
            "" => "an untitled song".into(),
            title => format!("“{title}”"),
        }
    }
}

impl Draft {
    pub fn of(setlist: &Setlist) -> Draft {
        Draft {
            name: setlist.name.clone(),
            venue: setlist.venue.clone(),
            show_date: setlist.show_date.clone(),
            notes: setlist.notes.clone(),
            songs: setlist.songs.iter().map(DraftSong::of).collect(),
        }
    }

    pub fn song(&self, id: &str) -> Option<&DraftSong> {
        self.songs.iter().find(|s| s.id.as_deref() == Some(id))
    }

    /// Takes `field`'s value from `from`: a question answered is no longer
    /// one to ask again from this base. The sets are not in a draft.
    pub fn adopt(&mut self, field: &Field, from: &Draft) {
        match field {
            Field::Name => self.name.clone_from(&from.name),
            Field::Venue => self.venue.clone_from(&from.venue),
            Field::ShowDate => self.show_date.clone_from(&from.show_date),
            Field::Notes => self.notes.clone_from(&from.notes),
            Field::Order => {
                let place = |song: &DraftSong| {
                    let id = song.id.as_deref();
                    from.songs.iter().position(|s| s.id.as_deref() == id)
                };
                // Songs `from` does not have keep their place after the others.
                self.songs
                    .sort_by_key(|song| place(song).unwrap_or(usize::MAX));
            }
            Field::Sets => {}
            Field::Song(id, which) => {
                let value = from.song(id).map(|song| which.of(song).clone());
                let song = self.songs.iter_mut().find(|s| s.id.as_deref() == Some(id));
                if let (Some(song), Some(value)) = (song, value) {
                    *which.of_mut(song) = value;
                }
            }
        }
    }

    fn order(&self, within: impl Fn(&str) -> bool) -> Vec<&str> {
        self.songs
            .iter()
            .filter_map(|s| s.id.as_deref())
            .filter(|id| within(id))
            .collect()
    }
}

/// Which field a conflict is about.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Name,
    Venue,
    ShowDate,
    Notes,
    Order,
    /// The sets: their names, slots, and the songs that open them.
    Sets,
    Song(String, SongField),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SongField {
    Title,
    Artist,
    Length,
    Bpm,
    Key,
    Notes,
    DrummerNotes,
}

impl SongField {
    pub const ALL: [SongField; 7] = [
        SongField::Title,
        SongField::Artist,
        SongField::Length,
        SongField::Bpm,
        SongField::Key,
        SongField::Notes,
        SongField::DrummerNotes,
    ];

    /// Its name in a sentence: "Tempo of “Everlong”".
    fn label(self) -> &'static str {
        match self {
            SongField::Title => "Title",
            SongField::Artist => "Artist",
            SongField::Length => "Length",
            SongField::Bpm => "Tempo",
            SongField::Key => "Key",
            SongField::Notes => "Notes",
            SongField::DrummerNotes => "Drummer's notes",
        }
    }

    pub fn of(self, song: &DraftSong) -> &String {
        match self {
            SongField::Title => &song.title,
            SongField::Artist => &song.artist,
            SongField::Length => &song.length,
            SongField::Bpm => &song.bpm,
            SongField::Key => &song.key,
            SongField::Notes => &song.notes,
            SongField::DrummerNotes => &song.drummer_notes,
        }
    }

    fn of_mut(self, song: &mut DraftSong) -> &mut String {
        match self {
            SongField::Title => &mut song.title,
            SongField::Artist => &mut song.artist,
            SongField::Length => &mut song.length,
            SongField::Bpm => &mut song.bpm,
            SongField::Key => &mut song.key,
            SongField::Notes => &mut song.notes,
            SongField::DrummerNotes => &mut song.drummer_notes,
        }
    }
}

/// Both changed one field differently: whose value is whose.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub field: Field,
    /// "Name", "Tempo of “Everlong”", "Song order".
    pub label: String,
    pub mine: String,
    pub theirs: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// The merge, with this editor's values where there are conflicts.
    pub draft: Draft,
    pub conflicts: Vec<Conflict>,
    /// Songs they removed that this editor had changed: kept, as new songs.
    pub kept: Vec<String>,
}

/// Merges `mine` and `theirs`, both edited from `base`.
pub fn merge(base: &Draft, mine: &Draft, theirs: &Draft) -> Merged {
    let mut conflicts = Vec::new();
    let mut field = |field: Field, label: &str, b: &String, m: &String, t: &String| {
        merge_value(b, m, t, || Conflict {
            field,
            label: label.to_string(),
            mine: m.clone(),
            theirs: t.clone(),
        })
        .map_err(|conflict| conflicts.push(conflict))
        .unwrap_or_else(|()| m.clone())
    };
    let name = field(Field::Name, "Name", &base.name, &mine.name, &theirs.name);
    let venue = field(
        Field::Venue,
        "Venue",
        &base.venue,
        &mine.venue,
        &theirs.venue,
    );
    let show_date = field(
        Field::ShowDate,
        "Show date",
        &base.show_date,
        &mine.show_date,
        &theirs.show_date,
    );
    let notes = field(
        Field::Notes,
        "Notes",
        &base.notes,
        &mine.notes,
        &theirs.notes,
    );
    let (songs, kept) = merge_songs(base, mine, theirs, &mut conflicts);
    Merged {
        draft: Draft {
            name,
            venue,
            show_date,
            notes,
            songs,
        },
        conflicts,
        kept,
    }
}

/// One value: `Ok` the merged value, `Err` a conflict (both changed it).
fn merge_value(
    base: &str,
    mine: &str,
    theirs: &str,
    conflict: impl FnOnce() -> Conflict,
) -> Result<String, Conflict> {
    three_way(base, mine, theirs)
        .map(str::to_string)
        .ok_or_else(conflict)
}

/// A song taken out and now put back (Undo), brought up to date: each
/// field this editor left as it was when `then` was the saved song takes the
/// saved value `now` (the drummer's new tempo); a field edited here keeps
/// the edit.
pub fn catch_up(then: &DraftSong, mine: &DraftSong, now: &DraftSong) -> DraftSong {
    let mut song = mine.clone();
    for which in SongField::ALL {
        if which.of(mine) == which.of(then) {
            *which.of_mut(&mut song) = which.of(now).clone();
        }
    }
    song
}

fn merge_songs(
    base: &Draft,
    mine: &Draft,
    theirs: &Draft,
    conflicts: &mut Vec<Conflict>,
) -> (Vec<DraftSong>, Vec<String>) {
    let in_all = |id: &str| mine.song(id).is_some() && theirs.song(id).is_some();
    let mine_order = mine.order(in_all);
    let theirs_order = theirs.order(in_all);
    let reordered_here = mine_order != base.order(in_all);
    let reordered_there = theirs_order != base.order(in_all);
    if reordered_here && reordered_there && mine_order != theirs_order {
        let titles = |draft: &Draft, order: &[&str]| {
            order
                .iter()
                .filter_map(|id| draft.song(id))
                .map(|s| s.title.clone())
                .collect::<Vec<_>>()
                .join(" → ")
        };
        conflicts.push(Conflict {
            field: Field::Order,
            label: "Song order".into(),
            mine: titles(mine, &mine_order),
            theirs: titles(theirs, &theirs_order),
        });
    }
    let merged_song = |id: &str, conflicts: &mut Vec<Conflict>| {
        let (b, m, t) = (base.song(id), mine.song(id)?, theirs.song(id)?);
        let b = b.unwrap_or(m);
        let mut song = m.clone();
        for which in SongField::ALL {
            // By the title both sides started from, as `describe_change` names it.
            let label = format!("{} of {}", which.label(), b.label());
            match merge_value(which.of(b), which.of(m), which.of(t), || Conflict {
                field: Field::Song(id.to_string(), which),
                label,
                mine: which.of(m).clone(),
                theirs: which.of(t).clone(),
            }) {
                Ok(value) => *which.of_mut(&mut song) = value,
                Err(conflict) => conflicts.push(conflict),
            }
        }
        Some(song)
    };

    // Walk the order that wins: theirs unless only this editor reordered.
    let (lead, other) = if reordered_here {
        (mine, theirs)
    } else {
        (theirs, mine)
    };
    // A song they removed that this editor changed stays, as a new song.
    let edited_but_removed = |id: &str| {
        let edited = mine
            .song(id)
            .filter(|m| base.song(id).is_some_and(|b| b != *m))?;
        theirs.song(id).is_none().then(|| DraftSong {
            id: None,
            ..edited.clone()
        })
    };
    let mut songs = Vec::new();
    let mut kept = Vec::new();
    for song in &lead.songs {
        let Some(id) = song.id.as_deref() else {
            songs.push(song.clone()); // new here (lead is mine)
            continue;
        };
        if in_all(id) {
            songs.extend(merged_song(id, conflicts));
        } else if base.song(id).is_none() {
            songs.push(song.clone()); // they added it (lead is theirs)
        } else if let Some(edited) = edited_but_removed(id) {
            kept.push(edited.title.clone());
            songs.push(edited);
        }
        // Otherwise one side removed it, untouched by the other: gone.
    }
    // The other side's additions, after the song they followed there; those
    // after its last song stay last, wherever that song has moved.
    let known = |song: &DraftSong| song.id.is_some() && songs.iter().any(|s| s.id == song.id);
    let trailing_from = other.songs.iter().rposition(known).map(|last| last + 1);
    let mut after: Option<usize> = None;
    for (at_other, song) in other.songs.iter().enumerate() {
        let addition = match song.id.as_deref() {
            None => Some(song.clone()),
            // Theirs only (an id this editor has is merged already).
            Some(id) if base.song(id).is_none() && !in_all(id) => Some(song.clone()),
            Some(id) if base.song(id).is_none() => None,
            Some(id) => edited_but_removed(id).inspect(|edited| kept.push(edited.title.clone())),
        };
        if let Some(addition) = addition {
            let at = match trailing_from {
                Some(from) if at_other >= from => songs.len(),
                _ => after.map_or(0, |i| i + 1),
            };
            songs.insert(at, addition);
            after = Some(at);
        } else if let Some(found) = songs.iter().position(|s| s.id.is_some() && s.id == song.id) {
            after = Some(found);
        }
    }
    (songs, kept)
}

/// What `who` (a sentence's subject: "Max", "You", "Mia and you") changed
/// from `before` to `after`, in words: "Max reordered the set and set the
/// tempo of “Everlong” to 160". The sets are not in a draft: `sets_changed`
/// says whether they changed.
pub fn describe_change(who: &str, before: &Draft, after: &Draft, sets_changed: bool) -> String {
    let mut what = Vec::new();
    if before.name != after.name {
        what.push(format!("renamed the show to “{}”", after.name));
    }
    if before.venue != after.venue || before.show_date != after.show_date {
        what.push("changed the venue or date".to_string());
    }
    if before.notes != after.notes {
        what.push("changed the show notes".to_string());
    }
    let in_both = |id: &str| before.song(id).is_some() && after.song(id).is_some();
    if before.order(in_both) != after.order(in_both) {
        what.push("reordered the set".to_string());
    }
    if sets_changed {
        what.push("changed the sets".to_string());
    }
    for song in &after.songs {
        let Some(old) = song.id.as_deref().and_then(|id| before.song(id)) else {
            what.push(format!("added {}", song.label()));
            continue;
        };
        if old.bpm != song.bpm {
            what.push(match song.bpm.as_str() {
                "" => format!("cleared the tempo of {}", song.label()),
                bpm => format!("set the tempo of {} to {bpm}", song.label()),
            });
        }
        if old.notes != song.notes {
            what.push(format!("changed the notes of {}", song.label()));
        }
        if old.drummer_notes != song.drummer_notes {
            what.push(format!("changed the drummer's notes of {}", song.label()));
        }
        let details = |s: &DraftSong| {
            (
                s.title.clone(),
                s.artist.clone(),
                s.length.clone(),
                s.key.clone(),
            )
        };
        if old.title != song.title {
            what.push(format!("edited {} (now {})", old.label(), song.label()));
        } else if details(old) != details(song) {
            what.push(format!("edited {}", song.label()));
        }
    }
    for song in &before.songs {
        if song
            .id
            .as_deref()
            .is_some_and(|id| after.song(id).is_none())
        {
            what.push(format!("removed {}", song.label()));
        }
    }
    match what.len() {
        0 => format!("{who} saved the setlist."),
        1 => format!("{who} {}.", what[0]),
        n => format!("{who} {} and {}.", what[..n - 1].join(", "), what[n - 1]),
    }
}

#[cfg(test)]
mod tests;
