//! PERF-1: webhook ingestion. A load generator posts signed webhooks with mixed, realistic
//! payloads to the real server at increasing concurrency and reports sustained messages per
//! second and acknowledgement latency (every 200 means the data is committed). Beside it: the
//! rate of writing the same rows straight through the storage layer in batches, with no HTTP.

use anyhow::{Result, anyhow, bail};
use rapport_app::Settings;
use rapport_channels::whatsapp::{signature, webhook};
use rapport_domain::sync::SyncFilter;
use rapport_server::hash_password;
use rapport_storage::audit::Actor;
use rapport_storage::inbound::{self, Delivery, Target};
use rapport_storage::numbers::{self, NewNumber};
use rapport_storage::{Db, Scope, companies, departments};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const APP_SECRET: &str = "bench-app-secret";
const CUSTOMERS: u64 = 2_000;

pub struct Figures {
    pub backend: &'static str,
    pub rows: Vec<LoadRow>,
    pub baseline_per_second: f64,
}

pub struct LoadRow {
    pub concurrency: usize,
    pub messages: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// A company with one connected number; answers its phone number id and routing target.
pub async fn setup(db: &Db, secrets: &rapport_storage::secrets::SecretBox, tag: &str) -> Result<(String, Target)> {
    let hash = hash_password("bench-password").map_err(|e| anyhow!("{e}"))?;
    let created = companies::create(
        db,
        "Webhook Bench",
        companies::NewAdmin { account: &format!("admin-{tag}@bench.test"), name: "Admin", password_hash: &hash },
    )
    .await?;
    let root = departments::root(db, created.company_id).await?;
    let scope = Scope::operator(created.company_id, root.id, &root.path);
    let actor = Actor { company_id: created.company_id, staff_id: None, source: "bench".into() };
    let phone_number_id = format!("10{}", created.company_id * 1_000_000 + u64::from(tag.len() as u32) as i64);
    let number = numbers::create(
        db,
        &scope,
        &actor,
        secrets,
        NewNumber {
            phone_number_id: &phone_number_id,
            waba_id: "900",
            display_phone_number: "+44 7700 900000",
            verified_name: "Bench",
            access_token: "token",
            app_secret: APP_SECRET,
            verify_token: "",
            owner_staff_id: None,
            department_id: root.id,
            sync: SyncFilter::All,
        },
    )
    .await?;
    Ok((
        phone_number_id,
        Target { number_id: number.id, company_id: created.company_id, department_id: root.id, sync: SyncFilter::All },
    ))
}

/// The `i`-th webhook: mostly texts, with images, locations, reactions and status reports mixed in,
/// from one of a few thousand customers.
fn payload(i: u64, phone_number_id: &str, run: &str) -> Value {
    let customer = 447_700_000_000u64 + i % CUSTOMERS;
    let wamid = format!("wamid.bench.{run}.{i}");
    let ts = (rapport_storage::now_ms() / 1000).to_string();
    let message = match i % 10 {
        6 => json!({"from": customer.to_string(), "id": wamid, "timestamp": ts, "type": "image",
            "image": {"caption": "Is this the one?", "mime_type": "image/jpeg", "sha256": "a3f1", "id": format!("media{i}")}}),
        7 => json!({"from": customer.to_string(), "id": wamid, "timestamp": ts, "type": "location",
            "location": {"latitude": 51.5072, "longitude": -0.1276, "name": "Shop", "address": "1 High Street"}}),
        8 => json!({"from": customer.to_string(), "id": wamid, "timestamp": ts, "type": "reaction",
            "reaction": {"message_id": format!("wamid.bench.{run}.{}", i.saturating_sub(1)), "emoji": "\u{1F44D}"}}),
        9 => {
            return envelope(
                phone_number_id,
                json!({"statuses": [{"id": format!("wamid.bench.out.{i}"), "status": "delivered",
                "timestamp": ts, "recipient_id": customer.to_string()}]}),
            );
        }
        _ => json!({"from": customer.to_string(), "id": wamid, "timestamp": ts, "type": "text",
            "text": {"body": format!("Hello, do you have the blue one in size {}? Order {i}", i % 12 + 36)}}),
    };
    envelope(
        phone_number_id,
        json!({"contacts": [{"profile": {"name": format!("Customer {}", i % CUSTOMERS)}, "wa_id": customer.to_string()}],
               "messages": [message]}),
    )
}

pub fn envelope(phone_number_id: &str, mut value: Value) -> Value {
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({"display_phone_number": "447700900000", "phone_number_id": phone_number_id});
    json!({"object": "whatsapp_business_account", "entry": [{"id": "900", "changes": [{"field": "messages", "value": value}]}]})
}

pub async fn run(backend: &'static str, db: Db, seconds: u64, levels: &[usize]) -> Result<Figures> {
    // Ingestion alone: no send or media workers competing for the database.
    let config = Settings { send_workers: 0, media_workers: 0, ..Settings::default() };
    let (phone_number_id, target) = setup(&db, &config.secrets, "load").await?;
    let served = crate::bench::Served::start(&db, config).await?;
    let url = format!("{}/webhooks/whatsapp", served.base);
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let counter = Arc::new(AtomicU64::new(0));
    let mut rows = Vec::new();
    for &concurrency in levels {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (client, url, counter, pnid) = (client.clone(), url.clone(), counter.clone(), phone_number_id.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let i = counter.fetch_add(1, Ordering::Relaxed);
                    let body = serde_json::to_vec(&payload(i, &pnid, "load"))?;
                    let signed = signature::sign(APP_SECRET.as_bytes(), &body);
                    let t = Instant::now();
                    let response = client.post(&url).header("X-Hub-Signature-256", signed).body(body).send().await?;
                    if response.status() != reqwest::StatusCode::OK {
                        bail!("webhook answered {}", response.status());
                    }
                    latencies.push(t.elapsed());
                }
                Ok::<_, anyhow::Error>(latencies)
            }));
        }
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await??);
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort();
        rows.push(LoadRow {
            concurrency,
            messages: latencies.len(),
            per_second: latencies.len() as f64 / elapsed,
            p50_ms: percentile(&latencies, 0.50),
            p99_ms: percentile(&latencies, 0.99),
        });
    }
    served.stop().await;
    let baseline_per_second = baseline(&db, target, &phone_number_id).await?;
    db.close().await;
    Ok(Figures { backend, rows, baseline_per_second })
}

/// The same kind of rows written straight through the storage layer, 256 webhooks per
/// transaction, no HTTP, parsing done beforehand.
async fn baseline(db: &Db, target: Target, phone_number_id: &str) -> Result<f64> {
    const TOTAL: u64 = 20_000;
    let deliveries: Vec<Delivery> = (0..TOTAL)
        .flat_map(|i| {
            let body = serde_json::to_vec(&payload(i, phone_number_id, "baseline")).unwrap_or_default();
            webhook::parse(&body).map(|e| e.changes).unwrap_or_default()
        })
        .map(|c| Delivery {
            target: target.clone(),
            contacts: c.contacts,
            messages: c.messages,
            echoes: c.echoes,
            statuses: c.statuses,
        })
        .collect();
    let started = Instant::now();
    for batch in deliveries.chunks(256) {
        inbound::ingest(db, batch).await?;
    }
    Ok(TOTAL as f64 / started.elapsed().as_secs_f64())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub fn print(figures: &[Figures], seconds: u64) -> Result<()> {
    let mut out = std::io::stdout();
    writeln!(
        out,
        "\nWebhook ingestion — signed mixed webhooks (one message or status each), {seconds} s per level, 200 only after commit"
    )?;
    writeln!(
        out,
        "| backend | concurrent senders | webhooks | webhooks/s | p50 ack ms | p99 ack ms | batched storage insert/s | ratio |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|")?;
    for f in figures {
        for r in &f.rows {
            writeln!(
                out,
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} |",
                f.backend,
                r.concurrency,
                r.messages,
                r.per_second,
                r.p50_ms,
                r.p99_ms,
                f.baseline_per_second,
                r.per_second / f.baseline_per_second
            )?;
        }
    }
    Ok(())
}
