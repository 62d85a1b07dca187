//! The stylesheet and script of the pages, compiled into the binary.

use crate::AppState;
use axum::Router;
use axum::http::header;
use axum::routing::get;

const CSS: &str = include_str!("../assets/app.css");
const JS: &str = include_str!("../assets/app.js");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS) }))
        // No icon yet; answering keeps browsers from logging a 404 on every page.
        .route("/favicon.ico", get(|| async { axum::http::StatusCode::NO_CONTENT }))
        .route("/assets/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], JS) }))
}
