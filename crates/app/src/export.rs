//! Exporting the contacts list (CONT-4): exactly the rows the list shows for the same query
//! (it pages through the very same list query), in the viewer's columns, as CSV or XLSX.
//! Rows are written a page at a time, so memory stays flat whatever the size: CSV streams to the
//! client as it is written; XLSX is assembled in a temporary file (its zip needs the end before
//! the start can be sent) and then streamed.

use crate::customers::{self, Catalogue};
use rapport_storage::contacts::{self, ListQuery};
use rapport_storage::{Db, Scope, StorageError};
use rapport_tabular::{CsvSink, RowSink, WriteError, XlsxSink};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Rows fetched per list query.
const PAGE: u64 = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A filter or column the catalogue refuses (the command line's [`prepare_all`]).
    #[error("{0}")]
    Invalid(String),
}

/// What to export: the list query (its cursor and limit are ignored), the columns and their
/// header labels.
pub struct Export {
    pub scope: Scope,
    pub query: ListQuery,
    pub columns: Vec<String>,
    pub labels: Vec<String>,
    pub departments: HashMap<i64, String>,
}

impl Export {
    /// Every matching row, page by page, into `sink` (header first). Blocks: runs the async
    /// list query on `runtime` — call it from a blocking thread. Answers the rows written.
    pub fn write(
        &self,
        db: &Db,
        runtime: &tokio::runtime::Handle,
        sink: &mut impl RowSink,
    ) -> Result<u64, ExportError> {
        let labels: Vec<&str> = self.labels.iter().map(String::as_str).collect();
        sink.write_row(&labels)?;
        let mut query = ListQuery { cursor: None, limit: PAGE, ..self.query.clone() };
        let mut written = 0;
        loop {
            let page = runtime.block_on(contacts::list(db, &self.scope, &query))?;
            for contact in &page.items {
                let cells: Vec<String> =
                    self.columns.iter().map(|c| customers::cell(contact, c, &self.departments)).collect();
                let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
                sink.write_row(&cells)?;
                written += 1;
            }
            match page.next_cursor {
                Some(next) => query.cursor = Some(next),
                None => return Ok(written),
            }
        }
    }

    pub fn write_csv(&self, db: &Db, runtime: &tokio::runtime::Handle, out: impl Write) -> Result<u64, ExportError> {
        let mut sink = CsvSink::new(out)?;
        let rows = self.write(db, runtime, &mut sink)?;
        sink.finish()?.flush().map_err(WriteError::Io)?;
        Ok(rows)
    }

    pub fn write_xlsx(&self, db: &Db, runtime: &tokio::runtime::Handle, path: &Path) -> Result<u64, ExportError> {
        let mut sink = XlsxSink::create(path, "Contacts")?;
        let rows = self.write(db, runtime, &mut sink)?;
        sink.finish()?;
        Ok(rows)
    }
}

/// The export of `query` in `columns`, with labels from the catalogue.
pub async fn prepare(
    db: &Db,
    scope: &Scope,
    catalogue: &Catalogue,
    catalog: &crate::i18n::Catalog,
    query: ListQuery,
    columns: Vec<String>,
) -> Result<Export, StorageError> {
    let departments =
        rapport_storage::departments::list(db, scope).await?.into_iter().map(|d| (d.id, d.name)).collect();
    let labels = columns.iter().map(|c| catalogue.column_label(c, catalog)).collect();
    Ok(Export { scope: scope.clone(), query, columns, labels, departments })
}

/// The command line's export: every contact `scope` sees as `filter` (a JSON array of
/// `{"field","op","value"}`, as the list takes it) narrows them, newest first, in `columns`
/// (default: every built-in column, then every field), labelled in English.
pub async fn prepare_all(
    db: &Db,
    scope: &Scope,
    filter: Option<&str>,
    columns: Option<Vec<String>>,
) -> Result<Export, ExportError> {
    let catalogue = Catalogue::load(db, scope).await?;
    let invalid = |e: crate::Error| ExportError::Invalid(e.to_string());
    let columns = match columns {
        Some(columns) => catalogue.check_columns(&columns).map_err(invalid)?,
        None => rapport_domain::contact_filter::Builtin::ALL
            .iter()
            .map(|b| b.as_str().to_string())
            .chain(catalogue.fields.iter().map(|f| f.key.clone()))
            .collect(),
    };
    let query = ListQuery {
        filter: catalogue.filter(filter).map_err(invalid)?,
        limit: PAGE,
        country: catalogue.country.clone(),
        ..ListQuery::default()
    };
    let catalogs = crate::i18n::Catalogs::load();
    Ok(prepare(db, scope, &catalogue, catalogs.for_language("en"), query, columns).await?)
}
