//! Welcome and away messages of a number (AUTO-4): the texts, whether each is on, the working
//! hours (a weekly schedule in a time zone, and holidays) and how often one customer may get
//! each.

use super::extract::{ApiJson, Id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ReadErrors, UpdateErrors};
use axum::Json;
use axum::extract::State;
use rapport_domain::Grant;
use rapport_domain::values::multiline_text;
use rapport_domain::working_hours::WeeklyHours;
use rapport_storage::greetings::{self, Greetings};
use rapport_storage::numbers;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

const TEXT_MAX: usize = 4096;
/// Longest period between two greetings of one customer: thirty days.
const PERIOD_MAX: i64 = 30 * 24 * 60;

#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct Greeting {
    pub enabled: bool,
    #[schema(max_length = 4096)]
    pub text: String,
}

#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct GreetingsView {
    /// Sent on a customer's first message ever.
    pub welcome: Greeting,
    /// Sent when a customer writes outside working hours.
    pub away: Greeting,
    /// IANA time zone the working hours are in, e.g. `Europe/Bucharest`.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")]
    pub time_zone: String,
    /// Open intervals per weekday (`mon` ... `sun`), e.g. `{"mon": ["09:00-13:00", "14:00-18:00"]}`;
    /// a day left out is closed.
    pub hours: BTreeMap<String, Vec<String>>,
    /// Days closed all day, `YYYY-MM-DD`.
    pub holidays: Vec<String>,
    /// One customer gets each greeting at most once in this many minutes (up to 30 days).
    #[schema(minimum = 0, maximum = 43200)]
    pub period_minutes: i64,
}

impl From<Greetings> for GreetingsView {
    fn from(g: Greetings) -> Self {
        let schedule = g.schedule().unwrap_or_default();
        GreetingsView {
            hours: schedule.written().into_iter().collect(),
            holidays: schedule.holidays,
            welcome: Greeting { enabled: g.welcome_enabled, text: g.welcome_text },
            away: Greeting { enabled: g.away_enabled, text: g.away_text },
            time_zone: g.time_zone,
            period_minutes: g.period_minutes,
        }
    }
}

/// A number's welcome and away messages.
#[utoipa::path(get, path = "/api/v1/numbers/{id}/greetings", tag = "numbers", params(("id" = i64, Path)),
    responses((status = 200, description = "The greetings (all off until set)", body = GreetingsView), ReadErrors))]
pub async fn get_greetings(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<GreetingsView>> {
    auth.require_any(&[Grant::MenuNumbers, Grant::MenuAutoReply])?;
    numbers::get(&state.db, &auth.scope, id).await?;
    Ok(Json(greetings::get(&state.db, id).await?.into()))
}

/// Set a number's welcome and away messages.
#[utoipa::path(put, path = "/api/v1/numbers/{id}/greetings", tag = "numbers", params(("id" = i64, Path)),
    request_body = GreetingsView,
    responses((status = 200, description = "Saved", body = GreetingsView), UpdateErrors))]
pub async fn set_greetings(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<GreetingsView>,
) -> ApiResult<Json<GreetingsView>> {
    auth.require_any(&[Grant::MenuNumbers, Grant::MenuAutoReply])?;
    numbers::get(&state.db, &auth.scope, id).await?;
    let welcome_text = multiline_text("welcome.text", &body.welcome.text, TEXT_MAX)?;
    let away_text = multiline_text("away.text", &body.away.text, TEXT_MAX)?;
    if body.welcome.enabled && welcome_text.is_empty() {
        return Err(ApiError::invalid("welcome.text", "is required while the welcome message is on"));
    }
    if body.away.enabled && away_text.is_empty() {
        return Err(ApiError::invalid("away.text", "is required while the away message is on"));
    }
    if jiff::tz::TimeZone::get(&body.time_zone).is_err() {
        return Err(ApiError::invalid("time_zone", "must be a time zone such as Europe/Bucharest or Asia/Ho_Chi_Minh"));
    }
    if !(0..=PERIOD_MAX).contains(&body.period_minutes) {
        return Err(ApiError::invalid("period_minutes", "must be between 0 and 43,200 minutes (30 days)"));
    }
    let days: Vec<(String, Vec<String>)> = body.hours.into_iter().collect();
    let schedule = WeeklyHours::parse(&days, &body.holidays)?;
    let stored = Greetings {
        welcome_enabled: body.welcome.enabled,
        welcome_text,
        away_enabled: body.away.enabled,
        away_text,
        time_zone: body.time_zone,
        hours_json: serde_json::to_string(&schedule.written()).map_err(|e| ApiError::Internal(e.to_string()))?,
        holidays_json: serde_json::to_string(&schedule.holidays).map_err(|e| ApiError::Internal(e.to_string()))?,
        period_minutes: body.period_minutes,
    };
    greetings::set(&state.db, &auth.scope, &auth.actor(), id, &stored).await?;
    Ok(Json(greetings::get(&state.db, id).await?.into()))
}
