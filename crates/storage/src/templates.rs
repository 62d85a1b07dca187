//! The template catalogue per WhatsApp Business Account (WA-4): kept by admins, and moved along
//! by Meta's `message_template_status_update` webhooks.

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::Result;
use crate::schema::Templates;
use crate::{Db, now_ms};
use sea_query::{Expr, ExprTrait, InsertStatement, Order, Query, SelectStatement};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Template {
    pub id: i64,
    pub waba_id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    pub status: String,
    pub reason: Option<String>,
    pub components_json: String,
    pub parameter_count: i64,
    pub updated_at: i64,
}

fn select(company_id: i64) -> SelectStatement {
    Query::select()
        .columns([
            Templates::Id,
            Templates::WabaId,
            Templates::Name,
            Templates::Language,
            Templates::Category,
            Templates::Status,
            Templates::Reason,
            Templates::ComponentsJson,
            Templates::ParameterCount,
            Templates::UpdatedAt,
        ])
        .from(Templates::Table)
        .and_where(Expr::col(Templates::CompanyId).eq(company_id))
        .to_owned()
}

/// The company's templates, by name and language.
pub async fn list(db: &Db, company_id: i64) -> Result<Vec<Template>> {
    let mut q = select(company_id);
    q.order_by(Templates::Name, Order::Asc).order_by(Templates::Language, Order::Asc);
    db.all(&q).await
}

pub async fn get(db: &Db, company_id: i64, id: i64) -> Result<Template> {
    db.one(select(company_id).and_where(Expr::col(Templates::Id).eq(id))).await
}

/// The template a send names, in the WhatsApp Business Account of the sending number.
pub async fn find(db: &Db, company_id: i64, waba_id: &str, name: &str, language: &str) -> Result<Option<Template>> {
    db.optional(
        select(company_id)
            .and_where(Expr::col(Templates::CompanyId).eq(company_id))
            .and_where(Expr::col(Templates::WabaId).eq(waba_id))
            .and_where(Expr::col(Templates::Name).eq(name))
            .and_where(Expr::col(Templates::Language).eq(language)),
    )
    .await
}

/// A template's fields, already validated; `components_json` is Meta's components array.
pub struct TemplateFields<'a> {
    pub waba_id: &'a str,
    pub name: &'a str,
    pub language: &'a str,
    pub category: &'a str,
    pub status: &'a str,
    pub components_json: &'a str,
    pub parameter_count: i64,
}

/// The insert of a template row, shared by [`create`] and [`upsert`].
fn insert(company_id: i64, t: &TemplateFields<'_>) -> InsertStatement {
    let now = now_ms();
    Query::insert()
        .into_table(Templates::Table)
        .columns([
            Templates::CompanyId,
            Templates::WabaId,
            Templates::Name,
            Templates::Language,
            Templates::Category,
            Templates::Status,
            Templates::ComponentsJson,
            Templates::ParameterCount,
            Templates::UpdatedAt,
            Templates::CreatedAt,
        ])
        .values_panic([
            company_id.into(),
            t.waba_id.into(),
            t.name.into(),
            t.language.into(),
            t.category.into(),
            t.status.into(),
            t.components_json.into(),
            t.parameter_count.into(),
            now.into(),
            now.into(),
        ])
        .to_owned()
}

pub async fn create(db: &Db, company_id: i64, actor: &Actor, t: TemplateFields<'_>) -> Result<Template> {
    let tx = db.begin().await?;
    let (id,): (i64,) = tx.one(insert(company_id, &t).returning_col(Templates::Id)).await?;
    let created: Template = tx.one(select(company_id).and_where(Expr::col(Templates::Id).eq(id))).await?;
    audit::record_in(&tx, actor.entry("template.create", "template", Some(id)).after(&created)).await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn update(db: &Db, company_id: i64, actor: &Actor, id: i64, t: TemplateFields<'_>) -> Result<Template> {
    let tx = db.begin().await?;
    let before: Template = tx.one(select(company_id).and_where(Expr::col(Templates::Id).eq(id))).await?;
    tx.run(
        Query::update()
            .table(Templates::Table)
            .value(Templates::WabaId, t.waba_id)
            .value(Templates::Name, t.name)
            .value(Templates::Language, t.language)
            .value(Templates::Category, t.category)
            .value(Templates::Status, t.status)
            .value(Templates::ComponentsJson, t.components_json)
            .value(Templates::ParameterCount, t.parameter_count)
            .value(Templates::UpdatedAt, now_ms())
            .and_where(Expr::col(Templates::Id).eq(id)),
    )
    .await?;
    let after: Template = tx.one(select(company_id).and_where(Expr::col(Templates::Id).eq(id))).await?;
    audit::record_in(&tx, actor.entry("template.update", "template", Some(id)).before(&before).after(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(db: &Db, company_id: i64, actor: &Actor, id: i64) -> Result<()> {
    let tx = db.begin().await?;
    let before: Template = tx.one(select(company_id).and_where(Expr::col(Templates::Id).eq(id))).await?;
    tx.run(Query::delete().from_table(Templates::Table).and_where(Expr::col(Templates::Id).eq(id))).await?;
    audit::record_in(&tx, actor.entry("template.delete", "template", Some(id)).before(&before)).await?;
    tx.commit().await
}

/// Applies Meta's status event to a company's copy of that WABA's template.
pub async fn apply_status(
    db: &Db,
    company_id: i64,
    waba_id: &str,
    name: &str,
    language: &str,
    status: &str,
    reason: Option<&str>,
) -> Result<u64> {
    db.run(
        Query::update()
            .table(Templates::Table)
            .value(Templates::Status, status)
            .value(Templates::Reason, reason.map(String::from))
            .value(Templates::UpdatedAt, now_ms())
            .and_where(Expr::col(Templates::CompanyId).eq(company_id))
            .and_where(Expr::col(Templates::WabaId).eq(waba_id))
            .and_where(Expr::col(Templates::Name).eq(name))
            .and_where(Expr::col(Templates::Language).eq(language)),
    )
    .await
}

/// Adds or refreshes a template as Meta lists it (matched by account, name and language).
pub async fn upsert(db: &Db, company_id: i64, t: TemplateFields<'_>) -> Result<()> {
    db.run(
        insert(company_id, &t).on_conflict(
            sea_query::OnConflict::columns([
                Templates::CompanyId,
                Templates::WabaId,
                Templates::Name,
                Templates::Language,
            ])
            .update_columns([
                Templates::Category,
                Templates::Status,
                Templates::ComponentsJson,
                Templates::ParameterCount,
                Templates::UpdatedAt,
            ])
            .to_owned(),
        ),
    )
    .await?;
    Ok(())
}
