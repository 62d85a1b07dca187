//! Outbound messages end to end against the Cloud API simulator, on SQLite and PostgreSQL:
//! a customer writes, an agent replies through the API, the simulator receives Meta's request
//! shape and reports sent → delivered → read back through the webhook.

use crate::common::simulated::{CUSTOMER, conversation_id, reply, setup, wait_for};
use rapport_simulator::Failure;
use rapport_storage::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn a_reply_reaches_meta_in_its_exact_shape_and_ends_read() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes(CUSTOMER, "Jane Customer", "Do you ship to Leeds?").await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        let (status, queued) = reply(&s.admin, conversation, json!({"type": "text", "text": "Yes, next day."})).await;
        assert_eq!(status, StatusCode::CREATED, "{queued}");
        assert_eq!((queued["status"].as_str(), queued["direction"].as_str()), (Some("queued"), Some("out")));
        let read = wait_for(&s.admin, conversation, queued["id"].as_i64().unwrap(), |m| m["status"] == "read").await;
        assert!(read["wamid"].as_str().unwrap().starts_with("wamid.SIMOUT"), "Meta's id replaced the placeholder");
        let sent: Vec<_> = s.simulator.received().into_iter().filter(|r| r.accepted_as.is_some()).collect();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].authorization, "Bearer EAAG-simulated-token");
        let mut body = sent[0].body.clone();
        let callback = body.as_object_mut().unwrap().remove("biz_opaque_callback_data");
        assert!(
            callback.as_ref().and_then(Value::as_str).is_some_and(|c| c.starts_with("local:")),
            "the send carries our message's reference for Meta to repeat: {callback:?}"
        );
        assert_eq!(
            body,
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": CUSTOMER, "type": "text",
                   "text": {"preview_url": false, "body": "Yes, next day."}})
        );
        let conversation_row = &s.admin.all("/api/v1/conversations").await[0];
        assert_eq!(conversation_row["unanswered"], false, "a reply answers the chat");
    }
}

#[tokio::test]
async fn a_send_during_an_outage_is_retried_and_delivered_once() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes(CUSTOMER, "Jane", "Hello?").await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        s.simulator.fail_next([Failure::Outage]);
        let (_, queued) = reply(&s.admin, conversation, json!({"type": "text", "text": "Sorry for the wait"})).await;
        let done = wait_for(&s.admin, conversation, queued["id"].as_i64().unwrap(), |m| m["status"] == "read").await;
        assert!(done["error_code"].is_null());
        let attempts = s.simulator.received();
        assert_eq!(attempts.len(), 2, "one failed attempt, one retry");
        assert_eq!(attempts.iter().filter(|r| r.accepted_as.is_some()).count(), 1, "delivered exactly once");
    }
}

#[tokio::test]
async fn a_send_whose_answer_was_lost_is_not_sent_again() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes(CUSTOMER, "Jane", "Hello?").await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        // Meta accepts the send, but a proxy answers 504: Rapport cannot know it went out until
        // the delivery reports, which name the message by its callback data, arrive.
        s.simulator.fail_next([Failure::LostAnswer]);
        let (_, queued) = reply(&s.admin, conversation, json!({"type": "text", "text": "On its way"})).await;
        let done = wait_for(&s.admin, conversation, queued["id"].as_i64().unwrap(), |m| m["status"] == "read").await;
        let accepted: Vec<String> = s.simulator.received().into_iter().filter_map(|r| r.accepted_as).collect();
        assert_eq!(accepted.len(), 1, "the customer got the message once");
        assert_eq!(done["wamid"].as_str(), Some(accepted[0].as_str()), "the message took Meta's id from the report");
        // Past the first retry's moment (2 s ± 20 %): still one send.
        tokio::time::sleep(Duration::from_millis(2600)).await;
        assert_eq!(s.simulator.received().len(), 1, "the retry was called off");
    }
}

#[tokio::test]
async fn group_chats_keep_each_participant_and_replies_go_to_the_group() {
    const GROUP: &str = "120363025246125486";
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes_in_group(GROUP, "447700900201", "Ana", "Who has the invoice?").await.unwrap();
        s.simulator.customer_writes_in_group(GROUP, "447700900202", "Bogdan", "I do").await.unwrap();
        s.simulator.customer_writes(CUSTOMER, "Jane", "Separate question").await.unwrap();
        let chats = s.admin.all("/api/v1/conversations").await;
        assert_eq!(chats.len(), 2, "one group chat and one direct chat: {chats:?}");
        let group = chats.iter().find(|c| c["kind"] == "group").expect("a group chat");
        assert_eq!(group["group"]["id"], GROUP);
        assert!(group["contact"].is_null());
        assert_eq!(chats.iter().find(|c| c["kind"] == "direct").unwrap()["contact"]["wa_id"], CUSTOMER);
        let id = group["id"].as_i64().unwrap();
        let messages = s.admin.all(&format!("/api/v1/conversations/{id}/messages")).await;
        let said: Vec<(&str, &str)> =
            messages.iter().map(|m| (m["sender_name"].as_str().unwrap(), m["text"].as_str().unwrap())).collect();
        assert_eq!(said, [("Ana", "Who has the invoice?"), ("Bogdan", "I do")]);
        let (status, queued) = reply(&s.admin, id, json!({"type": "text", "text": "Thanks both"})).await;
        assert_eq!(status, StatusCode::CREATED, "{queued}");
        wait_for(&s.admin, id, queued["id"].as_i64().unwrap(), |m| m["status"] == "read").await;
        let sent = s.simulator.received();
        assert_eq!(
            (sent[0].body["recipient_type"].as_str(), sent[0].body["to"].as_str()),
            (Some("group"), Some(GROUP))
        );
    }
}

#[tokio::test]
async fn a_permanent_error_lands_in_dead_letter_with_its_code() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes(CUSTOMER, "Jane", "Hi").await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        s.simulator.fail_next([Failure::Error { code: 131026, title: "Message undeliverable".into() }]);
        let (_, queued) = reply(&s.admin, conversation, json!({"type": "text", "text": "Hello Jane"})).await;
        let failed =
            wait_for(&s.admin, conversation, queued["id"].as_i64().unwrap(), |m| m["status"] == "failed").await;
        assert_eq!(failed["error_code"], 131026);
        assert!(failed["error_title"].as_str().unwrap().contains("undeliverable"));
        assert_eq!(s.simulator.received().len(), 1, "a permanent error is not retried");
    }
}

#[tokio::test]
async fn outside_the_window_free_text_is_refused_and_a_template_goes_through() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let two_days_ago = rapport_storage::now_ms() / 1000 - 48 * 3600;
        s.simulator.customer_writes_at(CUSTOMER, "Jane", "Old message", two_days_ago).await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        assert_eq!(s.admin.all("/api/v1/conversations").await[0]["window_open"], false);
        let (status, body) = reply(&s.admin, conversation, json!({"type": "text", "text": "Still there?"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("window_closed")));
        assert!(body["error"]["message"].as_str().unwrap().contains("24-hour"));
        assert!(s.simulator.received().is_empty(), "nothing was sent");
        let follow_up = |params: Value| json!({"type": "template", "template": {"name": "follow_up", "language": "en_US", "parameters": params}});
        let (status, body) = reply(&s.admin, conversation, follow_up(json!(["Jane"]))).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_template"))
        );
        let components = json!([{"type": "BODY", "text": "Hi {{1}}, your order {{2}} is ready."}]);
        let (status, created) = s
            .admin
            .post(
                "/api/v1/templates",
                json!({"waba_id": "102290129340398", "name": "follow_up", "language": "en_US",
                "category": "UTILITY", "components": components}),
            )
            .await;
        assert_eq!((status, created["parameter_count"].as_i64()), (StatusCode::CREATED, Some(2)), "{created}");
        let (status, body) = reply(&s.admin, conversation, follow_up(json!(["Jane"]))).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("missing_parameter"))
        );
        assert!(body["error"]["message"].as_str().unwrap().contains("parameter 2"), "{body}");
        let (status, queued) = reply(&s.admin, conversation, follow_up(json!(["Jane", "A-42"]))).await;
        assert_eq!(status, StatusCode::CREATED, "{queued}");
        wait_for(&s.admin, conversation, queued["id"].as_i64().unwrap(), |m| m["status"] == "read").await;
        let sent = &s.simulator.received()[0].body;
        assert_eq!(sent["type"], "template");
        assert_eq!(sent["template"]["components"][0]["parameters"][0]["text"], "Jane");
        assert_eq!(sent["template"]["components"][0]["parameters"][1]["text"], "A-42");
    }
}

#[tokio::test]
async fn quality_control_reads_but_can_never_send() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes(CUSTOMER, "Jane", "Hi").await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        let qc = s.admin.create_staff(s.root, "qc@acme.test", &["menu.chats", "dept.chats"]).await;
        s.admin.patch(&format!("/api/v1/staff/{qc}"), json!({"role": "quality_control"})).await;
        let mut client = s.server.client();
        client.login("qc@acme.test", "staff-password").await;
        assert_eq!(client.all("/api/v1/conversations").await.len(), 1, "reads everything in scope");
        let (status, _) = reply(&client, conversation, json!({"type": "text", "text": "I should not"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Quality control reading leaves no read receipt at the customer's side.
        assert_eq!(
            client.post(&format!("/api/v1/conversations/{conversation}/read"), json!({})).await.0,
            StatusCode::ACCEPTED
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(s.simulator.received().is_empty());
        // An agent opening the chat marks the customer's message read at Meta.
        let wamid = s.simulator.customer_writes(CUSTOMER, "Jane", "Anyone?").await.unwrap();
        assert_eq!(
            s.admin.post(&format!("/api/v1/conversations/{conversation}/read"), json!({})).await.0,
            StatusCode::ACCEPTED
        );
        for _ in 0..100 {
            if !s.simulator.received().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let received = s.simulator.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].body, json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid}));
        let (status, _) = reply(&s.admin, conversation, json!({"type": "text", "text": ""})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "empty text");
        let (status, _) = reply(&s.admin, conversation, json!({"type": "sticker"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "unknown type");
        assert_eq!(s.simulator.received().len(), 1, "nothing but the read receipt was sent");
    }
}

#[tokio::test]
async fn customer_media_is_downloaded_checked_and_served_only_in_scope() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (wamid, bytes) = s.simulator.customer_sends_image(CUSTOMER, "Jane", "Is this the one?").await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        let messages = s.admin.all(&format!("/api/v1/conversations/{conversation}/messages")).await;
        let id = messages.iter().find(|m| m["wamid"] == wamid).unwrap()["id"].as_i64().unwrap();
        let stored = wait_for(&s.admin, conversation, id, |m| m["media_url"].is_string()).await;
        assert_eq!((stored["type"].as_str(), stored["text"].as_str()), (Some("image"), Some("Is this the one?")));
        let url = format!("{}{}", s.admin.base, stored["media_url"].as_str().unwrap());
        let served = s.admin.http.get(&url).send().await.unwrap();
        assert_eq!(served.headers()["content-type"], "image/png");
        assert_eq!(served.bytes().await.unwrap().to_vec(), bytes, "the customer's exact bytes");
        // Someone without the chat in scope, and another company, get 404.
        s.admin.create_staff(s.root, "outsider@acme.test", &["menu.chats"]).await;
        let mut outsider = s.server.client();
        outsider.login("outsider@acme.test", "staff-password").await;
        assert_eq!(outsider.http.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
        let (_, _, other) = s.server.company("Other", "admin@other.test").await;
        assert_eq!(other.http.get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn locations_and_reactions_are_sent_in_metas_shape() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let wamid = s.simulator.customer_writes(CUSTOMER, "Jane", "Where are you?").await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        let location = json!({"type": "location", "location": {"latitude": 51.5072, "longitude": -0.1276, "name": "Acme Shop", "address": "1 High St"}});
        let (status, queued) = reply(&s.admin, conversation, location).await;
        assert_eq!(status, StatusCode::CREATED, "{queued}");
        wait_for(&s.admin, conversation, queued["id"].as_i64().unwrap(), |m| m["status"] == "read").await;
        let (status, queued) =
            reply(&s.admin, conversation, json!({"type": "reaction", "message_id": wamid, "emoji": "👍"})).await;
        assert_eq!(status, StatusCode::CREATED, "{queued}");
        wait_for(&s.admin, conversation, queued["id"].as_i64().unwrap(), |m| m["status"] == "read").await;
        let bodies: Vec<Value> = s.simulator.received().into_iter().map(|r| r.body).collect();
        assert_eq!(
            bodies[0]["location"],
            json!({"latitude": 51.5072, "longitude": -0.1276, "name": "Acme Shop", "address": "1 High St"})
        );
        assert_eq!(bodies[1]["reaction"], json!({"message_id": wamid, "emoji": "👍"}));
        let bad = json!({"type": "location", "location": {"latitude": 95.0, "longitude": 0.0}});
        let (status, body) = reply(&s.admin, conversation, bad).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("location.latitude"))
        );
        let (status, body) =
            reply(&s.admin, conversation, json!({"type": "reaction", "message_id": "wamid.elsewhere", "emoji": "👍"}))
                .await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("message_id")));
        assert_eq!(s.simulator.received().len(), 2, "refused sends never reach Meta");
    }
}

#[tokio::test]
async fn attachments_are_checked_uploaded_to_meta_first_and_sent_by_media_id() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes(CUSTOMER, "Jane", "Send me the brochure").await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        let upload = |bytes: Vec<u8>, content_type: &'static str, name: &'static str| {
            s.admin
                .http
                .post(format!("{}/api/v1/uploads?filename={name}", s.admin.base))
                .header("X-CSRF-Token", s.admin.csrf.clone().unwrap())
                .header("Content-Type", content_type)
                .body(bytes)
                .send()
        };
        let pdf = b"%PDF-1.7 brochure".to_vec();
        let response = upload(pdf.clone(), "application/pdf", "brochure.pdf").await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let uploaded: Value = response.json().await.unwrap();
        assert_eq!(uploaded["kind"], "document");
        // Wrong or unacceptable types are refused before anything is stored.
        assert_eq!(
            upload(b"<svg/>".to_vec(), "image/svg+xml", "x.svg").await.unwrap().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            upload(b"MZ\x90".to_vec(), "image/png", "x.png").await.unwrap().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let (status, body) = reply(&s.admin, conversation, json!({"type": "image", "upload_id": uploaded["id"]})).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("upload_id")),
            "a PDF is not an image"
        );

        let send = json!({"type": "document", "upload_id": uploaded["id"], "caption": "Our spring brochure"});
        let (status, queued) = reply(&s.admin, conversation, send).await;
        assert_eq!(status, StatusCode::CREATED, "{queued}");
        wait_for(&s.admin, conversation, queued["id"].as_i64().unwrap(), |m| m["status"] == "read").await;
        let uploads = s.simulator.uploads();
        assert_eq!(uploads.len(), 1);
        assert_eq!((uploads[0].mime_type.as_str(), uploads[0].filename.as_str()), ("application/pdf", "brochure.pdf"));
        assert_eq!(uploads[0].bytes, pdf);
        let sent = &s.simulator.received().into_iter().find(|r| r.accepted_as.is_some()).unwrap().body;
        assert_eq!(
            sent["document"],
            json!({"id": uploads[0].id, "caption": "Our spring brochure", "filename": "brochure.pdf"})
        );
        assert!(sent.get("_upload").is_none(), "our bookkeeping never reaches Meta");
        // Someone else's upload cannot be sent, even in the same company.
        s.admin.create_staff(s.root, "colleague@acme.test", &["menu.chats", "dept.chats"]).await;
        let mut colleague = s.server.client();
        colleague.login("colleague@acme.test", "staff-password").await;
        let (status, body) =
            reply(&colleague, conversation, json!({"type": "document", "upload_id": uploaded["id"]})).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("upload_id")));
        // A disconnected number sends nothing.
        let number = s.admin.all("/api/v1/numbers").await[0]["id"].clone();
        s.admin.delete(&format!("/api/v1/numbers/{number}")).await;
        let (status, body) = reply(&s.admin, conversation, json!({"type": "text", "text": "Still there?"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("number_disconnected")));
        // Its department cannot be deleted while the number is there.
        let (status, body) = s.admin.delete(&format!("/api/v1/departments/{}", s.root)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }
}

#[tokio::test]
async fn templates_are_synced_from_meta_and_only_approved_ones_send() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let number = s.admin.all("/api/v1/numbers").await[0]["id"].clone();
        let (status, body) = s.admin.post("/api/v1/templates/sync", json!({"number_id": number})).await;
        assert_eq!((status, body["synced"].as_i64()), (StatusCode::OK, Some(3)), "{body}");
        let (status, _) = s.admin.post("/api/v1/templates/sync", json!({"number_id": number})).await;
        assert_eq!(status, StatusCode::OK, "syncing again refreshes, never duplicates");
        let list = s.admin.all("/api/v1/templates").await;
        assert_eq!(list.len(), 3);
        let reminder = list.iter().find(|t| t["name"] == "appointment_reminder").unwrap();
        assert_eq!((reminder["language"].as_str(), reminder["parameter_count"].as_i64()), (Some("vi"), Some(2)));
        s.simulator.customer_writes(CUSTOMER, "Jane", "Hi").await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        let pending = json!({"type": "template", "template": {"name": "spring_sale", "language": "ro"}});
        let (status, body) = reply(&s.admin, conversation, pending).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("template_not_approved"))
        );
        let (status, _) = s.admin.post("/api/v1/templates/sync", json!({"number_id": 999_999})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn a_group_chat_names_the_people_who_wrote_in_it() {
    const GROUP: &str = "120363025246125487";
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes_in_group(GROUP, "447700900202", "Bogdan", "Hello").await.unwrap();
        s.simulator.customer_writes_in_group(GROUP, "447700900201", "Ana", "Hi").await.unwrap();
        s.simulator.customer_writes_in_group(GROUP, "447700900202", "Bogdan", "Again").await.unwrap();
        let id = conversation_id(&s.admin).await;
        let (status, group) = s.admin.get(&format!("/api/v1/conversations/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{group}");
        assert_eq!((group["kind"].as_str(), group["group"]["id"].as_str()), (Some("group"), Some(GROUP)));
        assert_eq!(
            group["group"]["participants"],
            json!([{"wa_id": "447700900201", "name": "Ana"}, {"wa_id": "447700900202", "name": "Bogdan"}])
        );
    }
}

/// A customer names their file; control characters in the name must not break the download
/// (its header could not be built: 500).
#[tokio::test]
async fn a_document_with_control_characters_in_its_name_downloads_with_its_name() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let name = "hóa đơn\r\n\u{1}.pdf";
        let document = json!({"filename": name});
        let sent = s.simulator.customer_sends_media(CUSTOMER, "Jane", "document", "application/pdf", b"%PDF", document);
        let (wamid, bytes) = sent.await.unwrap();
        let conversation = conversation_id(&s.admin).await;
        let messages = s.admin.all(&format!("/api/v1/conversations/{conversation}/messages")).await;
        let id = messages.iter().find(|m| m["wamid"] == wamid).unwrap()["id"].as_i64().unwrap();
        let stored = wait_for(&s.admin, conversation, id, |m| m["media_url"].is_string()).await;
        let url = format!("{}{}", s.admin.base, stored["media_url"].as_str().unwrap());
        let served = s.admin.http.get(&url).send().await.unwrap();
        assert_eq!(served.status(), StatusCode::OK);
        let disposition = served.headers()["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.ends_with("filename*=UTF-8''h%C3%B3a%20%C4%91%C6%A1n.pdf"), "{disposition}");
        assert_eq!(served.bytes().await.unwrap().to_vec(), bytes);
    }
}
