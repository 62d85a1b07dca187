//! Extended contact fields (FIELD-1..2): the company's catalogue of custom fields, each public
//! or limited to chosen departments, usable or disabled, in an order staff arrange. The values
//! live in `contacts.fields`; changing a field's type converts them, or is refused while one
//! would not convert.

use crate::audit::{self, Actor};
use crate::db::Exec;
use crate::error::{Result, StorageError};
use crate::schema::{ContactFieldDepartments, ContactFields, Contacts, Departments};
use crate::scope::Scope;
use crate::{Db, json, now_ms};
use rapport_domain::fields::{FieldDef, FieldType, convert_in};
use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};
use serde_json::{Value, json};

/// A field as stored.
#[derive(Debug, Clone)]
pub struct Field {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub tip: String,
    pub required: bool,
    pub public: bool,
    pub enabled: bool,
    pub position: i64,
    pub department_ids: Vec<i64>,
}

impl Field {
    /// The field as the domain's value rules need it.
    pub fn def(&self) -> FieldDef {
        FieldDef {
            key: self.key.clone(),
            name: self.name.clone(),
            field_type: self.field_type,
            options: self.options.clone(),
            required: self.required,
        }
    }
}

#[derive(sqlx::FromRow)]
struct FieldRow {
    id: i64,
    key: String,
    name: String,
    field_type: String,
    options: String,
    tip: String,
    required: bool,
    public: bool,
    enabled: bool,
    position: i64,
}

fn select() -> SelectStatement {
    Query::select()
        .columns([
            (ContactFields::Table, ContactFields::Id),
            (ContactFields::Table, ContactFields::Key),
            (ContactFields::Table, ContactFields::Name),
            (ContactFields::Table, ContactFields::FieldType),
            (ContactFields::Table, ContactFields::Options),
            (ContactFields::Table, ContactFields::Tip),
            (ContactFields::Table, ContactFields::Required),
            (ContactFields::Table, ContactFields::Public),
            (ContactFields::Table, ContactFields::Enabled),
            (ContactFields::Table, ContactFields::Position),
        ])
        .from(ContactFields::Table)
        .order_by((ContactFields::Table, ContactFields::Position), Order::Asc)
        .order_by((ContactFields::Table, ContactFields::Id), Order::Asc)
        .to_owned()
}

/// Public fields, and limited ones whose departments include the viewer's department or one
/// above it, or (with a sub-department grant) one below it.
fn visible_to(scope: &Scope) -> sea_query::Cond {
    let path = (Departments::Table, Departments::Path);
    let mut related = sea_query::Cond::any().add(
        // The chosen department is the viewer's or an ancestor: its path prefixes the viewer's.
        Func::cust("substr")
            .arg(scope.department_path.clone())
            .arg(1)
            .arg(Func::char_length(Expr::col(path)))
            .eq(Expr::col(path)),
    );
    if scope.viewer.department_reach().sub_departments {
        related = related.add(crate::scope::strictly_below(&scope.department_path));
    }
    let limited_to_mine = Query::select()
        .expr(Expr::val(1))
        .from(ContactFieldDepartments::Table)
        .inner_join(
            Departments::Table,
            Expr::col((Departments::Table, Departments::Id))
                .equals((ContactFieldDepartments::Table, ContactFieldDepartments::DepartmentId)),
        )
        .and_where(
            Expr::col((ContactFieldDepartments::Table, ContactFieldDepartments::FieldId))
                .equals((ContactFields::Table, ContactFields::Id)),
        )
        .cond_where(related)
        .to_owned();
    sea_query::Cond::all().add(Expr::col((ContactFields::Table, ContactFields::CompanyId)).eq(scope.company_id())).add(
        sea_query::Cond::any()
            .add(Expr::col((ContactFields::Table, ContactFields::Public)).eq(true))
            .add(Expr::exists(limited_to_mine)),
    )
}

async fn hydrate(ex: &impl Exec, rows: Vec<FieldRow>) -> Result<Vec<Field>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let links: Vec<(i64, i64)> = if ids.is_empty() {
        Vec::new()
    } else {
        ex.all(
            Query::select()
                .columns([ContactFieldDepartments::FieldId, ContactFieldDepartments::DepartmentId])
                .from(ContactFieldDepartments::Table)
                .and_where(Expr::col(ContactFieldDepartments::FieldId).is_in(ids))
                .order_by(ContactFieldDepartments::DepartmentId, Order::Asc),
        )
        .await?
    };
    Ok(rows
        .into_iter()
        .map(|r| Field {
            department_ids: links.iter().filter(|(f, _)| *f == r.id).map(|(_, d)| *d).collect(),
            id: r.id,
            key: r.key,
            name: r.name,
            // Stored types were parsed on the way in; an unknown one reads as text.
            field_type: FieldType::parse(&r.field_type).unwrap_or(FieldType::Text),
            options: serde_json::from_str(&r.options).unwrap_or_default(),
            tip: r.tip,
            required: r.required,
            public: r.public,
            enabled: r.enabled,
            position: r.position,
        })
        .collect())
}

/// The fields `scope` sees, in their order; disabled ones only when asked.
pub async fn catalogue(db: &Db, scope: &Scope, include_disabled: bool) -> Result<Vec<Field>> {
    let mut q = select();
    q.cond_where(visible_to(scope));
    if !include_disabled {
        q.and_where(Expr::col((ContactFields::Table, ContactFields::Enabled)).eq(true));
    }
    let rows = db.all(&q).await?;
    hydrate(db, rows).await
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Field> {
    let mut q = select();
    q.cond_where(visible_to(scope)).and_where(Expr::col((ContactFields::Table, ContactFields::Id)).eq(id));
    let row = db.one(&q).await?;
    Ok(hydrate(db, vec![row]).await?.remove(0))
}

/// A field's settings as validated by the caller (key rules, options for the type).
#[derive(Debug, Clone)]
pub struct FieldSettings {
    pub key: String,
    pub name: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub tip: String,
    pub required: bool,
    pub public: bool,
    pub enabled: bool,
    pub department_ids: Vec<i64>,
}

impl FieldSettings {
    fn audit(&self) -> Value {
        json!({
            "key": self.key, "name": self.name, "type": self.field_type.as_str(), "options": self.options,
            "required": self.required, "public": self.public, "enabled": self.enabled,
            "department_ids": self.department_ids,
        })
    }
}

pub async fn create(db: &Db, scope: &Scope, actor: &Actor, s: FieldSettings) -> Result<Field> {
    let now = now_ms();
    let tx = db.begin().await?;
    let (last,): (Option<i64>,) = tx
        .one(
            Query::select()
                .expr(Func::max(Expr::col(ContactFields::Position)))
                .from(ContactFields::Table)
                .and_where(Expr::col(ContactFields::CompanyId).eq(scope.company_id())),
        )
        .await?;
    let (id,): (i64,) = tx
        .one(
            Query::insert()
                .into_table(ContactFields::Table)
                .columns([
                    ContactFields::CompanyId,
                    ContactFields::Key,
                    ContactFields::Name,
                    ContactFields::FieldType,
                    ContactFields::Options,
                    ContactFields::Tip,
                    ContactFields::Required,
                    ContactFields::Public,
                    ContactFields::Enabled,
                    ContactFields::Position,
                    ContactFields::CreatedAt,
                    ContactFields::UpdatedAt,
                ])
                .values_panic([
                    scope.company_id().into(),
                    s.key.clone().into(),
                    s.name.clone().into(),
                    s.field_type.as_str().into(),
                    serde_json::to_string(&s.options).unwrap_or_default().into(),
                    s.tip.clone().into(),
                    s.required.into(),
                    s.public.into(),
                    s.enabled.into(),
                    (last.unwrap_or(0) + 1).into(),
                    now.into(),
                    now.into(),
                ])
                .returning_col(ContactFields::Id),
        )
        .await?;
    link_departments(&tx, id, &s.department_ids).await?;
    audit::record_in(&tx, actor.entry("field.create", "field", Some(id)).after(&s.audit())).await?;
    tx.commit().await?;
    get(db, scope, id).await
}

async fn link_departments(tx: &crate::Tx, field_id: i64, department_ids: &[i64]) -> Result<()> {
    tx.run(
        Query::delete()
            .from_table(ContactFieldDepartments::Table)
            .and_where(Expr::col(ContactFieldDepartments::FieldId).eq(field_id)),
    )
    .await?;
    for department_id in department_ids {
        tx.run(
            Query::insert()
                .into_table(ContactFieldDepartments::Table)
                .columns([ContactFieldDepartments::FieldId, ContactFieldDepartments::DepartmentId])
                .values_panic([field_id.into(), (*department_id).into()]),
        )
        .await?;
    }
    Ok(())
}

/// Changes a field. The key never changes (values, filters and imports refer to it). A new
/// type converts every stored value, or nothing changes when one does not convert.
pub async fn update(db: &Db, scope: &Scope, actor: &Actor, id: i64, s: FieldSettings) -> Result<Field> {
    let before = get(db, scope, id).await?;
    let tx = db.begin().await?;
    let new_def = FieldDef {
        key: before.key.clone(),
        name: s.name.clone(),
        field_type: s.field_type,
        options: s.options.clone(),
        required: s.required,
    };
    if s.field_type != before.field_type || s.options != before.options {
        convert_values(&tx, db.backend(), scope.company_id(), &new_def).await?;
    }
    tx.run(
        Query::update()
            .table(ContactFields::Table)
            .value(ContactFields::Name, s.name.clone())
            .value(ContactFields::FieldType, s.field_type.as_str())
            .value(ContactFields::Options, serde_json::to_string(&s.options).unwrap_or_default())
            .value(ContactFields::Tip, s.tip.clone())
            .value(ContactFields::Required, s.required)
            .value(ContactFields::Public, s.public)
            .value(ContactFields::Enabled, s.enabled)
            .value(ContactFields::UpdatedAt, now_ms())
            .and_where(Expr::col(ContactFields::Id).eq(id)),
    )
    .await?;
    link_departments(&tx, id, &s.department_ids).await?;
    let was = FieldSettings {
        key: before.key.clone(),
        name: before.name.clone(),
        field_type: before.field_type,
        options: before.options.clone(),
        tip: before.tip.clone(),
        required: before.required,
        public: before.public,
        enabled: before.enabled,
        department_ids: before.department_ids.clone(),
    };
    let entry = actor.entry("field.update", "field", Some(id)).before(&was.audit()).after(&s.audit());
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    get(db, scope, id).await
}

/// Rewrites every contact's value of `def.key` in its new form; refused (nothing written) when
/// a value does not convert, naming how many and the first.
async fn convert_values(tx: &crate::Tx, backend: crate::Backend, company_id: i64, def: &FieldDef) -> Result<()> {
    let (country,): (String,) = tx
        .one(
            Query::select()
                .column(crate::schema::Companies::DefaultCountry)
                .from(crate::schema::Companies::Table)
                .and_where(Expr::col(crate::schema::Companies::Id).eq(company_id)),
        )
        .await?;
    let holders: Vec<(i64, String)> = tx
        .all(
            Query::select()
                .column(Contacts::Id)
                .expr(json::object_text())
                .from(Contacts::Table)
                .and_where(Expr::col(Contacts::CompanyId).eq(company_id))
                .and_where(json::value(backend, &def.key).is_not_null()),
        )
        .await?;
    let mut changed = Vec::new();
    let mut failures = 0;
    for (id, text) in holders {
        let mut values: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap_or_default();
        let Some(old) = values.get(&def.key) else { continue };
        match convert_in(old, def, &country) {
            Ok(Some(new)) if &new == old => {}
            Ok(Some(new)) => {
                values.insert(def.key.clone(), new);
                changed.push((id, values));
            }
            Ok(None) => {
                values.remove(&def.key);
                changed.push((id, values));
            }
            Err(_) => failures += 1,
        }
    }
    if failures > 0 {
        return Err(StorageError::ValuesDoNotConvert(format!(
            "{failures} contact(s) hold a value of this field that is not a valid {}; change or clear them first",
            def.field_type.as_str()
        )));
    }
    for (id, values) in changed {
        tx.run(
            Query::update()
                .table(Contacts::Table)
                .value(Contacts::Fields, json::object(backend, &values))
                .and_where(Expr::col(Contacts::Id).eq(id)),
        )
        .await?;
    }
    Ok(())
}

/// Moves a field one place up (`-1`) or down (`1`) among the company's fields.
pub async fn shift(db: &Db, scope: &Scope, actor: &Actor, id: i64, up: bool) -> Result<Field> {
    let field = get(db, scope, id).await?;
    let tx = db.begin().await?;
    let mut neighbour = Query::select();
    neighbour
        .columns([ContactFields::Id, ContactFields::Position])
        .from(ContactFields::Table)
        .and_where(Expr::col(ContactFields::CompanyId).eq(scope.company_id()))
        .limit(1);
    if up {
        neighbour
            .and_where(Expr::col(ContactFields::Position).lt(field.position))
            .order_by(ContactFields::Position, Order::Desc);
    } else {
        neighbour
            .and_where(Expr::col(ContactFields::Position).gt(field.position))
            .order_by(ContactFields::Position, Order::Asc);
    }
    if let Some((other, position)) = tx.optional::<(i64, i64)>(&neighbour).await? {
        for (id, position) in [(id, position), (other, field.position)] {
            tx.run(
                Query::update()
                    .table(ContactFields::Table)
                    .value(ContactFields::Position, position)
                    .and_where(Expr::col(ContactFields::Id).eq(id)),
            )
            .await?;
        }
        let entry = actor.entry("field.move", "field", Some(id)).after(&json!({"up": up}));
        audit::record_in(&tx, entry).await?;
    }
    tx.commit().await?;
    get(db, scope, id).await
}
