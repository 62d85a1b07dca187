//! The table-backed job queue shared by every background task (sends, media downloads): jobs
//! are claimed with a lease, so several instances can share the queue and a crashed worker's
//! job is picked up again when its lease runs out.

use crate::db::{Backend, Exec};
use crate::error::Result;
use crate::schema::{Jobs, Messages, Numbers};
use crate::{Db, now_ms};
use rapport_domain::status::JobState;
use sea_query::{Alias, Cond, Expr, ExprTrait, JoinType, LockBehavior, LockType, Order, Query, UpdateStatement};

/// A claimed job.
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
fn claim_statement(backend: Backend, kind: &str, now: i64, lease_until: i64) -> UpdateStatement {
    let mut due = Query::select();
    due.column(Jobs::Id)
        .from(Jobs::Table)
        .and_where(Expr::col(Jobs::Kind).eq(kind))
        .cond_where(
            Cond::any()
                .add(Expr::col(Jobs::State).eq(JobState::Queued.as_str()).and(Expr::col(Jobs::NextAttemptAt).lte(now)))
                .add(Expr::col(Jobs::State).eq(JobState::Sending.as_str()).and(Expr::col(Jobs::LockedUntil).lt(now))),
        )
        .order_by(Jobs::Id, Order::Asc)
        .limit(1);
    if kind == crate::outbox::KIND {
        due.and_where(Expr::exists(earlier_send_of_same_chat()).not());
    }
    if backend == Backend::Postgres {
        due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    Query::update()
        .table(Jobs::Table)
        .value(Jobs::State, JobState::Sending.as_str())
        .value(Jobs::LockedUntil, lease_until)
        .value(Jobs::Attempts, Expr::col(Jobs::Attempts).add(1))
        .value(Jobs::UpdatedAt, now)
        .and_where(Expr::col(Jobs::Id).in_subquery(due))
        .returning(Query::returning().columns([
            Jobs::Id,
            Jobs::CompanyId,
            Jobs::MessageId,
            Jobs::NumberId,
            Jobs::PayloadJson,
            Jobs::Attempts,
        ]))
        .to_owned()
}

/// An unfinished send queued before the candidate job (`jobs`) in the same conversation.
/// Workers send in parallel, so without this two messages queued a moment apart (an auto
/// reply's contents, an agent's quick lines) could reach the customer the other way round;
/// with it a chat's sends go one after another, retries included, while chats run side by side.
fn earlier_send_of_same_chat() -> sea_query::SelectStatement {
    let (earlier, theirs, mine) = (Alias::new("earlier"), Alias::new("their_message"), Alias::new("my_message"));
    Query::select()
        .expr(Expr::val(1))
        .from_as(Jobs::Table, earlier.clone())
        .join_as(
            JoinType::InnerJoin,
            Messages::Table,
            theirs.clone(),
            Expr::col((theirs.clone(), Messages::Id)).equals((earlier.clone(), Jobs::MessageId)),
        )
        .join_as(
            JoinType::InnerJoin,
            Messages::Table,
            mine.clone(),
            Expr::col((mine.clone(), Messages::Id)).equals((Jobs::Table, Jobs::MessageId)),
        )
        .and_where(Expr::col((earlier.clone(), Jobs::Kind)).eq(crate::outbox::KIND))
        .and_where(
            Expr::col((earlier.clone(), Jobs::State)).is_in([JobState::Queued.as_str(), JobState::Sending.as_str()]),
        )
        .and_where(Expr::col((earlier.clone(), Jobs::Id)).lt(Expr::col((Jobs::Table, Jobs::Id))))
        .and_where(Expr::col((theirs, Messages::ConversationId)).equals((mine, Messages::ConversationId)))
        .to_owned()
}

/// Takes the oldest due job of `kind` (or one whose worker's lease ran out) for `lease_ms`.
pub async fn claim(db: &Db, kind: &str, lease_ms: i64) -> Result<Option<Job>> {
    let now = now_ms();
    db.optional(&claim_statement(db.backend(), kind, now, now + lease_ms)).await
}

/// The number's Graph API id and sealed token, for calling the Graph API on its behalf.
pub async fn sender(db: &Db, number_id: i64) -> Result<(String, String)> {
    db.one(
        Query::select()
            .columns([Numbers::PhoneNumberId, Numbers::AccessTokenSealed])
            .from(Numbers::Table)
            .and_where(Expr::col(Numbers::Id).eq(number_id)),
    )
    .await
}

/// A temporary failure: try again at `next_attempt_at`.
pub async fn retry_later(db: &Db, job: &Job, next_attempt_at: i64, error: &str) -> Result<()> {
    db.run(
        Query::update()
            .table(Jobs::Table)
            .value(Jobs::State, JobState::Queued.as_str())
            .value(Jobs::NextAttemptAt, next_attempt_at)
            .value(Jobs::LockedUntil, Option::<i64>::None)
            .value(Jobs::LastError, error)
            .value(Jobs::UpdatedAt, now_ms())
            .and_where(Expr::col(Jobs::Id).eq(job.id))
            .cond_where(held(job)),
    )
    .await?;
    Ok(())
}

/// Marks a job finished with `state` (`sent`, `done` ...). Answers false when this worker no
/// longer holds the job (its lease ran out and another claimed it): the caller then changes nothing.
pub(crate) async fn finish(ex: &impl Exec, job: &Job, state: JobState, error: Option<String>) -> Result<bool> {
    let mut q = Query::update();
    q.table(Jobs::Table)
        .value(Jobs::State, state.as_str())
        .value(Jobs::LockedUntil, Option::<i64>::None)
        .value(Jobs::UpdatedAt, now_ms())
        .and_where(Expr::col(Jobs::Id).eq(job.id))
        .cond_where(held(job));
    if let Some(error) = error {
        q.value(Jobs::LastError, error);
    }
    Ok(ex.run(&q).await? > 0)
}

/// Still claimed by this attempt: the attempt count is the fencing token.
fn held(job: &Job) -> Cond {
    Cond::all()
        .add(Expr::col(Jobs::State).eq(JobState::Sending.as_str()))
        .add(Expr::col(Jobs::Attempts).eq(job.attempts))
}

/// Queues a job of `kind` for a message, due now.
pub(crate) async fn enqueue(
    ex: &impl Exec,
    kind: &str,
    company_id: i64,
    message_id: i64,
    number_id: i64,
    payload: &str,
) -> Result<()> {
    let now = now_ms();
    ex.run(
        Query::insert()
            .into_table(Jobs::Table)
            .columns([
                Jobs::Kind,
                Jobs::CompanyId,
                Jobs::MessageId,
                Jobs::NumberId,
                Jobs::PayloadJson,
                Jobs::NextAttemptAt,
                Jobs::CreatedAt,
                Jobs::UpdatedAt,
            ])
            .values_panic([
                kind.into(),
                company_id.into(),
                message_id.into(),
                number_id.into(),
                payload.into(),
                now.into(),
                now.into(),
                now.into(),
            ]),
    )
    .await?;
    Ok(())
}
