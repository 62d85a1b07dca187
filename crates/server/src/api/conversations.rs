//! Conversations and their messages (read side; the live inbox comes with its own issue).

use super::extract::{ApiQuery, Id, Paging};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody, ReadErrors};
use crate::views::{ConversationView, List, MessageView};
use axum::Json;
use axum::extract::State;
use rapport_domain::Grant;
use rapport_storage::{conversations, now_ms};

/// Conversations the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(Paging),
    responses(
        (status = 200, description = "A page of conversations", body = List<ConversationView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats`", body = ErrorBody),
        (status = 422, description = "Bad paging parameters", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<List<ConversationView>>> {
    auth.require(Grant::MenuChats)?;
    let page = conversations::list(&state.db, &auth.scope, paging.cursor()?, paging.limit()?).await?;
    let now = now_ms();
    Ok(Json(List::new(page.items.into_iter().map(|c| ConversationView::new(c, now)).collect(), page.next_cursor)))
}

/// A conversation's messages, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations",
    params(("id" = i64, Path), Paging),
    responses((status = 200, description = "A page of messages", body = List<MessageView>), ReadErrors))]
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
