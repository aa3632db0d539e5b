//! Setlists and band members: roles, concurrency, validation, bad input.

use crate::common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

pub fn song(title: &str, duration_secs: i64) -> Value {
    json!({ "title": title, "artist": "The Band", "duration_secs": duration_secs, "bpm": 120, "key": "E", "notes": "" })
}

pub fn setlist(name: &str) -> Value {
    json!({
        "name": name, "venue": "The Roxy", "show_date": "2026-12-04", "notes": "Bring spare sticks",
        "songs": [song("Opener", 200), song("Ballad", 300), song("Closer", 250)]
    })
}

pub async fn create(app: &TestApp, manager: &Session, body: &Value) -> Value {
    let response = app
        .authed(Method::POST, "/api/setlists", &manager.access_token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    let created = crate::common::body(response).await;
    assert_eq!(
        location,
        format!("/api/setlists/{}", created["id"].as_str().unwrap())
    );
    created
}

pub async fn put(app: &TestApp, token: &str, id: &str, body: &Value) -> reqwest::Response {
    app.authed(Method::PUT, &format!("/api/setlists/{id}"), token)
        .json(body)
        .send()
        .await
        .unwrap()
}

pub fn ids(setlist: &Value) -> Vec<String> {
    setlist["songs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_route_checks_the_role_it_names() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;
    let existing = create(&app, &manager, &setlist("Existing")).await;
    let id = existing["id"].as_str().unwrap();
    let song_id = ids(&existing)[0].clone();
    let patch_body = json!({ "bpm": 150 });
    let member_body = json!({ "username": "newbie", "display_name": "N", "role": "drummer", "password": "long-enough-1" });

    // Version 1, then +2 from the drummer's and the manager's PATCH below.
    let put_body =
        json!({ "name": "Renamed", "show_date": "2026-12-05", "version": 3, "songs": [] });

    // (method, path, body, status without token, as drummer, as manager).
    // The destructive routes come last, and the drummer's own revoke at the very end.
    let routes: Vec<(Method, String, Option<Value>, [u16; 3])> = vec![
        (Method::GET, "/api/setlists".into(), None, [401, 200, 200]),
        (
            Method::POST,
            "/api/setlists".into(),
            Some(setlist("New")),
            [401, 403, 201],
        ),
        (
            Method::GET,
            format!("/api/setlists/{id}"),
            None,
            [401, 200, 200],
        ),
        (
            Method::PATCH,
            format!("/api/setlists/{id}/songs/{song_id}"),
            Some(patch_body),
            [401, 200, 200],
        ),
        (Method::GET, "/api/users".into(), None, [401, 403, 200]),
        (
            Method::POST,
            "/api/users".into(),
            Some(member_body),
            [401, 403, 201],
        ),
        (Method::GET, "/api/me".into(), None, [401, 200, 200]),
        (
            Method::PUT,
            format!("/api/setlists/{id}"),
            Some(put_body),
            [401, 403, 200],
        ),
        (
            Method::DELETE,
            format!("/api/setlists/{id}"),
            None,
            [401, 403, 204],
        ),
        (
            Method::POST,
            format!("/api/users/{}/revoke", drummer.user_id),
            None,
            [401, 403, 204],
        ),
    ];
    for (method, path, body, expected) in routes {
        for (caller, expected) in [None, Some(&drummer), Some(&manager)]
            .into_iter()
            .zip(expected)
        {
            let mut request = app.request(method.clone(), &path);
            if let Some(session) = caller {
                request = request.bearer_auth(&session.access_token);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let status = request.send().await.unwrap().status().as_u16();
            let who = caller.map_or("nobody", |s| {
                if s.user_id == manager.user_id {
                    "manager"
                } else {
                    "drummer"
                }
            });
            assert_eq!(status, expected, "{method} {path} as {who}");
        }
    }
}

#[tokio::test]
async fn a_manager_creates_reads_reorders_and_deletes_a_setlist() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let created = create(&app, &manager, &setlist("Friday at the Roxy")).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["version"], 1);
    let [opener, ballad, closer] = <[String; 3]>::try_from(ids(&created)).unwrap();

    let response = app
        .authed(
            Method::GET,
            &format!("/api/setlists/{id}"),
            &manager.access_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[header::ETAG], "\"1\"");
    assert_eq!(crate::common::body(response).await, created);

    // Reorder (closer first), drop the ballad, add an encore.
    let mut edited = created.clone();
    let songs = created["songs"].as_array().unwrap();
    edited["songs"] = json!([songs[2], songs[0], song("Encore", 180)]);
    edited["name"] = json!("Friday at the Roxy (late)");
    let response = put(&app, &manager.access_token, id, &edited).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::ETAG], "\"2\"");
    let saved = crate::common::body(response).await;
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["name"], "Friday at the Roxy (late)");
    let saved_ids = ids(&saved);
    assert_eq!(
        &saved_ids[..2],
        &[closer.clone(), opener.clone()],
        "songs keep their ids"
    );
    assert!(
        ![&opener, &ballad, &closer].contains(&&saved_ids[2]),
        "the encore is new"
    );
    let titles: Vec<&str> = saved["songs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Closer", "Opener", "Encore"]);

    let list = app.get_json("/api/setlists", &manager.access_token).await;
    assert_eq!(list[0]["song_count"], 3);
    assert_eq!(list[0]["total_duration_secs"], 250 + 200 + 180);
    assert_eq!(list[0]["version"], 2);

    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/setlists/{id}"),
            &manager.access_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let gone = app
        .authed(
            Method::GET,
            &format!("/api/setlists/{id}"),
            &manager.access_token,
        )
        .send()
        .await
        .unwrap();
    expect_error(gone, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn the_overview_lists_the_newest_show_first() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    for (name, date) in [
        ("Old", "2025-01-01"),
        ("Next", "2027-03-01"),
        ("Soon", "2026-12-24"),
    ] {
        let mut body = setlist(name);
        body["show_date"] = json!(date);
        create(&app, &manager, &body).await;
    }
    let list = app.get_json("/api/setlists", &manager.access_token).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Next", "Soon", "Old"]);
}

#[tokio::test]
async fn a_drummer_sets_tempo_and_notes_only() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;
    let created = create(&app, &manager, &setlist("Gig")).await;
    let id = created["id"].as_str().unwrap();
    let song_id = &ids(&created)[1];
    let path = format!("/api/setlists/{id}/songs/{song_id}");

    let response = app
        .authed(Method::PATCH, &path, &drummer.access_token)
        .json(&json!({ "bpm": 172, "notes": "double time on the bridge", "title": "ignored" }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let patched = crate::common::body(response).await;
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["songs"][1]["bpm"], 172);
    assert_eq!(patched["songs"][1]["notes"], "double time on the bridge");
    assert_eq!(patched["songs"][1]["title"], "Ballad");
    assert_eq!(patched["songs"][0], created["songs"][0]);

    let cleared = app
        .authed(Method::PATCH, &path, &drummer.access_token)
        .json(&json!({ "bpm": null }))
        .send()
        .await
        .unwrap();
    let cleared = crate::common::body(cleared).await;
    assert_eq!(cleared["songs"][1]["bpm"], Value::Null);
    assert_eq!(
        cleared["songs"][1]["notes"], "double time on the bridge",
        "absent notes stay"
    );

    let too_fast = app
        .authed(Method::PATCH, &path, &drummer.access_token)
        .json(&json!({ "bpm": 401 }))
        .send()
        .await
        .unwrap();
    let body = expect_error(
        too_fast,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["bpm"].is_string());
    // A patch that changes nothing (fields other than these are ignored, as
    // above) is refused: it would bump the version and make other saves
    // conflict (the 409 below still finds version 3). Notes sent as null are
    // refused under their own name, not as "nothing".
    let refusals = [
        (json!({}), "bpm", "changes nothing"),
        (json!({ "title": "hacked" }), "bpm", "changes nothing"),
        (json!({ "notes": null }), "notes", "not null"),
        (
            json!({ "drummer_notes": null }),
            "drummer_notes",
            "not null",
        ),
    ];
    for (patch, field, why) in refusals {
        let refused = app
            .authed(Method::PATCH, &path, &drummer.access_token)
            .json(&patch)
            .send()
            .await
            .unwrap();
        let body = expect_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let message = body["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(message.contains(why), "{patch}: {body}");
    }
    let elsewhere = format!("/api/setlists/{id}/songs/{}", uuid::Uuid::new_v4());
    let missing = app
        .authed(Method::PATCH, &elsewhere, &drummer.access_token)
        .json(&json!({ "bpm": 100 }))
        .send()
        .await
        .unwrap();
    expect_error(missing, StatusCode::NOT_FOUND, "not_found").await;

    // A PATCH that names the version it edited (If-Match or `version`) loses
    // a race with a 409 instead of landing on a setlist it has not seen.
    let stale = app
        .authed(Method::PATCH, &path, &drummer.access_token)
        .header(header::IF_MATCH, "\"1\"")
        .json(&json!({ "bpm": 90 }))
        .send()
        .await
        .unwrap();
    let conflict = expect_error(stale, StatusCode::CONFLICT, "version_conflict").await;
    assert_eq!(conflict["current_version"], 3);
    let current = app
        .authed(Method::PATCH, &path, &drummer.access_token)
        .json(&json!({ "bpm": 90, "version": 3 }))
        .send()
        .await
        .unwrap();
    let current = crate::common::body(current).await;
    assert_eq!(
        (
            current["version"].as_i64(),
            current["songs"][1]["bpm"].as_i64()
        ),
        (Some(4), Some(90))
    );
}

/// The shows of an overview page, by name, and its `Link` to the next page.
async fn overview_page(app: &TestApp, token: &str, path: &str) -> (Vec<String>, Option<String>) {
    let response = app.authed(Method::GET, path, token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let next = response.headers().get(header::LINK).map(|link| {
        let link = link.to_str().unwrap();
        let target = link.strip_suffix(">; rel=\"next\"").unwrap();
        target.strip_prefix('<').unwrap().to_string()
    });
    let shows = body(response).await;
    let names = shows.as_array().unwrap().iter();
    let names = names.map(|s| s["name"].as_str().unwrap().to_string());
    (names.collect(), next)
}

#[tokio::test]
async fn the_overview_gives_every_upcoming_show_and_pages_the_past() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;
    let show = |name: String, date: String| json!({ "name": name, "show_date": date, "songs": [] });
    for n in 1..=3 {
        create(
            &app,
            &manager,
            &show(format!("Upcoming {n}"), format!("2099-0{n}-01")),
        )
        .await;
    }
    for n in 0..50 {
        let date = format!("2001-{:02}-{:02}", 1 + n / 28, 1 + n % 28);
        create(&app, &manager, &show(format!("Past {n:02}"), date)).await;
    }
    // Shows on one day, made in one second: a page boundary falls among them.
    for n in 0..10 {
        create(
            &app,
            &manager,
            &show(format!("Tie {n}"), "2000-01-01".into()),
        )
        .await;
    }

    // Unasked, the list is API.md's: every show, newest first, no next page.
    let (everything, next) = overview_page(&app, &drummer.access_token, "/api/setlists").await;
    assert_eq!(everything.len(), 3 + 50 + 10);
    assert_eq!(next, None);

    let (first, next) = overview_page(&app, &drummer.access_token, "/api/setlists?limit=25").await;
    assert_eq!(first.len(), 3 + 25, "every upcoming show and 25 past ones");
    assert_eq!(
        first[..4],
        ["Upcoming 3", "Upcoming 2", "Upcoming 1", "Past 49"]
    );
    let mut seen = first.clone();
    let mut next = next;
    let mut pages = 1;
    while let Some(path) = next {
        let (page, after) = overview_page(&app, &drummer.access_token, &path).await;
        assert!(!page.is_empty() && page.len() <= 25, "{path}: {page:?}");
        seen.extend(page);
        next = after;
        pages += 1;
    }
    assert_eq!(pages, 3, "25 + 25 + 10 past shows");
    let mut expected: Vec<String> = (1..=3).rev().map(|n| format!("Upcoming {n}")).collect();
    expected.extend((0..50).rev().map(|n| format!("Past {n:02}")));
    assert_eq!(seen[..53], expected, "newest first");
    let mut ties = seen[53..].to_vec();
    ties.sort();
    let all_ties: Vec<String> = (0..10).map(|n| format!("Tie {n}")).collect();
    assert_eq!(ties, all_ties, "each show once");
    assert_eq!(everything, seen, "the pages are the unpaged list, cut");

    let (few, next) = overview_page(&app, &drummer.access_token, "/api/setlists?limit=2").await;
    assert_eq!(
        few,
        [
            "Upcoming 3",
            "Upcoming 2",
            "Upcoming 1",
            "Past 49",
            "Past 48"
        ]
    );
    assert!(next.unwrap().ends_with("&limit=2"));
}

#[tokio::test]
async fn a_next_page_named_by_a_show_deleted_since_still_follows_it() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let token = &manager.access_token;
    for n in 1..=5 {
        let show = json!({ "name": format!("Past {n}"), "show_date": format!("2001-01-0{n}"), "songs": [] });
        create(&app, &manager, &show).await;
    }
    let (first, next) = overview_page(&app, token, "/api/setlists?limit=2").await;
    assert_eq!(first, ["Past 5", "Past 4"]);
    let next = next.unwrap();
    // Another manager deletes the show the cursor names.
    let cursor = next
        .split("before=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let deleted = app
        .authed(Method::DELETE, &format!("/api/setlists/{cursor}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (older, _) = overview_page(&app, token, &next).await;
    assert_eq!(older, ["Past 3", "Past 2"]);
}

#[tokio::test]
async fn both_overviews_show_a_write_at_once() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let token = &manager.access_token;
    let show = |name: &str| json!({ "name": name, "show_date": "2099-05-01", "songs": [] });
    create(&app, &manager, &show("Before")).await;
    // Both answers are kept in memory once read (`read_cache`)...
    let hits = || async {
        let scrape = app.page("/metrics").await;
        metric(&scrape, "backstage_read_cache_total{result=\"hit\"}")
    };
    let hits_before = hits().await;
    for path in ["/api/setlists", "/api/setlists?limit=25"] {
        for _ in 0..5 {
            let (names, _) = overview_page(&app, token, path).await;
            assert_eq!(names, ["Before"], "{path}");
        }
    }
    // Of ten reads, two fill the cache; on PostgreSQL the instance hears of
    // its own create through the database once or twice more, each time
    // emptying both answers.
    let hit = hits().await - hits_before;
    assert!(hit >= 4.0, "{hit} of 10 reads answered from memory");
    let after = create(&app, &manager, &show("After")).await;
    // ...and neither outlives a write.
    for path in ["/api/setlists", "/api/setlists?limit=25"] {
        let (names, _) = overview_page(&app, token, path).await;
        assert_eq!(names.len(), 2, "{path}: {names:?}");
    }
    let id = after["id"].as_str().unwrap();
    let deleted = app
        .authed(Method::DELETE, &format!("/api/setlists/{id}"), token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for path in ["/api/setlists", "/api/setlists?limit=25"] {
        let (names, _) = overview_page(&app, token, path).await;
        assert_eq!(names, ["Before"], "{path}");
    }
}

#[tokio::test]
async fn the_first_overview_page_stays_small_however_long_the_history() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    for n in 0..400 {
        let body = json!({
            "name": format!("Friday night at the Roxy, show number {n}"),
            "venue": "The Roxy, Sunset Boulevard", "show_date": format!("20{:02}-06-12", n % 25),
            "songs": [],
        });
        create(&app, &manager, &body).await;
    }
    let response = app
        .authed(Method::GET, "/api/setlists?limit=25", &manager.access_token)
        .send()
        .await
        .unwrap();
    let bytes = response.bytes().await.unwrap().len();
    assert!(bytes <= 20 * 1024, "the first page is {bytes} bytes");
}

#[tokio::test]
async fn a_bad_overview_cursor_is_a_clear_400() {
    const LIMIT: &str = "invalid limit parameter: a whole number from 1 to 200";
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    for (query, said) in [
        (
            "before=not-an-id",
            "invalid before parameter: an id from the list",
        ),
        (
            "before=6f1c1c3e-8a47-4b43-9b59-0c9f6d3c7a11",
            "invalid before parameter: no such setlist",
        ),
        ("limit=0", LIMIT),
        ("limit=%2B5", LIMIT),
        ("limit=201", LIMIT),
        ("limit=ten", LIMIT),
    ] {
        let response = app
            .authed(
                Method::GET,
                &format!("/api/setlists?{query}"),
                &manager.access_token,
            )
            .send()
            .await
            .unwrap();
        let error = expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
        assert_eq!(error["error"]["message"], said, "{query}");
    }
}

#[tokio::test]
async fn the_drummers_notes_and_the_song_notes_never_overwrite_each_other() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;
    let created = create(&app, &manager, &setlist("Gig")).await;
    let id = created["id"].as_str().unwrap();
    let song_ids = ids(&created);
    let patch_path = format!("/api/setlists/{id}/songs/{}", song_ids[1]);

    let response = app
        .authed(Method::PATCH, &patch_path, &drummer.access_token)
        .json(&json!({ "bpm": 96, "drummer_notes": "brushes, then sticks at the bridge" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let patched = body(response).await;
    assert_eq!(
        patched["songs"][1]["drummer_notes"],
        "brushes, then sticks at the bridge"
    );
    assert_eq!(
        patched["songs"][1]["notes"], "",
        "the song's notes are untouched"
    );

    // The manager's editor sends the songs back without the drummer's notes:
    // they stay, also when the manager writes the song's notes and reorders.
    let mut body_back = json!({
        "name": "Gig", "show_date": "2026-12-04", "version": patched["version"],
        "songs": patched["songs"].clone(),
    });
    let songs = body_back["songs"].as_array_mut().unwrap();
    for song in songs.iter_mut() {
        song.as_object_mut().unwrap().remove("drummer_notes");
    }
    songs[1]["notes"] = json!("Key change after the solo");
    songs.swap(0, 1);
    let response = put(&app, &manager.access_token, id, &body_back).await;
    assert_eq!(response.status(), StatusCode::OK);
    let replaced = body(response).await;
    assert_eq!(
        replaced["songs"][0]["id"].as_str(),
        Some(song_ids[1].as_str())
    );
    assert_eq!(replaced["songs"][0]["notes"], "Key change after the solo");
    assert_eq!(
        replaced["songs"][0]["drummer_notes"],
        "brushes, then sticks at the bridge"
    );
    assert_eq!(replaced["songs"][1]["drummer_notes"], "");

    // A drummer's later edit of their own notes leaves the manager's alone.
    let response = app
        .authed(Method::PATCH, &patch_path, &drummer.access_token)
        .json(&json!({ "drummer_notes": "sticks throughout" }))
        .send()
        .await
        .unwrap();
    let song = &body(response).await["songs"][0];
    assert_eq!(song["notes"], "Key change after the solo");
    assert_eq!(song["drummer_notes"], "sticks throughout");
    assert_eq!(song["bpm"], 96, "an absent bpm is left alone");

    // One song sent twice: the first keeps its id and the drummer's notes,
    // the second is a new song.
    let read = app
        .get_json(&format!("/api/setlists/{id}"), &manager.access_token)
        .await;
    // As the manager's editor sends it: without the drummer's notes.
    let mut song = read["songs"][0].clone();
    song.as_object_mut().unwrap().remove("drummer_notes");
    let twice = json!({
        "name": "Gig", "show_date": "2026-12-04", "version": read["version"],
        "songs": [song.clone(), song],
    });
    let response = put(&app, &manager.access_token, id, &twice).await;
    assert_eq!(response.status(), StatusCode::OK);
    let stored = body(response).await;
    assert_eq!(
        stored["songs"][0]["id"].as_str(),
        Some(song_ids[1].as_str())
    );
    assert_eq!(stored["songs"][0]["drummer_notes"], "sticks throughout");
    assert_ne!(stored["songs"][1]["id"], stored["songs"][0]["id"]);
    assert_eq!(stored["songs"][1]["drummer_notes"], "");

    let response = app
        .authed(Method::PATCH, &patch_path, &drummer.access_token)
        .json(&json!({ "drummer_notes": "x".repeat(2001) }))
        .send()
        .await
        .unwrap();
    let error = expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(error["error"]["fields"]["drummer_notes"].is_string());
}

/// A create sent again with its `Idempotency-Key` (a reload while the save
/// was on its way, a client's retry) makes nothing new: 200 with the first
/// one's setlist. Sent at once five times, it makes one setlist.
#[tokio::test]
async fn a_create_sent_again_with_its_idempotency_key_makes_one_setlist() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let body =
        json!({ "name": "Once only", "show_date": "2026-05-01", "songs": [song("Everlong", 250)] });
    let post = |key: &str| {
        app.authed(Method::POST, "/api/setlists", &manager.access_token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let location = |response: &reqwest::Response| response.headers()[header::LOCATION].clone();
    let tries = futures::future::join_all((0..5).map(|_| post("draft-7f3a"))).await;
    let tries: Vec<_> = tries.into_iter().map(Result::unwrap).collect();
    let mut statuses: Vec<_> = tries.iter().map(reqwest::Response::status).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK; 4]
            .into_iter()
            .chain([StatusCode::CREATED])
            .collect::<Vec<_>>()
    );
    let made = location(&tries[0]);
    assert!(tries.iter().all(|t| location(t) == made));
    // Quoted, as a structured-field string: the same key.
    let again = post("\"draft-7f3a\"").await.unwrap();
    assert_eq!(
        (again.status(), location(&again)),
        (StatusCode::OK, made.clone())
    );
    assert_eq!(again.headers()[header::ETAG], "\"1\"");
    let stored: Value = again.json().await.unwrap();
    assert_eq!(
        (stored["name"].as_str(), stored["version"].as_i64()),
        (Some("Once only"), Some(1))
    );
    let list = app.get_json("/api/setlists", &manager.access_token).await;
    let named = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "Once only")
        .count();
    assert_eq!(named, 1);
    // Another key, or none, is another setlist.
    let other = post("draft-8c1d").await.unwrap();
    assert_eq!(other.status(), StatusCode::CREATED);
    assert_ne!(location(&other), made);
    // The key is the member's own: another manager's same key cannot reach
    // (or replay) the first member's setlist.
    app.create_member(&manager, "deputy", "manager", "long-enough-3")
        .await;
    let deputy = session_from(app.login_response("deputy", "long-enough-3").await).await;
    let theirs = app
        .authed(Method::POST, "/api/setlists", &deputy.access_token)
        .header("idempotency-key", "draft-7f3a")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::CREATED);
    assert_ne!(location(&theirs), made);

    for bad in ["", "two words", "a/b", &"k".repeat(65)] {
        let refused = post(bad).await.unwrap();
        expect_error(refused, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let doubled = app
        .authed(Method::POST, "/api/setlists", &manager.access_token)
        .header("idempotency-key", "draft-7f3a")
        .header("idempotency-key", "draft-9e2b")
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_error(doubled, StatusCode::BAD_REQUEST, "bad_request").await;
}

/// A keyed create sent again after its setlist was deleted makes it again,
/// under the same id: it continues from the deleted one's version, so a page
/// that still holds that version cannot write over the new setlist.
#[tokio::test]
async fn a_setlist_made_again_with_its_key_after_a_delete_refuses_the_old_ones_version() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let token = &manager.access_token;
    let mut events = app
        .authed(Method::GET, "/api/events", token)
        .send()
        .await
        .unwrap();
    let post = |name: &str| {
        app.authed(Method::POST, "/api/setlists", token)
            .header("idempotency-key", "draft-5b0e")
            .json(&json!({ "name": name, "show_date": "2026-05-01", "songs": [song("Everlong", 250)] }))
            .send()
    };
    let first: Value = post("First").await.unwrap().json().await.unwrap();
    let path = format!("/api/setlists/{}", first["id"].as_str().unwrap());
    let renamed = json!({ "name": "First, renamed", "show_date": "2026-05-01", "version": 1 });
    let renamed = app
        .authed(Method::PUT, &path, token)
        .json(&renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    let deleted = app
        .authed(Method::DELETE, &path, token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let again = post("Second").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    let again: Value = again.json().await.unwrap();
    assert_eq!(
        (&again["id"], again["version"].as_i64()),
        (&first["id"], Some(3))
    );
    // A page still on the deleted setlist (version 1 or 2) writes nothing.
    for stale in [1, 2] {
        let put = json!({ "name": "Stale tab", "show_date": "2026-05-01", "version": stale });
        let refused = app
            .authed(Method::PUT, &path, token)
            .json(&put)
            .send()
            .await
            .unwrap();
        let error = expect_error(refused, StatusCode::CONFLICT, "version_conflict").await;
        assert_eq!(error["current_version"], 3);
        let delete = app
            .authed(Method::DELETE, &path, token)
            .header("if-match", format!("\"{stale}\""))
            .send()
            .await
            .unwrap();
        expect_error(delete, StatusCode::CONFLICT, "version_conflict").await;
    }
    let stored = app.get_json(&path, token).await;
    assert_eq!(stored["name"], "Second");
    assert_eq!(stored["songs"][0]["title"], "Everlong");
    // Announced as made, not as changed.
    let mut names = Vec::new();
    let mut text = String::new();
    while names.len() < 4 {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), events.chunk())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .expect("the stream is open");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        names = text
            .lines()
            .filter_map(|line| line.strip_prefix("event: "))
            .filter(|name| *name != "ready")
            .map(str::to_string)
            .collect();
    }
    assert_eq!(
        names,
        [
            "setlist_created",
            "setlist_changed",
            "setlist_deleted",
            "setlist_created"
        ]
    );
}
