//! The Chat history page (INBOX-4): search every message the viewer may search, see where each
//! matched, and open the chat at that message.

use super::shell::Shell;
use super::{Page, render};
use crate::api::search::SearchHit;
use crate::error::{ApiError, ApiResult};
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use rapport_storage::search::{self, SearchFilter};
use serde::Deserialize;
use time::{Date, PrimitiveDateTime, Time};

#[derive(Deserialize)]
pub struct Params {
    q: Option<String>,
    /// Days, as a date input sends them (`2026-11-21`).
    from: Option<String>,
    until: Option<String>,
}

pub struct Row {
    pub conversation_id: i64,
    pub message_id: i64,
    pub chat: String,
    pub at: String,
    pub before: String,
    pub matched: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    q: String,
    from: String,
    until: String,
    searched: bool,
    rows: Vec<Row>,
}

/// The start of a day (UTC) in ms, from a date input's value.
fn day_start(value: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(text) = value.filter(|v| !v.is_empty()) else { return Ok(None) };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date =
        Date::parse(text, &format).map_err(|_| ApiError::invalid("from", "must be a date such as 2026-11-21"))?;
    Ok(Some((PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc().unix_timestamp()) * 1000))
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    page.answer(build(&page, params).await)
}

async fn build(ctx: &Page, params: Params) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require(Grant::MenuChatHistory)?;
    let q = params.q.unwrap_or_default().trim().chars().take(200).collect::<String>();
    let (from, until) = match (day_start(params.from.as_deref()), day_start(params.until.as_deref())) {
        (Ok(from), Ok(until)) => (from, until.map(|u| u + 24 * 3600 * 1000)),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let mut rows = Vec::new();
    if !q.is_empty() {
        let filter = SearchFilter {
            q: q.clone(),
            from_ms: from,
            until_ms: until,
            subordinates: auth.has(Grant::FuncChatHistory),
            ..SearchFilter::default()
        };
        match search::messages(&state.db, &auth.scope, &filter, None, 100).await {
            Ok(page) => {
                rows = page
                    .items
                    .into_iter()
                    .map(|hit| {
                        let hit = SearchHit::new(hit, &q);
                        let chars: Vec<char> = hit.snippet.chars().collect();
                        let [start, len] = hit.highlight;
                        Row {
                            conversation_id: hit.conversation_id,
                            message_id: hit.message_id,
                            chat: hit.chat_name,
                            at: hit.sent_at,
                            before: chars[..start].iter().collect(),
                            matched: chars[start..start + len].iter().collect(),
                            after: chars[start + len..].iter().collect(),
                        }
                    })
                    .collect()
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(render(&HistoryPage {
        shell: ctx.shell("/history"),
        t,
        searched: !q.is_empty(),
        q,
        from: params.from.unwrap_or_default(),
        until: params.until.unwrap_or_default(),
        rows,
    }))
}
