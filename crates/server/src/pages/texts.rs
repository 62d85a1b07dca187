//! The Predefined texts page (TEXT-1): shared texts and the viewer's own, searched by name;
//! add, edit and delete them. Agents insert them from the chat's composer, filled.

use super::shell::Shell;
use super::{Page, render};
use crate::error::ApiResult;
use crate::views::rfc3339;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct Params {
    q: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub shared: bool,
    /// Shared texts are changed only by those who manage texts.
    pub editable: bool,
    pub updated_at: String,
    pub edit_json: String,
}

#[derive(Template)]
#[template(path = "texts.html")]
struct TextsPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    rows: Vec<Row>,
    q: String,
    may_share: bool,
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    page.answer(build(&page, params).await)
}

async fn build(ctx: &Page, params: Params) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require_any(&[Grant::MenuTexts, Grant::MenuChats])?;
    let q = params.q.unwrap_or_default();
    let page = rapport_storage::texts::list(&state.db, &auth.scope, Some(&q), None, 200).await?;
    let may_share = auth.has(Grant::MenuTexts);
    let rows = page
        .items
        .into_iter()
        .map(|text| Row {
            edit_json: json!({"name": text.name, "body": text.body, "shared": text.owner_staff_id.is_none()})
                .to_string(),
            shared: text.owner_staff_id.is_none(),
            editable: text.owner_staff_id.is_some() || may_share,
            updated_at: rfc3339(text.updated_at),
            id: text.id,
            name: text.name,
            body: text.body,
        })
        .collect();
    Ok(render(&TextsPage { shell: ctx.shell("/texts"), t, rows, q, may_share }))
}
