//! In-app notifications (NOTIF-1): one per staff member and conversation, counting the new
//! messages since it was last read; dismissed, or hidden until a reminder time. Reminders are
//! claimed from this table by one conditional update, so they fire once whichever instance
//! (or restart) gets there first.

use crate::Db;
use crate::Scope;
use crate::db::Exec;
use crate::error::Result;
use crate::schema::{Contacts, Conversations, Notifications, Numbers};
use sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub conversation_id: i64,
    pub kind: String,
    pub count: i64,
    pub updated_at: i64,
    pub chat_name: Option<String>,
    pub group_id: Option<String>,
    pub preview: String,
}

/// Tells each of `staff_ids` about the conversation: a new notification, or one more on the
/// existing one (read or not, it becomes unread again).
pub async fn notify(
    db: &Db,
    company_id: i64,
    conversation_id: i64,
    staff_ids: &[i64],
    kind: &str,
    now: i64,
) -> Result<()> {
    for staff_id in staff_ids {
        db.run(
            Query::insert()
                .into_table(Notifications::Table)
                .columns([
                    Notifications::CompanyId,
                    Notifications::StaffId,
                    Notifications::ConversationId,
                    Notifications::Kind,
                    Notifications::UpdatedAt,
                ])
                .values_panic([company_id.into(), (*staff_id).into(), conversation_id.into(), kind.into(), now.into()])
                .on_conflict(
                    OnConflict::columns([Notifications::StaffId, Notifications::ConversationId])
                        .value(
                            Notifications::Count,
                            Expr::cust("CASE WHEN notifications.unread THEN notifications.count + 1 ELSE 1 END"),
                        )
                        .value(Notifications::Unread, true)
                        .value(Notifications::RemindAt, Option::<i64>::None)
                        .update_columns([Notifications::Kind, Notifications::UpdatedAt])
                        .to_owned(),
                ),
        )
        .await?;
    }
    Ok(())
}

/// The viewer's unread notifications, most recent first: only of chats they still see (a chat
/// a colleague claimed, or one outside revoked grants, drops out at once).
pub async fn unread(db: &Db, scope: &Scope, limit: u64) -> Result<Vec<Notification>> {
    let n = |c: Notifications| Expr::col((Notifications::Table, c));
    db.all(
        Query::select()
            .expr_as(n(Notifications::Id), Alias::new("id"))
            .expr_as(n(Notifications::ConversationId), Alias::new("conversation_id"))
            .expr_as(n(Notifications::Kind), Alias::new("kind"))
            .expr_as(n(Notifications::Count), Alias::new("count"))
            .expr_as(n(Notifications::UpdatedAt), Alias::new("updated_at"))
            .expr_as(
                Expr::col((Contacts::Table, Contacts::Name))
                    .if_null(Expr::col((Conversations::Table, Conversations::GroupName))),
                Alias::new("chat_name"),
            )
            .expr_as(Expr::col((Conversations::Table, Conversations::GroupId)), Alias::new("group_id"))
            .expr_as(Expr::col((Conversations::Table, Conversations::LastMessageText)), Alias::new("preview"))
            .from(Notifications::Table)
            .inner_join(
                Conversations::Table,
                Expr::col((Conversations::Table, Conversations::Id))
                    .equals((Notifications::Table, Notifications::ConversationId)),
            )
            .inner_join(
                Numbers::Table,
                Expr::col((Numbers::Table, Numbers::Id)).equals((Conversations::Table, Conversations::NumberId)),
            )
            .left_join(
                Contacts::Table,
                Expr::col((Contacts::Table, Contacts::Id)).equals((Conversations::Table, Conversations::ContactId)),
            )
            .and_where(n(Notifications::StaffId).eq(scope.viewer.staff_id))
            .and_where(n(Notifications::Unread).eq(true))
            .cond_where(crate::conversations::visible_to(scope))
            .order_by((Notifications::Table, Notifications::UpdatedAt), Order::Desc)
            .limit(limit),
    )
    .await
}

/// Marks a notification of this staff member read; `NotFound` for anyone else's.
pub async fn dismiss(db: &Db, staff_id: i64, id: i64) -> Result<()> {
    set(db, staff_id, id, None).await
}

/// Hides a notification until `at`, when it comes back as a reminder.
pub async fn remind(db: &Db, staff_id: i64, id: i64, at: i64) -> Result<()> {
    set(db, staff_id, id, Some(at)).await
}

/// Reading a conversation reads its notification.
pub async fn read_conversation(db: &Db, staff_id: i64, conversation_id: i64) -> Result<()> {
    db.run(
        Query::update()
            .table(Notifications::Table)
            .value(Notifications::Unread, false)
            .and_where(Expr::col(Notifications::StaffId).eq(staff_id))
            .and_where(Expr::col(Notifications::ConversationId).eq(conversation_id)),
    )
    .await?;
    Ok(())
}

async fn set(db: &Db, staff_id: i64, id: i64, remind_at: Option<i64>) -> Result<()> {
    let changed = db
        .run(
            Query::update()
                .table(Notifications::Table)
                .value(Notifications::Unread, false)
                .value(Notifications::RemindAt, remind_at)
                .and_where(Expr::col(Notifications::Id).eq(id))
                .and_where(Expr::col(Notifications::StaffId).eq(staff_id)),
        )
        .await?;
    if changed == 0 { Err(crate::StorageError::NotFound) } else { Ok(()) }
}

/// A reminder that came due.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub company_id: i64,
    pub staff_id: i64,
    pub conversation_id: i64,
}

/// Brings back every reminder due by `now` as an unread notification, each exactly once.
pub async fn fire_due(db: &Db, now: i64) -> Result<Vec<Due>> {
    db.all(
        Query::update()
            .table(Notifications::Table)
            .value(Notifications::Unread, true)
            .value(Notifications::RemindAt, Option::<i64>::None)
            .value(Notifications::Kind, "reminder")
            .value(Notifications::UpdatedAt, now)
            .and_where(Expr::col(Notifications::RemindAt).lte(now))
            .returning(Query::returning().columns([
                Notifications::CompanyId,
                Notifications::StaffId,
                Notifications::ConversationId,
            ])),
    )
    .await
}
