//! Starts the real server on a real port over a given database, and an HTTP client that
//! behaves like the pages' script (session cookie + CSRF header).

#![allow(dead_code)]

pub mod simulated;

use rapport_app::{App, Settings};
use rapport_server::{AppState, ServerConfig, hash_password};
use rapport_storage::{Db, companies};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct TestServer {
    pub base: String,
    pub db: Db,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start(db: Db) -> TestServer {
        TestServer::start_with(db, Settings::default()).await
    }

    pub async fn start_with(db: Db, settings: Settings) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (app, workers) = App::new(db.clone(), settings);
        workers.start();
        let state = AppState::new(app, ServerConfig::default());
        tokio::spawn(rapport_server::serve(listener, state, async {
            let _ = rx.await;
        }));
        TestServer { base, db, shutdown: Some(tx) }
    }

    pub fn client(&self) -> Client {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder().cookie_provider(jar.clone()).build().expect("client"),
            csrf: None,
            jar,
        }
    }

    /// A new company with an admin; answers (company id, root department id, admin client).
    pub async fn company(&self, name: &str, admin_account: &str) -> (i64, i64, Client) {
        let hash = hash_password("admin-password").expect("hash");
        let created = companies::create(
            &self.db,
            name,
            companies::NewAdmin { account: admin_account, name: "Admin", password_hash: &hash },
        )
        .await
        .expect("company");
        let mut admin = self.client();
        admin.login(admin_account, "admin-password").await;
        (created.company_id, created.root_department_id, admin)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub csrf: Option<String>,
    /// The session cookie lives here (a WebSocket handshake needs it too).
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Client {
    pub async fn try_login(&mut self, account: &str, password: &str) -> (StatusCode, Value) {
        let (status, body) = self
            .call(Method::POST, "/api/v1/auth/login", Some(json!({"account": account, "password": password})))
            .await;
        if status == StatusCode::OK {
            self.csrf = body["csrf_token"].as_str().map(String::from);
        }
        (status, body)
    }

    pub async fn login(&mut self, account: &str, password: &str) -> Value {
        let (status, body) = self.try_login(account, password).await;
        assert_eq!(status, StatusCode::OK, "login as {account}: {body}");
        body
    }

    /// Sends a request (with the CSRF header when logged in) and answers status and JSON body
    /// (`null` when the body is empty or not JSON).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(csrf) = &self.csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Every item of a list, following `next_cursor` two at a time (so paging is exercised).
    pub async fn all(&self, path: &str) -> Vec<Value> {
        self.all_in_pages_of(path, 2).await
    }

    /// Every item of a list, following `next_cursor` in pages of `limit`.
    pub async fn all_in_pages_of(&self, path: &str, limit: u32) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
                None => format!("{path}{sep}limit={limit}"),
            };
            let (status, body) = self.get(&url).await;
            assert_eq!(status, StatusCode::OK, "GET {url}: {body}");
            items.extend(body["items"].as_array().cloned().unwrap_or_default());
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return items,
            }
        }
    }

    pub async fn create_department(&self, parent: i64, name: &str) -> i64 {
        let (status, body) = self.post("/api/v1/departments", json!({"name": name, "parent_id": parent})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().expect("id")
    }

    pub async fn create_staff(&self, department: i64, account: &str, grants: &[&str]) -> i64 {
        let (status, body) = self
            .post(
                "/api/v1/staff",
                json!({"account": account, "name": account, "password": "staff-password", "department_id": department}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["id"].as_i64().expect("id");
        let (status, body) = self.put(&format!("/api/v1/staff/{id}/grants"), json!({"grants": grants})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }
}

/// Ids of a list's items, sorted.
pub fn ids(items: &[Value]) -> Vec<i64> {
    let mut ids: Vec<i64> = items.iter().filter_map(|i| i["id"].as_i64()).collect();
    ids.sort();
    ids
}
