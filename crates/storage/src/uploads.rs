//! Files staff upload to send: the file sits in the media store; this is its record.

use crate::db::Exec;
use crate::error::Result;
use crate::schema::Uploads;
use crate::{Db, now_ms};
use sea_query::{Expr, ExprTrait, Query};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Upload {
    pub id: i64,
    pub filename: String,
    pub mime_type: String,
    pub size: i64,
    /// Relative to the media directory.
    pub path: String,
}

pub async fn create(
    db: &Db,
    company_id: i64,
    staff_id: i64,
    filename: &str,
    mime_type: &str,
    size: i64,
    path: &str,
) -> Result<Upload> {
    let (id,): (i64,) = db
        .one(
            Query::insert()
                .into_table(Uploads::Table)
                .columns([
                    Uploads::CompanyId,
                    Uploads::StaffId,
                    Uploads::Filename,
                    Uploads::MimeType,
                    Uploads::Size,
                    Uploads::Path,
                    Uploads::CreatedAt,
                ])
                .values_panic([
                    company_id.into(),
                    staff_id.into(),
                    filename.into(),
                    mime_type.into(),
                    size.into(),
                    path.into(),
                    now_ms().into(),
                ])
                .returning_col(Uploads::Id),
        )
        .await?;
    get(db, company_id, Some(staff_id), id).await
}

/// An upload made by this staff member (never anyone else's, never another company's).
/// An upload of the company; with `staff_id`, only one that person uploaded (an agent sends
/// their own files; an auto reply rule sends the file its author chose, whoever looks).
pub async fn get(db: &Db, company_id: i64, staff_id: Option<i64>, id: i64) -> Result<Upload> {
    let mut q = Query::select();
    q.columns([Uploads::Id, Uploads::Filename, Uploads::MimeType, Uploads::Size, Uploads::Path])
        .from(Uploads::Table)
        .and_where(Expr::col(Uploads::CompanyId).eq(company_id))
        .and_where(Expr::col(Uploads::Id).eq(id));
    if let Some(staff_id) = staff_id {
        q.and_where(Expr::col(Uploads::StaffId).eq(staff_id));
    }
    db.one(&q).await
}
