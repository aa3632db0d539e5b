//! Setlists and band members: roles, concurrency, validation, bad input.

use crate::common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

fn song(title: &str, duration_secs: i64) -> Value {
    json!({ "title": title, "artist": "The Band", "duration_secs": duration_secs, "bpm": 120, "key": "E", "notes": "" })
}

fn setlist(name: &str) -> Value {
    json!({
        "name": name, "venue": "The Roxy", "show_date": "2026-12-04", "notes": "Bring spare sticks",
        "songs": [song("Opener", 200), song("Ballad", 300), song("Closer", 250)]
    })
}

async fn create(app: &TestApp, manager: &Session, body: &Value) -> Value {
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

async fn put(app: &TestApp, token: &str, id: &str, body: &Value) -> reqwest::Response {
    app.authed(Method::PUT, &format!("/api/setlists/{id}"), token)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn ids(setlist: &Value) -> Vec<String> {
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

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let created = create(&app, &manager, &setlist("Gig")).await;
    let id = created["id"].as_str().unwrap();
    let mut first = created.clone();
    first["name"] = json!("First edit");
    assert_eq!(
        put(&app, &manager.access_token, id, &first).await.status(),
        StatusCode::OK
    );

    let mut stale = created.clone();
    stale["name"] = json!("Stale edit");
    let response = put(&app, &manager.access_token, id, &stale).await;

    let body = expect_error(response, StatusCode::CONFLICT, "version_conflict").await;
    assert_eq!(body["current_version"], 2);
    let stored = app
        .get_json(&format!("/api/setlists/{id}"), &manager.access_token)
        .await;
    assert_eq!(stored["name"], "First edit");

    // If-Match works in place of the body's version.
    let mut by_header = stored.clone();
    by_header.as_object_mut().unwrap().remove("version");
    by_header["name"] = json!("Via If-Match");
    let put_if_match = |version: &'static str| {
        app.authed(
            Method::PUT,
            &format!("/api/setlists/{id}"),
            &manager.access_token,
        )
        .header(header::IF_MATCH, version)
        .json(&by_header)
        .send()
    };
    let stale = put_if_match("\"1\"").await.unwrap();
    expect_error(stale, StatusCode::CONFLICT, "version_conflict").await;
    // An If-Match that is not one version is refused, not ignored.
    for unreadable in ["*", "\"abc\"", "\"1\", \"2\""] {
        let response = put_if_match(unreadable).await.unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    // Two versions that disagree: refused, not settled silently either way.
    let mut both = by_header.clone();
    both["version"] = json!(2);
    let disagreeing = app
        .authed(
            Method::PUT,
            &format!("/api/setlists/{id}"),
            &manager.access_token,
        )
        .header(header::IF_MATCH, "\"1\"")
        .json(&both)
        .send()
        .await
        .unwrap();
    expect_error(disagreeing, StatusCode::BAD_REQUEST, "bad_request").await;
    let response = put_if_match("\"2\"").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_puts_on_one_version_give_one_winner_stored_whole() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let created = create(&app, &manager, &setlist("Gig")).await;
    let id = created["id"].as_str().unwrap();
    let mut a = created.clone();
    a["name"] = json!("Edit A");
    a["songs"] = json!([song("A1", 100), song("A2", 100)]);
    let mut b = created.clone();
    b["name"] = json!("Edit B");
    b["songs"] = json!([song("B1", 100), song("B2", 100), song("B3", 100)]);

    let (ra, rb) = tokio::join!(
        put(&app, &manager.access_token, id, &a),
        put(&app, &manager.access_token, id, &b)
    );

    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let winner = if ra.status() == StatusCode::OK {
        &a
    } else {
        &b
    };
    let stored = app
        .get_json(&format!("/api/setlists/{id}"), &manager.access_token)
        .await;
    assert_eq!(stored["name"], winner["name"]);
    let titles: Vec<&Value> = stored["songs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["title"])
        .collect();
    let expected: Vec<&Value> = winner["songs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["title"])
        .collect();
    assert_eq!(titles, expected);
}

/// `ok` is accepted (201); `bad` is refused with 422 naming `field`.
async fn assert_edge(app: &TestApp, manager: &Session, ok: &Value, bad: &Value, field: &str) {
    let post = |body: &Value| {
        app.authed(Method::POST, "/api/setlists", &manager.access_token)
            .json(body)
            .send()
    };
    let accepted = post(ok).await.unwrap();
    assert_eq!(
        accepted.status(),
        StatusCode::CREATED,
        "{field} at its edge"
    );
    let refused = post(bad).await.unwrap();
    let error = expect_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        error["error"]["fields"][field].is_string(),
        "{field} past its edge: {error}"
    );
}

#[tokio::test]
async fn every_limit_is_checked_at_and_past_its_edge() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let setlist_cases: Vec<(&str, Value, Value)> = vec![
        ("name", json!("x".repeat(120)), json!("x".repeat(121))),
        ("name", json!("x"), json!("")),
        ("notes", json!("n".repeat(2000)), json!("n".repeat(2001))),
        ("show_date", json!("2028-02-29"), json!("2027-02-29")),
    ];
    for (field, ok, bad) in setlist_cases {
        let (mut accepted, mut refused) = (setlist("Limits"), setlist("Limits"));
        accepted[field] = ok;
        refused[field] = bad;
        assert_edge(&app, &manager, &accepted, &refused, field).await;
    }
    let song_cases: Vec<(&str, Value, Value)> = vec![
        ("title", json!("t".repeat(200)), json!("t".repeat(201))),
        ("title", json!("t"), json!("")),
        ("notes", json!("n".repeat(2000)), json!("n".repeat(2001))),
        ("duration_secs", json!(3600), json!(3601)),
        ("duration_secs", json!(0), json!(-1)),
        ("bpm", json!(400), json!(401)),
        ("bpm", json!(20), json!(19)),
    ];
    for (field, ok, bad) in song_cases {
        let (mut accepted, mut refused) = (setlist("Song limits"), setlist("Song limits"));
        accepted["songs"][0][field] = ok;
        refused["songs"][0][field] = bad;
        assert_edge(
            &app,
            &manager,
            &accepted,
            &refused,
            &format!("songs[0].{field}"),
        )
        .await;
    }
    let (mut accepted, mut refused) = (setlist("Many songs"), setlist("Many songs"));
    accepted["songs"] = json!(vec![song("S", 60); 200]);
    refused["songs"] = json!(vec![song("S", 60); 201]);
    assert_edge(&app, &manager, &accepted, &refused, "songs").await;
}

#[tokio::test]
async fn bad_input_gets_its_status_and_error_code() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let token = &manager.access_token;
    let send = |method: Method, path: &str, content_type: &str, body: Vec<u8>| {
        app.authed(method, path, token)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };

    let malformed = send(
        Method::POST,
        "/api/setlists",
        "application/json",
        b"{\"name\":".to_vec(),
    )
    .await
    .unwrap();
    expect_error(malformed, StatusCode::BAD_REQUEST, "bad_request").await;
    let not_utf8 = send(
        Method::POST,
        "/api/setlists",
        "application/json",
        vec![b'"', 0xff, 0xfe, b'"'],
    )
    .await
    .unwrap();
    expect_error(not_utf8, StatusCode::BAD_REQUEST, "bad_request").await;
    let not_an_object = send(
        Method::POST,
        "/api/setlists",
        "application/json",
        b"[]".to_vec(),
    )
    .await
    .unwrap();
    expect_error(not_an_object, StatusCode::BAD_REQUEST, "bad_request").await;
    // Well-formed JSON that does not fit: 422, naming the field like any
    // other validation error, and nothing is stored.
    for (body, field, message) in [
        (
            json!({ "name": 5, "show_date": "2026-01-01" }),
            "name",
            "invalid type",
        ),
        (json!({ "show_date": "2026-01-01" }), "name", "is required"),
        (
            json!({ "name": "N", "show_date": "2026-01-01",
                    "songs": [{ "title": "T" }, { "title": "U", "bpm": "fast" }] }),
            "songs[1].bpm",
            "invalid type: string \"fast\", expected a whole number",
        ),
        (
            json!({ "name": "N", "show_date": "2026-01-01", "songs": [{ "artist": "A" }] }),
            "songs[0].title",
            "is required",
        ),
        (
            json!({ "name": "N", "show_date": "2026-01-01", "songs": ["Everlong"] }),
            "songs[0]",
            "invalid type: string \"Everlong\", expected an object",
        ),
    ] {
        let response = send(
            Method::POST,
            "/api/setlists",
            "application/json",
            serde_json::to_vec(&body).unwrap(),
        )
        .await
        .unwrap();
        let error = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let said = error["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(said.starts_with(message), "{body} → {error}");
        assert!(!said.contains("line"), "no parser positions: {said}");
    }
    assert_eq!(app.get_json("/api/setlists", token).await, json!([]));
    let text = send(Method::POST, "/api/setlists", "text/plain", b"{}".to_vec())
        .await
        .unwrap();
    expect_error(
        text,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let huge = serde_json::to_vec(
        &json!({ "name": "x".repeat(1024 * 1024 + 1), "show_date": "2026-01-01" }),
    )
    .unwrap();
    let too_large = send(Method::POST, "/api/setlists", "application/json", huge)
        .await
        .unwrap();
    expect_error(
        too_large,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;

    let not_uuid = app
        .authed(Method::GET, "/api/setlists/not-a-uuid", token)
        .send()
        .await
        .unwrap();
    expect_error(not_uuid, StatusCode::NOT_FOUND, "not_found").await;
    let unknown = app
        .authed(
            Method::GET,
            &format!("/api/setlists/{}", uuid::Uuid::new_v4()),
            token,
        )
        .send()
        .await
        .unwrap();
    expect_error(unknown, StatusCode::NOT_FOUND, "not_found").await;
    let put_unknown = put(
        &app,
        token,
        &uuid::Uuid::new_v4().to_string(),
        &json!({ "name": "x", "show_date": "2026-01-01", "version": 1 }),
    )
    .await;
    expect_error(put_unknown, StatusCode::NOT_FOUND, "not_found").await;
    let no_route = app
        .authed(Method::GET, "/api/nothing-here", token)
        .send()
        .await
        .unwrap();
    expect_error(no_route, StatusCode::NOT_FOUND, "not_found").await;
    let wrong_method = app
        .authed(Method::PATCH, "/api/setlists", token)
        .send()
        .await
        .unwrap();
    expect_error(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let no_version = put(
        &app,
        token,
        &uuid::Uuid::new_v4().to_string(),
        &json!({ "name": "x", "show_date": "2026-01-01" }),
    )
    .await;
    let error = expect_error(
        no_version,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(error["error"]["fields"]["version"].is_string());
}

#[tokio::test]
async fn text_round_trips_verbatim() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let mut body = setlist("<script>alert(1)</script>");
    body["songs"][0]["title"] = json!("\"Quotes\" & <b>tags</b> — ünïcödé 🥁");
    body["notes"] = json!("line one\nline two\t'single'");

    let created = create(&app, &manager, &body).await;

    let id = created["id"].as_str().unwrap();
    let stored = app
        .get_json(&format!("/api/setlists/{id}"), &manager.access_token)
        .await;
    assert_eq!(stored["name"], "<script>alert(1)</script>");
    assert_eq!(stored["songs"][0]["title"], body["songs"][0]["title"]);
    assert_eq!(stored["notes"], body["notes"]);
}

#[tokio::test]
async fn managers_add_members_who_can_then_log_in() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;

    app.create_member(&manager, "keys", "drummer", "long-enough-1")
        .await;

    assert_eq!(
        app.login_response("keys", "long-enough-1").await.status(),
        StatusCode::OK
    );
    let list = app.get_json("/api/users", &manager.access_token).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["drummer", "keys", "manager"]);
    let duplicate = app
        .authed(Method::POST, "/api/users", &manager.access_token)
        .json(&json!({ "username": "KEYS", "display_name": "K", "role": "drummer", "password": "long-enough-1" }))
        .send()
        .await
        .unwrap();
    let error = expect_error(
        duplicate,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(error["error"]["fields"]["username"].is_string());
    let bad_role = app
        .authed(Method::POST, "/api/users", &manager.access_token)
        .json(
            &json!({ "username": "x", "display_name": "X", "role": "admin", "password": "short" }),
        )
        .send()
        .await
        .unwrap();
    let error = expect_error(
        bad_role,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        error["error"]["fields"]["role"].is_string()
            && error["error"]["fields"]["password"].is_string()
    );
}
