//! Welcome and away messages per number (AUTO-4): their texts, the working hours they go by,
//! and, per customer, when each was last sent (claimed by one conditional write, as auto
//! replies' cool-downs are).

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::Result;
use crate::schema::{GreetingAnswers, NumberGreetings};
use crate::scope::Scope;
use crate::{Db, now_ms};
use rapport_domain::Invalid;
use rapport_domain::working_hours::WeeklyHours;
use sea_query::{Expr, ExprTrait, OnConflict, Query};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Greetings {
    pub welcome_enabled: bool,
    pub welcome_text: String,
    pub away_enabled: bool,
    pub away_text: String,
    pub time_zone: String,
    pub hours_json: String,
    pub holidays_json: String,
    pub period_minutes: i64,
}

impl Greetings {
    /// The stored working hours and holidays, as the domain reads them (stored only after
    /// they were checked, so an error means the row was changed by hand).
    pub fn schedule(&self) -> Result<WeeklyHours, Invalid> {
        let days: Vec<(String, Vec<String>)> = serde_json::from_str(&self.hours_json).unwrap_or_default();
        let holidays: Vec<String> = serde_json::from_str(&self.holidays_json).unwrap_or_default();
        WeeklyHours::parse(&days, &holidays)
    }
}

impl Default for Greetings {
    fn default() -> Self {
        Greetings {
            welcome_enabled: false,
            welcome_text: String::new(),
            away_enabled: false,
            away_text: String::new(),
            time_zone: "UTC".into(),
            hours_json: "[]".into(),
            holidays_json: "[]".into(),
            period_minutes: 24 * 60,
        }
    }
}

const COLUMNS: [NumberGreetings; 8] = [
    NumberGreetings::WelcomeEnabled,
    NumberGreetings::WelcomeText,
    NumberGreetings::AwayEnabled,
    NumberGreetings::AwayText,
    NumberGreetings::TimeZone,
    NumberGreetings::HoursJson,
    NumberGreetings::HolidaysJson,
    NumberGreetings::PeriodMinutes,
];

/// A number's greetings (the defaults, all off, when none were set). The caller checks the
/// number is one it may see.
pub async fn get(db: &Db, number_id: i64) -> Result<Greetings> {
    let found = db
        .optional(
            Query::select()
                .columns(COLUMNS)
                .from(NumberGreetings::Table)
                .and_where(Expr::col(NumberGreetings::NumberId).eq(number_id)),
        )
        .await?;
    Ok(found.unwrap_or_default())
}

/// Sets a number's greetings (the number must be one `scope` sees: checked by the caller).
pub async fn set(db: &Db, scope: &Scope, actor: &Actor, number_id: i64, g: &Greetings) -> Result<()> {
    let before = get(db, number_id).await?;
    let tx = db.begin().await?;
    tx.run(
        Query::insert()
            .into_table(NumberGreetings::Table)
            .columns(
                [NumberGreetings::NumberId, NumberGreetings::CompanyId, NumberGreetings::UpdatedAt]
                    .into_iter()
                    .chain(COLUMNS),
            )
            .values_panic([
                number_id.into(),
                scope.company_id().into(),
                now_ms().into(),
                g.welcome_enabled.into(),
                g.welcome_text.clone().into(),
                g.away_enabled.into(),
                g.away_text.clone().into(),
                g.time_zone.clone().into(),
                g.hours_json.clone().into(),
                g.holidays_json.clone().into(),
                g.period_minutes.into(),
            ])
            .on_conflict(
                OnConflict::column(NumberGreetings::NumberId)
                    .update_columns(COLUMNS)
                    .update_column(NumberGreetings::UpdatedAt)
                    .to_owned(),
            ),
    )
    .await?;
    let view = |g: &Greetings| {
        json!({"welcome": [g.welcome_enabled, g.welcome_text], "away": [g.away_enabled, g.away_text],
            "time_zone": g.time_zone, "hours": g.hours_json, "holidays": g.holidays_json, "period_minutes": g.period_minutes})
    };
    let entry = actor.entry("number.greetings", "number", Some(number_id)).before(&view(&before)).after(&view(g));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Claims the right to send greeting `kind` to a customer now: `false` within `period_ms` of
/// the last one.
pub async fn claim(db: &Db, number_id: i64, contact_id: i64, kind: &str, now: i64, period_ms: i64) -> Result<bool> {
    let claimed = db
        .run(
            Query::insert()
                .into_table(GreetingAnswers::Table)
                .columns([
                    GreetingAnswers::NumberId,
                    GreetingAnswers::ContactId,
                    GreetingAnswers::Kind,
                    GreetingAnswers::AnsweredAt,
                ])
                .values_panic([number_id.into(), contact_id.into(), kind.into(), now.into()])
                .on_conflict(
                    OnConflict::columns([GreetingAnswers::NumberId, GreetingAnswers::ContactId, GreetingAnswers::Kind])
                        .update_column(GreetingAnswers::AnsweredAt)
                        .action_and_where(
                            Expr::col((GreetingAnswers::Table, GreetingAnswers::AnsweredAt)).lte(now - period_ms),
                        )
                        .to_owned(),
                ),
        )
        .await?;
    Ok(claimed > 0)
}
