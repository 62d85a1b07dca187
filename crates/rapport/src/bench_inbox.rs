//! PERF-3 and PERF-4: the conversation list and chat-history search through the real server
//! over a generated inbox (by default 1 M conversations and 10 M messages, 500 staff in a
//! 5-level tree, one number per department), for a sales rep, a manager with sub-department
//! scope and an admin.

use crate::bench::{Row, fetch, login, time_pages};
use anyhow::{Result, anyhow};
use rapport_app::Settings;
use rapport_domain::sync::SyncFilter;
use rapport_domain::{Grant, GrantSet, Role};
use rapport_storage::numbers::{self, NewNumber};
use rapport_storage::secrets::SecretBox;
use rapport_storage::staff::{self, NewStaff, StaffChanges};
use rapport_storage::{Db, generate, now_ms, search};
use std::time::Instant;

/// Departments per level (100 in all).
const LEVELS: [usize; 5] = [1, 4, 12, 36, 47];
const STAFF: usize = 500;

pub struct Size {
    pub conversations: u64,
    pub messages: u64,
    pub requests: usize,
}

pub async fn run(backend: &'static str, db: Db, size: &Size) -> Result<Vec<Row>> {
    let started = Instant::now();
    let accounts = seed(&db, size).await?;
    tracing::info!(backend, seconds = started.elapsed().as_secs_f32(), "generated the inbox");
    let indexing = Instant::now();
    while search::index_pending(&db).await? > 0 {}
    tracing::info!(backend, seconds = indexing.elapsed().as_secs_f32(), "search index ready");

    let config = Settings { send_workers: 0, media_workers: 0, ..Settings::default() };
    let served = crate::bench::Served::start(&db, config).await?;
    let base = served.base.clone();
    let mut rows = Vec::new();
    for (who, account) in
        [("sales rep", &accounts.rep), ("manager, sub-departments", &accounts.manager), ("admin", &accounts.admin)]
    {
        let client = login(&base, account).await?;
        rows.push(
            time_pages(
                backend,
                format!("list, first page — {who}"),
                &client,
                &format!("{base}/api/v1/conversations?limit=20"),
                size.requests,
            )
            .await?,
        );
    }
    let admin = login(&base, &accounts.admin).await?;
    let mut cursor = String::new();
    for _ in 0..499 {
        let page = fetch(&admin, &format!("{base}/api/v1/conversations?limit=20&cursor={cursor}")).await?;
        cursor = page["next_cursor"].as_str().ok_or_else(|| anyhow!("fewer than 500 pages"))?.to_string();
    }
    let page_500 = format!("{base}/api/v1/conversations?limit=20&cursor={cursor}");
    rows.push(time_pages(backend, "list, page 500 — admin".into(), &admin, &page_500, size.requests).await?);
    let manager = login(&base, &accounts.manager).await?;
    // Common words in each language, a Chinese word of two characters (below the trigram
    // index's reach: scanned newest first) and a rare one (a message number, ~100 matches).
    for (what, q) in [
        ("search “куртка” (Russian)", "куртка"),
        ("search “外套” (Chinese, 2 characters)", "外套"),
        ("search “还有货” (Chinese)", "还有货"),
        ("search “áo khoác” (Vietnamese)", "áo khoác"),
        ("search “geaca” (Romanian)", "geaca"),
        ("search “jacket”", "jacket"),
        ("search “#12345” (rare)", "#12345"),
    ] {
        for (who, client) in [("manager", &manager), ("admin", &admin)] {
            let url = reqwest::Url::parse_with_params(
                &format!("{base}/api/v1/search/messages"),
                [("limit", "20"), ("q", q)],
            )?;
            rows.push(time_pages(backend, format!("{what} — {who}"), client, url.as_str(), size.requests).await?);
        }
    }
    served.stop().await;
    db.close().await;
    Ok(rows)
}

struct Accounts {
    rep: String,
    manager: String,
    admin: String,
}

async fn seed(db: &Db, size: &Size) -> Result<Accounts> {
    let seeded = crate::bench::seed_company(db, "Bench Inbox", ("agent", "inbox.bench"), &LEVELS, STAFF).await?;
    let crate::bench::Seeded { company_id, scope, actor, levels, staff_ids, password_hash: hash } = seeded;
    let all: Vec<i64> = levels.iter().flatten().copied().collect();
    let secrets = SecretBox::from_base64(&SecretBox::generate_key()).map_err(|e| anyhow!("{e}"))?;
    let mut numbers = Vec::with_capacity(all.len());
    for (i, department_id) in all.iter().enumerate() {
        let phone_number_id = format!("90000{i:04}");
        let new = NewNumber {
            phone_number_id: &phone_number_id,
            waba_id: "bench-waba",
            display_phone_number: "",
            verified_name: "",
            access_token: "token",
            app_secret: "secret",
            verify_token: "",
            owner_staff_id: None,
            department_id: *department_id,
            sync: SyncFilter::All,
        };
        numbers.push((numbers::create(db, &scope, &actor, &secrets, new).await?.id, *department_id));
    }
    let spec = generate::InboxSpec {
        company_id,
        numbers: &numbers,
        staff: &staff_ids,
        conversations: size.conversations,
        messages: size.messages,
        start_ms: now_ms() - size.messages as i64 * 1000,
    };
    generate::inbox(db, &spec).await?;
    // A rep (responsible for their share), and the head of the first division as manager.
    let rep = staff_ids[0];
    let chats: GrantSet = [Grant::MenuChats].into_iter().collect();
    let as_rep = StaffChanges { role: Some(Some(Role::SalesRep)), grants: Some(chats), ..Default::default() };
    staff::update(db, &scope, &actor, rep, as_rep, None).await?;
    let division = levels[1][0];
    let (account, name) = ("boss@inbox.bench", "Boss");
    let manager = staff::create(
        db,
        &scope,
        &actor,
        NewStaff { department_id: division, account, name, nickname: "", notes: "", password_hash: &hash },
    )
    .await?;
    let as_manager =
        StaffChanges { role: Some(Some(Role::Manager)), grants: Some(Role::Manager.preset()), ..Default::default() };
    staff::update(db, &scope, &actor, manager.id, as_manager, None).await?;
    Ok(Accounts { rep: "agent0@inbox.bench".into(), manager: account.into(), admin: "admin@inbox.bench".into() })
}
