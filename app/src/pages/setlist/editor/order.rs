//! Where a song can go in a show of several sets, as plain data: the model
//! behind drag and drop and the keyboard's pick-up-and-move. A set is a list
//! of song uids; a place is counted as if the moving song were not there, so
//! that "the end of Set 1" and "the start of Set 2" are different places even
//! though they sit between the same two songs.

/// A place in the running order: a set, and a place within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Slot {
    pub(super) set: usize,
    pub(super) place: usize,
}

/// The sets with `song` taken out (a set it leaves empty stays, empty), and
/// where it was.
pub(super) fn without(sets: &[Vec<u64>], song: u64) -> (Vec<Vec<u64>>, Option<Slot>) {
    let mut was = None;
    let rest = sets
        .iter()
        .enumerate()
        .map(|(set, songs)| {
            if let Some(place) = songs.iter().position(|uid| *uid == song) {
                was = Some(Slot { set, place });
            }
            songs.iter().copied().filter(|uid| *uid != song).collect()
        })
        .collect();
    (rest, was)
}

/// One step up or down from `from` in `rest`: within a set, then across a
/// break into the next set's start or the previous set's end. `None` at the
/// top or bottom of the show.
pub(super) fn step(rest: &[Vec<u64>], from: Slot, down: bool) -> Option<Slot> {
    let Slot { set, place } = from;
    match (down, place) {
        (true, place) if place < rest.get(set)?.len() => Some(Slot {
            set,
            place: place + 1,
        }),
        (true, _) => (set + 1 < rest.len()).then_some(Slot {
            set: set + 1,
            place: 0,
        }),
        (false, 0) => {
            let before = set.checked_sub(1)?;
            Some(Slot {
                set: before,
                place: rest[before].len(),
            })
        }
        (false, place) => Some(Slot {
            set,
            place: place - 1,
        }),
    }
}

/// `rest` with `song` put at `to` (clamped to the show, so a stale slot
/// still lands somewhere sensible).
pub(super) fn put(mut rest: Vec<Vec<u64>>, song: u64, to: Slot) -> Vec<Vec<u64>> {
    if rest.is_empty() {
        rest.push(Vec::new());
    }
    let set = to.set.min(rest.len() - 1);
    let place = to.place.min(rest[set].len());
    rest[set].insert(place, song);
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show() -> Vec<Vec<u64>> {
        vec![vec![1, 2, 3], vec![4, 5], vec![6]]
    }

    #[test]
    fn taking_a_song_out_remembers_its_place_and_keeps_the_emptied_set() {
        let (rest, was) = without(&show(), 6);
        assert_eq!(rest, vec![vec![1, 2, 3], vec![4, 5], vec![]]);
        assert_eq!(was, Some(Slot { set: 2, place: 0 }));
        assert_eq!(without(&show(), 9).1, None);
    }

    #[test]
    fn stepping_down_crosses_into_the_next_set_and_stops_at_the_end() {
        let (rest, _) = without(&show(), 3);
        let mut at = Slot { set: 0, place: 2 };
        let mut visited = vec![at];
        while let Some(next) = step(&rest, at, true) {
            at = next;
            visited.push(at);
        }
        let places: Vec<(usize, usize)> = visited.iter().map(|s| (s.set, s.place)).collect();
        assert_eq!(places, vec![(0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1)]);
    }

    #[test]
    fn stepping_up_lands_at_the_end_of_the_set_before() {
        let (rest, _) = without(&show(), 4);
        assert_eq!(
            step(&rest, Slot { set: 1, place: 0 }, false),
            Some(Slot { set: 0, place: 3 })
        );
        assert_eq!(step(&rest, Slot { set: 0, place: 0 }, false), None);
    }

    #[test]
    fn putting_a_song_back_anywhere_keeps_every_other_song_in_order() {
        for song in 1..=6 {
            let (rest, _) = without(&show(), song);
            for set in 0..3 {
                for place in 0..=rest[set].len() {
                    let moved = put(rest.clone(), song, Slot { set, place });
                    assert_eq!(moved[set][place], song);
                    let (again, _) = without(&moved, song);
                    assert_eq!(again, rest);
                }
            }
        }
        assert_eq!(put(vec![], 7, Slot { set: 3, place: 9 }), vec![vec![7]]);
    }
}
