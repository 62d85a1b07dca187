//! Conversations and their messages (read side; the live inbox comes with its own issue).

use super::extract::{ApiJson, ApiQuery, Id, Paging};
use super::schema::{ChatKind, ConversationStatusName, ImageBytes, MessageText, OptionalToken};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors};
use crate::views::{ConversationView, List, MessageView};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use rapport_app::live::EventKind;
use rapport_app::send::{self, Content, Sender};
use rapport_channels::whatsapp::graph::Outbound;
use rapport_domain::Grant;
use rapport_domain::status::ConversationStatus;
use rapport_domain::values::{multiline_text, optional_text, required_text};
use rapport_storage::conversations::{ActivityCursor, ConversationFilter};
use rapport_storage::{conversations, now_ms};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// `direct` or `group`.
    #[param(value_type = Option<ChatKind>)]
    pub kind: Option<String>,
    /// Responsible staff member; `none` for chats nobody is responsible for.
    pub staff_id: Option<String>,
    pub number_id: Option<i64>,
    /// `open` (a snooze whose time has passed counts as open), `snoozed` or `resolved`.
    #[param(value_type = Option<ConversationStatusName>)]
    pub status: Option<String>,
    /// Part of the contact's name, phone or WhatsApp id (or the group's name or id).
    pub q: Option<String>,
    /// Unanswered for at least this many minutes (up to ten years).
    #[param(minimum = 0, maximum = 5_256_000)]
    pub unanswered_minutes: Option<i64>,
    /// Someone of the staff with this id replied in the chat.
    pub replied_by: Option<i64>,
    /// Last message within this many minutes (up to ten years).
    #[param(minimum = 0, maximum = 5_256_000)]
    pub within_minutes: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Ten years, in minutes: the longest age a filter takes.
const MINUTES_MAX: i64 = 10 * 365 * 24 * 60;

fn minutes(field: &'static str, value: Option<i64>) -> ApiResult<Option<i64>> {
    match value {
        Some(m) if !(0..=MINUTES_MAX).contains(&m) => {
            Err(ApiError::invalid(field, "must be between 0 and 5,256,000 minutes (ten years)"))
        }
        other => Ok(other.map(|m| m * 60_000)),
    }
}

impl ConversationQuery {
    fn filter(&self) -> ApiResult<ConversationFilter> {
        let (staff_id, unassigned) = match self.staff_id.as_deref().filter(|s| !s.is_empty()) {
            None => (None, false),
            Some("none") => (None, true),
            Some(id) => {
                (Some(id.parse().map_err(|_| ApiError::invalid("staff_id", "must be a staff id or `none`"))?), false)
            }
        };
        Ok(ConversationFilter {
            groups: match self.kind.as_deref().filter(|k| !k.is_empty()) {
                None => None,
                Some("direct") => Some(false),
                Some("group") => Some(true),
                Some(_) => return Err(ApiError::invalid("kind", "must be `direct` or `group`")),
            },
            staff_id,
            unassigned,
            number_id: self.number_id,
            status: match self.status.as_deref().filter(|s| !s.is_empty()) {
                None => None,
                Some(status) => Some(
                    ConversationStatus::parse(status)
                        .ok_or_else(|| ApiError::invalid("status", "must be `open`, `snoozed` or `resolved`"))?,
                ),
            },
            q: self.q.clone(),
            unanswered_for_ms: minutes("unanswered_minutes", self.unanswered_minutes)?,
            replied_by: self.replied_by,
            within_ms: minutes("within_minutes", self.within_minutes)?,
        })
    }

    fn cursor(&self) -> ApiResult<Option<ActivityCursor>> {
        match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => Ok(None),
            Some(c) => ActivityCursor::parse(c)
                .map(Some)
                .ok_or_else(|| ApiError::invalid("cursor", "is not a cursor this API gave out")),
        }
    }
}

/// Conversations the caller may see, most recent activity first, filtered (INBOX-1).
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ConversationQuery),
    responses(
        (status = 200, description = "A page of conversations", body = List<ConversationView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats`", body = ErrorBody),
        (status = 422, description = "Bad filter or paging parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<ConversationQuery>,
) -> ApiResult<Json<List<ConversationView>>> {
    auth.require(Grant::MenuChats)?;
    let limit = Paging { cursor: None, limit: query.limit }.limit()?;
    let page = conversations::list(&state.db, &auth.scope, &query.filter()?, query.cursor()?, limit).await?;
    let now = now_ms();
    Ok(Json(List {
        items: page.items.into_iter().map(|c| ConversationView::new(c, now)).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

/// One conversation the caller may see: the list's shape, and for a group chat who wrote in it.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = i64, Path)),
    responses((status = 200, description = "The conversation", body = ConversationView), ReadErrors))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<ConversationView>> {
    auth.require(Grant::MenuChats)?;
    let chat = conversations::get(&state.db, &auth.scope, id).await?;
    let mut view = ConversationView::new(chat, now_ms());
    if let Some(group) = &mut view.group {
        let participants = conversations::participants(&state.db, auth.scope.company_id(), id).await?;
        group.participants = Some(participants.into_iter().map(Into::into).collect());
    }
    Ok(Json(view))
}

/// A conversation's messages, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = i64, Path), Paging),
    responses(
        (status = 200, description = "A page of messages", body = List<MessageView>),
        (status = 422, description = "Bad paging parameters", body = ErrorBody),
        ReadErrors,
    ))]
pub async fn messages(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<List<MessageView>>> {
    auth.require(Grant::MenuChats)?;
    let page = conversations::messages(&state.db, &auth.scope, id, paging.cursor()?, paging.limit()?).await?;
    Ok(Json(List::new(page.items.into_iter().map(Into::into).collect(), page.next_cursor)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateSend {
    /// The approved template's name.
    #[schema(min_length = 1, max_length = 512, pattern = "^[a-z0-9_]+$")]
    pub name: String,
    /// Its language code, e.g. `en_US`.
    #[schema(min_length = 2, max_length = 16, pattern = "^[a-z]{2,3}(_[A-Z]{2})?$")]
    pub language: String,
    /// Values for the body's `{{1}}`, `{{2}}` ... (single lines).
    #[serde(default)]
    #[schema(value_type = Vec<OptionalToken>)]
    pub parameters: Vec<String>,
}

/// What to send: `{"type":"text","text":"..."}` (only within the 24-hour window) or
/// `{"type":"template","template":{...}}`; `reply_to` quotes a message by wamid.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SendRequest {
    Text {
        #[schema(value_type = MessageText)]
        text: String,
        reply_to: Option<String>,
    },
    Template {
        template: TemplateSend,
        reply_to: Option<String>,
    },
    Location {
        location: LocationRequest,
        reply_to: Option<String>,
    },
    /// React to a message of this conversation (by wamid); an empty emoji removes the reaction.
    Reaction {
        message_id: String,
        emoji: String,
    },
    /// A file uploaded with `POST /api/v1/uploads`, with an optional caption.
    Image {
        upload_id: i64,
        caption: Option<String>,
        reply_to: Option<String>,
    },
    Video {
        upload_id: i64,
        caption: Option<String>,
        reply_to: Option<String>,
    },
    Audio {
        upload_id: i64,
        reply_to: Option<String>,
    },
    Document {
        upload_id: i64,
        caption: Option<String>,
        reply_to: Option<String>,
    },
    Sticker {
        upload_id: i64,
        reply_to: Option<String>,
    },
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationRequest {
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: f64,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// Longest text WhatsApp accepts in one message.
const TEXT_MAX: usize = rapport_app::send::TEXT_MAX;

/// Send a message to the conversation's customer. It is queued at once (status `queued`) and
/// sent by the send workers; its status then follows Meta's reports.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = i64, Path)), request_body = SendRequest,
    responses(
        (status = 201, description = "Queued", body = MessageView),
        (status = 409, description = "`number_disconnected`: the chat's number is disconnected; `conversation_taken`: another sales rep answered this new customer first", body = ErrorBody),
        (status = 422, description = "Invalid, or `window_closed`: free text outside the 24-hour window", body = ErrorBody),
        UpdateErrors,
    ))]
pub async fn send(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<SendRequest>,
) -> ApiResult<(StatusCode, Json<MessageView>)> {
    auth.require(Grant::MenuChats)?;
    let chat = conversations::get(&state.db, &auth.scope, id).await?;
    let (content, reply_to) = body.into_content()?;
    let sender = Sender::Staff { staff_id: auth.staff_id(), role: auth.session.role() };
    let company_id = auth.scope.company_id();
    let message_id = send::send(&state, company_id, send::Message { chat: &chat, content, reply_to, sender }).await?;
    // Answer with the message as queued (a send worker may already have moved it on).
    let message = conversations::message(&state.db, company_id, message_id).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

impl SendRequest {
    /// The content to send, with the checks that belong to the request's shape (coordinates,
    /// one emoji, template texts' lengths), and the quoted message.
    fn into_content(self) -> ApiResult<(Content, Option<String>)> {
        Ok(match self {
            SendRequest::Text { text, reply_to } => (Content::Message(Outbound::Text { body: text }), reply_to),
            SendRequest::Template { template, reply_to } => {
                let name = required_text("template.name", &template.name, 512)?;
                let language = required_text("template.language", &template.language, 16)?;
                for parameter in &template.parameters {
                    optional_text("template.parameters", parameter, 1024)?;
                }
                let parameters = template.parameters;
                (Content::Message(Outbound::Template { name, language, parameters }), reply_to)
            }
            SendRequest::Location { location, reply_to } => (location.into_content()?, reply_to),
            SendRequest::Reaction { message_id, emoji } => {
                if emoji.chars().count() > 8 || emoji.chars().any(|c| c.is_alphanumeric() || c.is_whitespace()) {
                    return Err(ApiError::invalid("emoji", "must be one emoji, or empty to remove the reaction"));
                }
                (Content::Message(Outbound::Reaction { message_id, emoji }), None)
            }
            SendRequest::Image { upload_id, caption, reply_to } => attachment("image", upload_id, caption, reply_to),
            SendRequest::Video { upload_id, caption, reply_to } => attachment("video", upload_id, caption, reply_to),
            SendRequest::Audio { upload_id, reply_to } => attachment("audio", upload_id, None, reply_to),
            SendRequest::Document { upload_id, caption, reply_to } => {
                attachment("document", upload_id, caption, reply_to)
            }
            SendRequest::Sticker { upload_id, reply_to } => attachment("sticker", upload_id, None, reply_to),
        })
    }
}

fn attachment(
    kind: &'static str,
    upload_id: i64,
    caption: Option<String>,
    reply_to: Option<String>,
) -> (Content, Option<String>) {
    (Content::Media { kind, upload_id, caption }, reply_to)
}

impl LocationRequest {
    fn into_content(self) -> ApiResult<Content> {
        if !(-90.0..=90.0).contains(&self.latitude) {
            return Err(ApiError::invalid("location.latitude", "must be between -90 and 90"));
        }
        if !(-180.0..=180.0).contains(&self.longitude) {
            return Err(ApiError::invalid("location.longitude", "must be between -180 and 180"));
        }
        let text = |field, value: Option<String>, max| {
            value.map(|v| optional_text(field, &v, max)).transpose().map(|v| v.filter(|v| !v.is_empty()))
        };
        Ok(Content::Message(Outbound::Location {
            latitude: self.latitude,
            longitude: self.longitude,
            name: text("location.name", self.name, 256)?,
            address: text("location.address", self.address, 512)?,
        }))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[schema(value_type = MessageText)]
    pub text: String,
}

/// Add an internal note to the chat: kept in its history for colleagues, never sent.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/notes", tag = "conversations",
    params(("id" = i64, Path)), request_body = NoteRequest,
    responses((status = 201, description = "Added", body = MessageView), UpdateErrors))]
pub async fn add_note(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<NoteRequest>,
) -> ApiResult<(StatusCode, Json<MessageView>)> {
    auth.require(Grant::MenuChats)?;
    let conversation = conversations::get(&state.db, &auth.scope, id).await?;
    let text = multiline_text("text", &body.text, TEXT_MAX)?;
    if text.is_empty() {
        return Err(ApiError::invalid("text", "is required"));
    }
    let company_id = auth.scope.company_id();
    let note = rapport_storage::notes::add(&state.db, company_id, conversation.id, auth.staff_id(), &text).await?;
    state.settings.live.changed(&state.db, company_id, &[(conversation.id, EventKind::Message)]).await;
    Ok((StatusCode::CREATED, Json(conversations::message(&state.db, company_id, note).await?.into())))
}

/// Mark the customer's latest message as read at Meta (the agent opened the chat).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "conversations", params(("id" = i64, Path)),
    responses((status = 202, description = "Marking as read"), ReadErrors))]
pub async fn mark_read(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuChats)?;
    let conversation = conversations::get(&state.db, &auth.scope, id).await?;
    rapport_storage::notifications::read_conversation(&state.db, auth.staff_id(), conversation.id).await?;
    if auth.may_write() {
        rapport_app::outbox::mark_read(&state, auth.scope.company_id(), conversation.id, conversation.number_id);
    }
    Ok(StatusCode::ACCEPTED)
}

/// Media types shown in the browser (besides `audio/*`); anything else is downloaded.
const INLINE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp", "video/mp4", "video/3gpp", "application/pdf"];

/// A message's media file (image, audio, video, document, sticker), once downloaded.
#[utoipa::path(get, path = "/api/v1/messages/{id}/media", tag = "conversations", params(("id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = ImageBytes), ReadErrors))]
pub async fn media(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<impl IntoResponse> {
    auth.require(Grant::MenuChats)?;
    let file = rapport_storage::media::file_of(&state.db, &auth.scope, id).await?;
    let path = file.media_path.ok_or(ApiError::NotFound)?;
    let bytes = tokio::fs::read(state.settings.media_dir.join(&path)).await.map_err(|_| ApiError::NotFound)?;
    let filename = file.media_filename.unwrap_or_else(|| "media".into());
    // Customers choose what they send: only types a browser shows without running anything are
    // served inline; everything else is a download, and no script may run from this route.
    let mime_type = file.media_mime_type.unwrap_or_default();
    let audio = mime_type.starts_with("audio/") && mime_type.bytes().all(|b| b.is_ascii_graphic());
    let inline = INLINE_TYPES.contains(&mime_type.as_str()) || audio;
    let content_type = if inline { mime_type } else { "application/octet-stream".to_string() };
    let disposition = crate::disposition::content_disposition(inline, &filename);
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'".to_string()),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
        ],
        bytes,
    ))
}
