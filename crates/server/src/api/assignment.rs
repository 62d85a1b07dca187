//! Who answers which customer: conversation assignment and state (INBOX-5), handing over a
//! leaving colleague's customers, and each number's new-customer distribution (DIST-1).

use super::extract::{ApiJson, Id, time_ms};
use super::schema::{ConversationStatusName, DistributionMode, OnlyFalse};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ReadErrors, UpdateErrors};
use crate::views::ConversationView;
use axum::Json;
use axum::extract::State;
use rapport_app::live::EventKind;
use rapport_domain::Grant;
use rapport_domain::distribution::Mode;
use rapport_domain::status::ConversationStatus;
use rapport_storage::assignment::{self, State as ConversationState};
use rapport_storage::distribution::{self, Distribution};
use rapport_storage::{StorageError, now_ms, staff};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Assigning is for managers and for staff without a conversation role (administrators);
/// sales reps and quality control do not hand chats around.
fn require_assigner(auth: &Auth) -> ApiResult<()> {
    auth.require(Grant::MenuChats)?;
    match auth.session.role() {
        None => Ok(()),
        Some(role) if role.may_assign() => Ok(()),
        Some(_) => Err(ApiError::forbidden("only managers and administrators assign conversations")),
    }
}

/// A staff member the caller sees and who is enabled, named by `field` of the request.
async fn assignable(state: &AppState, auth: &Auth, field: &'static str, id: i64) -> ApiResult<()> {
    match staff::get(&state.db, &auth.scope, id).await {
        Ok(member) if member.is_enabled() => Ok(()),
        Ok(_) => Err(ApiError::invalid(field, "this staff member is disabled")),
        Err(StorageError::NotFound) => Err(ApiError::invalid(field, "no such staff member in your scope")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssigneeRequest {
    /// The staff member to make responsible; `null` unassigns.
    pub staff_id: Option<i64>,
}

/// Assign, reassign or unassign a conversation; the customer follows (their next chat on
/// any number goes to the same person).
#[utoipa::path(put, path = "/api/v1/conversations/{id}/assignee", tag = "conversations",
    params(("id" = i64, Path)), request_body = AssigneeRequest,
    responses((status = 200, description = "Assigned", body = ConversationView), UpdateErrors))]
pub async fn assign(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<AssigneeRequest>,
) -> ApiResult<Json<ConversationView>> {
    require_assigner(&auth)?;
    let before = rapport_storage::conversations::get(&state.db, &auth.scope, id).await?;
    if let Some(staff_id) = body.staff_id {
        assignable(&state, &auth, "staff_id", staff_id).await?;
    }
    let row = assignment::assign(&state.db, &auth.scope, &auth.actor(), id, body.staff_id).await?;
    // The new assignee hears of it because they now see the chat; the previous one because
    // they just lost it.
    let lost: Vec<i64> = before.responsible_staff_id.into_iter().collect();
    state.settings.live.changed_for(&state.db, auth.scope.company_id(), &[(id, EventKind::Conversation)], &lost).await;
    if let Some(staff_id) = body.staff_id.filter(|s| *s != auth.staff_id()) {
        rapport_app::notify::assigned(&state.db, &state.settings.live, auth.scope.company_id(), id, staff_id).await;
    }
    Ok(Json(ConversationView::new(row, now_ms())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationUpdate {
    #[schema(value_type = Option<ConversationStatusName>)]
    pub status: Option<String>,
    /// With `status` = `snoozed`: when the chat comes back (RFC 3339, in the future).
    pub snoozed_until: Option<String>,
    /// `false` marks the chat "no reply needed" (it cannot be set to true: a customer message does that).
    #[schema(value_type = Option<OnlyFalse>)]
    pub unanswered: Option<bool>,
}

/// Open, snooze or resolve a conversation, or mark it "no reply needed".
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = i64, Path)), request_body = ConversationUpdate,
    responses((status = 200, description = "Saved", body = ConversationView), UpdateErrors))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<ConversationUpdate>,
) -> ApiResult<Json<ConversationView>> {
    auth.require(Grant::MenuChats)?;
    rapport_storage::conversations::get(&state.db, &auth.scope, id).await?;
    auth.require_writer("changes them")?;
    let now = now_ms();
    let snoozed_until = body.snoozed_until.as_deref().map(|text| time_ms("snoozed_until", text)).transpose()?;
    let status = body
        .status
        .as_deref()
        .map(|s| {
            ConversationStatus::parse(s)
                .ok_or_else(|| ApiError::invalid("status", "must be `open`, `snoozed` or `resolved`"))
        })
        .transpose()?;
    let new_state = match (status, snoozed_until) {
        (None, None) => None,
        (Some(ConversationStatus::Open), None) => Some(ConversationState::Open),
        (Some(ConversationStatus::Resolved), None) => Some(ConversationState::Resolved),
        (Some(ConversationStatus::Snoozed), Some(until)) if until > now => Some(ConversationState::Snoozed { until }),
        (Some(ConversationStatus::Snoozed), Some(_)) => {
            return Err(ApiError::invalid("snoozed_until", "must be in the future"));
        }
        (Some(ConversationStatus::Snoozed), None) => {
            return Err(ApiError::invalid("snoozed_until", "is required to snooze"));
        }
        (Some(ConversationStatus::Open | ConversationStatus::Resolved) | None, Some(_)) => {
            return Err(ApiError::invalid("snoozed_until", "goes only with status `snoozed`"));
        }
    };
    let no_reply_needed = match body.unanswered {
        None => false,
        Some(false) => true,
        Some(true) => return Err(ApiError::invalid("unanswered", "can only be set to false (no reply needed)")),
    };
    let row = assignment::update(&state.db, &auth.scope, &auth.actor(), id, new_state, no_reply_needed).await?;
    state.settings.live.changed(&state.db, auth.scope.company_id(), &[(id, EventKind::Conversation)]).await;
    Ok(Json(ConversationView::new(row, now)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOverRequest {
    /// Who takes over every customer and conversation.
    pub to_staff_id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct HandOverView {
    /// How many conversations changed hands (those the caller sees; the rest stay).
    pub conversations: u64,
    /// How many customers changed hands (those the caller sees).
    pub customers: u64,
}

/// Hand every customer and conversation of a staff member that the caller sees to another
/// (someone leaves); what the caller does not see stays where it is.
#[utoipa::path(post, path = "/api/v1/staff/{id}/hand-over", tag = "staff",
    params(("id" = i64, Path)), request_body = HandOverRequest,
    responses((status = 200, description = "Handed over", body = HandOverView), UpdateErrors))]
pub async fn hand_over(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<HandOverRequest>,
) -> ApiResult<Json<HandOverView>> {
    require_assigner(&auth)?;
    staff::get(&state.db, &auth.scope, id).await?;
    if body.to_staff_id == id {
        return Err(ApiError::invalid("to_staff_id", "must be someone else"));
    }
    assignable(&state, &auth, "to_staff_id", body.to_staff_id).await?;
    let moved = assignment::hand_over(&state.db, &auth.scope, &auth.actor(), id, body.to_staff_id).await?;
    let changes: Vec<(i64, EventKind)> = moved.conversations.iter().map(|c| (*c, EventKind::Conversation)).collect();
    state.settings.live.changed(&state.db, auth.scope.company_id(), &changes).await;
    Ok(Json(HandOverView { conversations: moved.conversations.len() as u64, customers: moved.customers }))
}

/// A number's distribution as it stands.
#[derive(Serialize, ToSchema)]
pub struct DistributionView {
    /// `first_responder` or `in_turn`; `null` when none is set.
    #[schema(value_type = Option<DistributionMode>)]
    pub mode: Option<String>,
    /// Who receives new customers, in turn order.
    pub staff_ids: Vec<i64>,
    /// Managers who see a chat are told of every customer message.
    pub notify_managers: bool,
}

impl From<Distribution> for DistributionView {
    fn from(d: Distribution) -> Self {
        DistributionView { mode: d.mode.map(String::from), staff_ids: d.staff_ids, notify_managers: d.notify_managers }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionRequest {
    #[schema(value_type = DistributionMode)]
    pub mode: String,
    /// Who receives new customers, in turn order.
    #[serde(default)]
    pub staff_ids: Vec<i64>,
    /// Tell managers who see the chat of every customer message (default false).
    pub notify_managers: Option<bool>,
}

/// Who receives a number's new customers, and how.
#[utoipa::path(get, path = "/api/v1/numbers/{id}/distribution", tag = "numbers", params(("id" = i64, Path)),
    responses((status = 200, description = "The distribution", body = DistributionView), ReadErrors))]
pub async fn get_distribution(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
) -> ApiResult<Json<DistributionView>> {
    auth.require(Grant::MenuNumbers)?;
    Ok(Json(distribution::get(&state.db, &auth.scope, id).await?.into()))
}

/// Set who receives a number's new customers: everyone is offered a new chat and the first
/// reply wins it (`first_responder`), or customers are handed out in turn (`in_turn`).
#[utoipa::path(put, path = "/api/v1/numbers/{id}/distribution", tag = "numbers", params(("id" = i64, Path)),
    request_body = DistributionRequest,
    responses((status = 200, description = "Saved", body = DistributionView), UpdateErrors))]
pub async fn set_distribution(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<DistributionRequest>,
) -> ApiResult<Json<DistributionView>> {
    auth.require(Grant::MenuNumbers)?;
    rapport_storage::numbers::get(&state.db, &auth.scope, id).await?;
    let Some(mode) = Mode::parse(&body.mode) else {
        return Err(ApiError::invalid("mode", "must be `first_responder` or `in_turn`"));
    };
    let mut seen = std::collections::HashSet::new();
    for staff_id in &body.staff_ids {
        if !seen.insert(*staff_id) {
            return Err(ApiError::invalid("staff_ids", format!("staff member {staff_id} is listed twice")));
        }
        match staff::get(&state.db, &auth.scope, *staff_id).await {
            Ok(_) => {}
            Err(StorageError::NotFound) => {
                return Err(ApiError::invalid("staff_ids", format!("no staff member {staff_id} in your scope")));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let notify_managers = body.notify_managers.unwrap_or(false);
    let saved =
        distribution::set(&state.db, &auth.scope, &auth.actor(), id, mode, &body.staff_ids, notify_managers).await?;
    Ok(Json(saved.into()))
}
