//! Send workers (WA-3): take due jobs from the database queue, send them through the Graph
//! API within each number's throughput limit, and record the outcome — sent, retry later with
//! backoff, or dead-lettered with Meta's error shown on the message.

use rand::Rng;
use rapport_channels::whatsapp::graph::{GraphClient, GraphError, PENDING_UPLOAD, PendingUpload};
use rapport_domain::retry;
use rapport_storage::jobs::{self, Job};
use rapport_storage::outbox;
use rapport_storage::secrets::SecretBox;
use rapport_storage::{Db, now_ms};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};
use tokio::time::Instant;

/// Wakes the workers when something was queued.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn queued(&self) {
        self.wake.notify_one();
    }
}

/// Per-number pacing: at most `per_second` sends per number.
struct Pacer {
    interval: Duration,
    next: Mutex<HashMap<i64, Instant>>,
}

impl Pacer {
    async fn wait_turn(&self, number_id: i64) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.get(&number_id).copied().filter(|t| *t > now).unwrap_or(now);
            next.insert(number_id, slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

struct Settings {
    /// Where uploaded attachments are read from.
    media_dir: std::path::PathBuf,
    graph: GraphClient,
    secrets: SecretBox,
    /// Tells open tabs about ticks and failures.
    live: crate::live::Live,
}

/// Starts the send workers the settings ask for (possibly none); they run until the database
/// is closed.
pub fn start(app: &crate::App) {
    let pacer = Arc::new(Pacer {
        interval: Duration::from_secs(1) / app.settings.sends_per_number_per_second.max(1),
        next: Mutex::new(HashMap::new()),
    });
    let settings = Arc::new(Settings {
        media_dir: app.settings.media_dir.clone(),
        graph: app.graph.clone(),
        secrets: app.settings.secrets.clone(),
        live: app.settings.live.clone(),
    });
    let (db, workers, wake) = (app.db.clone(), app.settings.send_workers, app.outbox.wake.clone());
    crate::jobs::spawn_workers(db.clone(), outbox::KIND, workers, wake, move |job| {
        let (db, settings, pacer) = (db.clone(), settings.clone(), pacer.clone());
        async move {
            let result = send(&db, &settings, &pacer, &job).await;
            if let Ok(conversation) =
                rapport_storage::conversations::of_message(&db, job.company_id, job.message_id).await
            {
                settings.live.changed(&db, job.company_id, &[(conversation, crate::live::EventKind::Status)]).await;
            }
            result
        }
    });
}

async fn send(db: &Db, settings: &Settings, pacer: &Pacer, job: &Job) -> Result<(), rapport_storage::StorageError> {
    let (phone_number_id, sealed_token) = jobs::sender(db, job.number_id).await?;
    let Ok(token) = settings.secrets.open(&sealed_token) else {
        return outbox::bury(db, job, 0, "the number's access token cannot be read; reconnect the number").await;
    };
    let Ok(mut payload) = serde_json::from_str::<serde_json::Value>(&job.payload_json) else {
        return outbox::bury(db, job, 0, "the queued message is damaged").await;
    };
    // A retry after an unclear failure (timeout, 5xx): Meta may have accepted the first
    // attempt after all, and its delivery report may have said so meanwhile.
    if job.attempts > 1 && outbox::already_accepted(db, job).await? {
        tracing::info!(job = job.id, "Meta had accepted the message; not sending it again");
        return outbox::settle(db, job).await;
    }
    pacer.wait_turn(job.number_id).await;
    let sent = async {
        attach_upload(settings, &phone_number_id, &token, &mut payload).await?;
        settings.graph.send(&phone_number_id, &token, &payload).await
    }
    .await;
    match sent {
        Ok(wamid) => outbox::complete(db, job, &wamid).await,
        Err(e) if e.retryable && retry::may_retry(job.attempts) => {
            let delay = retry::delay_ms(job.attempts, rand::rng().random::<f64>());
            tracing::info!(job = job.id, attempts = job.attempts, delay_ms = delay, error = %e, "send failed; will retry");
            jobs::retry_later(db, job, now_ms() + delay, &e.to_string()).await
        }
        Err(e) => {
            tracing::warn!(job = job.id, code = e.code, error = %e.title, "send failed for good");
            outbox::bury(db, job, e.code, &e.title).await
        }
    }
}

/// Tells Meta the agent has read the customer's latest message (blue ticks on the customer's
/// phone). Best effort, in the background: a failure is logged, never shown.
pub fn mark_read(app: &crate::App, company_id: i64, conversation: i64, number_id: i64) {
    let (db, graph, secrets) = (app.db.clone(), app.graph.clone(), app.settings.secrets.clone());
    tokio::spawn(async move {
        let result = async {
            let Some(wamid) = rapport_storage::conversations::last_inbound_wamid(&db, company_id, conversation)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok::<_, String>(());
            };
            let (phone_number_id, sealed) = jobs::sender(&db, number_id).await.map_err(|e| e.to_string())?;
            let token = secrets.open(&sealed).map_err(|e| e.to_string())?;
            graph.mark_read(&phone_number_id, &token, &wamid).await.map_err(|e| e.to_string())
        }
        .await;
        if let Err(e) = result {
            tracing::info!(conversation, error = %e, "could not mark the chat read at Meta");
        }
    });
}

/// Uploads a queued attachment to Meta and puts its media id into the payload.
async fn attach_upload(
    settings: &Settings,
    phone_number_id: &str,
    token: &str,
    payload: &mut serde_json::Value,
) -> Result<(), GraphError> {
    let Some(pending) = payload.get(PENDING_UPLOAD).cloned() else { return Ok(()) };
    let upload: PendingUpload = serde_json::from_value(pending).map_err(|e| GraphError {
        code: 0,
        title: format!("the queued attachment is damaged: {e}"),
        retryable: false,
    })?;
    let bytes = tokio::fs::read(settings.media_dir.join(&upload.path)).await.map_err(|e| GraphError {
        code: 0,
        title: format!("the attachment is gone from the media store: {e}"),
        retryable: false,
    })?;
    let media_id = settings.graph.upload(phone_number_id, token, bytes, &upload.mime_type, &upload.filename).await?;
    let kind = payload["type"].as_str().unwrap_or_default().to_string();
    payload[kind.as_str()]["id"] = serde_json::json!(media_id);
    if let Some(object) = payload.as_object_mut() {
        object.remove(PENDING_UPLOAD);
    }
    Ok(())
}
