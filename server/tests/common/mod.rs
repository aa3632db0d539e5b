//! `spawn_app`: the real server on a free port with a fresh SQLite database,
//! driven over HTTP like any other client.
#![allow(dead_code)] // each test file uses its own part of the harness

pub mod instance;
pub mod postgres;

use std::{collections::HashMap, net::TcpListener};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{Method, RequestBuilder, Response, StatusCode, header};
use serde_json::{Value, json};
use server::{
    config::Config,
    startup::{Application, DEMO_PASSWORD},
    state::AppState,
};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    _data: tempfile::TempDir,
}

/// A new, empty database: a PostgreSQL database on the server named by
/// `BACKSTAGE_TEST_POSTGRES_URL` (see `scripts/with-postgres.sh`) when it is
/// set, a SQLite file in `folder` otherwise.
pub async fn fresh_database_url(folder: &std::path::Path) -> String {
    let Ok(admin_url) = std::env::var("BACKSTAGE_TEST_POSTGRES_URL") else {
        return format!("sqlite:{}/backstage.db", folder.display());
    };
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let name = format!("backstage_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&admin_url)
        .await
        .expect("the test PostgreSQL server");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let (server, _) = admin_url.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}

/// The key-encryption key of the test apps (32 bytes, base64).
pub const TEST_KEK: &str = "dGVzdC1rZXktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts the server with the given extra settings.
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    let data = tempfile::tempdir().expect("a temporary folder");
    // Bound here and handed over, so a parallel test cannot take the port.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let site_addr = listener.local_addr().unwrap().to_string();
    let mut env: HashMap<String, String> = HashMap::from([
        ("LEPTOS_SITE_ADDR".into(), site_addr),
        ("DATABASE_URL".into(), fresh_database_url(data.path()).await),
        // One KEK for every test app, so that apps sharing a database (a
        // restart, two instances) open each other's keys.
        ("BACKSTAGE_KEK".into(), TEST_KEK.into()),
    ]);
    for (name, value) in settings {
        env.insert(name.to_string(), value.to_string());
    }
    let config = Config::from_lookup(|name| env.get(name).cloned()).expect("a valid test config");
    let app = Application::build_on(config, listener)
        .await
        .expect("the app builds");
    let address = format!("http://{}", app.local_addr());
    let state = app.state.clone();
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        state,
        _data: data,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// What a login gives a client: the access token and the refresh cookie.
#[derive(Clone, Debug)]
pub struct Session {
    pub access_token: String,
    pub refresh_cookie: String,
    pub user_id: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request carrying `token` as a bearer token.
    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    /// The HTML of a page.
    pub async fn page(&self, path: &str) -> String {
        let response = self.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    /// GETs `path` with `token`, expects 200 and returns the JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self.authed(Method::GET, path, token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        body(response).await
    }

    pub async fn login_response(&self, username: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/auth/login")
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, username: &str) -> Session {
        let response = self.login_response(username, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "login as {username}");
        session_from(response).await
    }

    pub async fn refresh_response(&self, refresh_cookie: &str) -> Response {
        self.post_with_refresh_cookie("/api/auth/refresh", refresh_cookie)
            .await
    }

    pub async fn logout_response(&self, refresh_cookie: &str) -> Response {
        self.post_with_refresh_cookie("/api/auth/logout", refresh_cookie)
            .await
    }

    /// A POST carrying the refresh cookie, as the browser sends it.
    async fn post_with_refresh_cookie(&self, path: &str, refresh_cookie: &str) -> Response {
        self.request(Method::POST, path)
            .header(
                header::COOKIE,
                format!("backstage_refresh={refresh_cookie}"),
            )
            .send()
            .await
            .unwrap()
    }

    /// Creates a member through the API as `manager` and returns its id.
    pub async fn create_member(
        &self,
        manager: &Session,
        username: &str,
        role: &str,
        password: &str,
    ) -> String {
        let response = self
            .authed(Method::POST, "/api/users", &manager.access_token)
            .json(&json!({ "username": username, "display_name": username, "role": role, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        body(response).await["id"].as_str().unwrap().to_string()
    }
}

/// Reads the session out of a successful login or refresh.
pub async fn session_from(response: Response) -> Session {
    let refresh_cookie = set_cookie(&response)
        .and_then(|cookie| cookie_value(&cookie))
        .expect("a refresh cookie");
    let body = body(response).await;
    Session {
        access_token: body["access_token"].as_str().unwrap().to_string(),
        refresh_cookie,
        user_id: body["user"]["id"].as_str().unwrap().to_string(),
    }
}

/// The `Set-Cookie` header of the refresh cookie.
pub fn set_cookie(response: &Response) -> Option<String> {
    set_cookie_named(response, "backstage_refresh")
}

pub fn set_cookie_named(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_string())
        .find(|cookie| cookie.starts_with(&format!("{name}=")))
}

fn cookie_value(set_cookie: &str) -> Option<String> {
    let pair = set_cookie.split(';').next()?;
    let (name, value) = pair.split_once('=')?;
    (name == "backstage_refresh").then(|| value.to_string())
}

/// The value of one series, such as `backstage_logins_total{outcome="ok"}`,
/// in a `/metrics` scrape.
pub fn metric(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{series} in the scrape:\n{scrape}"))
        .parse()
        .unwrap()
}

pub async fn body(response: Response) -> Value {
    response.json().await.expect("a JSON body")
}

/// Asserts the contract's error shape and returns the body.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status for {code}");
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    let body = body(response).await;
    assert_eq!(body["error"]["code"], code, "body {body}");
    assert!(body["error"]["message"].is_string());
    body
}

// Reading and trying tokens, for the tests of every phase.

/// Claims of a valid drummer token, to tamper with.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Sleeps until just past a token's own `exp`, however late in its second the
/// login started (`iat` and `exp` are whole seconds, so a token lives up to a
/// second less than its lifetime), and no longer.
pub async fn sleep_past_expiry(token: &str) {
    let expires_ms = claims_of(token)["exp"].as_i64().unwrap() * 1000;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let wait = (expires_ms + 100 - now_ms).max(0) as u64;
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
}

pub fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

pub async fn assert_refused(app: &TestApp, token: &str, why: &str) {
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

pub async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    app.authed(Method::GET, "/api/me", token)
        .send()
        .await
        .unwrap()
        .status()
}

/// The refresh cookie a response sets, if any.
pub fn new_refresh_cookie(response: &reqwest::Response) -> Option<String> {
    let cookie = set_cookie(response)?;
    let value = cookie.split(';').next()?.split_once('=')?.1.to_string();
    (!value.is_empty()).then_some(value)
}
