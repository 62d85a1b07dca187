//! The contacts list (CONT-2): the viewer's contacts, narrowed by the quick search, the
//! responsible staff member and the filter builder's conditions, sorted by any column and paged
//! by keyset (the next page starts after the last row's sort value and id, so page 5,000 costs
//! what page 1 does).

use super::Contact;
use super::{ContactRow, select, select_keyed, visible_parts};
use crate::Db;
use crate::db::{Backend, Exec};
use crate::error::{Result, StorageError};
use crate::json;
use crate::schema::{Contacts, Staff};
use crate::scope::{Scope, escape_like};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rapport_domain::contact_filter::{Builtin, Column, Filter};
use rapport_domain::fields::FieldType;
use sea_query::{Alias, Cond, Expr, ExprTrait, Func, LikeExpr, Order, Query, SelectStatement, SimpleExpr, UnionType};
use serde_json::Value;

/// Which column the list is sorted by; newest first when none.
#[derive(Debug, Clone)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

/// Where the next page starts: the last row's sort value (as text) and id.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub key: Option<String>,
    pub id: i64,
}

impl Cursor {
    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
    }
}

/// One request for a page of the list.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Quick search over name, phone (any format typed), e-mail and the responsible's name.
    pub q: Option<String>,
    pub responsible_staff_id: Option<i64>,
    pub filter: Filter,
    pub sort: Option<Sort>,
    pub cursor: Option<Cursor>,
    pub limit: u64,
    /// Deleted contacts instead of live ones (restoring is an administrator's).
    pub deleted: bool,
    /// The company's default country, for reading a typed local phone number.
    pub country: String,
}

#[derive(Debug, Clone)]
pub struct ContactPage {
    pub items: Vec<Contact>,
    pub next_cursor: Option<Cursor>,
}

/// How a sort column's values compare, so the cursor's text can be bound back correctly.
#[derive(Clone, Copy, PartialEq)]
enum KeyKind {
    Integer,
    Text,
    /// An extended value compared as stored JSON (numbers, yes/no).
    Json,
}

struct SortKey {
    expr: SimpleExpr,
    kind: KeyKind,
    nullable: bool,
}

fn sort_key(backend: Backend, column: &Column) -> SortKey {
    let col = |c: Contacts| Expr::col((Contacts::Table, c));
    let (expr, kind, nullable) = match column {
        Column::Builtin(b) => match b {
            Builtin::Name => (col(Contacts::Name), KeyKind::Text, false),
            Builtin::Phone => (col(Contacts::Phone), KeyKind::Text, false),
            Builtin::Email => (col(Contacts::Email), KeyKind::Text, false),
            Builtin::Address => (col(Contacts::Address), KeyKind::Text, false),
            Builtin::Source => (col(Contacts::Source), KeyKind::Text, false),
            Builtin::CreatedAt => (col(Contacts::CreatedAt), KeyKind::Integer, false),
            Builtin::DepartmentId => (col(Contacts::DepartmentId), KeyKind::Integer, false),
            Builtin::ResponsibleStaffId => (col(Contacts::ResponsibleStaffId), KeyKind::Integer, true),
        },
        Column::Extended { key, field_type } => match field_type {
            FieldType::Number | FieldType::YesNo => (json::value(backend, key), KeyKind::Json, true),
            _ => (json::text(backend, key), KeyKind::Text, true),
        },
    };
    SortKey { expr, kind, nullable }
}

impl SortKey {
    /// The cursor's text as a value comparable with the key.
    fn bind(&self, backend: Backend, text: &str) -> SimpleExpr {
        match self.kind {
            KeyKind::Integer => Expr::val(text.parse::<i64>().unwrap_or_default()),
            KeyKind::Text => Expr::val(text.to_string()),
            KeyKind::Json => json::literal(backend, &serde_json::from_str(text).unwrap_or(Value::Null)),
        }
    }

    /// The key as text, read back with each row.
    fn as_text(&self) -> SimpleExpr {
        self.expr.clone().cast_as("TEXT")
    }

    /// Rows after the cursor in this order; empty keys come last whichever the direction.
    fn after(&self, backend: Backend, cursor: &Cursor, descending: bool) -> Cond {
        let id = Expr::col((Contacts::Table, Contacts::Id));
        let id_beyond = if descending { id.lt(cursor.id) } else { id.gt(cursor.id) };
        match &cursor.key {
            Some(text) => {
                let value = self.bind(backend, text);
                let past = if descending {
                    Expr::expr(self.expr.clone()).lt(value.clone())
                } else {
                    Expr::expr(self.expr.clone()).gt(value.clone())
                };
                let mut cond =
                    Cond::any().add(past).add(Cond::all().add(Expr::expr(self.expr.clone()).eq(value)).add(id_beyond));
                if self.nullable {
                    cond = cond.add(Expr::expr(self.expr.clone()).is_null());
                }
                cond
            }
            None => Cond::all().add(Expr::expr(self.expr.clone()).is_null()).add(id_beyond),
        }
    }
}

/// A page of the contacts `scope` sees, as `query` asks.
pub async fn list(db: &Db, scope: &Scope, query: &ListQuery) -> Result<ContactPage> {
    let backend = db.backend();
    let key = query.sort.as_ref().map(|sort| sort_key(backend, &sort.column));
    let narrowing = narrowing(backend, scope, query, key.as_ref());
    let mut q = match &key {
        Some(k) => select_keyed(k.as_text()),
        None => select(),
    };
    let parts = visible_parts(scope);
    if let [only] = parts.as_slice() {
        q.cond_where(only.clone()).cond_where(narrowing);
    } else {
        // A page of each part, read on its own in order; merged, ordered and cut below.
        let pages = parts.into_iter().enumerate().map(|(n, part)| {
            let mut page = Query::select();
            page.column((Contacts::Table, Contacts::Id)).from(Contacts::Table).cond_where(part);
            page.cond_where(narrowing.clone());
            order(&mut page, query, key.as_ref());
            page.limit(query.limit + 1);
            Query::select().column(Contacts::Id).from_subquery(page, Alias::new(format!("part{n}"))).to_owned()
        });
        if let Some(merged) = pages.reduce(|mut merged, page| {
            merged.union(UnionType::All, page);
            merged
        }) {
            q.and_where(Expr::col((Contacts::Table, Contacts::Id)).in_subquery(merged));
        }
    }
    order(&mut q, query, key.as_ref());
    q.limit(query.limit + 1);
    let rows = page_rows(db, q).await?;
    let mut items: Vec<(Contact, Option<String>)> = rows.into_iter().map(ContactRow::into_contact).collect();
    let next_cursor = if items.len() as u64 > query.limit {
        items.truncate(query.limit as usize);
        items.last().map(|(c, key)| Cursor { key: key.clone(), id: c.id })
    } else {
        None
    };
    Ok(ContactPage { items: items.into_iter().map(|(c, _)| c).collect(), next_cursor })
}

/// The columns of [`ContactRow`], in its order.
const ROW_COLUMNS: [&str; 16] = [
    "id",
    "name",
    "phone",
    "phone_typed",
    "wa_id",
    "department_id",
    "responsible_staff_id",
    "responsible_name",
    "email",
    "address",
    "source",
    "fields",
    "created_at",
    "updated_at",
    "deleted_at",
    "sort_key",
];

/// The rows of a list page. SQLite's driver hands every result row over from its worker
/// thread (thread switches and locks were a third of a million-row export, 2,000 rows a page),
/// so there the page comes back as one JSON array of rows. Its subquery has an ORDER BY and a
/// LIMIT, so SQLite runs it as a coroutine feeding the aggregate in order.
async fn page_rows(db: &Db, q: SelectStatement) -> Result<Vec<ContactRow>> {
    match db.backend() {
        Backend::Postgres => db.all(&q).await,
        Backend::Sqlite => {
            let row = ROW_COLUMNS.map(|c| format!("page.{c}")).join(", ");
            let packed = Query::select()
                .expr(Expr::cust(format!("json_group_array(json_array({row}))")))
                .from_subquery(q, Alias::new("page"))
                .to_owned();
            let (rows,): (String,) = db.one(&packed).await?;
            serde_json::from_str(&rows).map_err(|e| StorageError::Database(sqlx::Error::Decode(Box::new(e))))
        }
    }
}

/// Everything the request narrows the visible contacts by: filter, deleted or live, responsible,
/// quick search and where the page starts.
fn narrowing(backend: Backend, scope: &Scope, query: &ListQuery, key: Option<&SortKey>) -> Cond {
    let mut cond = Cond::all().add(super::filter::compile(backend, &query.filter));
    let deleted = Expr::col((Contacts::Table, Contacts::DeletedAt));
    cond = cond.add(if query.deleted { deleted.is_not_null() } else { deleted.is_null() });
    if let Some(staff_id) = query.responsible_staff_id {
        cond = cond.add(Expr::col((Contacts::Table, Contacts::ResponsibleStaffId)).eq(staff_id));
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        cond = cond.add(quick_search(scope, text, &query.country));
    }
    if let Some(cursor) = &query.cursor {
        cond = cond.add(match (&query.sort, key) {
            (Some(sort), Some(k)) => k.after(backend, cursor, sort.descending),
            _ => Cond::all().add(Expr::col((Contacts::Table, Contacts::Id)).lt(cursor.id)),
        });
    }
    cond
}

/// The list's order: by the sort column (empty values last) then id, or newest first.
fn order(q: &mut SelectStatement, query: &ListQuery, key: Option<&SortKey>) {
    match (&query.sort, key) {
        (Some(sort), Some(k)) => {
            let order = if sort.descending { Order::Desc } else { Order::Asc };
            if k.nullable {
                q.order_by_expr(Expr::expr(k.expr.clone()).is_null(), Order::Asc);
            }
            q.order_by_expr(k.expr.clone(), order.clone()).order_by((Contacts::Table, Contacts::Id), order);
        }
        _ => {
            q.order_by((Contacts::Table, Contacts::Id), Order::Desc);
        }
    }
}

/// Name, e-mail or phone digits containing the text, or a responsible staff member whose name
/// does. A phone typed in local form (`8 912 …`, `0722 …`) also matches without its trunk prefix
/// and, when it is a whole number, by its E.164 form.
fn quick_search(scope: &Scope, text: &str, country: &str) -> Cond {
    let lowered = text.to_lowercase();
    let contains = |needle: &str| {
        Expr::col((Contacts::Table, Contacts::Search))
            .like(LikeExpr::new(format!("%{}%", escape_like(needle))).escape('\\'))
    };
    let mut cond = Cond::any().add(contains(&lowered));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let phone_like = text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if phone_like && digits.len() >= 3 {
        cond = cond.add(contains(&digits));
        if let Some(rest) = digits.strip_prefix('0').or_else(|| digits.strip_prefix('8')) {
            cond = cond.add(contains(rest));
        }
        if let Ok(e164) = rapport_domain::phone::normalize(text, country) {
            cond = cond.add(Expr::col((Contacts::Table, Contacts::Phone)).eq(e164));
        }
    }
    let staff_named = Query::select()
        .column(Staff::Id)
        .from(Staff::Table)
        .and_where(Expr::col(Staff::CompanyId).eq(scope.company_id()))
        .and_where(
            Func::lower(Expr::col(Staff::Name))
                .like(LikeExpr::new(format!("%{}%", escape_like(&lowered))).escape('\\')),
        )
        .to_owned();
    cond.add(Expr::col((Contacts::Table, Contacts::ResponsibleStaffId)).in_subquery(staff_named))
}
