//! The customer card (CONT-6): details and extended fields, the responsible person, a timeline
//! of conversations on every number and notes / tickets; edit, delete, merge, add a note, and
//! "chat", which opens the conversation or starts one.

use super::contacts::{Choice, FieldInput, field_input, row};
use super::shell::Shell;
use super::{Page, render};
use crate::AppState;
use crate::api::contact_card::{TimelineEntry, entries};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::views::rfc3339;
use askama::Template;
use axum::extract::Path;
use axum::response::Response;
use rapport_app::customers::{Catalogue, value_text};
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use rapport_storage::contacts::{self, Contact};
use rapport_storage::departments;
use rapport_storage::staff::{self, StaffFilter};

#[derive(Template)]
#[template(path = "contact_card.html")]
struct CardPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    contact: Contact,
    department: String,
    created_at: String,
    /// Extended fields with a value: (name, value).
    values: Vec<(String, String)>,
    timeline: Vec<TimelineEntry>,
    me: i64,
    edit_json: String,
    may_edit: bool,
    staff_choices: Vec<Choice>,
    department_choices: Vec<Choice>,
    fields: Vec<FieldInput>,
}

pub async fn page(page: Page, Path(id): Path<String>) -> Response {
    let built = async {
        page.auth.require_any(&[Grant::MenuContacts, Grant::MenuChats])?;
        let id = id.parse::<i64>().map_err(|_| ApiError::NotFound)?;
        Ok(render(&build(&page.state, &page.auth, page.t(), id).await?))
    };
    page.answer(built.await)
}

async fn build<'a>(state: &AppState, auth: &Auth, t: &'a Catalog, id: i64) -> Result<CardPage<'a>, ApiError> {
    let contact = contacts::get(&state.db, &auth.scope, id).await?;
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    let depts = departments::list(&state.db, &auth.scope).await?;
    let names = depts.iter().map(|d| (d.id, d.name.clone())).collect();
    let staff = staff::list(&state.db, &auth.scope, &StaffFilter::default(), None, 200).await?.items;
    let values = catalogue
        .fields
        .iter()
        .filter_map(|f| contact.fields.get(&f.key).map(|v| (f.name.clone(), value_text(v))))
        .collect();
    let timeline = entries(state, auth, id).await?;
    Ok(CardPage {
        shell: Shell::new(t, auth, "/contacts"),
        t,
        department: depts.iter().find(|d| d.id == contact.department_id).map(|d| d.name.clone()).unwrap_or_default(),
        created_at: rfc3339(contact.created_at),
        values,
        timeline,
        me: auth.staff_id(),
        edit_json: row(&contact, &[], &names, &catalogue).edit_json,
        may_edit: auth.has(Grant::MenuContacts),
        staff_choices: staff
            .iter()
            .map(|s| Choice {
                value: s.id.to_string(),
                label: s.name.clone(),
                selected: contact.responsible_staff_id == Some(s.id),
            })
            .collect(),
        department_choices: depts
            .iter()
            .map(|d| Choice { value: d.id.to_string(), label: d.name.clone(), selected: d.id == contact.department_id })
            .collect(),
        fields: catalogue.fields.iter().filter(|f| f.enabled).map(field_input).collect(),
        contact,
    })
}
