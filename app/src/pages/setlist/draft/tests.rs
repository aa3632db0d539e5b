use super::*;

fn song(id: &str, title: &str, bpm: &str) -> DraftSong {
    DraftSong {
        id: Some(id.into()),
        title: title.into(),
        length: "3:00".into(),
        bpm: bpm.into(),
        ..DraftSong::default()
    }
}

fn show(songs: Vec<DraftSong>) -> Draft {
    Draft {
        name: "Roxy".into(),
        show_date: "2026-12-04".into(),
        songs,
        ..Draft::default()
    }
}

fn titles(draft: &Draft) -> Vec<&str> {
    draft.songs.iter().map(|s| s.title.as_str()).collect()
}

#[test]
fn the_managers_reorder_and_the_drummers_tempo_merge_without_asking() {
    let base = show(vec![
        song("a", "A", ""),
        song("b", "B", ""),
        song("c", "C", ""),
    ]);
    let mut manager = base.clone();
    manager.songs.swap(0, 2);
    manager.name = "Roxy, late show".into();
    let mut drummer = base.clone();
    drummer.songs[1].bpm = "160".into();
    drummer.songs[0].notes = "count in slow".into();

    let merged = merge(&base, &manager, &drummer);
    assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);
    assert_eq!(titles(&merged.draft), ["C", "B", "A"]);
    assert_eq!(merged.draft.name, "Roxy, late show");
    assert_eq!(merged.draft.songs[1].bpm, "160", "the tempo survives");
    assert_eq!(merged.draft.songs[2].notes, "count in slow");
    // And the other way round: the same result.
    let merged_back = merge(&base, &drummer, &manager);
    assert_eq!(merged_back.draft, merged.draft);
}

#[test]
fn only_one_field_changed_twice_asks_and_keeps_mine_meanwhile() {
    let base = show(vec![song("a", "A", "120")]);
    let mut mine = base.clone();
    mine.songs[0].bpm = "124".into();
    mine.venue = "The Roxy".into();
    let mut theirs = base.clone();
    theirs.songs[0].bpm = "128".into();
    let merged = merge(&base, &mine, &theirs);
    assert_eq!(merged.conflicts.len(), 1);
    let conflict = &merged.conflicts[0];
    assert_eq!(conflict.field, Field::Song("a".into(), SongField::Bpm));
    assert_eq!(conflict.label, "Tempo of “A”");
    assert_eq!(
        (conflict.mine.as_str(), conflict.theirs.as_str()),
        ("124", "128")
    );
    assert_eq!(merged.draft.songs[0].bpm, "124");
    assert_eq!(merged.draft.venue, "The Roxy");
    // The same change on both sides is no conflict.
    let same = merge(&base, &mine, &mine);
    assert!(same.conflicts.is_empty());
}

#[test]
fn additions_on_both_sides_keep_their_places_and_removals_stick() {
    let base = show(vec![
        song("a", "A", ""),
        song("b", "B", ""),
        song("c", "C", ""),
    ]);
    let mut mine = base.clone();
    let new_song = |title: &str| DraftSong {
        title: title.into(),
        ..DraftSong::default()
    };
    mine.songs.insert(1, new_song("New here"));
    mine.songs.insert(2, new_song("New too"));
    mine.songs.retain(|s| s.title != "C");
    let mut theirs = base.clone();
    theirs.songs.insert(2, song("d", "D (theirs)", ""));
    let merged = merge(&base, &mine, &theirs);
    assert!(merged.conflicts.is_empty());
    assert_eq!(
        titles(&merged.draft),
        ["A", "New here", "New too", "B", "D (theirs)"]
    );
}

#[test]
fn a_song_added_at_the_end_stays_last_when_they_move_the_last_song() {
    let base = show(vec![
        song("a", "Alpha", ""),
        song("b", "Beta", ""),
        song("c", "Gamma", ""),
    ]);
    let mut mine = base.clone();
    mine.songs.push(DraftSong {
        title: "Epsilon".into(),
        ..DraftSong::default()
    });
    let mut theirs = base.clone();
    theirs.songs.rotate_right(1);
    let merged = merge(&base, &mine, &theirs);
    assert!(merged.conflicts.is_empty());
    assert_eq!(titles(&merged.draft), ["Gamma", "Alpha", "Beta", "Epsilon"]);
}

#[test]
fn a_song_they_removed_that_i_edited_is_kept_as_new() {
    let base = show(vec![song("a", "A", ""), song("b", "B", "")]);
    let mut mine = base.clone();
    mine.songs[1].bpm = "99".into();
    let mut theirs = base.clone();
    theirs.songs.remove(1);
    theirs.songs.remove(0);
    let merged = merge(&base, &mine, &theirs);
    assert_eq!(merged.kept, ["B"]);
    assert_eq!(titles(&merged.draft), ["B"], "A was untouched here: gone");
    assert_eq!(merged.draft.songs[0].id, None);
    assert_eq!(merged.draft.songs[0].bpm, "99");
}

#[test]
fn two_different_reorders_are_a_conflict_on_the_order() {
    let base = show(vec![
        song("a", "A", ""),
        song("b", "B", ""),
        song("c", "C", ""),
    ]);
    let mut mine = base.clone();
    mine.songs.swap(0, 1);
    let mut theirs = base.clone();
    theirs.songs.swap(1, 2);
    let merged = merge(&base, &mine, &theirs);
    assert_eq!(merged.conflicts.len(), 1);
    assert_eq!(merged.conflicts[0].field, Field::Order);
    assert_eq!(merged.conflicts[0].theirs, "A → C → B");
    assert_eq!(titles(&merged.draft), ["B", "A", "C"], "mine meanwhile");
}

#[test]
fn a_change_is_described_in_words() {
    let before = show(vec![song("a", "Everlong", ""), song("b", "Hero", "")]);
    let mut after = before.clone();
    after.songs.swap(0, 1);
    after.songs[0].bpm = "160".into();
    assert_eq!(
        describe_change("Max", &before, &after, false),
        "Max reordered the set and set the tempo of “Hero” to 160."
    );
    after.songs.pop();
    assert_eq!(
        describe_change("Dee", &before, &after, true),
        "Dee changed the sets, set the tempo of “Hero” to 160 and removed “Everlong”."
    );
}

#[test]
fn a_song_put_back_takes_the_tempo_set_meanwhile_and_keeps_its_own_edits() {
    let then = song("b", "B", "100");
    let mut mine = then.clone();
    mine.notes = "edited before removing".into();
    let mut now = song("b", "B", "150");
    now.drummer_notes = "count in".into();
    let back = catch_up(&then, &mine, &now);
    assert_eq!(back.bpm, "150", "the drummer's tempo, not the stale copy's");
    assert_eq!(back.drummer_notes, "count in");
    assert_eq!(back.notes, "edited before removing");
}

#[test]
fn a_retitled_song_is_named_as_both_sides_knew_it() {
    let base = show(vec![song("a", "Everlong", "")]);
    let (mut mine, mut theirs) = (base.clone(), base.clone());
    mine.songs[0].title = "Everlong (acoustic)".into();
    theirs.songs[0].title = "Everlong (live)".into();
    assert_eq!(
        describe_change("Someone", &base, &theirs, false),
        "Someone edited “Everlong” (now “Everlong (live)”)."
    );
    let merged = merge(&base, &mine, &theirs);
    assert_eq!(merged.conflicts[0].label, "Title of “Everlong”");
}

#[test]
fn a_question_answered_is_not_asked_again_from_the_old_base() {
    let old_base = show(vec![
        song("a", "A", "120"),
        song("b", "B", ""),
        song("x", "X", ""),
    ]);
    let mut theirs = old_base.clone();
    theirs.venue = "Theirs".into();
    theirs.songs[0].bpm = "150".into();
    theirs.songs.swap(0, 1);
    let mut mine = old_base.clone();
    mine.venue = "Mine".into();
    mine.songs[0].bpm = "130".into();
    let last = mine.songs.pop().unwrap();
    mine.songs.insert(0, last);
    let asked = merge(&old_base, &mine, &theirs).conflicts;
    assert_eq!(asked.len(), 3, "venue, tempo and order: {asked:?}");

    // Each answered with "keep mine": the old base takes their value for it.
    let mut before = old_base.clone();
    for question in &asked {
        before.adopt(&question.field, &theirs);
    }
    assert!(merge(&before, &mine, &theirs).conflicts.is_empty());
    assert_eq!(before.venue, "Theirs");
    assert_eq!(titles(&before), ["B", "A", "X"]);
}
