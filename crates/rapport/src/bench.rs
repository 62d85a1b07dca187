//! Benchmarks that print a table of figures. They run the real server on a local port over a
//! fresh database per backend, so they measure what a browser would wait for.

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use rapport_app::Settings;
use rapport_domain::{Grant, GrantSet};
use rapport_server::{ServerConfig, hash_password};
use rapport_storage::audit::Actor;
use rapport_storage::departments::{self, NewDepartment};
use rapport_storage::staff::{self, NewStaff, StaffChanges};
use rapport_storage::{Db, Scope, companies, testing};
use std::io::Write;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The staff list through the API for a viewer with sub-department scope, in a company of
    /// 5,000 staff in a 6-level tree of 500 departments; SQLite, and PostgreSQL when a URL is given.
    StaffList {
        /// PostgreSQL server to measure too (a fresh schema is created in it).
        #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
        postgres_url: Option<String>,
        /// Timed requests per query.
        #[arg(long, default_value_t = 300)]
        requests: usize,
    },
    /// PERF-3 and PERF-4: the conversation list and chat-history search over a generated inbox
    /// (1 M conversations, 10 M messages, 500 staff in a 5-level tree by default); SQLite, and
    /// PostgreSQL when a URL is given.
    Inbox {
        #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
        postgres_url: Option<String>,
        #[arg(long, default_value_t = 1_000_000)]
        conversations: u64,
        #[arg(long, default_value_t = 10_000_000)]
        messages: u64,
        /// Timed requests per query.
        #[arg(long, default_value_t = 200)]
        requests: usize,
    },
    /// PERF-5: contacts — import a generated CSV through the real import path, export it all to
    /// CSV and XLSX (time and peak RSS), then the filtered list and the quick search through the
    /// API for a sales rep and an admin; SQLite, and PostgreSQL when a URL is given.
    Contacts {
        #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
        postgres_url: Option<String>,
        /// Rows in the generated CSV.
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Timed requests per query.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Measure PostgreSQL alone.
        #[arg(long)]
        skip_sqlite: bool,
    },
    /// PERF-2: customers' webhooks at a fixed rate while an agent's live WebSocket is open;
    /// the time from each webhook to its frame. SQLite, PostgreSQL when a URL is given, and
    /// the NATS bus when its URL is given.
    Live {
        #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
        postgres_url: Option<String>,
        #[arg(long, env = "RAPPORT_TEST_NATS_URL")]
        nats_url: Option<String>,
        /// Webhooks per second.
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Sockets of colleagues who see none of the chats, open beside the agent's.
        #[arg(long, default_value_t = 100)]
        idle_sockets: usize,
    },
    /// PERF-6: finding the auto reply for one message among many active rules, and the
    /// rebuild after a change.
    AutoReply {
        #[arg(long, default_value_t = 10_000)]
        rules: usize,
    },
    /// PERF-1: signed webhooks at increasing concurrency against the real server; SQLite, and
    /// PostgreSQL when a URL is given.
    Webhooks {
        #[arg(long, env = "RAPPORT_TEST_POSTGRES_URL")]
        postgres_url: Option<String>,
        /// Seconds per concurrency level.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Concurrent senders, one level after another.
        #[arg(long, value_delimiter = ',', default_values_t = [8, 32, 128])]
        concurrency: Vec<usize>,
    },
}

pub async fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::StaffList { postgres_url, requests } => {
            let mut results = vec![];
            let sqlite = testing::sqlite().await?;
            results.extend(staff_list("SQLite", sqlite, requests).await?);
            if let Some(url) = postgres_url {
                let schema = format!("rapport_bench_{}", std::process::id());
                let pg = Db::connect_postgres_schema(&url, &schema).await?;
                results.extend(staff_list("PostgreSQL", pg, requests).await?);
            }
            print_table(
                "Staff list through the API — 5,000 staff, 500 departments in 6 levels, viewer with sub-department scope",
                &results,
            )
        }
        BenchCommand::Inbox { postgres_url, conversations, messages, requests } => {
            let size = crate::bench_inbox::Size { conversations, messages, requests };
            let title = format!(
                "Inbox through the API — {conversations} conversations, {messages} messages, 500 staff in 5 levels, 20 per page"
            );
            // Each backend's table as soon as it is measured: a full run takes a while.
            print_table(&title, &crate::bench_inbox::run("SQLite", testing::sqlite().await?, &size).await?)?;
            if let Some(url) = postgres_url {
                let pg =
                    Db::connect_postgres_schema(&url, &format!("rapport_bench_inbox_{}", std::process::id())).await?;
                print_table(&title, &crate::bench_inbox::run("PostgreSQL", pg, &size).await?)?;
            }
            Ok(())
        }
        BenchCommand::Contacts { postgres_url, rows, requests, skip_sqlite } => {
            use crate::bench_contacts::{Settings, print, run, write_csv};
            let settings = Settings { requests };
            let media = std::env::temp_dir().join(format!("rapport_bench_contacts_{}", std::process::id()));
            let generating = Instant::now();
            write_csv(&media, rows)?;
            tracing::info!(rows, seconds = generating.elapsed().as_secs_f32(), "generated the CSV");
            let title = format!("Contacts — {rows} CSV rows imported, exported and listed, 50 staff, 10 per page");
            let result = async {
                if !skip_sqlite {
                    let sqlite = Db::connect(&format!("sqlite://{}", media.join("bench.db").display())).await?;
                    print(&title, &run("SQLite", sqlite, &media, &settings).await?)?;
                }
                if let Some(url) = postgres_url {
                    let schema = format!("rapport_bench_contacts_{}", std::process::id());
                    let pg = Db::connect_postgres_schema(&url, &schema).await?;
                    print(&title, &run("PostgreSQL", pg, &media, &settings).await?)?;
                }
                anyhow::Ok(())
            }
            .await;
            let _ = std::fs::remove_dir_all(&media);
            result
        }
        BenchCommand::Live { postgres_url, nats_url, rate, seconds, idle_sockets } => {
            use crate::bench_live::{Settings, run};
            use rapport_app::live::Live;
            let settings = Settings { rate, seconds, idle_sockets };
            let mut rows =
                vec![run("SQLite", "in process", testing::sqlite().await?, Live::in_process(), &settings).await?];
            if let Some(url) = &nats_url {
                let nats = Live::nats(url).await.map_err(|e| anyhow!("NATS at {url}: {e}"))?;
                rows.push(run("SQLite", "NATS", testing::sqlite().await?, nats, &settings).await?);
            }
            if let Some(url) = postgres_url {
                let schema = format!("rapport_bench_live_{}", std::process::id());
                let pg = Db::connect_postgres_schema(&url, &schema).await?;
                rows.push(run("PostgreSQL", "in process", pg, Live::in_process(), &settings).await?);
            }
            crate::bench_live::print(&rows, &settings)
        }
        BenchCommand::AutoReply { rules } => crate::bench_auto_reply::run(rules),
        BenchCommand::Webhooks { postgres_url, seconds, concurrency } => {
            let mut figures =
                vec![crate::bench_webhooks::run("SQLite", testing::sqlite().await?, seconds, &concurrency).await?];
            if let Some(url) = postgres_url {
                let pg = Db::connect_postgres_schema(&url, &format!("rapport_bench_wh_{}", std::process::id())).await?;
                figures.push(crate::bench_webhooks::run("PostgreSQL", pg, seconds, &concurrency).await?);
            }
            crate::bench_webhooks::print(&figures, seconds)
        }
    }
}

/// Departments per level of the 6-level tree (500 in all).
const LEVELS: [usize; 6] = [1, 5, 20, 60, 150, 264];
const STAFF: usize = 5_000;
pub const PASSWORD: &str = "bench-password";

/// One timed query: its latencies.
pub struct Row {
    pub backend: &'static str,
    pub query: String,
    /// How many records the viewer sees, where that says something.
    pub visible: Option<usize>,
    pub samples: Vec<Duration>,
}

async fn staff_list(backend: &'static str, db: Db, requests: usize) -> Result<Vec<Row>> {
    let started = Instant::now();
    let (viewer_account, probe_dept) = seed(&db).await?;
    tracing::info!(backend, seconds = started.elapsed().as_secs_f32(), "seeded 500 departments and 5,000 staff");

    let served = Served::start(&db, Settings::default()).await?;
    let base = served.base.clone();
    let client = login(&base, &viewer_account).await?;
    let visible = count_all(&client, &base).await?;
    let deep_cursor = cursor_after_pages(&client, &base, 25).await?;
    let queries: [(&'static str, String); 4] = [
        ("first page (20)", "/api/v1/staff?limit=20".into()),
        ("page 26 by cursor", format!("/api/v1/staff?limit=20&cursor={deep_cursor}")),
        ("search by name", "/api/v1/staff?limit=20&q=member%20123".into()),
        (
            "department + sub-departments",
            format!("/api/v1/staff?limit=20&department_id={probe_dept}&include_subdepartments=true"),
        ),
    ];
    let mut rows = vec![];
    for (query, path) in queries {
        let url = format!("{base}{path}");
        for _ in 0..20 {
            fetch(&client, &url).await?;
        }
        let mut samples = Vec::with_capacity(requests);
        for _ in 0..requests {
            let t = Instant::now();
            fetch(&client, &url).await?;
            samples.push(t.elapsed());
        }
        rows.push(Row { backend, query: query.to_string(), visible: Some(visible), samples });
    }
    served.stop().await;
    db.close().await;
    Ok(rows)
}

/// The real server on a local port over `db`, with its workers, as a benchmark measures it.
pub struct Served {
    /// `http://127.0.0.1:port`.
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    pub async fn start(db: &Db, settings: rapport_app::Settings) -> Result<Served> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = crate::start(db.clone(), settings, ServerConfig::default());
        let server = tokio::spawn(rapport_server::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Ok(Served { base, stop, server })
    }

    /// Stops the server and waits until it has.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}

pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<serde_json::Value> {
    let response = client.get(url).send().await?;
    if !response.status().is_success() {
        bail!("GET {url}: {}", response.status());
    }
    Ok(response.json().await?)
}

async fn count_all(client: &reqwest::Client, base: &str) -> Result<usize> {
    let mut count = 0;
    let mut url = format!("{base}/api/v1/staff?limit=200");
    loop {
        let page = fetch(client, &url).await?;
        count += page["items"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{base}/api/v1/staff?limit=200&cursor={c}"),
            None => return Ok(count),
        }
    }
}

async fn cursor_after_pages(client: &reqwest::Client, base: &str, pages: usize) -> Result<String> {
    let mut url = format!("{base}/api/v1/staff?limit=20");
    let mut cursor = String::new();
    for _ in 0..pages {
        let page = fetch(client, &url).await?;
        cursor = page["next_cursor"].as_str().ok_or_else(|| anyhow!("fewer than {pages} pages"))?.to_string();
        url = format!("{base}/api/v1/staff?limit=20&cursor={cursor}");
    }
    Ok(cursor)
}

/// Builds the company; answers the viewer's account (head of the first division, with
/// `dept.staff` + `subdept.staff`) and a level-2 department inside the viewer's subtree.
async fn seed(db: &Db) -> Result<(String, i64)> {
    let Seeded { company_id, scope, actor, levels, password_hash: hash, .. } =
        seed_company(db, "Bench Holdings", ("member", "bench.test"), &LEVELS, STAFF).await?;
    let division = levels[1][0];
    let viewer = "head@bench.test";
    let head = staff::create(
        db,
        &scope,
        &actor,
        NewStaff {
            department_id: division,
            account: viewer,
            name: "Head",
            nickname: "",
            notes: "",
            password_hash: &hash,
        },
    )
    .await?;
    let grants: GrantSet = [Grant::MenuStaff, Grant::DeptStaff, Grant::SubdeptStaff].into_iter().collect();
    staff::update(db, &scope, &actor, head.id, StaffChanges { grants: Some(grants), ..Default::default() }, None)
        .await?;
    let tree = departments::tree(db, company_id).await?;
    let probe = levels[2].iter().copied().find(|d| tree.is_strictly_below(*d, division)).context("no level-2 probe")?;
    Ok((viewer.to_string(), probe))
}

/// A department tree with `levels[d]` departments at depth `d` (the root is level 0), each
/// hung under the previous level's departments in turn; answers the ids level by level.
/// A company for a benchmark: its department tree of `levels` and `staff` members spread over
/// it (accounts `{prefix}N@{domain}`), all with [`PASSWORD`].
pub struct Seeded {
    pub company_id: i64,
    pub scope: Scope,
    pub actor: Actor,
    /// Department ids, level by level from the root's children.
    pub levels: Vec<Vec<i64>>,
    pub staff_ids: Vec<i64>,
    pub password_hash: String,
}

pub async fn seed_company(
    db: &Db,
    name: &str,
    (prefix, domain): (&str, &str),
    levels: &[usize],
    staff: usize,
) -> Result<Seeded> {
    let password_hash = hash_password(PASSWORD).map_err(|e| anyhow!("{e}"))?;
    let admin = format!("admin@{domain}");
    let new_admin = companies::NewAdmin { account: &admin, name: "Admin", password_hash: &password_hash };
    let created = companies::create(db, name, new_admin).await?;
    let root = departments::root(db, created.company_id).await?;
    let scope = Scope::operator(created.company_id, root.id, &root.path);
    let actor = Actor { company_id: created.company_id, staff_id: None, source: "bench".into() };
    let tree = build_tree(db, &scope, &actor, root.id, levels).await?;
    let all: Vec<i64> = tree.iter().flatten().copied().collect();
    let staff_ids = spread_staff(db, &scope, &actor, &all, staff, (prefix, domain), &password_hash).await?;
    Ok(Seeded { company_id: created.company_id, scope, actor, levels: tree, staff_ids, password_hash })
}

pub async fn build_tree(db: &Db, scope: &Scope, actor: &Actor, root: i64, levels: &[usize]) -> Result<Vec<Vec<i64>>> {
    let mut tree: Vec<Vec<i64>> = vec![vec![root]];
    for (depth, size) in levels.iter().enumerate().skip(1) {
        let mut level = Vec::with_capacity(*size);
        for i in 0..*size {
            let parents = &tree[depth - 1];
            let name = format!("Dept {depth}.{i}");
            let new = NewDepartment { parent_id: parents[i % parents.len()], name: &name, introduction: "" };
            level.push(departments::create(db, scope, actor, new).await?.id);
        }
        tree.push(level);
    }
    Ok(tree)
}

/// `count` staff spread over `departments` in turn, accounts `<prefix><i>@<domain>`; answers their ids.
pub async fn spread_staff(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    departments: &[i64],
    count: usize,
    (prefix, domain): (&str, &str),
    password_hash: &str,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let (account, name) = (format!("{prefix}{i}@{domain}"), format!("{prefix} {i}"));
        let new = NewStaff {
            department_id: departments[i % departments.len()],
            account: &account,
            name: &name,
            nickname: "",
            notes: "",
            password_hash,
        };
        ids.push(staff::create(db, scope, actor, new).await?.id);
    }
    Ok(ids)
}

/// A client logged in as `account` (every benchmark account has the password `PASSWORD`).
pub async fn login(base: &str, account: &str) -> Result<reqwest::Client> {
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let response = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"account": account, "password": PASSWORD}))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("login as {account} failed: {}", response.text().await?);
    }
    Ok(client)
}

/// `requests` timed GETs of a list page after 10 warm-up ones; an empty page is an error (it
/// would measure nothing).
pub async fn time_pages(
    backend: &'static str,
    query: String,
    client: &reqwest::Client,
    url: &str,
    requests: usize,
) -> Result<Row> {
    for _ in 0..10 {
        fetch(client, url).await?;
    }
    let mut samples = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = Instant::now();
        let page = fetch(client, url).await?;
        samples.push(t.elapsed());
        if page["items"].as_array().is_none_or(Vec::is_empty) {
            bail!("{query}: an empty page measures nothing");
        }
    }
    Ok(Row { backend, query, visible: None, samples })
}

pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub fn print_table(title: &str, rows: &[Row]) -> Result<()> {
    let mut out = std::io::stdout();
    writeln!(out, "\n{title}")?;
    writeln!(out, "| backend | query | visible | requests | p50 ms | p95 ms | p99 ms | max ms |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|")?;
    for row in rows {
        let mut sorted = row.samples.clone();
        sorted.sort();
        writeln!(
            out,
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            row.backend,
            row.query,
            row.visible.map_or("—".to_string(), |v| v.to_string()),
            sorted.len(),
            percentile(&sorted, 0.50),
            percentile(&sorted, 0.95),
            percentile(&sorted, 0.99),
            percentile(&sorted, 1.0),
        )?;
    }
    Ok(())
}
