//! Server-side sessions. The cookie carries a random token; only its hash is stored, so a
//! leaked database does not hand out live sessions.

use crate::db::Exec;
use crate::error::Result;
use crate::schema::{Departments, Sessions, Staff};
use crate::{Db, now_ms};
use rapport_domain::status::StaffStatus;
use rapport_domain::{GrantSet, Role, Viewer};
use sea_query::{Expr, ExprTrait, Query};

pub async fn create(db: &Db, token_hash: &str, staff_id: i64, csrf_token: &str, expires_at: i64) -> Result<()> {
    db.run(
        Query::insert()
            .into_table(Sessions::Table)
            .columns([
                Sessions::TokenHash,
                Sessions::StaffId,
                Sessions::CsrfToken,
                Sessions::CreatedAt,
                Sessions::ExpiresAt,
            ])
            .values_panic([token_hash.into(), staff_id.into(), csrf_token.into(), now_ms().into(), expires_at.into()]),
    )
    .await?;
    Ok(())
}

/// A live session with the staff member behind it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub staff_id: i64,
    pub company_id: i64,
    pub department_id: i64,
    pub department_path: String,
    pub grants: String,
    pub role: Option<String>,
    pub account: String,
    pub name: String,
    pub csrf_token: String,
}

impl SessionRow {
    pub fn scope(&self) -> crate::Scope {
        crate::Scope {
            viewer: Viewer {
                staff_id: self.staff_id,
                company_id: self.company_id,
                department_id: self.department_id,
                grants: GrantSet::from_storage(&self.grants),
            },
            department_path: self.department_path.clone(),
            role: self.role(),
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.role.as_deref().and_then(Role::parse)
    }
}

/// The session for a token hash, if it is unexpired and its staff member is enabled.
pub async fn lookup(db: &Db, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
    db.optional(
        Query::select()
            .column((Sessions::Table, Sessions::StaffId))
            .columns([
                (Staff::Table, Staff::CompanyId),
                (Staff::Table, Staff::DepartmentId),
                (Staff::Table, Staff::Grants),
                (Staff::Table, Staff::Role),
                (Staff::Table, Staff::Account),
                (Staff::Table, Staff::Name),
            ])
            .expr_as(Expr::col((Departments::Table, Departments::Path)), sea_query::Alias::new("department_path"))
            .column((Sessions::Table, Sessions::CsrfToken))
            .from(Sessions::Table)
            .inner_join(Staff::Table, Expr::col((Staff::Table, Staff::Id)).equals((Sessions::Table, Sessions::StaffId)))
            .inner_join(
                Departments::Table,
                Expr::col((Departments::Table, Departments::Id)).equals((Staff::Table, Staff::DepartmentId)),
            )
            .and_where(Expr::col((Sessions::Table, Sessions::TokenHash)).eq(token_hash))
            .and_where(Expr::col((Sessions::Table, Sessions::ExpiresAt)).gt(now))
            .and_where(Expr::col((Staff::Table, Staff::Status)).eq(StaffStatus::Enabled.as_str())),
    )
    .await
}

pub async fn delete(db: &Db, token_hash: &str) -> Result<()> {
    db.run(Query::delete().from_table(Sessions::Table).and_where(Expr::col(Sessions::TokenHash).eq(token_hash)))
        .await?;
    Ok(())
}

/// Ends every session of a staff member except, optionally, the one making the change.
pub(crate) async fn end_all_for(ex: &impl Exec, staff_id: i64, except_token_hash: Option<&str>) -> Result<()> {
    let mut q = Query::delete();
    q.from_table(Sessions::Table).and_where(Expr::col(Sessions::StaffId).eq(staff_id));
    if let Some(keep) = except_token_hash {
        q.and_where(Expr::col(Sessions::TokenHash).ne(keep));
    }
    ex.run(&q).await?;
    Ok(())
}

/// Deletes the sessions that have expired by `now` (ms); answers how many.
pub async fn purge_expired(db: &Db, now: i64) -> Result<u64> {
    db.run(Query::delete().from_table(Sessions::Table).and_where(Expr::col(Sessions::ExpiresAt).lte(now))).await
}
