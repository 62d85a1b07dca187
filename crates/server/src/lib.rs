//! Rapport's HTTP server: the REST API under `/api/v1` with its OpenAPI document, the
//! server-rendered back-office pages, and the session/CSRF machinery both share.

mod api;
mod assets;
mod auth;
mod error;
mod i18n;
mod ingest;
mod pages;
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
}

impl ServerConfig {
    /// Defaults with the given secret key.
    pub fn with_secrets(secrets: SecretBox) -> Self {
        ServerConfig { secure_cookies: false, session_ttl_ms: 30 * 24 * 3600 * 1000, secrets }
    }
}

impl Default for ServerConfig {
    /// Defaults with a random secret key (tests and benchmarks: nothing outlives the process).
    fn default() -> Self {
        let key = SecretBox::generate_key();
        ServerConfig::with_secrets(SecretBox::from_base64(&key).expect("a generated key is valid"))
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
}

impl AppState {
    /// Must be called inside the Tokio runtime: it starts the ingestion writer.
    pub fn new(db: Db, config: ServerConfig) -> Self {
        let ingestor = ingest::Ingestor::start(db.clone());
        AppState { db, config: Arc::new(config), i18n: Arc::new(i18n::Catalogs::load()), ingestor }
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
