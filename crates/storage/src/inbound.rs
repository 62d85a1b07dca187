//! Webhook ingestion (WA-2): customers, conversations, messages and delivery reports from
//! many deliveries written in one transaction (the server batches concurrent requests, so
//! one durable commit acknowledges them all).

use crate::db::{Exec, Tx};
use crate::error::Result;
use crate::schema::{Contacts, Conversations, Jobs, MessageStatuses, Messages, Numbers};
use crate::{Db, now_ms};
use rapport_domain::message::{Contact, DeliveryStatus, Message, Status};
use rapport_domain::status::Direction;
use rapport_domain::status::JobState;
use rapport_domain::sync::SyncFilter;
use sea_query::{Cond, Expr, ExprTrait, OnConflict, Query};

/// The number a delivery is for.
#[derive(Debug, Clone)]
pub struct Target {
    pub number_id: i64,
    pub company_id: i64,
    pub department_id: i64,
    /// Which customers' messages this number keeps (WA-6).
    pub sync: SyncFilter,
}

/// What one webhook change carries for one of our numbers.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub target: Target,
    pub contacts: Vec<Contact>,
    /// From customers.
    pub messages: Vec<Message>,
    /// Sent by the business from another app (outbound, already sent).
    pub echoes: Vec<Message>,
    pub statuses: Vec<Status>,
}

/// Counts of what a batch changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Messages stored for the first time (duplicates of a known wamid are not counted).
    pub new_messages: usize,
    /// Customer messages the number's sync filter left out.
    pub filtered: usize,
    pub statuses: usize,
    /// Conversations that changed, for live updates: (company, conversation, only delivery
    /// ticks moved).
    pub touched: Vec<Touched>,
    /// New messages from customers, for auto replies and greetings.
    pub customer_messages: Vec<CustomerMessage>,
}

/// A customer's message, just stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMessage {
    pub company_id: i64,
    pub number_id: i64,
    pub conversation_id: i64,
    pub contact_id: i64,
    pub message_id: i64,
    /// The text of a text message (what auto reply rules match).
    pub text: Option<String>,
    pub group: bool,
    /// The customer wrote for the first time ever (a welcome message is due).
    pub new_contact: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    pub company_id: i64,
    pub conversation_id: i64,
    /// Only a delivery state changed (no new message).
    pub status_only: bool,
    /// A new customer message (someone should be told).
    pub inbound: bool,
}

/// Writes every delivery in one transaction.
pub async fn ingest(db: &Db, deliveries: &[Delivery]) -> Result<Outcome> {
    let tx = db.begin().await?;
    let mut outcome = Outcome::default();
    let now = now_ms();
    for delivery in deliveries {
        for (message, inbound) in
            delivery.messages.iter().map(|m| (m, true)).chain(delivery.echoes.iter().map(|m| (m, false)))
        {
            let target = &delivery.target;
            let Some((conversation, sender, new_contact)) = place(&tx, delivery, message, inbound, now).await? else {
                outcome.filtered += 1;
                continue;
            };
            if let Some(message_id) =
                insert_message(&tx, target.company_id, conversation, sender, message, inbound, now).await?
            {
                outcome.new_messages += 1;
                outcome.touched.push(Touched {
                    company_id: target.company_id,
                    conversation_id: conversation,
                    status_only: false,
                    inbound,
                });
                if !inbound {
                    apply_recorded_statuses(&tx, target.company_id, message_id, &message.wamid).await?;
                }
                if let Some(contact_id) = sender {
                    outcome.customer_messages.push(CustomerMessage {
                        company_id: target.company_id,
                        number_id: target.number_id,
                        conversation_id: conversation,
                        contact_id,
                        message_id,
                        text: message.text.clone().filter(|_| message.kind == "text"),
                        group: message.group_id.is_some(),
                        new_contact,
                    });
                }
                if let Some(media_id) = message.media.as_ref().and_then(|m| m.id.as_deref()).filter(|_| inbound) {
                    let sha256 = message.media.as_ref().and_then(|m| m.sha256.as_deref());
                    crate::media::enqueue_fetch(&tx, target.company_id, message_id, target.number_id, media_id, sha256)
                        .await?;
                }
                touch_conversation(&tx, conversation, message, inbound).await?;
            }
        }
        for status in &delivery.statuses {
            let company_id = delivery.target.company_id;
            if let Some(conversation_id) = apply_status(&tx, company_id, status, now).await? {
                outcome.touched.push(Touched { company_id, conversation_id, status_only: true, inbound: false });
            }
            outcome.statuses += 1;
        }
    }
    let mut numbers: Vec<i64> = deliveries.iter().map(|d| d.target.number_id).collect();
    numbers.sort_unstable();
    numbers.dedup();
    tx.run(
        Query::update()
            .table(Numbers::Table)
            .value(Numbers::LastActivityAt, now)
            .and_where(Expr::col(Numbers::Id).is_in(numbers)),
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The conversation a message belongs in, the contact who wrote it (none for our own echo
/// into a group) and whether that contact is new; `None` when the number's sync filter leaves
/// the customer out. Group
/// chats are kept whoever writes in them: the filter is about one-to-one customers.
async fn place(
    tx: &Tx,
    delivery: &Delivery,
    message: &Message,
    inbound: bool,
    now: i64,
) -> Result<Option<(i64, Option<i64>, bool)>> {
    let target = &delivery.target;
    if let (Some(group), false) = (&message.group_id, inbound) {
        return Ok(Some((group_conversation(tx, target, group, now).await?, None, false)));
    }
    let known = find_contact(tx, target.company_id, message).await?;
    if inbound && message.group_id.is_none() && !target.sync.admits(message.wa_id.as_deref(), known.is_some()) {
        return Ok(None);
    }
    let contact = match known {
        Some(id) => id,
        None => {
            let name = delivery
                .contacts
                .iter()
                .find(|c| {
                    (c.wa_id.is_some() && c.wa_id == message.wa_id)
                        || (c.user_id.is_some() && c.user_id == message.user_id)
                })
                .and_then(|c| c.name.clone());
            create_contact(tx, target, message, name.as_deref(), now).await?
        }
    };
    let conversation = match &message.group_id {
        Some(group) => group_conversation(tx, target, group, now).await?,
        None => conversation_for(tx, target, contact, now).await?,
    };
    Ok(Some((conversation, inbound.then_some(contact), known.is_none())))
}

/// The contact a message is from (or, for an echo, to), by WhatsApp id or business-scoped
/// user id. Learns the other id when it shows up.
async fn find_contact(tx: &Tx, company_id: i64, message: &Message) -> Result<Option<i64>> {
    let mut by_id = Cond::any();
    if let Some(wa_id) = &message.wa_id {
        by_id = by_id.add(Expr::col(Contacts::WaId).eq(wa_id.as_str()));
    }
    if let Some(user_id) = &message.user_id {
        by_id = by_id.add(Expr::col(Contacts::UserId).eq(user_id.as_str()));
    }
    let find = Query::select()
        .columns([Contacts::Id])
        .expr(Expr::col(Contacts::WaId))
        .expr(Expr::col(Contacts::UserId))
        .from(Contacts::Table)
        .and_where(Expr::col(Contacts::CompanyId).eq(company_id))
        .cond_where(by_id)
        .limit(1)
        .to_owned();
    let Some((id, wa_id, user_id)) = tx.optional::<(i64, Option<String>, Option<String>)>(&find).await? else {
        return Ok(None);
    };
    let mut learn = Query::update();
    learn.table(Contacts::Table).and_where(Expr::col(Contacts::Id).eq(id));
    if wa_id.is_none() && message.wa_id.is_some() {
        learn.value(Contacts::WaId, message.wa_id.clone());
    }
    if user_id.is_none() && message.user_id.is_some() {
        learn.value(Contacts::UserId, message.user_id.clone());
    }
    if !learn.get_values().is_empty() {
        tx.run(&learn).await?;
    }
    Ok(Some(id))
}

/// A new customer from WhatsApp (source `whatsapp`), in the number's department.
async fn create_contact(tx: &Tx, target: &Target, message: &Message, name: Option<&str>, now: i64) -> Result<i64> {
    let phone = message.wa_id.as_deref().filter(|w| w.chars().all(|c| c.is_ascii_digit())).map(|w| format!("+{w}"));
    let display =
        name.map(String::from).or_else(|| phone.clone()).or_else(|| message.user_id.clone()).unwrap_or_default();
    let contact = NewContact {
        company_id: target.company_id,
        department_id: target.department_id,
        name: &display,
        phone: phone.as_deref().unwrap_or_default(),
        wa_id: message.wa_id.as_deref(),
        user_id: message.user_id.as_deref(),
        source: "whatsapp",
        responsible_staff_id: None,
    };
    insert_contact(tx, &contact, now).await
}

/// A contact as first stored, by a customer's message or by staff writing first.
pub(crate) struct NewContact<'a> {
    pub company_id: i64,
    pub department_id: i64,
    pub name: &'a str,
    pub phone: &'a str,
    pub wa_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub source: &'a str,
    pub responsible_staff_id: Option<i64>,
}

pub(crate) async fn insert_contact(tx: &Tx, c: &NewContact<'_>, now: i64) -> Result<i64> {
    let (id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(Contacts::Table)
                .columns([
                    Contacts::CompanyId,
                    Contacts::DepartmentId,
                    Contacts::Name,
                    Contacts::Phone,
                    Contacts::WaId,
                    Contacts::UserId,
                    Contacts::Source,
                    Contacts::ResponsibleStaffId,
                    Contacts::Search,
                    Contacts::CreatedAt,
                ])
                .values_panic([
                    c.company_id.into(),
                    c.department_id.into(),
                    c.name.into(),
                    c.phone.into(),
                    c.wa_id.into(),
                    c.user_id.into(),
                    c.source.into(),
                    c.responsible_staff_id.into(),
                    crate::contacts::search_text(c.name, c.phone, "").into(),
                    now.into(),
                ])
                .returning_col(Contacts::Id),
        )
        .await?;
    Ok(id)
}

/// The conversation between a number and a contact, created on the first message and handed
/// to whoever distribution says (DIST-1, DIST-2).
async fn conversation_for(tx: &Tx, target: &Target, contact: i64, now: i64) -> Result<i64> {
    let (id, created) =
        find_or_create_conversation(tx, target, (Conversations::ContactId, contact.into()), now).await?;
    if created && let Some(staff_id) = crate::distribution::responsible_for_new(tx, target.number_id, contact).await? {
        tx.run(
            Query::update()
                .table(Conversations::Table)
                .value(Conversations::ResponsibleStaffId, staff_id)
                .and_where(Expr::col(Conversations::Id).eq(id)),
        )
        .await?;
    }
    Ok(id)
}

/// The conversation of a group chat the number is in, created on the group's first message.
async fn group_conversation(tx: &Tx, target: &Target, group: &str, now: i64) -> Result<i64> {
    Ok(find_or_create_conversation(tx, target, (Conversations::GroupId, group.into()), now).await?.0)
}

pub(crate) async fn find_or_create_conversation(
    tx: &Tx,
    target: &Target,
    (party, value): (Conversations, sea_query::Value),
    now: i64,
) -> Result<(i64, bool)> {
    let existing: Option<(i64,)> = tx
        .optional(
            Query::select()
                .column(Conversations::Id)
                .from(Conversations::Table)
                .and_where(Expr::col(Conversations::NumberId).eq(target.number_id))
                .and_where(Expr::col(party).eq(value.clone())),
        )
        .await?;
    if let Some((id,)) = existing {
        return Ok((id, false));
    }
    let (id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(Conversations::Table)
                .columns([Conversations::CompanyId, Conversations::NumberId, party, Conversations::CreatedAt])
                .values_panic([target.company_id.into(), target.number_id.into(), value.into(), now.into()])
                .returning_col(Conversations::Id),
        )
        .await?;
    Ok((id, true))
}

/// Stores a message once per wamid; answers its id when it was new.
pub(crate) async fn insert_message(
    tx: &Tx,
    company_id: i64,
    conversation: i64,
    sender: Option<i64>,
    m: &Message,
    inbound: bool,
    now: i64,
) -> Result<Option<i64>> {
    let (status, rank) = if inbound { (None, 0) } else { (Some("sent"), 1) };
    insert_row(
        tx,
        MessageRow {
            company_id,
            conversation,
            sender,
            staff_id: None,
            message: m,
            direction: if inbound { Direction::In } else { Direction::Out },
            status,
            rank,
            sent_at: m.timestamp.saturating_mul(1000),
            now,
        },
    )
    .await
}

/// A message row to store (incoming, echoed, or queued by us).
pub(crate) struct MessageRow<'a> {
    pub company_id: i64,
    pub conversation: i64,
    /// The contact who wrote a customer message.
    pub sender: Option<i64>,
    /// The staff member who wrote an outbound message.
    pub staff_id: Option<i64>,
    pub message: &'a Message,
    pub direction: Direction,
    pub status: Option<&'a str>,
    pub rank: i64,
    pub sent_at: i64,
    pub now: i64,
}

/// Stores a message once per wamid; answers its id when it was new.
pub(crate) async fn insert_row(tx: &Tx, row: MessageRow<'_>) -> Result<Option<i64>> {
    let (m, company_id, conversation, direction, status, rank, now) =
        (row.message, row.company_id, row.conversation, row.direction, row.status, row.rank, row.now);
    let media = m.media.clone().unwrap_or_default();
    let inserted: Option<(i64,)> = tx
        .optional(
            Query::insert()
                .into_table(Messages::Table)
                .columns([
                    Messages::CompanyId,
                    Messages::ConversationId,
                    Messages::Wamid,
                    Messages::Direction,
                    Messages::Kind,
                    Messages::Text,
                    Messages::MediaId,
                    Messages::MediaMimeType,
                    Messages::MediaSha256,
                    Messages::MediaFilename,
                    Messages::ReplyTo,
                    Messages::TargetWamid,
                    Messages::Status,
                    Messages::StatusRank,
                    Messages::RawJson,
                    Messages::SentAt,
                    Messages::CreatedAt,
                    Messages::SenderContactId,
                    Messages::StaffId,
                ])
                .values_panic([
                    company_id.into(),
                    conversation.into(),
                    m.wamid.as_str().into(),
                    direction.as_str().into(),
                    m.kind.as_str().into(),
                    m.text.clone().into(),
                    media.id.into(),
                    media.mime_type.into(),
                    media.sha256.into(),
                    media.filename.into(),
                    m.reply_to.clone().into(),
                    m.target.clone().into(),
                    status.into(),
                    rank.into(),
                    m.raw.to_string().into(),
                    row.sent_at.into(),
                    now.into(),
                    row.sender.into(),
                    row.staff_id.into(),
                ])
                .on_conflict(OnConflict::columns([Messages::CompanyId, Messages::Wamid]).do_nothing().to_owned())
                .returning_col(Messages::Id),
        )
        .await?;
    Ok(inserted.map(|(id,)| id))
}

/// Moves the conversation's last message forward (never back, for late deliveries); a
/// customer message opens the 24-hour window (from the latest customer message, however late
/// it arrived) and marks the chat unanswered, an echo answers it. One statement.
async fn touch_conversation(tx: &Tx, conversation: i64, m: &Message, inbound: bool) -> Result<()> {
    let at = m.timestamp.saturating_mul(1000);
    let newer = |col: Conversations| Cond::any().add(Expr::col(col).is_null()).add(Expr::col(col).lte(at));
    let text = m.text.clone().unwrap_or_else(|| format!("[{}]", m.kind));
    let mut q = Query::update();
    q.table(Conversations::Table)
        .value(
            Conversations::LastMessageAt,
            Expr::case(newer(Conversations::LastMessageAt), at).finally(Expr::col(Conversations::LastMessageAt)),
        )
        .value(
            Conversations::LastMessageText,
            Expr::case(newer(Conversations::LastMessageAt), text).finally(Expr::col(Conversations::LastMessageText)),
        )
        .value(
            Conversations::Unanswered,
            Expr::case(newer(Conversations::LastMessageAt), inbound).finally(Expr::col(Conversations::Unanswered)),
        )
        .and_where(Expr::col(Conversations::Id).eq(conversation));
    if inbound {
        // A customer writing again reopens a snoozed or resolved chat.
        q.value(Conversations::Status, rapport_domain::status::ConversationStatus::Open.as_str())
            .value(Conversations::SnoozedUntil, Option::<i64>::None);
        q.value(
            Conversations::LastInboundAt,
            Expr::case(newer(Conversations::LastInboundAt), at).finally(Expr::col(Conversations::LastInboundAt)),
        );
    }
    tx.run(&q).await?;
    Ok(())
}

/// Records a delivery report and applies it if it moves the message forward; answers the
/// message's conversation when it did.
async fn apply_status(tx: &Tx, company_id: i64, s: &Status, now: i64) -> Result<Option<i64>> {
    tx.run(
        Query::insert()
            .into_table(MessageStatuses::Table)
            .columns([
                MessageStatuses::CompanyId,
                MessageStatuses::Wamid,
                MessageStatuses::Status,
                MessageStatuses::ErrorCode,
                MessageStatuses::ErrorTitle,
                MessageStatuses::RawJson,
                MessageStatuses::ReportedAt,
                MessageStatuses::ReceivedAt,
            ])
            .values_panic([
                company_id.into(),
                s.wamid.as_str().into(),
                s.status.name().into(),
                s.error_code.into(),
                s.error_title.clone().into(),
                s.raw.to_string().into(),
                s.timestamp.saturating_mul(1000).into(),
                now.into(),
            ])
            .on_conflict(
                OnConflict::columns([
                    MessageStatuses::CompanyId,
                    MessageStatuses::Wamid,
                    MessageStatuses::Status,
                    MessageStatuses::ReportedAt,
                ])
                .do_nothing()
                .to_owned(),
            ),
    )
    .await?;
    let rank = s.status.rank();
    if rank == 0 {
        return Ok(None);
    }
    // Pairs with `outbox::complete`: whichever of the two comes second sees the other's work.
    tx.lock_key(&format!("wamid:{company_id}:{}", s.wamid)).await?;
    if let Some(placeholder) = s.callback.as_deref().filter(|c| c.starts_with(crate::outbox::PLACEHOLDER_PREFIX)) {
        adopt_lost_send(tx, company_id, placeholder, &s.wamid, now).await?;
    }
    let mut q = Query::update();
    q.table(Messages::Table)
        .value(Messages::Status, s.status.name())
        .value(Messages::StatusRank, rank)
        .and_where(Expr::col(Messages::CompanyId).eq(company_id))
        .and_where(Expr::col(Messages::Wamid).eq(s.wamid.as_str()))
        .and_where(Expr::col(Messages::StatusRank).lt(rank));
    if s.error_code.is_some() || s.error_title.is_some() {
        q.value(Messages::ErrorCode, s.error_code).value(Messages::ErrorTitle, s.error_title.clone());
    }
    q.returning_col(Messages::ConversationId);
    let applied: Option<(i64,)> = tx.optional(&q).await?;
    Ok(applied.map(|(conversation,)| conversation))
}

/// A report names, through its callback data, a message still waiting for Meta's answer to
/// its send: Meta accepted it, so it takes the real wamid and its send job is done (a retry
/// already queued will not send it again).
async fn adopt_lost_send(tx: &Tx, company_id: i64, placeholder: &str, wamid: &str, now: i64) -> Result<()> {
    let found: Option<(i64,)> = tx
        .optional(
            Query::select()
                .column(Messages::Id)
                .from(Messages::Table)
                .and_where(Expr::col(Messages::CompanyId).eq(company_id))
                .and_where(Expr::col(Messages::Wamid).eq(placeholder)),
        )
        .await?;
    let Some((message_id,)) = found else { return Ok(()) };
    tx.run(
        Query::update()
            .table(Messages::Table)
            .value(Messages::Wamid, wamid)
            .and_where(Expr::col(Messages::Id).eq(message_id)),
    )
    .await?;
    tx.run(
        Query::update()
            .table(Jobs::Table)
            .value(Jobs::State, JobState::Sent.as_str())
            .value(Jobs::LockedUntil, Option::<i64>::None)
            .value(Jobs::UpdatedAt, now)
            .and_where(Expr::col(Jobs::MessageId).eq(message_id))
            .and_where(Expr::col(Jobs::Kind).eq(crate::outbox::KIND))
            .and_where(Expr::col(Jobs::State).eq(JobState::Queued.as_str())),
    )
    .await?;
    Ok(())
}

/// Applies delivery reports that arrived before their message was known (Meta's `sent` can
/// beat the answer to our own send): the highest-ranked recorded report wins.
pub(crate) async fn apply_recorded_statuses(tx: &Tx, company_id: i64, message_id: i64, wamid: &str) -> Result<()> {
    let recorded: Vec<(String, Option<i64>, Option<String>)> = tx
        .all(
            Query::select()
                .columns([MessageStatuses::Status, MessageStatuses::ErrorCode, MessageStatuses::ErrorTitle])
                .from(MessageStatuses::Table)
                .and_where(Expr::col(MessageStatuses::CompanyId).eq(company_id))
                .and_where(Expr::col(MessageStatuses::Wamid).eq(wamid)),
        )
        .await?;
    let Some((status, code, title)) = recorded.into_iter().max_by_key(|(s, _, _)| DeliveryStatus::parse(s).rank())
    else {
        return Ok(());
    };
    let rank = DeliveryStatus::parse(&status).rank();
    if rank == 0 {
        return Ok(());
    }
    tx.run(
        Query::update()
            .table(Messages::Table)
            .value(Messages::Status, status)
            .value(Messages::StatusRank, rank)
            .value(Messages::ErrorCode, code)
            .value(Messages::ErrorTitle, title)
            .and_where(Expr::col(Messages::Id).eq(message_id))
            .and_where(Expr::col(Messages::StatusRank).lt(rank)),
    )
    .await?;
    Ok(())
}
