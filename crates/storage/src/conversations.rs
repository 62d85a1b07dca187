//! Conversations and their messages, read through a [`Scope`]: a viewer sees a conversation
//! when they own its number, are responsible for it, or its number's department is within
//! their chat reach (`dept.chats`, `subdept.chats`).

use crate::db::Exec;
use crate::error::Result;
use crate::schema::{Contacts, Conversations, Messages, Numbers};
use crate::scope::Scope;
use crate::{Db, Page};
use sea_query::{Alias, Cond, Expr, ExprTrait, Order, Query, SelectStatement};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: i64,
    pub number_id: i64,
    /// A direct chat's customer; `None` for a group chat.
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_wa_id: Option<String>,
    /// A group chat's WhatsApp group id; `None` for a direct chat.
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub responsible_staff_id: Option<i64>,
    pub last_message_at: Option<i64>,
    pub last_message_text: String,
    pub last_inbound_at: Option<i64>,
    pub unanswered: bool,
    /// The number's state and account, for sending.
    pub number_status: String,
    pub number_waba_id: String,
}

fn select() -> SelectStatement {
    let mut q = Query::select();
    q.columns([
        (Conversations::Table, Conversations::Id),
        (Conversations::Table, Conversations::NumberId),
        (Conversations::Table, Conversations::ContactId),
        (Conversations::Table, Conversations::GroupId),
        (Conversations::Table, Conversations::GroupName),
        (Conversations::Table, Conversations::ResponsibleStaffId),
        (Conversations::Table, Conversations::LastMessageAt),
        (Conversations::Table, Conversations::LastMessageText),
        (Conversations::Table, Conversations::LastInboundAt),
        (Conversations::Table, Conversations::Unanswered),
    ])
    .expr_as(Expr::col((Contacts::Table, Contacts::Name)), Alias::new("contact_name"))
    .expr_as(Expr::col((Contacts::Table, Contacts::Phone)), Alias::new("contact_phone"))
    .expr_as(Expr::col((Contacts::Table, Contacts::WaId)), Alias::new("contact_wa_id"))
    .expr_as(Expr::col((Numbers::Table, Numbers::Status)), Alias::new("number_status"))
    .expr_as(Expr::col((Numbers::Table, Numbers::WabaId)), Alias::new("number_waba_id"))
    .from(Conversations::Table)
    .left_join(
        Contacts::Table,
        Expr::col((Contacts::Table, Contacts::Id)).equals((Conversations::Table, Conversations::ContactId)),
    )
    .inner_join(
        Numbers::Table,
        Expr::col((Numbers::Table, Numbers::Id)).equals((Conversations::Table, Conversations::NumberId)),
    );
    q
}

fn visible_to(scope: &Scope) -> Cond {
    Cond::all().add(Expr::col((Conversations::Table, Conversations::CompanyId)).eq(scope.company_id())).add(
        Cond::any()
            .add(Expr::col((Numbers::Table, Numbers::OwnerStaffId)).eq(scope.viewer.staff_id))
            .add(Expr::col((Conversations::Table, Conversations::ResponsibleStaffId)).eq(scope.viewer.staff_id))
            .add(scope.covers(scope.viewer.chat_reach(), (Numbers::Table, Numbers::DepartmentId))),
    )
}

/// Newest conversations first (by id); `before` is the previous page's last id.
pub async fn list(db: &Db, scope: &Scope, before: Option<i64>, limit: u64) -> Result<Page<ConversationRow>> {
    let mut q = select();
    q.cond_where(visible_to(scope)).order_by((Conversations::Table, Conversations::Id), Order::Desc).limit(limit + 1);
    if let Some(before) = before {
        q.and_where(Expr::col((Conversations::Table, Conversations::Id)).lt(before));
    }
    Ok(Page::from_rows(db.all(&q).await?, limit, |c: &ConversationRow| c.id))
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<ConversationRow> {
    let mut q = select();
    q.cond_where(visible_to(scope)).and_where(Expr::col((Conversations::Table, Conversations::Id)).eq(id));
    db.one(&q).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub wamid: String,
    pub direction: String,
    pub kind: String,
    pub text: Option<String>,
    pub media_id: Option<String>,
    pub media_mime_type: Option<String>,
    pub media_filename: Option<String>,
    pub reply_to: Option<String>,
    pub target_wamid: Option<String>,
    pub status: Option<String>,
    pub error_code: Option<i64>,
    pub error_title: Option<String>,
    pub raw_json: String,
    pub sent_at: i64,
    /// Set once the media worker has stored the file.
    pub media_path: Option<String>,
    pub media_error: Option<String>,
    /// Who wrote a customer message (named in group chats).
    pub sender_name: Option<String>,
}

/// The messages of a conversation `scope` sees, oldest first, after the cursor.
pub async fn messages(
    db: &Db,
    scope: &Scope,
    conversation: i64,
    after: Option<i64>,
    limit: u64,
) -> Result<Page<MessageRow>> {
    get(db, scope, conversation).await?;
    let mut q = select_messages();
    q.and_where(Expr::col((Messages::Table, Messages::CompanyId)).eq(scope.company_id()))
        .and_where(Expr::col((Messages::Table, Messages::ConversationId)).eq(conversation))
        .order_by((Messages::Table, Messages::Id), Order::Asc)
        .limit(limit + 1);
    if let Some(after) = after {
        q.and_where(Expr::col((Messages::Table, Messages::Id)).gt(after));
    }
    Ok(Page::from_rows(db.all(&q).await?, limit, |m: &MessageRow| m.id))
}

/// One message of a company by id (after queuing it, to answer with it).
pub async fn message(db: &Db, company_id: i64, id: i64) -> Result<MessageRow> {
    db.one(
        select_messages()
            .and_where(Expr::col((Messages::Table, Messages::CompanyId)).eq(company_id))
            .and_where(Expr::col((Messages::Table, Messages::Id)).eq(id)),
    )
    .await
}

fn select_messages() -> SelectStatement {
    let mut q = Query::select();
    q.columns([
        (Messages::Table, Messages::Id),
        (Messages::Table, Messages::Wamid),
        (Messages::Table, Messages::Direction),
        (Messages::Table, Messages::Kind),
        (Messages::Table, Messages::Text),
        (Messages::Table, Messages::MediaId),
        (Messages::Table, Messages::MediaMimeType),
        (Messages::Table, Messages::MediaFilename),
        (Messages::Table, Messages::ReplyTo),
        (Messages::Table, Messages::TargetWamid),
        (Messages::Table, Messages::Status),
        (Messages::Table, Messages::ErrorCode),
        (Messages::Table, Messages::ErrorTitle),
        (Messages::Table, Messages::RawJson),
        (Messages::Table, Messages::SentAt),
        (Messages::Table, Messages::MediaPath),
        (Messages::Table, Messages::MediaError),
    ])
    .expr_as(Expr::col((Contacts::Table, Contacts::Name)), Alias::new("sender_name"))
    .from(Messages::Table)
    .left_join(
        Contacts::Table,
        Expr::col((Contacts::Table, Contacts::Id)).equals((Messages::Table, Messages::SenderContactId)),
    );
    q
}

/// The newest customer message of a conversation, to mark as read.
pub async fn last_inbound_wamid(db: &Db, company_id: i64, conversation: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = db
        .optional(
            Query::select()
                .column(Messages::Wamid)
                .from(Messages::Table)
                .and_where(Expr::col(Messages::CompanyId).eq(company_id))
                .and_where(Expr::col(Messages::ConversationId).eq(conversation))
                .and_where(Expr::col(Messages::Direction).eq("in"))
                .order_by(Messages::Id, Order::Desc)
                .limit(1),
        )
        .await?;
    Ok(row.map(|(w,)| w))
}

/// Does the conversation hold a message with this wamid (a reaction's target)?
pub async fn has_message(db: &Db, company_id: i64, conversation: i64, wamid: &str) -> Result<bool> {
    let found: Option<(i64,)> = db
        .optional(
            Query::select()
                .column(Messages::Id)
                .from(Messages::Table)
                .and_where(Expr::col(Messages::CompanyId).eq(company_id))
                .and_where(Expr::col(Messages::ConversationId).eq(conversation))
                .and_where(Expr::col(Messages::Wamid).eq(wamid))
                .limit(1),
        )
        .await?;
    Ok(found.is_some())
}
