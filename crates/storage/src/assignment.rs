//! Who answers a conversation and in what state it is (INBOX-5): assign, reassign, unassign,
//! open / snoozed / resolved, "no reply needed", and handing every customer of a leaving
//! staff member to someone else. Every change is audited.

use crate::Db;
use crate::audit::{self, Actor};
use crate::conversations::{self, ConversationRow};
use crate::db::Exec;
use crate::error::Result;
use crate::schema::{Contacts, Conversations, Numbers};
use crate::scope::Scope;
use rapport_domain::status::ConversationStatus;
use sea_query::{Expr, ExprTrait, Query};
use serde_json::json;

/// Makes `staff_id` responsible for a conversation `scope` sees (`None` unassigns); the
/// customer follows (DIST-2), so their next chat on any number goes to the same person.
pub async fn assign(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    conversation_id: i64,
    staff_id: Option<i64>,
) -> Result<ConversationRow> {
    let before = conversations::get(db, scope, conversation_id).await?;
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(Conversations::Table)
            .value(Conversations::ResponsibleStaffId, staff_id)
            .and_where(Expr::col(Conversations::Id).eq(conversation_id)),
    )
    .await?;
    if let Some(contact) = before.contact_id {
        tx.run(
            Query::update()
                .table(Contacts::Table)
                .value(Contacts::ResponsibleStaffId, staff_id)
                .and_where(Expr::col(Contacts::Id).eq(contact)),
        )
        .await?;
    }
    let entry = actor
        .entry("conversation.assign", "conversation", Some(conversation_id))
        .before(&json!({"responsible_staff_id": before.responsible_staff_id}))
        .after(&json!({"responsible_staff_id": staff_id}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    // Read back without the scope: unassigning may take the chat out of the caller's sight.
    conversations::get_unscoped(db, scope.company_id(), conversation_id).await
}

/// A conversation's state: `open`, `snoozed` until a time, or `resolved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Open,
    Snoozed { until: i64 },
    Resolved,
}

/// Sets the state and/or clears the unanswered flag ("no reply needed").
pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    conversation_id: i64,
    state: Option<State>,
    no_reply_needed: bool,
) -> Result<ConversationRow> {
    let before = conversations::get(db, scope, conversation_id).await?;
    let mut q = Query::update();
    q.table(Conversations::Table).and_where(Expr::col(Conversations::Id).eq(conversation_id));
    match state {
        Some(State::Open) => q
            .value(Conversations::Status, ConversationStatus::Open.as_str())
            .value(Conversations::SnoozedUntil, None::<i64>),
        Some(State::Snoozed { until }) => q
            .value(Conversations::Status, ConversationStatus::Snoozed.as_str())
            .value(Conversations::SnoozedUntil, until),
        Some(State::Resolved) => q
            .value(Conversations::Status, ConversationStatus::Resolved.as_str())
            .value(Conversations::SnoozedUntil, None::<i64>),
        None => &mut q,
    };
    if no_reply_needed {
        q.value(Conversations::Unanswered, false);
    }
    if q.get_values().is_empty() {
        return Ok(before);
    }
    let tx = db.begin().await?;
    tx.run(&q).await?;
    let after = conversations::get_in(&tx, scope, conversation_id).await?;
    let entry = actor
        .entry("conversation.update", "conversation", Some(conversation_id))
        .before(
            &json!({"status": before.status, "snoozed_until": before.snoozed_until, "unanswered": before.unanswered}),
        )
        .after(&json!({"status": after.status, "snoozed_until": after.snoozed_until, "unanswered": after.unanswered}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    Ok(after)
}

/// Hands every conversation and customer of `from` to `to` (someone leaves); answers the
/// conversations that moved. The caller has checked that both staff members are in its scope.
pub async fn hand_over(db: &Db, scope: &Scope, actor: &Actor, from: i64, to: i64) -> Result<HandedOver> {
    let tx = db.begin().await?;
    // Only what the caller sees changes hands: their chats (PERM-6) and their customers.
    let in_sight = Query::select()
        .column((Conversations::Table, Conversations::Id))
        .from(Conversations::Table)
        .inner_join(
            Numbers::Table,
            Expr::col((Numbers::Table, Numbers::Id)).equals((Conversations::Table, Conversations::NumberId)),
        )
        .and_where(Expr::col((Conversations::Table, Conversations::ResponsibleStaffId)).eq(from))
        .cond_where(crate::conversations::visible_to(scope))
        .to_owned();
    let ids: Vec<(i64,)> = tx.all(&in_sight).await?;
    let conversations: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
    if !conversations.is_empty() {
        tx.run(
            Query::update()
                .table(Conversations::Table)
                .value(Conversations::ResponsibleStaffId, to)
                .and_where(Expr::col(Conversations::Id).in_subquery(in_sight)),
        )
        .await?;
    }
    let customers = tx
        .run(
            Query::update()
                .table(Contacts::Table)
                .value(Contacts::ResponsibleStaffId, to)
                .and_where(Expr::col((Contacts::Table, Contacts::ResponsibleStaffId)).eq(from))
                .cond_where(crate::contacts::visible_to(scope)),
        )
        .await?;
    let entry = actor
        .entry("staff.hand_over", "staff", Some(from))
        .after(&json!({"to_staff_id": to, "conversations": conversations.len(), "customers": customers}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    Ok(HandedOver { conversations, customers })
}

/// What a hand-over moved: the conversations (to tell their viewers) and how many customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandedOver {
    pub conversations: Vec<i64>,
    pub customers: u64,
}
