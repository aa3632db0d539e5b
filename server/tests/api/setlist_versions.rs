//! Optimistic concurrency: a stale version changes nothing, and of two
//! writes on one version exactly one wins, stored whole.

use crate::common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use super::setlists::{create, put, setlist, song};

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
