//! Companies (tenants). A company is created together with its root department and its first
//! admin, in one transaction, so a company without a root never exists.

use crate::db::Exec;
use crate::error::Result;
use crate::schema::{Companies, Departments};
use crate::{Db, now_ms};
use rapport_domain::GrantSet;
use sea_query::{Expr, ExprTrait, Query};

/// What `create` makes.
#[derive(Debug, Clone, Copy)]
pub struct Created {
    pub company_id: i64,
    pub root_department_id: i64,
    pub admin_id: i64,
}

/// The first admin of a new company; `account` is already validated and `password_hash` hashed.
pub struct NewAdmin<'a> {
    pub account: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
}

/// Creates a company, its root department (named like the company) and an admin holding
/// every grant in that root department.
pub async fn create(db: &Db, name: &str, admin: NewAdmin<'_>) -> Result<Created> {
    let tx = db.begin().await?;
    let now = now_ms();
    let (company_id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(Companies::Table)
                .columns([Companies::Name, Companies::CreatedAt])
                .values_panic([name.into(), now.into()])
                .returning_col(Companies::Id),
        )
        .await?;
    let (root_id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(Departments::Table)
                .columns([Departments::CompanyId, Departments::Name, Departments::CreatedAt])
                .values_panic([company_id.into(), name.into(), now.into()])
                .returning_col(Departments::Id),
        )
        .await?;
    tx.run(
        Query::update()
            .table(Departments::Table)
            .value(Departments::Path, format!("/{root_id}/"))
            .and_where(Expr::col(Departments::Id).eq(root_id)),
    )
    .await?;
    let admin_staff = crate::staff::NewStaff {
        department_id: root_id,
        account: admin.account,
        name: admin.name,
        nickname: "",
        notes: "",
        password_hash: admin.password_hash,
    };
    let admin_id = crate::staff::insert(&tx, company_id, &admin_staff, GrantSet::all(), None).await?;
    tx.commit().await?;
    Ok(Created { company_id, root_department_id: root_id, admin_id })
}

/// A company's settings (Settings page).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Settings {
    pub name: String,
    /// ISO 3166 code in which staff's local phone numbers are read (CONT-1).
    pub default_country: String,
}

pub async fn settings(db: &Db, company_id: i64) -> Result<Settings> {
    db.one(
        Query::select()
            .columns([Companies::Name, Companies::DefaultCountry])
            .from(Companies::Table)
            .and_where(Expr::col(Companies::Id).eq(company_id)),
    )
    .await
}

/// Stores settings the caller validated.
pub async fn set_settings(db: &Db, actor: &crate::audit::Actor, company_id: i64, new: &Settings) -> Result<Settings> {
    let before = settings(db, company_id).await?;
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(Companies::Table)
            .value(Companies::Name, new.name.clone())
            .value(Companies::DefaultCountry, new.default_country.clone())
            .and_where(Expr::col(Companies::Id).eq(company_id)),
    )
    .await?;
    let entry = actor
        .entry("company.settings", "company", Some(company_id))
        .before(&serde_json::json!({"name": before.name, "default_country": before.default_country}))
        .after(&serde_json::json!({"name": new.name, "default_country": new.default_country}));
    crate::audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    settings(db, company_id).await
}
