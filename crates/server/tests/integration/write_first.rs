//! Writing to a customer first (DIST-4), on SQLite and PostgreSQL: the number each staff member
//! writes first from, and starting a chat with a phone number.

use crate::common::Client;
use crate::common::simulated::{Setup, reply, setup, staff_member};
use rapport_storage::testing;
use reqwest::StatusCode;
use serde_json::json;

async fn member(s: &Setup, account: &str, role: &str) -> (i64, Client) {
    staff_member(s, s.root, account, &["menu.chats", "dept.chats"], role).await
}

#[tokio::test]
async fn a_chat_started_by_phone_leaves_from_the_staff_members_first_number() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (status, second) = s
            .admin
            .post(
                "/api/v1/numbers",
                json!({"phone_number_id": "200000000000001", "waba_id": "102290129340398",
                       "access_token": "EAAG-second", "app_secret": "second-secret"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        let second = second["id"].as_i64().unwrap();
        let (ana, ana_client) = member(&s, "ana@acme.test", "sales_rep").await;
        let (_, bo_client) = member(&s, "bo@acme.test", "sales_rep").await;
        let (_, qc_client) = member(&s, "qc@acme.test", "quality_control").await;

        let (_, numbers) = ana_client.get("/api/v1/me/chat-numbers").await;
        let ids: Vec<_> = numbers["items"].as_array().unwrap().iter().map(|n| n["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [s.number, second]);
        assert!(numbers["items"].as_array().unwrap().iter().all(|n| n["first"] == false));

        // Two numbers and none chosen: the caller must say which.
        let start = json!({"phone": "+44 (7700) 900-555", "name": "Pat"});
        let (status, body) = ana_client.post("/api/v1/conversations", start.clone()).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("number_id")));
        assert!(s.admin.all("/api/v1/conversations").await.is_empty(), "a refused start opens nothing");

        // The admin sets Ana's number to write first from; an unknown number is refused.
        let (status, body) =
            s.admin.put(&format!("/api/v1/staff/{ana}/first-number"), json!({"number_id": 999_999})).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("number_id")));
        let (status, body) =
            s.admin.put(&format!("/api/v1/staff/{ana}/first-number"), json!({"number_id": second})).await;
        assert_eq!((status, body["first_number_id"].as_i64()), (StatusCode::OK, Some(second)), "{body}");
        let (_, numbers) = ana_client.get("/api/v1/me/chat-numbers").await;
        assert_eq!(numbers["items"][1]["first"], true);

        let (status, chat) = ana_client.post("/api/v1/conversations", start.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{chat}");
        assert_eq!(chat["number_id"].as_i64(), Some(second));
        assert_eq!(chat["responsible_staff_id"].as_i64(), Some(ana));
        assert_eq!(chat["contact"]["wa_id"], "447700900555");
        assert_eq!(chat["contact"]["name"], "Pat");
        assert_eq!(chat["window_open"], false, "the customer has not written: templates only");
        let (status, again) = ana_client.post("/api/v1/conversations", start.clone()).await;
        assert_eq!((status, &again["id"]), (StatusCode::OK, &chat["id"]), "the same chat opens again");
        let (status, body) =
            reply(&ana_client, chat["id"].as_i64().unwrap(), json!({"type": "text", "text": "Hi"})).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("window_closed")));

        // Another number chosen explicitly: a second chat with the same customer, still Ana's.
        let explicit = json!({"phone": "00447700900555", "number_id": s.number});
        let (status, other) = ana_client.post("/api/v1/conversations", explicit).await;
        assert_eq!((status, other["number_id"].as_i64()), (StatusCode::CREATED, Some(s.number)));
        assert_eq!(other["contact"]["id"], chat["contact"]["id"], "one customer, two chats");

        // A colleague's customer, a bad phone, and quality control are refused.
        let mine = json!({"phone": "+447700900555", "number_id": s.number});
        let (status, body) = bo_client.post("/api/v1/conversations", mine).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conversation_taken")));
        for phone in ["12", "+44 7700 ABC", "07700 900555"] {
            let (status, body) = ana_client.post("/api/v1/conversations", json!({"phone": phone})).await;
            assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")));
        }
        let (status, _) = qc_client.post("/api/v1/conversations", json!({"phone": "+447700900666"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(s.admin.all("/api/v1/conversations").await.len(), 2);
    }
}
