//! A server wired to the Cloud API simulator, with a connected number and a logged-in admin.

use super::{Client, TestServer};
use rapport_app::{Clock, Settings};
use rapport_simulator::{Account, Simulator};
use rapport_storage::Db;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

pub const CUSTOMER: &str = "447700900123";

pub struct Setup {
    pub server: TestServer,
    pub simulator: Simulator,
    pub admin: Client,
    pub root: i64,
    /// The connected number's id.
    pub number: i64,
}

/// A staff member of `department` with `grants` and `role`, logged in (password
/// `staff-password`).
pub async fn staff_member(s: &Setup, department: i64, account: &str, grants: &[&str], role: &str) -> (i64, Client) {
    let id = s.admin.create_staff(department, account, grants).await;
    let (status, body) = s.admin.patch(&format!("/api/v1/staff/{id}"), json!({"role": role})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut client = s.server.client();
    client.login(account, "staff-password").await;
    (id, client)
}

pub async fn setup(db: Db) -> Setup {
    setup_with_clock(db, Clock::default()).await
}

/// As [`setup`], with the server's automation going by `clock` (a fixed one in tests of
/// working hours).
pub async fn setup_with_clock(db: Db, clock: Clock) -> Setup {
    let account = Account {
        phone_number_id: "106540352242922".into(),
        display_phone_number: "+44 7700 900000".into(),
        waba_id: "102290129340398".into(),
        access_token: "EAAG-simulated-token".into(),
        app_secret: "simulated-app-secret".into(),
    };
    let simulator = Simulator::start(account.clone(), "127.0.0.1:0").await.unwrap();
    let config = Settings { graph_api_url: simulator.base_url().to_string(), clock, ..Settings::default() };
    let server = TestServer::start_with(db, config).await;
    simulator.set_webhook_url(&format!("{}/webhooks/whatsapp", server.base));
    let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
    let (status, body) = admin
        .post(
            "/api/v1/numbers",
            json!({"phone_number_id": account.phone_number_id, "waba_id": account.waba_id,
                   "access_token": account.access_token, "app_secret": account.app_secret}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    Setup { server, simulator, admin, root, number: body["id"].as_i64().expect("number id") }
}

pub async fn conversation_id(admin: &Client) -> i64 {
    admin.all("/api/v1/conversations").await[0]["id"].as_i64().unwrap()
}

/// Polls a message until `check` holds (statuses arrive asynchronously).
pub async fn wait_for(admin: &Client, conversation: i64, message_id: i64, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let messages = admin.all(&format!("/api/v1/conversations/{conversation}/messages")).await;
        if let Some(m) = messages.into_iter().find(|m| m["id"] == message_id)
            && check(&m)
        {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("message {message_id} never reached the expected state");
}

pub async fn reply(admin: &Client, conversation: i64, body: Value) -> (StatusCode, Value) {
    admin.post(&format!("/api/v1/conversations/{conversation}/messages"), body).await
}
