//! `rapport import contacts` and `rapport export contacts`: the operator's way to load a
//! spreadsheet of customers into a company and to take them out again, through the very code the
//! API's import and export use (CONT-3, CONT-4), acting on the whole company.
//!
//! An import is stored like an upload — the file copied under the media folder, an `imports` row
//! with the suggested mapping — then queued and run in the foreground, batch by batch, exactly as
//! a server's import worker would run it. So the server shows it among the company's imports and
//! serves its rejection report, and if the command is stopped, a server on the same database and
//! media folder resumes it where its last batch ended.

use crate::demo::{operator_actor, operator_scope};
use anyhow::{Context, Result, anyhow, bail};
use rapport_domain::status::ImportStatus;
use rapport_storage::imports::{self, Import, Plan};
use rapport_storage::{Db, Scope, now_ms};
use rapport_tabular::mapping::normalize_header;
use rapport_tabular::{Format, Sheet, auto_map};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The CSV (UTF-8, comma or semicolon separated) or XLSX file; its first row names the columns.
    pub file: PathBuf,
    /// The company the contacts join.
    #[arg(long)]
    pub company: i64,
    /// Staff member the contacts are handed to; repeat it to hand them out in turn.
    #[arg(long = "staff", value_name = "ID", required = true)]
    pub staff: Vec<i64>,
    /// The contacts' department (default: each one's responsible staff member's).
    #[arg(long)]
    pub department: Option<i64>,
    /// Recorded as the contacts' source, unless a column gives one.
    #[arg(long, default_value = "import")]
    pub source: String,
    /// Columns are matched to fields by their headers, as the upload suggests; this overrides one
    /// column: `HEADER=KEY`, KEY being `name`, `phone`, `email`, `address`, `source` or an extended
    /// field's key, or empty to skip the column. Repeatable.
    #[arg(long = "map", value_name = "HEADER=KEY")]
    pub map: Vec<String>,
    /// Also write the rejected rows (row, column, reason, then the row's cells) to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub rejections: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub company: i64,
    /// Default: by the output file's extension (`.xlsx`), else CSV.
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Conditions as the contacts list takes them: a JSON array of `{"field","op","value"}`,
    /// e.g. '[{"field":"city","op":"eq","value":"Hà Nội"}]'. Default: every contact.
    #[arg(long)]
    pub filter: Option<String>,
    /// Columns in order, comma-separated: built-ins (`name`, `phone`, `email`, `address`,
    /// `source`, `responsible_staff_id`, `department_id`, `created_at`) and field keys.
    /// Default: all of them.
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
}

/// `rapport import contacts`.
pub async fn import(db: &Db, media_dir: &Path, args: ImportArgs) -> Result<()> {
    let scope = company_scope(db, args.company).await?;
    let sheet = read_sheet(&args.file).await?;
    let mapping = mapping(db, &scope, &sheet.headers, &args.map).await?;
    let mut err = std::io::stderr();
    writeln!(err, "{}: {} rows; columns:", args.file.display(), sheet.rows)?;
    for (header, target) in sheet.headers.iter().zip(&mapping) {
        writeln!(err, "  {header:<30} → {}", target.as_deref().unwrap_or("(skipped)"))?;
    }
    let file_name = args.file.file_name().map_or("import".into(), |n| n.to_string_lossy().into_owned());
    let relative = store(&args.file, media_dir, args.company, sheet.format).await?;
    let plan = Plan { mapping, staff_ids: args.staff, department_id: args.department, source: args.source };
    let started = Instant::now();
    let queued = Queued { file_name: &file_name, path: &relative, total_rows: sheet.rows, plan };
    let done = queue_and_run(db, &scope, media_dir, queued, true).await?;
    let seconds = started.elapsed().as_secs_f64();
    let mut out = std::io::stdout();
    writeln!(
        out,
        "import #{}: {} — {} imported, {} rejected of {} rows in {seconds:.1} s",
        done.id, done.status, done.imported, done.rejected, done.total_rows
    )?;
    if let Some(error) = &done.error {
        writeln!(out, "stopped: {error}")?;
    }
    if done.rejected > 0 {
        let rejected = imports::rejections(db, &scope, done.id).await?;
        for r in rejected.iter().take(10) {
            writeln!(out, "  row {}: {}: {}", r.row_number, r.column_name, r.reason)?;
        }
        if rejected.len() > 10 {
            writeln!(out, "  … and {} more", rejected.len() - 10)?;
        }
        match &args.rejections {
            Some(path) => {
                write_rejections(path, &sheet.headers, &rejected)?;
                writeln!(out, "the rejected rows are in {}", path.display())?;
            }
            None => writeln!(
                out,
                "the rejected rows: GET /api/v1/imports/{}/rejections (CSV), or run again with --rejections FILE",
                done.id
            )?,
        }
    }
    Ok(())
}

/// `rapport export contacts`.
pub async fn export(db: &Db, args: ExportArgs) -> Result<()> {
    let scope = company_scope(db, args.company).await?;
    let xlsx = match args.format {
        Some(format) => matches!(format, ExportFormat::Xlsx),
        None => args.output.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")),
    };
    let columns = args.columns.map(|c| c.into_iter().map(|c| c.trim().to_string()).collect());
    let export = rapport_app::export::prepare_all(db, &scope, args.filter.as_deref(), columns).await?;
    let started = Instant::now();
    let (db, runtime, output) = (db.clone(), tokio::runtime::Handle::current(), args.output.clone());
    let rows = tokio::task::spawn_blocking(move || -> Result<u64> {
        Ok(if xlsx {
            export.write_xlsx(&db, &runtime, &output)?
        } else {
            let file = std::fs::File::create(&output).with_context(|| format!("creating {}", output.display()))?;
            export.write_csv(&db, &runtime, std::io::BufWriter::new(file))?
        })
    })
    .await??;
    writeln!(
        std::io::stdout(),
        "{rows} contacts written to {} in {:.1} s",
        args.output.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}

async fn company_scope(db: &Db, company_id: i64) -> Result<Scope> {
    operator_scope(db, company_id).await.with_context(|| format!("opening company {company_id}"))
}

/// An import file as the upload step reads it.
pub struct SheetInfo {
    pub format: Format,
    pub headers: Vec<String>,
    pub rows: i64,
}

/// The file's format (from its bytes, else its name), headers and number of rows.
pub async fn read_sheet(path: &Path) -> Result<SheetInfo> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> Result<SheetInfo> {
        let mut head = Vec::with_capacity(8192);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(
                std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?,
                8192,
            ),
            &mut head,
        )?;
        let format = Format::sniff(&head)
            .or_else(|| Format::from_name(&path.to_string_lossy()))
            .ok_or_else(|| anyhow!("{} is not a CSV or XLSX file", path.display()))?;
        let sheet = Sheet::open_as(&path, format).with_context(|| format!("reading {}", path.display()))?;
        let headers = sheet.headers().to_vec();
        let mut rows = 0;
        for row in sheet {
            row.with_context(|| format!("reading {}", path.display()))?;
            rows += 1;
        }
        Ok(SheetInfo { format, headers, rows })
    })
    .await?
}

/// The upload's suggested mapping with the operator's `HEADER=KEY` overrides, checked as the
/// API checks a mapping (`import::Targets::check`).
pub async fn mapping(db: &Db, scope: &Scope, headers: &[String], overrides: &[String]) -> Result<Vec<Option<String>>> {
    let targets = rapport_app::import::targets(db, scope).await?;
    let mut mapping = auto_map(headers, &targets.targets);
    for rule in overrides {
        let (header, key) = rule.split_once('=').ok_or_else(|| anyhow!("--map {rule}: expected HEADER=KEY"))?;
        let wanted = normalize_header(header);
        let column = headers
            .iter()
            .position(|h| h == header.trim())
            .or_else(|| headers.iter().position(|h| normalize_header(h) == wanted))
            .ok_or_else(|| anyhow!("--map {rule}: no column `{header}`; the columns are: {}", headers.join(", ")))?;
        let key = key.trim();
        mapping[column] = (!key.is_empty()).then(|| key.to_string());
    }
    if let Err(problem) = targets.check(headers.len(), &mapping) {
        let matched: Vec<String> = headers
            .iter()
            .zip(&mapping)
            .map(|(h, m)| format!("{h} → {}", m.as_deref().unwrap_or("(skipped)")))
            .collect();
        let keys: Vec<&str> = targets.targets.iter().map(|t| t.key.as_str()).collect();
        bail!(
            "{problem}. The columns were matched as: {}. Columns may fill: {}. Use --map 'HEADER=KEY' (or 'HEADER=' to skip one)",
            matched.join("; "),
            keys.join(", ")
        );
    }
    Ok(mapping)
}

/// Copies the file under the media folder as the upload stores it; answers its relative path.
async fn store(file: &Path, media_dir: &Path, company_id: i64, format: Format) -> Result<String> {
    let name: [u8; 12] = rand::random();
    let relative = format!("imports/{company_id}/{}.{}", hex(&name), format.extension());
    let path = media_dir.join(&relative);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.with_context(|| format!("creating {}", dir.display()))?;
    }
    tokio::fs::copy(file, &path).await.with_context(|| format!("copying the file to {}", path.display()))?;
    Ok(relative)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored file ready to import.
pub struct Queued<'a> {
    pub file_name: &'a str,
    /// Relative to the media folder.
    pub path: &'a str,
    pub total_rows: i64,
    pub plan: Plan,
}

/// Creates the import, queues it and runs it here, as a server's worker would; answers the
/// import as it ended. The queue is first come, first served: an import queued earlier (by a
/// server's upload) is run first, and when a server's worker takes this one, its progress is
/// followed until it ends.
pub async fn queue_and_run(
    db: &Db,
    scope: &Scope,
    media_dir: &Path,
    queued: Queued<'_>,
    progress: bool,
) -> Result<Import> {
    let created =
        imports::create(db, scope, queued.file_name, queued.path, &queued.plan.mapping, queued.total_rows).await?;
    let id = created.id;
    imports::start(db, scope, &operator_actor(scope.company_id()), id, queued.plan).await?;
    let reporter = progress.then(|| tokio::spawn(report_progress(db.clone(), scope.clone(), id)));
    let result = async {
        loop {
            // The lease a worker takes (the server's; batches renew it).
            match imports::claim(db, now_ms() + 60_000).await? {
                Some(claimed) if claimed.id == id => {
                    rapport_app::import::run(db, media_dir, claimed).await?;
                    break;
                }
                Some(earlier) => {
                    tracing::info!(import = earlier.id, "an import queued earlier runs first");
                    rapport_app::import::run(db, media_dir, earlier).await?;
                }
                None => {
                    tracing::info!(import = id, "another worker took the import; following it");
                    while matches!(
                        imports::get(db, scope, id).await?.status,
                        ImportStatus::Queued | ImportStatus::Running
                    ) {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    break;
                }
            }
        }
        anyhow::Ok(())
    }
    .await;
    if let Some(reporter) = reporter {
        reporter.abort();
    }
    result?;
    Ok(imports::get(db, scope, id).await?)
}

async fn report_progress(db: Db, scope: Scope, id: i64) {
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if let Ok(i) = imports::get(&db, &scope, id).await {
            let processed = i.imported + i.rejected;
            let _ = writeln!(
                std::io::stderr(),
                "  {processed} / {} rows ({} imported, {} rejected)",
                i.total_rows,
                i.imported,
                i.rejected
            );
        }
    }
}

/// The rejection report as the API serves it: row, column, reason, then the row's cells.
fn write_rejections(path: &Path, headers: &[String], rows: &[imports::Rejection]) -> Result<()> {
    use rapport_tabular::RowSink;
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut sink = rapport_tabular::CsvSink::new(std::io::BufWriter::new(file))?;
    let mut head = vec!["row".to_string(), "column".to_string(), "reason".to_string()];
    head.extend(headers.iter().cloned());
    sink.write_row(&head.iter().map(String::as_str).collect::<Vec<_>>())?;
    for r in rows {
        let mut cells = vec![r.row_number.to_string(), r.column_name.clone(), r.reason.clone()];
        cells.extend(serde_json::from_str::<Vec<String>>(&r.cells).unwrap_or_default());
        sink.write_row(&cells.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    sink.finish()?.flush()?;
    Ok(())
}
