//! Predefined texts (TEXT-1): personal ones (their owner's) and shared ones (the company's),
//! found by name; the body's merge fields are checked by the caller before it is stored.

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::Result;
use crate::schema::PredefinedTexts;
use crate::scope::{Scope, escape_like};
use crate::{Db, Page, now_ms};
use sea_query::{Cond, Expr, ExprTrait, Func, LikeExpr, Order, Query, SelectStatement};
use serde_json::json;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PredefinedText {
    pub id: i64,
    /// Set for a personal text; `None` when it is shared.
    pub owner_staff_id: Option<i64>,
    pub name: String,
    pub body: String,
    pub updated_at: i64,
}

fn select() -> SelectStatement {
    Query::select()
        .columns([
            PredefinedTexts::Id,
            PredefinedTexts::OwnerStaffId,
            PredefinedTexts::Name,
            PredefinedTexts::Body,
            PredefinedTexts::UpdatedAt,
        ])
        .from(PredefinedTexts::Table)
        .to_owned()
}

/// Shared texts and the viewer's own.
fn visible_to(scope: &Scope) -> Cond {
    Cond::all().add(Expr::col(PredefinedTexts::CompanyId).eq(scope.company_id())).add(
        Cond::any()
            .add(Expr::col(PredefinedTexts::OwnerStaffId).is_null())
            .add(Expr::col(PredefinedTexts::OwnerStaffId).eq(scope.viewer.staff_id)),
    )
}

/// Texts `scope` may use, by name; `q` searches the name.
pub async fn list(
    db: &Db,
    scope: &Scope,
    q: Option<&str>,
    after: Option<i64>,
    limit: u64,
) -> Result<Page<PredefinedText>> {
    let mut query = select();
    query.cond_where(visible_to(scope)).order_by(PredefinedTexts::Id, Order::Asc).limit(limit + 1);
    if let Some(after) = after {
        query.and_where(Expr::col(PredefinedTexts::Id).gt(after));
    }
    if let Some(text) = q.map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        query.and_where(Func::lower(Expr::col(PredefinedTexts::Name)).like(LikeExpr::new(pattern).escape('\\')));
    }
    Ok(Page::from_rows(db.all(&query).await?, limit, |t: &PredefinedText| t.id))
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<PredefinedText> {
    let mut q = select();
    q.cond_where(visible_to(scope)).and_where(Expr::col(PredefinedTexts::Id).eq(id));
    db.one(&q).await
}

/// A text to store: shared, or personal to the caller.
pub struct TextFields {
    pub shared: bool,
    pub name: String,
    pub body: String,
}

pub async fn create(db: &Db, scope: &Scope, actor: &Actor, fields: TextFields) -> Result<PredefinedText> {
    let now = now_ms();
    let owner = (!fields.shared).then_some(scope.viewer.staff_id);
    let tx = db.begin().await?;
    let (id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(PredefinedTexts::Table)
                .columns([
                    PredefinedTexts::CompanyId,
                    PredefinedTexts::OwnerStaffId,
                    PredefinedTexts::Name,
                    PredefinedTexts::Body,
                    PredefinedTexts::CreatedAt,
                    PredefinedTexts::UpdatedAt,
                ])
                .values_panic([
                    scope.company_id().into(),
                    owner.into(),
                    fields.name.clone().into(),
                    fields.body.clone().into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(PredefinedTexts::Id),
        )
        .await?;
    let entry = actor
        .entry("text.create", "predefined_text", Some(id))
        .after(&json!({"name": fields.name, "shared": fields.shared}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    get(db, scope, id).await
}

pub async fn update(db: &Db, scope: &Scope, actor: &Actor, id: i64, fields: TextFields) -> Result<PredefinedText> {
    let before = get(db, scope, id).await?;
    let owner = if fields.shared { None } else { before.owner_staff_id.or(Some(scope.viewer.staff_id)) };
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(PredefinedTexts::Table)
            .value(PredefinedTexts::OwnerStaffId, owner)
            .value(PredefinedTexts::Name, fields.name.clone())
            .value(PredefinedTexts::Body, fields.body.clone())
            .value(PredefinedTexts::UpdatedAt, now_ms())
            .and_where(Expr::col(PredefinedTexts::Id).eq(id)),
    )
    .await?;
    let entry = actor
        .entry("text.update", "predefined_text", Some(id))
        .before(&json!({"name": before.name, "shared": before.owner_staff_id.is_none()}))
        .after(&json!({"name": fields.name, "shared": fields.shared}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    get(db, scope, id).await
}

pub async fn delete(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<()> {
    let before = get(db, scope, id).await?;
    let tx = db.begin().await?;
    tx.run(Query::delete().from_table(PredefinedTexts::Table).and_where(Expr::col(PredefinedTexts::Id).eq(id))).await?;
    audit::record_in(
        &tx,
        actor.entry("text.delete", "predefined_text", Some(id)).before(&json!({"name": before.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
