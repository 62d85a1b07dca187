//! Saved views of the conversation list (INBOX-1): a staff member names a set of filters and
//! finds it again beside the list.

use super::extract::{ApiJson, Id};
use super::schema::{ChatKind, ConversationStatusName, NameText, ViewWho};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, WriteErrors};
use crate::views::List;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rapport_domain::Grant;
use rapport_domain::status::ConversationStatus;
use rapport_domain::values::{NAME_MAX, required_text};
use rapport_storage::views::{self, SavedView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The conversation list's filters a view keeps.
#[derive(Serialize, Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct ViewFilters {
    #[schema(value_type = Option<ChatKind>)]
    pub kind: Option<String>,
    #[schema(value_type = Option<ConversationStatusName>)]
    pub status: Option<String>,
    /// `mine` or `unassigned`.
    #[schema(value_type = Option<ViewWho>)]
    pub who: Option<String>,
    #[schema(max_length = 200)]
    pub q: Option<String>,
    /// Unanswered chats only.
    pub unanswered: Option<bool>,
}

impl ViewFilters {
    fn check(self) -> ApiResult<ViewFilters> {
        let one_of = |field: &'static str, value: &Option<String>, allowed: &[&str]| match value.as_deref() {
            None | Some("") => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
            Some(_) => Err(ApiError::invalid(field, format!("must be one of {}", allowed.join(", ")))),
        };
        let q = self.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty());
        if q.as_ref().is_some_and(|q| q.chars().count() > 200 || q.chars().any(char::is_control)) {
            return Err(ApiError::invalid("filters.q", "must be at most 200 printable characters"));
        }
        Ok(ViewFilters {
            kind: one_of("filters.kind", &self.kind, &["direct", "group"])?,
            status: one_of(
                "filters.status",
                &self.status,
                &ConversationStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            )?,
            who: one_of("filters.who", &self.who, &["mine", "unassigned"])?,
            q,
            unanswered: self.unanswered.filter(|u| *u),
        })
    }

    /// The chats page address showing this view.
    pub fn href(&self) -> String {
        let mut parts = Vec::new();
        for (key, value) in [("kind", &self.kind), ("status", &self.status), ("who", &self.who), ("q", &self.q)] {
            if let Some(value) = value {
                parts.push(format!("{key}={}", crate::href::encode(value)));
            }
        }
        if self.unanswered == Some(true) {
            parts.push("unanswered=1".into());
        }
        format!("/chats?{}", parts.join("&"))
    }
}

#[derive(Serialize, ToSchema)]
pub struct SavedViewView {
    pub id: i64,
    pub name: String,
    pub filters: ViewFilters,
    /// Where the chats page shows it.
    pub href: String,
}

impl From<SavedView> for SavedViewView {
    fn from(v: SavedView) -> Self {
        let filters: ViewFilters = serde_json::from_str(&v.filters_json).unwrap_or_default();
        SavedViewView { id: v.id, name: v.name, href: filters.href(), filters }
    }
}

/// The caller's saved views.
#[utoipa::path(get, path = "/api/v1/views", tag = "conversations",
    responses(
        (status = 200, description = "The caller's views, by name", body = List<SavedViewView>),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.chats`", body = ErrorBody),
    ))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<List<SavedViewView>>> {
    auth.require(Grant::MenuChats)?;
    let items = views::list(&state.db, auth.staff_id()).await?;
    Ok(Json(List::new(items.into_iter().map(Into::into).collect(), None)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewRequest {
    #[schema(value_type = NameText)]
    pub name: String,
    pub filters: ViewFilters,
}

/// Save the list's current filters under a name.
#[utoipa::path(post, path = "/api/v1/views", tag = "conversations", request_body = ViewRequest,
    responses(
        (status = 201, description = "Saved", body = SavedViewView),
        (status = 409, description = "You have a view with this name already", body = ErrorBody),
        WriteErrors,
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ViewRequest>,
) -> ApiResult<(StatusCode, Json<SavedViewView>)> {
    auth.require(Grant::MenuChats)?;
    let name = required_text("name", &body.name, NAME_MAX)?;
    let filters = body.filters.check()?;
    let json = serde_json::to_string(&filters).map_err(|e| ApiError::Internal(e.to_string()))?;
    let saved = views::create(&state.db, auth.scope.company_id(), auth.staff_id(), &name, &json).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

/// Remove one of the caller's views.
#[utoipa::path(delete, path = "/api/v1/views/{id}", tag = "conversations", params(("id" = i64, Path)),
    responses((status = 204, description = "Removed"), ReadErrors))]
pub async fn delete(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require(Grant::MenuChats)?;
    views::delete(&state.db, auth.staff_id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
