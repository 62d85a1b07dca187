//! Writing to a customer first (DIST-4). A staff member who can write from several numbers
//! has one they write first from; starting a chat finds or opens the conversation with the
//! customer on that number (or another they choose) and makes them responsible when nobody is.

use crate::Db;
use crate::audit::{self, Actor};
use crate::conversations::{self, ConversationRow};
use crate::db::Exec;
use crate::error::{Result, StorageError};
use crate::inbound::{NewContact, Target, find_or_create_conversation, insert_contact};
use crate::schema::{Contacts, DistributionStaff, Numbers, Staff};
use crate::scope::Scope;
use crate::staff::StaffMember;
use rapport_domain::Refusal;
use rapport_domain::status::NumberStatus;
use rapport_domain::sync::SyncFilter;
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use serde_json::json;

/// A number someone may write first from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChatNumber {
    pub id: i64,
    pub department_id: i64,
    pub display_phone_number: String,
    pub verified_name: String,
}

/// Connected numbers the staff member of `scope` writes from: those they own, those whose
/// department is in their chat reach, and those that offer them new customers.
fn usable_by(scope: &Scope) -> Cond {
    let me = scope.viewer.staff_id;
    let offers_me = Query::select()
        .expr(Expr::val(1))
        .from(DistributionStaff::Table)
        .and_where(
            Expr::col((DistributionStaff::Table, DistributionStaff::NumberId)).equals((Numbers::Table, Numbers::Id)),
        )
        .and_where(Expr::col((DistributionStaff::Table, DistributionStaff::StaffId)).eq(me))
        .to_owned();
    Cond::all()
        .add(Expr::col((Numbers::Table, Numbers::CompanyId)).eq(scope.company_id()))
        .add(Expr::col((Numbers::Table, Numbers::Status)).eq(NumberStatus::Connected.as_str()))
        .add(
            Cond::any()
                .add(Expr::col((Numbers::Table, Numbers::OwnerStaffId)).eq(me))
                .add(scope.covers(scope.viewer.chat_reach(), (Numbers::Table, Numbers::DepartmentId)))
                .add(Expr::exists(offers_me)),
        )
}

fn select_numbers() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            (Numbers::Table, Numbers::Id),
            (Numbers::Table, Numbers::DepartmentId),
            (Numbers::Table, Numbers::DisplayPhoneNumber),
            (Numbers::Table, Numbers::VerifiedName),
        ])
        .from(Numbers::Table)
        .order_by((Numbers::Table, Numbers::Id), Order::Asc)
        .to_owned()
}

/// The numbers `scope`'s staff member may write first from.
pub async fn numbers(db: &Db, scope: &Scope) -> Result<Vec<ChatNumber>> {
    let mut q = select_numbers();
    q.cond_where(usable_by(scope));
    db.all(&q).await
}

/// [`numbers`], each with whether it is the one the viewer writes first from (DIST-4).
pub async fn choices(db: &Db, scope: &Scope) -> Result<Vec<(ChatNumber, bool)>> {
    let me = crate::staff::get_unscoped(db, scope.company_id(), scope.viewer.staff_id).await?;
    let numbers = numbers(db, scope).await?;
    Ok(numbers
        .into_iter()
        .map(|n| {
            let first = me.first_number_id == Some(n.id);
            (n, first)
        })
        .collect())
}

/// Sets (or with `None` clears) the number a staff member `scope` sees writes first from. The
/// number must be one of the company's connected numbers.
pub async fn set(db: &Db, scope: &Scope, actor: &Actor, staff_id: i64, number_id: Option<i64>) -> Result<StaffMember> {
    let before = crate::staff::get(db, scope, staff_id).await?;
    if let Some(number_id) = number_id {
        let mut q = select_numbers();
        q.and_where(Expr::col((Numbers::Table, Numbers::CompanyId)).eq(scope.company_id()))
            .and_where(Expr::col((Numbers::Table, Numbers::Status)).eq(NumberStatus::Connected.as_str()))
            .and_where(Expr::col((Numbers::Table, Numbers::Id)).eq(number_id));
        if db.optional::<ChatNumber>(&q).await?.is_none() {
            return Err(StorageError::Refused(Refusal::NumberNotFound));
        }
    }
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(Staff::Table)
            .value(Staff::FirstNumberId, number_id)
            .and_where(Expr::col(Staff::Id).eq(staff_id)),
    )
    .await?;
    let entry = actor
        .entry("staff.first_number", "staff", Some(staff_id))
        .before(&json!({"first_number_id": before.first_number_id}))
        .after(&json!({"first_number_id": number_id}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    crate::staff::get(db, scope, staff_id).await
}

/// Who to write to: a WhatsApp id (international digits) and, for a new contact, a name.
pub struct Recipient<'a> {
    pub wa_id: &'a str,
    pub name: Option<&'a str>,
}

/// Finds or opens the conversation with `recipient` on `number_id`, or when `None` on the
/// caller's first number (or their only number). The caller becomes responsible for it, and
/// for the customer, when nobody is. Answers the conversation and whether it is new.
pub async fn start(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    number_id: Option<i64>,
    recipient: Recipient<'_>,
) -> Result<(ConversationRow, bool)> {
    let usable = numbers(db, scope).await?;
    let number = match number_id {
        Some(id) => usable.iter().find(|n| n.id == id).ok_or(StorageError::Refused(Refusal::NumberNotUsable))?,
        None => {
            let me = crate::staff::get_unscoped(db, scope.company_id(), scope.viewer.staff_id).await?;
            match me.first_number_id.and_then(|first| usable.iter().find(|n| n.id == first)) {
                Some(first) => first,
                None if usable.len() == 1 => &usable[0],
                None => return Err(StorageError::Refused(Refusal::NumberRequired)),
            }
        }
    };
    let me = scope.viewer.staff_id;
    let now = crate::now_ms();
    let tx = db.begin().await?;
    let existing: Option<(i64,)> = tx
        .optional(
            Query::select()
                .column(Contacts::Id)
                .from(Contacts::Table)
                .and_where(Expr::col(Contacts::CompanyId).eq(scope.company_id()))
                .and_where(Expr::col(Contacts::WaId).eq(recipient.wa_id))
                .limit(1),
        )
        .await?;
    let contact = match existing {
        Some((id,)) => id,
        None => {
            let phone = format!("+{}", recipient.wa_id);
            let name = recipient.name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&phone).to_string();
            let contact = NewContact {
                company_id: scope.company_id(),
                department_id: number.department_id,
                name: &name,
                phone: &phone,
                wa_id: Some(recipient.wa_id),
                user_id: None,
                source: "system",
                responsible_staff_id: Some(me),
            };
            insert_contact(&tx, &contact, now).await?
        }
    };
    let target = Target {
        number_id: number.id,
        company_id: scope.company_id(),
        department_id: number.department_id,
        sync: SyncFilter::All,
    };
    let (conversation, created) =
        find_or_create_conversation(&tx, &target, (crate::schema::Conversations::ContactId, contact.into()), now)
            .await?;
    crate::distribution::take_if_nobodys(&tx, conversation, contact, me).await?;
    // A sales rep cannot open a colleague's customer; nothing is kept then.
    let row = match conversations::get_in(&tx, scope, conversation).await {
        Err(StorageError::NotFound) => return Err(StorageError::Refused(Refusal::ConversationTaken)),
        found => found?,
    };
    let entry = actor
        .entry("conversation.start", "conversation", Some(conversation))
        .after(&json!({"number_id": number.id, "contact_id": contact, "new": created}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    Ok((row, created))
}
