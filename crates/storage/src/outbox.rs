//! The durable send queue (WA-3). Queuing a message writes the message (state `queued`) and its
//! job in one transaction; workers claim due jobs with a lease, so several instances can share
//! the queue and a crashed worker's job is picked up again when its lease runs out.

use crate::db::{Backend, Exec};
use crate::error::Result;
use crate::schema::{Conversations, Messages, Numbers, SendJobs};
use crate::{Db, now_ms};
use rand::RngCore;
use sea_query::{Cond, Expr, ExprTrait, LockBehavior, LockType, Order, Query, UpdateStatement};
use serde_json::Value;

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
}

/// Queues a message; answers the message's id. Until Meta assigns one, its wamid is a local
/// placeholder (`local:...`).
pub async fn enqueue(db: &Db, send: NewSend<'_>) -> Result<i64> {
    let now = now_ms();
    let mut token = [0u8; 12];
    rand::rng().fill_bytes(&mut token);
    let placeholder = format!("local:{}", token.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let tx = db.begin().await?;
    let (message_id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(Messages::Table)
                .columns([
                    Messages::CompanyId,
                    Messages::ConversationId,
                    Messages::Wamid,
                    Messages::Direction,
                    Messages::Kind,
                    Messages::Text,
                    Messages::ReplyTo,
                    Messages::Status,
                    Messages::StatusRank,
                    Messages::RawJson,
                    Messages::SentAt,
                    Messages::CreatedAt,
                ])
                .values_panic([
                    send.company_id.into(),
                    send.conversation_id.into(),
                    placeholder.into(),
                    "out".into(),
                    send.kind.into(),
                    send.text.map(String::from).into(),
                    send.reply_to.map(String::from).into(),
                    "queued".into(),
                    0i64.into(),
                    send.payload.to_string().into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(Messages::Id),
        )
        .await?;
    tx.run(
        Query::insert()
            .into_table(SendJobs::Table)
            .columns([
                SendJobs::CompanyId,
                SendJobs::MessageId,
                SendJobs::NumberId,
                SendJobs::PayloadJson,
                SendJobs::NextAttemptAt,
                SendJobs::CreatedAt,
                SendJobs::UpdatedAt,
            ])
            .values_panic([
                send.company_id.into(),
                message_id.into(),
                send.number_id.into(),
                send.payload.to_string().into(),
                now.into(),
                now.into(),
                now.into(),
            ]),
    )
    .await?;
    tx.run(
        Query::update()
            .table(Conversations::Table)
            .value(Conversations::LastMessageAt, now)
            .value(Conversations::LastMessageText, send.text.unwrap_or_default())
            .value(Conversations::Unanswered, false)
            .and_where(Expr::col(Conversations::Id).eq(send.conversation_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(message_id)
}

/// A claimed job, with what sending it needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub company_id: i64,
    pub message_id: i64,
    pub number_id: i64,
    pub payload_json: String,
    /// Including the current one.
    pub attempts: i64,
}

/// The one backend-specific part of the queue: PostgreSQL skips rows other workers hold
/// (`FOR UPDATE SKIP LOCKED`); SQLite serialises writers, so the plain statement is already safe.
fn claim_statement(backend: Backend, now: i64, lease_until: i64) -> UpdateStatement {
    let mut due = Query::select();
    due.column(SendJobs::Id)
        .from(SendJobs::Table)
        .cond_where(
            Cond::any()
                .add(Expr::col(SendJobs::State).eq("queued").and(Expr::col(SendJobs::NextAttemptAt).lte(now)))
                .add(Expr::col(SendJobs::State).eq("sending").and(Expr::col(SendJobs::LockedUntil).lt(now))),
        )
        .order_by(SendJobs::Id, Order::Asc)
        .limit(1);
    if backend == Backend::Postgres {
        due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    Query::update()
        .table(SendJobs::Table)
        .value(SendJobs::State, "sending")
        .value(SendJobs::LockedUntil, lease_until)
        .value(SendJobs::Attempts, Expr::col(SendJobs::Attempts).add(1))
        .value(SendJobs::UpdatedAt, now)
        .and_where(Expr::col(SendJobs::Id).in_subquery(due))
        .returning(Query::returning().columns([
            SendJobs::Id,
            SendJobs::CompanyId,
            SendJobs::MessageId,
            SendJobs::NumberId,
            SendJobs::PayloadJson,
            SendJobs::Attempts,
        ]))
        .to_owned()
}

/// Takes the oldest due job (or one whose worker's lease ran out) for `lease_ms`.
pub async fn claim(db: &Db, lease_ms: i64) -> Result<Option<Job>> {
    let now = now_ms();
    db.optional(&claim_statement(db.backend(), now, now + lease_ms)).await
}

/// The number's Graph API id and sealed token, for sending.
pub async fn sender(db: &Db, number_id: i64) -> Result<(String, String)> {
    db.one(
        Query::select()
            .columns([Numbers::PhoneNumberId, Numbers::AccessTokenSealed])
            .from(Numbers::Table)
            .and_where(Expr::col(Numbers::Id).eq(number_id)),
    )
    .await
}

/// Meta accepted the message: record its wamid; the job is done for good.
pub async fn complete(db: &Db, job: &Job, wamid: &str) -> Result<()> {
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(SendJobs::Table)
            .value(SendJobs::State, "sent")
            .value(SendJobs::LockedUntil, Option::<i64>::None)
            .value(SendJobs::UpdatedAt, now_ms())
            .and_where(Expr::col(SendJobs::Id).eq(job.id)),
    )
    .await?;
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
    tx.commit().await
}

/// A temporary failure: try again at `next_attempt_at`.
pub async fn retry_later(db: &Db, job: &Job, next_attempt_at: i64, error: &str) -> Result<()> {
    db.run(
        Query::update()
            .table(SendJobs::Table)
            .value(SendJobs::State, "queued")
            .value(SendJobs::NextAttemptAt, next_attempt_at)
            .value(SendJobs::LockedUntil, Option::<i64>::None)
            .value(SendJobs::LastError, error)
            .value(SendJobs::UpdatedAt, now_ms())
            .and_where(Expr::col(SendJobs::Id).eq(job.id)),
    )
    .await?;
    Ok(())
}

/// A permanent failure (or too many attempts): dead-letter the job and show the message as
/// failed with Meta's code and words.
pub async fn bury(db: &Db, job: &Job, code: i64, title: &str) -> Result<()> {
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(SendJobs::Table)
            .value(SendJobs::State, "dead")
            .value(SendJobs::LockedUntil, Option::<i64>::None)
            .value(SendJobs::LastError, format!("{code}: {title}"))
            .value(SendJobs::UpdatedAt, now_ms())
            .and_where(Expr::col(SendJobs::Id).eq(job.id)),
    )
    .await?;
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
