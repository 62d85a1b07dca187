//! Inbound media (WA-5): a `fetch_media` job per media message, queued with the message, and
//! the stored file's place once the media worker has downloaded and checked it.

use crate::Db;
use crate::db::Exec;
use crate::error::Result;
use crate::jobs::{self, Job};
use crate::schema::Messages;
use crate::scope::Scope;
use rapport_domain::status::JobState;
use sea_query::{Expr, ExprTrait, Query};

/// The job kind of a media download.
pub const KIND: &str = "fetch_media";

/// Queues the download of a message's media (inside the ingestion transaction).
pub(crate) async fn enqueue_fetch(
    ex: &impl Exec,
    company_id: i64,
    message_id: i64,
    number_id: i64,
    media_id: &str,
    sha256: Option<&str>,
) -> Result<()> {
    let payload = serde_json::json!({"media_id": media_id, "sha256": sha256}).to_string();
    jobs::enqueue(ex, KIND, company_id, message_id, number_id, &payload).await?;
    Ok(())
}

/// The media is in the store at `path` (relative to the media directory).
pub async fn stored(db: &Db, job: &Job, path: &str, size: i64, mime_type: &str) -> Result<()> {
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(Messages::Table)
            .value(Messages::MediaPath, path)
            .value(Messages::MediaSize, size)
            .value(Messages::MediaMimeType, mime_type)
            .value(Messages::MediaError, Option::<String>::None)
            .and_where(Expr::col(Messages::Id).eq(job.message_id)),
    )
    .await?;
    if !jobs::finish(&tx, job, JobState::Done, None).await? {
        return Ok(());
    }
    tx.commit().await
}

/// The media could not be fetched for good; the chat says why.
pub async fn failed(db: &Db, job: &Job, error: &str) -> Result<()> {
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(Messages::Table)
            .value(Messages::MediaError, error)
            .and_where(Expr::col(Messages::Id).eq(job.message_id)),
    )
    .await?;
    if !jobs::finish(&tx, job, JobState::Dead, Some(error.to_string())).await? {
        return Ok(());
    }
    tx.commit().await
}

/// A stored media file of a message `scope` may see.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaFile {
    pub media_path: Option<String>,
    pub media_mime_type: Option<String>,
    pub media_filename: Option<String>,
}

pub async fn file_of(db: &Db, scope: &Scope, message_id: i64) -> Result<MediaFile> {
    let (conversation,): (i64,) = db
        .one(
            Query::select()
                .column(Messages::ConversationId)
                .from(Messages::Table)
                .and_where(Expr::col(Messages::CompanyId).eq(scope.company_id()))
                .and_where(Expr::col(Messages::Id).eq(message_id)),
        )
        .await?;
    crate::conversations::get(db, scope, conversation).await?;
    db.one(
        Query::select()
            .columns([Messages::MediaPath, Messages::MediaMimeType, Messages::MediaFilename])
            .from(Messages::Table)
            .and_where(Expr::col(Messages::Id).eq(message_id)),
    )
    .await
}
