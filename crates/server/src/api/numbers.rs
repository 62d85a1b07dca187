//! WhatsApp Business numbers (WA-1).

use super::extract::{ApiJson, ApiQuery, Id, double_option};
use super::schema::{NumberStatusName, OptionalToken, ShortText, SyncMode, TokenText};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors, WriteErrors};
use crate::views::{List, NumberView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Grant;
use rapport_domain::status::NumberStatus;
use rapport_domain::sync::SyncFilter;
use rapport_domain::values::{NAME_MAX, optional_text, required_text};
use rapport_storage::numbers::{self, NewNumber, NumberChanges};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Longest id or token accepted (Meta's access tokens run to a few hundred characters).
const TOKEN_MAX: usize = 1024;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NumberQuery {
    /// Part of the display number, verified name, phone number id or owner's name.
    pub q: Option<String>,
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The numbers the caller may see: their own, plus their department's with `dept.numbers`
/// and those below it with `subdept.numbers`.
#[utoipa::path(get, path = "/api/v1/numbers", tag = "numbers", params(NumberQuery),
    responses(
        (status = 200, description = "A page of numbers", body = List<NumberView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.numbers`", body = ErrorBody),
        (status = 422, description = "Bad query parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<NumberQuery>,
) -> ApiResult<Json<List<NumberView>>> {
    auth.require(Grant::MenuNumbers)?;
    let paging = super::extract::Paging { cursor: query.cursor, limit: query.limit };
    let page = numbers::list(&state.db, &auth.scope, query.q.as_deref(), paging.cursor()?, paging.limit()?).await?;
    Ok(Json(List::new(page.items.into_iter().map(Into::into).collect(), page.next_cursor)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNumberRequest {
    /// Meta's phone number id (routes webhooks to this number).
    #[schema(value_type = TokenText)]
    pub phone_number_id: String,
    /// The WhatsApp Business Account id.
    #[schema(value_type = TokenText)]
    pub waba_id: String,
    #[serde(default)]
    #[schema(value_type = ShortText)]
    pub display_phone_number: String,
    #[serde(default)]
    #[schema(value_type = ShortText)]
    pub verified_name: String,
    /// Stored sealed; never returned.
    #[schema(value_type = TokenText)]
    pub access_token: String,
    /// Verifies webhook signatures; stored sealed, never returned.
    #[schema(value_type = TokenText)]
    pub app_secret: String,
    /// Answers Meta's subscription handshake.
    #[serde(default)]
    #[schema(value_type = OptionalToken)]
    pub verify_token: String,
    pub owner_staff_id: Option<i64>,
    /// Default: the caller's own department.
    pub department_id: Option<i64>,
    /// Which incoming chats are kept: `all` (default), `existing_contacts` or `all_except`.
    #[schema(value_type = Option<SyncMode>)]
    pub sync_filter: Option<String>,
    /// With `all_except`: phone numbers whose messages are not kept.
    #[serde(default)]
    pub sync_except: Vec<String>,
}

/// The sync filter from a request (WA-6).
fn sync(mode: Option<&str>, except: &[String]) -> ApiResult<Option<SyncFilter>> {
    mode.map(|m| {
        SyncFilter::parse(m, except)
            .ok_or_else(|| ApiError::invalid("sync_filter", "must be `all`, `existing_contacts` or `all_except`"))
    })
    .transpose()
}

fn secret(field: &'static str, value: &str) -> ApiResult<String> {
    let value = required_text(field, value, TOKEN_MAX)?;
    if value.chars().any(char::is_whitespace) {
        return Err(ApiError::invalid(field, "must not contain spaces"));
    }
    Ok(value)
}

/// Connect a WhatsApp Business Cloud API number.
#[utoipa::path(post, path = "/api/v1/numbers", tag = "numbers", request_body = NewNumberRequest,
    responses(
        (status = 201, description = "Connected", body = NumberView),
        (status = 409, description = "This phone number id is connected already", body = ErrorBody),
        WriteErrors,
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewNumberRequest>,
) -> ApiResult<(StatusCode, Json<NumberView>)> {
    auth.require(Grant::MenuNumbers)?;
    let phone_number_id = secret("phone_number_id", &body.phone_number_id)?;
    let waba_id = secret("waba_id", &body.waba_id)?;
    let display = optional_text("display_phone_number", &body.display_phone_number, NAME_MAX)?;
    let verified_name = optional_text("verified_name", &body.verified_name, NAME_MAX)?;
    let access_token = secret("access_token", &body.access_token)?;
    let app_secret = secret("app_secret", &body.app_secret)?;
    let verify_token = optional_text("verify_token", &body.verify_token, TOKEN_MAX)?;
    let new = NewNumber {
        phone_number_id: &phone_number_id,
        waba_id: &waba_id,
        display_phone_number: &display,
        verified_name: &verified_name,
        access_token: &access_token,
        app_secret: &app_secret,
        verify_token: &verify_token,
        owner_staff_id: body.owner_staff_id,
        department_id: body.department_id.unwrap_or(auth.scope.viewer.department_id),
        sync: sync(body.sync_filter.as_deref(), &body.sync_except)?.unwrap_or(SyncFilter::All),
    };
    let created = numbers::create(&state.db, &auth.scope, &auth.actor(), &state.settings.secrets, new).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One number the caller may see.
#[utoipa::path(get, path = "/api/v1/numbers/{id}", tag = "numbers", params(("id" = i64, Path)),
    responses((status = 200, description = "The number", body = NumberView), ReadErrors))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<NumberView>> {
    auth.require(Grant::MenuNumbers)?;
    Ok(Json(numbers::get(&state.db, &auth.scope, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NumberPatch {
    #[schema(value_type = Option<ShortText>)]
    pub display_phone_number: Option<String>,
    #[schema(value_type = Option<ShortText>)]
    pub verified_name: Option<String>,
    /// Replaces the stored token.
    #[schema(value_type = Option<TokenText>)]
    pub access_token: Option<String>,
    /// Replaces the stored app secret.
    #[schema(value_type = Option<TokenText>)]
    pub app_secret: Option<String>,
    #[schema(value_type = Option<OptionalToken>)]
    pub verify_token: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub owner_staff_id: Option<Option<i64>>,
    pub department_id: Option<i64>,
    /// `connected` or `disconnected`.
    #[schema(value_type = Option<NumberStatusName>)]
    pub status: Option<String>,
    #[schema(value_type = Option<SyncMode>)]
    pub sync_filter: Option<String>,
    /// With `all_except` (replaces the list).
    #[serde(default)]
    pub sync_except: Vec<String>,
}

/// Edit a number; secrets given here replace the stored ones.
#[utoipa::path(patch, path = "/api/v1/numbers/{id}", tag = "numbers", params(("id" = i64, Path)),
    request_body = NumberPatch,
    responses((status = 200, description = "Updated", body = NumberView), UpdateErrors))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<NumberPatch>,
) -> ApiResult<Json<NumberView>> {
    auth.require(Grant::MenuNumbers)?;
    let changes = NumberChanges {
        display_phone_number: body
            .display_phone_number
            .as_deref()
            .map(|v| optional_text("display_phone_number", v, NAME_MAX))
            .transpose()?,
        verified_name: body
            .verified_name
            .as_deref()
            .map(|v| optional_text("verified_name", v, NAME_MAX))
            .transpose()?,
        access_token: body.access_token.as_deref().map(|v| secret("access_token", v)).transpose()?,
        app_secret: body.app_secret.as_deref().map(|v| secret("app_secret", v)).transpose()?,
        verify_token: body.verify_token.as_deref().map(|v| optional_text("verify_token", v, TOKEN_MAX)).transpose()?,
        owner_staff_id: body.owner_staff_id,
        department_id: body.department_id,
        status: match body.status.as_deref() {
            None => None,
            Some(status) => Some(
                NumberStatus::parse(status)
                    .ok_or_else(|| ApiError::invalid("status", "must be `connected` or `disconnected`"))?,
            ),
        },
        sync: sync(body.sync_filter.as_deref(), &body.sync_except)?,
    };
    let secrets = &state.settings.secrets;
    Ok(Json(numbers::update(&state.db, &auth.scope, &auth.actor(), secrets, id, changes).await?.into()))
}

/// Disconnect a number: its webhooks are ignored from now on; its chats stay readable.
#[utoipa::path(delete, path = "/api/v1/numbers/{id}", tag = "numbers", params(("id" = i64, Path)),
    responses((status = 204, description = "Disconnected"), ReadErrors))]
pub async fn disconnect(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuNumbers)?;
    let changes = NumberChanges { status: Some(NumberStatus::Disconnected), ..Default::default() };
    numbers::update(&state.db, &auth.scope, &auth.actor(), &state.settings.secrets, id, changes).await?;
    Ok(StatusCode::NO_CONTENT)
}
