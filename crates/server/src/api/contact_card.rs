//! The contact card's history (CONT-6): notes / tickets anyone who sees the contact reads and
//! adds (the author alone edits or deletes theirs), and a timeline mixing those notes with the
//! contact's conversations on every number.

use super::extract::{ApiJson, Id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors};
use crate::views::rfc3339;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rapport_domain::Grant;
use rapport_domain::values::{multiline_text, required_text};
use rapport_storage::contact_notes::{self, ContactNote};
use rapport_storage::contacts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const TITLE_MAX: usize = 200;
const BODY_MAX: usize = 10_000;
/// The card is read from the customers list and beside a chat.
const READERS: [Grant; 2] = [Grant::MenuContacts, Grant::MenuChats];

#[derive(Serialize, ToSchema)]
pub struct NoteView {
    pub id: i64,
    pub contact_id: i64,
    pub title: String,
    pub body: String,
    pub author_staff_id: Option<i64>,
    pub author_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ContactNote> for NoteView {
    fn from(n: ContactNote) -> Self {
        NoteView {
            id: n.id,
            contact_id: n.contact_id,
            title: n.title,
            body: n.body,
            author_staff_id: n.author_staff_id,
            author_name: n.author_name,
            created_at: rfc3339(n.created_at),
            updated_at: rfc3339(n.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NoteList {
    pub items: Vec<NoteView>,
    pub next_cursor: Option<String>,
}

/// A contact's notes, newest first.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/notes", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, description = "The notes", body = NoteList), ReadErrors))]
pub async fn list(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<NoteList>> {
    auth.require_any(&READERS)?;
    let notes = contact_notes::list(&state.db, &auth.scope, id).await?;
    Ok(Json(NoteList { items: notes.into_iter().map(Into::into).collect(), next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub body: String,
}

fn checked(body: &NoteRequest) -> ApiResult<(String, String)> {
    Ok((required_text("title", &body.title, TITLE_MAX)?, multiline_text("body", &body.body, BODY_MAX)?))
}

/// Add a note to a contact.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/notes", tag = "contacts", params(("id" = i64, Path)), request_body = NoteRequest,
    responses((status = 201, description = "Added", body = NoteView), UpdateErrors))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<NoteRequest>,
) -> ApiResult<(StatusCode, Json<NoteView>)> {
    auth.require_any(&READERS)?;
    let (title, text) = checked(&body)?;
    let note = contact_notes::create(&state.db, &auth.scope, &auth.actor(), id, &title, &text).await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}

/// The two ids of a note's path; anything else names no note.
fn ids(path: (String, String)) -> ApiResult<(i64, i64)> {
    match (path.0.parse(), path.1.parse()) {
        (Ok(contact), Ok(note)) => Ok((contact, note)),
        _ => Err(ApiError::NotFound),
    }
}

/// Change one's own note.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}/notes/{note_id}", tag = "contacts",
    params(("id" = i64, Path), ("note_id" = i64, Path)), request_body = NoteRequest,
    responses((status = 200, description = "Changed", body = NoteView), UpdateErrors))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(path): Path<(String, String)>,
    ApiJson(body): ApiJson<NoteRequest>,
) -> ApiResult<Json<NoteView>> {
    auth.require_any(&READERS)?;
    let (contact_id, note_id) = ids(path)?;
    let (title, text) = checked(&body)?;
    let note = contact_notes::update(&state.db, &auth.scope, &auth.actor(), contact_id, note_id, &title, &text).await?;
    Ok(Json(note.into()))
}

/// Delete one's own note.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}/notes/{note_id}", tag = "contacts",
    params(("id" = i64, Path), ("note_id" = i64, Path)),
    responses((status = 204, description = "Deleted"), ReadErrors))]
pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    Path(path): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    auth.require_any(&READERS)?;
    let (contact_id, note_id) = ids(path)?;
    contact_notes::delete(&state.db, &auth.scope, &auth.actor(), contact_id, note_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One event of a contact's history.
#[derive(Serialize, ToSchema)]
pub struct TimelineEntry {
    /// `conversation` or `note`.
    pub kind: String,
    /// When it last changed: a conversation's latest message, a note's writing.
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<TimelineChat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<NoteView>,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineChat {
    pub id: i64,
    pub number_id: i64,
    pub number: String,
    pub responsible_staff_id: Option<i64>,
    pub last_message_text: String,
}

#[derive(Serialize, ToSchema)]
pub struct Timeline {
    pub items: Vec<TimelineEntry>,
    pub next_cursor: Option<String>,
}

/// The contact's conversations (every number) and notes, latest first.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/timeline", tag = "contacts", params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The history", body = Timeline),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.contacts` or `menu.chats`", body = ErrorBody),
        (status = 404, description = "Unknown, or outside the caller's scope", body = ErrorBody),
    ))]
pub async fn timeline(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<Timeline>> {
    auth.require_any(&READERS)?;
    Ok(Json(Timeline { items: entries(&state, &auth, id).await?, next_cursor: None }))
}

/// The timeline's entries, shared with the contact card page.
pub async fn entries(state: &AppState, auth: &Auth, id: i64) -> ApiResult<Vec<TimelineEntry>> {
    let chats = contacts::chats(&state.db, &auth.scope, id).await?;
    let notes = contact_notes::list(&state.db, &auth.scope, id).await?;
    let mut timed: Vec<(i64, TimelineEntry)> = Vec::new();
    for c in chats {
        let at = c.last_message_at.unwrap_or(c.created_at);
        let chat = TimelineChat {
            id: c.id,
            number_id: c.number_id,
            number: c.number_name,
            responsible_staff_id: c.responsible_staff_id,
            last_message_text: c.last_message_text,
        };
        timed.push((
            at,
            TimelineEntry { kind: "conversation".into(), at: rfc3339(at), conversation: Some(chat), note: None },
        ));
    }
    for n in notes {
        let at = n.created_at;
        timed.push((
            at,
            TimelineEntry { kind: "note".into(), at: rfc3339(at), conversation: None, note: Some(n.into()) },
        ));
    }
    timed.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    Ok(timed.into_iter().map(|(_, e)| e).collect())
}
