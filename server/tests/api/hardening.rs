//! What every response carries and what every request is held to: security
//! headers, the page's nonce, HSTS, slow and oversized requests, production's
//! refusals, and built files cached by content version.

use crate::common::*;
use reqwest::{Method, StatusCode, header};

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
async fn a_page_names_its_wasm_and_script_in_a_link_header_as_its_head_does() {
    let app = spawn_app().await;

    let response = app.request(Method::GET, "/login").send().await.unwrap();

    let link = response.headers()[header::LINK]
        .to_str()
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    let hints: Vec<_> = link.split(", ").collect();
    assert_eq!(hints.len(), 2, "{link}");
    for hint in hints {
        let url = hint
            .strip_prefix('<')
            .and_then(|rest| rest.split_once('>'))
            .map(|(url, _)| url)
            .expect("<url>; params");
        assert!(url.starts_with("/pkg/"), "{hint}");
        // The same URL as the head's link, or the browser fetches it twice.
        assert!(
            html.contains(&format!("href=\"{url}\"")),
            "{url} not in the head"
        );
        assert!(hint.ends_with("; crossorigin"), "{hint}");
    }
    assert!(link.contains(".wasm>; rel=preload; as=fetch;"), "{link}");
    assert!(link.contains(".js>; rel=modulepreload;"), "{link}");
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

/// What the server sends before it closes the connection (a reset counts
/// as a close); `None` if it is still open after 5 s.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    // Ended by a close or a reset alike: the read's own result does not matter.
    let _ended = tokio::time::timeout(std::time::Duration::from_secs(5), read)
        .await
        .ok()?;
    Some(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_client_trickling_its_body_is_cut_off_with_408() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app_with(&[("BACKSTAGE_REQUEST_TIMEOUT_SECS", "1")]).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();

    // Promise 100 bytes of body, send 10, then go quiet.
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"username"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = until_closed(&mut stream)
        .await
        .expect("the server answered instead of waiting forever");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"));
}

#[tokio::test]
async fn a_body_announced_past_the_limit_is_refused_before_it_is_sent() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();

    // Announce 2 MiB, send a few bytes of it, and wait for the answer.
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n{{\"username"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = until_closed(&mut stream)
        .await
        .expect("answered at once, not after the request timeout (30 s)");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    assert!(answer.contains("cache-control: no-store"), "{answer}");
}

#[tokio::test]
async fn a_head_that_never_finishes_is_closed_after_the_head_timeout() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app_with(&[("BACKSTAGE_HEAD_TIMEOUT_SECS", "1")]).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    // A slowloris: half a head, then nothing.
    let half = format!("GET /api/me HTTP/1.1\r\nHost: {address}\r\n");
    stream.write_all(half.as_bytes()).await.unwrap();
    let answer = until_closed(&mut stream)
        .await
        .expect("the connection was closed, not held open");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn one_address_cannot_hold_every_connection() {
    let app = spawn_app_with(&[("BACKSTAGE_CONNECTIONS_PER_CLIENT", "4")]).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    // The fifth from 127.0.0.1 is closed unanswered...
    let mut fifth = tokio::net::TcpStream::connect(&address).await.unwrap();
    assert_eq!(until_closed(&mut fifth).await.as_deref(), Some(""));
    // ...while another address is served,
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let answered = elsewhere.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    // ...and a connection closed makes room again.
    held.pop();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match app.request(Method::GET, "/healthz").send().await {
            Ok(response) => break assert_eq!(response.status(), StatusCode::OK),
            Err(error) => assert!(std::time::Instant::now() < deadline, "{error}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
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

    // Past what hyper buffers of a head, hyper refuses the request itself
    // and closes the connection (the client may see the 431 or the close).
    let huge = format!("junk={}", "x".repeat(128 * 1024));
    let refused = app
        .request(Method::GET, "/healthz")
        .header(header::COOKIE, huge)
        .send()
        .await;
    if let Ok(response) = refused {
        assert_eq!(
            response.status(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }
    // The server is still there for everyone else.
    let after = app.request(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(after.status(), StatusCode::OK);
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

    // A directory is no file: `.` once answered with a redirect off the prefix
    // (`/./`, `//./`). Sent raw, since a client library would drop the dot.
    for dots in ["/.", "///.", ""] {
        use tokio::io::AsyncWriteExt;
        let address = app.address.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "GET {pkg_path}{dots} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = until_closed(&mut stream).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 404"), "{dots}: {answer}");
    }

    // A new build is a new URL.
    std::fs::write(pkg.join("backstage.css"), "body { color: red }").unwrap();
    let rebuilt = spawn_app_with(&[("LEPTOS_SITE_ROOT", site_root)]).await;
    assert_ne!(pkg_path_in(&rebuilt.page("/login").await), pkg_path);
}
