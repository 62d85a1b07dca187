//! Merging two contacts that are the same person (CONT-1): the survivor keeps its own data,
//! takes what it lacks from the other (e-mail, address, extended values, WhatsApp ids), and
//! inherits the other's notes and conversations; the other is removed. Two chats on the same
//! number become one, their messages in one history.

use super::{Contact, get};
use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::{Result, StorageError};
use crate::schema::{
    AutoReplyAnswers, ContactNotes, Contacts, Conversations, GreetingAnswers, Messages, Notifications,
};
use crate::scope::Scope;
use crate::{Db, Tx, json, now_ms};
use rapport_domain::Refusal;
use sea_query::{Expr, ExprTrait, Func, Query};
use serde_json::json;

/// Merges `other` into `survivor`; both must be visible to `scope`.
pub async fn merge(db: &Db, scope: &Scope, actor: &Actor, survivor: i64, other: i64) -> Result<Contact> {
    if survivor == other {
        return Err(StorageError::Refused(Refusal::MergeSameContact));
    }
    let keep = get(db, scope, survivor).await?;
    let gone = get(db, scope, other).await?;
    let ids: (Option<String>, Option<String>) = db
        .one(
            Query::select()
                .columns([Contacts::WaId, Contacts::UserId])
                .from(Contacts::Table)
                .and_where(Expr::col(Contacts::Id).eq(other)),
        )
        .await?;
    let tx = db.begin().await?;
    let takes_over_chats = move_conversations(&tx, &keep, &gone).await?;
    tx.run(
        Query::update()
            .table(Messages::Table)
            .value(Messages::SenderContactId, survivor)
            .and_where(Expr::col(Messages::SenderContactId).eq(other)),
    )
    .await?;
    tx.run(
        Query::update()
            .table(ContactNotes::Table)
            .value(ContactNotes::ContactId, survivor)
            .and_where(Expr::col(ContactNotes::ContactId).eq(other)),
    )
    .await?;
    // Cool-downs of automatic answers are the other contact's alone; they go with it.
    tx.run(
        Query::delete().from_table(AutoReplyAnswers::Table).and_where(Expr::col(AutoReplyAnswers::ContactId).eq(other)),
    )
    .await?;
    tx.run(
        Query::delete().from_table(GreetingAnswers::Table).and_where(Expr::col(GreetingAnswers::ContactId).eq(other)),
    )
    .await?;
    tx.run(Query::delete().from_table(Contacts::Table).and_where(Expr::col(Contacts::Id).eq(other))).await?;
    fill_gaps(&tx, db.backend(), &keep, &gone, ids, takes_over_chats).await?;
    let entry = actor
        .entry("contact.merge", "contact", Some(survivor))
        .before(&json!({"merged_contact": gone}))
        .after(&json!({"survivor_id": survivor}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    get(db, scope, survivor).await
}

/// The survivor's empty details and missing extended values, from the other contact. When the
/// survivor takes over the other's chats (having none of its own), it also takes the WhatsApp
/// id they are kept by, so the customer's next message finds it.
async fn fill_gaps(
    tx: &Tx,
    backend: crate::Backend,
    keep: &Contact,
    gone: &Contact,
    (wa_id, user_id): (Option<String>, Option<String>),
    takes_over_chats: bool,
) -> Result<()> {
    let mut fields = keep.fields.clone();
    for (key, value) in &gone.fields {
        fields.entry(key.clone()).or_insert_with(|| value.clone());
    }
    let pick = |mine: &str, theirs: &str| if mine.is_empty() { theirs.to_string() } else { mine.to_string() };
    let (phone, email) = (pick(&keep.phone, &gone.phone), pick(&keep.email, &gone.email));
    let mut q = Query::update();
    q.table(Contacts::Table)
        .value(Contacts::Phone, phone.clone())
        .value(Contacts::Email, email.clone())
        .value(Contacts::Address, pick(&keep.address, &gone.address))
        .value(Contacts::Fields, json::object(backend, &fields))
        .value(Contacts::Search, super::search_text(&keep.name, &phone, &email))
        .value(Contacts::UpdatedAt, now_ms())
        .and_where(Expr::col(Contacts::Id).eq(keep.id));
    if (keep.wa_id.is_none() || takes_over_chats) && wa_id.is_some() {
        q.value(Contacts::WaId, wa_id);
    }
    if user_id.is_some() {
        q.value(Contacts::UserId, Func::coalesce([Expr::col(Contacts::UserId), Expr::val(user_id)]));
    }
    tx.run(&q).await?;
    Ok(())
}

/// Hands the other contact's chats to the survivor; where both chat on one number the
/// messages join the survivor's chat and the other chat goes. Answers whether the survivor
/// had no chat of its own and now has the other's.
async fn move_conversations(tx: &Tx, keep: &Contact, gone: &Contact) -> Result<bool> {
    let chats = |contact: i64| {
        Query::select()
            .columns([Conversations::Id, Conversations::NumberId])
            .from(Conversations::Table)
            .and_where(Expr::col(Conversations::ContactId).eq(contact))
            .to_owned()
    };
    let mine: Vec<(i64, i64)> = tx.all(&chats(keep.id)).await?;
    let theirs: Vec<(i64, i64)> = tx.all(&chats(gone.id)).await?;
    let takes_over = mine.is_empty() && !theirs.is_empty();
    for (their_chat, number_id) in theirs {
        match mine.iter().find(|(_, n)| *n == number_id) {
            None => {
                tx.run(
                    Query::update()
                        .table(Conversations::Table)
                        .value(Conversations::ContactId, keep.id)
                        .and_where(Expr::col(Conversations::Id).eq(their_chat)),
                )
                .await?;
            }
            Some((my_chat, _)) => join_chats(tx, *my_chat, their_chat).await?,
        }
    }
    Ok(takes_over)
}

async fn join_chats(tx: &Tx, keep: i64, gone: i64) -> Result<()> {
    tx.run(
        Query::update()
            .table(Messages::Table)
            .value(Messages::ConversationId, keep)
            .and_where(Expr::col(Messages::ConversationId).eq(gone)),
    )
    .await?;
    tx.run(
        Query::delete().from_table(Notifications::Table).and_where(Expr::col(Notifications::ConversationId).eq(gone)),
    )
    .await?;
    let latest = |column: Conversations| {
        Query::select()
            .expr(Func::max(Expr::col(column)))
            .from(Conversations::Table)
            .and_where(Expr::col(Conversations::Id).is_in([keep, gone]))
            .to_owned()
    };
    let (last_message_at,): (Option<i64>,) = tx.one(&latest(Conversations::LastMessageAt)).await?;
    let (last_inbound_at,): (Option<i64>,) = tx.one(&latest(Conversations::LastInboundAt)).await?;
    let (text,): (String,) = tx
        .one(
            Query::select()
                .column(Conversations::LastMessageText)
                .from(Conversations::Table)
                .and_where(Expr::col(Conversations::Id).is_in([keep, gone]))
                .order_by_expr(
                    Func::coalesce([Expr::col(Conversations::LastMessageAt), Expr::val(0)]).into(),
                    sea_query::Order::Desc,
                )
                .limit(1),
        )
        .await?;
    tx.run(Query::delete().from_table(Conversations::Table).and_where(Expr::col(Conversations::Id).eq(gone))).await?;
    tx.run(
        Query::update()
            .table(Conversations::Table)
            .value(Conversations::LastMessageAt, last_message_at)
            .value(Conversations::LastInboundAt, last_inbound_at)
            .value(Conversations::LastMessageText, text)
            .and_where(Expr::col(Conversations::Id).eq(keep)),
    )
    .await?;
    Ok(())
}
