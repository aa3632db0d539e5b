//! The account lifecycle: a manager disables, re-enables and re-roles members
//! and resets their passwords; every member changes their own password. What
//! is taken away (a session, a role, the account) stops working within a
//! second, live access tokens and refresh cookies included.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::{auth::throttle::USERNAME_LIMIT, startup::DEMO_PASSWORD};

async fn patch_member(
    app: &TestApp,
    manager: &Session,
    id: &str,
    change: Value,
) -> reqwest::Response {
    app.authed(
        Method::PATCH,
        &format!("/api/users/{id}"),
        &manager.access_token,
    )
    .json(&change)
    .send()
    .await
    .unwrap()
}

async fn status_of(app: &TestApp, method: Method, path: &str, token: &str) -> StatusCode {
    app.authed(method, path, token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn audit_kinds(app: &TestApp, manager_token: &str) -> Vec<String> {
    let page = app.get_json("/api/audit?limit=200", manager_token).await;
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_disabled_member_is_locked_out_everywhere_until_enabled_again() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;

    let response = patch_member(
        &app,
        &manager,
        &drummer.user_id,
        json!({ "disabled": true }),
    )
    .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["disabled"], true);
    assert_eq!(
        status_of(&app, Method::GET, "/api/me", &drummer.access_token).await,
        StatusCode::UNAUTHORIZED
    );
    let refresh = app.refresh_response(&drummer.refresh_cookie).await;
    expect_error(refresh, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let login = app.login_response("drummer", DEMO_PASSWORD).await;
    expect_error(login, StatusCode::FORBIDDEN, "forbidden").await;
    // Whoever holds a disabled member's password leaves a trace.
    let trace = app
        .get_json(
            &format!("/api/audit?type=login_failed&user={}", drummer.user_id),
            &manager.access_token,
        )
        .await;
    assert_eq!(trace["events"][0]["detail"]["disabled"], true, "{trace}");
    // A wrong password still says only that: the account's state is not revealed.
    let guess = app.login_response("drummer", "not-the-password").await;
    expect_error(guess, StatusCode::UNAUTHORIZED, "invalid_credentials").await;

    let response = patch_member(
        &app,
        &manager,
        &drummer.user_id,
        json!({ "disabled": false }),
    )
    .await;
    assert_eq!(body(response).await["disabled"], false);
    assert_eq!(
        app.login_response("drummer", DEMO_PASSWORD).await.status(),
        StatusCode::OK
    );
    let kinds = audit_kinds(&app, &manager.access_token).await;
    assert!(kinds.contains(&"member_disabled".into()) && kinds.contains(&"member_enabled".into()));
}

#[tokio::test]
async fn a_disabled_members_right_password_is_throttled_like_a_guess() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let gone = app
        .create_member(&manager, "gone", "drummer", "long-enough-1")
        .await;
    let response = patch_member(&app, &manager, &gone, json!({ "disabled": true })).await;
    assert_eq!(response.status(), StatusCode::OK);
    for _ in 0..5 {
        let login = app.login_response("gone", "long-enough-1").await;
        expect_error(login, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let held = app.login_response("gone", "long-enough-1").await;
    expect_error(held, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let kinds = audit_kinds(&app, &manager.access_token).await;
    let refused = kinds.iter().filter(|kind| *kind == "login_failed").count();
    assert_eq!(refused, 5);
    assert!(kinds.contains(&"login_throttled".into()), "{kinds:?}");
}

#[tokio::test]
async fn a_new_role_refuses_the_old_roles_tokens_and_the_next_refresh_carries_it() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;

    let response = patch_member(
        &app,
        &manager,
        &drummer.user_id,
        json!({ "role": "manager" }),
    )
    .await;

    assert_eq!(body(response).await["role"], "manager");
    assert_eq!(
        status_of(&app, Method::GET, "/api/me", &drummer.access_token).await,
        StatusCode::UNAUTHORIZED
    );
    let refreshed = session_from(app.refresh_response(&drummer.refresh_cookie).await).await;
    assert_eq!(
        status_of(&app, Method::GET, "/api/users", &refreshed.access_token).await,
        StatusCode::OK
    );
    assert!(
        audit_kinds(&app, &manager.access_token)
            .await
            .contains(&"member_role_changed".into())
    );
}

#[tokio::test]
async fn nobody_can_demote_or_disable_the_last_manager() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;

    for change in [json!({ "role": "drummer" }), json!({ "disabled": true })] {
        let response = patch_member(&app, &manager, &manager.user_id, change).await;
        expect_error(response, StatusCode::CONFLICT, "last_manager").await;
    }
    // With a second manager, the first may step down.
    app.create_member(&manager, "second", "manager", "long-enough-2")
        .await;
    let response = patch_member(
        &app,
        &manager,
        &manager.user_id,
        json!({ "role": "drummer" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let second = app.login_response("second", "long-enough-2").await;
    let second = session_from(second).await;
    let response = patch_member(&app, &second, &second.user_id, json!({ "disabled": true })).await;
    expect_error(response, StatusCode::CONFLICT, "last_manager").await;
}

#[tokio::test]
async fn two_managers_demoting_each_other_at_once_leave_one_manager() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    app.create_member(&manager, "second", "manager", "long-enough-2")
        .await;
    let second = session_from(app.login_response("second", "long-enough-2").await).await;

    let (a, b) = tokio::join!(
        patch_member(
            &app,
            &manager,
            &second.user_id,
            json!({ "role": "drummer" })
        ),
        patch_member(
            &app,
            &second,
            &manager.user_id,
            json!({ "role": "drummer" })
        )
    );

    let statuses = [a.status(), b.status()];
    assert!(
        statuses.contains(&StatusCode::CONFLICT) || statuses.contains(&StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    let managers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'manager'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(managers, 1);
}

#[tokio::test]
async fn member_changes_are_validated_and_for_managers_only() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;

    let response = patch_member(
        &app,
        &manager,
        &drummer.user_id,
        // Spaces and a zero-width space: a name that would show as nothing.
        json!({ "role": "admin", "display_name": " \u{200B} " }),
    )
    .await;
    let body = expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["role"].is_string());
    assert_eq!(body["error"]["fields"]["display_name"], "must not be empty");
    // "You" is what the pages call each member's own changes.
    for name in ["You", " you "] {
        let response = patch_member(
            &app,
            &manager,
            &drummer.user_id,
            json!({ "display_name": name }),
        )
        .await;
        let body = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let said = body["error"]["fields"]["display_name"].as_str().unwrap();
        assert!(said.starts_with("cannot be “You”"), "{said}");
    }
    let response = patch_member(
        &app,
        &manager,
        &drummer.user_id,
        json!({ "display_name": "Youssef" }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    // A misspelt field is refused by name, with the fields there are:
    // ignored, it would be a 200 that left the member enabled.
    let response = patch_member(&app, &manager, &drummer.user_id, json!({ "disable": true })).await;
    let body = expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let said = body["error"]["fields"]["disable"]
        .as_str()
        .unwrap_or_default();
    assert!(
        said.starts_with("unknown field `disable`, expected one of") && said.contains("`disabled`"),
        "{body}"
    );
    // `null` is not "left out": read so, the 200 would say a change was made.
    for field in ["role", "display_name", "instrument", "disabled"] {
        let response = patch_member(&app, &manager, &drummer.user_id, json!({ field: null })).await;
        let body = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let said = body["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(said.contains(" null"), "{field}: {body}");
    }
    // Nothing to change, and a name that would turn every line quoting it
    // around (U+202E, the right-to-left override).
    for (patch, field, said) in [
        (json!({}), "role", "changes nothing"),
        (
            json!({ "display_name": "\u{202E}reggub" }),
            "display_name",
            "U+202E",
        ),
    ] {
        let response = patch_member(&app, &manager, &drummer.user_id, patch).await;
        let body = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let message = body["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(message.contains(said), "{body}");
    }
    let response = patch_member(
        &app,
        &drummer,
        &drummer.user_id,
        json!({ "role": "manager" }),
    )
    .await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = patch_member(
        &app,
        &manager,
        &uuid::Uuid::new_v4().to_string(),
        json!({ "display_name": "X" }),
    )
    .await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = patch_member(
        &app,
        &manager,
        &drummer.user_id,
        json!({ "display_name": "Dee" }),
    )
    .await;
    assert_eq!(body_of(response).await["display_name"], "Dee");
}

async fn body_of(response: reqwest::Response) -> Value {
    body(response).await
}

#[tokio::test]
async fn a_password_reset_lifts_the_members_login_lockout() {
    // Behind a trusted proxy (the test client plays it), so that each
    // attempt can come from an address of its own.
    let app = spawn_app_with(&[("BACKSTAGE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let drummer_id = app.login("drummer").await.user_id;
    let log_in = |from: &str, password: &str| {
        app.request(Method::POST, "/api/auth/login")
            .header("x-forwarded-for", from)
            .json(&json!({ "username": "drummer", "password": password }))
            .send()
    };
    // Locked out at home (five wrong), and everywhere (the account-wide
    // limit, reached from nine more addresses).
    let home = "198.51.100.30";
    for i in 0..USERNAME_LIMIT {
        let from = if i < 5 {
            home.to_string()
        } else {
            format!("203.0.113.{}", i / 5)
        };
        let answer = log_in(&from, "a-wrong-guess").await.unwrap();
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    for from in [home, "192.0.2.40"] {
        let locked = log_in(from, DEMO_PASSWORD).await.unwrap();
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS, "{from}");
    }

    let manager = app.login("manager").await;
    let reset = app
        .authed(
            Method::POST,
            &format!("/api/users/{drummer_id}/password"),
            &manager.access_token,
        )
        .json(&json!({ "password": "a-brand-new-password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);

    for from in [home, "192.0.2.41"] {
        let answer = log_in(from, "a-brand-new-password").await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{from}");
    }
}

#[tokio::test]
async fn a_password_reset_ends_every_session_of_the_member() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let drummer = app.login("drummer").await;
    let path = format!("/api/users/{}/password", drummer.user_id);

    // Too short, long enough but only spaces or zero-width spaces (the
    // first guess), or holding U+0000.
    let weak = [
        "short",
        &" ".repeat(12),
        &"\u{200B}".repeat(12),
        "twelve\0chars!",
    ];
    for weak in weak {
        let response = app
            .authed(Method::POST, &path, &manager.access_token)
            .json(&json!({ "password": weak }))
            .send()
            .await
            .unwrap();
        let refused = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(refused["error"]["fields"]["password"].is_string());
    }
    let response = app
        .authed(Method::POST, &path, &manager.access_token)
        .json(&json!({ "password": "a-brand-new-password" }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        status_of(&app, Method::GET, "/api/me", &drummer.access_token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh_response(&drummer.refresh_cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_response("drummer", DEMO_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_response("drummer", "a-brand-new-password")
            .await
            .status(),
        StatusCode::OK
    );
    assert!(
        audit_kinds(&app, &manager.access_token)
            .await
            .contains(&"password_reset".into())
    );
}

#[tokio::test]
async fn changing_your_own_password_ends_your_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let here = app.login("drummer").await;
    let elsewhere = app.login("drummer").await;
    let change = |current: &str, new: &str| {
        app.authed(Method::POST, "/api/me/password", &here.access_token)
            .json(&json!({ "current_password": current, "new_password": new }))
            .send()
    };

    let wrong = change("not-the-password", "a-brand-new-password")
        .await
        .unwrap();
    expect_error(wrong, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let huge = change(&"x".repeat(300), "a-brand-new-password")
        .await
        .unwrap();
    let body = expect_error(huge, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let fields = body["error"]["fields"].as_object().unwrap();
    assert_eq!(
        fields.keys().collect::<Vec<_>>(),
        ["current_password"],
        "the body's own field"
    );
    let weak = change(DEMO_PASSWORD, "short").await.unwrap();
    let body = expect_error(weak, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(body["error"]["fields"]["new_password"].is_string());
    // The same password again would only sign out the other devices.
    let same = change(DEMO_PASSWORD, DEMO_PASSWORD).await.unwrap();
    let body = expect_error(same, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(
        body["error"]["fields"]["new_password"],
        "must differ from the current password"
    );
    assert_eq!(
        status_of(&app, Method::GET, "/api/me", &elsewhere.access_token).await,
        StatusCode::OK
    );
    let done = change(DEMO_PASSWORD, "a-brand-new-password").await.unwrap();

    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        status_of(&app, Method::GET, "/api/me", &here.access_token).await,
        StatusCode::OK
    );
    assert_eq!(
        app.refresh_response(&here.refresh_cookie).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        status_of(&app, Method::GET, "/api/me", &elsewhere.access_token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh_response(&elsewhere.refresh_cookie)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login_response("drummer", "a-brand-new-password")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn guessing_the_current_password_is_throttled_like_a_login() {
    let app = spawn_app().await;
    let here = app.login("drummer").await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = app
            .authed(Method::POST, "/api/me/password", &here.access_token)
            .json(&json!({ "current_password": "a-wrong-guess", "new_password": "a-brand-new-password" }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(&statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(statuses[6], StatusCode::TOO_MANY_REQUESTS);
    // Logged as failed password checks, told apart from failed logins.
    let manager = app.login("manager").await;
    let page = app
        .get_json("/api/audit?type=login_failed", &manager.access_token)
        .await;
    let failures = page["events"].as_array().unwrap();
    assert_eq!(failures.len(), 5, "{page}");
    assert!(
        failures
            .iter()
            .all(|e| e["detail"]["changing_password"] == true
                && e["detail"]["username"] == "drummer"),
        "{page}"
    );
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
    // A field a new member does not take is refused, not dropped: this
    // member would have been made able to log in.
    let disabled = app
        .authed(Method::POST, "/api/users", &manager.access_token)
        .json(
            &json!({ "username": "gone", "display_name": "G", "role": "drummer",
                       "password": "long-enough-1", "disabled": true }),
        )
        .send()
        .await
        .unwrap();
    let error = expect_error(
        disabled,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(error["error"]["fields"]["disabled"].is_string(), "{error}");
    assert_eq!(
        app.login_response("gone", "long-enough-1").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_member_has_an_instrument_apart_from_their_role() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let response = app
        .authed(Method::POST, "/api/users", &manager.access_token)
        .json(
            &json!({ "username": "sam", "display_name": "Sam", "role": "drummer",
                       "password": "a-long-password-1", "instrument": "vocals" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let sam = body(response).await;
    assert_eq!(sam["instrument"], "vocals");
    assert_eq!(sam["role"], "drummer", "a singer with the drummer role");
    let id = sam["id"].as_str().unwrap();

    // Her login answer says what she plays; a manager changes it and clears it.
    let login = app.login_response("sam", "a-long-password-1").await;
    assert_eq!(body(login).await["user"]["instrument"], "vocals");
    let changed = patch_member(&app, &manager, id, json!({ "instrument": " bass " })).await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(body(changed).await["instrument"], "bass", "trimmed");
    let members = app.get_json("/api/users", &manager.access_token).await;
    let listed = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap();
    assert_eq!(listed["instrument"], "bass");
    let cleared = patch_member(&app, &manager, id, json!({ "instrument": "" })).await;
    assert!(body(cleared).await.get("instrument").is_none());
    // Each change is audited, with what she played before and after.
    let audit = app
        .get_json("/api/audit?limit=200", &manager.access_token)
        .await;
    let changes: Vec<(&str, &str)> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["type"] == "member_instrument_changed")
        .map(|event| {
            let detail = &event["detail"];
            (
                detail["from"].as_str().unwrap(),
                detail["to"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(changes, [("bass", ""), ("vocals", "bass")], "newest first");

    for bad in [json!("x".repeat(41)), json!("lead\nvocals"), json!(7)] {
        let response = patch_member(&app, &manager, id, json!({ "instrument": bad })).await;
        let error = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(error["error"]["fields"]["instrument"].is_string(), "{bad}");
    }
    // Only a manager says what a member plays.
    let drummer = app.login("drummer").await;
    let response = patch_member(&app, &drummer, id, json!({ "instrument": "drums" })).await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
}
