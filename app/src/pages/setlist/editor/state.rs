//! The editor's state: one signal per field, the version it started from,
//! and how a merged change is applied to the fields without disturbing the
//! one being typed in.

use leptos::prelude::*;

use crate::{
    api::{
        Setlist, SetlistInput,
        validation::{FieldErrors, validate_setlist},
    },
    pages::setlist::{
        draft::{Conflict, Draft, DraftSong, Field},
        song_editor::SongDraft,
    },
};

/// The editor's fields, each a signal, and the version they started from.
#[derive(Clone, Copy)]
pub(super) struct EditorState {
    pub(super) id: RwSignal<Option<String>>,
    /// What the fields were loaded from (or last merged with), and its version.
    pub(super) base: RwSignal<Option<(Draft, i64)>>,
    pub(super) name: RwSignal<String>,
    pub(super) venue: RwSignal<String>,
    pub(super) show_date: RwSignal<String>,
    pub(super) notes: RwSignal<String>,
    pub(super) songs: RwSignal<Vec<SongDraft>>,
    pub(super) next_uid: StoredValue<u64>,
}

impl EditorState {
    pub(super) fn new_song(&self, song: DraftSong) -> SongDraft {
        let uid = self.next_uid.get_value();
        self.next_uid.set_value(uid + 1);
        SongDraft::new(uid, song)
    }

    /// What is typed now (tracked: a memo of it follows every keystroke).
    pub(super) fn draft(&self) -> Draft {
        Draft {
            name: self.name.get(),
            venue: self.venue.get(),
            show_date: self.show_date.get(),
            notes: self.notes.get(),
            songs: self.songs.get().iter().map(SongDraft::data).collect(),
        }
    }

    /// Puts `draft` in the fields, touching only what differs (a field being
    /// typed in keeps its caret), and keeping each song's element.
    pub(super) fn show(&self, draft: &Draft) {
        set_if_changed(self.name, &draft.name);
        set_if_changed(self.venue, &draft.venue);
        set_if_changed(self.show_date, &draft.show_date);
        set_if_changed(self.notes, &draft.notes);
        let mut pool = self.songs.get_untracked();
        let songs = draft
            .songs
            .iter()
            .map(|song| {
                let same = pool.iter().position(|d| match &song.id {
                    Some(id) => d.id.get_untracked().as_ref() == Some(id),
                    None => d.data() == *song,
                });
                match same {
                    Some(at) => {
                        let existing = pool.remove(at);
                        existing.show(song);
                        existing
                    }
                    None => self.new_song(song.clone()),
                }
            })
            .collect();
        self.songs.set(songs);
    }

    pub(super) fn load(&self, setlist: &Setlist) {
        let draft = Draft::of(setlist);
        self.show(&draft);
        self.base.set(Some((draft, setlist.version)));
    }

    pub(super) fn input(&self) -> Result<SetlistInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let songs = self
            .songs
            .get_untracked()
            .iter()
            .enumerate()
            .map(|(i, s)| s.to_input(i, &mut errors))
            .collect();
        let input = SetlistInput {
            name: self.name.get_untracked(),
            venue: self.venue.get_untracked(),
            show_date: self.show_date.get_untracked(),
            notes: self.notes.get_untracked(),
            version: self.base.with_untracked(|b| b.as_ref().map(|(_, v)| *v)),
            songs,
        };
        errors.extend(validate_setlist(&input));
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }

    /// Takes their value for one conflicting field.
    pub(super) fn take_theirs(&self, conflict: &Conflict) {
        match &conflict.field {
            Field::Name => self.name.set(conflict.theirs.clone()),
            Field::Venue => self.venue.set(conflict.theirs.clone()),
            Field::ShowDate => self.show_date.set(conflict.theirs.clone()),
            Field::Notes => self.notes.set(conflict.theirs.clone()),
            Field::Order => {
                // Their order is the base's now; new songs stay after their neighbour.
                let order: Vec<String> = self.base.with_untracked(|b| {
                    b.iter()
                        .flat_map(|(d, _)| d.songs.iter().filter_map(|s| s.id.clone()))
                        .collect()
                });
                self.songs.update(|songs| {
                    let mut place = -1.0;
                    let mut keyed: Vec<(f64, SongDraft)> = songs
                        .iter()
                        .map(|song| {
                            let id = song.id.get_untracked();
                            place = match id.and_then(|id| order.iter().position(|o| *o == id)) {
                                Some(at) => at as f64,
                                None => place + 0.001,
                            };
                            (place, *song)
                        })
                        .collect();
                    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                    *songs = keyed.into_iter().map(|(_, song)| song).collect();
                });
            }
            Field::Song(id, field) => {
                let song = self.songs.with_untracked(|songs| {
                    songs
                        .iter()
                        .find(|s| s.id.get_untracked().as_ref() == Some(id))
                        .copied()
                });
                if let Some(song) = song {
                    song.set(*field, conflict.theirs.clone());
                }
            }
        }
    }
}

fn set_if_changed(signal: RwSignal<String>, value: &str) {
    if signal.with_untracked(|now| now != value) {
        signal.set(value.to_string());
    }
}
