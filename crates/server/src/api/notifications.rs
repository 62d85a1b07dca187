//! The bell (NOTIF-1): the caller's unread notifications, dismiss, and "remind me".

use super::extract::{ApiJson, Id};
use super::schema::RemindAfter;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, UpdateErrors};
use crate::views::{List, rfc3339};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Grant;
use rapport_storage::notifications::{self, Notification};
use rapport_storage::now_ms;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most notifications the bell lists.
const SHOWN: u64 = 50;

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub conversation_id: i64,
    /// `new_customer`, `message`, `assigned` or `reminder`.
    pub kind: String,
    /// New messages since the chat was last read.
    pub count: i64,
    pub chat_name: String,
    pub preview: String,
    pub at: String,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        NotificationView {
            chat_name: n.chat_name.or(n.group_id).unwrap_or_default(),
            at: rfc3339(n.updated_at),
            id: n.id,
            conversation_id: n.conversation_id,
            kind: n.kind,
            count: n.count,
            preview: n.preview,
        }
    }
}

/// The caller's unread notifications, one per conversation, most recent first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    responses(
        (status = 200, description = "Unread notifications", body = List<NotificationView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats`", body = ErrorBody),
    ))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<List<NotificationView>>> {
    auth.require(Grant::MenuChats)?;
    let items = notifications::unread(&state.db, &auth.scope, SHOWN).await?;
    Ok(Json(List::new(items.into_iter().map(Into::into).collect(), None)))
}

/// Mark a notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/dismiss", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 204, description = "Dismissed"), UpdateErrors))]
pub async fn dismiss(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuChats)?;
    notifications::dismiss(&state.db, auth.staff_id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemindRequest {
    /// `15m`, `1h` or `tomorrow` (in 24 hours).
    #[schema(value_type = RemindAfter)]
    pub after: String,
}

/// Hide a notification and bring it back later.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/remind", tag = "notifications", params(("id" = i64, Path)),
    request_body = RemindRequest, responses((status = 204, description = "Will remind"), UpdateErrors))]
pub async fn remind(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<RemindRequest>,
) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuChats)?;
    let minutes = match body.after.as_str() {
        "15m" => 15,
        "1h" => 60,
        "tomorrow" => 24 * 60,
        _ => return Err(ApiError::invalid("after", "must be `15m`, `1h` or `tomorrow`")),
    };
    notifications::remind(&state.db, auth.staff_id(), id, now_ms() + minutes * 60_000).await?;
    Ok(StatusCode::NO_CONTENT)
}
