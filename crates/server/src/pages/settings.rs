//! The Settings page: the company's name and the country local phone numbers are read in.

use super::shell::Shell;
use super::{Page, render};
use crate::error::ApiResult;
use askama::Template;
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

pub async fn page(page: Page) -> Response {
    page.answer(build(&page).await)
}

async fn build(page: &Page) -> ApiResult<Response> {
    page.auth.require(Grant::MenuSettings)?;
    let settings = companies::settings(&page.state.db, page.auth.scope.company_id()).await?;
    let t = page.t();
    Ok(render(&SettingsPage {
        shell: page.shell("/settings"),
        t,
        name: settings.name,
        country: settings.default_country,
    }))
}
