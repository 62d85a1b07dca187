//! Rapport's HTTP server: the REST API under `/api/v1` with its OpenAPI document, the
//! server-rendered back-office pages, and the session/CSRF machinery both share.

mod api;
mod assets;
mod auth;
mod auto_reply;
mod customers;
mod error;
pub mod export;
mod i18n;
pub mod import;
mod ingest;
mod jobs;
pub mod live;
mod media;
mod notify;
mod outbox;
mod pages;
mod search_index;
mod views;
mod webhook;

use axum::Router;
use rapport_storage::Db;
use rapport_storage::secrets::SecretBox;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use auth::password::hash_password;

/// Settings the server needs from the configuration.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Mark cookies `Secure` (when the public URL is https).
    pub secure_cookies: bool,
    /// How long a session lasts, in milliseconds.
    pub session_ttl_ms: i64,
    /// Seals channel secrets (access tokens, app secrets) at rest.
    pub secrets: SecretBox,
    /// The Graph API base URL (Meta's, or the simulator's).
    pub graph_api_url: String,
    /// Sends per second per number (Meta's default throughput is 80).
    pub sends_per_number_per_second: u32,
    /// Concurrent send workers (0: this instance sends nothing).
    pub send_workers: usize,
    /// Concurrent media download workers (0: this instance downloads nothing).
    pub media_workers: usize,
    /// Where inbound media files are kept.
    pub media_dir: std::path::PathBuf,
    /// Carries live events to browsers: in this process, or through NATS between instances.
    pub live: live::Live,
    /// The time automation goes by (away messages, cool-downs).
    pub clock: Clock,
}

/// The system clock, or in tests one set by hand.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<std::sync::atomic::AtomicI64>>);

impl Clock {
    /// A clock that shows `ms` until set again.
    pub fn fixed(ms: i64) -> Clock {
        Clock(Some(Arc::new(std::sync::atomic::AtomicI64::new(ms))))
    }

    /// Moves a fixed clock (a system clock cannot be moved).
    pub fn set(&self, ms: i64) {
        if let Some(at) = &self.0 {
            at.store(ms, std::sync::atomic::Ordering::SeqCst);
        }
    }

    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(at) => at.load(std::sync::atomic::Ordering::SeqCst),
            None => rapport_storage::now_ms(),
        }
    }
}

impl ServerConfig {
    /// Defaults with the given secret key.
    pub fn with_secrets(secrets: SecretBox) -> Self {
        ServerConfig {
            secure_cookies: false,
            session_ttl_ms: 30 * 24 * 3600 * 1000,
            secrets,
            graph_api_url: rapport_channels::whatsapp::graph::DEFAULT_BASE_URL.into(),
            sends_per_number_per_second: 80,
            send_workers: 4,
            media_workers: 2,
            media_dir: std::env::temp_dir().join(format!("rapport-media-{}", std::process::id())),
            live: live::Live::in_process(),
            clock: Clock::default(),
        }
    }
}

impl Default for ServerConfig {
    /// For tests and benchmarks: a random secret key (nothing outlives the process) and a Graph
    /// API address on this machine that refuses connections, so nothing ever calls out to Meta.
    fn default() -> Self {
        let key = SecretBox::generate_key();
        ServerConfig {
            graph_api_url: "http://127.0.0.1:9".into(),
            ..ServerConfig::with_secrets(SecretBox::from_base64(&key).expect("a generated key is valid"))
        }
    }
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<ServerConfig>,
    pub i18n: Arc<i18n::Catalogs>,
    /// Batches webhook writes into shared transactions.
    pub ingestor: ingest::Ingestor,
    /// Wakes the send workers.
    pub outbox: outbox::Outbox,
    /// For calls outside the queue (mark-as-read).
    pub graph: rapport_channels::whatsapp::graph::GraphClient,
    /// Wakes the import worker when an import is queued.
    pub imports: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// Must be called inside the Tokio runtime: it starts the ingestion writer and the send workers.
    pub fn new(db: Db, config: ServerConfig) -> Self {
        notify::start_reminders(db.clone(), config.live.clone());
        search_index::start(db.clone());
        let graph = rapport_channels::whatsapp::graph::GraphClient::new(&config.graph_api_url);
        let outbox = outbox::start(
            db.clone(),
            outbox::Settings {
                media_dir: config.media_dir.clone(),
                graph: graph.clone(),
                secrets: config.secrets.clone(),
                workers: config.send_workers,
                per_number_per_second: config.sends_per_number_per_second,
                live: config.live.clone(),
            },
        );
        let replier =
            auto_reply::AutoReplier::new(db.clone(), outbox.clone(), config.live.clone(), config.clock.clone());
        let ingestor = ingest::Ingestor::start(db.clone(), config.live.clone(), replier);
        media::start(
            db.clone(),
            media::Settings {
                graph: graph.clone(),
                secrets: config.secrets.clone(),
                dir: config.media_dir.clone(),
                workers: config.media_workers,
            },
        );
        let imports = Arc::new(tokio::sync::Notify::new());
        import::start(db.clone(), config.media_dir.clone(), imports.clone());
        AppState {
            db,
            config: Arc::new(config),
            i18n: Arc::new(i18n::Catalogs::load()),
            ingestor,
            outbox,
            graph,
            imports,
        }
    }
}

/// The whole application as one router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(assets::router())
        .merge(webhook::router())
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
