//! A flood of logins is shed instead of starving everything else: password
//! hashing has a bounded number of slots, and the rest of the server keeps
//! answering. (How fast is for the benchmark to say; this checks the order.)

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use server::startup::DEMO_PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_reads_are_answered_while_a_login_flood_is_shed() {
    // The flood comes from 400 addresses (through a trusted proxy) at 400
    // accounts, so the throttle lets every attempt through to the hashing
    // slots: this test is about those, not about the throttle.
    let app = Arc::new(spawn_app_with(&[("BACKSTAGE_TRUSTED_PROXIES", "127.0.0.1")]).await);
    let token = app.login("manager").await.access_token;
    let finished_logins = Arc::new(AtomicUsize::new(0));

    let flood: Vec<_> = (0..400)
        .map(|i| {
            let (app, finished) = (app.clone(), finished_logins.clone());
            tokio::spawn(async move {
                let body = json!({ "username": format!("flood{i}"), "password": DEMO_PASSWORD });
                let status = app
                    .request(Method::POST, "/api/auth/login")
                    .header("x-forwarded-for", format!("10.9.{}.{}", i / 256, i % 256))
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status();
                finished.fetch_add(1, Ordering::SeqCst);
                status
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let health = app.request(Method::GET, "/healthz").send().await.unwrap();
    let read = app
        .authed(Method::GET, "/api/setlists", &token)
        .send()
        .await
        .unwrap();
    let logins_done_meanwhile = finished_logins.load(Ordering::SeqCst);

    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(read.status(), StatusCode::OK);
    assert!(
        logins_done_meanwhile < 400,
        "answered while the flood was still running"
    );
    let mut shed = 0;
    for login in flood {
        match login.await.unwrap() {
            // Hashed (no such member) or shed for want of a hashing slot.
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => shed += 1,
            other => panic!("a login answered {other}"),
        }
    }
    println!("{shed} of 400 logins shed; {logins_done_meanwhile} finished before the probes");
    assert!(shed > 0, "beyond the hashing bound, logins are shed");
}
