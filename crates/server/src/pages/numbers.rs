//! The WhatsApp accounts page (WA-1): search, connect, edit, disconnect.

use super::shell::Shell;
use super::{Page, render};
use crate::error::ApiResult;
use crate::views::rfc3339;
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use rapport_domain::status::NumberStatus;
use rapport_storage::staff::StaffFilter;
use rapport_storage::{departments, distribution, numbers, staff};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Params {
    q: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub display: String,
    pub verified_name: String,
    pub phone_number_id: String,
    pub department: String,
    pub owner: String,
    pub connected: bool,
    pub last_activity: String,
    pub created_at: String,
    pub edit_json: String,
    /// The number's distribution, for its dialog.
    pub distribution_json: String,
    /// The welcome and away messages, for their dialog.
    pub greetings_json: String,
}

pub struct Choice {
    pub id: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "numbers.html")]
struct NumbersPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    rows: Vec<Row>,
    departments: Vec<Choice>,
    staff: Vec<Choice>,
    q: String,
}

pub async fn page(page: Page, Query(params): Query<Params>) -> Response {
    page.answer(build(&page, params).await)
}

async fn build(ctx: &Page, params: Params) -> ApiResult<Response> {
    let (state, auth, t) = (&ctx.state, &ctx.auth, ctx.t());
    auth.require(Grant::MenuNumbers)?;
    let everyone = StaffFilter::default();
    let found = tokio::try_join!(
        numbers::list(&state.db, &auth.scope, params.q.as_deref(), None, 200),
        departments::list(&state.db, &auth.scope),
        staff::list(&state.db, &auth.scope, &everyone, None, 200),
    );
    let (page, depts, people) = found?;
    let ids: Vec<i64> = page.items.iter().map(|n| n.id).collect();
    let distributions = distribution::of_numbers(&state.db, &ids).await?;
    let mut greetings = Vec::with_capacity(ids.len());
    for id in &ids {
        match rapport_storage::greetings::get(&state.db, *id).await {
            Ok(g) => greetings.push((*id, g)),
            Err(e) => return Err(e.into()),
        }
    }
    let rows = page
        .items
        .into_iter()
        .map(|n| Row {
            edit_json: serde_json::json!({
                "display_phone_number": n.display_phone_number, "verified_name": n.verified_name,
                "department_id": n.department_id, "owner_staff_id": n.owner_staff_id, "status": n.status,
                "sync_filter": n.sync().mode(), "sync_except": n.sync().except(),
            })
            .to_string(),
            distribution_json: distributions
                .iter()
                .find(|d| d.number_id == n.id)
                .map(|d| {
                    serde_json::json!({"mode": d.mode.unwrap_or("first_responder"), "staff_ids": d.staff_ids,
                                       "notify_managers": d.notify_managers})
                    .to_string()
                })
                .unwrap_or_default(),
            greetings_json: greetings_form(greetings.iter().find(|(id, _)| *id == n.id).map(|(_, g)| g)),
            connected: n.status == NumberStatus::Connected,
            last_activity: n.last_activity_at.map(rfc3339).unwrap_or_default(),
            created_at: rfc3339(n.created_at),
            owner: n.owner_name.unwrap_or_default(),
            id: n.id,
            display: n.display_phone_number,
            verified_name: n.verified_name,
            phone_number_id: n.phone_number_id,
            department: n.department_name,
        })
        .collect();
    let top = depts.first().map_or(0, |d| d.depth());
    Ok(render(&NumbersPage {
        shell: ctx.shell("/numbers"),
        t,
        rows,
        departments: depts
            .iter()
            .map(|d| Choice { id: d.id, label: format!("{}{}", "\u{2003}".repeat(d.depth() - top), d.name) })
            .collect(),
        staff: people
            .items
            .into_iter()
            .map(|s| Choice { id: s.id, label: format!("{} ({})", s.name, s.account) })
            .collect(),
        q: params.q.unwrap_or_default(),
    }))
}

/// A number's greetings as the dialog's fields: working hours one weekday a line
/// (`mon 09:00-13:00 14:00-18:00`), holidays one a line.
fn greetings_form(g: Option<&rapport_storage::greetings::Greetings>) -> String {
    let default = rapport_storage::greetings::Greetings::default();
    let g = g.unwrap_or(&default);
    let view = crate::api::greetings::GreetingsView::from(g.clone());
    let hours: Vec<String> = view.hours.iter().map(|(day, spans)| format!("{day} {}", spans.join(" "))).collect();
    serde_json::json!({
        "welcome.enabled": view.welcome.enabled, "welcome.text": view.welcome.text,
        "away.enabled": view.away.enabled, "away.text": view.away.text,
        "time_zone": view.time_zone, "hours": hours.join("\n"), "holidays": view.holidays.join("\n"),
        "period_minutes": view.period_minutes.to_string(),
    })
    .to_string()
}
