//! The stylesheet and script of the pages, compiled into the binary.

use crate::AppState;
use axum::Router;
use axum::http::header;
use axum::routing::get;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        // No icon yet; answering keeps browsers from logging a 404 on every page.
        .route("/favicon.ico", get(|| async { axum::http::StatusCode::NO_CONTENT }))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }))
}

/// An asset of this build: checked again on every use (it changes with the binary), never
/// `no-store` like the pages.
fn asset(content_type: &'static str, body: &'static str) -> impl axum::response::IntoResponse {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body)
}
