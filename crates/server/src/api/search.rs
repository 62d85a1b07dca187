//! `GET /api/v1/search/messages`: chat history search (INBOX-4).

use super::extract::{ApiQuery, Paging, time_ms};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::{List, rfc3339};
use axum::Json;
use axum::extract::State;
use rapport_domain::Grant;
use rapport_domain::snippet::{CONTEXT, snippet};
use rapport_storage::search::{self, Hit, SearchFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const QUERY_MAX: usize = 200;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The words to find (any language; at least one character).
    #[param(min_length = 1, max_length = 200)]
    pub q: String,
    /// Conversations this staff member is responsible for.
    pub staff_id: Option<i64>,
    pub number_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// Sent at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Sent before this time (RFC 3339).
    pub until: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// One message found, with the part around the match.
#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    pub message_id: i64,
    pub conversation_id: i64,
    /// The text around the first match (… marks a cut).
    pub snippet: String,
    /// Where the match sits in `snippet`: start and length, in characters.
    pub highlight: [usize; 2],
    /// `in` (from the customer) or `out`.
    pub direction: String,
    pub sent_at: String,
    pub number_id: i64,
    /// The customer, or the group chat's name or id.
    pub chat_name: String,
}

impl SearchHit {
    pub fn new(hit: Hit, query: &str) -> SearchHit {
        let found = snippet(&hit.text, query, CONTEXT);
        SearchHit {
            highlight: [found.before.chars().count(), found.matched.chars().count()],
            snippet: found.text(),
            message_id: hit.message_id,
            conversation_id: hit.conversation_id,
            direction: hit.direction.to_string(),
            sent_at: rfc3339(hit.sent_at),
            number_id: hit.number_id,
            chat_name: hit.contact_name.or(hit.group_name).or(hit.group_id).unwrap_or_default(),
        }
    }
}

fn time(field: &'static str, value: Option<&str>) -> ApiResult<Option<i64>> {
    value.filter(|v| !v.is_empty()).map(|v| time_ms(field, v)).transpose()
}

impl SearchQuery {
    pub fn filter(&self, auth: &Auth) -> ApiResult<SearchFilter> {
        let q = self.q.trim();
        if q.is_empty() {
            return Err(ApiError::invalid("q", "is required"));
        }
        if q.chars().count() > QUERY_MAX {
            return Err(ApiError::invalid("q", format!("must be at most {QUERY_MAX} characters")));
        }
        if q.chars().any(char::is_control) {
            return Err(ApiError::invalid("q", "must not contain control characters"));
        }
        Ok(SearchFilter {
            q: q.to_string(),
            staff_id: self.staff_id,
            number_id: self.number_id,
            contact_id: self.contact_id,
            from_ms: time("from", self.from.as_deref())?,
            until_ms: time("until", self.until.as_deref())?,
            subordinates: auth.has(Grant::FuncChatHistory),
        })
    }
}

/// Full-text search over the messages the caller may search: their own conversations, and
/// with `func.chat_history` every conversation in their chat scope.
#[utoipa::path(get, path = "/api/v1/search/messages", tag = "conversations", params(SearchQuery),
    responses(
        (status = 200, description = "Matching messages, newest first", body = List<SearchHit>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chat_history`", body = ErrorBody),
        (status = 422, description = "Bad query parameter", body = ErrorBody),
    ))]
pub async fn messages(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<List<SearchHit>>> {
    auth.require(Grant::MenuChatHistory)?;
    let filter = query.filter(&auth)?;
    let paging = Paging { cursor: query.cursor, limit: query.limit };
    let page = search::messages(&state.db, &auth.scope, &filter, paging.cursor()?, paging.limit()?).await?;
    let items = page.items.into_iter().map(|hit| SearchHit::new(hit, &filter.q)).collect();
    Ok(Json(List::new(items, page.next_cursor)))
}
