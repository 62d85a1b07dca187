//! Contact imports (CONT-3) and exports (CONT-4). An import is uploaded (CSV or XLSX), its
//! columns matched to fields (suggested by header name, then confirmed), and run in the
//! background with progress; rejected rows are listed and downloadable as CSV. An export is the
//! contacts list as filtered, streamed as CSV or XLSX.

use super::contacts::{ContactQuery, columns_of, list_query};
use super::extract::{ApiJson, ApiQuery, Id};
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, ReadErrors, UpdateErrors};
use crate::views::rfc3339;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_app::customers::Catalogue;
use rapport_domain::Grant;
use rapport_domain::values::required_text;
use rapport_storage::imports::{self, Import, Plan};
use rapport_tabular::{Format, Sheet, auto_map};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The largest file an import takes.
pub const MAX_IMPORT: usize = 200 * 1024 * 1024;
const PREVIEW_ROWS: usize = 5;

#[derive(Serialize, ToSchema)]
pub struct ImportView {
    pub id: i64,
    pub file_name: String,
    /// `mapping` (waiting to be started), `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// The file's column headers.
    pub headers: Vec<String>,
    /// Per column, the field it fills (`name`, `phone`, `email`, `address`, `source` or an
    /// extended field's key), or null to skip it.
    pub mapping: Vec<Option<String>>,
    pub staff_ids: Vec<i64>,
    pub total_rows: i64,
    /// Rows worked through so far.
    pub processed_rows: i64,
    pub imported: i64,
    pub rejected: i64,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

fn view(import: Import, headers: Vec<String>) -> ImportView {
    ImportView {
        id: import.id,
        mapping: import.mapping(),
        staff_ids: import.staff_ids(),
        processed_rows: import.imported + import.rejected,
        file_name: import.file_name,
        status: import.status.to_string(),
        headers,
        total_rows: import.total_rows,
        imported: import.imported,
        rejected: import.rejected,
        error: import.error,
        created_at: rfc3339(import.created_at),
        finished_at: import.finished_at.map(rfc3339),
    }
}

async fn headers_of(state: &AppState, import: &Import) -> Vec<String> {
    let path = state.settings.media_dir.join(&import.path);
    tokio::task::spawn_blocking(move || Sheet::open(path).map(|s| s.headers().to_vec()).unwrap_or_default())
        .await
        .unwrap_or_default()
}

#[derive(Serialize, ToSchema)]
pub struct UploadedImport {
    #[serde(flatten)]
    pub import: ImportView,
    /// The first rows, to check the mapping against.
    pub preview: Vec<Vec<String>>,
    /// What columns may fill: built-in keys and extended fields' keys, with their names.
    pub targets: Vec<TargetView>,
}

#[derive(Serialize, ToSchema)]
pub struct TargetView {
    pub key: String,
    pub label: String,
    pub required: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportUpload {
    /// The file's name; `.csv` or `.xlsx`.
    #[param(min_length = 1, max_length = 255)]
    pub filename: String,
}

/// Upload a CSV (UTF-8, comma or semicolon) or XLSX file to import: answers its headers, a
/// suggested mapping and the first rows. Nothing is imported until the import is started.
#[utoipa::path(post, path = "/api/v1/imports", tag = "contacts", params(ImportUpload),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
    responses(
        (status = 201, description = "Stored, waiting for its mapping", body = UploadedImport),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.contacts`, or a wrong CSRF token", body = ErrorBody),
        (status = 413, description = "Larger than 200 MB"),
        (status = 422, description = "Not a readable CSV or XLSX file, or no header row", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<ImportUpload>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<UploadedImport>)> {
    auth.require(Grant::MenuContacts)?;
    let file_name = required_text("filename", &query.filename, 255)?;
    let format = Format::sniff(&body)
        .or_else(|| Format::from_name(&file_name))
        .ok_or_else(|| ApiError::invalid("file", "is not a CSV or XLSX file"))?;
    let relative = format!("imports/{}/{}.{}", auth.scope.company_id(), random_name(), format.extension());
    let path = state.settings.media_dir.join(&relative);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(|e| ApiError::Internal(format!("import store: {e}")))?;
    }
    tokio::fs::write(&path, &body).await.map_err(|e| ApiError::Internal(format!("import store: {e}")))?;
    let reading = path.clone();
    let read = tokio::task::spawn_blocking(move || -> Result<(Vec<String>, Vec<Vec<String>>, i64), String> {
        let sheet = Sheet::open_as(&reading, format).map_err(|e| e.to_string())?;
        let headers = sheet.headers().to_vec();
        let mut preview = Vec::new();
        let mut total = 0;
        for row in sheet {
            let row = row.map_err(|e| e.to_string())?;
            if preview.len() < PREVIEW_ROWS {
                preview.push(row.cells);
            }
            total += 1;
        }
        Ok((headers, preview, total))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (headers, preview, total) = match read {
        Ok(read) => read,
        Err(reason) => {
            let _ = tokio::fs::remove_file(&path).await;
            return Err(ApiError::invalid("file", reason));
        }
    };
    let offered = rapport_app::import::targets(&state.db, &auth.scope).await?;
    let mapping = auto_map(&headers, &offered.targets);
    let targets = offered
        .targets
        .iter()
        .map(|t| TargetView { key: t.key.clone(), label: t.label.clone(), required: offered.is_required(&t.key) })
        .collect();
    let import = imports::create(&state.db, &auth.scope, &file_name, &relative, &mapping, total).await?;
    Ok((StatusCode::CREATED, Json(UploadedImport { import: view(import, headers), preview, targets })))
}

fn random_name() -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::rng().random();
    hex::encode(bytes)
}

#[derive(Serialize, ToSchema)]
pub struct ImportList {
    pub items: Vec<ImportView>,
    /// Always null: the 50 most recent imports come on one page.
    pub next_cursor: Option<String>,
}

/// The company's imports, newest first.
#[utoipa::path(get, path = "/api/v1/imports", tag = "contacts",
    responses(
        (status = 200, description = "Recent imports", body = ImportList),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.contacts`", body = ErrorBody),
    ))]
pub async fn list(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<ImportList>> {
    auth.require(Grant::MenuContacts)?;
    let imports = imports::list(&state.db, &auth.scope, 50).await?;
    Ok(Json(ImportList { items: imports.into_iter().map(|i| view(i, Vec::new())).collect(), next_cursor: None }))
}

/// One import and its progress.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, description = "The import", body = ImportView), ReadErrors))]
pub async fn get_one(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<ImportView>> {
    auth.require(Grant::MenuContacts)?;
    let import = imports::get(&state.db, &auth.scope, id).await?;
    let headers = headers_of(&state, &import).await;
    Ok(Json(view(import, headers)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// Per column, the field it fills or null; `name` and `phone` (and required fields) must be mapped.
    pub mapping: Vec<Option<String>>,
    /// Staff the contacts are handed to in turn (one member: all to them).
    pub staff_ids: Vec<i64>,
    /// The department of the contacts (default: each one's responsible staff member's).
    pub department_id: Option<i64>,
    /// Recorded as the contacts' source (default `import`) unless a column gives one.
    pub source: Option<String>,
}

/// Start an uploaded import with its mapping and allocation; it runs in the background.
#[utoipa::path(post, path = "/api/v1/imports/{id}/start", tag = "contacts", params(("id" = i64, Path)), request_body = StartRequest,
    responses(
        (status = 200, description = "Queued", body = ImportView),
        (status = 409, description = "Started already", body = ErrorBody),
        UpdateErrors,
    ))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    Id(id): Id,
    ApiJson(body): ApiJson<StartRequest>,
) -> ApiResult<Json<ImportView>> {
    auth.require(Grant::MenuContacts)?;
    let import = imports::get(&state.db, &auth.scope, id).await?;
    let headers = headers_of(&state, &import).await;
    let offered = rapport_app::import::targets(&state.db, &auth.scope).await?;
    offered
        .check(headers.len(), &body.mapping)
        .map_err(|message| ApiError::InvalidField { field: "mapping".into(), message })?;
    let mapping = body.mapping;
    if body.staff_ids.is_empty() {
        return Err(ApiError::invalid("staff_ids", "choose who the contacts go to"));
    }
    for staff_id in &body.staff_ids {
        if *staff_id != auth.staff_id() {
            rapport_storage::staff::get(&state.db, &auth.scope, *staff_id)
                .await
                .map_err(|_| ApiError::invalid("staff_ids", format!("no such staff member: {staff_id}")))?;
        }
    }
    if let Some(department_id) = body.department_id {
        rapport_storage::departments::get(&state.db, &auth.scope, department_id)
            .await
            .map_err(|_| ApiError::invalid("department_id", "no such department"))?;
    }
    let source = match body.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => rapport_domain::values::optional_text("source", s, rapport_domain::contact::SOURCE_MAX)?,
        None => "import".to_string(),
    };
    let plan = Plan { mapping, staff_ids: body.staff_ids, department_id: body.department_id, source };
    let import = imports::start(&state.db, &auth.scope, &auth.actor(), id, plan).await?;
    state.imports.notify_one();
    Ok(Json(view(import, headers)))
}

/// The rows an import rejected, as CSV: row number, column, reason, then the row's cells.
#[utoipa::path(get, path = "/api/v1/imports/{id}/rejections", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, description = "The report", content_type = "text/csv", body = String), ReadErrors))]
pub async fn rejections(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Response> {
    auth.require(Grant::MenuContacts)?;
    let import = imports::get(&state.db, &auth.scope, id).await?;
    let rows = imports::rejections(&state.db, &auth.scope, id).await?;
    let headers = headers_of(&state, &import).await;
    let mut sink = rapport_tabular::CsvSink::new(Vec::new()).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut head = vec!["row".to_string(), "column".to_string(), "reason".to_string()];
    head.extend(headers);
    let write = |sink: &mut rapport_tabular::CsvSink<Vec<u8>>, cells: &[String]| {
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        rapport_tabular::RowSink::write_row(sink, &cells).map_err(|e| ApiError::Internal(e.to_string()))
    };
    write(&mut sink, &head)?;
    for r in rows {
        let mut cells = vec![r.row_number.to_string(), r.column_name, r.reason];
        cells.extend(serde_json::from_str::<Vec<String>>(&r.cells).unwrap_or_default());
        write(&mut sink, &cells)?;
    }
    let bytes = sink.finish().map_err(|e| ApiError::Internal(e.to_string()))?;
    let disposition = crate::disposition::content_disposition(false, &format!("import-{id}-rejected.csv"));
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
    /// Columns in order, comma-separated (default: the caller's list columns).
    pub columns: Option<String>,
    /// As for the list.
    pub q: Option<String>,
    pub responsible_staff_id: Option<i64>,
    /// As for the list: a JSON array of `{"field","op","value"}`.
    pub filter: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
}

/// The contacts list exactly as filtered (everything without a filter), streamed as CSV or XLSX.
#[utoipa::path(get, path = "/api/v1/exports/contacts", tag = "contacts", params(ExportQuery),
    responses(
        (status = 200, description = "The file", content_type = "text/csv", body = String),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Needs `menu.contacts`", body = ErrorBody),
        (status = 422, description = "A bad parameter, filter or column", body = ErrorBody),
    ))]
pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    auth.require(Grant::MenuContacts)?;
    let xlsx = match q.format.as_deref() {
        None | Some("csv") => false,
        Some("xlsx") => true,
        Some(_) => return Err(ApiError::invalid("format", "must be `csv` or `xlsx`")),
    };
    let catalogue = Catalogue::load(&state.db, &auth.scope).await?;
    let columns = match q.columns.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(list) => catalogue.check_columns(&list.split(',').map(|c| c.trim().to_string()).collect::<Vec<_>>())?,
        None => columns_of(&state, &auth, &catalogue).await?.columns,
    };
    let list = ContactQuery {
        q: q.q,
        responsible_staff_id: q.responsible_staff_id,
        filter: q.filter,
        sort: q.sort,
        order: q.order,
        ..ContactQuery::default()
    };
    let query = list_query(&auth, &catalogue, &list)?;
    let catalog = state.i18n.for_language("en");
    let export = rapport_app::export::prepare(&state.db, &auth.scope, &catalogue, catalog, query, columns).await?;
    let (db, runtime) = (state.db.clone(), tokio::runtime::Handle::current());
    if xlsx {
        let dir = state.settings.media_dir.join("exports");
        tokio::fs::create_dir_all(&dir).await.map_err(|e| ApiError::Internal(format!("export: {e}")))?;
        let path = dir.join(format!("{}.xlsx", random_name()));
        let writing = path.clone();
        tokio::task::spawn_blocking(move || export.write_xlsx(&db, &runtime, &writing))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let file = tokio::fs::File::open(&path).await.map_err(|e| ApiError::Internal(format!("export: {e}")))?;
        // The open file stays readable once unlinked; nothing is left behind.
        let _ = tokio::fs::remove_file(&path).await;
        let body = Body::from_stream(file_chunks(file));
        return Ok(attachment(body, "contacts.xlsx", Format::Xlsx.mime_type()));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let out = ChannelWriter { tx: tx.clone(), buffer: Vec::with_capacity(CHUNK) };
        if let Err(e) = export.write_csv(&db, &runtime, out) {
            tracing::warn!(error = %e, "export stopped");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Ok(attachment(Body::from_stream(stream), "contacts.csv", "text/csv; charset=utf-8"))
}

fn attachment(body: Body, name: &str, content_type: &str) -> Response {
    let disposition = crate::disposition::content_disposition(false, name);
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

const CHUNK: usize = 64 * 1024;

/// Bytes written by the blocking export thread, sent to the response in 64 KB chunks.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        // The client went away: stop writing.
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

fn file_chunks(file: tokio::fs::File) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buffer = vec![0; CHUNK];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(Bytes::from(buffer)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
}

#[derive(Serialize, ToSchema)]
pub struct RejectedRow {
    /// The spreadsheet row number (the header is row 1).
    pub row: i64,
    /// The column (its header) whose value was refused.
    pub column: String,
    pub reason: String,
}

/// The first 200 rejected rows of an import, for showing on the page.
#[utoipa::path(get, path = "/api/v1/imports/{id}/rejected-rows", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, description = "Rejected rows in row order", body = Vec<RejectedRow>), ReadErrors))]
pub async fn rejected_rows(State(state): State<AppState>, auth: Auth, Id(id): Id) -> ApiResult<Json<Vec<RejectedRow>>> {
    auth.require(Grant::MenuContacts)?;
    let rows = imports::rejections(&state.db, &auth.scope, id).await?;
    Ok(Json(
        rows.into_iter()
            .take(200)
            .map(|r| RejectedRow { row: r.row_number, column: r.column_name, reason: r.reason })
            .collect(),
    ))
}
