//! Rapport's HTTP server: the REST API under `/api/v1` with its OpenAPI document, the
//! server-rendered back-office pages, and the session/CSRF machinery both share.

mod api;
mod assets;
mod auth;
mod disposition;
mod error;
mod headers;
mod href;
mod pages;
mod views;
mod webhook;

use axum::Router;
use rapport_app::App;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use auth::password::hash_password;

/// What only the HTTP side needs from the configuration.
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

/// Shared by every request: the application (whose use cases the handlers call) and the HTTP
/// settings. It reads as the [`App`] it holds (`state.db`, `state.settings`, ...).
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub config: Arc<ServerConfig>,
}

impl AppState {
    pub fn new(app: App, config: ServerConfig) -> Self {
        AppState { app, config: Arc::new(config) }
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
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
        .layer(headers::layer())
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
