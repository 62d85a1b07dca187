//! Predefined texts (TEXT-1): personal or shared texts with merge fields, searched by name,
//! and a preview filled for one conversation before it is sent.

use super::extract::{ApiJson, ApiQuery, Id, Paging};
use super::schema::NameText;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors, WriteErrors};
use crate::views::{List, rfc3339};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Grant;
use rapport_domain::merge_fields::{self, Values};
use rapport_domain::values::{NAME_MAX, multiline_text, required_text};
use rapport_storage::texts::{self, PredefinedText, TextFields};
use rapport_storage::{conversations, staff};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Longest body: Meta's limit for a text message.
const BODY_MAX: usize = 4096;
/// Who may use predefined texts: agents in the chats and whoever manages the texts.
const USERS: [Grant; 2] = [Grant::MenuChats, Grant::MenuTexts];

#[derive(Serialize, ToSchema)]
pub struct TextView {
    pub id: i64,
    pub name: String,
    /// With merge fields such as `$[Contact.Name|customer]`.
    pub body: String,
    /// Shared with the company; otherwise the owner's own.
    pub shared: bool,
    pub owner_staff_id: Option<i64>,
    pub updated_at: String,
}

impl From<PredefinedText> for TextView {
    fn from(t: PredefinedText) -> Self {
        TextView {
            id: t.id,
            name: t.name,
            body: t.body,
            shared: t.owner_staff_id.is_none(),
            owner_staff_id: t.owner_staff_id,
            updated_at: rfc3339(t.updated_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TextQuery {
    /// Part of the name.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// Shared texts and the caller's own.
#[utoipa::path(get, path = "/api/v1/texts", tag = "texts", params(TextQuery),
    responses(
        (status = 200, description = "A page of texts", body = List<TextView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats` or `menu.texts`", body = ErrorBody),
        (status = 422, description = "Bad paging parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<TextQuery>,
) -> ApiResult<Json<List<TextView>>> {
    auth.require_any(&USERS)?;
    let paging = Paging { cursor: query.cursor, limit: query.limit };
    let page = texts::list(&state.db, &auth.scope, query.q.as_deref(), paging.cursor()?, paging.limit()?).await?;
    Ok(Json(List::new(page.items.into_iter().map(Into::into).collect(), page.next_cursor)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextRequest {
    #[schema(value_type = NameText)]
    pub name: String,
    /// Up to 4,096 characters; merge fields `$[Contact.Name]`, `$[Contact.Phone]`,
    /// `$[Contact.WhatsApp]`, `$[Staff.Name]`, `$[Staff.Nickname]`, with an optional fallback
    /// after `|`.
    #[schema(min_length = 1, max_length = 4096)]
    pub body: String,
    /// Share with the whole company (needs `menu.texts`); by default the text is the caller's.
    #[serde(default)]
    pub shared: bool,
}

/// The keys `$[Contact.<key>]` may name: the extended fields the caller sees.
async fn field_keys(state: &AppState, auth: &Auth) -> ApiResult<Vec<String>> {
    let fields = rapport_storage::contact_fields::catalogue(&state.db, &auth.scope, true).await?;
    Ok(fields.into_iter().map(|f| f.key).collect())
}

fn fields(auth: &Auth, body: TextRequest, keys: &[String]) -> ApiResult<TextFields> {
    if body.shared {
        auth.require(Grant::MenuTexts)?;
    }
    let name = required_text("name", &body.name, NAME_MAX)?;
    let text = multiline_text("body", &body.body, BODY_MAX)?;
    if text.is_empty() {
        return Err(ApiError::invalid("body", "is required"));
    }
    merge_fields::check(&text, keys)?;
    Ok(TextFields { shared: body.shared, name, body: text })
}

/// Add a text.
#[utoipa::path(post, path = "/api/v1/texts", tag = "texts", request_body = TextRequest,
    responses((status = 201, description = "Created", body = TextView), WriteErrors))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<TextRequest>,
) -> ApiResult<(StatusCode, Json<TextView>)> {
    auth.require_any(&USERS)?;
    let fields = fields(&auth, body, &field_keys(&state, &auth).await?)?;
    let text = texts::create(&state.db, &auth.scope, &auth.actor(), fields).await?;
    Ok((StatusCode::CREATED, Json(text.into())))
}

/// One text.
#[utoipa::path(get, path = "/api/v1/texts/{id}", tag = "texts", params(("id" = i64, Path)),
    responses((status = 200, description = "The text", body = TextView), ReadErrors))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<TextView>> {
    auth.require_any(&USERS)?;
    Ok(Json(texts::get(&state.db, &auth.scope, id).await?.into()))
}

/// A shared text is changed or removed only by those who manage texts.
async fn writable(state: &AppState, auth: &Auth, id: i64) -> ApiResult<PredefinedText> {
    let text = texts::get(&state.db, &auth.scope, id).await?;
    if text.owner_staff_id.is_none() {
        auth.require(Grant::MenuTexts)?;
    }
    Ok(text)
}

/// Replace a text's name, body and sharing.
#[utoipa::path(put, path = "/api/v1/texts/{id}", tag = "texts", params(("id" = i64, Path)), request_body = TextRequest,
    responses((status = 200, description = "Updated", body = TextView), UpdateErrors))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<TextRequest>,
) -> ApiResult<Json<TextView>> {
    auth.require_any(&USERS)?;
    writable(&state, &auth, id).await?;
    let fields = fields(&auth, body, &field_keys(&state, &auth).await?)?;
    Ok(Json(texts::update(&state.db, &auth.scope, &auth.actor(), id, fields).await?.into()))
}

/// Delete a text.
#[utoipa::path(delete, path = "/api/v1/texts/{id}", tag = "texts", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), ReadErrors))]
pub async fn delete(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require_any(&USERS)?;
    writable(&state, &auth, id).await?;
    texts::delete(&state.db, &auth.scope, &auth.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// The conversation whose customer fills the `Contact` fields.
    pub conversation_id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Preview {
    /// The body with the merge fields filled, ready for the composer.
    pub text: String,
}

/// The text with its merge fields filled for one conversation's customer and the caller.
#[utoipa::path(get, path = "/api/v1/texts/{id}/preview", tag = "texts", params(("id" = i64, Path), PreviewQuery),
    responses(
        (status = 200, description = "The filled text", body = Preview),
        (status = 422, description = "Bad conversation id", body = ErrorBody),
        ReadErrors,
    ))]
pub async fn preview(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiQuery(query): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<Preview>> {
    auth.require(Grant::MenuChats)?;
    let text = texts::get(&state.db, &auth.scope, id).await?;
    let chat = conversations::get(&state.db, &auth.scope, query.conversation_id).await?;
    let me = staff::get_unscoped(&state.db, auth.scope.company_id(), auth.staff_id()).await?;
    let mut values = Values::default();
    if let Some(contact_id) = chat.contact_id {
        let stored = rapport_storage::contacts::field_values(&state.db, auth.scope.company_id(), contact_id).await?;
        for (key, value) in stored {
            values = values.with(&format!("Contact.{key}"), rapport_app::customers::value_text(&value));
        }
    }
    let values = values
        .with("Contact.Name", chat.contact_name.unwrap_or_default())
        .with("Contact.Phone", chat.contact_phone.unwrap_or_default())
        .with("Contact.WhatsApp", chat.contact_wa_id.unwrap_or_default())
        .with("Staff.Name", me.name)
        .with("Staff.Nickname", me.nickname);
    Ok(Json(Preview { text: merge_fields::fill(&text.body, &values)? }))
}
