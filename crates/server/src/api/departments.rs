//! The department tree (ORG-1) and department default grants (PERM-4).

use super::extract::{ApiJson, Id, double_option};
use super::schema::{GrantNames, LongText, NameText};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors, WriteErrors};
use crate::views::{DepartmentView, GrantsView, List};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::values::{NAME_MAX, NOTE_MAX, multiline_text, required_text};
use rapport_domain::visibility::check_grantable;
use rapport_domain::{Grant, GrantSet};
use rapport_storage::departments::{self, DepartmentChanges, NewDepartment};
use serde::Deserialize;
use utoipa::ToSchema;

/// Reading departments is part of the Departments menu and of the Staff accounts menu (which
/// needs them to place and filter staff).
const READ: &[Grant] = &[Grant::MenuDepartments, Grant::MenuStaff];

/// The departments the caller reaches (their own, plus those below it with a sub-department
/// grant), parents before children.
#[utoipa::path(get, path = "/api/v1/departments", tag = "departments",
    responses(
        (status = 200, description = "All reachable departments, in tree order", body = List<DepartmentView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.departments` or `menu.staff`", body = ErrorBody),
    ))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<List<DepartmentView>>> {
    auth.require_any(READ)?;
    let items = departments::list(&state.db, &auth.scope).await?;
    Ok(Json(List::new(items.into_iter().map(Into::into).collect(), None)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartmentRequest {
    #[schema(value_type = NameText)]
    pub name: String,
    #[schema(value_type = LongText)]
    #[serde(default)]
    pub introduction: String,
    pub parent_id: i64,
}

/// Create a department under a parent the caller reaches.
#[utoipa::path(post, path = "/api/v1/departments", tag = "departments", request_body = NewDepartmentRequest,
    responses(
        (status = 201, description = "Created", body = DepartmentView),
        WriteErrors,
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewDepartmentRequest>,
) -> ApiResult<(StatusCode, Json<DepartmentView>)> {
    auth.require(Grant::MenuDepartments)?;
    let name = required_text("name", &body.name, NAME_MAX)?;
    let introduction = multiline_text("introduction", &body.introduction, NOTE_MAX)?;
    let new = NewDepartment { parent_id: body.parent_id, name: &name, introduction: &introduction };
    let created = departments::create(&state.db, &auth.scope, &auth.actor(), new).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One department the caller reaches.
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The department", body = DepartmentView),
        ReadErrors,
    ))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<DepartmentView>> {
    auth.require_any(READ)?;
    Ok(Json(departments::get(&state.db, &auth.scope, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    #[schema(value_type = Option<NameText>)]
    pub name: Option<String>,
    #[schema(value_type = Option<LongText>)]
    pub introduction: Option<String>,
    /// Move under another department (never under itself or its own sub-departments).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
}

/// Rename, describe or move a department.
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "departments", params(("id" = i64, Path)),
    request_body = DepartmentPatch,
    responses(
        (status = 200, description = "Updated", body = DepartmentView),
        UpdateErrors,
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<DepartmentPatch>,
) -> ApiResult<Json<DepartmentView>> {
    auth.require(Grant::MenuDepartments)?;
    let parent_id = match body.parent_id {
        None => None,
        Some(Some(parent)) => Some(parent),
        Some(None) => {
            // Only the root has no parent, and it stays the root.
            let current = departments::get(&state.db, &auth.scope, id).await?;
            if current.parent_id.is_some() {
                return Err(ApiError::invalid("parent_id", "is required for every department but the top-level one"));
            }
            None
        }
    };
    let changes = DepartmentChanges {
        name: body.name.as_deref().map(|n| required_text("name", n, NAME_MAX)).transpose()?,
        introduction: body.introduction.as_deref().map(|i| multiline_text("introduction", i, NOTE_MAX)).transpose()?,
        parent_id,
    };
    Ok(Json(departments::update(&state.db, &auth.scope, &auth.actor(), id, changes).await?.into()))
}

/// Delete a department; refused for the top-level one and while it has sub-departments or staff.
#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "departments", params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The top-level department, or one with sub-departments or staff", body = ErrorBody),
        ReadErrors,
    ))]
pub async fn delete(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuDepartments)?;
    departments::delete(&state.db, &auth.scope, &auth.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The grants new staff of this department receive.
#[utoipa::path(get, path = "/api/v1/departments/{id}/default-grants", tag = "departments", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The default grants", body = GrantsView),
        ReadErrors,
    ))]
pub async fn get_default_grants(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<GrantsView>> {
    auth.require(Grant::MenuDepartments)?;
    let dept = departments::get(&state.db, &auth.scope, id).await?;
    Ok(Json(grants_view(dept.default_grants())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantsRequest {
    /// Grant names from the public contract, e.g. `menu.staff`.
    #[schema(value_type = GrantNames)]
    pub grants: Vec<String>,
}

impl GrantsRequest {
    pub fn parse(&self) -> ApiResult<GrantSet> {
        GrantSet::parse_names(self.grants.iter().map(String::as_str))
            .map_err(|unknown| ApiError::invalid("grants", format!("unknown grant `{unknown}`")))
    }
}

pub fn grants_view(grants: GrantSet) -> GrantsView {
    GrantsView { grants: grants.names().into_iter().map(String::from).collect() }
}

/// Set the grants new staff of this department receive (needs `func.set_authorization`;
/// under `scope.own_grants_only` only grants the caller holds may change).
#[utoipa::path(put, path = "/api/v1/departments/{id}/default-grants", tag = "departments", params(("id" = i64, Path)),
    request_body = GrantsRequest,
    responses(
        (status = 200, description = "Saved", body = GrantsView),
        UpdateErrors,
    ))]
pub async fn set_default_grants(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<GrantsRequest>,
) -> ApiResult<Json<GrantsView>> {
    auth.require(Grant::MenuDepartments)?;
    let grants = body.parse()?;
    let dept = departments::get(&state.db, &auth.scope, id).await?;
    check_grantable(&auth.scope.viewer, dept.default_grants(), grants).map_err(super::staff::grant_refusal)?;
    let saved = departments::set_default_grants(&state.db, &auth.scope, &auth.actor(), id, grants).await?;
    Ok(Json(grants_view(saved.default_grants())))
}
