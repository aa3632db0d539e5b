//! Setlist request bodies through the real router, with an oracle: any bytes
//! get one of the contract's answers (never a 500 or a panic), and a body
//! that is accepted is stored exactly as sent.
//!
//! The first input byte picks the route: even is `POST /api/setlists` as the
//! manager, odd is `PATCH` of a song as the drummer; the rest is the body.

#![no_main]

use std::{net::SocketAddr, sync::LazyLock};

use app::api::{SetlistInput, SongPatch};
use axum::{
    Router,
    body::{Body, to_bytes},
    extract::ConnectInfo,
    http::{Request, StatusCode, header},
};
use libfuzzer_sys::fuzz_target;
use server::{config::Config, startup};
use serde_json::Value;
use tokio::runtime::Runtime;
use tower::ServiceExt;

struct Fixture {
    runtime: Runtime,
    router: Router,
    manager: String,
    drummer: String,
    /// A song the drummer patches.
    song_path: String,
    _folder: tempfile::TempDir,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let folder = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite:{}/fuzz.db", folder.path().display());
    let config = Config::from_lookup(|name| (name == "DATABASE_URL").then(|| database_url.clone())).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (router, manager, drummer, song_path) = runtime.block_on(async {
        let router = startup::router(startup::build_state(config).await.unwrap());
        let manager = login(&router, "manager").await;
        let drummer = login(&router, "drummer").await;
        let body = r#"{"name":"Seed","show_date":"2026-12-04","songs":[{"title":"Intro"}]}"#;
        let (status, created) = send(&router, "POST", "/api/setlists", &manager, body.as_bytes().to_vec()).await;
        assert_eq!(status, StatusCode::CREATED);
        let created: Value = serde_json::from_slice(&created).unwrap();
        let song_path = format!("/api/setlists/{}/songs/{}", created["id"].as_str().unwrap(), created["songs"][0]["id"].as_str().unwrap());
        (router, manager, drummer, song_path)
    });
    Fixture { runtime, router, manager, drummer, song_path, _folder: folder }
});

async fn send(router: &Router, method: &str, path: &str, token: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(body))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 9))));
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    (status, to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec())
}

async fn login(router: &Router, username: &str) -> String {
    let body = format!(r#"{{"username":"{username}","password":"{}"}}"#, startup::DEMO_PASSWORD);
    let (status, answer) = send(router, "POST", "/api/auth/login", "", body.into_bytes()).await;
    assert_eq!(status, StatusCode::OK);
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    answer["access_token"].as_str().unwrap().to_string()
}

/// Every error answer is the contract's JSON body with a code.
fn assert_contract_error(status: StatusCode, answer: &[u8]) {
    let expected = [StatusCode::BAD_REQUEST, StatusCode::PAYLOAD_TOO_LARGE, StatusCode::UNPROCESSABLE_ENTITY];
    assert!(expected.contains(&status), "unexpected {status}: {}", String::from_utf8_lossy(answer));
    let body: Value = serde_json::from_slice(answer).expect("an error body that is JSON");
    assert!(body["error"]["code"].is_string(), "an error without a code");
}

fuzz_target!(|input: &[u8]| {
    let Some((&route, body)) = input.split_first() else { return };
    let fixture = &*FIXTURE;
    fixture.runtime.block_on(async {
        if route % 2 == 0 {
            let (status, answer) = send(&fixture.router, "POST", "/api/setlists", &fixture.manager, body.to_vec()).await;
            if status != StatusCode::CREATED {
                return assert_contract_error(status, &answer);
            }
            let sent: SetlistInput = serde_json::from_slice(body).expect("accepted a body that is not a setlist");
            let stored: Value = serde_json::from_slice(&answer).unwrap();
            assert_eq!(stored["name"], sent.name.as_str());
            assert_eq!(stored["venue"], sent.venue.as_str());
            assert_eq!(stored["notes"], sent.notes.as_str());
            assert_eq!(stored["show_date"], sent.show_date.as_str());
            let (_, order) = sent.running_order();
            let titles: Vec<&str> = order.iter().map(|(_, song)| song.title.as_str()).collect();
            let stored_titles: Vec<&str> = stored["songs"].as_array().unwrap().iter().map(|song| song["title"].as_str().unwrap()).collect();
            assert_eq!(stored_titles, titles);
        } else {
            let (status, answer) = send(&fixture.router, "PATCH", &fixture.song_path, &fixture.drummer, body.to_vec()).await;
            if status != StatusCode::OK {
                return assert_contract_error(status, &answer);
            }
            let sent: SongPatch = serde_json::from_slice(body).expect("accepted a body that is not a patch");
            let stored: Value = serde_json::from_slice(&answer).unwrap();
            let song = stored["songs"].as_array().unwrap().iter().find(|song| fixture.song_path.ends_with(song["id"].as_str().unwrap())).unwrap();
            if let Some(bpm) = sent.bpm {
                assert_eq!(song["bpm"].as_i64(), bpm);
            }
            if let Some(notes) = sent.notes {
                assert_eq!(song["notes"], notes.as_str());
            }
        }
    });
});
