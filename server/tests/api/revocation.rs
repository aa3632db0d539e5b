//! Revocation: a revoked member, an ended session and a logout refuse the
//! access tokens they issued at once, not when they expire.

use std::time::Duration;

use crate::common::*;
use reqwest::{Method, StatusCode};
use server::startup::DEMO_PASSWORD;

async fn revoke_member(app: &TestApp, manager: &Session, member_id: &str) -> StatusCode {
    let path = format!("/api/users/{member_id}/revoke");
    let response = app.authed(Method::POST, &path, &manager.access_token);
    response.send().await.unwrap().status()
}

#[tokio::test]
async fn a_revoked_member_is_refused_within_a_second() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;

    assert_eq!(
        revoke_member(&app, &manager, &drummer.user_id).await,
        StatusCode::NO_CONTENT
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_refused(&app, &drummer.access_token, "revoked member").await;
    let refresh = app.refresh_response(&drummer.refresh_cookie).await;
    expect_error(refresh, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let other = app
        .authed(Method::GET, "/api/me", &manager.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::OK,
        "other members are untouched"
    );
}

#[tokio::test]
async fn a_member_who_logs_in_again_in_the_second_of_a_revoke_gets_a_working_token() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;
    let unix_now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
    };
    // The case is a login within the same whole second as the revoke (`iat`
    // cannot tell them apart): start each attempt early in a second.
    let mut same_second = false;
    // A slow login can miss the second: several tries.
    for _ in 0..8 {
        let wait = 1000 - unix_now().subsec_millis() as u64;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let second = unix_now().as_secs() as i64;
        assert_eq!(
            revoke_member(&app, &manager, &drummer.user_id).await,
            StatusCode::NO_CONTENT
        );
        let again = app.login("drummer").await;
        let me = app
            .authed(Method::GET, "/api/me", &again.access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            me.status(),
            StatusCode::OK,
            "the login after the revoke works"
        );
        if claims_of(&again.access_token)["iat"] == second {
            same_second = true;
            break;
        }
    }
    assert!(
        same_second,
        "never managed a login within the revoke's second"
    );
    assert_refused(&app, &drummer.access_token, "the token from before").await;
}

#[tokio::test]
async fn a_token_remembered_as_verified_is_still_refused_once_it_expires() {
    // A token lives up to a second less than its lifetime (`iat` is whole
    // seconds, counted from the login's start): 4 s leave the reads below
    // time on a loaded machine (1 s could leave none).
    let app = spawn_app_with(&[("BACKSTAGE_ACCESS_TTL_SECS", "4")]).await;
    let drummer = app.login("drummer").await;
    // Verified once, then answered from the thread's recent tokens.
    for _ in 0..2 {
        app.get_json("/api/setlists", &drummer.access_token).await;
    }
    // Past `exp`, which has no leeway.
    sleep_past_expiry(&drummer.access_token).await;
    assert_refused(&app, &drummer.access_token, "expired").await;
}

#[tokio::test]
async fn the_database_holds_only_hashes_of_refresh_tokens() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;

    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM refresh_tokens")
        .fetch_all(&app.state.db)
        .await
        .unwrap();

    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], session.refresh_cookie);
    assert!(!stored[0].contains(&session.refresh_cookie));
    assert_eq!(
        stored[0].len(),
        16 + 64,
        "the issue time and a SHA-256 of the token, in hex"
    );
}

async fn logout(app: &TestApp, refresh_cookie: &str) -> StatusCode {
    app.logout_response(refresh_cookie).await.status()
}

#[tokio::test]
async fn logging_out_refuses_the_sessions_access_tokens_at_once() {
    let app = spawn_app().await;
    let phone = app.login("drummer").await;
    let laptop = app.login("drummer").await;

    assert_eq!(
        logout(&app, &phone.refresh_cookie).await,
        StatusCode::NO_CONTENT
    );

    assert_refused(&app, &phone.access_token, "logged-out session").await;
    assert_eq!(
        me_status(&app, &laptop.access_token).await,
        StatusCode::OK,
        "other sessions live on"
    );
}

#[tokio::test]
async fn ending_a_session_refuses_its_access_tokens_whoever_ends_it() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let phone = app.login("drummer").await;
    let laptop = app.login("drummer").await;
    let tablet = app.login("drummer").await;
    let sid = |session: &Session| {
        claims_of(&session.access_token)["sid"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // The drummer ends their phone's session from the laptop.
    let own = app
        .authed(
            Method::DELETE,
            &format!("/api/me/sessions/{}", sid(&phone)),
            &laptop.access_token,
        )
        .send()
        .await
        .unwrap();
    // A manager ends the tablet's.
    let path = format!("/api/users/{}/sessions/{}", tablet.user_id, sid(&tablet));
    let by_manager = app
        .authed(Method::DELETE, &path, &manager.access_token)
        .send()
        .await
        .unwrap();

    assert_eq!(
        (own.status(), by_manager.status()),
        (StatusCode::NO_CONTENT, StatusCode::NO_CONTENT)
    );
    assert_refused(&app, &phone.access_token, "session ended by its member").await;
    assert_refused(&app, &tablet.access_token, "session ended by a manager").await;
    assert_eq!(me_status(&app, &laptop.access_token).await, StatusCode::OK);
    // A drummer cannot end someone else's session through the manager route.
    let path = format!("/api/users/{}/sessions/{}", laptop.user_id, sid(&laptop));
    let forbidden = app
        .authed(Method::DELETE, &path, &laptop.access_token)
        .send()
        .await
        .unwrap();
    expect_error(forbidden, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn no_access_token_outlives_its_session() {
    // Nine seconds: the token ends five before the session (the leeway an
    // instance whose clock is behind would still give it).
    let app = spawn_app_with(&[("BACKSTAGE_REFRESH_TTL_SECS", "9")]).await;
    let answer = body(app.login_response("drummer", DEMO_PASSWORD).await).await;
    let access_token = answer["access_token"].as_str().unwrap();
    let claims = claims_of(access_token);
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 9 - 5, "ends five seconds before its session");
    // A client plans its refresh from `expires_in`: it must be this token's.
    assert_eq!(answer["expires_in"].as_i64(), Some(lifetime));
    assert_eq!(me_status(&app, access_token).await, StatusCode::OK);

    sleep_past_expiry(access_token).await;

    assert_refused(
        &app,
        access_token,
        "dead at its exp, before its session ends",
    )
    .await;
}

#[tokio::test]
async fn a_session_in_its_last_seconds_refreshes_no_more() {
    // Nine seconds: tokens live at most four (the leeway is five), and the
    // login's token ends when the session has no second left to give.
    let app = spawn_app_with(&[("BACKSTAGE_REFRESH_TTL_SECS", "9")]).await;
    let session = app.login("drummer").await;
    let early = app.refresh_response(&session.refresh_cookie).await;
    assert_eq!(early.status(), StatusCode::OK);
    let cookie = new_refresh_cookie(&early).expect("a successor");

    sleep_past_expiry(&session.access_token).await;

    // The family has seconds left, but no token could outlive them: a token
    // with `expires_in: 0` had the browser refresh 20 times a second.
    let late = app.refresh_response(&cookie).await;
    assert_eq!(late.status(), StatusCode::UNAUTHORIZED);
    let cleared = late.headers().get_all("set-cookie").iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|value| value.contains("Max-Age=0"))
    });
    assert!(cleared, "the dead session's cookie is cleared");
    assert_eq!(body(late).await["error"]["code"], "invalid_token");
}

#[tokio::test]
async fn a_refresh_racing_a_logout_never_leaves_a_working_pass() {
    let app = spawn_app().await;
    for _ in 0..10 {
        let session = app.login("drummer").await;
        let (refreshed, _) = tokio::join!(
            app.refresh_response(&session.refresh_cookie),
            logout(&app, &session.refresh_cookie)
        );
        if refreshed.status() == StatusCode::OK {
            let successor = new_refresh_cookie(&refreshed);
            let access = body(refreshed).await["access_token"]
                .as_str()
                .unwrap()
                .to_string();
            assert_refused(&app, &access, "a pass from a session that was logged out").await;
            if let Some(successor) = successor {
                assert_eq!(
                    app.refresh_response(&successor).await.status(),
                    StatusCode::UNAUTHORIZED
                );
            }
        }
        assert_refused(&app, &session.access_token, "the logged-out session").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_racing_a_role_change_never_keeps_the_old_role() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let password = "racing-pass-1";
    let id = app
        .create_member(&manager, "racer", "drummer", password)
        .await;
    let path = format!("/api/users/{id}");
    for round in 0..12u64 {
        let role = if round % 2 == 0 { "manager" } else { "drummer" };
        let change = app
            .authed(Method::PATCH, &path, &manager.access_token)
            .json(&serde_json::json!({ "role": role }))
            .send();
        // Staggered, so that the login's reads fall at different points of the change.
        let login = async {
            tokio::time::sleep(Duration::from_millis(round % 4)).await;
            app.login_response("racer", password).await
        };
        let (login, changed) = tokio::join!(login, change);
        assert_eq!(changed.unwrap().status(), StatusCode::OK);
        assert_eq!(login.status(), StatusCode::OK);
        let access = body(login).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        // Either the pass carries the new role and works, or the change's
        // cut-off refuses it.
        if claims_of(&access)["role"] == role {
            assert_eq!(
                me_status(&app, &access).await,
                StatusCode::OK,
                "round {round}"
            );
        } else {
            assert_refused(&app, &access, "a pass with the role from before the change").await;
        }
    }
}

#[tokio::test]
async fn a_refresh_during_a_demotion_waits_for_it_and_carries_the_new_role() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let password = "demoted-pass-1";
    let id = app
        .create_member(&manager, "demoted", "manager", password)
        .await;
    let session = session_from(app.login_response("demoted", password).await).await;

    // A demotion under way, as `db::users::change_member` makes it: the row
    // changed, then the cut-off stamped, and the commit still to come.
    let mut demotion = app.state.db.begin().await.unwrap();
    sqlx::query("UPDATE users SET role = 'drummer' WHERE id = $1")
        .bind(&id)
        .execute(&mut *demotion)
        .await
        .unwrap();
    let cutoff_ms = server::clock::now_ms();
    sqlx::query("UPDATE users SET tokens_valid_after_ms = $1 WHERE id = $2")
        .bind(cutoff_ms)
        .bind(&id)
        .execute(&mut *demotion)
        .await
        .unwrap();
    // The refresh begins after the stamp, and is dated after it.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (refreshed, ()) = tokio::join!(app.refresh_response(&session.refresh_cookie), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        demotion.commit().await.unwrap();
        app.state.member_cut_off(&id, cutoff_ms);
    });

    assert_eq!(refreshed.status(), StatusCode::OK);
    let access = body(refreshed).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        claims_of(&access)["role"],
        "drummer",
        "the refresh read the member after the demotion committed, not before"
    );
    assert_eq!(me_status(&app, &access).await, StatusCode::OK);
    assert_refused(&app, &session.access_token, "the manager pass from before").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_racing_a_member_revoke_never_leaves_a_working_pass() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    for round in 0..10u64 {
        let session = app.login("drummer").await;
        // Staggered, so that the refresh's reads fall at different points of
        // the revoke (both take the member's row, then the session's).
        let refresh = async {
            tokio::time::sleep(Duration::from_millis(round % 4)).await;
            app.refresh_response(&session.refresh_cookie).await
        };
        let (refreshed, revoked) =
            tokio::join!(refresh, revoke_member(&app, &manager, &session.user_id));
        assert_eq!(revoked, StatusCode::NO_CONTENT, "round {round}");
        let status = refreshed.status();
        assert!(
            [StatusCode::OK, StatusCode::UNAUTHORIZED].contains(&status),
            "round {round}: {status}"
        );
        if status == StatusCode::OK {
            let access = body(refreshed).await["access_token"]
                .as_str()
                .unwrap()
                .to_string();
            assert_refused(&app, &access, "a pass from a revoked member's session").await;
        }
    }
}

#[tokio::test]
async fn a_cut_off_stamped_by_a_clock_running_ahead_refuses_no_later_pass() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let password = "skewed-pass-1";
    let id = app
        .create_member(&manager, "skewed", "drummer", password)
        .await;
    // Another instance changed this member's role, its clock two seconds
    // ahead of this one's: the cut-off is in this instance's future.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let ahead_ms = now_ms + 2_000;
    sqlx::query("UPDATE users SET tokens_valid_after_ms = $1 WHERE id = $2")
        .bind(ahead_ms)
        .bind(&id)
        .execute(&app.state.db)
        .await
        .unwrap();
    app.state.member_cut_off(&id, ahead_ms);

    // A login and a refresh made after the change read it: their passes work.
    let session = session_from(app.login_response("skewed", password).await).await;
    assert_eq!(me_status(&app, &session.access_token).await, StatusCode::OK);
    let refreshed = app.refresh_response(&session.refresh_cookie).await;
    let refresh_cookie = new_refresh_cookie(&refreshed).unwrap();
    let access = body(refreshed).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(me_status(&app, &access).await, StatusCode::OK);

    // The next change is stamped by this instance's clock, behind the last
    // cut-off: the cut-off still moves later, and the drummer passes dated
    // after the last one are refused.
    let path = format!("/api/users/{id}");
    let promoted = app
        .authed(Method::PATCH, &path, &manager.access_token)
        .json(&serde_json::json!({ "role": "manager" }))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status(), StatusCode::OK);
    assert_refused(&app, &session.access_token, "a drummer pass from before").await;
    assert_refused(&app, &access, "a drummer pass from before").await;
    let refreshed = app.refresh_response(&refresh_cookie).await;
    let access = body(refreshed).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(claims_of(&access)["role"], "manager");
    assert_eq!(me_status(&app, &access).await, StatusCode::OK);
}
