//! WhatsApp numbers and webhook ingestion over HTTP on a real port, on SQLite and PostgreSQL,
//! fed with the real payloads in `../shared/fixtures/whatsapp/`.

use crate::common::{Client, TestServer};
use rapport_channels::whatsapp::signature;
use rapport_storage::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;

const PHONE_NUMBER_ID: &str = "1122334455667";
const APP_SECRET: &str = "test-app-secret";

/// Every webhook envelope of the shared fixtures, by sample name.
fn fixture_envelopes() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/whatsapp");
    let mut out = Vec::new();
    for sub in ["pywa", "java-api"] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(sub)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "json")) {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with("response_") {
                continue;
            }
            let value: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            if sub == "pywa" {
                out.extend(value.as_object().unwrap().iter().map(|(k, v)| (format!("{name}:{k}"), v.clone())));
            } else {
                out.push((name, value));
            }
        }
    }
    out
}

/// Points a fixture at our number and makes its message ids unique to the sample (the
/// fixtures reuse ids across samples; one message per sample is what the test checks).
fn adapt(sample: &str, mut envelope: Value) -> Value {
    for entry in envelope["entry"].as_array_mut().into_iter().flatten() {
        for change in entry["changes"].as_array_mut().into_iter().flatten() {
            let value = &mut change["value"];
            if value["metadata"]["phone_number_id"].is_string() {
                value["metadata"]["phone_number_id"] = json!(PHONE_NUMBER_ID);
            }
            for key in ["messages", "message_echoes", "statuses"] {
                for item in value[key].as_array_mut().into_iter().flatten() {
                    if let Some(id) = item["id"].as_str() {
                        item["id"] = json!(format!("{id}#{sample}"));
                    }
                }
            }
        }
    }
    envelope
}

async fn post_webhook(client: &Client, body: &[u8], signature_header: Option<&str>) -> StatusCode {
    let mut request = client.http.post(format!("{}/webhooks/whatsapp", client.base)).body(body.to_vec());
    if let Some(sig) = signature_header {
        request = request.header("X-Hub-Signature-256", sig);
    }
    request.header("Content-Type", "application/json").send().await.unwrap().status()
}

async fn post_signed(client: &Client, envelope: &Value) -> StatusCode {
    let body = serde_json::to_vec(envelope).unwrap();
    post_webhook(client, &body, Some(&signature::sign(APP_SECRET.as_bytes(), &body))).await
}

async fn connect_number(admin: &Client) -> Value {
    let (status, body) = admin
        .post(
            "/api/v1/numbers",
            json!({
                "phone_number_id": PHONE_NUMBER_ID, "waba_id": "1234567890987654321",
                "display_phone_number": "+972 12-345-6789", "verified_name": "Acme Support",
                "access_token": "EAAG-secret-token", "app_secret": APP_SECRET, "verify_token": "verify-me",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Every message of every conversation the client sees.
async fn all_messages(client: &Client) -> Vec<Value> {
    let mut out = Vec::new();
    for conversation in client.all("/api/v1/conversations").await {
        out.extend(client.all(&format!("/api/v1/conversations/{}/messages", conversation["id"])).await);
    }
    out
}

#[tokio::test]
async fn numbers_are_connected_without_ever_showing_their_secrets() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, root, admin) = server.company("Acme", "admin@acme.test").await;
        let number = connect_number(&admin).await;
        let text = number.to_string();
        assert!(!text.contains("EAAG-secret-token") && !text.contains(APP_SECRET), "{text}");
        assert_eq!(number["status"], "connected");
        let (status, body) = admin
            .post(
                "/api/v1/numbers",
                json!({"phone_number_id": PHONE_NUMBER_ID, "waba_id": "1", "access_token": "t", "app_secret": "s"}),
            )
            .await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("number_taken")));
        let (status, body) = admin
            .post(
                "/api/v1/numbers",
                json!({"phone_number_id": "", "waba_id": "1", "access_token": "t", "app_secret": "s"}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_number_id"))
        );
        // Secrets are sealed in the database too.
        let stored = rapport_storage::numbers::routes(&server.db, &[PHONE_NUMBER_ID.to_string()]).await.unwrap();
        assert!(!stored[0].app_secret_sealed.contains(APP_SECRET));

        // Scope: a member without number grants sees only numbers they own.
        let member = admin.create_staff(root, "member@acme.test", &["menu.numbers"]).await;
        let mut m = server.client();
        m.login("member@acme.test", "staff-password").await;
        assert!(m.all("/api/v1/numbers").await.is_empty());
        let id = number["id"].as_i64().unwrap();
        assert_eq!(m.get(&format!("/api/v1/numbers/{id}")).await.0, StatusCode::NOT_FOUND);
        admin.patch(&format!("/api/v1/numbers/{id}"), json!({"owner_staff_id": member})).await;
        assert_eq!(m.all("/api/v1/numbers").await.len(), 1, "the owner sees their number");
        assert_eq!(admin.all("/api/v1/numbers?q=acme%20support").await.len(), 1, "search by verified name");
        // A department holding a number is not deleted from under it.
        let sales = admin.create_department(root, "Sales").await;
        admin.patch(&format!("/api/v1/numbers/{id}"), json!({"department_id": sales})).await;
        let (status, body) = admin.delete(&format!("/api/v1/departments/{sales}")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("department_has_numbers")));
    }
}

#[tokio::test]
async fn the_subscription_handshake_answers_only_our_verify_token() {
    let server = TestServer::start(testing::sqlite().await.unwrap()).await;
    let (_, _, admin) = server.company("Acme", "admin@acme.test").await;
    connect_number(&admin).await;
    let url = |token: &str| {
        format!(
            "{}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444",
            server.base
        )
    };
    let ok = admin.http.get(url("verify-me")).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    assert_eq!(admin.http.get(url("guess")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_fixture_is_stored_without_loss_and_visible_through_the_api() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, _, admin) = server.company("Acme", "admin@acme.test").await;
        connect_number(&admin).await;
        let mut expected = Vec::new();
        for (sample, envelope) in fixture_envelopes() {
            let envelope = adapt(&sample, envelope);
            assert_eq!(post_signed(&admin, &envelope).await, StatusCode::OK, "{sample}");
            for entry in envelope["entry"].as_array().into_iter().flatten() {
                for change in entry["changes"].as_array().into_iter().flatten() {
                    if change["value"]["metadata"]["phone_number_id"] != PHONE_NUMBER_ID {
                        continue;
                    }
                    for (key, direction) in [("messages", "in"), ("message_echoes", "out")] {
                        for m in change["value"][key].as_array().into_iter().flatten() {
                            expected.push((sample.clone(), direction, m.clone()));
                        }
                    }
                }
            }
        }
        assert!(expected.len() >= 45, "{} messages in the fixtures", expected.len());
        let stored = all_messages(&admin).await;
        assert_eq!(stored.len(), expected.len(), "one stored message per message sent");
        for (sample, direction, original) in &expected {
            let found =
                stored.iter().find(|s| s["wamid"] == original["id"]).unwrap_or_else(|| panic!("{sample} stored"));
            assert_eq!(found["direction"], *direction, "{sample}");
            assert_eq!(found["type"], original["type"], "{sample}");
            assert_eq!(&found["raw"], original, "{sample}: kept whole");
        }
        let text = stored.iter().find(|s| s["wamid"] == "wamid.xyzxyz#message.json:text").unwrap();
        assert_eq!(text["text"], "Body Text");
        let image = stored.iter().find(|s| s["wamid"] == "wamid.xyzxyz#message.json:image").unwrap();
        assert!(image["media_id"].is_string() && image["media_mime_type"].is_string());
        // Customers were created once per WhatsApp id / user id, with the profile name.
        let conversations = admin.all("/api/v1/conversations").await;
        assert!(
            conversations
                .iter()
                .any(|c| c["contact"]["name"] == "Test Name" && c["contact"]["wa_id"] == "972987654321")
        );
        assert!(conversations.iter().all(|c| c["number_id"].is_i64()));
    }
}

#[tokio::test]
async fn forged_unsigned_truncated_and_non_json_bodies_store_nothing() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, _, admin) = server.company("Acme", "admin@acme.test").await;
        connect_number(&admin).await;
        let (_, envelope) = fixture_envelopes().into_iter().find(|(n, _)| n == "message.json:text").unwrap();
        let envelope = adapt("forged", envelope);
        let body = serde_json::to_vec(&envelope).unwrap();
        let forged = signature::sign(b"someone-else", &body);
        assert_eq!(post_webhook(&admin, &body, Some(&forged)).await, StatusCode::UNAUTHORIZED);
        assert_eq!(post_webhook(&admin, &body, None).await, StatusCode::UNAUTHORIZED);
        assert_eq!(post_webhook(&admin, &body, Some("sha256=00")).await, StatusCode::UNAUTHORIZED);
        let truncated = &body[..body.len() / 2];
        assert_eq!(
            post_webhook(&admin, truncated, Some(&signature::sign(APP_SECRET.as_bytes(), truncated))).await,
            StatusCode::BAD_REQUEST
        );
        let not_json = b"hello";
        assert_eq!(
            post_webhook(&admin, not_json, Some(&signature::sign(APP_SECRET.as_bytes(), not_json))).await,
            StatusCode::BAD_REQUEST
        );
        assert!(all_messages(&admin).await.is_empty(), "nothing stored");

        // The same signed body twice: one message.
        assert_eq!(post_signed(&admin, &envelope).await, StatusCode::OK);
        assert_eq!(post_signed(&admin, &envelope).await, StatusCode::OK);
        assert_eq!(all_messages(&admin).await.len(), 1);

        // An unknown number: acknowledged, nothing stored.
        let mut elsewhere = envelope.clone();
        elsewhere["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!("999");
        elsewhere["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = json!("wamid.elsewhere");
        assert_eq!(post_signed(&admin, &elsewhere).await, StatusCode::OK);
        assert_eq!(all_messages(&admin).await.len(), 1);
    }
}

fn echo(wamid: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "smb_message_echoes", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "972123456789", "phone_number_id": PHONE_NUMBER_ID},
        "message_echoes": [{"from": "972123456789", "to": "972987654321", "id": wamid, "timestamp": "1697043223", "type": "text", "text": {"body": "Hello from the shop"}}]
    }}]}]})
}

fn status(wamid: &str, status: &str, error: Option<(i64, &str)>) -> Value {
    let mut s = json!({"id": wamid, "status": status, "timestamp": "1697043300", "recipient_id": "972987654321"});
    if let Some((code, title)) = error {
        s["errors"] = json!([{"code": code, "title": title}]);
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "972123456789", "phone_number_id": PHONE_NUMBER_ID},
        "statuses": [s]
    }}]}]})
}

#[tokio::test]
async fn delivery_states_only_move_forward_and_failures_keep_their_code() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, _, admin) = server.company("Acme", "admin@acme.test").await;
        connect_number(&admin).await;
        post_signed(&admin, &echo("wamid.out-1")).await;
        post_signed(&admin, &echo("wamid.out-2")).await;
        let state = |wamid: &'static str| {
            let admin = &admin;
            async move { all_messages(admin).await.into_iter().find(|m| m["wamid"] == wamid).unwrap() }
        };
        assert_eq!(state("wamid.out-1").await["status"], "sent");
        post_signed(&admin, &status("wamid.out-1", "read", None)).await;
        let reports = testing::count_rows(&server.db, "message_statuses").await.unwrap();
        // Meta (or anyone replaying a signed body) delivering the same report again adds nothing.
        post_signed(&admin, &status("wamid.out-1", "read", None)).await;
        assert_eq!(testing::count_rows(&server.db, "message_statuses").await.unwrap(), reports, "kept once");
        post_signed(&admin, &status("wamid.out-1", "delivered", None)).await;
        assert_eq!(state("wamid.out-1").await["status"], "read", "a late delivered never downgrades read");
        post_signed(&admin, &status("wamid.out-2", "failed", Some((131047, "Re-engagement message")))).await;
        let failed = state("wamid.out-2").await;
        assert_eq!((failed["status"].as_str(), failed["error_code"].as_i64()), (Some("failed"), Some(131047)));
        assert_eq!(failed["error_title"], "Re-engagement message");
        // A report that arrives before its message is applied once the message shows up.
        post_signed(&admin, &status("wamid.late", "read", None)).await;
        post_signed(&admin, &echo("wamid.late")).await;
        assert_eq!(state("wamid.late").await["status"], "read", "reports are applied whatever order they arrive in");
        // An echo answers the chat; a customer message reopens it and the 24-hour window.
        let conversation = &admin.all("/api/v1/conversations").await[0];
        assert_eq!(
            (conversation["unanswered"].as_bool(), conversation["window_open"].as_bool()),
            (Some(false), Some(false))
        );
        let (_, text) = fixture_envelopes().into_iter().find(|(n, _)| n == "message.json:text").unwrap();
        let mut text = adapt("window", text);
        let now = rapport_storage::now_ms() / 1000;
        text["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = json!(now.to_string());
        post_signed(&admin, &text).await;
        let conversation = &admin.all("/api/v1/conversations").await[0];
        assert_eq!(
            (conversation["unanswered"].as_bool(), conversation["window_open"].as_bool()),
            (Some(true), Some(true))
        );
    }
}

/// A text from `wa_id` with a unique id, as Meta would post it to our number.
fn text_from(wa_id: &str, wamid: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "972123456789", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Someone"}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": wamid, "timestamp": "1697043223", "type": "text", "text": {"body": "hi"}}]
    }}]}]})
}

#[tokio::test]
async fn the_sync_filter_decides_which_customers_are_kept() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, _, admin) = server.company("Acme", "admin@acme.test").await;
        let number = connect_number(&admin).await;
        let url = format!("/api/v1/numbers/{}", number["id"]);
        let (status, body) =
            admin.patch(&url, json!({"sync_filter": "all_except", "sync_except": ["+40 722-123 456"]})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (body["sync_filter"].as_str(), body["sync_except"].clone()),
            (Some("all_except"), json!(["40722123456"]))
        );
        assert_eq!(
            post_signed(&admin, &text_from("40722123456", "wamid.s1")).await,
            StatusCode::OK,
            "acknowledged all the same"
        );
        assert_eq!(post_signed(&admin, &text_from("40733000000", "wamid.s2")).await, StatusCode::OK);
        let kept: Vec<Value> = all_messages(&admin).await.into_iter().map(|m| m["wamid"].clone()).collect();
        assert_eq!(kept, vec![json!("wamid.s2")], "the excluded number is left out");

        admin.patch(&url, json!({"sync_filter": "existing_contacts"})).await;
        post_signed(&admin, &text_from("40733000000", "wamid.s3")).await;
        post_signed(&admin, &text_from("40744000000", "wamid.s4")).await;
        let kept: Vec<Value> = all_messages(&admin).await.into_iter().map(|m| m["wamid"].clone()).collect();
        assert_eq!(kept, vec![json!("wamid.s2"), json!("wamid.s3")], "only the known customer is kept");
        let (status, body) = admin.patch(&url, json!({"sync_filter": "some"})).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sync_filter")));
    }
}

#[tokio::test]
async fn template_status_webhooks_update_the_catalogue() {
    for db in testing::all_backends().await {
        let server = TestServer::start(db).await;
        let (_, _, admin) = server.company("Acme", "admin@acme.test").await;
        let (_, envelope) = fixture_envelopes().into_iter().find(|(n, _)| n == "rejectedTemplate.json").unwrap();
        let waba = envelope["entry"][0]["id"].as_str().unwrap().to_string();
        let (status, _) = admin
            .post(
                "/api/v1/numbers",
                json!({"phone_number_id": "555", "waba_id": waba, "access_token": "t", "app_secret": APP_SECRET}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, template) = admin
            .post(
                "/api/v1/templates",
                json!({"waba_id": waba, "name": "schedule_confirmation4", "language": "pt_BR",
                "category": "utility", "components": [{"type": "BODY", "text": "Olá {{1}}"}]}),
            )
            .await;
        assert_eq!((status, template["status"].as_str()), (StatusCode::CREATED, Some("approved")), "{template}");
        let (status, body) = admin
            .post("/api/v1/templates", json!({"waba_id": waba, "name": "Bad Name", "language": "pt_BR", "category": "UTILITY", "components": []}))
            .await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")));
        // Another company under the same business account, with its own app secret and template.
        let (_, _, other) = server.company("Other", "admin@other.test").await;
        let template_body = json!({"waba_id": waba, "name": "schedule_confirmation4", "language": "pt_BR",
            "category": "UTILITY", "components": [{"type": "BODY", "text": "Olá {{1}}"}]});
        let (status, refused) = other.post("/api/v1/templates", template_body.clone()).await;
        assert_eq!(
            (status, refused["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("waba_id")),
            "no number there yet"
        );
        other
            .post(
                "/api/v1/numbers",
                json!({"phone_number_id": "556", "waba_id": waba, "access_token": "t", "app_secret": "other-secret"}),
            )
            .await;
        assert_eq!(other.post("/api/v1/templates", template_body).await.0, StatusCode::CREATED);
        let body = serde_json::to_vec(&envelope).unwrap();
        assert_eq!(
            post_webhook(&admin, &body, Some("sha256=00")).await,
            StatusCode::UNAUTHORIZED,
            "account events are signed too"
        );
        assert_eq!(post_signed(&admin, &envelope).await, StatusCode::OK);
        let (_, list) = admin.get("/api/v1/templates").await;
        let stored = &list["items"][0];
        assert_eq!((stored["status"].as_str(), stored["reason"].as_str()), (Some("rejected"), Some("SCAM")));
        let (_, theirs) = other.get("/api/v1/templates").await;
        assert_eq!(
            theirs["items"][0]["status"], "approved",
            "an event signed with one company's secret changes only its templates"
        );
    }
}

/// A body naming more numbers than any delivery does is refused before any lookup, whatever
/// it claims to be signed with.
#[tokio::test]
async fn a_delivery_naming_too_many_numbers_is_refused_before_any_lookup() {
    let db = testing::sqlite().await.expect("database");
    let server = TestServer::start(db).await;
    let (_, _, admin) = server.company("Acme", "numbers@acme.test").await;
    let changes: Vec<Value> = (0..65)
        .map(|n| json!({"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": format!("{n}")}}}))
        .collect();
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": changes}]});
    let status = post_webhook(&admin, body.to_string().as_bytes(), Some("sha256=00")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
