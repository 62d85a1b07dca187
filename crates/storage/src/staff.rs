//! Staff accounts (ORG-2, ORG-3): listed and read only through a [`Scope`], written with an
//! audit entry in the same transaction.

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::departments::subtree_ids;
use crate::error::{Result, StorageError};
use crate::schema::{Departments, Staff, StaffAvatars};
use crate::scope::{Scope, escape_like};
use crate::sessions;
use crate::{Db, Page, now_ms};
use rapport_domain::Refusal;
use rapport_domain::status::StaffStatus;
use rapport_domain::{GrantSet, Role};
use sea_query::{Alias, Cond, Expr, ExprTrait, Func, JoinType, LikeExpr, OnConflict, Order, Query, SelectStatement};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct StaffMember {
    pub id: i64,
    pub company_id: i64,
    pub department_id: i64,
    pub department_name: String,
    pub account: String,
    pub name: String,
    pub nickname: String,
    pub notes: String,
    pub memo: String,
    #[sqlx(try_from = "String")]
    pub status: StaffStatus,
    pub role: Option<String>,
    pub grants: String,
    pub creator_id: Option<i64>,
    pub creator_name: Option<String>,
    pub created_at: i64,
    pub avatar_updated_at: Option<i64>,
    /// The number this person writes to customers first from (DIST-4).
    pub first_number_id: Option<i64>,
}

impl StaffMember {
    pub fn grants(&self) -> GrantSet {
        GrantSet::from_storage(&self.grants)
    }

    pub fn role(&self) -> Option<Role> {
        self.role.as_deref().and_then(Role::parse)
    }

    pub fn is_enabled(&self) -> bool {
        self.status == StaffStatus::Enabled
    }
}

fn select() -> SelectStatement {
    let creator = Alias::new("creator");
    let mut q = Query::select();
    q.columns([
        (Staff::Table, Staff::Id),
        (Staff::Table, Staff::CompanyId),
        (Staff::Table, Staff::DepartmentId),
        (Staff::Table, Staff::Account),
        (Staff::Table, Staff::Name),
        (Staff::Table, Staff::Nickname),
        (Staff::Table, Staff::Notes),
        (Staff::Table, Staff::Memo),
        (Staff::Table, Staff::Status),
        (Staff::Table, Staff::Role),
        (Staff::Table, Staff::Grants),
        (Staff::Table, Staff::CreatorId),
        (Staff::Table, Staff::CreatedAt),
        (Staff::Table, Staff::FirstNumberId),
    ])
    .expr_as(Expr::col((Departments::Table, Departments::Name)), Alias::new("department_name"))
    .expr_as(Expr::col((creator.clone(), Staff::Name)), Alias::new("creator_name"))
    .expr_as(Expr::col((StaffAvatars::Table, StaffAvatars::UpdatedAt)), Alias::new("avatar_updated_at"))
    .from(Staff::Table)
    .inner_join(
        Departments::Table,
        Expr::col((Departments::Table, Departments::Id)).equals((Staff::Table, Staff::DepartmentId)),
    )
    .join_as(
        JoinType::LeftJoin,
        Staff::Table,
        creator.clone(),
        Expr::col((creator, Staff::Id)).equals((Staff::Table, Staff::CreatorId)),
    )
    .left_join(
        StaffAvatars::Table,
        Expr::col((StaffAvatars::Table, StaffAvatars::StaffId)).equals((Staff::Table, Staff::Id)),
    );
    q
}

/// The visibility rule in SQL: same company, and the viewer themself or a department their
/// staff reach covers.
fn visible_to(scope: &Scope) -> Cond {
    Cond::all().add(Expr::col((Staff::Table, Staff::CompanyId)).eq(scope.company_id())).add(
        Cond::any()
            .add(Expr::col((Staff::Table, Staff::Id)).eq(scope.viewer.staff_id))
            .add(scope.covers(scope.viewer.staff_reach(), (Staff::Table, Staff::DepartmentId))),
    )
}

/// Search conditions of the staff list.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    /// Part of the account or the name, any case.
    pub q: Option<String>,
    pub department_id: Option<i64>,
    pub include_subdepartments: bool,
    pub status: Option<StaffStatus>,
}

/// The staff `scope` may see that match `filter`, by id, after `cursor`.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &StaffFilter,
    cursor: Option<i64>,
    limit: u64,
) -> Result<Page<StaffMember>> {
    let mut q = select();
    q.cond_where(visible_to(scope)).order_by((Staff::Table, Staff::Id), Order::Asc).limit(limit + 1);
    if let Some(cursor) = cursor {
        q.and_where(Expr::col((Staff::Table, Staff::Id)).gt(cursor));
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        q.cond_where(
            Cond::any()
                .add(
                    Func::lower(Expr::col((Staff::Table, Staff::Account)))
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(Func::lower(Expr::col((Staff::Table, Staff::Name))).like(LikeExpr::new(pattern).escape('\\'))),
        );
    }
    if let Some(dept) = filter.department_id {
        if filter.include_subdepartments {
            let path: Option<(String,)> = db
                .optional(
                    Query::select()
                        .column(Departments::Path)
                        .from(Departments::Table)
                        .and_where(Expr::col(Departments::CompanyId).eq(scope.company_id()))
                        .and_where(Expr::col(Departments::Id).eq(dept)),
                )
                .await?;
            let Some((path,)) = path else { return Ok(Page { items: vec![], next_cursor: None }) };
            q.and_where(Expr::col((Staff::Table, Staff::DepartmentId)).in_subquery(subtree_ids(
                scope.company_id(),
                &path,
                true,
            )));
        } else {
            q.and_where(Expr::col((Staff::Table, Staff::DepartmentId)).eq(dept));
        }
    }
    if let Some(status) = filter.status {
        q.and_where(Expr::col((Staff::Table, Staff::Status)).eq(status.as_str()));
    }
    Ok(Page::from_rows(db.all(&q).await?, limit, |s: &StaffMember| s.id))
}

/// One staff member `scope` may see, else [`StorageError::NotFound`].
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<StaffMember> {
    get_in(db, Some(scope), scope.company_id(), id).await
}

/// One staff member of a company regardless of any viewer (the signed-in person themself).
pub async fn get_unscoped(db: &Db, company_id: i64, id: i64) -> Result<StaffMember> {
    get_in(db, None, company_id, id).await
}

async fn get_in(ex: &impl Exec, scope: Option<&Scope>, company_id: i64, id: i64) -> Result<StaffMember> {
    let mut q = select();
    q.and_where(Expr::col((Staff::Table, Staff::CompanyId)).eq(company_id))
        .and_where(Expr::col((Staff::Table, Staff::Id)).eq(id));
    if let Some(scope) = scope {
        q.cond_where(visible_to(scope));
    }
    ex.one(&q).await
}

/// A new staff account's fields, already validated and hashed.
pub struct NewStaff<'a> {
    pub department_id: i64,
    pub account: &'a str,
    pub name: &'a str,
    pub nickname: &'a str,
    pub notes: &'a str,
    pub password_hash: &'a str,
}

/// Creates a staff account in a department `scope` reaches. The account receives its
/// department's default grants (ORG-3).
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, new: NewStaff<'_>) -> Result<StaffMember> {
    let department = crate::departments::get(db, scope, new.department_id).await.map_err(|e| match e {
        StorageError::NotFound => StorageError::Refused(Refusal::DepartmentNotFound),
        e => e,
    })?;
    let tx = db.begin().await?;
    let id = insert(&tx, scope.company_id(), &new, department.default_grants(), actor.staff_id).await?;
    let created = get_in(&tx, None, scope.company_id(), id).await?;
    audit::record_in(&tx, actor.entry("staff.create", "staff", Some(id)).after(&created)).await?;
    tx.commit().await?;
    Ok(created)
}

/// Inserts a staff row; answers its id. Shared by [`create`] and company creation.
pub(crate) async fn insert(
    ex: &impl Exec,
    company_id: i64,
    new: &NewStaff<'_>,
    grants: GrantSet,
    creator_id: Option<i64>,
) -> Result<i64> {
    let (id,): (i64,) = ex
        .one(
            Query::insert()
                .into_table(Staff::Table)
                .columns([
                    Staff::CompanyId,
                    Staff::DepartmentId,
                    Staff::Account,
                    Staff::Name,
                    Staff::Nickname,
                    Staff::Notes,
                    Staff::PasswordHash,
                    Staff::Grants,
                    Staff::CreatorId,
                    Staff::CreatedAt,
                ])
                .values_panic([
                    company_id.into(),
                    new.department_id.into(),
                    new.account.into(),
                    new.name.into(),
                    new.nickname.into(),
                    new.notes.into(),
                    new.password_hash.into(),
                    grants.to_storage().into(),
                    creator_id.into(),
                    now_ms().into(),
                ])
                .returning_col(Staff::Id),
        )
        .await?;
    Ok(id)
}

/// Changes to a staff account; `None` leaves a field as it is. The account never changes.
#[derive(Debug, Default)]
pub struct StaffChanges {
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub notes: Option<String>,
    pub memo: Option<String>,
    pub department_id: Option<i64>,
    pub status: Option<StaffStatus>,
    /// `Some(None)` clears the role.
    pub role: Option<Option<Role>>,
    pub grants: Option<GrantSet>,
    pub password_hash: Option<String>,
}

/// Applies `changes` to a staff member `scope` sees (a new department must be one `scope`
/// reaches). Disabling or a new password ends the member's sessions, except `keep_session`.
pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    changes: StaffChanges,
    keep_session: Option<&str>,
) -> Result<StaffMember> {
    if let Some(dept) = changes.department_id {
        crate::departments::get(db, scope, dept).await.map_err(|e| match e {
            StorageError::NotFound => StorageError::Refused(Refusal::DepartmentNotFound),
            e => e,
        })?;
    }
    let tx = db.begin().await?;
    let before = get_in(&tx, Some(scope), scope.company_id(), id).await?;
    let mut q = Query::update();
    q.table(Staff::Table).and_where(Expr::col(Staff::Id).eq(id));
    let text_fields = [
        (Staff::Name, &changes.name),
        (Staff::Nickname, &changes.nickname),
        (Staff::Notes, &changes.notes),
        (Staff::Memo, &changes.memo),
    ];
    for (column, value) in text_fields {
        if let Some(value) = value {
            q.value(column, value.as_str());
        }
    }
    if let Some(dept) = changes.department_id {
        q.value(Staff::DepartmentId, dept);
    }
    if let Some(status) = changes.status {
        q.value(Staff::Status, status.as_str());
    }
    if let Some(role) = changes.role {
        q.value(Staff::Role, role.map(|r| r.name()));
    }
    if let Some(grants) = changes.grants {
        q.value(Staff::Grants, grants.to_storage());
    }
    if let Some(hash) = &changes.password_hash {
        q.value(Staff::PasswordHash, hash.as_str());
    }
    if !q.get_values().is_empty() {
        tx.run(&q).await?;
    }
    if changes.status == Some(StaffStatus::Disabled) || changes.password_hash.is_some() {
        sessions::end_all_for(&tx, id, keep_session).await?;
    }
    let after = get_in(&tx, None, scope.company_id(), id).await?;
    let action = match (&changes.password_hash, &changes.grants, &changes.status) {
        (Some(_), _, _) => "staff.password",
        (_, Some(_), _) => "staff.grants",
        (_, _, Some(_)) => "staff.status",
        _ => "staff.update",
    };
    audit::record_in(&tx, actor.entry(action, "staff", Some(id)).before(&before).after(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

/// What login needs to know about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub company_id: i64,
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub status: StaffStatus,
}

pub async fn credentials_by_account(db: &Db, account: &str) -> Result<Option<Credentials>> {
    db.optional(
        Query::select()
            .columns([Staff::Id, Staff::CompanyId, Staff::PasswordHash, Staff::Status])
            .from(Staff::Table)
            .and_where(Expr::col(Staff::Account).eq(account)),
    )
    .await
}

pub async fn credentials_by_id(db: &Db, company_id: i64, id: i64) -> Result<Credentials> {
    db.one(
        Query::select()
            .columns([Staff::Id, Staff::CompanyId, Staff::PasswordHash, Staff::Status])
            .from(Staff::Table)
            .and_where(Expr::col(Staff::CompanyId).eq(company_id))
            .and_where(Expr::col(Staff::Id).eq(id)),
    )
    .await
}

/// Finds an account anywhere in the installation (for the operator's `admin` commands).
pub async fn id_by_account(db: &Db, account: &str) -> Result<Option<(i64, i64)>> {
    db.optional(
        Query::select()
            .columns([Staff::Id, Staff::CompanyId])
            .from(Staff::Table)
            .and_where(Expr::col(Staff::Account).eq(account)),
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Avatar {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub updated_at: i64,
}

/// The avatar of a staff member `scope` may see.
pub async fn avatar(db: &Db, scope: &Scope, id: i64) -> Result<Avatar> {
    get(db, scope, id).await?;
    db.one(
        Query::select()
            .columns([StaffAvatars::ContentType, StaffAvatars::Bytes, StaffAvatars::UpdatedAt])
            .from(StaffAvatars::Table)
            .and_where(Expr::col(StaffAvatars::StaffId).eq(id)),
    )
    .await
}

/// Replaces the signed-in member's own avatar.
pub async fn set_own_avatar(db: &Db, actor: &Actor, staff_id: i64, content_type: &str, bytes: Vec<u8>) -> Result<()> {
    let tx = db.begin().await?;
    let size = bytes.len();
    tx.run(
        Query::insert()
            .into_table(StaffAvatars::Table)
            .columns([StaffAvatars::StaffId, StaffAvatars::ContentType, StaffAvatars::Bytes, StaffAvatars::UpdatedAt])
            .values_panic([staff_id.into(), content_type.into(), bytes.into(), now_ms().into()])
            .on_conflict(
                OnConflict::column(StaffAvatars::StaffId)
                    .update_columns([StaffAvatars::ContentType, StaffAvatars::Bytes, StaffAvatars::UpdatedAt])
                    .to_owned(),
            ),
    )
    .await?;
    audit::record_in(
        &tx,
        actor
            .entry("staff.avatar", "staff", Some(staff_id))
            .after(&serde_json::json!({"content_type": content_type, "bytes": size})),
    )
    .await?;
    tx.commit().await
}

/// The enabled managers of a company, each as the scope they see chats with (DIST-3).
pub async fn managers(db: &Db, company_id: i64) -> Result<Vec<Scope>> {
    let rows: Vec<(i64, i64, String, String)> = db
        .all(
            Query::select()
                .columns([
                    (Staff::Table, Staff::Id),
                    (Staff::Table, Staff::DepartmentId),
                    (Staff::Table, Staff::Grants),
                ])
                .column((Departments::Table, Departments::Path))
                .from(Staff::Table)
                .inner_join(
                    Departments::Table,
                    Expr::col((Departments::Table, Departments::Id)).equals((Staff::Table, Staff::DepartmentId)),
                )
                .and_where(Expr::col((Staff::Table, Staff::CompanyId)).eq(company_id))
                .and_where(Expr::col((Staff::Table, Staff::Role)).eq(Role::Manager.name()))
                .and_where(Expr::col((Staff::Table, Staff::Status)).eq(StaffStatus::Enabled.as_str())),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(staff_id, department_id, grants, department_path)| Scope {
            viewer: rapport_domain::Viewer {
                staff_id,
                company_id,
                department_id,
                grants: GrantSet::from_storage(&grants),
            },
            department_path,
            role: Some(Role::Manager),
        })
        .collect())
}
