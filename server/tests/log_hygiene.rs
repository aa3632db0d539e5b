//! Secrets never reach the logs: a full login → refresh → logout run, logged
//! at the most verbose level, mentions no password, token or cookie value.

mod common;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use common::*;
use reqwest::Method;
use server::startup::DEMO_PASSWORD;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_login_refresh_logout_run_logs_no_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();
    let app = spawn_app().await;

    let wrong = app.login_response("drummer", "a-wrong-password").await;
    assert_eq!(wrong.status(), 401);
    let session = app.login("drummer").await;
    let me = app
        .authed(Method::GET, "/api/me", &session.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let refreshed = session_from(app.refresh_response(&session.refresh_cookie).await).await;
    let reuse = app.refresh_response(&session.refresh_cookie).await; // outside grace? either way logged
    let _ = reuse.status();
    app.logout_response(&refreshed.refresh_cookie).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("/api/auth/login"),
        "the run was logged at all: {logs}"
    );
    for secret in [
        DEMO_PASSWORD,
        "a-wrong-password",
        &session.access_token,
        &session.refresh_cookie,
        &refreshed.access_token,
        &refreshed.refresh_cookie,
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}
