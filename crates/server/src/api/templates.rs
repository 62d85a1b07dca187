//! The template catalogue per WhatsApp Business Account (WA-4).

use super::extract::{ApiJson, Id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors, WriteErrors};
use crate::views::{List, rfc3339};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::{Grant, template};
use rapport_storage::templates::{self, Template, TemplateFields};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

const CATEGORIES: [&str; 3] = ["MARKETING", "UTILITY", "AUTHENTICATION"];

#[derive(Serialize, ToSchema)]
pub struct TemplateView {
    pub id: i64,
    pub waba_id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    /// Only `approved` templates can be sent.
    pub status: String,
    pub reason: Option<String>,
    /// Meta's components (HEADER, BODY, FOOTER, BUTTONS).
    #[schema(value_type = Vec<Object>)]
    pub components: Value,
    /// How many `{{n}}` parameters a send must fill.
    pub parameter_count: i64,
    pub updated_at: String,
}

impl From<Template> for TemplateView {
    fn from(t: Template) -> Self {
        TemplateView {
            components: serde_json::from_str(&t.components_json).unwrap_or(Value::Array(vec![])),
            updated_at: rfc3339(t.updated_at),
            id: t.id,
            waba_id: t.waba_id,
            name: t.name,
            language: t.language,
            category: t.category,
            status: t.status,
            reason: t.reason,
            parameter_count: t.parameter_count,
        }
    }
}

/// The company's templates (to pick one when the 24-hour window is closed).
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates",
    responses(
        (status = 200, description = "All templates", body = List<TemplateView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats` or `menu.numbers`", body = ErrorBody),
    ))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<List<TemplateView>>> {
    auth.require_any(&[Grant::MenuChats, Grant::MenuNumbers])?;
    let items = templates::list(&state.db, auth.scope.company_id()).await?;
    Ok(Json(List::new(items.into_iter().map(Into::into).collect(), None)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateRequest {
    pub waba_id: String,
    /// Lowercase letters, digits and underscores, as Meta requires.
    #[schema(pattern = "^[a-z0-9_]{1,512}$")]
    pub name: String,
    /// e.g. `en_US`, `pt_BR`, `vi`.
    #[schema(pattern = "^[a-z]{2,3}(_[A-Z]{2})?$")]
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    #[schema(value_type = Vec<Object>)]
    pub components: Value,
    /// Default `approved` (a template entered here is usually approved at Meta already).
    pub status: Option<String>,
}

struct Checked {
    waba_id: String,
    name: String,
    language: String,
    category: String,
    status: String,
    components: String,
    parameter_count: i64,
}

fn check(body: TemplateRequest) -> ApiResult<Checked> {
    let waba_id = body.waba_id.trim().to_string();
    if waba_id.is_empty()
        || waba_id.len() > 64
        || !waba_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ApiError::invalid("waba_id", "must be the WhatsApp Business Account id"));
    }
    let name = body.name.trim().to_string();
    if name.is_empty()
        || name.len() > 512
        || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ApiError::invalid("name", "must be lowercase letters, digits and underscores"));
    }
    let language = body.language.trim().to_string();
    let (lang, region) = language.split_once('_').map_or((language.as_str(), None), |(l, r)| (l, Some(r)));
    let language_ok = (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_lowercase())
        && region.is_none_or(|r| r.len() == 2 && r.chars().all(|c| c.is_ascii_uppercase()));
    if !language_ok {
        return Err(ApiError::invalid("language", "must be a language code such as `en_US` or `vi`"));
    }
    let category = body.category.trim().to_ascii_uppercase();
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(ApiError::invalid("category", "must be MARKETING, UTILITY or AUTHENTICATION"));
    }
    let status = body.status.unwrap_or_else(|| template::APPROVED.into());
    if !template::STATUSES.contains(&status.as_str()) {
        return Err(ApiError::invalid("status", "must be approved, pending, rejected, paused or disabled"));
    }
    if !body.components.is_array() {
        return Err(ApiError::invalid("components", "must be Meta's array of components"));
    }
    Ok(Checked {
        parameter_count: template::parameter_count(&body.components) as i64,
        components: body.components.to_string(),
        waba_id,
        name,
        language,
        category,
        status,
    })
}

impl Checked {
    fn fields(&self) -> TemplateFields<'_> {
        TemplateFields {
            waba_id: &self.waba_id,
            name: &self.name,
            language: &self.language,
            category: &self.category,
            status: &self.status,
            components_json: &self.components,
            parameter_count: self.parameter_count,
        }
    }
}

/// Templates are managed by those who see a number of their WhatsApp Business Account.
async fn require_account(state: &AppState, auth: &Auth, waba_id: &str) -> ApiResult<()> {
    if rapport_storage::numbers::waba_visible(&state.db, &auth.scope, waba_id).await? {
        Ok(())
    } else {
        Err(ApiError::invalid("waba_id", "none of your WhatsApp numbers belongs to this business account"))
    }
}

/// Add a template to the catalogue.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body = TemplateRequest,
    responses(
        (status = 201, description = "Added", body = TemplateView),
        (status = 409, description = "This name and language exist already for the account", body = ErrorBody),
        WriteErrors,
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<TemplateRequest>,
) -> ApiResult<(StatusCode, Json<TemplateView>)> {
    auth.require(Grant::MenuNumbers)?;
    let checked = check(body)?;
    require_account(&state, &auth, &checked.waba_id).await?;
    let created = templates::create(&state.db, auth.scope.company_id(), &auth.actor(), checked.fields()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Replace a template.
#[utoipa::path(put, path = "/api/v1/templates/{id}", tag = "templates", params(("id" = i64, Path)), request_body = TemplateRequest,
    responses((status = 200, description = "Saved", body = TemplateView),
        (status = 409, description = "This name and language exist already for the account", body = ErrorBody), UpdateErrors))]
pub async fn replace(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<TemplateRequest>,
) -> ApiResult<Json<TemplateView>> {
    auth.require(Grant::MenuNumbers)?;
    let checked = check(body)?;
    require_account(&state, &auth, &checked.waba_id).await?;
    require_account(&state, &auth, &templates::get(&state.db, auth.scope.company_id(), id).await?.waba_id).await?;
    Ok(Json(templates::update(&state.db, auth.scope.company_id(), &auth.actor(), id, checked.fields()).await?.into()))
}

/// Remove a template from the catalogue.
#[utoipa::path(delete, path = "/api/v1/templates/{id}", tag = "templates", params(("id" = i64, Path)),
    responses((status = 204, description = "Removed"), ReadErrors))]
pub async fn delete(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuNumbers)?;
    require_account(&state, &auth, &templates::get(&state.db, auth.scope.company_id(), id).await?.waba_id).await?;
    templates::delete(&state.db, auth.scope.company_id(), &auth.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// A connected number of the account whose templates to fetch.
    pub number_id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SyncView {
    /// Templates added or refreshed.
    pub synced: usize,
}

/// Fetch the account's templates from Meta into the catalogue.
#[utoipa::path(post, path = "/api/v1/templates/sync", tag = "templates", request_body = SyncRequest,
    responses(
        (status = 200, description = "Synced", body = SyncView),
        (status = 422, description = "Meta refused (`graph_error`) or an invalid number", body = ErrorBody),
        WriteErrors,
    ))]
pub async fn sync(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SyncRequest>,
) -> ApiResult<Json<SyncView>> {
    auth.require(Grant::MenuNumbers)?;
    let number = rapport_storage::numbers::get(&state.db, &auth.scope, body.number_id)
        .await
        .map_err(|_| ApiError::invalid("number_id", "no such number"))?;
    let (_, sealed) = rapport_storage::jobs::sender(&state.db, number.id).await?;
    let token = state.settings.secrets.open(&sealed).map_err(|e| ApiError::Internal(e.to_string()))?;
    let listed = state
        .graph
        .templates(&number.waba_id, &token)
        .await
        .map_err(|e| ApiError::Rule { code: "graph_error", message: format!("Meta answered: {e}") })?;
    let mut synced = 0;
    for t in &listed {
        let (Some(name), Some(language)) = (t["name"].as_str(), t["language"].as_str()) else { continue };
        let components = t["components"].clone();
        let fields = TemplateFields {
            waba_id: &number.waba_id,
            name,
            language,
            category: t["category"].as_str().unwrap_or("UTILITY"),
            status: &template::status_from_event(t["status"].as_str().unwrap_or("PENDING")),
            components_json: &components.to_string(),
            parameter_count: template::parameter_count(&components) as i64,
        };
        templates::upsert(&state.db, auth.scope.company_id(), fields).await?;
        synced += 1;
    }
    Ok(Json(SyncView { synced }))
}
