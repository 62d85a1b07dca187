//! Extended contact fields (FIELD-1..2): the company's catalogue, managed with `menu.fields`;
//! public fields also need `func.global_fields`, department fields a department the manager sees.

use super::extract::{ApiJson, ApiQuery, Id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors, WriteErrors};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Grant;
use rapport_domain::fields::{FieldType, validate_key, validate_options};
use rapport_domain::values::{NAME_MAX, optional_text, required_text};
use rapport_storage::contact_fields::{self, Field, FieldSettings};
use rapport_storage::departments;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const TIP_MAX: usize = 300;

#[derive(Serialize, ToSchema)]
pub struct FieldView {
    pub id: i64,
    /// Names the field in `fields` of a contact, in filters and in imports; never changes.
    pub key: String,
    pub name: String,
    /// `number`, `text`, `textarea`, `date`, `datetime`, `single_choice`, `multiple_choice`,
    /// `phone`, `email`, `url` or `yes_no`.
    #[serde(rename = "type")]
    pub field_type: String,
    pub options: Vec<String>,
    /// Help text shown with the field.
    pub tip: String,
    pub required: bool,
    /// Public: the whole company's; otherwise limited to `department_ids`.
    pub public: bool,
    pub department_ids: Vec<i64>,
    pub enabled: bool,
    pub position: i64,
}

impl From<Field> for FieldView {
    fn from(f: Field) -> Self {
        FieldView {
            id: f.id,
            key: f.key,
            name: f.name,
            field_type: f.field_type.as_str().to_string(),
            options: f.options,
            tip: f.tip,
            required: f.required,
            public: f.public,
            department_ids: f.department_ids,
            enabled: f.enabled,
            position: f.position,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FieldList {
    pub items: Vec<FieldView>,
    /// Pass back as `cursor` for the next page; null on the last page (always, without `limit`).
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FieldQuery {
    /// Include disabled fields ("show disabled").
    pub include_disabled: Option<bool>,
    pub cursor: Option<String>,
    /// Page size (default: the whole catalogue on one page).
    #[param(minimum = 1)]
    pub limit: Option<u64>,
}

/// The fields the caller sees, in order.
#[utoipa::path(get, path = "/api/v1/fields", tag = "fields", params(FieldQuery),
    responses(
        (status = 200, description = "The fields", body = FieldList),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.fields` or `menu.contacts`", body = ErrorBody),
        (status = 422, description = "A bad parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<FieldQuery>,
) -> ApiResult<Json<FieldList>> {
    auth.require_any(&[Grant::MenuFields, Grant::MenuContacts])?;
    let fields = contact_fields::catalogue(&state.db, &auth.scope, query.include_disabled.unwrap_or(false)).await?;
    // The catalogue is small: a page is a slice of it, the cursor the position it starts at.
    let start = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => c.parse::<usize>().map_err(|_| ApiError::invalid("cursor", "is not a cursor this API gave out"))?,
        None => 0,
    };
    let limit = match query.limit {
        Some(0) => return Err(ApiError::invalid("limit", "must be at least 1")),
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => usize::MAX,
    };
    let end = start.saturating_add(limit).min(fields.len());
    let next_cursor = (end < fields.len()).then(|| end.to_string());
    let items = fields.into_iter().skip(start).take(end.saturating_sub(start)).map(Into::into).collect();
    Ok(Json(FieldList { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// Lower-case letters, digits and `_`, starting with a letter; fixed once created.
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z][a-z0-9_]*$")]
    pub key: String,
    #[serde(rename = "type")]
    #[schema(example = "single_choice")]
    pub field_type: String,
    /// The choices of a choice field.
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub tip: String,
    #[serde(default)]
    pub required: bool,
    /// Public (default) needs `func.global_fields`.
    #[serde(default = "yes")]
    pub public: bool,
    /// For a non-public field: the departments it belongs to.
    #[serde(default)]
    pub department_ids: Vec<i64>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

async fn settings(state: &AppState, auth: &Auth, body: FieldRequest) -> ApiResult<FieldSettings> {
    auth.require(Grant::MenuFields)?;
    let field_type = FieldType::parse(&body.field_type).ok_or_else(|| {
        let names: Vec<_> = FieldType::ALL.iter().map(|t| t.as_str()).collect();
        ApiError::invalid("type", format!("must be one of {}", names.join(", ")))
    })?;
    if body.public {
        auth.require(Grant::FuncGlobalFields)?;
    } else if body.department_ids.is_empty() {
        return Err(ApiError::invalid(
            "department_ids",
            "a field that is not public belongs to at least one department",
        ));
    }
    let mut department_ids = body.department_ids.clone();
    department_ids.sort_unstable();
    department_ids.dedup();
    for id in &department_ids {
        departments::get(&state.db, &auth.scope, *id)
            .await
            .map_err(|_| ApiError::invalid("department_ids", format!("no such department: {id}")))?;
    }
    Ok(FieldSettings {
        key: validate_key(&body.key)?,
        name: required_text("name", &body.name, NAME_MAX)?,
        options: validate_options(field_type, &body.options)?,
        field_type,
        tip: optional_text("tip", &body.tip, TIP_MAX)?,
        required: body.required,
        public: body.public,
        enabled: body.enabled,
        department_ids: if body.public { Vec::new() } else { department_ids },
    })
}

/// Add a field.
#[utoipa::path(post, path = "/api/v1/fields", tag = "fields", request_body = FieldRequest,
    responses(
        (status = 201, description = "Created", body = FieldView),
        (status = 409, description = "A field with this key exists", body = ErrorBody),
        WriteErrors,
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<FieldRequest>,
) -> ApiResult<(StatusCode, Json<FieldView>)> {
    let settings = settings(&state, &auth, body).await?;
    let field = contact_fields::create(&state.db, &auth.scope, &auth.actor(), settings).await?;
    Ok((StatusCode::CREATED, Json(field.into())))
}

/// One field.
#[utoipa::path(get, path = "/api/v1/fields/{id}", tag = "fields", params(("id" = i64, Path)),
    responses((status = 200, description = "The field", body = FieldView), ReadErrors))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<FieldView>> {
    auth.require_any(&[Grant::MenuFields, Grant::MenuContacts])?;
    Ok(Json(contact_fields::get(&state.db, &auth.scope, id).await?.into()))
}

/// Change a field (its key stays). A new type converts the stored values, or is refused with
/// 422 `values_do_not_convert` while some would not convert.
#[utoipa::path(put, path = "/api/v1/fields/{id}", tag = "fields", params(("id" = i64, Path)), request_body = FieldRequest,
    responses((status = 200, description = "Updated", body = FieldView), UpdateErrors))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<FieldRequest>,
) -> ApiResult<Json<FieldView>> {
    let before = contact_fields::get(&state.db, &auth.scope, id).await?;
    if before.public {
        auth.require(Grant::FuncGlobalFields)?;
    }
    if body.key != before.key {
        return Err(ApiError::invalid("key", "a field's key cannot change"));
    }
    let settings = settings(&state, &auth, body).await?;
    Ok(Json(contact_fields::update(&state.db, &auth.scope, &auth.actor(), id, settings).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// `up` or `down`.
    pub direction: String,
}

/// Move a field one place up or down.
#[utoipa::path(post, path = "/api/v1/fields/{id}/move", tag = "fields", params(("id" = i64, Path)), request_body = MoveRequest,
    responses((status = 200, description = "Moved", body = FieldView), UpdateErrors))]
pub async fn shift(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<MoveRequest>,
) -> ApiResult<Json<FieldView>> {
    auth.require(Grant::MenuFields)?;
    let up = match body.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(ApiError::invalid("direction", "must be `up` or `down`")),
    };
    let field = contact_fields::get(&state.db, &auth.scope, id).await?;
    if field.public {
        auth.require(Grant::FuncGlobalFields)?;
    }
    Ok(Json(contact_fields::shift(&state.db, &auth.scope, &auth.actor(), id, up).await?.into()))
}
