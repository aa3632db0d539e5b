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
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/healthz", "/api/setlists", "/", "/login", "/no-such-page"] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{path}");
        assert_eq!(
            headers["cross-origin-opener-policy"], "same-origin",
            "{path}"
        );
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(
            headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
            "no HSTS over http"
        );
    }
}

#[tokio::test]
async fn a_page_allows_only_the_script_carrying_its_nonce() {
    let app = spawn_app().await;

    let response = app.request(Method::GET, "/login").send().await.unwrap();

    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the page's CSP")
        .to_string();
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    let again = app.request(Method::GET, "/login").send().await.unwrap();
    let csp_again = again.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(!csp_again.contains(&nonce), "a nonce is used once");
}

#[tokio::test]
async fn hsts_is_sent_when_served_over_tls() {
    let app = spawn_app_with(&[("BACKSTAGE_PUBLIC_ORIGIN", "https://backstage.example")]).await;
    let response = app.request(Method::GET, "/healthz").send().await.unwrap();
    let hsts = response.headers()[header::STRICT_TRANSPORT_SECURITY]
        .to_str()
        .unwrap();
    assert!(hsts.starts_with("max-age="));
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
        for status in ["408", "431"] {
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
    ] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema}"
        );
    }
    let conflict = &spec["paths"]["/api/setlists/{id}"]["put"]["responses"]["409"];
    assert!(conflict.is_object());
}

#[tokio::test]
async fn a_client_trickling_its_body_is_cut_off_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(&[("BACKSTAGE_REQUEST_TIMEOUT_SECS", "1")]).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();

    // Promise 100 bytes of body, send 10, then go quiet.
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"username"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut answer),
    )
    .await;

    assert!(
        read.is_ok(),
        "the server answered instead of waiting forever"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"));
}

#[tokio::test]
async fn headers_past_16_kib_are_refused_with_431() {
    let app = spawn_app().await;
    let within = "x".repeat(15 * 1024);
    let response = app
        .request(Method::GET, "/healthz")
        .header("x-padding", &within)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    for path in ["/healthz", "/api/setlists", "/login"] {
        let response = app
            .request(Method::GET, path)
            .header(header::COOKIE, format!("junk={}", "x".repeat(17 * 1024)))
            .send()
            .await
            .unwrap();
        expect_error(
            response,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
        )
        .await;
    }
}

#[tokio::test]
async fn production_refuses_a_database_holding_the_demo_members() {
    use server::{config::Config, startup::build_state};
    let data = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(data.path()).await;
    let config = |environment: &str| {
        let settings = [
            ("DATABASE_URL", database_url.as_str()),
            ("BACKSTAGE_ENV", environment),
            ("BACKSTAGE_PUBLIC_ORIGIN", "https://backstage.example"),
            ("BACKSTAGE_KEK", TEST_KEK),
        ];
        Config::from_lookup(|name| {
            settings
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
        .unwrap()
    };

    // An empty database: production starts and creates nobody.
    let state = build_state(config("production"))
        .await
        .expect("production starts");
    assert_eq!(server::db::users::count(&state.db).await.unwrap(), 0);

    // The same database after a development run created the demo members.
    build_state(config("development"))
        .await
        .expect("development seeds");
    let Err(error) = build_state(config("production")).await else {
        panic!("production started on a database with the demo members");
    };
    assert!(error.to_string().contains("demo password"), "{error}");
}

/// GETs a built file, expecting it found and cacheable for a year.
async fn fetch_cached_forever(
    app: &TestApp,
    path: &str,
    accept_encoding: &str,
) -> reqwest::Response {
    let response = app
        .request(Method::GET, path)
        .header(header::ACCEPT_ENCODING, accept_encoding)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let cache_control = &response.headers()[header::CACHE_CONTROL];
    assert_eq!(
        cache_control, "public, max-age=31536000, immutable",
        "{path}"
    );
    response
}

/// The version path a page links its built files under: `/pkg/{12 hex}`.
fn pkg_path_in(html: &str) -> String {
    let start = html.find("/pkg/").expect("a link to /pkg");
    let version: String = html[start + 5..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(version.len(), 12, "a content version in {html}");
    format!("/pkg/{version}")
}

#[tokio::test]
async fn built_files_are_served_by_content_version_and_cached_forever() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for (name, content) in [
        ("backstage.js", "export default 1"),
        ("backstage.wasm", "\0asm wasm"),
        ("backstage.wasm.br", "brotli bytes"),
        ("backstage.css", "body {}"),
    ] {
        std::fs::write(pkg.join(name), content).unwrap();
    }
    let site_root = site.path().to_str().unwrap();
    let app = spawn_app_with(&[("LEPTOS_SITE_ROOT", site_root)]).await;
    let html = app.page("/login").await;
    let pkg_path = pkg_path_in(&html);
    // cargo-leptos writes backstage.wasm; a build without LEPTOS_OUTPUT_NAME would ask for backstage_bg.wasm.
    for file in ["backstage.js", "backstage.wasm", "backstage.css"] {
        assert!(
            html.contains(&format!("{pkg_path}/{file}")),
            "the page links {file}"
        );
    }

    let wasm = fetch_cached_forever(&app, &format!("{pkg_path}/backstage.wasm"), "br, gzip").await;
    assert_eq!(wasm.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(wasm.text().await.unwrap(), "brotli bytes");
    let css = fetch_cached_forever(&app, &format!("{pkg_path}/backstage.css"), "identity").await;
    assert_eq!(css.text().await.unwrap(), "body {}");
    let missing = app
        .request(Method::GET, &format!("{pkg_path}/nothing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        missing.headers().get(header::CACHE_CONTROL).is_none(),
        "a 404 is never cached forever"
    );

    // A new build is a new URL.
    std::fs::write(pkg.join("backstage.css"), "body { color: red }").unwrap();
    let rebuilt = spawn_app_with(&[("LEPTOS_SITE_ROOT", site_root)]).await;
    assert_ne!(pkg_path_in(&rebuilt.page("/login").await), pkg_path);
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
    for _ in 0..3 {
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
    let value = |series: &str| -> f64 {
        scrape
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("{series} in the scrape:\n{scrape}"))
            .parse()
            .unwrap()
    };
    let requests = |route: &str, method: &str, status: &str| {
        value(&format!(
            "backstage_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        ))
    };
    assert_eq!(requests("/api/setlists/{id}", "GET", "200"), 3.0);
    assert_eq!(requests("/api/auth/login", "POST", "401"), 1.0);
    assert_eq!(requests("unmatched", "GET", "404"), 2.0);
    assert_eq!(value("backstage_logins_total{outcome=\"ok\"}"), 1.0);
    assert_eq!(value("backstage_logins_total{outcome=\"invalid\"}"), 1.0);
    assert_eq!(value("backstage_refreshes_total{outcome=\"rotated\"}"), 1.0);
    // The first read fills the cache, the next two are answered from it.
    assert_eq!(value("backstage_read_cache_total{result=\"miss\"}"), 1.0);
    assert_eq!(value("backstage_read_cache_total{result=\"hit\"}"), 2.0);
    let (open, lent) = (
        value("backstage_db_pool_connections"),
        value("backstage_db_pool_in_use"),
    );
    assert!(open >= 1.0 && (0.0..=open).contains(&lent), "{open} {lent}");
    assert_eq!(value("backstage_argon2_queue_depth"), 0.0);
    assert!(
        value(
            "backstage_http_request_duration_seconds_count{method=\"GET\",route=\"/api/setlists/{id}\"}"
        ) == 3.0
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
