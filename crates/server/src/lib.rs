//! Rapport's HTTP server: the REST API under `/api/v1` with its OpenAPI document, the
//! server-rendered back-office pages, and the session/CSRF machinery both share.

mod api;
mod assets;
mod auth;
mod error;
mod i18n;
mod pages;
mod views;

use axum::Router;
use rapport_storage::Db;
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig { secure_cookies: false, session_ttl_ms: 30 * 24 * 3600 * 1000 }
    }
}

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<ServerConfig>,
    pub i18n: Arc<i18n::Catalogs>,
}

impl AppState {
    pub fn new(db: Db, config: ServerConfig) -> Self {
        AppState { db, config: Arc::new(config), i18n: Arc::new(i18n::Catalogs::load()) }
    }
}

/// The whole application as one router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(api::router())
        .merge(pages::router())
        .merge(assets::router())
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
