//! Logging in: the token and the cookies it comes with, the bearer scheme,
//! the throttle, and oversized credentials.

use crate::common::*;
use reqwest::{Method, StatusCode, header};
use serde_json::json;
use server::{
    auth::throttle::{ADDRESS_LIMIT, USERNAME_LIMIT},
    startup::DEMO_PASSWORD,
};

#[tokio::test]
async fn login_returns_a_bearer_token_and_a_hardened_refresh_cookie() {
    let app = spawn_app().await;

    let response = app.login_response("drummer", DEMO_PASSWORD).await;

    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response).unwrap();
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/auth",
        "Max-Age=2592000",
    ] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing from {cookie}"
        );
    }
    // Plain-http development origin: Secure is dropped, and only then.
    assert!(!cookie.contains("Secure"));
    let hint = set_cookie_named(&response, "backstage_session").unwrap();
    assert!(
        hint.starts_with("backstage_session=1;")
            && hint.contains("HttpOnly")
            && hint.contains("Path=/;")
    );
    let body = body(response).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["user"]["username"], "drummer");
    assert_eq!(body["user"]["role"], "drummer");
    assert!(body["user"].get("password_hash").is_none());
}

#[tokio::test]
async fn a_login_from_another_site_is_forbidden_and_starts_no_session() {
    let app = spawn_app().await;
    let credentials = json!({ "username": "drummer", "password": DEMO_PASSWORD });
    // The same server by the other name of the loopback host is ours too.
    let by_name = app.address.replace("127.0.0.1", "localhost");
    for (origin, status) in [
        ("https://evil.example", StatusCode::FORBIDDEN),
        ("null", StatusCode::FORBIDDEN),
        (app.address.as_str(), StatusCode::OK),
        (by_name.as_str(), StatusCode::OK),
    ] {
        let response = app
            .request(Method::POST, "/api/auth/login")
            .header(header::ORIGIN, origin)
            .json(&credentials)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{origin}");
        assert_eq!(set_cookie(&response).is_some(), status == StatusCode::OK);
    }
    // Refused before its body is read: what a cross-site form can send (no
    // JSON, or no body at all) is a 403 too, not a 415 or a 400.
    for body in ["username=drummer", ""] {
        let response = app
            .request(Method::POST, "/api/auth/login")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{body:?}");
    }
    // Two `Origin`s (a proxy that appends one): judged by neither, in either order.
    for pair in [
        [app.address.as_str(), "https://evil.example"],
        ["https://evil.example", app.address.as_str()],
        [app.address.as_str(), app.address.as_str()],
    ] {
        let response = app
            .request(Method::POST, "/api/auth/login")
            .header(header::ORIGIN, pair[0])
            .header(header::ORIGIN, pair[1])
            .json(&credentials)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{pair:?}");
        assert!(set_cookie(&response).is_none());
    }
    // `Sec-Fetch-Site` alone decides here (no `Origin`): `cross-site`, twice
    // in either order, or joined on one line, is refused; `same-origin` passes.
    let sites: [(&[&str], StatusCode); 5] = [
        (&["same-origin"], StatusCode::OK),
        (&["cross-site"], StatusCode::FORBIDDEN),
        (&["same-origin", "cross-site"], StatusCode::FORBIDDEN),
        (&["cross-site", "same-origin"], StatusCode::FORBIDDEN),
        (&["same-origin, cross-site"], StatusCode::FORBIDDEN),
    ];
    for (lines, status) in sites {
        let mut request = app.request(Method::POST, "/api/auth/login");
        for line in lines {
            request = request.header("sec-fetch-site", *line);
        }
        let response = request.json(&credentials).send().await.unwrap();
        assert_eq!(response.status(), status, "{lines:?}");
    }
    // Our `Origin` does not make a `cross-site` request ours.
    let response = app
        .request(Method::POST, "/api/auth/login")
        .header(header::ORIGIN, app.address.as_str())
        .header("sec-fetch-site", "cross-site")
        .json(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn on_https_the_cookies_are_secure_and_prefixed_so_no_sibling_can_plant_one() {
    let app = spawn_app_with(&[("BACKSTAGE_PUBLIC_ORIGIN", "https://backstage.example")]).await;
    let response = app.login_response("drummer", DEMO_PASSWORD).await;

    let refresh = set_cookie_named(&response, "__Secure-backstage_refresh").unwrap();
    assert!(refresh.contains("Secure") && refresh.contains("Path=/api/auth"));
    let hint = set_cookie_named(&response, "__Host-backstage_session").unwrap();
    assert!(hint.contains("Secure") && hint.contains("Path=/;") && !hint.contains("Domain"));
    // The unprefixed name means nothing there: a planted cookie is ignored.
    let value = refresh
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1;
    let planted = app.refresh_response(value).await;
    expect_error(planted, StatusCode::UNAUTHORIZED, "missing_token").await;
    let genuine = app
        .request(Method::POST, "/api/auth/refresh")
        .header(
            header::COOKIE,
            format!("__Secure-backstage_refresh={value}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(genuine.status(), StatusCode::OK);
}

#[tokio::test]
async fn usernames_are_case_insensitive() {
    let app = spawn_app().await;
    let response = app.login_response("DRUMMER", DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_username_matches_in_ascii_letters_only() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    app.create_member(&manager, "mike", "drummer", "long-enough-1")
        .await;
    // PostgreSQL lowercases "İ" to "i", Rust to "i̇": the database found
    // mike while the throttle counted this spelling apart, a second budget
    // of guesses at his password.
    let response = app.login_response("m\u{130}ke", "long-enough-1").await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_credentials").await;
    let response = app.login_response("MIKE", "long-enough-1").await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn spaces_around_a_username_are_not_part_of_it() {
    let app = spawn_app().await;
    // What a phone's keyboard leaves after a suggested word.
    for typed in ["drummer ", " drummer", "\tDrummer\u{a0}"] {
        let response = app.login_response(typed, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "{typed:?}");
    }
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = spawn_app().await;

    let wrong_password = app.login_response("drummer", "not-the-password").await;
    let unknown_user = app.login_response("nobody", "not-the-password").await;

    let a = expect_error(
        wrong_password,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    let b = expect_error(
        unknown_user,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let response = app.login_response("manager", "guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    let response = app.login_response("manager", DEMO_PASSWORD).await;

    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after));
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Another member is not locked out by someone guessing the manager's password.
    assert_eq!(
        app.login_response("drummer", DEMO_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn malformed_login_bodies_are_bad_requests() {
    let app = spawn_app().await;
    let response = app
        .request(Method::POST, "/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    let response = app
        .request(Method::POST, "/api/auth/login")
        .header(header::CONTENT_TYPE, "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

#[tokio::test]
async fn me_answers_the_member_as_stored_not_as_the_token_says() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    let login = app.login_response("drummer", DEMO_PASSWORD).await;
    let signed_in = body(login).await;
    let token = signed_in["access_token"].as_str().unwrap().to_string();
    let me = || async {
        let response = app.authed(Method::GET, "/api/me", &token).send().await;
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        body(response).await
    };
    assert_eq!(me().await, signed_in["user"], "the login's user object");

    // A manager renames the drummer while their token still says the old name.
    let id = signed_in["user"]["id"].as_str().unwrap();
    let renamed = app
        .authed(
            Method::PATCH,
            &format!("/api/users/{id}"),
            &manager.access_token,
        )
        .json(&json!({ "display_name": "Dee", "instrument": "drums" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    let now = me().await;
    assert_eq!(now["display_name"], "Dee");
    assert_eq!(now["instrument"], "drums");
    assert_eq!(now["role"], "drummer");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;
    let response = app
        .request(Method::GET, "/api/me")
        .header(
            header::AUTHORIZATION,
            format!("bEaReR {}", session.access_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_without_a_token_is_told_to_bring_one() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/api/me").send().await.unwrap();
    assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
}

#[tokio::test]
async fn a_token_in_the_query_string_is_ignored() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;
    let path = format!("/api/me?access_token={}", session.access_token);
    let response = app.request(Method::GET, &path).send().await.unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "missing_token").await;
}

#[tokio::test]
async fn two_authorization_headers_are_refused_even_when_one_is_valid() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;
    let valid = format!("Bearer {}", session.access_token);
    for (first, second) in [
        (valid.as_str(), "Bearer xyz"),
        ("Bearer xyz", valid.as_str()),
    ] {
        let response = app
            .request(Method::GET, "/api/me")
            .header(header::AUTHORIZATION, first)
            .header(header::AUTHORIZATION, second)
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    }
}

#[tokio::test]
async fn a_parallel_burst_of_wrong_passwords_gets_at_most_the_limit_of_checks() {
    let app = spawn_app().await;

    let answers =
        futures::future::join_all((0..40).map(|_| app.login_response("manager", "a-wrong-guess")))
            .await;

    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status()).collect();
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    // Under load a few may be shed (503, hashing busy); none may be checked
    // beyond the limit, and most must meet the throttle.
    let shed = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert!(checked <= 5, "{checked} password checks for a limit of 5");
    assert_eq!(checked + throttled + shed, 40, "{statuses:?}");
    assert!(throttled >= 30, "{statuses:?}");
    // Guessing on, one at a time, meets the lockout (at once, unless a
    // shed attempt gave its place back): one audit event for the window,
    // not one per refused attempt.
    let mut locked = false;
    for _ in 0..6 {
        let late = app.login_response("manager", "a-wrong-guess").await;
        if late.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_ne!(late.headers()["retry-after"], "1", "nothing is in flight");
            locked = true;
            break;
        }
    }
    assert!(locked, "five failures lock the window");
    let throttled_events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_throttled'")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(throttled_events, 1);
}

#[tokio::test]
async fn parallel_logins_with_the_right_password_all_get_in() {
    let app = spawn_app().await;

    let answers = futures::future::join_all(
        (0..12).map(|_| app.login_response("drummer", server::startup::DEMO_PASSWORD)),
    )
    .await;

    // Past the fifth, each waited for a place as those in flight succeeded
    // (or was shed, 503, if the hashing queue was too long): none was refused.
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status()).collect();
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::OK));
    // Once they are answered, nothing is held against the member.
    let again = app
        .login_response("drummer", server::startup::DEMO_PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn guesses_from_elsewhere_do_not_lock_a_member_out_where_they_signed_in() {
    // Behind a trusted proxy (the test client plays it), so that each
    // attempt can come from an address of its own.
    let app = spawn_app_with(&[("BACKSTAGE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let log_in = |from: String, password: &'static str| {
        app.request(Method::POST, "/api/auth/login")
            .header("x-forwarded-for", from)
            .json(&serde_json::json!({ "username": "manager", "password": password }))
            .send()
    };
    let home = "198.51.100.7".to_string();
    assert_eq!(
        log_in(home.clone(), DEMO_PASSWORD).await.unwrap().status(),
        StatusCode::OK
    );

    // The account-wide limit, reached from ten other addresses.
    for i in 0..USERNAME_LIMIT {
        let from = format!("203.0.113.{}", i % 10);
        let answer = log_in(from, "a-wrong-guess").await.unwrap();
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    let stranger = log_in("192.0.2.1".into(), DEMO_PASSWORD).await.unwrap();
    assert_eq!(stranger.status(), StatusCode::TOO_MANY_REQUESTS);
    // Where the member signed in before, the right password still works,
    // and signing in there gives the guessers no fresh budget.
    assert_eq!(
        log_in(home, DEMO_PASSWORD).await.unwrap().status(),
        StatusCode::OK
    );
    let stranger = log_in("192.0.2.2".into(), DEMO_PASSWORD).await.unwrap();
    assert_eq!(stranger.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn guesses_at_made_up_names_from_the_bands_address_do_not_lock_the_band_out() {
    // A venue's Wi-Fi or a carrier's NAT: one address for the band and for
    // whoever else is there.
    let app = spawn_app_with(&[("BACKSTAGE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let venue = "198.51.100.20";
    let log_in = async |username: String, password: &str| {
        let answer = app
            .request(Method::POST, "/api/auth/login")
            .header("x-forwarded-for", venue)
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await;
        answer.unwrap().status()
    };
    assert_eq!(
        log_in("drummer".into(), DEMO_PASSWORD).await,
        StatusCode::OK
    );
    for i in 0..ADDRESS_LIMIT {
        let answer = log_in(format!("ghost{i}"), "a-wrong-guess").await;
        assert_eq!(answer, StatusCode::UNAUTHORIZED);
    }
    // The drummer signed in here before: still in. The manager never did.
    assert_eq!(
        log_in("drummer".into(), DEMO_PASSWORD).await,
        StatusCode::OK
    );
    let next_guess = log_in("ghost-next".into(), "a-wrong-guess").await;
    assert_eq!(next_guess, StatusCode::TOO_MANY_REQUESTS);
    let manager = log_in("manager".into(), DEMO_PASSWORD).await;
    assert_eq!(manager, StatusCode::TOO_MANY_REQUESTS);
    // The drummer met the lockout first and was let through: it is on record
    // all the same, once.
    let manager = app.login("manager").await;
    let audit = app
        .get_json("/api/audit?type=login_throttled", &manager.access_token)
        .await;
    let from_venue = audit["events"].as_array().unwrap().iter();
    let from_venue = from_venue.filter(|event| event["ip"] == venue).count();
    assert_eq!(from_venue, 1, "{audit}");
}

#[tokio::test]
async fn on_postgresql_the_throttle_holds_across_instances() {
    if std::env::var("BACKSTAGE_TEST_POSTGRES_URL").is_err() {
        println!("skipped: SQLite runs one instance, whose throttle is in memory");
        return;
    }
    let data = tempfile::tempdir().unwrap();
    let url = fresh_database_url(data.path()).await;
    let settings = [("DATABASE_URL", url.as_str())];
    let (first, second) = (
        spawn_app_with(&settings).await,
        spawn_app_with(&settings).await,
    );

    let answers = futures::future::join_all((0..30).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.login_response("manager", "a-wrong-guess")
    }))
    .await;

    let checked = answers
        .iter()
        .filter(|a| a.status() == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 5,
        "{checked} password checks on two instances for a limit of 5"
    );
    assert!(checked >= 1, "some guesses were checked");
    let refused = answers
        .iter()
        .filter(|a| a.status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(refused >= 20, "{refused} of 30 refused by the throttle");
}

#[tokio::test]
async fn oversized_credentials_are_refused_before_any_hashing_or_bookkeeping() {
    let app = spawn_app().await;
    let huge = "u".repeat(512 * 1024);

    for _ in 0..30 {
        let response = app.login_response(&huge, "whatever-password").await;
        let body = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(body["error"]["fields"]["username"].is_string());
    }
    let response = app.login_response("drummer", &"p".repeat(10_000)).await;
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    let recorded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_failed'")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(recorded, 0, "nothing was recorded for them");
    assert_eq!(
        app.login_response("drummer", DEMO_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_password_typed_into_the_username_field_is_not_kept_in_the_audit_log() {
    let app = spawn_app().await;
    // Enough tries to be held back too: that event is the other place the name went.
    for _ in 0..6 {
        app.login_response(DEMO_PASSWORD, DEMO_PASSWORD).await;
    }
    app.login_response("drummer", "a-wrong-guess").await;

    let manager = app.login("manager").await;
    let page = app
        .get_json("/api/audit?limit=50", &manager.access_token)
        .await;
    assert!(!page.to_string().contains(DEMO_PASSWORD), "{page}");
    let detail_of = |kind: &str| {
        let events = page["events"].as_array().unwrap();
        let mut found = events.iter().filter(|e| e["type"] == kind);
        found.next().map(|e| e["detail"].clone())
    };
    assert_eq!(
        detail_of("login_throttled").unwrap(),
        json!({ "unknown_username": true })
    );
    // The name of a member stays: a manager must see whose account is guessed at.
    assert_eq!(detail_of("login_failed").unwrap()["username"], "drummer");
}

#[tokio::test]
async fn answers_with_tokens_or_personal_data_are_never_stored_by_caches() {
    let app = spawn_app().await;
    let login = app.login_response("manager", DEMO_PASSWORD).await;
    let no_store = |response: &reqwest::Response| {
        response
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(no_store(&login).as_deref(), Some("no-store"), "login");
    let manager = session_from(login).await;
    let refresh = app.refresh_response(&manager.refresh_cookie).await;
    assert_eq!(no_store(&refresh).as_deref(), Some("no-store"), "refresh");
    let token = session_from(refresh).await.access_token;
    for path in [
        "/api/me",
        "/api/me/sessions",
        "/api/users",
        "/api/audit",
        "/api/setlists",
    ] {
        let response = app.authed(Method::GET, path, &token).send().await.unwrap();
        assert_eq!(no_store(&response).as_deref(), Some("no-store"), "{path}");
    }
    let jwks = app
        .request(Method::GET, "/.well-known/jwks.json")
        .send()
        .await
        .unwrap();
    assert!(
        no_store(&jwks).unwrap().starts_with("public"),
        "public keys may be cached"
    );
}

#[tokio::test]
async fn demo_members_are_created_only_on_a_loopback_address() {
    let data = tempfile::tempdir().unwrap();
    let url = fresh_database_url(data.path()).await;
    let config = server::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "LEPTOS_SITE_ADDR" => Some("0.0.0.0:0".into()),
        "BACKSTAGE_KEK" => Some(TEST_KEK.into()),
        _ => None,
    })
    .unwrap();

    let state = server::startup::build_state(config).await.unwrap();

    assert_eq!(server::db::users::count(&state.db).await.unwrap(), 0);
}
