//! The audit log page: who did what, when, from where, with the change.

use super::shell::Shell;
use super::{Page, render};
use crate::error::ApiResult;
use crate::views::{AuditEntryView, rfc3339};
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Params {
    before: Option<i64>,
}

pub struct Row {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub source: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    rows: Vec<Row>,
    older_url: Option<String>,
    is_later_page: bool,
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    page.answer(build(&page, params).await)
}

async fn build(ctx: &Page, params: Params) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require(Grant::MenuSettings)?;
    let page = rapport_storage::audit::list(&state.db, auth.scope.company_id(), params.before, 50).await?;
    let pretty = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    let rows = page
        .items
        .into_iter()
        .map(|r| {
            let at = rfc3339(r.at);
            let view = AuditEntryView::from(r);
            Row {
                at,
                actor: view.actor_name.clone().unwrap_or_else(|| t.get("common.none").to_string()),
                target: match view.target_id {
                    Some(id) => format!("{} #{id}", view.target_type),
                    None => view.target_type.clone(),
                },
                before: pretty(&view.before),
                after: pretty(&view.after),
                action: view.action,
                source: view.source,
            }
        })
        .collect();
    Ok(render(&AuditPage {
        shell: ctx.shell("/audit"),
        t,
        rows,
        older_url: page.next_cursor.map(|c| format!("/audit?before={c}")),
        is_later_page: params.before.is_some(),
    }))
}
