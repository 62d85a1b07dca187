//! The first worksheet of an XLSX workbook, through calamine, streamed: calamine's cell reader
//! borrows the workbook, so both live on a reader thread that hands rows over a bounded channel
//! (a whole sheet in calamine's `Range` takes about 850 MB for a million rows of eight cells).
//! Cells become the text a person sees in Excel: a phone number typed into a General cell is
//! stored as a float and must come back as `84912345678`, not `8.4912345678e10`; date cells come
//! back as ISO dates.

use super::{MAX_COLUMNS, MAX_PART_BYTES, MAX_ROWS, ReadError, Row, headers_from, is_blank};
use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx, open_workbook};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{self, JoinHandle};

/// Rows the reader thread may run ahead of the consumer.
const ROWS_AHEAD: usize = 512;

pub(super) struct Workbook {
    rows: Receiver<Result<Row, ReadError>>,
    /// Columns left of the header's first cell, dropped from every row (the table may start at
    /// column C; nothing left of its header could be mapped anyway).
    offset: usize,
    /// Joined when the rows run out, to tell a finished sheet from a reader that panicked.
    thread: Option<JoinHandle<()>>,
}

impl Workbook {
    /// Starts reading the first worksheet of the workbook at `path` and waits for its header
    /// row (the first row that is not blank).
    pub(super) fn open(path: &Path) -> Result<(Vec<String>, Workbook), ReadError> {
        let (sender, rows) = sync_channel(ROWS_AHEAD);
        let path = path.to_owned();
        let thread = thread::Builder::new().name("xlsx-reader".to_owned()).spawn(move || stream(&path, &sender))?;
        let mut source = Workbook { rows, offset: 0, thread: Some(thread) };
        let mut first = source.next_row().ok_or(ReadError::NoHeader)??.cells;
        source.offset = first.iter().position(|cell| !cell.trim().is_empty()).unwrap_or(0);
        first.drain(..source.offset);
        let headers = headers_from(first).ok_or(ReadError::NoHeader)?;
        Ok((headers, source))
    }

    /// The next row that is not blank, or the error that stopped the reader thread.
    pub(super) fn next_row(&mut self) -> Option<Result<Row, ReadError>> {
        let Ok(mut row) = self.rows.recv() else {
            let finished = self.thread.take()?.join();
            return finished.is_err().then_some(Err(ReadError::Damaged));
        };
        if let Ok(row) = &mut row {
            row.cells.drain(..self.offset.min(row.cells.len()));
        }
        Some(row)
    }
}

/// The reader thread: sends the rows of the first worksheet that are not blank, then the error
/// that stopped it if any; stops early when the [`Workbook`] is dropped.
fn stream(path: &Path, sender: &SyncSender<Result<Row, ReadError>>) {
    if let Err(error) = send_rows(path, &mut |row| sender.send(Ok(row)).is_ok()) {
        // The receiver may be gone already; then nobody needs the error.
        let _ = sender.send(Err(error));
    }
}

/// Walks the cells of the first visible worksheet (else the first hidden one; chart sheets are
/// not worksheets) in file order, row by row, and hands each finished row to `send`, which says
/// whether to go on. Cells are placed by their column, so `cells[0]` is column A.
fn send_rows(path: &Path, send: &mut dyn FnMut(Row) -> bool) -> Result<(), ReadError> {
    check_part_sizes(path)?;
    let mut workbook: Xlsx<_> = open_workbook(path)?;
    let sheets = workbook.sheets_metadata();
    let worksheets = || sheets.iter().filter(|sheet| sheet.typ == SheetType::WorkSheet);
    let first = worksheets().find(|sheet| sheet.visible == SheetVisible::Visible).or_else(|| worksheets().next());
    let name = first.ok_or(ReadError::NoWorksheet)?.name.clone();
    let mut cells = workbook.worksheet_cells_reader(&name)?;
    let mut row: Option<Row> = None;
    while let Some(cell) = cells.next_cell()? {
        let (index, column) = cell.get_position();
        let number = u64::from(index) + 1;
        // Cells are placed by their column, so a claimed column is memory: refuse what no
        // spreadsheet writes.
        if number > MAX_ROWS {
            return Err(ReadError::BeyondLastRow { row: number });
        }
        if u64::from(column) >= MAX_COLUMNS {
            return Err(ReadError::BeyondLastColumn { row: number, column: u64::from(column) + 1 });
        }
        if row.as_ref().is_some_and(|row| row.number != number)
            && let Some(done) = row.take().filter(|done| !is_blank(&done.cells))
            && !send(done)
        {
            return Ok(());
        }
        let current = row.get_or_insert_with(|| Row { number, cells: Vec::new() });
        let column = column as usize;
        if current.cells.len() <= column {
            current.cells.resize(column + 1, String::new());
        }
        current.cells[column] = cell_text(cell.get_value());
    }
    if let Some(done) = row.filter(|done| !is_blank(&done.cells)) {
        send(done);
    }
    Ok(())
}

/// Refuses a workbook any part of which claims to unpack to more than [`MAX_PART_BYTES`],
/// before anything is unpacked (calamine reads the shared strings whole when it opens a file).
fn check_part_sizes(path: &Path) -> Result<(), ReadError> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path)?).map_err(|_| ReadError::Damaged)?;
    for index in 0..zip.len() {
        let part = zip.by_index_raw(index).map_err(|_| ReadError::Damaged)?;
        if part.size() > MAX_PART_BYTES {
            return Err(ReadError::PartTooLarge {
                part: part.name().map(String::from).unwrap_or_default(),
                megabytes: part.size() / 1_000_000,
            });
        }
    }
    Ok(())
}

/// A cell as text: strings as they are, numbers as Excel shows them, booleans as `true`/`false`,
/// dates as `YYYY-MM-DD` (with ` HH:MM:SS` when there is a time), errors and empty cells as `""`.
pub(super) fn cell_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::String(text) => text.clone(),
        DataRef::SharedString(text) => (*text).to_owned(),
        DataRef::Int(number) => number.to_string(),
        DataRef::Float(number) => float_text(*number),
        DataRef::Bool(value) => value.to_string(),
        DataRef::DateTime(datetime) => datetime_text(datetime),
        DataRef::DateTimeIso(text) => text.replacen('T', " ", 1),
        DataRef::DurationIso(text) => text.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// A number as Excel's formula bar shows it: rounded to 15 significant digits (Excel's
/// precision, so `0.1 + 0.2` is `0.3`), without an exponent or a trailing `.0`.
fn float_text(number: f64) -> String {
    if !number.is_finite() {
        return String::new();
    }
    let rounded: f64 = format!("{number:.14e}").parse().unwrap_or(number);
    if rounded == 0.0 { "0".to_owned() } else { rounded.to_string() }
}

fn datetime_text(datetime: &ExcelDateTime) -> String {
    let value = datetime.as_f64();
    if datetime.is_duration() {
        return duration_text(value);
    }
    let (year, month, day, hour, minute, second, _) = datetime.to_ymd_hms_milli();
    if (0.0..1.0).contains(&value) && value > 0.0 {
        // A time of day alone (Excel's day 0 is no date anyone means).
        format!("{hour:02}:{minute:02}:{second:02}")
    } else if (hour, minute, second) == (0, 0, 0) {
        format!("{year:04}-{month:02}-{day:02}")
    } else {
        format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
    }
}

/// A duration (a number of days) as `H:MM:SS`, hours unbounded as in Excel's `[h]:mm:ss`.
fn duration_text(days: f64) -> String {
    let total = (days * 86_400.0).round() as i64;
    let sign = if total < 0 { "-" } else { "" };
    let total = total.unsigned_abs();
    format!("{sign}{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(cell_text(&DataRef::Float(84912345678.0)), "84912345678");
        assert_eq!(cell_text(&DataRef::Float(79123456789.0)), "79123456789");
        assert_eq!(cell_text(&DataRef::Float(0.1 + 0.2)), "0.3");
        assert_eq!(cell_text(&DataRef::Float(-2.5)), "-2.5");
        assert_eq!(cell_text(&DataRef::Float(-0.0)), "0");
        assert_eq!(cell_text(&DataRef::Float(1e20)), "100000000000000000000");
        assert_eq!(cell_text(&DataRef::Float(f64::NAN)), "");
        assert_eq!(cell_text(&DataRef::Int(-42)), "-42");
    }

    #[test]
    fn other_cells_read_as_text() {
        assert_eq!(cell_text(&DataRef::SharedString(" Nguyễn Văn A ")), " Nguyễn Văn A ");
        assert_eq!(cell_text(&DataRef::Bool(true)), "true");
        assert_eq!(cell_text(&DataRef::Bool(false)), "false");
        assert_eq!(cell_text(&DataRef::Empty), "");
        assert_eq!(cell_text(&DataRef::Error(calamine::CellErrorType::Div0)), "");
        assert_eq!(cell_text(&DataRef::DateTimeIso("2025-10-13T12:59:02".into())), "2025-10-13 12:59:02");
    }

    #[test]
    fn dates_read_as_iso() {
        let date = |value| DataRef::DateTime(ExcelDateTime::new(value, ExcelDateTimeType::DateTime, false));
        assert_eq!(cell_text(&date(45943.0)), "2025-10-13");
        assert_eq!(cell_text(&date(45943.5)), "2025-10-13 12:00:00");
        assert_eq!(cell_text(&date(0.75)), "18:00:00");
        let duration = DataRef::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false));
        assert_eq!(cell_text(&duration), "36:00:00");
    }
}
