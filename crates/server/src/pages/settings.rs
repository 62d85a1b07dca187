//! The Settings page: the company's name and the country local phone numbers are read in.

use super::shell::Shell;
use super::{page_error, render};
use crate::AppState;
use crate::auth::PageAuth;
use crate::error::ApiError;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use rapport_storage::companies;

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    name: String,
    country: String,
}

pub async fn page(State(state): State<AppState>, PageAuth(auth): PageAuth) -> Response {
    let t = state.i18n.for_language("en");
    if !auth.has(Grant::MenuSettings) {
        return page_error(t, ApiError::forbidden("this page needs the `menu.settings` permission"));
    }
    match companies::settings(&state.db, auth.scope.company_id()).await {
        Ok(s) => render(&SettingsPage {
            shell: Shell::new(t, &auth, "/settings"),
            t,
            name: s.name,
            country: s.default_country,
        }),
        Err(e) => page_error(t, e.into()),
    }
}
