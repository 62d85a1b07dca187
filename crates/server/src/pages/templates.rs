//! The message template catalogue page (WA-4): the company's templates per WhatsApp Business
//! Account with their approval state, searched by name; admins add, edit and remove them here
//! or pull them from Meta on the accounts page.

use super::shell::Shell;
use super::{Page, render};
use crate::error::ApiResult;
use crate::views::rfc3339;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use rapport_domain::template;
use rapport_storage::{numbers, templates};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct Params {
    q: Option<String>,
    status: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub approved: bool,
    pub reason: String,
    pub waba_id: String,
    pub body: String,
    pub parameter_count: i64,
    pub updated_at: String,
    pub edit_json: String,
}

#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    rows: Vec<Row>,
    /// The business accounts of the numbers the viewer sees (where they may add templates).
    accounts: Vec<String>,
    statuses: &'static [&'static str],
    q: String,
    status: String,
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    page.answer(build(&page, params).await)
}

async fn build(ctx: &Page, params: Params) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require(Grant::MenuNumbers)?;
    let found = tokio::try_join!(
        templates::list(&state.db, auth.scope.company_id()),
        numbers::list(&state.db, &auth.scope, None, None, 500),
    );
    let (all, visible_numbers) = found?;
    let q = params.q.unwrap_or_default().trim().to_lowercase();
    let status = params.status.filter(|s| template::STATUSES.contains(&s.as_str())).unwrap_or_default();
    let rows = all
        .into_iter()
        .filter(|tpl| q.is_empty() || tpl.name.contains(&q))
        .filter(|tpl| status.is_empty() || tpl.status == status)
        .map(|tpl| {
            let components: Value = serde_json::from_str(&tpl.components_json).unwrap_or(Value::Null);
            let parts = TextParts::of(&components);
            Row {
                edit_json: json!({
                    "waba_id": tpl.waba_id, "name": tpl.name, "language": tpl.language, "category": tpl.category,
                    "status": tpl.status, "component_header": parts.header, "component_body": parts.body,
                    "component_footer": parts.footer, "component_keep": parts.keep.to_string(),
                })
                .to_string(),
                body: parts.body,
                approved: tpl.status == template::APPROVED,
                reason: tpl.reason.unwrap_or_default(),
                updated_at: rfc3339(tpl.updated_at),
                id: tpl.id,
                name: tpl.name,
                language: tpl.language,
                category: tpl.category,
                status: tpl.status,
                waba_id: tpl.waba_id,
                parameter_count: tpl.parameter_count,
            }
        })
        .collect();
    let mut accounts: Vec<String> = visible_numbers.items.into_iter().map(|n| n.waba_id).collect();
    accounts.sort();
    accounts.dedup();
    Ok(render(&TemplatesPage {
        shell: ctx.shell("/templates"),
        t,
        rows,
        accounts,
        statuses: &template::STATUSES,
        q,
        status,
    }))
}

/// The text parts of a template the form edits, and everything else (buttons, media headers)
/// kept as it is.
struct TextParts {
    header: String,
    body: String,
    footer: String,
    keep: Value,
}

impl TextParts {
    fn of(components: &Value) -> TextParts {
        let mut parts =
            TextParts { header: String::new(), body: String::new(), footer: String::new(), keep: json!([]) };
        let mut keep = Vec::new();
        for component in components.as_array().into_iter().flatten() {
            let text = component["text"].as_str().map(String::from);
            let kind = component["type"].as_str().unwrap_or_default().to_ascii_uppercase();
            match (kind.as_str(), text) {
                ("HEADER", Some(text))
                    if component["format"].as_str().is_none_or(|f| f.eq_ignore_ascii_case("TEXT")) =>
                {
                    parts.header = text
                }
                ("BODY", Some(text)) => parts.body = text,
                ("FOOTER", Some(text)) => parts.footer = text,
                _ => keep.push(component.clone()),
            }
        }
        parts.keep = Value::Array(keep);
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parts_are_split_out_and_buttons_kept() {
        let components = json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order update"},
            {"type": "BODY", "text": "Hello {{1}}, your order {{2}} is ready."},
            {"type": "FOOTER", "text": "Acme Trading"},
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Thanks"}]},
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1n"]}}
        ]);
        let parts = TextParts::of(&components);
        assert_eq!(parts.header, "Order update");
        assert_eq!(parts.body, "Hello {{1}}, your order {{2}} is ready.");
        assert_eq!(parts.footer, "Acme Trading");
        assert_eq!(parts.keep.as_array().map(Vec::len), Some(2), "buttons and the image header stay untouched");
    }
}
