//! Outbound messages (WA-3). Queuing a message writes the message (state `queued`) and its
//! `send` job in one transaction; the send workers take it from the job queue ([`crate::jobs`]).

use crate::db::Exec;
use crate::error::Result;
use crate::inbound::{MessageRow, insert_row};
pub use crate::jobs::Job;
use crate::schema::{Conversations, Messages};
use crate::{Db, now_ms};
use rand::RngCore;
use rapport_domain::Refusal;
use rapport_domain::message::Message;
use rapport_domain::status::Direction;
use rapport_domain::status::JobState;
use sea_query::{Expr, ExprTrait, Query};
use serde_json::Value;

/// The job kind of a send.
pub const KIND: &str = "send";

/// An outbound message to queue.
pub struct NewSend<'a> {
    pub company_id: i64,
    pub conversation_id: i64,
    pub number_id: i64,
    /// Meta's type: `text`, `template` ...
    pub kind: &'a str,
    /// What the chat shows for it.
    pub text: Option<&'a str>,
    pub reply_to: Option<&'a str>,
    /// Meta's request body.
    pub payload: &'a Value,
    /// Who writes it (`None` for automatic messages). A reply to an unclaimed chat offered to
    /// them makes them responsible (first responder, DIST-1).
    pub staff_id: Option<i64>,
    /// A sales rep writes only to their own customers: refuse with `conversation_taken` when,
    /// after the claim, someone else is responsible.
    pub only_if_mine: bool,
    /// Sent by an auto reply rule (AUTO-3): which, and the customer message it answers. An
    /// automatic answer leaves the chat unanswered for the staff.
    pub automatic: Option<Automatic>,
}

#[derive(Debug, Clone, Copy)]
pub struct Automatic {
    /// The rule that answered; `None` for a welcome or away message.
    pub rule_id: Option<i64>,
    pub answers_message_id: i64,
}

/// How a queued message's wamid starts until Meta assigns the real one.
pub const PLACEHOLDER_PREFIX: &str = "local:";

/// Queues a message; answers the message's id. Until Meta assigns one, its wamid is a local
/// placeholder (`local:...`). The placeholder also travels with the send as Meta's
/// `biz_opaque_callback_data`, which Meta repeats in every delivery report: when Meta accepted
/// a send but its answer never reached us, the first report still names our message (see
/// `inbound::adopt_lost_send`) and the retry is called off.
pub async fn enqueue(db: &Db, send: NewSend<'_>) -> Result<i64> {
    let now = now_ms();
    let mut token = [0u8; 12];
    rand::rng().fill_bytes(&mut token);
    let placeholder = format!("{PLACEHOLDER_PREFIX}{}", token.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let mut payload = send.payload.clone();
    if let Some(object) = payload.as_object_mut() {
        object.insert("biz_opaque_callback_data".into(), Value::String(placeholder.clone()));
    }
    let tx = db.begin().await?;
    if let Some(staff_id) = send.staff_id {
        let responsible = crate::distribution::claim_on_reply(&tx, send.conversation_id, staff_id).await?;
        if send.only_if_mine && responsible != Some(staff_id) {
            return Err(crate::StorageError::Refused(Refusal::ConversationTaken));
        }
    }
    let message = Message {
        wamid: placeholder,
        wa_id: None,
        user_id: None,
        group_id: None,
        timestamp: now / 1000,
        kind: send.kind.to_string(),
        text: send.text.map(String::from),
        media: None,
        reply_to: send.reply_to.map(String::from),
        // A reaction names its message in Meta's body; kept so the chat shows it there.
        target: payload["reaction"]["message_id"].as_str().map(String::from),
        raw: payload.clone(),
    };
    let row = MessageRow {
        company_id: send.company_id,
        conversation: send.conversation_id,
        sender: None,
        staff_id: send.staff_id,
        message: &message,
        direction: Direction::Out,
        status: Some("queued"),
        rank: 0,
        sent_at: now,
        now,
    };
    let message_id = insert_row(&tx, row).await?.ok_or(crate::StorageError::Refused(Refusal::DuplicateMessage))?;
    crate::jobs::enqueue(&tx, KIND, send.company_id, message_id, send.number_id, &payload.to_string()).await?;
    let mut touch = Query::update();
    touch
        .table(Conversations::Table)
        .value(Conversations::LastMessageAt, now)
        .value(Conversations::LastMessageText, send.text.unwrap_or_default())
        .and_where(Expr::col(Conversations::Id).eq(send.conversation_id));
    match send.automatic {
        Some(auto) => {
            tx.run(
                Query::update()
                    .table(Messages::Table)
                    .value(Messages::AutoReplyId, auto.rule_id)
                    .value(Messages::AnswersMessageId, auto.answers_message_id)
                    .and_where(Expr::col(Messages::Id).eq(message_id)),
            )
            .await?;
        }
        None => {
            touch.value(Conversations::Unanswered, false);
        }
    }
    tx.run(&touch).await?;
    tx.commit().await?;
    Ok(message_id)
}

/// Meta accepted the message: record its wamid; the job is done for good.
pub async fn complete(db: &Db, job: &Job, wamid: &str) -> Result<()> {
    let tx = db.begin().await?;
    // A delivery report for this wamid may be arriving right now (see `inbound::apply_status`).
    tx.lock_key(&format!("wamid:{}:{wamid}", job.company_id)).await?;
    if !crate::jobs::finish(&tx, job, JobState::Sent, None).await? {
        return Ok(());
    }
    tx.run(
        Query::update()
            .table(Messages::Table)
            .value(Messages::Wamid, wamid)
            .and_where(Expr::col(Messages::Id).eq(job.message_id)),
    )
    .await?;
    tx.run(
        Query::update()
            .table(Messages::Table)
            .value(Messages::Status, "sent")
            .value(Messages::StatusRank, 1)
            .and_where(Expr::col(Messages::Id).eq(job.message_id))
            .and_where(Expr::col(Messages::StatusRank).lt(1)),
    )
    .await?;
    crate::inbound::apply_recorded_statuses(&tx, job.company_id, job.message_id, wamid).await?;
    tx.commit().await
}

/// Has a report already shown that Meta accepted this job's message (its answer was lost)?
/// A retry checks before sending, so it does not send twice.
pub async fn already_accepted(db: &Db, job: &Job) -> Result<bool> {
    let (wamid,): (String,) = db
        .one(
            Query::select()
                .column(Messages::Wamid)
                .from(Messages::Table)
                .and_where(Expr::col(Messages::Id).eq(job.message_id)),
        )
        .await?;
    Ok(!wamid.starts_with(PLACEHOLDER_PREFIX))
}

/// A retry found its message already accepted: the job is done.
pub async fn settle(db: &Db, job: &Job) -> Result<()> {
    crate::jobs::finish(db, job, JobState::Sent, None).await?;
    Ok(())
}

/// A permanent failure (or too many attempts): dead-letter the job and show the message as
/// failed with Meta's code and words.
pub async fn bury(db: &Db, job: &Job, code: i64, title: &str) -> Result<()> {
    let tx = db.begin().await?;
    if !crate::jobs::finish(&tx, job, JobState::Dead, Some(format!("{code}: {title}"))).await? {
        return Ok(());
    }
    tx.run(
        Query::update()
            .table(Messages::Table)
            .value(Messages::Status, "failed")
            .value(Messages::StatusRank, 5)
            .value(Messages::ErrorCode, code)
            .value(Messages::ErrorTitle, title)
            .and_where(Expr::col(Messages::Id).eq(job.message_id)),
    )
    .await?;
    tx.commit().await
}
