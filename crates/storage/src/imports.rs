//! Contact imports (CONT-3) as stored: an uploaded file waiting for its column mapping, then a
//! background job that commits the file in batches. Each batch — its contacts, its rejected rows
//! and the position reached — is one transaction, so a restarted import resumes exactly where
//! the last batch ended and no row is half-applied or applied twice. The queue is this table:
//! a worker claims an import with a lease, like the send queue's jobs.

use crate::audit::{self, Actor};
use crate::contacts::{self, ContactInput};
use crate::db::Exec;
use crate::error::{Result, StorageError};
use crate::schema::{Contacts, ImportRejections, Imports, Staff};
use crate::scope::Scope;
use crate::{Backend, Db, Tx, now_ms};
use rapport_domain::Refusal;
use rapport_domain::status::ImportStatus;
use sea_query::{Cond, Expr, ExprTrait, Order, Query, SelectStatement};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Import {
    pub id: i64,
    pub company_id: i64,
    pub staff_id: Option<i64>,
    pub file_name: String,
    pub path: String,
    /// JSON array: per column, the field key it fills or null.
    pub mapping: String,
    /// JSON array of the staff ids contacts are handed to in turn.
    pub staff_ids: String,
    pub department_id: Option<i64>,
    pub source: String,
    #[sqlx(try_from = "String")]
    pub status: ImportStatus,
    pub total_rows: i64,
    pub next_row: i64,
    pub imported: i64,
    pub rejected: i64,
    pub error: Option<String>,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl Import {
    pub fn mapping(&self) -> Vec<Option<String>> {
        serde_json::from_str(&self.mapping).unwrap_or_default()
    }

    pub fn staff_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.staff_ids).unwrap_or_default()
    }
}

fn select() -> SelectStatement {
    Query::select()
        .columns([
            Imports::Id,
            Imports::CompanyId,
            Imports::StaffId,
            Imports::FileName,
            Imports::Path,
            Imports::Mapping,
            Imports::StaffIds,
            Imports::DepartmentId,
            Imports::Source,
            Imports::Status,
            Imports::TotalRows,
            Imports::NextRow,
            Imports::Imported,
            Imports::Rejected,
            Imports::Error,
            Imports::LockedUntil,
            Imports::CreatedAt,
            Imports::FinishedAt,
        ])
        .from(Imports::Table)
        .to_owned()
}

/// A stored upload awaiting its mapping; `mapping` is the suggested one.
pub async fn create(
    db: &Db,
    scope: &Scope,
    file_name: &str,
    path: &str,
    mapping: &[Option<String>],
    total_rows: i64,
) -> Result<Import> {
    let (id,): (i64,) = db
        .one(
            Query::insert()
                .into_table(Imports::Table)
                .columns([
                    Imports::CompanyId,
                    Imports::StaffId,
                    Imports::FileName,
                    Imports::Path,
                    Imports::Mapping,
                    Imports::Status,
                    Imports::TotalRows,
                    Imports::CreatedAt,
                ])
                .values_panic([
                    scope.company_id().into(),
                    Some(scope.viewer.staff_id).filter(|id| *id > 0).into(),
                    file_name.into(),
                    path.into(),
                    serde_json::to_string(mapping).unwrap_or_default().into(),
                    ImportStatus::Mapping.as_str().into(),
                    total_rows.into(),
                    now_ms().into(),
                ])
                .returning_col(Imports::Id),
        )
        .await?;
    get(db, scope, id).await
}

/// An import's file and rejected rows are its uploader's business, and the administrators'
/// (`menu.settings`): they may hold customers outside a colleague's scope.
fn visible_to(scope: &Scope) -> Cond {
    let mine = Cond::all().add(Expr::col(Imports::CompanyId).eq(scope.company_id()));
    if scope.viewer.has(rapport_domain::Grant::MenuSettings) {
        mine
    } else {
        mine.add(Expr::col(Imports::StaffId).eq(scope.viewer.staff_id))
    }
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Import> {
    let mut q = select();
    q.cond_where(visible_to(scope)).and_where(Expr::col(Imports::Id).eq(id));
    db.one(&q).await
}

/// The imports `scope` sees, newest first.
pub async fn list(db: &Db, scope: &Scope, limit: u64) -> Result<Vec<Import>> {
    let mut q = select();
    q.cond_where(visible_to(scope)).order_by(Imports::Id, Order::Desc).limit(limit);
    db.all(&q).await
}

/// How the rows are to be read and whom the contacts go to, checked by the caller.
pub struct Plan {
    pub mapping: Vec<Option<String>>,
    pub staff_ids: Vec<i64>,
    pub department_id: Option<i64>,
    pub source: String,
}

/// Queues an import whose mapping is settled. Every staff member must be the company's.
pub async fn start(db: &Db, scope: &Scope, actor: &Actor, id: i64, plan: Plan) -> Result<Import> {
    let import = get(db, scope, id).await?;
    if import.status != ImportStatus::Mapping {
        return Err(StorageError::Refused(Refusal::ImportStarted));
    }
    let known: Vec<(i64,)> = db
        .all(
            Query::select()
                .column(Staff::Id)
                .from(Staff::Table)
                .and_where(Expr::col(Staff::CompanyId).eq(scope.company_id()))
                .and_where(Expr::col(Staff::Id).is_in(plan.staff_ids.clone())),
        )
        .await?;
    if plan.staff_ids.is_empty() || known.len() != plan.staff_ids.len() {
        return Err(StorageError::Refused(Refusal::ResponsibleNotFound));
    }
    let tx = db.begin().await?;
    tx.run(
        Query::update()
            .table(Imports::Table)
            .value(Imports::Mapping, serde_json::to_string(&plan.mapping).unwrap_or_default())
            .value(Imports::StaffIds, serde_json::to_string(&plan.staff_ids).unwrap_or_default())
            .value(Imports::DepartmentId, plan.department_id)
            .value(Imports::Source, plan.source.clone())
            .value(Imports::Status, ImportStatus::Queued.as_str())
            .and_where(Expr::col(Imports::Id).eq(id)),
    )
    .await?;
    let entry = actor.entry("contact.import", "import", Some(id)).after(&json!({
        "file_name": import.file_name, "mapping": plan.mapping, "staff_ids": plan.staff_ids, "source": plan.source,
    }));
    audit::record_in(&tx, entry).await?;
    tx.commit().await?;
    get(db, scope, id).await
}

/// Takes the oldest queued import, or one whose worker's lease ran out, until `lease_until`.
pub async fn claim(db: &Db, lease_until: i64) -> Result<Option<Import>> {
    let now = now_ms();
    let mut due = Query::select();
    due.column(Imports::Id)
        .from(Imports::Table)
        .cond_where(Cond::any().add(Expr::col(Imports::Status).eq(ImportStatus::Queued.as_str())).add(
            Expr::col(Imports::Status).eq(ImportStatus::Running.as_str()).and(Expr::col(Imports::LockedUntil).lt(now)),
        ))
        .order_by(Imports::Id, Order::Asc)
        .limit(1);
    let Some((id,)) = db.optional::<(i64,)>(&due).await? else { return Ok(None) };
    let taken = db
        .run(
            Query::update()
                .table(Imports::Table)
                .value(Imports::Status, ImportStatus::Running.as_str())
                .value(Imports::LockedUntil, lease_until)
                .and_where(Expr::col(Imports::Id).eq(id))
                .cond_where(
                    Cond::any()
                        .add(Expr::col(Imports::Status).eq(ImportStatus::Queued.as_str()))
                        .add(Expr::col(Imports::LockedUntil).lt(now)),
                ),
        )
        .await?;
    if taken == 0 {
        return Ok(None);
    }
    let mut q = select();
    q.and_where(Expr::col(Imports::Id).eq(id));
    db.optional(&q).await
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Rejection {
    pub row_number: i64,
    pub column_name: String,
    pub reason: String,
    /// JSON array of the row's cells.
    pub cells: String,
}

/// A row ready to store: its spreadsheet row number and cells (in case it turns out a
/// duplicate), its phone, and its columns encoded for the bulk load but for its placement
/// (which the batch settles). Encoding on the reading thread keeps that work off the writer,
/// which waits for the database in between.
pub struct ValidRow {
    pub row_number: i64,
    pub cells: Vec<String>,
    phone: String,
    encoded: String,
}

impl ValidRow {
    pub fn new(backend: Backend, import_id: i64, row_number: i64, cells: Vec<String>, c: &ContactInput) -> ValidRow {
        let wa_id = rapport_domain::phone::wa_id(&c.phone);
        let fields = serde_json::to_string(&c.fields).unwrap_or_default();
        let search = contacts::search_text(&c.name, &c.phone, &c.email);
        let texts = [&*c.name, &c.phone, &c.phone_typed, &wa_id, &c.email, &c.address, &c.source, &fields, &search];
        let now = now_ms();
        let encoded = match backend {
            Backend::Postgres => csv_tail(&texts, [import_id, now, now]),
            Backend::Sqlite => json_tail(&texts, [import_id, now, now]),
        };
        ValidRow { row_number, cells, phone: c.phone.clone(), encoded }
    }
}

/// The columns an imported contact fills: its placement, then what [`ValidRow::new`] encodes.
const CONTACT_COLUMNS: &str = "contacts (company_id, department_id, responsible_staff_id, name, phone, phone_typed, \
     wa_id, email, address, source, fields, search, import_id, created_at, updated_at)";

/// The end of a CSV line for PostgreSQL's COPY. Every text is quoted: there an unquoted empty
/// field means NULL, which only an absent responsible staff member is.
fn csv_tail(texts: &[&str], numbers: [i64; 3]) -> String {
    let mut out = String::with_capacity(texts.iter().map(|t| t.len() + 3).sum::<usize>() + 48);
    for text in texts {
        out.push('"');
        if text.contains('"') {
            out.push_str(&text.replace('"', "\"\""));
        } else {
            out.push_str(text);
        }
        out.push_str("\",");
    }
    let [a, b, c] = numbers;
    let _ = writeln!(out, "{a},{b},{c}");
    out
}

/// The end of a JSON array (without its `[`) for SQLite's `json_each`.
fn json_tail(texts: &[&str], numbers: [i64; 3]) -> String {
    let mut values: Vec<Value> = texts.iter().map(|t| Value::from(*t)).collect();
    values.extend(numbers.map(Value::from));
    let mut out = Value::Array(values).to_string();
    out.remove(0);
    out
}

/// A batch's bulk load as it is built: CSV lines for PostgreSQL's COPY, or one JSON array of
/// rows for SQLite's `json_each`, each row its placement followed by its [`ValidRow`] encoding.
struct Load {
    backend: Backend,
    company_id: i64,
    text: String,
    rows: i64,
}

impl Load {
    fn new(backend: Backend, company_id: i64, capacity: usize) -> Load {
        Load { backend, company_id, text: String::with_capacity(capacity), rows: 0 }
    }

    fn push(&mut self, (staff, department): (Option<i64>, i64), row: &ValidRow) {
        let (out, company_id) = (&mut self.text, self.company_id);
        let _ = match (self.backend, staff) {
            (Backend::Postgres, Some(staff)) => write!(out, "{company_id},{department},{staff},"),
            (Backend::Postgres, None) => write!(out, "{company_id},{department},,"),
            (Backend::Sqlite, staff) => {
                out.push(if self.rows == 0 { '[' } else { ',' });
                match staff {
                    Some(staff) => write!(out, "[{company_id},{department},{staff},"),
                    None => write!(out, "[{company_id},{department},null,"),
                }
            }
        };
        out.push_str(&row.encoded);
        self.rows += 1;
    }

    /// Inserts the rows pushed, in `tx`.
    async fn run(mut self, tx: &Tx) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        match self.backend {
            Backend::Postgres => tx.copy_csv(CONTACT_COLUMNS, self.text.as_bytes()).await?,
            Backend::Sqlite => {
                self.text.push(']');
                tx.insert_json_rows(CONTACT_COLUMNS, self.text).await?
            }
        };
        Ok(())
    }
}

/// What a batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    pub imported: i64,
    pub rejected: i64,
}

/// Who the imported contacts go to: in turn among `staff_ids`, counting only the contacts
/// actually imported (so rejected rows do not unbalance the turn, and a resumed import carries
/// on where it was), each in its responsible's department unless the import names one.
#[derive(Debug, Clone, Default)]
pub struct Allocation {
    pub staff_ids: Vec<i64>,
    /// Each staff member's department.
    pub departments: HashMap<i64, i64>,
    pub department_id: Option<i64>,
    /// When nobody else decides: the company's top department.
    pub fallback_department: i64,
}

impl Allocation {
    /// The responsible staff member and department of the `nth` imported contact (from 0).
    pub fn place(&self, nth: i64) -> (Option<i64>, i64) {
        let staff = (!self.staff_ids.is_empty()).then(|| self.staff_ids[nth as usize % self.staff_ids.len()]);
        let department = self
            .department_id
            .or_else(|| staff.and_then(|id| self.departments.get(&id).copied()))
            .unwrap_or(self.fallback_department);
        (staff, department)
    }
}

/// How a worker commits its batches: the lease it holds and moves on, the header duplicates
/// are reported under, and who the contacts go to.
pub struct BatchContext<'a> {
    pub held_until: i64,
    pub lease_until: i64,
    pub phone_column: &'a str,
    pub allocation: &'a Allocation,
}

/// Writes one batch in `tx` (a transaction of `db`'s, which may hold several batches): the
/// rows whose phone no contact has yet (nor an earlier row of the batch), handed out by
/// `ctx.allocation`, the rejections, and the position reached, provided this worker still
/// holds the import (its lease `ctx.held_until` unchanged); the lease moves on to
/// `ctx.lease_until`. [`commit_batches`] makes them count.
pub async fn write_batch(
    db: &Db,
    tx: &Tx,
    import: &Import,
    ctx: &BatchContext<'_>,
    rows: Vec<ValidRow>,
    mut rejections: Vec<Rejection>,
    next_row: i64,
) -> Result<BatchOutcome> {
    let backend = db.backend();
    let existing = existing_phones(tx, backend, import.company_id, &rows).await?;
    let mut first_with: HashMap<&str, i64> = HashMap::with_capacity(rows.len());
    let duplicates: Vec<Option<DuplicateOf>> = rows
        .iter()
        .map(|row| match existing.get(&row.phone) {
            Some(id) => Some(DuplicateOf::Contact(*id)),
            None => match first_with.entry(&row.phone) {
                Entry::Occupied(first) => Some(DuplicateOf::Row(*first.get())),
                Entry::Vacant(slot) => {
                    slot.insert(row.row_number);
                    None
                }
            },
        })
        .collect();
    drop(first_with);
    let (imported_before,): (i64,) = tx
        .one(
            Query::select()
                .column(Imports::Imported)
                .from(Imports::Table)
                .and_where(Expr::col(Imports::Id).eq(import.id)),
        )
        .await?;
    let capacity = rows.iter().map(|r| r.encoded.len() + 32).sum();
    let mut load = Load::new(backend, import.company_id, capacity);
    for (row, duplicate) in rows.into_iter().zip(duplicates) {
        match duplicate {
            Some(earlier) => rejections.push(Rejection {
                row_number: row.row_number,
                column_name: ctx.phone_column.to_string(),
                reason: earlier.reason(),
                cells: serde_json::to_string(&row.cells).unwrap_or_default(),
            }),
            None => load.push(ctx.allocation.place(imported_before + load.rows), &row),
        }
    }
    let imported = load.rows;
    load.run(tx).await?;
    for chunk in rejections.chunks(500) {
        let mut insert = Query::insert();
        insert.into_table(ImportRejections::Table).columns([
            ImportRejections::ImportId,
            ImportRejections::RowNumber,
            ImportRejections::ColumnName,
            ImportRejections::Reason,
            ImportRejections::Cells,
        ]);
        for r in chunk {
            insert.values_panic([
                import.id.into(),
                r.row_number.into(),
                r.column_name.clone().into(),
                r.reason.clone().into(),
                r.cells.clone().into(),
            ]);
        }
        tx.run(&insert).await?;
    }
    let outcome = BatchOutcome { imported, rejected: rejections.len() as i64 };
    let moved = tx
        .run(
            Query::update()
                .table(Imports::Table)
                .value(Imports::NextRow, next_row)
                .value(Imports::Imported, Expr::col(Imports::Imported).add(outcome.imported))
                .value(Imports::Rejected, Expr::col(Imports::Rejected).add(outcome.rejected))
                .value(Imports::LockedUntil, ctx.lease_until)
                .and_where(Expr::col(Imports::Id).eq(import.id))
                .and_where(Expr::col(Imports::LockedUntil).eq(ctx.held_until)),
        )
        .await?;
    if moved == 0 {
        // Another worker took the import over; this batch is theirs to do (rolled back by the
        // caller dropping `tx`).
        return Err(StorageError::Refused(Refusal::ImportTakenOver));
    }
    Ok(outcome)
}

/// Commits the batches written in `tx`.
pub async fn commit_batches(db: &Db, tx: Tx) -> Result<()> {
    if db.backend() == Backend::Postgres {
        // Without waiting for the log to reach the disk: a crash may lose the last batches
        // committed, but with the position they reached (it is in the same transaction), so the
        // import resumes before them. A batch's log is megabytes; the next batch need not wait.
        crate::db::execute_generated(&tx, "SET LOCAL synchronous_commit TO off").await?;
    }
    tx.commit().await?;
    if db.backend() == Backend::Postgres {
        refresh_statistics(db).await?;
    }
    Ok(())
}

/// A bulk import outruns autovacuum, whose ANALYZE comes a minute or more later (or never,
/// where it is off). Planned with the statistics of a nearly empty table, PostgreSQL takes
/// `company_id = ?` for a selective condition and answers each batch's duplicate lookups by
/// reading every contact of the company (an import of a million rows crawled at 500 rows/s).
/// So once the table has grown to twice the size its statistics describe, it is analyzed from
/// a small sample (its size and the companies' shares are all the lookups need): about ten
/// times over such an import, tens of milliseconds each. [`analyze_imported`] does it in full
/// at the end.
async fn refresh_statistics(db: &Db) -> Result<()> {
    let size = Query::select()
        .expr(Expr::cust("pg_relation_size(oid) / current_setting('block_size')::bigint"))
        .expr(Expr::cust("relpages::bigint"))
        .from(sea_query::Alias::new("pg_class"))
        .and_where(Expr::cust("oid = 'contacts'::regclass"))
        .to_owned();
    let (pages, described): (i64, i64) = db.one(&size).await?;
    if pages > 2 * std::cmp::max(described, 32) {
        let tx = db.begin().await?;
        // A tenth of the default sample (3,000 rows instead of 30,000).
        crate::db::execute_generated(&tx, "SET LOCAL default_statistics_target = 10").await?;
        crate::db::execute_generated(&tx, "ANALYZE contacts").await?;
        tx.commit().await?;
    }
    Ok(())
}

/// After an import that added contacts: PostgreSQL's statistics of them in full, for the
/// list's filters (the batches only sampled them lightly). SQLite keeps none.
pub async fn analyze_imported(db: &Db) -> Result<()> {
    if db.backend() == Backend::Postgres {
        crate::db::execute_generated(db, "ANALYZE contacts").await?;
    }
    Ok(())
}

enum DuplicateOf {
    Contact(i64),
    Row(i64),
}

impl DuplicateOf {
    fn reason(&self) -> String {
        match self {
            DuplicateOf::Contact(id) => format!("duplicate: contact #{id} has this phone number"),
            DuplicateOf::Row(row) => format!("duplicate: row {row} has this phone number"),
        }
    }
}

/// Of the batch's phones, those a contact of the company has already (by phone or WhatsApp id).
/// Answers each phone's contact id.
async fn existing_phones(
    tx: &Tx,
    backend: Backend,
    company_id: i64,
    rows: &[ValidRow],
) -> Result<HashMap<String, i64>> {
    let phones: Vec<String> = rows.iter().map(|r| r.phone.clone()).collect();
    let wa_ids: Vec<String> = phones.iter().map(|p| rapport_domain::phone::wa_id(p)).collect();
    // Two lookups, each on its unique index, as in `contacts::duplicate_of` (one with an OR
    // read the whole company's contacts once per batch on SQLite without statistics).
    let lookup = || {
        Query::select()
            .columns([Contacts::Id, Contacts::Phone, Contacts::WaId])
            .from(Contacts::Table)
            .and_where(Expr::col(Contacts::CompanyId).eq(company_id))
            .to_owned()
    };
    let by_phone = lookup()
        .and_where(crate::json::one_of(backend, Contacts::Phone, &phones))
        .and_where(Expr::col(Contacts::Phone).ne(Expr::cust("''")))
        .to_owned();
    let by_wa_id = lookup().and_where(crate::json::one_of(backend, Contacts::WaId, &wa_ids)).to_owned();
    let mut hits: Vec<(i64, String, Option<String>)> = tx.all(&by_phone).await?;
    hits.extend(tx.all::<(i64, String, Option<String>)>(&by_wa_id).await?);
    let mut found = HashMap::new();
    for (id, phone, wa_id) in hits {
        if let Some(wa_id) = wa_id {
            found.insert(format!("+{wa_id}"), id);
        }
        found.insert(phone, id);
    }
    Ok(found)
}

/// Ends an import: `done`, or `failed` with the reason (an unreadable file).
pub async fn finish(db: &Db, id: i64, status: ImportStatus, error: Option<String>) -> Result<()> {
    db.run(
        Query::update()
            .table(Imports::Table)
            .value(Imports::Status, status.as_str())
            .value(Imports::Error, error)
            .value(Imports::LockedUntil, Option::<i64>::None)
            .value(Imports::FinishedAt, now_ms())
            .and_where(Expr::col(Imports::Id).eq(id)),
    )
    .await?;
    Ok(())
}

/// The rows an import rejected, in row order.
pub async fn rejections(db: &Db, scope: &Scope, id: i64) -> Result<Vec<Rejection>> {
    get(db, scope, id).await?;
    db.all(
        Query::select()
            .columns([
                ImportRejections::RowNumber,
                ImportRejections::ColumnName,
                ImportRejections::Reason,
                ImportRejections::Cells,
            ])
            .from(ImportRejections::Table)
            .and_where(Expr::col(ImportRejections::ImportId).eq(id))
            .order_by(ImportRejections::RowNumber, Order::Asc),
    )
    .await
}

/// The department each staff member works in (an imported contact joins its responsible's).
pub async fn departments_of(db: &Db, company_id: i64, staff_ids: &[i64]) -> Result<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = db
        .all(
            Query::select()
                .columns([Staff::Id, Staff::DepartmentId])
                .from(Staff::Table)
                .and_where(Expr::col(Staff::CompanyId).eq(company_id))
                .and_where(Expr::col(Staff::Id).is_in(staff_ids.to_vec())),
        )
        .await?;
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row with only its encoding (what a load reads).
    fn encoded(encoded: String) -> ValidRow {
        ValidRow { row_number: 2, cells: vec![], phone: String::new(), encoded }
    }

    #[test]
    fn csv_quotes_every_text_and_doubles_its_quotes() {
        let line = csv_tail(&["Anh \"Tí\", Nguyễn", "", "line\nbreak"], [7, 100, 200]);
        assert_eq!(line, "\"Anh \"\"Tí\"\", Nguyễn\",\"\",\"line\nbreak\",7,100,200\n");
    }

    #[test]
    fn a_sqlite_load_is_one_json_array_of_placed_rows() {
        let mut load = Load::new(Backend::Sqlite, 1, 0);
        load.push((Some(5), 3), &encoded(json_tail(&["Anh \"Tí\"", "+84911234567"], [7, 1, 1])));
        load.push((None, 4), &encoded(json_tail(&["Bình", "+84911234568"], [7, 1, 1])));
        load.text.push(']');
        let parsed: Value = serde_json::from_str(&load.text).unwrap();
        assert_eq!(
            parsed,
            json!([[1, 3, 5, "Anh \"Tí\"", "+84911234567", 7, 1, 1], [1, 4, null, "Bình", "+84911234568", 7, 1, 1]])
        );
    }

    #[test]
    fn a_postgres_load_leaves_an_absent_staff_member_unquoted_for_null() {
        let mut load = Load::new(Backend::Postgres, 1, 0);
        let tail = encoded(csv_tail(&["An"], [7, 1, 1]));
        load.push((None, 4), &tail);
        load.push((Some(5), 3), &tail);
        assert_eq!(load.text, "1,4,,\"An\",7,1,1\n1,3,5,\"An\",7,1,1\n");
    }
}
