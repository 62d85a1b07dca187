//! Storage behaviour, run against every configured backend (SQLite always, PostgreSQL when
//! `RAPPORT_TEST_POSTGRES_URL` is set).

mod common;

use common::{Company, company, member, scope_of};
use rapport_domain::Refusal;
use rapport_domain::status::StaffStatus;
use rapport_domain::visibility::{StaffRef, can_see_department, can_see_staff};
use rapport_domain::{Grant, GrantSet};
use rapport_storage::departments::{self, DepartmentChanges, NewDepartment};
use rapport_storage::staff::{self, NewStaff, StaffChanges, StaffFilter};
use rapport_storage::{Db, Scope, StorageError, companies, sessions, testing, throttle};

async fn dept(db: &Db, c: &Company, parent: i64, name: &str) -> i64 {
    departments::create(db, &c.scope, &c.actor, NewDepartment { parent_id: parent, name, introduction: "" })
        .await
        .unwrap()
        .id
}

async fn visible_ids(db: &Db, scope: &Scope) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = staff::list(db, scope, &StaffFilter::default(), cursor, 3).await.unwrap();
        ids.extend(page.items.iter().map(|s| s.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return ids,
        }
    }
}

/// PERM-6: the SQL filter answers exactly what the pure rule answers, for every viewer.
#[tokio::test]
async fn scoped_staff_lists_match_the_pure_visibility_rule() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &format!("admin-{:?}@acme", db.backend())).await;
        let other = company(&db, "Other", &format!("admin-{:?}@other", db.backend())).await;
        // A four-level tree: root > sales > east > east-a, root > support.
        let sales = dept(&db, &c, c.root, "Sales").await;
        let east = dept(&db, &c, sales, "East").await;
        let east_a = dept(&db, &c, east, "East A").await;
        let support = dept(&db, &c, c.root, "Support").await;
        let b = db.backend();
        let grant_sets: [&[Grant]; 4] =
            [&[], &[Grant::DeptStaff], &[Grant::SubdeptStaff], &[Grant::DeptStaff, Grant::SubdeptStaff]];
        let mut members = vec![];
        for (i, d) in [sales, east, east_a, support, sales, east].into_iter().enumerate() {
            let grants = grant_sets[i % grant_sets.len()];
            members.push(member(&db, &c, d, &format!("s{i}-{b:?}@acme"), grants).await);
        }
        member(&db, &other, other.root, &format!("stranger-{b:?}@other"), &[Grant::DeptStaff]).await;

        let tree = departments::tree(&db, c.scope.company_id()).await.unwrap();
        let everyone = staff::list(&db, &c.scope, &StaffFilter::default(), None, 100).await.unwrap().items;
        assert_eq!(everyone.len(), 7, "the admin sees all of their company and nobody else");
        let refs: Vec<StaffRef> = everyone
            .iter()
            .map(|s| StaffRef { id: s.id, company_id: s.company_id, department_id: s.department_id })
            .collect();
        for viewer_id in members.iter().copied().chain([c.scope.viewer.staff_id]) {
            let scope = scope_of(&db, c.scope.company_id(), viewer_id).await;
            let expected: Vec<i64> =
                refs.iter().filter(|s| can_see_staff(&scope.viewer, s, &tree)).map(|s| s.id).collect();
            assert_eq!(visible_ids(&db, &scope).await, expected, "{b:?} viewer {viewer_id}");
            let depts: Vec<i64> = departments::list(&db, &scope).await.unwrap().iter().map(|d| d.id).collect();
            let mut expected_depts: Vec<i64> =
                tree.ids().filter(|d| can_see_department(&scope.viewer, scope.company_id(), *d, &tree)).collect();
            expected_depts.sort();
            let mut got = depts.clone();
            got.sort();
            assert_eq!(got, expected_depts, "{b:?} departments of viewer {viewer_id}");
            for id in &expected {
                staff::get(&db, &scope, *id).await.unwrap();
            }
            for hidden in refs.iter().filter(|s| !expected.contains(&s.id)) {
                assert!(matches!(staff::get(&db, &scope, hidden.id).await, Err(StorageError::NotFound)));
            }
        }
        // Another company's records are never found.
        assert!(matches!(staff::get(&db, &c.scope, other.scope.viewer.staff_id).await, Err(StorageError::NotFound)));
        assert!(matches!(departments::get(&db, &c.scope, other.root).await, Err(StorageError::NotFound)));
    }
}

#[tokio::test]
async fn staff_search_filters_by_text_department_subtree_and_status() {
    for db in testing::all_backends().await {
        let b = db.backend();
        let c = company(&db, "Acme", &format!("root-{b:?}@acme")).await;
        let sales = dept(&db, &c, c.root, "Sales").await;
        let east = dept(&db, &c, sales, "East").await;
        let ann = member(&db, &c, sales, &format!("ann-{b:?}@acme"), &[]).await;
        let bob = member(&db, &c, east, &format!("bob-{b:?}@acme"), &[]).await;
        let list = |f: StaffFilter| {
            let db = db.clone();
            let scope = c.scope.clone();
            async move {
                staff::list(&db, &scope, &f, None, 50).await.unwrap().items.iter().map(|s| s.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(list(StaffFilter { q: Some("ANN".into()), ..Default::default() }).await, vec![ann]);
        assert_eq!(list(StaffFilter { q: Some("%".into()), ..Default::default() }).await, Vec::<i64>::new());
        assert_eq!(list(StaffFilter { department_id: Some(sales), ..Default::default() }).await, vec![ann]);
        assert_eq!(
            list(StaffFilter { department_id: Some(sales), include_subdepartments: true, ..Default::default() }).await,
            vec![ann, bob]
        );
        let disable = StaffChanges { status: Some(StaffStatus::Disabled), ..Default::default() };
        staff::update(&db, &c.scope, &c.actor, bob, disable, None).await.unwrap();
        assert_eq!(list(StaffFilter { status: Some(StaffStatus::Disabled), ..Default::default() }).await, vec![bob]);
    }
}

#[tokio::test]
async fn moving_a_department_moves_its_subtree_and_refuses_cycles() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &format!("mover-{:?}@acme", db.backend())).await;
        let sales = dept(&db, &c, c.root, "Sales").await;
        let east = dept(&db, &c, sales, "East").await;
        let east_a = dept(&db, &c, east, "East A").await;
        let support = dept(&db, &c, c.root, "Support").await;
        let into_own = DepartmentChanges { parent_id: Some(east_a), ..Default::default() };
        assert!(matches!(
            departments::update(&db, &c.scope, &c.actor, sales, into_own).await,
            Err(StorageError::Refused(Refusal::MoveIntoOwnSubtree))
        ));
        let moved = departments::update(
            &db,
            &c.scope,
            &c.actor,
            east,
            DepartmentChanges { parent_id: Some(support), name: Some("East (support)".into()), ..Default::default() },
        )
        .await
        .unwrap();
        assert_eq!(moved.path, format!("/{}/{support}/{east}/", c.root));
        assert_eq!(moved.name, "East (support)");
        let leaf = departments::get(&db, &c.scope, east_a).await.unwrap();
        assert_eq!(leaf.path, format!("/{}/{support}/{east}/{east_a}/", c.root));
        let tree = departments::tree(&db, c.scope.company_id()).await.unwrap();
        assert_eq!(tree.path(east_a), leaf.path, "materialised path agrees with the parent links");
    }
}

#[tokio::test]
async fn deleting_is_refused_for_the_root_and_departments_in_use() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &format!("deleter-{:?}@acme", db.backend())).await;
        let sales = dept(&db, &c, c.root, "Sales").await;
        let east = dept(&db, &c, sales, "East").await;
        member(&db, &c, east, &format!("e-{:?}@acme", db.backend()), &[]).await;
        let refusal = |r: Result<(), StorageError>| match r {
            Err(StorageError::Refused(refusal)) => refusal.code(),
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(refusal(departments::delete(&db, &c.scope, &c.actor, c.root).await), "root_cannot_be_deleted");
        assert_eq!(refusal(departments::delete(&db, &c.scope, &c.actor, sales).await), "department_has_subdepartments");
        assert_eq!(refusal(departments::delete(&db, &c.scope, &c.actor, east).await), "department_has_staff");
        let empty = dept(&db, &c, sales, "Empty").await;
        departments::delete(&db, &c.scope, &c.actor, empty).await.unwrap();
        assert!(matches!(departments::get(&db, &c.scope, empty).await, Err(StorageError::NotFound)));
        let log = rapport_storage::audit::list(&db, c.scope.company_id(), None, 50).await.unwrap();
        assert_eq!(log.items[0].action, "department.delete");
        assert!(log.items[0].before_json.as_deref().unwrap_or("").contains("Empty"));
    }
}

#[tokio::test]
async fn new_staff_receive_their_departments_default_grants() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &format!("defaults-{:?}@acme", db.backend())).await;
        let sales = dept(&db, &c, c.root, "Sales").await;
        let defaults = GrantSet::EMPTY.with(Grant::MenuChats).with(Grant::FuncWorkspace);
        departments::set_default_grants(&db, &c.scope, &c.actor, sales, defaults).await.unwrap();
        let s = staff::create(
            &db,
            &c.scope,
            &c.actor,
            NewStaff {
                department_id: sales,
                account: &format!("new-{:?}@acme", db.backend()),
                name: "New",
                nickname: "",
                notes: "",
                password_hash: "x",
            },
        )
        .await
        .unwrap();
        assert_eq!(s.grants(), defaults);
        assert_eq!(s.creator_id, c.scope.viewer.staff_id.into());
        // A sub-department created later inherits its parent's defaults.
        let east = dept(&db, &c, sales, "East").await;
        assert_eq!(departments::get(&db, &c.scope, east).await.unwrap().default_grants(), defaults);
    }
}

#[tokio::test]
async fn accounts_are_unique_across_the_installation() {
    for db in testing::all_backends().await {
        let account = format!("dup-{:?}@acme", db.backend());
        company(&db, "Acme", &account).await;
        let again =
            companies::create(&db, "Other", companies::NewAdmin { account: &account, name: "A", password_hash: "x" })
                .await;
        assert!(matches!(again, Err(StorageError::Refused(Refusal::AccountTaken))), "{again:?}");
    }
}

#[tokio::test]
async fn disabling_or_a_new_password_ends_sessions() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &format!("sess-{:?}@acme", db.backend())).await;
        let id = member(&db, &c, c.root, &format!("agent-{:?}@acme", db.backend()), &[]).await;
        let far = rapport_storage::now_ms() + 60_000;
        sessions::create(&db, "h1", id, "csrf", far).await.unwrap();
        sessions::create(&db, "h2", id, "csrf", far).await.unwrap();
        assert!(sessions::lookup(&db, "h1", rapport_storage::now_ms()).await.unwrap().is_some());
        let new_password = StaffChanges { password_hash: Some("y".into()), ..Default::default() };
        staff::update(&db, &c.scope, &c.actor, id, new_password, Some("h2")).await.unwrap();
        assert!(sessions::lookup(&db, "h1", rapport_storage::now_ms()).await.unwrap().is_none());
        assert!(sessions::lookup(&db, "h2", rapport_storage::now_ms()).await.unwrap().is_some(), "kept");
        let disable = StaffChanges { status: Some(StaffStatus::Disabled), ..Default::default() };
        staff::update(&db, &c.scope, &c.actor, id, disable, None).await.unwrap();
        assert!(sessions::lookup(&db, "h2", rapport_storage::now_ms()).await.unwrap().is_none());
        // Expired sessions are not found either.
        sessions::create(&db, "old", c.scope.viewer.staff_id, "csrf", 1).await.unwrap();
        assert!(sessions::lookup(&db, "old", rapport_storage::now_ms()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn throttling_locks_after_repeated_failures_and_clears() {
    for db in testing::all_backends().await {
        let key = format!("account:{:?}", db.backend());
        let now = 1_000_000;
        for i in 0..4 {
            assert_eq!(throttle::record_failure(&db, &key, now + i).await.unwrap(), None);
        }
        let locked = throttle::record_failure(&db, &key, now + 5).await.unwrap().expect("locked on the 5th");
        assert_eq!(locked, now + 5 + 30_000);
        assert_eq!(throttle::locked_until(&db, &key, now + 6).await.unwrap(), Some(locked));
        assert_eq!(throttle::locked_until(&db, &key, locked + 1).await.unwrap(), None);
        throttle::clear(&db, &key).await.unwrap();
        assert_eq!(throttle::record_failure(&db, &key, now + 7).await.unwrap(), None);
    }
}

/// Sends of one conversation leave one after another, in the order they were queued, while
/// other conversations' sends go meanwhile.
#[tokio::test]
async fn sends_of_a_chat_are_claimed_in_order_and_chats_side_by_side() {
    use rapport_storage::outbox::{self, NewSend};
    use rapport_storage::write_first::{self, Recipient};
    use rapport_storage::{jobs, numbers, secrets::SecretBox};
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", "admin@acme.test").await;
        let secrets = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let new = numbers::NewNumber {
            phone_number_id: "1001",
            waba_id: "2002",
            display_phone_number: "",
            verified_name: "",
            access_token: "t",
            app_secret: "s",
            verify_token: "",
            owner_staff_id: None,
            department_id: c.root,
            sync: rapport_domain::sync::SyncFilter::All,
        };
        let number = numbers::create(&db, &c.scope, &c.actor, &secrets, new).await.unwrap().id;
        let mut chats = Vec::new();
        for wa_id in ["447911000001", "447911000002"] {
            let recipient = Recipient { wa_id, name: None };
            chats.push(write_first::start(&db, &c.scope, &c.actor, Some(number), recipient).await.unwrap().0.id);
        }
        let payload = serde_json::json!({"type": "text"});
        let send = |conversation_id| NewSend {
            company_id: c.scope.company_id(),
            conversation_id,
            number_id: number,
            kind: "text",
            text: Some("hi"),
            reply_to: None,
            payload: &payload,
            staff_id: None,
            only_if_mine: false,
            automatic: None,
        };
        let first = outbox::enqueue(&db, send(chats[0])).await.unwrap();
        let second = outbox::enqueue(&db, send(chats[0])).await.unwrap();
        let other = outbox::enqueue(&db, send(chats[1])).await.unwrap();
        let claim = || jobs::claim(&db, outbox::KIND, 60_000);
        let job = claim().await.unwrap().expect("the first send is due");
        assert_eq!(job.message_id, first);
        let next = claim().await.unwrap().expect("another chat's send goes meanwhile");
        assert_eq!(next.message_id, other, "the chat's second send waits for its first");
        assert!(claim().await.unwrap().is_none());
        outbox::complete(&db, &job, "wamid.first").await.unwrap();
        assert_eq!(claim().await.unwrap().map(|j| j.message_id), Some(second));
    }
}

/// SQLite's write-ahead log reaches the database file within seconds, by the background
/// checkpointer (no commit does it any more): the main file alone, copied without its log,
/// holds a company created a moment before.
#[tokio::test]
async fn sqlite_commits_reach_the_database_file_within_seconds() {
    let dir = std::env::temp_dir().join(format!("rapport_wal_test_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.join("live.db").display())).await.unwrap();
    let created = companies::create(
        &db,
        "Checkpointed",
        companies::NewAdmin { account: "a@x.test", name: "A", password_hash: "x" },
    )
    .await
    .unwrap();
    let copied_alone = dir.join("copy.db");
    let mut found = false;
    for _ in 0..80 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        std::fs::copy(dir.join("live.db"), &copied_alone).unwrap();
        // A copy taken in the middle of a checkpoint may not open; the next one will.
        if let Ok(copy) = Db::connect(&format!("sqlite://{}", copied_alone.display())).await {
            found = companies::settings(&copy, created.company_id).await.is_ok();
            copy.close().await;
        }
        let _ = std::fs::remove_file(dir.join("copy.db-wal"));
        let _ = std::fs::remove_file(dir.join("copy.db-shm"));
        if found {
            break;
        }
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(found, "the company never reached the database file");
}

/// Expired sessions and spent login counters are swept; live ones stay (both backends).
#[tokio::test]
async fn expired_sessions_and_spent_login_counters_are_swept() {
    for db in testing::all_backends().await {
        let c = company(&db, "Acme", &format!("sweep-{:?}@acme", db.backend())).await;
        let id = member(&db, &c, c.root, &format!("sweeper-{:?}@acme", db.backend()), &[]).await;
        let now = rapport_storage::now_ms();
        sessions::create(&db, "old", id, "csrf", now - 1).await.unwrap();
        sessions::create(&db, "live", id, "csrf", now + 60_000).await.unwrap();
        assert_eq!(sessions::purge_expired(&db, now).await.unwrap(), 1);
        assert!(sessions::lookup(&db, "live", now).await.unwrap().is_some(), "a live session stays");
        let long_ago = now - rapport_domain::throttle::WINDOW_MS - 1;
        throttle::record_failure(&db, "account:old", long_ago).await.unwrap();
        throttle::record_failure(&db, "account:recent", now).await.unwrap();
        assert_eq!(throttle::purge(&db, now).await.unwrap(), 1, "only the spent counter goes");
        // The recent failure still counts toward the next lock.
        let mut lock = None;
        for _ in 0..10 {
            lock = lock.or(throttle::record_failure(&db, "account:recent", now).await.unwrap());
        }
        assert!(lock.is_some(), "the kept counter went on counting");
    }
}
