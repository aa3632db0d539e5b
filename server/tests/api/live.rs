//! `GET /api/events`: the band's changes as they happen, on a stream that
//! is authenticated like every other call and ends with its token.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::*;

/// Reads a stream's events (name, id, data) until `count` have come, past
/// the `ready` that follows what was missed.
async fn next_events(
    response: &mut reqwest::Response,
    count: usize,
) -> Vec<(String, String, String)> {
    let mut events = Vec::new();
    let mut text = String::new();
    while events.len() < count {
        let chunk = tokio::time::timeout(Duration::from_secs(5), response.chunk())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .expect("the stream is still open");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|line| line.strip_prefix(name))
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            };
            if !field("event:").is_empty() && field("event:") != "ready" {
                events.push((field("event:"), field("id:"), field("data:")));
            }
        }
    }
    events
}

async fn open_stream(app: &TestApp, token: &str, last_event_id: Option<&str>) -> reqwest::Response {
    let mut request = app.authed(Method::GET, "/api/events", token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    request.send().await.unwrap()
}

async fn create_setlist(app: &TestApp, token: &str, name: &str) -> String {
    let response = app
        .authed(Method::POST, "/api/setlists", token)
        .json(&json!({ "name": name, "show_date": "2026-12-04" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    body(response).await["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_member_sees_setlists_created_changed_and_deleted_and_resumes_where_it_stopped() {
    let app = spawn_app().await;
    let manager_session = app.login("manager").await;
    let manager = manager_session.access_token;
    let drummer = app.login("drummer").await.access_token;
    let unauthenticated = app
        .request(Method::GET, "/api/events")
        .send()
        .await
        .unwrap();
    expect_error(unauthenticated, StatusCode::UNAUTHORIZED, "missing_token").await;

    let mut stream = open_stream(&app, &drummer, None).await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert_eq!(stream.headers()["x-accel-buffering"], "no");
    // Events name members: no cache may keep them.
    assert_eq!(stream.headers()[reqwest::header::CACHE_CONTROL], "no-store");
    let id = create_setlist(&app, &manager, "Live").await;
    let renamed = app
        .authed(Method::PUT, &format!("/api/setlists/{id}"), &manager)
        .json(&json!({ "name": "Live!", "show_date": "2026-12-04", "version": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    let events = next_events(&mut stream, 2).await;
    assert_eq!(events[0].0, "setlist_created");
    assert_eq!(events[1].0, "setlist_changed");
    assert!(events[1].2.contains(&id) && events[1].2.contains("\"version\":2"));
    let by_id = format!("\"by_id\":\"{}\"", manager_session.user_id);
    assert!(
        events[1].2.contains("\"by\":\"Max the Manager\"") && events[1].2.contains(&by_id),
        "says who, by name and by id: {}",
        events[1].2
    );
    let last_seen = events[1].1.clone();
    drop(stream);

    // Missed while away: sent first on the next connection.
    let deleted = app
        .authed(Method::DELETE, &format!("/api/setlists/{id}"), &manager)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let mut resumed = open_stream(&app, &drummer, Some(&last_seen)).await;
    let missed = next_events(&mut resumed, 1).await;
    assert_eq!(missed[0].0, "setlist_deleted");
    assert!(missed[0].1.parse::<i64>().unwrap() > last_seen.parse::<i64>().unwrap());

    // From further back than this server knows: reload everything.
    let mut stale = open_stream(&app, &drummer, Some("-5")).await;
    assert_eq!(next_events(&mut stale, 1).await[0].0, "reload");
    // From ahead of it, an id never issued (a backup restored since): the
    // browser's copy cannot be resumed either.
    let ahead = (missed[0].1.parse::<i64>().unwrap() + 1000).to_string();
    drop(stale);
    // Nor from anything else never issued: too big for a counter, or no number.
    for never_issued in [ahead.as_str(), "18446744073709551616", "abc"] {
        let mut unknown = open_stream(&app, &drummer, Some(never_issued)).await;
        assert_eq!(
            next_events(&mut unknown, 1).await[0].0,
            "reload",
            "{never_issued}"
        );
    }
    let mut up_to_date = open_stream(&app, &drummer, Some(&missed[0].1)).await;
    create_setlist(&app, &manager, "Next").await;
    assert_eq!(
        next_events(&mut up_to_date, 1).await[0].0,
        "setlist_created"
    );
}

// Two workers, as on the two cores of a small server: handlers that finish
// together race to publish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tempos_patched_at_once_reach_the_stream_every_one_in_order() {
    let app = spawn_app().await;
    let manager = app.login("manager").await.access_token;
    let drummer = app.login("drummer").await.access_token;
    let mut songs = Vec::new();
    for name in ["One", "Two", "Three", "Four", "Five", "Six"] {
        let created = app
            .authed(Method::POST, "/api/setlists", &manager)
            .json(
                &json!({ "name": name, "show_date": "2026-12-04", "songs": [{ "title": "Song" }] }),
            )
            .send()
            .await
            .unwrap();
        let setlist = body(created).await;
        songs.push(format!(
            "/api/setlists/{}/songs/{}",
            setlist["id"].as_str().unwrap(),
            setlist["songs"][0]["id"].as_str().unwrap()
        ));
    }
    let mut stream = open_stream(&app, &drummer, None).await;
    // Song patches that arrive together commit together (one SQLite
    // transaction), and their handlers then publish in any order.
    for bpm in 100..110 {
        let patched = futures::future::join_all(songs.iter().map(|song| {
            app.authed(Method::PATCH, song, &drummer)
                .json(&json!({ "bpm": bpm }))
                .send()
        }))
        .await;
        assert!(
            patched
                .iter()
                .all(|p| p.as_ref().unwrap().status() == StatusCode::OK)
        );
    }
    let events = next_events(&mut stream, 60).await;
    assert!(events.iter().all(|(name, ..)| name == "song_patched"));
    let ids: Vec<i64> = events
        .iter()
        .map(|(_, id, _)| id.parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|pair| pair[1] == pair[0] + 1), "{ids:?}");
}

#[tokio::test]
async fn a_revoke_ends_the_members_streams_and_a_ninth_stream_is_refused() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;
    let mut streams = Vec::new();
    for _ in 0..8 {
        let stream = open_stream(&app, &drummer.access_token, None).await;
        assert_eq!(stream.status(), StatusCode::OK);
        streams.push(stream);
    }
    let ninth = open_stream(&app, &drummer.access_token, None).await;
    assert_eq!(ninth.headers()["retry-after"], "5");
    let refused = expect_error(ninth, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(
        refused["error"]["message"],
        "too many live streams open for this member; close a tab and try again"
    );

    let revoke = format!("/api/users/{}/revoke", drummer.user_id);
    let response = app
        .authed(Method::POST, &revoke, &manager.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let started = std::time::Instant::now();
    for stream in &mut streams {
        assert_eq!(next_events(stream, 1).await[0].0, "session_ended");
        assert!(stream.chunk().await.unwrap().is_none(), "the stream ends");
    }
    println!("a revoke closed 8 streams after {:?}", started.elapsed());
    // Their slots are free again for a new login.
    let again = app.login("drummer").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stream = open_stream(&app, &again.access_token, None).await;
    assert_eq!(stream.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires() {
    // Up to a second less than 3 s, counted from the login's start: time to
    // open the stream on a loaded machine, and it ends before a 5 s silence.
    let app = spawn_app_with(&[("BACKSTAGE_ACCESS_TTL_SECS", "3")]).await;
    let drummer = app.login("drummer").await;
    let mut stream = open_stream(&app, &drummer.access_token, None).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let ended = tokio::time::timeout(Duration::from_secs(8), next_events(&mut stream, 1))
        .await
        .expect("ends within the token's lifetime and a recheck");
    assert_eq!(ended[0].0, "token_expired");
}

/// Two instances on one PostgreSQL: a write through A reaches a stream on B
/// (through `NOTIFY`), with the same event id A's own streams see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_one_instance_reaches_streams_on_the_other() {
    if std::env::var("BACKSTAGE_TEST_POSTGRES_URL").is_err() {
        eprintln!("skipped: one SQLite instance has no second instance to reach");
        return;
    }
    // One issuer for both, as in a deployment (it defaults to each one's origin).
    let issuer = ("BACKSTAGE_ISSUER", "https://band.example");
    let a = spawn_app_with(&[issuer]).await;
    let shared = a.state.config.database_url.clone();
    let b = spawn_app_with(&[issuer, ("DATABASE_URL", &shared)]).await;
    let manager = a.login("manager").await.access_token;
    let drummer = b.login("drummer").await.access_token;
    let mut on_a = open_stream(&a, &drummer, None).await;
    let mut on_b = open_stream(&b, &drummer, None).await;

    let started = std::time::Instant::now();
    let id = create_setlist(&a, &manager, "Across").await;
    let seen_on_b = next_events(&mut on_b, 1).await;
    println!(
        "a write on A reached a stream on B after {:?}",
        started.elapsed()
    );
    let seen_on_a = next_events(&mut on_a, 1).await;
    assert_eq!(seen_on_b[0].0, "setlist_created");
    assert!(seen_on_b[0].2.contains(&id));
    assert_eq!(seen_on_a[0].1, seen_on_b[0].1, "one id on every instance");

    // Presence told on A is on B's board and B's streams too.
    let viewing = json!({ "setlist_id": id, "activity": "editing" });
    let told = a
        .authed(Method::POST, "/api/presence", &manager)
        .json(&viewing)
        .send()
        .await
        .unwrap();
    assert_eq!(told.status(), StatusCode::OK);
    let heard = next_events(&mut on_b, 1).await;
    assert_eq!(heard[0].0, "presence");
    assert!(heard[0].2.contains("\"activity\":\"editing\""));
    let drummer_arrives = json!({ "setlist_id": id, "activity": "viewing" });
    let on_page = b
        .authed(Method::POST, "/api/presence", &drummer)
        .json(&drummer_arrives)
        .send()
        .await
        .unwrap();
    let names: Vec<String> = body(on_page)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"Max the Manager".to_string()), "{names:?}");
}

/// Each page names itself: a member on two tabs is there until both are
/// closed, and a hello its own goodbye overtook on the way (a tab closed
/// right after it opened) does not bring the page back for a minute.
#[tokio::test]
async fn presence_counts_pages_not_members() {
    let app = spawn_app().await;
    let drummer = app.login("drummer").await.access_token;
    let manager = app.login("manager").await.access_token;
    let id = create_setlist(&app, &manager, "Two tabs").await;
    let tell = |page: &str, activity: &str| {
        app.authed(Method::POST, "/api/presence", &drummer)
            .json(&json!({ "setlist_id": id, "activity": activity, "page": page }))
            .send()
    };
    let on_page = || async {
        let answer = app
            .authed(Method::POST, "/api/presence", &manager)
            .json(&json!({ "setlist_id": id, "activity": "viewing", "page": "m" }))
            .send()
            .await
            .unwrap();
        let present = body(answer).await;
        present
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["name"] == "Dee the Drummer")
            .map(|p| p["activity"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };

    tell("tab-1", "viewing").await.unwrap();
    tell("tab-2", "editing").await.unwrap();
    assert_eq!(on_page().await, ["editing"], "one entry for the member");
    tell("tab-2", "left").await.unwrap();
    assert_eq!(on_page().await, ["viewing"], "the other tab is still open");
    tell("tab-1", "left").await.unwrap();
    assert!(on_page().await.is_empty());

    let goodbye = tell("tab-3", "left").await.unwrap();
    assert_eq!(goodbye.status(), StatusCode::OK);
    let late_hello = tell("tab-3", "viewing").await.unwrap();
    assert_eq!(late_hello.status(), StatusCode::OK);
    assert!(on_page().await.is_empty(), "the goodbye came first");

    for bad in ["x".repeat(65), "a b".to_string(), "ta\u{e9}b".to_string()] {
        let refused = tell(&bad, "viewing").await.unwrap();
        let error = expect_error(
            refused,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(error["error"]["fields"]["page"].is_string(), "{bad:?}");
    }
}

/// A page whose session ends cannot say goodbye (its token is refused): it
/// goes with its session, and all of a member's with a revoke.
#[tokio::test]
async fn a_page_leaves_the_board_when_its_session_ends() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let phone = app.login("drummer").await;
    let laptop = app.login("drummer").await;
    let id = create_setlist(&app, &manager.access_token, "Revoked").await;
    let tell = |token: &str, page: &str| {
        app.authed(Method::POST, "/api/presence", token)
            .json(&json!({ "setlist_id": id, "activity": "viewing", "page": page }))
            .send()
    };
    let drummers_on_page = || async {
        let answer = tell(&manager.access_token, "m").await.unwrap();
        let present = body(answer).await;
        let drummers = present.as_array().unwrap().iter();
        drummers.filter(|p| p["name"] == "Dee the Drummer").count()
    };
    tell(&phone.access_token, "phone").await.unwrap();
    tell(&laptop.access_token, "laptop").await.unwrap();
    assert_eq!(drummers_on_page().await, 1);

    let logout = app.logout_response(&phone.refresh_cookie).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(drummers_on_page().await, 1, "still on the laptop");
    let left = |token: &str, page: &str| {
        app.authed(Method::POST, "/api/presence", token)
            .json(&json!({ "setlist_id": id, "activity": "left", "page": page }))
            .send()
    };
    left(&laptop.access_token, "laptop").await.unwrap();
    assert_eq!(
        drummers_on_page().await,
        0,
        "the phone's page went with its session"
    );

    tell(&laptop.access_token, "laptop-again").await.unwrap();
    assert_eq!(drummers_on_page().await, 1);
    let path = format!("/api/users/{}/revoke", laptop.user_id);
    let revoked = app
        .authed(Method::POST, &path, &manager.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(drummers_on_page().await, 0);

    // A role change cuts the tokens off too, but ends no session: the page
    // goes on (its next token carries the new role), and stays on the board.
    let again = app.login("drummer").await;
    tell(&again.access_token, "after-revoke").await.unwrap();
    let path = format!("/api/users/{}", again.user_id);
    let promoted = app
        .authed(Method::PATCH, &path, &manager.access_token)
        .json(&json!({ "role": "manager" }))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status(), StatusCode::OK);
    assert_eq!(drummers_on_page().await, 1);
}

/// "Dee is viewing", "Max is editing": told by the pages, with names from
/// their tokens, news only once, a goodbye heard by the others.
#[tokio::test]
async fn presence_on_a_setlist_page_is_told_to_the_band() {
    let app = spawn_app().await;
    let manager = app.login("manager").await.access_token;
    let drummer = app.login("drummer").await.access_token;
    let id = create_setlist(&app, &manager, "Together").await;
    let mut managers_stream = open_stream(&app, &manager, None).await;
    let tell = |token: &str, activity: &str| {
        app.authed(Method::POST, "/api/presence", token)
            .json(&json!({ "setlist_id": id, "activity": activity }))
            .send()
    };

    let answer = tell(&drummer, "viewing").await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let present = body(answer).await;
    assert_eq!(present.as_array().unwrap().len(), 1);
    assert_eq!(present[0]["name"], "Dee the Drummer");
    assert_eq!(present[0]["activity"], "viewing");
    // A heartbeat is not news; leaving is.
    tell(&drummer, "viewing").await.unwrap();
    tell(&drummer, "left").await.unwrap();
    // On PostgreSQL the setlist's creation may come round the database's
    // channel after the stream opened: it is not what this test is about.
    let mut events = Vec::new();
    while events.len() < 2 {
        let more = next_events(&mut managers_stream, 1).await;
        events.extend(more.into_iter().filter(|e| e.0 != "setlist_created"));
    }
    assert_eq!(events[0].0, "presence");
    assert!(events[0].1.is_empty(), "presence has no event id");
    assert!(events[0].2.contains("\"name\":\"Dee the Drummer\""));
    assert!(events[1].2.contains("\"activity\":\"left\""));

    // Someone else's name cannot be claimed, and bad input is refused.
    let forged = app
        .authed(Method::POST, "/api/presence", &drummer)
        .json(&json!({ "setlist_id": id, "activity": "viewing", "name": "Max", "user_id": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(body(forged).await[0]["name"], "Dee the Drummer");
    let unknown_activity = tell(&drummer, "dancing").await.unwrap();
    assert_eq!(unknown_activity.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Well-formed JSON of the wrong type is a 422 naming the field, not a 400.
    for activity in [json!(null), json!(5), json!({})] {
        let wrong_type = app
            .authed(Method::POST, "/api/presence", &drummer)
            .json(&json!({ "setlist_id": id, "activity": activity }))
            .send()
            .await
            .unwrap();
        let refused = expect_error(
            wrong_type,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            refused["error"]["fields"]["activity"].is_string(),
            "{refused}"
        );
    }
    let bad_id = app
        .authed(Method::POST, "/api/presence", &drummer)
        .json(&json!({ "setlist_id": "../x", "activity": "viewing" }))
        .send()
        .await
        .unwrap();
    let refused = expect_error(
        bad_id,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(refused["error"]["fields"]["setlist_id"].is_string());
    // A page of no setlist is nobody's news; a goodbye to one is taken.
    let on_no_setlist = |activity: &str| {
        app.authed(Method::POST, "/api/presence", &drummer)
            .json(&json!({ "setlist_id": "0190a0b0-0000-7000-8000-000000000000", "activity": activity }))
            .send()
    };
    let nowhere = on_no_setlist("editing").await.unwrap();
    expect_error(nowhere, StatusCode::NOT_FOUND, "not_found").await;
    let goodbye = on_no_setlist("left").await.unwrap();
    assert_eq!(goodbye.status(), StatusCode::OK);
    let anonymous = app
        .request(Method::POST, "/api/presence")
        .json(&json!({ "setlist_id": id, "activity": "viewing" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

/// The library page follows other members' writes: each one is an event
/// with its author and no id (not replayed), and a dry run writes nothing,
/// so it says nothing.
#[tokio::test]
async fn library_writes_reach_the_stream_and_a_dry_run_does_not() {
    let app = spawn_app().await;
    let (manager, drummer) = (app.login("manager").await, app.login("drummer").await);
    let mut stream = open_stream(&app, &drummer.access_token, None).await;
    let write = |member: &Session, method: Method, path: &str, body: serde_json::Value| {
        let token = &member.access_token;
        app.authed(method, path, token).json(&body).send()
    };

    let preview = json!({ "csv": "title\nCreep\n", "dry_run": true });
    let previewed = write(&manager, Method::POST, "/api/songs/import", preview);
    assert_eq!(previewed.await.unwrap().status(), StatusCode::OK);
    let song = json!({ "title": "Creep", "artist": "Radiohead", "duration_secs": 238 });
    let added = write(&manager, Method::POST, "/api/songs", song)
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let path = format!("/api/songs/{}", body(added).await["id"].as_str().unwrap());
    let tempo = write(&drummer, Method::PATCH, &path, json!({ "bpm": 92 }));
    assert_eq!(tempo.await.unwrap().status(), StatusCode::OK);
    let deleted = app
        .authed(Method::DELETE, &path, &manager.access_token)
        .send()
        .await;
    assert_eq!(deleted.unwrap().status(), StatusCode::NO_CONTENT);

    let events = next_events(&mut stream, 3).await;
    let heard: Vec<(&str, &str, serde_json::Value)> = events
        .iter()
        .map(|(name, id, data)| {
            (
                name.as_str(),
                id.as_str(),
                serde_json::from_str(data).unwrap(),
            )
        })
        .collect();
    // The id tells a page its own member's writes: two may share a name.
    let by = |member: &Session, name: &str| json!({ "by": name, "by_id": member.user_id });
    assert_eq!(
        heard,
        [
            ("library_changed", "", by(&manager, "Max the Manager")),
            ("library_changed", "", by(&drummer, "Dee the Drummer")),
            ("library_changed", "", by(&manager, "Max the Manager")),
        ]
    );
}

/// The members page follows other managers' changes: an added or changed
/// member is an event for managers' streams only (a drummer's would tell
/// when accounts change); a refused change, or one that changes nothing,
/// says nothing.
#[tokio::test]
async fn member_changes_reach_managers_streams_only() {
    let app = spawn_app().await;
    let (manager, drummer) = (app.login("manager").await, app.login("drummer").await);
    let mut managers = open_stream(&app, &manager.access_token, None).await;
    let mut drummers = open_stream(&app, &drummer.access_token, None).await;
    let write = |method: Method, path: &str, body: serde_json::Value| {
        app.authed(method, path, &manager.access_token)
            .json(&body)
            .send()
    };

    let member = json!({ "username": "newbie", "display_name": "New Bie", "role": "drummer",
                         "password": "a long enough password" });
    let added = write(Method::POST, "/api/users", member).await.unwrap();
    assert_eq!(added.status(), StatusCode::CREATED);
    let path = format!("/api/users/{}", body(added).await["id"].as_str().unwrap());
    // The band's one manager cannot be demoted: rolled back, and untold.
    let last_manager = format!("/api/users/{}", manager.user_id);
    let refused = write(Method::PATCH, &last_manager, json!({ "role": "drummer" }));
    assert_eq!(refused.await.unwrap().status(), StatusCode::CONFLICT);
    let unchanged = write(Method::PATCH, &path, json!({ "display_name": "New Bie" }));
    assert_eq!(unchanged.await.unwrap().status(), StatusCode::OK);
    let renamed = write(Method::PATCH, &path, json!({ "display_name": "Bea" }));
    assert_eq!(renamed.await.unwrap().status(), StatusCode::OK);
    // Then a write every member hears: the drummer's stream has it next.
    let song = json!({ "title": "Creep" });
    let added_song = write(Method::POST, "/api/songs", song).await.unwrap();
    assert_eq!(added_song.status(), StatusCode::CREATED);

    let names = |events: Vec<(String, String, String)>| {
        let names: Vec<String> = events.into_iter().map(|(name, ..)| name).collect();
        names
    };
    let by_manager = json!({ "by": "Max the Manager", "by_id": manager.user_id });
    let heard = next_events(&mut managers, 3).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&heard[0].2).unwrap(),
        by_manager
    );
    assert_eq!(
        names(heard),
        ["members_changed", "members_changed", "library_changed"]
    );
    assert_eq!(
        names(next_events(&mut drummers, 1).await),
        ["library_changed"]
    );
}

/// A manager demoted while their stream is open hears nothing more of the
/// members: they are cut off before the change is told, and the stream
/// checks their token before it passes a members event on.
#[tokio::test]
async fn a_demoted_manager_hears_no_more_member_changes() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let password = server::startup::DEMO_PASSWORD;
    let second_id = app
        .create_member(&manager, "second", "manager", password)
        .await;
    let path = format!("/api/users/{second_id}");
    let second = app.login("second").await;
    let mut stream = open_stream(&app, &second.access_token, None).await;

    let demoted = app
        .authed(Method::PATCH, &path, &manager.access_token)
        .json(&json!({ "role": "drummer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(demoted.status(), StatusCode::OK);
    assert_eq!(next_events(&mut stream, 1).await[0].0, "session_ended");
}
