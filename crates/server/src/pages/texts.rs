//! The Predefined texts page (TEXT-1): shared texts and the viewer's own, searched by name;
//! add, edit and delete them. Agents insert them from the chat's composer, filled.

use super::shell::Shell;
use super::{page_error, render};
use crate::AppState;
use crate::auth::PageAuth;
use crate::error::ApiError;
use crate::views::rfc3339;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct Params {
    q: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub shared: bool,
    /// Shared texts are changed only by those who manage texts.
    pub editable: bool,
    pub updated_at: String,
    pub edit_json: String,
}

#[derive(Template)]
#[template(path = "texts.html")]
struct TextsPage<'a> {
    shell: Shell<'a>,
    t: &'a Catalog,
    rows: Vec<Row>,
    q: String,
    may_share: bool,
}

pub async fn page(State(state): State<AppState>, PageAuth(auth): PageAuth, Query(params): Query<Params>) -> Response {
    let t = state.i18n.for_language("en");
    if !auth.has(Grant::MenuTexts) && !auth.has(Grant::MenuChats) {
        return page_error(t, ApiError::forbidden("this page needs the `menu.texts` or `menu.chats` permission"));
    }
    let q = params.q.unwrap_or_default();
    let page = match rapport_storage::texts::list(&state.db, &auth.scope, Some(&q), None, 200).await {
        Ok(page) => page,
        Err(e) => return page_error(t, e.into()),
    };
    let may_share = auth.has(Grant::MenuTexts);
    let rows = page
        .items
        .into_iter()
        .map(|text| Row {
            edit_json: json!({"name": text.name, "body": text.body, "shared": text.owner_staff_id.is_none()})
                .to_string(),
            shared: text.owner_staff_id.is_none(),
            editable: text.owner_staff_id.is_some() || may_share,
            updated_at: rfc3339(text.updated_at),
            id: text.id,
            name: text.name,
            body: text.body,
        })
        .collect();
    render(&TextsPage { shell: Shell::new(t, &auth, "/texts"), t, rows, q, may_share })
}
