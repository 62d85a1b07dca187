//! Which columns a staff member shows in a list, in which order, and how many rows per page
//! (CONT-2: remembered per user).

use crate::Db;
use crate::db::Exec;
use crate::error::Result;
use crate::schema::ListColumns;
use sea_query::{Expr, ExprTrait, OnConflict, Query};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub columns: Vec<String>,
    pub page_size: i64,
}

/// The staff member's choice for `list`, if they made one.
pub async fn get(db: &Db, staff_id: i64, list: &str) -> Result<Option<Columns>> {
    let row: Option<(String, i64)> = db
        .optional(
            Query::select()
                .columns([ListColumns::Columns, ListColumns::PageSize])
                .from(ListColumns::Table)
                .and_where(Expr::col(ListColumns::StaffId).eq(staff_id))
                .and_where(Expr::col(ListColumns::List).eq(list)),
        )
        .await?;
    Ok(row
        .map(|(columns, page_size)| Columns { columns: serde_json::from_str(&columns).unwrap_or_default(), page_size }))
}

/// Remembers the choice (checked by the caller against the list's columns).
pub async fn set(db: &Db, staff_id: i64, list: &str, choice: &Columns) -> Result<()> {
    db.run(
        Query::insert()
            .into_table(ListColumns::Table)
            .columns([ListColumns::StaffId, ListColumns::List, ListColumns::Columns, ListColumns::PageSize])
            .values_panic([
                staff_id.into(),
                list.into(),
                serde_json::to_string(&choice.columns).unwrap_or_default().into(),
                choice.page_size.into(),
            ])
            .on_conflict(
                OnConflict::columns([ListColumns::StaffId, ListColumns::List])
                    .update_columns([ListColumns::Columns, ListColumns::PageSize])
                    .to_owned(),
            ),
    )
    .await?;
    Ok(())
}
