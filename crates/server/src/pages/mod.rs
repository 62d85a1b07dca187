//! The back-office pages (server-rendered with askama). Pages only read; every change goes
//! through the JSON API from the pages' small script, so there is one write path to test.

mod audit;
mod auto_replies;
mod chats;
mod contact_card;
mod contacts;
mod departments;
mod fields;
mod history;
mod numbers;
mod settings;
mod shell;
mod staff;
mod templates;
mod texts;

use crate::AppState;
use crate::auth::{Auth, PageAuth};
use crate::error::{ApiError, ApiResult};
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use rapport_app::i18n::Catalog;
use rapport_domain::{GrantGroup, GrantSet};
use shell::Shell;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/staff", get(staff::page))
        .route("/departments", get(departments::page))
        .route("/audit", get(audit::page))
        .route("/numbers", get(numbers::page))
        .route("/chats", get(chats::page))
        .route("/history", get(history::page))
        .route("/templates", get(templates::page))
        .route("/auto-replies", get(auto_replies::page))
        .route("/texts", get(texts::page))
        .route("/fields", get(fields::page))
        .route("/contacts", get(contacts::page))
        .route("/contacts/{id}", get(contact_card::page))
        .route("/settings", get(settings::page))
}

/// What every signed-in page starts from: the application, the person (not signed in: a
/// redirect to the login page) and their language's catalogue.
pub struct Page {
    pub state: AppState,
    pub auth: Auth,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let PageAuth(auth) = PageAuth::from_request_parts(parts, state).await?;
        Ok(Page { state: state.clone(), auth })
    }
}

impl Page {
    pub fn t(&self) -> &Catalog {
        self.state.i18n.for_language("en")
    }

    /// The menu and header around a page; `active` is the page's address in the menu.
    pub fn shell(&self, active: &'static str) -> Shell<'_> {
        Shell::new(self.t(), &self.auth, active)
    }

    /// The one way a page answers: its HTML, or — a grant missing, something unknown or out of
    /// scope, a failure — the small error page with the API's status for it, so what a person
    /// may not use is absent, never broken.
    pub fn answer(&self, page: ApiResult<Response>) -> Response {
        page.unwrap_or_else(|e| page_error(self.t(), e))
    }
}

/// Renders a template, or a plain 500 (logged) if rendering fails.
fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::Internal(format!("rendering failed: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'a Catalog,
    message: String,
}

/// A page-level failure as a small page (the API answers JSON; a person gets words and a way back).
fn page_error(t: &Catalog, error: ApiError) -> Response {
    let status = error.into_response().status();
    let message = match status.as_u16() {
        403 => t.get("error.forbidden").to_string(),
        404 => t.get("error.not_found").to_string(),
        _ => t.get("error.internal").to_string(),
    };
    (status, render(&ErrorPage { t, message })).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: &'a Catalog,
}

async fn login(State(state): State<AppState>) -> Response {
    render(&LoginPage { t: state.i18n.for_language("en") })
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
}

/// The first page the menu offers, or an explanation when it offers none.
async fn home(State(state): State<AppState>, PageAuth(auth): PageAuth) -> Response {
    let t = state.i18n.for_language("en");
    let shell = Shell::new(t, &auth, "");
    match shell.first_page() {
        Some(href) => Redirect::to(href).into_response(),
        None => render(&HomePage { shell, t }),
    }
}

/// One group of the authorization dialog, with each grant's label and whether it is held.
pub struct GroupView<'a> {
    pub key: &'static str,
    pub label: &'a str,
    pub grants: Vec<GrantView<'a>>,
}

pub struct GrantView<'a> {
    pub name: &'static str,
    pub label: &'a str,
}

/// The four groups of the seed's dialog plus the assignment scope, as the pages show them.
pub fn grant_groups(t: &Catalog) -> Vec<GroupView<'_>> {
    GrantGroup::ALL
        .into_iter()
        .map(|group| GroupView {
            key: group.key(),
            label: t.get(group_label_key(group)),
            grants: group.grants().map(|g| GrantView { name: g.name(), label: grant_label(t, g.name()) }).collect(),
        })
        .collect()
}

fn group_label_key(group: GrantGroup) -> &'static str {
    match group {
        GrantGroup::Menu => "group.menu",
        GrantGroup::Department => "group.dept",
        GrantGroup::SubDepartment => "group.subdept",
        GrantGroup::Function => "group.func",
        GrantGroup::Assignment => "group.scope",
    }
}

fn grant_label<'a>(t: &'a Catalog, name: &'static str) -> &'a str {
    t.lookup(&format!("grant.{name}")).unwrap_or(name)
}

/// A grant set as the JSON array the dialogs are filled from.
pub fn grants_json(grants: GrantSet) -> String {
    serde_json::to_string(&grants.names()).unwrap_or_else(|_| "[]".into())
}
