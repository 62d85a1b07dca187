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
use rapport_domain::status::Direction;
use sea_query::{Alias, Cond, Expr, ExprTrait, Func, LikeExpr, Order, Query};

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
    #[sqlx(try_from = "String")]
    pub direction: Direction,
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
    let text = filter.q.trim();
    let like = || {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        Func::lower(Expr::col((Messages::Table, Messages::Text))).like(LikeExpr::new(pattern).escape('\\'))
    };
    let indexed = db.backend() == Backend::Sqlite && text.chars().count() >= TRIGRAM;
    if !indexed {
        // PostgreSQL's trigram index serves LIKE itself; on SQLite a query too short for
        // trigrams scans newest first, which stops early for any common word.
        let mut q = hits(Source::Messages, scope, filter, before, limit);
        q.and_where(like());
        return Ok(Page::from_rows(db.all(&q).await?, limit, |h: &Hit| h.message_id));
    }
    // SQLite: the messages stored since the indexer last ran are scanned, the rest found in
    // the FTS5 index walked newest first. The indexer may move between the two queries, so
    // a message can come from both: keep it once.
    let mut tail = hits(Source::Messages, scope, filter, before, limit);
    tail.and_where(like()).and_where(
        Expr::col((Messages::Table, Messages::Id)).gt(Expr::cust("(SELECT indexed_up_to FROM search_watermark)")),
    );
    let mut rows: Vec<Hit> = db.all(&tail).await?;
    if rows.len() as u64 <= limit {
        let mut q = hits(Source::Index, scope, filter, before, limit);
        q.and_where(Expr::cust_with_values("messages_fts MATCH ?", [format!("\"{}\"", text.replace('"', "\"\""))]));
        rows.extend(db.all::<Hit>(&q).await?);
        rows.sort_by_key(|h| std::cmp::Reverse(h.message_id));
        rows.dedup_by_key(|h| h.message_id);
    }
    Ok(Page::from_rows(rows, limit, |h: &Hit| h.message_id))
}

/// Where the candidate messages come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Messages,
    /// SQLite's FTS5 table, walked by rowid (the message id) newest first.
    Index,
}

/// Up to `limit + 1` messages in the viewer's search scope with the filter's conditions, newest
/// first; the caller adds the text condition.
fn hits(
    source: Source,
    scope: &Scope,
    filter: &SearchFilter,
    before: Option<i64>,
    limit: u64,
) -> sea_query::SelectStatement {
    let m = |c: Messages| Expr::col((Messages::Table, c));
    let c = |col: Conversations| Expr::col((Conversations::Table, col));
    let fts = Alias::new("messages_fts");
    let mut q = Query::select();
    q.expr_as(m(Messages::Id), Alias::new("message_id"))
        .expr_as(m(Messages::ConversationId), Alias::new("conversation_id"))
        .expr_as(m(Messages::Text), Alias::new("text"))
        .expr_as(m(Messages::Direction), Alias::new("direction"))
        .expr_as(m(Messages::SentAt), Alias::new("sent_at"))
        .expr_as(c(Conversations::NumberId), Alias::new("number_id"))
        .expr_as(Expr::col((Contacts::Table, Contacts::Name)), Alias::new("contact_name"))
        .expr_as(c(Conversations::GroupName), Alias::new("group_name"))
        .expr_as(c(Conversations::GroupId), Alias::new("group_id"));
    // CROSS JOIN fixes SQLite's join order: messages (or the FTS index, walked by id) on the
    // outside, newest first, so the LIMIT stops the walk early. Left free, SQLite's planner
    // prefers to start from an index on the company or the conversation and sort every match.
    // For PostgreSQL it is an inner join like any other. The company is checked on the
    // conversation (a message's company is its conversation's) so that no index on messages
    // but the primary key is tempting.
    let order_id = match source {
        Source::Messages => {
            q.from(Messages::Table);
            Expr::col((Messages::Table, Messages::Id))
        }
        Source::Index => {
            q.from(fts.clone())
                .cross_join(Messages::Table)
                .and_where(m(Messages::Id).equals((fts.clone(), Alias::new("rowid"))));
            Expr::col((fts.clone(), Alias::new("rowid")))
        }
    };
    q.cross_join(Conversations::Table)
        .cross_join(Numbers::Table)
        .and_where(c(Conversations::Id).equals((Messages::Table, Messages::ConversationId)))
        .and_where(Expr::col((Numbers::Table, Numbers::Id)).equals((Conversations::Table, Conversations::NumberId)))
        .left_join(
            Contacts::Table,
            Expr::col((Contacts::Table, Contacts::Id)).equals((Conversations::Table, Conversations::ContactId)),
        )
        .and_where(c(Conversations::CompanyId).eq(scope.company_id()))
        .and_where(m(Messages::Text).is_not_null())
        .order_by_expr(order_id.clone(), Order::Desc)
        .limit(limit + 1);
    if let Some(before) = before {
        q.and_where(order_id.lt(before));
    }
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
    q
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
