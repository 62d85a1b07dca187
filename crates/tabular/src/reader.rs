//! Reading an uploaded spreadsheet row by row. Imports are stored on disk and may be large, so
//! both formats are streamed: CSV record by record, XLSX cell by cell on a reader thread.
//! Both formats come out the same: trimmed headers, then rows of text cells numbered as the
//! spreadsheet numbers them, so an error can say "row 17" and the person finds row 17.

mod delimited;
mod workbook;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The file formats an import may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-, semicolon- or tab-separated text in UTF-8.
    Csv,
    /// An Excel 2007+ workbook.
    Xlsx,
}

impl Format {
    /// The format a file name promises by its extension (case-insensitive): `.csv`, `.tsv` and
    /// `.txt` are [`Format::Csv`], `.xlsx` and `.xlsm` are [`Format::Xlsx`].
    pub fn from_name(file_name: &str) -> Option<Format> {
        let (_, extension) = file_name.trim().rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// The format of a file from its first bytes (a few kilobytes are plenty): a zip is taken
    /// for XLSX, text for CSV; `None` for anything else (binary data, old `.xls`, UTF-16).
    pub fn sniff(head: &[u8]) -> Option<Format> {
        classify(head).ok()
    }

    /// The usual extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// The media type for a download of this format.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// How much of a file is looked at to tell its format.
const SNIFF_LEN: usize = 8 * 1024;

fn classify(head: &[u8]) -> Result<Format, ReadError> {
    if head.starts_with(b"PK\x03\x04") {
        Ok(Format::Xlsx)
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Err(ReadError::LegacyXls)
    } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        Err(ReadError::Utf16)
    } else if head.contains(&0) {
        Err(ReadError::NotSpreadsheet)
    } else {
        Ok(Format::Csv)
    }
}

/// Why a file could not be read, worded for the person who uploaded it.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the file could not be read: {0}")]
    Io(#[from] io::Error),
    #[error("not a CSV or XLSX file")]
    NotSpreadsheet,
    #[error("an Excel 97-2003 (.xls) file: save it as .xlsx or CSV UTF-8 and upload it again")]
    LegacyXls,
    #[error("the file is UTF-16 text: save it as CSV UTF-8 and upload it again")]
    Utf16,
    #[error("the file has no header row")]
    NoHeader,
    #[error("the workbook has no worksheet")]
    NoWorksheet,
    #[error("row {row}: not valid UTF-8 (save the file as CSV UTF-8 and upload it again)")]
    InvalidUtf8 { row: u64 },
    #[error("the CSV file could not be read: {0}")]
    Csv(String),
    #[error("the XLSX file could not be read: {0}")]
    Xlsx(#[from] calamine::XlsxError),
    #[error("the XLSX file could not be read: it is damaged (open it in Excel and save it again)")]
    Damaged,
    /// A cell beyond Excel's last column (XFD); such a file was not saved by a spreadsheet.
    #[error("row {row}: a cell lies in column {column}, beyond Excel's last column ({max})", max = MAX_COLUMNS)]
    BeyondLastColumn { row: u64, column: u64 },
    /// A row beyond Excel's last row.
    #[error("row {row} lies beyond Excel's last row ({max})", max = MAX_ROWS)]
    BeyondLastRow { row: u64 },
    /// A part of the workbook (a sheet, the shared strings) unpacks to more than is read.
    #[error("the XLSX file's part `{part}` unpacks to {megabytes} MB, more than the {max} MB a part may have", max = MAX_PART_BYTES / 1_000_000)]
    PartTooLarge { part: String, megabytes: u64 },
}

/// Excel's limits: a workbook has at most 16,384 columns (A to XFD) and 1,048,576 rows.
pub const MAX_COLUMNS: u64 = 16_384;
pub const MAX_ROWS: u64 = 1_048_576;
/// The most one part of an XLSX workbook (a worksheet, the shared strings) may unpack to. A
/// million rows of eight cells take about 150 MB; what is read is bounded by this, whatever the
/// file claims in its cells.
pub const MAX_PART_BYTES: u64 = 512 * 1_000_000;

impl ReadError {
    /// The spreadsheet row the error is about, when it is about one row (the rest of the file
    /// may still be read).
    pub fn row(&self) -> Option<u64> {
        match self {
            ReadError::InvalidUtf8 { row } => Some(*row),
            _ => None,
        }
    }
}

/// One data row of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The spreadsheet row number: the header is row 1 (when nothing is above it), the first
    /// data row is 2. Blank lines count, as they do in Excel.
    pub number: u64,
    /// The cells as text, at least as many as there are headers (short rows are padded with
    /// `""`); cells past the last header are kept when not empty.
    pub cells: Vec<String>,
}

/// An opened spreadsheet: its headers, then its rows as an iterator. Rows whose cells are all
/// empty (or blank) are skipped, before the header too. An XLSX table may start anywhere: the
/// columns left of its header's first cell are dropped. An XLSX sheet is read on a thread of its
/// own, a few hundred rows ahead, which stops when the `Sheet` is dropped.
pub struct Sheet {
    format: Format,
    headers: Vec<String>,
    source: Source,
}

enum Source {
    Delimited(delimited::Delimited),
    Workbook(workbook::Workbook),
}

impl Sheet {
    /// Opens the file at `path`, telling its format from its first bytes (not its name, which
    /// people get wrong), and reads the header row.
    pub fn open(path: impl AsRef<Path>) -> Result<Sheet, ReadError> {
        let path = path.as_ref();
        let mut head = Vec::with_capacity(SNIFF_LEN);
        File::open(path)?.take(SNIFF_LEN as u64).read_to_end(&mut head)?;
        Sheet::open_as(path, classify(&head)?)
    }

    /// Opens the file at `path` as `format`, and reads the header row.
    pub fn open_as(path: impl AsRef<Path>, format: Format) -> Result<Sheet, ReadError> {
        let path = path.as_ref();
        let (headers, source) = match format {
            Format::Csv => {
                let (headers, source) = delimited::Delimited::open(File::open(path)?)?;
                (headers, Source::Delimited(source))
            }
            Format::Xlsx => {
                let (headers, source) = workbook::Workbook::open(path)?;
                (headers, Source::Workbook(source))
            }
        };
        Ok(Sheet { format, headers, source })
    }

    /// The format the file was read as.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The header row, each header trimmed; empty headers past the last named one are dropped.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }
}

impl Iterator for Sheet {
    type Item = Result<Row, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let width = self.headers.len();
        let row = match &mut self.source {
            Source::Delimited(source) => source.next_row(),
            Source::Workbook(source) => source.next_row(),
        }?;
        Some(row.map(|row| shape(row, width)))
    }
}

impl std::fmt::Debug for Sheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sheet").field("format", &self.format).field("headers", &self.headers).finish_non_exhaustive()
    }
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|cell| cell.trim().is_empty())
}

/// Pads a row to `width` cells and drops empty cells past it.
fn shape(mut row: Row, width: usize) -> Row {
    while row.cells.len() > width && row.cells.last().is_some_and(|cell| cell.is_empty()) {
        row.cells.pop();
    }
    if row.cells.len() < width {
        row.cells.resize(width, String::new());
    }
    row
}

/// The header row as kept: trimmed, trailing empty headers dropped; `None` when nothing is left.
fn headers_from(cells: Vec<String>) -> Option<Vec<String>> {
    let mut headers: Vec<String> = cells.into_iter().map(|cell| cell.trim().to_owned()).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    (!headers.is_empty()).then_some(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_name_is_case_insensitive() {
        assert_eq!(Format::from_name("contacts.CSV"), Some(Format::Csv));
        assert_eq!(Format::from_name("Danh bạ.Xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::from_name("export.tsv"), Some(Format::Csv));
        assert_eq!(Format::from_name("old.xls"), None);
        assert_eq!(Format::from_name("noextension"), None);
    }

    #[test]
    fn sniffing_tells_zip_from_text() {
        assert_eq!(Format::sniff(b"PK\x03\x04\x14\x00"), Some(Format::Xlsx));
        assert_eq!(Format::sniff("\u{feff}name;phone\n".as_bytes()), Some(Format::Csv));
        assert_eq!(Format::sniff(b""), Some(Format::Csv));
        assert_eq!(Format::sniff(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), None);
        assert_eq!(Format::sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1]), None);
        assert_eq!(Format::sniff(&[0xFF, 0xFE, b'n', 0]), None);
    }

    #[test]
    fn rows_are_padded_and_trailing_empty_extras_dropped() {
        let row = |cells: &[&str]| Row { number: 2, cells: cells.iter().map(|c| c.to_string()).collect() };
        assert_eq!(shape(row(&["a"]), 3).cells, ["a", "", ""]);
        assert_eq!(shape(row(&["a", "b", "c", "", ""]), 2).cells, ["a", "b", "c"]);
        assert_eq!(shape(row(&["a", "", ""]), 2).cells, ["a", ""]);
    }
}
