//! Staff accounts (ORG-2, ORG-3) and their authorization (PERM-1..5).

use super::departments::{GrantsRequest, grants_view};
use super::extract::{ApiJson, ApiQuery, Id, Paging, double_option};
use super::schema::{AccountText, ImageBytes, LongText, NameText, NewPassword, RoleName, ShortText, StatusName};
use crate::AppState;
use crate::auth::Auth;
use crate::auth::password::hash_password_async;
use crate::error::{ApiError, ApiResult, ErrorBody, HashingBusy, ReadErrors, UpdateErrors, WriteErrors};
use crate::views::{GrantsView, List, StaffView};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use rapport_app::live::Event;
use rapport_domain::status::StaffStatus;
use rapport_domain::values::{Account, NAME_MAX, NOTE_MAX, Password, multiline_text, optional_text, required_text};
use rapport_domain::visibility::{GrantRefusal, check_grant_change, check_manageable};
use rapport_domain::{Grant, GrantSet, Role};
use rapport_storage::staff::{self, NewStaff, StaffChanges, StaffFilter};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Refuses to manage an account holding grants the caller does not hold.
fn require_manageable(auth: &Auth, target: GrantSet) -> ApiResult<()> {
    check_manageable(&auth.scope.viewer, target).map_err(|not_held| {
        ApiError::forbidden(format!(
            "you may only manage accounts whose permissions you hold yourself; not held: {}",
            not_held.names().join(", ")
        ))
    })
}

/// A refused change of grants, as the API answers it.
pub fn grant_refusal(refusal: GrantRefusal) -> ApiError {
    match refusal {
        GrantRefusal::NotAllowed => {
            ApiError::forbidden("setting authorization needs the `func.set_authorization` permission")
        }
        GrantRefusal::OwnAuthorization => ApiError::forbidden("you cannot change your own authorization"),
        GrantRefusal::NotHeld(grants) => ApiError::forbidden(format!(
            "you may only grant or revoke permissions you hold yourself; not held: {}",
            grants.names().join(", ")
        )),
    }
}

fn parse_status(status: &str) -> ApiResult<StaffStatus> {
    StaffStatus::parse(status).ok_or_else(|| ApiError::invalid("status", "must be `enabled` or `disabled`"))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffQuery {
    /// Part of the account or the name.
    pub q: Option<String>,
    pub department_id: Option<i64>,
    /// With `department_id`: include everyone below that department too.
    #[serde(default)]
    pub include_subdepartments: bool,
    /// `enabled` or `disabled`.
    #[param(value_type = Option<StatusName>)]
    pub status: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// The staff the caller may see (themself; their department with `dept.staff`; everything
/// below it with `subdept.staff`), filtered and paged by id.
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", params(StaffQuery),
    responses(
        (status = 200, description = "A page of staff", body = List<StaffView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.staff`", body = ErrorBody),
        (status = 422, description = "Bad query parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<StaffQuery>,
) -> ApiResult<Json<List<StaffView>>> {
    auth.require(Grant::MenuStaff)?;
    let paging = Paging { cursor: query.cursor, limit: query.limit };
    let filter = StaffFilter {
        q: query.q,
        department_id: query.department_id,
        include_subdepartments: query.include_subdepartments,
        status: query.status.as_deref().filter(|s| !s.is_empty()).map(parse_status).transpose()?,
    };
    let page = staff::list(&state.db, &auth.scope, &filter, paging.cursor()?, paging.limit()?).await?;
    Ok(Json(List::new(page.items.into_iter().map(Into::into).collect(), page.next_cursor)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaffRequest {
    /// Login id, recommended an e-mail address; unique, never changed later.
    #[schema(value_type = AccountText)]
    pub account: String,
    #[schema(value_type = NameText)]
    pub name: String,
    #[serde(default)]
    #[schema(value_type = ShortText)]
    pub nickname: String,
    #[schema(value_type = NewPassword)]
    pub password: String,
    pub department_id: i64,
    #[schema(value_type = LongText)]
    #[serde(default)]
    pub notes: String,
    /// `enabled` (default) or `disabled`.
    #[schema(value_type = Option<StatusName>)]
    pub status: Option<String>,
}

/// Create a staff account; it receives its department's default grants.
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", request_body = NewStaffRequest,
    responses(
        (status = 201, description = "Created", body = StaffView),
        (status = 409, description = "The account exists already", body = ErrorBody),
        WriteErrors,
        HashingBusy,
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewStaffRequest>,
) -> ApiResult<(StatusCode, Json<StaffView>)> {
    auth.require(Grant::MenuStaff)?;
    let account = Account::parse(&body.account)?;
    let name = required_text("name", &body.name, NAME_MAX)?;
    let nickname = optional_text("nickname", &body.nickname, NAME_MAX)?;
    let notes = multiline_text("notes", &body.notes, NOTE_MAX)?;
    let password = Password::parse("password", &body.password)?;
    let status = body.status.as_deref().map(parse_status).transpose()?;
    let department = rapport_storage::departments::get(&state.db, &auth.scope, body.department_id)
        .await
        .map_err(|_| ApiError::invalid("department_id", "no such department"))?;
    require_manageable(&auth, department.default_grants())?;
    let password_hash = hash_password_async(password.expose().to_string()).await?;
    let new = NewStaff {
        department_id: body.department_id,
        account: account.as_str(),
        name: &name,
        nickname: &nickname,
        notes: &notes,
        password_hash: &password_hash,
    };
    let actor = auth.actor();
    let mut created = staff::create(&state.db, &auth.scope, &actor, new).await?;
    if status == Some(StaffStatus::Disabled) {
        let changes = StaffChanges { status: Some(StaffStatus::Disabled), ..Default::default() };
        created = staff::update(&state.db, &auth.scope, &actor, created.id, changes, None).await?;
    }
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One staff member the caller may see (anyone may read themself).
#[utoipa::path(get, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The staff member", body = StaffView),
        ReadErrors,
    ))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<StaffView>> {
    if id != auth.staff_id() {
        auth.require(Grant::MenuStaff)?;
    }
    Ok(Json(staff::get(&state.db, &auth.scope, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffPatch {
    /// Accepted only unchanged: an account is never changed after creation.
    pub account: Option<String>,
    #[schema(value_type = Option<NameText>)]
    pub name: Option<String>,
    #[schema(value_type = Option<ShortText>)]
    pub nickname: Option<String>,
    #[schema(value_type = Option<LongText>)]
    pub notes: Option<String>,
    pub department_id: Option<i64>,
    /// `enabled` or `disabled`; disabling ends the member's sessions at once.
    #[schema(value_type = Option<StatusName>)]
    pub status: Option<String>,
    /// `quality_control`, `sales_rep`, `manager`, or null to clear. Setting a role adds its
    /// preset grants and needs `func.set_authorization`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<RoleName>)]
    pub role: Option<Option<String>>,
    /// A new password (an administrator's reset); ends the member's sessions.
    #[schema(value_type = Option<NewPassword>)]
    pub password: Option<String>,
}

/// Edit a staff account (not its account name).
#[utoipa::path(patch, path = "/api/v1/staff/{id}", tag = "staff", params(("id" = i64, Path)), request_body = StaffPatch,
    responses(
        (status = 200, description = "Updated", body = StaffView),
        UpdateErrors,
        HashingBusy,
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<StaffPatch>,
) -> ApiResult<Json<StaffView>> {
    auth.require(Grant::MenuStaff)?;
    let current = staff::get(&state.db, &auth.scope, id).await?;
    if id != auth.staff_id() {
        require_manageable(&auth, current.grants())?;
    }
    if let Some(account) = &body.account
        && Account::parse(account).map(|a| a.as_str() != current.account).unwrap_or(true)
    {
        return Err(ApiError::invalid("account", "cannot be changed after the account is created"));
    }
    let mut changes = StaffChanges {
        name: body.name.as_deref().map(|n| required_text("name", n, NAME_MAX)).transpose()?,
        nickname: body.nickname.as_deref().map(|n| optional_text("nickname", n, NAME_MAX)).transpose()?,
        notes: body.notes.as_deref().map(|n| multiline_text("notes", n, NOTE_MAX)).transpose()?,
        department_id: body.department_id,
        status: body.status.as_deref().map(parse_status).transpose()?,
        ..Default::default()
    };
    if changes.status == Some(StaffStatus::Disabled) && id == auth.staff_id() {
        return Err(ApiError::invalid("status", "you cannot disable your own account"));
    }
    if let Some(role) = body.role {
        let role = role
            .map(|r| {
                Role::parse(&r).ok_or_else(|| {
                    ApiError::invalid("role", "must be `quality_control`, `sales_rep`, `manager` or null")
                })
            })
            .transpose()?;
        let old = current.grants();
        let new = role.map_or(old, |r| old.union(r.preset()));
        check_grant_change(&auth.scope.viewer, id, old, new).map_err(grant_refusal)?;
        changes.role = Some(role);
        changes.grants = (new != old).then_some(new);
    }
    if let Some(password) = &body.password {
        not_own_password(&auth, id)?;
        let password = Password::parse("password", password)?;
        changes.password_hash = Some(hash_password_async(password.expose().to_string()).await?);
    }
    let saved = staff::update(&state.db, &auth.scope, &auth.actor(), id, changes, None).await?;
    state.settings.live.publish(Event::access_changed(id)).await;
    Ok(Json(saved.into()))
}

/// A staff member's grants.
#[utoipa::path(get, path = "/api/v1/staff/{id}/grants", tag = "staff", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The grants", body = GrantsView),
        ReadErrors,
    ))]
pub async fn get_grants(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<GrantsView>> {
    if id != auth.staff_id() {
        auth.require(Grant::MenuStaff)?;
    }
    Ok(Json(grants_view(staff::get(&state.db, &auth.scope, id).await?.grants())))
}

/// Replace a staff member's grants (needs `func.set_authorization`; under
/// `scope.own_grants_only` only grants the caller holds may change; never one's own).
#[utoipa::path(put, path = "/api/v1/staff/{id}/grants", tag = "staff", params(("id" = i64, Path)), request_body = GrantsRequest,
    responses(
        (status = 200, description = "Saved", body = GrantsView),
        UpdateErrors,
    ))]
pub async fn set_grants(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<GrantsRequest>,
) -> ApiResult<Json<GrantsView>> {
    let grants: GrantSet = body.parse()?;
    let current = staff::get(&state.db, &auth.scope, id).await?;
    check_grant_change(&auth.scope.viewer, id, current.grants(), grants).map_err(grant_refusal)?;
    let changes = StaffChanges { grants: Some(grants), ..Default::default() };
    let saved = staff::update(&state.db, &auth.scope, &auth.actor(), id, changes, None).await?;
    state.settings.live.publish(Event::access_changed(id)).await;
    Ok(Json(grants_view(saved.grants())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    #[schema(value_type = NewPassword)]
    pub password: String,
    /// When given, must equal `password`.
    pub confirm_password: Option<String>,
}

/// Reset a staff member's password; their sessions end.
#[utoipa::path(put, path = "/api/v1/staff/{id}/password", tag = "staff", params(("id" = i64, Path)), request_body = PasswordReset,
    responses(
        (status = 204, description = "Reset"),
        UpdateErrors,
        HashingBusy,
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuStaff)?;
    not_own_password(&auth, id)?;
    let password = match &body.confirm_password {
        Some(confirm) => Password::parse_confirmed(&body.password, confirm)?,
        None => Password::parse("password", &body.password)?,
    };
    let target = staff::get(&state.db, &auth.scope, id).await?;
    require_manageable(&auth, target.grants())?;
    let hash = hash_password_async(password.expose().to_string()).await?;
    let changes = StaffChanges { password_hash: Some(hash), ..Default::default() };
    staff::update(&state.db, &auth.scope, &auth.actor(), id, changes, None).await?;
    state.settings.live.publish(Event::access_changed(id)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// One's own password changes only with the current one (AUTH-2, `PUT /api/v1/me/password`),
/// never through the staff routes, whatever one may do to others.
fn not_own_password(auth: &Auth, id: i64) -> ApiResult<()> {
    if id == auth.staff_id() {
        return Err(ApiError::invalid(
            "password",
            "change your own password in your profile, with your current password (PUT /api/v1/me/password)",
        ));
    }
    Ok(())
}

/// A staff member's avatar image.
#[utoipa::path(get, path = "/api/v1/staff/{id}/avatar", tag = "staff", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The image (PNG, JPEG, GIF or WebP)", content_type = "image/*", body = ImageBytes),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No avatar, unknown, or outside the caller's scope", body = ErrorBody),
    ))]
pub async fn avatar(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<impl IntoResponse> {
    let avatar = staff::avatar(&state.db, &auth.scope, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, avatar.content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        avatar.bytes,
    ))
}
