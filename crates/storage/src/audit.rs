//! The audit log: who did what to which object, when, from where, with the values before and
//! after. Written in the same transaction as the change it describes where there is one.

use crate::db::Exec;
use crate::error::Result;
use crate::schema::{AuditLog, Staff};
use crate::{Db, Page, now_ms};
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
use serde_json::Value;

/// Who is acting and from where; every write that is audited takes one.
#[derive(Debug, Clone)]
pub struct Actor {
    pub company_id: i64,
    pub staff_id: Option<i64>,
    /// The client address, for the log.
    pub source: String,
}

impl Actor {
    /// An entry by this actor.
    pub fn entry<'a>(&'a self, action: &'a str, target_type: &'a str, target_id: Option<i64>) -> Entry<'a> {
        Entry {
            company_id: Some(self.company_id),
            actor_id: self.staff_id,
            action,
            target_type,
            target_id,
            before: None,
            after: None,
            source: &self.source,
        }
    }
}

/// One entry to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub company_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub source: &'a str,
}

impl Entry<'_> {
    pub fn before(mut self, value: &impl serde::Serialize) -> Self {
        self.before = serde_json::to_value(value).ok();
        self
    }

    pub fn after(mut self, value: &impl serde::Serialize) -> Self {
        self.after = serde_json::to_value(value).ok();
        self
    }
}

pub async fn record(db: &Db, entry: Entry<'_>) -> Result<()> {
    record_in(db, entry).await
}

pub(crate) async fn record_in(ex: &impl Exec, entry: Entry<'_>) -> Result<()> {
    ex.run(
        Query::insert()
            .into_table(AuditLog::Table)
            .columns([
                AuditLog::CompanyId,
                AuditLog::ActorId,
                AuditLog::Action,
                AuditLog::TargetType,
                AuditLog::TargetId,
                AuditLog::BeforeJson,
                AuditLog::AfterJson,
                AuditLog::Source,
                AuditLog::At,
            ])
            .values_panic([
                entry.company_id.into(),
                entry.actor_id.into(),
                entry.action.into(),
                entry.target_type.into(),
                entry.target_id.into(),
                entry.before.map(|v| v.to_string()).into(),
                entry.after.map(|v| v.to_string()).into(),
                entry.source.into(),
                now_ms().into(),
            ]),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub source: String,
    pub at: i64,
}

/// Newest first; `before` is the cursor (an id) of the previous page's last entry.
pub async fn list(db: &Db, company_id: i64, before: Option<i64>, limit: u64) -> Result<Page<AuditRow>> {
    let actor = Alias::new("actor");
    let mut q = Query::select();
    q.columns([
        (AuditLog::Table, AuditLog::Id),
        (AuditLog::Table, AuditLog::ActorId),
        (AuditLog::Table, AuditLog::Action),
        (AuditLog::Table, AuditLog::TargetType),
        (AuditLog::Table, AuditLog::TargetId),
        (AuditLog::Table, AuditLog::BeforeJson),
        (AuditLog::Table, AuditLog::AfterJson),
        (AuditLog::Table, AuditLog::Source),
        (AuditLog::Table, AuditLog::At),
    ])
    .expr_as(Expr::col((actor.clone(), Staff::Name)), Alias::new("actor_name"))
    .from(AuditLog::Table)
    .join_as(
        JoinType::LeftJoin,
        Staff::Table,
        actor.clone(),
        Expr::col((actor, Staff::Id)).equals((AuditLog::Table, AuditLog::ActorId)),
    )
    .and_where(Expr::col((AuditLog::Table, AuditLog::CompanyId)).eq(company_id))
    .order_by((AuditLog::Table, AuditLog::Id), Order::Desc)
    .limit(limit + 1);
    if let Some(before) = before {
        q.and_where(Expr::col((AuditLog::Table, AuditLog::Id)).lt(before));
    }
    Ok(Page::from_rows(db.all(&q).await?, limit, |r: &AuditRow| r.id))
}
