//! PERF-2: from a customer's webhook to the frame on an agent's WebSocket. Customers write at a
//! fixed rate (open loop: the next webhook leaves on time whether or not the last was answered)
//! while the admin's live socket is open beside idle sockets of colleagues who see none of
//! these chats (every event is still checked against each of them). Each customer writes
//! once per round, so every `message` frame names the one webhook in flight for its chat.

use crate::bench_webhooks::{APP_SECRET, envelope, setup};
use anyhow::{Result, anyhow, bail};
use futures_util::StreamExt;
use rapport_app::live::Live;
use rapport_channels::whatsapp::signature;
use rapport_server::hash_password;
use rapport_storage::audit::Actor;
use rapport_storage::staff::{self, StaffChanges};
use rapport_storage::{Db, Scope, departments, now_ms};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Settings {
    pub rate: u64,
    pub seconds: u64,
    pub idle_sockets: usize,
}

pub struct LiveRow {
    pub backend: &'static str,
    pub bus: &'static str,
    pub sent: usize,
    pub received: usize,
    /// Webhook sent → frame received, sorted.
    pub latencies: Vec<Duration>,
}

pub async fn run(backend: &'static str, bus: &'static str, db: Db, live: Live, settings: &Settings) -> Result<LiveRow> {
    let config = rapport_app::Settings { send_workers: 0, media_workers: 0, live, ..rapport_app::Settings::default() };
    let (phone_number_id, target) = setup(&db, &config.secrets, "live").await?;
    let admin_account = "admin-live@bench.test";
    let served = crate::bench::Served::start(&db, config).await?;
    let base = served.base.clone();
    let colleagues = idle_colleagues(&db, target.company_id, settings.idle_sockets).await?;
    let mut idle = Vec::with_capacity(colleagues.len());
    for account in &colleagues {
        idle.push(open_socket(&base, account).await?);
    }
    let mut admin = open_socket(&base, admin_account).await?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(512).build()?;
    let webhook_url = format!("{base}/webhooks/whatsapp");
    let customers = settings.rate as usize;

    // One message from each customer first, one at a time, to learn their chats.
    let mut chat_of = HashMap::with_capacity(customers);
    for customer in 0..customers {
        post(&http, &webhook_url, &phone_number_id, customer, &format!("hello {customer}")).await?;
        loop {
            let frame = next_frame(&mut admin, Duration::from_secs(5)).await?;
            if frame["type"] == "message" {
                let id = frame["conversation_id"].as_i64().ok_or_else(|| anyhow!("a frame without a chat"))?;
                chat_of.insert(id, customer);
                break;
            }
        }
    }

    // The timed part: `rate` webhooks a second, customer i % rate.
    let in_flight: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; customers]));
    let total = (settings.rate * settings.seconds) as usize;
    let reader = {
        let in_flight = in_flight.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(total);
            while latencies.len() < total {
                let Ok(frame) = next_frame(&mut admin, Duration::from_secs(10)).await else { break };
                if frame["type"] != "message" {
                    continue;
                }
                let customer = frame["conversation_id"].as_i64().and_then(|id| chat_of.get(&id));
                let sent = customer.and_then(|c| in_flight.lock().ok().and_then(|mut s| s[*c].take()));
                if let Some(sent) = sent {
                    latencies.push(sent.elapsed());
                }
            }
            latencies
        })
    };
    let mut ticks = tokio::time::interval(Duration::from_micros(1_000_000 / settings.rate));
    let mut senders = Vec::with_capacity(total);
    for i in 0..total {
        ticks.tick().await;
        let (http, url, pnid, in_flight) =
            (http.clone(), webhook_url.clone(), phone_number_id.clone(), in_flight.clone());
        senders.push(tokio::spawn(async move {
            let customer = i % customers;
            if let Ok(mut slots) = in_flight.lock() {
                slots[customer] = Some(Instant::now());
            }
            post(&http, &url, &pnid, customer, &format!("Do you have it in size {}? #{i}", i % 12 + 36)).await
        }));
    }
    for sender in senders {
        sender.await??;
    }
    let mut latencies = reader.await?;
    latencies.sort();
    drop(idle);
    served.stop().await;
    db.close().await;
    Ok(LiveRow { backend, bus, sent: total, received: latencies.len(), latencies })
}

/// Staff of the company, each with the chats menu but no number or customer, logged in.
async fn idle_colleagues(db: &Db, company_id: i64, count: usize) -> Result<Vec<String>> {
    let hash = hash_password("bench-password").map_err(|e| anyhow!("{e}"))?;
    let root = departments::root(db, company_id).await?;
    let scope = Scope::operator(company_id, root.id, &root.path);
    let actor = Actor { company_id, staff_id: None, source: "bench".into() };
    let ids = crate::bench::spread_staff(db, &scope, &actor, &[root.id], count, ("idle", "live.bench"), &hash).await?;
    let chats = [rapport_domain::Grant::MenuChats].into_iter().collect();
    for id in ids {
        let changes = StaffChanges { grants: Some(chats), ..Default::default() };
        staff::update(db, &scope, &actor, id, changes, None).await?;
    }
    Ok((0..count).map(|i| format!("idle{i}@live.bench")).collect())
}

async fn open_socket(base: &str, account: &str) -> Result<Socket> {
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"account": account, "password": "bench-password"}))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("login as {account} failed: {}", response.status());
    }
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let mut request = (base.replace("http://", "ws://") + "/api/v1/live").into_client_request()?;
    request.headers_mut().insert("Cookie", HeaderValue::from_str(&cookie)?);
    Ok(tokio_tungstenite::connect_async(request).await?.0)
}

async fn next_frame(socket: &mut Socket, wait: Duration) -> Result<serde_json::Value> {
    loop {
        let frame = tokio::time::timeout(wait, socket.next())
            .await
            .map_err(|_| anyhow!("no live frame within {wait:?}"))?
            .ok_or_else(|| anyhow!("the live socket closed"))??;
        if let Ok(text) = frame.to_text()
            && let Ok(value) = serde_json::from_str(text)
        {
            return Ok(value);
        }
    }
}

/// A signed text webhook from customer `customer`.
async fn post(http: &reqwest::Client, url: &str, phone_number_id: &str, customer: usize, text: &str) -> Result<()> {
    let wa_id = (447_800_000_000u64 + customer as u64).to_string();
    let wamid = format!("wamid.live.{}.{}", now_ms(), rand::random::<u64>());
    let ts = (now_ms() / 1000).to_string();
    let body = serde_json::to_vec(&envelope(
        phone_number_id,
        json!({"contacts": [{"profile": {"name": format!("Customer {customer}")}, "wa_id": wa_id}],
               "messages": [{"from": wa_id, "id": wamid, "timestamp": ts, "type": "text", "text": {"body": text}}]}),
    ))?;
    let signed = signature::sign(APP_SECRET.as_bytes(), &body);
    let response = http.post(url).header("X-Hub-Signature-256", signed).body(body).send().await?;
    if response.status() != reqwest::StatusCode::OK {
        bail!("webhook answered {}", response.status());
    }
    Ok(())
}

pub fn print(rows: &[LiveRow], settings: &Settings) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout();
    writeln!(
        out,
        "\nWebhook → agent's WebSocket frame — {} messages/s for {} s, {} idle sockets beside the agent's",
        settings.rate, settings.seconds, settings.idle_sockets
    )?;
    writeln!(out, "| backend | live bus | webhooks | frames | p50 ms | p95 ms | p99 ms | max ms |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|")?;
    for r in rows {
        let ms = |p: f64| crate::bench::percentile(&r.latencies, p);
        writeln!(
            out,
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            r.backend,
            r.bus,
            r.sent,
            r.received,
            ms(0.50),
            ms(0.95),
            ms(0.99),
            ms(1.0)
        )?;
    }
    Ok(())
}
