//! Chat history search (INBOX-4) on SQLite (FTS5 trigrams) and PostgreSQL (pg_trgm): any
//! language, with highlighted snippets, only within what the caller may search.

use crate::common::simulated::setup;
use rapport_storage::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MESSAGES: [(&str, &str, &str); 5] = [
    ("447700900101", "Oliver Smith", "Hello, is the blue jacket still available in size M?"),
    ("8613800138000", "王芳", "你好，请问这件外套还有货吗？"),
    ("84912345678", "Nguyễn Văn An", "Chào bạn, áo khoác này còn size M không?"),
    ("40722123456", "Andrei Popescu", "Bună ziua, mai aveți geaca albastră pe mărimea M?"),
    ("79123456789", "Мария Иванова", "Здравствуйте, синяя куртка ещё есть в размере M?"),
];

/// (chat name, matched part of the snippet) of each hit.
fn found(hits: &[Value]) -> Vec<(String, String)> {
    hits.iter()
        .map(|h| {
            let snippet: Vec<char> = h["snippet"].as_str().unwrap().chars().collect();
            let [start, len] =
                [h["highlight"][0].as_u64().unwrap() as usize, h["highlight"][1].as_u64().unwrap() as usize];
            (h["chat_name"].as_str().unwrap().to_string(), snippet[start..start + len].iter().collect())
        })
        .collect()
}

#[tokio::test]
async fn every_language_is_found_with_its_match_highlighted() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        for (wa_id, name, text) in MESSAGES {
            s.simulator.customer_writes(wa_id, name, text).await.unwrap();
        }
        // Index now (SQLite indexes just behind the writes; PostgreSQL as it writes).
        rapport_storage::search::index_pending(&s.server.db).await.unwrap();
        let search = |q: &str| format!("/api/v1/search/messages?q={}", urlencode(q));
        let cases = [
            ("JACKET", "Oliver Smith", "jacket"),
            ("外套", "王芳", "外套"),
            ("áo khoác", "Nguyễn Văn An", "áo khoác"),
            ("geaca albastră", "Andrei Popescu", "geaca albastră"),
            ("куртка", "Мария Иванова", "куртка"),
            ("СИНЯЯ КУРТКА", "Мария Иванова", "синяя куртка"),
        ];
        for (query, chat, matched) in cases {
            let hits = s.admin.all(&search(query)).await;
            assert_eq!(found(&hits), [(chat.to_string(), matched.to_string())], "searching {query}");
        }
        // A word in several messages finds them all, newest first; the hit opens its chat.
        let hits = s.admin.all(&search("size M")).await;
        assert_eq!(found(&hits).iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), ["Nguyễn Văn An", "Oliver Smith"]);
        let (status, messages) =
            s.admin.get(&format!("/api/v1/conversations/{}/messages", hits[0]["conversation_id"])).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(messages["items"][0]["id"], hits[0]["message_id"]);
        assert!(s.admin.all(&search("raincoat")).await.is_empty());
        // A message stored a moment ago, not indexed yet, is found too.
        s.simulator.customer_writes("447700900101", "Oliver Smith", "Do you sell raincoats?").await.unwrap();
        assert_eq!(
            found(&s.admin.all(&search("raincoat")).await),
            [("Oliver Smith".to_string(), "raincoat".to_string())]
        );
        for bad in ["", "%20%20"] {
            let (status, body) = s.admin.get(&format!("/api/v1/search/messages?q={bad}")).await;
            assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")));
        }
    }
}

#[tokio::test]
async fn without_func_chat_history_only_ones_own_chats_are_searched() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        for (wa_id, name, text) in MESSAGES {
            s.simulator.customer_writes(wa_id, name, text).await.unwrap();
        }
        let agent =
            s.admin.create_staff(s.root, "agent@acme.test", &["menu.chats", "dept.chats", "menu.chat_history"]).await;
        let mut client = s.server.client();
        client.login("agent@acme.test", "staff-password").await;
        assert!(client.all("/api/v1/search/messages?q=size").await.is_empty(), "nobody's chats are the agent's yet");
        let chats = s.admin.all("/api/v1/conversations").await;
        let oliver = chats.iter().find(|c| c["contact"]["name"] == "Oliver Smith").unwrap()["id"].as_i64().unwrap();
        s.admin.put(&format!("/api/v1/conversations/{oliver}/assignee"), json!({"staff_id": agent})).await;
        assert_eq!(found(&client.all("/api/v1/search/messages?q=size").await).len(), 1, "their own customer only");
        // With func.chat_history the agent searches everything in their chat scope.
        let grants = json!({"grants": ["menu.chats", "dept.chats", "menu.chat_history", "func.chat_history"]});
        s.admin.put(&format!("/api/v1/staff/{agent}/grants"), grants).await;
        client.login("agent@acme.test", "staff-password").await;
        assert_eq!(found(&client.all("/api/v1/search/messages?q=size").await).len(), 2);
        // Without menu.chat_history there is no search at all.
        s.admin.create_staff(s.root, "out@acme.test", &["menu.chats"]).await;
        let mut out = s.server.client();
        out.login("out@acme.test", "staff-password").await;
        assert_eq!(out.get("/api/v1/search/messages?q=size").await.0, StatusCode::FORBIDDEN);
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
