//! New-customer distribution (DIST-1, DIST-2): per number, who receives new customers and how;
//! who a new conversation goes to; and the atomic "first reply wins" claim.

use crate::audit::{self, Actor};
use crate::db::{Exec, Tx};
use crate::error::Result;
use crate::schema::{Contacts, Conversations, DistributionStaff, Distributions, Staff};
use crate::scope::Scope;
use crate::{Db, now_ms};
use rapport_domain::distribution::{self, Mode};
use rapport_domain::status::StaffStatus;
use sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use serde::Serialize;

/// A number's distribution settings; a number without any has mode `None` (nobody is offered
/// new customers; whoever sees the chat may answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Distribution {
    pub number_id: i64,
    pub mode: Option<&'static str>,
    pub staff_ids: Vec<i64>,
    /// DIST-3: managers who see the chat are told of every customer message.
    pub notify_managers: bool,
}

/// The settings of a number the viewer sees.
pub async fn get(db: &Db, scope: &Scope, number_id: i64) -> Result<Distribution> {
    crate::numbers::get(db, scope, number_id).await?;
    read(db, number_id).await
}

async fn read(ex: &impl Exec, number_id: i64) -> Result<Distribution> {
    let mode: Option<(String, bool)> = ex
        .optional(
            Query::select()
                .columns([Distributions::Mode, Distributions::NotifyManagers])
                .from(Distributions::Table)
                .and_where(Expr::col(Distributions::NumberId).eq(number_id)),
        )
        .await?;
    let staff: Vec<(i64,)> = ex
        .all(
            Query::select()
                .column(DistributionStaff::StaffId)
                .from(DistributionStaff::Table)
                .and_where(Expr::col(DistributionStaff::NumberId).eq(number_id))
                .order_by(DistributionStaff::Position, Order::Asc),
        )
        .await?;
    Ok(Distribution {
        number_id,
        mode: mode.as_ref().and_then(|(m, _)| Mode::parse(m)).map(Mode::name),
        staff_ids: staff.into_iter().map(|(id,)| id).collect(),
        notify_managers: mode.is_some_and(|(_, notify)| notify),
    })
}

/// The settings of several numbers (for a page listing them).
pub async fn of_numbers(db: &Db, number_ids: &[i64]) -> Result<Vec<Distribution>> {
    let mut all = Vec::with_capacity(number_ids.len());
    for id in number_ids {
        all.push(read(db, *id).await?);
    }
    Ok(all)
}

/// Replaces a number's distribution (the caller has checked the staff are visible), audited.
pub async fn set(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    number_id: i64,
    mode: Mode,
    staff_ids: &[i64],
    notify_managers: bool,
) -> Result<Distribution> {
    crate::numbers::get(db, scope, number_id).await?;
    let tx = db.begin().await?;
    let before = read(&tx, number_id).await?;
    tx.run(
        Query::insert()
            .into_table(Distributions::Table)
            .columns([
                Distributions::NumberId,
                Distributions::CompanyId,
                Distributions::Mode,
                Distributions::NotifyManagers,
                Distributions::UpdatedAt,
            ])
            .values_panic([
                number_id.into(),
                scope.company_id().into(),
                mode.name().into(),
                notify_managers.into(),
                now_ms().into(),
            ])
            .on_conflict(
                OnConflict::column(Distributions::NumberId)
                    .update_columns([Distributions::Mode, Distributions::NotifyManagers, Distributions::UpdatedAt])
                    .to_owned(),
            ),
    )
    .await?;
    tx.run(
        Query::delete()
            .from_table(DistributionStaff::Table)
            .and_where(Expr::col(DistributionStaff::NumberId).eq(number_id)),
    )
    .await?;
    for (position, staff_id) in staff_ids.iter().enumerate() {
        tx.run(
            Query::insert()
                .into_table(DistributionStaff::Table)
                .columns([DistributionStaff::NumberId, DistributionStaff::StaffId, DistributionStaff::Position])
                .values_panic([number_id.into(), (*staff_id).into(), (position as i64).into()]),
        )
        .await?;
    }
    let after = read(&tx, number_id).await?;
    audit::record_in(&tx, actor.entry("number.distribution", "number", Some(number_id)).before(&before).after(&after))
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Who a new direct conversation goes to: the customer's responsible staff member when they
/// have one and are enabled (a returning customer, DIST-2); otherwise, in turn, the next
/// enabled person of the number's list; otherwise nobody (first responder: everyone in the
/// list is offered the chat).
pub(crate) async fn responsible_for_new(tx: &Tx, number_id: i64, contact_id: i64) -> Result<Option<i64>> {
    let returning: Option<(i64,)> = tx
        .optional(
            Query::select()
                .column((Staff::Table, Staff::Id))
                .from(Contacts::Table)
                .inner_join(
                    Staff::Table,
                    Expr::col((Staff::Table, Staff::Id)).equals((Contacts::Table, Contacts::ResponsibleStaffId)),
                )
                .and_where(Expr::col((Contacts::Table, Contacts::Id)).eq(contact_id))
                .and_where(Expr::col((Staff::Table, Staff::Status)).eq(StaffStatus::Enabled.as_str())),
        )
        .await?;
    if let Some((staff_id,)) = returning {
        return Ok(Some(staff_id));
    }
    let settings: Option<(String, i64)> = tx
        .optional(
            Query::select()
                .columns([Distributions::Mode, Distributions::Turn])
                .from(Distributions::Table)
                .and_where(Expr::col(Distributions::NumberId).eq(number_id)),
        )
        .await?;
    let Some((mode, turn)) = settings else { return Ok(None) };
    if Mode::parse(&mode) != Some(Mode::InTurn) {
        return Ok(None);
    }
    let enabled: Vec<(i64,)> = tx
        .all(
            Query::select()
                .column((DistributionStaff::Table, DistributionStaff::StaffId))
                .from(DistributionStaff::Table)
                .inner_join(
                    Staff::Table,
                    Expr::col((Staff::Table, Staff::Id)).equals((DistributionStaff::Table, DistributionStaff::StaffId)),
                )
                .and_where(Expr::col((DistributionStaff::Table, DistributionStaff::NumberId)).eq(number_id))
                .and_where(Expr::col((Staff::Table, Staff::Status)).eq(StaffStatus::Enabled.as_str()))
                .order_by((DistributionStaff::Table, DistributionStaff::Position), Order::Asc),
        )
        .await?;
    let enabled: Vec<i64> = enabled.into_iter().map(|(id,)| id).collect();
    let Some(picked) = distribution::in_turn(turn, &enabled) else { return Ok(None) };
    tx.run(
        Query::update()
            .table(Distributions::Table)
            .value(Distributions::Turn, Expr::col(Distributions::Turn).add(1))
            .and_where(Expr::col(Distributions::NumberId).eq(number_id)),
    )
    .await?;
    remember_responsible(tx, contact_id, picked).await?;
    Ok(Some(picked))
}

/// A correlated subquery: is the conversation's number offering new customers to `staff_id`?
pub(crate) fn offered_to(staff_id: i64) -> sea_query::SelectStatement {
    Query::select()
        .column(DistributionStaff::StaffId)
        .from(DistributionStaff::Table)
        .and_where(
            Expr::col((DistributionStaff::Table, DistributionStaff::NumberId))
                .equals((Conversations::Table, Conversations::NumberId)),
        )
        .and_where(Expr::col((DistributionStaff::Table, DistributionStaff::StaffId)).eq(staff_id))
        .to_owned()
}

/// The customer now belongs to `staff_id` (DIST-2: later chats on other numbers go to them too).
pub(crate) async fn remember_responsible(tx: &Tx, contact_id: i64, staff_id: i64) -> Result<()> {
    tx.run(
        Query::update()
            .table(Contacts::Table)
            .value(Contacts::ResponsibleStaffId, staff_id)
            .and_where(Expr::col(Contacts::Id).eq(contact_id)),
    )
    .await?;
    Ok(())
}

/// Writing first (DIST-4): a chat nobody answers goes to the customer's responsible person,
/// or to the staff member who starts it (who then also becomes the customer's).
pub(crate) async fn take_if_nobodys(tx: &Tx, conversation_id: i64, contact_id: i64, staff_id: i64) -> Result<()> {
    let (customers,): (Option<i64>,) = tx
        .one(
            Query::select()
                .column(Contacts::ResponsibleStaffId)
                .from(Contacts::Table)
                .and_where(Expr::col(Contacts::Id).eq(contact_id)),
        )
        .await?;
    tx.run(
        Query::update()
            .table(Conversations::Table)
            .value(Conversations::ResponsibleStaffId, customers.unwrap_or(staff_id))
            .and_where(Expr::col(Conversations::Id).eq(conversation_id))
            .and_where(Expr::col(Conversations::ResponsibleStaffId).is_null()),
    )
    .await?;
    if customers.is_none() {
        remember_responsible(tx, contact_id, staff_id).await?;
    }
    Ok(())
}

/// First responder: a reply from someone the unclaimed chat is offered to makes them
/// responsible. One conditional update, so under concurrent replies (on any number of
/// instances) exactly one wins. Answers who is responsible afterwards.
pub(crate) async fn claim_on_reply(tx: &Tx, conversation_id: i64, staff_id: i64) -> Result<Option<i64>> {
    let offered = offered_to(staff_id);
    let claimed = tx
        .run(
            Query::update()
                .table(Conversations::Table)
                .value(Conversations::ResponsibleStaffId, staff_id)
                .and_where(Expr::col((Conversations::Table, Conversations::Id)).eq(conversation_id))
                .and_where(Expr::col((Conversations::Table, Conversations::ResponsibleStaffId)).is_null())
                .and_where(Expr::exists(offered)),
        )
        .await?;
    let (responsible, contact): (Option<i64>, Option<i64>) = tx
        .one(
            Query::select()
                .columns([Conversations::ResponsibleStaffId, Conversations::ContactId])
                .from(Conversations::Table)
                .and_where(Expr::col(Conversations::Id).eq(conversation_id)),
        )
        .await?;
    if let (true, Some(contact)) = (claimed > 0, contact) {
        remember_responsible(tx, contact, staff_id).await?;
    }
    Ok(responsible)
}
