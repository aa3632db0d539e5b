//! Real `server` processes, for what an in-process app cannot show: several
//! instances on one database, a crash, a signal.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use server::startup::DEMO_PASSWORD;

use super::{Session, TEST_KEK, free_port, session_from};

/// One `server` process; killed when dropped.
pub struct Instance {
    pub child: Child,
    pub address: String,
    pub client: reqwest::Client,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn server_command(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env("DATABASE_URL", database_url)
        .env("BACKSTAGE_ISSUER", "backstage-multi-instance")
        .env("BACKSTAGE_KEK", TEST_KEK)
        .env("BACKSTAGE_REFRESH_GRACE_SECS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Starts an instance on a free port. The port is chosen here and bound by
/// the child, so another process may take it in between: an instance that
/// exits before it is ready is started again on another port.
pub async fn start(database_url: &str) -> Instance {
    for _attempt in 0..5 {
        let port = free_port();
        let child = server_command(database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .spawn()
            .expect("the server binary starts");
        let mut instance = Instance {
            child,
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        if instance.became_ready().await {
            return instance;
        }
    }
    panic!("no instance became ready in five attempts");
}

impl Instance {
    /// Waits for `/readyz`; false if the process exited first (port taken).
    pub async fn became_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().expect("the child's status").is_some() {
                return false;
            }
            let ready = self.get("/readyz").await;
            if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the instance at {} did not become ready", self.address);
    }

    /// A GET with no credentials.
    pub async fn get(&self, path: &str) -> reqwest::Result<reqwest::Response> {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
    }

    pub async fn login(&self, username: &str) -> Session {
        let response = self
            .client
            .post(format!("{}/api/auth/login", self.address))
            .json(&json!({ "username": username, "password": DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        session_from(response).await
    }

    pub async fn status(&self, method: Method, path: &str, token: &str) -> StatusCode {
        let request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        request.send().await.unwrap().status()
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn refresh(&self, cookie: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/api/auth/refresh", self.address))
            .header(header::COOKIE, format!("backstage_refresh={cookie}"))
            .send()
            .await
            .unwrap()
    }
}
