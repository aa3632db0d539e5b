//! Refreshing: rotation, the grace window for tabs and lost answers, reuse
//! detection, and logout.

use std::time::Duration;

use crate::common::*;
use reqwest::{Method, StatusCode, header};

#[tokio::test]
async fn refresh_rotates_the_cookie_and_spends_the_old_one() {
    let app = spawn_app().await;
    let first = app.login("drummer").await;

    let response = app.refresh_response(&first.refresh_cookie).await;

    assert_eq!(response.status(), StatusCode::OK);
    let set_cookies: Vec<_> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .collect();
    assert_eq!(
        set_cookies.len(),
        1,
        "only the token changes: {set_cookies:?}"
    );
    let second = session_from(response).await;
    assert_ne!(second.refresh_cookie, first.refresh_cookie);
    assert_eq!(
        claims_of(&second.access_token)["sid"],
        claims_of(&first.access_token)["sid"]
    );
    let me = app
        .authed(Method::GET, "/api/me", &second.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_rotated_cookie_lives_as_long_as_its_session_not_longer() {
    let app = spawn_app().await;
    let first = app.login("drummer").await;
    let session_id = claims_of(&first.access_token)["sid"]
        .as_str()
        .unwrap()
        .to_string();
    // The session, logged in long ago, has an hour left.
    let hour_from_now = server::clock::now() + 3600;
    sqlx::query("UPDATE refresh_families SET expires_at = $1 WHERE id = $2")
        .bind(hour_from_now)
        .bind(&session_id)
        .execute(&app.state.db)
        .await
        .unwrap();

    let response = app.refresh_response(&first.refresh_cookie).await;

    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response).unwrap();
    let max_age: i64 = cookie
        .split("; ")
        .find_map(|attribute| attribute.strip_prefix("Max-Age="))
        .and_then(|seconds| seconds.parse().ok())
        .unwrap_or_else(|| panic!("no Max-Age in {cookie}"));
    assert!((3500..=3600).contains(&max_age), "{cookie}");
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_family() {
    let app = spawn_app_with(&[("BACKSTAGE_REFRESH_GRACE_SECS", "0")]).await;
    let stolen = app.login("drummer").await;
    let legitimate = session_from(app.refresh_response(&stolen.refresh_cookie).await).await;

    let replay = app.refresh_response(&stolen.refresh_cookie).await;

    expect_error(replay, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let after = app.refresh_response(&legitimate.refresh_cookie).await;
    expect_error(after, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

/// How many unspent refresh tokens the session has (a chain has one).
async fn unspent_tokens(app: &TestApp, access_token: &str) -> i64 {
    let session_id = claims_of(access_token)["sid"].as_str().unwrap().to_string();
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM refresh_tokens WHERE family_id = $1 AND spent_at IS NULL",
    )
    .bind(session_id)
    .fetch_one(&app.state.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn tabs_refreshing_at_once_all_succeed_and_the_session_stays_one_chain() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;

    let answers =
        futures::future::join_all((0..6).map(|_| app.refresh_response(&session.refresh_cookie)))
            .await;

    let mut successors = std::collections::BTreeSet::new();
    let mut access_token = String::new();
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::OK);
        // The same successor for everyone, or no cookie at all: never a second chain.
        successors.extend(new_refresh_cookie(&answer));
        access_token = body(answer).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
    }
    assert_eq!(successors.len(), 1, "one successor: {successors:?}");
    assert_eq!(unspent_tokens(&app, &access_token).await, 1);
    let successor = successors.pop_first().unwrap();
    assert_eq!(
        app.refresh_response(&successor).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_retry_whose_answer_was_lost_gets_the_same_successor_and_keeps_its_session() {
    let app = spawn_app().await; // the default grace window
    let session = app.login("drummer").await;
    let first = app.refresh_response(&session.refresh_cookie).await;
    let lost = new_refresh_cookie(&first).unwrap(); // never reached the client

    let retry = app.refresh_response(&session.refresh_cookie).await;

    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(new_refresh_cookie(&retry).as_deref(), Some(lost.as_str()));
    let next = app.refresh_response(&lost).await;
    assert_eq!(next.status(), StatusCode::OK, "the session lives on");
}

#[tokio::test]
async fn reuse_after_the_default_grace_window_revokes_the_family_and_its_passes() {
    let app = spawn_app().await; // the default grace window: 5 s
    let stolen = app.login("drummer").await;
    let legitimate = session_from(app.refresh_response(&stolen.refresh_cookie).await).await;
    tokio::time::sleep(Duration::from_millis(5_500)).await;

    let replay = app.refresh_response(&stolen.refresh_cookie).await;

    expect_error(replay, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let after = app.refresh_response(&legitimate.refresh_cookie).await;
    expect_error(after, StatusCode::UNAUTHORIZED, "invalid_token").await;
    // Every access token of the session dies with it, not in five minutes.
    assert_refused(&app, &legitimate.access_token, "revoked family").await;
}

#[tokio::test]
async fn refresh_without_a_cookie_or_with_an_unknown_one_fails() {
    let app = spawn_app().await;
    let response = app
        .request(Method::POST, "/api/auth/refresh")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
    let response = app.refresh_response("made-up").await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn two_refresh_cookies_at_once_are_refused_and_neither_is_spent() {
    let app = spawn_app().await;
    let (mine, planted) = (app.login("drummer").await, app.login("manager").await);
    // A sibling subdomain planted its own session's cookie next to ours.
    let both = format!(
        "backstage_refresh={}; backstage_refresh={}",
        mine.refresh_cookie, planted.refresh_cookie
    );
    let response = app
        .request(Method::POST, "/api/auth/refresh")
        .header(header::COOKIE, both)
        .send()
        .await
        .unwrap();
    assert!(
        response.headers().get(header::SET_COOKIE).is_none(),
        "nothing is cleared: that would leave the planted cookie alone"
    );
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    for session in [&mine, &planted] {
        let alone = app.refresh_response(&session.refresh_cookie).await;
        assert_eq!(alone.status(), StatusCode::OK, "not spent");
    }
}

#[tokio::test]
async fn a_logout_with_two_refresh_cookies_ends_both_sessions() {
    let app = spawn_app().await;
    let (mine, planted) = (app.login("drummer").await, app.login("drummer").await);
    let both = format!(
        "backstage_refresh={}; backstage_refresh={}",
        mine.refresh_cookie, planted.refresh_cookie
    );
    let response = app
        .request(Method::POST, "/api/auth/logout")
        .header(header::COOKIE, both)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // Ending only the one the cookie jar picks left the other alive.
    for session in [&mine, &planted] {
        let after = app.refresh_response(&session.refresh_cookie).await;
        expect_error(after, StatusCode::UNAUTHORIZED, "invalid_token").await;
        assert_refused(&app, &session.access_token, "its session ended").await;
    }
}

#[tokio::test]
async fn cross_site_refresh_is_forbidden_and_spends_nothing() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;

    for origin in ["https://evil.example", "null"] {
        let response = app
            .request(Method::POST, "/api/auth/refresh")
            .header(
                header::COOKIE,
                format!("backstage_refresh={}", session.refresh_cookie),
            )
            .header(header::ORIGIN, origin)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let same_site = app
        .request(Method::POST, "/api/auth/refresh")
        .header(
            header::COOKIE,
            format!("backstage_refresh={}", session.refresh_cookie),
        )
        .header(header::ORIGIN, app.address.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_revokes_the_session_and_clears_the_cookie() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;

    let response = app.logout_response(&session.refresh_cookie).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cleared = set_cookie(&response).unwrap();
    assert!(cleared.starts_with("backstage_refresh=;") && cleared.contains("Max-Age=0"));
    assert!(cleared.contains("Path=/api/auth"));
    let replay = app.refresh_response(&session.refresh_cookie).await;
    expect_error(replay, StatusCode::UNAUTHORIZED, "invalid_token").await;
    // Logging out again, or without a cookie, is still fine.
    let again = app
        .request(Method::POST, "/api/auth/logout")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
}
