//! Auto reply rules (AUTO-1..3): the company's public rules and the caller's private ones;
//! search by match word or reply content; create, edit, delete, enable or disable. Every
//! change applies to the very next customer message.

use super::extract::{ApiJson, ApiQuery, Id, Paging};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors, WriteErrors};
use crate::views::{List, rfc3339};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Grant;
use rapport_domain::auto_reply::{Pattern, Reply, check_match_words, check_replies};
use rapport_storage::auto_replies::{self, AutoReply, RuleFields, SCOPE_PRIVATE};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Longest cool-down: a week.
const COOLDOWN_MAX: i64 = 7 * 24 * 60;

/// `private` (on the owner's own numbers) or `public` (every number of the company).
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RuleScope {
    Private,
    Public,
}

/// How the match words are compared with a customer's message.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MatchPattern {
    /// The message equals the match words (case and surrounding whitespace ignored).
    WholeText,
    /// The message contains one of the `|`-separated words (as a whole word; in Chinese,
    /// Japanese, Thai and similar scripts anywhere).
    ContainsAny,
    /// The message equals one of the `|`-separated phrases.
    EqualsAny,
}

impl MatchPattern {
    fn domain(self) -> Pattern {
        match self {
            MatchPattern::WholeText => Pattern::WholeText,
            MatchPattern::ContainsAny => Pattern::ContainsAny,
            MatchPattern::EqualsAny => Pattern::EqualsAny,
        }
    }
}

/// One reply content; all of a rule's contents are sent, in order.
#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReplyContent {
    Text {
        #[schema(min_length = 1, max_length = 4096)]
        text: String,
    },
    /// An approved template of the number's account.
    Template {
        #[schema(min_length = 1, max_length = 512, pattern = "^[a-z0-9_]+$")]
        name: String,
        #[schema(min_length = 2, max_length = 16)]
        language: String,
        #[serde(default)]
        parameters: Vec<String>,
    },
    /// A file uploaded with `POST /api/v1/uploads`.
    Image {
        upload_id: i64,
        #[schema(max_length = 1024)]
        caption: Option<String>,
    },
    Video {
        upload_id: i64,
        #[schema(max_length = 1024)]
        caption: Option<String>,
    },
    Audio {
        upload_id: i64,
    },
    Document {
        upload_id: i64,
        #[schema(max_length = 1024)]
        caption: Option<String>,
    },
}

impl From<ReplyContent> for Reply {
    fn from(r: ReplyContent) -> Reply {
        match r {
            ReplyContent::Text { text } => Reply::Text { text },
            ReplyContent::Template { name, language, parameters } => Reply::Template { name, language, parameters },
            ReplyContent::Image { upload_id, caption } => Reply::Image { upload_id, caption },
            ReplyContent::Video { upload_id, caption } => Reply::Video { upload_id, caption },
            ReplyContent::Audio { upload_id } => Reply::Audio { upload_id },
            ReplyContent::Document { upload_id, caption } => Reply::Document { upload_id, caption },
        }
    }
}

impl From<Reply> for ReplyContent {
    fn from(r: Reply) -> ReplyContent {
        match r {
            Reply::Text { text } => ReplyContent::Text { text },
            Reply::Template { name, language, parameters } => ReplyContent::Template { name, language, parameters },
            Reply::Image { upload_id, caption } => ReplyContent::Image { upload_id, caption },
            Reply::Video { upload_id, caption } => ReplyContent::Video { upload_id, caption },
            Reply::Audio { upload_id } => ReplyContent::Audio { upload_id },
            Reply::Document { upload_id, caption } => ReplyContent::Document { upload_id, caption },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AutoReplyView {
    pub id: i64,
    pub scope: RuleScope,
    /// A private rule's owner.
    pub owner_staff_id: Option<i64>,
    pub owner_name: Option<String>,
    pub match_words: String,
    pub pattern: MatchPattern,
    pub replies: Vec<ReplyContent>,
    pub enabled: bool,
    /// Smaller answers first among matching rules of the same scope.
    pub priority: i64,
    /// Also answers in group chats.
    pub in_groups: bool,
    /// The rule answers one customer at most once in this many minutes.
    pub cooldown_minutes: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<AutoReply> for AutoReplyView {
    fn from(r: AutoReply) -> Self {
        let replies: Vec<Reply> = serde_json::from_str(&r.replies_json).unwrap_or_default();
        AutoReplyView {
            id: r.id,
            scope: if r.scope == SCOPE_PRIVATE { RuleScope::Private } else { RuleScope::Public },
            owner_staff_id: r.owner_staff_id,
            owner_name: r.owner_name,
            pattern: match Pattern::parse(&r.pattern) {
                Some(Pattern::WholeText) => MatchPattern::WholeText,
                Some(Pattern::EqualsAny) => MatchPattern::EqualsAny,
                _ => MatchPattern::ContainsAny,
            },
            match_words: r.match_words,
            replies: replies.into_iter().map(Into::into).collect(),
            enabled: r.enabled,
            priority: r.priority,
            in_groups: r.in_groups,
            cooldown_minutes: r.cooldown_minutes,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RuleQuery {
    /// Part of the match words or of a reply's content.
    pub q: Option<String>,
    /// Only private or only public rules.
    pub scope: Option<RuleScope>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The company's public rules and the caller's private ones, oldest first.
#[utoipa::path(get, path = "/api/v1/auto-replies", tag = "auto_replies", params(RuleQuery),
    responses(
        (status = 200, description = "A page of rules", body = List<AutoReplyView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.auto_reply`", body = ErrorBody),
        (status = 422, description = "Bad paging parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<RuleQuery>,
) -> ApiResult<Json<List<AutoReplyView>>> {
    auth.require(Grant::MenuAutoReply)?;
    let paging = Paging { cursor: query.cursor, limit: query.limit };
    let private = query.scope.map(|s| s == RuleScope::Private);
    let page =
        auto_replies::list(&state.db, &auth.scope, query.q.as_deref(), private, paging.cursor()?, paging.limit()?)
            .await?;
    Ok(Json(List::new(page.items.into_iter().map(Into::into).collect(), page.next_cursor)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    pub scope: RuleScope,
    /// The text to match, or `|`-separated words or phrases.
    #[schema(min_length = 1, max_length = 2000)]
    pub match_words: String,
    pub pattern: MatchPattern,
    /// One to ten reply contents, sent in order.
    #[schema(min_items = 1, max_items = 10)]
    pub replies: Vec<ReplyContent>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    #[schema(minimum = -1000, maximum = 1000)]
    pub priority: i64,
    #[serde(default)]
    pub in_groups: bool,
    /// 0 to 10,080 (a week); default 60.
    #[serde(default = "hour")]
    #[schema(minimum = 0, maximum = 10080)]
    pub cooldown_minutes: i64,
}

fn yes() -> bool {
    true
}

fn hour() -> i64 {
    60
}

/// A rule's changes; what is left out stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePatch {
    pub scope: Option<RuleScope>,
    #[schema(min_length = 1, max_length = 2000)]
    pub match_words: Option<String>,
    pub pattern: Option<MatchPattern>,
    #[schema(min_items = 1, max_items = 10)]
    pub replies: Option<Vec<ReplyContent>>,
    pub enabled: Option<bool>,
    #[schema(minimum = -1000, maximum = 1000)]
    pub priority: Option<i64>,
    pub in_groups: Option<bool>,
    #[schema(minimum = 0, maximum = 10080)]
    pub cooldown_minutes: Option<i64>,
}

/// Validates a whole rule: the same checks for creating and editing. A file the rule sends
/// must be one the caller uploaded, unless the rule sent it already (`kept`).
async fn fields(state: &AppState, auth: &Auth, body: RuleRequest, kept: &[i64]) -> ApiResult<RuleFields> {
    let pattern = body.pattern.domain();
    check_match_words(pattern, &body.match_words)?;
    let replies: Vec<Reply> = body.replies.into_iter().map(Into::into).collect();
    check_replies(&replies)?;
    for upload_id in replies.iter().filter_map(Reply::upload_id).filter(|id| !kept.contains(id)) {
        rapport_storage::uploads::get(&state.db, auth.scope.company_id(), Some(auth.staff_id()), upload_id)
            .await
            .map_err(|_| ApiError::invalid("replies", format!("there is no upload {upload_id} of yours")))?;
    }
    if !(-1000..=1000).contains(&body.priority) {
        return Err(ApiError::invalid("priority", "must be between -1000 and 1000"));
    }
    if !(0..=COOLDOWN_MAX).contains(&body.cooldown_minutes) {
        return Err(ApiError::invalid("cooldown_minutes", "must be between 0 and 10,080 minutes (a week)"));
    }
    Ok(RuleFields {
        private: body.scope == RuleScope::Private,
        pattern: pattern.name().to_string(),
        match_words: body.match_words.trim().to_string(),
        replies_json: serde_json::to_string(&replies).map_err(|e| ApiError::Internal(e.to_string()))?,
        enabled: body.enabled,
        priority: body.priority,
        in_groups: body.in_groups,
        cooldown_minutes: body.cooldown_minutes,
    })
}

/// Add a rule.
#[utoipa::path(post, path = "/api/v1/auto-replies", tag = "auto_replies", request_body = RuleRequest,
    responses((status = 201, description = "Created", body = AutoReplyView), WriteErrors))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<RuleRequest>,
) -> ApiResult<(StatusCode, Json<AutoReplyView>)> {
    auth.require(Grant::MenuAutoReply)?;
    let fields = fields(&state, &auth, body, &[]).await?;
    let rule = auto_replies::create(&state.db, &auth.scope, &auth.actor(), fields).await?;
    Ok((StatusCode::CREATED, Json(rule.into())))
}

/// One rule.
#[utoipa::path(get, path = "/api/v1/auto-replies/{id}", tag = "auto_replies", params(("id" = i64, Path)),
    responses((status = 200, description = "The rule", body = AutoReplyView), ReadErrors))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<AutoReplyView>> {
    auth.require(Grant::MenuAutoReply)?;
    Ok(Json(auto_replies::get(&state.db, &auth.scope, id).await?.into()))
}

/// Edit a rule (also to enable or disable it).
#[utoipa::path(patch, path = "/api/v1/auto-replies/{id}", tag = "auto_replies", params(("id" = i64, Path)),
    request_body = RulePatch,
    responses((status = 200, description = "Updated", body = AutoReplyView), UpdateErrors))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(patch): ApiJson<RulePatch>,
) -> ApiResult<Json<AutoReplyView>> {
    auth.require(Grant::MenuAutoReply)?;
    let current = AutoReplyView::from(auto_replies::get(&state.db, &auth.scope, id).await?);
    let kept: Vec<i64> = current.replies.iter().cloned().filter_map(|r| Reply::from(r).upload_id()).collect();
    let merged = RuleRequest {
        scope: patch.scope.unwrap_or(current.scope),
        match_words: patch.match_words.unwrap_or(current.match_words),
        pattern: patch.pattern.unwrap_or(current.pattern),
        replies: patch.replies.unwrap_or(current.replies),
        enabled: patch.enabled.unwrap_or(current.enabled),
        priority: patch.priority.unwrap_or(current.priority),
        in_groups: patch.in_groups.unwrap_or(current.in_groups),
        cooldown_minutes: patch.cooldown_minutes.unwrap_or(current.cooldown_minutes),
    };
    let fields = fields(&state, &auth, merged, &kept).await?;
    Ok(Json(auto_replies::update(&state.db, &auth.scope, &auth.actor(), id, fields).await?.into()))
}

/// Delete a rule.
#[utoipa::path(delete, path = "/api/v1/auto-replies/{id}", tag = "auto_replies", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), ReadErrors))]
pub async fn delete(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuAutoReply)?;
    auto_replies::delete(&state.db, &auth.scope, &auth.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
