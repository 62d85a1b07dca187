//! Notes / tickets on a customer's card (CONT-6, seed 004's "phiếu ghi"): a title, a body, who
//! wrote it and when. Anyone who sees the contact reads and adds them; only the author edits
//! or deletes their own.

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::{Result, StorageError};
use crate::schema::{ContactNotes, Staff};
use crate::scope::Scope;
use crate::{Db, now_ms};
use rapport_domain::Refusal;
use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use serde_json::json;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ContactNote {
    pub id: i64,
    pub contact_id: i64,
    pub author_staff_id: Option<i64>,
    pub author_name: Option<String>,
    pub title: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

fn select() -> SelectStatement {
    Query::select()
        .columns([
            (ContactNotes::Table, ContactNotes::Id),
            (ContactNotes::Table, ContactNotes::ContactId),
            (ContactNotes::Table, ContactNotes::AuthorStaffId),
        ])
        .expr_as(Expr::col((Staff::Table, Staff::Name)), Alias::new("author_name"))
        .columns([
            (ContactNotes::Table, ContactNotes::Title),
            (ContactNotes::Table, ContactNotes::Body),
            (ContactNotes::Table, ContactNotes::CreatedAt),
            (ContactNotes::Table, ContactNotes::UpdatedAt),
        ])
        .from(ContactNotes::Table)
        .join(
            JoinType::LeftJoin,
            Staff::Table,
            Expr::col((Staff::Table, Staff::Id)).equals((ContactNotes::Table, ContactNotes::AuthorStaffId)),
        )
        .to_owned()
}

/// The notes of a contact the caller sees (checked by fetching it first), newest first.
pub async fn list(db: &Db, scope: &Scope, contact_id: i64) -> Result<Vec<ContactNote>> {
    crate::contacts::get(db, scope, contact_id).await?;
    let mut q = select();
    q.and_where(Expr::col((ContactNotes::Table, ContactNotes::ContactId)).eq(contact_id))
        .order_by((ContactNotes::Table, ContactNotes::CreatedAt), Order::Desc)
        .order_by((ContactNotes::Table, ContactNotes::Id), Order::Desc);
    db.all(&q).await
}

async fn get(db: &Db, scope: &Scope, contact_id: i64, id: i64) -> Result<ContactNote> {
    crate::contacts::get(db, scope, contact_id).await?;
    let mut q = select();
    q.and_where(Expr::col((ContactNotes::Table, ContactNotes::ContactId)).eq(contact_id))
        .and_where(Expr::col((ContactNotes::Table, ContactNotes::Id)).eq(id));
    db.one(&q).await
}

pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    contact_id: i64,
    title: &str,
    body: &str,
) -> Result<ContactNote> {
    crate::contacts::get(db, scope, contact_id).await?;
    let now = now_ms();
    let tx = db.begin().await?;
    let (id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(ContactNotes::Table)
                .columns([
                    ContactNotes::CompanyId,
                    ContactNotes::ContactId,
                    ContactNotes::AuthorStaffId,
                    ContactNotes::Title,
                    ContactNotes::Body,
                    ContactNotes::CreatedAt,
                    ContactNotes::UpdatedAt,
                ])
                .values_panic([
                    scope.company_id().into(),
                    contact_id.into(),
                    actor.staff_id.into(),
                    title.into(),
                    body.into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(ContactNotes::Id),
        )
        .await?;
    let entry =
        actor.entry("contact_note.create", "contact", Some(contact_id)).after(&json!({"note_id": id, "title": title}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    get(db, scope, contact_id, id).await
}

/// The author's own note, or a refusal for anyone else's.
async fn own(db: &Db, scope: &Scope, contact_id: i64, id: i64) -> Result<ContactNote> {
    let note = get(db, scope, contact_id, id).await?;
    if note.author_staff_id != Some(scope.viewer.staff_id) {
        return Err(StorageError::Refused(Refusal::NoteNotYours));
    }
    Ok(note)
}

pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    contact_id: i64,
    id: i64,
    title: &str,
    body: &str,
) -> Result<ContactNote> {
    let before = own(db, scope, contact_id, id).await?;
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(ContactNotes::Table)
            .value(ContactNotes::Title, title)
            .value(ContactNotes::Body, body)
            .value(ContactNotes::UpdatedAt, now_ms())
            .and_where(Expr::col(ContactNotes::Id).eq(id)),
    )
    .await?;
    let entry = actor
        .entry("contact_note.update", "contact", Some(contact_id))
        .before(&json!({"note_id": id, "title": before.title, "body": before.body}))
        .after(&json!({"note_id": id, "title": title, "body": body}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    get(db, scope, contact_id, id).await
}

pub async fn delete(db: &Db, scope: &Scope, actor: &Actor, contact_id: i64, id: i64) -> Result<()> {
    let before = own(db, scope, contact_id, id).await?;
    let tx = db.begin().await?;
    tx.run(Query::delete().from_table(ContactNotes::Table).and_where(Expr::col(ContactNotes::Id).eq(id))).await?;
    let entry = actor
        .entry("contact_note.delete", "contact", Some(contact_id))
        .before(&json!({"note_id": id, "title": before.title, "body": before.body}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    Ok(())
}
