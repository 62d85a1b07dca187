//! Saved views of the conversation list (INBOX-1): each staff member's named filters.

use crate::db::Exec;
use crate::error::Result;
use crate::schema::SavedViews;
use crate::{Db, now_ms};
use sea_query::{Expr, ExprTrait, Order, Query};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    pub filters_json: String,
}

/// A staff member's views, by name.
pub async fn list(db: &Db, staff_id: i64) -> Result<Vec<SavedView>> {
    db.all(
        Query::select()
            .columns([SavedViews::Id, SavedViews::Name, SavedViews::FiltersJson])
            .from(SavedViews::Table)
            .and_where(Expr::col(SavedViews::StaffId).eq(staff_id))
            .order_by(SavedViews::Name, Order::Asc),
    )
    .await
}

/// Saves a view (a name taken already by this person is a conflict).
pub async fn create(db: &Db, company_id: i64, staff_id: i64, name: &str, filters_json: &str) -> Result<SavedView> {
    let (id,): (i64,) = db
        .one(
            Query::insert()
                .into_table(SavedViews::Table)
                .columns([
                    SavedViews::CompanyId,
                    SavedViews::StaffId,
                    SavedViews::Name,
                    SavedViews::FiltersJson,
                    SavedViews::CreatedAt,
                ])
                .values_panic([company_id.into(), staff_id.into(), name.into(), filters_json.into(), now_ms().into()])
                .returning_col(SavedViews::Id),
        )
        .await?;
    Ok(SavedView { id, name: name.into(), filters_json: filters_json.into() })
}

/// Deletes one of the staff member's views; `NotFound` for anyone else's.
pub async fn delete(db: &Db, staff_id: i64, id: i64) -> Result<()> {
    let gone = db
        .run(
            Query::delete()
                .from_table(SavedViews::Table)
                .and_where(Expr::col(SavedViews::Id).eq(id))
                .and_where(Expr::col(SavedViews::StaffId).eq(staff_id)),
        )
        .await?;
    if gone == 0 { Err(crate::StorageError::NotFound) } else { Ok(()) }
}
