//! Sessions (refresh families) and the audit trail.

use crate::common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use server::startup::DEMO_PASSWORD;

async fn sessions(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    app.get_json(path, token).await.as_array().unwrap().clone()
}

async fn logout(app: &TestApp, refresh_cookie: &str) {
    let response = app.logout_response(refresh_cookie).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

async fn audit(app: &TestApp, manager: &Session, query: &str) -> Value {
    app.get_json(&format!("/api/audit{query}"), &manager.access_token)
        .await
}

#[tokio::test]
async fn a_member_sees_their_own_sessions_with_the_current_one_marked() {
    let app = spawn_app().await;
    let laptop = app.login("drummer").await;
    let phone = app.login("drummer").await;
    app.login("manager").await;

    let list = sessions(&app, &phone.access_token, "/api/me/sessions").await;

    assert_eq!(list.len(), 2, "only the drummer's own sessions: {list:?}");
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    for field in [
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "user_agent",
        "ip",
    ] {
        assert!(current[0][field].is_string(), "{field}");
    }
    assert_eq!(current[0]["ip"], "127.0.0.1");
    let _ = laptop;
}

#[tokio::test]
async fn revoking_a_session_makes_its_next_refresh_fail() {
    let app = spawn_app().await;
    let laptop = app.login("drummer").await;
    let phone = app.login("drummer").await;
    let list = sessions(&app, &phone.access_token, "/api/me/sessions").await;
    let laptop_session = list.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/me/sessions/{laptop_session}"),
            &phone.access_token,
        )
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let refresh = app.refresh_response(&laptop.refresh_cookie).await;
    expect_error(refresh, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert_eq!(
        app.refresh_response(&phone.refresh_cookie).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        sessions(&app, &phone.access_token, "/api/me/sessions")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn nobody_can_end_someone_elses_session() {
    let app = spawn_app().await;
    let drummer = app.login("drummer").await;
    let manager = app.login("manager").await;
    let managers_session = sessions(&app, &manager.access_token, "/api/me/sessions").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/me/sessions/{managers_session}"),
            &drummer.access_token,
        )
        .send()
        .await
        .unwrap();

    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(
        app.refresh_response(&manager.refresh_cookie).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_manager_reads_a_members_sessions_and_a_drummer_cannot() {
    let app = spawn_app().await;
    let drummer = app.login("drummer").await;
    let manager = app.login("manager").await;
    let path = format!("/api/users/{}/sessions", drummer.user_id);

    let list = sessions(&app, &manager.access_token, &path).await;

    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["current"], false);
    let refused = app
        .authed(Method::GET, &path, &drummer.access_token)
        .send()
        .await
        .unwrap();
    expect_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
    let unknown = format!("/api/users/{}/sessions", uuid::Uuid::new_v4());
    let missing = app
        .authed(Method::GET, &unknown, &manager.access_token)
        .send()
        .await
        .unwrap();
    expect_error(missing, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn every_event_type_is_recorded_without_secrets() {
    let app = spawn_app_with(&[("BACKSTAGE_REFRESH_GRACE_SECS", "0")]).await;
    let manager = app.login("manager").await; // login_succeeded
    app.login_response("drummer", "wrong-password").await; // login_failed
    for _ in 0..5 {
        app.login_response("ghost", "guess").await;
    }
    app.login_response("ghost", "guess").await; // login_throttled
    let drummer = app.login("drummer").await;
    let rotated = session_from(app.refresh_response(&drummer.refresh_cookie).await).await; // refreshed
    app.refresh_response(&drummer.refresh_cookie).await; // refresh_reuse_detected
    let second = app.login("drummer").await;
    logout(&app, &second.refresh_cookie).await; // logged_out
    let third = app.login("drummer").await;
    let own = sessions(&app, &third.access_token, "/api/me/sessions").await;
    app.authed(
        Method::DELETE,
        &format!("/api/me/sessions/{}", own[0]["id"].as_str().unwrap()),
        &third.access_token,
    )
    .send()
    .await
    .unwrap(); // session_revoked
    // Logging out of a session already revoked changes nothing: no event.
    logout(&app, &third.refresh_cookie).await;
    let member = app
        .create_member(&manager, "keys", "drummer", "long-enough-1")
        .await; // member_created
    app.authed(
        Method::POST,
        &format!("/api/users/{member}/revoke"),
        &manager.access_token,
    )
    .send()
    .await
    .unwrap(); // member_revoked
    let origin = server::db::audit::Origin::system();
    let scheduled = server::auth::keys::Rotation::Scheduled;
    app.state
        .keys
        .rotate(&app.state.db, &origin, scheduled)
        .await
        .unwrap(); // signing_key_rotated

    let page = audit(&app, &manager, "?limit=200").await;

    let events = page["events"].as_array().unwrap();
    let text = page.to_string();
    for kind in [
        "login_succeeded",
        "login_failed",
        "login_throttled",
        "refreshed",
        "refresh_reuse_detected",
        "logged_out",
        "session_revoked",
        "member_created",
        "member_revoked",
        "signing_key_rotated",
    ] {
        assert!(events.iter().any(|e| e["type"] == kind), "{kind} missing");
    }
    let logouts = events.iter().filter(|e| e["type"] == "logged_out");
    assert_eq!(logouts.count(), 1, "only the logout that ended a session");
    for secret in [
        DEMO_PASSWORD,
        "wrong-password",
        "long-enough-1",
        &manager.access_token,
        &drummer.refresh_cookie,
        &rotated.refresh_cookie,
        &second.refresh_cookie,
    ] {
        assert!(!text.contains(secret), "an audit event holds a secret");
    }
    let reuse = events
        .iter()
        .find(|e| e["type"] == "refresh_reuse_detected")
        .unwrap();
    assert_eq!(reuse["subject_id"], drummer.user_id.as_str());
    assert_eq!(reuse["ip"], "127.0.0.1");
    let revoked = events
        .iter()
        .find(|e| e["type"] == "member_revoked")
        .unwrap();
    assert_eq!(revoked["actor_id"], manager.user_id.as_str());
    assert_eq!(revoked["subject_id"], member.as_str());
}

#[tokio::test]
async fn the_audit_log_pages_newest_first_and_filters() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    for _ in 0..3 {
        app.login("drummer").await;
    }
    let drummer_id = app.login("drummer").await.user_id;

    let first = audit(&app, &manager, "?type=login_succeeded&limit=2").await;
    let next = first["next_before"].as_str().unwrap().to_string();
    let second = audit(
        &app,
        &manager,
        &format!("?type=login_succeeded&limit=2&before={next}"),
    )
    .await;
    let third = audit(
        &app,
        &manager,
        &format!(
            "?type=login_succeeded&limit=2&before={}",
            second["next_before"].as_str().unwrap()
        ),
    )
    .await;

    let ids: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|page| {
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(ids.len(), 5, "five logins in all");
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "newest first, no overlap");
    assert_eq!(third["next_before"], Value::Null);
    let exactly_one_page = audit(&app, &manager, "?type=login_succeeded&limit=5").await;
    assert_eq!(exactly_one_page["events"].as_array().unwrap().len(), 5);
    assert_eq!(
        exactly_one_page["next_before"],
        Value::Null,
        "a full page that is the last one has no next page"
    );

    let by_user = audit(&app, &manager, &format!("?user={drummer_id}")).await;
    let kinds: Vec<&str> = by_user["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["login_succeeded"; 4]
            .iter()
            .copied()
            .chain(["member_created"])
            .collect::<Vec<_>>()
    );
    for query in [
        "?type=nonsense",
        "?limit=0",
        "?limit=201",
        "?limit=many",
        "?user=not-a-uuid",
        "?before=x",
    ] {
        let response = app
            .authed(
                Method::GET,
                &format!("/api/audit{query}"),
                &manager.access_token,
            )
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let drummer = app.login("drummer").await;
    let refused = app
        .authed(Method::GET, "/api/audit", &drummer.access_token)
        .send()
        .await
        .unwrap();
    expect_error(refused, StatusCode::FORBIDDEN, "forbidden").await;
}

/// Logs in with `X-Forwarded-For` and reads back the address the session got.
async fn session_ip_with_forwarded_for(app: &TestApp, forwarded_for: &str) -> String {
    let response = app
        .request(Method::POST, "/api/auth/login")
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "username": "drummer", "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    let session = session_from(response).await;
    let sessions = app
        .get_json("/api/me/sessions", &session.access_token)
        .await;
    let current = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true);
    current.expect("the current session")["ip"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    // Nobody configured: a client cannot choose its own address.
    let direct = spawn_app().await;
    let ip = session_ip_with_forwarded_for(&direct, "203.0.113.7").await;
    assert_eq!(ip, "127.0.0.1");

    // Behind our proxy (the test client plays it): the rightmost hop it appended
    // is the client, and what the client wrote to the left of it is ignored.
    let proxied = spawn_app_with(&[("BACKSTAGE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let ip = session_ip_with_forwarded_for(&proxied, "198.51.100.1, 203.0.113.7").await;
    assert_eq!(ip, "203.0.113.7");
}

#[tokio::test]
async fn a_refresh_is_audited_with_its_session() {
    // On SQLite a plain refresh is one SQL batch and a refresh inside the grace
    // window takes the portable path: both must record the same event.
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;
    let refresh_from_the_bus = || {
        app.request(Method::POST, "/api/auth/refresh")
            .header(
                header::COOKIE,
                format!("backstage_refresh={}", drummer.refresh_cookie),
            )
            .header(header::USER_AGENT, "Tour bus laptop")
            .send()
    };
    assert_eq!(
        refresh_from_the_bus().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        refresh_from_the_bus().await.unwrap().status(),
        StatusCode::OK
    );
    let own = sessions(&app, &drummer.access_token, "/api/me/sessions").await;
    let session_id = own[0]["id"].as_str().unwrap();

    let page = audit(&app, &manager, "?type=refreshed").await;
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{page}");
    for event in events {
        assert_eq!(event["actor_id"], drummer.user_id.as_str());
        assert_eq!(event["subject_id"], drummer.user_id.as_str());
        assert_eq!(event["ip"], "127.0.0.1");
        assert_eq!(event["user_agent"], "Tour bus laptop");
        assert_eq!(event["detail"], json!({ "session_id": session_id }));
    }
}

#[tokio::test]
async fn a_user_agent_outside_ascii_is_kept_on_the_sessions_page() {
    // A header is bytes, not text: UTF-8 is kept as sent, and a stray Latin-1
    // byte becomes U+FFFD instead of blanking the whole name.
    let app = spawn_app().await;
    for (sent, shown) in [
        ("Björk’s phone".as_bytes(), "Björk’s phone"),
        (b"Caf\xe9 tablet".as_slice(), "Caf\u{fffd} tablet"),
    ] {
        let response = app
            .request(Method::POST, "/api/auth/login")
            .header(
                header::USER_AGENT,
                header::HeaderValue::from_bytes(sent).unwrap(),
            )
            .json(&json!({ "username": "drummer", "password": DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        let session = session_from(response).await;
        let list = sessions(&app, &session.access_token, "/api/me/sessions").await;
        let current = list.iter().find(|s| s["current"] == true).unwrap();
        assert_eq!(current["user_agent"], shown);
    }
}
