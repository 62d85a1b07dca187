//! Predefined texts (TEXT-1) on SQLite and PostgreSQL: personal and shared texts, merge fields
//! checked when saved and filled for a real customer in the preview.

use crate::common::simulated::setup;
use rapport_storage::testing;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn texts_fill_their_merge_fields_for_the_chats_customer() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes("84901234567", "Nguyễn Văn An", "Xin chào").await.unwrap();
        let chat = s.admin.all("/api/v1/conversations").await[0]["id"].as_i64().unwrap();
        let (status, shared) = s
            .admin
            .post(
                "/api/v1/texts",
                json!({"name": "Greeting", "shared": true,
                       "body": "Xin chào $[Contact.Name|quý khách], I am $[Staff.Name]. We call $[Contact.Phone]."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{shared}");
        let (status, preview) =
            s.admin.get(&format!("/api/v1/texts/{}/preview?conversation_id={chat}", shared["id"])).await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["text"], "Xin chào Nguyễn Văn An, I am Admin. We call +84901234567.");

        // An unknown field is refused with its name, and nothing is stored.
        let (status, body) = s.admin.post("/api/v1/texts", json!({"name": "Typo", "body": "Hi $[Contact.Nmae]"})).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")));
        assert!(body["error"]["message"].as_str().unwrap().contains("$[Contact.Nmae]"));
        assert_eq!(s.admin.all("/api/v1/texts").await.len(), 1);

        // An agent sees shared texts and their own; they may not share or change shared ones.
        s.admin.create_staff(s.root, "agent@acme.test", &["menu.chats", "dept.chats"]).await;
        let mut agent = s.server.client();
        agent.login("agent@acme.test", "staff-password").await;
        let (status, _) = agent.post("/api/v1/texts", json!({"name": "Mine", "body": "x", "shared": true})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, mine) = agent.post("/api/v1/texts", json!({"name": "Mine", "body": "Bye $[Contact.Name]!"})).await;
        assert_eq!((status, mine["shared"].as_bool()), (StatusCode::CREATED, Some(false)));
        let names: Vec<_> = agent.all("/api/v1/texts").await.iter().map(|t| t["name"].clone()).collect();
        assert_eq!(names, [json!("Greeting"), json!("Mine")]);
        let (status, _) =
            agent.put(&format!("/api/v1/texts/{}", shared["id"]), json!({"name": "Greeting", "body": "changed"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(s.admin.all("/api/v1/texts?q=mine").await.is_empty(), "a personal text is its owner's alone");
        let (status, _) = s.admin.get(&format!("/api/v1/texts/{}", mine["id"])).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, found) = agent.get("/api/v1/texts?q=GREET").await;
        assert_eq!((status, found["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
        let (status, _) = agent.delete(&format!("/api/v1/texts/{}", mine["id"])).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}

#[tokio::test]
async fn an_extended_field_fills_its_merge_field_with_the_customers_value() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        // Before the field exists, $[Contact.city] is an unknown merge field.
        let body = json!({"name": "City", "body": "Giao hàng tới $[Contact.city|thành phố của bạn]"});
        let (status, _) = s.admin.post("/api/v1/texts", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let field = json!({"name": "City", "key": "city", "type": "single_choice", "options": ["Hà Nội", "Đà Nẵng"]});
        assert_eq!(s.admin.post("/api/v1/fields", field).await.0, StatusCode::CREATED);
        let (status, text) = s.admin.post("/api/v1/texts", body).await;
        assert_eq!(status, StatusCode::CREATED, "{text}");

        s.simulator.customer_writes("84901234567", "Nguyễn Văn An", "Xin chào").await.unwrap();
        let chat = &s.admin.all("/api/v1/conversations").await[0];
        let preview = |chat: i64| format!("/api/v1/texts/{}/preview?conversation_id={chat}", text["id"]);
        let chat_id = chat["id"].as_i64().unwrap();
        // No city yet: the fallback.
        let (_, filled) = s.admin.get(&preview(chat_id)).await;
        assert_eq!(filled["text"], "Giao hàng tới thành phố của bạn");
        let contact = chat["contact"]["id"].as_i64().unwrap();
        let (status, _) =
            s.admin.patch(&format!("/api/v1/contacts/{contact}"), json!({"fields": {"city": "đà nẵng"}})).await;
        assert_eq!(status, StatusCode::OK);
        let (_, filled) = s.admin.get(&preview(chat_id)).await;
        assert_eq!(filled["text"], "Giao hàng tới Đà Nẵng");
    }
}
