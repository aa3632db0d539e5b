//! Operational routes and the headers every response carries.

use crate::common::*;
use reqwest::{Method, StatusCode, header};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn unknown_api_paths_get_the_json_error_body() {
    let app = spawn_app().await;
    for path in ["/api", "/api/", "/api/nope", "/api/setlists/x/y/z"] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn openapi_states_every_rule_the_validation_enforces() {
    use app::api::validation::*;
    let app = spawn_app().await;
    let spec = body(
        app.request(Method::GET, "/api/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let schemas = &spec["components"]["schemas"];
    let field = |schema: &str, name: &str| schemas[schema]["properties"][name].clone();
    let max_length = |schema: &str, name: &str| field(schema, name)["maxLength"].as_u64();
    let as_u64 = |n: usize| Some(n as u64);

    assert_eq!(max_length("SetlistInput", "name"), as_u64(NAME_MAX));
    assert_eq!(field("SetlistInput", "name")["minLength"], 1);
    assert_eq!(max_length("SetlistInput", "venue"), as_u64(VENUE_MAX));
    assert_eq!(max_length("SetlistInput", "notes"), as_u64(NOTES_MAX));
    assert_eq!(field("SetlistInput", "songs")["maxItems"], SONGS_MAX);
    let date = field("SetlistInput", "show_date");
    assert_eq!(date["format"], "date");
    assert!(date["pattern"].is_string());
    assert_eq!(max_length("SongInput", "title"), as_u64(TITLE_MAX));
    assert_eq!(max_length("SongInput", "artist"), as_u64(ARTIST_MAX));
    assert_eq!(max_length("SongInput", "key"), as_u64(KEY_MAX));
    assert_eq!(max_length("SongInput", "notes"), as_u64(NOTES_MAX));
    assert_eq!(field("SongInput", "duration_secs")["maximum"], DURATION_MAX);
    for schema in ["SongInput", "SongPatch"] {
        assert_eq!(field(schema, "bpm")["minimum"], BPM_MIN, "{schema}");
        assert_eq!(field(schema, "bpm")["maximum"], BPM_MAX, "{schema}");
    }
    assert_eq!(max_length("SongPatch", "notes"), as_u64(NOTES_MAX));
    // Fields whose null is refused (left out, they stay as they are) do not
    // say null is allowed: a generated client would send it for "unset".
    for (schema, name) in [
        ("MemberPatch", "role"),
        ("MemberPatch", "display_name"),
        ("MemberPatch", "instrument"),
        ("MemberPatch", "disabled"),
        ("SongPatch", "notes"),
        ("SongPatch", "drummer_notes"),
    ] {
        let kind = &field(schema, name)["type"];
        assert!(kind.is_string(), "{schema}.{name} is {kind}");
    }
    assert_eq!(field("SetlistInput", "sets")["maxItems"], SETS_MAX);
    // Required text must show something (validation's `text`).
    for (schema, name) in [
        ("SetlistInput", "name"),
        ("SetInput", "name"),
        ("SongInput", "title"),
        ("LibrarySongInput", "title"),
        ("NewUser", "display_name"),
        ("MemberPatch", "display_name"),
    ] {
        assert_eq!(
            field(schema, name)["pattern"],
            SHOWS_SOMETHING,
            "{schema}.{name}"
        );
    }
    assert_eq!(max_length("SetInput", "name"), as_u64(SET_NAME_MAX));
    for (name, max) in [
        ("title", TITLE_MAX),
        ("artist", ARTIST_MAX),
        ("key", KEY_MAX),
        ("notes", NOTES_MAX),
    ] {
        assert_eq!(max_length("LibrarySongInput", name), as_u64(max), "{name}");
    }
    assert_eq!(field("LibrarySongInput", "bpm")["minimum"], BPM_MIN);
    assert_eq!(
        field("LibrarySongInput", "duration_secs")["maximum"],
        DURATION_MAX
    );
    assert_eq!(field("LibrarySongInput", "tags")["maxItems"], TAGS_MAX);
    assert_eq!(max_length("LoginRequest", "username"), as_u64(USERNAME_MAX));
    assert_eq!(max_length("LoginRequest", "password"), as_u64(PASSWORD_MAX));
    assert_eq!(max_length("NewUser", "username"), as_u64(USERNAME_MAX));
    assert_eq!(
        max_length("NewUser", "display_name"),
        as_u64(DISPLAY_NAME_MAX)
    );
    for (schema, name) in [
        ("NewUser", "password"),
        ("PasswordReset", "password"),
        ("PasswordChange", "new_password"),
    ] {
        assert_eq!(
            field(schema, name)["minLength"],
            PASSWORD_MIN,
            "{schema}.{name}"
        );
        assert_eq!(
            max_length(schema, name),
            as_u64(PASSWORD_MAX),
            "{schema}.{name}"
        );
    }
    // Every write that takes `If-Match` says so, for a generated client.
    for (path, method) in [
        ("/api/setlists/{id}", "put"),
        ("/api/setlists/{id}", "delete"),
        ("/api/setlists/{id}/songs/{song_id}", "patch"),
        ("/api/songs/{id}", "put"),
        ("/api/songs/{id}", "patch"),
        ("/api/songs/{id}", "delete"),
    ] {
        let params = spec["paths"][path][method]["parameters"]
            .as_array()
            .unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "If-Match" && p["in"] == "header"),
            "{method} {path}"
        );
    }
    assert_eq!(field("SongInput", "id")["format"], "uuid");
    // The error codes are an enum a generated client can match.
    assert!(schemas["ErrorCode"]["enum"].as_array().unwrap().len() >= 17);
    // Logout needs no cookie: no credentials is one of its alternatives.
    let logout = &spec["paths"]["/api/auth/logout"]["post"]["security"];
    assert!(
        logout
            .as_array()
            .unwrap()
            .iter()
            .any(|option| option.as_object().unwrap().is_empty())
    );
}

#[tokio::test]
async fn openapi_describes_every_route_with_its_security_and_errors() {
    let app = spawn_app().await;

    let response = app
        .request(Method::GET, "/api/openapi.json")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let spec = body(response).await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let routes = [
        ("post", "/api/auth/login", false),
        ("post", "/api/auth/refresh", false),
        ("post", "/api/auth/logout", false),
        ("get", "/api/me", true),
        ("get", "/.well-known/jwks.json", false),
        ("get", "/api/setlists", true),
        ("post", "/api/setlists", true),
        ("get", "/api/setlists/{id}", true),
        ("put", "/api/setlists/{id}", true),
        ("delete", "/api/setlists/{id}", true),
        ("patch", "/api/setlists/{id}/songs/{song_id}", true),
        ("get", "/api/users", true),
        ("post", "/api/users", true),
        ("post", "/api/users/{id}/revoke", true),
        ("patch", "/api/users/{id}", true),
        ("post", "/api/users/{id}/password", true),
        ("post", "/api/me/password", true),
        ("delete", "/api/users/{id}/sessions/{session_id}", true),
        ("get", "/api/me/sessions", true),
        ("delete", "/api/me/sessions/{id}", true),
        ("get", "/api/users/{id}/sessions", true),
        ("get", "/api/audit", true),
        ("get", "/api/events", true),
        ("post", "/api/presence", true),
        ("get", "/api/songs", true),
        ("post", "/api/songs", true),
        ("get", "/api/songs/{id}", true),
        ("put", "/api/songs/{id}", true),
        ("patch", "/api/songs/{id}", true),
        ("delete", "/api/songs/{id}", true),
        ("post", "/api/songs/import", true),
        ("get", "/api/songs/export", true),
        ("get", "/healthz", false),
        ("get", "/readyz", false),
        ("get", "/metrics", false),
        ("get", "/api/openapi.json", false),
    ];
    let documented: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        routes.len(),
        "no undocumented or extra operations"
    );
    for (method, path, bearer) in routes {
        let operation = &spec["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        for status in ["408", "413", "431"] {
            assert!(
                operation["responses"][status].is_object() || !path.starts_with("/api/"),
                "{method} {path} documents {status}"
            );
        }
        for status in ["500", "503"] {
            assert!(
                operation["responses"][status].is_object(),
                "{method} {path} documents {status}"
            );
        }
        if bearer {
            assert_eq!(
                operation["security"][0]["bearer"],
                serde_json::json!([]),
                "{method} {path}"
            );
            assert!(
                operation["responses"]["401"].is_object()
                    && operation["responses"]["403"].is_object()
            );
        }
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for schema in [
        "Setlist",
        "SetlistInput",
        "SongPatch",
        "ErrorBody",
        "TokenResponse",
        "AuditPage",
        "SessionInfo",
        "LibrarySong",
        "LibrarySongInput",
        "ImportReport",
        "SetInput",
        "SetOfSongs",
    ] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema}"
        );
    }
    let conflict = &spec["paths"]["/api/setlists/{id}"]["put"]["responses"]["409"];
    assert!(conflict.is_object());
    let last_manager = &spec["paths"]["/api/users/{id}"]["patch"]["responses"]["409"];
    assert!(
        last_manager["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .is_some_and(|schema| schema.ends_with("/ErrorBody")),
        "{last_manager}"
    );
    // The headers the contract's answers carry are declared with them.
    for (method, path, status, header) in [
        ("post", "/api/auth/login", "200", "Set-Cookie"),
        ("post", "/api/auth/refresh", "200", "Set-Cookie"),
        ("get", "/api/setlists", "200", "Link"),
        ("post", "/api/setlists", "201", "Location"),
        ("post", "/api/setlists", "200", "Location"),
        ("post", "/api/setlists", "200", "ETag"),
        ("put", "/api/setlists/{id}", "200", "ETag"),
        ("patch", "/api/songs/{id}", "200", "ETag"),
        ("get", "/api/me", "401", "WWW-Authenticate"),
        ("post", "/api/auth/login", "429", "Retry-After"),
        ("get", "/api/setlists", "503", "Retry-After"),
    ] {
        let headers = &spec["paths"][path][method]["responses"][status]["headers"];
        assert!(
            headers[header].is_object(),
            "{method} {path} {status} declares {header}"
        );
    }
    let codes = spec["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap();
    assert!(
        !codes.contains(&"network".into()),
        "the browser's own code is never sent"
    );
    // Answers particular to a route, each given by a test elsewhere.
    for (method, path, status) in [
        ("post", "/api/auth/login", "403"),
        ("post", "/api/me/password", "429"),
        ("get", "/api/setlists", "400"),
        ("get", "/api/audit", "400"),
    ] {
        assert!(
            spec["paths"][path][method]["responses"][status].is_object(),
            "{method} {path} documents {status}"
        );
    }
}

#[tokio::test]
async fn every_answer_carries_a_request_id_of_its_own() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    for path in ["/healthz", "/api/setlists", "/login", "/api/nope"] {
        let response = app
            .request(Method::GET, path)
            .header("x-request-id", "forged-by-the-client")
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::try_parse(id).is_ok(), "{path}: {id}");
        assert!(seen.insert(id.to_string()), "ids are unique");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_logins_refreshes_and_cache_use() {
    let app = spawn_app().await;
    let manager = app.login("manager").await;
    assert_eq!(
        app.login_response("manager", "wrong-password-1")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh_response(&manager.refresh_cookie).await.status(),
        StatusCode::OK
    );
    let created = app
        .authed(Method::POST, "/api/setlists", &manager.access_token)
        .json(&serde_json::json!({ "name": "Metrics", "show_date": "2026-12-04" }))
        .send()
        .await
        .unwrap();
    let id = body(created).await["id"].as_str().unwrap().to_string();
    const READS: u32 = 6;
    for _ in 0..READS {
        app.get_json(&format!("/api/setlists/{id}"), &manager.access_token)
            .await;
    }
    // A made-up path is one label, not one series per path.
    let _ = app.request(Method::GET, "/api/made-up-1").send().await;
    let _ = app.request(Method::GET, "/api/made-up-2").send().await;

    let response = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let scrape = response.text().await.unwrap();
    let value = |series: &str| metric(&scrape, series);
    let requests = |route: &str, method: &str, status: &str| {
        value(&format!(
            "backstage_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        ))
    };
    assert_eq!(
        requests("/api/setlists/{id}", "GET", "200"),
        f64::from(READS)
    );
    assert_eq!(requests("/api/auth/login", "POST", "401"), 1.0);
    assert_eq!(requests("unmatched", "GET", "404"), 2.0);
    assert_eq!(value("backstage_logins_total{outcome=\"ok\"}"), 1.0);
    assert_eq!(value("backstage_logins_total{outcome=\"invalid\"}"), 1.0);
    assert_eq!(value("backstage_refreshes_total{outcome=\"rotated\"}"), 1.0);
    // The first read fills the cache and later ones are answered from it. On
    // PostgreSQL the instance also hears of its own create through the
    // database a moment later (the notification, the change-counter poll),
    // which may empty the cache once or twice more: hence "at least".
    let (misses, hits) = (
        value("backstage_read_cache_total{result=\"miss\"}"),
        value("backstage_read_cache_total{result=\"hit\"}"),
    );
    assert_eq!(misses + hits, f64::from(READS));
    assert!(misses >= 1.0 && hits >= 3.0, "{misses} misses, {hits} hits");
    let (open, lent) = (
        value("backstage_db_pool_connections"),
        value("backstage_db_pool_in_use"),
    );
    assert!(open >= 1.0 && (0.0..=open).contains(&lent), "{open} {lent}");
    assert_eq!(value("backstage_argon2_queue_depth"), 0.0);
    assert!(
        value(
            "backstage_http_request_duration_seconds_count{method=\"GET\",route=\"/api/setlists/{id}\"}"
        ) == f64::from(READS)
    );
    assert!(!scrape.contains("made-up"), "raw paths never become labels");
}

#[tokio::test]
async fn metrics_can_move_to_an_address_of_their_own() {
    let port = free_port().to_string();
    let address = format!("127.0.0.1:{port}");
    let app = spawn_app_with(&[("BACKSTAGE_METRICS_ADDR", &address)]).await;

    let on_main = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(on_main.status(), StatusCode::NOT_FOUND);
    let mut scraped = None;
    for _ in 0..50 {
        match app
            .client
            .get(format!("http://{address}/metrics"))
            .send()
            .await
        {
            Ok(response) => {
                scraped = Some(response);
                break;
            }
            // The listener starts with the server, a moment after `spawn_app`.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    let scraped = scraped.expect("the metrics address answers");
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(
        scraped
            .text()
            .await
            .unwrap()
            .contains("backstage_http_requests_total")
    );
}

/// PostgreSQL stopped under traffic: what memory can answer is answered,
/// the rest is a quick 503 (never a 500, never a hang), and the server
/// recovers by itself once the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_answered_fast_and_recovered_from_without_a_restart() {
    if std::env::var("BACKSTAGE_TEST_POSTGRES_URL").is_err() {
        eprintln!("skipped: runs in the PostgreSQL pass (scripts/with-postgres.sh)");
        return;
    }
    use std::time::{Duration, Instant};
    let postgres = crate::common::postgres::PrivatePostgres::start();
    let app = std::sync::Arc::new(spawn_app_with(&[("DATABASE_URL", &postgres.url)]).await);
    let manager = app.login("manager").await;
    let token = manager.access_token.clone();
    // Open across the outage: what was announced while the change listener
    // was away is lost, so the stream is told to reload once it is back.
    let mut stream = app
        .authed(Method::GET, "/api/events", &token)
        .send()
        .await
        .unwrap();
    let new_setlist = serde_json::json!({ "name": "Outage", "show_date": "2026-12-04" });
    let created = app
        .authed(Method::POST, "/api/setlists", &token)
        .json(&new_setlist)
        .send()
        .await
        .unwrap();
    let setlist = format!(
        "/api/setlists/{}",
        body(created).await["id"].as_str().unwrap()
    );
    // Nothing may forget the cache after it is filled below: the create's
    // announcement has come back (the stream hears it after the listener
    // applied it), and the change counter has been read since the create.
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut text = String::new();
        while !text
            .lines()
            .any(|line| line.strip_prefix("event:").map(str::trim) == Some("setlist_created"))
        {
            let chunk = stream.chunk().await.unwrap().expect("the stream is open");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("the create is announced");
    app.state.reads.follow_counter(&app.state.db).await.unwrap();
    app.get_json(&setlist, &token).await;
    app.get_json("/api/setlists", &token).await;

    // Traffic for the whole outage: every answer is recorded.
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let traffic = {
        let (app, token, setlist, running) =
            (app.clone(), token.clone(), setlist.clone(), running.clone());
        tokio::spawn(async move {
            let mut answers = Vec::new();
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                for path in [setlist.as_str(), "/api/setlists", "/api/me", "/api/users"] {
                    let started = Instant::now();
                    let response = app.authed(Method::GET, path, &token).send().await.unwrap();
                    answers.push((path.to_string(), response.status(), started.elapsed()));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            answers
        })
    };

    postgres.stop();
    let started = Instant::now();
    let ready = app.request(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    println!("/readyz said 503 after {:?}", started.elapsed());
    for path in [setlist.as_str(), "/api/setlists", "/api/me"] {
        let response = app.authed(Method::GET, path, &token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path} from memory");
    }
    let started = Instant::now();
    let write = app
        .authed(Method::POST, "/api/setlists", &token)
        .json(&new_setlist)
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(write.headers().contains_key(header::RETRY_AFTER));
    expect_error(write, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    let login = app
        .login_response("manager", server::startup::DEMO_PASSWORD)
        .await;
    expect_error(login, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    println!("a write was refused with 503 after {took:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;

    postgres.start_again();
    let back = Instant::now();
    loop {
        let write = app
            .authed(Method::POST, "/api/setlists", &token)
            .json(&new_setlist)
            .send()
            .await
            .unwrap();
        let ready = app.request(Method::GET, "/readyz").send().await.unwrap();
        if write.status() == StatusCode::CREATED && ready.status() == StatusCode::OK {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "recovered by itself"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "recovered {:?} after the database came back",
        back.elapsed()
    );
    let told_to_reload = tokio::time::timeout(Duration::from_secs(5), async {
        let mut text = String::new();
        while !text
            .lines()
            .any(|line| line.strip_prefix("event:").map(str::trim) == Some("reload"))
        {
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    });
    assert!(
        told_to_reload.await.is_ok(),
        "a stream open across the outage is told to reload"
    );
    // The write made after the outage is visible: the cache did not stick.
    let list = app.get_json("/api/setlists", &token).await;
    assert_eq!(list.as_array().unwrap().len(), 2);

    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let answers = traffic.await.unwrap();
    let slowest = answers.iter().map(|(_, _, took)| *took).max().unwrap();
    println!(
        "{} answers under traffic, the slowest after {slowest:?}",
        answers.len()
    );
    for (path, status, took) in &answers {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {status}"
        );
        // The pool's wait is 1 s; the old behaviour held requests for 5 s.
        assert!(*took < Duration::from_secs(3), "{path} took {took:?}");
    }
    assert!(answers.iter().any(
        |(path, status, _)| path == "/api/users" && *status == StatusCode::SERVICE_UNAVAILABLE
    ));
}
