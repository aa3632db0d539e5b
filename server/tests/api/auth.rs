//! Logging in, refreshing, logging out, and what a forged token meets.

use std::time::Duration;

use crate::common::*;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use server::startup::DEMO_PASSWORD;
use server::{auth::keys::Rotation, db::audit::Origin};

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
async fn me_answers_the_user_of_the_token() {
    let app = spawn_app().await;
    let session = app.login("manager").await;

    let response = app
        .authed(Method::GET, "/api/me", &session.access_token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let me = body(response).await;
    assert_eq!(me["username"], "manager");
    assert_eq!(me["role"], "manager");
    assert_eq!(me["id"], session.user_id.as_str());
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

/// Claims of a valid drummer token, to tamper with.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

fn unsigned(header: &Value, claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!("{}.{}.", part(header), part(claims))
}

/// A fresh Ed25519 key that the server has never seen, as PKCS#8.
fn foreign_key() -> EncodingKey {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&[7u8; 32]);
    EncodingKey::from_ed_der(&der)
}

fn uuidv7_at_secs(seconds: i64) -> String {
    let at = uuid::Timestamp::from_unix(uuid::NoContext, seconds as u64, 0);
    uuid::Uuid::new_v7(at).to_string()
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let response = app
        .authed(Method::GET, "/api/setlists", token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap()),
        Some(r#"Bearer error="invalid_token""#),
        "{why}"
    );
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_refused() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;
    let genuine_header = header_of(&session.access_token);
    let claims = claims_of(&session.access_token);
    let now = claims["iat"].as_i64().unwrap();

    let mut none_header = genuine_header.clone();
    none_header["alg"] = json!("none");
    assert_refused(&app, &unsigned(&none_header, &claims), "alg none").await;

    let mut promoted = claims.clone();
    promoted["role"] = json!("manager");
    let (head, _, signature) = {
        let mut parts = session.access_token.split('.');
        (parts.next().unwrap(), parts.next(), parts.next().unwrap())
    };
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&promoted).unwrap());
    assert_refused(
        &app,
        &format!("{head}.{payload}.{signature}"),
        "tampered payload",
    )
    .await;

    let sign = |header: &Header, claims: &Value| {
        jsonwebtoken::encode(header, claims, &foreign_key()).unwrap()
    };
    let mut same_kid = Header::new(Algorithm::EdDSA);
    same_kid.kid = genuine_header["kid"].as_str().map(String::from);
    assert_refused(&app, &sign(&same_kid, &claims), "foreign key, known kid").await;

    let mut unknown_kid = same_kid.clone();
    unknown_kid.kid = Some("attacker".into());
    assert_refused(&app, &sign(&unknown_kid, &claims), "unknown kid").await;

    let mut with_jwk = same_kid.clone();
    with_jwk.jku = Some("http://attacker.example/jwks.json".into());
    assert_refused(&app, &sign(&with_jwk, &claims), "jku header").await;

    let hs = jsonwebtoken::encode(
        &Header {
            kid: same_kid.kid.clone(),
            ..Header::new(Algorithm::HS256)
        },
        &claims,
        &EncodingKey::from_secret(b"public key bytes"),
    )
    .unwrap();
    assert_refused(&app, &hs, "HS256 instead of EdDSA").await;

    let (signed_part, signature) = session.access_token.rsplit_once('.').unwrap();
    assert_refused(&app, &format!("{signed_part}."), "signature stripped").await;
    assert_refused(&app, signed_part, "signature segment missing").await;
    let zeros = URL_SAFE_NO_PAD.encode([0u8; 64]);
    assert_refused(
        &app,
        &format!("{signed_part}.{zeros}"),
        "all-zero signature",
    )
    .await;
    assert_eq!(
        URL_SAFE_NO_PAD.decode(signature).unwrap().len(),
        64,
        "the control: an Ed25519 signature"
    );
    assert_refused(&app, "not.a.jwt", "garbage").await;
    assert_refused(
        &app,
        &session.access_token[..session.access_token.len() - 2],
        "truncated",
    )
    .await;

    // Genuinely signed tokens with bad claims need the server's own key.
    let keys = app.state.keys.current();
    let mut own = Header::new(Algorithm::EdDSA);
    own.kid = Some(keys.signer.kid.clone());
    let own_sign = |claims: &Value| keys.signer.sign(&own, claims).unwrap();
    assert_eq!(
        app.authed(Method::GET, "/api/setlists", &own_sign(&claims))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "the control: a re-signed copy of the genuine claims passes"
    );
    for (claim, value, why) in [
        ("exp", json!(now - 60), "expired"),
        ("nbf", json!(now + 600), "not yet valid"),
        ("iat", json!(now + 600), "issued in the future"),
        ("aud", json!("someone-else"), "wrong audience"),
        ("iss", json!("https://evil.example"), "wrong issuer"),
        ("exp", json!("9999999999"), "exp as a string"),
        (
            "jti",
            json!(uuid::Uuid::new_v4().to_string()),
            "jti not a UUIDv7",
        ),
        // A forger dating jti after a member's cut-off to dodge it.
        ("jti", json!(uuidv7_at_secs(now + 2)), "jti later than iat"),
        (
            "jti",
            json!(uuidv7_at_secs(now - 60)),
            "jti earlier than iat",
        ),
        ("exp", json!(now + 300 + 60), "a lifetime longer than ours"),
    ] {
        let mut bad = claims.clone();
        bad[claim] = value;
        assert_refused(&app, &own_sign(&bad), why).await;
    }
    for claim in [
        "exp",
        "nbf",
        "iat",
        "iss",
        "aud",
        "sub",
        "sid",
        "jti",
        "role",
        "preferred_username",
    ] {
        let mut missing = claims.clone();
        missing.as_object_mut().unwrap().remove(claim);
        assert_refused(&app, &own_sign(&missing), &format!("missing {claim}")).await;
    }
    let mut admin = claims.clone();
    admin["role"] = json!("admin");
    let response = app
        .authed(Method::GET, "/api/setlists", &own_sign(&admin))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
}

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
async fn reusing_a_spent_refresh_token_revokes_the_whole_family() {
    let app = spawn_app_with(&[("BACKSTAGE_REFRESH_GRACE_SECS", "0")]).await;
    let stolen = app.login("drummer").await;
    let legitimate = session_from(app.refresh_response(&stolen.refresh_cookie).await).await;

    let replay = app.refresh_response(&stolen.refresh_cookie).await;

    expect_error(replay, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let after = app.refresh_response(&legitimate.refresh_cookie).await;
    expect_error(after, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn on_sqlite_refreshes_that_queue_up_are_rotated_together() {
    // The refresh handler falls back to the portable path whenever the batch
    // does not rotate, so the HTTP tests alone would not notice a batch that
    // never does, or that mixes up its answers: call it directly.
    use server::{
        auth::refresh::storage_key,
        db::{group_commit::RotationRequest, refresh::Rotation, refresh::find_token},
    };

    let app = spawn_app().await;
    let Some(batcher) = app.state.refresh_batcher.as_ref() else {
        return; // PostgreSQL: no group commit
    };
    let (drummer, manager) = (app.login("drummer").await, app.login("manager").await);
    let now = server::clock::now();
    // Each from its own address, to check whose event each audit row is.
    let request = |presented: &str, successor: &str| RotationRequest {
        old_hash: storage_key(presented),
        new_hash: successor.to_owned(),
        now,
        ip: format!("ip of {successor}"),
        user_agent: "test".to_owned(),
    };
    // While the test holds SQLite's one connection, the four queue up; then
    // they run as one batch.
    let held = app.state.db.acquire().await.unwrap();
    let release = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
    };
    let ((first, twin, unknown, other), ()) = tokio::join!(
        async {
            tokio::join!(
                batcher.rotate_if_live(request(&drummer.refresh_cookie, "successor-1")),
                batcher.rotate_if_live(request(&drummer.refresh_cookie, "successor-2")),
                batcher.rotate_if_live(request("never-issued", "successor-3")),
                batcher.rotate_if_live(request(&manager.refresh_cookie, "successor-4")),
            )
        },
        release
    );

    let Rotation::Done(first) = first.unwrap() else {
        panic!("a live token was not rotated");
    };
    assert_eq!(
        (first.user.username.as_str(), first.spent_at),
        ("drummer", Some(now))
    );
    // The same token twice: the first spends it, the second finds it spent.
    assert!(matches!(twin.unwrap(), Rotation::NotLive(Some(t)) if t.spent_at == Some(now)));
    assert!(matches!(unknown.unwrap(), Rotation::NotLive(None)));
    let Rotation::Done(other) = other.unwrap() else {
        panic!("another member's live token was not rotated");
    };
    assert_eq!(other.user.username, "manager");
    let successor = |hash| find_token(&app.state.db, hash);
    let live = successor("successor-1").await.unwrap().unwrap();
    assert_eq!((live.family_id, live.spent_at), (first.family_id, None));
    assert!(successor("successor-4").await.unwrap().is_some());
    for never in ["successor-2", "successor-3"] {
        assert!(successor(never).await.unwrap().is_none(), "{never}");
    }
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT subject_id, ip FROM audit_events WHERE kind = 'refreshed' ORDER BY ip",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            (first.user.id, "ip of successor-1".to_owned()),
            (other.user.id, "ip of successor-4".to_owned()),
        ]
    );
}

/// The refresh cookie a response sets, if any.
fn new_refresh_cookie(response: &reqwest::Response) -> Option<String> {
    let cookie = set_cookie(response)?;
    let value = cookie.split(';').next()?.split_once('=')?.1.to_string();
    (!value.is_empty()).then_some(value)
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

    let response = app
        .request(Method::POST, "/api/auth/logout")
        .header(
            header::COOKIE,
            format!("backstage_refresh={}", session.refresh_cookie),
        )
        .send()
        .await
        .unwrap();

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

#[tokio::test]
async fn jwks_publishes_the_public_key_only() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;

    let response = app
        .request(Method::GET, "/.well-known/jwks.json")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let cache = response.headers()[header::CACHE_CONTROL]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cache.starts_with("public, max-age="));
    let jwks = body(response).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kid"], header_of(&session.access_token)["kid"]);
    assert_eq!(
        (keys[0]["alg"].as_str(), keys[0]["use"].as_str()),
        (Some("EdDSA"), Some("sig"))
    );
    assert!(
        keys[0].get("d").is_none(),
        "the private key must never be served"
    );
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let response = app
        .request(Method::GET, "/.well-known/jwks.json")
        .send()
        .await
        .unwrap();
    body(response).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_string())
        .collect()
}

async fn rotate(app: &TestApp, rotation: Rotation) -> String {
    let kid = app
        .state
        .keys
        .rotate(&app.state.db, &Origin::system(), rotation)
        .await
        .unwrap();
    app.state.keys.sync(&app.state.db).await.unwrap();
    kid
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.authed(Method::GET, "/api/me", token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_new_key_is_published_before_it_signs_then_signs_while_old_tokens_keep_working() {
    let app = spawn_app().await;
    let before = app.login("drummer").await;
    let old_kid = header_of(&before.access_token)["kid"]
        .as_str()
        .unwrap()
        .to_string();

    let new_kid = rotate(&app, Rotation::Scheduled).await;

    // Published (verifiers with a cached JWKS must know it first), not signing yet.
    assert!(jwks_kids(&app).await.contains(&new_kid));
    let during = app.login("drummer").await;
    assert_eq!(header_of(&during.access_token)["kid"], old_kid.as_str());

    // Its time comes (the schedule moved instead of waiting 75 s).
    sqlx::query(
        "UPDATE signing_keys SET activates_at = activates_at - 100, retired_at = retired_at - 100",
    )
    .execute(&app.state.db)
    .await
    .unwrap();
    app.state.keys.sync(&app.state.db).await.unwrap();

    let after = app.login("drummer").await;
    assert_eq!(header_of(&after.access_token)["kid"], new_kid.as_str());
    for token in [&before.access_token, &after.access_token] {
        assert_eq!(me_status(&app, token).await, StatusCode::OK);
    }
    assert!(jwks_kids(&app).await.contains(&old_kid));
    // The retired key's private half is erased from the database.
    let private: String = sqlx::query_scalar("SELECT private_key FROM signing_keys WHERE kid = $1")
        .bind(&old_kid)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        private, "",
        "a key that stopped signing keeps no private half"
    );
}

#[tokio::test]
async fn an_emergency_rotation_refuses_the_old_keys_tokens_and_a_silent_refresh_recovers() {
    let app = spawn_app().await;
    let session = app.login("drummer").await;
    let old_kid = header_of(&session.access_token)["kid"]
        .as_str()
        .unwrap()
        .to_string();

    let new_kid = rotate(&app, Rotation::Emergency).await;

    assert_eq!(
        me_status(&app, &session.access_token).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(!jwks_kids(&app).await.contains(&old_kid));
    let refreshed = session_from(app.refresh_response(&session.refresh_cookie).await).await;
    assert_eq!(header_of(&refreshed.access_token)["kid"], new_kid.as_str());
    assert_eq!(
        me_status(&app, &refreshed.access_token).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_token_of_a_key_another_instance_just_made_is_accepted_at_once() {
    let data = tempfile::tempdir().unwrap();
    let url = fresh_database_url(data.path()).await;
    let settings = [
        ("DATABASE_URL", url.as_str()),
        ("BACKSTAGE_ISSUER", "backstage-test"),
    ];
    let first = spawn_app_with(&settings).await;
    let second = spawn_app_with(&settings).await;

    rotate(&first, Rotation::Emergency).await;
    let token = first.login("drummer").await.access_token;

    // The second instance has not polled yet; the unknown kid makes it look.
    assert_eq!(me_status(&second, &token).await, StatusCode::OK);
}

#[tokio::test]
async fn a_database_dump_holds_no_usable_signing_key() {
    let data = tempfile::tempdir().unwrap();
    let url = fresh_database_url(data.path()).await;
    let app = spawn_app_with(&[("DATABASE_URL", url.as_str())]).await;
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT kid, private_key FROM signing_keys")
        .fetch_all(&app.state.db)
        .await
        .unwrap();

    for (kid, private) in &rows {
        assert!(private.starts_with("v1."), "sealed: {kid}");
        // A PKCS#8 Ed25519 key in base64 begins with this.
        assert!(!private.contains("MC4CAQAwBQYDK2Vw"), "no plain PKCS#8");
    }
    // Another KEK (a thief's guess) opens nothing: the server will not start.
    let other_kek = "b3RoZXIta2V5LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGU=";
    let config = server::config::Config::from_lookup(|name| match name {
        "DATABASE_URL" => Some(url.clone()),
        "BACKSTAGE_KEK" => Some(other_kek.into()),
        _ => None,
    })
    .unwrap();
    let refused = server::startup::build_state(config).await;
    assert!(refused.is_err(), "a wrong KEK must not open the keys");
}

#[tokio::test]
async fn keys_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let url = fresh_database_url(data.path()).await;
    // Same database and issuer; a new process on a new port.
    let settings = [
        ("DATABASE_URL", url.as_str()),
        ("BACKSTAGE_ISSUER", "backstage-test"),
    ];
    let first = spawn_app_with(&settings).await;
    let token = first.login("drummer").await.access_token;

    let second = spawn_app_with(&settings).await;

    let response = second
        .authed(Method::GET, "/api/me", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

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
    for _ in 0..3 {
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
    let app = spawn_app_with(&[("BACKSTAGE_ACCESS_TTL_SECS", "1")]).await;
    let drummer = app.login("drummer").await;
    // Verified once, then answered from the thread's recent tokens.
    for _ in 0..2 {
        app.get_json("/api/setlists", &drummer.access_token).await;
    }
    // Past `exp` plus the 5 s leeway.
    tokio::time::sleep(Duration::from_millis(7_500)).await;
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
    app.request(Method::POST, "/api/auth/logout")
        .header(
            header::COOKIE,
            format!("backstage_refresh={refresh_cookie}"),
        )
        .send()
        .await
        .unwrap()
        .status()
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
    let app = spawn_app_with(&[("BACKSTAGE_REFRESH_TTL_SECS", "7")]).await;
    let session = app.login("drummer").await;
    let claims = claims_of(&session.access_token);
    assert!(claims["exp"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap() + 7);
    assert_eq!(me_status(&app, &session.access_token).await, StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(8_200)).await;

    assert_refused(&app, &session.access_token, "the session expired").await;
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
    assert!(checked <= 5, "{checked} password checks for a limit of 5");
    assert_eq!(checked + throttled, 40, "{statuses:?}");
    // One audit event for the throttled window, not one per refused attempt.
    let throttled_events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE kind = 'login_throttled'")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(throttled_events, 1);
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
