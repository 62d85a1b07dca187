//! Writing to a customer first (DIST-4): the number each staff member writes first from, the
//! numbers someone may write from, and starting a chat with a phone number.

use super::extract::{ApiJson, Id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::views::{ConversationView, List, StaffView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Grant;
use rapport_storage::now_ms;
use rapport_storage::write_first::{self, ChatNumber, Recipient};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstNumberRequest {
    /// One of the company's connected numbers, or null to clear.
    pub number_id: Option<i64>,
}

/// Set the number a staff member writes to customers first from.
#[utoipa::path(put, path = "/api/v1/staff/{id}/first-number", tag = "staff", params(("id" = i64, Path)),
    request_body = FirstNumberRequest,
    responses(
        (status = 200, description = "Set", body = StaffView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.staff`, or a missing CSRF token", body = ErrorBody),
        (status = 404, description = "Unknown staff member, or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "`number_id` is not a connected number of the company", body = ErrorBody),
    ))]
pub async fn set_first_number(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<FirstNumberRequest>,
) -> ApiResult<Json<StaffView>> {
    auth.require(Grant::MenuStaff)?;
    let member = write_first::set(&state.db, &auth.scope, &auth.actor(), id, body.number_id).await?;
    Ok(Json(member.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ChatNumberView {
    pub id: i64,
    pub display_phone_number: String,
    pub verified_name: String,
    /// The caller's number to write first from.
    pub first: bool,
}

/// The numbers the caller may start a chat from (owned, in their chat reach, or offering
/// them new customers).
#[utoipa::path(get, path = "/api/v1/me/chat-numbers", tag = "conversations",
    responses(
        (status = 200, description = "The numbers", body = List<ChatNumberView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats`", body = ErrorBody),
    ))]
pub async fn chat_numbers(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<List<ChatNumberView>>> {
    auth.require(Grant::MenuChats)?;
    let items = write_first::choices(&state.db, &auth.scope)
        .await?
        .into_iter()
        .map(|(n, first): (ChatNumber, bool)| ChatNumberView {
            first,
            id: n.id,
            display_phone_number: n.display_phone_number,
            verified_name: n.verified_name,
        })
        .collect();
    Ok(Json(List { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The customer's number in international form (`+44 7700 900123`; spaces, dots,
    /// dashes and brackets are ignored).
    #[schema(min_length = 7, max_length = 32, pattern = r"^(\+|00)?[1-9][0-9 ().\-]{6,30}$")]
    pub phone: String,
    /// A name for a customer not known yet.
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// The number to write from; by default the caller's number to write first from, or
    /// their only one.
    pub number_id: Option<i64>,
}

/// Start a chat with a customer (or open the one there is): on the given number, or the
/// caller's number to write first from. The caller becomes responsible when nobody is. The
/// 24-hour window is closed until the customer writes, so the first message is a template.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", request_body = StartRequest,
    responses(
        (status = 200, description = "The conversation there already was", body = ConversationView),
        (status = 201, description = "A new conversation", body = ConversationView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats`; quality control never writes", body = ErrorBody),
        (status = 409, description = "A colleague is responsible for this customer", body = ErrorBody),
        (status = 422, description = "Bad phone, or no number (or not one the caller may write from)", body = ErrorBody),
    ))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<StartRequest>,
) -> ApiResult<(StatusCode, Json<ConversationView>)> {
    auth.require(Grant::MenuChats)?;
    auth.require_writer("writes to customers")?;
    let wa_id = rapport_domain::phone::international_wa_id(&body.phone)?;
    let name = body.name.as_deref().map(|n| rapport_domain::values::optional_text("name", n, 200)).transpose()?;
    let recipient = Recipient { wa_id: &wa_id, name: name.as_deref() };
    let (conversation, created) =
        write_first::start(&state.db, &auth.scope, &auth.actor(), body.number_id, recipient).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(ConversationView::new(conversation, now_ms()))))
}
