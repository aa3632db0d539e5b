//! Sets and encores: a setlist may carry `sets: [{ name, songs }]`; the flat
//! `songs` body stays accepted as a show of one set.

use crate::common::*;
use crate::setlists::{create, put, song};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn three_sets() -> Value {
    json!({
        "name": "Long night", "show_date": "2026-12-04",
        "sets": [
            { "name": "Set 1", "songs": [song("Opener", 200), song("Second", 210)] },
            { "name": "Set 2", "songs": [song("Third", 220)] },
            { "name": "Encore", "songs": [song("Closer", 230)] },
        ]
    })
}

fn names(setlist: &Value) -> Vec<(String, Vec<String>)> {
    setlist["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|set| {
            let titles = set["songs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|song| song["title"].as_str().unwrap().to_string())
                .collect();
            (set["name"].as_str().unwrap().to_string(), titles)
        })
        .collect()
}

fn titles(setlist: &Value) -> Vec<&str> {
    setlist["songs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_show_of_three_sets_keeps_them_and_its_running_order() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let created = create(&app, &manager, &three_sets()).await;
    let expected = vec![
        (
            "Set 1".to_string(),
            vec!["Opener".to_string(), "Second".to_string()],
        ),
        ("Set 2".to_string(), vec!["Third".to_string()]),
        ("Encore".to_string(), vec!["Closer".to_string()]),
    ];
    assert_eq!(names(&created), expected);
    assert_eq!(
        titles(&created),
        ["Opener", "Second", "Third", "Closer"],
        "songs is the whole running order"
    );
    let id = created["id"].as_str().unwrap();
    let read = app
        .get_json(&format!("/api/setlists/{id}"), &manager.access_token)
        .await;
    assert_eq!(names(&read), expected);
    let overview = app.get_json("/api/setlists", &manager.access_token).await;
    let summary = overview
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap();
    assert_eq!(
        (
            summary["song_count"].as_i64(),
            summary["total_duration_secs"].as_i64()
        ),
        (Some(4), Some(860))
    );

    // A drummer's patch of a song in the encore shows in both views.
    let drummer = app.login("drummer").await;
    let closer = created["sets"][2]["songs"][0]["id"].as_str().unwrap();
    let patched = app
        .authed(
            Method::PATCH,
            &format!("/api/setlists/{id}/songs/{closer}"),
            &drummer.access_token,
        )
        .json(&json!({ "bpm": 180 }))
        .send()
        .await
        .unwrap();
    let patched = body(patched).await;
    assert_eq!(patched["sets"][2]["songs"][0]["bpm"], 180);
    assert_eq!(patched["songs"][3]["bpm"], 180);

    // Songs keep their ids when they move to another set.
    let mut body_sets = patched["sets"].clone();
    let moved = body_sets[0]["songs"].as_array_mut().unwrap().remove(1);
    body_sets[2]["songs"]
        .as_array_mut()
        .unwrap()
        .push(moved.clone());
    let replaced = put(&app, &manager.access_token, id,
        &json!({ "name": "Long night", "show_date": "2026-12-04", "version": patched["version"], "sets": body_sets })).await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let replaced = body(replaced).await;
    assert_eq!(replaced["sets"][2]["songs"][1]["id"], moved["id"]);
    assert_eq!(titles(&replaced), ["Opener", "Third", "Closer", "Second"]);
}

#[tokio::test]
async fn a_set_keeps_its_slot_on_stage_and_a_set_without_one_says_nothing() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let mut body = three_sets();
    body["sets"][0]["slot_secs"] = json!(45 * 60);
    body["sets"][2]["slot_secs"] = json!(10 * 60 + 30);
    let created = create(&app, &manager, &body).await;
    let slots = |setlist: &Value| -> Vec<Value> {
        let sets = setlist["sets"].as_array().unwrap();
        sets.iter().map(|set| set["slot_secs"].clone()).collect()
    };
    assert_eq!(slots(&created), [json!(2700), Value::Null, json!(630)]);
    assert!(
        !created["sets"][1]
            .as_object()
            .unwrap()
            .contains_key("slot_secs"),
        "no slot, no key: {created}"
    );

    let id = created["id"].as_str().unwrap();
    let mut changed = created.clone();
    changed["sets"][0]["slot_secs"] = Value::Null;
    changed["sets"][1]["slot_secs"] = json!(3600);
    changed.as_object_mut().unwrap().remove("songs");
    let response = put(&app, &manager.access_token, id, &changed).await;
    assert_eq!(response.status(), StatusCode::OK);
    let read = app
        .get_json(&format!("/api/setlists/{id}"), &manager.access_token)
        .await;
    assert_eq!(slots(&read), [Value::Null, json!(3600), json!(630)]);
}

#[tokio::test]
async fn the_flat_body_is_a_show_of_one_set() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let flat =
        json!({ "name": "Short night", "show_date": "2026-12-04", "songs": [song("Only", 200)] });
    let created = create(&app, &manager, &flat).await;
    assert_eq!(
        names(&created),
        [("Set 1".to_string(), vec!["Only".to_string()])]
    );

    let sets = create(&app, &manager, &three_sets()).await;
    let id = sets["id"].as_str().unwrap();
    let flat_again = json!({ "name": "Long night", "show_date": "2026-12-04", "version": 1,
                             "songs": sets["songs"].clone() });
    let replaced = body(put(&app, &manager.access_token, id, &flat_again).await).await;
    assert_eq!(
        replaced["sets"].as_array().unwrap().len(),
        1,
        "a flat PUT is one set"
    );
    assert_eq!(titles(&replaced), ["Opener", "Second", "Third", "Closer"]);

    let empty_sets = create(
        &app,
        &manager,
        &json!({ "name": "Plan", "show_date": "2026-12-04",
        "sets": [{ "name": "Set 1" }, { "name": "Encore", "songs": [] }] }),
    )
    .await;
    assert_eq!(
        names(&empty_sets),
        [
            ("Set 1".to_string(), vec![]),
            ("Encore".to_string(), vec![])
        ]
    );
}

#[tokio::test]
async fn a_read_sent_back_with_its_songs_edited_keeps_the_sets() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let created = create(&app, &manager, &three_sets()).await;
    let id = created["id"].as_str().unwrap();
    // A client that knows only `songs`: moves the closer first, adds one at the end.
    let mut edited = created.clone();
    let songs = created["songs"].as_array().unwrap();
    edited["songs"] = json!([songs[3], songs[0], songs[1], songs[2], song("New", 100)]);
    let replaced = body(put(&app, &manager.access_token, id, &edited).await).await;
    assert_eq!(
        titles(&replaced),
        ["Opener", "Second", "Third", "New", "Closer"]
    );
    assert_eq!(
        names(&replaced),
        [
            (
                "Set 1".to_string(),
                vec!["Opener".to_string(), "Second".to_string()]
            ),
            (
                "Set 2".to_string(),
                vec!["Third".to_string(), "New".to_string()]
            ),
            ("Encore".to_string(), vec!["Closer".to_string()]),
        ],
        "each song stays in its set; the new one joins the set of the song before it"
    );
    // The order within a set is the client's.
    let mut edited = replaced.clone();
    let songs = replaced["songs"].as_array().unwrap();
    edited["songs"] = json!([songs[1], songs[0], songs[3], songs[2], songs[4]]);
    let replaced = body(put(&app, &manager.access_token, id, &edited).await).await;
    assert_eq!(
        titles(&replaced),
        ["Second", "Opener", "New", "Third", "Closer"]
    );
}

#[tokio::test]
async fn no_songs_beside_sets_that_hold_songs_is_refused_and_sets_without_songs_empty_the_show() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let created = create(&app, &manager, &three_sets()).await;
    let id = created["id"].as_str().unwrap();
    // "Remove every song" or "take them from `sets`"? The app's editor of
    // before sent this shape for the second: it must not empty the show.
    let mut ambiguous = created.clone();
    ambiguous["songs"] = json!([]);

    let refused = put(&app, &manager.access_token, id, &ambiguous).await;

    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = body(refused).await;
    assert!(
        refused["error"]["fields"]["songs"]
            .as_str()
            .unwrap()
            .starts_with("is empty while `sets` holds songs"),
        "{refused}"
    );
    let read = app
        .get_json(&format!("/api/setlists/{id}"), &manager.access_token)
        .await;
    assert_eq!(titles(&read), ["Opener", "Second", "Third", "Closer"]);

    // Every set sent without its songs: the show is emptied, its sets kept.
    let mut emptied = read.clone();
    emptied.as_object_mut().unwrap().remove("songs");
    for set in emptied["sets"].as_array_mut().unwrap() {
        set["songs"] = json!([]);
    }
    let emptied = body(put(&app, &manager.access_token, id, &emptied).await).await;
    assert_eq!(titles(&emptied), Vec::<&str>::new(), "{emptied}");
    let set_names: Vec<_> = names(&emptied).into_iter().map(|(name, _)| name).collect();
    assert_eq!(set_names, ["Set 1", "Set 2", "Encore"]);
}

#[tokio::test]
async fn sets_break_no_rule_unnoticed() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let token = &manager.access_token;
    // `songs: []` stands for "left out": the sets alone.
    let base = |sets: Value, songs: Value| {
        let mut show = json!({ "name": "N", "show_date": "2026-12-04", "sets": sets });
        if songs != json!([]) {
            show["songs"] = songs;
        }
        show
    };
    let too_many: Vec<Value> = (0..11)
        .map(|i| json!({ "name": format!("Set {i}") }))
        .collect();
    let over_200: Vec<Value> = (0..201).map(|i| song(&format!("S{i}"), 1)).collect();
    let cases = [
        (
            base(json!([{ "name": "A" }]), json!([{ "title": "" }])),
            "songs[0].title",
        ),
        (base(json!([]), json!([])), "sets"),
        (base(json!(too_many), json!([])), "sets"),
        (
            base(json!([{ "name": "A", "songs": over_200 }]), json!([])),
            "sets",
        ),
        (base(json!([{ "name": "" }]), json!([])), "sets[0].name"),
        (base(json!([{ "name": "A\nB" }]), json!([])), "sets[0].name"),
        (
            base(json!([{ "name": "x".repeat(41) }]), json!([])),
            "sets[0].name",
        ),
        (
            base(
                json!([{ "name": "A" }, { "name": "B", "songs": [{ "title": "T", "bpm": 5 }] }]),
                json!([]),
            ),
            "sets[1].songs[0].bpm",
        ),
        (
            base(
                json!([{ "name": "A", "songs": [{ "title": "" }] }]),
                json!([]),
            ),
            "sets[0].songs[0].title",
        ),
        (
            base(json!([{ "name": "A", "slot_secs": 59 }]), json!([])),
            "sets[0].slot_secs",
        ),
        // Both lists, and a new song in `sets`: it would be dropped unseen.
        (
            base(
                json!([{ "name": "A" }, { "name": "B", "songs": [{ "title": "Set B" }] }]),
                json!([{ "title": "Flat A" }]),
            ),
            "sets[1].songs[0]",
        ),
        (
            base(
                json!([{ "name": "A" }, { "name": "B", "slot_secs": 36_001 }]),
                json!([]),
            ),
            "sets[1].slot_secs",
        ),
    ];
    for (body_json, field) in cases {
        let response = app
            .authed(Method::POST, "/api/setlists", token)
            .json(&body_json)
            .send()
            .await
            .unwrap();
        let error = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            error["error"]["fields"][field].is_string(),
            "{field}: {error}"
        );
    }
    let wrong_shape = app
        .authed(Method::POST, "/api/setlists", token)
        .json(&json!({ "name": "N", "show_date": "2026-12-04", "sets": { "name": "A" } }))
        .send()
        .await
        .unwrap();
    let error = expect_error(
        wrong_shape,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(error["error"]["fields"]["sets"].is_string(), "{error}");
    let overview = app.get_json("/api/setlists", token).await;
    assert_eq!(overview.as_array().unwrap().len(), 0, "nothing was written");
}

#[tokio::test]
async fn the_overview_counts_untimed_songs_beside_the_total() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let created = create(
        &app,
        &manager,
        &json!({ "name": "Rough plan", "show_date": "2026-12-04",
                 "songs": [song("Timed", 200), song("Untimed", 0), song("Also untimed", 0)] }),
    )
    .await;
    let overview = app.get_json("/api/setlists", &manager.access_token).await;
    let row = overview
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == created["id"])
        .unwrap();
    assert_eq!(row["total_duration_secs"], 200);
    assert_eq!(row["untimed_count"], 2);
    assert_eq!(row["song_count"], 3);
}

#[tokio::test]
async fn a_save_that_changes_the_sets_says_so_in_the_audit_log() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let token = &manager.access_token;
    let mut show = three_sets();
    show["sets"][2]["slot_secs"] = json!(600);
    let created = create(&app, &manager, &show).await;
    let id = created["id"].as_str().unwrap();
    let app = &app;
    let save = |setlist: &Value, change: &dyn Fn(&mut Value)| {
        let mut edited = setlist.clone();
        edited.as_object_mut().unwrap().remove("songs");
        change(&mut edited);
        async move { body(put(app, token, id, &edited).await).await }
    };

    // A new name only: the sets are as they were.
    let saved = save(&created, &|show| show["name"] = json!("Longer night")).await;
    // "Second" opens Set 2 instead of closing Set 1: the running order stays.
    let saved = save(&saved, &|show| {
        let sets = show["sets"].as_array_mut().unwrap();
        let second = sets[0]["songs"].as_array_mut().unwrap().remove(1);
        sets[1]["songs"].as_array_mut().unwrap().insert(0, second);
    })
    .await;
    assert_eq!(titles(&saved), ["Opener", "Second", "Third", "Closer"]);
    // The encore's slot is cut.
    save(&saved, &|show| {
        show["sets"][2].as_object_mut().unwrap().remove("slot_secs");
    })
    .await;

    let page = app.get_json("/api/audit?type=setlist_changed", token).await;
    let mut details: Vec<&Value> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| &event["detail"])
        .collect();
    details.sort_by_key(|detail| detail.get("sets").map(|sets| sets.to_string()));
    let [renamed, moved, cut] = details[..] else {
        panic!("three saves, three events: {page}")
    };
    assert!(renamed.get("sets").is_none(), "{renamed}");
    let outline = |encore_slot: Value| {
        json!([
            { "name": "Set 1", "slot_secs": null },
            { "name": "Set 2", "slot_secs": null },
            { "name": "Encore", "slot_secs": encore_slot },
        ])
    };
    assert_eq!(
        (&moved["sets_before"], &moved["sets"], &moved["reordered"]),
        (&outline(json!(600)), &outline(json!(600)), &json!(false)),
        "{moved}"
    );
    assert_eq!(
        (&cut["sets_before"], &cut["sets"]),
        (&outline(json!(600)), &outline(Value::Null)),
        "{cut}"
    );
}
