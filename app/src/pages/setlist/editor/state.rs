//! The editor's state: one signal per field, the version it started from,
//! and how a merged change is applied to the fields without disturbing the
//! one being typed in.

use leptos::prelude::*;

use crate::{
    api::{
        FIRST_SET, SetInput, SetOfSongs, Setlist, SetlistInput,
        validation::{FieldErrors, validate_setlist},
    },
    components::{parse_slot, slot_field},
    pages::setlist::{
        draft::{Conflict, Draft, DraftSong, Field, merge},
        song_editor::{SongDraft, field_id},
    },
};

use super::order::{self, Slot};

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
    pub(super) sets: RwSignal<SetBreaks>,
    /// The sets as loaded (names, slots and sizes), to tell whether they changed.
    pub(super) base_sets: RwSignal<Vec<(SetHead, usize)>>,
    /// Where the sets of the version in `base` start, for merging a newer one.
    pub(super) saved_sets: RwSignal<SetsById>,
    pub(super) next_uid: StoredValue<u64>,
    /// A new setlist's name for its create (`Idempotency-Key`), kept with
    /// the draft: the save sent again after a reload finds the first one's.
    pub(super) create_key: StoredValue<String>,
}

/// Where the show's sets start: the first set, and each later set with the
/// song (by uid) that opens it. A swap by the form's ↑/↓ carries the break
/// with that song; a move in the running order (`move_to`) keeps each set's
/// songs as placed and marks each set by whichever song now opens it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct SetBreaks {
    pub(super) first: SetHead,
    pub(super) later: Vec<(u64, SetHead)>,
}

/// Where a version's sets start, each later set marked by the id of the
/// song that opens it (`None`: a song not saved yet). Uids are this
/// editor's own, so this is the form in which the sets typed here and a
/// newer version's sets are compared.
#[derive(Clone, Debug, PartialEq)]
pub(in crate::pages::setlist) struct SetsById {
    first: SetHead,
    later: Vec<(Option<String>, SetHead)>,
}

impl SetsById {
    /// A saved version's sets. An empty later set has no song to open it:
    /// the editor does not keep it.
    pub(in crate::pages::setlist) fn of(setlist: &Setlist) -> SetsById {
        let later = setlist.sets.iter().skip(1).filter_map(|set| {
            let opener = set.songs.first()?;
            Some((Some(opener.id.clone()), SetHead::of(set)))
        });
        SetsById {
            first: setlist
                .sets
                .first()
                .map_or_else(|| SetHead::named(FIRST_SET), SetHead::of),
            later: later.collect(),
        }
    }
}

/// A song taken out of the running order, for "Undo": its place, and the
/// set it opened (with the song that opens that set meanwhile).
#[derive(Clone)]
pub(super) struct Removed {
    at: usize,
    pub(super) song: SongDraft,
    opened: Option<SetHead>,
    heir: Option<u64>,
}

/// A set's name, and its slot on stage as typed (minutes, or empty).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(in crate::pages::setlist) struct SetHead {
    pub(super) name: String,
    pub(super) slot: String,
}

/// Two heads are the same when they would save the same: "45" and "45:00"
/// are one slot, so retyping it is no unsaved change.
impl PartialEq for SetHead {
    fn eq(&self, other: &SetHead) -> bool {
        self.name == other.name && parse_slot(&self.slot) == parse_slot(&other.slot)
    }
}

impl SetHead {
    pub(super) fn named(name: impl Into<String>) -> SetHead {
        SetHead {
            name: name.into(),
            slot: String::new(),
        }
    }

    fn of(set: &SetOfSongs) -> SetHead {
        SetHead {
            name: set.name.clone(),
            slot: set.slot_secs.map(slot_field).unwrap_or_default(),
        }
    }
}

impl Default for SetBreaks {
    fn default() -> Self {
        SetBreaks {
            first: SetHead::named(FIRST_SET),
            later: Vec::new(),
        }
    }
}

impl EditorState {
    /// Empty fields for the setlist `id` (`None`: a new one).
    pub(super) fn new(id: Option<String>) -> EditorState {
        EditorState {
            id: RwSignal::new(id),
            base: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            venue: RwSignal::new(String::new()),
            show_date: RwSignal::new(String::new()),
            notes: RwSignal::new(String::new()),
            songs: RwSignal::new(Vec::new()),
            sets: RwSignal::new(SetBreaks::default()),
            base_sets: RwSignal::new(vec![(SetHead::named(FIRST_SET), 0)]),
            saved_sets: RwSignal::new(SetsById {
                first: SetHead::named(FIRST_SET),
                later: Vec::new(),
            }),
            next_uid: StoredValue::new(0),
            create_key: StoredValue::new(crate::pages::setlist::random_name()),
        }
    }

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
        let saved = SetsById::of(setlist);
        self.sets.set(self.breaks_of(&saved));
        self.saved_sets.set(saved);
        self.base_sets.set(sizes_of(setlist));
    }

    /// What a save is about to send (untracked).
    pub(super) fn sent(&self) -> Sent {
        untrack(|| Sent {
            draft: self.draft(),
            uids: self
                .songs
                .with(|songs| songs.iter().map(|song| song.uid).collect()),
            sets: self.set_sizes(),
        })
    }

    /// Loads `saved`, the answer to a save of `sent`, keeping whatever was
    /// typed while the save was on its way: the answer would otherwise
    /// overwrite those keystrokes. Whether anything was (it is unsaved now).
    pub(super) fn load_saved(&self, saved: &Setlist, sent: &Sent) -> bool {
        let typed_sets = untrack(|| self.set_sizes());
        if untrack(|| self.draft()) == sent.draft && typed_sets == sent.sets {
            self.load(saved);
            return false;
        }
        // The songs sent without an id have one now (the answer keeps their order).
        let mut base = sent.draft.clone();
        if sent.uids.len() == saved.songs.len() {
            self.songs.with_untracked(|songs| {
                for (uid, song) in sent.uids.iter().zip(&saved.songs) {
                    if let Some(draft) = songs.iter().find(|draft| draft.uid == *uid) {
                        draft.id.set(Some(song.id.clone()));
                    }
                }
            });
            for (draft, song) in base.songs.iter_mut().zip(&saved.songs) {
                draft.id = Some(song.id.clone());
            }
        }
        // What the answer changed (a length written the server's way) is
        // taken where nothing was typed since; the rest stays as typed.
        let typed = merge(&base, &untrack(|| self.draft()), &Draft::of(saved));
        self.load(saved);
        self.show(&typed.draft);
        if typed_sets != sent.sets {
            self.restore_sets(&typed_sets);
        }
        true
    }

    /// Shows `merged`, the fields typed here merged with `theirs`, a newer
    /// version, which becomes the base. Their sets come in where the sets
    /// here are as they were; where both changed them, each differently,
    /// these stay and the conflict is returned. Saving these sets over
    /// theirs unasked would undo their set break.
    pub(super) fn take_merge(&self, merged: &Draft, theirs: &Setlist) -> SetsMerged {
        let (was, mine, now) = (
            self.saved_sets.get_untracked(),
            self.typed_sets(),
            SetsById::of(theirs),
        );
        let mine_sizes = untrack(|| self.set_sizes());
        let order_before = self.uids();
        self.show(merged);
        self.base.set(Some((Draft::of(theirs), theirs.version)));
        self.base_sets.set(sizes_of(theirs));
        let conflict = if mine == was || mine == now {
            self.sets.set(self.breaks_of(&now));
            None
        } else {
            // The sets typed here stay: those whose first song they removed
            // go on from the song after it.
            self.hand_over_breaks(&order_before);
            (now != was).then(|| sets_conflict(&mine_sizes, &sizes_of(theirs)))
        };
        let changed = now != was;
        self.saved_sets.set(now);
        SetsMerged { changed, conflict }
    }

    /// The songs' uids, in order (untracked).
    fn uids(&self) -> Vec<u64> {
        self.songs
            .with_untracked(|songs| songs.iter().map(|song| song.uid).collect())
    }

    /// Each set whose first song is no longer here (a merge took it out)
    /// starts where that song was: at the song now after the last song
    /// still here that came before it (a kept copy of the song, perhaps), as
    /// when a song is removed here (`remove_song`); a set left with no song
    /// goes.
    fn hand_over_breaks(&self, order_before: &[u64]) {
        let here = self.uids();
        self.sets.update(|breaks| {
            let openers: Vec<u64> = breaks.later.iter().map(|(uid, _)| *uid).collect();
            for (opener, _) in breaks
                .later
                .iter_mut()
                .filter(|(uid, _)| !here.contains(uid))
            {
                let Some(at) = order_before.iter().position(|uid| uid == opener) else {
                    continue;
                };
                let before = order_before[..at]
                    .iter()
                    .rev()
                    .find(|uid| here.contains(uid));
                let heir = before
                    .and_then(|before| here.iter().position(|uid| uid == before))
                    .and_then(|place| here.get(place + 1))
                    .filter(|heir| !openers.contains(heir));
                if let Some(heir) = heir {
                    *opener = *heir;
                }
            }
            breaks.later.retain(|(uid, _)| here.contains(uid));
        });
    }

    /// The sets typed here, by song id (untracked).
    fn typed_sets(&self) -> SetsById {
        let breaks = self.sets.get_untracked();
        let later = self.songs.with_untracked(|songs| {
            songs
                .iter()
                .filter_map(|song| {
                    let (_, head) = breaks.later.iter().find(|(uid, _)| *uid == song.uid)?;
                    Some((song.id.get_untracked(), head.clone()))
                })
                .collect()
        });
        SetsById {
            first: breaks.first,
            later,
        }
    }

    /// `sets` on the songs here: a set whose opener is not here is joined
    /// to the one before it.
    fn breaks_of(&self, sets: &SetsById) -> SetBreaks {
        let songs = self.songs.get_untracked();
        let uid_of = |id: &str| {
            songs
                .iter()
                .find(|song| song.id.get_untracked().as_deref() == Some(id))
                .map(|song| song.uid)
        };
        let later = sets
            .later
            .iter()
            .filter_map(|(id, head)| Some((uid_of(id.as_deref()?)?, head.clone())));
        SetBreaks {
            first: sets.first.clone(),
            later: later.collect(),
        }
    }

    /// The songs by set, in order (tracked).
    pub(super) fn running_sets(&self) -> Vec<(SetHead, Vec<SongDraft>)> {
        let breaks = self.sets.get();
        let mut sets = vec![(breaks.first, Vec::new())];
        for song in self.songs.get() {
            if let Some((_, head)) = breaks.later.iter().find(|(uid, _)| *uid == song.uid) {
                sets.push((head.clone(), Vec::new()));
            }
            if let Some((_, songs)) = sets.last_mut() {
                songs.push(song);
            }
        }
        sets
    }

    /// Puts back the sets of a kept draft, `typed` over a base whose sets
    /// were `typed_over` (both by size): only if they were changed there,
    /// and add up to the songs on screen. Where the version loaded since
    /// changed them too, the conflict comes with them (putting them back
    /// unasked would undo the other manager's sets). `None`: not put back.
    pub(super) fn restore_kept_sets(
        &self,
        typed: &[(SetHead, usize)],
        typed_over: &[(SetHead, usize)],
    ) -> Option<SetsBack> {
        let saved = self.base_sets.get_untracked();
        if typed.is_empty() || typed == typed_over || typed == saved || !self.restore_sets(typed) {
            return None;
        }
        // A draft kept before its base's sets were cannot tell: it asks nothing.
        let changed_there = !typed_over.is_empty() && saved != typed_over;
        let conflict = changed_there.then(|| sets_conflict(typed, &saved));
        Some(SetsBack { conflict })
    }

    /// Puts set breaks back by size (a kept draft's `set_sizes`), when they
    /// add up to the songs on screen; whether they did.
    fn restore_sets(&self, sets: &[(SetHead, usize)]) -> bool {
        let songs = self.songs.get_untracked();
        if sets.iter().map(|(_, size)| size).sum::<usize>() != songs.len() {
            return false;
        }
        let mut breaks = SetBreaks::default();
        let mut start = 0;
        for (place, (head, size)) in sets.iter().enumerate() {
            match songs.get(start) {
                _ if place == 0 => breaks.first = head.clone(),
                Some(opener) if *size > 0 => breaks.later.push((opener.uid, head.clone())),
                _ => {}
            }
            start += size;
        }
        self.sets.set(breaks);
        true
    }

    /// Each set and its number of songs (tracked).
    pub(super) fn set_sizes(&self) -> Vec<(SetHead, usize)> {
        self.running_sets()
            .into_iter()
            .map(|(head, songs)| (head, songs.len()))
            .collect()
    }

    /// The place (1 for the second set) and head of the set `uid` opens,
    /// if it opens one after the first (tracked).
    pub(super) fn set_opened_by(&self, uid: u64) -> Option<(usize, SetHead)> {
        let breaks = self.sets.get();
        let name = breaks
            .later
            .iter()
            .find(|(opener, _)| *opener == uid)?
            .1
            .clone();
        let before = self.songs.with(|songs| {
            songs
                .iter()
                .take_while(|song| song.uid != uid)
                .filter(|song| breaks.later.iter().any(|(opener, _)| *opener == song.uid))
                .count()
        });
        Some((before + 1, name))
    }

    /// Takes song `uid` out of the running order. A song that opens a set
    /// hands the set (its name and slot) to the next song of that set; a
    /// set it was alone in goes with it until an undo.
    pub(super) fn remove_song(&self, uid: u64) -> Option<Removed> {
        let mut removed = None;
        self.songs.update(|list| {
            let Some(at) = list.iter().position(|song| song.uid == uid) else {
                return;
            };
            let song = list.remove(at);
            let next = list.get(at).map(|song| song.uid);
            let mut opened = None;
            let mut heir = None;
            self.sets.update(|breaks| {
                let Some(place) = breaks.later.iter().position(|(opener, _)| *opener == uid) else {
                    return;
                };
                opened = Some(breaks.later[place].1.clone());
                match next.filter(|next| breaks.later.iter().all(|(opener, _)| opener != next)) {
                    Some(next) => {
                        breaks.later[place].0 = next;
                        heir = Some(next);
                    }
                    None => {
                        breaks.later.remove(place);
                    }
                }
            });
            removed = Some(Removed {
                at,
                song,
                opened,
                heir,
            });
        });
        removed
    }

    /// Puts a removed song back in its place, opening its set again.
    pub(super) fn restore_song(&self, removed: Removed) {
        let Removed {
            at,
            song,
            opened,
            heir,
        } = removed;
        let uid = song.uid;
        self.songs
            .update(|list| list.insert(at.min(list.len()), song));
        if let Some(head) = opened {
            self.sets.update(|breaks| {
                breaks
                    .later
                    .retain(|(opener, _)| Some(*opener) != heir && *opener != uid);
                breaks.later.push((uid, head));
            });
        }
    }

    /// Starts a new set at `uid` (named "Set 3" if it is the third), and
    /// says where it is and what it is called.
    pub(super) fn start_set(&self, uid: u64) -> Option<(usize, SetHead)> {
        self.sets.update(|breaks| {
            if breaks.later.iter().all(|(opener, _)| *opener != uid) {
                let name = format!("Set {}", breaks.later.len() + 2);
                breaks.later.push((uid, SetHead::named(name)));
            }
        });
        untrack(|| self.set_opened_by(uid))
    }

    /// Joins the set `uid` opens to the one before it.
    pub(super) fn join_set(&self, uid: u64) {
        self.sets
            .update(|breaks| breaks.later.retain(|(opener, _)| *opener != uid));
    }

    /// The songs of each set, by uid (untracked).
    pub(super) fn set_uids(&self) -> Vec<Vec<u64>> {
        untrack(|| self.running_sets())
            .into_iter()
            .map(|(_, songs)| songs.iter().map(|song| song.uid).collect())
            .collect()
    }

    /// Moves song `uid` to `to` (counted without it). A set it leaves empty
    /// goes (a later set is marked by the song that opens it): its name is
    /// returned, to be said.
    pub(super) fn move_to(&self, uid: u64, to: Slot) -> Option<String> {
        let heads: Vec<SetHead> = untrack(|| self.running_sets())
            .into_iter()
            .map(|(head, _)| head)
            .collect();
        let (rest, _) = order::without(&self.set_uids(), uid);
        let sets = order::put(rest, uid, to);
        let songs = self.songs.get_untracked();
        let mut arranged = Vec::with_capacity(songs.len());
        let mut breaks = SetBreaks::default();
        let mut emptied = None;
        for (head, set) in heads.into_iter().zip(sets) {
            let Some(&opener) = set.first() else {
                emptied = Some(head.name);
                continue;
            };
            if arranged.is_empty() {
                breaks.first = head;
            } else {
                breaks.later.push((opener, head));
            }
            arranged.extend(
                set.iter()
                    .filter_map(|uid| songs.iter().find(|s| s.uid == *uid)),
            );
        }
        self.songs.set(arranged);
        self.sets.set(breaks);
        emptied
    }

    /// Where song `uid` stands, in words: "4 of 12, first in Encore" (untracked).
    pub(super) fn place_of(&self, uid: u64) -> String {
        let sets = untrack(|| self.running_sets());
        let count: usize = sets.iter().map(|(_, songs)| songs.len()).sum();
        let mut number = 0;
        for (SetHead { name, .. }, songs) in &sets {
            if let Some(at) = songs.iter().position(|song| song.uid == uid) {
                let within = match at {
                    _ if songs.len() == 1 => "the only song".to_string(),
                    0 => "first".to_string(),
                    at if at + 1 == songs.len() => "last".to_string(),
                    at => format!("number {}", at + 1),
                };
                return format!("{} of {count}, {within} in {name}", number + at + 1);
            }
            number += songs.len();
        }
        String::new()
    }

    /// Changes the set `uid` opens, or the first set for `None`.
    pub(super) fn edit_set(&self, uid: Option<u64>, edit: impl FnOnce(&mut SetHead)) {
        self.sets.update(|breaks| match uid {
            None => edit(&mut breaks.first),
            Some(uid) => {
                if let Some((_, head)) = breaks.later.iter_mut().find(|(opener, _)| *opener == uid)
                {
                    edit(head);
                }
            }
        });
    }

    pub(super) fn input(&self) -> Result<SetlistInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut position = 0;
        let sets: Vec<SetInput> = untrack(|| self.running_sets())
            .into_iter()
            .enumerate()
            .map(|(i, (head, songs))| SetInput {
                slot_secs: parse_slot(&head.slot).unwrap_or_else(|problem| {
                    errors.insert(format!("sets[{i}].slot_secs"), problem.into());
                    None
                }),
                name: head.name,
                songs: songs
                    .into_iter()
                    .map(|song| {
                        position += 1;
                        song.to_input(position - 1, &mut errors)
                    })
                    .collect(),
            })
            .collect();
        // A show of one plain "Set 1" goes as the plain list of songs.
        let (songs, sets) = match <[SetInput; 1]>::try_from(sets) {
            Ok([only]) if only.name == FIRST_SET && only.slot_secs.is_none() => {
                (Some(only.songs), None)
            }
            Ok(one) => (None, Some(one.into())),
            Err(sets) => (None, Some(sets)),
        };
        let input = SetlistInput {
            name: self.name.get_untracked(),
            venue: self.venue.get_untracked(),
            show_date: self.show_date.get_untracked(),
            notes: self.notes.get_untracked(),
            version: self.base.with_untracked(|b| b.as_ref().map(|(_, v)| *v)),
            songs,
            sets,
        };
        errors.extend(validate_setlist(&input));
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }

    /// Opens the forms of the songs `errors` name ("songs[2].bpm", counted
    /// through the show; "sets[1].songs[0].title"), so that the fields to
    /// mend are on screen, and gives the ids of those fields in the page's
    /// order (the first gets the focus).
    pub(super) fn open_songs_named_in(&self, errors: &FieldErrors) -> Vec<String> {
        let sets = untrack(|| self.running_sets());
        let songs: Vec<SongDraft> = sets
            .iter()
            .flat_map(|(_, songs)| songs.iter().copied())
            .collect();
        // Where each set's songs start, counted through the show.
        let firsts: Vec<usize> = sets
            .iter()
            .scan(0, |next, (_, songs)| {
                let first = *next;
                *next += songs.len();
                Some(first)
            })
            .collect();
        let index = |text: &str| text.split(']').next()?.parse::<usize>().ok();
        errors
            .keys()
            .filter_map(|name| {
                // The page's order: the setlist's own fields, then each
                // set's slot before its songs.
                const OWN: [(&str, &str); 4] = [
                    ("name", "setlist-name"),
                    ("venue", "setlist-venue"),
                    ("show_date", "setlist-date"),
                    ("notes", "setlist-notes"),
                ];
                if let Some(place) = OWN.iter().position(|(own, _)| own == name) {
                    return Some((place, OWN[place].1.to_string()));
                }
                let set = name.strip_prefix("sets[").and_then(index);
                let first = set.and_then(|set| firsts.get(set).copied()).unwrap_or(0);
                let Some((_, song)) = name.split_once("songs[") else {
                    let field = if name.ends_with(".name") {
                        "name"
                    } else {
                        "slot"
                    };
                    return set.map(|set| (OWN.len() + 2 * first, format!("set-{set}-{field}")));
                };
                let at = first + index(song)?;
                let song = songs.get(at)?;
                song.open.set(true);
                let field = match name.rsplit_once("].").map(|(_, field)| field) {
                    Some("duration_secs") => "length",
                    Some(field) => field,
                    None => "title",
                };
                Some((OWN.len() + 1 + 2 * at, field_id(song.uid, field)))
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|(_, id)| id)
            .collect()
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
            Field::Sets => self
                .sets
                .set(self.breaks_of(&self.saved_sets.get_untracked())),
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

/// What a merge did to the sets.
pub(super) struct SetsMerged {
    /// Whether the newer version changed them.
    pub(super) changed: bool,
    pub(super) conflict: Option<Conflict>,
}

/// What a save sent: the fields, the songs (by uid) in order, and the sets.
pub(super) struct Sent {
    draft: Draft,
    uids: Vec<u64>,
    sets: Vec<(SetHead, usize)>,
}

/// Kept sets put back (`restore_kept_sets`).
pub(super) struct SetsBack {
    pub(super) conflict: Option<Conflict>,
}

/// Both changed the sets: mine and theirs, each set with its size.
fn sets_conflict(mine: &[(SetHead, usize)], theirs: &[(SetHead, usize)]) -> Conflict {
    Conflict {
        field: Field::Sets,
        label: "Sets".into(),
        mine: describe_sets(mine),
        theirs: describe_sets(theirs),
    }
}

/// Each set of a saved version and its number of songs, as `set_sizes`
/// counts them once it is loaded.
fn sizes_of(setlist: &Setlist) -> Vec<(SetHead, usize)> {
    let first = setlist.sets.first().map_or_else(
        || (SetHead::named(FIRST_SET), 0),
        |set| (SetHead::of(set), set.songs.len()),
    );
    let later = setlist
        .sets
        .iter()
        .skip(1)
        .filter(|set| !set.songs.is_empty());
    std::iter::once(first)
        .chain(later.map(|set| (SetHead::of(set), set.songs.len())))
        .collect()
}

/// "Set 1 (3 songs), Encore (1 song)".
fn describe_sets(sizes: &[(SetHead, usize)]) -> String {
    let set = |(head, size): &(SetHead, usize)| match size {
        1 => format!("{} (1 song)", head.name),
        n => format!("{} ({n} songs)", head.name),
    };
    sizes.iter().map(set).collect::<Vec<_>>().join(", ")
}

fn set_if_changed(signal: RwSignal<String>, value: &str) {
    if signal.with_untracked(|now| now != value) {
        signal.set(value.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signals need an owner (built with `ssr`, one with its own arena).
    fn in_owner(test: impl FnOnce()) {
        Owner::new_root(None).with(test)
    }

    fn with_songs(count: usize) -> EditorState {
        let state = EditorState::new(None);
        let songs = (0..count)
            .map(|n| {
                state.new_song(DraftSong {
                    title: format!("Song {n}"),
                    ..DraftSong::default()
                })
            })
            .collect();
        state.songs.set(songs);
        state
    }

    fn sizes(state: &EditorState) -> Vec<(String, usize)> {
        let sizes = state.set_sizes().into_iter();
        sizes.map(|(head, size)| (head.name, size)).collect()
    }

    #[test]
    fn the_problems_come_in_the_page_s_order_and_their_songs_open() {
        in_owner(|| {
            let state = with_songs(3);
            let third = state.songs.with_untracked(|songs| songs[2]);
            let problems = |names: &[&str]| -> FieldErrors {
                names
                    .iter()
                    .map(|name| (name.to_string(), "wrong".to_string()))
                    .collect()
            };
            // "songs[…]" sorts before "venue", but the venue is above the songs.
            let named = state.open_songs_named_in(&problems(&["songs[2].bpm", "venue"]));
            assert_eq!(
                named,
                ["setlist-venue".to_string(), field_id(third.uid, "bpm")]
            );
            assert!(third.open.get_untracked(), "the song named is opened too");
            let named = state.open_songs_named_in(&problems(&["songs[2].bpm", "songs[10].bpm"]));
            assert_eq!(named, [field_id(third.uid, "bpm")], "no song 11 to mark");
            let named = state.open_songs_named_in(&problems(&["sets[0].songs[2].duration_secs"]));
            assert_eq!(named, [field_id(third.uid, "length")]);
        });
    }

    #[test]
    fn kept_sets_come_back_when_their_sizes_add_up_to_the_songs() {
        in_owner(|| {
            let state = with_songs(5);
            let encore = SetHead {
                name: "Encore".into(),
                slot: "10".into(),
            };
            state.restore_sets(&[
                (SetHead::named("Set 1"), 2),
                (SetHead::named("Set 2"), 3),
                (encore, 0),
            ]);
            // An empty set has no song to open it, so it is not kept.
            assert_eq!(sizes(&state), [("Set 1".into(), 2), ("Set 2".into(), 3)]);
        });
    }

    #[test]
    fn kept_sets_that_do_not_add_up_leave_the_sets_alone() {
        in_owner(|| {
            let state = with_songs(3);
            let before = sizes(&state);
            state.restore_sets(&[(SetHead::named("Set 1"), 2), (SetHead::named("Set 2"), 2)]);
            assert_eq!(sizes(&state), before);
            state.restore_sets(&[(SetHead::named("Set 1"), 1)]);
            assert_eq!(sizes(&state), before);
        });
    }

    /// The id of the song titled `title` (a UUID, as the API's ids are).
    fn id_of(title: &str) -> String {
        assert!(title.len() <= 6, "a UUID holds six bytes of title: {title}");
        let hex: String = title.bytes().map(|b| format!("{b:02x}")).collect();
        format!("00000000-0000-4000-8000-{hex:0>12}")
    }

    /// Version `version` of a show whose songs' ids are made of their titles.
    fn saved(version: i64, sets: &[(&str, &[&str])]) -> Setlist {
        let song = |title: &&str| crate::api::Song {
            id: id_of(title),
            title: title.to_string(),
            ..Default::default()
        };
        let sets: Vec<SetOfSongs> = sets
            .iter()
            .map(|(name, ids)| SetOfSongs {
                name: name.to_string(),
                songs: ids.iter().map(song).collect(),
                slot_secs: None,
            })
            .collect();
        Setlist {
            id: "show".into(),
            name: "Friday".into(),
            show_date: "2026-12-12".into(),
            version,
            songs: sets.iter().flat_map(|set| set.songs.clone()).collect(),
            sets,
            ..Default::default()
        }
    }

    /// Merges `theirs` into `state` as a live change does.
    fn merge_in(state: &EditorState, theirs: &Setlist) -> SetsMerged {
        let base = state.base.get_untracked().unwrap().0;
        let merged = crate::pages::setlist::draft::merge(&base, &state.draft(), &Draft::of(theirs));
        state.take_merge(&merged.draft, theirs)
    }

    fn uid_of(state: &EditorState, title: &str) -> u64 {
        state.songs.with_untracked(|songs| {
            let song = songs
                .iter()
                .find(|s| s.id.get_untracked() == Some(id_of(title)));
            song.unwrap().uid
        })
    }

    /// Sets a, b, c | d; here "b" is moved to open the encore (a, c | b, d),
    /// and given a new title when `edited`; there, "b" is removed. The sets'
    /// sizes after the merge.
    fn encore_opener_removed_there(edited: bool) -> Vec<(String, usize)> {
        let state = EditorState::new(Some("show".into()));
        state.load(&saved(
            1,
            &[("Set 1", &["a", "b", "c"]), ("Encore", &["d"])],
        ));
        let b = uid_of(&state, "b");
        state.songs.update(|songs| {
            let moved = songs.remove(1);
            if edited {
                moved.set(
                    crate::pages::setlist::draft::SongField::Title,
                    "b, live".into(),
                );
            }
            songs.insert(2, moved);
        });
        state
            .sets
            .update(|breaks| breaks.later = vec![(b, SetHead::named("Encore"))]);
        let theirs = saved(2, &[("Set 1", &["a", "c"]), ("Encore", &["d"])]);
        assert!(merge_in(&state, &theirs).conflict.is_none());
        sizes(&state)
    }

    #[test]
    fn a_set_whose_first_song_they_removed_goes_on_from_the_next_song() {
        in_owner(|| {
            let sizes = encore_opener_removed_there(false);
            assert_eq!(sizes, [("Set 1".into(), 2), ("Encore".into(), 1)]);
        });
    }

    #[test]
    fn a_set_whose_first_song_they_removed_and_was_edited_here_starts_at_its_copy() {
        in_owner(|| {
            let sizes = encore_opener_removed_there(true);
            assert_eq!(sizes, [("Set 1".into(), 2), ("Encore".into(), 2)]);
        });
    }

    #[test]
    fn their_set_break_comes_in_where_the_sets_here_are_untouched() {
        in_owner(|| {
            let state = EditorState::new(Some("show".into()));
            state.load(&saved(1, &[("Set 1", &["a", "b", "c", "d"])]));
            state.name.set("Friday late".into());
            let theirs = saved(2, &[("Set 1", &["a", "b"]), ("Encore", &["c", "d"])]);
            let sets = merge_in(&state, &theirs);
            assert!(sets.changed && sets.conflict.is_none());
            assert_eq!(sizes(&state), [("Set 1".into(), 2), ("Encore".into(), 2)]);
            assert_eq!(state.name.get_untracked(), "Friday late");
            let input = state.input().unwrap();
            let sent = input
                .sets
                .unwrap()
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>();
            assert_eq!(sent, ["Set 1", "Encore"], "a save keeps their break");
            // Nothing of the sets is unsaved here: they are the base's.
            assert_eq!(state.base_sets.get_untracked(), state.set_sizes());
        });
    }

    #[test]
    fn a_set_break_made_here_stays_when_they_change_only_songs() {
        in_owner(|| {
            let state = EditorState::new(Some("show".into()));
            state.load(&saved(1, &[("Set 1", &["a", "b", "c", "d"])]));
            state.start_set(uid_of(&state, "c"));
            let mut theirs = saved(2, &[("Set 1", &["a", "b", "c", "d"])]);
            theirs.songs[0].bpm = Some(120);
            let sets = merge_in(&state, &theirs);
            assert!(!sets.changed && sets.conflict.is_none());
            assert_eq!(sizes(&state), [("Set 1".into(), 2), ("Set 2".into(), 2)]);
            let tempo = state.songs.with_untracked(|songs| songs[0].data().bpm);
            assert_eq!(tempo, "120");
        });
    }

    #[test]
    fn sets_changed_on_both_sides_ask_and_theirs_can_be_taken() {
        in_owner(|| {
            let state = EditorState::new(Some("show".into()));
            state.load(&saved(1, &[("Set 1", &["a", "b", "c", "d"])]));
            state.start_set(uid_of(&state, "b"));
            let theirs = saved(2, &[("Set 1", &["a", "b", "c"]), ("Encore", &["d"])]);
            let conflict = merge_in(&state, &theirs).conflict.unwrap();
            assert_eq!(conflict.field, Field::Sets);
            assert_eq!(conflict.mine, "Set 1 (1 song), Set 2 (3 songs)");
            assert_eq!(conflict.theirs, "Set 1 (3 songs), Encore (1 song)");
            assert_eq!(sizes(&state), [("Set 1".into(), 1), ("Set 2".into(), 3)]);
            state.take_theirs(&conflict);
            assert_eq!(sizes(&state), [("Set 1".into(), 3), ("Encore".into(), 1)]);
        });
    }

    #[test]
    fn their_renamed_set_comes_in_around_a_song_added_here() {
        in_owner(|| {
            let state = EditorState::new(Some("show".into()));
            state.load(&saved(1, &[("Set 1", &["a", "b"]), ("Set 2", &["c"])]));
            let added = state.new_song(DraftSong {
                title: "new".into(),
                ..DraftSong::default()
            });
            state.songs.update(|songs| songs.push(added));
            let theirs = saved(2, &[("Opening", &["a", "b"]), ("Encore", &["c"])]);
            assert!(merge_in(&state, &theirs).conflict.is_none());
            assert_eq!(sizes(&state), [("Opening".into(), 2), ("Encore".into(), 2)]);
        });
    }

    #[test]
    fn what_is_typed_while_a_save_is_on_its_way_stays_and_is_unsaved() {
        in_owner(|| {
            let state = EditorState::new(Some("show".into()));
            state.load(&saved(1, &[("Set 1", &["a", "b"])]));
            let new_song = state.new_song(DraftSong {
                title: "n".into(),
                ..DraftSong::default()
            });
            state.songs.update(|songs| songs.push(new_song));
            let sent = state.sent();
            // Typed after Save was pressed.
            state.venue.set("The Fillmore".into());
            new_song.set(
                crate::pages::setlist::draft::SongField::Notes,
                "slow".into(),
            );
            let answer = saved(2, &[("Set 1", &["a", "b", "n"])]);

            assert!(state.load_saved(&answer, &sent));
            assert_eq!(state.venue.get_untracked(), "The Fillmore");
            let songs = state.draft().songs;
            let ids: Vec<_> = songs.iter().map(|song| song.id.clone().unwrap()).collect();
            assert_eq!(
                ids,
                ["a", "b", "n"].map(id_of),
                "the new song took its id, once"
            );
            assert_eq!(songs[2].notes, "slow");
            assert_eq!(state.base.get_untracked().unwrap().1, 2);

            let sent = state.sent();
            assert!(!state.load_saved(&saved(3, &[("Set 1", &["a", "b", "n"])]), &sent));
            assert_eq!(state.base.get_untracked().unwrap().1, 3);
        });
    }

    fn sized(sets: &[(&str, usize)]) -> Vec<(SetHead, usize)> {
        sets.iter()
            .map(|(name, size)| (SetHead::named(*name), *size))
            .collect()
    }

    #[test]
    fn kept_sets_left_as_they_were_do_not_undo_sets_saved_since() {
        in_owner(|| {
            let state = EditorState::new(Some("show".into()));
            state.load(&saved(2, &[("Set 1", &["a", "b"]), ("Encore", &["c"])]));
            let kept = sized(&[("Set 1", 3)]);
            assert!(state.restore_kept_sets(&kept, &kept).is_none());
            assert_eq!(sizes(&state), [("Set 1".into(), 2), ("Encore".into(), 1)]);
        });
    }

    #[test]
    fn kept_sets_changed_here_come_back_and_ask_if_changed_there_too() {
        in_owner(|| {
            let state = EditorState::new(Some("show".into()));
            state.load(&saved(2, &[("Set 1", &["a", "b", "c"])]));
            let (typed, over) = (sized(&[("Set 1", 1), ("Set 2", 2)]), sized(&[("Set 1", 3)]));
            let back = state.restore_kept_sets(&typed, &over).unwrap();
            assert!(back.conflict.is_none(), "only changed here");
            assert_eq!(sizes(&state), [("Set 1".into(), 1), ("Set 2".into(), 2)]);

            state.load(&saved(3, &[("Set 1", &["a", "b"]), ("Encore", &["c"])]));
            let back = state.restore_kept_sets(&typed, &over).unwrap();
            let conflict = back.conflict.unwrap();
            assert_eq!(conflict.theirs, "Set 1 (2 songs), Encore (1 song)");
            assert_eq!(sizes(&state), [("Set 1".into(), 1), ("Set 2".into(), 2)]);
            state.take_theirs(&conflict);
            assert_eq!(sizes(&state), [("Set 1".into(), 2), ("Encore".into(), 1)]);
        });
    }

    /// Three songs in "Set 1", the rest in "Encore"; the encore's opener.
    fn encore_after_three(state: &EditorState) -> u64 {
        let encore = state.songs.with_untracked(Vec::len) - 3;
        state.restore_sets(&[
            (SetHead::named("Set 1"), 3),
            (SetHead::named("Encore"), encore),
        ]);
        state.songs.with_untracked(|songs| songs[3].uid)
    }

    #[test]
    fn removing_a_sets_first_song_hands_the_set_to_the_next_and_undo_gives_it_back() {
        in_owner(|| {
            let state = with_songs(5);
            let opener = encore_after_three(&state);
            let removed = state.remove_song(opener).unwrap();
            assert_eq!(sizes(&state), [("Set 1".into(), 3), ("Encore".into(), 1)]);
            state.restore_song(removed);
            assert_eq!(sizes(&state), [("Set 1".into(), 3), ("Encore".into(), 2)]);
            assert_eq!(state.set_opened_by(opener).unwrap().1.name, "Encore");
        });
    }

    #[test]
    fn removing_a_sets_only_song_removes_the_set_until_undo() {
        in_owner(|| {
            let state = with_songs(4);
            let opener = encore_after_three(&state);
            let removed = state.remove_song(opener).unwrap();
            assert_eq!(sizes(&state), [("Set 1".into(), 3)]);
            state.restore_song(removed);
            assert_eq!(sizes(&state), [("Set 1".into(), 3), ("Encore".into(), 1)]);
        });
    }
}
