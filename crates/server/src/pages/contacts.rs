//! The Customers page (CONT-2..5): the scoped list with quick search, responsible filter, the
//! filter builder, sortable remembered columns and keyset pages; add / edit in a dialog;
//! import (upload, match columns, progress, rejected rows) and export of exactly what is
//! listed; counts by source.

use super::shell::Shell;
use super::{Page, render};
use crate::AppState;
use crate::api::contacts::{ContactQuery, columns_of, list_query};
use crate::auth::Auth;
use crate::error::ApiError;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::customers::{self, Catalogue, value_text};
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use rapport_domain::contact_filter::{Builtin, Op};
use rapport_domain::fields::FieldType;
use rapport_storage::contacts::{self, Contact};
use rapport_storage::staff::{self, StaffFilter};
use rapport_storage::{contact_fields::Field, departments};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Deserialize, Default, Clone)]
pub struct Params {
    q: Option<String>,
    responsible_staff_id: Option<String>,
    filter: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
    deleted: Option<String>,
}

impl Params {
    /// The page's address with these parameters, changed by `set`.
    fn href(&self, set: &[(&str, Option<&str>)]) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("q", &self.q),
            ("responsible_staff_id", &self.responsible_staff_id),
            ("filter", &self.filter),
            ("sort", &self.sort),
            ("order", &self.order),
            ("limit", &self.limit),
            ("deleted", &self.deleted),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().filter(|v| !v.is_empty()).map(|v| (k, v.clone())))
        .collect();
        for (key, value) in set {
            pairs.retain(|(k, _)| k != key);
            if let Some(v) = value {
                pairs.push((key, v.to_string()));
            }
        }
        format!("/contacts?{}", crate::href::query(pairs.iter().map(|(k, v)| (*k, v.as_str()))))
    }
}

pub struct Column {
    pub key: String,
    pub label: String,
    /// Where clicking the header sorts (ascending, then descending).
    pub sort_href: String,
    /// `▲`, `▼` or empty.
    pub arrow: &'static str,
}

pub struct Row {
    pub id: i64,
    pub cells: Vec<String>,
    pub edit_json: String,
    pub deleted: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// An extended field as the contact dialog shows it.
pub struct FieldInput {
    pub key: String,
    pub name: String,
    pub kind: &'static str,
    pub options: Vec<String>,
    pub tip: String,
    pub required: bool,
}

pub struct SourceBar {
    pub source: String,
    pub count: i64,
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct ContactsPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    q: String,
    deleted: bool,
    error: Option<String>,
    columns: Vec<Column>,
    rows: Vec<Row>,
    next_href: Option<String>,
    first_href: Option<String>,
    responsible_choices: Vec<Choice>,
    staff_choices: Vec<Choice>,
    department_choices: Vec<Choice>,
    fields: Vec<FieldInput>,
    /// Every column, for the column chooser: (key, label, shown).
    all_columns: Vec<(String, String, bool)>,
    page_size: i64,
    /// The filter builder's catalogue and current conditions, for the page script.
    filter_json: String,
    conditions_json: String,
    export_csv: String,
    export_xlsx: String,
    sources: Vec<SourceBar>,
    may_restore: bool,
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    let built = async {
        page.auth.require(Grant::MenuContacts)?;
        Ok(render(&build(&page.state, &page.auth, page.t(), params).await?))
    };
    page.answer(built.await)
}

async fn build<'a>(
    state: &AppState,
    auth: &Auth,
    t: &'a Catalog,
    params: Params,
) -> Result<ContactsPage<'a>, ApiError> {
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    let prefs = columns_of(state, auth, &catalogue).await?;
    let deleted = params.deleted.as_deref().is_some_and(|d| !d.is_empty()) && auth.has(Grant::MenuSettings);
    let query = ContactQuery {
        q: params.q.clone(),
        responsible_staff_id: params.responsible_staff_id.as_deref().and_then(|s| s.parse().ok()),
        filter: params.filter.clone(),
        sort: params.sort.clone(),
        order: params.order.clone(),
        cursor: params.cursor.clone(),
        limit: Some(params.limit.as_deref().and_then(|l| l.parse().ok()).unwrap_or(prefs.page_size as u64)),
        deleted: Some(deleted),
    };
    // A bad filter or sort is said on the page, over an empty list, rather than failing it.
    let (page, error) = match list_query(auth, &catalogue, &query) {
        Ok(list) => (contacts::list(&state.db, &auth.scope, &list).await?, None),
        Err(e) => (contacts::ContactPage { items: Vec::new(), next_cursor: None }, Some(e.to_string())),
    };
    let depts = departments::list(&state.db, &auth.scope).await?;
    let dept_names: HashMap<i64, String> = depts.iter().map(|d| (d.id, d.name.clone())).collect();
    let staff = staff::list(&state.db, &auth.scope, &StaffFilter::default(), None, 200).await?.items;
    let chosen_responsible = query.responsible_staff_id;
    let sorted = params.sort.clone().unwrap_or_default();
    let descending = params.order.as_deref() == Some("desc");
    let columns = prefs
        .columns
        .iter()
        .map(|key| {
            let now_sorted = sorted == *key;
            let order = if now_sorted && !descending { "desc" } else { "asc" };
            Column {
                key: key.clone(),
                label: catalogue.column_label(key, t),
                sort_href: params.href(&[("sort", Some(key)), ("order", Some(order)), ("cursor", None)]),
                arrow: match (now_sorted, descending) {
                    (true, false) => "▲",
                    (true, true) => "▼",
                    _ => "",
                },
            }
        })
        .collect();
    let rows = page.items.iter().map(|c| row(c, &prefs.columns, &dept_names, &catalogue)).collect();
    let mut all_columns: Vec<(String, String, bool)> =
        prefs.columns.iter().map(|c| (c.clone(), catalogue.column_label(c, t), true)).collect();
    let others =
        Builtin::ALL.iter().map(|b| b.as_str().to_string()).chain(catalogue.fields.iter().map(|f| f.key.clone()));
    for key in others {
        if !prefs.columns.contains(&key) {
            all_columns.push((key.clone(), catalogue.column_label(&key, t), false));
        }
    }
    let export = |format: &str| {
        let mut href = params.href(&[("cursor", None), ("limit", None), ("deleted", None)]);
        href = href.replacen("/contacts?", "/api/v1/exports/contacts?", 1);
        format!("{href}&format={format}&columns={}", crate::href::encode(&prefs.columns.join(",")))
    };
    let sources = contacts::count_by_source(&state.db, &auth.scope).await?;
    let top = sources.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    Ok(ContactsPage {
        shell: Shell::new(t, auth, "/contacts"),
        t,
        q: params.q.clone().unwrap_or_default(),
        deleted,
        error,
        columns,
        rows,
        next_href: page.next_cursor.map(|c| params.href(&[("cursor", Some(&c.encode()))])),
        first_href: params.cursor.as_ref().map(|_| params.href(&[("cursor", None)])),
        responsible_choices: staff
            .iter()
            .map(|s| Choice {
                value: s.id.to_string(),
                label: s.name.clone(),
                selected: chosen_responsible == Some(s.id),
            })
            .collect(),
        staff_choices: staff
            .iter()
            .map(|s| Choice { value: s.id.to_string(), label: s.name.clone(), selected: s.id == auth.staff_id() })
            .collect(),
        department_choices: depts
            .iter()
            .map(|d| Choice {
                value: d.id.to_string(),
                label: d.name.clone(),
                selected: d.id == auth.scope.viewer.department_id,
            })
            .collect(),
        fields: catalogue.fields.iter().filter(|f| f.enabled).map(field_input).collect(),
        all_columns,
        page_size: prefs.page_size,
        filter_json: filter_catalogue(&catalogue, t, &staff, &depts).to_string(),
        conditions_json: params.filter.clone().unwrap_or_else(|| "[]".into()),
        export_csv: export("csv"),
        export_xlsx: export("xlsx"),
        sources: sources
            .into_iter()
            .map(|(source, count)| SourceBar { source, count, percent: count * 100 / top })
            .collect(),
        may_restore: auth.has(Grant::MenuSettings),
    })
}

pub(super) fn row(c: &Contact, columns: &[String], departments: &HashMap<i64, String>, catalogue: &Catalogue) -> Row {
    let mut fill = serde_json::Map::new();
    for (key, value) in [
        ("name", json!(c.name)),
        ("phone", json!(c.phone)),
        ("email", json!(c.email)),
        ("address", json!(c.address)),
        ("source", json!(c.source)),
        ("department_id", json!(c.department_id)),
        ("responsible_staff_id", json!(c.responsible_staff_id)),
    ] {
        fill.insert(key.into(), value);
    }
    for (key, value) in catalogue.visible_values(&c.fields) {
        let shown = match &value {
            Value::Array(items) => Value::Array(items.clone()),
            Value::Bool(b) => json!(if *b { "yes" } else { "no" }),
            other => json!(value_text(other)),
        };
        fill.insert(format!("fields.{key}"), shown);
    }
    Row {
        id: c.id,
        cells: columns.iter().map(|col| customers::cell(c, col, departments)).collect(),
        edit_json: Value::Object(fill).to_string(),
        deleted: c.deleted_at.is_some(),
    }
}

pub(super) fn field_input(f: &Field) -> FieldInput {
    FieldInput {
        key: f.key.clone(),
        name: f.name.clone(),
        kind: f.field_type.as_str(),
        options: f.options.clone(),
        tip: f.tip.clone(),
        required: f.required,
    }
}

/// What the filter builder offers: each column with its operators (by the domain's rules) and
/// its choices, for the page script.
fn filter_catalogue(
    catalogue: &Catalogue,
    t: &Catalog,
    staff: &[rapport_storage::staff::StaffMember],
    depts: &[rapport_storage::departments::Department],
) -> Value {
    let ops = |names: &[Op]| {
        names
            .iter()
            .map(|op| json!({"op": op.as_str(), "label": t.get(&format!("op.{}", op.as_str()))}))
            .collect::<Vec<_>>()
    };
    let text = [Op::Eq, Op::Ne, Op::Contains, Op::StartsWith, Op::Empty, Op::NotEmpty];
    let ordered = [Op::Eq, Op::Ne, Op::Gt, Op::Lt, Op::Between, Op::Empty, Op::NotEmpty];
    let mut columns = Vec::new();
    for b in Builtin::ALL {
        let (kind, allowed, choices): (&str, Vec<Op>, Vec<Value>) = match b {
            Builtin::ResponsibleStaffId => (
                "choice",
                vec![Op::Eq, Op::Ne, Op::AnyOf, Op::Empty, Op::NotEmpty],
                staff.iter().map(|s| json!({"value": s.id, "label": s.name})).collect(),
            ),
            Builtin::DepartmentId => (
                "choice",
                vec![Op::Eq, Op::Ne, Op::AnyOf],
                depts.iter().map(|d| json!({"value": d.id, "label": d.name})).collect(),
            ),
            Builtin::CreatedAt => ("date", vec![Op::Eq, Op::Gt, Op::Lt, Op::Between], Vec::new()),
            _ => ("text", text.to_vec(), Vec::new()),
        };
        columns.push(json!({"key": b.as_str(), "label": catalogue.column_label(b.as_str(), t), "kind": kind, "ops": ops(&allowed), "choices": choices}));
    }
    for f in catalogue.fields.iter().filter(|f| f.enabled) {
        let (kind, allowed): (&str, Vec<Op>) = match f.field_type {
            FieldType::Number => ("number", ordered.to_vec()),
            FieldType::Date => ("date", ordered.to_vec()),
            FieldType::DateTime => ("datetime", ordered.to_vec()),
            FieldType::SingleChoice => ("choice", vec![Op::Eq, Op::Ne, Op::AnyOf, Op::Empty, Op::NotEmpty]),
            FieldType::MultipleChoice => ("choice", vec![Op::AnyOf, Op::Empty, Op::NotEmpty]),
            FieldType::YesNo => ("yes_no", vec![Op::Eq, Op::Empty, Op::NotEmpty]),
            _ => ("text", text.to_vec()),
        };
        let choices: Vec<Value> = f.options.iter().map(|o| json!({"value": o, "label": o})).collect();
        columns.push(json!({"key": f.key, "label": f.name, "kind": kind, "ops": ops(&allowed), "choices": choices}));
    }
    Value::Array(columns)
}
