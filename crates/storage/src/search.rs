//! Chat history search (INBOX-4): full text over the messages of the conversations a viewer
//! may search, any language. The text condition is the one backend-specific part: SQLite asks
//! its trigram FTS5 index, PostgreSQL a trigram (pg_trgm) index over `lower(text)`; both match
//! any substring, so scripts without spaces between words (Chinese) are found too.
//!
//! PostgreSQL maintains its index itself. SQLite's is filled by [`index_pending`] in batches
//! just after messages are stored (off the webhook's write path); until then the few newest
//! messages are matched by scanning them, so a search never misses a stored message.

use crate::db::{Backend, Exec};
use crate::error::Result;
use crate::schema::{Contacts, Conversations, Messages, Numbers};
use crate::scope::{Scope, escape_like};
use crate::{Db, Page};
use sea_query::{Alias, Cond, Expr, ExprTrait, Func, LikeExpr, Order, Query, SimpleExpr};

/// Trigram indexes cannot help below three characters; shorter queries scan.
const TRIGRAM: usize = 3;
/// Messages indexed per SQLite transaction.
const INDEX_BATCH: u64 = 5000;

#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub q: String,
    /// Conversations this staff member is responsible for.
    pub staff_id: Option<i64>,
    pub number_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// Sent at or after / before these times (ms).
    pub from_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// With `func.chat_history`: every conversation in the viewer's chat scope; without, only
    /// the viewer's own (numbers they own, customers they are responsible for).
    pub subordinates: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hit {
    pub message_id: i64,
    pub conversation_id: i64,
    pub text: String,
    pub direction: String,
    pub sent_at: i64,
    pub number_id: i64,
    pub contact_name: Option<String>,
    pub group_name: Option<String>,
    pub group_id: Option<String>,
}

/// Matching messages, newest first, paged by message id.
pub async fn messages(
    db: &Db,
    scope: &Scope,
    filter: &SearchFilter,
    before: Option<i64>,
    limit: u64,
) -> Result<Page<Hit>> {
    let m = |c: Messages| Expr::col((Messages::Table, c));
    let c = |col: Conversations| Expr::col((Conversations::Table, col));
    let mut q = Query::select();
    q.expr_as(m(Messages::Id), Alias::new("message_id"))
        .expr_as(m(Messages::ConversationId), Alias::new("conversation_id"))
        .expr_as(m(Messages::Text), Alias::new("text"))
        .expr_as(m(Messages::Direction), Alias::new("direction"))
        .expr_as(m(Messages::SentAt), Alias::new("sent_at"))
        .expr_as(c(Conversations::NumberId), Alias::new("number_id"))
        .expr_as(Expr::col((Contacts::Table, Contacts::Name)), Alias::new("contact_name"))
        .expr_as(c(Conversations::GroupName), Alias::new("group_name"))
        .expr_as(c(Conversations::GroupId), Alias::new("group_id"))
        .from(Messages::Table)
        .inner_join(Conversations::Table, c(Conversations::Id).equals((Messages::Table, Messages::ConversationId)))
        .inner_join(
            Numbers::Table,
            Expr::col((Numbers::Table, Numbers::Id)).equals((Conversations::Table, Conversations::NumberId)),
        )
        .left_join(
            Contacts::Table,
            Expr::col((Contacts::Table, Contacts::Id)).equals((Conversations::Table, Conversations::ContactId)),
        )
        .and_where(m(Messages::CompanyId).eq(scope.company_id()))
        .and_where(m(Messages::Text).is_not_null())
        .and_where(text_matches(db.backend(), filter.q.trim()))
        .order_by((Messages::Table, Messages::Id), Order::Desc)
        .limit(limit + 1);
    if filter.subordinates {
        q.cond_where(crate::conversations::visible_to(scope));
    } else {
        let me = scope.viewer.staff_id;
        q.cond_where(
            Cond::any()
                .add(Expr::col((Numbers::Table, Numbers::OwnerStaffId)).eq(me))
                .add(c(Conversations::ResponsibleStaffId).eq(me)),
        );
    }
    if let Some(before) = before {
        q.and_where(m(Messages::Id).lt(before));
    }
    if let Some(staff_id) = filter.staff_id {
        q.and_where(c(Conversations::ResponsibleStaffId).eq(staff_id));
    }
    if let Some(number_id) = filter.number_id {
        q.and_where(c(Conversations::NumberId).eq(number_id));
    }
    if let Some(contact_id) = filter.contact_id {
        q.cond_where(
            Cond::any()
                .add(c(Conversations::ContactId).eq(contact_id))
                .add(m(Messages::SenderContactId).eq(contact_id)),
        );
    }
    if let Some(from) = filter.from_ms {
        q.and_where(m(Messages::SentAt).gte(from));
    }
    if let Some(until) = filter.until_ms {
        q.and_where(m(Messages::SentAt).lt(until));
    }
    Ok(Page::from_rows(db.all(&q).await?, limit, |h: &Hit| h.message_id))
}

/// The backend-specific text condition.
fn text_matches(backend: Backend, text: &str) -> SimpleExpr {
    let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
    match backend {
        Backend::Sqlite => {
            // FTS5 with the trigram tokenizer: a quoted phrase for the index, LIKE (which
            // FTS5 also answers, by scanning) when the text is too short for trigrams.
            let (condition, value) = if text.chars().count() >= TRIGRAM {
                ("messages_fts MATCH ?", format!("\"{}\"", text.replace('"', "\"\"")))
            } else {
                ("text LIKE ? ESCAPE '\\'", pattern.clone())
            };
            let indexed = Expr::col((Messages::Table, Messages::Id)).in_subquery(
                Query::select()
                    .expr(Expr::cust("rowid"))
                    .from(Alias::new("messages_fts"))
                    .and_where(Expr::cust_with_values(condition, [value]))
                    .to_owned(),
            );
            // Messages stored since the indexer last ran.
            let not_yet_indexed = Expr::col((Messages::Table, Messages::Id))
                .gt(Expr::cust("(SELECT indexed_up_to FROM search_watermark)"))
                .and(
                    Func::lower(Expr::col((Messages::Table, Messages::Text))).like(LikeExpr::new(pattern).escape('\\')),
                );
            indexed.or(not_yet_indexed)
        }
        Backend::Postgres => {
            Func::lower(Expr::col((Messages::Table, Messages::Text))).like(LikeExpr::new(pattern).escape('\\'))
        }
    }
}

/// SQLite: adds the messages stored since the last run to the search index, one batch per
/// transaction; answers how many it took (PostgreSQL indexes as it writes: always 0).
pub async fn index_pending(db: &Db) -> Result<u64> {
    if db.backend() != Backend::Sqlite {
        return Ok(0);
    }
    let tx = db.begin().await?;
    let (from,): (i64,) =
        tx.one(Query::select().expr(Expr::cust("indexed_up_to")).from(Alias::new("search_watermark"))).await?;
    let batch = Query::select()
        .column(Messages::Id)
        .from(Messages::Table)
        .and_where(Expr::col(Messages::Id).gt(from))
        .order_by(Messages::Id, Order::Asc)
        .limit(INDEX_BATCH)
        .to_owned();
    let (count, last): (i64, Option<i64>) = tx
        .one(
            Query::select()
                .expr(Expr::col(Alias::new("id")).count())
                .expr(Expr::col(Alias::new("id")).max())
                .from_subquery(batch, Alias::new("batch")),
        )
        .await?;
    let Some(last) = last else { return Ok(0) };
    tx.run(
        Query::insert()
            .into_table(Alias::new("messages_fts"))
            .columns([Alias::new("rowid"), Alias::new("text")])
            .select_from(
                Query::select()
                    .columns([Messages::Id, Messages::Text])
                    .from(Messages::Table)
                    .and_where(Expr::col(Messages::Id).gt(from))
                    .and_where(Expr::col(Messages::Id).lte(last))
                    .and_where(Expr::col(Messages::Text).is_not_null())
                    .to_owned(),
            )
            // Only fails when the column counts differ, which they do not.
            .map_err(|e| crate::StorageError::Database(sqlx::Error::Protocol(e.to_string())))?,
    )
    .await?;
    tx.run(Query::update().table(Alias::new("search_watermark")).value(Alias::new("indexed_up_to"), last)).await?;
    tx.commit().await?;
    Ok(count as u64)
}
