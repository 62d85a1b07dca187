//! Customers (CONT-1, CONT-6): create, edit, soft-delete and restore, refusing a second contact
//! with the same phone or WhatsApp id. A contact is visible to the staff member responsible for
//! it and to anyone whose chat reach (`dept.chats`, `subdept.chats`) covers the contact's
//! department or the responsible staff member's department.

mod filter;
mod list;
mod merge;

pub use list::{ContactPage, Cursor, ListQuery, Sort, list};
pub use merge::merge;

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::{Result, StorageError};
use crate::schema::{Contacts, Conversations, Departments, Staff};
use crate::scope::Scope;
use crate::{Db, Tx, json, now_ms};
use rapport_domain::Refusal;
use sea_query::{Alias, Cond, Expr, ExprTrait, JoinType, Query, SelectStatement};
use serde_json::{Map, Value, json};

/// A contact as the API and pages show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    /// E.164, or empty for a contact known only by a business-scoped id.
    pub phone: String,
    /// The phone as it was typed.
    pub phone_typed: String,
    pub wa_id: Option<String>,
    pub department_id: i64,
    pub responsible_staff_id: Option<i64>,
    pub responsible_name: Option<String>,
    pub email: String,
    pub address: String,
    pub source: String,
    /// Extended field values by key (all of them; callers hide the fields a viewer may not see).
    pub fields: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: Option<i64>,
    pub deleted_at: Option<i64>,
}

/// A contact as a query reads it, with the columns in [`select_keyed`]'s order (a SQLite list
/// page reads them as JSON arrays, in that order: see `list::page_rows`).
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct ContactRow {
    id: i64,
    name: String,
    phone: String,
    phone_typed: String,
    wa_id: Option<String>,
    department_id: i64,
    responsible_staff_id: Option<i64>,
    responsible_name: Option<String>,
    email: String,
    address: String,
    source: String,
    fields: String,
    created_at: i64,
    updated_at: Option<i64>,
    deleted_at: Option<i64>,
    /// The sort key of a list page, as text (for the next page's cursor).
    sort_key: Option<String>,
}

impl ContactRow {
    fn into_contact(self) -> (Contact, Option<String>) {
        let contact = Contact {
            id: self.id,
            name: self.name,
            phone: self.phone,
            phone_typed: self.phone_typed,
            wa_id: self.wa_id,
            department_id: self.department_id,
            responsible_staff_id: self.responsible_staff_id,
            responsible_name: self.responsible_name,
            email: self.email,
            address: self.address,
            source: self.source,
            fields: serde_json::from_str(&self.fields).unwrap_or_default(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        };
        (contact, self.sort_key)
    }
}

fn responsible() -> Alias {
    Alias::new("responsible")
}

/// Every column of a contact, with its responsible staff member's name.
pub(crate) fn select() -> SelectStatement {
    select_keyed(Expr::val(Option::<String>::None))
}

/// [`select`] with a list's sort key as text in `sort_key`.
pub(crate) fn select_keyed(sort_key: sea_query::SimpleExpr) -> SelectStatement {
    Query::select()
        .columns([
            (Contacts::Table, Contacts::Id),
            (Contacts::Table, Contacts::Name),
            (Contacts::Table, Contacts::Phone),
            (Contacts::Table, Contacts::PhoneTyped),
            (Contacts::Table, Contacts::WaId),
            (Contacts::Table, Contacts::DepartmentId),
            (Contacts::Table, Contacts::ResponsibleStaffId),
        ])
        .expr_as(Expr::col((responsible(), Staff::Name)), Alias::new("responsible_name"))
        .columns([
            (Contacts::Table, Contacts::Email),
            (Contacts::Table, Contacts::Address),
            (Contacts::Table, Contacts::Source),
        ])
        .expr_as(json::object_text(), Alias::new("fields"))
        .columns([
            (Contacts::Table, Contacts::CreatedAt),
            (Contacts::Table, Contacts::UpdatedAt),
            (Contacts::Table, Contacts::DeletedAt),
        ])
        .expr_as(sort_key, Alias::new("sort_key"))
        .from(Contacts::Table)
        .join_as(
            JoinType::LeftJoin,
            Staff::Table,
            responsible(),
            Expr::col((responsible(), Staff::Id)).equals((Contacts::Table, Contacts::ResponsibleStaffId)),
        )
        .to_owned()
}

/// PERM-6 for contacts: the company's contacts the viewer is responsible for, or whose
/// department, or whose responsible staff member's department, the viewer's chat reach covers.
/// A sales rep (PERM-5) sees, whatever their reach, only the customers they are responsible
/// for, and unclaimed ones whose unclaimed chat is offered to them (as the chat list shows).
pub(crate) fn visible_to(scope: &Scope) -> Cond {
    visible_parts(scope).into_iter().fold(Cond::any(), Cond::add)
}

/// [`visible_to`] as disjoint parts, each of which an index can read in id order on its own:
/// a list query reads each part newest first and merges them, where one `OR` would make the
/// database read every candidate row (a sales rep's list over a million contacts).
pub(crate) fn visible_parts(scope: &Scope) -> Vec<Cond> {
    let company = Expr::col((Contacts::Table, Contacts::CompanyId)).eq(scope.company_id());
    let mine = Expr::col((Contacts::Table, Contacts::ResponsibleStaffId)).eq(scope.viewer.staff_id);
    if scope.role.is_some_and(|r| !r.sees_whole_scope()) {
        let offered_chat = Query::select()
            .expr(Expr::val(1))
            .from(Conversations::Table)
            .and_where(
                Expr::col((Conversations::Table, Conversations::ContactId)).equals((Contacts::Table, Contacts::Id)),
            )
            .and_where(Expr::col((Conversations::Table, Conversations::ResponsibleStaffId)).is_null())
            .and_where(Expr::exists(crate::distribution::offered_to(scope.viewer.staff_id)))
            .to_owned();
        let unclaimed = Cond::all()
            .add(company.clone())
            .add(Expr::col((Contacts::Table, Contacts::ResponsibleStaffId)).is_null())
            .add(Expr::exists(offered_chat));
        return vec![Cond::all().add(company).add(mine), unclaimed];
    }
    let reach = scope.viewer.chat_reach();
    let colleagues_in_reach = Query::select()
        .column((Staff::Table, Staff::Id))
        .from(Staff::Table)
        .and_where(Expr::col((Staff::Table, Staff::CompanyId)).eq(scope.company_id()))
        .cond_where(scope.covers(reach, (Staff::Table, Staff::DepartmentId)))
        .to_owned();
    vec![
        Cond::all().add(company).add(
            Cond::any()
                .add(mine)
                .add(scope.covers(reach, (Contacts::Table, Contacts::DepartmentId)))
                .add(Expr::col((Contacts::Table, Contacts::ResponsibleStaffId)).in_subquery(colleagues_in_reach)),
        ),
    ]
}

/// A visible, not deleted contact.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Contact> {
    fetch(db, scope, id, false).await
}

/// A visible contact, deleted or not (for restoring).
pub async fn get_including_deleted(db: &Db, scope: &Scope, id: i64) -> Result<Contact> {
    fetch(db, scope, id, true).await
}

async fn fetch(ex: &impl Exec, scope: &Scope, id: i64, include_deleted: bool) -> Result<Contact> {
    let mut q = select();
    q.cond_where(visible_to(scope)).and_where(Expr::col((Contacts::Table, Contacts::Id)).eq(id));
    if !include_deleted {
        q.and_where(Expr::col((Contacts::Table, Contacts::DeletedAt)).is_null());
    }
    Ok(ex.one::<ContactRow>(&q).await?.into_contact().0)
}

/// A contact's data, validated by the caller: phone in E.164, extended values in canonical form.
#[derive(Debug, Clone)]
pub struct ContactInput {
    pub name: String,
    pub phone: String,
    pub phone_typed: String,
    pub department_id: i64,
    pub responsible_staff_id: Option<i64>,
    pub email: String,
    pub address: String,
    pub source: String,
    pub fields: Map<String, Value>,
}

impl ContactInput {
    fn audit(&self) -> Value {
        json!({
            "name": self.name, "phone": self.phone, "department_id": self.department_id,
            "responsible_staff_id": self.responsible_staff_id, "email": self.email,
            "address": self.address, "source": self.source, "fields": self.fields,
        })
    }
}

/// What the quick search looks in: the name and e-mail in lower case (Unicode-aware, which
/// SQLite's `lower()` is not) and the phone's digits.
pub(crate) fn search_text(name: &str, phone: &str, email: &str) -> String {
    format!("{} {} {}", name.to_lowercase(), rapport_domain::phone::wa_id(phone), email.to_lowercase())
}

/// The department and responsible staff member must be the company's.
async fn check_placement(ex: &impl Exec, company_id: i64, input: &ContactInput) -> Result<()> {
    let department = Query::select()
        .column(Departments::Id)
        .from(Departments::Table)
        .and_where(Expr::col(Departments::CompanyId).eq(company_id))
        .and_where(Expr::col(Departments::Id).eq(input.department_id))
        .to_owned();
    if ex.optional::<(i64,)>(&department).await?.is_none() {
        return Err(StorageError::Refused(Refusal::DepartmentNotFound));
    }
    if let Some(staff_id) = input.responsible_staff_id {
        let staff = Query::select()
            .column(Staff::Id)
            .from(Staff::Table)
            .and_where(Expr::col(Staff::CompanyId).eq(company_id))
            .and_where(Expr::col(Staff::Id).eq(staff_id))
            .to_owned();
        if ex.optional::<(i64,)>(&staff).await?.is_none() {
            return Err(StorageError::Refused(Refusal::ResponsibleNotFound));
        }
    }
    Ok(())
}

/// Another contact of the company (deleted ones too) with this phone or WhatsApp id.
pub(crate) async fn duplicate_of(
    ex: &impl Exec,
    company_id: i64,
    phone: &str,
    except: Option<i64>,
) -> Result<Option<i64>> {
    if phone.is_empty() {
        return Ok(None);
    }
    // Two lookups, each on its unique index: as one `phone = ? OR wa_id = ?`, SQLite without
    // statistics reads every contact of the company. The partial index `contacts_phone` serves
    // only a query that says `phone <> ''` literally.
    let lookup = |column: Contacts, value: String, phone_index: bool| {
        let mut q = Query::select();
        q.column(Contacts::Id)
            .from(Contacts::Table)
            .and_where(Expr::col(Contacts::CompanyId).eq(company_id))
            .and_where(Expr::col(column).eq(value))
            .limit(1);
        if phone_index {
            q.and_where(Expr::col(Contacts::Phone).ne(Expr::cust("''")));
        }
        if let Some(id) = except {
            q.and_where(Expr::col(Contacts::Id).ne(id));
        }
        q
    };
    if let Some((id,)) = ex.optional::<(i64,)>(&lookup(Contacts::Phone, phone.to_string(), true)).await? {
        return Ok(Some(id));
    }
    let by_wa_id = lookup(Contacts::WaId, rapport_domain::phone::wa_id(phone), false);
    Ok(ex.optional::<(i64,)>(&by_wa_id).await?.map(|(id,)| id))
}

/// A unique-index race with another writer reads as the duplicate it is.
async fn explain_conflict(db: &Db, company_id: i64, phone: &str, e: StorageError) -> StorageError {
    match e {
        StorageError::Conflict(_) => match duplicate_of(db, company_id, phone, None).await {
            Ok(Some(id)) => StorageError::DuplicateContact(id),
            _ => e,
        },
        e => e,
    }
}

pub async fn create(db: &Db, scope: &Scope, actor: &Actor, input: ContactInput) -> Result<Contact> {
    let company_id = scope.company_id();
    check_placement(db, company_id, &input).await?;
    let id = match insert(db, company_id, actor, &input).await {
        Ok(id) => id,
        Err(e) => return Err(explain_conflict(db, company_id, &input.phone, e).await),
    };
    get(db, scope, id).await
}

async fn insert(db: &Db, company_id: i64, actor: &Actor, input: &ContactInput) -> Result<i64> {
    let tx = db.begin().await?;
    if let Some(existing) = duplicate_of(&tx, company_id, &input.phone, None).await? {
        return Err(StorageError::DuplicateContact(existing));
    }
    let id = insert_in(&tx, db.backend(), company_id, input, None, now_ms()).await?;
    audit::record_in(&tx, actor.entry("contact.create", "contact", Some(id)).after(&input.audit())).await?;
    tx.commit().await?;
    Ok(id)
}

/// Stores a new contact (the caller has checked for duplicates); its WhatsApp id is the phone's digits.
pub(crate) async fn insert_in(
    tx: &Tx,
    backend: crate::Backend,
    company_id: i64,
    input: &ContactInput,
    import_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    let wa_id = (!input.phone.is_empty()).then(|| rapport_domain::phone::wa_id(&input.phone));
    let (id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(Contacts::Table)
                .columns([
                    Contacts::CompanyId,
                    Contacts::DepartmentId,
                    Contacts::ResponsibleStaffId,
                    Contacts::Name,
                    Contacts::Phone,
                    Contacts::PhoneTyped,
                    Contacts::WaId,
                    Contacts::Email,
                    Contacts::Address,
                    Contacts::Source,
                    Contacts::Fields,
                    Contacts::Search,
                    Contacts::ImportId,
                    Contacts::CreatedAt,
                    Contacts::UpdatedAt,
                ])
                .values_panic([
                    company_id.into(),
                    input.department_id.into(),
                    input.responsible_staff_id.into(),
                    input.name.clone().into(),
                    input.phone.clone().into(),
                    input.phone_typed.clone().into(),
                    wa_id.into(),
                    input.email.clone().into(),
                    input.address.clone().into(),
                    input.source.clone().into(),
                    json::object(backend, &input.fields),
                    search_text(&input.name, &input.phone, &input.email).into(),
                    import_id.into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(Contacts::Id),
        )
        .await?;
    Ok(id)
}

/// Replaces a contact's data. Its WhatsApp id follows a new phone only while no conversation
/// uses it (a chat's customer keeps the id WhatsApp knows them by).
pub async fn update(db: &Db, scope: &Scope, actor: &Actor, id: i64, input: ContactInput) -> Result<Contact> {
    let before = get(db, scope, id).await?;
    let company_id = scope.company_id();
    check_placement(db, company_id, &input).await?;
    let result = async {
        let tx = db.begin().await?;
        if input.phone != before.phone
            && let Some(existing) = duplicate_of(&tx, company_id, &input.phone, Some(id)).await?
        {
            return Err(StorageError::DuplicateContact(existing));
        }
        let mut q = Query::update();
        q.table(Contacts::Table)
            .value(Contacts::Name, input.name.clone())
            .value(Contacts::Phone, input.phone.clone())
            .value(Contacts::PhoneTyped, input.phone_typed.clone())
            .value(Contacts::DepartmentId, input.department_id)
            .value(Contacts::ResponsibleStaffId, input.responsible_staff_id)
            .value(Contacts::Email, input.email.clone())
            .value(Contacts::Address, input.address.clone())
            .value(Contacts::Source, input.source.clone())
            .value(Contacts::Fields, json::object(db.backend(), &input.fields))
            .value(Contacts::Search, search_text(&input.name, &input.phone, &input.email))
            .value(Contacts::UpdatedAt, now_ms())
            .and_where(Expr::col(Contacts::Id).eq(id));
        if input.phone != before.phone && !has_conversations(&tx, id).await? {
            let wa_id = (!input.phone.is_empty()).then(|| rapport_domain::phone::wa_id(&input.phone));
            q.value(Contacts::WaId, wa_id);
        }
        tx.run(&q).await?;
        let entry = actor
            .entry("contact.update", "contact", Some(id))
            .before(&json!({"name": before.name, "phone": before.phone, "responsible_staff_id": before.responsible_staff_id, "fields": before.fields}))
            .after(&input.audit());
        audit::record_in(&tx, entry).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        return Err(explain_conflict(db, company_id, &input.phone, e).await);
    }
    get(db, scope, id).await
}

async fn has_conversations(ex: &impl Exec, contact_id: i64) -> Result<bool> {
    let q = Query::select()
        .column(Conversations::Id)
        .from(Conversations::Table)
        .and_where(Expr::col(Conversations::ContactId).eq(contact_id))
        .limit(1)
        .to_owned();
    Ok(ex.optional::<(i64,)>(&q).await?.is_some())
}

/// Soft-deletes a contact: it leaves every list and card, and an administrator can restore it.
pub async fn delete(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<()> {
    let before = get(db, scope, id).await?;
    set_deleted(db, actor, id, Some(now_ms()), "contact.delete", &before).await
}

pub async fn restore(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> Result<Contact> {
    let before = get_including_deleted(db, scope, id).await?;
    if before.deleted_at.is_none() {
        return Err(StorageError::Refused(Refusal::ContactNotDeleted));
    }
    set_deleted(db, actor, id, None, "contact.restore", &before).await?;
    get(db, scope, id).await
}

async fn set_deleted(db: &Db, actor: &Actor, id: i64, at: Option<i64>, action: &str, before: &Contact) -> Result<()> {
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(Contacts::Table)
            .value(Contacts::DeletedAt, at)
            .value(Contacts::UpdatedAt, now_ms())
            .and_where(Expr::col(Contacts::Id).eq(id)),
    )
    .await?;
    let entry = actor.entry(action, "contact", Some(id)).before(&json!({"name": before.name, "phone": before.phone}));
    audit::record_in(&tx, entry).await?;
    tx.commit().await
}

/// Contacts per source (CONT-5), among those the viewer sees.
pub async fn count_by_source(db: &Db, scope: &Scope) -> Result<Vec<(String, i64)>> {
    let count = Alias::new("n");
    db.all(
        Query::select()
            .column((Contacts::Table, Contacts::Source))
            .expr_as(sea_query::Func::count(Expr::col((Contacts::Table, Contacts::Id))), count.clone())
            .from(Contacts::Table)
            .cond_where(visible_to(scope))
            .and_where(Expr::col((Contacts::Table, Contacts::DeletedAt)).is_null())
            .group_by_col((Contacts::Table, Contacts::Source))
            .order_by(count, sea_query::Order::Desc),
    )
    .await
}

/// One of a contact's conversations, for the card's timeline.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactChat {
    pub id: i64,
    pub number_id: i64,
    pub number_name: String,
    pub responsible_staff_id: Option<i64>,
    pub last_message_at: Option<i64>,
    pub last_message_text: String,
    pub created_at: i64,
}

/// The conversations with a contact `scope` sees, on every number, latest first.
pub async fn chats(db: &Db, scope: &Scope, id: i64) -> Result<Vec<ContactChat>> {
    get(db, scope, id).await?;
    db.all(
        Query::select()
            .columns([(Conversations::Table, Conversations::Id), (Conversations::Table, Conversations::NumberId)])
            .expr_as(
                Expr::col((crate::schema::Numbers::Table, crate::schema::Numbers::DisplayPhoneNumber)),
                Alias::new("number_name"),
            )
            .columns([
                (Conversations::Table, Conversations::ResponsibleStaffId),
                (Conversations::Table, Conversations::LastMessageAt),
                (Conversations::Table, Conversations::LastMessageText),
                (Conversations::Table, Conversations::CreatedAt),
            ])
            .from(Conversations::Table)
            .inner_join(
                crate::schema::Numbers::Table,
                Expr::col((crate::schema::Numbers::Table, crate::schema::Numbers::Id))
                    .equals((Conversations::Table, Conversations::NumberId)),
            )
            .and_where(Expr::col((Conversations::Table, Conversations::ContactId)).eq(id))
            // Only the chats the reader may open (PERM-6), whoever may read the card.
            .cond_where(crate::conversations::visible_to(scope))
            .order_by((Conversations::Table, Conversations::LastMessageAt), sea_query::Order::Desc),
    )
    .await
}

/// A contact's extended values, for someone who reached the contact another way (a chat's
/// merge fields): the company's contact by id, whatever the contacts scope.
pub async fn field_values(db: &Db, company_id: i64, id: i64) -> Result<Map<String, Value>> {
    let (text,): (String,) = db
        .one(
            Query::select()
                .expr(json::object_text())
                .from(Contacts::Table)
                .and_where(Expr::col((Contacts::Table, Contacts::CompanyId)).eq(company_id))
                .and_where(Expr::col((Contacts::Table, Contacts::Id)).eq(id)),
        )
        .await?;
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use crate::audit::Actor;
    use crate::db::execute_generated;
    use crate::departments::{self, NewDepartment};
    use crate::staff::{self, NewStaff};
    use crate::{Scope, companies, testing};

    /// On PostgreSQL triggers stand in for the foreign keys of contacts (a bulk load is checked
    /// once per statement); both backends refuse the same writes.
    #[tokio::test]
    async fn the_database_refuses_contacts_naming_what_does_not_exist_and_keeps_what_they_name() {
        for db in testing::all_backends().await {
            let admin = companies::NewAdmin { account: "admin", name: "Admin", password_hash: "x" };
            let created = companies::create(&db, "Acme", admin).await.unwrap();
            let company = created.company_id;
            let root = departments::get_unscoped(&db, company, created.root_department_id).await.unwrap();
            let scope = Scope::operator(company, root.id, &root.path);
            let actor = Actor { company_id: company, staff_id: Some(created.admin_id), source: "test".into() };
            let new_department = NewDepartment { parent_id: root.id, name: "Sales", introduction: "" };
            let sales = departments::create(&db, &scope, &actor, new_department).await.unwrap().id;
            let new_staff = NewStaff {
                department_id: root.id,
                account: "rep",
                name: "Rep",
                nickname: "",
                notes: "",
                password_hash: "x",
            };
            let rep = staff::create(&db, &scope, &actor, new_staff).await.unwrap().id;
            let insert = |department: i64, staff: i64| {
                format!(
                    "INSERT INTO contacts (company_id, department_id, responsible_staff_id, name, source, created_at) \
                     VALUES ({company}, {department}, {staff}, 'An', 'test', 0)"
                )
            };
            let run = |sql: String| {
                let db = &db;
                async move { execute_generated(db, &sql).await }
            };

            assert!(run(insert(sales + 1000, rep)).await.is_err(), "a department that does not exist");
            assert!(run(insert(sales, rep + 1000)).await.is_err(), "a staff member who does not exist");
            assert_eq!(run(insert(sales, rep)).await.unwrap(), 1);
            let moved = format!("UPDATE contacts SET department_id = {} WHERE company_id = {company}", sales + 1000);
            assert!(run(moved).await.is_err(), "moved to a department that does not exist");
            assert!(run(format!("DELETE FROM departments WHERE id = {sales}")).await.is_err());
            assert!(run(format!("DELETE FROM staff WHERE id = {rep}")).await.is_err());

            // Once no contact names them, they go.
            run(format!("DELETE FROM contacts WHERE company_id = {company}")).await.unwrap();
            assert_eq!(run(format!("DELETE FROM departments WHERE id = {sales}")).await.unwrap(), 1);
        }
    }
}
