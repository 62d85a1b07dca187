//! Running a contact import (CONT-3): the file is read and every row checked exactly like the
//! contact form (on a blocking thread, batch by batch), and each batch committed in one
//! transaction with its rejections and the position reached — so an import survives a restart
//! and resumes where its last batch ended. One worker per instance takes queued imports from
//! the `imports` table; the command line runs an import the same way, in the foreground.

use crate::customers::Catalogue;
use rapport_domain::contact::Draft;
use rapport_domain::fields::{FieldDef, FieldError};
use rapport_domain::status::ImportStatus;
use rapport_storage::contacts::ContactInput;
use rapport_storage::imports::{self, BatchOutcome, Import, Rejection, ValidRow};
use rapport_storage::{Backend, Db, Scope, StorageError, Tx, now_ms};
use rapport_tabular::{Sheet, Target};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// Rows per transaction.
pub const BATCH: usize = 10_000;
/// How long a worker holds an import between batches before another instance may take it.
const LEASE_MS: i64 = 60_000;

/// The built-in columns an import fills (besides extended fields, by key).
pub const BUILTIN_TARGETS: [&str; 5] = ["name", "phone", "email", "address", "source"];

/// What an import's columns may fill, as the upload offers it: the built-in targets (with their
/// synonyms) and the enabled extended fields, labelled in English, and the keys a mapping must
/// include (`name`, `phone` and the required fields). For the command line, which has no upload
/// step: `rapport_tabular::auto_map(headers, &targets.targets)` suggests what the upload does.
pub struct Targets {
    pub targets: Vec<Target>,
    pub required: Vec<String>,
}

pub async fn targets(db: &Db, scope: &Scope) -> Result<Targets, StorageError> {
    let catalogue = Catalogue::load(db, scope).await?;
    let catalogs = crate::i18n::Catalogs::load();
    let catalog = catalogs.for_language("en");
    let builtins = BUILTIN_TARGETS.iter().map(|key| Target::builtin(key, catalogue.column_label(key, catalog)));
    let enabled = || catalogue.fields.iter().filter(|f| f.enabled);
    let fields = enabled().map(|f| Target::new(f.key.clone(), f.name.clone()));
    let required = ["name", "phone"].into_iter().map(String::from);
    let required = required.chain(enabled().filter(|f| f.required).map(|f| f.key.clone())).collect();
    Ok(Targets { targets: builtins.chain(fields).collect(), required })
}

impl Targets {
    /// Whether a target is required (`name`, `phone`, required fields).
    pub fn is_required(&self, key: &str) -> bool {
        self.required.iter().any(|r| r == key)
    }

    /// Checks a mapping for a file of `columns` columns: every target known and used once, every
    /// required one mapped. The error says what is wrong in words.
    pub fn check(&self, columns: usize, mapping: &[Option<String>]) -> Result<(), String> {
        if mapping.len() > columns {
            return Err(format!("the file has {columns} columns"));
        }
        let mut used: Vec<&str> = Vec::new();
        for target in mapping.iter().flatten() {
            if !self.targets.iter().any(|t| &t.key == target) {
                return Err(format!("`{target}` is not a field"));
            }
            if used.contains(&target.as_str()) {
                return Err(format!("`{target}` is mapped twice"));
            }
            used.push(target);
        }
        match self.required.iter().find(|key| !used.contains(&key.as_str())) {
            Some(key) => Err(format!("`{key}` is required: map a column to it")),
            None => Ok(()),
        }
    }
}

/// Starts this instance's import worker; `wake` is notified when an import is queued.
pub fn start(db: Db, files: PathBuf, wake: Arc<Notify>) {
    tokio::spawn(async move {
        while !db.is_closed() {
            match imports::claim(&db, now_ms() + LEASE_MS).await {
                Ok(Some(import)) => {
                    let id = import.id;
                    if let Err(e) = run(&db, &files, import).await {
                        tracing::warn!(import = id, error = %e, "import stopped; it resumes after its lease");
                    }
                }
                Ok(None) => {
                    let _ = tokio::time::timeout(Duration::from_secs(2), wake.notified()).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim an import");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    });
}

/// One batch as read and checked on the reading thread.
struct Batch {
    rows: Vec<ValidRow>,
    rejections: Vec<Rejection>,
    /// The first row after the batch.
    next_row: i64,
    /// The header of the column mapped to the phone, where duplicates are reported.
    phone_column: String,
}

/// Works through a claimed import from its `next_row` to the end.
pub async fn run(db: &Db, files: &Path, import: Import) -> Result<BatchOutcome, StorageError> {
    let scope = operator_scope(db, import.company_id).await?;
    let catalogue = Catalogue::load(db, &scope).await?;
    let staff_ids = import.staff_ids();
    let allocation = imports::Allocation {
        departments: imports::departments_of(db, import.company_id, &staff_ids).await?,
        staff_ids,
        department_id: import.department_id,
        fallback_department: scope.viewer.department_id,
    };
    let reader = RowReader {
        catalogue,
        mapping: import.mapping(),
        source: import.source.clone(),
        from_row: import.next_row,
        backend: db.backend(),
        import_id: import.id,
    };
    let (tx, mut batches) = mpsc::channel::<Result<Batch, String>>(2);
    let path = files.join(&import.path);
    let reading = tokio::task::spawn_blocking(move || reader.read(&path, &tx));
    let writer = db.bulk_writer().await?;
    let per_commit = batches_per_commit(db.backend());
    let mut held = import.locked_until.unwrap_or_default();
    let mut total = BatchOutcome::default();
    // The open transaction and how many batches it holds.
    let mut open: Option<(Tx, usize)> = None;
    let mut failure = None;
    while let Some(batch) = batches.recv().await {
        let batch = match batch {
            Ok(batch) => batch,
            Err(reason) => {
                failure = Some(reason);
                break;
            }
        };
        let (tx, written) = match open.take() {
            Some(open) => open,
            None => (writer.begin().await?, 0),
        };
        let lease = now_ms() + LEASE_MS;
        let ctx = imports::BatchContext {
            held_until: held,
            lease_until: lease,
            phone_column: &batch.phone_column,
            allocation: &allocation,
        };
        let done =
            imports::write_batch(&writer, &tx, &import, &ctx, batch.rows, batch.rejections, batch.next_row).await?;
        held = lease;
        total.imported += done.imported;
        total.rejected += done.rejected;
        // A transaction holds SQLite's write lock: it does not wait for the reader with it.
        if written + 1 < per_commit && !batches.is_empty() {
            open = Some((tx, written + 1));
        } else {
            imports::commit_batches(&writer, tx).await?;
            if writer.backend() == Backend::Sqlite {
                // SQLite has one writer at a time: the inbox's writes waiting for the lock
                // (they poll every 100 ms) get it before the next transaction takes it.
                tokio::time::sleep(Duration::from_millis(120)).await;
            }
        }
    }
    if let Some((tx, _)) = open {
        imports::commit_batches(&writer, tx).await?;
    }
    let _ = reading.await;
    if total.imported > 0 {
        imports::analyze_imported(db).await?;
    }
    let (status, reason) = match failure {
        Some(reason) => (ImportStatus::Failed, Some(reason)),
        None => (ImportStatus::Done, None),
    };
    imports::finish(db, import.id, status, reason).await?;
    Ok(total)
}

/// Batches per transaction. SQLite rewrites every page a transaction touched into its log at
/// commit, and a batch touches pages all over the phone and name indexes: ten batches per
/// commit write most of those pages once instead of ten times (a million rows: 100 s → 75 s
/// in `rapport bench contacts`). PostgreSQL writes changed pages at checkpoints, whatever the
/// commits.
fn batches_per_commit(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 10,
        Backend::Postgres => 1,
    }
}

/// The whole company, as a background job acts on it.
async fn operator_scope(db: &Db, company_id: i64) -> Result<Scope, StorageError> {
    let root = rapport_storage::departments::root(db, company_id).await?;
    Ok(Scope::operator(company_id, root.id, &root.path))
}

/// Reads, checks and encodes rows on a blocking thread.
struct RowReader {
    catalogue: Catalogue,
    mapping: Vec<Option<String>>,
    source: String,
    from_row: i64,
    /// Whose bulk load the rows are encoded for.
    backend: Backend,
    import_id: i64,
}

impl RowReader {
    fn read(self, path: &Path, out: &mpsc::Sender<Result<Batch, String>>) {
        let sheet = match Sheet::open(path) {
            Ok(sheet) => sheet,
            Err(e) => {
                let _ = out.blocking_send(Err(e.to_string()));
                return;
            }
        };
        let headers = sheet.headers().to_vec();
        let usable = self.catalogue.usable();
        let phone_column = self.column_of("phone", &headers);
        let mut batch = Batch {
            rows: Vec::new(),
            rejections: Vec::new(),
            next_row: self.from_row,
            phone_column: phone_column.clone(),
        };
        for row in sheet {
            let row = match row {
                Ok(row) => row,
                Err(e) => {
                    let _ = out.blocking_send(Err(e.to_string()));
                    return;
                }
            };
            let number = row.number as i64;
            if number < self.from_row {
                continue;
            }
            batch.next_row = number + 1;
            match self.check(&row.cells, &usable) {
                Ok(contact) => {
                    batch.rows.push(ValidRow::new(self.backend, self.import_id, number, row.cells, &contact))
                }
                Err(e) => batch.rejections.push(Rejection {
                    row_number: number,
                    column_name: self.column_of(&e.key, &headers),
                    reason: e.message,
                    cells: serde_json::to_string(&row.cells).unwrap_or_default(),
                }),
            }
            if batch.rows.len() + batch.rejections.len() >= BATCH {
                let next = Batch {
                    rows: Vec::new(),
                    rejections: Vec::new(),
                    next_row: batch.next_row,
                    phone_column: phone_column.clone(),
                };
                if out.blocking_send(Ok(std::mem::replace(&mut batch, next))).is_err() {
                    return;
                }
            }
        }
        if !batch.rows.is_empty() || !batch.rejections.is_empty() {
            let _ = out.blocking_send(Ok(batch));
        }
    }

    /// A row as the contact form would take it.
    fn check(&self, cells: &[String], usable: &[FieldDef]) -> Result<ContactInput, FieldError> {
        let mut draft = Draft { source: self.source.clone(), ..Draft::default() };
        let mut fields = Map::new();
        for (target, cell) in self.mapping.iter().zip(cells) {
            let Some(target) = target else { continue };
            let cell = cell.trim().to_string();
            match target.as_str() {
                "name" => draft.name = cell,
                "phone" => draft.phone = cell,
                "email" => draft.email = cell,
                "address" => draft.address = cell,
                "source" if !cell.is_empty() => draft.source = cell,
                "source" => {}
                key => {
                    fields.insert(key.to_string(), Value::String(cell));
                }
            }
        }
        draft.fields = fields;
        let details = rapport_domain::contact::validate(&draft, usable, &self.catalogue.country)?;
        // Who it goes to is settled when the batch is committed (`imports::Allocation`).
        Ok(ContactInput {
            name: details.name,
            phone: details.phone,
            phone_typed: details.phone_typed,
            department_id: 0,
            responsible_staff_id: None,
            email: details.email,
            address: details.address,
            source: details.source,
            fields: details.fields,
        })
    }

    /// The header of the column mapped to `key`, or the key when no column is.
    fn column_of(&self, key: &str, headers: &[String]) -> String {
        self.mapping
            .iter()
            .position(|m| m.as_deref() == Some(key))
            .and_then(|i| headers.get(i).cloned())
            .unwrap_or_else(|| key.to_string())
    }
}
