//! The Auto reply page (AUTO-1): the company's public rules and the viewer's private ones,
//! searched by match word or reply content; add, edit, enable or disable, and delete rules.
//! Text replies are edited here (one message per paragraph); files and templates a rule sends
//! are kept as they are.

use super::shell::Shell;
use super::{Page, render};
use crate::error::ApiResult;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use rapport_domain::auto_reply::Reply;
use rapport_storage::auto_replies::{self, SCOPE_PRIVATE};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct Params {
    q: Option<String>,
    /// `private` or `public`.
    scope: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub private: bool,
    pub owner: String,
    pub match_words: String,
    pub pattern_label: String,
    /// Each reply content in one line, in order.
    pub replies: Vec<String>,
    pub enabled: bool,
    pub priority: i64,
    pub cooldown_minutes: i64,
    pub edit_json: String,
}

#[derive(Template)]
#[template(path = "auto_replies.html")]
struct AutoRepliesPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    rows: Vec<Row>,
    q: String,
    scope: String,
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    page.answer(build(&page, params).await)
}

async fn build(ctx: &Page, params: Params) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require(Grant::MenuAutoReply)?;
    let scope = params.scope.filter(|s| s == auto_replies::SCOPE_PRIVATE || s == auto_replies::SCOPE_PUBLIC);
    let scope = scope.unwrap_or_default();
    let private = (!scope.is_empty()).then(|| scope == auto_replies::SCOPE_PRIVATE);
    let q = params.q.unwrap_or_default();
    let page = auto_replies::list(&state.db, &auth.scope, Some(&q), private, None, 200).await?;
    let rows = page
        .items
        .into_iter()
        .map(|r| {
            let replies: Vec<Reply> = serde_json::from_str(&r.replies_json).unwrap_or_default();
            let texts: Vec<&str> = replies
                .iter()
                .filter_map(|reply| match reply {
                    Reply::Text { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            let kept: Vec<&Reply> = replies.iter().filter(|reply| !matches!(reply, Reply::Text { .. })).collect();
            Row {
                edit_json: json!({
                    "scope": r.scope, "pattern": r.pattern, "match_words": r.match_words,
                    "reply_texts": texts.join("\n\n"), "replies_keep": serde_json::to_string(&kept).unwrap_or_default(),
                    "priority": r.priority.to_string(), "cooldown_minutes": r.cooldown_minutes.to_string(),
                    "enabled": r.enabled, "in_groups": r.in_groups,
                })
                .to_string(),
                replies: replies.iter().map(|reply| summary(t, reply)).collect(),
                pattern_label: t.get(&format!("auto.pattern.{}", r.pattern)).to_string(),
                private: r.scope == SCOPE_PRIVATE,
                owner: r.owner_name.unwrap_or_default(),
                id: r.id,
                match_words: r.match_words,
                enabled: r.enabled,
                priority: r.priority,
                cooldown_minutes: r.cooldown_minutes,
            }
        })
        .collect();
    Ok(render(&AutoRepliesPage { shell: ctx.shell("/auto-replies"), t, rows, q, scope }))
}

/// One reply content in a line of the table.
fn summary(t: &Catalog, reply: &Reply) -> String {
    match reply {
        Reply::Text { text } => text.clone(),
        Reply::Template { name, language, .. } => format!("📋 {} {name} ({language})", t.get("auto.template")),
        Reply::Image { upload_id, .. } => format!("🖼 {} #{upload_id}", t.get("chats.media")),
        Reply::Video { upload_id, .. } => format!("🎬 {} #{upload_id}", t.get("chats.media")),
        Reply::Audio { upload_id } => format!("🎧 {} #{upload_id}", t.get("chats.media")),
        Reply::Document { upload_id, .. } => format!("📄 {} #{upload_id}", t.get("chats.media")),
    }
}
