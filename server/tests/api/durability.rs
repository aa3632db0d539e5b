//! What an answer promises survives what happens to the process afterwards:
//! a `kill -9`, a SIGTERM in the middle of requests, a backup taken while
//! the band keeps writing.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::common::{instance::*, *};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::io::{Read, Write};

/// Upcoming, so that the overview's first page lists every one of them
/// (past shows come 25 to a page: dated 4 December, the test failed after
/// that day's midnight).
fn new_setlist(n: usize) -> serde_json::Value {
    json!({ "name": format!("Show {n}"), "show_date": "2099-12-31",
            "songs": [{ "title": "Opener", "duration_secs": 180 }] })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_a_kill_9() {
    let folder = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(folder.path()).await;
    let mut server = start(&database_url).await;
    let token = server.login("manager").await.access_token;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));

    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (client, address, token) =
                (server.client.clone(), server.address.clone(), token.clone());
            let acknowledged = acknowledged.clone();
            tokio::spawn(async move {
                for n in 0.. {
                    let sent = client
                        .post(format!("{address}/api/setlists"))
                        .bearer_auth(&token)
                        .json(&new_setlist(writer * 100_000 + n))
                        .send()
                        .await;
                    // The process is gone: nothing more can be acknowledged.
                    let Ok(response) = sent else { break };
                    if response.status() == StatusCode::CREATED {
                        let Ok(body) = response.json::<serde_json::Value>().await else {
                            break;
                        };
                        let id = body["id"].as_str().unwrap().to_string();
                        acknowledged.lock().unwrap().push(id);
                    }
                }
            })
        })
        .collect();
    // Killed mid-stream once some writes are acknowledged (a fixed wait gave
    // a machine slow to fsync too few).
    let deadline = Instant::now() + Duration::from_secs(10);
    while acknowledged.lock().unwrap().len() < 10 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    server.child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 10,
        "only {} writes",
        acknowledged.len()
    );

    let restarted = start(&database_url).await;
    let token = restarted.login("manager").await.access_token;
    for id in &acknowledged {
        let path = format!("/api/setlists/{id}");
        assert_eq!(
            restarted.status(Method::GET, &path, &token).await,
            StatusCode::OK,
            "acknowledged {id} is lost"
        );
    }
    println!(
        "{} acknowledged writes, all found after kill -9",
        acknowledged.len()
    );
}

/// Sends a request's head and half its body, so it stays in flight until
/// the rest is sent. (Blocking I/O: the server is another process.)
fn half_sent_login(address: &str) -> (std::net::TcpStream, Vec<u8>) {
    let body = br#"{"username":"nobody-here","password":"not-the-password"}"#.to_vec();
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first).unwrap();
    (stream, rest.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight_refuses_new_ones_and_exits() {
    let folder = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(folder.path()).await;
    let mut server = start(&database_url).await;
    let (mut in_flight, rest) = half_sent_login(&server.address);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // SAFETY: sends a signal to our own child process.
    unsafe { libc::kill(server.child.id() as libc::pid_t, libc::SIGTERM) };
    // Draining shows first in /readyz; wait for it, not for a fixed time.
    let signalled = Instant::now();
    loop {
        let ready = server.get("/readyz").await.unwrap();
        if ready.status() == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(5),
            "still ready 5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused = server.get("/api/setlists").await.unwrap();
    assert!(refused.headers().contains_key("retry-after"));
    expect_error(refused, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;

    // The request that was in flight gets its real answer.
    in_flight.write_all(&rest).unwrap();
    let mut answer = Vec::new();
    in_flight.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("invalid_credentials"), "{answer}");

    let stopping = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(15),
            "exits in bounded time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "a clean exit: {status:?}");
    println!("exited {:?} after the last request", stopping.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_write_load_restores_into_a_working_server() {
    let app = Arc::new(spawn_app().await);
    let database_url = app.state.config.database_url.clone();
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("backstage-backup.db");
    let backup = {
        let (database_url, target) = (database_url.clone(), target.clone());
        move || {
            server_command(&database_url)
                .arg("backup")
                .arg(&target)
                .stderr(std::process::Stdio::piped())
                .output()
                .unwrap()
        }
    };
    if database_url.starts_with("postgres") {
        let refused = backup();
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("pg_dump"));
        return;
    }
    let token = app.login("manager").await.access_token;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (app, token, acknowledged, writing) = (
            app.clone(),
            token.clone(),
            acknowledged.clone(),
            writing.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0;
            while writing.load(std::sync::atomic::Ordering::Relaxed) {
                let response = app
                    .authed(Method::POST, "/api/setlists", &token)
                    .json(&new_setlist(n))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
                let id = body(response).await["id"].as_str().unwrap().to_string();
                acknowledged.lock().unwrap().push(id);
                n += 1;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before_backup = acknowledged.lock().unwrap().clone();
    let made = tokio::task::spawn_blocking(backup.clone()).await.unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();
    assert!(!before_backup.is_empty());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "owner-only: it holds password hashes");
    // Never over an existing file.
    let again = backup();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    let restored_url = format!("sqlite:{}", target.display());
    let restored = spawn_app_with(&[("DATABASE_URL", &restored_url)]).await;
    let token = restored.login("manager").await.access_token;
    let list = restored.get_json("/api/setlists", &token).await;
    let ids: std::collections::HashSet<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|setlist| setlist["id"].as_str().unwrap().to_string())
        .collect();
    for id in &before_backup {
        assert!(ids.contains(id), "{id} acknowledged before the backup");
    }
    println!(
        "backup holds {} setlists; {} were acknowledged before it began",
        ids.len(),
        before_backup.len()
    );
}
