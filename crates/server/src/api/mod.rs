//! The versioned REST API (`/api/v1`) and its OpenAPI document, generated from the handlers'
//! annotations so it cannot drift from the routes.

mod assignment;
mod audit;
mod auto_replies;
mod company;
pub(crate) mod contact_card;
pub(crate) mod contacts;
mod conversations;
mod departments;
mod extract;
mod fields;
pub(crate) mod greetings;
mod imports;
mod live;
mod me;
mod notifications;
mod numbers;
mod schema;
pub(crate) mod search;
mod session;
mod staff;
mod templates;
mod texts;
mod uploads;
pub(crate) mod views;
mod write_first;

use crate::AppState;
use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Rapport API", description = "The REST API of Rapport, a self-hosted WhatsApp social CRM. \
        Calls authenticated by the session cookie that change state must send the `X-CSRF-Token` header \
        returned by the login call."),
    modifiers(&SecuritySchemes),
    security(("session" = [])),
    tags(
        (name = "auth", description = "Login, logout and one's own profile"),
        (name = "departments", description = "The department tree (ORG-1, PERM-4)"),
        (name = "staff", description = "Staff accounts and their authorization (ORG-2, PERM-1..5)"),
        (name = "audit", description = "The audit log of administrative actions"),
        (name = "numbers", description = "WhatsApp Business numbers (WA-1)"),
        (name = "conversations", description = "Conversations and messages"),
        (name = "notifications", description = "The bell: notifications and reminders"),
        (name = "templates", description = "Message templates per WhatsApp Business Account (WA-4)"),
        (name = "auto_replies", description = "Auto reply rules (AUTO-1..3)"),
        (name = "texts", description = "Predefined texts with merge fields (TEXT-1)"),
        (name = "contacts", description = "Customers: list, card, notes, import and export (CONT-1..6)"),
        (name = "fields", description = "Extended contact fields (FIELD-1..2)"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(organisation_routes())
        .merge(inbox_routes())
        .merge(automation_routes())
        .merge(customer_routes())
}

/// Sessions, the own profile, departments, staff, the audit log and numbers.
fn organisation_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(me::get_me, me::update_me))
        .routes(routes!(me::change_password))
        .routes(routes!(me::set_avatar))
        .routes(routes!(departments::list, departments::create))
        .routes(routes!(departments::get_one, departments::update, departments::delete))
        .routes(routes!(departments::get_default_grants, departments::set_default_grants))
        .routes(routes!(staff::list, staff::create))
        .routes(routes!(staff::get_one, staff::update))
        .routes(routes!(staff::get_grants, staff::set_grants))
        .routes(routes!(staff::reset_password))
        .routes(routes!(staff::avatar))
        .routes(routes!(audit::list))
        .routes(routes!(numbers::list, numbers::create))
        .routes(routes!(numbers::get_one, numbers::update, numbers::disconnect))
}

/// Conversations, messages, live events, views, notifications, search and assignment.
fn inbox_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(conversations::list, write_first::start))
        .routes(routes!(write_first::chat_numbers))
        .routes(routes!(write_first::set_first_number))
        .routes(routes!(conversations::messages, conversations::send))
        .routes(routes!(conversations::add_note))
        .routes(routes!(live::live))
        .routes(routes!(views::list, views::create))
        .routes(routes!(views::delete))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::dismiss))
        .routes(routes!(notifications::remind))
        .routes(routes!(search::messages))
        .routes(routes!(conversations::get_one, assignment::update))
        .routes(routes!(assignment::assign))
        .routes(routes!(assignment::hand_over))
        .routes(routes!(assignment::get_distribution, assignment::set_distribution))
        .routes(routes!(conversations::mark_read))
        .routes(routes!(conversations::media))
}

/// Templates, auto replies, predefined texts, greetings and company settings.
fn automation_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(templates::list, templates::create))
        .routes(routes!(templates::replace, templates::delete))
        .routes(routes!(templates::sync))
        .routes(routes!(auto_replies::list, auto_replies::create))
        .routes(routes!(auto_replies::get_one, auto_replies::update, auto_replies::delete))
        .routes(routes!(texts::list, texts::create))
        .routes(routes!(texts::get_one, texts::update, texts::delete))
        .routes(routes!(texts::preview))
        .routes(routes!(greetings::get_greetings, greetings::set_greetings))
        .routes(routes!(company::get_company, company::update_company))
}

/// Contacts, their card, extended fields, imports and exports.
fn customer_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(contacts::list, contacts::create))
        .routes(routes!(contacts::sources))
        .routes(routes!(contacts::get_columns, contacts::set_columns))
        .routes(routes!(contacts::get_one, contacts::update, contacts::delete))
        .routes(routes!(contacts::restore))
        .routes(routes!(contacts::merge))
        .routes(routes!(contact_card::list, contact_card::create))
        .routes(routes!(contact_card::update, contact_card::delete))
        .routes(routes!(contact_card::timeline))
        .routes(routes!(fields::list, fields::create))
        .routes(routes!(fields::get_one, fields::update))
        .routes(routes!(fields::shift))
        .routes(routes!(imports::list))
        .routes(routes!(imports::get_one))
        .routes(routes!(imports::start))
        .routes(routes!(imports::rejections))
        .routes(routes!(imports::rejected_rows))
        .routes(routes!(imports::export))
}

pub fn router() -> Router<AppState> {
    // Attachments may be large; only this route accepts bodies beyond the default limit.
    let uploads = OpenApiRouter::new()
        .routes(routes!(uploads::create))
        .layer(axum::extract::DefaultBodyLimit::max(uploads::MAX_UPLOAD));
    let import_files = OpenApiRouter::new()
        .routes(routes!(imports::upload))
        .layer(axum::extract::DefaultBodyLimit::max(imports::MAX_IMPORT));
    let (router, doc) = api_router().merge(uploads).merge(import_files).split_for_parts();
    let doc = std::sync::Arc::new(doc);
    router
        .route("/api/v1/openapi.json", get(move || async move { Json(doc.as_ref().clone()) }))
        .route("/api/{*rest}", axum::routing::any(extract::unknown_route))
}
