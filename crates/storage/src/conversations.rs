//! Conversations and their messages, read through a [`Scope`]: a viewer sees a conversation
//! when they own its number, are responsible for it, or its number's department is within
//! their chat reach (`dept.chats`, `subdept.chats`).

use crate::db::Exec;
use crate::error::Result;
use crate::schema::{
    Contacts, Conversations, Departments, DistributionStaff, Distributions, Messages, Notifications, Numbers, Staff,
};
use crate::scope::{Scope, escape_like};
use crate::{Db, Page};
use rapport_domain::Role;
use rapport_domain::chat_access::ChatFacts;
use rapport_domain::status::ConversationStatus;
use rapport_domain::status::Direction;
use rapport_domain::status::NumberStatus;
use sea_query::{Alias, Cond, Expr, ExprTrait, Func, LikeExpr, Order, Query, SelectStatement};

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
    /// `open`, `snoozed` or `resolved`.
    #[sqlx(try_from = "String")]
    pub status: ConversationStatus,
    pub snoozed_until: Option<i64>,
    /// The number's state and account, for sending.
    #[sqlx(try_from = "String")]
    pub number_status: NumberStatus,
    pub number_waba_id: String,
    /// The number as customers see it.
    pub number_display: String,
    /// Whose number it is (their private auto replies answer on it).
    pub number_owner_staff_id: Option<i64>,
    /// Messages the viewer has been told of and not read yet (the list only).
    #[sqlx(default)]
    pub unread: i64,
    pub responsible_name: Option<String>,
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
        (Conversations::Table, Conversations::Status),
        (Conversations::Table, Conversations::SnoozedUntil),
    ])
    .expr_as(Expr::col((Contacts::Table, Contacts::Name)), Alias::new("contact_name"))
    .expr_as(Expr::col((Contacts::Table, Contacts::Phone)), Alias::new("contact_phone"))
    .expr_as(Expr::col((Contacts::Table, Contacts::WaId)), Alias::new("contact_wa_id"))
    .expr_as(Expr::col((Numbers::Table, Numbers::Status)), Alias::new("number_status"))
    .expr_as(Expr::col((Numbers::Table, Numbers::WabaId)), Alias::new("number_waba_id"))
    .expr_as(Expr::col((Numbers::Table, Numbers::DisplayPhoneNumber)), Alias::new("number_display"))
    .expr_as(Expr::col((Numbers::Table, Numbers::OwnerStaffId)), Alias::new("number_owner_staff_id"))
    .expr_as(Expr::col((Alias::new("responsible"), Staff::Name)), Alias::new("responsible_name"))
    .from(Conversations::Table)
    .left_join(
        Contacts::Table,
        Expr::col((Contacts::Table, Contacts::Id)).equals((Conversations::Table, Conversations::ContactId)),
    )
    .inner_join(
        Numbers::Table,
        Expr::col((Numbers::Table, Numbers::Id)).equals((Conversations::Table, Conversations::NumberId)),
    )
    .join_as(
        sea_query::JoinType::LeftJoin,
        Staff::Table,
        Alias::new("responsible"),
        Expr::col((Alias::new("responsible"), Staff::Id))
            .equals((Conversations::Table, Conversations::ResponsibleStaffId)),
    );
    q
}

/// PERM-5 and PERM-6 in SQL: a sales rep sees the customers they are responsible for and the
/// unclaimed chats offered to them (DIST-1); everyone else sees chats of numbers they own,
/// chats they are responsible for, and chats of numbers in their chat reach.
pub(crate) fn visible_to(scope: &Scope) -> Cond {
    let me = scope.viewer.staff_id;
    let responsible = || Expr::col((Conversations::Table, Conversations::ResponsibleStaffId));
    let whose = if scope.role.is_none_or(Role::sees_whole_scope) {
        Cond::any()
            .add(Expr::col((Numbers::Table, Numbers::OwnerStaffId)).eq(me))
            .add(responsible().eq(me))
            .add(scope.covers(scope.viewer.chat_reach(), (Numbers::Table, Numbers::DepartmentId)))
    } else {
        let offered = crate::distribution::offered_to(me);
        Cond::any().add(responsible().eq(me)).add(Cond::all().add(responsible().is_null()).add(Expr::exists(offered)))
    };
    Cond::all().add(Expr::col((Conversations::Table, Conversations::CompanyId)).eq(scope.company_id())).add(whose)
}

/// Where a page of the conversation list ends: the last chat's activity time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityCursor {
    pub at: i64,
    pub id: i64,
}

impl ActivityCursor {
    pub fn parse(text: &str) -> Option<ActivityCursor> {
        let (at, id) = text.split_once('.')?;
        Some(ActivityCursor { at: at.parse().ok()?, id: id.parse().ok()? })
    }
}

impl std::fmt::Display for ActivityCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.at, self.id)
    }
}

/// The conversation list's filters (INBOX-1), all combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    /// `Some(true)`: group chats only; `Some(false)`: direct chats only.
    pub groups: Option<bool>,
    /// Responsible staff member.
    pub staff_id: Option<i64>,
    /// Only chats nobody is responsible for.
    pub unassigned: bool,
    pub number_id: Option<i64>,
    /// As [`ConversationStatus::shown`]: `Open` includes snoozes whose time has passed.
    pub status: Option<ConversationStatus>,
    /// Contact name or WhatsApp id (or group name / id), contains.
    pub q: Option<String>,
    /// Unanswered since at least this long ago (ms).
    pub unanswered_for_ms: Option<i64>,
    /// Someone of these staff replied in the chat.
    pub replied_by: Option<i64>,
    /// Last message at most this long ago (ms).
    pub within_ms: Option<i64>,
}

pub struct ConversationPage {
    pub items: Vec<ConversationRow>,
    pub next_cursor: Option<ActivityCursor>,
}

/// The conversations `scope` sees that match `filter`, most recent activity first, paged by
/// (activity, id) so that any page costs the same as the first.
pub async fn list(
    db: &Db,
    scope: &Scope,
    filter: &ConversationFilter,
    after: Option<ActivityCursor>,
    limit: u64,
) -> Result<ConversationPage> {
    let now = crate::now_ms();
    let col = |c: Conversations| Expr::col((Conversations::Table, c));
    // Literally the expression the activity indexes are built on (a bound 0 would not match).
    let activity = || Expr::cust("COALESCE(conversations.last_message_at, 0)");
    let mut q = select();
    // The viewer's unread count is their notification's for the chat (one row per viewer and
    // chat, by its unique index), so it costs one lookup per listed chat.
    let unread = Query::select()
        .expr(Expr::col((Notifications::Table, Notifications::Count)))
        .from(Notifications::Table)
        .and_where(Expr::col((Notifications::Table, Notifications::StaffId)).eq(scope.viewer.staff_id))
        .and_where(
            Expr::col((Notifications::Table, Notifications::ConversationId))
                .equals((Conversations::Table, Conversations::Id)),
        )
        .and_where(Expr::col((Notifications::Table, Notifications::Unread)).eq(true))
        .to_owned();
    q.expr_as(Func::coalesce([Expr::SubQuery(None, Box::new(unread.into())), Expr::value(0)]), Alias::new("unread"))
        .cond_where(visible_to(scope))
        .order_by_expr(activity(), Order::Desc)
        .order_by((Conversations::Table, Conversations::Id), Order::Desc)
        .limit(limit + 1);
    if let Some(after) = after {
        // A row-value comparison, so the index on (activity, id) seeks straight to the page.
        q.and_where(
            Expr::tuple([activity(), col(Conversations::Id)])
                .lt(Expr::tuple([Expr::value(after.at), Expr::value(after.id)])),
        );
    }
    match filter.groups {
        Some(true) => q.and_where(col(Conversations::GroupId).is_not_null()),
        Some(false) => q.and_where(col(Conversations::GroupId).is_null()),
        None => &mut q,
    };
    if let Some(staff_id) = filter.staff_id {
        q.and_where(col(Conversations::ResponsibleStaffId).eq(staff_id));
    }
    if filter.unassigned {
        q.and_where(col(Conversations::ResponsibleStaffId).is_null());
    }
    if let Some(number_id) = filter.number_id {
        q.and_where(col(Conversations::NumberId).eq(number_id));
    }
    if let Some(status) = filter.status {
        let is = |status: ConversationStatus| col(Conversations::Status).eq(status.as_str());
        match status {
            ConversationStatus::Open => {
                q.cond_where(Cond::any().add(is(ConversationStatus::Open)).add(
                    Cond::all().add(is(ConversationStatus::Snoozed)).add(col(Conversations::SnoozedUntil).lte(now)),
                ))
            }
            ConversationStatus::Snoozed => q.cond_where(
                Cond::all().add(is(ConversationStatus::Snoozed)).add(col(Conversations::SnoozedUntil).gt(now)),
            ),
            ConversationStatus::Resolved => q.and_where(is(ConversationStatus::Resolved)),
        };
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        let like = |e: Expr| Func::lower(e).like(LikeExpr::new(pattern.clone()).escape('\\'));
        q.cond_where(
            Cond::any()
                .add(like(Expr::col((Contacts::Table, Contacts::Name))))
                .add(like(Expr::col((Contacts::Table, Contacts::WaId))))
                .add(like(Expr::col((Contacts::Table, Contacts::Phone))))
                .add(like(col(Conversations::GroupName)))
                .add(like(col(Conversations::GroupId))),
        );
    }
    if let Some(age) = filter.unanswered_for_ms {
        q.and_where(col(Conversations::Unanswered).eq(true))
            .and_where(col(Conversations::LastInboundAt).lte(now - age));
    }
    if let Some(staff_id) = filter.replied_by {
        q.and_where(Expr::exists(
            Query::select()
                .column((Messages::Table, Messages::Id))
                .from(Messages::Table)
                .and_where(
                    Expr::col((Messages::Table, Messages::ConversationId))
                        .equals((Conversations::Table, Conversations::Id)),
                )
                .and_where(Expr::col((Messages::Table, Messages::StaffId)).eq(staff_id))
                .to_owned(),
        ));
    }
    if let Some(window) = filter.within_ms {
        q.and_where(col(Conversations::LastMessageAt).gte(now - window));
    }
    let mut items: Vec<ConversationRow> = db.all(&q).await?;
    let next_cursor = if items.len() as u64 > limit {
        items.truncate(limit as usize);
        items.last().map(|c| ActivityCursor { at: c.last_message_at.unwrap_or(0), id: c.id })
    } else {
        None
    };
    Ok(ConversationPage { items, next_cursor })
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<ConversationRow> {
    get_in(db, scope, id).await
}

pub(crate) async fn get_in(ex: &impl Exec, scope: &Scope, id: i64) -> Result<ConversationRow> {
    let mut q = select();
    q.cond_where(visible_to(scope)).and_where(Expr::col((Conversations::Table, Conversations::Id)).eq(id));
    ex.one(&q).await
}

/// A conversation of a company whoever looks (after a change that may have moved it out of
/// the caller's sight, to answer with it; or for the system's own work, as auto replies).
pub async fn get_unscoped(db: &Db, company_id: i64, id: i64) -> Result<ConversationRow> {
    let mut q = select();
    q.and_where(Expr::col((Conversations::Table, Conversations::CompanyId)).eq(company_id))
        .and_where(Expr::col((Conversations::Table, Conversations::Id)).eq(id));
    db.one(&q).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub wamid: String,
    #[sqlx(try_from = "String")]
    pub direction: Direction,
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
    /// The staff member who wrote an outbound message or note.
    pub author_name: Option<String>,
    /// Sent by this auto reply rule, answering that customer message.
    pub auto_reply_id: Option<i64>,
    pub answers_message_id: Option<i64>,
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

/// The newest messages of a conversation `scope` sees, up to `limit`, older than `before`
/// when given; answered oldest first, with whether older ones exist.
pub async fn recent(
    db: &Db,
    scope: &Scope,
    conversation: i64,
    before: Option<i64>,
    limit: u64,
) -> Result<(Vec<MessageRow>, bool)> {
    get(db, scope, conversation).await?;
    let mut q = select_messages();
    q.and_where(Expr::col((Messages::Table, Messages::CompanyId)).eq(scope.company_id()))
        .and_where(Expr::col((Messages::Table, Messages::ConversationId)).eq(conversation))
        .order_by((Messages::Table, Messages::Id), Order::Desc)
        .limit(limit + 1);
    if let Some(before) = before {
        q.and_where(Expr::col((Messages::Table, Messages::Id)).lt(before));
    }
    let mut rows: Vec<MessageRow> = db.all(&q).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    rows.reverse();
    Ok((rows, more))
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
        (Messages::Table, Messages::AutoReplyId),
        (Messages::Table, Messages::AnswersMessageId),
    ])
    .expr_as(Expr::col((Contacts::Table, Contacts::Name)), Alias::new("sender_name"))
    .expr_as(Expr::col((Staff::Table, Staff::Name)), Alias::new("author_name"))
    .from(Messages::Table)
    .left_join(
        Contacts::Table,
        Expr::col((Contacts::Table, Contacts::Id)).equals((Messages::Table, Messages::SenderContactId)),
    )
    .left_join(Staff::Table, Expr::col((Staff::Table, Staff::Id)).equals((Messages::Table, Messages::StaffId)));
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
                .and_where(Expr::col(Messages::Direction).eq(Direction::In.as_str()))
                .order_by(Messages::Id, Order::Desc)
                .limit(1),
        )
        .await?;
    Ok(row.map(|(w,)| w))
}

/// Someone who wrote in a group chat.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Participant {
    pub wa_id: Option<String>,
    pub name: String,
}

/// The people who wrote in a group conversation, by name (a direct chat has none).
pub async fn participants(db: &Db, company_id: i64, conversation: i64) -> Result<Vec<Participant>> {
    db.all(
        Query::select()
            .distinct()
            .column((Contacts::Table, Contacts::WaId))
            .column((Contacts::Table, Contacts::Name))
            .from(Messages::Table)
            .inner_join(
                Contacts::Table,
                Expr::col((Contacts::Table, Contacts::Id)).equals((Messages::Table, Messages::SenderContactId)),
            )
            .and_where(Expr::col((Messages::Table, Messages::CompanyId)).eq(company_id))
            .and_where(Expr::col((Messages::Table, Messages::ConversationId)).eq(conversation))
            .order_by((Contacts::Table, Contacts::Name), Order::Asc)
            .order_by((Contacts::Table, Contacts::WaId), Order::Asc),
    )
    .await
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

/// What decides who sees each of these conversations (for routing live events to viewers).
pub async fn facts(db: &Db, company_id: i64, ids: &[i64]) -> Result<Vec<(i64, ChatFacts)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, i64, Option<i64>, Option<i64>, i64, String, Option<bool>)> = db
        .all(
            Query::select()
                .columns([
                    (Conversations::Table, Conversations::Id),
                    (Conversations::Table, Conversations::NumberId),
                    (Conversations::Table, Conversations::ResponsibleStaffId),
                ])
                .column((Numbers::Table, Numbers::OwnerStaffId))
                .column((Numbers::Table, Numbers::DepartmentId))
                .column((Departments::Table, Departments::Path))
                .column((Distributions::Table, Distributions::NotifyManagers))
                .from(Conversations::Table)
                .inner_join(
                    Numbers::Table,
                    Expr::col((Numbers::Table, Numbers::Id)).equals((Conversations::Table, Conversations::NumberId)),
                )
                .inner_join(
                    Departments::Table,
                    Expr::col((Departments::Table, Departments::Id)).equals((Numbers::Table, Numbers::DepartmentId)),
                )
                .left_join(
                    Distributions::Table,
                    Expr::col((Distributions::Table, Distributions::NumberId))
                        .equals((Conversations::Table, Conversations::NumberId)),
                )
                .and_where(Expr::col((Conversations::Table, Conversations::CompanyId)).eq(company_id))
                .and_where(Expr::col((Conversations::Table, Conversations::Id)).is_in(ids.iter().copied())),
        )
        .await?;
    let numbers: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let offers: Vec<(i64, i64)> = db
        .all(
            Query::select()
                .columns([DistributionStaff::NumberId, DistributionStaff::StaffId])
                .from(DistributionStaff::Table)
                .and_where(Expr::col(DistributionStaff::NumberId).is_in(numbers)),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, number_id, responsible, owner, department_id, department_path, notify_managers)| {
            let offered_to = offers.iter().filter(|(n, _)| *n == number_id).map(|(_, s)| *s).collect();
            let facts = ChatFacts {
                company_id,
                number_owner: owner,
                responsible,
                department_id,
                department_path,
                offered_to,
                notify_managers: notify_managers.unwrap_or(false),
            };
            (id, facts)
        })
        .collect())
}

/// The conversation a message belongs to.
pub async fn of_message(db: &Db, company_id: i64, message_id: i64) -> Result<i64> {
    let (id,): (i64,) = db
        .one(
            Query::select()
                .column(Messages::ConversationId)
                .from(Messages::Table)
                .and_where(Expr::col(Messages::CompanyId).eq(company_id))
                .and_where(Expr::col(Messages::Id).eq(message_id)),
        )
        .await?;
    Ok(id)
}
