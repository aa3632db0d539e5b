//! Optimistic concurrency: a stale version changes nothing, of two writes on
//! one version exactly one wins, stored whole, and song patches that arrive
//! together (one transaction on SQLite: `db::patch_batch`) each apply in turn.

use crate::common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use super::setlists::{create, ids, put, setlist, song};

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
    // A PUT of `body` with an If-Match line for each of `versions`.
    let put_with = |versions: &[&'static str], body: &Value| {
        let mut request = app.authed(
            Method::PUT,
            &format!("/api/setlists/{id}"),
            &manager.access_token,
        );
        for version in versions {
            request = request.header(header::IF_MATCH, *version);
        }
        request.json(body).send()
    };
    let put_if_match = |version: &'static str| put_with(&[version], &by_header);
    let stale = put_if_match("\"1\"").await.unwrap();
    expect_error(stale, StatusCode::CONFLICT, "version_conflict").await;
    // An If-Match that is not one version, exactly as the ETag gave it, is
    // refused, not ignored nor read loosely: a weak tag never matches (RFC
    // 9110 compares If-Match strongly), though this one names the version.
    for unreadable in [
        "\"abc\"",
        "\"1\", \"2\"",
        "W/\"2\"",
        "2",
        "\"2",
        "\"+2\"",
        "\"02\"",
    ] {
        let response = put_if_match(unreadable).await.unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    // Two header lines are one list: the second is not ignored.
    let two_lines = put_with(&["\"2\"", "\"1\""], &by_header).await.unwrap();
    expect_error(two_lines, StatusCode::BAD_REQUEST, "bad_request").await;
    // `*` asks for no particular version, and a PUT must name one.
    let any = put_if_match("*").await.unwrap();
    let refused = expect_error(any, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let said = refused["error"]["fields"]["version"].as_str().unwrap();
    assert!(said.contains("If-Match: * names no version"), "{said}");
    // Two versions that disagree: refused, not settled silently either way.
    let mut both = by_header.clone();
    both["version"] = json!(2);
    let disagreeing = put_with(&["\"1\""], &both).await.unwrap();
    expect_error(disagreeing, StatusCode::BAD_REQUEST, "bad_request").await;
    let response = put_if_match("\"2\"").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_delete_decided_on_a_stale_page_is_a_conflict_and_deletes_nothing() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let created = create(&app, &manager, &setlist("Gig")).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/setlists/{id}");
    let mut edited = created.clone();
    edited["name"] = json!("Edited meanwhile");
    assert_eq!(
        put(&app, &manager.access_token, id, &edited).await.status(),
        StatusCode::OK
    );

    let delete_at = |version: &'static str| {
        app.authed(Method::DELETE, &path, &manager.access_token)
            .header(header::IF_MATCH, version)
            .send()
    };
    let stale = delete_at("\"1\"").await.unwrap();
    let body = expect_error(stale, StatusCode::CONFLICT, "version_conflict").await;
    assert_eq!(body["current_version"], 2);
    for unreadable in ["soon", "W/\"2\""] {
        let response = delete_at(unreadable).await.unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let stored = app.get_json(&path, &manager.access_token).await;
    assert_eq!(stored["name"], "Edited meanwhile");

    // `*` matches whatever is current (RFC 9110): the delete is unconditional.
    assert_eq!(
        delete_at("*").await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let gone = delete_at("\"2\"").await.unwrap();
    expect_error(gone, StatusCode::NOT_FOUND, "not_found").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn song_patches_that_arrive_together_each_apply_in_turn() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;
    let mut soundcheck = setlist("Soundcheck");
    soundcheck["songs"] = (0..10).map(|n| song(&format!("Song {n}"), 200)).collect();
    let created = create(&app, &manager, &soundcheck).await;
    let id = created["id"].as_str().unwrap();
    let song_ids = ids(&created);
    let patch = |song_id: &str, body: Value| {
        app.authed(
            Method::PATCH,
            &format!("/api/setlists/{id}/songs/{song_id}"),
            &drummer.access_token,
        )
        .json(&body)
        .send()
    };

    // Ten unversioned patches at once, and one to a song that is not there.
    let missing = uuid::Uuid::new_v4().to_string();
    let mut patches: Vec<_> = song_ids
        .iter()
        .enumerate()
        .map(|(n, song_id)| {
            patch(
                song_id,
                json!({ "bpm": 100 + n, "notes": format!("take {n}") }),
            )
        })
        .collect();
    patches.push(patch(&missing, json!({ "bpm": 90 })));
    let answers = futures::future::join_all(patches).await;
    let mut versions = Vec::new();
    for (n, answer) in answers.into_iter().enumerate() {
        let answer = answer.unwrap();
        if n == song_ids.len() {
            expect_error(answer, StatusCode::NOT_FOUND, "not_found").await;
            continue;
        }
        assert_eq!(answer.status(), StatusCode::OK, "patch {n}");
        let etag = answer.headers()[header::ETAG].to_str().unwrap().to_string();
        let patched = body(answer).await;
        // Each answer is a snapshot that includes its own patch.
        assert_eq!(patched["songs"][n]["bpm"], 100 + n);
        assert_eq!(patched["songs"][n]["notes"], format!("take {n}"));
        assert_eq!(etag, format!("\"{}\"", patched["version"]));
        versions.push(patched["version"].as_i64().unwrap());
    }
    assert!(
        versions.iter().all(|v| (2..=11).contains(v)),
        "{versions:?}"
    );
    let stored = app
        .get_json(&format!("/api/setlists/{id}"), &manager.access_token)
        .await;
    assert_eq!(stored["version"], 11, "one version per patch that applied");
    for (n, song) in stored["songs"].as_array().unwrap().iter().enumerate() {
        assert_eq!(song["bpm"], 100 + n);
        assert_eq!(song["title"], format!("Song {n}"), "nothing else changed");
    }

    // Five patches that all edited version 11: the first applies, and the
    // others find the version it made.
    let racing = (0..5).map(|n| patch(&song_ids[n], json!({ "bpm": 60, "version": 11 })));
    let mut statuses = Vec::new();
    for answer in futures::future::join_all(racing).await {
        let answer = answer.unwrap();
        statuses.push(answer.status().as_u16());
        if answer.status() == StatusCode::CONFLICT {
            let body = expect_error(answer, StatusCode::CONFLICT, "version_conflict").await;
            assert_eq!(body["current_version"], 12);
        }
    }
    statuses.sort();
    assert_eq!(statuses, [200, 409, 409, 409, 409]);
}
