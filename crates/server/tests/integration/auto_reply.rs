//! Auto replies (AUTO-1..3) with the Cloud API simulator as the customer, on SQLite and
//! PostgreSQL: the first matching rule sends all its replies in order, private rules of the
//! number's owner come first, the cool-down holds, and an edit applies to the very next message.

use crate::common::Client;
use crate::common::simulated::{Setup, setup, setup_with_clock};
use rapport_app::Clock;
use rapport_storage::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// Texts the simulator accepted for `to`, in order, once there are at least `count` (or
/// whatever there is after a few seconds).
async fn texts_to(s: &Setup, to: &str, count: usize) -> Vec<String> {
    let mut texts = Vec::new();
    for _ in 0..100 {
        texts = s
            .simulator
            .received()
            .into_iter()
            .filter(|r| r.accepted_as.is_some() && r.body["to"] == to)
            .map(|r| r.body["text"]["body"].as_str().unwrap_or_default().to_string())
            .collect();
        if texts.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    texts
}

async fn rule(client: &Client, body: Value) -> i64 {
    let (status, created) = client.post("/api/v1/auto-replies", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_matching_message_gets_every_reply_in_order_once_per_cool_down() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let id = rule(
            &s.admin,
            json!({"scope": "public", "pattern": "contains_any", "match_words": "price | цена",
                   "replies": [{"type": "text", "text": "Our prices are on the website."},
                               {"type": "text", "text": "Anything else I can help with?"}]}),
        )
        .await;
        s.simulator.customer_writes("447700900001", "Jane", "What is the PRICE?").await.unwrap();
        assert_eq!(
            texts_to(&s, "447700900001", 2).await,
            ["Our prices are on the website.", "Anything else I can help with?"]
        );
        // Marked as automatic, naming the rule and the message answered; the chat stays
        // unanswered for the staff.
        let chat = &s.admin.all("/api/v1/conversations").await[0];
        assert_eq!(chat["unanswered"], true);
        let messages = s.admin.all(&format!("/api/v1/conversations/{}/messages", chat["id"])).await;
        let question = messages.iter().find(|m| m["direction"] == "in").unwrap();
        let automatic: Vec<_> = messages.iter().filter(|m| m["direction"] == "out").collect();
        assert_eq!(automatic.len(), 2);
        assert!(automatic.iter().all(|m| m["auto_reply_id"] == id && m["answers_message_id"] == question["id"]));

        // Inside the cool-down the same customer gets nothing more; another customer does.
        s.simulator.customer_writes("447700900001", "Jane", "цена?").await.unwrap();
        s.simulator.customer_writes("447700900002", "Ivan", "Какая цена?").await.unwrap();
        assert_eq!(texts_to(&s, "447700900002", 2).await.len(), 2);
        assert_eq!(texts_to(&s, "447700900001", 3).await.len(), 2, "one answer per cool-down");
        // Words inside other words and messages of no rule get nothing.
        s.simulator.customer_writes("447700900003", "Pat", "priceless, thanks").await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(texts_to(&s, "447700900003", 1).await.is_empty());

        // The audit log names who set the rule up.
        let (_, audit) = s.admin.get("/api/v1/audit-log?limit=50").await;
        assert!(audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "auto_reply.create"));
    }
}

#[tokio::test]
async fn the_number_owners_private_rule_answers_first_and_edits_apply_at_once() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let owner = s.admin.create_staff(s.root, "olga@acme.test", &["menu.auto_reply", "menu.chats"]).await;
        let (status, body) =
            s.admin.patch(&format!("/api/v1/numbers/{}", s.number), json!({"owner_staff_id": owner})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut olga = s.server.client();
        olga.login("olga@acme.test", "staff-password").await;
        let private = rule(
            &olga,
            json!({"scope": "private", "pattern": "equals_any", "match_words": "hello|hi",
                   "replies": [{"type": "text", "text": "Hi, Olga here."}], "cooldown_minutes": 0}),
        )
        .await;
        rule(
            &s.admin,
            json!({"scope": "public", "pattern": "contains_any", "match_words": "hello",
                   "replies": [{"type": "text", "text": "Hello from Acme."}], "cooldown_minutes": 0}),
        )
        .await;
        // Private rules are their owner's: the admin neither lists nor reads Olga's.
        let listed = s.admin.all("/api/v1/auto-replies").await;
        assert_eq!(listed.len(), 1);
        let (status, _) = s.admin.get(&format!("/api/v1/auto-replies/{private}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, found) = olga.get("/api/v1/auto-replies?q=olga").await;
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "search finds the reply content");

        s.simulator.customer_writes("447700900011", "Ann", "Hello").await.unwrap();
        assert_eq!(texts_to(&s, "447700900011", 1).await, ["Hi, Olga here."]);
        // Olga's edit applies to the very next message.
        let (status, body) =
            olga.patch(&format!("/api/v1/auto-replies/{private}"), json!({"match_words": "bonjour"})).await;
        assert_eq!((status, body["match_words"].as_str()), (StatusCode::OK, Some("bonjour")));
        s.simulator.customer_writes("447700900012", "Bob", "hello").await.unwrap();
        assert_eq!(texts_to(&s, "447700900012", 1).await, ["Hello from Acme."]);
        s.simulator.customer_writes("447700900013", "Cy", "Bonjour").await.unwrap();
        assert_eq!(texts_to(&s, "447700900013", 1).await, ["Hi, Olga here."]);
        // Disabled, it stays silent.
        olga.patch(&format!("/api/v1/auto-replies/{private}"), json!({"enabled": false})).await;
        s.simulator.customer_writes("447700900014", "Di", "bonjour").await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(texts_to(&s, "447700900014", 1).await.is_empty());
    }
}

#[tokio::test]
async fn bad_rules_are_refused_with_the_field_named_and_nothing_changes() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let good = json!({"scope": "public", "pattern": "contains_any", "match_words": "price",
                          "replies": [{"type": "text", "text": "See the website."}]});
        let cases = [
            ("match_words", json!({"match_words": " | | "})),
            ("replies", json!({"replies": []})),
            ("replies", json!({"replies": [{"type": "text", "text": "  "}]})),
            ("replies", json!({"replies": [{"type": "image", "upload_id": 999}]})),
            ("replies", json!({"replies": [{"type": "template", "name": "Bad Name", "language": "en"}]})),
            ("cooldown_minutes", json!({"cooldown_minutes": -1})),
        ];
        for (field, change) in cases {
            let mut body = good.clone();
            body.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
            let (status, answer) = s.admin.post("/api/v1/auto-replies", body).await;
            assert_eq!(
                (status, answer["error"]["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{answer}"
            );
        }
        let (status, _) = s.admin.post("/api/v1/auto-replies", json!({"scope": "everyone"})).await;
        assert!(status.is_client_error());
        assert!(s.admin.all("/api/v1/auto-replies").await.is_empty());
        // Without `menu.auto_reply`: 403.
        s.admin.create_staff(s.root, "rep@acme.test", &["menu.chats"]).await;
        let mut rep = s.server.client();
        rep.login("rep@acme.test", "staff-password").await;
        let (status, _) = rep.post("/api/v1/auto-replies", good).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

/// Monday 2026-12-07 08:00 UTC: 10:00 in Bucharest.
const MONDAY_10_BUCHAREST: i64 = 1_796_630_400_000;
/// The same Monday, 20:00 in Bucharest.
const MONDAY_20_BUCHAREST: i64 = 1_796_666_400_000;
/// Christmas 2026 (a Friday), 10:00 in Bucharest.
const CHRISTMAS_10_BUCHAREST: i64 = 1_798_185_600_000;

#[tokio::test]
async fn welcome_and_away_messages_follow_the_working_hours() {
    for db in testing::all_backends().await {
        let clock = Clock::fixed(MONDAY_10_BUCHAREST);
        let s = setup_with_clock(db, clock.clone()).await;
        let path = format!("/api/v1/numbers/{}/greetings", s.number);
        let (status, off) = s.admin.get(&path).await;
        assert_eq!((status, &off["away"]["enabled"]), (StatusCode::OK, &json!(false)), "all off until set");
        let weekdays: serde_json::Map<String, Value> =
            ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| (d.to_string(), json!(["09:00-18:00"]))).collect();
        let greetings = json!({
            "welcome": {"enabled": true, "text": "Welcome to Acme!"},
            "away": {"enabled": true, "text": "We are closed now; we answer from 09:00."},
            "time_zone": "Europe/Bucharest", "hours": weekdays, "holidays": ["2026-12-25"], "period_minutes": 60,
        });
        for (field, change) in [
            ("time_zone", json!({"time_zone": "Mars/Olympus_Mons"})),
            ("hours", json!({"hours": {"mon": ["18:00-09:00"]}})),
            ("holidays", json!({"holidays": ["25.12.2026"]})),
            ("away.text", json!({"away": {"enabled": true, "text": " "}})),
        ] {
            let mut body = greetings.clone();
            body.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
            let (status, answer) = s.admin.put(&path, body).await;
            assert_eq!((status, answer["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)));
        }
        let (status, saved) = s.admin.put(&path, greetings.clone()).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["hours"]["mon"], json!(["09:00-18:00"]));

        // Open hours: a new customer is welcomed, nothing more.
        s.simulator.customer_writes("40722000001", "Ana", "Bună ziua").await.unwrap();
        assert_eq!(texts_to(&s, "40722000001", 1).await, ["Welcome to Acme!"]);
        // After hours: the away message, once per period; no second welcome.
        clock.set(MONDAY_20_BUCHAREST);
        s.simulator.customer_writes("40722000001", "Ana", "Mai sunteți acolo?").await.unwrap();
        assert_eq!(texts_to(&s, "40722000001", 2).await[1], "We are closed now; we answer from 09:00.");
        s.simulator.customer_writes("40722000001", "Ana", "Alo?").await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(texts_to(&s, "40722000001", 3).await.len(), 2, "the away message once per period");
        // A holiday is closed all day, even at 10:00 on a weekday.
        clock.set(CHRISTMAS_10_BUCHAREST);
        s.simulator.customer_writes("40722000002", "Bogdan", "Crăciun fericit!").await.unwrap();
        assert_eq!(
            texts_to(&s, "40722000002", 2).await,
            ["Welcome to Acme!", "We are closed now; we answer from 09:00."]
        );
    }
}
