//! The Staff accounts page (ORG-2): search bar, table with row actions, and the dialogs for
//! new / edit / authorization / reset password.

use super::shell::Shell;
use super::{GroupView, Page, grant_groups, grants_json, render};
use crate::error::ApiResult;
use crate::views::rfc3339;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::status::StaffStatus;
use rapport_domain::{Grant, Role};
use rapport_storage::departments;
use rapport_storage::staff::{self, StaffFilter};
use serde::Deserialize;

const PAGE_SIZE: u64 = 20;

#[derive(Deserialize, Default)]
pub struct Params {
    q: Option<String>,
    department_id: Option<String>,
    include_subdepartments: Option<String>,
    status: Option<String>,
    cursor: Option<i64>,
}

pub struct Row {
    pub id: i64,
    pub account: String,
    pub name: String,
    pub nickname: String,
    pub department_name: String,
    pub enabled: bool,
    pub role_label: String,
    pub creator: String,
    pub created_at: String,
    pub is_self: bool,
    /// The edit dialog's initial values.
    pub edit_json: String,
    pub grants_json: String,
    /// The "write first from" dialog's initial value.
    pub first_number_json: String,
}

/// A number to write first from, in the dialog's list.
pub struct NumberOption {
    pub id: i64,
    pub label: String,
}

pub struct DeptOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    rows: Vec<Row>,
    departments: Vec<DeptOption>,
    groups: Vec<GroupView<'a>>,
    roles: Vec<(&'static str, &'a str)>,
    q: String,
    include_subdepartments: bool,
    status: String,
    next_url: Option<String>,
    is_later_page: bool,
    can_authorize: bool,
    /// Connected numbers, for "write first from" (DIST-4).
    numbers: Vec<NumberOption>,
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    page.answer(build(&page, params).await)
}

async fn build(ctx: &Page, params: Params) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require(Grant::MenuStaff)?;
    let department_id = params.department_id.as_deref().and_then(|d| d.parse::<i64>().ok());
    let filter = StaffFilter {
        q: params.q.clone(),
        department_id,
        include_subdepartments: params.include_subdepartments.is_some(),
        status: params.status.as_deref().and_then(StaffStatus::parse),
    };
    let (page, depts) = tokio::try_join!(
        staff::list(&state.db, &auth.scope, &filter, params.cursor, PAGE_SIZE),
        departments::list(&state.db, &auth.scope)
    )?;
    let role_label = |role: Option<Role>| role.map_or(String::new(), |r| t.get(role_key(r)).to_string());
    let rows = page
        .items
        .into_iter()
        .map(|s| Row {
            edit_json: serde_json::json!({
                "id": s.id, "account": s.account, "name": s.name, "nickname": s.nickname,
                "notes": s.notes, "department_id": s.department_id, "role": s.role.clone().unwrap_or_default(),
            })
            .to_string(),
            grants_json: grants_json(s.grants()),
            first_number_json:
                serde_json::json!({"number_id": s.first_number_id.map(|n| n.to_string()).unwrap_or_default()})
                    .to_string(),
            role_label: role_label(s.role()),
            enabled: s.is_enabled(),
            creator: s.creator_name.clone().unwrap_or_default(),
            created_at: rfc3339(s.created_at),
            is_self: s.id == auth.staff_id(),
            id: s.id,
            account: s.account,
            name: s.name,
            nickname: s.nickname,
            department_name: s.department_name,
        })
        .collect();
    let root_depth = depts.first().map_or(0, |d| d.depth());
    let departments = depts
        .iter()
        .map(|d| DeptOption {
            id: d.id,
            label: format!("{}{}", "\u{2003}".repeat(d.depth().saturating_sub(root_depth)), d.name),
            selected: Some(d.id) == department_id,
        })
        .collect();
    let next_url = page.next_cursor.map(|c| {
        let mut query = url_query(&params);
        query.push(("cursor", c.to_string()));
        format!("/staff?{}", crate::href::query(query.iter().map(|(k, v)| (*k, v.as_str()))))
    });
    let numbers = match rapport_storage::numbers::list(&state.db, &auth.scope, None, None, 200).await {
        Ok(page) => page
            .items
            .into_iter()
            .filter(|n| n.status == rapport_domain::status::NumberStatus::Connected)
            .map(|n| NumberOption {
                id: n.id,
                label: format!("{} {}", n.display_phone_number, n.verified_name).trim().to_string(),
            })
            .collect(),
        Err(e) => return Err(e.into()),
    };
    Ok(render(&StaffPage {
        numbers,
        shell: ctx.shell("/staff"),
        t,
        rows,
        departments,
        groups: grant_groups(t),
        roles: Role::ALL.iter().map(|r| (r.name(), t.get(role_key(*r)))).collect(),
        q: params.q.clone().unwrap_or_default(),
        include_subdepartments: filter.include_subdepartments,
        status: filter.status.map(StaffStatus::as_str).unwrap_or_default().to_string(),
        next_url,
        is_later_page: params.cursor.is_some(),
        can_authorize: auth.has(Grant::FuncSetAuthorization),
    }))
}

fn role_key(role: Role) -> &'static str {
    match role {
        Role::QualityControl => "staff.role.quality_control",
        Role::SalesRep => "staff.role.sales_rep",
        Role::Manager => "staff.role.manager",
    }
}

/// The current search as query pairs, to carry into the next page's link.
fn url_query(params: &Params) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    let pairs = [
        ("q", &params.q),
        ("department_id", &params.department_id),
        ("include_subdepartments", &params.include_subdepartments),
        ("status", &params.status),
    ];
    for (key, value) in pairs {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            query.push((key, v.clone()));
        }
    }
    query
}
