//! The Departments page (ORG-1, PERM-4): the tree with add / edit / delete and each
//! department's default authorization.

use super::shell::Shell;
use super::{GroupView, Page, grant_groups, grants_json, render};
use crate::error::ApiResult;
use askama::Template;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use rapport_storage::departments;

pub struct Row {
    pub id: i64,
    pub name: String,
    pub introduction: String,
    pub indent: usize,
    pub staff_count: i64,
    pub is_root: bool,
    pub edit_json: String,
    pub grants_json: String,
}

pub struct DeptOption {
    pub id: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "departments.html")]
struct DepartmentsPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    rows: Vec<Row>,
    options: Vec<DeptOption>,
    groups: Vec<GroupView<'a>>,
    can_authorize: bool,
}

pub async fn page(page: Page) -> Response {
    page.answer(build(&page).await)
}

async fn build(ctx: &Page) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require(Grant::MenuDepartments)?;
    let depts = departments::list(&state.db, &auth.scope).await?;
    let top = depts.first().map_or(0, |d| d.depth());
    let options = depts
        .iter()
        .map(|d| DeptOption { id: d.id, label: format!("{}{}", "\u{2003}".repeat(d.depth() - top), d.name) })
        .collect();
    let rows = depts
        .into_iter()
        .map(|d| Row {
            edit_json: serde_json::json!({
                "id": d.id, "name": d.name, "introduction": d.introduction, "parent_id": d.parent_id,
            })
            .to_string(),
            grants_json: grants_json(d.default_grants()),
            indent: d.depth() - top,
            is_root: d.is_root(),
            id: d.id,
            name: d.name,
            introduction: d.introduction,
            staff_count: d.staff_count,
        })
        .collect();
    Ok(render(&DepartmentsPage {
        shell: ctx.shell("/departments"),
        t,
        rows,
        options,
        groups: grant_groups(t),
        can_authorize: auth.has(Grant::FuncSetAuthorization),
    }))
}
