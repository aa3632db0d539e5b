//! Two server processes on one database: tokens are verified by any instance
//! without a shared session store, and what one instance changes (refresh
//! rotation, revocations, signing keys) takes effect on the other within a
//! bounded time. Runs on PostgreSQL under `scripts/with-postgres.sh`, on a
//! shared SQLite file otherwise.

use std::time::{Duration, Instant};

use crate::common::{instance::*, *};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_string()
}

/// How soon a change made through one instance must be seen by another:
/// PostgreSQL pushes it (well under a second); SQLite has no push channel
/// and is polled every 250 ms, so a busy machine gets more room there.
fn propagation_bound(database_url: &str) -> Duration {
    if database_url.starts_with("postgres") {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(3)
    }
}

/// Polls `check` until it holds or `within` has passed; returns how long it took.
async fn eventually<F, Fut>(within: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < within, "not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_revocations_and_keys_through_the_database() {
    let folder = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(folder.path()).await;
    let bound = propagation_bound(&database_url);
    let a = start(&database_url).await;
    let b = start(&database_url).await;

    // A token issued by A is good on B: verification needs no shared session store.
    let drummer = a.login("drummer").await;
    assert_eq!(
        b.status(Method::GET, "/api/setlists", &drummer.access_token)
            .await,
        StatusCode::OK
    );

    // Rotate the refresh token on B; replaying the old one on A is reuse, and
    // revokes the family everywhere.
    let rotated = session_from(b.refresh(&drummer.refresh_cookie).await).await;
    assert_eq!(
        a.refresh(&drummer.refresh_cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.refresh(&rotated.refresh_cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // B answers setlist reads from memory; a change made through A shows on B
    // within the change poll (250 ms), and never reverts.
    let manager = a.login("manager").await;
    let token = manager.access_token.as_str();
    let new = json!({ "name": "Cached", "show_date": "2026-12-04" });
    let (status, created) = a
        .send_json(Method::POST, "/api/setlists", token, Some(new))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("/api/setlists/{}", created["id"].as_str().unwrap());
    let name_on_b =
        || async { b.send_json(Method::GET, &path, token, None).await.1["name"].clone() };
    eventually(bound, || async { name_on_b().await == "Cached" }).await;
    let renamed = json!({ "name": "Renamed", "show_date": "2026-12-04", "version": 1 });
    let (status, _) = a.send_json(Method::PUT, &path, token, Some(renamed)).await;
    assert_eq!(status, StatusCode::OK);
    let took = eventually(bound, || async { name_on_b().await == "Renamed" }).await;
    println!("a setlist change reached the other instance's reads after {took:?}");
    eventually(bound, || async {
        let (_, list) = b.send_json(Method::GET, "/api/setlists", token, None).await;
        list.as_array()
            .unwrap()
            .iter()
            .any(|setlist| setlist["name"] == "Renamed")
    })
    .await;
    let (status, _) = a.send_json(Method::DELETE, &path, token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    eventually(bound, || async {
        b.send_json(Method::GET, &path, token, None).await.0 == StatusCode::NOT_FOUND
    })
    .await;

    // A manager revokes the drummer on A; B refuses the drummer's token within a second.
    let victim = b.login("drummer").await;
    assert_eq!(
        b.status(Method::GET, "/api/me", &victim.access_token).await,
        StatusCode::OK
    );
    let revoke = format!("/api/users/{}/revoke", victim.user_id);
    assert_eq!(
        a.status(Method::POST, &revoke, &manager.access_token).await,
        StatusCode::NO_CONTENT
    );
    let took = eventually(bound, || async {
        b.status(Method::GET, "/api/me", &victim.access_token).await == StatusCode::UNAUTHORIZED
    })
    .await;
    println!("revocation reached the other instance after {took:?}");

    // A logout on A ends the session's passes on B within a second too.
    let phone = a.login("drummer").await;
    assert_eq!(
        b.status(Method::GET, "/api/me", &phone.access_token).await,
        StatusCode::OK
    );
    let logout = a
        .client
        .post(format!("{}/api/auth/logout", a.address))
        .header(
            header::COOKIE,
            format!("backstage_refresh={}", phone.refresh_cookie),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let took = eventually(bound, || async {
        b.status(Method::GET, "/api/me", &phone.access_token).await == StatusCode::UNAUTHORIZED
    })
    .await;
    println!("a logout reached the other instance after {took:?}");

    // A scheduled rotation from the command line: both instances publish the
    // new key at once, and keep signing with the old one until it activates.
    let old_kid = kid_of(&manager.access_token);
    let rotate = |args: &[&str]| {
        server_command(&database_url)
            .arg("rotate-keys")
            .args(args)
            .status()
            .unwrap()
    };
    assert!(rotate(&[]).success());
    for instance in [&a, &b] {
        let took = eventually(Duration::from_secs(3), || async {
            let (_, jwks) = instance
                .send_json(Method::GET, "/.well-known/jwks.json", "", None)
                .await;
            jwks["keys"].as_array().unwrap().len() == 2
        })
        .await;
        println!("{} publishes the next key after {took:?}", instance.address);
        assert_eq!(
            kid_of(&instance.login("manager").await.access_token),
            old_kid
        );
    }
    // An emergency rotation: the old keys' tokens are refused everywhere
    // within about a second, and both instances sign with the new key.
    assert!(rotate(&["--emergency"]).success());
    for instance in [&a, &b] {
        let took = eventually(Duration::from_secs(3), || async {
            instance
                .status(Method::GET, "/api/me", &manager.access_token)
                .await
                == StatusCode::UNAUTHORIZED
        })
        .await;
        println!(
            "{} refuses the revoked key after {took:?}",
            instance.address
        );
    }
    let fresh = a.login("manager").await;
    assert_ne!(kid_of(&fresh.access_token), old_kid);
    assert_eq!(
        kid_of(&fresh.access_token),
        kid_of(&b.login("manager").await.access_token)
    );
    assert_eq!(
        b.status(Method::GET, "/api/me", &fresh.access_token).await,
        StatusCode::OK
    );
}

/// How fast a manager's revoke on A reaches B: each trial logs the drummer
/// in on B, revokes them on A, and asks B until it refuses. On PostgreSQL the
/// announcement carries it (the safety-net poll is 5 s, so a pass under 1 s
/// can only be the push); on SQLite the 250 ms poll does (allowed 3 s on a
/// busy machine).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoke_on_one_instance_reaches_the_other_at_once() {
    let folder = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(folder.path()).await;
    let bound = propagation_bound(&database_url);
    let a = start(&database_url).await;
    let b = start(&database_url).await;
    let manager = a.login("manager").await;
    let mut took = Vec::new();
    for _trial in 0..15 {
        let drummer = b.login("drummer").await;
        assert_eq!(
            b.status(Method::GET, "/api/setlists", &drummer.access_token)
                .await,
            StatusCode::OK
        );
        let revoke = format!("/api/users/{}/revoke", drummer.user_id);
        assert_eq!(
            a.status(Method::POST, &revoke, &manager.access_token).await,
            StatusCode::NO_CONTENT
        );
        let acknowledged = Instant::now();
        while b
            .status(Method::GET, "/api/setlists", &drummer.access_token)
            .await
            == StatusCode::OK
        {
            assert!(
                acknowledged.elapsed() < bound,
                "not propagated within {bound:?}"
            );
        }
        took.push(acknowledged.elapsed());
    }
    took.sort();
    println!(
        "revoke A -> B over {} trials: median {:?}, slowest {:?}",
        took.len(),
        took[took.len() / 2],
        took[took.len() - 1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rename_through_one_instance_shows_in_the_others_me_within_a_second() {
    let folder = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(folder.path()).await;
    let a = start(&database_url).await;
    let b = start(&database_url).await;
    let drummer = b.login("drummer").await;
    let token = drummer.access_token.as_str();
    let name_on_b = || async {
        let (status, me) = b.send_json(Method::GET, "/api/me", token, None).await;
        assert_eq!(status, StatusCode::OK);
        me["display_name"].as_str().unwrap().to_string()
    };
    let before = name_on_b().await;

    let manager = a.login("manager").await;
    let path = format!("/api/users/{}", drummer.user_id);
    let rename = json!({ "display_name": format!("{before} Jr") });
    let (status, _) = a
        .send_json(Method::PATCH, &path, &manager.access_token, Some(rename))
        .await;
    assert_eq!(status, StatusCode::OK);
    // B kept the old answer; it is read again once a second old.
    let took = eventually(Duration::from_secs(3), || async {
        name_on_b().await == format!("{before} Jr")
    })
    .await;
    println!("B's /api/me had the new name after {took:?}");
}
