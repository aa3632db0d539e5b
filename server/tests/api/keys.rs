//! Signing keys: the JWKS, routine and emergency rotation, keys another
//! instance made, and keys at rest.

use crate::common::*;
use reqwest::{Method, StatusCode, header};
use server::{auth::keys::Rotation, db::audit::Origin};

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
