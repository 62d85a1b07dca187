//! Customers (CONT-1, CONT-2, CONT-5): the scoped, filtered, sorted list; create, edit, delete,
//! restore and merge; counts by source; each staff member's list columns.

use super::extract::{ApiJson, ApiQuery, Id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors};
use crate::views::rfc3339;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_app::customers::{self, Catalogue, DEFAULT_COLUMNS, Placement};
use rapport_domain::Grant;
use rapport_domain::contact::Draft;
use rapport_storage::contacts::{self, Contact, Cursor, ListQuery, Sort};
use rapport_storage::{departments, list_columns, staff};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

/// The list's name among a staff member's remembered column choices.
pub const LIST: &str = "contacts";

#[derive(Serialize, ToSchema)]
pub struct ContactView {
    pub id: i64,
    pub name: String,
    /// E.164, e.g. `+79123456789`.
    pub phone: String,
    /// The phone as it was typed.
    pub phone_typed: String,
    pub wa_id: Option<String>,
    pub department_id: i64,
    pub responsible_staff_id: Option<i64>,
    pub responsible_name: Option<String>,
    pub email: String,
    pub address: String,
    /// `system`, `import`, `whatsapp`, `api` or any text.
    pub source: String,
    /// Extended field values by key (only fields the caller sees).
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    pub created_at: String,
    pub updated_at: Option<String>,
    /// Set on a deleted contact (listed with `deleted=true`).
    pub deleted_at: Option<String>,
}

impl ContactView {
    pub fn new(c: Contact, catalogue: &Catalogue) -> ContactView {
        ContactView {
            id: c.id,
            fields: catalogue.visible_values(&c.fields),
            name: c.name,
            phone: c.phone,
            phone_typed: c.phone_typed,
            wa_id: c.wa_id,
            department_id: c.department_id,
            responsible_staff_id: c.responsible_staff_id,
            responsible_name: c.responsible_name,
            email: c.email,
            address: c.address,
            source: c.source,
            created_at: rfc3339(c.created_at),
            updated_at: c.updated_at.map(rfc3339),
            deleted_at: c.deleted_at.map(rfc3339),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactView>,
    /// Pass back as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Quick search: part of the name, e-mail or responsible's name, or a phone in any format.
    pub q: Option<String>,
    pub responsible_staff_id: Option<i64>,
    /// Conditions, all of which must hold: a JSON array of `{"field","op","value"}`; `field` is
    /// a built-in column (`name`, `phone`, `email`, `address`, `source`, `responsible_staff_id`,
    /// `department_id`, `created_at`) or an extended field's key; `op` one of `eq`, `ne`,
    /// `contains`, `starts_with`, `gt`, `lt`, `between` (value `[low, high]`), `empty`,
    /// `not_empty`, `any_of` (value a list).
    pub filter: Option<String>,
    /// Column to sort by (newest first when absent).
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub order: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 10).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Deleted contacts instead (administrators, `menu.settings`).
    pub deleted: Option<bool>,
}

/// Reads the list parameters into a storage query.
pub fn list_query(auth: &Auth, catalogue: &Catalogue, query: &ContactQuery) -> ApiResult<ListQuery> {
    let limit = match query.limit {
        None => 10,
        Some(n @ 1..=200) => n,
        Some(_) => return Err(ApiError::invalid("limit", "must be between 1 and 200")),
    };
    let descending = match query.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::invalid("order", "must be `asc` or `desc`")),
    };
    let sort = match query.sort.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => Some(Sort { column: catalogue.sort_column(name)?, descending }),
        None => None,
    };
    let cursor = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(text) => {
            Some(Cursor::decode(text).ok_or_else(|| ApiError::invalid("cursor", "is not a cursor this API gave out"))?)
        }
        None => None,
    };
    let deleted = query.deleted.unwrap_or(false);
    if deleted {
        auth.require(Grant::MenuSettings)?;
    }
    Ok(ListQuery {
        q: query.q.clone(),
        responsible_staff_id: query.responsible_staff_id,
        filter: catalogue.filter(query.filter.as_deref())?,
        sort,
        cursor,
        limit,
        deleted,
        country: catalogue.country.clone(),
    })
}

/// The contacts the caller sees, filtered and sorted.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactQuery),
    responses(
        (status = 200, description = "A page of contacts", body = ContactList),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.contacts` (`menu.settings` for deleted ones)", body = ErrorBody),
        (status = 422, description = "A bad parameter, or a filter naming an unknown field or a wrong operator", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<ContactQuery>,
) -> ApiResult<Json<ContactList>> {
    auth.require(Grant::MenuContacts)?;
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    let page = contacts::list(&state.db, &auth.scope, &list_query(&auth, &catalogue, &query)?).await?;
    Ok(Json(ContactList {
        items: page.items.into_iter().map(|c| ContactView::new(c, &catalogue)).collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Any format; a local number is read in the company's default country.
    #[schema(min_length = 1, max_length = 40)]
    pub phone: String,
    pub department_id: i64,
    pub responsible_staff_id: i64,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    /// Where the contact came from (default `system`).
    #[serde(default)]
    pub source: Option<String>,
    /// Extended field values by key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

/// The department and responsible staff member must be ones the caller sees.
async fn placement(
    state: &AppState,
    auth: &Auth,
    department_id: i64,
    responsible: Option<i64>,
) -> ApiResult<Placement> {
    departments::get(&state.db, &auth.scope, department_id)
        .await
        .map_err(|_| ApiError::invalid("department_id", "no such department"))?;
    if let Some(staff_id) = responsible.filter(|id| *id != auth.staff_id()) {
        staff::get(&state.db, &auth.scope, staff_id)
            .await
            .map_err(|_| ApiError::invalid("responsible_staff_id", "no such staff member"))?;
    }
    Ok(Placement { department_id, responsible_staff_id: responsible })
}

/// Add a contact. A phone or WhatsApp id another contact has is refused with 409
/// `duplicate_contact`, naming that contact (`existing_id`, `link`).
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = ContactRequest,
    responses(
        (status = 201, description = "Created", body = ContactView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.contacts`, or a wrong CSRF token", body = ErrorBody),
        (status = 409, description = "Another contact has this phone", body = ErrorBody),
        (status = 422, description = "Invalid input; `field` names it (an extended field by its key)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ContactRequest>,
) -> ApiResult<(StatusCode, Json<ContactView>)> {
    auth.require(Grant::MenuContacts)?;
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    let place = placement(&state, &auth, body.department_id, Some(body.responsible_staff_id)).await?;
    let draft = Draft {
        name: body.name,
        phone: body.phone,
        email: body.email,
        address: body.address,
        source: body.source.unwrap_or_default(),
        fields: body.fields,
        stored_phone: None,
    };
    let input = customers::checked(&catalogue, draft, place, None)?;
    let created = contacts::create(&state.db, &auth.scope, &auth.actor(), input).await;
    let contact = explain_duplicate(&state, &auth, created).await?;
    Ok((StatusCode::CREATED, Json(ContactView::new(contact, &catalogue))))
}

/// A duplicate names the contact that has the phone only when the caller may open it (a
/// deleted one: when they may restore it); otherwise it just says a colleague has it.
async fn explain_duplicate(
    state: &AppState,
    auth: &Auth,
    result: Result<Contact, rapport_storage::StorageError>,
) -> ApiResult<Contact> {
    match result {
        Err(rapport_storage::StorageError::DuplicateContact(id)) => {
            let theirs = contacts::get_including_deleted(&state.db, &auth.scope, id).await;
            match theirs {
                Ok(c) if c.deleted_at.is_none() || auth.has(Grant::MenuSettings) => Err(ApiError::DuplicateContact(id)),
                _ => Err(ApiError::conflict(
                    "duplicate_contact",
                    "a contact with this phone number exists already, kept by a colleague; ask them or an administrator",
                )),
            }
        }
        other => Ok(other?),
    }
}

/// One contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, description = "The contact", body = ContactView), ReadErrors))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<ContactView>> {
    auth.require(Grant::MenuContacts)?;
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    Ok(Json(ContactView::new(contacts::get(&state.db, &auth.scope, id).await?, &catalogue)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub department_id: Option<i64>,
    /// Null leaves the contact with nobody responsible.
    #[serde(default, deserialize_with = "super::extract::double_option")]
    pub responsible_staff_id: Option<Option<i64>>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub source: Option<String>,
    /// Values to change by key; null clears one. Keys left out keep their values.
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Map<String, Value>>,
}

/// Change a contact; what is left out stays.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)), request_body = ContactPatch,
    responses(
        (status = 200, description = "Updated", body = ContactView),
        (status = 409, description = "Another contact has this phone", body = ErrorBody),
        UpdateErrors,
    ))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<ContactPatch>,
) -> ApiResult<Json<ContactView>> {
    auth.require(Grant::MenuContacts)?;
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    let stored = contacts::get(&state.db, &auth.scope, id).await?;
    let responsible = body.responsible_staff_id.unwrap_or(stored.responsible_staff_id);
    let department = body.department_id.unwrap_or(stored.department_id);
    let place = if responsible != stored.responsible_staff_id || department != stored.department_id {
        placement(&state, &auth, department, responsible).await?
    } else {
        Placement { department_id: department, responsible_staff_id: responsible }
    };
    let mut fields = catalogue.visible_values(&stored.fields);
    fields.retain(|key, _| catalogue.fields.iter().any(|f| f.enabled && &f.key == key));
    for (key, value) in body.fields.unwrap_or_default() {
        fields.insert(key, value);
    }
    let draft = Draft {
        name: body.name.unwrap_or_else(|| stored.name.clone()),
        phone: body.phone.unwrap_or_else(|| stored.phone.clone()),
        email: body.email.unwrap_or_else(|| stored.email.clone()),
        address: body.address.unwrap_or_else(|| stored.address.clone()),
        source: body.source.unwrap_or_else(|| stored.source.clone()),
        fields,
        stored_phone: Some(stored.phone.clone()),
    };
    let input = customers::checked(&catalogue, draft, place, Some(&stored))?;
    let updated = contacts::update(&state.db, &auth.scope, &auth.actor(), id, input).await;
    let contact = explain_duplicate(&state, &auth, updated).await?;
    Ok(Json(ContactView::new(contact, &catalogue)))
}

/// Delete a contact (softly: an administrator can restore it).
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), ReadErrors))]
pub async fn delete(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuContacts)?;
    contacts::delete(&state.db, &auth.scope, &auth.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bring a deleted contact back (administrators: `menu.settings`).
#[utoipa::path(post, path = "/api/v1/contacts/{id}/restore", tag = "contacts", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Restored", body = ContactView),
        (status = 409, description = "The contact is not deleted", body = ErrorBody),
        ReadErrors,
    ))]
pub async fn restore(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<ContactView>> {
    auth.require(Grant::MenuContacts)?;
    auth.require(Grant::MenuSettings)?;
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    let contact = contacts::restore(&state.db, &auth.scope, &auth.actor(), id).await?;
    Ok(Json(ContactView::new(contact, &catalogue)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The contact merged into this one and then removed.
    pub other_id: i64,
}

/// Merge another contact into this one: it keeps its own details, takes the other's where it
/// has none, and inherits the other's notes and conversations; the other is removed.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merge", tag = "contacts", params(("id" = i64, Path)), request_body = MergeRequest,
    responses((status = 200, description = "The merged contact", body = ContactView), UpdateErrors))]
pub async fn merge(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<MergeRequest>,
) -> ApiResult<Json<ContactView>> {
    auth.require(Grant::MenuContacts)?;
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    let contact = match contacts::merge(&state.db, &auth.scope, &auth.actor(), id, body.other_id).await {
        // The other contact out of sight reads as a bad `other_id`, not as this one missing.
        Err(rapport_storage::StorageError::NotFound) if contacts::get(&state.db, &auth.scope, id).await.is_ok() => {
            return Err(ApiError::invalid("other_id", "no such contact"));
        }
        other => other?,
    };
    Ok(Json(ContactView::new(contact, &catalogue)))
}

#[derive(Serialize, ToSchema)]
pub struct SourceCount {
    pub source: String,
    pub count: i64,
}

/// How many contacts (of those the caller sees) came from each source (CONT-5).
#[utoipa::path(get, path = "/api/v1/contacts/sources", tag = "contacts",
    responses(
        (status = 200, description = "Counts, largest first", body = Vec<SourceCount>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.contacts`", body = ErrorBody),
    ))]
pub async fn sources(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<SourceCount>>> {
    auth.require(Grant::MenuContacts)?;
    let counts = contacts::count_by_source(&state.db, &auth.scope).await?;
    Ok(Json(counts.into_iter().map(|(source, count)| SourceCount { source, count }).collect()))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnsView {
    /// Visible columns in order: built-in names and field keys.
    pub columns: Vec<String>,
    /// Rows per page, 1 to 200.
    #[schema(minimum = 1, maximum = 200)]
    pub page_size: i64,
}

/// The caller's visible columns and page size, or the defaults.
pub async fn columns_of(state: &AppState, auth: &Auth, catalogue: &Catalogue) -> ApiResult<ColumnsView> {
    let saved = list_columns::get(&state.db, auth.staff_id(), LIST).await?;
    Ok(match saved {
        // Columns of fields since hidden from the caller drop out.
        Some(s) => ColumnsView {
            columns: s
                .columns
                .into_iter()
                .filter(|c| catalogue.check_columns(std::slice::from_ref(c)).is_ok())
                .collect(),
            page_size: s.page_size,
        },
        None => ColumnsView { columns: DEFAULT_COLUMNS.map(String::from).to_vec(), page_size: 10 },
    })
}

/// The caller's contacts list columns.
#[utoipa::path(get, path = "/api/v1/contacts/columns", tag = "contacts",
    responses(
        (status = 200, description = "Columns and page size", body = ColumnsView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.contacts`", body = ErrorBody),
    ))]
pub async fn get_columns(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<ColumnsView>> {
    auth.require(Grant::MenuContacts)?;
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    Ok(Json(columns_of(&state, &auth, &catalogue).await?))
}

/// Choose and order the caller's visible columns and page size (remembered per user).
#[utoipa::path(put, path = "/api/v1/contacts/columns", tag = "contacts", request_body = ColumnsView,
    responses(
        (status = 200, description = "Saved", body = ColumnsView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.contacts`, or a wrong CSRF token", body = ErrorBody),
        (status = 422, description = "An unknown column or a bad page size", body = ErrorBody),
    ))]
pub async fn set_columns(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ColumnsView>,
) -> ApiResult<Json<ColumnsView>> {
    auth.require(Grant::MenuContacts)?;
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    let columns = catalogue.check_columns(&body.columns)?;
    if !(1..=200).contains(&body.page_size) {
        return Err(ApiError::invalid("page_size", "must be between 1 and 200"));
    }
    let choice = list_columns::Columns { columns, page_size: body.page_size };
    list_columns::set(&state.db, auth.staff_id(), LIST, &choice).await?;
    Ok(Json(ColumnsView { columns: choice.columns, page_size: choice.page_size }))
}
