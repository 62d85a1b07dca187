//! A WhatsApp Business Cloud API simulator (WA-7). It serves the Graph API's send endpoint
//! with Meta's request checks, answers and error shapes (100 bad parameter, 131047 outside the
//! 24-hour window, 130429 over the rate, 190 bad token), and plays the customer side: it posts
//! signed webhooks for customer messages and sent → delivered → read statuses for every
//! message it accepts. Tests, benchmarks and `rapport demo` use it instead of Meta.

use axum::Json;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use rapport_channels::whatsapp::signature;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The business number the simulator plays Meta for.
#[derive(Clone, Debug)]
pub struct Account {
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
    pub access_token: String,
    pub app_secret: String,
}

/// What the next send should run into.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Meta is down: HTTP 500 with error code 1.
    Outage,
    /// A Meta error with this code and title, HTTP 400.
    Error { code: i64, title: String },
    /// Meta accepts and delivers the message, but the answer never reaches the caller (a
    /// proxy answers 504 instead): the caller cannot tell whether it was sent.
    LostAnswer,
}

/// A file Rapport uploaded to send.
#[derive(Clone, Debug)]
pub struct Uploaded {
    pub id: String,
    pub mime_type: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A request Rapport made to the Graph API.
#[derive(Clone, Debug)]
pub struct Received {
    pub phone_number_id: String,
    pub authorization: String,
    pub body: Value,
    /// The wamid given back, when the send was accepted.
    pub accepted_as: Option<String>,
}

struct Shared {
    account: Account,
    webhook_url: Mutex<Option<String>>,
    received: Mutex<Vec<Received>>,
    failures: Mutex<VecDeque<Failure>>,
    /// Customer WhatsApp id -> when they last wrote (Unix seconds).
    last_inbound: Mutex<HashMap<String, i64>>,
    /// Sends accepted in the current second, for the 130429 rate limit.
    second: Mutex<(i64, u32)>,
    rate_limit: u32,
    status_delay: Duration,
    /// Media the simulated customers sent: id -> (mime type, bytes).
    media: Mutex<HashMap<String, (String, Vec<u8>)>>,
    uploads: Mutex<Vec<Uploaded>>,
    base_url: String,
    counter: AtomicU64,
    http: reqwest::Client,
}

#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
    base_url: String,
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

impl Simulator {
    /// Starts the fake Graph API on `listen` (use `127.0.0.1:0` for any free port).
    pub async fn start(account: Account, listen: &str) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            account,
            webhook_url: Mutex::new(None),
            received: Mutex::new(Vec::new()),
            failures: Mutex::new(VecDeque::new()),
            last_inbound: Mutex::new(HashMap::new()),
            second: Mutex::new((0, 0)),
            rate_limit: 80,
            status_delay: Duration::from_millis(30),
            media: Mutex::new(HashMap::new()),
            uploads: Mutex::new(Vec::new()),
            base_url: base_url.clone(),
            counter: AtomicU64::new(0),
            http: reqwest::Client::new(),
        });
        let app = Router::new()
            .route("/{version}/{phone_number_id}/messages", post(messages))
            .route("/{version}/{phone_number_id}/media", post(upload))
            .route("/{version}/{media_id}", get(media_info))
            .route("/{version}/{waba_id}/message_templates", get(message_templates))
            .route("/download/{media_id}", get(download))
            .route("/simulator/customer-messages", post(control_customer_writes))
            .route("/simulator/sent", get(control_sent))
            .with_state(shared.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "simulator stopped");
            }
        });
        Ok(Simulator { shared, base_url })
    }

    /// The Graph API base URL to configure Rapport with (`RAPPORT_GRAPH_API_URL`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Where webhooks go (Rapport's `/webhooks/whatsapp`).
    pub fn set_webhook_url(&self, url: &str) {
        *lock(&self.shared.webhook_url) = Some(url.to_string());
    }

    /// Makes the next sends run into these failures, in order.
    pub fn fail_next(&self, failures: impl IntoIterator<Item = Failure>) {
        lock(&self.shared.failures).extend(failures);
    }

    /// Every file Rapport uploaded, in order.
    pub fn uploads(&self) -> Vec<Uploaded> {
        lock(&self.shared.uploads).clone()
    }

    /// Every request Rapport sent, in order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }

    /// A customer writes `text` now; answers the message's wamid once the webhook was acknowledged.
    pub async fn customer_writes(&self, wa_id: &str, name: &str, text: &str) -> Result<String, String> {
        self.customer_writes_at(wa_id, name, text, now_secs()).await
    }

    /// A customer message stamped `timestamp` (Unix seconds) — an old one closes the window.
    pub async fn customer_writes_at(
        &self,
        wa_id: &str,
        name: &str,
        text: &str,
        timestamp: i64,
    ) -> Result<String, String> {
        let wamid = format!("wamid.SIMIN{}", self.shared.counter.fetch_add(1, Ordering::Relaxed));
        let message = json!({"from": wa_id, "id": wamid, "timestamp": timestamp.to_string(), "type": "text", "text": {"body": text}});
        let value = json!({"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]});
        self.shared.post_webhook(value).await?;
        lock(&self.shared.last_inbound).insert(wa_id.to_string(), timestamp);
        Ok(wamid)
    }
}

impl Simulator {
    /// A customer writes `text` in a group chat the business number is in (Meta's group
    /// messages carry `group_id`; `from` is the participant); answers the message's wamid.
    pub async fn customer_writes_in_group(
        &self,
        group_id: &str,
        wa_id: &str,
        name: &str,
        text: &str,
    ) -> Result<String, String> {
        let wamid = format!("wamid.SIMIN{}", self.shared.counter.fetch_add(1, Ordering::Relaxed));
        let message = json!({"from": wa_id, "group_id": group_id, "id": wamid, "timestamp": now_secs().to_string(),
                             "type": "text", "text": {"body": text}});
        let value = json!({"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]});
        self.shared.post_webhook(value).await?;
        lock(&self.shared.last_inbound).insert(group_id.to_string(), now_secs());
        Ok(wamid)
    }

    /// A customer sends a picture with a caption; answers the message's wamid and the picture's
    /// bytes (what Rapport should end up storing).
    pub async fn customer_sends_image(
        &self,
        wa_id: &str,
        name: &str,
        caption: &str,
    ) -> Result<(String, Vec<u8>), String> {
        let media = json!({"caption": caption});
        self.customer_sends_media(wa_id, name, "image", "image/png", b"\x89PNG\r\n\x1a\n", media).await
    }

    /// A customer sends a media message of `kind` (`image`, `document` ...) whose bytes start
    /// with `magic`; `media` holds the kind's other fields (caption, a document's file name);
    /// answers the wamid and the bytes.
    pub async fn customer_sends_media(
        &self,
        wa_id: &str,
        name: &str,
        kind: &str,
        mime_type: &str,
        magic: &[u8],
        mut media: Value,
    ) -> Result<(String, Vec<u8>), String> {
        let n = self.shared.counter.fetch_add(1, Ordering::Relaxed);
        let media_id = format!("{}", 900_000_000 + n);
        let mut bytes = magic.to_vec();
        bytes.extend(format!("simulated {kind} {n} from {wa_id}").as_bytes());
        let digest = Sha256::digest(&bytes);
        lock(&self.shared.media).insert(media_id.clone(), (mime_type.into(), bytes.clone()));
        let wamid = format!("wamid.SIMIN{n}");
        media["mime_type"] = json!(mime_type);
        media["sha256"] = json!(hex(&digest));
        media["id"] = json!(media_id);
        let message =
            json!({"from": wa_id, "id": wamid, "timestamp": now_secs().to_string(), "type": kind, kind: media});
        self.shared
            .post_webhook(json!({"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]}))
            .await?;
        lock(&self.shared.last_inbound).insert(wa_id.to_string(), now_secs());
        Ok((wamid, bytes))
    }
}

/// Test and demo control, not part of the Graph API: `{"wa_id","name","text"}` makes a
/// customer write (answers `{"wamid"}` once Rapport acknowledged the webhook).
async fn control_customer_writes(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let (Some(wa_id), Some(text)) = (body["wa_id"].as_str(), body["text"].as_str()) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "wa_id and text are required"})));
    };
    let name = body["name"].as_str().unwrap_or(wa_id);
    let simulator = Simulator { base_url: shared.base_url.clone(), shared: shared.clone() };
    match simulator.customer_writes(wa_id, name, text).await {
        Ok(wamid) => (StatusCode::OK, Json(json!({"wamid": wamid}))),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({"error": e}))),
    }
}

/// Test and demo control: every message Rapport sent that "Meta" accepted, oldest first, as
/// `[{"to","type","text","wamid"}]` — what the customers received.
async fn control_sent(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let sent: Vec<Value> = lock(&shared.received)
        .iter()
        .filter_map(|r| {
            let wamid = r.accepted_as.as_ref()?;
            Some(json!({"to": r.body["to"], "type": r.body["type"], "text": r.body["text"]["body"], "wamid": wamid,
                "reply_to": r.body["context"]["message_id"], "emoji": r.body["reaction"]["emoji"]}))
        })
        .collect();
    Json(Value::Array(sent))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn authorised(shared: &Shared, headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {}", shared.account.access_token))
}

/// `POST /{version}/{phone-number-id}/media`: a multipart upload (`messaging_product`, `type`, `file`).
async fn upload(
    State(shared): State<Arc<Shared>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    mut form: Multipart,
) -> (StatusCode, Json<Value>) {
    if !authorised(&shared, &headers) {
        return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token");
    }
    if phone_number_id != shared.account.phone_number_id {
        return graph_error(StatusCode::BAD_REQUEST, 100, "Unsupported post request. Object does not exist");
    }
    let (mut product, mut file) = (None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("messaging_product") => product = field.text().await.ok(),
            Some("file") => {
                let mime = field.content_type().unwrap_or("application/octet-stream").to_string();
                let name = field.file_name().unwrap_or("file").to_string();
                file = field.bytes().await.ok().map(|b| (mime, name, b.to_vec()));
            }
            _ => {}
        }
    }
    let (Some("whatsapp"), Some((mime_type, filename, bytes))) = (product.as_deref(), file) else {
        return graph_error(StatusCode::BAD_REQUEST, 100, "(#100) messaging_product and file are required");
    };
    let id = format!("{}", 800_000_000 + shared.counter.fetch_add(1, Ordering::Relaxed));
    lock(&shared.media).insert(id.clone(), (mime_type.clone(), bytes.clone()));
    lock(&shared.uploads).push(Uploaded { id: id.clone(), mime_type, filename, bytes });
    (StatusCode::OK, Json(json!({"id": id})))
}

/// `GET /{version}/{waba-id}/message_templates`: the account's approved templates.
async fn message_templates(
    State(shared): State<Arc<Shared>>,
    Path((_version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    if !authorised(&shared, &headers) {
        return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token");
    }
    if waba_id != shared.account.waba_id {
        return graph_error(StatusCode::BAD_REQUEST, 100, "Unsupported get request. Object does not exist");
    }
    let data = json!([
        {"name": "order_ready", "language": "en_US", "status": "APPROVED", "category": "UTILITY", "id": "5001",
         "components": [{"type": "BODY", "text": "Hello {{1}}, your order {{2}} is ready for pickup."}]},
        {"name": "appointment_reminder", "language": "vi", "status": "APPROVED", "category": "UTILITY", "id": "5002",
         "components": [{"type": "BODY", "text": "Xin chào {{1}}, lịch hẹn của bạn vào {{2}}."}]},
        {"name": "spring_sale", "language": "ro", "status": "PENDING", "category": "MARKETING", "id": "5003",
         "components": [{"type": "BODY", "text": "Reduceri de primăvară!"}]}
    ]);
    (StatusCode::OK, Json(json!({"data": data, "paging": {"cursors": {"before": "A", "after": "B"}}})))
}

/// `GET /{version}/{media-id}`: where to download a customer's media.
async fn media_info(
    State(shared): State<Arc<Shared>>,
    Path((_version, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    if !authorised(&shared, &headers) {
        return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token");
    }
    let Some((mime_type, bytes)) = lock(&shared.media).get(&media_id).cloned() else {
        return graph_error(StatusCode::BAD_REQUEST, 100, "Unsupported get request. Object does not exist");
    };
    (
        StatusCode::OK,
        Json(json!({"url": format!("{}/download/{media_id}", shared.base_url), "mime_type": mime_type,
        "sha256": hex(&Sha256::digest(&bytes)), "file_size": bytes.len(), "id": media_id, "messaging_product": "whatsapp"})),
    )
}

/// The media bytes, for the bearer of the number's token.
async fn download(
    State(shared): State<Arc<Shared>>,
    Path(media_id): Path<String>,
    headers: HeaderMap,
) -> Result<Vec<u8>, StatusCode> {
    if !authorised(&shared, &headers) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    lock(&shared.media).get(&media_id).map(|(_, bytes)| bytes.clone()).ok_or(StatusCode::NOT_FOUND)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn envelope(&self, mut value: Value) -> Value {
        value["messaging_product"] = json!("whatsapp");
        value["metadata"] = json!({
            "display_phone_number": self.account.display_phone_number,
            "phone_number_id": self.account.phone_number_id,
        });
        json!({"object": "whatsapp_business_account",
               "entry": [{"id": self.account.waba_id, "changes": [{"field": "messages", "value": value}]}]})
    }

    /// Posts a change, signed like Meta signs it.
    async fn post_webhook(&self, value: Value) -> Result<(), String> {
        let url = lock(&self.webhook_url).clone().ok_or("no webhook URL set")?;
        let body = serde_json::to_vec(&self.envelope(value)).map_err(|e| e.to_string())?;
        let signed = signature::sign(self.account.app_secret.as_bytes(), &body);
        let response = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Hub-Signature-256", signed)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() { Ok(()) } else { Err(format!("webhook answered {}", response.status())) }
    }

    /// sent → delivered → read, as Meta reports an accepted message (`body` is the send), with
    /// the sender's `biz_opaque_callback_data` repeated in each report as Meta does.
    async fn report_progress(self: Arc<Self>, wamid: String, body: Value) {
        for status in ["sent", "delivered", "read"] {
            tokio::time::sleep(self.status_delay).await;
            let mut report = json!({"id": wamid, "status": status, "timestamp": now_secs().to_string(),
                                    "recipient_id": body["to"], "recipient_type": body["recipient_type"]});
            if let Some(callback) = body.get("biz_opaque_callback_data") {
                report["biz_opaque_callback_data"] = callback.clone();
            }
            let report = json!({"statuses": [report]});
            if let Err(e) = self.post_webhook(report).await {
                tracing::warn!(error = %e, "simulator could not post a status");
            }
        }
    }
}

fn graph_error(status: StatusCode, code: i64, message: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message}, "fbtrace_id": "SIMULATOR"}})),
    )
}

/// `POST /{version}/{phone-number-id}/messages`: a send, or a mark-as-read.
async fn messages(
    State(shared): State<Arc<Shared>>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let index = {
        let mut received = lock(&shared.received);
        received.push(Received {
            phone_number_id: phone_number_id.clone(),
            authorization: authorization.clone(),
            body: body.clone(),
            accepted_as: None,
        });
        received.len() - 1
    };
    if authorization != format!("Bearer {}", shared.account.access_token) {
        return graph_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token");
    }
    if phone_number_id != shared.account.phone_number_id {
        return graph_error(StatusCode::BAD_REQUEST, 100, "Unsupported post request. Object does not exist");
    }
    if body["messaging_product"] != "whatsapp" {
        return graph_error(StatusCode::BAD_REQUEST, 100, "The parameter messaging_product is required.");
    }
    if body["status"] == "read" {
        return (StatusCode::OK, Json(json!({"success": true})));
    }
    let (Some(to), Some(kind)) = (body["to"].as_str(), body["type"].as_str()) else {
        return graph_error(StatusCode::BAD_REQUEST, 100, "(#100) The parameters to and type are required.");
    };
    let content_ok = match kind {
        "text" => body["text"]["body"].as_str().is_some_and(|t| !t.is_empty()),
        "template" => body["template"]["name"].is_string() && body["template"]["language"]["code"].is_string(),
        other => body[other].is_object(),
    };
    if !content_ok {
        return graph_error(
            StatusCode::BAD_REQUEST,
            100,
            &format!("(#100) Invalid parameter: the {kind} object is missing or incomplete"),
        );
    }
    if ["image", "video", "audio", "document", "sticker"].contains(&kind) {
        let id = body[kind]["id"].as_str().unwrap_or_default();
        if !lock(&shared.media).contains_key(id) {
            return graph_error(StatusCode::BAD_REQUEST, 131053, "Media upload error: unknown media id");
        }
    }
    let lose_answer = match lock(&shared.failures).pop_front() {
        Some(Failure::Outage) => {
            return graph_error(StatusCode::INTERNAL_SERVER_ERROR, 1, "An unknown error occurred");
        }
        Some(Failure::Error { code, title }) => return graph_error(StatusCode::BAD_REQUEST, code, &title),
        Some(Failure::LostAnswer) => true,
        None => false,
    };
    let last = lock(&shared.last_inbound).get(to).copied();
    if kind != "template" && last.is_none_or(|t| now_secs() - t >= 24 * 3600) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            131047,
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        );
    }
    {
        let mut second = lock(&shared.second);
        let now = now_secs();
        if second.0 != now {
            *second = (now, 0);
        }
        second.1 += 1;
        if second.1 > shared.rate_limit {
            return graph_error(StatusCode::BAD_REQUEST, 130429, "Rate limit hit");
        }
    }
    let wamid = format!("wamid.SIMOUT{}", shared.counter.fetch_add(1, Ordering::Relaxed));
    lock(&shared.received)[index].accepted_as = Some(wamid.clone());
    tokio::spawn(shared.clone().report_progress(wamid.clone(), body.clone()));
    if lose_answer {
        return (StatusCode::GATEWAY_TIMEOUT, Json(Value::Null));
    }
    (
        StatusCode::OK,
        Json(
            json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}),
        ),
    )
}
