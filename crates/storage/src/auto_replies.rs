//! Auto reply rules (AUTO-1..3): stored per company, each private to its owner or public;
//! every change moves the company's rules version on, so a matcher built from older rules is
//! rebuilt before the next message (on every instance). The cool-down per rule and customer
//! is claimed by one conditional write, so two instances never both answer.

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::Result;
use crate::schema::{AutoReplies, AutoReplyAnswers, AutoReplyVersions, Staff};
use crate::scope::{Scope, escape_like};
use crate::{Db, Page, now_ms};
use sea_query::{Alias, Cond, Expr, ExprTrait, Func, LikeExpr, OnConflict, Order, Query, SelectStatement};
use serde_json::json;

pub const SCOPE_PRIVATE: &str = "private";
pub const SCOPE_PUBLIC: &str = "public";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AutoReply {
    pub id: i64,
    pub company_id: i64,
    /// `private` or `public`.
    pub scope: String,
    pub owner_staff_id: Option<i64>,
    pub owner_name: Option<String>,
    pub pattern: String,
    pub match_words: String,
    pub replies_json: String,
    pub enabled: bool,
    pub priority: i64,
    pub in_groups: bool,
    pub cooldown_minutes: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A rule's fields as written (already validated by the caller).
#[derive(Debug, Clone)]
pub struct RuleFields {
    /// Private rules belong to the staff member who writes them.
    pub private: bool,
    pub pattern: String,
    pub match_words: String,
    pub replies_json: String,
    pub enabled: bool,
    pub priority: i64,
    pub in_groups: bool,
    pub cooldown_minutes: i64,
}

fn select() -> SelectStatement {
    let owner = Alias::new("owner");
    Query::select()
        .columns([
            (AutoReplies::Table, AutoReplies::Id),
            (AutoReplies::Table, AutoReplies::CompanyId),
            (AutoReplies::Table, AutoReplies::Scope),
            (AutoReplies::Table, AutoReplies::OwnerStaffId),
            (AutoReplies::Table, AutoReplies::Pattern),
            (AutoReplies::Table, AutoReplies::MatchWords),
            (AutoReplies::Table, AutoReplies::RepliesJson),
            (AutoReplies::Table, AutoReplies::Enabled),
            (AutoReplies::Table, AutoReplies::Priority),
            (AutoReplies::Table, AutoReplies::InGroups),
            (AutoReplies::Table, AutoReplies::CooldownMinutes),
            (AutoReplies::Table, AutoReplies::CreatedAt),
            (AutoReplies::Table, AutoReplies::UpdatedAt),
        ])
        .expr_as(Expr::col((owner.clone(), Staff::Name)), Alias::new("owner_name"))
        .from(AutoReplies::Table)
        .join_as(
            sea_query::JoinType::LeftJoin,
            Staff::Table,
            owner.clone(),
            Expr::col((owner, Staff::Id)).equals((AutoReplies::Table, AutoReplies::OwnerStaffId)),
        )
        .to_owned()
}

/// The company's public rules and the viewer's own private ones.
fn visible_to(scope: &Scope) -> Cond {
    Cond::all().add(Expr::col((AutoReplies::Table, AutoReplies::CompanyId)).eq(scope.company_id())).add(
        Cond::any()
            .add(Expr::col((AutoReplies::Table, AutoReplies::Scope)).eq(SCOPE_PUBLIC))
            .add(Expr::col((AutoReplies::Table, AutoReplies::OwnerStaffId)).eq(scope.viewer.staff_id)),
    )
}

/// Rules `scope` sees, oldest first; `q` searches the match words and the reply contents.
pub async fn list(
    db: &Db,
    scope: &Scope,
    q: Option<&str>,
    private: Option<bool>,
    after: Option<i64>,
    limit: u64,
) -> Result<Page<AutoReply>> {
    let mut query = select();
    query.cond_where(visible_to(scope)).order_by((AutoReplies::Table, AutoReplies::Id), Order::Asc).limit(limit + 1);
    if let Some(after) = after {
        query.and_where(Expr::col((AutoReplies::Table, AutoReplies::Id)).gt(after));
    }
    if let Some(private) = private {
        let wanted = if private { SCOPE_PRIVATE } else { SCOPE_PUBLIC };
        query.and_where(Expr::col((AutoReplies::Table, AutoReplies::Scope)).eq(wanted));
    }
    if let Some(text) = q.map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        let like = |c: AutoReplies| {
            Func::lower(Expr::col((AutoReplies::Table, c))).like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query.cond_where(Cond::any().add(like(AutoReplies::MatchWords)).add(like(AutoReplies::RepliesJson)));
    }
    Ok(Page::from_rows(db.all(&query).await?, limit, |r: &AutoReply| r.id))
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<AutoReply> {
    let mut q = select();
    q.cond_where(visible_to(scope)).and_where(Expr::col((AutoReplies::Table, AutoReplies::Id)).eq(id));
    db.one(&q).await
}

/// The enabled rules of a company, for its matcher.
pub async fn active(db: &Db, company_id: i64) -> Result<Vec<AutoReply>> {
    let mut q = select();
    q.and_where(Expr::col((AutoReplies::Table, AutoReplies::CompanyId)).eq(company_id))
        .and_where(Expr::col((AutoReplies::Table, AutoReplies::Enabled)).eq(true));
    db.all(&q).await
}

/// The company's rules version: any change to its rules moves it on.
pub async fn version(db: &Db, company_id: i64) -> Result<i64> {
    let found: Option<(i64,)> = db
        .optional(
            Query::select()
                .column(AutoReplyVersions::Version)
                .from(AutoReplyVersions::Table)
                .and_where(Expr::col(AutoReplyVersions::CompanyId).eq(company_id)),
        )
        .await?;
    Ok(found.map_or(0, |(v,)| v))
}

async fn bump_version(tx: &impl Exec, company_id: i64) -> Result<()> {
    tx.run(
        Query::insert()
            .into_table(AutoReplyVersions::Table)
            .columns([AutoReplyVersions::CompanyId, AutoReplyVersions::Version])
            .values_panic([company_id.into(), 1.into()])
            .on_conflict(
                OnConflict::column(AutoReplyVersions::CompanyId)
                    .value(AutoReplyVersions::Version, Expr::cust("auto_reply_versions.version + 1"))
                    .to_owned(),
            ),
    )
    .await?;
    Ok(())
}

fn audit_view(fields: &RuleFields) -> serde_json::Value {
    json!({"scope": if fields.private { SCOPE_PRIVATE } else { SCOPE_PUBLIC }, "pattern": fields.pattern,
        "match_words": fields.match_words, "replies": fields.replies_json, "enabled": fields.enabled,
        "priority": fields.priority, "in_groups": fields.in_groups, "cooldown_minutes": fields.cooldown_minutes})
}

pub async fn create(db: &Db, scope: &Scope, actor: &Actor, fields: RuleFields) -> Result<AutoReply> {
    let now = now_ms();
    let me = scope.viewer.staff_id;
    let tx = db.begin().await?;
    let (id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(AutoReplies::Table)
                .columns([
                    AutoReplies::CompanyId,
                    AutoReplies::Scope,
                    AutoReplies::OwnerStaffId,
                    AutoReplies::Pattern,
                    AutoReplies::MatchWords,
                    AutoReplies::RepliesJson,
                    AutoReplies::Enabled,
                    AutoReplies::Priority,
                    AutoReplies::InGroups,
                    AutoReplies::CooldownMinutes,
                    AutoReplies::CreatedBy,
                    AutoReplies::CreatedAt,
                    AutoReplies::UpdatedAt,
                ])
                .values_panic([
                    scope.company_id().into(),
                    (if fields.private { SCOPE_PRIVATE } else { SCOPE_PUBLIC }).into(),
                    fields.private.then_some(me).into(),
                    fields.pattern.clone().into(),
                    fields.match_words.clone().into(),
                    fields.replies_json.clone().into(),
                    fields.enabled.into(),
                    fields.priority.into(),
                    fields.in_groups.into(),
                    fields.cooldown_minutes.into(),
                    me.into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(AutoReplies::Id),
        )
        .await?;
    bump_version(&tx, scope.company_id()).await?;
    audit::record_in(&tx, actor.entry("auto_reply.create", "auto_reply", Some(id)).after(&audit_view(&fields))).await?;
    tx.commit().await?;
    get(db, scope, id).await
}

/// Replaces a rule's fields; a private rule stays its owner's (and a public one may become
/// the caller's private rule).
pub async fn update(db: &Db, scope: &Scope, actor: &Actor, id: i64, fields: RuleFields) -> Result<AutoReply> {
    let before = get(db, scope, id).await?;
    let tx = db.begin().await?;
    let owner = if fields.private { before.owner_staff_id.or(Some(scope.viewer.staff_id)) } else { None };
    tx.run(
        Query::update()
            .table(AutoReplies::Table)
            .value(AutoReplies::Scope, if fields.private { SCOPE_PRIVATE } else { SCOPE_PUBLIC })
            .value(AutoReplies::OwnerStaffId, owner)
            .value(AutoReplies::Pattern, fields.pattern.clone())
            .value(AutoReplies::MatchWords, fields.match_words.clone())
            .value(AutoReplies::RepliesJson, fields.replies_json.clone())
            .value(AutoReplies::Enabled, fields.enabled)
            .value(AutoReplies::Priority, fields.priority)
            .value(AutoReplies::InGroups, fields.in_groups)
            .value(AutoReplies::CooldownMinutes, fields.cooldown_minutes)
            .value(AutoReplies::UpdatedAt, now_ms())
            .and_where(Expr::col(AutoReplies::Id).eq(id)),
    )
    .await?;
    bump_version(&tx, scope.company_id()).await?;
    let before_view = json!({"scope": before.scope, "pattern": before.pattern, "match_words": before.match_words,
        "replies": before.replies_json, "enabled": before.enabled, "priority": before.priority,
        "in_groups": before.in_groups, "cooldown_minutes": before.cooldown_minutes});
    let entry =
        actor.entry("auto_reply.update", "auto_reply", Some(id)).before(&before_view).after(&audit_view(&fields));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    get(db, scope, id).await
}

pub async fn delete(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<()> {
    let before = get(db, scope, id).await?;
    let tx = db.begin().await?;
    tx.run(Query::delete().from_table(AutoReplyAnswers::Table).and_where(Expr::col(AutoReplyAnswers::RuleId).eq(id)))
        .await?;
    tx.run(Query::delete().from_table(AutoReplies::Table).and_where(Expr::col(AutoReplies::Id).eq(id))).await?;
    bump_version(&tx, scope.company_id()).await?;
    let entry = actor
        .entry("auto_reply.delete", "auto_reply", Some(id))
        .before(&json!({"match_words": before.match_words, "scope": before.scope}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Claims the right for `rule_id` to answer `contact_id` now: answers `false` while the rule's
/// cool-down since its last answer to them has not passed. One conditional upsert, so among
/// concurrent claims (on any number of instances) one wins.
pub async fn claim_answer(db: &Db, rule_id: i64, contact_id: i64, now: i64, cooldown_ms: i64) -> Result<bool> {
    let claimed = db
        .run(
            Query::insert()
                .into_table(AutoReplyAnswers::Table)
                .columns([AutoReplyAnswers::RuleId, AutoReplyAnswers::ContactId, AutoReplyAnswers::AnsweredAt])
                .values_panic([rule_id.into(), contact_id.into(), now.into()])
                .on_conflict(
                    OnConflict::columns([AutoReplyAnswers::RuleId, AutoReplyAnswers::ContactId])
                        .update_column(AutoReplyAnswers::AnsweredAt)
                        .action_and_where(
                            Expr::col((AutoReplyAnswers::Table, AutoReplyAnswers::AnsweredAt)).lte(now - cooldown_ms),
                        )
                        .to_owned(),
                ),
        )
        .await?;
    Ok(claimed > 0)
}
