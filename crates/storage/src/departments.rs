//! Departments (ORG-1): a tree per company with one undeletable root.

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::{Result, StorageError};
use crate::schema::Departments;
use crate::scope::{Scope, strictly_below};
use crate::{Db, now_ms};
use rapport_domain::Refusal;
use rapport_domain::tree::{DeptTree, child_path};
use rapport_domain::{GrantSet, Reach};
use sea_query::{Alias, BinOper, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use serde::Serialize;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Department {
    pub id: i64,
    pub company_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub introduction: String,
    pub path: String,
    pub default_grants: String,
    pub created_at: i64,
    pub staff_count: i64,
    pub child_count: i64,
}

impl Department {
    pub fn default_grants(&self) -> GrantSet {
        GrantSet::from_storage(&self.default_grants)
    }

    pub fn is_root(&self) -> bool {
        self.parent_id.is_none()
    }

    /// Depth below the root (the root is 0), read from the path.
    pub fn depth(&self) -> usize {
        self.path.matches('/').count().saturating_sub(2)
    }
}

fn select() -> SelectStatement {
    let mut q = Query::select();
    q.columns([
        (Departments::Table, Departments::Id),
        (Departments::Table, Departments::CompanyId),
        (Departments::Table, Departments::ParentId),
        (Departments::Table, Departments::Name),
        (Departments::Table, Departments::Introduction),
        (Departments::Table, Departments::Path),
        (Departments::Table, Departments::DefaultGrants),
        (Departments::Table, Departments::CreatedAt),
    ])
    .expr_as(
        Expr::cust("(SELECT COUNT(*) FROM staff WHERE staff.department_id = departments.id)"),
        Alias::new("staff_count"),
    )
    .expr_as(
        Expr::cust("(SELECT COUNT(*) FROM departments AS child WHERE child.parent_id = departments.id)"),
        Alias::new("child_count"),
    )
    .from(Departments::Table);
    q
}

/// The departments `scope` reaches, in tree order (a parent before its children).
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<Department>> {
    let mut q = select();
    q.and_where(Expr::col((Departments::Table, Departments::CompanyId)).eq(scope.company_id()))
        .cond_where(scope.covers(scope.viewer.department_reach(), (Departments::Table, Departments::Id)))
        .order_by((Departments::Table, Departments::Path), Order::Asc);
    db.all(&q).await
}

/// One department if `scope` reaches it, else [`StorageError::NotFound`].
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Department> {
    get_in(db, scope.company_id(), id, Some(scope.viewer.department_reach()), scope).await
}

async fn get_in(ex: &impl Exec, company_id: i64, id: i64, reach: Option<Reach>, scope: &Scope) -> Result<Department> {
    let mut q = select();
    q.and_where(Expr::col((Departments::Table, Departments::CompanyId)).eq(company_id))
        .and_where(Expr::col((Departments::Table, Departments::Id)).eq(id));
    if let Some(reach) = reach {
        q.cond_where(scope.covers(reach, (Departments::Table, Departments::Id)));
    }
    ex.one(&q).await
}

/// A department by id within a company, regardless of any viewer (for internal use such as
/// the signed-in staff member's own department).
pub async fn get_unscoped(db: &Db, company_id: i64, id: i64) -> Result<Department> {
    let mut q = select();
    q.and_where(Expr::col((Departments::Table, Departments::CompanyId)).eq(company_id))
        .and_where(Expr::col((Departments::Table, Departments::Id)).eq(id));
    db.one(&q).await
}

/// The whole tree of a company, for the pure rules in [`rapport_domain::tree`].
pub async fn tree(db: &Db, company_id: i64) -> Result<DeptTree> {
    let links: Vec<(i64, Option<i64>)> = db
        .all(
            Query::select()
                .columns([Departments::Id, Departments::ParentId])
                .from(Departments::Table)
                .and_where(Expr::col(Departments::CompanyId).eq(company_id)),
        )
        .await?;
    Ok(DeptTree::new(links))
}

/// A new department's fields, already validated.
pub struct NewDepartment<'a> {
    pub parent_id: i64,
    pub name: &'a str,
    pub introduction: &'a str,
}

/// Creates a department under a parent that `scope` reaches; it starts with the parent's
/// default grants so new staff there are not left without any.
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, new: NewDepartment<'_>) -> Result<Department> {
    let tx = db.begin().await?;
    let parent = get_in(&tx, scope.company_id(), new.parent_id, Some(scope.viewer.department_reach()), scope)
        .await
        .map_err(|e| match e {
            StorageError::NotFound => StorageError::Refused(Refusal::ParentNotFound),
            e => e,
        })?;
    let (id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(Departments::Table)
                .columns([
                    Departments::CompanyId,
                    Departments::ParentId,
                    Departments::Name,
                    Departments::Introduction,
                    Departments::DefaultGrants,
                    Departments::CreatedAt,
                ])
                .values_panic([
                    scope.company_id().into(),
                    parent.id.into(),
                    new.name.into(),
                    new.introduction.into(),
                    parent.default_grants.clone().into(),
                    now_ms().into(),
                ])
                .returning_col(Departments::Id),
        )
        .await?;
    tx.run(
        Query::update()
            .table(Departments::Table)
            .value(Departments::Path, child_path(&parent.path, id))
            .and_where(Expr::col(Departments::Id).eq(id)),
    )
    .await?;
    let created = get_in(&tx, scope.company_id(), id, None, scope).await?;
    audit::record_in(&tx, actor.entry("department.create", "department", Some(id)).after(&created)).await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes to a department; `None` leaves a field as it is.
#[derive(Default)]
pub struct DepartmentChanges {
    pub name: Option<String>,
    pub introduction: Option<String>,
    pub parent_id: Option<i64>,
}

/// Edits a department `scope` reaches. A move needs a new parent `scope` reaches too and is
/// refused into the department's own subtree (checked again here, inside the transaction).
pub async fn update(db: &Db, scope: &Scope, actor: &Actor, id: i64, changes: DepartmentChanges) -> Result<Department> {
    let reach = Some(scope.viewer.department_reach());
    let tx = db.begin().await?;
    let before = get_in(&tx, scope.company_id(), id, reach, scope).await?;
    let mut q = Query::update();
    q.table(Departments::Table).and_where(Expr::col(Departments::Id).eq(id));
    if let Some(name) = &changes.name {
        q.value(Departments::Name, name.as_str());
    }
    if let Some(intro) = &changes.introduction {
        q.value(Departments::Introduction, intro.as_str());
    }
    if let Some(parent_id) = changes.parent_id.filter(|p| Some(*p) != before.parent_id) {
        let parent = match get_in(&tx, scope.company_id(), parent_id, reach, scope).await {
            Ok(parent) => Some(parent),
            Err(StorageError::NotFound) => None,
            Err(e) => return Err(e),
        };
        let parent_path = parent.as_ref().map(|p| p.path.as_str());
        rapport_domain::tree::check_move(&before.path, parent_path).map_err(|r| StorageError::Refused(r.into()))?;
        let Some(parent) = parent else { return Err(StorageError::Refused(Refusal::ParentNotFound)) };
        q.value(Departments::ParentId, parent_id);
        let new_path = child_path(&parent.path, id);
        // Re-root the whole subtree's paths: '/1/2/5/9/' -> '/1/3/5/9/'.
        tx.run(
            Query::update()
                .table(Departments::Table)
                .value(
                    Departments::Path,
                    Expr::val(new_path).binary(
                        BinOper::Custom("||"),
                        Func::cust("SUBSTR").arg(Expr::col(Departments::Path)).arg(before.path.len() as i32 + 1),
                    ),
                )
                .and_where(Expr::col(Departments::CompanyId).eq(scope.company_id()))
                .and_where(Expr::col(Departments::Path).like(format!("{}%", before.path))),
        )
        .await?;
    }
    if !q.get_values().is_empty() {
        tx.run(&q).await?;
    }
    let after = get_in(&tx, scope.company_id(), id, None, scope).await?;
    audit::record_in(&tx, actor.entry("department.update", "department", Some(id)).before(&before).after(&after))
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Deletes a department `scope` reaches, refused for the root and while it has
/// sub-departments or staff.
pub async fn delete(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<()> {
    let tx = db.begin().await?;
    let dept = get_in(&tx, scope.company_id(), id, Some(scope.viewer.department_reach()), scope).await?;
    if dept.is_root() {
        return Err(StorageError::Refused(Refusal::RootCannotBeDeleted));
    }
    if dept.child_count > 0 {
        return Err(StorageError::Refused(Refusal::DepartmentHasSubdepartments));
    }
    if dept.staff_count > 0 {
        return Err(StorageError::Refused(Refusal::DepartmentHasStaff));
    }
    for (table, refusal) in [("numbers", Refusal::DepartmentHasNumbers), ("contacts", Refusal::DepartmentHasContacts)] {
        let (n,): (i64,) = tx
            .one(
                Query::select()
                    .expr(Expr::cust("COUNT(*)"))
                    .from(sea_query::Alias::new(table))
                    .and_where(Expr::col(sea_query::Alias::new("department_id")).eq(id)),
            )
            .await?;
        if n > 0 {
            return Err(StorageError::Refused(refusal));
        }
    }
    tx.run(Query::delete().from_table(Departments::Table).and_where(Expr::col(Departments::Id).eq(id))).await?;
    audit::record_in(&tx, actor.entry("department.delete", "department", Some(id)).before(&dept)).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the grants new staff of a department receive (PERM-4).
pub async fn set_default_grants(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    grants: GrantSet,
) -> Result<Department> {
    let tx = db.begin().await?;
    let before = get_in(&tx, scope.company_id(), id, Some(scope.viewer.department_reach()), scope).await?;
    tx.run(
        Query::update()
            .table(Departments::Table)
            .value(Departments::DefaultGrants, grants.to_storage())
            .and_where(Expr::col(Departments::Id).eq(id)),
    )
    .await?;
    let after = get_in(&tx, scope.company_id(), id, None, scope).await?;
    audit::record_in(
        &tx,
        actor.entry("department.default_grants", "department", Some(id)).before(&before).after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Ids of a department and every department below it (for "include sub-departments").
pub(crate) fn subtree_ids(company_id: i64, path: &str, include_self: bool) -> SelectStatement {
    let mut q = Query::select();
    q.column(Departments::Id).from(Departments::Table).and_where(Expr::col(Departments::CompanyId).eq(company_id));
    if include_self {
        q.and_where(Expr::col((Departments::Table, Departments::Path)).like(format!("{path}%")));
    } else {
        q.and_where(strictly_below(path));
    }
    q
}

/// The company's top-level department.
pub async fn root(db: &Db, company_id: i64) -> Result<Department> {
    let mut q = select();
    q.and_where(Expr::col((Departments::Table, Departments::CompanyId)).eq(company_id))
        .and_where(Expr::col((Departments::Table, Departments::ParentId)).is_null());
    db.one(&q).await
}
