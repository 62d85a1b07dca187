//! The Extend fields page (FIELD-1): the company's custom contact fields in their order, moved
//! up and down, added and edited in a dialog; disabled ones shown on request.

use super::shell::Shell;
use super::{Page, render};
use crate::error::ApiResult;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use rapport_domain::fields::FieldType;
use rapport_storage::{contact_fields, departments};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct Params {
    show_disabled: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub type_label: String,
    pub options: String,
    pub tip: String,
    pub required: bool,
    /// "Public", or the departments' names.
    pub reach: String,
    pub enabled: bool,
    /// Public fields are changed only with `func.global_fields`.
    pub editable: bool,
    pub edit_json: String,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "fields.html")]
struct FieldsPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    rows: Vec<Row>,
    show_disabled: bool,
    types: Vec<Choice>,
    departments: Vec<Choice>,
    may_public: bool,
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    page.answer(build(&page, params).await)
}

async fn build(ctx: &Page, params: Params) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require(Grant::MenuFields)?;
    let show_disabled = params.show_disabled.is_some_and(|v| !v.is_empty());
    let (fields, depts) = tokio::try_join!(
        contact_fields::catalogue(&state.db, &auth.scope, show_disabled),
        departments::list(&state.db, &auth.scope)
    )?;
    let may_public = auth.has(Grant::FuncGlobalFields);
    let name_of = |id: &i64| depts.iter().find(|d| d.id == *id).map_or_else(|| format!("#{id}"), |d| d.name.clone());
    let rows = fields
        .into_iter()
        .map(|f| Row {
            edit_json: json!({
                "name": f.name, "key": f.key, "type": f.field_type.as_str(), "options": f.options, "tip": f.tip,
                "required": f.required, "public": f.public, "department_ids": f.department_ids, "enabled": f.enabled,
            })
            .to_string(),
            reach: if f.public {
                t.get("fields.public").to_string()
            } else {
                f.department_ids.iter().map(name_of).collect::<Vec<_>>().join(", ")
            },
            editable: !f.public || may_public,
            type_label: t.get(&format!("type.{}", f.field_type.as_str())).to_string(),
            options: f.options.join(", "),
            id: f.id,
            key: f.key,
            name: f.name,
            tip: f.tip,
            required: f.required,
            enabled: f.enabled,
        })
        .collect();
    let types = FieldType::ALL
        .iter()
        .map(|ty| Choice { value: ty.as_str().to_string(), label: t.get(&format!("type.{}", ty.as_str())).to_string() })
        .collect();
    let departments = depts.into_iter().map(|d| Choice { value: d.id.to_string(), label: d.name }).collect();
    Ok(render(&FieldsPage { shell: ctx.shell("/fields"), t, rows, show_disabled, types, departments, may_public }))
}
