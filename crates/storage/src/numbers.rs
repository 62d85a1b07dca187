//! WhatsApp Business numbers (WA-1): listed and read through a [`Scope`] (the owner, or the
//! number's department within `dept.numbers` / `subdept.numbers`), secrets sealed at rest.

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::{Result, StorageError};
use crate::schema::{Departments, Numbers, Staff};
use crate::scope::{Scope, escape_like};
use crate::secrets::SecretBox;
use crate::{Db, Page, now_ms};
use rapport_domain::Refusal;
use rapport_domain::status::NumberStatus;
use rapport_domain::sync::SyncFilter;
use sea_query::{Alias, Cond, Expr, ExprTrait, Func, JoinType, LikeExpr, Order, Query, SelectStatement};
use serde::Serialize;

/// A number as staff see it: no secrets.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Number {
    pub id: i64,
    pub company_id: i64,
    pub department_id: i64,
    pub department_name: String,
    pub owner_staff_id: Option<i64>,
    pub owner_name: Option<String>,
    pub phone_number_id: String,
    pub waba_id: String,
    pub display_phone_number: String,
    pub verified_name: String,
    #[sqlx(try_from = "String")]
    pub status: NumberStatus,
    pub last_activity_at: Option<i64>,
    pub created_at: i64,
    pub sync_filter: String,
    /// Newline-separated numbers for `all_except`.
    pub sync_except: String,
}

impl Number {
    pub fn sync(&self) -> SyncFilter {
        sync_filter(&self.sync_filter, &self.sync_except)
    }
}

/// The stored form back into the rule (an unknown stored mode keeps everything).
fn sync_filter(mode: &str, except: &str) -> SyncFilter {
    let list: Vec<String> = except.lines().map(String::from).collect();
    SyncFilter::parse(mode, &list).unwrap_or(SyncFilter::All)
}

fn select() -> SelectStatement {
    let owner = Alias::new("owner");
    let mut q = Query::select();
    q.columns([
        (Numbers::Table, Numbers::Id),
        (Numbers::Table, Numbers::CompanyId),
        (Numbers::Table, Numbers::DepartmentId),
        (Numbers::Table, Numbers::OwnerStaffId),
        (Numbers::Table, Numbers::PhoneNumberId),
        (Numbers::Table, Numbers::WabaId),
        (Numbers::Table, Numbers::DisplayPhoneNumber),
        (Numbers::Table, Numbers::VerifiedName),
        (Numbers::Table, Numbers::Status),
        (Numbers::Table, Numbers::LastActivityAt),
        (Numbers::Table, Numbers::CreatedAt),
        (Numbers::Table, Numbers::SyncFilter),
        (Numbers::Table, Numbers::SyncExcept),
    ])
    .expr_as(Expr::col((Departments::Table, Departments::Name)), Alias::new("department_name"))
    .expr_as(Expr::col((owner.clone(), Staff::Name)), Alias::new("owner_name"))
    .from(Numbers::Table)
    .inner_join(
        Departments::Table,
        Expr::col((Departments::Table, Departments::Id)).equals((Numbers::Table, Numbers::DepartmentId)),
    )
    .join_as(
        JoinType::LeftJoin,
        Staff::Table,
        owner.clone(),
        Expr::col((owner, Staff::Id)).equals((Numbers::Table, Numbers::OwnerStaffId)),
    );
    q
}

/// Numbers `scope` may see: their own, and those of departments in their number reach.
pub(crate) fn visible_to(scope: &Scope) -> Cond {
    Cond::all().add(Expr::col((Numbers::Table, Numbers::CompanyId)).eq(scope.company_id())).add(
        Cond::any()
            .add(Expr::col((Numbers::Table, Numbers::OwnerStaffId)).eq(scope.viewer.staff_id))
            .add(scope.covers(scope.viewer.number_reach(), (Numbers::Table, Numbers::DepartmentId))),
    )
}

/// Search by display number, verified (push) name, phone number id or owner name.
pub async fn list(db: &Db, scope: &Scope, q: Option<&str>, cursor: Option<i64>, limit: u64) -> Result<Page<Number>> {
    let mut query = select();
    query.cond_where(visible_to(scope)).order_by((Numbers::Table, Numbers::Id), Order::Asc).limit(limit + 1);
    if let Some(cursor) = cursor {
        query.and_where(Expr::col((Numbers::Table, Numbers::Id)).gt(cursor));
    }
    if let Some(text) = q.map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        let like = |col: Expr| Func::lower(col).like(LikeExpr::new(pattern.clone()).escape('\\'));
        query.cond_where(
            Cond::any()
                .add(like(Expr::col((Numbers::Table, Numbers::DisplayPhoneNumber))))
                .add(like(Expr::col((Numbers::Table, Numbers::VerifiedName))))
                .add(like(Expr::col((Numbers::Table, Numbers::PhoneNumberId))))
                .add(like(Expr::col((Alias::new("owner"), Staff::Name)))),
        );
    }
    Ok(Page::from_rows(db.all(&query).await?, limit, |n: &Number| n.id))
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Number> {
    get_in(db, Some(scope), scope.company_id(), id).await
}

async fn get_in(ex: &impl Exec, scope: Option<&Scope>, company_id: i64, id: i64) -> Result<Number> {
    let mut q = select();
    q.and_where(Expr::col((Numbers::Table, Numbers::CompanyId)).eq(company_id))
        .and_where(Expr::col((Numbers::Table, Numbers::Id)).eq(id));
    if let Some(scope) = scope {
        q.cond_where(visible_to(scope));
    }
    ex.one(&q).await
}

/// A number to connect; secrets in the clear here, sealed before storing.
pub struct NewNumber<'a> {
    pub phone_number_id: &'a str,
    pub waba_id: &'a str,
    pub display_phone_number: &'a str,
    pub verified_name: &'a str,
    pub access_token: &'a str,
    pub app_secret: &'a str,
    pub verify_token: &'a str,
    pub owner_staff_id: Option<i64>,
    pub department_id: i64,
    pub sync: SyncFilter,
}

/// Connects a number to a department `scope` reaches (and an owner `scope` may see).
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, secrets: &SecretBox, new: NewNumber<'_>) -> Result<Number> {
    check_placement(db, scope, Some(new.department_id), new.owner_staff_id).await?;
    let tx = db.begin().await?;
    let (id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(Numbers::Table)
                .columns([
                    Numbers::CompanyId,
                    Numbers::DepartmentId,
                    Numbers::OwnerStaffId,
                    Numbers::PhoneNumberId,
                    Numbers::WabaId,
                    Numbers::DisplayPhoneNumber,
                    Numbers::VerifiedName,
                    Numbers::AccessTokenSealed,
                    Numbers::AppSecretSealed,
                    Numbers::VerifyToken,
                    Numbers::SyncFilter,
                    Numbers::SyncExcept,
                    Numbers::CreatedAt,
                ])
                .values_panic([
                    scope.company_id().into(),
                    new.department_id.into(),
                    new.owner_staff_id.into(),
                    new.phone_number_id.into(),
                    new.waba_id.into(),
                    new.display_phone_number.into(),
                    new.verified_name.into(),
                    secrets.seal(new.access_token).into(),
                    secrets.seal(new.app_secret).into(),
                    new.verify_token.into(),
                    new.sync.mode().into(),
                    new.sync.except().join("\n").into(),
                    now_ms().into(),
                ])
                .returning_col(Numbers::Id),
        )
        .await?;
    let created = get_in(&tx, None, scope.company_id(), id).await?;
    audit::record_in(&tx, actor.entry("number.connect", "number", Some(id)).after(&created)).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes to a number; `None` leaves a field as it is. Secrets are replaced, never read back.
#[derive(Default)]
pub struct NumberChanges {
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    pub access_token: Option<String>,
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
    pub owner_staff_id: Option<Option<i64>>,
    pub department_id: Option<i64>,
    pub status: Option<NumberStatus>,
    pub sync: Option<SyncFilter>,
}

pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    secrets: &SecretBox,
    id: i64,
    changes: NumberChanges,
) -> Result<Number> {
    check_placement(db, scope, changes.department_id, changes.owner_staff_id.flatten()).await?;
    let tx = db.begin().await?;
    let before = get_in(&tx, Some(scope), scope.company_id(), id).await?;
    let mut q = Query::update();
    q.table(Numbers::Table).and_where(Expr::col(Numbers::Id).eq(id));
    for (column, value) in [
        (Numbers::DisplayPhoneNumber, &changes.display_phone_number),
        (Numbers::VerifiedName, &changes.verified_name),
        (Numbers::VerifyToken, &changes.verify_token),
    ] {
        if let Some(value) = value {
            q.value(column, value.as_str());
        }
    }
    for (column, value) in
        [(Numbers::AccessTokenSealed, &changes.access_token), (Numbers::AppSecretSealed, &changes.app_secret)]
    {
        if let Some(value) = value {
            q.value(column, secrets.seal(value));
        }
    }
    if let Some(owner) = changes.owner_staff_id {
        q.value(Numbers::OwnerStaffId, owner);
    }
    if let Some(dept) = changes.department_id {
        q.value(Numbers::DepartmentId, dept);
    }
    if let Some(status) = changes.status {
        q.value(Numbers::Status, status.as_str());
    }
    if let Some(sync) = &changes.sync {
        q.value(Numbers::SyncFilter, sync.mode()).value(Numbers::SyncExcept, sync.except().join("\n"));
    }
    if !q.get_values().is_empty() {
        tx.run(&q).await?;
    }
    let after = get_in(&tx, None, scope.company_id(), id).await?;
    let action = if changes.status == Some(NumberStatus::Disconnected) { "number.disconnect" } else { "number.update" };
    audit::record_in(&tx, actor.entry(action, "number", Some(id)).before(&before).after(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

/// A new department must be one `scope` reaches; a new owner must be someone `scope` sees.
async fn check_placement(db: &Db, scope: &Scope, department: Option<i64>, owner: Option<i64>) -> Result<()> {
    if let Some(dept) = department {
        crate::departments::get(db, scope, dept).await.map_err(|e| match e {
            StorageError::NotFound => StorageError::Refused(Refusal::DepartmentNotFound),
            e => e,
        })?;
    }
    if let Some(owner) = owner {
        crate::staff::get(db, scope, owner).await.map_err(|e| match e {
            StorageError::NotFound => StorageError::Refused(Refusal::OwnerNotFound),
            e => e,
        })?;
    }
    Ok(())
}

/// What the webhook needs to route and verify a delivery: the number, its company and its
/// sealed app secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Route {
    pub id: i64,
    pub company_id: i64,
    pub department_id: i64,
    pub owner_staff_id: Option<i64>,
    pub phone_number_id: String,
    pub app_secret_sealed: String,
    pub sync_filter: String,
    pub sync_except: String,
}

impl Route {
    pub fn sync(&self) -> SyncFilter {
        sync_filter(&self.sync_filter, &self.sync_except)
    }
}

/// Connected numbers by Meta's phone number ids (across companies: the webhook is one URL).
pub async fn routes(db: &Db, phone_number_ids: &[String]) -> Result<Vec<Route>> {
    if phone_number_ids.is_empty() {
        return Ok(vec![]);
    }
    db.all(
        Query::select()
            .columns([
                Numbers::Id,
                Numbers::CompanyId,
                Numbers::DepartmentId,
                Numbers::OwnerStaffId,
                Numbers::PhoneNumberId,
                Numbers::AppSecretSealed,
                Numbers::SyncFilter,
                Numbers::SyncExcept,
            ])
            .from(Numbers::Table)
            .and_where(Expr::col(Numbers::PhoneNumberId).is_in(phone_number_ids.iter().map(String::as_str)))
            .and_where(Expr::col(Numbers::Status).eq(NumberStatus::Connected.as_str())),
    )
    .await
}

/// Does any connected number use this verify token (Meta's subscription handshake)?
pub async fn verify_token_known(db: &Db, token: &str) -> Result<bool> {
    let found: Option<(i64,)> = db
        .optional(
            Query::select()
                .column(Numbers::Id)
                .from(Numbers::Table)
                .and_where(Expr::col(Numbers::VerifyToken).eq(token))
                .and_where(Expr::col(Numbers::Status).eq(NumberStatus::Connected.as_str()))
                .limit(1),
        )
        .await?;
    Ok(found.is_some())
}

/// (WABA id, company id, sealed app secret) of connected numbers under these WhatsApp Business
/// Accounts (account-level webhooks such as template status updates carry no phone number id).
pub async fn secrets_by_waba(db: &Db, waba_ids: &[String]) -> Result<Vec<(String, i64, String)>> {
    if waba_ids.is_empty() {
        return Ok(vec![]);
    }
    db.all(
        Query::select()
            .columns([Numbers::WabaId, Numbers::CompanyId, Numbers::AppSecretSealed])
            .from(Numbers::Table)
            .and_where(Expr::col(Numbers::WabaId).is_in(waba_ids.iter().map(String::as_str)))
            .and_where(Expr::col(Numbers::Status).eq(NumberStatus::Connected.as_str())),
    )
    .await
}

/// Does `scope` see a number of this WhatsApp Business Account (so may manage its templates)?
pub async fn waba_visible(db: &Db, scope: &Scope, waba_id: &str) -> Result<bool> {
    let found: Option<(i64,)> = db
        .optional(
            Query::select()
                .column((Numbers::Table, Numbers::Id))
                .from(Numbers::Table)
                .cond_where(visible_to(scope))
                .and_where(Expr::col((Numbers::Table, Numbers::WabaId)).eq(waba_id))
                .limit(1),
        )
        .await?;
    Ok(found.is_some())
}
