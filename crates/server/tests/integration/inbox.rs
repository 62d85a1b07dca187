//! Who sees and answers which customer (PERM-5, DIST-1, DIST-2, INBOX-1, INBOX-5), on SQLite
//! and PostgreSQL, with customers writing through the Cloud API simulator.

use crate::common::Client;
use crate::common::simulated::{Setup, reply, setup, staff_member};
use rapport_storage::testing;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A sales rep in the root department with the chat grants, logged in.
async fn sales_rep(s: &Setup, account: &str) -> (i64, Client) {
    staff_member(s, s.root, account, &["menu.chats", "dept.chats"], "sales_rep").await
}

async fn distribute(s: &Setup, mode: &str, staff: &[i64]) {
    let (status, body) = s
        .admin
        .put(&format!("/api/v1/numbers/{}/distribution", s.number), json!({"mode": mode, "staff_ids": staff}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"mode": mode, "staff_ids": staff, "notify_managers": false}));
}

fn responsible_by_customer(chats: &[Value]) -> Vec<(String, Option<i64>)> {
    let mut pairs: Vec<_> = chats
        .iter()
        .map(|c| (c["contact"]["wa_id"].as_str().unwrap().to_string(), c["responsible_staff_id"].as_i64()))
        .collect();
    pairs.sort();
    pairs
}

#[tokio::test]
async fn in_turn_hands_new_customers_round_the_list_skipping_disabled_staff() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (ana, ana_client) = sales_rep(&s, "ana@acme.test").await;
        let (bo, _) = sales_rep(&s, "bo@acme.test").await;
        let (cy, _) = sales_rep(&s, "cy@acme.test").await;
        distribute(&s, "in_turn", &[ana, bo, cy]).await;
        s.admin.patch(&format!("/api/v1/staff/{cy}"), json!({"status": "disabled"})).await;
        for n in 1..=4 {
            s.simulator.customer_writes(&format!("4477009000{n:02}"), &format!("Customer {n}"), "Hello").await.unwrap();
        }
        let chats = s.admin.all("/api/v1/conversations").await;
        assert_eq!(
            responsible_by_customer(&chats),
            [("447700900001", ana), ("447700900002", bo), ("447700900003", ana), ("447700900004", bo)]
                .map(|(c, s)| (c.to_string(), Some(s)))
        );
        // A sales rep sees their own customers and nobody else's.
        let mine = ana_client.all("/api/v1/conversations").await;
        assert_eq!(mine.len(), 2);
        assert!(mine.iter().all(|c| c["responsible_staff_id"] == ana));
        let others = chats.iter().find(|c| c["responsible_staff_id"] == bo).unwrap()["id"].as_i64().unwrap();
        let (status, _) = ana_client.get(&format!("/api/v1/conversations/{others}/messages")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another rep's customer is invisible, as if it did not exist");
        // A returning customer stays with their responsible person, whatever the turn.
        s.simulator.customer_writes("447700900001", "Customer 1", "Me again").await.unwrap();
        assert_eq!(responsible_by_customer(&s.admin.all("/api/v1/conversations").await)[0].1, Some(ana));
    }
}

#[tokio::test]
async fn first_responder_offers_the_chat_to_all_and_exactly_one_reply_wins() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (ana, ana_client) = sales_rep(&s, "ana@acme.test").await;
        let (bo, bo_client) = sales_rep(&s, "bo@acme.test").await;
        let (_, outsider) = sales_rep(&s, "cy@acme.test").await;
        distribute(&s, "first_responder", &[ana, bo]).await;
        s.simulator.customer_writes("447700900001", "New Customer", "Do you have it in red?").await.unwrap();
        let offered_to_ana = ana_client.all("/api/v1/conversations").await;
        assert_eq!(offered_to_ana.len(), 1, "offered to everyone on the list");
        assert_eq!(bo_client.all("/api/v1/conversations").await.len(), 1);
        assert!(outsider.all("/api/v1/conversations").await.is_empty(), "not offered to staff off the list");
        let id = offered_to_ana[0]["id"].as_i64().unwrap();
        let text = |who: &str| json!({"type": "text", "text": format!("{who} here, yes we do")});
        let (first, second) = tokio::join!(reply(&ana_client, id, text("Ana")), reply(&bo_client, id, text("Bo")));
        let statuses = [first.0, second.0];
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::CREATED).count(),
            1,
            "exactly one winner: {statuses:?}"
        );
        let winner = if first.0 == StatusCode::CREATED { ana } else { bo };
        let loser_status = if first.0 == StatusCode::CREATED { second.0 } else { first.0 };
        assert!(
            [StatusCode::CONFLICT, StatusCode::NOT_FOUND].contains(&loser_status),
            "the other reply is refused: {loser_status}"
        );
        let chat = &s.admin.all("/api/v1/conversations").await[0];
        assert_eq!(chat["responsible_staff_id"], winner);
        let sent = s.admin.all(&format!("/api/v1/conversations/{id}/messages")).await;
        assert_eq!(sent.iter().filter(|m| m["direction"] == "out").count(), 1, "only the winner's reply was queued");
        let loser_client = if winner == ana { &bo_client } else { &ana_client };
        assert!(loser_client.all("/api/v1/conversations").await.is_empty(), "the chat disappeared for the other");
    }
}

#[tokio::test]
async fn managers_assign_snooze_resolve_and_hand_over_customers_audited() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (ana, ana_client) = sales_rep(&s, "ana@acme.test").await;
        let (bo, bo_client) = sales_rep(&s, "bo@acme.test").await;
        s.simulator.customer_writes("447700900001", "Jane", "Hi").await.unwrap();
        s.simulator.customer_writes("447700900002", "Ivan", "Привет").await.unwrap();
        let chats = s.admin.all("/api/v1/conversations").await;
        let (jane, ivan) = (chats[1]["id"].as_i64().unwrap(), chats[0]["id"].as_i64().unwrap());
        assert!(ana_client.all("/api/v1/conversations").await.is_empty(), "no distribution: a rep sees nothing yet");
        for chat in [jane, ivan] {
            let (status, body) =
                s.admin.put(&format!("/api/v1/conversations/{chat}/assignee"), json!({"staff_id": ana})).await;
            assert_eq!((status, body["responsible_staff_id"].as_i64()), (StatusCode::OK, Some(ana)), "{body}");
        }
        assert_eq!(ana_client.all("/api/v1/conversations").await.len(), 2);
        // A sales rep cannot hand chats around.
        let (status, _) =
            ana_client.put(&format!("/api/v1/conversations/{jane}/assignee"), json!({"staff_id": bo})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Nobody outside the company or a disabled person can be made responsible.
        let (status, body) =
            s.admin.put(&format!("/api/v1/conversations/{jane}/assignee"), json!({"staff_id": 999_999})).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("staff_id")));
        // Snooze, then the customer writes and the chat is open again.
        let (status, body) = ana_client
            .patch(
                &format!("/api/v1/conversations/{jane}"),
                json!({"status": "snoozed", "snoozed_until": "2099-01-01T09:00:00Z"}),
            )
            .await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("snoozed")), "{body}");
        assert_eq!(ana_client.all("/api/v1/conversations?status=snoozed").await.len(), 1);
        assert_eq!(ana_client.all("/api/v1/conversations?status=open").await.len(), 1);
        s.simulator.customer_writes("447700900001", "Jane", "Still there?").await.unwrap();
        assert!(ana_client.all("/api/v1/conversations?status=snoozed").await.is_empty(), "a new message reopens it");
        let (status, body) =
            ana_client.patch(&format!("/api/v1/conversations/{ivan}"), json!({"status": "snoozed"})).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("snoozed_until"))
        );
        let (status, body) = ana_client
            .patch(&format!("/api/v1/conversations/{ivan}"), json!({"unanswered": false, "status": "resolved"}))
            .await;
        assert_eq!(
            (status, body["unanswered"].as_bool(), body["status"].as_str()),
            (StatusCode::OK, Some(false), Some("resolved"))
        );
        // Ana leaves: everything of hers goes to Bo.
        let (status, body) = s.admin.post(&format!("/api/v1/staff/{ana}/hand-over"), json!({"to_staff_id": bo})).await;
        assert_eq!((status, body["conversations"].as_u64()), (StatusCode::OK, Some(2)), "{body}");
        assert!(ana_client.all("/api/v1/conversations").await.is_empty());
        assert_eq!(bo_client.all("/api/v1/conversations").await.len(), 2);
        let audit = s.admin.all("/api/v1/audit-log").await;
        let actions: Vec<&str> = audit.iter().filter_map(|e| e["action"].as_str()).collect();
        for action in ["conversation.assign", "conversation.update", "staff.hand_over"] {
            assert!(actions.contains(&action), "{action} is audited: {actions:?}");
        }
    }
}

#[tokio::test]
async fn the_conversation_list_filters_by_kind_keyword_staff_and_age() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        s.simulator.customer_writes("447700900001", "Nguyễn Văn An", "Chào bạn").await.unwrap();
        s.simulator.customer_writes("447700900002", "Мария Иванова", "Здравствуйте").await.unwrap();
        s.simulator.customer_writes_in_group("120363025246125486", "447700900003", "Ana", "Hi all").await.unwrap();
        let names = |chats: Vec<Value>| -> Vec<String> {
            chats
                .iter()
                .map(|c| c["contact"]["name"].as_str().or(c["group"]["id"].as_str()).unwrap().to_string())
                .collect()
        };
        assert_eq!(names(s.admin.all("/api/v1/conversations?kind=group").await), ["120363025246125486"]);
        assert_eq!(s.admin.all("/api/v1/conversations?kind=direct").await.len(), 2);
        assert_eq!(names(s.admin.all("/api/v1/conversations?q=nguy").await), ["Nguyễn Văn An"]);
        assert_eq!(names(s.admin.all("/api/v1/conversations?q=900002").await), ["Мария Иванова"]);
        assert_eq!(s.admin.all("/api/v1/conversations?staff_id=none").await.len(), 3);
        assert!(s.admin.all("/api/v1/conversations?unanswered_minutes=60").await.is_empty(), "none waits an hour yet");
        assert_eq!(s.admin.all("/api/v1/conversations?unanswered_minutes=0").await.len(), 3);
        assert_eq!(s.admin.all("/api/v1/conversations?within_minutes=5").await.len(), 3);
        // Most recent activity first, page by page without repeats.
        let (_, first) = s.admin.get("/api/v1/conversations?limit=2").await;
        assert_eq!(first["items"][0]["kind"], "group", "the latest message comes first");
        let cursor = first["next_cursor"].as_str().unwrap();
        let (_, second) = s.admin.get(&format!("/api/v1/conversations?limit=2&cursor={cursor}")).await;
        assert_eq!(second["items"].as_array().unwrap().len(), 1);
        assert!(second["next_cursor"].is_null());
        for bad in ["kind=channel", "status=closed", "staff_id=anyone", "unanswered_minutes=-5", "cursor=xyz"] {
            let (status, body) = s.admin.get(&format!("/api/v1/conversations?{bad}")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        }
    }
}

#[tokio::test]
async fn the_bell_tells_the_right_people_and_reminders_come_back() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (ana, ana_client) = sales_rep(&s, "ana@acme.test").await;
        let (bo, bo_client) = sales_rep(&s, "bo@acme.test").await;
        let (_, cy_client) = sales_rep(&s, "cy@acme.test").await;
        distribute(&s, "first_responder", &[ana, bo]).await;
        s.simulator.customer_writes("447700900001", "Jane", "Hello?").await.unwrap();
        s.simulator.customer_writes("447700900001", "Jane", "Anyone there?").await.unwrap();
        for client in [&ana_client, &bo_client] {
            let mine = bell_until(client, |n| n.first().is_some_and(|n| n["count"] == 2)).await;
            assert_eq!(mine.len(), 1, "one notification per chat: {mine:?}");
            assert_eq!((mine[0]["kind"].as_str(), mine[0]["count"].as_i64()), (Some("new_customer"), Some(2)));
            assert_eq!(mine[0]["chat_name"], "Jane");
        }
        assert!(bell(&cy_client).await.is_empty(), "nobody else is told");
        // The list counts what each viewer has not read.
        assert_eq!(ana_client.all("/api/v1/conversations").await[0]["unread"], 2);
        assert_eq!(s.admin.all("/api/v1/conversations").await[0]["unread"], 0, "the admin was not told");
        // Ana answers: the customer is hers, and only she hears of the next message.
        let id = bell(&ana_client).await[0]["conversation_id"].as_i64().unwrap();
        let (status, _) = reply(&ana_client, id, json!({"type": "text", "text": "Hi Jane"})).await;
        assert_eq!(status, StatusCode::CREATED);
        // The chat is Ana's now: Bo, who no longer sees it, no longer hears of it either.
        assert!(bell(&bo_client).await.is_empty(), "a claimed chat leaves the others' bells at once");
        ana_client.post(&format!("/api/v1/conversations/{id}/read"), json!({})).await;
        assert!(bell(&ana_client).await.is_empty(), "opening the chat reads its notification");
        assert_eq!(ana_client.all("/api/v1/conversations").await[0]["unread"], 0);
        s.simulator.customer_writes("447700900001", "Jane", "Great, thanks").await.unwrap();
        assert_eq!(bell_until(&ana_client, |n| !n.is_empty()).await[0]["kind"], "message");
        assert!(bell(&bo_client).await.is_empty());
        // Someone else's notification is not there for you.
        let ana_note = bell(&ana_client).await[0]["id"].as_i64().unwrap();
        assert_eq!(
            bo_client.post(&format!("/api/v1/notifications/{ana_note}/dismiss"), json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        // Remind me: hidden now, back when due (the due time is set in the past here).
        let (status, body) =
            ana_client.post(&format!("/api/v1/notifications/{ana_note}/remind"), json!({"after": "next week"})).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("after")));
        assert_eq!(
            ana_client.post(&format!("/api/v1/notifications/{ana_note}/remind"), json!({"after": "15m"})).await.0,
            StatusCode::NO_CONTENT
        );
        assert!(bell(&ana_client).await.is_empty());
        rapport_storage::notifications::remind(&s.server.db, ana, ana_note, rapport_storage::now_ms() - 1)
            .await
            .unwrap();
        let back = bell_until(&ana_client, |n| !n.is_empty()).await;
        assert_eq!(back.len(), 1, "the reminder came back");
        assert_eq!(back[0]["kind"], "reminder");
        // Assigning tells the assignee.
        s.admin.put(&format!("/api/v1/conversations/{id}/assignee"), json!({"staff_id": bo})).await;
        let assigned = bell_until(&bo_client, |n| !n.is_empty()).await;
        assert_eq!(assigned[0]["kind"], "assigned");
        let notification = assigned[0]["id"].as_i64().unwrap();
        assert_eq!(
            bo_client.post(&format!("/api/v1/notifications/{notification}/dismiss"), json!({})).await.0,
            StatusCode::NO_CONTENT
        );
        assert!(bell(&bo_client).await.is_empty(), "dismissed");
    }
}

async fn bell(client: &Client) -> Vec<Value> {
    client.all("/api/v1/notifications").await
}

/// Notifications are written just after the webhook is answered: wait (up to 5 s) until
/// the bell shows what `ready` expects, and answer it.
async fn bell_until(client: &Client, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = bell(client).await;
        if ready(&seen) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    seen
}

#[tokio::test]
async fn managers_hear_of_every_message_only_when_the_number_says_so() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (ana, _) = sales_rep(&s, "ana@acme.test").await;
        let manager = s.admin.create_staff(s.root, "boss@acme.test", &["menu.chats", "dept.chats"]).await;
        s.admin.patch(&format!("/api/v1/staff/{manager}"), json!({"role": "manager"})).await;
        let mut boss = s.server.client();
        boss.login("boss@acme.test", "staff-password").await;
        distribute(&s, "in_turn", &[ana]).await;
        s.simulator.customer_writes("447700900001", "Jane", "Hello").await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(bell(&boss).await.is_empty(), "off: only the responsible person is told");
        let (status, body) = s
            .admin
            .put(
                &format!("/api/v1/numbers/{}/distribution", s.number),
                json!({"mode": "in_turn", "staff_ids": [ana], "notify_managers": true}),
            )
            .await;
        assert_eq!((status, body["notify_managers"].as_bool()), (StatusCode::OK, Some(true)), "{body}");
        s.simulator.customer_writes("447700900001", "Jane", "Hello again").await.unwrap();
        let told = bell_until(&boss, |n| !n.is_empty()).await;
        assert_eq!(
            (told.len(), told[0]["chat_name"].as_str()),
            (1, Some("Jane")),
            "on: the manager who sees it is told"
        );
    }
}

/// A sales rep in `department`, logged in.
async fn rep_in(s: &Setup, department: i64, account: &str) -> (i64, Client) {
    staff_member(s, department, account, &["menu.chats"], "sales_rep").await
}

#[tokio::test]
async fn in_a_three_level_tree_everyone_sees_and_writes_exactly_what_their_role_allows() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        // Acme ─ Sales ─ Team A; the number belongs to Team A.
        let sales = s.admin.create_department(s.root, "Sales").await;
        let team = s.admin.create_department(sales, "Team A").await;
        let (status, body) =
            s.admin.patch(&format!("/api/v1/numbers/{}", s.number), json!({"department_id": team})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut reps = Vec::new();
        for n in 1..=5 {
            reps.push(rep_in(&s, team, &format!("rep{n}@acme.test")).await);
        }
        let manager = s.admin.create_staff(sales, "boss@acme.test", &["menu.chats"]).await;
        s.admin.patch(&format!("/api/v1/staff/{manager}"), json!({"role": "manager"})).await;
        let qc = s.admin.create_staff(sales, "qc@acme.test", &["menu.chats"]).await;
        s.admin.patch(&format!("/api/v1/staff/{qc}"), json!({"role": "quality_control"})).await;
        let (mut boss, mut quality) = (s.server.client(), s.server.client());
        boss.login("boss@acme.test", "staff-password").await;
        quality.login("qc@acme.test", "staff-password").await;
        let rep_ids: Vec<i64> = reps.iter().map(|(id, _)| *id).collect();
        distribute(&s, "in_turn", &rep_ids).await;
        // 100 new customers, handed out in turn.
        for n in 0..100 {
            s.simulator.customer_writes(&format!("4477009{n:05}"), &format!("Customer {n}"), "Hello").await.unwrap();
        }
        let everything = s.admin.all("/api/v1/conversations").await;
        assert_eq!(everything.len(), 100);
        for (id, client) in &reps {
            let mine = client.all("/api/v1/conversations").await;
            assert_eq!(mine.len(), 20, "round robin spreads 100 customers evenly over 5 reps");
            assert!(mine.iter().all(|c| c["responsible_staff_id"] == *id), "a rep sees only their own customers");
        }
        assert_eq!(boss.all("/api/v1/conversations").await.len(), 100, "the manager sees the whole subtree");
        assert_eq!(quality.all("/api/v1/conversations").await.len(), 100, "quality control reads everything");
        // Writing: a rep to their own customer yes, to a colleague's no (404, as if absent);
        // the manager anywhere in scope; quality control never.
        let (rep1, rep1_client) = &reps[0];
        let own = everything.iter().find(|c| c["responsible_staff_id"] == *rep1).unwrap()["id"].as_i64().unwrap();
        let other = everything.iter().find(|c| c["responsible_staff_id"] == reps[1].0).unwrap()["id"].as_i64().unwrap();
        let text = json!({"type": "text", "text": "Hello from us"});
        assert_eq!(reply(rep1_client, own, text.clone()).await.0, StatusCode::CREATED);
        assert_eq!(reply(rep1_client, other, text.clone()).await.0, StatusCode::NOT_FOUND);
        assert_eq!(reply(&boss, other, text.clone()).await.0, StatusCode::CREATED);
        assert_eq!(reply(&quality, other, text.clone()).await.0, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn five_reps_replying_at_once_to_a_new_customer_leave_exactly_one_responsible() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let mut reps = Vec::new();
        for n in 1..=5 {
            reps.push(rep_in(&s, s.root, &format!("rep{n}@acme.test")).await);
        }
        let rep_ids: Vec<i64> = reps.iter().map(|(id, _)| *id).collect();
        distribute(&s, "first_responder", &rep_ids).await;
        s.simulator.customer_writes("447700900001", "Jane", "Who can help me?").await.unwrap();
        let id = reps[0].1.all("/api/v1/conversations").await[0]["id"].as_i64().unwrap();
        let replies = reps.iter().map(|(_, client)| reply(client, id, json!({"type": "text", "text": "Me!"})));
        let statuses: Vec<StatusCode> =
            futures_util::future::join_all(replies).await.into_iter().map(|(s, _)| s).collect();
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 1, "{statuses:?}");
        let chat = &s.admin.all("/api/v1/conversations").await[0];
        let winner = rep_ids[statuses.iter().position(|s| *s == StatusCode::CREATED).unwrap()];
        assert_eq!(chat["responsible_staff_id"], winner);
        let outbound = s.admin.all(&format!("/api/v1/conversations/{id}/messages")).await;
        assert_eq!(
            outbound.iter().filter(|m| m["direction"] == "out").count(),
            1,
            "only the winner's reply was queued"
        );
    }
}

#[tokio::test]
async fn saved_views_belong_to_their_owner() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (_, rep) = sales_rep(&s, "ana@acme.test").await;
        let view = json!({"name": "Waiting groups", "filters": {"kind": "group", "unanswered": true}});
        let (status, saved) = s.admin.post("/api/v1/views", view.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{saved}");
        assert_eq!(saved["href"], "/chats?kind=group&unanswered=1");
        assert_eq!(s.admin.post("/api/v1/views", view).await.0, StatusCode::CONFLICT, "names are unique per person");
        let (status, body) =
            s.admin.post("/api/v1/views", json!({"name": "Odd", "filters": {"kind": "channel"}})).await;
        assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("filters.kind")));
        assert!(rep.all("/api/v1/views").await.is_empty(), "views are personal");
        let id = saved["id"].as_i64().unwrap();
        assert_eq!(rep.delete(&format!("/api/v1/views/{id}")).await.0, StatusCode::NOT_FOUND);
        assert_eq!(s.admin.delete(&format!("/api/v1/views/{id}")).await.0, StatusCode::NO_CONTENT);
        assert!(s.admin.all("/api/v1/views").await.is_empty());
    }
}

#[tokio::test]
async fn one_conversation_reads_as_in_the_list_and_outside_the_scope_as_absent() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (ana, ana_client) = sales_rep(&s, "ana@acme.test").await;
        let (bo, _) = sales_rep(&s, "bo@acme.test").await;
        distribute(&s, "in_turn", &[ana, bo]).await;
        s.simulator.customer_writes("447700900001", "Customer 1", "Hello").await.unwrap();
        s.simulator.customer_writes("447700900002", "Customer 2", "Hello").await.unwrap();
        let chats = s.admin.all("/api/v1/conversations").await;
        let mine = chats.iter().find(|c| c["responsible_staff_id"] == ana).unwrap();
        let others = chats.iter().find(|c| c["responsible_staff_id"] == bo).unwrap();
        let (status, one) = ana_client.get(&format!("/api/v1/conversations/{}", mine["id"])).await;
        assert_eq!(status, StatusCode::OK, "{one}");
        for key in ["id", "contact", "number_id", "responsible_staff_id", "unanswered", "window_open", "status"] {
            assert_eq!(one[key], mine[key], "{key}");
        }
        assert_eq!((one["kind"].as_str(), one["contact"]["wa_id"].as_str()), (Some("direct"), Some("447700900001")));
        let (status, body) = ana_client.get(&format!("/api/v1/conversations/{}", others["id"])).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
        assert_eq!(ana_client.get("/api/v1/conversations/999999").await.0, StatusCode::NOT_FOUND);
    }
}

/// Ana (a sales rep) and Mo (her manager) in Sales; the number is the root department's, so
/// Mo's reach (Sales) covers Ana and her customers but not the number's chats. Jane writes
/// and becomes Ana's; answers (ana, mo, Mo logged in, Jane's contact id).
async fn a_rep_and_a_manager_in_sales(s: &Setup) -> (i64, i64, Client, i64) {
    let sales = s.admin.create_department(s.root, "Sales").await;
    let (ana, _) = rep_in(s, sales, "ana@acme.test").await;
    let (mo, mo_client) = staff_member(s, sales, "mo@acme.test", &["menu.chats", "menu.contacts"], "manager").await;
    distribute(s, "in_turn", &[ana]).await;
    s.simulator.customer_writes("447700900001", "Jane", "Hello").await.unwrap();
    let chats = s.admin.all("/api/v1/conversations").await;
    assert_eq!(chats[0]["responsible_staff_id"], ana);
    assert!(mo_client.all("/api/v1/conversations").await.is_empty(), "the chat is outside Mo's reach");
    (ana, mo, mo_client, chats[0]["contact"]["id"].as_i64().unwrap())
}

/// A hand-over moves only what the caller sees: a manager taking over a rep's customers gets the
/// customers in their reach, never the rep's chats on a number outside it.
#[tokio::test]
async fn a_hand_over_moves_only_the_chats_the_caller_sees() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (ana, mo, mo_client, _) = a_rep_and_a_manager_in_sales(&s).await;
        let (status, body) =
            mo_client.post(&format!("/api/v1/staff/{ana}/hand-over"), json!({"to_staff_id": mo})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!((body["conversations"].as_u64(), body["customers"].as_u64()), (Some(0), Some(1)), "{body}");
        let chats = s.admin.all("/api/v1/conversations").await;
        assert_eq!(chats[0]["responsible_staff_id"], ana, "the chat Mo cannot see stays with Ana");
    }
}

/// The customer card shows the chats its reader may open, not every chat of the customer.
#[tokio::test]
async fn a_customer_cards_timeline_lists_only_the_chats_its_reader_sees() {
    for db in testing::all_backends().await {
        let s = setup(db).await;
        let (_, _, mo_client, jane) = a_rep_and_a_manager_in_sales(&s).await;
        let (status, card) = mo_client.get(&format!("/api/v1/contacts/{jane}")).await;
        assert_eq!(status, StatusCode::OK, "Mo sees Ana's customer: {card}");
        let (status, timeline) = mo_client.get(&format!("/api/v1/contacts/{jane}/timeline")).await;
        assert_eq!(status, StatusCode::OK, "{timeline}");
        assert_eq!(timeline["items"], json!([]), "no chat, and no last message, outside Mo's reach");
        let (_, timeline) = s.admin.get(&format!("/api/v1/contacts/{jane}/timeline")).await;
        assert_eq!(timeline["items"][0]["kind"], "conversation", "the administrator sees the chat");
    }
}
