//! Live events over the inbox WebSocket (INBOX-3): they reach every viewer in scope and nobody
//! else, and with NATS an event on one instance reaches a browser connected to another.

use crate::common::simulated::{Setup, setup, staff_member};
use crate::common::{Client, TestServer};
use futures_util::StreamExt;
use rapport_app::Settings;
use rapport_app::live::Live;
use rapport_storage::testing;
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the live WebSocket as the client's logged-in user.
async fn open_live(client: &Client) -> Socket {
    let url = client.base.replace("http://", "ws://") + "/api/v1/live";
    let mut request = url.as_str().into_client_request().expect("request");
    let cookies = client.jar.cookies(&client.base.parse().expect("url")).expect("logged in");
    request.headers_mut().insert("Cookie", HeaderValue::from_str(cookies.to_str().expect("ascii")).expect("header"));
    let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket");
    socket
}

/// The next event within `wait`, if any.
async fn next_event(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(wait, socket.next()).await.ok()??.ok()?;
        if let Ok(text) = frame.to_text()
            && let Ok(value) = serde_json::from_str(text)
        {
            return Some(value);
        }
    }
}

/// Whether the server closes the socket within `wait` (frames before the close are skipped).
async fn closed_within(socket: &mut Socket, wait: Duration) -> bool {
    let closing = async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(frame)) if frame.is_close() => return,
                Some(Ok(_)) => {}
            }
        }
    };
    tokio::time::timeout(wait, closing).await.is_ok()
}

async fn sales_rep(s: &Setup, account: &str) -> (i64, Client) {
    staff_member(s, s.root, account, &["menu.chats", "dept.chats"], "sales_rep").await
}

#[tokio::test]
async fn events_reach_viewers_in_scope_and_nobody_else() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (rep, rep_client) = sales_rep(&s, "rep@acme.test").await;
        let mut admin_live = open_live(&s.admin).await;
        let mut rep_live = open_live(&rep_client).await;
        s.simulator.customer_writes("447700900001", "Jane", "Hello").await.unwrap();
        let event = next_event(&mut admin_live, Duration::from_secs(5)).await.expect("the admin hears of it");
        assert_eq!(event["type"], "message");
        let conversation = event["conversation_id"].as_i64().unwrap();
        assert!(
            next_event(&mut rep_live, Duration::from_millis(500)).await.is_none(),
            "a sales rep hears nothing about a customer who is not theirs"
        );
        let (status, _) =
            s.admin.put(&format!("/api/v1/conversations/{conversation}/assignee"), json!({"staff_id": rep})).await;
        assert_eq!(status, StatusCode::OK);
        let event = next_event(&mut rep_live, Duration::from_secs(5)).await.expect("the new assignee hears of it");
        assert_eq!(
            (event["type"].as_str(), event["conversation_id"].as_i64()),
            (Some("conversation"), Some(conversation))
        );
        // Typing reaches the colleagues who see the chat, not the typist.
        use futures_util::SinkExt;
        rep_live.send(json!({"type": "typing", "conversation_id": conversation}).to_string().into()).await.unwrap();
        let seen = loop {
            let event = next_event(&mut admin_live, Duration::from_secs(5)).await.expect("typing");
            if event["type"] == "typing" {
                break event;
            }
        };
        assert_eq!((seen["name"].as_str(), seen["staff_id"].as_i64()), (Some("rep@acme.test"), Some(rep)));
        // Not a WebSocket request: a plain, documented error.
        assert_eq!(s.admin.get("/api/v1/live").await.0, StatusCode::BAD_REQUEST);
    }
}

/// Needs a NATS server: `RAPPORT_TEST_NATS_URL` (CI sets it and checks it connects).
#[tokio::test]
async fn with_nats_an_event_on_one_instance_reaches_a_browser_on_another() {
    let Ok(url) = std::env::var("RAPPORT_TEST_NATS_URL") else {
        assert!(std::env::var("CI").is_err(), "CI must set RAPPORT_TEST_NATS_URL");
        eprintln!("RAPPORT_TEST_NATS_URL is not set: the two-instance test did not run");
        return;
    };
    for db in testing::all_backends().await {
        let config = || async { Settings { live: Live::nats(&url).await.expect("NATS"), ..Settings::default() } };
        let a = TestServer::start_with(db.clone(), config().await).await;
        let b = TestServer::start_with(db, config().await).await;
        let (_, root, admin_on_a) = a.company("Acme", "admin@acme.test").await;
        let mut admin_on_b = b.client();
        admin_on_b.login("admin@acme.test", "admin-password").await;
        let mut live_on_b = open_live(&admin_on_b).await;
        // A change made through instance A ...
        let (status, body) = admin_on_a
            .post(
                "/api/v1/numbers",
                json!({"phone_number_id": "1065", "waba_id": "1022", "access_token": "t", "app_secret": "s",
                       "department_id": root}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let envelope = json!({"object": "whatsapp_business_account", "entry": [{"id": "1022", "changes": [{"field": "messages",
            "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "1065", "display_phone_number": "1"},
                      "contacts": [{"wa_id": "447700900001", "profile": {"name": "Jane"}}],
                      "messages": [{"from": "447700900001", "id": "wamid.NATS1", "timestamp": "1700000000", "type": "text",
                                    "text": {"body": "via A"}}]}}]}]});
        let body = serde_json::to_vec(&envelope).unwrap();
        let signature = rapport_channels::whatsapp::signature::sign(b"s", &body);
        let answer = reqwest::Client::new()
            .post(format!("{}/webhooks/whatsapp", a.base))
            .header("Content-Type", "application/json")
            .header("X-Hub-Signature-256", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        // ... reaches a browser connected to instance B.
        let event = next_event(&mut live_on_b, Duration::from_secs(5)).await.expect("the event crossed instances");
        assert_eq!(event["type"], "message");
    }
}

/// A socket holds no authorisation of its own: once its session ends it is closed (it kept
/// streaming after logout), and another site's page cannot open one with the person's cookie.
#[tokio::test]
async fn a_socket_closes_when_its_session_ends_and_opens_only_from_this_site() {
    let db = testing::sqlite().await.expect("database");
    let s = setup(db).await;
    let (_, rep_client) = sales_rep(&s, "gone@acme.test").await;
    let mut socket = open_live(&rep_client).await;
    // Past a re-check or two, the socket of a live session stays open.
    let quiet = tokio::time::timeout(Duration::from_secs(3), socket.next()).await;
    assert!(quiet.is_err(), "nothing arrives, and nothing closes, while the session lives: {quiet:?}");
    let (status, _) = rep_client.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(closed_within(&mut socket, Duration::from_secs(5)).await, "the socket of an ended session is closed");
    // Losing the chats grant closes it too.
    let (revoked, revoked_client) = sales_rep(&s, "revoked@acme.test").await;
    let mut socket = open_live(&revoked_client).await;
    let (status, body) = s.admin.put(&format!("/api/v1/staff/{revoked}/grants"), json!({"grants": []})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(closed_within(&mut socket, Duration::from_secs(5)).await, "the socket without the grant is closed");

    let (_, admin_client) = sales_rep(&s, "stays@acme.test").await;
    let url = admin_client.base.replace("http://", "ws://") + "/api/v1/live";
    let mut request = url.as_str().into_client_request().expect("request");
    let cookies = admin_client.jar.cookies(&admin_client.base.parse().expect("url")).expect("logged in");
    request.headers_mut().insert("Cookie", HeaderValue::from_str(cookies.to_str().expect("ascii")).expect("header"));
    request.headers_mut().insert("Origin", HeaderValue::from_static("https://evil.example"));
    let refused = tokio_tungstenite::connect_async(request).await.expect_err("refused");
    assert!(refused.to_string().contains("403"), "{refused}");
}
